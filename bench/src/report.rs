//! The one table `make bench` prints: per line what was measured, the module's figure,
//! Redis' figure, their ratio, the target and whether it was met (or `info` for lines with no
//! target), grouped under section headings; plus the padded-table renderer and the number
//! formats that `make accuracy` uses for its own tables.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    NotMet,
    /// A figure with no target.
    Info,
}

impl Verdict {
    pub fn of(met: bool) -> Verdict {
        if met {
            Verdict::Met
        } else {
            Verdict::NotMet
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "NOT met",
            Verdict::Info => "info",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub what: String,
    pub module: String,
    pub redis: String,
    pub ratio: String,
    pub target: String,
    pub verdict: Verdict,
}

impl Row {
    /// A line with no target.
    pub fn info(
        what: impl Into<String>,
        module: impl Into<String>,
        redis: impl Into<String>,
        ratio: impl Into<String>,
    ) -> Row {
        Row {
            what: what.into(),
            module: module.into(),
            redis: redis.into(),
            ratio: ratio.into(),
            target: "-".to_string(),
            verdict: Verdict::Info,
        }
    }

    /// The same line judged against `target`.
    pub fn judged(mut self, target: impl Into<String>, met: bool) -> Row {
        self.target = target.into();
        self.verdict = Verdict::of(met);
        self
    }
}

#[derive(Debug, Default)]
pub struct Report {
    sections: Vec<(String, Vec<Row>)>,
}

impl Report {
    pub fn section(&mut self, title: impl Into<String>) {
        self.sections.push((title.into(), Vec::new()));
    }

    pub fn row(&mut self, row: Row) {
        eprintln!(
            "bench:   {} | {} | {} | {} | {} | {}",
            row.what,
            row.module,
            row.redis,
            row.ratio,
            row.target,
            row.verdict.label()
        );
        match self.sections.last_mut() {
            Some((_, rows)) => rows.push(row),
            None => self.sections.push((String::new(), vec![row])),
        }
    }

    /// (met, judged) over every line with a target.
    pub fn score(&self) -> (usize, usize) {
        let verdicts = self
            .sections
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|row| row.verdict));
        verdicts.fold((0, 0), |(met, judged), verdict| match verdict {
            Verdict::Met => (met + 1, judged + 1),
            Verdict::NotMet => (met, judged + 1),
            Verdict::Info => (met, judged),
        })
    }

    /// The table as text, columns padded to their widest cell.
    pub fn render(&self) -> String {
        let header = ["measured", "module", "redis", "ratio", "target", "status"];
        let blocks: Vec<(String, Vec<Vec<String>>)> = self
            .sections
            .iter()
            .map(|(title, rows)| {
                let cells = rows
                    .iter()
                    .map(|row| {
                        vec![
                            row.what.clone(),
                            row.module.clone(),
                            row.redis.clone(),
                            row.ratio.clone(),
                            row.target.clone(),
                            row.verdict.label().to_string(),
                        ]
                    })
                    .collect();
                (title.clone(), cells)
            })
            .collect();
        table(&header, &blocks)
    }
}

/// A text table: `header`, then each block's rows under a `[title]` line (none for an empty
/// title), every column padded to its widest cell. Rows have one cell per header column.
pub fn table(header: &[&str], blocks: &[(String, Vec<Vec<String>>)]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for (_, rows) in blocks {
        for row in rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let rule = format!(
        "|{}|\n",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    out.push_str(&rule);
    for (title, rows) in blocks {
        if !title.is_empty() {
            let mut heading = vec![String::new(); header.len()];
            heading[0] = format!("[{title}]");
            out.push_str(&line(&heading));
        }
        for row in rows {
            out.push_str(&line(row));
        }
    }
    out
}

/// A rate: `1.23M/s`, `456k/s`, `789/s`.
pub fn rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2}M/s", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.0}k/s", per_second / 1e3)
    } else {
        format!("{per_second:.0}/s")
    }
}

/// A duration: `45 us`, `1.23 ms`, `2.50 s`.
pub fn time(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.0} us")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// A size in MiB (or KiB below one MiB).
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", n / 1024.0)
    }
}

/// A ratio: `0.82x`, `1234x`.
pub fn ratio(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}x")
    } else {
        format!("{x:.2}x")
    }
}

/// A count of items: `10k`, `1M`.
pub fn count(n: usize) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n % 1_000 == 0 {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

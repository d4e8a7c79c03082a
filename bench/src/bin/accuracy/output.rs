//! The text `make accuracy` prints: per Zipf exponent a table of the accuracy figures per
//! range (windows and today) and a table of the two trackers side by side (memory, ingest
//! rate, what TOPK.INFO reports), then the memory-growth table and the summary of targets.
//! Every table goes through `wtopk_bench::report::table`.

use wtopk_bench::report::{bytes, count, rate, ratio, table, Verdict};

use crate::compare::Comparison;
use crate::growth::Growth;
use crate::targets::{percent, AccuracyGoal, Target, MEMORY_LIMIT};

pub fn comparison(c: &Comparison) -> String {
    let goal = AccuracyGoal::at(c.exponent);
    let rows: Vec<Vec<String>> = c
        .ranges
        .iter()
        .map(|r| {
            let o = &r.last;
            let recall = |k| o.recall(k).map_or("-".into(), |x| format!("{x:.3}"));
            let (mean_error, max_error) = o
                .relative_errors()
                .map_or(("-".into(), "-".into()), |(mean, max)| {
                    (percent(mean), percent(max))
                });
            let width = o
                .bound_width()
                .map_or("- (no bounds)".into(), |(abs, rel)| {
                    format!("{abs:.1} ({})", percent(rel))
                });
            let bounds = &r.bounds;
            let held = if bounds.checked == 0 {
                "-".to_string()
            } else {
                format!(
                    "{} of {}",
                    percent(bounds.held as f64 / bounds.checked as f64),
                    bounds.checked
                )
            };
            vec![
                r.name.clone(),
                recall(10),
                recall(100),
                mean_error,
                max_error,
                width,
                held,
                goal.describe(),
                Verdict::of(goal.met(o) && bounds.all_held() && r.same_estimate.all_held())
                    .label()
                    .to_string(),
            ]
        })
        .collect();
    let title = format!(
        "Zipf s={:.1}: {} events over 24h, {} of {} items drawn, seed {:#x}",
        c.exponent,
        count(c.events),
        c.distinct,
        count(c.universe),
        c.seed
    );
    let header = [
        "range",
        "recall@10",
        "recall@100",
        "rel err mean",
        "rel err max",
        "bound width mean (rel)",
        "bounds hold",
        "target",
        "status",
    ];
    let mut out = format!("{title}\n");
    out.push_str(&table(&header, &[(String::new(), rows)]));
    out.push('\n');
    out.push_str(&trackers(c));
    out
}

/// EXACT and APPROX side by side.
fn trackers(c: &Comparison) -> String {
    let info = |v: Option<u64>| v.map_or("?".into(), |n| n.to_string());
    let memory_ratio = c.approx_memory as f64 / c.exact_memory.max(1) as f64;
    let rate_ratio = c.approx.rate() / c.exact.rate();
    let mut rows = vec![
        row(
            "MEMORY USAGE",
            bytes(c.exact_memory),
            bytes(c.approx_memory),
            ratio(memory_ratio),
            "APPROX <= 32 MiB",
            Verdict::of(c.approx_memory <= MEMORY_LIMIT),
        ),
        row(
            "ingest, events/s (round trips only)",
            rate(c.exact.rate()),
            rate(c.approx.rate()),
            ratio(rate_ratio),
            "APPROX >= EXACT",
            Verdict::of(rate_ratio >= 1.0),
        ),
        row(
            "events accepted / dropped / duplicate",
            ingested(&c.exact),
            ingested(&c.approx),
            "-".into(),
            "-",
            Verdict::Info,
        ),
        row(
            "TOPK.INFO mode, capacity",
            format!("{}, -", c.exact_info.mode),
            format!("{}, {}", c.approx_info.mode, info(c.approx_info.capacity)),
            "-".into(),
            "-",
            Verdict::Info,
        ),
        row(
            "TOPK.INFO distinct_items",
            info(c.exact_info.distinct_items),
            info(c.approx_info.distinct_items),
            "-".into(),
            "-",
            Verdict::Info,
        ),
    ];
    if c.exact_info.buckets != c.approx_info.buckets {
        rows.push(row(
            "window buckets (name, ms) DIFFER",
            format!("{:?}", c.exact_info.buckets),
            format!("{:?}", c.approx_info.buckets),
            "-".into(),
            "-",
            Verdict::Info,
        ));
    }
    let header = [
        "tracker",
        "EXACT",
        "APPROX",
        "APPROX/EXACT",
        "target",
        "status",
    ];
    table(&header, &[(String::new(), rows)])
}

pub fn growth(g: &Growth) -> String {
    let rows = g
        .points
        .iter()
        .chain(&g.week)
        .map(|p| {
            vec![
                count(p.distinct),
                format!("{}h", 24 * p.days),
                bytes(p.memory),
                p.held.map_or("?".into(), |n| n.to_string()),
                rate(p.ingested.rate()),
                Verdict::of(p.memory <= MEMORY_LIMIT).label().to_string(),
            ]
        })
        .collect();
    let title = format!(
        "APPROX memory vs distinct items: {} events each, items cycling; growth over 24h {}",
        count(g.events),
        g.percent().map_or("-".into(), |x| format!("{x:+.1}%"))
    );
    let header = [
        "distinct",
        "over",
        "MEMORY USAGE",
        "items held",
        "ingest",
        "<= 32 MiB",
    ];
    format!("{title}\n{}", table(&header, &[(String::new(), rows)]))
}

pub fn summary(targets: &[Target]) -> String {
    let rows = targets
        .iter()
        .map(|t| {
            vec![
                t.what.clone(),
                t.measured.clone(),
                Verdict::of(t.met).label().to_string(),
            ]
        })
        .collect();
    format!(
        "targets\n{}",
        table(&["target", "measured", "status"], &[(String::new(), rows)])
    )
}

fn row(
    what: &str,
    exact: String,
    approx: String,
    ratio: String,
    target: &str,
    verdict: Verdict,
) -> Vec<String> {
    vec![
        what.to_string(),
        exact,
        approx,
        ratio,
        target.to_string(),
        verdict.label().to_string(),
    ]
}

fn ingested(i: &crate::ingest::Ingested) -> String {
    format!("{} / {} / {}", i.accepted, i.dropped, i.duplicates)
}

//! Part 6: the core alone, without a server. The figure comes from the criterion benchmark in
//! `core/benches/tracker.rs` (updates/s with windows 5m, 1h, 24h and DAILY 7 under a
//! Zipf(1.1) stream over 100k items spanning two days, in batches of 100 events), which
//! `scripts/bench.sh` runs before the server starts and hands over as
//! `BENCH_CORE_THROUGHPUT` (criterion's throughput estimate, such as `2.13 Melem/s`).
//! Without it (a quick run, or the binary run by hand) the line tells how to measure it.
//! Target: at least 10M updates/s. Two more lines give the core's longest write and longest
//! query under part 5's load replayed in-process three times (`core/benches/worst_command.rs`,
//! handed over as `BENCH_CORE_WORST_WRITE` and `BENCH_CORE_WORST_QUERY`): the work a module
//! command does itself, apart from the time a busy machine takes the CPU away, which part 5's
//! `LATENCY` figure includes.

use crate::report::{rate, Report, Row};

const WHAT: &str = "updates/s, windows 5m/1h/24h + DAILY 7, Zipf(1.1) over 100k, batches of 100";
const COMMAND: &str = "cargo bench -p wtopk-core --bench tracker -- updates_zipf";
const TARGET: f64 = 10_000_000.0;
const WORST: [(&str, &str); 2] = [
    (
        "longest core write, part 5's load replayed 3 times (fastest of each)",
        "BENCH_CORE_WORST_WRITE",
    ),
    (
        "longest core query, part 5's load replayed 3 times (fastest of each)",
        "BENCH_CORE_WORST_QUERY",
    ),
];
const WORST_COMMAND: &str = "cargo bench -p wtopk-core --bench worst_command";

pub fn run(report: &mut Report) {
    report.section("6. the core alone (no server, no network)");
    let measured = std::env::var("BENCH_CORE_THROUGHPUT").ok();
    let row = match measured.as_deref().and_then(per_second) {
        Some(updates) => Row::info(WHAT, rate(updates), "-", "-")
            .judged(format!(">= {}", rate(TARGET)), updates >= TARGET),
        None => Row::info(WHAT, format!("run: {COMMAND}"), "-", "-"),
    };
    report.row(row);
    for (what, variable) in WORST {
        let worst = std::env::var(variable)
            .ok()
            .filter(|figure| !figure.trim().is_empty())
            .unwrap_or_else(|| format!("run: {WORST_COMMAND}"));
        report.row(Row::info(what, worst, "-", "-"));
    }
}

/// Elements per second from criterion's `<number> <unit>`, the unit one of `elem/s`,
/// `Kelem/s`, `Melem/s` and `Gelem/s`.
fn per_second(text: &str) -> Option<f64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let scale = match unit.trim() {
        "elem/s" => 1.0,
        "Kelem/s" => 1e3,
        "Melem/s" => 1e6,
        "Gelem/s" => 1e9,
        _ => return None,
    };
    Some(number.parse::<f64>().ok()? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_throughput() {
        assert_eq!(per_second("2.1265 Melem/s"), Some(2_126_500.0));
        assert_eq!(per_second("950.5 Kelem/s"), Some(950_500.0));
        assert_eq!(per_second("12 elem/s"), Some(12.0));
        assert_eq!(per_second("2.1 Mfoo/s"), None);
        assert_eq!(per_second(""), None);
    }
}

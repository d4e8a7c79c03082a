//! Part 6: the core alone, without a server. Its figures come from the criterion benchmark
//! in `core/benches/tracker.rs` (updates/s with windows 5m, 1h, 24h and DAILY 7 under a
//! Zipf(1.1) stream over 100k items, query latency at 1M items): this part only adds the line
//! that tells how to run it, since criterion runs take minutes of their own.

use crate::report::{Report, Row};

pub fn run(report: &mut Report) {
    report.section("6. the core alone (no server, no network)");
    report.row(Row::info(
        "updates/s, windows 5m/1h/24h + DAILY 7, Zipf(1.1) over 100k, batches of 100",
        "run: cargo bench -p wtopk-core --bench tracker -- updates_zipf",
        "-",
        "-",
    ));
}

//! The benchmark's parts, one file each, in the order of the table: single-item commands,
//! batched updates, query latency, memory, the mixed load and the pointer to the core's own
//! criterion benchmark. Also the server chores they share: emptying the server, creating
//! the tracker under test and reading `MEMORY USAGE` and `INFO commandstats`.

pub mod batched;
pub mod core_bench;
pub mod memory;
pub mod mixed;
pub mod queries;
pub mod single;

use redis::{Connection, Value};

use crate::client::{call, int, text};
use crate::config::{Settings, TRACKER_ARGS};
use crate::load::{measure, Rate, Workload};
use crate::server::Server;

/// Empties the server (synchronously, so the next figure does not pay for the free).
pub fn flush(con: &mut Connection) {
    call(con, &["FLUSHALL", "SYNC"]);
}

/// `TOPK.CREATE key WINDOW 5m WINDOW 1h WINDOW 24h DAILY 7` plus `extra` arguments.
pub fn create_tracker(con: &mut Connection, key: &str, extra: &[&str]) {
    let mut args = vec!["TOPK.CREATE", key];
    args.extend(TRACKER_ARGS);
    args.extend(extra);
    call(con, &args);
}

/// `MEMORY USAGE key SAMPLES 0` (every element counted); 0 for a missing key.
pub fn memory_usage(con: &mut Connection, key: &str) -> u64 {
    match call(con, &["MEMORY", "USAGE", key, "SAMPLES", "0"]) {
        Value::Nil => 0,
        value => int(&value) as u64,
    }
}

/// The `usec_per_call` of `command` (any case, e.g. `topk.query`) in `INFO commandstats`,
/// where module commands keep the case they were registered with.
pub fn usec_per_call(con: &mut Connection, command: &str) -> Option<f64> {
    let info = text(&call(con, &["INFO", "commandstats"]));
    let prefix = format!("cmdstat_{}:", command.to_ascii_lowercase());
    let line = info
        .lines()
        .find(|line| line.to_ascii_lowercase().starts_with(&prefix))?;
    line.trim_end()[prefix.len()..]
        .split(',')
        .find_map(|field| field.strip_prefix("usec_per_call="))
        .and_then(|v| v.parse().ok())
}

/// A throughput figure with the server's own time per call of `command` over the same span.
pub struct Measured {
    pub rate: Rate,
    pub usec_per_call: Option<f64>,
}

/// `load::measure` of `workload` over `connections`, with `INFO commandstats` reset before
/// and read after.
pub fn measure_with_stats(
    server: &Server,
    settings: &Settings,
    workload: &Workload,
    command: &str,
    connections: usize,
) -> Measured {
    let mut con = server.connect();
    call(&mut con, &["CONFIG", "RESETSTAT"]);
    let rate = measure(
        server.port(),
        workload,
        connections,
        settings.warmup,
        settings.throughput_time,
    );
    Measured {
        rate,
        usec_per_call: usec_per_call(&mut con, command),
    }
}

/// `rate` followed by the server time per call, e.g. `250k/s (3.9 us/call)`.
pub fn rate_and_cost(per_second: f64, usec_per_call: Option<f64>, per: &str) -> String {
    match usec_per_call {
        Some(us) => format!("{} ({us:.1} us/{per})", crate::report::rate(per_second)),
        None => crate::report::rate(per_second),
    }
}

/// Rounds of [`measure_interleaved`].
const ROUNDS: u32 = 3;

/// [`measure_with_stats`] of each of `workloads` (with the command whose `usec_per_call` to
/// read; one command per workload) over `connections`, taken in turns: the measuring time is
/// split into rounds, and each round measures every workload once for its share. On a shared
/// machine whose speed drifts over seconds, the workloads then see the same machine and
/// their ratios hold. Only the first round warms up for the full `settings.warmup`.
pub fn measure_interleaved<const N: usize>(
    server: &Server,
    settings: &Settings,
    workloads: [(&Workload, &str); N],
    connections: usize,
) -> [Measured; N] {
    let mut con = server.connect();
    call(&mut con, &["CONFIG", "RESETSTAT"]);
    let share = settings.throughput_time / ROUNDS;
    let mut rates = [Rate {
        commands: 0.0,
        items: 0.0,
    }; N];
    for round in 0..ROUNDS {
        let warmup = if round == 0 {
            settings.warmup
        } else {
            settings.warmup / 5
        };
        for ((workload, _), sum) in workloads.iter().zip(&mut rates) {
            let rate = measure(server.port(), workload, connections, warmup, share);
            sum.commands += rate.commands / f64::from(ROUNDS);
            sum.items += rate.items / f64::from(ROUNDS);
        }
    }
    std::array::from_fn(|i| Measured {
        rate: rates[i],
        usec_per_call: usec_per_call(&mut con, workloads[i].1),
    })
}

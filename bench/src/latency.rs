//! Latency measurement: one connection, one request in flight, each call timed twice: its
//! round trip on the client (loopback network and reply parsing included) and the time the
//! server spent executing it, read back from SLOWLOG with a threshold of 0 (every call is
//! logged with its own duration in microseconds, measured by Redis around the command).
//! Summaries are p50 and p99 by nearest rank. A few untimed calls first warm the caches.

use std::time::{Duration, Instant};

use redis::{Connection, Value};

use crate::client::{array, call, int};

const WARMUP_CALLS: usize = 10;
/// The fewest timed calls of a budget-bound measurement, however slow each call is.
const MIN_BUDGET_SAMPLES: usize = 3;
const MAX_BUDGET_SAMPLES: usize = 2_000;

#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
    pub samples: usize,
}

/// Times `samples` calls of `call` (after a few untimed ones).
pub fn sample_n(samples: usize, mut call: impl FnMut()) -> Latency {
    for _ in 0..WARMUP_CALLS {
        call();
    }
    let timings = (0..samples)
        .map(|_| {
            let start = Instant::now();
            call();
            start.elapsed()
        })
        .collect();
    summarize(timings)
}

/// Times calls of `call` until `budget` is spent (at least `MIN_BUDGET_SAMPLES` calls), for
/// operations too slow for a fixed count. `after` runs after each timed call, untimed.
pub fn sample_for(budget: Duration, mut call: impl FnMut(), mut after: impl FnMut()) -> Latency {
    call();
    after();
    let mut timings = Vec::new();
    let mut spent = Duration::ZERO;
    while timings.len() < MAX_BUDGET_SAMPLES
        && (timings.len() < MIN_BUDGET_SAMPLES || spent < budget)
    {
        let start = Instant::now();
        call();
        let took = start.elapsed();
        after();
        spent += took;
        timings.push(took);
    }
    summarize(timings)
}

/// Logs every following command in the SLOWLOG (room for `capacity` entries), emptied.
pub fn server_timing_on(con: &mut Connection, capacity: usize) {
    call(
        con,
        &["CONFIG", "SET", "slowlog-max-len", &capacity.to_string()],
    );
    call(con, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    call(con, &["SLOWLOG", "RESET"]);
}

/// Back to Redis' defaults (log calls of 10 ms or more, keep 128).
pub fn server_timing_off(con: &mut Connection) {
    call(con, &["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
    call(con, &["CONFIG", "SET", "slowlog-max-len", "128"]);
    call(con, &["SLOWLOG", "RESET"]);
}

/// The calls logged since the last reset, oldest first, as (command name, server time).
pub struct ServerLog(Vec<(Vec<u8>, Duration)>);

impl ServerLog {
    /// Reads the whole SLOWLOG and empties it.
    pub fn take(con: &mut Connection) -> ServerLog {
        let log = call(con, &["SLOWLOG", "GET", "-1"]);
        let mut calls: Vec<(Vec<u8>, Duration)> = array(&log)
            .iter()
            .filter_map(|entry| {
                let fields = array(entry);
                match array(&fields[3]).first() {
                    Some(Value::BulkString(name)) => Some((
                        name.clone(),
                        Duration::from_micros(int(&fields[2]).max(0) as u64),
                    )),
                    _ => None,
                }
            })
            .collect();
        calls.reverse();
        call(con, &["SLOWLOG", "RESET"]);
        ServerLog(calls)
    }

    /// The server times of the calls of `command` (any case), oldest first.
    pub fn durations(&self, command: &str) -> Vec<Duration> {
        self.0
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(command.as_bytes()))
            .map(|(_, took)| *took)
            .collect()
    }
}

/// p50 and p99 of the last `n` of `timings` (the calls after the warm-up).
pub fn summarize_last(timings: &[Duration], n: usize) -> Latency {
    summarize(last(timings, n).to_vec())
}

/// The last `n` of `timings`.
pub fn last(timings: &[Duration], n: usize) -> &[Duration] {
    &timings[timings.len().saturating_sub(n)..]
}

pub fn summarize(mut timings: Vec<Duration>) -> Latency {
    assert!(!timings.is_empty(), "no latency samples");
    timings.sort_unstable();
    Latency {
        p50: percentile(&timings, 50.0),
        p99: percentile(&timings, 99.0),
        samples: timings.len(),
    }
}

/// Nearest-rank percentile of sorted timings.
fn percentile(sorted: &[Duration], pct: f64) -> Duration {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let timings: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let latency = summarize(timings);
        assert_eq!(latency.p50, Duration::from_micros(50));
        assert_eq!(latency.p99, Duration::from_micros(99));
        let three = summarize(vec![Duration::from_millis(3), Duration::from_millis(1)]);
        assert_eq!(three.p99, Duration::from_millis(3));
    }
}

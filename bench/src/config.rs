//! The run's settings, read once from the environment: `BENCH_QUICK=1` for a smaller smoke
//! run, `BENCH_MIXED_SECONDS` for the length of the mixed load, `BENCH_MODULE` for the module
//! file (default `target/release/libredis_wtopk.so` of this workspace) and `BENCH_DIR` for the
//! server's working directory (default: a fresh temporary directory). Every size, duration
//! and sample count of the run lives here, so the full and the quick run differ in one place.

use std::path::PathBuf;
use std::time::Duration;

/// The seed of every random stream of the run: the same items in the same order every time.
pub const SEED: u64 = 0x5EED_2024_0006;

/// The Zipf exponent of the item streams.
pub const ZIPF_EXPONENT: f64 = 1.1;

/// The item universe of the throughput, memory and mixed-load streams.
pub const UNIVERSE: usize = 100_000;

/// The tracker under test (SPEC.md `TOPK.CREATE`), as arguments after the key.
pub const TRACKER_ARGS: [&str; 8] = [
    "WINDOW", "5m", "WINDOW", "1h", "WINDOW", "24h", "DAILY", "7",
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub quick: bool,
    /// The redis-wtopk module to load.
    pub module: PathBuf,
    /// The server's working directory, if the caller chose one (it is then left in place).
    pub dir: Option<PathBuf>,
    /// How long each throughput figure is measured, after `warmup`.
    pub throughput_time: Duration,
    pub warmup: Duration,
    /// Distinct item counts of the query-latency datasets.
    pub query_sizes: Vec<usize>,
    /// Timed calls per query latency figure (after a few untimed ones).
    pub query_samples: usize,
    /// Time budget per ZUNIONSTORE latency figure (at least `MIN_UNION_SAMPLES` calls).
    pub union_budget: Duration,
    /// Events of the memory comparison's stream.
    pub memory_events: usize,
    /// Length of the mixed load.
    pub mixed_time: Duration,
}

impl Settings {
    pub fn from_env() -> Settings {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let mixed_default = if quick { 10 } else { 60 };
        let mixed_seconds = match std::env::var("BENCH_MIXED_SECONDS") {
            Ok(text) => text.trim().parse::<u64>().unwrap_or_else(|_| {
                panic!("BENCH_MIXED_SECONDS={text:?} is not a whole number of seconds")
            }),
            Err(_) => mixed_default,
        };
        let module = crate::server::module_from_env("BENCH_MODULE");
        let dir = std::env::var_os("BENCH_DIR").map(PathBuf::from);
        if quick {
            Settings {
                quick,
                module,
                dir,
                throughput_time: Duration::from_secs(1),
                warmup: Duration::from_millis(200),
                query_sizes: vec![10_000, 100_000],
                query_samples: 300,
                union_budget: Duration::from_millis(500),
                memory_events: 200_000,
                mixed_time: Duration::from_secs(mixed_seconds),
            }
        } else {
            Settings {
                quick,
                module,
                dir,
                throughput_time: Duration::from_secs(3),
                warmup: Duration::from_millis(500),
                query_sizes: vec![10_000, 100_000, 1_000_000],
                query_samples: 2_000,
                union_budget: Duration::from_secs(3),
                memory_events: 2_000_000,
                mixed_time: Duration::from_secs(mixed_seconds),
            }
        }
    }
}

//! The run's settings, read once from the environment, and every constant of the accuracy
//! benchmark: `ACCURACY_QUICK=1` for a smoke run (200k events over 20k items, one exponent),
//! `ACCURACY_EXPONENTS=0.8,1.2` to run only some Zipf exponents, `ACCURACY_CAPACITY=m` to
//! pass `CAPACITY m` to the APPROX trackers (default: the module's own), `ACCURACY_MODULE`
//! for the module file (default `target/release/libredis_wtopk.so` of this workspace) and
//! `ACCURACY_DIR` for the server's working directory (default: a fresh temporary one). The
//! full and the quick run differ only here.

use std::path::PathBuf;

/// The seed of every random stream of the run (see `seed_of`).
pub const SEED: u64 = 0xACC0_2026_0005;

/// The seed of the stream of Zipf exponent `s`: the same events whichever exponents run.
pub fn seed_of(exponent: f64) -> u64 {
    SEED + (exponent * 1000.0).round() as u64
}

/// 2026-01-01T00:00:00Z in ms: the stream's first event time, so that "today" (UTC) is
/// exactly the 24 hours of the stream.
pub const START_MS: i64 = 1_767_225_600_000;
/// The stream's span of event time.
pub const SPAN_MS: i64 = 24 * 3_600_000;

/// Events per `TOPK.INGEST` and commands per round trip.
pub const BATCH: usize = 1_000;
pub const DEPTH: usize = 4;

/// The stream is cut into this many equal parts; the bounds are checked after each (6h,
/// 12h, 18h, 24h) and every other figure after the last.
pub const CHECKPOINTS: usize = 4;

/// The sliding windows compared (the trackers' configured windows).
pub const WINDOWS: [&str; 3] = ["5m", "1h", "24h"];
/// Items asked of every top-k query (the trackers' default K).
pub const TOP: usize = 100;

/// Both trackers, as `TOPK.CREATE` arguments after the key; APPROX adds `MODE APPROX`.
pub const TRACKER_ARGS: [&str; 10] = [
    "WINDOW", "5m", "WINDOW", "1h", "WINDOW", "24h", "DAILY", "7", "CLOCK", "EVENT",
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub quick: bool,
    /// The redis-wtopk module to load.
    pub module: PathBuf,
    /// The server's working directory, if the caller chose one (it is then left in place).
    pub dir: Option<PathBuf>,
    /// `CAPACITY m` for the APPROX trackers, if set.
    pub capacity: Option<u64>,
    /// Zipf exponents, one EXACT-vs-APPROX comparison each.
    pub exponents: Vec<f64>,
    /// Events and item universe of each comparison's stream.
    pub events: usize,
    pub universe: usize,
    /// Events of each memory-growth stream, and its two distinct-item counts.
    pub growth_events: usize,
    pub growth_distinct: [usize; 2],
}

impl Settings {
    pub fn from_env() -> Settings {
        let quick = std::env::var("ACCURACY_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let capacity = std::env::var("ACCURACY_CAPACITY").ok().map(|text| {
            text.trim()
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("ACCURACY_CAPACITY={text:?} is not a whole number"))
        });
        let module = wtopk_bench::server::module_from_env("ACCURACY_MODULE");
        let dir = std::env::var_os("ACCURACY_DIR").map(PathBuf::from);
        let mut settings = if quick {
            Settings {
                quick,
                module,
                dir,
                capacity,
                exponents: vec![1.0],
                events: 200_000,
                universe: 20_000,
                growth_events: 200_000,
                growth_distinct: [20_000, 200_000],
            }
        } else {
            Settings {
                quick,
                module,
                dir,
                capacity,
                exponents: vec![0.8, 1.0, 1.2],
                events: 10_000_000,
                universe: 1_000_000,
                growth_events: 10_000_000,
                growth_distinct: [100_000, 10_000_000],
            }
        };
        if let Ok(text) = std::env::var("ACCURACY_EXPONENTS") {
            settings.exponents = text
                .split(',')
                .map(|s| {
                    s.trim().parse::<f64>().unwrap_or_else(|_| {
                        panic!("ACCURACY_EXPONENTS={text:?}: {s:?} is not a number")
                    })
                })
                .collect();
        }
        settings
    }
}

//! `tracker_operations`: builds a tracker configuration from the input (valid or not: window
//! lengths, lateness, K, clock mode, future bound, daily zone, days and lateness, dedupe
//! horizon, from tables of meaningful values or raw) and runs a sequence of ingests, advances,
//! window and day reads and reloads with arbitrary timestamps, server times, items, counts
//! and event ids. Nothing may panic; `Tracker::new` must agree with `validate`; every write
//! and read must keep what `wtopk_fuzz::apply` checks (all-or-nothing refused batches,
//! counters, ranked answers that agree with COUNT, the state's invariants); and at the end an
//! encode -> decode round trip must keep the whole logical state.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use wtopk_core::limits::MAX_WINDOW_MS;
use wtopk_core::{ClockMode, DailySpec, Mode, Tracker, TrackerConfig, WindowSpec};
use wtopk_fuzz::{apply, check_round_trip, read_everything, Op};

/// Window lengths, lateness and horizons around the limits, and common ones.
const DURATIONS: [u64; 13] = [
    0,
    1,
    999,
    1_000,
    1_001,
    59_999,
    60_000,
    300_000,
    3_600_000,
    86_400_000,
    604_800_000,
    MAX_WINDOW_MS,
    MAX_WINDOW_MS + 1,
];

/// Zones with DST, odd offsets, a skipped day (Apia), and malformed spellings.
const ZONES: [&str; 12] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "america/sao_paulo",
    "+05:45",
    "-12:00",
    "+24:00",
    "Mars/Olympus",
    "",
];

#[derive(Arbitrary, Debug)]
enum Duration {
    Common(u8),
    Raw(u64),
}

impl Duration {
    fn ms(&self) -> u64 {
        match self {
            Duration::Common(n) => DURATIONS[usize::from(*n) % DURATIONS.len()],
            Duration::Raw(ms) => *ms,
        }
    }
}

/// K: small values are valid, raw ones mostly not.
#[derive(Arbitrary, Debug)]
enum KInput {
    Small(u8),
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
struct WindowInput {
    length: Duration,
    /// `None`: the default lateness (the window's length).
    lateness: Option<Duration>,
}

#[derive(Arbitrary, Debug)]
enum ZoneInput {
    Common(u8),
    Given(String),
}

#[derive(Arbitrary, Debug)]
struct DailyInput {
    zone: ZoneInput,
    days: u32,
    lateness: Duration,
}

#[derive(Arbitrary, Debug)]
struct Input {
    windows: Vec<WindowInput>,
    k: KInput,
    event_clock: bool,
    future: Duration,
    daily: Option<DailyInput>,
    dedupe: Option<Duration>,
    /// `Some(capacity)`: MODE APPROX, with small capacities (evictions) valid.
    approx: Option<u16>,
    ops: Vec<Op>,
}

impl Input {
    fn config(&self) -> TrackerConfig {
        TrackerConfig {
            windows: self
                .windows
                .iter()
                .map(|w| WindowSpec {
                    length: w.length.ms(),
                    lateness: w.lateness.as_ref().map_or(w.length.ms(), Duration::ms),
                })
                .collect(),
            k: match self.k {
                KInput::Small(k) => usize::from(k),
                KInput::Raw(k) => k as usize,
            },
            clock: if self.event_clock {
                ClockMode::Event
            } else {
                ClockMode::Server
            },
            future: self.future.ms(),
            daily: self.daily.as_ref().map(|daily| DailySpec {
                zone: match &daily.zone {
                    ZoneInput::Common(n) => ZONES[usize::from(*n) % ZONES.len()].to_string(),
                    ZoneInput::Given(zone) => zone.clone(),
                },
                days: daily.days % 4_000,
                lateness: daily.lateness.ms(),
            }),
            dedupe: self.dedupe.as_ref().map_or(0, Duration::ms),
            mode: self.approx.map_or(Mode::Exact, |capacity| Mode::Approx {
                capacity: usize::from(capacity),
            }),
        }
    }
}

fuzz_target!(|input: Input| {
    let config = input.config();
    let valid = config.validate().is_ok();
    let Ok(mut tracker) = Tracker::new(config) else {
        assert!(!valid, "Tracker::new refused a valid configuration");
        return;
    };
    assert!(valid, "Tracker::new accepted an invalid configuration");
    for op in &input.ops {
        apply(&mut tracker, op);
    }
    read_everything(&tracker);
    check_round_trip(&tracker);
});

//! A tracker's configuration: its windows, `K`, counting mode, clock mode and future bound, with the
//! defaults and validation of SPEC.md. It is fixed at creation, persisted with the tracker,
//! and validated again whenever it is decoded.

use serde::{Deserialize, Serialize};

use crate::calendar::Zone;
use crate::duration::canonical_name;
use crate::error::{CoreError, CoreResult};
use crate::heap;
use crate::limits::{
    BUCKETS_PER_WINDOW, DEFAULT_DAILY_LATENESS_MS, DEFAULT_DAYS, DEFAULT_FUTURE_MS, DEFAULT_K,
    MAX_CAPACITY, MAX_DAYS, MAX_K, MAX_WINDOWS, MAX_WINDOW_MS, MIN_WINDOW_MS,
};

/// How counts are kept (SPEC.md "Mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Exact counts of every item.
    Exact,
    /// At most `capacity` tracked items per window and per day, with error bounds.
    Approx { capacity: usize },
}

/// Where the tracker's clock T comes from (SPEC.md "Clock T").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClockMode {
    /// T = max(server time, latest accepted event, latest ADVANCE).
    Server,
    /// T = max(latest accepted event, latest ADVANCE); 0 before either.
    Event,
}

/// One window: a sliding range "the last `length` ms", or the all-time window (`length` 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSpec {
    /// Length in ms; 0 for the all-time window.
    pub length: u64,
    /// Allowed lateness in ms; an event older than `T - lateness` is late for this window.
    pub lateness: u64,
}

impl WindowSpec {
    /// A sliding window whose lateness defaults to its own length (nothing is ever late).
    pub fn sliding(length: u64) -> Self {
        WindowSpec {
            length,
            lateness: length,
        }
    }

    /// The window that counts every accepted event forever.
    pub fn all_time() -> Self {
        WindowSpec {
            length: 0,
            lateness: 0,
        }
    }

    pub fn is_all_time(&self) -> bool {
        self.length == 0
    }

    /// The width g of the window's buckets: at most 1/60 of its length (0 for all-time).
    pub fn bucket_width(&self) -> u64 {
        match self.length {
            0 => 0,
            length => (length / BUCKETS_PER_WINDOW).max(1),
        }
    }

    /// The name users see in `TOPK.INFO`: `all`, or the canonical duration (`5m`, `1h`).
    pub fn name(&self) -> String {
        if self.is_all_time() {
            "all".to_string()
        } else {
            canonical_name(self.length)
        }
    }
}

/// The daily rollup's settings (`DAILY days [TZ zone] [LATENESS duration]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySpec {
    /// The zone as the user spelled it: an IANA name or a fixed offset `+HH:MM`.
    pub zone: String,
    /// Calendar days kept before today.
    pub days: u32,
    /// A day is final once the clock passes its end plus this many ms.
    pub lateness: u64,
}

impl Default for DailySpec {
    /// UTC, 7 days, 10 minutes of lateness.
    fn default() -> Self {
        DailySpec {
            zone: "UTC".to_string(),
            days: DEFAULT_DAYS,
            lateness: DEFAULT_DAILY_LATENESS_MS,
        }
    }
}

/// Everything fixed at `TOPK.CREATE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerConfig {
    pub windows: Vec<WindowSpec>,
    /// The largest k a query may ask for.
    pub k: usize,
    pub clock: ClockMode,
    /// Under `CLOCK SERVER`, events more than this many ms ahead of the server are rejected.
    pub future: u64,
    /// The daily rollup, or `None` for `NODAILY`.
    pub daily: Option<DailySpec>,
    /// The dedupe horizon in ms; 0 when dedupe is off.
    pub dedupe: u64,
    pub mode: Mode,
}

impl TrackerConfig {
    /// Heap bytes of the window list and the zone name.
    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<WindowSpec>(self.windows.capacity())
            + self.daily.as_ref().map_or(0, |daily| daily.zone.capacity())
    }
}

impl Default for TrackerConfig {
    /// Windows 5m, 1h, 24h; K 100; server clock; future bound 1m; daily UTC 7 days; no
    /// dedupe; EXACT.
    fn default() -> Self {
        TrackerConfig {
            windows: [300_000, 3_600_000, 86_400_000]
                .into_iter()
                .map(WindowSpec::sliding)
                .collect(),
            k: DEFAULT_K,
            clock: ClockMode::Server,
            future: DEFAULT_FUTURE_MS,
            daily: Some(DailySpec::default()),
            dedupe: 0,
            mode: Mode::Exact,
        }
    }
}

impl TrackerConfig {
    /// Checks every limit of SPEC.md; the error names the offending setting.
    pub fn validate(&self) -> CoreResult<()> {
        if self.windows.is_empty() {
            return Err(CoreError::new("a tracker needs at least one window"));
        }
        if self.windows.len() > MAX_WINDOWS {
            return Err(CoreError::new(format!(
                "too many windows: {} (at most {MAX_WINDOWS}, WINDOW all included)",
                self.windows.len()
            )));
        }
        for (i, window) in self.windows.iter().enumerate() {
            if !window.is_all_time() && !(MIN_WINDOW_MS..=MAX_WINDOW_MS).contains(&window.length) {
                return Err(CoreError::new(format!(
                    "window {} is out of range (each window is from 1s to 90d)",
                    window.name()
                )));
            }
            if window.lateness > MAX_WINDOW_MS {
                return Err(CoreError::new(format!(
                    "lateness of window {} is out of range (at most 90d)",
                    window.name()
                )));
            }
            if self.windows[..i].iter().any(|w| w.length == window.length) {
                return Err(CoreError::new(format!(
                    "window {} is given twice (windows must be distinct)",
                    window.name()
                )));
            }
        }
        if !(1..=MAX_K).contains(&self.k) {
            return Err(CoreError::new(format!(
                "K must be from 1 to {MAX_K}, got {}",
                self.k
            )));
        }
        if let Mode::Approx { capacity } = self.mode {
            if !(self.k..=MAX_CAPACITY).contains(&capacity) {
                return Err(CoreError::new(format!(
                    "CAPACITY must be from K ({}) to {MAX_CAPACITY}, got {capacity}",
                    self.k
                )));
            }
        }
        if self.future > MAX_WINDOW_MS {
            return Err(CoreError::new("FUTURE is out of range (at most 90d)"));
        }
        if self.dedupe > MAX_WINDOW_MS {
            return Err(CoreError::new(
                "DEDUPE horizon is out of range (at most 90d)",
            ));
        }
        if let Some(daily) = &self.daily {
            Zone::parse(&daily.zone).map_err(CoreError::new)?;
            if daily.days > MAX_DAYS {
                return Err(CoreError::new(format!(
                    "DAILY days must be from 0 to {MAX_DAYS}, got {}",
                    daily.days
                )));
            }
            if daily.lateness > MAX_WINDOW_MS {
                return Err(CoreError::new(
                    "DAILY LATENESS is out of range (at most 90d)",
                ));
            }
        }
        Ok(())
    }

    /// The longest sliding window, which answers queries for other durations.
    pub fn longest_sliding(&self) -> Option<(usize, &WindowSpec)> {
        self.windows
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.is_all_time())
            .max_by_key(|(_, w)| w.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_as_specified() {
        let config = TrackerConfig::default();
        config.validate().unwrap();
        let names: Vec<String> = config.windows.iter().map(WindowSpec::name).collect();
        assert_eq!(names, ["5m", "1h", "24h"]);
        assert_eq!(config.windows[0].bucket_width(), 5_000);
    }

    #[test]
    fn rejects_each_broken_limit() {
        let with_windows = |windows: Vec<WindowSpec>| TrackerConfig {
            windows,
            ..TrackerConfig::default()
        };
        assert!(with_windows(vec![]).validate().is_err());
        assert!(with_windows(vec![WindowSpec::sliding(999)])
            .validate()
            .is_err());
        assert!(with_windows(vec![WindowSpec::sliding(MAX_WINDOW_MS + 1)])
            .validate()
            .is_err());
        assert!(with_windows(vec![
            WindowSpec::sliding(60_000),
            WindowSpec::sliding(60_000)
        ])
        .validate()
        .is_err());
        assert!(
            with_windows((1..=17).map(|m| WindowSpec::sliding(m * 60_000)).collect())
                .validate()
                .is_err()
        );
        let daily = |zone: &str, days| TrackerConfig {
            daily: Some(DailySpec {
                zone: zone.to_string(),
                days,
                lateness: 600_000,
            }),
            ..TrackerConfig::default()
        };
        assert!(daily("Europe/Berlin", MAX_DAYS).validate().is_ok());
        assert!(daily("Mars/Olympus", 7).validate().is_err());
        assert!(daily("UTC", MAX_DAYS + 1).validate().is_err());
        for capacity in [99, MAX_CAPACITY + 1] {
            let config = TrackerConfig {
                mode: Mode::Approx { capacity },
                ..TrackerConfig::default()
            };
            assert!(config.validate().is_err(), "capacity {capacity}");
        }
        for k in [0, MAX_K + 1] {
            let config = TrackerConfig {
                k,
                ..TrackerConfig::default()
            };
            assert!(config.validate().is_err());
        }
    }

    #[test]
    fn bucket_width_is_at_most_a_sixtieth() {
        for length in [1_000, 59_999, 300_000, 86_400_000, MAX_WINDOW_MS] {
            let g = WindowSpec::sliding(length).bucket_width();
            assert!(g >= 1 && g * 60 <= length, "{length} -> {g}");
        }
    }
}

//! The tracker: one key's worth of state. It owns the configuration, the clock T, the
//! interned items, one [`Window`] per configured window and the event counters. Writes
//! (`ingest`, `advance`) judge events in order against the clock as SPEC.md defines it and
//! are all-or-nothing: everything that can fail is checked before anything is applied. Reads
//! (`query`, `count`, `info`) take the clock value to answer at and never mutate.

use crate::config::{ClockMode, TrackerConfig};
use crate::error::{CoreError, CoreResult};
use crate::event::{Event, IngestOutcome};
use crate::intern::Interner;
use crate::limits::{MAX_COUNT, MAX_TIMESTAMP};
use crate::window::{Verdict, Window};

/// Lifetime counters reported by `TOPK.INFO`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    pub accepted: u64,
    pub duplicate: u64,
    pub late: u64,
    pub future: u64,
    pub dropped: u64,
    /// Sum of the counts of all accepted events: a bound on every count and total, so an
    /// increment that could pass 2^63 - 1 is refused before anything is applied.
    pub volume: u64,
}

/// Which window a read is about, resolved from the user's duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryWindow {
    /// A configured window, by index.
    Configured(usize),
    /// Another duration, answered from the buckets of the longest window (by index).
    Derived { window: usize, span: u64 },
}

/// Per-window facts for `TOPK.INFO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowInfo {
    pub name: String,
    pub length: u64,
    pub bucket: u64,
    pub lateness: u64,
}

/// A tracker's state.
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    clock: i64,
    interner: Interner,
    windows: Vec<Window>,
    stats: Stats,
}

impl Tracker {
    /// An empty tracker; the configuration must be valid.
    pub fn new(config: TrackerConfig) -> CoreResult<Self> {
        config.validate()?;
        let windows = config
            .windows
            .iter()
            .map(|&spec| Window::new(spec, config.k))
            .collect();
        Ok(Tracker {
            config,
            clock: 0,
            interner: Interner::default(),
            windows,
            stats: Stats::default(),
        })
    }

    /// Reassembles a tracker from decoded parts (see `encoding`), checked by the caller.
    pub(crate) fn from_parts(
        config: TrackerConfig,
        clock: i64,
        interner: Interner,
        windows: Vec<Window>,
        stats: Stats,
    ) -> Self {
        Tracker {
            config,
            clock,
            interner,
            windows,
            stats,
        }
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn interner(&self) -> &Interner {
        &self.interner
    }

    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// The stored clock: latest accepted event, ADVANCE, or server time seen by a write.
    pub fn stored_clock(&self) -> i64 {
        self.clock
    }

    /// The clock T at server time `now`.
    pub fn clock_at(&self, now: i64) -> i64 {
        match self.config.clock {
            ClockMode::Server => self.clock.max(now),
            ClockMode::Event => self.clock,
        }
    }

    /// Judges and applies a batch of events in order, at server time `now` (the master's,
    /// when replicated). Nothing is applied if the batch is refused.
    pub fn ingest(&mut self, events: &[Event<'_>], now: i64) -> CoreResult<IngestOutcome> {
        self.check_batch(events)?;
        self.move_clock(self.clock_at(now));
        let mut outcome = IngestOutcome::default();
        let mut verdicts = Vec::with_capacity(self.windows.len());
        for event in events {
            if self.config.clock == ClockMode::Server
                && event.ts > now.saturating_add(self.config.future as i64)
            {
                outcome.future += 1;
                outcome.dropped += 1;
                continue;
            }
            verdicts.clear();
            verdicts.extend(self.windows.iter().map(|w| w.judge(event.ts, self.clock)));
            if verdicts.contains(&Verdict::Late) {
                outcome.late += 1;
            }
            if !verdicts.contains(&Verdict::Counted) {
                outcome.dropped += 1;
                continue;
            }
            outcome.accepted += 1;
            self.stats.volume = self.stats.volume.saturating_add(event.count);
            self.move_clock(event.ts);
            let id = self.interner.intern(event.item);
            for (window, verdict) in self.windows.iter_mut().zip(&verdicts) {
                if *verdict == Verdict::Counted {
                    window.add(event.ts, id, event.count, &mut self.interner);
                }
            }
        }
        self.stats.accepted += outcome.accepted;
        self.stats.duplicate += outcome.duplicates;
        self.stats.late += outcome.late;
        self.stats.future += outcome.future;
        self.stats.dropped += outcome.dropped;
        Ok(outcome)
    }

    /// Moves the clock to `to` as if time had passed without events (never backwards), at
    /// server time `now`. Returns T afterwards.
    pub fn advance(&mut self, to: i64, now: i64) -> i64 {
        self.move_clock(self.clock_at(now).max(to));
        self.clock
    }

    /// Resolves a duration (ms) or the all-time window (`None`) to a window to read.
    pub fn resolve_window(&self, length: Option<u64>) -> CoreResult<QueryWindow> {
        let position = |wanted: u64| self.config.windows.iter().position(|w| w.length == wanted);
        match length {
            None => position(0).map(QueryWindow::Configured).ok_or_else(|| {
                CoreError::new("this tracker has no window 'all' (create it with WINDOW all)")
            }),
            Some(0) => Err(CoreError::new("a window must be longer than 0ms")),
            Some(span) => {
                if let Some(index) = position(span) {
                    return Ok(QueryWindow::Configured(index));
                }
                match self.config.longest_sliding() {
                    Some((window, longest)) if span <= longest.length => {
                        Ok(QueryWindow::Derived { window, span })
                    }
                    Some((_, longest)) => Err(CoreError::new(format!(
                        "window {} is longer than this tracker's longest window {}",
                        crate::duration::canonical_name(span),
                        longest.name()
                    ))),
                    None => Err(CoreError::new("this tracker has no sliding window")),
                }
            }
        }
    }

    /// The top `k` items of a window at server time `now`, most frequent first, ties by
    /// bytes ascending. `k` must be from 1 to K.
    pub fn query(&self, window: QueryWindow, k: usize, now: i64) -> CoreResult<Vec<(&[u8], u64)>> {
        self.check_k(k)?;
        let t = self.clock_at(now);
        let (index, span) = self.span_of(window);
        let window = self.windows.get(index).ok_or_else(Self::no_such_window)?;
        Ok(window
            .top_k(&self.interner, span, t, k)
            .into_iter()
            .map(|(id, count)| (self.interner.bytes(id), count))
            .collect())
    }

    /// The count of each item in a window at server time `now` (0 if unseen).
    pub fn count(&self, window: QueryWindow, items: &[&[u8]], now: i64) -> CoreResult<Vec<u64>> {
        let t = self.clock_at(now);
        let (index, span) = self.span_of(window);
        let window = self.windows.get(index).ok_or_else(Self::no_such_window)?;
        Ok(items
            .iter()
            .map(|item| {
                self.interner
                    .find(item)
                    .map_or(0, |id| window.count(id, span, t))
            })
            .collect())
    }

    /// Name, length, bucket width and lateness of each window, in configured order.
    pub fn window_info(&self) -> Vec<WindowInfo> {
        self.config
            .windows
            .iter()
            .map(|spec| WindowInfo {
                name: spec.name(),
                length: spec.length,
                bucket: spec.bucket_width(),
                lateness: spec.lateness,
            })
            .collect()
    }

    /// Distinct items currently held by any window.
    pub fn distinct_items(&self) -> usize {
        self.interner.len()
    }

    /// Approximate heap bytes of the whole tracker.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.interner.heap_bytes()
            + self.windows.iter().map(Window::heap_bytes).sum::<usize>()
    }

    /// Refuses a batch that could push a count past 2^63 - 1 or carries an out-of-range
    /// event (the module validates arguments too; the core trusts nobody).
    fn check_batch(&self, events: &[Event<'_>]) -> CoreResult<()> {
        let mut volume = self.stats.volume;
        for (i, event) in events.iter().enumerate() {
            if !(0..=MAX_TIMESTAMP).contains(&event.ts) {
                return Err(CoreError::new(format!(
                    "event {} has a timestamp out of range",
                    i + 1
                )));
            }
            if event.item.is_empty() || event.item.len() > crate::limits::MAX_ITEM_LEN {
                return Err(CoreError::new(format!(
                    "event {} has an item of 0 or more than 4096 bytes",
                    i + 1
                )));
            }
            if event.count == 0 || event.count > crate::limits::MAX_INCREMENT {
                return Err(CoreError::new(format!(
                    "event {} has an increment out of range",
                    i + 1
                )));
            }
            volume = volume.saturating_add(event.count);
            if volume > MAX_COUNT {
                return Err(CoreError::new("increment would make a count exceed 2^63-1"));
            }
        }
        Ok(())
    }

    fn check_k(&self, k: usize) -> CoreResult<()> {
        if (1..=self.config.k).contains(&k) {
            Ok(())
        } else {
            Err(CoreError::new(format!(
                "k must be from 1 to this tracker's K ({})",
                self.config.k
            )))
        }
    }

    fn span_of(&self, window: QueryWindow) -> (usize, u64) {
        match window {
            QueryWindow::Configured(index) => (
                index,
                self.config.windows.get(index).map_or(0, |w| w.length),
            ),
            QueryWindow::Derived { window, span } => (window, span),
        }
    }

    fn no_such_window() -> CoreError {
        CoreError::new("no such window")
    }

    /// Moves the stored clock forward to `t` and slides every window.
    fn move_clock(&mut self, t: i64) {
        if t <= self.clock {
            return;
        }
        self.clock = t.min(MAX_TIMESTAMP);
        for window in &mut self.windows {
            window.slide_to(self.clock, &mut self.interner);
        }
    }
}

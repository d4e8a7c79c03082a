//! The tracker: one key's worth of state. It owns the configuration, the clock T, the
//! interned items, one [`Window`] per configured window, the daily rollup, the dedupe memory
//! and the event counters. Writes
//! (`ingest`, `advance`) judge events in order against the clock as SPEC.md defines it and
//! are all-or-nothing: everything that can fail is checked before anything is applied. Reads
//! (`query`, `count`, `info`) take the clock value to answer at and never mutate.

use crate::batch::{self, Take};
use crate::bounds::Bounds;
use crate::calendar::{Day, Zone};
use crate::config::{ClockMode, Mode, TrackerConfig};
use crate::daily::{DailyRollup, DayStatus};
use crate::dedupe::Dedupe;
use crate::error::{CoreError, CoreResult};
use crate::event::{Event, IngestOutcome};
use crate::heap;
use crate::intern::{Interner, ItemId};
use crate::limits::{MAX_COUNT, MAX_TIMESTAMP};
use crate::space_saving::{Counter, SpaceSaving};
use crate::window::{self, CountedBy, Verdict, Window};
use crate::work::WorkBudget;

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

/// A day named in a query: a calendar date, or N days before today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRef {
    Date(Day),
    DaysAgo(u32),
}

/// The verdicts on the last event judged, and the event time and clock they were made at.
#[derive(Debug, Clone, Copy, Default)]
struct Judged {
    at: Option<(i64, i64)>,
    is_late: bool,
    counted_by: CountedBy,
}

/// A tracker's state.
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    clock: i64,
    interner: Interner,
    windows: Vec<Window>,
    daily: Option<DailyRollup>,
    dedupe: Option<Dedupe>,
    stats: Stats,
}

/// The parts a decoder reassembles a tracker from.
pub(crate) struct TrackerParts {
    pub config: TrackerConfig,
    pub clock: i64,
    pub interner: Interner,
    pub windows: Vec<Window>,
    pub daily: Option<DailyRollup>,
    pub dedupe: Option<Dedupe>,
    pub stats: Stats,
}

impl Tracker {
    /// An empty tracker; the configuration must be valid.
    pub fn new(config: TrackerConfig) -> CoreResult<Self> {
        config.validate()?;
        let windows = config
            .windows
            .iter()
            .zip(window::layouts(&config.windows))
            .map(|(&spec, layout)| Window::new(spec, config.mode, layout))
            .collect();
        Ok(Tracker {
            daily: Self::empty_daily(&config)?,
            dedupe: (config.dedupe > 0).then(|| Dedupe::new(config.dedupe)),
            config,
            clock: 0,
            interner: Interner::default(),
            windows,
            stats: Stats::default(),
        })
    }

    /// An empty daily rollup for `config`, if it has one.
    pub(crate) fn empty_daily(config: &TrackerConfig) -> CoreResult<Option<DailyRollup>> {
        config
            .daily
            .as_ref()
            .map(|daily| {
                let zone = Zone::parse(&daily.zone).map_err(CoreError::new)?;
                Ok(DailyRollup::new(
                    zone,
                    daily.days,
                    daily.lateness,
                    config.mode,
                ))
            })
            .transpose()
    }

    /// Reassembles a tracker from decoded parts (see `encoding`), checked by the caller.
    pub(crate) fn from_parts(parts: TrackerParts) -> Self {
        Tracker {
            config: parts.config,
            clock: parts.clock,
            interner: parts.interner,
            windows: parts.windows,
            daily: parts.daily,
            dedupe: parts.dedupe,
            stats: parts.stats,
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

    pub fn daily(&self) -> Option<&DailyRollup> {
        self.daily.as_ref()
    }

    pub fn dedupe(&self) -> Option<&Dedupe> {
        self.dedupe.as_ref()
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
    /// when replicated): the future bound, then dedupe, then each window's and the day's
    /// lateness, each against the clock left by the events before. Nothing is applied if
    /// the batch is refused.
    pub fn ingest(&mut self, events: &[Event<'_>], now: i64) -> CoreResult<IngestOutcome> {
        self.check_batch(events)?;
        let mut budget = self.work_budget(events.len());
        let mut outcome = IngestOutcome {
            finalized_days: self.move_clock(self.clock_at(now), &mut budget),
            ..IngestOutcome::default()
        };
        // Verdicts depend on the event's time and the clock only: consecutive events at the
        // same time (every event of an ADD) are judged once.
        let mut judged = Judged::default();
        let sum_runs = self.config.mode == Mode::Exact;
        for take in batch::takes(events, &mut self.interner, sum_runs).as_slice() {
            self.take(take, now, &mut judged, &mut outcome, &mut budget);
            self.interner.release(take.item);
        }
        self.clean_up(&mut budget);
        self.stats.accepted += outcome.accepted;
        self.stats.duplicate += outcome.duplicates;
        self.stats.late += outcome.late;
        self.stats.future += outcome.future;
        self.stats.dropped += outcome.dropped;
        Ok(outcome)
    }

    /// Judges an event at `ts` against the clock: whether any window or the day finds it
    /// late, and which of them count it.
    fn judge(&self, ts: i64) -> (bool, CountedBy) {
        let mut is_late = false;
        let mut counted_by = CountedBy::default();
        let verdicts = self.windows.iter().map(|w| w.judge(ts, self.clock));
        let daily = self.daily.iter().map(|daily| daily.judge(ts, self.clock));
        for (index, verdict) in verdicts.enumerate() {
            is_late |= verdict == Verdict::Late;
            counted_by.set_window(index, verdict == Verdict::Counted);
        }
        for verdict in daily {
            is_late |= verdict == Verdict::Late;
            counted_by.set_daily(verdict == Verdict::Counted);
        }
        (is_late, counted_by)
    }

    /// Takes one step of a batch (see [`batch::takes`]), an event or a run's sum for an
    /// item: the future bound, dedupe, then the verdicts of the windows and the day (reused
    /// from `judged` when its time and the clock are the same as the last step's), then the
    /// count. Every outcome counts the step's events.
    fn take(
        &mut self,
        take: &Take<'_>,
        now: i64,
        judged: &mut Judged,
        outcome: &mut IngestOutcome,
        budget: &mut WorkBudget,
    ) {
        if self.config.clock == ClockMode::Server
            && take.ts > now.saturating_add(self.config.future as i64)
        {
            outcome.future += take.events;
            outcome.dropped += take.events;
            return;
        }
        if let (Some(dedupe), Some(event_id)) = (&self.dedupe, take.id) {
            if dedupe.is_duplicate(event_id, self.clock) {
                outcome.duplicates += take.events;
                return;
            }
        }
        if judged.at != Some((take.ts, self.clock)) {
            (judged.is_late, judged.counted_by) = self.judge(take.ts);
            judged.at = Some((take.ts, self.clock));
        }
        if judged.is_late {
            outcome.late += take.events;
        }
        if judged.counted_by.is_nobody() {
            outcome.dropped += take.events;
            return;
        }
        outcome.accepted += take.events;
        self.stats.volume = self.stats.volume.saturating_add(take.count);
        let finalized = self.move_clock(take.ts, budget);
        outcome.finalized_days.extend(finalized);
        self.count_take(take, judged.counted_by);
    }

    /// Adds an accepted step to every window and day that counted it, and remembers its id.
    fn count_take(&mut self, take: &Take<'_>, counted_by: CountedBy) {
        for (index, window) in self.windows.iter_mut().enumerate() {
            if counted_by.window(index) {
                window.add(take.ts, take.item, take.count, &mut self.interner);
            }
        }
        if let Some(daily) = &mut self.daily {
            if counted_by.daily() {
                daily.add(take.ts, take.item, take.count, &mut self.interner);
            }
        }
        if let (Some(dedupe), Some(event_id)) = (&mut self.dedupe, take.id) {
            dedupe.remember(event_id, take.ts, self.clock);
        }
    }

    /// Moves the clock to `to` as if time had passed without events (never backwards), at
    /// server time `now`. Returns T afterwards and the days this finalized.
    pub fn advance(&mut self, to: i64, now: i64) -> (i64, Vec<Day>) {
        let mut budget = self.work_budget(0);
        let finalized = self.move_clock(self.clock_at(now).max(to), &mut budget);
        self.clean_up(&mut budget);
        (self.clock, finalized)
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

    /// The top `k` items of a window at server time `now`, most frequent first (by
    /// estimate), ties by bytes ascending. `k` must be from 1 to K.
    pub fn query(
        &self,
        window: QueryWindow,
        k: usize,
        now: i64,
    ) -> CoreResult<Vec<(&[u8], Bounds)>> {
        self.check_k(k)?;
        let t = self.clock_at(now);
        let (index, span) = self.span_of(window);
        let window = self.windows.get(index).ok_or_else(Self::no_such_window)?;
        Ok(window
            .top_k(&self.interner, span, t, k)
            .into_iter()
            .map(|(id, bounds)| (self.interner.bytes(id), bounds))
            .collect())
    }

    /// The count (the estimate in APPROX mode) of each item in a window at server time
    /// `now` (0 if unseen).
    pub fn count(&self, window: QueryWindow, items: &[&[u8]], now: i64) -> CoreResult<Vec<u64>> {
        let t = self.clock_at(now);
        let (index, span) = self.span_of(window);
        let window = self.windows.get(index).ok_or_else(Self::no_such_window)?;
        let ids: Vec<Option<ItemId>> = items.iter().map(|item| self.interner.find(item)).collect();
        let known: Vec<ItemId> = ids.iter().flatten().copied().collect();
        let mut counts = window.counts(&known, span, t).into_iter();
        Ok(ids
            .iter()
            .map(|id| {
                id.and_then(|_| counts.next())
                    .map_or(0, |bounds| bounds.count)
            })
            .collect())
    }

    /// A mergeable summary of a window at server time `now`: its top `n` items with their
    /// bounds, a bound on every other item, and the window's total (the basis of
    /// `TOPK.SUMMARY`; summaries of shards merge with [`SpaceSaving::merge`]).
    pub fn summary(
        &self,
        window: QueryWindow,
        n: usize,
        now: i64,
    ) -> CoreResult<SpaceSaving<Vec<u8>>> {
        self.check_k(n)?;
        let t = self.clock_at(now);
        let (index, span) = self.span_of(window);
        let window = self.windows.get(index).ok_or_else(Self::no_such_window)?;
        // Items past the n-th bound every item left out: in EXACT mode the next one does;
        // APPROX ranks by the midpoint, so every tracked item is looked at.
        let candidates = match self.config.mode {
            Mode::Exact => n + 1,
            Mode::Approx { capacity } => capacity.saturating_add(1),
        };
        let mut top = window.top_k(&self.interner, span, t, candidates);
        let left_out = top.split_off(n.min(top.len()));
        let cut = left_out.iter().map(|(_, b)| b.upper).max().unwrap_or(0);
        let counters = top
            .into_iter()
            .map(|(id, bounds)| {
                let counter = Counter {
                    count: bounds.upper,
                    error: bounds.upper.saturating_sub(bounds.lower),
                };
                (self.interner.bytes(id).to_vec(), counter)
            })
            .collect();
        let unlisted = window.unlisted(span, t).max(cut);
        Ok(SpaceSaving::from_counters(
            n,
            counters,
            unlisted,
            window.total(span, t),
        ))
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

    /// Distinct items currently held by any window or day.
    pub fn distinct_items(&self) -> usize {
        self.interner.len()
    }

    /// Approximate heap bytes of the whole tracker.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.interner.heap_bytes()
            + self.config.heap_bytes()
            + heap::buffer::<Window>(self.windows.capacity())
            + self.windows.iter().map(Window::heap_bytes).sum::<usize>()
            + self.daily.as_ref().map_or(0, DailyRollup::heap_bytes)
            + self.dedupe.as_ref().map_or(0, Dedupe::heap_bytes)
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
            if event
                .id
                .is_some_and(|id| id.is_empty() || id.len() > crate::limits::MAX_ITEM_LEN)
            {
                return Err(CoreError::new(format!(
                    "event {} has an id of 0 or more than 4096 bytes",
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

    /// The cleanup allowance of a write of `events` events (see [`WorkBudget`]).
    fn work_budget(&self, events: usize) -> WorkBudget {
        WorkBudget::for_write(events, self.windows.len() + 1)
    }

    /// Moves the stored clock forward to `t`: forgets expired ids, slides every window,
    /// finalizes and drops days; expiry and releases go as far as `budget` lets them.
    /// Returns the days finalized.
    fn move_clock(&mut self, t: i64, budget: &mut WorkBudget) -> Vec<Day> {
        if t <= self.clock {
            return Vec::new();
        }
        self.clock = t.min(MAX_TIMESTAMP);
        if let Some(dedupe) = &mut self.dedupe {
            dedupe.expire(self.clock);
        }
        for window in &mut self.windows {
            window.slide_to(self.clock, &mut self.interner, budget);
        }
        match &mut self.daily {
            Some(daily) => daily.slide_to(self.clock, &mut self.interner, budget),
            None => Vec::new(),
        }
    }

    /// Goes on with what earlier writes left of bucket expiry and of releasing dropped days'
    /// items, then with compacting buckets and moving days' records to arrays, as far as
    /// `budget` lets it (every write ends with this, whether or not it moved the clock).
    fn clean_up(&mut self, budget: &mut WorkBudget) {
        for window in &mut self.windows {
            window.slide_to(self.clock, &mut self.interner, budget);
        }
        if let Some(daily) = &mut self.daily {
            daily.release_retiring(&mut self.interner, budget);
        }
        for window in &mut self.windows {
            window.compact(budget);
        }
        if let Some(daily) = &mut self.daily {
            daily.compact(budget);
        }
    }

    fn rollup(&self) -> CoreResult<&DailyRollup> {
        self.daily.as_ref().ok_or_else(|| {
            CoreError::new("this tracker has no daily rollup (it was created with NODAILY)")
        })
    }

    /// Resolves a day reference at server time `now`; error unless the day is retained.
    pub fn resolve_day(&self, day: DayRef, now: i64) -> CoreResult<Day> {
        let rollup = self.rollup()?;
        let t = self.clock_at(now);
        let today = rollup.today(t);
        let day = match day {
            DayRef::Date(day) => day,
            DayRef::DaysAgo(n) => today.minus(n),
        };
        let oldest = rollup.oldest_retained(t);
        if day > today || day < oldest {
            return Err(CoreError::new(format!(
                "day {day} is not retained (retained days are {oldest} to {today})"
            )));
        }
        Ok(day)
    }

    /// The top `k` items of a retained day at server time `now`.
    pub fn day_top(&self, day: Day, k: usize) -> CoreResult<Vec<(&[u8], Bounds)>> {
        self.check_k(k)?;
        let rollup = self.rollup()?;
        Ok(rollup
            .day(day)
            .map(|counts| counts.top_k(&self.interner, k))
            .unwrap_or_default()
            .into_iter()
            .map(|(id, bounds)| (self.interner.bytes(id), bounds))
            .collect())
    }

    /// Retained days at server time `now`, newest first.
    pub fn day_statuses(&self, now: i64) -> CoreResult<Vec<DayStatus>> {
        Ok(self.rollup()?.statuses(self.clock_at(now)))
    }
}

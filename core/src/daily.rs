//! Per-calendar-day totals in the tracker's time zone (SPEC.md "Daily rollup"). Each day
//! with events has its [`Counts`] (exact, or bounded in APPROX mode). "Today" is the day containing the clock T; a day is
//! final once `T >= its end + lateness` and is never changed again; retained days are today,
//! every earlier day not yet final, and the `days` calendar days before today. The stored
//! state finalizes and drops days when the clock moves on a write; reads at a later clock
//! report finality from the clock alone, so they never mutate.

use std::cell::Cell;
use std::collections::BTreeMap;

use crate::calendar::{Day, Zone};
use crate::config::Mode;
use crate::counts::Counts;
use crate::heap;
use crate::intern::{Interner, ItemId};
use crate::segmented::{self, SegmentedVec};
use crate::window::Verdict;
use crate::work::WorkBudget;

/// The local day boundaries last looked up: most events fall on the same day.
#[derive(Debug, Clone, Copy)]
struct DayRange {
    start: i64,
    end: i64,
    day: Day,
}

/// One retained day as listed by `TOPK.DAYS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayStatus {
    pub day: Day,
    pub is_final: bool,
    pub total: u64,
}

/// The daily rollup of a tracker.
#[derive(Debug, Clone)]
pub struct DailyRollup {
    zone: Zone,
    days_kept: u32,
    lateness: u64,
    mode: Mode,
    days: BTreeMap<Day, Counts>,
    /// Items of dropped days still to be released, a budget's worth per write: the level
    /// lists of their tallies, which hold each item once.
    retiring: Vec<SegmentedVec<ItemId>>,
    final_through: Option<Day>,
    last_range: Cell<Option<DayRange>>,
}

impl DailyRollup {
    pub fn new(zone: Zone, days_kept: u32, lateness: u64, mode: Mode) -> Self {
        DailyRollup {
            zone,
            days_kept,
            lateness,
            mode,
            days: BTreeMap::new(),
            retiring: Vec::new(),
            final_through: None,
            last_range: Cell::new(None),
        }
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The local day containing `ts`.
    pub fn day_of(&self, ts: i64) -> Day {
        if let Some(range) = self.last_range.get() {
            if (range.start..range.end).contains(&ts) {
                return range.day;
            }
        }
        let day = self.zone.day_of(ts);
        self.last_range.set(Some(DayRange {
            start: self.zone.day_start(day),
            end: self.zone.day_end(day),
            day,
        }));
        day
    }

    /// The day containing the clock `t`.
    pub fn today(&self, t: i64) -> Day {
        self.day_of(t)
    }

    /// The newest day that is final at clock `t` (`t >= end + lateness`).
    pub fn newest_final(&self, t: i64) -> Day {
        self.day_of(t.saturating_sub(self.lateness as i64).max(0))
            .prev()
    }

    pub fn is_final(&self, day: Day, t: i64) -> bool {
        day <= self.newest_final(t)
    }

    /// The oldest retained day at clock `t`: `days` before today, or an older day that is not
    /// final yet.
    pub fn oldest_retained(&self, t: i64) -> Day {
        let by_count = self.today(t).minus(self.days_kept);
        by_count.min(self.newest_final(t).next())
    }

    /// Whether an event at `ts` counts for its day at clock `t`.
    pub fn judge(&self, ts: i64, t: i64) -> Verdict {
        let day = self.day_of(ts);
        if day < self.oldest_retained(t) || self.is_final(day, t) {
            Verdict::Late
        } else {
            Verdict::Counted
        }
    }

    /// Counts an event judged `Counted`, retaining the ids its day starts to hold.
    pub fn add(&mut self, ts: i64, id: ItemId, amount: u64, interner: &mut Interner) {
        let day = self.day_of(ts);
        let mode = self.mode;
        self.days
            .entry(day)
            .or_insert_with(|| Counts::new(mode))
            .add(id, amount, interner);
    }

    /// Finalizes and drops days as the stored clock reaches `t`, and releases the items of
    /// dropped days as far as `budget` lets it. Returns the retained days this finalized,
    /// oldest first (days dropped at once are not reported).
    pub fn slide_to(
        &mut self,
        t: i64,
        interner: &mut Interner,
        budget: &mut WorkBudget,
    ) -> Vec<Day> {
        let newest_final = self.newest_final(t);
        let oldest = self.oldest_retained(t);
        let mut finalized = Vec::new();
        let already = self.final_through.unwrap_or(Day(i32::MIN));
        if newest_final > already {
            let mut day = newest_final;
            while day > already && day >= oldest {
                finalized.push(day);
                day = day.prev();
            }
            finalized.reverse();
            self.final_through = Some(newest_final);
        }
        // Runs on every event that moves the clock: most find no day to drop.
        if self
            .days
            .first_key_value()
            .is_some_and(|(&day, _)| day < oldest)
        {
            let kept = self.days.split_off(&oldest);
            let dropped = std::mem::replace(&mut self.days, kept);
            for counts in dropped.into_values() {
                counts.retire(&mut self.retiring, interner);
            }
        }
        self.release_retiring(interner, budget);
        finalized
    }

    /// Releases items of dropped days while `budget` lasts; frees the list once empty.
    pub fn release_retiring(&mut self, interner: &mut Interner, budget: &mut WorkBudget) {
        if self.retiring.is_empty() {
            return;
        }
        while let Some(ids) = self.retiring.last_mut() {
            if ids.is_empty() {
                self.retiring.pop();
                continue;
            }
            if !budget.take() {
                return;
            }
            if let Some(id) = ids.pop() {
                interner.release(id);
            }
        }
        self.retiring = Vec::new();
    }

    /// Goes on with moving the records of days that outgrew their maps to arrays (see
    /// [`crate::records`]), as far as `budget` lets it.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        for counts in self.days.values_mut() {
            counts.compact(budget);
        }
    }

    /// Items of dropped days not released yet (each still holds one reference).
    pub fn retiring(&self) -> impl Iterator<Item = ItemId> + '_ {
        self.retiring.iter().flat_map(|ids| ids.iter().copied())
    }

    /// The counts of a day, if it has events.
    pub fn day(&self, day: Day) -> Option<&Counts> {
        self.days.get(&day)
    }

    /// Retained days at clock `t`, newest first.
    pub fn statuses(&self, t: i64) -> Vec<DayStatus> {
        let mut statuses = Vec::new();
        let mut day = self.today(t);
        let oldest = self.oldest_retained(t);
        while day >= oldest {
            statuses.push(DayStatus {
                day,
                is_final: self.is_final(day, t),
                total: self.days.get(&day).map_or(0, Counts::total),
            });
            day = day.prev();
        }
        statuses
    }

    /// Days with events and the stored finalization mark, for encoding.
    pub fn stored_days(&self) -> impl Iterator<Item = (Day, &Counts)> {
        self.days.iter().map(|(&day, counts)| (day, counts))
    }

    pub fn final_through(&self) -> Option<Day> {
        self.final_through
    }

    /// Restores a rollup from its encoding.
    pub fn restore(mut self, final_through: Option<Day>, days: BTreeMap<Day, Counts>) -> Self {
        self.final_through = final_through;
        self.days = days;
        self
    }

    pub fn heap_bytes(&self) -> usize {
        self.zone.heap_bytes()
            + heap::btree_map::<Day, Counts>(self.days.len())
            + segmented::heap_bytes_of_lists(&self.retiring)
            + self.days.values().map(Counts::heap_bytes).sum::<usize>()
    }
}

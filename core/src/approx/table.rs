//! The bounded counter table of `MODE APPROX`: at most `capacity` tracked items, each with
//! exact per-column counts since it was admitted (a column is one bucket of a sliding
//! window; days and the all-time window have a single column), plus errors bounding what it
//! may have had before admission. Columns form error groups of a sixteenth of the window.
//! When the table is full, an untracked item first makes room by evicting the eighth of the
//! table with the smallest upper bounds (Space-Saving, evicting in batches so that one
//! selection pays for many admissions), and every evicted item's upper bounds raise
//! `unlisted`: for each live group `g`, the most any untracked item can have from the first
//! live column of `g` to `newest` (non-increasing in `g`). Ties between equal upper bounds go
//! by admission order, so which items a full table evicts depends only on its contents.
//!
//! A newly admitted item's error is the `unlisted` profile at that moment, kept per group:
//! group `g` holds `unlisted[g] - unlisted[g + 1]`; items admitted between two evictions
//! share one stored profile ([`ErrorProfiles`]). When a group's columns expire, its error
//! goes with it, so errors shrink as the window slides instead of being carried forward by
//! every re-admission. Because tracked counts are exact per column, expiry subtracts
//! exactly; items heavy enough to stay tracked for a whole window have exact counts, and
//! until the first eviction everything is exact. Bounds hold for any span ending at
//! `newest`: `lower = counts in the span <= true <= lower + errors of the groups it touches`.

use std::collections::{HashMap, VecDeque};

use ahash::RandomState;

use super::profiles::{ErrorProfiles, NO_ERRORS};
use super::slot_index::SlotIndex;
use crate::bounds::Bounds;
use crate::heap;
use crate::intern::{Interner, ItemId};
use crate::tally::select_top;

/// Error groups per window: a group spans `ceil(columns / ERROR_GROUPS)` columns.
const ERROR_GROUPS: usize = 16;

/// The most error groups live at once: the columns of a window touch one more group than
/// they fill.
pub(super) const MAX_LIVE_GROUPS: usize = ERROR_GROUPS + 1;

/// A full table evicts `capacity / PURGE_FRACTION` items (at least one) at once.
const PURGE_FRACTION: usize = 8;

/// The sequence number of a free slot (live ones are below `next_seq`, so never this).
const FREE: u64 = u64::MAX;

/// Column positions a slot's [`Slot::counted`] mask covers: every window's columns, except
/// those shorter than 2 minutes whose buckets are a millisecond or two wide.
const MASKED_COLUMNS: usize = 64;

/// A tracked item: 32 bytes, two to a cache line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    id: ItemId,
    /// Its errors, shared with the items admitted along with it.
    profile: u32,
    /// Admission order: breaks ties between equal upper bounds, for deterministic eviction.
    seq: u64,
    /// Sum of its live columns.
    total: u64,
    /// Bit `i` is set when the count at column position `i` may be nonzero, so an eviction
    /// reads only those cells (see [`MASKED_COLUMNS`]).
    counted: u64,
}

/// The bit of column position `index` in [`Slot::counted`] (0 past the masked columns).
fn column_bit(index: usize) -> u64 {
    u32::try_from(index)
        .ok()
        .and_then(|shift| 1u64.checked_shl(shift))
        .unwrap_or(0)
}

impl Slot {
    fn upper(&self, profiles: &ErrorProfiles) -> u64 {
        self.total.saturating_add(profiles.sum(self.profile))
    }

    fn is_free(&self) -> bool {
        self.seq == FREE
    }
}

/// One tracked item as encoded: counts per live column and errors per live group, oldest
/// first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotState {
    pub id: ItemId,
    pub seq: u64,
    pub counts: Vec<u64>,
    pub errors: Vec<u64>,
}

/// The decoded state of a table, checked by [`ApproxTable::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableState {
    pub first: i64,
    pub newest: i64,
    pub next_seq: u64,
    /// Per live column, oldest first: the bound of the column's group.
    pub unlisted: Vec<u64>,
    /// Per live column, oldest first: the sum of every amount counted there.
    pub column_totals: Vec<u64>,
    pub slots: Vec<SlotState>,
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ApproxTable {
    capacity: usize,
    columns: usize,
    /// Columns per error group.
    group_width: i64,
    first: i64,
    newest: i64,
    next_seq: u64,
    /// Live and free slots; free ones are listed in `free` and reused first.
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// A row per column position (the column's absolute index modulo `columns`), `stride`
    /// slots wide: most events land in the newest column, whose row stays in cache.
    counts: Vec<u64>,
    /// Slots per row of `counts`: doubles as the table fills, up to the capacity.
    stride: usize,
    /// The errors of the tracked items, in a ring of as many groups as can be live at once.
    profiles: ErrorProfiles,
    slot_of: SlotIndex,
    /// Per live group, oldest first (at most `MAX_LIVE_GROUPS`).
    unlisted: Vec<u64>,
    column_totals: VecDeque<u64>,
    /// Per live column of a sliding window, the slots that counted something there
    /// (possibly twice, possibly since evicted): expiry visits only these. Single-column
    /// tables (days, all-time) never expire a column and keep none.
    touched: VecDeque<Vec<u32>>,
}

impl ApproxTable {
    /// An empty table of at most `capacity` items over up to `columns` live columns,
    /// starting with the single live column `start`.
    pub fn new(capacity: usize, columns: usize, start: i64) -> Self {
        let columns = columns.max(1);
        let group_width = columns.div_ceil(ERROR_GROUPS);
        ApproxTable {
            capacity: capacity.max(1),
            columns,
            group_width: group_width as i64,
            first: start,
            newest: start,
            next_seq: 0,
            slots: Vec::new(),
            free: Vec::new(),
            counts: Vec::new(),
            stride: 0,
            profiles: ErrorProfiles::new(columns.div_ceil(group_width) + 1),
            slot_of: SlotIndex::default(),
            unlisted: vec![0],
            column_totals: VecDeque::from([0]),
            touched: VecDeque::from([Vec::new()]),
        }
    }

    pub fn first(&self) -> i64 {
        self.first
    }

    pub fn newest(&self) -> i64 {
        self.newest
    }

    /// Items tracked.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sum of every amount counted in columns `from..=newest` (exact).
    pub fn total(&self, from: i64) -> u64 {
        self.column_totals
            .iter()
            .skip(self.offset(from))
            .fold(0u64, |sum, &total| sum.saturating_add(total))
    }

    /// The most an untracked item can have in columns `from..=newest`.
    pub fn unlisted(&self, from: i64) -> u64 {
        if from > self.newest {
            return 0;
        }
        let group = self.group(from.max(self.first)) - self.group(self.first);
        self.unlisted.get(group as usize).copied().unwrap_or(0)
    }

    /// Counts `amount` of `id` in `column` (ignored outside the live columns), admitting the
    /// item if untracked; the table retains and releases ids in `interner`.
    pub fn add(&mut self, column: i64, id: ItemId, amount: u64, interner: &mut Interner) {
        if column < self.first || column > self.newest {
            return;
        }
        // A full table always frees a slot, so every amount reaches the column total and a
        // tracked item together.
        let Some(slot) = self.slot_of.get(id).or_else(|| self.admit(id, interner)) else {
            return;
        };
        let offset = self.offset(column);
        if let Some(total) = self.column_totals.get_mut(offset) {
            *total = total.saturating_add(amount);
        }
        let position = self.position(column);
        let row = position * self.stride;
        if let Some(count) = self.counts.get_mut(row + slot as usize) {
            let first_in_column = *count == 0;
            *count = count.saturating_add(amount);
            if first_in_column && self.columns > 1 {
                self.note_touched(offset, slot, row);
            }
        }
        let bit = column_bit(position);
        if let Some(tracked) = self.slots.get_mut(slot as usize) {
            tracked.total = tracked.total.saturating_add(amount);
            tracked.counted |= bit;
        }
    }

    /// Moves the live columns to `first..=newest` (never backwards): expired columns are
    /// subtracted, error groups whose columns all expired dropped, and items left with
    /// nothing released.
    pub fn slide_to(&mut self, first: i64, newest: i64, interner: &mut Interner) {
        let first = first.max(self.first);
        let newest = newest.max(self.newest).max(first);
        if first > self.newest {
            self.clear(first, interner);
        } else if first > self.first {
            let mut shrunk = Vec::new();
            for column in self.first..first {
                let bit = column_bit(self.position(column));
                let touched = self.touched.pop_front().unwrap_or_default();
                for &slot in &touched {
                    let cell = self.cell(slot, column);
                    let expired = self.counts.get_mut(cell).map_or(0, std::mem::take);
                    if let Some(tracked) = self.slots.get_mut(slot as usize) {
                        tracked.counted &= !bit;
                        if expired > 0 {
                            tracked.total = tracked.total.saturating_sub(expired);
                            shrunk.push(slot);
                        }
                    }
                }
                self.column_totals.pop_front();
            }
            // Items left with nothing are the shrunk ones, and, when a profile's errors all
            // expired, possibly any item with that profile.
            let mut errors_emptied = false;
            for group in self.group(self.first)..self.group(first) {
                self.unlisted.remove(0);
                errors_emptied |= self.profiles.expire(group);
            }
            self.first = first;
            if errors_emptied {
                for slot in 0..self.slots.len() as u32 {
                    self.free_if_empty(slot, interner);
                }
            } else {
                for slot in shrunk {
                    self.free_if_empty(slot, interner);
                }
            }
        }
        while self.newest < newest {
            self.newest += 1;
            if self.group(self.newest) > self.group(self.newest - 1) {
                self.unlisted.push(0);
            }
            self.column_totals.push_back(0);
            self.touched.push_back(Vec::new());
        }
    }

    /// Bounds of `id` over columns `from..=newest`.
    pub fn bounds(&self, id: ItemId, from: i64) -> Bounds {
        match self.slot_of.get(id) {
            Some(slot) => self.slot_bounds(slot, from),
            None => Bounds::between(0, 0),
        }
    }

    /// The best `k` tracked items over columns `from..=newest` by estimate, ties by bytes.
    pub fn top_k(&self, interner: &Interner, from: i64, k: usize) -> Vec<(ItemId, Bounds)> {
        let estimates: Vec<(ItemId, u64)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, tracked)| !tracked.is_free())
            .map(|(slot, tracked)| (tracked.id, self.slot_bounds(slot as u32, from).count))
            .filter(|&(_, estimate)| estimate > 0)
            .collect();
        select_top(interner, estimates, k)
            .into_iter()
            .map(|(id, _)| (id, self.bounds(id, from)))
            .collect()
    }

    /// The whole state, for encoding and digests.
    pub fn state(&self) -> TableState {
        let groups = self.group(self.first)..=self.group(self.newest);
        TableState {
            first: self.first,
            newest: self.newest,
            next_seq: self.next_seq,
            unlisted: (self.first..=self.newest)
                .map(|column| self.unlisted(column))
                .collect(),
            column_totals: self.column_totals.iter().copied().collect(),
            slots: self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, tracked)| !tracked.is_free())
                .map(|(slot, tracked)| {
                    let slot = slot as u32;
                    let count = |column| self.counts.get(self.cell(slot, column)).copied();
                    let error = |group| self.profiles.error(tracked.profile, group);
                    SlotState {
                        id: tracked.id,
                        seq: tracked.seq,
                        counts: (self.first..=self.newest)
                            .map(|c| count(c).unwrap_or(0))
                            .collect(),
                        errors: groups.clone().map(error).collect(),
                    }
                })
                .collect(),
        }
    }

    /// Rebuilds a table from a decoded state, retaining its ids in `interner`. The caller
    /// has checked the column range against the clock; this checks the rest and names what
    /// is wrong.
    pub fn restore(
        capacity: usize,
        columns: usize,
        state: TableState,
        interner: &mut Interner,
    ) -> Result<Self, &'static str> {
        let mut table = ApproxTable::new(capacity, columns, state.first);
        let live = usize::try_from(state.newest.saturating_sub(state.first))
            .ok()
            .and_then(|span| span.checked_add(1))
            .filter(|&live| live <= table.columns && state.first <= state.newest)
            .ok_or("approximate table columns out of range")?;
        if state.unlisted.len() != live || state.column_totals.len() != live {
            return Err("approximate table column count mismatch");
        }
        if state.slots.len() > table.capacity {
            return Err("approximate table holds more items than its capacity");
        }
        table.newest = state.newest;
        table.next_seq = state.next_seq;
        if state.unlisted.windows(2).any(|pair| pair[0] < pair[1]) {
            return Err("approximate table unlisted bounds grow toward newer columns");
        }
        table.unlisted = (table.group(table.first)..=table.group(table.newest))
            .map(|group| {
                let start = (group * table.group_width).max(table.first);
                state
                    .unlisted
                    .get(table.offset(start))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        table.column_totals = state.column_totals.into();
        table.touched = (0..live).map(|_| Vec::new()).collect();
        let live_groups = table.group(table.first)..=table.group(table.newest);
        let group_count = live_groups.clone().count();
        table.stride = state.slots.len();
        table.counts = vec![0; table.stride * table.columns];
        let mut shared: HashMap<Vec<u64>, u32, RandomState> = HashMap::default();
        for (slot, encoded) in state.slots.into_iter().enumerate() {
            let slot_number = slot as u32;
            if encoded.seq >= table.next_seq
                || encoded.counts.len() != live
                || encoded.errors.len() != group_count
            {
                return Err("approximate table item out of range");
            }
            if interner.bytes(encoded.id).is_empty()
                || !table.slot_of.insert(encoded.id, slot_number)
            {
                return Err("approximate table item unknown or repeated");
            }
            interner.retain(encoded.id);
            let mut total = 0u64;
            let mut counted = 0;
            for (offset, count) in encoded.counts.into_iter().enumerate() {
                total = total.saturating_add(count);
                let column = table.first + offset as i64;
                let cell = table.cell(slot_number, column);
                if let Some(stored) = table.counts.get_mut(cell) {
                    *stored = count;
                }
                if count > 0 {
                    counted |= column_bit(table.position(column));
                }
                let listed = count > 0 && table.columns > 1;
                if let (true, Some(touched)) = (listed, table.touched.get_mut(offset)) {
                    touched.push(slot_number);
                }
            }
            let profile = match shared.get(&encoded.errors) {
                Some(&profile) => {
                    table.profiles.retain(profile);
                    profile
                }
                None => {
                    let groups = live_groups.clone().zip(encoded.errors.iter().copied());
                    let profile = table.profiles.insert_groups(groups);
                    if profile != NO_ERRORS {
                        shared.insert(encoded.errors, profile);
                    }
                    profile
                }
            };
            if total == 0 && table.profiles.sum(profile) == 0 {
                return Err("approximate table item with nothing counted");
            }
            table.slots.push(Slot {
                id: encoded.id,
                seq: encoded.seq,
                total,
                profile,
                counted,
            });
        }
        for (offset, &total) in table.column_totals.iter().enumerate() {
            let column = table.first + offset as i64;
            let tracked = table
                .slots
                .iter()
                .enumerate()
                .filter_map(|(slot, _)| table.counts.get(table.cell(slot as u32, column)))
                .fold(0u64, |sum, &count| sum.saturating_add(count));
            if tracked > total {
                return Err("approximate table counts exceed their column total");
            }
        }
        Ok(table)
    }

    pub fn heap_bytes(&self) -> usize {
        let touched: usize = self
            .touched
            .iter()
            .map(|t| heap::buffer::<u32>(t.capacity()))
            .sum();
        touched
            + heap::buffer::<Vec<u32>>(self.touched.capacity())
            + heap::buffer::<u32>(self.free.capacity())
            + heap::buffer::<Slot>(self.slots.capacity())
            + heap::buffer::<u64>(self.counts.capacity())
            + self.profiles.heap_bytes()
            + self.slot_of.heap_bytes()
            + heap::buffer::<u64>(self.unlisted.capacity())
            + heap::buffer::<u64>(self.column_totals.capacity())
    }

    /// Releases every tracked id (the table is being dropped with its day or tracker).
    pub fn release_all(&self, interner: &mut Interner) {
        for tracked in self.slots.iter().filter(|tracked| !tracked.is_free()) {
            interner.release(tracked.id);
        }
    }

    /// The offset of `column` (at least `first`) in the per-column deques.
    fn offset(&self, column: i64) -> usize {
        usize::try_from(column.saturating_sub(self.first)).unwrap_or(0)
    }

    fn group(&self, column: i64) -> i64 {
        column.div_euclid(self.group_width)
    }

    /// The row of `column` in `counts`.
    fn position(&self, column: i64) -> usize {
        column.rem_euclid(self.columns as i64) as usize
    }

    fn cell(&self, slot: u32, column: i64) -> usize {
        self.position(column) * self.stride + slot as usize
    }

    fn slot_bounds(&self, slot: u32, from: i64) -> Bounds {
        let Some(tracked) = self.slots.get(slot as usize) else {
            return Bounds::between(0, 0);
        };
        if from <= self.first {
            return Bounds::between(tracked.total, tracked.upper(&self.profiles));
        }
        let lower = (from..=self.newest)
            .filter_map(|column| self.counts.get(self.cell(slot, column)))
            .fold(0u64, |sum, &count| sum.saturating_add(count));
        let error = (self.group(from)..=self.group(self.newest))
            .map(|group| self.profiles.error(tracked.profile, group))
            .fold(0u64, u64::saturating_add);
        Bounds::between(lower, lower.saturating_add(error))
    }

    /// Makes room for `id` (purging the smallest upper bounds when full) and tracks it with
    /// the current `unlisted` profile as its errors.
    fn admit(&mut self, id: ItemId, interner: &mut Interner) -> Option<u32> {
        let slot = if let Some(slot) = self.free.pop() {
            slot
        } else if self.slots.len() < self.capacity {
            self.slots.push(Slot {
                id,
                seq: FREE,
                total: 0,
                profile: NO_ERRORS,
                counted: 0,
            });
            self.widen_rows(self.slots.len());
            (self.slots.len() - 1) as u32
        } else {
            self.purge(interner);
            self.free.pop()?
        };
        let profile = self
            .profiles
            .acquire_current(&self.unlisted, self.group(self.first));
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(tracked) = self.slots.get_mut(slot as usize) {
            *tracked = Slot {
                id,
                seq,
                total: 0,
                profile,
                counted: 0,
            };
        }
        self.slot_of.insert(id, slot);
        interner.retain(id);
        Some(slot)
    }

    /// Evicts the `capacity / PURGE_FRACTION` items (at least one) with the smallest
    /// `(upper, admission)` keys, freeing their slots: a selection over a copy of the upper
    /// bounds finds the batch's largest, and ties at it go by admission order.
    fn purge(&mut self, interner: &mut Interner) {
        let uppers: Vec<u64> = self
            .slots
            .iter()
            .map(|tracked| match tracked.is_free() {
                true => u64::MAX,
                false => tracked.upper(&self.profiles),
            })
            .collect();
        let live = self.len();
        if live == 0 {
            return;
        }
        let batch = (self.capacity / PURGE_FRACTION).clamp(1, live);
        let mut order = uppers.clone();
        let (_, &mut cut, _) = order.select_nth_unstable(batch - 1);
        let mut victims = Vec::with_capacity(batch);
        let mut tied = Vec::new();
        for ((slot, &upper), tracked) in uppers.iter().enumerate().zip(&self.slots) {
            if upper < cut {
                victims.push(slot as u32);
            } else if upper == cut && !tracked.is_free() {
                tied.push((tracked.seq, slot as u32));
            }
        }
        let wanted = batch.saturating_sub(victims.len());
        if wanted < tied.len() {
            tied.select_nth_unstable(wanted);
        }
        victims.extend(tied.iter().take(wanted).map(|&(_, slot)| slot));
        let mut evicted: Vec<ItemId> = victims
            .into_iter()
            .filter_map(|slot| self.evict(slot))
            .collect();
        // In id order, the lookups in `slot_of` and the interner walk memory forward.
        evicted.sort_unstable();
        for id in evicted {
            self.slot_of.remove(id);
            interner.release(id);
        }
    }

    /// Frees `slot`, first raising `unlisted` by its item's upper bound per suffix (the
    /// suffix from group `g` holds its counts in `g` and every later group, and their
    /// errors). Returns the item, for the caller to drop from `slot_of` and release.
    fn evict(&mut self, slot: u32) -> Option<ItemId> {
        let &victim = self.slots.get(slot as usize)?;
        // Divisions are hoisted out of the loops: this runs once per admission to a full
        // table. Column `first + offset` lies in live group `(offset + into_group) / width`.
        let mut group_counts = [0u64; MAX_LIVE_GROUPS];
        let live = self.offset(self.newest) + 1;
        let first_position = self.position(self.first);
        let width = self.group_width.max(1) as usize;
        let into_group = self.first.rem_euclid(self.group_width.max(1)) as usize;
        let mut take = |table: &mut Self, offset: usize, position: usize| {
            let cell = position * table.stride + slot as usize;
            let count = table.counts.get_mut(cell).map_or(0, std::mem::take);
            if let Some(sum) = group_counts.get_mut((offset + into_group) / width) {
                *sum = sum.saturating_add(count);
            }
        };
        if self.columns <= MASKED_COLUMNS {
            let mut mask = victim.counted;
            while mask != 0 {
                let position = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                let offset = match position.checked_sub(first_position) {
                    Some(offset) => offset,
                    None => position + self.columns - first_position,
                };
                if offset < live {
                    take(self, offset, position);
                }
            }
        } else {
            for offset in 0..live {
                take(self, offset, (first_position + offset) % self.columns);
            }
        }
        let errors = self
            .profiles
            .live_errors(victim.profile, self.group(self.first));
        let mut suffix = 0u64;
        let mut raised = false;
        for offset in (0..self.unlisted.len()).rev() {
            let error = errors.get(offset).copied().unwrap_or(0);
            let counted = group_counts.get(offset).copied().unwrap_or(0);
            suffix = suffix.saturating_add(counted).saturating_add(error);
            if let Some(bound) = self.unlisted.get_mut(offset) {
                if suffix > *bound {
                    *bound = suffix;
                    raised = true;
                }
            }
        }
        if raised {
            self.profiles.forget_current();
        }
        self.free_slot(slot);
        Some(victim.id)
    }

    /// Frees `slot` (its counts are already zero) and lets go of its errors.
    fn free_slot(&mut self, slot: u32) {
        if let Some(freed) = self.slots.get_mut(slot as usize) {
            self.profiles.release(freed.profile);
            freed.profile = NO_ERRORS;
            freed.seq = FREE;
        }
        self.free.push(slot);
    }

    /// Makes the rows of `counts` at least `slots` wide, doubling up to the capacity.
    fn widen_rows(&mut self, slots: usize) {
        if slots <= self.stride {
            return;
        }
        let stride = slots
            .next_power_of_two()
            .max(16)
            .min(self.capacity)
            .max(slots);
        let mut counts = vec![0; stride * self.columns];
        for (old, new) in self
            .counts
            .chunks(self.stride.max(1))
            .zip(counts.chunks_mut(stride))
        {
            if let Some(prefix) = new.get_mut(..old.len()) {
                prefix.copy_from_slice(old);
            }
        }
        self.counts = counts;
        self.stride = stride;
    }

    /// Lists `slot` as counted in the column at `offset`, whose counts start at `row`. A
    /// full list (slots evicted and counted again leave stale entries) is first cut to the
    /// slots counted there now, and sized to twice that plus 32, so lists stay within twice
    /// the counted cells.
    fn note_touched(&mut self, offset: usize, slot: u32, row: usize) {
        let counts = &self.counts;
        let Some(touched) = self.touched.get_mut(offset) else {
            return;
        };
        if touched.len() == touched.capacity() {
            touched.retain(|&s| counts.get(row + s as usize).is_some_and(|&c| c > 0));
            touched.sort_unstable();
            touched.dedup();
            let target = 2 * touched.len() + 32;
            if touched.capacity() > target {
                touched.shrink_to(target);
            } else {
                touched.reserve_exact(target - touched.len());
            }
        }
        touched.push(slot);
    }

    /// Frees `slot` if expiry left it with nothing counted and no error.
    fn free_if_empty(&mut self, slot: u32, interner: &mut Interner) {
        if let Some(&tracked) = self.slots.get(slot as usize) {
            if !tracked.is_free() && tracked.upper(&self.profiles) == 0 {
                self.free_slot(slot);
                self.slot_of.remove(tracked.id);
                interner.release(tracked.id);
            }
        }
    }

    /// Forgets everything: every live column expired at once.
    fn clear(&mut self, first: i64, interner: &mut Interner) {
        self.release_all(interner);
        self.slots.clear();
        self.free.clear();
        self.counts.clear();
        self.stride = 0;
        self.profiles.clear();
        self.slot_of.clear();
        self.first = first;
        self.newest = first;
        self.unlisted = vec![0];
        self.column_totals = VecDeque::from([0]);
        self.touched = VecDeque::from([Vec::new()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One step of a random stream: add `amount` of `item` to a live column `back` columns
    /// before the newest, or slide the window `by` columns.
    #[derive(Debug, Clone)]
    enum Step {
        Add { item: u8, back: u8, amount: u64 },
        Slide { by: u8 },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u8..40, 0u8..45, 1u64..6)
                .prop_map(|(item, back, amount)| Step::Add {
                    // Skewed towards small items, 0 to 38.
                    item: (u16::from(item) * u16::from(item) / 40) as u8,
                    back,
                    amount,
                }),
            1 => (0u8..6).prop_map(|by| Step::Slide { by }),
        ]
    }

    /// Every bound the table reports, for every span, against the exact per-column counts.
    fn assert_bounds(table: &ApproxTable, interner: &Interner, truth: &HashMap<(u8, i64), u64>) {
        for from in table.first()..=table.newest() {
            for item in 0u8..40 {
                let exact: u64 = truth
                    .iter()
                    .filter(|((i, column), _)| *i == item && *column >= from)
                    .map(|(_, count)| count)
                    .sum();
                match interner.find(&[item]) {
                    Some(id) if table.slot_of.get(id).is_some() => {
                        let bounds = table.bounds(id, from);
                        prop_assert_bounds(bounds, exact, item, from);
                    }
                    _ => assert!(
                        exact <= table.unlisted(from),
                        "unlisted {item} from {from}: {exact} > {}",
                        table.unlisted(from)
                    ),
                }
            }
        }
    }

    fn prop_assert_bounds(bounds: Bounds, exact: u64, item: u8, from: i64) {
        assert!(
            bounds.lower <= exact && exact <= bounds.upper,
            "item {item} from column {from}: {exact} outside {bounds:?}"
        );
    }

    #[test]
    fn slots_fill_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<Slot>(), 32);
    }

    proptest! {
        #[test]
        fn bounds_hold_for_every_span(
            steps in prop::collection::vec(step(), 1..300),
            capacity in 1usize..24,
            wide in any::<bool>(),
        ) {
            // Capacities from 16 evict more than one item at a time; 140 columns are past
            // the ones a slot's bit mask covers.
            let columns = if wide { 140 } else { 40 };
            let mut table = ApproxTable::new(capacity, columns, 0);
            let mut interner = Interner::default();
            let mut truth: HashMap<(u8, i64), u64> = HashMap::new();
            let mut newest = 0i64;
            for step in steps {
                match step {
                    Step::Add { item, back, amount } => {
                        let column = (newest - i64::from(back)).max(table.first());
                        let id = interner.intern(&[item]);
                        table.add(column, id, amount, &mut interner);
                        interner.release_if_unused(id);
                        *truth.entry((item, column)).or_insert(0) += amount;
                    }
                    Step::Slide { by } => {
                        newest += i64::from(by);
                        let first = (newest - columns as i64 + 2).max(table.first());
                        table.slide_to(first, newest, &mut interner);
                        truth.retain(|&(_, column), _| column >= first);
                    }
                }
                assert_bounds(&table, &interner, &truth);
                prop_assert!(table.len() <= capacity);
            }
        }
    }
}

//! The bounded counter table of `MODE APPROX`: at most `capacity` tracked items, each with
//! exact per-column counts since it was admitted (a column is one bucket of a sliding
//! window; days and the all-time window have a single column), plus an `error` bounding what
//! it may have had before admission. When the table is full, an untracked item evicts the
//! item with the smallest upper bound, as in Space-Saving, and the evicted item's upper
//! bounds raise `unlisted`: for each live column `c`, the most any untracked item can have in
//! columns `c..=newest`. A newly admitted item takes `unlisted[first]` as its error.
//!
//! Because tracked counts are exact per column, expiry subtracts exactly, and an error is
//! dropped once the column it was admitted in expires (everything it bounds is older).
//! Items heavy enough to stay tracked for a whole window therefore have exact counts. Until
//! the first eviction everything is exact. Bounds hold for any span ending at `newest`:
//! `lower = counts in the span <= true <= lower + error (if admitted inside the span)`.

use std::collections::{HashMap, VecDeque};

use ahash::RandomState;

use super::min_heap::{Key, MinHeap};
use crate::bounds::Bounds;
use crate::heap;
use crate::intern::{Interner, ItemId};
use crate::tally::select_top;

/// A tracked item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub id: ItemId,
    /// The column that was newest when the item was (last) admitted.
    pub admitted: i64,
    /// The most it may have had in columns up to `admitted` before admission.
    pub error: u64,
    /// Admission order: breaks ties between equal upper bounds, for deterministic eviction.
    pub seq: u64,
    /// Sum of its live columns.
    pub total: u64,
}

impl Slot {
    fn upper(&self) -> u64 {
        self.total.saturating_add(self.error)
    }
}

/// The decoded state of a table, checked by [`ApproxTable::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableState {
    pub first: i64,
    pub newest: i64,
    pub next_seq: u64,
    /// Per live column, oldest first.
    pub unlisted: Vec<u64>,
    /// Per live column, oldest first: the sum of every amount counted there.
    pub column_totals: Vec<u64>,
    /// `(id, admitted, error, seq, counts per live column oldest first)`.
    pub slots: Vec<(ItemId, i64, u64, u64, Vec<u64>)>,
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ApproxTable {
    capacity: usize,
    columns: usize,
    first: i64,
    newest: i64,
    next_seq: u64,
    slots: Vec<Slot>,
    /// Row per slot, `columns` wide, indexed by the column's absolute index modulo `columns`.
    counts: Vec<u64>,
    slot_of: HashMap<ItemId, u32, RandomState>,
    heap: MinHeap,
    unlisted: VecDeque<u64>,
    column_totals: VecDeque<u64>,
}

impl ApproxTable {
    /// An empty table of at most `capacity` items over up to `columns` live columns,
    /// starting with the single live column `start`.
    pub fn new(capacity: usize, columns: usize, start: i64) -> Self {
        ApproxTable {
            capacity: capacity.max(1),
            columns: columns.max(1),
            first: start,
            newest: start,
            next_seq: 0,
            slots: Vec::new(),
            counts: Vec::new(),
            slot_of: HashMap::default(),
            heap: MinHeap::default(),
            unlisted: VecDeque::from([0]),
            column_totals: VecDeque::from([0]),
        }
    }

    pub fn first(&self) -> i64 {
        self.first
    }

    pub fn newest(&self) -> i64 {
        self.newest
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The sum of every amount counted in columns `from..=newest` (exact).
    pub fn total(&self, from: i64) -> u64 {
        self.live_offsets(from)
            .filter_map(|offset| self.column_totals.get(offset))
            .sum()
    }

    /// The most an untracked item can have in columns `from..=newest`.
    pub fn unlisted(&self, from: i64) -> u64 {
        if from > self.newest {
            return 0;
        }
        let offset = (from.max(self.first) - self.first) as usize;
        self.unlisted.get(offset).copied().unwrap_or(0)
    }

    /// Counts `amount` of `id` in `column` (ignored outside the live columns), admitting the
    /// item if untracked; the table retains and releases ids in `interner`.
    pub fn add(&mut self, column: i64, id: ItemId, amount: u64, interner: &mut Interner) {
        if column < self.first || column > self.newest {
            return;
        }
        if let Some(total) = self.column_totals.get_mut((column - self.first) as usize) {
            *total = total.saturating_add(amount);
        }
        let slot = match self.slot_of.get(&id) {
            Some(&slot) => slot,
            None => self.admit(id, interner),
        };
        let cell = self.cell(slot, column);
        if let Some(count) = self.counts.get_mut(cell) {
            *count = count.saturating_add(amount);
        }
        if let Some(tracked) = self.slots.get_mut(slot as usize) {
            tracked.total = tracked.total.saturating_add(amount);
            let key = (tracked.upper(), tracked.seq);
            self.heap.set(slot, key);
        }
    }

    /// Moves the live columns to `first..=newest` (never backwards): expired columns are
    /// subtracted, errors admitted in them dropped, and items left with nothing released.
    pub fn slide_to(&mut self, first: i64, newest: i64, interner: &mut Interner) {
        let first = first.max(self.first);
        let newest = newest.max(self.newest).max(first);
        if first > self.newest {
            self.clear(first, interner);
        } else if first > self.first {
            for column in self.first..first {
                for slot in 0..self.slots.len() {
                    let cell = self.cell(slot as u32, column);
                    let expired = self.counts.get_mut(cell).map_or(0, std::mem::take);
                    if let Some(tracked) = self.slots.get_mut(slot) {
                        tracked.total = tracked.total.saturating_sub(expired);
                    }
                }
                self.unlisted.pop_front();
                self.column_totals.pop_front();
            }
            self.first = first;
            for tracked in &mut self.slots {
                if tracked.admitted < first {
                    tracked.error = 0;
                }
            }
            self.drop_empty(interner);
        }
        while self.newest < newest {
            self.newest += 1;
            self.unlisted.push_back(0);
            self.column_totals.push_back(0);
        }
    }

    /// Bounds of `id` over columns `from..=newest` (`from` at least the first live column).
    pub fn bounds(&self, id: ItemId, from: i64) -> Bounds {
        match self.slot_of.get(&id) {
            Some(&slot) => self.slot_bounds(slot, from),
            None => Bounds::between(0, 0),
        }
    }

    /// The best `k` tracked items over columns `from..=newest` by estimate, ties by bytes.
    pub fn top_k(&self, interner: &Interner, from: i64, k: usize) -> Vec<(ItemId, Bounds)> {
        let estimates: Vec<(ItemId, u64)> = (0..self.slots.len())
            .filter_map(|slot| {
                let bounds = self.slot_bounds(slot as u32, from);
                let id = self.slots.get(slot)?.id;
                (bounds.upper > 0).then_some((id, bounds.upper))
            })
            .collect();
        select_top(interner, estimates, k)
            .into_iter()
            .map(|(id, _)| (id, self.bounds(id, from)))
            .collect()
    }

    /// Every item tracked, with its slot, for encoding and digests.
    pub fn state(&self) -> TableState {
        TableState {
            first: self.first,
            newest: self.newest,
            next_seq: self.next_seq,
            unlisted: self.unlisted.iter().copied().collect(),
            column_totals: self.column_totals.iter().copied().collect(),
            slots: (0..self.slots.len())
                .filter_map(|slot| {
                    let tracked = self.slots.get(slot)?;
                    let counts = (self.first..=self.newest)
                        .map(|column| {
                            self.counts
                                .get(self.cell(slot as u32, column))
                                .copied()
                                .unwrap_or(0)
                        })
                        .collect();
                    Some((
                        tracked.id,
                        tracked.admitted,
                        tracked.error,
                        tracked.seq,
                        counts,
                    ))
                })
                .collect(),
        }
    }

    /// Rebuilds a table from a decoded state, retaining its ids in `interner`. The caller
    /// has checked the column range; this checks the rest and names what is wrong.
    pub fn restore(
        capacity: usize,
        columns: usize,
        state: TableState,
        interner: &mut Interner,
    ) -> Result<Self, &'static str> {
        let live = usize::try_from(state.newest.saturating_sub(state.first))
            .ok()
            .and_then(|span| span.checked_add(1))
            .filter(|&live| live <= columns.max(1) && state.first <= state.newest)
            .ok_or("approximate table columns out of range")?;
        if state.unlisted.len() != live || state.column_totals.len() != live {
            return Err("approximate table column count mismatch");
        }
        if state.slots.len() > capacity.max(1) {
            return Err("approximate table holds more items than its capacity");
        }
        let mut table = ApproxTable::new(capacity, columns, state.first);
        table.newest = state.newest;
        table.next_seq = state.next_seq;
        table.unlisted = state.unlisted.into();
        table.column_totals = state.column_totals.into();
        table.counts = vec![0; state.slots.len() * table.columns];
        for (slot, (id, admitted, error, seq, counts)) in state.slots.into_iter().enumerate() {
            if admitted > table.newest || seq >= table.next_seq || counts.len() != live {
                return Err("approximate table item out of range");
            }
            if interner.bytes(id).is_empty() || table.slot_of.insert(id, slot as u32).is_some() {
                return Err("approximate table item unknown or repeated");
            }
            interner.retain(id);
            let mut total = 0u64;
            for (column, count) in (table.first..).zip(counts) {
                total = total.saturating_add(count);
                let cell = table.cell(slot as u32, column);
                if let Some(stored) = table.counts.get_mut(cell) {
                    *stored = count;
                }
            }
            let error = if admitted < table.first { 0 } else { error };
            if total == 0 && error == 0 {
                return Err("approximate table item with nothing counted");
            }
            table.slots.push(Slot {
                id,
                admitted,
                error,
                seq,
                total,
            });
        }
        table.rebuild_heap();
        Ok(table)
    }

    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<Slot>(self.slots.capacity())
            + heap::buffer::<u64>(self.counts.capacity())
            + heap::hash_map::<ItemId, u32>(self.slot_of.capacity())
            + self.heap.heap_bytes()
            + heap::buffer::<u64>(self.unlisted.capacity())
            + heap::buffer::<u64>(self.column_totals.capacity())
    }

    /// Releases every tracked id (the table is being dropped with its day or tracker).
    pub fn release_all(&self, interner: &mut Interner) {
        for tracked in &self.slots {
            interner.release(tracked.id);
        }
    }

    fn cell(&self, slot: u32, column: i64) -> usize {
        slot as usize * self.columns + column.rem_euclid(self.columns as i64) as usize
    }

    /// Offsets into the per-column deques of columns `from..=newest`.
    fn live_offsets(&self, from: i64) -> std::ops::Range<usize> {
        let start = (from.max(self.first) - self.first).max(0) as usize;
        start..self.column_totals.len()
    }

    fn slot_bounds(&self, slot: u32, from: i64) -> Bounds {
        let Some(tracked) = self.slots.get(slot as usize) else {
            return Bounds::between(0, 0);
        };
        if from <= self.first {
            return Bounds::between(tracked.total, tracked.upper());
        }
        let lower: u64 = (from..=self.newest)
            .filter_map(|column| self.counts.get(self.cell(slot, column)))
            .sum();
        let error = if tracked.admitted >= from {
            tracked.error
        } else {
            0
        };
        Bounds::between(lower, lower.saturating_add(error))
    }

    /// Makes room for `id` (evicting the smallest upper bound when full) and tracks it.
    fn admit(&mut self, id: ItemId, interner: &mut Interner) -> u32 {
        let slot = if self.slots.len() < self.capacity {
            self.slots.push(Slot {
                id,
                admitted: self.newest,
                error: 0,
                seq: 0,
                total: 0,
            });
            self.counts.resize(self.counts.len() + self.columns, 0);
            self.heap.push((0, u64::MAX));
            (self.slots.len() - 1) as u32
        } else {
            let Some(victim) = self.heap.min() else {
                return 0;
            };
            self.evict(victim, interner);
            victim
        };
        let error = self.unlisted.front().copied().unwrap_or(0);
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(tracked) = self.slots.get_mut(slot as usize) {
            *tracked = Slot {
                id,
                admitted: self.newest,
                error,
                seq,
                total: 0,
            };
        }
        self.heap.set(slot, (error, seq));
        self.slot_of.insert(id, slot);
        interner.retain(id);
        slot
    }

    /// Forgets the item in `slot`, first raising `unlisted` by its upper bound per suffix.
    fn evict(&mut self, slot: u32, interner: &mut Interner) {
        let Some(&victim) = self.slots.get(slot as usize) else {
            return;
        };
        let mut suffix = 0u64;
        for column in (self.first..=self.newest).rev() {
            let cell = self.cell(slot, column);
            suffix = suffix.saturating_add(self.counts.get(cell).map_or(0, |&c| c));
            if column == victim.admitted {
                suffix = suffix.saturating_add(victim.error);
            }
            if let Some(bound) = self.unlisted.get_mut((column - self.first) as usize) {
                *bound = (*bound).max(suffix);
            }
            if let Some(count) = self.counts.get_mut(cell) {
                *count = 0;
            }
        }
        self.slot_of.remove(&victim.id);
        interner.release(victim.id);
    }

    /// Releases items with nothing left in the live columns, then rebuilds the heap.
    fn drop_empty(&mut self, interner: &mut Interner) {
        let mut slot = 0;
        while slot < self.slots.len() {
            let tracked = self.slots[slot];
            if tracked.upper() > 0 {
                slot += 1;
                continue;
            }
            self.slot_of.remove(&tracked.id);
            interner.release(tracked.id);
            let last = self.slots.len() - 1;
            self.slots.swap_remove(slot);
            let width = self.columns;
            if slot != last {
                let (head, tail) = self.counts.split_at_mut(last * width);
                head[slot * width..(slot + 1) * width].copy_from_slice(&tail[..width]);
                if let Some(moved) = self.slots.get(slot) {
                    self.slot_of.insert(moved.id, slot as u32);
                }
            }
            self.counts.truncate(last * width);
        }
        self.rebuild_heap();
    }

    /// Forgets everything: every live column expired at once.
    fn clear(&mut self, first: i64, interner: &mut Interner) {
        self.release_all(interner);
        self.slots.clear();
        self.counts.clear();
        self.slot_of.clear();
        self.heap = MinHeap::default();
        self.first = first;
        self.newest = first;
        self.unlisted = VecDeque::from([0]);
        self.column_totals = VecDeque::from([0]);
    }

    fn rebuild_heap(&mut self) {
        self.heap
            .rebuild(self.slots.iter().map(|t| -> Key { (t.upper(), t.seq) }));
    }
}

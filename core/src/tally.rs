//! Exact counts of items with a top-K that is answered without scanning every item.
//!
//! A [`Tally`] keeps each item's count in a record by id (a map or an array, see
//! [`crate::records`]) and files every item under its count's level, the count's bit
//! length: level `i` holds the items whose count lies in `[2^i, 2^(i+1))`. An item changes
//! level only when its count crosses a power of two, so increments and decrements (bucket
//! expiry) stay O(1), and nothing is ever rebuilt. A top-K walks the levels from the highest
//! down and stops as soon as k items are at or above the floor of the last level read, since
//! every item below it counts less; with skewed counts that reads a few levels of a few
//! items. Queries can subtract per-item amounts (buckets that expired since the last write,
//! or that lie outside a shorter query window) without mutating anything: a subtraction only
//! lowers counts, so the stopping rule still holds.

use std::cmp::Ordering;

use crate::adaptive_records::Storage;
use crate::intern::{Interner, ItemId};
use crate::narrow::Wide;
use crate::records::{HintedRecord, HoldsRecord, Layout, Lookup, Record, Records};
use crate::segmented::{self, SegmentedVec};
use crate::work::WorkBudget;

/// Exact item counts, filed by level for top-K.
#[derive(Debug, Clone)]
pub struct Tally<R = Record> {
    entries: Records<R>,
    /// The counts that do not fit in a record, by item.
    large: Wide<ItemId>,
    /// `levels[i]`: the items whose count has bit length `i + 1`, in no particular order.
    levels: Vec<SegmentedVec<ItemId>>,
    total: u64,
}

/// The level of a nonzero count: the index of its highest set bit.
fn level_of(count: u64) -> usize {
    count.max(1).ilog2() as usize
}

/// Orders `(item, count)` pairs as answers are ranked: count descending, bytes ascending.
pub fn rank(interner: &Interner, a: &(ItemId, u64), b: &(ItemId, u64)) -> Ordering {
    b.1.cmp(&a.1)
        .then_with(|| interner.bytes(a.0).cmp(interner.bytes(b.0)))
}

/// The best `k` of `pairs` in rank order. Counts are selected first with integer compares;
/// item bytes are only compared among the survivors.
pub fn select_top(
    interner: &Interner,
    mut pairs: Vec<(ItemId, u64)>,
    k: usize,
) -> Vec<(ItemId, u64)> {
    if k == 0 {
        return Vec::new();
    }
    if pairs.len() > k {
        let (_, &mut (_, kth), _) = pairs.select_nth_unstable_by(k - 1, |a, b| b.1.cmp(&a.1));
        pairs.retain(|&(_, count)| count >= kth);
    }
    pairs.sort_unstable_by(|a, b| rank(interner, a, b));
    pairs.truncate(k);
    pairs
}

impl<R: HoldsRecord> Tally<R> {
    /// An empty tally keeping its records in `layout`.
    pub fn new(layout: Layout) -> Self {
        Tally {
            entries: Records::new(layout),
            large: Wide::default(),
            levels: Vec::new(),
            total: 0,
        }
    }

    pub fn layout(&self) -> Layout {
        self.entries.layout()
    }

    /// Where the records are now (an adaptive layout's move between map and array).
    pub fn storage(&self) -> Storage {
        self.entries.storage()
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The count of `id` (0 if absent).
    pub fn count(&self, id: ItemId) -> u64 {
        self.entries
            .get(id)
            .map_or(0, |entry| self.large.get(id, entry.record().count))
    }

    /// Every `(item, count)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, u64)> + '_ {
        self.entries
            .iter()
            .map(|(id, entry)| (id, self.large.get(id, entry.record().count)))
    }

    /// Every item held, consuming the tally: its nonempty level lists, which hold each item
    /// once. The records are freed now, the lists as the caller empties them.
    pub fn into_levels(self) -> impl Iterator<Item = SegmentedVec<ItemId>> {
        self.levels.into_iter().filter(|level| !level.is_empty())
    }

    /// Adds `amount` to `id`. Returns true if the item was absent (the caller retains it).
    /// Callers guarantee that no count passes 2^63 - 1; the sum saturates regardless.
    pub fn add(&mut self, id: ItemId, amount: u64) -> bool {
        self.add_placing(id, amount, |_| {})
    }

    /// [`Tally::add`], handing the item's whole record (a new item's before it is counted)
    /// to `place`, which may update what the record holds besides its count, in the same
    /// lookup.
    fn add_placing(&mut self, id: ItemId, amount: u64, place: impl FnOnce(&mut R)) -> bool {
        self.total = self.total.saturating_add(amount);
        // Most adds find their item held: a plain read finds it, with none of the work of
        // making room for a new one.
        if let Some(entry) = self.entries.get_mut(id) {
            place(entry);
            let vacated = add_to_held(
                &mut self.levels,
                &mut self.large,
                entry.record_mut(),
                id,
                amount,
            );
            if let Some((from, slot)) = vacated {
                self.leave_level(from, slot);
            }
            return false;
        }
        let Some(Lookup::Absent(vacancy)) = self.entries.lookup(id) else {
            return false;
        };
        let slot = push_to_level(&mut self.levels, level_of(amount), id);
        let mut entry = R::holding(Record { count: 0, slot });
        place(&mut entry);
        self.large.set(id, &mut entry.record_mut().count, amount);
        vacancy.insert(entry);
        true
    }

    /// Subtracts `amount` from `id`. Returns true if its count reached 0 and the item was
    /// removed (the caller releases it).
    pub fn subtract(&mut self, id: ItemId, amount: u64) -> bool {
        self.total = self.total.saturating_sub(amount);
        let Some(entry) = self.entries.get_mut(id).map(HoldsRecord::record_mut) else {
            return false;
        };
        let count = self.large.get(id, entry.count);
        let from = level_of(count);
        let rest = count.saturating_sub(amount);
        self.large.set(id, &mut entry.count, rest);
        if rest == 0 {
            let slot = entry.slot;
            self.entries.remove(id);
            self.leave_level(from, slot);
            return true;
        }
        if let Some(vacated) = refile(&mut self.levels, entry, id, from, rest) {
            self.leave_level(from, vacated);
        }
        false
    }

    /// The best `k` items after subtracting from each count what `minus` gives for it, in
    /// rank order, if the level walk reads at most `budget` items and `minus` answers every
    /// batch; `None` otherwise. `minus` is asked about a batch of items at a time and pushes
    /// one amount per item, in order, to its output (or returns false to give up): first the
    /// top levels until they hold k items, then one level at a time, so that a `minus` that
    /// scans for its amounts scans once per batch.
    pub fn top_k_within(
        &self,
        interner: &Interner,
        k: usize,
        mut minus: impl FnMut(&[ItemId], &mut Vec<u64>) -> bool,
        budget: usize,
    ) -> Option<Vec<(ItemId, u64)>> {
        if k == 0 {
            return Some(Vec::new());
        }
        let mut candidates: Vec<(ItemId, u64)> = Vec::new();
        let (mut batch, mut amounts) = (Vec::new(), Vec::new());
        let mut read = 0usize;
        let mut levels = self.levels.iter().enumerate().rev().peekable();
        while let Some((_, level)) = levels.next() {
            read = read.saturating_add(level.len());
            if read > budget {
                return None;
            }
            batch.extend(level.iter().copied());
            let below = levels.peek().map(|&(index, _)| index);
            if candidates.len() + batch.len() < k && below.is_some() {
                continue;
            }
            if !batch.is_empty() {
                amounts.clear();
                if !minus(&batch, &mut amounts) || amounts.len() != batch.len() {
                    return None;
                }
                candidates.extend(
                    batch
                        .iter()
                        .zip(&amounts)
                        .map(|(&id, &gone)| (id, self.count(id).saturating_sub(gone)))
                        .filter(|&(_, count)| count > 0),
                );
                batch.clear();
            }
            if below.is_some_and(|below| settled(&candidates, k, below)) {
                break;
            }
        }
        Some(select_top(interner, candidates, k))
    }

    /// The best `k` items after subtracting `minus(item)` from each count, in rank order.
    pub fn top_k(
        &self,
        interner: &Interner,
        k: usize,
        minus: impl Fn(ItemId) -> u64,
    ) -> Vec<(ItemId, u64)> {
        let each = |ids: &[ItemId], amounts: &mut Vec<u64>| {
            amounts.extend(ids.iter().map(|&id| minus(id)));
            true
        };
        self.top_k_within(interner, k, each, usize::MAX)
            .unwrap_or_default()
    }

    /// Goes on with an adaptive layout's move between map and array, if one is under way
    /// (see [`crate::adaptive_records`]), as far as `budget` lets it.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        self.entries.compact(budget);
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.entries.heap_bytes()
            + self.large.heap_bytes()
            + segmented::heap_bytes_of_lists(&self.levels)
    }

    /// Removes the item at `slot` of level `level`, moving the level's last item there.
    fn leave_level(&mut self, level: usize, slot: u32) {
        let Some(items) = self.levels.get_mut(level) else {
            return;
        };
        let slot = slot as usize;
        if slot >= items.len() {
            return;
        }
        items.swap_remove(slot);
        if let Some(&moved) = items.get(slot) {
            if let Some(entry) = self.entries.get_mut(moved) {
                entry.record_mut().slot = slot as u32;
            }
        }
    }
}

impl Tally<HintedRecord> {
    /// [`Tally::add`], handing the item's hint (`NO_HINT` for a new item) to `place`, which
    /// may store the item elsewhere and update the hint in the same lookup.
    pub fn add_with_hint(&mut self, id: ItemId, amount: u64, place: impl FnOnce(&mut u32)) -> bool {
        self.add_placing(id, amount, |entry| place(&mut entry.hint))
    }
}

/// True when `k` of `candidates` (every item of the levels above `below`) count at least
/// `2^(below + 1)`: no item of level `below` or lower can then enter the top k.
fn settled(candidates: &[(ItemId, u64)], k: usize, below: usize) -> bool {
    let floor = 1u64 << (below + 1).min(63);
    candidates
        .iter()
        .filter(|&&(_, count)| count >= floor)
        .count()
        >= k
}

/// Adds `amount` to `record`, the record of held item `id`, refiling it if its level changes.
/// Returns the level it left and the slot it vacated there, for the caller to fill.
fn add_to_held(
    levels: &mut Vec<SegmentedVec<ItemId>>,
    large: &mut Wide<ItemId>,
    record: &mut Record,
    id: ItemId,
    amount: u64,
) -> Option<(usize, u32)> {
    let count = large.get(id, record.count);
    let from = level_of(count);
    let sum = count.saturating_add(amount);
    large.set(id, &mut record.count, sum);
    refile(levels, record, id, from, sum).map(|slot| (from, slot))
}

/// Files `entry` (the record of `id`, now counting `count`) under its count's level if that
/// is no longer `from`. Returns the slot it vacated in level `from`, for the caller to fill.
fn refile(
    levels: &mut Vec<SegmentedVec<ItemId>>,
    entry: &mut Record,
    id: ItemId,
    from: usize,
    count: u64,
) -> Option<u32> {
    let to = level_of(count);
    if to == from {
        return None;
    }
    let vacated = entry.slot;
    entry.slot = push_to_level(levels, to, id);
    Some(vacated)
}

/// Appends `id` to `level`, growing the list of levels; returns its slot there.
fn push_to_level(levels: &mut Vec<SegmentedVec<ItemId>>, level: usize, id: ItemId) -> u32 {
    if levels.len() <= level {
        levels.resize_with(level + 1, SegmentedVec::default);
    }
    let Some(items) = levels.get_mut(level) else {
        return 0;
    };
    items.push(id);
    (items.len() - 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::NO_HINT;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn brute_top(counts: &HashMap<Vec<u8>, u64>, k: usize) -> Vec<(Vec<u8>, u64)> {
        let mut all: Vec<(Vec<u8>, u64)> = counts
            .iter()
            .filter(|(_, &c)| c > 0)
            .map(|(b, &c)| (b.clone(), c))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    /// Amounts are `2^shift` plus a little: mostly small, sometimes beyond 2^32, so counts
    /// move in and out of the side table for large counts.
    fn shift() -> impl Strategy<Value = u32> {
        prop_oneof![4 => 0u32..12, 1 => 30u32..40]
    }

    proptest! {
        /// Random adds and subtracts of amounts that cross levels both ways, in either record
        /// layout: every top-k equals the brute force.
        #[test]
        fn top_k_matches_brute_force(
            ops in proptest::collection::vec((0u8..40, shift(), any::<bool>()), 1..400),
            max_k in 1usize..8,
            indexed in any::<bool>(),
        ) {
            let mut interner = Interner::default();
            let mut tally: Tally = Tally::new(if indexed { Layout::Indexed } else { Layout::Hashed });
            let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
            for (item, shift, is_add) in ops {
                let amount = (1u64 << shift) + u64::from(item % 3);
                let bytes = vec![b'a' + item % 26, item];
                let id = interner.intern(&bytes);
                let held = model.get(&bytes).copied().unwrap_or(0);
                if is_add {
                    tally.add(id, amount);
                    *model.entry(bytes).or_default() += amount;
                } else if held > 0 {
                    let amount = amount.min(held);
                    tally.subtract(id, amount);
                    *model.entry(bytes).or_default() -= amount;
                }
                for k in 1..=max_k {
                    let got: Vec<(Vec<u8>, u64)> = tally
                        .top_k(&interner, k, |_| 0)
                        .into_iter()
                        .map(|(id, c)| (interner.bytes(id).to_vec(), c))
                        .collect();
                    prop_assert_eq!(got, brute_top(&model, k));
                    // Halving the counts of even items, as a query subtracts dropped buckets.
                    let minus = |id: ItemId| if id % 2 == 0 { tally.count(id) / 2 } else { 0 };
                    let lowered: HashMap<Vec<u8>, u64> = model
                        .iter()
                        .map(|(bytes, &count)| {
                            let id = interner.find(bytes).unwrap_or(u32::MAX);
                            (bytes.clone(), count - if id % 2 == 0 { count / 2 } else { 0 })
                        })
                        .collect();
                    let got: Vec<(Vec<u8>, u64)> = tally
                        .top_k(&interner, k, minus)
                        .into_iter()
                        .map(|(id, c)| (interner.bytes(id).to_vec(), c))
                        .collect();
                    prop_assert_eq!(got, brute_top(&lowered, k));
                    let batches = |ids: &[ItemId], amounts: &mut Vec<u64>| {
                        amounts.extend(ids.iter().map(|&id| minus(id)));
                        true
                    };
                    if let Some(best) = tally.top_k_within(&interner, k, batches, 3) {
                        let best: Vec<(Vec<u8>, u64)> = best
                            .into_iter()
                            .map(|(id, c)| (interner.bytes(id).to_vec(), c))
                            .collect();
                        prop_assert_eq!(best, brute_top(&lowered, k));
                    }
                    // A `minus` that answers one batch only: the walk gives up or is right,
                    // and never asks about an item twice.
                    let mut asked: Vec<ItemId> = Vec::new();
                    let once = |ids: &[ItemId], amounts: &mut Vec<u64>| {
                        let first = asked.is_empty();
                        asked.extend(ids);
                        amounts.extend(ids.iter().map(|&id| minus(id)));
                        first
                    };
                    if let Some(best) = tally.top_k_within(&interner, k, once, usize::MAX) {
                        let best: Vec<(Vec<u8>, u64)> = best
                            .into_iter()
                            .map(|(id, c)| (interner.bytes(id).to_vec(), c))
                            .collect();
                        prop_assert_eq!(best, brute_top(&lowered, k));
                    }
                    let distinct: std::collections::HashSet<&ItemId> = asked.iter().collect();
                    prop_assert_eq!(distinct.len(), asked.len());
                }
            }
            prop_assert_eq!(tally.total(), model.values().sum::<u64>());
        }
    }

    #[test]
    fn deltas_are_subtracted_without_mutation() {
        let mut interner = Interner::default();
        let mut tally: Tally = Tally::new(Layout::Hashed);
        for (item, count) in [(&b"a"[..], 5), (b"b", 4), (b"c", 3), (b"d", 1)] {
            let id = interner.intern(item);
            tally.add(id, count);
        }
        let (a, b) = (interner.find(b"a").unwrap(), interner.find(b"b").unwrap());
        let minus = |id| match id {
            id if id == a => 5,
            id if id == b => 1,
            _ => 0,
        };
        let got: Vec<(&[u8], u64)> = tally
            .top_k(&interner, 2, minus)
            .into_iter()
            .map(|(id, c)| (interner.bytes(id), c))
            .collect();
        assert_eq!(got, vec![(&b"b"[..], 3), (&b"c"[..], 3)]);
        assert_eq!(tally.count(interner.find(b"a").unwrap()), 5);
    }

    #[test]
    fn a_hinted_tally_keeps_each_items_hint_with_its_count() {
        for layout in [Layout::Hashed, Layout::Indexed] {
            let mut tally: Tally<HintedRecord> = Tally::new(layout);
            let mut seen = Vec::new();
            for (id, hint) in [(3, 30), (8, 80), (3, 31), (8, 81), (5, 50)] {
                tally.add_with_hint(id, 2, |stored| {
                    seen.push(*stored);
                    *stored = hint;
                });
            }
            assert_eq!(seen, vec![NO_HINT, NO_HINT, 30, 80, NO_HINT], "{layout:?}");
            assert_eq!((tally.count(3), tally.count(8), tally.count(5)), (4, 4, 2));
        }
    }
}

//! Exact counts of items with a top-K that is answered without scanning every item.
//!
//! A [`Tally`] keeps each item's count in a hash map and a small candidate set `top` of at
//! least `capacity` items (when that many exist) with one invariant: every item outside `top`
//! has a count of at most `outside_bound`. Increments are O(1): an outsider joins `top` when
//! it passes the bound, and `top` is trimmed back to `capacity` when it doubles. Decrements
//! (bucket expiry) only lower counts, so the invariant survives them; the answer is certified
//! when the k-th best candidate is strictly above `outside_bound`, and otherwise computed by a
//! full scan (and the cache rebuilt at the next write with [`Tally::refresh`]). Queries can
//! subtract per-item amounts (buckets that expired since the last write, or that lie outside
//! a shorter query window) without mutating anything.

use std::cmp::Ordering;
use std::collections::HashMap;

use ahash::RandomState;

use crate::heap;
use crate::intern::{Interner, ItemId};

const NOT_IN_TOP: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Entry {
    count: u64,
    top_slot: u32,
}

/// Exact item counts with a certified top-K cache.
#[derive(Debug, Clone)]
pub struct Tally {
    entries: HashMap<ItemId, Entry, RandomState>,
    top: Vec<ItemId>,
    capacity: usize,
    outside_bound: u64,
    total: u64,
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

impl Tally {
    /// An empty tally whose cache serves queries for up to `capacity` items.
    pub fn new(capacity: usize) -> Self {
        Tally {
            entries: HashMap::default(),
            top: Vec::new(),
            capacity: capacity.max(1),
            outside_bound: 0,
            total: 0,
        }
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Number of items with a nonzero count.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The count of `id` (0 if absent).
    pub fn count(&self, id: ItemId) -> u64 {
        self.entries.get(&id).map_or(0, |e| e.count)
    }

    /// Every `(item, count)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, u64)> + '_ {
        self.entries.iter().map(|(&id, e)| (id, e.count))
    }

    /// Adds `amount` to `id`. Returns true if the item was absent (the caller retains it).
    /// Callers guarantee that no count passes 2^63 - 1; the sum saturates regardless.
    pub fn add(&mut self, id: ItemId, amount: u64) -> bool {
        self.total = self.total.saturating_add(amount);
        let mut is_new = false;
        let entry = self.entries.entry(id).or_insert_with(|| {
            is_new = true;
            Entry {
                count: 0,
                top_slot: NOT_IN_TOP,
            }
        });
        entry.count = entry.count.saturating_add(amount);
        if entry.top_slot == NOT_IN_TOP
            && (self.top.len() < self.capacity || entry.count > self.outside_bound)
        {
            entry.top_slot = self.top.len() as u32;
            self.top.push(id);
            if self.top.len() >= 2 * self.capacity {
                self.trim();
            }
        }
        is_new
    }

    /// Subtracts `amount` from `id`. Returns true if its count reached 0 and the item was
    /// removed (the caller releases it).
    pub fn subtract(&mut self, id: ItemId, amount: u64) -> bool {
        self.total = self.total.saturating_sub(amount);
        let Some(entry) = self.entries.get_mut(&id) else {
            return false;
        };
        entry.count = entry.count.saturating_sub(amount);
        if entry.count > 0 {
            return false;
        }
        let slot = entry.top_slot;
        self.entries.remove(&id);
        if slot != NOT_IN_TOP {
            self.remove_from_top(slot as usize);
        }
        true
    }

    /// Rebuilds the cache when decrements have left too few candidates above the bound, so
    /// queries stay certified. Called after expiry; O(items) only when a rebuild is due.
    pub fn refresh(&mut self) {
        let strong = self
            .top
            .iter()
            .filter(|id| self.count(**id) > self.outside_bound)
            .count();
        let outsiders = self.entries.len() - self.top.len();
        if outsiders > 0 && strong < self.capacity {
            self.rebuild();
        }
    }

    /// The best `k` items after subtracting `minus(item)` from each count, in rank order,
    /// from the candidate cache when its answer is certified (every item outside the cache
    /// has at most `outside_bound`, and subtracting only lowers counts); `None` otherwise.
    pub fn cached_top_k(
        &self,
        interner: &Interner,
        k: usize,
        minus: impl Fn(ItemId) -> u64,
    ) -> Option<Vec<(ItemId, u64)>> {
        let candidates: Vec<(ItemId, u64)> = self
            .top
            .iter()
            .map(|&id| (id, self.count(id).saturating_sub(minus(id))))
            .filter(|&(_, count)| count > 0)
            .collect();
        let best = select_top(interner, candidates, k);
        let has_outsiders = self.entries.len() > self.top.len();
        let certified = match best.get(k.saturating_sub(1)) {
            Some(&(_, kth)) if best.len() == k => kth > self.outside_bound,
            _ => !has_outsiders,
        };
        certified.then_some(best)
    }

    /// The best `k` items after subtracting `minus(item)`: from the cache when certified,
    /// else by a scan of every item.
    pub fn top_k(
        &self,
        interner: &Interner,
        k: usize,
        minus: impl Fn(ItemId) -> u64,
    ) -> Vec<(ItemId, u64)> {
        if let Some(best) = self.cached_top_k(interner, k, &minus) {
            return best;
        }
        let everything = self
            .entries
            .iter()
            .map(|(&id, e)| (id, e.count.saturating_sub(minus(id))))
            .filter(|&(_, count)| count > 0)
            .collect();
        select_top(interner, everything, k)
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        heap::hash_map::<ItemId, Entry>(self.entries.capacity())
            + heap::buffer::<ItemId>(self.top.capacity())
    }

    fn remove_from_top(&mut self, slot: usize) {
        if slot >= self.top.len() {
            return;
        }
        self.top.swap_remove(slot);
        if let Some(&moved) = self.top.get(slot) {
            if let Some(entry) = self.entries.get_mut(&moved) {
                entry.top_slot = slot as u32;
            }
        }
    }

    /// Keeps the `capacity` largest candidates; the evicted ones raise the bound.
    fn trim(&mut self) {
        let mut ranked: Vec<(u64, ItemId)> =
            self.top.iter().map(|&id| (self.count(id), id)).collect();
        self.install_top(&mut ranked);
    }

    /// Recomputes the candidates from every item.
    fn rebuild(&mut self) {
        let mut ranked: Vec<(u64, ItemId)> =
            self.entries.iter().map(|(&id, e)| (e.count, id)).collect();
        self.outside_bound = 0;
        self.install_top(&mut ranked);
    }

    fn install_top(&mut self, ranked: &mut [(u64, ItemId)]) {
        let keep = self.capacity.min(ranked.len());
        if keep < ranked.len() {
            ranked.select_nth_unstable_by(keep, |a, b| b.0.cmp(&a.0));
            let evicted_max = ranked[keep..]
                .iter()
                .map(|&(count, _)| count)
                .max()
                .unwrap_or(0);
            self.outside_bound = self.outside_bound.max(evicted_max);
            for &(_, id) in &ranked[keep..] {
                if let Some(entry) = self.entries.get_mut(&id) {
                    entry.top_slot = NOT_IN_TOP;
                }
            }
        }
        self.top.clear();
        for &(_, id) in &ranked[..keep] {
            if let Some(entry) = self.entries.get_mut(&id) {
                entry.top_slot = self.top.len() as u32;
                self.top.push(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    proptest! {
        /// Random adds and subtracts, with refreshes: every top-k equals the brute force.
        #[test]
        fn top_k_matches_brute_force(
            ops in proptest::collection::vec((0u8..40, 1u64..20, any::<bool>(), any::<bool>()), 1..400),
            capacity in 1usize..8,
        ) {
            let mut interner = Interner::default();
            let mut tally = Tally::new(capacity);
            let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
            for (item, amount, is_add, refresh) in ops {
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
                if refresh {
                    tally.refresh();
                }
                for k in 1..=capacity {
                    let got: Vec<(Vec<u8>, u64)> = tally
                        .top_k(&interner, k, |_| 0)
                        .into_iter()
                        .map(|(id, c)| (interner.bytes(id).to_vec(), c))
                        .collect();
                    prop_assert_eq!(got, brute_top(&model, k));
                }
            }
            prop_assert_eq!(tally.total(), model.values().sum::<u64>());
        }
    }

    #[test]
    fn deltas_are_subtracted_without_mutation() {
        let mut interner = Interner::default();
        let mut tally = Tally::new(2);
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
}

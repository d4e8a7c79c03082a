//! A ring of tumbling buckets: bucket `i` holds the per-item amounts of events with
//! `i * width <= ts < (i + 1) * width`. Buckets are addressed by their absolute index, are
//! created as events arrive, and leave from the old end when the window slides.
//!
//! A bucket is a flat list of `(item, amount)` entries, 12 bytes each, in arrival order. The
//! window finds an item's entry through a hint it keeps in its tally (the entry's position
//! in the newest bucket), so counting needs no lookup of its own. An item may have more than
//! one entry in a bucket (a late event lands in an older bucket whose entry the hint does not
//! point at); what counts is the sum, and a bucket that took many late entries merges its
//! duplicates.

use std::collections::VecDeque;

use crate::heap;
use crate::intern::ItemId;
use crate::segmented::SegmentedVec;
use crate::work::WorkBudget;

/// One entry: an item and an amount, stored as two 32-bit halves so an entry is 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    id: ItemId,
    amount: [u32; 2],
}

impl Entry {
    fn new(id: ItemId, amount: u64) -> Self {
        Entry {
            id,
            amount: [amount as u32, (amount >> 32) as u32],
        }
    }

    fn amount(&self) -> u64 {
        u64::from(self.amount[0]) | (u64::from(self.amount[1]) << 32)
    }
}

/// The `(item, amount)` entries of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    entries: SegmentedVec<Entry>,
    /// Entries appended while the bucket was not the newest since it was last merged.
    late: usize,
}

/// Late entries a bucket takes before it merges duplicates, at least.
const MIN_LATE_BEFORE_MERGE: usize = 64;

impl Bucket {
    /// A bucket of distinct items; `None` if an item appears twice.
    pub fn from_pairs(pairs: Vec<(ItemId, u64)>) -> Option<Self> {
        let mut entries: Vec<Entry> = pairs
            .into_iter()
            .map(|(id, amount)| Entry::new(id, amount))
            .collect();
        entries.sort_unstable_by_key(|e| e.id);
        if entries.windows(2).any(|pair| pair[0].id == pair[1].id) {
            return None;
        }
        Some(Bucket {
            entries: entries.into_iter().collect(),
            late: 0,
        })
    }

    /// Entries held (an item may have several).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry's `(item, amount)`; an item may come more than once.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, u64)> + '_ {
        self.entries.iter().map(|e| (e.id, e.amount()))
    }

    /// The sum of `id`'s entries (a scan).
    pub fn amount_of(&self, id: ItemId) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.id == id)
            .map(Entry::amount)
            .fold(0, u64::saturating_add)
    }

    /// One `(item, amount)` per item, sorted by item.
    pub fn merged(&self) -> Vec<(ItemId, u64)> {
        let mut pairs: Vec<(ItemId, u64)> = self.iter().collect();
        pairs.sort_unstable_by_key(|&(id, _)| id);
        pairs.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 = kept.1.saturating_add(next.1);
            }
            same
        });
        pairs
    }

    /// Adds `amount` of `id`: to the entry at `hint` if it is `id`'s, else as a new entry,
    /// whose position becomes the hint when this is the newest bucket.
    fn add(&mut self, id: ItemId, amount: u64, hint: &mut u32, is_newest: bool) {
        if let Some(entry) = self.entries.get_mut(*hint as usize) {
            if entry.id == id {
                *entry = Entry::new(id, entry.amount().saturating_add(amount));
                return;
            }
        }
        self.entries.push(Entry::new(id, amount));
        if is_newest {
            *hint = u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX);
            return;
        }
        self.late += 1;
        if self.late >= MIN_LATE_BEFORE_MERGE.max(self.entries.len() / 2) {
            self.entries = self
                .merged()
                .into_iter()
                .map(|(id, amount)| Entry::new(id, amount))
                .collect();
            self.late = 0;
        }
    }

    fn heap_bytes(&self) -> usize {
        self.entries.heap_bytes()
    }
}

/// Consecutive buckets from absolute index `first`.
#[derive(Debug, Clone, Default)]
pub struct BucketRing {
    first: i64,
    buckets: VecDeque<Bucket>,
}

impl BucketRing {
    /// The absolute index of the oldest bucket held.
    pub fn first(&self) -> i64 {
        self.first
    }

    /// Buckets held, oldest first, with their absolute indices.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Bucket)> {
        self.buckets
            .iter()
            .enumerate()
            .map(move |(offset, bucket)| (self.first + offset as i64, bucket))
    }

    /// Adds `amount` of `id` to bucket `index`, growing the ring at either end, with the
    /// item's `hint` (see [`Bucket`]). The window only inserts into buckets within its span,
    /// so the ring stays about W/g long.
    pub fn add(&mut self, index: i64, id: ItemId, amount: u64, hint: &mut u32) {
        if self.buckets.is_empty() {
            self.first = index;
        }
        while index < self.first {
            self.buckets.push_front(Bucket::default());
            self.first -= 1;
        }
        let Ok(offset) = usize::try_from(index - self.first) else {
            return;
        };
        while self.buckets.len() <= offset {
            if let Some(newest) = self.buckets.back_mut() {
                newest.entries.shrink_to_fit();
            }
            self.buckets.push_back(Bucket::default());
        }
        let is_newest = offset + 1 == self.buckets.len();
        if let Some(bucket) = self.buckets.get_mut(offset) {
            bucket.add(id, amount, hint, is_newest);
        }
    }

    /// Removes the entries of buckets older than `index` while `budget` lasts, oldest bucket
    /// first, handing each `(item, amount)` to `expire`. A bucket leaves the ring once
    /// empty; entries the budget did not reach stay for a later call.
    pub fn expire_before(
        &mut self,
        index: i64,
        budget: &mut WorkBudget,
        mut expire: impl FnMut(ItemId, u64),
    ) {
        while self.first < index {
            let Some(bucket) = self.buckets.front_mut() else {
                self.first = index;
                return;
            };
            while let Some(entry) = bucket.entries.last().copied() {
                if !budget.take() {
                    return;
                }
                bucket.entries.pop();
                expire(entry.id, entry.amount());
            }
            self.buckets.pop_front();
            self.first += 1;
        }
    }

    /// Buckets from absolute index `from` on, with their indices.
    pub fn iter_from(&self, from: i64) -> impl Iterator<Item = (i64, &Bucket)> {
        let skip = usize::try_from(from.saturating_sub(self.first)).unwrap_or(0);
        self.iter().skip(skip)
    }

    /// Restores a ring from its encoding.
    pub fn from_parts(first: i64, buckets: VecDeque<Bucket>) -> Self {
        BucketRing { first, buckets }
    }

    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<Bucket>(self.buckets.capacity())
            + self.buckets.iter().map(Bucket::heap_bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// A ring given `(bucket, item, amount)` adds with hints kept as a window keeps them, and
    /// the amount of each item in each bucket.
    fn filled(adds: Vec<(i64, ItemId, u64)>) -> (BucketRing, HashMap<(i64, ItemId), u64>) {
        let mut ring = BucketRing::default();
        let mut hints: HashMap<ItemId, u32> = HashMap::new();
        let mut model: HashMap<(i64, ItemId), u64> = HashMap::new();
        for (index, id, amount) in adds {
            let hint = hints.entry(id).or_insert(u32::MAX);
            ring.add(index, id, amount, hint);
            *model.entry((index, id)).or_default() += amount;
        }
        (ring, model)
    }

    proptest! {
        /// Adds to random buckets with hints kept as a window keeps them: every bucket's
        /// merged amounts equal the brute force, and late entries stay bounded.
        #[test]
        fn merged_amounts_match_brute_force(
            adds in proptest::collection::vec((0i64..6, 0u32..30, 1u64..1000), 1..600),
        ) {
            let (ring, model) = filled(adds);
            for (index, bucket) in ring.iter() {
                let mut expected: Vec<(ItemId, u64)> = model
                    .iter()
                    .filter(|((i, _), _)| *i == index)
                    .map(|(&(_, id), &amount)| (id, amount))
                    .collect();
                expected.sort_unstable();
                prop_assert_eq!(bucket.merged(), expected.clone());
                for &(id, amount) in &expected {
                    prop_assert_eq!(bucket.amount_of(id), amount);
                }
                prop_assert!(bucket.len() <= 2 * expected.len() + MIN_LATE_BEFORE_MERGE);
            }
        }
    }

    proptest! {
        /// Expiry in budgets of random size hands over every entry of the buckets before the
        /// cut exactly once and leaves the later buckets alone.
        #[test]
        fn budgeted_expiry_hands_over_each_entry_once(
            adds in proptest::collection::vec((0i64..8, 0u32..40, 1u64..100), 1..400),
            cut in 0i64..10,
            budgets in proptest::collection::vec(1usize..50, 1..20),
        ) {
            let (mut ring, model) = filled(adds);
            let mut expired: HashMap<ItemId, u64> = HashMap::new();
            let mut calls = 0;
            while ring.first() < cut {
                let mut budget = WorkBudget::exactly(budgets[calls % budgets.len()]);
                ring.expire_before(cut, &mut budget, |id, amount| {
                    *expired.entry(id).or_default() += amount;
                });
                calls += 1;
                prop_assert!(calls < 10_000, "expiry makes no progress");
            }
            let mut expected: HashMap<ItemId, u64> = HashMap::new();
            for (&(index, id), &amount) in &model {
                if index < cut {
                    *expected.entry(id).or_default() += amount;
                }
            }
            prop_assert_eq!(expired, expected);
            for (index, bucket) in ring.iter() {
                prop_assert!(index >= cut);
                for (id, amount) in bucket.merged() {
                    prop_assert_eq!(model.get(&(index, id)).copied(), Some(amount));
                }
            }
        }
    }

    #[test]
    fn amounts_past_u32_are_kept_whole() {
        let mut bucket = Bucket::default();
        let mut hint = u32::MAX;
        bucket.add(7, u64::from(u32::MAX), &mut hint, true);
        bucket.add(7, 5, &mut hint, true);
        assert_eq!(bucket.len(), 1);
        assert_eq!(bucket.amount_of(7), u64::from(u32::MAX) + 5);
    }

    #[test]
    fn a_repeated_item_is_refused() {
        assert!(Bucket::from_pairs(vec![(1, 2), (3, 4), (1, 5)]).is_none());
        assert!(Bucket::from_pairs(vec![(1, 2), (3, 4)]).is_some());
    }
}

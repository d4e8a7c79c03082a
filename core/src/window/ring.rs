//! A ring of tumbling buckets: bucket `i` holds the per-item amounts of events with
//! `i * width <= ts < (i + 1) * width`. Buckets are addressed by their absolute index, are
//! created as events arrive, and leave from the old end when the window slides.
//!
//! A bucket is a flat list of `(item, amount)` entries, 8 bytes each (an amount of 2^32 - 1
//! or more, which takes billions of events, goes to a side table), in arrival order. The
//! window finds an item's entry through a hint it keeps in its tally (the entry's position
//! in the newest bucket), so counting needs no lookup of its own. An item may have more than
//! one entry in a bucket (a late event lands in an older bucket whose entry the hint does not
//! point at); what counts is the sum, and a bucket that took many late entries merges its
//! duplicates.

use std::collections::VecDeque;

use crate::heap;
use crate::intern::ItemId;
use crate::narrow::Wide;
use crate::segmented::SegmentedVec;
use crate::work::WorkBudget;

/// One entry: an item and its amount in 32 bits, 8 bytes (see [`crate::narrow`]; the side
/// table is keyed by the entry's position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    id: ItemId,
    amount: u32,
}

/// The `(item, amount)` entries of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    entries: SegmentedVec<Entry>,
    /// The amounts that do not fit in an entry, by position.
    large: Wide<u32>,
    /// Entries appended while the bucket was not the newest since it was last merged.
    late: usize,
}

/// Late entries a bucket takes before it merges duplicates, at least.
const MIN_LATE_BEFORE_MERGE: usize = 64;

impl Bucket {
    /// A bucket of distinct items; `None` if an item appears twice.
    pub fn from_pairs(mut pairs: Vec<(ItemId, u64)>) -> Option<Self> {
        pairs.sort_unstable_by_key(|&(id, _)| id);
        if pairs.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return None;
        }
        let mut bucket = Bucket::default();
        for (id, amount) in pairs {
            bucket.push(id, amount);
        }
        Some(bucket)
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
        self.entries
            .iter()
            .enumerate()
            .map(|(position, entry)| (entry.id, self.amount_at(position, entry)))
    }

    /// The sum of `id`'s entries (a scan).
    pub fn amount_of(&self, id: ItemId) -> u64 {
        self.iter()
            .filter(|&(entry, _)| entry == id)
            .map(|(_, amount)| amount)
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

    /// The amount of `entry`, at `position`.
    fn amount_at(&self, position: usize, entry: &Entry) -> u64 {
        self.large.get(position_key(position), entry.amount)
    }

    /// Sets the amount of the entry at `position`.
    fn set_amount(&mut self, position: usize, amount: u64) {
        if let Some(entry) = self.entries.get_mut(position) {
            self.large
                .set(position_key(position), &mut entry.amount, amount);
        }
    }

    /// Appends an entry.
    fn push(&mut self, id: ItemId, amount: u64) {
        self.entries.push(Entry { id, amount: 0 });
        self.set_amount(self.entries.len() - 1, amount);
    }

    /// Removes the last entry, returning its `(item, amount)`.
    fn pop(&mut self) -> Option<(ItemId, u64)> {
        let position = self.entries.len().checked_sub(1)?;
        let entry = self.entries.pop()?;
        Some((
            entry.id,
            self.large.take(position_key(position), entry.amount),
        ))
    }

    /// Adds `amount` of `id`: to the entry at `hint` if it is `id`'s, else as a new entry,
    /// whose position becomes the hint when this is the newest bucket.
    fn add(&mut self, id: ItemId, amount: u64, hint: &mut u32, is_newest: bool) {
        let position = *hint as usize;
        if let Some(entry) = self.entries.get(position) {
            if entry.id == id {
                let sum = self.amount_at(position, entry).saturating_add(amount);
                self.set_amount(position, sum);
                return;
            }
        }
        self.push(id, amount);
        if is_newest {
            *hint = u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX);
            return;
        }
        self.late += 1;
        if self.late >= MIN_LATE_BEFORE_MERGE.max(self.entries.len() / 2) {
            let merged = self.merged();
            *self = Bucket::default();
            for (id, amount) in merged {
                self.push(id, amount);
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.entries.heap_bytes() + self.large.heap_bytes()
    }
}

/// The side-table key of the entry at `position` (a bucket holds fewer than 2^32 entries).
fn position_key(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
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
            while !bucket.is_empty() {
                if !budget.take() {
                    return;
                }
                if let Some((id, amount)) = bucket.pop() {
                    expire(id, amount);
                }
            }
            self.buckets.pop_front();
            self.first += 1;
        }
    }

    /// Buckets before absolute index `until`, with their indices.
    pub fn iter_before(&self, until: i64) -> impl Iterator<Item = (i64, &Bucket)> {
        self.iter().take_while(move |&(index, _)| index < until)
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

    /// An event's amount: mostly small, sometimes near the largest increment, so that sums
    /// pass `u32::MAX` and go to the side table.
    fn amount() -> impl Strategy<Value = u64> {
        prop_oneof![
            4 => 1u64..1000,
            1 => (u64::from(u32::MAX) - 3)..=u64::from(u32::MAX),
        ]
    }

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
            adds in proptest::collection::vec((0i64..6, 0u32..30, amount()), 1..600),
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
            adds in proptest::collection::vec((0i64..8, 0u32..40, amount()), 1..400),
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

    #[test]
    fn large_amounts_survive_decoding_and_expiry() {
        let large = u64::from(u32::MAX);
        let pairs = vec![(4, i64::MAX as u64), (2, large), (3, large - 1), (1, 7)];
        let Some(mut bucket) = Bucket::from_pairs(pairs.clone()) else {
            panic!("distinct items refused");
        };
        let mut sorted = pairs;
        sorted.sort_unstable();
        assert_eq!(bucket.merged(), sorted);
        assert_eq!(bucket.large.len(), 2, "two amounts need the side table");
        let mut popped = Vec::new();
        while let Some(pair) = bucket.pop() {
            popped.push(pair);
        }
        popped.sort_unstable();
        assert_eq!(popped, sorted);
        assert!(bucket.large.is_empty());
    }
}

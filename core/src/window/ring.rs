//! A ring of tumbling buckets: bucket `i` holds the per-item amounts of events with
//! `i * width <= ts < (i + 1) * width`. Buckets are addressed by their absolute index, are
//! created as events arrive, and leave from the old end when the window slides. At most one
//! bucket of a ring compacts at a time (see [`Bucket`]); every late entry the ring takes moves
//! two of its entries, and the writes' leftover cleanup allowance moves more, so a compaction
//! ends before the ring has taken as many late entries as the bucket held.
//!
//! Buckets the window leaves move, with their indices, to a queue of their own, where expiry
//! hands their entries over as far as each write's allowance lets it. The ring itself then
//! starts at the window's first bucket at once, so an event far ahead of the clock (the
//! largest timestamp, even) adds one bucket, not one per bucket width in between.

use std::collections::VecDeque;

use crate::heap;
use crate::intern::ItemId;
use crate::window::bucket::Bucket;
use crate::work::WorkBudget;

/// Entries a compaction moves for each late entry its ring takes.
const STEPS_PER_LATE_ENTRY: usize = 2;

/// Consecutive buckets from absolute index `first`.
#[derive(Debug, Clone, Default)]
pub struct BucketRing {
    first: i64,
    buckets: VecDeque<Bucket>,
    /// Buckets the window has left, with their indices, oldest first (all before `first`),
    /// whose entries expiry has not handed over yet.
    expiring: VecDeque<(i64, Bucket)>,
    /// The absolute index of the bucket compacting, if any.
    compacting: Option<i64>,
}

impl BucketRing {
    /// The absolute index of the oldest bucket held.
    pub fn first(&self) -> i64 {
        self.first
    }

    /// Buckets held, oldest first, with their absolute indices: those expiry has not
    /// emptied yet, then the ring's.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Bucket)> {
        self.expiring
            .iter()
            .map(|(index, bucket)| (*index, bucket))
            .chain(self.in_ring())
    }

    /// Whether buckets the window has left still hold entries.
    #[cfg(test)]
    fn is_expiring(&self) -> bool {
        !self.expiring.is_empty()
    }

    /// The ring's buckets, from `first`, with their absolute indices.
    fn in_ring(&self) -> impl Iterator<Item = (i64, &Bucket)> {
        self.buckets
            .iter()
            .enumerate()
            .map(move |(offset, bucket)| (self.first + offset as i64, bucket))
    }

    /// Adds `amount` of `id` to bucket `index`, growing the ring at either end, with the
    /// item's `hint` (see [`Bucket`]). The window only inserts into buckets within its span,
    /// so the ring stays about W/g long.
    #[inline]
    pub fn add(&mut self, index: i64, id: ItemId, amount: u64, hint: &mut u32) {
        let newest = self.first + self.buckets.len() as i64 - 1;
        if index == newest {
            if let Some(bucket) = self.buckets.back_mut() {
                bucket.add(id, amount, hint, true);
                return;
            }
        }
        self.add_past_newest(index, id, amount, hint);
    }

    /// [`BucketRing::add`] to a bucket other than the newest, or to a new one.
    fn add_past_newest(&mut self, index: i64, id: ItemId, amount: u64, hint: &mut u32) {
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
                newest.shrink_to_fit();
            }
            self.buckets.push_back(Bucket::default());
        }
        let is_newest = offset + 1 == self.buckets.len();
        let Some(bucket) = self.buckets.get_mut(offset) else {
            return;
        };
        bucket.add(id, amount, hint, is_newest);
        if is_newest {
            return;
        }
        if self.compacting.is_some() {
            for _ in 0..STEPS_PER_LATE_ENTRY {
                self.compact_step();
            }
        } else if bucket.late_to_compact().is_some() {
            bucket.start_compaction();
            self.compacting = Some(index);
        }
    }

    /// Goes on with the compaction under way, if any, as far as `budget` lets it (one unit
    /// per entry moved).
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        while self.compacting.is_some() && budget.take() {
            self.compact_step();
        }
    }

    /// Moves one entry of the compacting bucket. Once its compaction has ended (also when
    /// expiry ended it or took the bucket), starts the next: the bucket with the most late
    /// entries among those that took enough.
    fn compact_step(&mut self) {
        let Some(index) = self.compacting else {
            return;
        };
        let underway = self.bucket_mut(index).is_some_and(Bucket::compact_step);
        if underway {
            return;
        }
        self.compacting = None;
        let next = self
            .in_ring()
            .filter_map(|(index, bucket)| Some((bucket.late_to_compact()?, index)))
            .max();
        if let Some((_, index)) = next {
            if let Some(bucket) = self.bucket_mut(index) {
                bucket.start_compaction();
                self.compacting = Some(index);
            }
        }
    }

    /// The bucket at absolute index `index`, if held.
    fn bucket_mut(&mut self, index: i64) -> Option<&mut Bucket> {
        let offset = usize::try_from(index.checked_sub(self.first)?).ok()?;
        self.buckets.get_mut(offset)
    }

    /// Moves the buckets older than `index` out of the ring, then removes the entries of
    /// the buckets moved out while `budget` lasts, oldest first, handing each
    /// `(item, amount)` to `expire`. Entries the budget did not reach stay for a later call.
    pub fn expire_before(
        &mut self,
        index: i64,
        budget: &mut WorkBudget,
        mut expire: impl FnMut(ItemId, u64),
    ) {
        while self.first < index {
            let Some(bucket) = self.buckets.pop_front() else {
                self.first = index;
                break;
            };
            if !bucket.is_empty() {
                self.expiring.push_back((self.first, bucket));
            }
            self.first += 1;
        }
        while let Some((_, bucket)) = self.expiring.front_mut() {
            while !bucket.is_empty() {
                if !budget.take() {
                    return;
                }
                if let Some((id, amount)) = bucket.pop() {
                    expire(id, amount);
                }
            }
            self.expiring.pop_front();
        }
    }

    /// Buckets before absolute index `until`, with their indices.
    pub fn iter_before(&self, until: i64) -> impl Iterator<Item = (i64, &Bucket)> {
        self.iter().take_while(move |&(index, _)| index < until)
    }

    /// Buckets from absolute index `from` on, with their indices.
    pub fn iter_from(&self, from: i64) -> impl Iterator<Item = (i64, &Bucket)> {
        let skip = usize::try_from(from.saturating_sub(self.first)).unwrap_or(0);
        let expiring = self
            .expiring
            .iter()
            .filter(move |(index, _)| *index >= from);
        expiring
            .map(|(index, bucket)| (*index, bucket))
            .chain(self.in_ring().skip(skip))
    }

    /// Restores a ring from its encoding.
    pub fn from_parts(first: i64, buckets: VecDeque<Bucket>) -> Self {
        BucketRing {
            first,
            buckets,
            expiring: VecDeque::new(),
            compacting: None,
        }
    }

    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<Bucket>(self.buckets.capacity())
            + heap::buffer::<(i64, Bucket)>(self.expiring.capacity())
            + self.iter().map(|(_, b)| b.heap_bytes()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::bucket::MIN_LATE_BEFORE_COMPACTING;
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

    /// A ring given `(bucket, item, amount, allowance)` adds with hints kept as a window
    /// keeps them, each followed by a compaction allowance as a write's cleanup leaves it,
    /// and the amount of each item in each bucket.
    fn filled(adds: Vec<(i64, ItemId, u64, usize)>) -> (BucketRing, HashMap<(i64, ItemId), u64>) {
        let mut ring = BucketRing::default();
        let mut hints: HashMap<ItemId, u32> = HashMap::new();
        let mut model: HashMap<(i64, ItemId), u64> = HashMap::new();
        for (index, id, amount, allowance) in adds {
            let hint = hints.entry(id).or_insert(u32::MAX);
            ring.add(index, id, amount, hint);
            ring.compact(&mut WorkBudget::exactly(allowance));
            *model.entry((index, id)).or_default() += amount;
        }
        (ring, model)
    }

    /// Adds to random buckets of a ring, mostly late, with a random cleanup allowance each.
    fn adds(
        buckets: i64,
        items: u32,
        most: usize,
    ) -> impl Strategy<Value = Vec<(i64, ItemId, u64, usize)>> {
        proptest::collection::vec((0..buckets, 0..items, amount(), 0usize..3), 1..most)
    }

    proptest! {
        /// Every bucket's merged amounts equal the brute force, compacting or not, and the
        /// ring holds a bounded number of entries per distinct (bucket, item).
        #[test]
        fn merged_amounts_match_brute_force(adds in adds(6, 30, 2_000)) {
            let (ring, model) = filled(adds);
            let mut entries = 0;
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
                entries += bucket.len();
            }
            // Without compactions the ring would hold an entry per late add; random adds
            // stay within 2 * pairs + 64 * buckets, and adversarial ones (every late add to a
            // bucket waiting for another's compaction) can reach past it.
            let slack = MIN_LATE_BEFORE_COMPACTING * ring.iter().count();
            prop_assert!(entries <= 3 * model.len() + 2 * slack, "{} entries", entries);
        }
    }

    proptest! {
        /// Expiry in budgets of random size hands over every entry of the buckets before the
        /// cut exactly once and leaves the later buckets alone.
        #[test]
        fn budgeted_expiry_hands_over_each_entry_once(
            adds in adds(8, 40, 1_000),
            cut in 0i64..10,
            budgets in proptest::collection::vec(1usize..50, 1..20),
        ) {
            let (mut ring, model) = filled(adds);
            let mut expired: HashMap<ItemId, u64> = HashMap::new();
            let mut calls = 0;
            while ring.first() < cut || ring.is_expiring() {
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
    fn a_late_add_moves_at_most_a_few_entries() {
        let mut ring = BucketRing::default();
        let no_hint = || u32::MAX;
        for id in 0..20_000 {
            ring.add(0, id, 1, &mut no_hint());
        }
        ring.add(1, 0, 1, &mut no_hint());
        let moved = |ring: &BucketRing| ring.iter().next().map_or(0, |(_, b)| b.moved());
        let mut compacting = false;
        for id in (0..40_000).map(|i| i % 20_000) {
            let before = moved(&ring);
            ring.add(0, id, 1, &mut no_hint());
            let after = moved(&ring);
            assert!(after.saturating_sub(before) <= STEPS_PER_LATE_ENTRY);
            compacting |= after > 0;
        }
        assert!(
            compacting,
            "20,000 late entries in a bucket of 20,000 start a compaction"
        );
        ring.compact(&mut WorkBudget::exactly(usize::MAX));
        let bucket = ring
            .iter()
            .next()
            .map(|(_, b)| b.clone())
            .unwrap_or_default();
        assert!(bucket.len() <= 20_000 + MIN_LATE_BEFORE_COMPACTING);
        assert_eq!(bucket.merged().len(), 20_000);
        assert!(bucket.merged().iter().all(|&(_, amount)| amount == 3));
    }

    #[test]
    fn a_jump_far_ahead_adds_one_bucket_while_expiry_goes_on() {
        let mut ring = BucketRing::default();
        for id in 0..2_000 {
            ring.add(0, id, 1, &mut u32::MAX.to_owned());
        }
        let far = 1_000_000_000_000;
        let mut expired = 0;
        ring.expire_before(far, &mut WorkBudget::exactly(10), |_, amount| {
            expired += amount;
        });
        ring.add(far, 7, 3, &mut u32::MAX.to_owned());
        assert_eq!(expired, 10);
        assert!(ring.is_expiring());
        let held: Vec<(i64, usize)> = ring.iter().map(|(i, b)| (i, b.len())).collect();
        assert_eq!(held, vec![(0, 1_990), (far, 1)]);
        assert_eq!(ring.iter_from(far).count(), 1);
        assert_eq!(ring.iter_before(far).count(), 1);
        while ring.is_expiring() {
            ring.expire_before(far, &mut WorkBudget::exactly(100), |_, amount| {
                expired += amount;
            });
        }
        assert_eq!(expired, 2_000);
        assert_eq!(ring.iter().map(|(i, _)| i).collect::<Vec<_>>(), vec![far]);
    }
}

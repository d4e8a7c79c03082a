//! The Space-Saving heavy-hitter summary (Metwally et al.), the building block of `MODE
//! APPROX`: at most `capacity` counters whatever the number of distinct items, each with a
//! count and an error, so that every item's true count lies in `[count - error, count]`, and
//! any item missing from the summary has a true count of at most [`SpaceSaving::unlisted`].
//! An item whose true count exceeds `unlisted` is therefore always listed. Two summaries
//! merge into one that bounds the sum of their streams (the mergeable-summaries argument of
//! Agarwal et al.): counts and errors add, an item missing from one side adds that side's
//! `unlisted` to both, and the counters cut to fit the capacity raise `unlisted`.
//!
//! Updates are O(log capacity): a hash map from item to counter plus an ordered set of
//! `(count, item)` to find the smallest counter to evict.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use ahash::RandomState;

/// One listed item: its true count is in `[count - error, count]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub count: u64,
    pub error: u64,
}

impl Counter {
    /// The lower bound of the true count.
    pub fn lower(&self) -> u64 {
        self.count - self.error
    }
}

/// A bounded summary of a stream of `(item, amount)` pairs.
#[derive(Debug, Clone)]
pub struct SpaceSaving<K> {
    capacity: usize,
    counters: HashMap<K, Counter, RandomState>,
    by_count: BTreeSet<(u64, K)>,
    unlisted: u64,
    total: u64,
}

impl<K: Clone + Eq + Hash + Ord> SpaceSaving<K> {
    /// An empty summary of at most `capacity` counters (at least 1).
    pub fn new(capacity: usize) -> Self {
        SpaceSaving {
            capacity: capacity.max(1),
            counters: HashMap::default(),
            by_count: BTreeSet::new(),
            unlisted: 0,
            total: 0,
        }
    }

    /// A summary of `counters` (cut to `capacity`, raising `unlisted`), where `unlisted`
    /// bounds every item not given and `total` is the stream's sum, for example a window's
    /// top items taken from a tracker.
    pub fn from_counters(
        capacity: usize,
        counters: Vec<(K, Counter)>,
        unlisted: u64,
        total: u64,
    ) -> Self {
        let mut summary = SpaceSaving::new(capacity);
        summary.unlisted = unlisted;
        summary.total = total;
        for (item, counter) in counters {
            if summary.counters.contains_key(&item) {
                continue;
            }
            summary.insert(item, counter);
            if summary.counters.len() > summary.capacity {
                summary.evict_smallest();
            }
        }
        summary
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most any item missing from the summary can have been counted.
    pub fn unlisted(&self) -> u64 {
        self.unlisted
    }

    /// The sum of every amount added (exact).
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn len(&self) -> usize {
        self.counters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    /// Counts `amount` more of `item`, evicting the smallest counter when full. Counts
    /// saturate at `u64::MAX` (the tracker refuses amounts that could get there).
    pub fn add(&mut self, item: &K, amount: u64) {
        self.total = self.total.saturating_add(amount);
        if let Some(counter) = self.counters.get_mut(item) {
            self.by_count.remove(&(counter.count, item.clone()));
            counter.count = counter.count.saturating_add(amount);
            self.by_count.insert((counter.count, item.clone()));
            return;
        }
        if self.counters.len() >= self.capacity {
            self.evict_smallest();
        }
        let counter = Counter {
            count: self.unlisted.saturating_add(amount),
            error: self.unlisted,
        };
        self.insert(item.clone(), counter);
    }

    /// The item's counter, if listed.
    pub fn get(&self, item: &K) -> Option<Counter> {
        self.counters.get(item).copied()
    }

    /// `(lower, upper)` bounds of the item's true count.
    pub fn bounds(&self, item: &K) -> (u64, u64) {
        match self.counters.get(item) {
            Some(counter) => (counter.lower(), counter.count),
            None => (0, self.unlisted),
        }
    }

    /// Listed items, largest count first (ties by item, ascending).
    pub fn ranked(&self) -> impl Iterator<Item = (&K, Counter)> + '_ {
        let mut ranked: Vec<(&K, Counter)> = self.counters.iter().map(|(k, c)| (k, *c)).collect();
        ranked.sort_unstable_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        ranked.into_iter()
    }

    /// Adds `other`'s stream into this summary, keeping the bounds for the combined stream.
    pub fn merge(&mut self, other: &SpaceSaving<K>) {
        let (mine, theirs) = (self.unlisted, other.unlisted);
        let absent = |bound: u64| Counter {
            count: bound,
            error: bound,
        };
        let mut merged: Vec<(K, Counter)> = Vec::with_capacity(self.len() + other.len());
        for (item, counter) in &other.counters {
            let own = self.counters.get(item).copied().unwrap_or(absent(mine));
            merged.push((item.clone(), sum(own, *counter)));
        }
        for (item, counter) in self.counters.drain() {
            if !other.counters.contains_key(&item) {
                merged.push((item, sum(counter, absent(theirs))));
            }
        }
        self.by_count.clear();
        self.unlisted = mine.saturating_add(theirs);
        self.total = self.total.saturating_add(other.total);
        if merged.len() > self.capacity {
            merged.sort_unstable_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
            for (_, counter) in merged.drain(self.capacity..) {
                self.unlisted = self.unlisted.max(counter.count);
            }
        }
        for (item, counter) in merged {
            self.insert(item, counter);
        }
    }

    fn insert(&mut self, item: K, counter: Counter) {
        self.by_count.insert((counter.count, item.clone()));
        self.counters.insert(item, counter);
    }

    fn evict_smallest(&mut self) {
        if let Some((count, item)) = self.by_count.pop_first() {
            self.counters.remove(&item);
            self.unlisted = self.unlisted.max(count);
        }
    }
}

fn sum(a: Counter, b: Counter) -> Counter {
    Counter {
        count: a.count.saturating_add(b.count),
        error: a.error.saturating_add(b.error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks every bound of `summary` against the exact counts of its stream.
    fn assert_bounds(summary: &SpaceSaving<u32>, truth: &HashMap<u32, u64>) {
        assert_eq!(summary.total(), truth.values().sum::<u64>());
        assert!(summary.len() <= summary.capacity());
        for (&item, &count) in truth {
            let (lower, upper) = summary.bounds(&item);
            assert!(
                lower <= count && count <= upper,
                "{item}: {lower} <= {count} <= {upper}"
            );
            if count > summary.unlisted() {
                assert!(summary.get(&item).is_some(), "heavy item {item} is listed");
            }
        }
        for (item, counter) in summary.ranked() {
            assert!(counter.error <= counter.count);
            if !truth.contains_key(item) {
                assert_eq!(counter.lower(), 0, "unseen item {item} has lower bound 0");
            }
        }
    }

    fn fill(stream: &[(u32, u64)], capacity: usize) -> (SpaceSaving<u32>, HashMap<u32, u64>) {
        let mut summary = SpaceSaving::new(capacity);
        let mut truth = HashMap::new();
        for &(item, amount) in stream {
            summary.add(&item, amount);
            *truth.entry(item).or_insert(0) += amount;
        }
        (summary, truth)
    }

    #[test]
    fn exact_until_full() {
        let (summary, truth) = fill(&[(1, 5), (2, 3), (1, 2), (3, 1)], 3);
        for (item, count) in truth {
            assert_eq!(summary.bounds(&item), (count, count));
        }
        assert_eq!(summary.unlisted(), 0);
        let ranked: Vec<(u32, u64)> = summary.ranked().map(|(k, c)| (*k, c.count)).collect();
        assert_eq!(ranked, [(1, 7), (2, 3), (3, 1)]);
    }

    #[test]
    fn eviction_takes_the_smallest_and_raises_the_floor() {
        let (summary, _) = fill(&[(1, 5), (2, 3), (3, 1)], 2);
        assert_eq!(summary.unlisted(), 3);
        assert_eq!(summary.get(&3), Some(Counter { count: 4, error: 3 }));
        assert_eq!(summary.bounds(&2), (0, 3));
    }

    proptest! {
        #[test]
        fn bounds_hold_on_skewed_streams(
            stream in prop::collection::vec((0u32..40, 1u64..20), 0..400),
            capacity in 1usize..24,
        ) {
            let skewed: Vec<(u32, u64)> =
                stream.iter().map(|&(item, amount)| (item * item % 40, amount)).collect();
            let (summary, truth) = fill(&skewed, capacity);
            assert_bounds(&summary, &truth);
        }

        #[test]
        fn merged_summaries_bound_the_combined_stream(
            parts in prop::collection::vec(
                prop::collection::vec((0u32..30, 1u64..20), 0..150), 1..5),
            capacity in 1usize..16,
        ) {
            let mut merged = SpaceSaving::new(capacity);
            let mut truth: HashMap<u32, u64> = HashMap::new();
            for part in &parts {
                let (summary, part_truth) = fill(part, capacity);
                merged.merge(&summary);
                for (item, count) in part_truth {
                    *truth.entry(item).or_insert(0) += count;
                }
                assert_bounds(&merged, &truth);
            }
        }
    }
}

//! A sliding window "the last W ms": a ring of buckets of width g (at most W/60) and a
//! running tally of the whole ring. At clock T it counts every bucket whose last millisecond
//! is after `T - W`, so every event with `T - W < ts <= T` and none older than `T - W - g`.
//! Queries at a later clock, or for a shorter span, subtract the buckets that fall out
//! instead of mutating, so reads never change the stored state.

use crate::config::WindowSpec;
use crate::intern::{Interner, ItemId};
use std::collections::HashMap;
use std::ops::RangeInclusive;

use ahash::RandomState;

use crate::tally::{select_top, Tally};
use crate::window::ring::{Bucket, BucketRing};
use crate::window::{first_covered, judge_sliding, Verdict};

/// One sliding window's state.
#[derive(Debug, Clone)]
pub struct SlidingWindow {
    spec: WindowSpec,
    width: i64,
    ring: BucketRing,
    tally: Tally,
}

impl SlidingWindow {
    pub fn new(spec: WindowSpec, top_capacity: usize) -> Self {
        SlidingWindow {
            spec,
            width: spec.bucket_width().max(1) as i64,
            ring: BucketRing::default(),
            tally: Tally::new(top_capacity),
        }
    }

    pub fn spec(&self) -> &WindowSpec {
        &self.spec
    }

    pub fn ring(&self) -> &BucketRing {
        &self.ring
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// The absolute index of a timestamp's bucket.
    pub fn bucket_of(&self, ts: i64) -> i64 {
        ts.div_euclid(self.width)
    }

    /// The oldest bucket a span of `span` ms still covers at clock `t`: the one holding
    /// `t - span + 1`.
    fn first_covered(&self, span: u64, t: i64) -> i64 {
        first_covered(self.width, span, t)
    }

    /// The bucket indices a window of `spec` can hold at clock `t`: from the oldest its
    /// length covers to the clock's own (events never lie ahead of the clock).
    pub fn live_buckets(spec: &WindowSpec, t: i64) -> RangeInclusive<i64> {
        let width = spec.bucket_width().max(1) as i64;
        first_covered(width, spec.length, t)..=t.div_euclid(width)
    }

    pub fn judge(&self, ts: i64, t: i64) -> Verdict {
        judge_sliding(&self.spec, ts, t)
    }

    /// Expires every bucket that clock `t` pushes out of the window.
    pub fn slide_to(&mut self, t: i64, interner: &mut Interner) {
        let cut = self.first_covered(self.spec.length, t);
        if cut <= self.ring.first() {
            return;
        }
        let tally = &mut self.tally;
        self.ring.expire_before(cut, |bucket| {
            for (id, amount) in bucket {
                if tally.subtract(id, amount) {
                    interner.release(id);
                }
            }
        });
        tally.refresh();
    }

    /// Counts an event judged `Counted`. Returns true if the item is new to the window.
    pub fn add(&mut self, ts: i64, id: ItemId, amount: u64) -> bool {
        self.ring.add(self.bucket_of(ts), id, amount);
        self.tally.add(id, amount)
    }

    /// Top k of the last `span` ms (`span` <= the window's length) at clock `t`. Buckets
    /// older than the span are subtracted per candidate; when the cache cannot certify the
    /// answer, the cheaper of merging the covered buckets or scanning every item decides.
    pub fn top_k(&self, interner: &Interner, span: u64, t: i64, k: usize) -> Vec<(ItemId, u64)> {
        let cut = self.first_covered(span, t);
        let dropped: Vec<&Bucket> = self
            .ring
            .iter()
            .take_while(|(i, _)| *i < cut)
            .map(|(_, bucket)| bucket)
            .filter(|bucket| !bucket.is_empty())
            .collect();
        let minus = |id: ItemId| -> u64 { dropped.iter().filter_map(|b| b.get(&id)).sum() };
        if let Some(best) = self.tally.cached_top_k(interner, k, minus) {
            return best;
        }
        let covered_entries: usize = self
            .ring
            .iter()
            .filter(|(i, _)| *i >= cut)
            .map(|(_, b)| b.len())
            .sum();
        if covered_entries < self.tally.len().saturating_mul(dropped.len().max(1)) {
            let mut sums: HashMap<ItemId, u64, RandomState> = HashMap::default();
            for (_, bucket) in self.ring.iter().filter(|(i, _)| *i >= cut) {
                for (&id, &amount) in bucket {
                    *sums.entry(id).or_insert(0) += amount;
                }
            }
            return select_top(interner, sums.into_iter().collect(), k);
        }
        self.tally.top_k(interner, k, minus)
    }

    /// Count of `id` in the last `span` ms at clock `t`.
    pub fn count(&self, id: ItemId, span: u64, t: i64) -> u64 {
        let cut = self.first_covered(span, t);
        let dropped: u64 = self
            .ring
            .iter()
            .take_while(|(i, _)| *i < cut)
            .filter_map(|(_, bucket)| bucket.get(&id))
            .sum();
        self.tally.count(id).saturating_sub(dropped)
    }

    /// The sum of every count in the last `span` ms at clock `t`.
    pub fn total(&self, span: u64, t: i64) -> u64 {
        let cut = self.first_covered(span, t);
        self.ring
            .iter()
            .filter(|(i, _)| *i >= cut)
            .flat_map(|(_, bucket)| bucket.values())
            .sum()
    }

    /// Restores a window from its encoded ring, rebuilding the tally. Returns the items it
    /// holds so the caller can retain them.
    pub fn from_ring(spec: WindowSpec, top_capacity: usize, ring: BucketRing) -> Self {
        let mut window = SlidingWindow::new(spec, top_capacity);
        for (_, bucket) in ring.iter() {
            for (&id, &amount) in bucket {
                window.tally.add(id, amount);
            }
        }
        window.ring = ring;
        window
    }

    pub fn heap_bytes(&self) -> usize {
        self.ring.heap_bytes() + self.tally.heap_bytes()
    }
}

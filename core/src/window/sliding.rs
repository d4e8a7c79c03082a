//! A sliding window "the last W ms": a ring of buckets of width g (at most W/60) and a
//! running tally of the whole ring. At clock T it counts every bucket whose last millisecond
//! is after `T - W`, so every event with `T - W < ts <= T` and none older than `T - W - g`.
//! Queries at a later clock, or for a shorter span, subtract the buckets that fall out
//! instead of mutating, so reads never change the stored state.

use crate::config::WindowSpec;
use crate::intern::{Interner, ItemId};
use crate::records::Layout;
use std::collections::HashMap;
use std::ops::RangeInclusive;

use ahash::RandomState;

use crate::records::{HintedRecord, NO_HINT};
use crate::tally::{select_top, Tally};
use crate::window::bucket::Bucket;
use crate::window::bucket_scan::BucketScan;
use crate::window::ring::BucketRing;
use crate::window::{first_covered, judge_sliding, Verdict};
use crate::work::WorkBudget;

/// How many bucket entries a read scans for its subtraction, per entry of the buckets it
/// covers, before merging those instead is cheaper: a merge inserts each entry into a hash
/// map or a vector and ranks what it made, a scan tests a bit. On a tracker of 1M items a
/// merge cost about 50 ns per covered entry and a scan about 3 ns per entry.
const SCANS_PER_MERGE: usize = 8;

/// One sliding window's state.
#[derive(Debug, Clone)]
pub struct SlidingWindow {
    spec: WindowSpec,
    width: i64,
    ring: BucketRing,
    tally: Tally<HintedRecord>,
}

impl SlidingWindow {
    pub fn new(spec: WindowSpec, layout: Layout) -> Self {
        SlidingWindow {
            spec,
            width: spec.bucket_width().max(1) as i64,
            ring: BucketRing::default(),
            tally: Tally::new(layout),
        }
    }

    pub fn spec(&self) -> &WindowSpec {
        &self.spec
    }

    pub fn ring(&self) -> &BucketRing {
        &self.ring
    }

    pub fn tally(&self) -> &Tally<HintedRecord> {
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

    /// Expires, as far as `budget` lets it, the buckets that clock `t` pushed out of the
    /// window. Reads subtract whatever is left of them.
    pub fn slide_to(&mut self, t: i64, interner: &mut Interner, budget: &mut WorkBudget) {
        let cut = self.first_covered(self.spec.length, t);
        let tally = &mut self.tally;
        self.ring.expire_before(cut, budget, |id, amount| {
            if tally.subtract(id, amount) {
                interner.release(id);
            }
        });
    }

    /// Goes on with the compaction of a bucket under way, then with a move of the tally's
    /// records between map and array, as far as `budget` lets them.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        self.ring.compact(budget);
        self.tally.compact(budget);
    }

    /// The buckets the window covers at clock `t`, with their indices: the ring without what
    /// expiry has not reached yet.
    pub fn live_buckets_at(&self, t: i64) -> impl Iterator<Item = (i64, &Bucket)> {
        self.ring.iter_from(self.first_covered(self.spec.length, t))
    }

    /// Counts an event judged `Counted`. Returns true if the item is new to the window.
    pub fn add(&mut self, ts: i64, id: ItemId, amount: u64) -> bool {
        let index = self.bucket_of(ts);
        let ring = &mut self.ring;
        self.tally
            .add_with_hint(id, amount, |hint| ring.add(index, id, amount, hint))
    }

    /// Top k of the last `span` ms (`span` <= the window's length) at clock `t`. The level
    /// walk reads the tally, whose counts bound the answer's from above, and takes off each
    /// item it reads what the buckets older than the span hold for it (see [`CutScan`]).
    /// When the scans would read more than [`SCANS_PER_MERGE`] times the entries the covered
    /// buckets hold, or the walk more items than they hold, merging the covered buckets
    /// answers instead.
    pub fn top_k(&self, interner: &Interner, span: u64, t: i64, k: usize) -> Vec<(ItemId, u64)> {
        let cut = self.first_covered(span, t);
        let dropped_entries = entries_in(self.ring.iter_before(cut));
        if dropped_entries == 0 {
            return self.tally.top_k(interner, k, |_| 0);
        }
        let covered_entries = entries_in(self.ring.iter_from(cut));
        let allowance = covered_entries.saturating_mul(SCANS_PER_MERGE);
        let mut scan = self.cut_scan(cut, dropped_entries, covered_entries, allowance);
        let minus = |ids: &[ItemId], out: &mut Vec<u64>| scan.sums_of(ids, Side::Dropped, out);
        if let Some(best) = self.tally.top_k_within(interner, k, minus, covered_entries) {
            return best;
        }
        let sums = ItemSums::of(
            self.ring.iter_from(cut),
            covered_entries,
            interner.id_bound(),
        );
        select_top(interner, sums.into_pairs(), k)
    }

    /// Counts of `ids` in the last `span` ms at clock `t`, in order: the tally's, less what
    /// the older buckets hold, found for all the ids in one scan (see [`CutScan`]).
    pub fn counts(&self, ids: &[ItemId], span: u64, t: i64) -> Vec<u64> {
        let cut = self.first_covered(span, t);
        let dropped_entries = entries_in(self.ring.iter_before(cut));
        if dropped_entries == 0 {
            return ids.iter().map(|&id| self.tally.count(id)).collect();
        }
        let covered_entries = entries_in(self.ring.iter_from(cut));
        let mut scan = self.cut_scan(cut, dropped_entries, covered_entries, usize::MAX);
        let mut counts = Vec::with_capacity(ids.len());
        // An allowance of every entry there is never runs out: the scan always answers.
        scan.sums_of(ids, Side::Covered, &mut counts);
        counts
    }

    /// A scan of the side of the cut at bucket `cut` that holds fewer entries, reading at
    /// most `allowance` entries in all.
    fn cut_scan(
        &self,
        cut: i64,
        dropped_entries: usize,
        covered_entries: usize,
        allowance: usize,
    ) -> CutScan<'_> {
        let scans = if covered_entries < dropped_entries {
            Side::Covered
        } else {
            Side::Dropped
        };
        let buckets: Vec<&Bucket> = match scans {
            Side::Dropped => self
                .ring
                .iter_before(cut)
                .map(|(_, bucket)| bucket)
                .collect(),
            Side::Covered => self.ring.iter_from(cut).map(|(_, bucket)| bucket).collect(),
        };
        CutScan {
            scan: BucketScan::new(buckets, allowance),
            scans,
            tally: &self.tally,
        }
    }

    /// The sum of every count in the last `span` ms at clock `t`.
    pub fn total(&self, span: u64, t: i64) -> u64 {
        let cut = self.first_covered(span, t);
        self.ring
            .iter_from(cut)
            .flat_map(|(_, bucket)| bucket.iter().map(|(_, amount)| amount))
            .sum()
    }

    /// Restores a window from its encoded ring, rebuilding the tally (the caller retains the
    /// items it holds). Items of the newest bucket get their position there as hint, so new
    /// events count into their entries rather than adding a second one.
    pub fn from_ring(spec: WindowSpec, layout: Layout, ring: BucketRing) -> Self {
        let mut window = SlidingWindow::new(spec, layout);
        let newest = ring.iter().last().map(|(index, _)| index);
        for (index, bucket) in ring.iter() {
            for (position, (id, amount)) in bucket.iter().enumerate() {
                window.tally.add_with_hint(id, amount, |hint| {
                    if Some(index) == newest {
                        *hint = u32::try_from(position).unwrap_or(NO_HINT);
                    }
                });
            }
        }
        window.ring = ring;
        window
    }

    pub fn heap_bytes(&self) -> usize {
        self.ring.heap_bytes() + self.tally.heap_bytes()
    }
}

/// The entries `buckets` hold.
fn entries_in<'a>(buckets: impl Iterator<Item = (i64, &'a Bucket)>) -> usize {
    buckets.map(|(_, bucket)| bucket.len()).sum()
}

/// The two sides of a read's cut: the buckets older than its span, and the ones it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Dropped,
    Covered,
}

/// A [`BucketScan`] of one side of a read's cut, the one that holds fewer entries: it tells
/// what either side holds for the items asked about, since the two sum to the tally's count.
struct CutScan<'a> {
    scan: BucketScan<'a>,
    scans: Side,
    tally: &'a Tally<HintedRecord>,
}

impl CutScan<'_> {
    /// Pushes to `out` what side `side` holds for each of `ids`, in order; false, pushing
    /// nothing, when the scan would go past its allowance.
    fn sums_of(&mut self, ids: &[ItemId], side: Side, out: &mut Vec<u64>) -> bool {
        let first = out.len();
        if !self.scan.sums_of(ids, out) {
            return false;
        }
        if side != self.scans {
            for (sum, &id) in out.iter_mut().skip(first).zip(ids) {
                *sum = self.tally.count(id).saturating_sub(*sum);
            }
        }
        true
    }
}

/// Each item's sum over some buckets, for a read that merges the buckets it covers. Ids are
/// dense, so when the buckets hold at least a quarter as many entries as there are ids, a
/// vector indexed by id is both smaller than a hash map and several times faster to fill;
/// otherwise a hash map.
enum ItemSums {
    ById(Vec<u64>),
    Map(HashMap<ItemId, u64, RandomState>),
}

impl ItemSums {
    /// The sums over `buckets`, which hold `entries` entries of ids below `id_bound`.
    fn of<'a>(
        buckets: impl Iterator<Item = (i64, &'a Bucket)>,
        entries: usize,
        id_bound: usize,
    ) -> Self {
        let pairs = buckets.flat_map(|(_, bucket)| bucket.iter());
        if entries.saturating_mul(4) >= id_bound {
            let mut sums = vec![0u64; id_bound];
            for (id, amount) in pairs {
                if let Some(sum) = sums.get_mut(id as usize) {
                    *sum = sum.saturating_add(amount);
                }
            }
            return ItemSums::ById(sums);
        }
        let mut sums: HashMap<ItemId, u64, RandomState> = HashMap::default();
        for (id, amount) in pairs {
            let sum = sums.entry(id).or_insert(0);
            *sum = sum.saturating_add(amount);
        }
        ItemSums::Map(sums)
    }

    /// Every item with a nonzero sum.
    fn into_pairs(self) -> Vec<(ItemId, u64)> {
        match self {
            ItemSums::ById(sums) => sums
                .into_iter()
                .enumerate()
                .filter(|&(_, sum)| sum > 0)
                .map(|(id, sum)| (id as ItemId, sum))
                .collect(),
            ItemSums::Map(sums) => sums.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    use crate::window::bucket::Bucket;

    #[test]
    fn a_restored_window_counts_into_the_newest_buckets_entries() {
        let spec = WindowSpec::sliding(60_000);
        let width = spec.bucket_width() as i64;
        let pairs = |pairs: &[(ItemId, u64)]| Bucket::from_pairs(pairs.to_vec());
        let buckets: VecDeque<Bucket> = [pairs(&[(1, 2), (2, 3)]), pairs(&[(2, 1), (1, 4)])]
            .into_iter()
            .flatten()
            .collect();
        let mut window =
            SlidingWindow::from_ring(spec, Layout::Indexed, BucketRing::from_parts(10, buckets));
        window.add(11 * width, 1, 5);
        window.add(11 * width, 2, 6);
        let newest: Vec<(ItemId, u64)> = window
            .ring()
            .iter()
            .last()
            .map_or(Vec::new(), |(_, b)| b.iter().collect());
        assert_eq!(newest, vec![(1, 9), (2, 7)]);
        assert_eq!(window.tally().count(1), 11);
        assert_eq!(window.tally().count(2), 10);
    }
}

//! One tumbling bucket of a sliding window: the per-item amounts of its events as a flat list
//! of `(item, amount)` entries, 8 bytes each (an amount of 2^32 - 1 or more, which takes
//! billions of events, goes to a side table), in arrival order. The window finds an item's
//! entry through a hint it keeps in its tally (the entry's position in the newest bucket), so
//! counting needs no lookup of its own. An item may have more than one entry in a bucket (a
//! late event lands in an older bucket, where the hint does not point); what counts is the
//! sum. A bucket that took many late entries compacts: a few entries at a time, it moves them
//! into a list that holds each item once, finding items there through an index it keeps only
//! while it compacts. Merging all at once would hold the server for about a millisecond per
//! 30,000 entries, and out-of-order events fill every bucket of a window at the same pace, so
//! every bucket would merge within the same few writes.

use std::collections::hash_map::Entry as Slot;
use std::collections::HashMap;

use ahash::RandomState;

use crate::heap;
use crate::intern::ItemId;
use crate::narrow::Wide;
use crate::segmented::SegmentedVec;

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
    /// Entries appended while the bucket was not the newest since it last compacted.
    late: usize,
    /// The compaction under way, if any: the entries before its `moved` are in its list.
    compaction: Option<Box<Compaction>>,
}

/// A compaction under way.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Compaction {
    /// The entries moved so far, one per item (a bucket that never compacts).
    merged: Bucket,
    /// Each moved item's position in `merged`.
    positions: HashMap<ItemId, u32, RandomState>,
    /// How many of the bucket's entries, from the first, have moved.
    moved: usize,
}

/// Late entries a bucket takes before it asks to compact, at least.
pub const MIN_LATE_BEFORE_COMPACTING: usize = 64;

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
        let merged = self.compaction.as_ref().map_or(0, |c| c.merged.len());
        merged + self.entries.len().saturating_sub(self.moved())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry's `(item, amount)`; an item may come more than once.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, u64)> + '_ {
        let merged = self.compaction.as_ref().map(|c| &c.merged);
        merged
            .into_iter()
            .flat_map(|merged| merged.entries_from(0))
            .chain(self.entries_from(self.moved()))
    }

    /// Calls `f` with the `(item, amount)` of every entry whose item `wanted` accepts, in
    /// one pass over the entries; the amount is read only for those. Reads that scan whole
    /// buckets for a few items use this (see `window::bucket_scan`).
    pub fn for_each_wanted(&self, wanted: impl Fn(ItemId) -> bool, mut f: impl FnMut(ItemId, u64)) {
        if let Some(compaction) = &self.compaction {
            compaction.merged.wanted_from(0, &wanted, &mut f);
        }
        self.wanted_from(self.moved(), &wanted, &mut f);
    }

    /// [`Bucket::for_each_wanted`] over the entries from position `from` on.
    fn wanted_from(
        &self,
        from: usize,
        wanted: &impl Fn(ItemId) -> bool,
        f: &mut impl FnMut(ItemId, u64),
    ) {
        let mut first = 0;
        for slice in self.entries.slices() {
            let skip = from.saturating_sub(first);
            for (offset, entry) in slice.iter().enumerate().skip(skip) {
                if wanted(entry.id) {
                    f(entry.id, self.amount_at(first + offset, entry));
                }
            }
            first += slice.len();
        }
    }

    /// The sum of `id`'s entries (a scan; reads scan many items at once, see
    /// `window::bucket_scan`).
    #[cfg(test)]
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

    /// Adds `amount` of `id`: to the entry at `hint` if it is `id`'s, else to the item's
    /// entry in the compaction under way, else as a new entry, whose position becomes the
    /// hint when this is the newest bucket.
    #[inline(always)]
    pub fn add(&mut self, id: ItemId, amount: u64, hint: &mut u32, is_newest: bool) {
        let position = *hint as usize;
        if position >= self.moved() && self.add_at_if(position, amount, |held| held == id) {
            return;
        }
        self.add_past_hint(id, amount, hint, is_newest);
    }

    /// [`Bucket::add`] when the hint does not point at the item's entry.
    fn add_past_hint(&mut self, id: ItemId, amount: u64, hint: &mut u32, is_newest: bool) {
        if let Some(compaction) = &mut self.compaction {
            if let Some(&at) = compaction.positions.get(&id) {
                compaction.merged.add_at(at as usize, amount);
                return;
            }
        }
        self.push(id, amount);
        if is_newest {
            *hint = position_key(self.entries.len() - 1);
        } else if self.compaction.is_none() {
            self.late += 1;
        }
    }

    /// Late entries taken since the bucket last compacted, when they are enough to compact
    /// (at least [`MIN_LATE_BEFORE_COMPACTING`], and half the entries); `None` otherwise and
    /// while a compaction is under way.
    pub fn late_to_compact(&self) -> Option<usize> {
        let enough = MIN_LATE_BEFORE_COMPACTING.max(self.entries.len() / 2);
        (self.compaction.is_none() && self.late >= enough).then_some(self.late)
    }

    /// Starts compacting, unless the bucket already is. The index is made for every entry
    /// at once, so that it never grows (growing rehashes it whole).
    pub fn start_compaction(&mut self) {
        if self.compaction.is_none() {
            self.compaction = Some(Box::new(Compaction {
                merged: Bucket::default(),
                positions: HashMap::with_capacity_and_hasher(
                    self.entries.len(),
                    RandomState::default(),
                ),
                moved: 0,
            }));
        }
    }

    /// Moves one entry into the compaction; once all have moved, the compacted list becomes
    /// the bucket's. Returns false when no compaction is under way any more.
    pub fn compact_step(&mut self) -> bool {
        let Bucket {
            entries,
            large,
            compaction: Some(compaction),
            ..
        } = self
        else {
            return false;
        };
        if let Some(&entry) = entries.get(compaction.moved) {
            let amount = large.take(position_key(compaction.moved), entry.amount);
            compaction.moved += 1;
            match compaction.positions.entry(entry.id) {
                Slot::Occupied(at) => compaction.merged.add_at(*at.get() as usize, amount),
                Slot::Vacant(at) => {
                    at.insert(position_key(compaction.merged.len()));
                    compaction.merged.push(entry.id, amount);
                }
            }
        }
        if compaction.moved < entries.len() {
            return true;
        }
        self.finish_compaction();
        false
    }

    /// Whether a compaction is under way.
    pub fn is_compacting(&self) -> bool {
        self.compaction.is_some()
    }

    /// Removes the last entry, returning its `(item, amount)`. Entries not yet moved go
    /// first; once none is left, the compaction has nothing more to do and ends.
    pub fn pop(&mut self) -> Option<(ItemId, u64)> {
        if self.entries.len() <= self.moved() {
            self.finish_compaction();
        }
        let position = self.entries.len().checked_sub(1)?;
        let entry = self.entries.pop()?;
        Some((
            entry.id,
            self.large.take(position_key(position), entry.amount),
        ))
    }

    /// Gives back the unused room of the entry list.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    pub fn heap_bytes(&self) -> usize {
        let compaction = self.compaction.as_ref().map_or(0, |c| {
            std::mem::size_of::<Compaction>()
                + c.merged.heap_bytes()
                + heap::hash_map::<ItemId, u32>(c.positions.capacity())
        });
        self.entries.heap_bytes() + self.large.heap_bytes() + compaction
    }

    /// How many entries, from the first, have moved into the compaction under way.
    pub fn moved(&self) -> usize {
        self.compaction.as_ref().map_or(0, |c| c.moved)
    }

    /// Makes the compacted list the bucket's entries (all must have moved).
    fn finish_compaction(&mut self) {
        if let Some(compaction) = self.compaction.take() {
            let Bucket { entries, large, .. } = compaction.merged;
            self.entries = entries;
            self.large = large;
            self.late = 0;
        }
    }

    /// The `(item, amount)` of the entries from `position` on, in this bucket's own list.
    fn entries_from(&self, position: usize) -> impl Iterator<Item = (ItemId, u64)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .skip(position)
            .map(|(position, entry)| (entry.id, self.amount_at(position, entry)))
    }

    /// The amount of `entry`, at `position`.
    fn amount_at(&self, position: usize, entry: &Entry) -> u64 {
        self.large.get(position_key(position), entry.amount)
    }

    /// Adds `amount` to the entry at `position`.
    fn add_at(&mut self, position: usize, amount: u64) {
        self.add_at_if(position, amount, |_| true);
    }

    /// Adds `amount` to the entry at `position` if its item passes `holds`; false if not.
    #[inline]
    fn add_at_if(
        &mut self,
        position: usize,
        amount: u64,
        holds: impl FnOnce(ItemId) -> bool,
    ) -> bool {
        let Some(entry) = self
            .entries
            .get_mut(position)
            .filter(|entry| holds(entry.id))
        else {
            return false;
        };
        let key = position_key(position);
        let sum = self.large.get(key, entry.amount).saturating_add(amount);
        self.large.set(key, &mut entry.amount, sum);
        true
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
}

/// The side-table key of the entry at `position` (a bucket holds fewer than 2^32 entries).
fn position_key(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bucket that is not the newest, given `ids` one late entry each.
    fn late_entries(ids: impl IntoIterator<Item = ItemId>) -> Bucket {
        let mut bucket = Bucket::default();
        for id in ids {
            bucket.push(id, 1);
        }
        bucket
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

    #[test]
    fn compaction_keeps_each_item_once_and_every_amount() {
        let mut bucket = late_entries((0..300).map(|i| i % 100));
        let mut hint = u32::MAX;
        bucket.add(7, u64::from(u32::MAX), &mut hint, false);
        let before = bucket.merged();
        bucket.start_compaction();
        let mut steps = 0;
        while bucket.compact_step() {
            steps += 1;
            assert_eq!(bucket.merged(), before, "after {steps} steps");
        }
        assert_eq!(steps + 1, 301, "one entry per step");
        assert_eq!(bucket.len(), 100);
        assert_eq!(bucket.merged(), before);
        assert!(!bucket.is_compacting());
    }

    #[test]
    fn a_scan_for_wanted_items_sees_what_iteration_sees() {
        let mut bucket = late_entries((0..20_000).map(|i| i % 7_000));
        let mut hint = u32::MAX;
        bucket.add(9_999, u64::from(u32::MAX) + 3, &mut hint, false);
        let wanted = |id: ItemId| id % 3 == 0;
        let scanned = |bucket: &Bucket| {
            let mut seen = Vec::new();
            bucket.for_each_wanted(wanted, |id, amount| seen.push((id, amount)));
            seen
        };
        let iterated = |bucket: &Bucket| -> Vec<(ItemId, u64)> {
            bucket.iter().filter(|&(id, _)| wanted(id)).collect()
        };
        assert_eq!(scanned(&bucket), iterated(&bucket));
        bucket.start_compaction();
        for steps in [1, 8_191, 1, 9_000] {
            for _ in 0..steps {
                bucket.compact_step();
            }
            assert_eq!(
                scanned(&bucket),
                iterated(&bucket),
                "moved {}",
                bucket.moved()
            );
        }
        assert!(scanned(&bucket).contains(&(9_999, u64::from(u32::MAX) + 3)));
    }

    #[test]
    fn adds_during_a_compaction_land_once_per_moved_item() {
        let mut bucket = late_entries((0..200).map(|i| i % 50));
        bucket.start_compaction();
        for _ in 0..120 {
            bucket.compact_step();
        }
        let mut hint = 3;
        for id in [0, 10, 49, 1_000] {
            bucket.add(id, 2, &mut hint, false);
        }
        assert_eq!(hint, 3, "a late add leaves the hint alone");
        assert_eq!(bucket.len(), 50 + 80 + 1, "only the new item adds an entry");
        while bucket.compact_step() {}
        assert_eq!(bucket.len(), 51);
        assert_eq!(bucket.amount_of(10), 6);
        assert_eq!(bucket.amount_of(1_000), 2);
    }

    #[test]
    fn a_hint_into_moved_entries_is_not_followed() {
        let mut bucket = late_entries([5, 6, 7, 8]);
        bucket.start_compaction();
        bucket.compact_step();
        bucket.compact_step();
        let mut hint = 0;
        bucket.add(5, 1, &mut hint, false);
        assert_eq!(bucket.amount_of(5), 2);
        assert_eq!(bucket.len(), 4);
    }

    #[test]
    fn popping_a_compacting_bucket_hands_over_every_amount() {
        let mut bucket = late_entries((0..90).map(|i| i % 30));
        bucket.start_compaction();
        for _ in 0..40 {
            bucket.compact_step();
        }
        let mut popped: Vec<(ItemId, u64)> = Vec::new();
        while let Some(pair) = bucket.pop() {
            popped.push(pair);
        }
        let mut sums = std::collections::BTreeMap::new();
        for (id, amount) in popped {
            *sums.entry(id).or_insert(0) += amount;
        }
        assert!(sums.values().all(|&sum| sum == 3));
        assert_eq!(sums.len(), 30);
        assert!(!bucket.is_compacting());
    }
}

//! A hash table that grows in small steps (linear hashing). A plain hash table grows by
//! rehashing everything it holds at once: at a million items that holds the server for
//! milliseconds, and a tracker's tables all grow at about the same moment (they see the same
//! new items). This one is a list of small tables, its shards, picked by bits of the hash.
//! Each time the entries reach [`SHARD_TARGET`] per shard, one more shard is made by
//! splitting the next shard in turn by one more bit, which rehashes about twice
//! [`SHARD_TARGET`] entries. So no insert does more than that much work however large the
//! table gets, and the splits come at a steady pace, one per [`SHARD_TARGET`] inserts.
//! Finding the shard costs a little arithmetic, and no read beyond the list of shards.

use hashbrown::hash_table::HashTable;

use crate::heap;

/// What an entry of a [`SplitTable`] must tell: its hash, the same for its whole life.
pub trait TableHash {
    fn table_hash(&self) -> u64;
}

/// Entries per shard at which the next shard splits. A shard not yet split in the current
/// round holds about twice as many, 3,072, which a 4,096-bucket table holds.
const SHARD_TARGET: usize = 1_536;

/// The bits that pick the shard: from bit 20 of the hash up, clear of the low bits that
/// pick a bucket within a shard; a shard keeps the top 7 as tags, which only a table of
/// 2^37 shards would reach.
fn route(hash: u64) -> usize {
    (hash >> 20) as usize
}

/// Entries found by their hash and an equality test, like [`HashTable`].
#[derive(Debug, Clone)]
pub struct SplitTable<T> {
    /// `2^level + next` shards; empty until the first insert, so an unused table allocates
    /// nothing.
    shards: Vec<HashTable<T>>,
    /// Shards below `next` have been split in this round: they and their new siblings are
    /// told apart by `level + 1` bits, the others by `level`.
    level: u32,
    next: usize,
    len: usize,
}

impl<T> Default for SplitTable<T> {
    fn default() -> Self {
        SplitTable {
            shards: Vec::new(),
            level: 0,
            next: 0,
            len: 0,
        }
    }
}

/// A key's place in a [`SplitTable`]: its entry, or room for one.
pub enum SplitEntry<'a, T> {
    Occupied(&'a mut T),
    Vacant(Vacancy<'a, T>),
}

/// Room for an absent entry: its shard and hash.
pub struct Vacancy<'a, T> {
    shard: &'a mut HashTable<T>,
    hash: u64,
    len: &'a mut usize,
}

impl<T: TableHash> Vacancy<'_, T> {
    pub fn insert(self, value: T) {
        *self.len += 1;
        self.shard.insert_unique(self.hash, value, T::table_hash);
    }
}

impl<T: TableHash> SplitTable<T> {
    #[inline]
    pub fn find(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<&T> {
        self.shards.get(self.shard_index(hash))?.find(hash, eq)
    }

    #[inline]
    pub fn find_mut(&mut self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<&mut T> {
        let index = self.shard_index(hash);
        self.shards.get_mut(index)?.find_mut(hash, eq)
    }

    /// The entry of `hash` and `eq`, for reading or inserting; the next shard is split
    /// first if due. `None` never happens (the shard is there), but no index is trusted
    /// blindly.
    pub fn entry(&mut self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<SplitEntry<'_, T>> {
        self.split_if_due();
        let index = self.shard_index(hash);
        let SplitTable { shards, len, .. } = self;
        Some(match shards.get_mut(index)?.find_entry(hash, eq) {
            Ok(occupied) => SplitEntry::Occupied(occupied.into_mut()),
            Err(absent) => SplitEntry::Vacant(Vacancy {
                shard: absent.into_table(),
                hash,
                len,
            }),
        })
    }

    /// Inserts `value`, which the caller knows is not in the table.
    pub fn insert_unique(&mut self, hash: u64, value: T) {
        self.split_if_due();
        let index = self.shard_index(hash);
        if let Some(shard) = self.shards.get_mut(index) {
            shard.insert_unique(hash, value, T::table_hash);
            self.len += 1;
        }
    }

    pub fn remove(&mut self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<T> {
        let index = self.shard_index(hash);
        let shard = self.shards.get_mut(index)?;
        let (value, _) = shard.find_entry(hash, eq).ok()?.remove();
        self.len = self.len.saturating_sub(1);
        Some(value)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.shards.iter().flat_map(HashTable::iter)
    }

    /// Heap bytes: the list of shards and every shard's table.
    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<HashTable<T>>(self.shards.capacity())
            + self
                .shards
                .iter()
                .map(HashTable::allocation_size)
                .sum::<usize>()
    }

    /// The shard of `hash`, found without a branch: which side of `next` a hash falls on is
    /// a coin toss, and a mispredicted branch would hold up the lookup's memory reads.
    fn shard_index(&self, hash: u64) -> usize {
        let bits = route(hash);
        let bit = 1 << self.level;
        let index = bits & (bit - 1);
        let split = usize::from(index < self.next).wrapping_neg();
        index | (bits & bit & split)
    }

    /// Makes the first shard, or splits the next one if the entries have reached
    /// [`SHARD_TARGET`] per shard. Inserts come one at a time, so one split keeps pace.
    fn split_if_due(&mut self) {
        if self.shards.is_empty() {
            self.shards.push(HashTable::new());
        } else if self.len >= self.shards.len().saturating_mul(SHARD_TARGET) {
            self.split_next();
        }
    }

    /// Splits shard `next` by bit `level` of the route: the entries with it set go to a
    /// new shard at `next + 2^level`, the end of the list.
    #[cold]
    #[inline(never)]
    fn split_next(&mut self) {
        if self.level >= usize::BITS - 21 {
            return;
        }
        let Some(shard) = self.shards.get_mut(self.next) else {
            return;
        };
        let bit = 1 << self.level;
        let moves = |hash: u64| route(hash) & bit != 0;
        // Both halves go to new tables of their size: taking entries out of the old one
        // would leave tombstones, which lengthen lookups and make it grow early.
        let full = std::mem::take(shard);
        let moving = full
            .iter()
            .filter(|value| moves(value.table_hash()))
            .count();
        let mut stay = HashTable::with_capacity(full.len() - moving);
        let mut sibling = HashTable::with_capacity(moving);
        for value in full {
            let hash = value.table_hash();
            let half = if moves(hash) { &mut sibling } else { &mut stay };
            half.insert_unique(hash, value, T::table_hash);
        }
        *shard = stay;
        self.shards.push(sibling);
        self.next += 1;
        if self.next == 1 << self.level {
            self.level += 1;
            self.next = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Entry(u64, u32);

    impl TableHash for Entry {
        fn table_hash(&self) -> u64 {
            mix(self.0)
        }
    }

    fn mix(key: u64) -> u64 {
        ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one(key)
    }

    fn put(table: &mut SplitTable<Entry>, key: u64, value: u32) {
        match table.entry(mix(key), |entry| entry.0 == key) {
            Some(SplitEntry::Occupied(entry)) => entry.1 = value,
            Some(SplitEntry::Vacant(vacancy)) => {
                vacancy.insert(Entry(key, value));
            }
            None => panic!("no shard for {key}"),
        }
    }

    /// Every entry sits in the shard its hash picks, and the count is right.
    fn assert_well_formed(table: &SplitTable<Entry>) {
        assert_eq!(table.shards.len(), (1 << table.level) + table.next);
        for (index, shard) in table.shards.iter().enumerate() {
            for entry in shard.iter() {
                assert_eq!(table.shard_index(entry.table_hash()), index);
            }
        }
        assert_eq!(table.len(), table.iter().count());
    }

    #[test]
    fn agrees_with_a_hash_map_through_splits_and_removals() {
        let mut table: SplitTable<Entry> = SplitTable::default();
        let mut model = HashMap::new();
        assert_eq!(table.heap_bytes(), 0);
        for step in 0..60_000u64 {
            let key = step.wrapping_mul(7_919) % 40_000;
            if step % 5 == 4 {
                assert_eq!(
                    table.remove(mix(key), |entry| entry.0 == key).map(|e| e.1),
                    model.remove(&key)
                );
            } else {
                put(&mut table, key, step as u32);
                model.insert(key, step as u32);
            }
        }
        assert_well_formed(&table);
        assert!(table.shards.len() > 8, "{} shards", table.shards.len());
        assert_eq!(table.len(), model.len());
        for key in 0..40_000u64 {
            let found = table.find(mix(key), |entry| entry.0 == key).map(|e| e.1);
            assert_eq!(found, model.get(&key).copied(), "key {key}");
        }
        let mut all: Vec<(u64, u32)> = table.iter().map(|entry| (entry.0, entry.1)).collect();
        all.sort_unstable();
        let mut expected: Vec<(u64, u32)> = model.into_iter().collect();
        expected.sort_unstable();
        assert_eq!(all, expected);
    }

    #[test]
    fn shards_stay_small_as_the_table_grows() {
        let mut table: SplitTable<Entry> = SplitTable::default();
        let limit = HashTable::<Entry>::with_capacity(2 * SHARD_TARGET).allocation_size();
        for key in 0..300_000u64 {
            let shards = table.shards.len();
            table.insert_unique(mix(key), Entry(key, 0));
            assert!(table.shards.len() <= shards + 1, "one split per insert");
            if key % 10_000 == 0 {
                let largest = table.shards.iter().map(HashTable::allocation_size).max();
                assert!(largest <= Some(limit), "{largest:?} > {limit} at {key}");
            }
        }
        assert_well_formed(&table);
        assert!(table.shards.len() >= 300_000 / SHARD_TARGET);
        if let Some(entry) = table.find_mut(mix(12_345), |entry| entry.0 == 12_345) {
            entry.1 = 9;
        }
        assert_eq!(
            table.find(mix(12_345), |entry| entry.0 == 12_345),
            Some(&Entry(12_345, 9))
        );
    }

    /// An entry whose hash is its key, so small keys share all their shard bits.
    struct Clustered(u64);

    impl TableHash for Clustered {
        fn table_hash(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn entries_no_split_can_tell_apart_stay_findable() {
        let mut table: SplitTable<Clustered> = SplitTable::default();
        for key in 0..10_000u64 {
            table.insert_unique(key, Clustered(key));
        }
        assert_eq!(table.len(), 10_000);
        assert!((0..10_000u64).all(|key| table.find(key, |entry| entry.0 == key).is_some()));
    }
}

//! A map from item id to a value, split into 16 shards once it is large. A hash map grows by
//! rehashing every entry at once, which at a hundred thousand items holds the server for
//! milliseconds, and a tracker's tallies all grow at the same moment (they see the same new
//! items). Ids are handed out in sequence, so the shard is picked by a well-mixed hash of the
//! id, not its low bits: shards then fill unevenly and each grows at its own time, a
//! sixteenth of the entries at once. A small map is one table: 16 tables of a few items each
//! would cost a small tracker kilobytes. Ids are dense integers the tracker assigns, not
//! chosen by clients, so these fixed hashes spread them well and cannot be attacked.

use std::collections::hash_map::{Entry, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::heap;
use crate::intern::ItemId;

const SHARD_BITS: u32 = 4;
const SHARDS: usize = 1 << SHARD_BITS;

/// The shard of an id: the top bits of MurmurHash3's finalizer. (A single multiplication
/// would spread consecutive ids so evenly that the shards would fill, and grow, in step.)
fn shard_of(id: ItemId) -> usize {
    let mut x = u64::from(id);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^= x >> 33;
    (x >> (64 - SHARD_BITS)) as usize
}

/// Hashes an id within its shard by another multiplication.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    }
}

type Shard<V> = HashMap<ItemId, V, BuildHasherDefault<IdHasher>>;

/// Items a map holds in one shard before it splits into [`SHARDS`]: growing a table of this
/// size, or moving it into shards, takes tens of microseconds.
const SPLIT_AT: usize = 2_048;

/// Values by item id. A map starts with no shard, takes one with its first value (so an
/// idle window's map stays an empty vector, and a small one is one small table), and
/// splits into 16 shards when that one reaches [`SPLIT_AT`] values.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    /// None, one, or [`SHARDS`] shards; with one, it holds every id.
    shards: Vec<Shard<V>>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap { shards: Vec::new() }
    }
}

impl<V> IdMap<V> {
    /// The index of `id`'s shard.
    fn shard_index(&self, id: ItemId) -> usize {
        if self.shards.len() == SHARDS {
            shard_of(id)
        } else {
            0
        }
    }

    /// `id`'s shard, creating the first one or splitting into [`SHARDS`] if due.
    fn shard_mut(&mut self, id: ItemId) -> Option<&mut Shard<V>> {
        match self.shards.as_slice() {
            [] => self.shards.push(Shard::default()),
            [only] if only.len() >= SPLIT_AT => self.split(),
            _ => {}
        }
        let index = self.shard_index(id);
        self.shards.get_mut(index)
    }

    /// Moves the values of the one shard into [`SHARDS`] shards.
    fn split(&mut self) {
        let mut shards: Vec<Shard<V>> = (0..SHARDS).map(|_| Shard::default()).collect();
        for (id, value) in self.shards.drain(..).flatten() {
            if let Some(shard) = shards.get_mut(shard_of(id)) {
                shard.insert(id, value);
            }
        }
        self.shards = shards;
    }

    pub fn get(&self, id: ItemId) -> Option<&V> {
        self.shards.get(self.shard_index(id))?.get(&id)
    }

    pub fn get_mut(&mut self, id: ItemId) -> Option<&mut V> {
        let index = self.shard_index(id);
        self.shards.get_mut(index)?.get_mut(&id)
    }

    /// `id`'s entry; `None` only if the shard is missing, which [`IdMap::shard_mut`] rules
    /// out.
    pub fn entry(&mut self, id: ItemId) -> Option<Entry<'_, ItemId, V>> {
        Some(self.shard_mut(id)?.entry(id))
    }

    pub fn remove(&mut self, id: ItemId) -> Option<V> {
        let index = self.shard_index(id);
        self.shards.get_mut(index)?.remove(&id)
    }

    /// Every `(id, value)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, &V)> {
        self.shards
            .iter()
            .flat_map(|shard| shard.iter().map(|(&id, value)| (id, value)))
    }

    /// Heap bytes: the list of shards and every shard's table.
    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<Shard<V>>(self.shards.capacity())
            + self
                .shards
                .iter()
                .map(|shard| heap::hash_map::<ItemId, V>(shard.capacity()))
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_land_in_their_shard_and_come_back() {
        let mut map: IdMap<u64> = IdMap::default();
        assert_eq!(map.heap_bytes(), 0);
        let count = 5 * SPLIT_AT as u32;
        for id in 0..count {
            if let Some(entry) = map.entry(id) {
                *entry.or_insert(0) += u64::from(id);
            }
            let expected = if (id as usize) < SPLIT_AT { 1 } else { SHARDS };
            assert_eq!(map.shards.len(), expected, "after id {id}");
        }
        assert_eq!(map.iter().count(), count as usize);
        assert!((0..count).all(|id| map.get(id) == Some(&u64::from(id))));
        assert_eq!(map.remove(17), Some(17));
        assert_eq!(map.get(17), None);
        assert_eq!(map.iter().count(), count as usize - 1);
        assert!(map.shards.iter().all(|shard| shard.len() >= 40));
    }
}

//! A map from item id to a value, split into 16 shards. A hash map grows by rehashing every
//! entry at once, which at a hundred thousand items holds the server for milliseconds, and a
//! tracker's tallies all grow at the same moment (they see the same new items). Ids are
//! handed out in sequence, so the shard is picked by a well-mixed hash of the id, not its
//! low bits: shards then fill unevenly and each grows at its own time, a sixteenth of the
//! entries at once. Ids are dense integers the tracker assigns, not chosen by clients, so
//! these fixed hashes spread them well and cannot be attacked.

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

/// Values by item id, in 16 shards, allocated with the first value (a map that never
/// holds anything, such as an idle window's, stays one pointer).
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    shards: Option<Box<[Shard<V>; SHARDS]>>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap { shards: None }
    }
}

impl<V> IdMap<V> {
    fn shard(&self, id: ItemId) -> Option<&Shard<V>> {
        Some(&self.shards.as_ref()?[shard_of(id) % SHARDS])
    }

    /// `id`'s shard, if the shards exist.
    fn existing_shard_mut(&mut self, id: ItemId) -> Option<&mut Shard<V>> {
        Some(&mut self.shards.as_mut()?[shard_of(id) % SHARDS])
    }

    /// `id`'s shard, allocating the shards first if needed.
    fn shard_mut(&mut self, id: ItemId) -> &mut Shard<V> {
        let shards = self
            .shards
            .get_or_insert_with(|| Box::new(std::array::from_fn(|_| Shard::default())));
        &mut shards[shard_of(id) % SHARDS]
    }

    fn shards(&self) -> impl Iterator<Item = &Shard<V>> {
        self.shards.iter().flat_map(|shards| shards.iter())
    }

    pub fn get(&self, id: ItemId) -> Option<&V> {
        self.shard(id)?.get(&id)
    }

    pub fn get_mut(&mut self, id: ItemId) -> Option<&mut V> {
        self.existing_shard_mut(id)?.get_mut(&id)
    }

    pub fn entry(&mut self, id: ItemId) -> Entry<'_, ItemId, V> {
        self.shard_mut(id).entry(id)
    }

    pub fn remove(&mut self, id: ItemId) -> Option<V> {
        self.existing_shard_mut(id)?.remove(&id)
    }

    /// Every `(id, value)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, &V)> {
        self.shards()
            .flat_map(|shard| shard.iter().map(|(&id, value)| (id, value)))
    }

    /// Heap bytes: the shards' array and every shard's table.
    pub fn heap_bytes(&self) -> usize {
        let array = self
            .shards
            .as_ref()
            .map_or(0, |_| std::mem::size_of::<[Shard<V>; SHARDS]>());
        array
            + self
                .shards()
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
        for id in 0..1000u32 {
            *map.entry(id).or_insert(0) += u64::from(id);
        }
        assert_eq!(map.iter().count(), 1000);
        assert_eq!(map.get(999), Some(&999));
        assert_eq!(map.remove(17), Some(17));
        assert_eq!(map.get(17), None);
        assert_eq!(map.iter().count(), 999);
        assert!(map.shards().all(|shard| shard.len() >= 40));
    }
}

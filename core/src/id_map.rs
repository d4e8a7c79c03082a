//! A map from item id to a value, in a [`SplitTable`]: it grows in steps of a few thousand
//! entries, so it never holds the server long, however many items it holds. Ids are dense
//! integers the tracker assigns, not chosen by clients, so a fixed hash cannot be attacked.
//! It is a full mix (MurmurHash3's finalizer), not one multiplication: that would spread ids
//! in sequence so evenly that every shard made in one round of splits would fill, and grow
//! its table, at the same moment, thousands of tables within a few hundred inserts. And a
//! tracker's maps see the same new items, so each map salts the ids it hashes with its own
//! value: their tables then grow at different moments rather than all at once.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::intern::ItemId;
use crate::split_table::{SplitEntry, SplitTable, TableHash, Vacancy};

/// The salt of the next map: a process-wide sequence (Weyl's, by the golden ratio), so maps
/// made one after the other get salts far apart.
static NEXT_SALT: AtomicU32 = AtomicU32::new(0);
const SALT_STEP: u32 = 0x9E37_79B9;

/// The hash of a salted id.
fn hash_key(key: u32) -> u64 {
    let mut x = u64::from(key);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// A value and its salted id, as the table holds them.
#[derive(Debug, Clone)]
struct Keyed<V> {
    key: u32,
    value: V,
}

impl<V> TableHash for Keyed<V> {
    fn table_hash(&self) -> u64 {
        hash_key(self.key)
    }
}

/// Values by item id.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    table: SplitTable<Keyed<V>>,
    /// XORed into every id this map holds (a clone keeps it, with its table).
    salt: u32,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            table: SplitTable::default(),
            salt: NEXT_SALT.fetch_add(SALT_STEP, Ordering::Relaxed),
        }
    }
}

/// An id's place in the map: its value, or room for one.
pub enum IdEntry<'a, V> {
    Occupied(&'a mut V),
    Vacant(IdVacancy<'a, V>),
}

/// Room for an absent id's value.
pub struct IdVacancy<'a, V> {
    key: u32,
    entry: Vacancy<'a, Keyed<V>>,
}

impl<V> IdVacancy<'_, V> {
    pub fn insert(self, value: V) {
        self.entry.insert(Keyed {
            key: self.key,
            value,
        });
    }
}

impl<V> IdMap<V> {
    #[inline]
    pub fn get(&self, id: ItemId) -> Option<&V> {
        let key = id ^ self.salt;
        let keyed = self.table.find(hash_key(key), |keyed| keyed.key == key)?;
        Some(&keyed.value)
    }

    #[inline]
    pub fn get_mut(&mut self, id: ItemId) -> Option<&mut V> {
        let key = id ^ self.salt;
        let keyed = self
            .table
            .find_mut(hash_key(key), |keyed| keyed.key == key)?;
        Some(&mut keyed.value)
    }

    /// `id`'s entry; `None` only if the table had no shard for it, which
    /// [`SplitTable::entry`] rules out.
    #[inline]
    pub fn entry(&mut self, id: ItemId) -> Option<IdEntry<'_, V>> {
        let key = id ^ self.salt;
        Some(
            match self.table.entry(hash_key(key), |keyed| keyed.key == key)? {
                SplitEntry::Occupied(keyed) => IdEntry::Occupied(&mut keyed.value),
                SplitEntry::Vacant(entry) => IdEntry::Vacant(IdVacancy { key, entry }),
            },
        )
    }

    pub fn remove(&mut self, id: ItemId) -> Option<V> {
        let key = id ^ self.salt;
        let keyed = self.table.remove(hash_key(key), |keyed| keyed.key == key)?;
        Some(keyed.value)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every `(id, value)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, &V)> {
        self.table
            .iter()
            .map(|keyed| (keyed.key ^ self.salt, &keyed.value))
    }

    /// Heap bytes of the table.
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_get_different_salts() {
        let (a, b) = (IdMap::<u8>::default(), IdMap::<u8>::default());
        assert_ne!(a.salt, b.salt);
    }

    #[test]
    fn ids_come_back_with_their_values() {
        let mut map: IdMap<u64> = IdMap::default();
        assert_eq!(map.heap_bytes(), 0);
        let count = 20_000u32;
        for id in 0..count {
            match map.entry(id) {
                Some(IdEntry::Vacant(vacancy)) => vacancy.insert(u64::from(id)),
                _ => panic!("{id} is new"),
            }
        }
        if let Some(IdEntry::Occupied(value)) = map.entry(5) {
            *value += 1;
        }
        assert_eq!(map.iter().count(), count as usize);
        assert_eq!(map.get(5), Some(&6));
        assert!((6..count).all(|id| map.get(id) == Some(&u64::from(id))));
        assert_eq!(map.remove(17), Some(17));
        assert_eq!(map.get(17), None);
        assert_eq!(map.get_mut(18).map(|value| *value), Some(18));
        assert_eq!(map.iter().count(), count as usize - 1);
    }
}

//! Item interning: every distinct item's bytes are stored once per tracker and named by a
//! small integer id that all buckets and aggregates share. An id stays alive while any
//! aggregate holds the item with a nonzero count (a reference count) and is then recycled.

use ahash::RandomState;

use crate::heap;
use crate::item_bytes::ItemBytes;
use crate::segmented::SegmentedVec;
use crate::split_table::{SplitTable, TableHash};

/// The id of an interned item; dense from 0, recycled after release.
pub type ItemId = u32;

#[derive(Debug, Default, Clone)]
struct Slot {
    bytes: Option<ItemBytes>,
    /// The item's hash, folded to 32 bits (see [`spread`]).
    hash: u32,
    refs: u32,
}

/// The table hash of a folded 32-bit hash. A multiplication by an odd constant keeps the
/// low bits (which pick the bucket) as well spread as the folded hash's and mixes the folded
/// hash into the middle bits (which pick the shard) and the high ones (the tag).
fn spread(folded: u32) -> u64 {
    u64::from(folded).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// One held item in the table: its id and its folded hash, 8 bytes, so growing the table
/// reads nothing else. A lookup compares bytes in the slot only when the hashes are equal;
/// the slot is read for every event anyway (its reference count).
#[derive(Debug, Clone, Copy)]
struct Held {
    id: ItemId,
    hash: u32,
}

impl TableHash for Held {
    fn table_hash(&self) -> u64 {
        spread(self.hash)
    }
}

/// Bytes <-> id, with reference counts. Each item's bytes are hashed once, when it is
/// interned: its table entry keeps the hash for growing the table, and its slot keeps it for
/// forgetting the item by id, so neither hashes or compares bytes again.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    /// Held items; a [`SplitTable`], so growing it never holds the server long.
    ids: SplitTable<Held>,
    hasher: RandomState,
    /// Per id; segmented, so a growing tracker never moves them all at once.
    slots: SegmentedVec<Slot>,
    free: Vec<ItemId>,
}

impl Interner {
    /// The id of `bytes`, if the item is currently held.
    pub fn find(&self, bytes: &[u8]) -> Option<ItemId> {
        self.find_hashed(bytes, self.fold(bytes))
    }

    /// The id of `bytes`, interning it (with no references yet) if new. A new id must be
    /// retained by the caller, or released with [`Interner::release_if_unused`].
    pub fn intern(&mut self, bytes: &[u8]) -> ItemId {
        let hash = self.fold(bytes);
        if let Some(id) = self.find_hashed(bytes, hash) {
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(Slot::default());
                (self.slots.len() - 1) as ItemId
            }
        };
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = Slot {
                bytes: Some(ItemBytes::new(bytes)),
                hash,
                refs: 0,
            };
        }
        let held = Held { id, hash };
        self.ids.insert_unique(spread(hash), held);
        id
    }

    /// The bytes of a held item (empty for an unknown id, which callers never pass).
    pub fn bytes(&self, id: ItemId) -> &[u8] {
        self.slots
            .get(id as usize)
            .and_then(|slot| slot.bytes.as_ref())
            .map_or(&[], ItemBytes::as_slice)
    }

    /// One more aggregate holds `id`.
    pub fn retain(&mut self, id: ItemId) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            slot.refs = slot.refs.saturating_add(1);
        }
    }

    /// One aggregate no longer holds `id`; the item is forgotten when none does.
    pub fn release(&mut self, id: ItemId) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            slot.refs = slot.refs.saturating_sub(1);
        }
        self.release_if_unused(id);
    }

    /// Forgets `id` if no aggregate holds it.
    pub fn release_if_unused(&mut self, id: ItemId) {
        let Some(slot) = self.slots.get_mut(id as usize) else {
            return;
        };
        if slot.refs == 0 && slot.bytes.take().is_some() {
            self.ids.remove(spread(slot.hash), |held| held.id == id);
            self.free.push(id);
        }
    }

    /// One more than the largest id handed out so far: ids are dense below it.
    pub fn id_bound(&self) -> usize {
        self.slots.len()
    }

    /// Number of distinct items held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Held items in id order, for encoding.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, &[u8])> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(id, slot)| Some((id as ItemId, slot.bytes.as_ref()?.as_slice())))
    }

    /// Approximate heap bytes: the items, the table and the slots.
    pub fn heap_bytes(&self) -> usize {
        let items: usize = self
            .slots
            .iter()
            .filter_map(|slot| slot.bytes.as_ref())
            .map(ItemBytes::heap_bytes)
            .sum();
        self.ids.heap_bytes()
            + items
            + self.slots.heap_bytes()
            + heap::buffer::<ItemId>(self.free.capacity())
    }

    /// `bytes`' hash, folded to the 32 bits a slot keeps.
    fn fold(&self, bytes: &[u8]) -> u32 {
        let hash = self.hasher.hash_one(bytes);
        (hash ^ (hash >> 32)) as u32
    }

    #[inline]
    fn find_hashed(&self, bytes: &[u8], hash: u32) -> Option<ItemId> {
        self.ids
            .find(spread(hash), |held| {
                held.hash == hash && self.bytes(held.id) == bytes
            })
            .map(|held| held.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_recycles_released_ids() {
        let mut interner = Interner::default();
        let a = interner.intern(b"a");
        assert_eq!(interner.intern(b"a"), a);
        interner.retain(a);
        interner.retain(a);
        let b = interner.intern(b"b");
        interner.retain(b);
        assert_eq!(interner.len(), 2);
        interner.release(a);
        assert_eq!(interner.find(b"a"), Some(a));
        interner.release(a);
        assert_eq!(interner.find(b"a"), None);
        assert_eq!(interner.bytes(b), b"b");
        let c = interner.intern(b"c");
        assert_eq!(c, a, "the freed id is reused");
        assert_eq!(interner.bytes(c), b"c");
    }

    #[test]
    fn unretained_items_can_be_dropped_at_once() {
        let mut interner = Interner::default();
        let x = interner.intern(b"x");
        interner.release_if_unused(x);
        assert!(interner.is_empty());
    }
}

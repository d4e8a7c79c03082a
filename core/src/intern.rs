//! Item interning: every distinct item's bytes are stored once per tracker and named by a
//! small integer id that all buckets and aggregates share. An id stays alive while any
//! aggregate holds the item with a nonzero count (a reference count) and is then recycled.

use std::collections::HashMap;
use std::sync::Arc;

use ahash::RandomState;

use crate::heap;

/// The id of an interned item; dense from 0, recycled after release.
pub type ItemId = u32;

#[derive(Debug, Default, Clone)]
struct Slot {
    bytes: Option<Arc<[u8]>>,
    refs: u32,
}

/// Bytes <-> id, with reference counts.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: HashMap<Arc<[u8]>, ItemId, RandomState>,
    slots: Vec<Slot>,
    free: Vec<ItemId>,
}

impl Interner {
    /// The id of `bytes`, if the item is currently held.
    pub fn find(&self, bytes: &[u8]) -> Option<ItemId> {
        self.ids.get(bytes).copied()
    }

    /// The id of `bytes`, interning it (with no references yet) if new. A new id must be
    /// retained by the caller, or released with [`Interner::release_if_unused`].
    pub fn intern(&mut self, bytes: &[u8]) -> ItemId {
        if let Some(&id) = self.ids.get(bytes) {
            return id;
        }
        let shared: Arc<[u8]> = Arc::from(bytes);
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(Slot::default());
                (self.slots.len() - 1) as ItemId
            }
        };
        if let Some(slot) = self.slots.get_mut(id as usize) {
            slot.bytes = Some(shared.clone());
            slot.refs = 0;
        }
        self.ids.insert(shared, id);
        id
    }

    /// The bytes of a held item (empty for an unknown id, which callers never pass).
    pub fn bytes(&self, id: ItemId) -> &[u8] {
        self.slots
            .get(id as usize)
            .and_then(|slot| slot.bytes.as_deref())
            .unwrap_or(&[])
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
        if slot.refs == 0 {
            if let Some(bytes) = slot.bytes.take() {
                self.ids.remove(&bytes);
                self.free.push(id);
            }
        }
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
            .filter_map(|(id, slot)| Some((id as ItemId, slot.bytes.as_deref()?)))
    }

    /// Approximate heap bytes: the items, the map and the slot table.
    pub fn heap_bytes(&self) -> usize {
        let items: usize = self.ids.keys().map(|b| heap::shared_bytes(b.len())).sum();
        items
            + heap::hash_map::<Arc<[u8]>, ItemId>(self.ids.capacity())
            + heap::buffer::<Slot>(self.slots.capacity())
            + heap::buffer::<ItemId>(self.free.capacity())
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

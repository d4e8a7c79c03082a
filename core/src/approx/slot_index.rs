//! Which slot of an [`super::ApproxTable`] holds an item. Item ids are dense (the interner
//! hands out the smallest free ones, and in APPROX mode it holds at most the items the
//! tracker's tables track), so a vector indexed by id does the job of a hash map: a lookup,
//! an admission and an eviction are each one memory access, with no hashing or probing.

use crate::heap;
use crate::intern::ItemId;

/// An id with no slot.
const UNTRACKED: u32 = u32::MAX;

/// Item id -> slot.
#[derive(Debug, Clone, Default)]
pub struct SlotIndex {
    slots: Vec<u32>,
}

impl SlotIndex {
    /// The slot of `id`, if tracked.
    pub fn get(&self, id: ItemId) -> Option<u32> {
        self.slots
            .get(id as usize)
            .copied()
            .filter(|&slot| slot != UNTRACKED)
    }

    /// Records `id` in `slot`; returns false (and changes nothing) if `id` already has one.
    pub fn insert(&mut self, id: ItemId, slot: u32) -> bool {
        let index = id as usize;
        if index >= self.slots.len() {
            self.slots.resize(index + 1, UNTRACKED);
        }
        match self.slots.get_mut(index) {
            Some(stored) if *stored == UNTRACKED => {
                *stored = slot;
                true
            }
            _ => false,
        }
    }

    pub fn remove(&mut self, id: ItemId) {
        if let Some(stored) = self.slots.get_mut(id as usize) {
            *stored = UNTRACKED;
        }
    }

    pub fn clear(&mut self) {
        self.slots.clear();
    }

    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<u32>(self.slots.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ids_to_slots_once() {
        let mut index = SlotIndex::default();
        assert_eq!(index.get(5), None);
        assert!(index.insert(5, 0));
        assert!(!index.insert(5, 1), "already tracked");
        assert_eq!(
            (index.get(5), index.get(4), index.get(6)),
            (Some(0), None, None)
        );
        index.remove(5);
        assert_eq!(index.get(5), None);
        assert!(index.insert(5, 2));
        assert_eq!(index.get(5), Some(2));
    }
}

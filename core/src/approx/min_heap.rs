//! The eviction order of an [`super::ApproxTable`]: a binary min-heap of `(key, slot)`
//! entries, where a slot's key is `(upper bound, admission sequence)`. The heap is lazy:
//! adding to a slot costs nothing, and when expiry lowers a slot's key the table files a
//! new entry under the lower key. So every slot always has an entry no larger than its key,
//! and [`EvictionHeap::pop_min`] re-files entries whose key has grown and skips the
//! outdated ones until the smallest entry is current: that slot has the smallest key. Keys
//! are distinct (the sequence number breaks ties), so the slot chosen never depends on the
//! heap's layout: a table decoded from RDB evicts exactly what the original would have.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A slot's place in the eviction order.
pub type Key = (u64, u64);

#[derive(Debug, Clone, Default)]
pub struct EvictionHeap {
    entries: BinaryHeap<Reverse<(Key, u32)>>,
}

impl EvictionHeap {
    /// Files `slot` under `key` (a new or re-admitted slot).
    pub fn push(&mut self, slot: u32, key: Key) {
        self.entries.push(Reverse((key, slot)));
    }

    /// Removes and returns the slot with the smallest current key, given each slot's current
    /// key (`None` for a slot whose entry is outdated: freed or re-admitted since).
    pub fn pop_min(&mut self, current: impl Fn(u32) -> Option<Key>) -> Option<u32> {
        while let Some(Reverse((filed, slot))) = self.entries.pop() {
            match current(slot) {
                Some(key) if key == filed => return Some(slot),
                Some(key) if key.1 == filed.1 && key > filed => self.push(slot, key),
                _ => {}
            }
        }
        None
    }

    /// Entries held (outdated ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rebuilds the heap from every live slot's current key, in O(n), reusing its buffer.
    pub fn rebuild(&mut self, keys: impl Iterator<Item = (u32, Key)>) {
        let mut entries = std::mem::take(&mut self.entries).into_vec();
        entries.clear();
        entries.extend(keys.map(|(slot, key)| Reverse((key, slot))));
        self.entries = BinaryHeap::from(entries);
    }

    pub fn heap_bytes(&self) -> usize {
        crate::heap::buffer::<Reverse<(Key, u32)>>(self.entries.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// With keys that only grow, the popped slot is always the one with the smallest
        /// current key, and a popped slot filed again comes back in order.
        #[test]
        fn pops_the_smallest_current_key(
            uppers in proptest::collection::vec(0u64..50, 1..60),
            growth in proptest::collection::vec((0usize..60, 0u64..20), 0..200),
        ) {
            let mut keys: Vec<Option<Key>> = uppers
                .iter()
                .enumerate()
                .map(|(seq, &upper)| Some((upper, seq as u64)))
                .collect();
            let mut heap = EvictionHeap::default();
            heap.rebuild(keys.iter().enumerate().filter_map(|(s, k)| Some((s as u32, (*k)?))));
            let mut next_seq = keys.len() as u64;
            for (i, (slot, more)) in growth.into_iter().enumerate() {
                let slot = slot % keys.len();
                if let Some(key) = &mut keys[slot] {
                    key.0 += more;
                }
                if i % 5 == 4 {
                    let smallest = (0..keys.len())
                        .filter_map(|s| keys[s].map(|k| (k, s as u32)))
                        .min()
                        .map(|(_, s)| s);
                    let popped = heap.pop_min(|s| keys[s as usize]);
                    prop_assert_eq!(popped, smallest);
                    if let Some(s) = popped {
                        keys[s as usize] = Some((0, next_seq));
                        heap.push(s, (0, next_seq));
                        next_seq += 1;
                    }
                }
            }
        }
    }
}

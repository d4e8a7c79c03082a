//! An indexed binary min-heap over the slots of an [`super::ApproxTable`]: each slot has a
//! key `(upper bound, admission sequence)`, the heap finds the slot with the smallest key in
//! O(1) and re-sorts one slot in O(log n) when its key changes. Keys are distinct (the
//! sequence number breaks ties), so the minimum never depends on the heap's layout: a table
//! decoded from RDB evicts exactly what the original would have.

/// A slot's place in the eviction order.
pub type Key = (u64, u64);

#[derive(Debug, Clone, Default)]
pub struct MinHeap {
    /// Slots in heap order.
    order: Vec<u32>,
    /// Position of each slot in `order`.
    position: Vec<u32>,
    /// Key of each slot.
    keys: Vec<Key>,
}

impl MinHeap {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The slot with the smallest key.
    pub fn min(&self) -> Option<u32> {
        self.order.first().copied()
    }

    /// Adds slot number `len()` with `key`.
    pub fn push(&mut self, key: Key) {
        let slot = self.order.len() as u32;
        self.order.push(slot);
        self.position.push(slot);
        self.keys.push(key);
        self.sift_up(slot as usize);
    }

    /// Changes the key of `slot` (ignored for a slot the heap does not hold).
    pub fn set(&mut self, slot: u32, key: Key) {
        let Some(old) = self.keys.get_mut(slot as usize) else {
            return;
        };
        let grew = key > *old;
        *old = key;
        let Some(&at) = self.position.get(slot as usize) else {
            return;
        };
        if grew {
            self.sift_down(at as usize);
        } else {
            self.sift_up(at as usize);
        }
    }

    /// Rebuilds the heap for slots `0..keys.len()` with the given keys, in O(n).
    pub fn rebuild(&mut self, keys: impl Iterator<Item = Key>) {
        self.keys.clear();
        self.keys.extend(keys);
        let n = self.keys.len();
        self.order.clear();
        self.order.extend(0..n as u32);
        self.position.clear();
        self.position.extend(0..n as u32);
        for at in (0..n / 2).rev() {
            self.sift_down(at);
        }
    }

    pub fn heap_bytes(&self) -> usize {
        crate::heap::buffer::<u32>(self.order.capacity())
            + crate::heap::buffer::<u32>(self.position.capacity())
            + crate::heap::buffer::<Key>(self.keys.capacity())
    }

    fn key_at(&self, at: usize) -> Key {
        self.order
            .get(at)
            .and_then(|&slot| self.keys.get(slot as usize))
            .copied()
            .unwrap_or((u64::MAX, u64::MAX))
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.order.swap(a, b);
        for at in [a, b] {
            if let Some(&slot) = self.order.get(at) {
                if let Some(position) = self.position.get_mut(slot as usize) {
                    *position = at as u32;
                }
            }
        }
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.key_at(at) >= self.key_at(parent) {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        let n = self.order.len();
        loop {
            let left = 2 * at + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.key_at(right) < self.key_at(left) {
                right
            } else {
                left
            };
            if self.key_at(child) >= self.key_at(at) {
                break;
            }
            self.swap(at, child);
            at = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn min_is_the_smallest_key(
            keys in proptest::collection::vec(0u64..50, 1..60),
            changes in proptest::collection::vec((0usize..60, 0u64..50), 0..200),
        ) {
            let mut heap = MinHeap::default();
            let mut model: Vec<Key> = Vec::new();
            for (seq, &upper) in keys.iter().enumerate() {
                heap.push((upper, seq as u64));
                model.push((upper, seq as u64));
            }
            for (slot, upper) in changes {
                let slot = slot % model.len();
                model[slot].0 = upper;
                heap.set(slot as u32, model[slot]);
                let smallest = (0..model.len()).min_by_key(|&s| model[s]).unwrap();
                prop_assert_eq!(heap.min(), Some(smallest as u32));
            }
            heap.rebuild(model.iter().copied());
            let smallest = (0..model.len()).min_by_key(|&s| model[s]).unwrap();
            prop_assert_eq!(heap.min(), Some(smallest as u32));
        }
    }
}

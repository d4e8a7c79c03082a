//! Counts and amounts stored in 32 bits. Bucket entries and tally records keep their number
//! in a `u32`, which holds any amount an event can carry and almost every sum; a number of
//! 2^32 - 1 or more (billions of events of one item) is marked with [`LARGE`] and kept in a
//! small side table under a key the owner picks (an entry's position, an item's id). Records
//! stay 4 bytes smaller, and any value still takes one record, so decoding stays bounded.

use std::collections::BTreeMap;

use crate::heap;

/// A stored number meaning "the value is in the side table".
const LARGE: u32 = u32::MAX;

/// The side table of the values that do not fit in 32 bits, by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wide<K> {
    values: BTreeMap<K, u64>,
}

impl<K> Default for Wide<K> {
    fn default() -> Self {
        Wide {
            values: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy> Wide<K> {
    /// The value stored as `stored` under `key`.
    #[inline]
    pub fn get(&self, key: K, stored: u32) -> u64 {
        if stored < LARGE {
            u64::from(stored)
        } else {
            self.values.get(&key).copied().unwrap_or(0)
        }
    }

    /// Stores `value` under `key` in `stored` (and the side table if it does not fit). The
    /// common case, a small value replacing a small one, is inlined into every counter.
    #[inline]
    pub fn set(&mut self, key: K, stored: &mut u32, value: u64) {
        match u32::try_from(value) {
            Ok(small) if small < LARGE && *stored < LARGE => *stored = small,
            _ => self.set_past_fast_path(key, stored, value),
        }
    }

    /// [`Wide::set`] when the old or the new value is in the side table.
    fn set_past_fast_path(&mut self, key: K, stored: &mut u32, value: u64) {
        match u32::try_from(value) {
            Ok(small) if small < LARGE => {
                if *stored == LARGE {
                    self.values.remove(&key);
                }
                *stored = small;
            }
            _ => {
                *stored = LARGE;
                self.values.insert(key, value);
            }
        }
    }

    /// The value stored as `stored` under `key`, forgetting it (its record is going away).
    pub fn take(&mut self, key: K, stored: u32) -> u64 {
        if stored < LARGE {
            u64::from(stored)
        } else {
            self.values.remove(&key).unwrap_or(0)
        }
    }

    /// Values in the side table.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        heap::btree_map::<K, u64>(self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_past_32_bits_go_to_the_side_table_and_back() {
        let mut wide: Wide<u32> = Wide::default();
        let mut stored = 0;
        for value in [
            5,
            u64::from(u32::MAX) - 1,
            u64::from(u32::MAX),
            i64::MAX as u64,
            7,
        ] {
            wide.set(1, &mut stored, value);
            assert_eq!(wide.get(1, stored), value);
            assert_eq!(wide.len(), usize::from(value >= u64::from(u32::MAX)));
        }
        wide.set(1, &mut stored, 1 << 40);
        assert_eq!(wide.take(1, stored), 1 << 40);
        assert!(wide.is_empty());
    }
}

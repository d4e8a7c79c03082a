//! Heap-size arithmetic for `MEMORY USAGE`: what the standard collections the tracker holds
//! really allocate for a given capacity. A hash map's `capacity()` is 7/8 of its power-of-two
//! bucket count, minus the tombstones left by removals, and each bucket also costs a control
//! byte; counting `capacity * entry` alone under-reports by a seventh or more, so these
//! helpers mirror the allocation layouts instead.

use std::mem::size_of;

/// Control bytes a SwissTable allocates past its buckets (one SIMD group).
const GROUP_WIDTH: usize = 16;
/// Header of an `Arc` allocation: the strong and weak counts.
const ARC_HEADER: usize = 2 * size_of::<usize>();
/// Approximate bytes of one B-tree node holding up to 11 entries, beyond the entries.
const BTREE_NODE_OVERHEAD: usize = 48;
const BTREE_NODE_ENTRIES: usize = 11;

/// Bytes a hash map (or set) of `capacity` holding entries of `entry` bytes allocates.
pub fn hash_table(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity * 8).div_ceil(7).next_power_of_two()
    };
    let data = (buckets * entry).div_ceil(GROUP_WIDTH) * GROUP_WIDTH;
    data + buckets + GROUP_WIDTH
}

/// Bytes of a hash map of `capacity` with key `K` and value `V`.
pub fn hash_map<K, V>(capacity: usize) -> usize {
    hash_table(capacity, size_of::<(K, V)>())
}

/// Bytes of a `Vec`/`VecDeque` buffer of `capacity` elements of `T`.
pub fn buffer<T>(capacity: usize) -> usize {
    capacity * size_of::<T>()
}

/// Bytes of an `Arc<[u8]>` of `len` bytes (header, payload rounded to the word).
pub fn shared_bytes(len: usize) -> usize {
    ARC_HEADER + len.div_ceil(size_of::<usize>()) * size_of::<usize>()
}

/// Approximate bytes of a `BTreeMap` holding `len` entries of `K` and `V` (nodes about
/// two-thirds full).
pub fn btree_map<K, V>(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let per_node = BTREE_NODE_ENTRIES * 2 / 3;
    let nodes = len.div_ceil(per_node);
    nodes * (BTREE_NODE_OVERHEAD + BTREE_NODE_ENTRIES * (size_of::<K>() + size_of::<V>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_tables_count_buckets_not_capacity() {
        assert_eq!(hash_table(0, 16), 0);
        assert_eq!(hash_table(3, 16), 4 * 16 + 4 + GROUP_WIDTH);
        assert_eq!(hash_table(14, 16), 16 * 16 + 16 + GROUP_WIDTH);
        assert_eq!(
            hash_table(917_504, 8),
            1_048_576 * 8 + 1_048_576 + GROUP_WIDTH
        );
    }
}

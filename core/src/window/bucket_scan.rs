//! Sums over some of a sliding window's buckets for the items a read at a later clock or
//! over a shorter span asks about (a top-k walk's candidates, COUNT's items): the read needs
//! each item's amount in the buckets it leaves out (to subtract from the tally), or in the
//! ones it covers when those are fewer. Summing every entry of the buckets by item would fill a hash map of tens
//! of thousands of items for one bucket of a big tracker, most of them never asked about.
//! Instead the asked items are marked in a bit set by id, and the buckets' entries are
//! scanned once per batch the walk asks about, summing only the marked ones: a scan reads
//! entries in order and tests a bit, several times cheaper per entry than a hash map insert.
//! Scanning stops being worth it past an allowance of entries, and the caller then merges
//! the covered buckets.

use std::collections::HashMap;

use ahash::RandomState;

use crate::intern::ItemId;
use crate::window::bucket::Bucket;

/// Sums over some buckets for items asked about in batches.
pub struct BucketScan<'a> {
    buckets: Vec<&'a Bucket>,
    /// Entries the buckets hold: what one scan reads.
    entries: usize,
    /// Entries left to scan before giving up.
    allowance: usize,
    /// One bit per id, set for the items of the batch being scanned; as long as the
    /// largest id asked about needs.
    marked: Vec<u64>,
    sums: HashMap<ItemId, u64, RandomState>,
}

impl<'a> BucketScan<'a> {
    /// The amounts `buckets` hold, scanning at most `allowance` entries in all.
    pub fn new(buckets: Vec<&'a Bucket>, allowance: usize) -> Self {
        let entries = buckets.iter().map(|bucket| bucket.len()).sum();
        BucketScan {
            buckets,
            entries,
            allowance,
            marked: Vec::new(),
            sums: HashMap::default(),
        }
    }

    /// Pushes to `amounts` the buckets' sum for each of `ids`, in order, with one scan; false,
    /// pushing nothing, when the scan would go past the allowance.
    pub fn sums_of(&mut self, ids: &[ItemId], amounts: &mut Vec<u64>) -> bool {
        let Some(left) = self.allowance.checked_sub(self.entries) else {
            return false;
        };
        self.allowance = left;
        for &id in ids {
            let word = id as usize / 64;
            if word >= self.marked.len() {
                self.marked.resize(word + 1, 0);
            }
            set_bit(&mut self.marked, id, true);
        }
        self.sums.clear();
        self.sums.reserve(ids.len());
        let (marked, sums) = (&self.marked, &mut self.sums);
        for bucket in &self.buckets {
            bucket.for_each_wanted(
                |id| is_set(marked, id),
                |id, amount| {
                    let sum = sums.entry(id).or_insert(0);
                    *sum = sum.saturating_add(amount);
                },
            );
        }
        for &id in ids {
            set_bit(&mut self.marked, id, false);
        }
        amounts.extend(ids.iter().map(|id| self.sums.get(id).copied().unwrap_or(0)));
        true
    }
}

fn set_bit(bits: &mut [u64], id: ItemId, on: bool) {
    if let Some(word) = bits.get_mut(id as usize / 64) {
        let bit = 1u64 << (id % 64);
        if on {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }
}

fn is_set(bits: &[u64], id: ItemId) -> bool {
    bits.get(id as usize / 64)
        .is_some_and(|word| word & (1u64 << (id % 64)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::records::NO_HINT;

    /// Buckets from `(bucket, item, amount)` adds; an item may have several entries in a
    /// bucket, and amounts reach past 32 bits.
    fn buckets_of(adds: &[(usize, ItemId, u64)]) -> Vec<Bucket> {
        let mut buckets = vec![Bucket::default(); 3];
        for &(index, id, amount) in adds {
            if let Some(bucket) = buckets.get_mut(index) {
                let mut hint = NO_HINT;
                bucket.add(id, amount, &mut hint, false);
            }
        }
        buckets
    }

    proptest! {
        /// Every batch's amounts equal the sums over every entry of every bucket, whatever
        /// was asked before; ids never seen sum to 0.
        #[test]
        fn amounts_are_the_buckets_sums(
            adds in proptest::collection::vec(
                (0usize..3, 0u32..300, prop_oneof![1u64..100, (1u64 << 32)..(1u64 << 33)]),
                0..200,
            ),
            batches in proptest::collection::vec(proptest::collection::vec(0u32..400, 0..40), 1..5),
        ) {
            let buckets = buckets_of(&adds);
            let mut scan = BucketScan::new(buckets.iter().collect(), usize::MAX);
            for batch in batches {
                let mut amounts = vec![7];
                prop_assert!(scan.sums_of(&batch, &mut amounts));
                let expected: Vec<u64> = batch
                    .iter()
                    .map(|&id| adds.iter().filter(|add| add.1 == id).map(|add| add.2).sum())
                    .collect();
                prop_assert_eq!(amounts.first(), Some(&7));
                prop_assert_eq!(&amounts[1..], expected.as_slice());
            }
        }
    }

    #[test]
    fn scanning_past_the_allowance_gives_up_without_answering() {
        let buckets = buckets_of(&[(0, 1, 5), (1, 1, 2), (1, 2, 3), (2, 9, 1)]);
        let mut scan = BucketScan::new(buckets.iter().collect(), 9);
        let mut amounts = Vec::new();
        assert!(scan.sums_of(&[1, 2], &mut amounts));
        assert!(scan.sums_of(&[9, 1], &mut amounts));
        assert_eq!(amounts, vec![7, 3, 1, 7]);
        assert!(
            !scan.sums_of(&[2], &mut amounts),
            "a third scan reads 12 > 9"
        );
        assert_eq!(amounts.len(), 4);
    }
}

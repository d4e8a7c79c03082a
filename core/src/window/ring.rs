//! A ring of tumbling buckets: bucket `i` holds the per-item counts of events with
//! `i * width <= ts < (i + 1) * width`. Buckets are addressed by their absolute index, are
//! created as events arrive, and leave from the old end when the window slides.

use std::collections::{HashMap, VecDeque};

use ahash::RandomState;

use crate::heap;
use crate::intern::ItemId;

/// Per-item counts of one bucket.
pub type Bucket = HashMap<ItemId, u64, RandomState>;

/// Consecutive buckets from absolute index `first`.
#[derive(Debug, Clone, Default)]
pub struct BucketRing {
    first: i64,
    buckets: VecDeque<Bucket>,
}

impl BucketRing {
    /// The absolute index of the oldest bucket held.
    pub fn first(&self) -> i64 {
        self.first
    }

    /// Buckets held, oldest first, with their absolute indices.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Bucket)> {
        self.buckets
            .iter()
            .enumerate()
            .map(move |(offset, bucket)| (self.first + offset as i64, bucket))
    }

    /// Adds `amount` of `id` to bucket `index`, growing the ring at either end. The window
    /// only inserts into buckets within its span, so the ring stays about W/g long.
    pub fn add(&mut self, index: i64, id: ItemId, amount: u64) {
        if self.buckets.is_empty() {
            self.first = index;
        }
        while index < self.first {
            self.buckets.push_front(Bucket::default());
            self.first -= 1;
        }
        let Ok(offset) = usize::try_from(index - self.first) else {
            return;
        };
        while self.buckets.len() <= offset {
            self.buckets.push_back(Bucket::default());
        }
        if let Some(bucket) = self.buckets.get_mut(offset) {
            let count = bucket.entry(id).or_insert(0);
            *count = count.saturating_add(amount);
        }
    }

    /// Removes every bucket older than `index`, handing each to `expire`.
    pub fn expire_before(&mut self, index: i64, mut expire: impl FnMut(Bucket)) {
        while self.first < index {
            match self.buckets.pop_front() {
                Some(bucket) => {
                    self.first += 1;
                    expire(bucket);
                }
                None => {
                    self.first = index;
                }
            }
        }
    }

    /// Restores a ring from its encoding.
    pub fn from_parts(first: i64, buckets: VecDeque<Bucket>) -> Self {
        BucketRing { first, buckets }
    }

    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<Bucket>(self.buckets.capacity())
            + self
                .buckets
                .iter()
                .map(|b| heap::hash_map::<ItemId, u64>(b.capacity()))
                .sum::<usize>()
    }
}

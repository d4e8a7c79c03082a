//! Exactly-once within a horizon (SPEC.md "Dedupe"). An event is a duplicate when an event
//! with the same id was accepted and that event's timestamp is at least `T - horizon`. The
//! ids of accepted events are remembered with their latest accepted timestamp in a map, and
//! listed in a ring of time buckets (width horizon/60) so that whole buckets are forgotten
//! once they fall behind `T - horizon`.
//!
//! Memory is bounded: at most [`MAX_REMEMBERED_IDS`] ids are remembered (70 to 100 bytes,
//! depending on the hash table's load, plus the id's length each). Beyond that the oldest
//! bucket is forgotten first, so exactly-once then holds for the most recent ids only;
//! forgotten ids are counted in `forgotten`. Ids are 1 to 4096 bytes, compared byte-wise,
//! never hashed to a shorter key (no false duplicates).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use ahash::RandomState;

use crate::heap;

/// The most ids a tracker remembers for dedupe.
pub const MAX_REMEMBERED_IDS: usize = 2_000_000;

/// The width of the buckets ids are forgotten by: a sixtieth of the horizon.
fn bucket_width(horizon: u64) -> i64 {
    (horizon / 60).max(1) as i64
}

/// Remembered event ids.
#[derive(Debug, Clone)]
pub struct Dedupe {
    horizon: u64,
    width: i64,
    latest: HashMap<Arc<[u8]>, i64, RandomState>,
    first: i64,
    buckets: VecDeque<Vec<Arc<[u8]>>>,
    forgotten: u64,
}

impl Dedupe {
    /// Remembers ids for `horizon` ms of event time (`horizon` > 0).
    pub fn new(horizon: u64) -> Self {
        Dedupe {
            horizon,
            width: bucket_width(horizon),
            latest: HashMap::default(),
            first: 0,
            buckets: VecDeque::new(),
            forgotten: 0,
        }
    }

    pub fn horizon(&self) -> u64 {
        self.horizon
    }

    /// Ids forgotten early because of the memory bound.
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// Number of ids remembered.
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// The oldest timestamp a dedupe of `horizon` may still remember at clock `t`: ids leave
    /// a whole bucket at a time, so up to one bucket width past the horizon.
    pub fn oldest_remembered(horizon: u64, t: i64) -> i64 {
        let width = bucket_width(horizon);
        t.saturating_sub(horizon as i64)
            .div_euclid(width)
            .saturating_mul(width)
    }

    fn oldest_relevant(&self, t: i64) -> i64 {
        t.saturating_sub(self.horizon as i64)
    }

    /// True if `id` was accepted at a timestamp of at least `T - horizon`.
    pub fn is_duplicate(&self, id: &[u8], t: i64) -> bool {
        self.latest
            .get(id)
            .is_some_and(|&ts| ts >= self.oldest_relevant(t))
    }

    /// Remembers an accepted event's id (at clock `t`, after the event moved it).
    pub fn remember(&mut self, id: &[u8], ts: i64, t: i64) {
        if ts >= self.oldest_relevant(t) {
            self.insert(id, ts);
        }
    }

    /// Remembers `id` at `ts` unless it is remembered at a later time already.
    fn insert(&mut self, id: &[u8], ts: i64) {
        let key: Arc<[u8]> = match self.latest.get_key_value(id) {
            Some((_, &old)) if old >= ts => return,
            Some((key, _)) => key.clone(),
            None => Arc::from(id),
        };
        self.latest.insert(key.clone(), ts);
        let index = ts.div_euclid(self.width);
        if self.buckets.is_empty() {
            self.first = index;
        }
        while index < self.first {
            self.buckets.push_front(Vec::new());
            self.first -= 1;
        }
        let offset = (index - self.first) as usize;
        while self.buckets.len() <= offset {
            self.buckets.push_back(Vec::new());
        }
        if let Some(bucket) = self.buckets.get_mut(offset) {
            bucket.push(key);
        }
        while self.latest.len() > MAX_REMEMBERED_IDS {
            let dropped = self.forget_oldest_bucket();
            self.forgotten = self.forgotten.saturating_add(dropped as u64);
        }
    }

    /// Forgets every id whose latest timestamp is older than `T - horizon`.
    pub fn expire(&mut self, t: i64) {
        let cut = self.oldest_relevant(t).div_euclid(self.width);
        while self.first < cut && !self.buckets.is_empty() {
            self.forget_oldest_bucket();
        }
        if self.buckets.is_empty() {
            self.first = cut;
        }
    }

    /// Drops the oldest bucket; returns how many ids it forgot.
    fn forget_oldest_bucket(&mut self) -> usize {
        let Some(bucket) = self.buckets.pop_front() else {
            return 0;
        };
        let bucket_end = (self.first + 1).saturating_mul(self.width);
        self.first += 1;
        let mut forgotten = 0;
        for id in bucket {
            if self.latest.get(&id).is_some_and(|&ts| ts < bucket_end) {
                self.latest.remove(&id);
                forgotten += 1;
            }
        }
        forgotten
    }

    /// `(id, latest timestamp)` pairs, for encoding and digests.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], i64)> {
        self.latest.iter().map(|(id, &ts)| (&id[..], ts))
    }

    /// Restores remembered ids (from an encoding), all of them: ids past the horizon that
    /// were still in a live bucket stay until that bucket expires, as they would have live.
    pub fn restore(horizon: u64, forgotten: u64, ids: Vec<(Vec<u8>, i64)>) -> Self {
        let mut dedupe = Dedupe::new(horizon);
        for (id, ts) in ids {
            dedupe.insert(&id, ts);
        }
        dedupe.forgotten = forgotten;
        dedupe
    }

    pub fn heap_bytes(&self) -> usize {
        let ids: usize = self
            .latest
            .keys()
            .map(|id| heap::shared_bytes(id.len()))
            .sum();
        ids + heap::hash_map::<Arc<[u8]>, i64>(self.latest.capacity())
            + heap::buffer::<Vec<Arc<[u8]>>>(self.buckets.capacity())
            + self
                .buckets
                .iter()
                .map(|b| heap::buffer::<Arc<[u8]>>(b.capacity()))
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_within_the_horizon_only() {
        let mut dedupe = Dedupe::new(60_000);
        dedupe.remember(b"e1", 100_000, 100_000);
        assert!(dedupe.is_duplicate(b"e1", 100_000));
        assert!(
            dedupe.is_duplicate(b"e1", 160_000),
            "at exactly T - horizon"
        );
        assert!(!dedupe.is_duplicate(b"e1", 160_001));
        assert!(!dedupe.is_duplicate(b"e2", 100_000));
        dedupe.expire(200_000);
        assert!(dedupe.is_empty());
    }

    #[test]
    fn a_newer_acceptance_keeps_the_id_alive() {
        let mut dedupe = Dedupe::new(10_000);
        dedupe.remember(b"x", 1_000, 1_000);
        dedupe.remember(b"x", 20_000, 20_000);
        dedupe.expire(25_000);
        assert!(dedupe.is_duplicate(b"x", 25_000));
        assert_eq!(dedupe.len(), 1);
    }

    #[test]
    fn out_of_order_ids_expire_by_their_own_time() {
        let mut dedupe = Dedupe::new(10_000);
        dedupe.remember(b"late", 5_000, 12_000);
        dedupe.remember(b"new", 12_000, 12_000);
        dedupe.expire(15_500);
        assert!(!dedupe.is_duplicate(b"late", 15_500));
        assert!(dedupe.is_duplicate(b"new", 15_500));
        assert_eq!(dedupe.len(), 1);
    }
}

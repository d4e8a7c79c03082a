//! Event streams with timestamps spread over the last 24 hours, and the two ways they are
//! stored: in a tracker (`TOPK.INGEST` batches) and in the "sorted-set recipe" users write by
//! hand (one ZINCRBY per event into a minute key for the last hour `r:m:<minute>`, an hour key
//! for the last 24 hours `r:h:<hour>` and a day key `r:d:<day>`). The recipe's keys are filled
//! with ZADD of the counts those ZINCRBY calls would have left, aggregated on the client, so
//! large datasets load fast; the single sorted set `z` holds each item's 24-hour count.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::seq::SliceRandom;
use rand::Rng;
use redis::Connection;

use crate::client::{array, encode, int, pipeline};
use crate::zipf::{item_names, Zipf};

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// Events per `TOPK.INGEST` or pairs per `ZADD`, and commands per round trip, when loading.
pub const LOAD_BATCH: usize = 1_000;
const DEPTH: usize = 10;

/// The events `(timestamp, item rank)` of one dataset and the names of its items.
pub struct Stream {
    pub events: Vec<(i64, u32)>,
    pub names: Vec<Vec<u8>>,
    /// The wall clock (ms) when the stream was made: every timestamp is before it.
    pub now: i64,
}

impl Stream {
    /// `zipf_events` events drawn from Zipf(`exponent`) over `universe` items, plus one event
    /// per item when `every_item` (so each item appears), in a shuffled order, with
    /// timestamps uniform from the start of the hour 23 hours ago to one second ago: inside
    /// the tracker's 24h window and inside the recipe's 24 hourly keys.
    pub fn last_24h<R: Rng>(
        universe: usize,
        zipf_events: usize,
        every_item: bool,
        exponent: f64,
        rng: &mut R,
    ) -> Stream {
        let now = wall_clock_ms();
        let first = (now / HOUR - 23) * HOUR;
        let zipf = Zipf::new(universe, exponent);
        let mut ranks: Vec<u32> = Vec::with_capacity(zipf_events + universe);
        if every_item {
            ranks.extend(0..universe as u32);
        }
        ranks.extend((0..zipf_events).map(|_| zipf.sample(rng) as u32));
        ranks.shuffle(rng);
        let events = ranks
            .into_iter()
            .map(|rank| (rng.gen_range(first..now - 1_000), rank))
            .collect();
        Stream {
            events,
            names: item_names(universe),
            now,
        }
    }

    /// The recipe's keys for this stream, as they would be at `self.now`.
    pub fn recipe(&self) -> Recipe {
        let minute_now = self.now / MINUTE;
        let hour_now = self.now / HOUR;
        let mut keys: HashMap<String, HashMap<u32, u64>> = HashMap::new();
        let mut add = |key: String, rank: u32| {
            *keys.entry(key).or_default().entry(rank).or_default() += 1;
        };
        for &(ts, rank) in &self.events {
            if ts / MINUTE > minute_now - 60 {
                add(minute_key(ts / MINUTE), rank);
            }
            add(hour_key(ts / HOUR), rank);
            add(day_key(ts / DAY), rank);
        }
        Recipe {
            minutes: (0..60).map(|i| minute_key(minute_now - i)).collect(),
            hours: (0..24).map(|i| hour_key(hour_now - i)).collect(),
            keys,
        }
    }

    /// Each item's count over the whole stream (all of it lies in the last 24 hours).
    pub fn totals(&self) -> HashMap<u32, u64> {
        let mut totals = HashMap::new();
        for &(_, rank) in &self.events {
            *totals.entry(rank).or_default() += 1;
        }
        totals
    }

    /// Sends the stream to tracker `key` as `TOPK.INGEST` batches; returns the events
    /// accepted.
    pub fn ingest(&self, con: &mut Connection, key: &str) -> u64 {
        let mut accepted = 0;
        for round in self.events.chunks(LOAD_BATCH * DEPTH) {
            let mut packed = Vec::new();
            let mut commands = 0;
            for batch in round.chunks(LOAD_BATCH) {
                let mut args: Vec<Vec<u8>> = vec![b"TOPK.INGEST".to_vec(), key.into()];
                for &(ts, rank) in batch {
                    args.push(ts.to_string().into_bytes());
                    args.push(self.names[rank as usize].clone());
                    args.push(b"1".to_vec());
                    args.push(b"-".to_vec());
                }
                encode(&mut packed, &args);
                commands += 1;
            }
            for reply in pipeline(con, &packed, commands, "TOPK.INGEST") {
                accepted += int(&array(&reply)[0]) as u64;
            }
        }
        accepted
    }

    /// Stores `counts` in the sorted set `key` (ZADD batches).
    pub fn store_counts(&self, con: &mut Connection, key: &str, counts: &HashMap<u32, u64>) {
        let pairs: Vec<(&u32, &u64)> = counts.iter().collect();
        for round in pairs.chunks(LOAD_BATCH * DEPTH) {
            let mut packed = Vec::new();
            let mut commands = 0;
            for batch in round.chunks(LOAD_BATCH) {
                let mut args: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), key.into()];
                for (&rank, &count) in batch {
                    args.push(count.to_string().into_bytes());
                    args.push(self.names[rank as usize].clone());
                }
                encode(&mut packed, &args);
                commands += 1;
            }
            pipeline(con, &packed, commands, "ZADD");
        }
    }
}

/// The recipe's sorted sets for one stream.
pub struct Recipe {
    /// The last 60 minute keys, newest first (some may hold nothing and not exist).
    pub minutes: Vec<String>,
    /// The last 24 hour keys, newest first.
    pub hours: Vec<String>,
    /// Every key that holds something, with its members' scores.
    pub keys: HashMap<String, HashMap<u32, u64>>,
}

impl Recipe {
    pub fn store(&self, stream: &Stream, con: &mut Connection) {
        for (key, counts) in &self.keys {
            stream.store_counts(con, key, counts);
        }
    }

    /// Every key the recipe holds, in a stable order.
    pub fn key_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

pub fn minute_key(minute: i64) -> String {
    format!("r:m:{minute}")
}

pub fn hour_key(hour: i64) -> String {
    format!("r:h:{hour}")
}

pub fn day_key(day: i64) -> String {
    format!("r:d:{day}")
}

pub fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as i64
}

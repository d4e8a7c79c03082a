//! Memory against distinct items: the same number of events over the same 24 hours goes into
//! a fresh APPROX tracker twice, once cycling over few distinct items and once over many
//! (every event a new item in the full run), and `MEMORY USAGE` is read after each. An
//! APPROX tracker's memory is meant not to grow with the number of distinct items.

use std::borrow::Cow;

use redis::Connection;
use wtopk_bench::client::call;
use wtopk_bench::zipf::item_name;

use crate::config::Settings;
use crate::ingest::{ingest, Ingested};
use crate::tracker;

const KEY: &str = "growth";

pub struct GrowthPoint {
    pub distinct: usize,
    pub memory: u64,
    /// `distinct_items` of `TOPK.INFO`: the items the tracker holds.
    pub held: Option<u64>,
    pub ingested: Ingested,
}

pub struct Growth {
    pub events: usize,
    /// Fewer distinct items first.
    pub points: Vec<GrowthPoint>,
}

impl Growth {
    /// Memory growth from the first point to the last, in percent.
    pub fn percent(&self) -> Option<f64> {
        let first = self.points.first()?.memory as f64;
        let last = self.points.last()?.memory as f64;
        Some((last - first) / first.max(1.0) * 100.0)
    }

    /// The largest `MEMORY USAGE` measured.
    pub fn max_memory(&self) -> u64 {
        self.points.iter().map(|p| p.memory).max().unwrap_or(0)
    }
}

pub fn run(con: &mut Connection, settings: &Settings) -> Growth {
    let events = settings.growth_events;
    let points = settings
        .growth_distinct
        .iter()
        .map(|&distinct| {
            eprintln!("accuracy: memory growth, {events} events over {distinct} distinct items");
            call(con, &["FLUSHALL", "SYNC"]);
            tracker::create(con, KEY, true, settings.capacity);
            let ingested = ingest(con, KEY, 0..events, events, |index| {
                Cow::Owned(item_name(index % distinct).into_bytes())
            });
            let point = GrowthPoint {
                distinct,
                memory: tracker::memory_usage(con, KEY),
                held: tracker::info(con, KEY).distinct_items,
                ingested,
            };
            call(con, &["FLUSHALL", "SYNC"]);
            point
        })
        .collect();
    Growth { events, points }
}

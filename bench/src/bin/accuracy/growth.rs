//! Memory against distinct items: the same number of events over the same 24 hours goes into
//! a fresh APPROX tracker twice, once cycling over few distinct items and once over many
//! (every event a new item in the full run), and `MEMORY USAGE` is read after each. An
//! APPROX tracker's memory is meant not to grow with the number of distinct items. A third
//! stream spreads the many items over 8 days, so the tracker also keeps its 7 full days
//! besides today.

use std::borrow::Cow;

use redis::Connection;
use wtopk_bench::client::call;
use wtopk_bench::zipf::item_name;

use crate::config::{Settings, SPAN_MS};
use crate::ingest::{ingest, Ingested};
use crate::tracker;

const KEY: &str = "growth";

pub struct GrowthPoint {
    pub distinct: usize,
    /// Days of event time the stream covers.
    pub days: i64,
    pub memory: u64,
    /// `distinct_items` of `TOPK.INFO`: the items the tracker holds.
    pub held: Option<u64>,
    pub ingested: Ingested,
}

pub struct Growth {
    pub events: usize,
    /// Streams over 24 hours, fewer distinct items first.
    pub points: Vec<GrowthPoint>,
    /// The most distinct items over `WEEK_DAYS` days.
    pub week: Option<GrowthPoint>,
}

/// Days the week stream covers: today and the 7 days a tracker keeps.
pub const WEEK_DAYS: i64 = 8;

impl Growth {
    /// Memory growth from the first point to the last, in percent.
    pub fn percent(&self) -> Option<f64> {
        let first = self.points.first()?.memory as f64;
        let last = self.points.last()?.memory as f64;
        Some((last - first) / first.max(1.0) * 100.0)
    }

    /// The largest `MEMORY USAGE` measured over 24 hours.
    pub fn max_memory(&self) -> u64 {
        self.points.iter().map(|p| p.memory).max().unwrap_or(0)
    }
}

/// Streams `events` events cycling over `distinct` items across `days` days into a fresh
/// APPROX tracker, and reads its memory.
fn measure(
    con: &mut Connection,
    settings: &Settings,
    events: usize,
    distinct: usize,
    days: i64,
) -> GrowthPoint {
    eprintln!(
        "accuracy: memory growth, {events} events over {distinct} distinct items, {days} day(s)"
    );
    call(con, &["FLUSHALL", "SYNC"]);
    tracker::create(con, KEY, true, settings.capacity);
    let stream = (events, SPAN_MS * days);
    let ingested = ingest(con, KEY, 0..events, stream, |index| {
        Cow::Owned(item_name(index % distinct).into_bytes())
    });
    let point = GrowthPoint {
        distinct,
        days,
        memory: tracker::memory_usage(con, KEY),
        held: tracker::info(con, KEY).distinct_items,
        ingested,
    };
    call(con, &["FLUSHALL", "SYNC"]);
    point
}

pub fn run(con: &mut Connection, settings: &Settings) -> Growth {
    let events = settings.growth_events;
    let points = settings
        .growth_distinct
        .iter()
        .map(|&distinct| measure(con, settings, events, distinct, 1))
        .collect();
    let week = settings
        .growth_distinct
        .iter()
        .max()
        .map(|&distinct| measure(con, settings, events, distinct, WEEK_DAYS));
    Growth {
        events,
        points,
        week,
    }
}

//! One EXACT-vs-APPROX comparison for one Zipf exponent. The stream is cut into
//! `CHECKPOINTS` parts; each part goes into the EXACT tracker alone, then into the APPROX
//! tracker alone (same events, same batches, only the round trips timed), then both are
//! observed: per window, APPROX's top list with bounds against EXACT's counts, and EXACT's
//! top list against APPROX's estimates; for today, the daily lists against the benchmark's
//! own counts. Bounds (and QUERY's estimates against COUNT's) are tallied at every
//! checkpoint, the other figures taken at the end, where the EXACT tracker is also checked
//! once against the benchmark's own counts.

use std::borrow::Cow;

use rand::rngs::StdRng;
use rand::SeedableRng;
use redis::Connection;
use wtopk_bench::client::call;
use wtopk_bench::zipf::Zipf;

use crate::config::{Settings, CHECKPOINTS, SPAN_MS, TOP, WINDOWS};
use crate::ingest::{ingest, Ingested};
use crate::metrics::{Observation, Tally};
use crate::tracker::{self, Info, Reported};
use crate::truth::Truth;

pub const EXACT_KEY: &str = "exact";
pub const APPROX_KEY: &str = "approx";
/// The name of the daily range in tables.
pub const TODAY: &str = "today";

/// One range (a window or today) of a comparison.
pub struct RangeFigures {
    pub name: String,
    /// The observation at the end of the stream.
    pub last: Observation,
    /// Bounds over every checkpoint.
    pub bounds: Tally,
    /// QUERY's estimate equal to COUNT's, over every checkpoint.
    pub same_estimate: Tally,
}

pub struct Comparison {
    pub exponent: f64,
    pub seed: u64,
    pub events: usize,
    pub universe: usize,
    /// Items that occurred at least once.
    pub distinct: usize,
    /// `WINDOWS` in order, then today.
    pub ranges: Vec<RangeFigures>,
    pub exact: Ingested,
    pub approx: Ingested,
    pub exact_memory: u64,
    pub approx_memory: u64,
    pub exact_info: Info,
    pub approx_info: Info,
    /// Whether EXACT's 24h and today top lists equal the benchmark's own.
    pub exact_agrees: Result<(), String>,
}

/// Streams Zipf(`exponent`) events over `names` into fresh EXACT and APPROX trackers.
pub fn run(
    con: &mut Connection,
    settings: &Settings,
    names: &[Vec<u8>],
    exponent: f64,
    seed: u64,
) -> Comparison {
    call(con, &["FLUSHALL", "SYNC"]);
    tracker::create(con, EXACT_KEY, false, None);
    tracker::create(con, APPROX_KEY, true, settings.capacity);
    let events = settings.events;
    eprintln!("accuracy: s={exponent:.1}: drawing {events} Zipf events (seed {seed:#x})");
    let zipf = Zipf::new(names.len(), exponent);
    let mut rng = StdRng::seed_from_u64(seed);
    let ranks: Vec<u32> = (0..events).map(|_| zipf.sample(&mut rng) as u32).collect();
    let item = |index: usize| Cow::Borrowed(names[ranks[index] as usize].as_slice());

    let mut truth = Truth::new(names);
    let mut exact = Ingested::default();
    let mut approx = Ingested::default();
    let mut ranges: Vec<RangeFigures> = range_names()
        .into_iter()
        .map(|name| RangeFigures {
            name,
            last: Observation::default(),
            bounds: Tally::default(),
            same_estimate: Tally::default(),
        })
        .collect();
    for part in 0..CHECKPOINTS {
        let part_events = events * part / CHECKPOINTS..events * (part + 1) / CHECKPOINTS;
        let stream = (events, SPAN_MS);
        let exact_part = ingest(con, EXACT_KEY, part_events.clone(), stream, item);
        let approx_part = ingest(con, APPROX_KEY, part_events.clone(), stream, item);
        truth.add(&ranks[part_events]);
        let at = format!(
            "{}h",
            SPAN_MS * (part as i64 + 1) / CHECKPOINTS as i64 / 3_600_000
        );
        eprintln!(
            "accuracy: s={exponent:.1} at {at}: EXACT {:.0} events/s, APPROX {:.0} events/s",
            exact_part.rate(),
            approx_part.rate()
        );
        exact.add(exact_part);
        approx.add(approx_part);
        for (range, last) in ranges.iter_mut().zip(observe(con, &truth)) {
            let moment = format!("{} at {at}", range.name);
            range.bounds.check_bounds(&last, &moment);
            range.same_estimate.check_same_estimate(&last, &moment);
            range.last = last;
        }
    }

    Comparison {
        exponent,
        seed,
        events,
        universe: names.len(),
        distinct: truth.distinct(),
        ranges,
        exact,
        approx,
        exact_memory: tracker::memory_usage(con, EXACT_KEY),
        approx_memory: tracker::memory_usage(con, APPROX_KEY),
        exact_info: tracker::info(con, EXACT_KEY),
        approx_info: tracker::info(con, APPROX_KEY),
        exact_agrees: exact_agrees(con, &truth),
    }
}

/// The ranges of a comparison: every window, then today.
fn range_names() -> Vec<String> {
    WINDOWS
        .iter()
        .chain([&TODAY])
        .map(|name| name.to_string())
        .collect()
}

/// Every window, then today, observed at the trackers' current clock.
fn observe(con: &mut Connection, truth: &Truth) -> Vec<Observation> {
    let mut observed: Vec<Observation> = WINDOWS
        .iter()
        .map(|&window| observe_window(con, window))
        .collect();
    observed.push(observe_today(con, truth));
    observed
}

/// A window: APPROX's list against EXACT's counts, EXACT's list against APPROX's counts.
fn observe_window(con: &mut Connection, window: &str) -> Observation {
    let approx = tracker::query(con, APPROX_KEY, window, TOP);
    let true_of_approx = tracker::counts(con, EXACT_KEY, window, &items(&approx));
    let exact = tracker::query(con, EXACT_KEY, window, TOP);
    let approx_of_truth = tracker::counts(con, APPROX_KEY, window, &items(&exact));
    let count_of_approx = tracker::counts(con, APPROX_KEY, window, &items(&approx));
    Observation {
        approx,
        true_of_approx,
        truth: exact.into_iter().map(|r| (r.item, r.count)).collect(),
        approx_of_truth,
        count_of_approx,
    }
}

/// Today: APPROX's daily list against the benchmark's own counts (`TOPK.COUNT` has no day
/// form, so a true top item missing from APPROX's list counts as estimated 0). `TOPK.DAY`
/// reports no bounds; a day is one Space-Saving table, whose estimates are within
/// total / capacity of the truth, so that is the bound checked.
fn observe_today(con: &mut Connection, truth: &Truth) -> Observation {
    let capacity = tracker::info(con, APPROX_KEY).capacity.unwrap_or(1).max(1);
    let error = truth.total() / capacity;
    let mut approx = tracker::day(con, APPROX_KEY, TODAY, TOP);
    for reported in &mut approx {
        reported.bounds = Some((reported.count.saturating_sub(error), reported.count + error));
    }
    let true_of_approx = approx.iter().map(|r| truth.count_of(&r.item)).collect();
    let top = truth.top(TOP);
    let approx_of_truth = top
        .iter()
        .map(|(item, _)| {
            approx
                .iter()
                .find(|r| &r.item == item)
                .map_or(0, |r| r.count)
        })
        .collect();
    Observation {
        approx,
        true_of_approx,
        truth: top,
        approx_of_truth,
        count_of_approx: Vec::new(),
    }
}

/// EXACT's 24h window (WITHBOUNDS, all three equal) and today's list against the
/// benchmark's own top list: the whole stream lies in both.
fn exact_agrees(con: &mut Connection, truth: &Truth) -> Result<(), String> {
    let expected = truth.top(TOP);
    let window = tracker::query(con, EXACT_KEY, "24h", TOP);
    if let Some(r) = window.iter().find(|r| r.bounds != Some((r.count, r.count))) {
        return Err(format!("24h bounds of an exact count differ: {r:?}"));
    }
    let today = tracker::day(con, EXACT_KEY, TODAY, TOP);
    for (what, list) in [("24h", window), ("today", today)] {
        let got: Vec<(Vec<u8>, u64)> = list.into_iter().map(|r| (r.item, r.count)).collect();
        if let Some(i) = (0..expected.len().max(got.len())).find(|&i| got.get(i) != expected.get(i))
        {
            return Err(format!(
                "{what} entry {i}: EXACT {:?}, own count {:?}",
                got.get(i).map(show),
                expected.get(i).map(show)
            ));
        }
    }
    Ok(())
}

fn items(list: &[Reported]) -> Vec<Vec<u8>> {
    list.iter().map(|r| r.item.clone()).collect()
}

fn show((item, count): &(Vec<u8>, u64)) -> String {
    format!("{} = {count}", String::from_utf8_lossy(item))
}

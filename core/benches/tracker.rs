//! Core benchmarks: ingest throughput with the default windows (5m, 1h, 24h) and daily
//! rollup, with dedupe off and on; and the latency of `QUERY 24h 100` on a tracker holding
//! 1,000,000 distinct items, at the stored clock, one bucket later (expired buckets are
//! subtracted at read time) and for a derived 12h span; and updates per second under a true
//! Zipf(1.1) stream over 100,000 items spanning two days (every window's buckets expire and
//! days finalize as it goes), in batches of 100 events; and EXACT against APPROX (default
//! capacity) on 1,000,000 Zipf(1.0) events over 1,000,000 items and 24 hours.
//! Run with `cargo bench -p wtopk-core`.

mod common;

use common::zipf_ranks;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use wtopk_core::limits::DEFAULT_CAPACITY;
use wtopk_core::{ClockMode, Event, Mode, Tracker, TrackerConfig};

const START: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn zipf_like(i: u64, distinct: u64) -> u64 {
    // A cheap skewed index: squares of a uniform variable favour small indices.
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % distinct;
    x * x / distinct
}

fn items(distinct: u64) -> Vec<Vec<u8>> {
    (0..distinct)
        .map(|i| format!("product:{i:08}").into_bytes())
        .collect()
}

fn tracker(clock: ClockMode) -> Tracker {
    Tracker::new(TrackerConfig {
        clock,
        ..TrackerConfig::default()
    })
    .expect("default config is valid")
}

/// A server-clock tracker with every one of `distinct` items seen over the last 24 hours,
/// plus a skewed stream on top so the top 100 are clear winners.
fn loaded_tracker(distinct: u64) -> Tracker {
    let names = items(distinct);
    let mut tracker = tracker(ClockMode::Server);
    let total = distinct * 2;
    let step = DAY as u64 / total;
    let events: Vec<Event<'_>> = (0..total)
        .map(|i| {
            let index = if i < distinct {
                i
            } else {
                zipf_like(i, distinct)
            };
            Event {
                ts: START + (i * step) as i64,
                item: &names[index as usize],
                count: 1,
                id: None,
            }
        })
        .collect();
    for chunk in events.chunks(10_000) {
        let now = chunk.last().map_or(START, |e| e.ts);
        tracker.ingest(chunk, now).expect("valid events");
    }
    tracker
}

fn query_latency(c: &mut Criterion) {
    let tracker = loaded_tracker(1_000_000);
    assert!(tracker.distinct_items() >= 1_000_000);
    let day = tracker
        .resolve_window(Some(DAY as u64))
        .expect("24h is configured");
    let half_day = tracker
        .resolve_window(Some(DAY as u64 / 2))
        .expect("12h is derivable");
    let t = tracker.stored_clock();
    let mut group = c.benchmark_group("query_top100_1M_items");
    group.bench_function("24h_at_stored_clock", |b| {
        b.iter(|| tracker.query(day, 100, t).expect("k is valid"))
    });
    group.bench_function("24h_one_bucket_later", |b| {
        b.iter(|| {
            tracker
                .query(day, 100, t + 30 * 60_000)
                .expect("k is valid")
        })
    });
    group.bench_function("12h_derived", |b| {
        b.iter(|| tracker.query(half_day, 100, t).expect("k is valid"))
    });
    group.finish();
}

fn ingest_throughput(c: &mut Criterion) {
    let names = items(100_000);
    let ids: Vec<Vec<u8>> = (0..100_000u64)
        .map(|i| format!("order-{i:012}").into_bytes())
        .collect();
    let events = |with_ids: bool| -> Vec<Event<'_>> {
        (0..100_000u64)
            .map(|i| Event {
                ts: START + i as i64 * 10,
                item: &names[zipf_like(i, 100_000) as usize],
                count: 1,
                id: with_ids.then(|| ids[i as usize].as_slice()),
            })
            .collect()
    };
    let mut group = c.benchmark_group("ingest_windows_5m_1h_24h_daily7");
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(10);
    for (name, dedupe, with_ids) in [
        ("dedupe_off", 0, false),
        ("dedupe_1h_unique_ids", 3_600_000, true),
    ] {
        bench_ingest(&mut group, name, &events(with_ids), 100, || {
            Tracker::new(TrackerConfig {
                clock: ClockMode::Event,
                dedupe,
                ..TrackerConfig::default()
            })
            .expect("valid config")
        });
    }
    group.finish();
}

/// `count` events drawn from Zipf(`exponent`) over `names`, evenly spread over `span` ms.
fn zipf_events(names: &[Vec<u8>], exponent: f64, count: usize, span: i64) -> Vec<Event<'_>> {
    let step = span / count as i64;
    zipf_ranks(names.len(), exponent, count)
        .into_iter()
        .enumerate()
        .map(|(i, rank)| Event {
            ts: START + i as i64 * step,
            item: &names[rank],
            count: 1,
            id: None,
        })
        .collect()
}

/// Benchmarks ingesting `events` in batches of `batch` into fresh trackers from `new`.
fn bench_ingest(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    events: &[Event<'_>],
    batch: usize,
    new: impl Fn() -> Tracker,
) {
    group.bench_function(name, |b| {
        b.iter_batched(
            &new,
            |mut tracker| {
                for chunk in events.chunks(batch) {
                    tracker.ingest(chunk, 0).expect("valid events");
                }
                tracker
            },
            BatchSize::LargeInput,
        )
    });
}

fn updates_zipf(c: &mut Criterion) {
    const EVENTS: usize = 200_000;
    let names = items(100_000);
    let events = zipf_events(&names, 1.1, EVENTS, 2 * DAY);
    let mut group = c.benchmark_group("updates_zipf1.1_100k_items");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    bench_ingest(
        &mut group,
        "windows_5m_1h_24h_daily7_batches_of_100",
        &events,
        100,
        || tracker(ClockMode::Event),
    );
    group.finish();
}

fn modes_at_1m_items(c: &mut Criterion) {
    const EVENTS: usize = 1_000_000;
    let names = items(1_000_000);
    let events = zipf_events(&names, 1.0, EVENTS, DAY);
    let mut group = c.benchmark_group("modes_zipf1.0_1M_items");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    let approx = Mode::Approx {
        capacity: DEFAULT_CAPACITY,
    };
    for (name, mode) in [("exact", Mode::Exact), ("approx", approx)] {
        bench_ingest(&mut group, name, &events, 1_000, || {
            Tracker::new(TrackerConfig {
                clock: ClockMode::Event,
                mode,
                ..TrackerConfig::default()
            })
            .expect("valid config")
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    query_latency,
    ingest_throughput,
    updates_zipf,
    modes_at_1m_items
);
criterion_main!(benches);

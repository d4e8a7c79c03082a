//! `MEMORY USAGE` honesty: the module answers it with `Tracker::heap_bytes`, which must lie
//! within 10% of the bytes the tracker really holds on the heap. A counting global allocator
//! (per thread, so the test harness' own allocations do not interfere) measures the live
//! bytes a tracker holds after ingesting a stream, for small and large trackers, with and
//! without daily totals and dedupe, and after windows slid and days were dropped.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wtopk_core::{ClockMode, DailySpec, Event, Mode, Tracker, TrackerConfig, WindowSpec};

struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn adjust(delta: i64) {
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        adjust(layout.size() as i64);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        adjust(-(layout.size() as i64));
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        adjust(layout.size() as i64);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        adjust(new_size as i64 - layout.size() as i64);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> i64 {
    LIVE.with(Cell::get)
}

const HOUR: i64 = 3_600_000;
const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// A stream over `hours` of event time: `events` events over `distinct` items (a skewed
/// mix: every item once, then popular ones again), ids unique when `with_ids`.
fn feed(tracker: &mut Tracker, distinct: u64, events: u64, hours: i64, with_ids: bool) {
    let span = hours * HOUR;
    let mut batch_items: Vec<(i64, Vec<u8>, Vec<u8>)> = Vec::with_capacity(1_000);
    for n in 0..events {
        let item = if n < distinct {
            n
        } else {
            (n * 2_654_435_761) % (distinct / 10 + 1)
        };
        let ts = START + (n as i64 * span) / events as i64;
        batch_items.push((
            ts,
            format!("item:{item:08}").into_bytes(),
            format!("id{n}").into_bytes(),
        ));
        if batch_items.len() == 1_000 || n + 1 == events {
            let batch: Vec<Event<'_>> = batch_items
                .iter()
                .map(|(ts, item, id)| Event {
                    ts: *ts,
                    item,
                    count: 1,
                    id: with_ids.then_some(id.as_slice()),
                })
                .collect();
            tracker.ingest(&batch, 0).expect("valid batch");
            drop(batch);
            batch_items.clear();
        }
    }
}

fn config(daily: bool, dedupe: u64) -> TrackerConfig {
    TrackerConfig {
        windows: vec![
            WindowSpec::sliding(300_000),
            WindowSpec::sliding(HOUR as u64),
            WindowSpec::sliding(24 * HOUR as u64),
        ],
        clock: ClockMode::Event,
        daily: daily.then(DailySpec::default),
        dedupe,
        ..TrackerConfig::default()
    }
}

/// Real heap bytes of a tracker built by `build` (the box included, as the module holds it)
/// and what it reports.
fn measure(build: impl FnOnce() -> Box<Tracker>) -> (i64, i64) {
    let before = live_bytes();
    let tracker = build();
    let real = live_bytes() - before;
    let reported = tracker.heap_bytes() as i64;
    drop(tracker);
    (real, reported)
}

/// A named way to build a tracker.
type Case = (&'static str, Box<dyn Fn() -> Box<Tracker>>);

#[test]
fn reported_heap_is_within_ten_percent_of_the_real_heap() {
    let cases: Vec<Case> = vec![
        (
            "empty, default windows and days",
            Box::new(|| Box::new(Tracker::new(config(true, 0)).expect("config"))),
        ),
        (
            "1,000 items over 1h",
            Box::new(|| {
                let mut t = Box::new(Tracker::new(config(true, 0)).expect("config"));
                feed(&mut t, 1_000, 5_000, 1, false);
                t
            }),
        ),
        (
            "200,000 items over 24h, no days",
            Box::new(|| {
                let mut t = Box::new(Tracker::new(config(false, 0)).expect("config"));
                feed(&mut t, 200_000, 400_000, 24, false);
                t
            }),
        ),
        (
            "200,000 items over 3 days, with days",
            Box::new(|| {
                let mut t = Box::new(Tracker::new(config(true, 0)).expect("config"));
                feed(&mut t, 200_000, 400_000, 72, false);
                t
            }),
        ),
        (
            "100,000 items with 200,000 remembered ids",
            Box::new(|| {
                let mut t = Box::new(Tracker::new(config(true, 2 * HOUR as u64)).expect("config"));
                feed(&mut t, 100_000, 200_000, 2, true);
                t
            }),
        ),
        (
            "APPROX at capacity 8192, 200,000 items over 3 days, with days",
            Box::new(|| {
                let mut config = config(true, 0);
                config.mode = Mode::Approx { capacity: 8192 };
                let mut t = Box::new(Tracker::new(config).expect("config"));
                feed(&mut t, 200_000, 400_000, 72, false);
                t
            }),
        ),
        (
            "after sliding a day past everything",
            Box::new(|| {
                let mut t = Box::new(Tracker::new(config(true, 0)).expect("config"));
                feed(&mut t, 100_000, 200_000, 24, false);
                t.advance(START + 30 * 24 * HOUR, 0);
                t
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (name, build) in cases {
        let (real, reported) = measure(build);
        let error = (reported - real).abs() as f64 / real as f64;
        eprintln!(
            "{name}: real {real} B, reported {reported} B, off by {:.1}%",
            error * 100.0
        );
        if error > 0.10 {
            failures.push(format!("{name}: real {real}, reported {reported}"));
        }
    }
    assert!(failures.is_empty(), "off by more than 10%: {failures:#?}");
}

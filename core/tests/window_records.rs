//! A sliding window shorter than the tracker's widest keeps its records in a map while it
//! holds a small share of the ids, moves them to an array when traffic fills it, and back
//! when traffic falls (see `wtopk_core::adaptive_records`), a few ids per write. Throughout,
//! the window's answers must equal a brute-force count of the events it covers, a reload
//! must answer the same, and each move must be spread over writes and end.

mod common;

use std::collections::HashMap;

use wtopk_core::adaptive_records::{Storage, Toward};
use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::tracker::QueryWindow;
use wtopk_core::window::Window;
use wtopk_core::{ClockMode, Tracker, TrackerConfig, WindowSpec};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;
const SHORT: u64 = 300_000;
/// The short window's bucket width, its length / 60.
const BUCKET: i64 = 5_000;
const BUSY_ITEMS: usize = 12_000;
const BATCH: usize = 200;

/// Windows of 5 minutes and 24 hours, event clock, no days.
fn tracker() -> Tracker {
    Tracker::new(TrackerConfig {
        windows: vec![WindowSpec::sliding(SHORT), WindowSpec::sliding(86_400_000)],
        clock: ClockMode::Event,
        daily: None,
        ..TrackerConfig::default()
    })
    .unwrap()
}

/// Where the short window's records are.
fn short_storage(tracker: &Tracker) -> Storage {
    match tracker.windows().first() {
        Some(Window::Sliding(window)) => window.tally().storage(),
        other => panic!("no sliding window first: {other:?}"),
    }
}

/// Every event sent, as `(ts, item, count)`.
type Sent = Vec<(i64, Vec<u8>, u64)>;

/// Sends `items` at `ts` (see [`common::batch`]).
fn send(tracker: &mut Tracker, sent: &mut Sent, ts: i64, items: &[&[u8]]) {
    let events = common::batch(ts, items);
    tracker.ingest(&events, 0).unwrap();
    sent.extend(events.iter().map(|e| (e.ts, e.item.to_vec(), e.count)));
}

/// The short window's top 100 at the tracker's clock equals a brute-force count of the
/// events whose bucket ends after `clock - 5 minutes`; ties go by item bytes.
fn check_short(tracker: &Tracker, sent: &Sent) {
    let clock = tracker.stored_clock();
    let mut counts: HashMap<&[u8], u64> = HashMap::new();
    for (ts, item, count) in sent {
        let bucket_end = (ts.div_euclid(BUCKET) + 1) * BUCKET - 1;
        if bucket_end > clock - SHORT as i64 {
            *counts.entry(item.as_slice()).or_default() += count;
        }
    }
    let mut expected: Vec<(&[u8], u64)> = counts.into_iter().collect();
    expected.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    expected.truncate(100);
    let top: Vec<(&[u8], u64)> = tracker
        .query(QueryWindow::Configured(0), 100, clock)
        .unwrap()
        .into_iter()
        .map(|(item, bounds)| (item, bounds.count))
        .collect();
    assert_eq!(top, expected, "at clock {clock}");
}

/// Checks the answers, and every `reload_every` writes a reload, after each of `writes`
/// writes of `batch(write)` at one second each from `from`; returns the write of each new
/// storage of the short window.
fn run_writes(
    tracker: &mut Tracker,
    sent: &mut Sent,
    from: i64,
    writes: usize,
    batch: impl Fn(usize) -> Vec<Vec<u8>>,
) -> Vec<(usize, Storage)> {
    let mut storages = vec![(0, short_storage(tracker))];
    for write in 0..writes {
        let items = batch(write);
        let items: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
        send(tracker, sent, from + write as i64 * 1_000, &items);
        let storage = short_storage(tracker);
        let moving = matches!(storage, Storage::Moving(_));
        if storages.last().map(|&(_, last)| last) != Some(storage) {
            storages.push((write, storage));
        }
        if write % 10 == 0 || moving {
            check_short(tracker, sent);
        }
        if write % 25 == 0 || moving && write % 5 == 0 {
            let restored = decode(&encode(tracker)).unwrap();
            assert_eq!(digest_bytes(&restored), digest_bytes(tracker));
            check_short(&restored, sent);
        }
    }
    check_short(tracker, sent);
    storages
}

/// The writes between the start of a move toward `toward` and its end in `storages`.
fn move_length(storages: &[(usize, Storage)], toward: Toward, done: Storage) -> usize {
    let started = storages
        .iter()
        .find(|(_, storage)| *storage == Storage::Moving(toward))
        .map(|&(write, _)| write);
    let ended = storages
        .iter()
        .find(|&&(write, storage)| storage == done && started.is_some_and(|s| write > s))
        .map(|&(write, _)| write);
    match (started, ended) {
        (Some(started), Some(ended)) => ended - started,
        _ => panic!("no move toward {toward:?} that ended: {storages:?}"),
    }
}

#[test]
fn a_short_window_moves_to_an_array_when_busy_and_back_when_quiet() {
    let mut tracker = tracker();
    let mut sent = Sent::new();
    let busy: Vec<Vec<u8>> = (0..BUSY_ITEMS)
        .map(|i| format!("busy-{i:05}").into_bytes())
        .collect();
    // Every busy item within 60 writes, in an order unrelated to the names, for 200 writes.
    let storages = run_writes(&mut tracker, &mut sent, START, 200, |write| {
        (0..BATCH)
            .map(|n| busy[((write * BATCH + n) * 7_919) % BUSY_ITEMS].clone())
            .collect()
    });
    let to_array = move_length(&storages, Toward::Array, Storage::Array);
    assert!(
        (3..=100).contains(&to_array),
        "the move to the array took {to_array} writes: done at once, or never ending"
    );
    // Then a few quiet items for 400 seconds: the busy ones leave the short window.
    let storages = run_writes(&mut tracker, &mut sent, START + 200_000, 400, |write| {
        (0..10)
            .map(|n| format!("quiet-{:02}", (write + n) % 50).into_bytes())
            .collect()
    });
    let to_map = move_length(&storages, Toward::Map, Storage::Map);
    assert!(
        (3..=300).contains(&to_map),
        "the move back to a map took {to_map} writes: done at once, or never ending"
    );
}

//! Late events into a big bucket (see `wtopk_core::window::bucket`): the bucket compacts a few
//! entries per write instead of merging tens of thousands at once. Meanwhile every answer
//! must equal a brute-force count of the events sent, a reload must hold the same state, the
//! compaction must end within a bounded number of writes, and afterwards the bucket must hold
//! each item once.

use std::collections::HashMap;

use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::window::Window;
use wtopk_core::{ClockMode, Event, QueryWindow, Tracker, TrackerConfig, WindowSpec};

/// 2026-01-01T12:00:00Z, the start of a bucket of every window.
const NOON: i64 = 1_767_268_800_000;
const ITEMS: usize = 20_000;
const BATCH: usize = 100;

/// One 1-hour window (1-minute buckets), event clock, no days.
fn tracker() -> Tracker {
    Tracker::new(TrackerConfig {
        windows: vec![WindowSpec::sliding(3_600_000)],
        clock: ClockMode::Event,
        daily: None,
        ..TrackerConfig::default()
    })
    .unwrap()
}

/// The oldest bucket's entries, and whether it is compacting.
fn oldest_bucket(tracker: &Tracker) -> (usize, bool) {
    match tracker.windows().first() {
        Some(Window::Sliding(sliding)) => sliding
            .ring()
            .iter()
            .next()
            .map_or((0, false), |(_, b)| (b.len(), b.is_compacting())),
        _ => (0, false),
    }
}

/// The absolute index of the oldest bucket held.
fn first_bucket_index(tracker: &Tracker) -> Option<i64> {
    match tracker.windows().first() {
        Some(Window::Sliding(sliding)) => sliding.ring().iter().next().map(|(index, _)| index),
        _ => None,
    }
}

/// Each item's amount in the oldest bucket, by its bytes.
fn oldest_amounts(tracker: &Tracker) -> HashMap<Vec<u8>, u64> {
    let Some(Window::Sliding(sliding)) = tracker.windows().first() else {
        return HashMap::new();
    };
    let Some((_, bucket)) = sliding.ring().iter().next() else {
        return HashMap::new();
    };
    bucket
        .merged()
        .into_iter()
        .map(|(id, amount)| (tracker.interner().bytes(id).to_vec(), amount))
        .collect()
}

/// The window's top 100 and some counts equal the model's; ties go by item bytes.
fn check_answers(tracker: &Tracker, model: &HashMap<Vec<u8>, u64>, names: &[Vec<u8>]) {
    let mut expected: Vec<(&[u8], u64)> = model.iter().map(|(k, &v)| (k.as_slice(), v)).collect();
    expected.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    expected.truncate(100);
    let window = QueryWindow::Configured(0);
    let top: Vec<(&[u8], u64)> = tracker
        .query(window, 100, 0)
        .unwrap()
        .into_iter()
        .map(|(item, bounds)| (item, bounds.count))
        .collect();
    assert_eq!(top, expected);
    let probes: Vec<&[u8]> = names.iter().step_by(997).map(Vec::as_slice).collect();
    let counts = tracker.count(window, &probes, 0).unwrap();
    let want: Vec<u64> = probes
        .iter()
        .map(|item| model.get(*item).copied().unwrap_or(0))
        .collect();
    assert_eq!(counts, want);
}

/// Sends one event of each of `items` at `ts`, to the tracker and to the model.
fn send(tracker: &mut Tracker, model: &mut HashMap<Vec<u8>, u64>, ts: i64, items: &[Vec<u8>]) {
    let events: Vec<Event<'_>> = items
        .iter()
        .map(|item| Event {
            ts,
            item,
            count: 1,
            id: None,
        })
        .collect();
    tracker.ingest(&events, 0).unwrap();
    count_into(model, items);
}

/// Counts one event of each of `items` in `model`.
fn count_into(model: &mut HashMap<Vec<u8>, u64>, items: &[Vec<u8>]) {
    for item in items {
        *model.entry(item.clone()).or_default() += 1;
    }
}

#[test]
fn a_big_bucket_compacts_over_many_writes_and_answers_stay_exact() {
    let mut tracker = tracker();
    let names: Vec<Vec<u8>> = (0..ITEMS)
        .map(|i| format!("item-{i:05}").into_bytes())
        .collect();
    let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut first_bucket: HashMap<Vec<u8>, u64> = HashMap::new();
    // Two buckets take every item while each is the newest, the second in reverse order, so
    // that the items' hints (positions in the newest bucket) miss their entries in the first.
    for chunk in names.chunks(1_000) {
        send(&mut tracker, &mut model, NOON, chunk);
        count_into(&mut first_bucket, chunk);
    }
    let reversed: Vec<Vec<u8>> = names.iter().rev().cloned().collect();
    for chunk in reversed.chunks(1_000) {
        send(&mut tracker, &mut model, NOON + 60_000, chunk);
    }
    // Late events into the first bucket, the first half of the items three times over, in
    // reverse so that the items the compaction moves first come last.
    let late: Vec<Vec<u8>> = (0..3)
        .flat_map(|_| names[..ITEMS / 2].iter().rev().cloned())
        .collect();
    let (mut writes_compacting, mut longest) = (0, 0);
    for (write, batch) in late.chunks(BATCH).enumerate() {
        send(&mut tracker, &mut model, NOON + 1, batch);
        count_into(&mut first_bucket, batch);
        let (entries, compacting) = oldest_bucket(&tracker);
        longest = longest.max(entries);
        if compacting {
            writes_compacting += 1;
        }
        if write % 25 == 0 || compacting {
            check_answers(&tracker, &model, &names);
            assert_eq!(oldest_amounts(&tracker), first_bucket, "write {write}");
        }
        if write % 50 == 0 {
            let restored = decode(&encode(&tracker)).unwrap();
            assert_eq!(digest_bytes(&restored), digest_bytes(&tracker));
        }
    }
    assert!(
        writes_compacting >= 10,
        "the compaction took {writes_compacting} writes: it was done at once"
    );
    // It starts at twice the items (as many late entries as the bucket held), and while it
    // runs, late events of items not moved yet still add entries.
    assert!(
        longest <= 2 * ITEMS + ITEMS / 4,
        "{longest} entries at most"
    );
    for _ in 0..1_000 {
        if !oldest_bucket(&tracker).1 {
            break;
        }
        tracker.ingest(&[], 0).unwrap();
    }
    assert!(
        !oldest_bucket(&tracker).1,
        "writes without events do not end it"
    );
    let (entries, _) = oldest_bucket(&tracker);
    assert!(
        entries < ITEMS + ITEMS / 2,
        "{entries} entries after compacting"
    );
    check_answers(&tracker, &model, &names);
    assert_eq!(oldest_amounts(&tracker), first_bucket);
    let restored = decode(&encode(&tracker)).unwrap();
    assert_eq!(digest_bytes(&restored), digest_bytes(&tracker));
    // The first bucket leaves the window: what remains is the second bucket's one event per
    // item, while expiry hands the compacted entries back over several writes.
    tracker.advance(NOON + 3_600_000 + 59_999, 0);
    let second: HashMap<Vec<u8>, u64> = names.iter().map(|name| (name.clone(), 1)).collect();
    let mut writes = 0;
    let first_index = NOON / 60_000;
    while first_bucket_index(&tracker) == Some(first_index) {
        tracker.ingest(&[], 0).unwrap();
        check_answers(&tracker, &second, &names);
        writes += 1;
        assert!(writes < 200, "expiry takes more than 200 writes");
    }
    assert!(writes > 1, "the first bucket left in one write");
}

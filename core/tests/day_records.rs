//! A day's records start in a hash map and move to an array by id once the array would be
//! smaller (see `wtopk_core::adaptive_records`), a few ids per write. Meanwhile the day's
//! answers must equal a brute-force count of the events sent and a reload must answer the
//! same; the move must be spread over writes, end, and leave the day with less memory per
//! item. A day that holds a small share of the ids keeps its map.

mod common;

use std::collections::HashMap;

use wtopk_core::adaptive_records::Storage;
use wtopk_core::calendar::Day;
use wtopk_core::counts::Counts;
use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::{ClockMode, DailySpec, Tracker, TrackerConfig, WindowSpec};

/// 2026-01-01T00:00:00Z.
const MIDNIGHT: i64 = 1_767_225_600_000;
const ITEMS: usize = 30_000;
const BATCH: usize = 200;

/// A 5-minute window, event clock, daily totals in UTC.
fn tracker() -> Tracker {
    Tracker::new(TrackerConfig {
        windows: vec![WindowSpec::sliding(300_000)],
        clock: ClockMode::Event,
        daily: Some(DailySpec::default()),
        ..TrackerConfig::default()
    })
    .unwrap()
}

fn names(prefix: &str) -> Vec<Vec<u8>> {
    (0..ITEMS)
        .map(|i| format!("{prefix}-{i:05}").into_bytes())
        .collect()
}

/// Sends `items` at `ts` (see [`common::batch`]) to the tracker and the model.
fn send(tracker: &mut Tracker, model: &mut HashMap<Vec<u8>, u64>, ts: i64, items: &[&[u8]]) {
    let events = common::batch(ts, items);
    tracker.ingest(&events, 0).unwrap();
    for event in &events {
        *model.entry(event.item.to_vec()).or_default() += event.count;
    }
}

/// The day's top 100 and total equal the model's; ties go by item bytes.
fn check_day(tracker: &Tracker, day: Day, model: &HashMap<Vec<u8>, u64>) {
    let mut expected: Vec<(&[u8], u64)> = model.iter().map(|(k, &v)| (k.as_slice(), v)).collect();
    expected.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    expected.truncate(100);
    let top: Vec<(&[u8], u64)> = tracker
        .day_top(day, 100)
        .unwrap()
        .into_iter()
        .map(|(item, bounds)| (item, bounds.count))
        .collect();
    assert_eq!(top, expected);
    let total = tracker
        .day_statuses(0)
        .unwrap()
        .into_iter()
        .find(|status| status.day == day)
        .map(|status| status.total);
    assert_eq!(total, Some(model.values().sum()));
}

/// The day's exact counts: where their records are and their heap bytes.
fn day_records(tracker: &Tracker, day: Day) -> (Storage, usize) {
    match tracker.daily().and_then(|daily| daily.day(day)) {
        Some(Counts::Exact(tally)) => (tally.storage(), tally.heap_bytes()),
        other => panic!("no exact counts for {day}: {other:?}"),
    }
}

/// The largest id among the items of `model`.
fn largest_id(tracker: &Tracker, model: &HashMap<Vec<u8>, u64>) -> usize {
    model
        .keys()
        .filter_map(|item| tracker.interner().find(item))
        .max()
        .map_or(0, |id| id as usize)
}

/// Yesterday takes `ITEMS` items, so today's items get the ids above them.
fn after_a_day_of_other_items() -> (Tracker, Day) {
    let mut tracker = tracker();
    let old = names("old");
    let old: Vec<&[u8]> = old.iter().map(Vec::as_slice).collect();
    let mut yesterday = HashMap::new();
    for (n, chunk) in old.chunks(1_000).enumerate() {
        send(&mut tracker, &mut yesterday, MIDNIGHT + n as i64, chunk);
    }
    let day = tracker.daily().unwrap().day_of(MIDNIGHT);
    check_day(&tracker, day, &yesterday);
    (tracker, day.next())
}

#[test]
fn a_busy_day_moves_its_records_to_an_array_over_many_writes() {
    let (mut tracker, today) = after_a_day_of_other_items();
    let names = names("new");
    let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
    let (mut array_smaller_at, mut arrayed_at) = (None, None);
    let mut map_bytes_per_item = 0.0;
    for write in 0..300usize {
        // Every item by the 150th write, in an order unrelated to the names.
        let batch: Vec<&[u8]> = (0..BATCH)
            .map(|n| names[((write * BATCH + n) * 7_919) % ITEMS].as_slice())
            .collect();
        let ts = MIDNIGHT + 86_400_000 + 3_600_000 + write as i64 * 1_000;
        send(&mut tracker, &mut model, ts, &batch);
        let (storage, bytes) = day_records(&tracker, today);
        let (held, largest) = (model.len(), largest_id(&tracker, &model));
        if 3 * held < largest {
            assert_eq!(storage, Storage::Map, "write {write}: the map is smaller");
            map_bytes_per_item = bytes as f64 / held as f64;
        } else if array_smaller_at.is_none() {
            array_smaller_at = Some(write);
        }
        if storage == Storage::Array && arrayed_at.is_none() {
            arrayed_at = Some(write);
        }
        if write % 10 == 0 || arrayed_at.is_none() && array_smaller_at.is_some() {
            check_day(&tracker, today, &model);
        }
        if write % 20 == 0 {
            let restored = decode(&encode(&tracker)).unwrap();
            assert_eq!(digest_bytes(&restored), digest_bytes(&tracker));
            check_day(&restored, today, &model);
        }
    }
    check_day(&tracker, today, &model);
    let (_, bytes) = day_records(&tracker, today);
    let array_bytes_per_item = bytes as f64 / model.len() as f64;
    // Today holds half the ids: 16 bytes an item in the array, plus the level lists.
    assert!(
        array_bytes_per_item < 0.85 * map_bytes_per_item,
        "{array_bytes_per_item:.1} bytes per item in the array, \
         {map_bytes_per_item:.1} in the map"
    );
    let (Some(array_smaller_at), Some(arrayed_at)) = (array_smaller_at, arrayed_at) else {
        panic!("the array never became smaller ({array_smaller_at:?}) or was never built");
    };
    let writes = arrayed_at - array_smaller_at;
    assert!(
        (5..=150).contains(&writes),
        "the move took {writes} writes: done at once, or never ending"
    );
}

#[test]
fn a_day_holding_a_small_share_of_the_ids_keeps_its_map() {
    let (mut tracker, today) = after_a_day_of_other_items();
    let names = names("new");
    let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
    // A sixth of yesterday's items again, and a few new ones.
    let old = self::names("old");
    let items: Vec<&[u8]> = old
        .iter()
        .step_by(6)
        .chain(names.iter().take(500))
        .map(Vec::as_slice)
        .collect();
    for (n, chunk) in items.chunks(BATCH).enumerate() {
        send(
            &mut tracker,
            &mut model,
            MIDNIGHT + 86_400_000 + n as i64,
            chunk,
        );
    }
    check_day(&tracker, today, &model);
    let (storage, bytes) = day_records(&tracker, today);
    assert_eq!(storage, Storage::Map);
    let array_bytes = 8 * (largest_id(&tracker, &model) + 1);
    assert!(
        bytes < array_bytes,
        "{bytes} bytes in the map, {array_bytes} in an array"
    );
    // A reload numbers the items anew, which may make the array the smaller choice.
    let restored = decode(&encode(&tracker)).unwrap();
    let (_, restored_bytes) = day_records(&restored, today);
    assert!(
        restored_bytes <= bytes,
        "{restored_bytes} bytes after a reload"
    );
    check_day(&restored, today, &model);
}

//! Cleanup spread over writes (see `wtopk_core::work`): when the clock jumps past a window
//! and past the retained days, expiring the old buckets and releasing the dropped days' items
//! takes many writes. Meanwhile every answer must be as if the cleanup were done, the
//! encoding and the digest must not see the leftovers, and the leftovers must go within a
//! bounded number of writes, after which only the new items are held.

use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::window::Window;
use wtopk_core::{ClockMode, DailySpec, Event, QueryWindow, Tracker, TrackerConfig};

const DAY: i64 = 86_400_000;
/// 2026-01-01T12:00:00Z.
const NOON: i64 = 1_767_268_800_000;
const OLD_ITEMS: usize = 10_000;

fn tracker() -> Tracker {
    Tracker::new(TrackerConfig {
        clock: ClockMode::Event,
        daily: Some(DailySpec {
            zone: "UTC".to_string(),
            days: 1,
            lateness: 0,
        }),
        ..TrackerConfig::default()
    })
    .unwrap()
}

/// The names of the items sent before the jump.
fn old_items() -> Vec<Vec<u8>> {
    (0..OLD_ITEMS)
        .map(|i| format!("old-{i}").into_bytes())
        .collect()
}

/// Entries the sliding windows still hold in buckets the clock has passed, and items of
/// dropped days not released yet.
fn leftovers(tracker: &Tracker) -> usize {
    let clock = tracker.stored_clock();
    let windows: usize = tracker
        .windows()
        .iter()
        .map(|window| match window {
            Window::Sliding(sliding) => {
                let all: usize = sliding.ring().iter().map(|(_, b)| b.len()).sum();
                let live: usize = sliding.live_buckets_at(clock).map(|(_, b)| b.len()).sum();
                all - live
            }
            _ => 0,
        })
        .sum();
    windows + tracker.daily().map_or(0, |daily| daily.retiring().count())
}

/// Every window, the count of an old and of a new item, and today answer as if only the
/// `new` items (one event each, names ranked by bytes) had ever been sent.
fn check_answers(tracker: &Tracker, new: &[Vec<u8>]) {
    let mut expected: Vec<&[u8]> = new.iter().map(Vec::as_slice).collect();
    expected.sort_unstable();
    expected.truncate(100);
    for window in 0..3 {
        let window = QueryWindow::Configured(window);
        let top: Vec<(&[u8], u64)> = tracker
            .query(window, 100, 0)
            .unwrap()
            .into_iter()
            .map(|(item, bounds)| (item, bounds.count))
            .collect();
        let want: Vec<(&[u8], u64)> = expected.iter().map(|&item| (item, 1)).collect();
        assert_eq!(top, want, "{window:?}");
        let counts = tracker
            .count(window, &[b"old-5".as_slice(), &new[0]], 0)
            .unwrap();
        assert_eq!(counts, vec![0, 1], "{window:?}");
        let summary = tracker.summary(window, 10, 0).unwrap();
        assert_eq!(summary.total(), new.len() as u64, "{window:?} total");
    }
    let days = tracker.day_statuses(0).unwrap();
    let totals: Vec<u64> = days.iter().map(|status| status.total).collect();
    assert_eq!(totals, vec![new.len() as u64, 0], "days");
    let restored = decode(&encode(tracker)).unwrap();
    assert_eq!(digest_bytes(&restored), digest_bytes(tracker));
    assert_eq!(
        restored.distinct_items(),
        new.len(),
        "items held after a reload"
    );
}

#[test]
fn cleanup_after_a_jump_is_spread_and_invisible() {
    let mut tracker = tracker();
    let names = old_items();
    for round in 0..3i64 {
        let events: Vec<Event<'_>> = names
            .iter()
            .enumerate()
            .map(|(i, item)| Event {
                ts: NOON + round * 200_000 + i as i64 * 10,
                item,
                count: 1,
                id: None,
            })
            .collect();
        tracker.ingest(&events, 0).unwrap();
    }
    assert_eq!(tracker.distinct_items(), OLD_ITEMS);

    let jump = NOON + 3 * DAY;
    let mut new: Vec<Vec<u8>> = Vec::new();
    let mut writes = 0;
    let mut left = usize::MAX;
    while leftovers(&tracker) > 0 || new.is_empty() {
        new.push(format!("new-{writes:03}").into_bytes());
        let event = Event {
            ts: jump + writes,
            item: new.last().unwrap(),
            count: 1,
            id: None,
        };
        tracker.ingest(&[event], 0).unwrap();
        writes += 1;
        let now_left = leftovers(&tracker);
        if writes == 1 {
            assert!(
                now_left > 10_000,
                "the jump left little to clean: {now_left}"
            );
        }
        assert!(now_left < left || now_left == 0, "a write cleaned nothing");
        left = now_left;
        check_answers(&tracker, &new);
        assert!(writes < 200, "cleanup takes more than 200 writes");
    }
    assert_eq!(tracker.distinct_items(), new.len());
}

#[test]
fn advance_without_moving_the_clock_goes_on_cleaning() {
    let mut tracker = tracker();
    let names = old_items();
    let events: Vec<Event<'_>> = names
        .iter()
        .map(|item| Event {
            ts: NOON,
            item,
            count: 1,
            id: None,
        })
        .collect();
    tracker.ingest(&events, 0).unwrap();
    let new = vec![b"new-000".to_vec()];
    let event = Event {
        ts: NOON + 3 * DAY,
        item: &new[0],
        count: 1,
        id: None,
    };
    tracker.ingest(&[event], 0).unwrap();
    let mut left = leftovers(&tracker);
    assert!(left > 0);
    while left > 0 {
        let (clock, _) = tracker.advance(0, 0);
        assert_eq!(clock, NOON + 3 * DAY, "ADVANCE to the past moved the clock");
        let now_left = leftovers(&tracker);
        assert!(now_left < left, "an ADVANCE cleaned nothing");
        left = now_left;
        check_answers(&tracker, &new);
    }
    assert_eq!(tracker.distinct_items(), 1);
}

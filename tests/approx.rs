//! MODE APPROX (SPEC.md "Mode"): below its capacity an APPROX tracker answers exactly like
//! an EXACT tracker fed the same events (QUERY with and without WITHBOUNDS for configured
//! windows, a derived duration and `all`, COUNT, DAY, DAYS, the INFO counters); above it,
//! every item QUERY WITHBOUNDS reports has `lower <= count <= upper` (count the midpoint)
//! with the true count
//! (an EXACT tracker in the same server, fed the same events, and the brute-force model
//! for `all` and days) between the bounds, COUNT agrees with QUERY, clearly heavy items keep
//! their true order, DAY is within the Space-Saving error and DAYS totals stay exact; memory stays flat as
//! distinct items grow tenfold and far below EXACT's; bad MODE/CAPACITY options get `ERR`
//! and create nothing. Persistence of APPROX trackers is in `approx_persistence.rs`.
//! Seeds are fixed, every tracker runs under `CLOCK EVENT`.

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{TimeZone, Utc};
use common::model::{check_order, Model};
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::{Connection, Value};

const START_TS: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// The default daily lateness (SPEC.md).
const DAILY_LATENESS: i64 = 10 * MINUTE;
/// An item no test ever sends.
const UNSEEN: &str = "never-seen";

/// One event: `(item, timestamp, count)`.
type Event = (String, i64, u64);

/// One entry of `TOPK.QUERY ... WITHBOUNDS`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bounded {
    item: String,
    count: i64,
    lower: i64,
    upper: i64,
}

fn create(con: &mut Connection, key: &str, options: &[&str]) {
    let mut args = vec!["TOPK.CREATE", key];
    args.extend_from_slice(options);
    run(con, args);
}

/// `TOPK.INGEST key ts item count - ...` of `events`; the `[accepted, duplicates, dropped]`
/// reply.
fn ingest(con: &mut Connection, key: &str, events: &[Event]) -> Vec<i64> {
    let mut args = vec!["TOPK.INGEST".to_string(), key.to_string()];
    for (item, ts, count) in events {
        args.extend([
            ts.to_string(),
            item.clone(),
            count.to_string(),
            "-".to_string(),
        ]);
    }
    ints(&run(con, args))
}

/// `TOPK.QUERY key window k WITHBOUNDS`.
fn query_bounds(con: &mut Connection, key: &str, window: &str, k: usize) -> Vec<Bounded> {
    let k = k.to_string();
    let reply = run(con, &["TOPK.QUERY", key, window, k.as_str(), "WITHBOUNDS"]);
    let Value::Array(values) = &reply else {
        panic!("QUERY {key} {window} WITHBOUNDS answered {reply:?}");
    };
    assert!(
        values.len() % 4 == 0,
        "QUERY {key} {window} WITHBOUNDS: {} values, not groups of 4",
        values.len()
    );
    values
        .chunks(4)
        .map(|group| match group {
            [Value::BulkString(item), Value::Int(count), Value::Int(lower), Value::Int(upper)] => {
                Bounded {
                    item: String::from_utf8(item.clone()).expect("UTF-8 item"),
                    count: *count,
                    lower: *lower,
                    upper: *upper,
                }
            }
            other => panic!("QUERY {key} {window} WITHBOUNDS entry {other:?}"),
        })
        .collect()
}

/// `TOPK.DAY key day k` as pairs.
fn day_top(con: &mut Connection, key: &str, day: &str, k: usize) -> Vec<(String, i64)> {
    pairs(&run(con, &["TOPK.DAY", key, day, k.to_string().as_str()]))
}

/// The UTC calendar date of `ts`.
fn utc_date(ts: i64) -> String {
    Utc.timestamp_millis_opt(ts)
        .single()
        .expect("timestamp in range")
        .format("%Y-%m-%d")
        .to_string()
}

/// Every item with a positive count, most frequent first, ties by item bytes ascending.
fn ranked(counts: &HashMap<String, u64>) -> Vec<(String, i64)> {
    let mut top: Vec<(String, i64)> = counts
        .iter()
        .filter(|(_, &count)| count > 0)
        .map(|(item, &count)| (item.clone(), i64::try_from(count).expect("small")))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top
}

/// The brute-force truth of a `CLOCK EVENT` tracker with `WINDOW all` and UTC days of the
/// default lateness: every event (for windows and `all`) and, per day, the events that were
/// not late for their day.
#[derive(Default)]
struct Truth {
    events: Model,
    days: BTreeMap<String, HashMap<String, u64>>,
}

impl Truth {
    fn add(&mut self, (item, ts, count): &Event) {
        let day_end = (ts.div_euclid(DAY) + 1) * DAY;
        let day_is_final = self.events.clock() >= day_end + DAILY_LATENESS;
        if !day_is_final {
            *self
                .days
                .entry(utc_date(*ts))
                .or_default()
                .entry(item.clone())
                .or_default() += count;
        }
        self.events.add(item, *ts, *count);
    }

    /// Exact all-time counts.
    fn all(&self) -> HashMap<String, u64> {
        self.events.counts(-1, self.events.clock())
    }

    fn day_total(&self, day: &str) -> i64 {
        self.days.get(day).map_or(0, |items| {
            i64::try_from(items.values().sum::<u64>()).expect("small")
        })
    }

    fn day(&self, day: &str) -> HashMap<String, u64> {
        self.days.get(day).cloned().unwrap_or_default()
    }

    /// The most any item of a window of `length` ms (0: `all`) with buckets of `bucket` ms
    /// can hold in total at the current clock.
    fn window_total_upper(&self, length: i64, bucket: i64) -> i64 {
        let t = self.events.clock();
        let after = if length == 0 { -1 } else { t - length - bucket };
        let total: u64 = self.events.counts(after, t).values().sum();
        i64::try_from(total).expect("small")
    }
}

/// The INFO fields an APPROX tracker shares with an EXACT one fed the same events.
fn shared_info(con: &mut Connection, key: &str) -> Vec<(String, Value)> {
    let info = info(con, key);
    [
        "k",
        "clock",
        "T",
        "windows",
        "daily",
        "dedupe",
        "events_accepted",
        "events_duplicate",
        "events_late",
        "events_future",
        "events_dropped",
    ]
    .iter()
    .map(|field| (field.to_string(), info.get(field).clone()))
    .collect()
}

/// Below capacity (300 distinct items; capacities 1,000 and the default), an APPROX tracker
/// answers every read exactly like an EXACT tracker fed the same events: out-of-order
/// events, events outside the short window, events late for their day, ADVANCEs, three UTC
/// days.
#[test]
fn below_capacity_approx_answers_exactly_like_exact() {
    let mut server = Server::default_start();
    let mut con = server.client();
    let options = [
        "CLOCK", "EVENT", "WINDOW", "5m", "WINDOW", "1h", "WINDOW", "all", "DAILY", "3", "K",
        "1000",
    ];
    create(&mut con, "exact", &options);
    let mut approx_options = options.to_vec();
    approx_options.extend(["MODE", "APPROX", "CAPACITY", "1000"]);
    create(&mut con, "approx", &approx_options);
    let mut default_options = options.to_vec();
    default_options.extend(["mode", "approx"]);
    create(&mut con, "approx-default", &default_options);
    let keys = ["exact", "approx", "approx-default"];

    let exact_info = info(&mut con, "exact");
    assert_eq!(exact_info.text("mode"), "exact");
    assert!(
        !exact_info.has("capacity"),
        "an EXACT tracker has no capacity: {:?}",
        exact_info.fields
    );
    let approx_info = info(&mut con, "approx");
    assert_eq!(approx_info.text("mode"), "approx");
    assert_eq!(approx_info.int("capacity"), 1000);
    let default_info = info(&mut con, "approx-default");
    assert_eq!(default_info.text("mode"), "approx");
    assert_eq!(default_info.int("capacity"), 8192, "the default capacity");
    assert_eq!(approx_info.windows(), exact_info.windows());
    assert_eq!(default_info.windows(), exact_info.windows());

    let names: Vec<String> = (0..300).map(|i| format!("item-{i}")).collect();
    let mut count_args: Vec<&str> = names.iter().map(String::as_str).collect();
    count_args.push(UNSEEN);
    let windows = ["5m", "1h", "20m", "all"];
    let mut rng = StdRng::seed_from_u64(0xA990_0001);
    let mut truth = Truth::default();
    let mut latest = START_TS;
    let mut late_for_day = 0;
    let mut last_late_midnight = 0;
    for batch in 0..40 {
        let mut events: Vec<Event> = Vec::new();
        // Once per midnight, an event for the day before after that day became final.
        let t = truth.events.clock();
        let midnight = t.div_euclid(DAY) * DAY;
        if midnight > START_TS && t >= midnight + DAILY_LATENESS && midnight != last_late_midnight {
            last_late_midnight = midnight;
            late_for_day += 1;
            let event = (names[0].clone(), midnight - MINUTE, 5);
            truth.add(&event);
            events.push(event);
        }
        while events.len() < 150 {
            latest += rng.gen_range(0..=60_000);
            let roll: f64 = rng.gen();
            let ts = if roll < 0.15 {
                latest - rng.gen_range(1..=4 * MINUTE)
            } else if roll < 0.18 {
                latest - rng.gen_range(5 * MINUTE..=40 * MINUTE)
            } else {
                latest
            };
            let index = ((rng.gen::<f64>().powi(2) * 300.0) as usize).min(299);
            let event = (names[index].clone(), ts, rng.gen_range(1..=20u64));
            let day_end = (ts.div_euclid(DAY) + 1) * DAY;
            if truth.events.clock() >= day_end + DAILY_LATENESS {
                late_for_day += 1;
            }
            truth.add(&event);
            events.push(event);
        }
        let context = format!("batch {batch} (T = {})", truth.events.clock());
        for key in keys {
            assert_eq!(
                ingest(&mut con, key, &events),
                [150, 0, 0],
                "{context}: {key} accepts every event (WINDOW all counts each)"
            );
        }
        if rng.gen_bool(0.1) {
            let to = truth.events.clock() + rng.gen_range(1..=20 * MINUTE);
            truth.events.advance(to);
            latest = latest.max(to);
            for key in keys {
                assert_eq!(
                    int(&run(&mut con, &["TOPK.ADVANCE", key, &to.to_string()])),
                    to
                );
            }
        }

        let expected_info = shared_info(&mut con, "exact");
        for key in &keys[1..] {
            assert_eq!(
                shared_info(&mut con, key),
                expected_info,
                "{context}: INFO of {key}"
            );
        }
        for window in windows {
            let exact = query_bounds(&mut con, "exact", window, 1000);
            for entry in &exact {
                assert!(
                    entry.lower == entry.count && entry.count == entry.upper,
                    "{context}: EXACT {window} WITHBOUNDS {entry:?}"
                );
            }
            let exact_pairs = query(&mut con, "exact", window, 1000);
            let from_bounds: Vec<(String, i64)> =
                exact.iter().map(|e| (e.item.clone(), e.count)).collect();
            assert_eq!(exact_pairs, from_bounds, "{context}: EXACT {window}");
            let exact_head = query(&mut con, "exact", window, 7);
            let exact_counts = count(&mut con, "exact", window, &count_args);
            for key in &keys[1..] {
                assert_eq!(
                    query_bounds(&mut con, key, window, 1000),
                    exact,
                    "{context}: {key} {window} WITHBOUNDS differs from EXACT below capacity"
                );
                assert_eq!(
                    query(&mut con, key, window, 1000),
                    exact_pairs,
                    "{context}: {key} {window}"
                );
                assert_eq!(
                    query(&mut con, key, window, 7),
                    exact_head,
                    "{context}: {key} {window} top 7"
                );
                assert_eq!(
                    count(&mut con, key, window, &count_args),
                    exact_counts,
                    "{context}: {key} COUNT {window}"
                );
            }
        }
        assert_eq!(
            query(&mut con, "exact", "all", 1000),
            ranked(&truth.all()),
            "{context}: `all` against the brute-force count"
        );

        let exact_days = days_rows(&mut con, "exact");
        for (day, _, total) in &exact_days {
            assert_eq!(*total, truth.day_total(day), "{context}: {day} total");
        }
        for day in truth.days.keys() {
            assert!(
                exact_days.iter().any(|row| &row.0 == day),
                "{context}: {day} has events but is not listed"
            );
        }
        for key in &keys[1..] {
            assert_eq!(
                days_rows(&mut con, key),
                exact_days,
                "{context}: {key} DAYS"
            );
        }
        for (day, _, _) in &exact_days {
            let expected = ranked(&truth.day(day));
            for key in keys {
                assert_eq!(
                    day_top(&mut con, key, day, 1000),
                    expected,
                    "{context}: {key} DAY {day}"
                );
                assert_eq!(
                    day_top(&mut con, key, day, 3),
                    expected.iter().take(3).cloned().collect::<Vec<_>>(),
                    "{context}: {key} DAY {day} top 3"
                );
            }
        }
        for day in ["today", "yesterday"] {
            let expected = day_top(&mut con, "exact", day, 1000);
            for key in &keys[1..] {
                assert_eq!(day_top(&mut con, key, day, 1000), expected, "{key} {day}");
            }
        }
    }
    assert!(truth.days.len() >= 3, "the stream spans three days");
    assert!(late_for_day > 0, "some events were late for their day");
    assert_eq!(
        info(&mut con, "approx").int("events_late"),
        info(&mut con, "exact").int("events_late")
    );
    server.assert_alive();
}

/// The heavy items of the above-capacity stream and their shares of the events.
const HEAVY: [(&str, f64); 3] = [("heavy-0", 0.30), ("heavy-1", 0.20), ("heavy-2", 0.12)];
const TAIL_ITEMS: usize = 3_000;

/// How many order checks of the heavy items ran, per window.
#[derive(Default)]
struct OrderChecks(BTreeMap<String, usize>);

/// Checks one window of APPROX tracker `key` (capacity `capacity`) against EXACT tracker
/// `exact`: the bounds of every reported item, COUNT, the order of the heavy items when the
/// true gaps between the top four exceed `total_upper / capacity` (the Space-Saving error).
#[allow(clippy::too_many_arguments)]
fn check_approx_window(
    con: &mut Connection,
    key: &str,
    capacity: i64,
    window: &str,
    total_upper: i64,
    k: usize,
    checks: &mut OrderChecks,
    context: &str,
) {
    let reported = query_bounds(con, key, window, k);
    assert!(
        reported.len() <= k,
        "{context}: {key} {window}: more than k"
    );
    assert!(
        !reported.is_empty(),
        "{context}: {key} {window}: an empty top of a non-empty window"
    );
    let as_pairs: Vec<(String, i64)> = reported.iter().map(|e| (e.item.clone(), e.count)).collect();
    if let Err(problem) = check_order(&as_pairs) {
        panic!("{context}: {key} {window}: {problem}");
    }
    assert_eq!(
        query(con, key, window, k),
        as_pairs,
        "{context}: {key} {window}: QUERY without WITHBOUNDS"
    );
    assert_eq!(
        query(con, key, window, 5),
        as_pairs.iter().take(5).cloned().collect::<Vec<_>>(),
        "{context}: {key} {window}: the top 5 is the head of the top {k}"
    );
    let items: Vec<&str> = reported.iter().map(|e| e.item.as_str()).collect();
    let truths = count(con, "exact", window, &items);
    let mut asked = items.clone();
    asked.push(UNSEEN);
    let counts = count(con, key, window, &asked);
    for ((entry, truth), counted) in reported.iter().zip(&truths).zip(&counts) {
        assert!(
            entry.lower <= entry.count && entry.count <= entry.upper,
            "{context}: {key} {window}: {entry:?} is not lower <= count <= upper"
        );
        assert_eq!(
            entry.count,
            entry.lower + (entry.upper - entry.lower) / 2,
            "{context}: {key} {window}: {entry:?}: the estimate is the midpoint of the bounds"
        );
        assert!(
            entry.lower <= *truth && *truth <= entry.upper,
            "{context}: {key} {window}: {entry:?} but the true (EXACT) count is {truth}"
        );
        assert_eq!(
            *counted, entry.count,
            "{context}: {key} {window}: COUNT {} disagrees with QUERY",
            entry.item
        );
    }
    assert_eq!(
        counts.last(),
        Some(&0),
        "{context}: {key} {window}: COUNT of an item never sent"
    );

    let top4 = query(con, "exact", window, 4);
    let error = total_upper / capacity;
    let separated = top4.len() == 4 && top4.windows(2).all(|pair| pair[0].1 - pair[1].1 > error);
    if separated {
        let reported_top: Vec<&str> = items.iter().take(3).copied().collect();
        let true_top: Vec<&str> = top4.iter().take(3).map(|(item, _)| item.as_str()).collect();
        assert_eq!(
            reported_top, true_top,
            "{context}: {key} {window}: the top 3 (true gaps {top4:?}, each over the error \
             bound {total_upper}/{capacity}) are not reported in their true order; reported \
             {reported:?}, true counts {truths:?}"
        );
        *checks.0.entry(format!("{key} {window}")).or_default() += 1;
    }
}

/// Above capacity (CAPACITY 20 and 50, K 20, 40,000 events over ~3,000 distinct items with
/// three clearly heavy ones, out of order by up to 3 minutes, over two days): at 80
/// checkpoints, for configured windows, a derived duration and `all`, every reported item's
/// bounds contain its true count (an EXACT tracker's COUNT), the estimate is their midpoint,
/// COUNT agrees, the heavy items keep their true order; DAY counts are within the day's
/// Space-Saving error (total / capacity) of the truth and the
/// heavy items lead each day in order; DAYS equals EXACT's (and the brute-force totals);
/// EXACT's WITHBOUNDS has lower = count = upper; `distinct_items` stays within capacity per
/// window and day.
#[test]
fn above_capacity_bounds_hold_and_heavy_items_lead() {
    let mut server = Server::default_start();
    let mut con = server.client();
    let options = [
        "CLOCK", "EVENT", "WINDOW", "10m", "WINDOW", "2h", "WINDOW", "all", "DAILY", "3",
    ];
    let mut exact_options = options.to_vec();
    exact_options.extend(["K", "100"]);
    create(&mut con, "exact", &exact_options);
    let approx: [(&str, i64); 2] = [("a20", 20), ("a50", 50)];
    for (key, capacity) in approx {
        let mut approx_options = options.to_vec();
        let capacity = capacity.to_string();
        approx_options.extend(["K", "20", "MODE", "APPROX", "CAPACITY", capacity.as_str()]);
        create(&mut con, key, &approx_options);
        let info = info(&mut con, key);
        assert_eq!(info.text("mode"), "approx");
        assert_eq!(info.int("capacity").to_string(), capacity);
    }
    let window_info = info(&mut con, "exact").windows();
    let bucket_of = |name: &str| -> i64 {
        window_info
            .iter()
            .find(|w| w.name == name)
            .unwrap_or_else(|| panic!("window {name} in {window_info:?}"))
            .bucket
    };
    // (window, length, bucket used for the total bound)
    let windows: [(&str, i64, i64); 4] = [
        ("10m", 10 * MINUTE, bucket_of("10m")),
        ("2h", 2 * HOUR, bucket_of("2h")),
        // A derived duration: its error may come from the longest window's summary.
        ("1h", 2 * HOUR, bucket_of("2h")),
        ("all", 0, 0),
    ];

    let mut rng = StdRng::seed_from_u64(0xA990_0002);
    let mut truth = Truth::default();
    let mut checks = OrderChecks::default();
    let mut latest = START_TS;
    let checkpoints = 80;
    for batch in 0..checkpoints {
        let mut events: Vec<Event> = Vec::with_capacity(500);
        for _ in 0..500 {
            latest += rng.gen_range(0..=6_000);
            let ts = if rng.gen_bool(0.1) {
                latest - rng.gen_range(1..=3 * MINUTE)
            } else {
                latest
            };
            let mut roll: f64 = rng.gen();
            let mut item = None;
            for (name, share) in HEAVY {
                if roll < share {
                    item = Some(name.to_string());
                    break;
                }
                roll -= share;
            }
            let item = item.unwrap_or_else(|| {
                let index = (rng.gen::<f64>().powi(2) * TAIL_ITEMS as f64) as usize;
                format!("tail-{}", index.min(TAIL_ITEMS - 1))
            });
            let event = (item, ts, rng.gen_range(1..=3u64));
            truth.add(&event);
            events.push(event);
        }
        let context = format!("batch {batch} (T = {})", truth.events.clock());
        for key in ["exact", "a20", "a50"] {
            assert_eq!(
                ingest(&mut con, key, &events),
                [500, 0, 0],
                "{context}: {key} accepts every event"
            );
        }
        for (window, _, _) in windows {
            let exact = query_bounds(&mut con, "exact", window, 20);
            assert!(
                exact
                    .iter()
                    .all(|e| e.lower == e.count && e.count == e.upper),
                "{context}: EXACT {window} WITHBOUNDS {exact:?}"
            );
            let from_bounds: Vec<(String, i64)> =
                exact.iter().map(|e| (e.item.clone(), e.count)).collect();
            assert_eq!(query(&mut con, "exact", window, 20), from_bounds);
        }
        for (key, capacity) in approx {
            for (window, length, bucket) in windows {
                let total_upper = truth.window_total_upper(length, bucket);
                check_approx_window(
                    &mut con,
                    key,
                    capacity,
                    window,
                    total_upper,
                    20,
                    &mut checks,
                    &context,
                );
            }
        }

        let exact_days = days_rows(&mut con, "exact");
        for (day, _, total) in &exact_days {
            assert_eq!(*total, truth.day_total(day), "{context}: {day} total");
        }
        for (key, capacity) in approx {
            assert_eq!(
                days_rows(&mut con, key),
                exact_days,
                "{context}: {key} DAYS (totals stay exact)"
            );
            for (day, _, total) in &exact_days {
                let day_truth = truth.day(day);
                let top = day_top(&mut con, key, day, 20);
                if let Err(problem) = check_order(&top) {
                    panic!("{context}: {key} DAY {day}: {problem}");
                }
                let error = total / capacity;
                for (item, reported) in &top {
                    let true_count = day_truth.get(item).copied().unwrap_or(0) as i64;
                    assert!(
                        (*reported - true_count).abs() <= error,
                        "{context}: {key} DAY {day}: {item} reported {reported}, true \
                         {true_count}, error bound {error}"
                    );
                }
                let true_top = ranked(&day_truth);
                let separated = true_top.len() >= 4
                    && true_top[..4]
                        .windows(2)
                        .all(|pair| pair[0].1 - pair[1].1 > error);
                if separated {
                    let reported: Vec<&String> = top.iter().take(3).map(|(i, _)| i).collect();
                    let expected: Vec<&String> = true_top.iter().take(3).map(|(i, _)| i).collect();
                    assert_eq!(
                        reported,
                        expected,
                        "{context}: {key} DAY {day}: heavy items out of order ({:?})",
                        &true_top[..4]
                    );
                    *checks.0.entry(format!("{key} day")).or_default() += 1;
                }
            }
            let held = info(&mut con, key).int("distinct_items");
            let structures = i64::try_from(3 + exact_days.len()).expect("small");
            assert!(
                held <= capacity * structures,
                "{context}: {key} holds {held} distinct items, more than {capacity} per window \
                 and day ({structures})"
            );
        }
    }
    assert!(
        info(&mut con, "exact").int("distinct_items") > 2_500,
        "the stream has about {TAIL_ITEMS} distinct items"
    );
    assert!(truth.days.len() >= 2, "the stream spans two days");
    for (key, _) in approx {
        for window in ["2h", "all", "day"] {
            let ran = checks
                .0
                .get(&format!("{key} {window}"))
                .copied()
                .unwrap_or(0);
            assert!(
                ran >= checkpoints / 2,
                "{key} {window}: the heavy-order check ran only {ran} times ({:?})",
                checks.0
            );
        }
        // The summaries were over capacity: some reported bound is not exact.
        let loose = query_bounds(&mut con, key, "all", 20)
            .iter()
            .any(|e| e.lower < e.upper);
        assert!(
            loose,
            "{key}: `all` is over capacity, some bound must be loose"
        );
    }
    server.assert_alive();
}

/// `MEMORY USAGE key`.
fn memory_usage(con: &mut Connection, key: &str) -> i64 {
    int(&run(con, &["MEMORY", "USAGE", key]))
}

/// Memory stays bounded: an APPROX tracker (CAPACITY 1000, one 1h window, NODAILY) after
/// 200,000 distinct items takes less than 20% more memory than after 20,000 (the same hour
/// of buckets is in use at both points: timestamps cycle through it), holds at most 1,000
/// distinct items, and takes far less than an EXACT tracker fed the same stream; the
/// items it reports still have bounds around their true count of 1.
#[test]
fn approx_memory_does_not_grow_with_distinct_items() {
    let mut server = Server::default_start();
    let mut con = server.client();
    let options = ["CLOCK", "EVENT", "WINDOW", "1h", "NODAILY"];
    create(&mut con, "exact", &options);
    let mut approx_options = options.to_vec();
    approx_options.extend(["MODE", "APPROX", "CAPACITY", "1000"]);
    create(&mut con, "approx", &approx_options);

    let feed = |con: &mut Connection, from: usize, to: usize| {
        for start in (from..to).step_by(1_000) {
            let events: Vec<Event> = (start..(start + 1_000).min(to))
                .map(|i| {
                    let offset = i64::try_from(i % 20_000).expect("small") * 180;
                    (format!("item-{i}"), START_TS + offset, 1)
                })
                .collect();
            let sent = i64::try_from(events.len()).expect("small");
            for key in ["exact", "approx"] {
                assert_eq!(
                    ingest(con, key, &events),
                    [sent, 0, 0],
                    "{key} from {start}"
                );
            }
        }
    };
    feed(&mut con, 0, 20_000);
    let small = memory_usage(&mut con, "approx");
    let small_held = info(&mut con, "approx").int("distinct_items");
    feed(&mut con, 20_000, 200_000);
    let large = memory_usage(&mut con, "approx");
    let large_held = info(&mut con, "approx").int("distinct_items");
    let exact = memory_usage(&mut con, "exact");
    eprintln!(
        "APPROX: {small} bytes after 20,000 items, {large} after 200,000; EXACT: {exact}; \
         held {small_held} then {large_held}"
    );
    assert_eq!(info(&mut con, "exact").int("distinct_items"), 200_000);
    assert!(
        small_held <= 1_000 && large_held <= 1_000,
        "an APPROX tracker of one window and capacity 1,000 holds {small_held} then \
         {large_held} distinct items"
    );
    assert!(
        large * 10 < small * 12,
        "APPROX memory grew from {small} to {large} bytes (over 20%) with 10x distinct items"
    );
    assert!(
        large * 4 < exact,
        "APPROX takes {large} bytes, not far below EXACT's {exact}"
    );
    let reported_memory = info(&mut con, "approx").int("memory_bytes");
    assert!(
        reported_memory * 10 < exact,
        "INFO memory_bytes of APPROX is {reported_memory}, EXACT takes {exact}"
    );
    let top = query_bounds(&mut con, "approx", "1h", 100);
    assert!(!top.is_empty());
    for entry in &top {
        assert!(
            entry.lower <= 1 && 1 <= entry.upper && entry.lower <= entry.count,
            "every item was sent once: {entry:?}"
        );
    }
    let items: Vec<&str> = top.iter().map(|e| e.item.as_str()).collect();
    let counts = count(&mut con, "approx", "1h", &items);
    let from_query: Vec<i64> = top.iter().map(|e| e.count).collect();
    assert_eq!(counts, from_query, "COUNT agrees with QUERY");
    server.assert_alive();
}

/// Bad MODE and CAPACITY options: each gets one `ERR` line naming the option, creates
/// nothing, and the server keeps running; the edges of the range are accepted.
#[test]
fn bad_mode_and_capacity_options() {
    let mut server = Server::default_start();
    let mut con = server.client();
    let capacity: &[&str] = &["capacity"];
    let refused: Vec<(Vec<&str>, &[&str])> = vec![
        (vec!["CAPACITY", "100"], capacity),
        (vec!["MODE", "EXACT", "CAPACITY", "100"], capacity),
        (vec!["CAPACITY", "100", "MODE", "EXACT"], capacity),
        (vec!["MODE", "APPROX", "CAPACITY", "0"], capacity),
        (vec!["MODE", "APPROX", "CAPACITY", "99"], capacity),
        (
            vec!["MODE", "APPROX", "K", "50", "CAPACITY", "49"],
            capacity,
        ),
        (
            vec!["MODE", "APPROX", "CAPACITY", "49", "K", "50"],
            capacity,
        ),
        (vec!["MODE", "APPROX", "CAPACITY", "1000001"], capacity),
        (
            vec!["MODE", "APPROX", "K", "10", "CAPACITY", "-5"],
            capacity,
        ),
        (
            vec!["MODE", "APPROX", "K", "10", "CAPACITY", "abc"],
            capacity,
        ),
        (
            vec!["MODE", "APPROX", "K", "10", "CAPACITY", "1.5"],
            capacity,
        ),
        (vec!["MODE", "APPROX", "K", "10", "CAPACITY", ""], capacity),
        (
            vec!["MODE", "APPROX", "K", "10", "CAPACITY", "100k"],
            capacity,
        ),
        (
            vec!["MODE", "APPROX", "CAPACITY", "99999999999999999999999"],
            capacity,
        ),
        (
            vec!["MODE", "APPROX", "CAPACITY"],
            &["capacity", "argument"],
        ),
        (vec!["MODE", "FUZZY"], &["mode"]),
        (vec!["MODE", "APPROXIMATE"], &["mode"]),
        (vec!["MODE"], &["mode", "argument"]),
    ];
    for (options, any_of) in &refused {
        let mut args = vec!["TOPK.CREATE", "bad"];
        args.extend(options.iter().copied());
        expect_err(&mut con, &args, any_of);
        assert_eq!(
            int(&run(&mut con, &["EXISTS", "bad"])),
            0,
            "{args:?} was refused but created the key"
        );
    }
    server.assert_alive();

    let accepted: [(&[&str], i64); 5] = [
        (&["MODE", "APPROX", "K", "10", "CAPACITY", "10"], 10),
        (&["MODE", "APPROX", "CAPACITY", "1000000"], 1_000_000),
        (&["mode", "approx", "capacity", "100"], 100),
        (&["CAPACITY", "500", "MODE", "APPROX"], 500),
        (&["MODE", "APPROX"], 8192),
    ];
    for (i, (options, expected_capacity)) in accepted.iter().enumerate() {
        let key = format!("ok-{i}");
        let mut args = vec!["TOPK.CREATE", key.as_str()];
        args.extend(options.iter().copied());
        run(&mut con, &args);
        let info = info(&mut con, &key);
        assert_eq!(info.text("mode"), "approx", "{args:?}");
        assert_eq!(info.int("capacity"), *expected_capacity, "{args:?}");
    }
    run(&mut con, &["TOPK.CREATE", "plain", "MODE", "EXACT"]);
    let plain = info(&mut con, "plain");
    assert_eq!(plain.text("mode"), "exact");
    assert!(!plain.has("capacity"), "{:?}", plain.fields);

    // The same key cannot be created twice, whatever the mode.
    expect_err(
        &mut con,
        &["TOPK.CREATE", "ok-0", "MODE", "APPROX", "CAPACITY", "100"],
        &["exist"],
    );
    server.assert_alive();
}

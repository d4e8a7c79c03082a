//! Calendar days through a real server (SPEC.md "Days"): across the spring and autumn DST
//! switches of Europe/Berlin and America/New_York, every retained day's total and top items
//! equal a brute-force count of the events whose local calendar date (computed with
//! chrono-tz) is that day, including events one millisecond either side of local midnight;
//! a late event after its day became final is dropped and counted in `events_late`, and the
//! final day's answer stays as it was; the last local day east of UTC (`+10000-01-01`) can be
//! named as `TOPK.DAYS` lists it.

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::Connection;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const ITEMS: [&str; 6] = ["apple", "bread", "cheese", "dates", "eggs", "figs"];

/// The local calendar date of `ts` in `zone`, as `YYYY-MM-DD`.
fn local_date(zone: Tz, ts: i64) -> String {
    Utc.timestamp_millis_opt(ts)
        .single()
        .expect("timestamp in range")
        .with_timezone(&zone)
        .format("%Y-%m-%d")
        .to_string()
}

/// The instant local midnight starts `date` in `zone`.
fn local_midnight(zone: Tz, date: NaiveDate) -> i64 {
    zone.from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .expect("midnight exists in these zones")
        .timestamp_millis()
}

/// The expected top of one day: every item, most frequent first, ties by bytes.
fn ranked(counts: &HashMap<&str, i64>) -> Vec<(String, i64)> {
    let mut top: Vec<(String, i64)> = counts
        .iter()
        .map(|(item, &count)| (item.to_string(), count))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top
}

/// Streams a week of events around `switch` (a DST switch date in `zone`) in time order,
/// in batches, into a fresh tracker, then compares every day with the brute-force count.
fn days_match_local_calendar(zone_name: &str, switch: NaiveDate, seed: u64) {
    let zone: Tz = zone_name.parse().expect("known zone");
    let server = Server::default_start();
    let mut con = server.client();
    let key = "d";
    run(
        &mut con,
        &[
            "TOPK.CREATE",
            key,
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1h",
            "DAILY",
            "10",
            "TZ",
            zone_name,
            "K",
            "10",
        ],
    );
    let first = switch - chrono::Days::new(3);
    let start = local_midnight(zone, first);
    let end = local_midnight(zone, switch + chrono::Days::new(4));
    let mut rng = StdRng::seed_from_u64(seed);
    let mut timestamps: Vec<i64> = (0..3_000).map(|_| rng.gen_range(start..end)).collect();
    for offset in 0..7 {
        let midnight = local_midnight(zone, first + chrono::Days::new(offset));
        timestamps.extend([midnight - 1, midnight, midnight + 1]);
    }
    timestamps.retain(|&ts| ts >= start && ts < end);
    timestamps.sort_unstable();

    let mut model: BTreeMap<String, HashMap<&str, i64>> = BTreeMap::new();
    for batch in timestamps.chunks(250) {
        let mut args = vec!["TOPK.INGEST".to_string(), key.to_string()];
        for &ts in batch {
            let item = ITEMS[rng.gen_range(0..ITEMS.len())];
            let amount: i64 = rng.gen_range(1..=5);
            *model
                .entry(local_date(zone, ts))
                .or_default()
                .entry(item)
                .or_default() += amount;
            args.extend([
                ts.to_string(),
                item.to_string(),
                amount.to_string(),
                "-".into(),
            ]);
        }
        let reply = ints(&run(&mut con, args));
        assert_eq!(
            reply,
            [batch.len() as i64, 0, 0],
            "in-order events all count"
        );
    }

    let listed = days_rows(&mut con, key);
    let today = local_date(zone, *timestamps.last().expect("events"));
    assert_eq!(listed.first().map(|row| row.0.clone()), Some(today.clone()));
    for (day, status, total) in &listed {
        let expected_total: i64 = model.get(day).map_or(0, |items| items.values().sum());
        assert_eq!(*total, expected_total, "{zone_name} {day}: total");
        let expected_status = if *day == today { "running" } else { "final" };
        assert_eq!(status, expected_status, "{zone_name} {day}: status");
    }
    for (day, items) in &model {
        assert!(
            listed.iter().any(|row| &row.0 == day),
            "{zone_name}: {day} has events but TOPK.DAYS does not list it"
        );
        let reply = run(&mut con, &["TOPK.DAY", key, day.as_str(), "10"]);
        assert_eq!(pairs(&reply), ranked(items), "{zone_name} {day}: top items");
    }
    let switch_day = switch.format("%Y-%m-%d").to_string();
    let switch_length =
        local_midnight(zone, switch + chrono::Days::new(1)) - local_midnight(zone, switch);
    assert_ne!(switch_length, DAY, "{zone_name} {switch_day} is a DST day");
    assert!(model.contains_key(&switch_day));
}

#[test]
fn new_york_spring_forward() {
    days_match_local_calendar("America/New_York", date(2026, 3, 8), 11);
}

#[test]
fn new_york_fall_back() {
    days_match_local_calendar("America/New_York", date(2026, 11, 1), 12);
}

#[test]
fn berlin_spring_forward() {
    days_match_local_calendar("Europe/Berlin", date(2026, 3, 29), 13);
}

#[test]
fn berlin_fall_back() {
    days_match_local_calendar("Europe/Berlin", date(2026, 10, 25), 14);
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
}

#[test]
fn late_event_after_its_day_is_final_is_dropped() {
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &[
            "TOPK.CREATE",
            "f",
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1h",
            "DAILY",
            "3",
            "TZ",
            "UTC",
            "LATENESS",
            "1h",
        ],
    );
    let midnight = Utc
        .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("valid")
        .timestamp_millis();
    let ingest = |con: &mut Connection, ts: i64, item: &str, amount: i64| -> Vec<i64> {
        ints(&run(
            con,
            &[
                "TOPK.INGEST",
                "f",
                &ts.to_string(),
                item,
                &amount.to_string(),
                "-",
            ],
        ))
    };
    ingest(&mut con, midnight - 10 * HOUR, "a", 3);
    ingest(&mut con, midnight - 5 * HOUR, "b", 1);
    ingest(&mut con, midnight + 30 * 60_000, "c", 1);
    assert_eq!(
        ingest(&mut con, midnight - 60_000, "b", 4),
        [1, 0, 0],
        "within the daily lateness the day still counts"
    );
    let before = run(&mut con, &["TOPK.DAY", "f", "2026-03-01"]);
    assert_eq!(pairs(&before), expected(&[("b", 5), ("a", 3)]));
    assert_eq!(
        days_rows(&mut con, "f")[1],
        ("2026-03-01".into(), "running".into(), 8)
    );

    ingest(&mut con, midnight + HOUR + 1, "c", 1);
    assert_eq!(
        days_rows(&mut con, "f")[1],
        ("2026-03-01".into(), "final".into(), 8)
    );
    let late_before = info(&mut con, "f").int("events_late");
    assert_eq!(
        ingest(&mut con, midnight - 2 * HOUR, "a", 7),
        [0, 0, 1],
        "an event of a final day is dropped"
    );
    assert_eq!(info(&mut con, "f").int("events_late"), late_before + 1);
    assert_eq!(run(&mut con, &["TOPK.DAY", "f", "2026-03-01"]), before);
    assert_eq!(
        days_rows(&mut con, "f")[1],
        ("2026-03-01".into(), "final".into(), 8)
    );
}

/// East of UTC the last valid timestamp (the end of 9999 in UTC) falls on a local date of
/// year 10000: `TOPK.DAYS` spells it `+10000-01-01`, and `TOPK.DAY` takes that spelling.
#[test]
fn the_last_local_day_can_be_named_as_days_lists_it() {
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &[
            "TOPK.CREATE",
            "edge",
            "CLOCK",
            "EVENT",
            "DAILY",
            "1",
            "TZ",
            "+14:00",
        ],
    );
    let last_ts = Utc
        .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .expect("valid")
        .timestamp_millis()
        + 999;
    let reply = run(
        &mut con,
        &[
            "TOPK.INGEST",
            "edge",
            &last_ts.to_string(),
            "midnight-oil",
            "2",
            "-",
        ],
    );
    assert_eq!(ints(&reply), [1, 0, 0]);
    let listed = days_rows(&mut con, "edge");
    assert_eq!(
        listed[0],
        ("+10000-01-01".to_string(), "running".to_string(), 2)
    );
    let day = run(&mut con, &["TOPK.DAY", "edge", &listed[0].0]);
    assert_eq!(pairs(&day), expected(&[("midnight-oil", 2)]));
    assert_eq!(
        pairs(&run(&mut con, &["TOPK.DAY", "edge", "today"])),
        pairs(&day)
    );
    expect_err(
        &mut con,
        &["TOPK.DAY", "edge", "+10001-01-01"],
        &["invalid day"],
    );
}

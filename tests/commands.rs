//! The commands of the first version against SPEC.md, happy paths: ADD, INCRBY, INGEST
//! (replies, ids ignored without DEDUPE), QUERY (order, ties, default k, WITHBOUNDS, duration
//! spellings), COUNT, INFO (fields and values), CREATE with options, and CREATE on an
//! existing key.

mod common;

use common::*;

#[test]
fn add_incrby_ingest_query_and_count() {
    let server = Server::default_start();
    let mut con = server.client();
    assert_eq!(int(&run(&mut con, &["TOPK.ADD", "t", "a", "b", "a"])), 3);
    for window in ["5m", "1h", "24h"] {
        assert_eq!(
            query(&mut con, "t", window, 10),
            expected(&[("a", 2), ("b", 1)]),
            "window {window}"
        );
    }
    assert_eq!(
        pairs(&run(&mut con, &["TOPK.QUERY", "t", "5m"])),
        expected(&[("a", 2), ("b", 1)]),
        "default k"
    );
    assert_eq!(
        int(&run(&mut con, &["TOPK.INCRBY", "t", "b", "5", "c", "1"])),
        2
    );
    assert_eq!(
        query(&mut con, "t", "5m", 10),
        expected(&[("b", 6), ("a", 2), ("c", 1)])
    );
    assert_eq!(
        query(&mut con, "t", "5m", 2),
        expected(&[("b", 6), ("a", 2)])
    );
    assert_eq!(
        count(&mut con, "t", "5m", &["a", "b", "c", "never"]),
        [2, 6, 1, 0]
    );
    assert_eq!(
        ints(&run(&mut con, &["TOPK.INGEST", "t", "*", "d", "3", "-"])),
        [1, 0, 0]
    );
    assert_eq!(count(&mut con, "t", "1h", &["d"]), [3]);
}

#[test]
fn ties_are_broken_by_item_bytes_ascending() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.ADD", "t", "y", "xa", "x", "w"]);
    assert_eq!(
        query(&mut con, "t", "5m", 10),
        expected(&[("w", 1), ("x", 1), ("xa", 1), ("y", 1)])
    );
    let binary: Vec<Vec<u8>> = vec![
        b"TOPK.ADD".to_vec(),
        b"b".to_vec(),
        b"\xffz".to_vec(),
        b"A".to_vec(),
        b"\x00z".to_vec(),
        b"A".to_vec(),
    ];
    assert_eq!(int(&run(&mut con, binary)), 4);
    assert_eq!(
        byte_pairs(&run(&mut con, &["TOPK.QUERY", "b", "5m"])),
        [
            (b"A".to_vec(), 2),
            (b"\x00z".to_vec(), 1),
            (b"\xffz".to_vec(), 1)
        ]
    );
}

#[test]
fn withbounds_repeats_the_exact_count() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.INCRBY", "t", "a", "7", "b", "2"]);
    let want = [
        redis::Value::BulkString(b"a".to_vec()),
        redis::Value::Int(7),
        redis::Value::Int(7),
        redis::Value::Int(7),
        redis::Value::BulkString(b"b".to_vec()),
        redis::Value::Int(2),
        redis::Value::Int(2),
        redis::Value::Int(2),
    ];
    for args in [
        &["TOPK.QUERY", "t", "5m", "10", "WITHBOUNDS"][..],
        &["TOPK.QUERY", "t", "5m", "withbounds"][..],
    ] {
        assert_eq!(run(&mut con, args), redis::Value::Array(want.to_vec()));
    }
}

#[test]
fn spellings_of_one_duration_are_the_same_window() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.INCRBY", "t", "a", "3", "b", "1"]);
    let hour = query(&mut con, "t", "1h", 10);
    assert_eq!(hour, expected(&[("a", 3), ("b", 1)]));
    for spelling in ["60m", "3600s", "3600000", "3600000ms", "1H", "60M"] {
        assert_eq!(query(&mut con, "t", spelling, 10), hour, "{spelling}");
    }
    expect_err(
        &mut con,
        &["TOPK.CREATE", "d", "WINDOW", "1h", "WINDOW", "60m"],
        &["window", "distinct", "twice", "duplicate"],
    );
}

#[test]
fn info_reports_configuration_and_counters() {
    let server = Server::default_start();
    let mut con = server.client();
    let before = now_ms();
    run(&mut con, &["TOPK.ADD", "t", "a", "b", "a"]);
    run(&mut con, &["TOPK.INCRBY", "t", "c", "4"]);
    let info = info(&mut con, "t");
    let after = now_ms();
    assert!(info.text("mode").eq_ignore_ascii_case("exact"), "{info:?}");
    assert_eq!(info.int("k"), 100);
    assert!(
        info.text("clock").eq_ignore_ascii_case("server"),
        "{info:?}"
    );
    assert!(
        (before..=after).contains(&info.clock()),
        "T {} not in {before}..={after}",
        info.clock()
    );
    let windows = info.windows();
    let names: Vec<&str> = windows.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["5m", "1h", "24h"]);
    for (window, length) in windows.iter().zip([300_000, 3_600_000, 86_400_000]) {
        assert_eq!(window.length, length, "{window:?}");
        assert_eq!(window.bucket, length / 60, "{window:?}");
        assert_eq!(window.lateness, length, "{window:?}");
    }
    assert_eq!(info.int("dedupe"), 0);
    assert_eq!(info.int("distinct_items"), 3);
    assert_eq!(info.int("events_accepted"), 4);
    for zero in [
        "events_duplicate",
        "events_late",
        "events_future",
        "events_dropped",
    ] {
        assert_eq!(info.int(zero), 0, "{zero}");
    }
    assert!(info.int("memory_bytes") > 0);
    assert!(info.has("daily"), "{info:?}");
}

#[test]
fn create_with_options() {
    let server = Server::default_start();
    let mut con = server.client();
    let created = run(
        &mut con,
        &[
            "TOPK.CREATE",
            "c",
            "WINDOW",
            "10s",
            "WINDOW",
            "2h",
            "LATENESS",
            "1m",
            "K",
            "5",
            "CLOCK",
            "EVENT",
            "FUTURE",
            "30s",
        ],
    );
    assert_eq!(created, redis::Value::Okay);
    let c = info(&mut con, "c");
    assert_eq!(c.int("k"), 5);
    assert!(c.text("clock").eq_ignore_ascii_case("event"));
    assert_eq!(c.clock(), 0, "T is 0 before any event under CLOCK EVENT");
    let windows: Vec<(i64, i64, i64)> = c
        .windows()
        .iter()
        .map(|w| (w.length, w.bucket, w.lateness))
        .collect();
    assert_eq!(
        windows,
        [(10_000, 166, 10_000), (7_200_000, 120_000, 60_000)]
    );
    assert_eq!(query(&mut con, "c", "10s", 5), expected(&[]));
    expect_err(&mut con, &["TOPK.QUERY", "c", "10s", "6"], &["k"]);

    run(
        &mut con,
        &[
            "topk.create",
            "lower",
            "window",
            "90S",
            "Window",
            "1500ms",
            "WINDOW",
            "2000",
            "clock",
            "Event",
            "k",
            "7",
        ],
    );
    let lower = info(&mut con, "lower");
    assert_eq!(lower.int("k"), 7);
    let lengths: Vec<i64> = lower.windows().iter().map(|w| w.length).collect();
    assert_eq!(lengths, [90_000, 1_500, 2_000]);
    let buckets: Vec<i64> = lower.windows().iter().map(|w| w.bucket).collect();
    assert_eq!(buckets, [1_500, 25, 33]);
}

#[test]
fn create_on_an_existing_key_fails_and_changes_nothing() {
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &["TOPK.CREATE", "t", "WINDOW", "1m", "CLOCK", "EVENT"],
    );
    run(&mut con, &["TOPK.INGEST", "t", "5000", "a", "2", "-"]);
    let before = snapshot(&mut con, "t");
    expect_err(&mut con, &["TOPK.CREATE", "t"], &["exist"]);
    expect_err(
        &mut con,
        &["TOPK.CREATE", "t", "WINDOW", "1h", "K", "3"],
        &["exist"],
    );
    assert_eq!(snapshot(&mut con, "t"), before);

    run(&mut con, &["TOPK.ADD", "auto", "a"]);
    expect_err(&mut con, &["TOPK.CREATE", "auto"], &["exist"]);
    assert_eq!(count(&mut con, "auto", "5m", &["a"]), [1]);
}

#[test]
fn event_ids_are_ignored_without_dedupe() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.CREATE", "t", "CLOCK", "EVENT"]);
    let reply = run(
        &mut con,
        &[
            "TOPK.INGEST",
            "t",
            "1000",
            "a",
            "1",
            "id-1",
            "1000",
            "a",
            "1",
            "id-1",
        ],
    );
    assert_eq!(ints(&reply), [2, 0, 0]);
    assert_eq!(query(&mut con, "t", "5m", 10), expected(&[("a", 2)]));
    assert_eq!(info(&mut con, "t").int("events_duplicate"), 0);
}

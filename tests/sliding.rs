//! Windows slide as SPEC.md says: under `CLOCK EVENT` only events and ADVANCE move T, so
//! answers are deterministic; under `CLOCK SERVER` windows follow the wall clock without any
//! write; ADVANCE never moves T back and ignores the future bound; other durations are
//! answered up to the longest window and refused beyond it; `WINDOW all` keeps everything.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::*;

const T0: i64 = 1_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

fn advance(con: &mut redis::Connection, key: &str, to: &str) -> i64 {
    int(&run(con, &["TOPK.ADVANCE", key, to]))
}

#[test]
fn advance_slides_every_window_under_event_clock() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.CREATE", "t", "CLOCK", "EVENT"]);
    let t0 = T0.to_string();
    let before_t0 = (T0 - 1_000).to_string();
    let reply = run(
        &mut con,
        &[
            "TOPK.INGEST",
            "t",
            &t0,
            "a",
            "3",
            "-",
            &t0,
            "b",
            "1",
            "-",
            &before_t0,
            "c",
            "2",
            "-",
        ],
    );
    assert_eq!(ints(&reply), [3, 0, 0]);
    assert_eq!(info(&mut con, "t").clock(), T0);
    let all = expected(&[("a", 3), ("c", 2), ("b", 1)]);
    assert_eq!(query(&mut con, "t", "5m", 10), all);

    let six_minutes = T0 + 6 * MINUTE;
    assert_eq!(
        advance(&mut con, "t", &six_minutes.to_string()),
        six_minutes
    );
    assert_eq!(info(&mut con, "t").clock(), six_minutes);
    assert_eq!(query(&mut con, "t", "5m", 10), expected(&[]));
    assert_eq!(count(&mut con, "t", "5m", &["a", "b", "c"]), [0, 0, 0]);
    for window in ["1h", "24h", "7m", "10m", "2h"] {
        assert_eq!(query(&mut con, "t", window, 10), all, "window {window}");
    }
    assert_eq!(count(&mut con, "t", "2h", &["a", "b", "c"]), [3, 1, 2]);
    expect_err(&mut con, &["TOPK.QUERY", "t", "25h", "10"], &["window"]);
    expect_err(&mut con, &["TOPK.COUNT", "t", "25h", "a"], &["window"]);

    assert_eq!(
        advance(&mut con, "t", "5"),
        six_minutes,
        "T never goes back"
    );
    assert_eq!(info(&mut con, "t").clock(), six_minutes);

    let two_hours = T0 + 2 * HOUR;
    assert_eq!(advance(&mut con, "t", &two_hours.to_string()), two_hours);
    assert_eq!(query(&mut con, "t", "1h", 10), expected(&[]));
    assert_eq!(query(&mut con, "t", "24h", 10), all);
    assert_eq!(query(&mut con, "t", "3h", 10), all);

    let next_day = T0 + 25 * HOUR;
    assert_eq!(advance(&mut con, "t", &next_day.to_string()), next_day);
    for window in ["5m", "1h", "24h", "12h"] {
        assert_eq!(query(&mut con, "t", window, 10), expected(&[]), "{window}");
    }
    assert_eq!(info(&mut con, "t").int("events_accepted"), 3);
}

#[test]
fn advance_under_server_clock_ignores_the_future_bound() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.ADD", "t", "a"]);
    let target = now_ms() + HOUR;
    assert_eq!(advance(&mut con, "t", &target.to_string()), target);
    assert_eq!(info(&mut con, "t").clock(), target);
    assert_eq!(query(&mut con, "t", "5m", 10), expected(&[]));
    assert_eq!(query(&mut con, "t", "24h", 10), expected(&[("a", 1)]));
    assert_eq!(advance(&mut con, "t", "*"), target);
    assert_eq!(advance(&mut con, "t", &(target - HOUR).to_string()), target);
}

#[test]
fn server_clock_windows_slide_without_writes() {
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &["TOPK.CREATE", "s", "WINDOW", "1s", "WINDOW", "1m"],
    );
    let added = now_ms();
    run(&mut con, &["TOPK.ADD", "s", "a"]);
    assert_eq!(query(&mut con, "s", "1s", 10), expected(&[("a", 1)]));
    sleep(Duration::from_millis(1_300));
    assert_eq!(query(&mut con, "s", "1s", 10), expected(&[]));
    assert_eq!(count(&mut con, "s", "1s", &["a"]), [0]);
    assert_eq!(query(&mut con, "s", "1m", 10), expected(&[("a", 1)]));
    assert!(info(&mut con, "s").clock() >= added + 1_300);
}

#[test]
fn window_all_keeps_every_event() {
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &[
            "TOPK.CREATE",
            "w",
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "WINDOW",
            "all",
        ],
    );
    run(
        &mut con,
        &["TOPK.INGEST", "w", &T0.to_string(), "a", "2", "-"],
    );
    let later = (T0 + 100 * HOUR).to_string();
    let reply = run(&mut con, &["TOPK.INGEST", "w", &later, "b", "1", "-"]);
    assert_eq!(ints(&reply), [1, 0, 0]);
    let reply = run(&mut con, &["TOPK.INGEST", "w", "5", "c", "1", "-"]);
    assert_eq!(
        ints(&reply),
        [1, 0, 0],
        "never late for the all-time window"
    );
    assert_eq!(
        query(&mut con, "w", "all", 10),
        expected(&[("a", 2), ("b", 1), ("c", 1)])
    );
    assert_eq!(query(&mut con, "w", "1m", 10), expected(&[("b", 1)]));
    expect_err(&mut con, &["TOPK.QUERY", "w", "2m"], &["window"]);
    let windows = info(&mut con, "w").windows();
    assert_eq!(windows.len(), 2);
    assert_eq!(
        windows[1],
        WindowInfo {
            name: "all".to_string(),
            length: 0,
            bucket: 0,
            lateness: 0
        }
    );

    run(&mut con, &["TOPK.ADD", "plain", "a"]);
    expect_err(
        &mut con,
        &["TOPK.QUERY", "plain", "all"],
        &["window", "all"],
    );
}

/// A write at the largest timestamp to a tracker whose buckets hold thousands of entries:
/// the windows drop those buckets and start one at the new clock. (They used to fill the gap
/// with one empty bucket per bucket width while expiry was still handing entries over: the
/// write never returned and the server ran out of memory.)
#[test]
fn a_write_at_the_largest_timestamp_answers_at_once() {
    let server = Server::default_start();
    let mut con = server.client();
    con.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let items: Vec<String> = (0..3_000).map(|i| format!("item-{i}")).collect();
    run(&mut con, &["TOPK.CREATE", "e", "CLOCK", "EVENT"]);
    let mut ingest = vec!["TOPK.INGEST".to_string(), "e".to_string()];
    for item in &items {
        ingest.extend([
            T0.to_string(),
            item.clone(),
            "1".to_string(),
            "-".to_string(),
        ]);
    }
    run(&mut con, &ingest);
    let mut add = vec!["TOPK.ADD".to_string(), "s".to_string()];
    add.extend(items.iter().cloned());
    run(&mut con, &add);
    let last = "253402300799999";
    run(
        &mut con,
        &["TOPK.INGEST", "e", last, "late-comer", "2", "-"],
    );
    run(
        &mut con,
        &["TOPK.APPLY", "s", last, "*", "late-comer", "2", "-"],
    );
    for key in ["e", "s"] {
        for window in ["5m", "1h", "24h"] {
            assert_eq!(
                query(&mut con, key, window, 10),
                expected(&[("late-comer", 2)]),
                "{key} {window}"
            );
        }
        assert_eq!(info(&mut con, key).clock(), 253_402_300_799_999, "{key}");
    }
    assert_eq!(text(&run(&mut con, &["PING"])), "PONG");
}

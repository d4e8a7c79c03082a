//! How INGEST judges each event (SPEC.md "Lateness", "Future bound"): in order, each against
//! the T left by the events before it; older than a window is "outside" (not late), inside
//! it but older than its LATENESS is late there; an event counted nowhere is dropped; under
//! `CLOCK SERVER` events beyond FUTURE are dropped. The reply `[accepted, duplicates,
//! dropped]` and the INFO counters say so. The event-clock trackers here are NODAILY, so only
//! the windows judge (a running day would count any event of that day).

mod common;

use common::*;

const MINUTE: i64 = 60_000;

fn ingest(con: &mut redis::Connection, key: &str, events: &[(i64, &str)]) -> Vec<i64> {
    let mut args = vec!["TOPK.INGEST".to_string(), key.to_string()];
    for (ts, item) in events {
        args.extend([ts.to_string(), item.to_string(), "1".into(), "-".into()]);
    }
    ints(&run(con, args))
}

#[test]
fn events_are_judged_in_order_against_the_clock_they_leave() {
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &[
            "TOPK.CREATE",
            "j",
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "NODAILY",
        ],
    );
    let reply = ingest(
        &mut con,
        "j",
        &[(1_000_000, "a"), (2_000_000, "b"), (1_000_001, "c")],
    );
    assert_eq!(reply, [2, 0, 1], "c is outside 1m once b moved T");
    assert_eq!(query(&mut con, "j", "1m", 10), expected(&[("b", 1)]));
    let info = info(&mut con, "j");
    assert_eq!(info.clock(), 2_000_000);
    assert_eq!(info.int("events_accepted"), 2);
    assert_eq!(info.int("events_dropped"), 1);
    assert_eq!(info.int("events_late"), 0, "outside is not late");
}

#[test]
fn late_events_are_dropped_only_where_late() {
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &[
            "TOPK.CREATE",
            "l",
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "WINDOW",
            "1h",
            "LATENESS",
            "5m",
            "NODAILY",
        ],
    );
    let t = 10_000_000;
    assert_eq!(ingest(&mut con, "l", &[(t, "a")]), [1, 0, 0]);
    let reply = ingest(
        &mut con,
        "l",
        &[
            (t - 2 * MINUTE, "in-lateness"),
            (t - 10 * MINUTE, "late"),
            (t - 90 * MINUTE, "outside"),
            (t - 30_000, "recent"),
        ],
    );
    assert_eq!(reply, [2, 0, 2]);
    assert_eq!(
        query(&mut con, "l", "1h", 10),
        expected(&[("a", 1), ("in-lateness", 1), ("recent", 1)])
    );
    assert_eq!(
        query(&mut con, "l", "1m", 10),
        expected(&[("a", 1), ("recent", 1)])
    );
    let info = info(&mut con, "l");
    assert_eq!(info.int("events_accepted"), 3);
    assert_eq!(info.int("events_late"), 1);
    assert_eq!(info.int("events_dropped"), 2);
    assert_eq!(info.int("events_future"), 0);
}

#[test]
fn default_lateness_drops_nothing_inside_a_window() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.CREATE", "d", "CLOCK", "EVENT", "NODAILY"]);
    let t = 100_000_000;
    assert_eq!(ingest(&mut con, "d", &[(t, "a")]), [1, 0, 0]);
    let old = [
        (t - 4 * MINUTE, "b"),
        (t - 59 * MINUTE, "c"),
        (t - 23 * 60 * MINUTE, "d"),
    ];
    assert_eq!(ingest(&mut con, "d", &old), [3, 0, 0]);
    assert_eq!(info(&mut con, "d").int("events_late"), 0);
    assert_eq!(count(&mut con, "d", "24h", &["b", "c", "d"]), [1, 1, 1]);
    assert_eq!(count(&mut con, "d", "1h", &["b", "c", "d"]), [1, 1, 0]);
}

#[test]
fn future_bound_under_server_clock() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.ADD", "f", "seed"]);
    let now = now_ms();
    assert_eq!(
        ingest(&mut con, "f", &[(now + 10 * MINUTE, "far")]),
        [0, 0, 1]
    );
    assert_eq!(ingest(&mut con, "f", &[(now + 20_000, "near")]), [1, 0, 0]);
    let info = info(&mut con, "f");
    assert_eq!(info.int("events_future"), 1);
    assert_eq!(info.int("events_dropped"), 1);
    assert_eq!(count(&mut con, "f", "24h", &["far", "near"]), [0, 1]);

    run(&mut con, &["TOPK.CREATE", "g", "FUTURE", "5m"]);
    let now = now_ms();
    let reply = ingest(
        &mut con,
        "g",
        &[(now + 2 * MINUTE, "ok"), (now + 10 * MINUTE, "far")],
    );
    assert_eq!(reply, [1, 0, 1]);
}

#[test]
fn event_clock_has_no_future_bound() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.CREATE", "e", "CLOCK", "EVENT"]);
    let far = now_ms() + 365 * 24 * 60 * MINUTE;
    assert_eq!(ingest(&mut con, "e", &[(far, "a")]), [1, 0, 0]);
    assert_eq!(info(&mut con, "e").clock(), far);
}

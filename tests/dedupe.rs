//! Dedupe (SPEC.md "Dedupe"): with `DEDUPE horizon`, an event whose id belongs to an accepted
//! event with a timestamp of at least `T - horizon` is a duplicate (dropped, counted as such),
//! within a batch and across commands; ids of events that were not accepted are not
//! remembered; beyond the horizon the id is free again; the future bound is judged before
//! dedupe and dedupe before lateness; the remembered ids survive DEBUG RELOAD.

mod common;

use common::*;
use redis::Connection;

const T0: i64 = 10_000_000;
const MINUTE: i64 = 60_000;

fn ingest(con: &mut Connection, key: &str, events: &[(i64, &str, &str)]) -> Vec<i64> {
    let mut args = vec!["TOPK.INGEST".to_string(), key.to_string()];
    for (ts, item, id) in events {
        args.extend([ts.to_string(), item.to_string(), "1".into(), id.to_string()]);
    }
    ints(&run(con, args))
}

fn create(con: &mut Connection, key: &str, options: &[&str]) {
    let mut args = vec!["TOPK.CREATE", key];
    args.extend_from_slice(options);
    run(con, args);
}

#[test]
fn duplicates_within_the_horizon_are_dropped() {
    let server = Server::default_start();
    let mut con = server.client();
    create(
        &mut con,
        "d",
        &["CLOCK", "EVENT", "NODAILY", "WINDOW", "1h", "DEDUPE", "10m"],
    );
    assert_eq!(info(&mut con, "d").int("dedupe"), 10 * MINUTE);
    let first = ingest(
        &mut con,
        "d",
        &[
            (T0, "a", "e1"),
            (T0 + 1_000, "a", "e1"),
            (T0 + 2_000, "b", "e2"),
        ],
    );
    assert_eq!(first, [2, 1, 0]);
    assert_eq!(ingest(&mut con, "d", &[(T0 + 3_000, "a", "e1")]), [0, 1, 0]);
    assert_eq!(
        ingest(
            &mut con,
            "d",
            &[(T0 + 3_000, "c", "-"), (T0 + 3_000, "c", "-")]
        ),
        [2, 0, 0],
        "events without id are never duplicates"
    );

    assert_eq!(ingest(&mut con, "d", &[(1_000_000, "x", "e3")]), [0, 0, 1]);
    assert_eq!(
        ingest(&mut con, "d", &[(T0 + 3_000, "x", "e3")]),
        [1, 0, 0],
        "the id of a dropped event is not remembered"
    );

    let edge = T0 + 2_000 + 10 * MINUTE;
    run(&mut con, &["TOPK.ADVANCE", "d", &edge.to_string()]);
    assert_eq!(
        ingest(&mut con, "d", &[(edge, "b", "e2")]),
        [0, 1, 0],
        "e2 at exactly T - horizon is still remembered"
    );
    let beyond = edge + MINUTE;
    run(&mut con, &["TOPK.ADVANCE", "d", &beyond.to_string()]);
    assert_eq!(
        ingest(&mut con, "d", &[(beyond, "b", "e2")]),
        [1, 0, 0],
        "beyond the horizon the id is free"
    );
    assert_eq!(
        query(&mut con, "d", "1h", 10),
        expected(&[("b", 2), ("c", 2), ("a", 1), ("x", 1)])
    );
    assert_eq!(info(&mut con, "d").int("events_duplicate"), 3);
}

#[test]
fn future_bound_then_dedupe_then_lateness() {
    let server = Server::default_start();
    let mut con = server.client();
    create(
        &mut con,
        "e",
        &[
            "CLOCK", "EVENT", "NODAILY", "WINDOW", "1h", "LATENESS", "1m", "DEDUPE", "1h",
        ],
    );
    assert_eq!(ingest(&mut con, "e", &[(T0, "x", "id1")]), [1, 0, 0]);
    assert_eq!(
        ingest(&mut con, "e", &[(T0 + 10 * MINUTE, "y", "-")]),
        [1, 0, 0]
    );
    assert_eq!(
        ingest(&mut con, "e", &[(T0, "x", "id1")]),
        [0, 1, 0],
        "a late duplicate is a duplicate"
    );
    let stats = info(&mut con, "e");
    assert_eq!(stats.int("events_duplicate"), 1);
    assert_eq!(stats.int("events_late"), 0);

    create(&mut con, "s", &["DEDUPE", "1h"]);
    let now = now_ms();
    assert_eq!(ingest(&mut con, "s", &[(now, "a", "id1")]), [1, 0, 0]);
    assert_eq!(
        ingest(&mut con, "s", &[(now + 10 * MINUTE, "a", "id1")]),
        [0, 0, 1],
        "beyond the future bound before being a duplicate"
    );
    let stats = info(&mut con, "s");
    assert_eq!(stats.int("events_future"), 1);
    assert_eq!(stats.int("events_duplicate"), 0);
}

#[test]
fn remembered_ids_survive_a_reload() {
    let server = Server::default_start();
    let mut con = server.client();
    create(&mut con, "r", &["CLOCK", "EVENT", "DEDUPE", "1h"]);
    assert_eq!(ingest(&mut con, "r", &[(T0, "a", "id1")]), [1, 0, 0]);
    run(&mut con, &["DEBUG", "RELOAD"]);
    assert_eq!(
        ingest(&mut con, "r", &[(T0 + 1_000, "a", "id1")]),
        [0, 1, 0]
    );
    assert_eq!(count(&mut con, "r", "5m", &["a"]), [1]);
}

//! Replication (SPEC.md "Replication"): a replica's trackers equal the master's (same
//! `DEBUG DIGEST-VALUE`, same answers to every query) after a full sync (data written before
//! the replica attached) and after incremental writes, also for events stamped `*`, for
//! decisions that used the master's clock (the future bound) and for writes from a script;
//! the digest reflects the content; a replica refuses writes; a replica whose wall clock runs
//! two days ahead (libfaketime) still holds exactly the master's state.

mod common;

use common::fixture::{continue_all, fill, snapshots, TRACKERS};
use common::*;
use redis::{Connection, Value};

fn digest(con: &mut Connection, key: &str) -> String {
    match run(con, &["DEBUG", "DIGEST-VALUE", key]) {
        Value::Array(values) if values.len() == 1 => text(&values[0]),
        other => panic!("DEBUG DIGEST-VALUE {key} answered {other:?}"),
    }
}

fn digests(con: &mut Connection) -> Vec<String> {
    TRACKERS.iter().map(|t| digest(con, t.key)).collect()
}

/// A master that starts a full sync at once (no diskless-sync delay).
fn master() -> Server {
    Server::start(ServerOptions::new().config("repl-diskless-sync-delay", "0"))
}

fn assert_replica_equal(master: &Server, replica: &Server) {
    wait_for_sync(master, replica);
    let mut master_con = master.client();
    let mut replica_con = replica.client();
    assert_eq!(digests(&mut master_con), digests(&mut replica_con));
    assert_eq!(snapshots(&mut master_con), snapshots(&mut replica_con));
}

/// Server-clock writes whose outcome depends on the master's clock, also from a script.
fn clock_decisions(con: &mut Connection) {
    let now = now_ms();
    let far = (now + 10 * 60_000).to_string();
    let near = (now + 20_000).to_string();
    let reply = run(
        con,
        &[
            "TOPK.INGEST",
            "srv",
            &far,
            "far",
            "1",
            "-",
            &near,
            "near",
            "1",
            "-",
        ],
    );
    assert_eq!(ints(&reply), [1, 0, 1]);
    run(con, &["TOPK.ADD", "srv", "star", "star"]);
    let script = "return redis.call('TOPK.ADD', KEYS[1], 'scripted')";
    assert_eq!(int(&run(con, &["EVAL", script, "1", "srv"])), 1);
}

#[test]
fn full_then_incremental_sync() {
    let master = master();
    let mut con = master.client();
    fill(&mut con);
    let replica = master.replica();
    assert_replica_equal(&master, &replica);

    continue_all(&mut con);
    clock_decisions(&mut con);
    assert_replica_equal(&master, &replica);
    let mut replica_con = replica.client();
    assert_eq!(
        count(
            &mut replica_con,
            "srv",
            "24h",
            &["far", "near", "star", "scripted"]
        ),
        [0, 1, 2, 1]
    );
}

#[test]
fn incremental_sync_from_an_empty_master() {
    let master = master();
    let replica = master.replica();
    let mut con = master.client();
    fill(&mut con);
    clock_decisions(&mut con);
    assert_replica_equal(&master, &replica);

    let mut replica_con = replica.client();
    let refused = try_run(&mut replica_con, &["TOPK.ADD", "srv", "x"]);
    let err = refused.expect_err("a replica refuses writes");
    assert_eq!(err.code(), Some("READONLY"), "{}", error_text(&err));
}

/// The server's wall clock in ms, from `TIME`.
fn server_time(con: &mut Connection) -> i64 {
    let parts: Vec<i64> = match run(con, &["TIME"]) {
        Value::Array(parts) => parts.iter().map(|p| text(p).parse().unwrap_or(0)).collect(),
        other => panic!("TIME answered {other:?}"),
    };
    parts[0] * 1000 + parts[1] / 1000
}

#[test]
fn a_replica_whose_clock_is_two_days_ahead_stays_identical() {
    let master = master();
    let mut con = master.client();
    fill(&mut con);
    let replica = master.replica_with(ServerOptions::new().clock_offset("+2d"));
    let mut replica_con = replica.client();
    let ahead = server_time(&mut replica_con) - server_time(&mut con);
    assert!(
        (47 * 3_600_000..49 * 3_600_000).contains(&ahead),
        "the replica's clock runs {ahead} ms ahead, not two days"
    );
    assert_eq!(digests(&mut con), digests(&mut replica_con));

    continue_all(&mut con);
    clock_decisions(&mut con);
    run(&mut con, &["TOPK.ADVANCE", "srv", "*"]);
    wait_for_sync(&master, &replica);
    assert_eq!(digests(&mut con), digests(&mut replica_con));
}

#[test]
fn digest_reflects_the_content() {
    let server = Server::default_start();
    let mut con = server.client();
    fill(&mut con);
    let zero = "0".repeat(40);
    let before = digests(&mut con);
    for (tracker, digest) in TRACKERS.iter().zip(&before) {
        assert_ne!(digest, &zero, "{} has a zero digest", tracker.key);
    }
    run(
        &mut con,
        &["TOPK.CREATE", "cfg2", "WINDOW", "10s", "WINDOW", "2h"],
    );
    assert_ne!(
        digest(&mut con, "cfg"),
        digest(&mut con, "cfg2"),
        "config is digested"
    );
    continue_all(&mut con);
    let after = digests(&mut con);
    for ((tracker, old), new) in TRACKERS.iter().zip(&before).zip(&after) {
        assert_ne!(old, new, "writes to {} left its digest alone", tracker.key);
    }
}

//! Replication (SPEC.md "Replication"): a replica's trackers equal the master's (same
//! `DEBUG DIGEST-VALUE`, same answers to every query) after a full sync (data written before
//! the replica attached) and after incremental writes, also for events stamped `*`, for
//! decisions that used the master's clock (the future bound) and for writes from a script;
//! the digest reflects the content; a replica refuses writes; a replica that executes the
//! stream three seconds after the master (held by `DEBUG SLEEP`) still holds exactly the
//! master's state, so it never judged an event by its own clock.

mod common;

use common::fixture::{continue_all, fill, snapshots, TRACKERS};
use common::*;
use redis::Connection;

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
    run(con, &["TOPK.INGEST", "srv", "*", "star", "1", "-"]);
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
        [0, 1, 3, 1]
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

/// A tracker whose stored state depends on the clock of whoever executes the writes: a 2s
/// window (events older than 2s are outside), a 1s future bound and daily totals.
const LAGGING: &str = "lagging";

#[test]
fn a_replica_that_executes_the_stream_three_seconds_late_stays_identical() {
    let master = master();
    let mut con = master.client();
    run(
        &mut con,
        &["TOPK.CREATE", LAGGING, "WINDOW", "2s", "FUTURE", "1s"],
    );
    let replica = master.replica();
    let replica_port = replica.port();
    let sleeper = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{replica_port}/"));
        let mut con = client
            .and_then(|c| c.get_connection())
            .expect("replica connection");
        run(&mut con, &["DEBUG", "SLEEP", "3"]);
    });
    std::thread::sleep(std::time::Duration::from_millis(300));

    let now = now_ms();
    let ahead = (now + 1_500).to_string();
    let reply = run(
        &mut con,
        &[
            "TOPK.INGEST",
            LAGGING,
            &now.to_string(),
            "recent",
            "1",
            "-",
            &ahead,
            "ahead",
            "1",
            "-",
        ],
    );
    assert_eq!(
        ints(&reply),
        [1, 0, 1],
        "the master drops only the future event"
    );
    run(&mut con, &["TOPK.ADD", LAGGING, "stamped"]);
    sleeper.join().expect("DEBUG SLEEP on the replica");
    wait_for_sync(&master, &replica);

    let mut replica_con = replica.client();
    assert_eq!(
        digest(&mut con, LAGGING),
        digest(&mut replica_con, LAGGING),
        "a replica judging by its own (3s later) clock would keep 'ahead' and drop 'recent'"
    );
    assert_eq!(
        snapshot(&mut con, LAGGING).without_clock(),
        snapshot(&mut replica_con, LAGGING).without_clock(),
        "T follows each server's wall clock between the two reads"
    );
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

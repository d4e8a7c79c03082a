//! MODE APPROX trackers over their capacity survive persistence exactly and evict
//! deterministically (SPEC.md "Persistence, replication, cluster"): DEBUG RELOAD, DUMP/RESTORE,
//! COPY, SAVE + restart, AOF rewrite + restart and a replica (full sync, then incremental)
//! keep an equal `DEBUG DIGEST-VALUE` and equal answers (INFO, QUERY with and without
//! WITHBOUNDS for every window, COUNT, DAYS, DAY); a restored tracker and the original, fed
//! the same further events (which evict), stay identical, and so does a tracker fed the same
//! commands from the start that was never reloaded. Events are generated from fixed seeds.

mod common;

use std::ops::Range;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::{Connection, Value};

const START_TS: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;
/// Event time covered by one batch.
const BATCH_SPAN: i64 = 20 * MINUTE;
const EVENTS_PER_BATCH: i64 = 250;
/// Batches that fill a tracker well over its capacity, and the further ones.
const FILL: Range<usize> = 0..20;
const FURTHER: Range<usize> = 20..32;
const WINDOWS: [&str; 4] = ["10m", "1h", "30m", "all"];

/// An APPROX tracker of capacity 30 with two sliding windows, `all` and days.
fn create(con: &mut Connection, key: &str) {
    run(
        con,
        &[
            "TOPK.CREATE",
            key,
            "CLOCK",
            "EVENT",
            "WINDOW",
            "10m",
            "WINDOW",
            "1h",
            "WINDOW",
            "all",
            "DAILY",
            "3",
            "K",
            "10",
            "MODE",
            "APPROX",
            "CAPACITY",
            "30",
        ],
    );
}

/// The INGEST arguments after the key of batch `index`: 250 events over 20 minutes, some out
/// of order, over ~2,000 distinct items (a few heavy ones).
fn batch(index: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(0xA990_1000 + index as u64);
    let base = START_TS + i64::try_from(index).expect("small") * BATCH_SPAN;
    let mut args = Vec::new();
    for j in 0..EVENTS_PER_BATCH {
        let mut ts = base + j * (BATCH_SPAN / EVENTS_PER_BATCH);
        if rng.gen_bool(0.1) {
            ts -= rng.gen_range(1..=2 * MINUTE);
        }
        let item = if rng.gen_bool(0.3) {
            format!("heavy-{}", rng.gen_range(0..4))
        } else {
            format!("tail-{}", rng.gen_range(0..2_000))
        };
        args.extend([
            ts.to_string(),
            item,
            rng.gen_range(1..=5).to_string(),
            "-".to_string(),
        ]);
    }
    args
}

/// Feeds batches `range` to `key`, with an ADVANCE after every fifth one.
fn feed(con: &mut Connection, key: &str, range: Range<usize>) {
    for index in range {
        let mut args = vec!["TOPK.INGEST".to_string(), key.to_string()];
        args.extend(batch(index));
        let reply = ints(&run(con, args));
        assert_eq!(
            reply.iter().sum::<i64>(),
            EVENTS_PER_BATCH,
            "{key} batch {index}"
        );
        if index % 5 == 4 {
            let base = START_TS + i64::try_from(index + 1).expect("small") * BATCH_SPAN;
            run(
                con,
                &["TOPK.ADVANCE", key, &(base + 3 * MINUTE).to_string()],
            );
        }
    }
}

/// Everything a client can read of tracker `key`.
#[derive(Clone, Debug, PartialEq)]
struct State {
    snapshot: common::snapshot::Snapshot,
    bounds: Vec<(String, Value)>,
    days: Value,
    day_tops: Vec<(String, Value)>,
}

fn state(con: &mut Connection, key: &str) -> State {
    let snapshot = snapshot(con, key);
    let bounds = WINDOWS
        .iter()
        .map(|window| {
            let reply = run(con, &["TOPK.QUERY", key, window, "10", "WITHBOUNDS"]);
            (window.to_string(), reply)
        })
        .collect();
    let days = run(con, &["TOPK.DAYS", key]);
    let Value::Array(rows) = &days else {
        panic!("TOPK.DAYS {key} answered {days:?}");
    };
    let day_tops = rows
        .iter()
        .map(|row| match row {
            Value::Array(fields) if fields.len() == 3 => {
                let day = text(&fields[0]);
                let top = run(con, &["TOPK.DAY", key, day.as_str(), "10"]);
                (day, top)
            }
            other => panic!("TOPK.DAYS {key} row {other:?}"),
        })
        .collect();
    State {
        snapshot,
        bounds,
        days,
        day_tops,
    }
}

/// The tracker is over its capacity: some window reports a bound that is not exact.
fn assert_over_capacity(con: &mut Connection, key: &str) {
    let loose = WINDOWS.iter().any(|window| {
        let reply = run(con, &["TOPK.QUERY", key, window, "10", "WITHBOUNDS"]);
        let Value::Array(values) = reply else {
            panic!("QUERY {key} {window} WITHBOUNDS");
        };
        values.chunks(4).any(
            |group| matches!(group, [_, _, Value::Int(lower), Value::Int(upper)] if lower < upper),
        )
    });
    assert!(
        loose,
        "{key} should be over its capacity (some loose bound)"
    );
}

/// `key` and `other` (on connections `con` and `other_con`) hold equal trackers.
fn assert_same(
    con: &mut Connection,
    key: &str,
    other_con: &mut Connection,
    other: &str,
    what: &str,
) {
    assert_eq!(
        digest(con, key),
        digest(other_con, other),
        "{what}: DEBUG DIGEST-VALUE of {key} and {other}"
    );
    assert_eq!(
        state(con, key),
        state(other_con, other),
        "{what}: answers of {key} and {other}"
    );
}

/// DEBUG RELOAD keeps an APPROX tracker; DUMP/RESTORE and COPY give equal trackers that,
/// fed the same further (evicting) events, stay equal to the original and to a tracker fed
/// the same commands that was never reloaded or restored.
#[test]
fn reload_restore_and_copy_keep_approx_trackers_and_evictions_deterministic() {
    let mut server = Server::default_start();
    let mut con = server.client();
    let mut other = server.client();
    create(&mut con, "a");
    create(&mut con, "never-reloaded");
    feed(&mut con, "a", FILL);
    feed(&mut con, "never-reloaded", FILL);
    assert_over_capacity(&mut con, "a");
    assert_same(&mut con, "a", &mut other, "never-reloaded", "same commands");

    let before_digest = digest(&mut con, "a");
    let before = state(&mut con, "a");
    run(&mut con, &["DEBUG", "RELOAD"]);
    assert_eq!(
        digest(&mut con, "a"),
        before_digest,
        "digest after DEBUG RELOAD"
    );
    assert_eq!(state(&mut con, "a"), before, "answers after DEBUG RELOAD");

    let payload = bytes(&run(&mut con, &["DUMP", "a"]));
    let restore = vec![
        b"RESTORE".to_vec(),
        b"restored".to_vec(),
        b"0".to_vec(),
        payload,
    ];
    assert_eq!(run(&mut con, restore), Value::Okay);
    assert_eq!(int(&run(&mut con, &["COPY", "a", "copied"])), 1);
    assert_same(&mut con, "a", &mut other, "restored", "after RESTORE");
    assert_same(&mut con, "a", &mut other, "copied", "after COPY");

    for key in ["a", "restored", "copied", "never-reloaded"] {
        feed(&mut con, key, FURTHER);
    }
    assert_ne!(
        digest(&mut con, "a"),
        before_digest,
        "the further events changed the tracker"
    );
    for key in ["restored", "copied", "never-reloaded"] {
        assert_same(
            &mut con,
            "a",
            &mut other,
            key,
            "after the same further events",
        );
    }
    run(&mut con, &["DEBUG", "RELOAD"]);
    assert_same(
        &mut con,
        "a",
        &mut other,
        "never-reloaded",
        "after a second reload",
    );
    server.assert_alive();
}

/// SAVE + restart keeps an APPROX tracker, which then evicts like one fed the same commands
/// without a restart (kept in the same RDB, so compared on the same server).
#[test]
fn save_and_restart_keep_an_approx_tracker() {
    let mut server = Server::default_start();
    let reference = Server::default_start();
    let mut con = server.client();
    let mut reference_con = reference.client();
    for con in [&mut con, &mut reference_con] {
        create(con, "a");
        feed(con, "a", FILL);
    }
    assert_over_capacity(&mut con, "a");
    let before_digest = digest(&mut con, "a");
    let before = state(&mut con, "a");
    assert_eq!(run(&mut con, &["SAVE"]), Value::Okay);
    server.restart();
    let mut con = server.client();
    assert_eq!(digest(&mut con, "a"), before_digest, "digest after restart");
    assert_eq!(state(&mut con, "a"), before, "answers after restart");
    feed(&mut con, "a", FURTHER);
    feed(&mut reference_con, "a", FURTHER);
    assert_same(
        &mut con,
        "a",
        &mut reference_con,
        "a",
        "restarted vs never restarted, after the same further events",
    );
    server.assert_alive();
}

/// With `appendonly yes` (with and without the RDB preamble), a restart and a BGREWRITEAOF +
/// restart keep an APPROX tracker, which then evicts like one that never went through them.
#[test]
fn aof_and_aof_rewrite_keep_an_approx_tracker() {
    let reference = Server::default_start();
    let mut reference_con = reference.client();
    create(&mut reference_con, "a");
    feed(&mut reference_con, "a", FILL);
    feed(&mut reference_con, "a", FURTHER);
    for preamble in ["no", "yes"] {
        let mut server = Server::start(
            ServerOptions::new()
                .config("appendonly", "yes")
                .config("appendfsync", "always")
                .config("aof-use-rdb-preamble", preamble),
        );
        let mut con = server.client();
        create(&mut con, "a");
        feed(&mut con, "a", FILL);
        assert_over_capacity(&mut con, "a");
        let filled_digest = digest(&mut con, "a");
        let filled = state(&mut con, "a");
        server.restart();
        let mut con = server.client();
        let what = format!("preamble {preamble}");
        assert_eq!(digest(&mut con, "a"), filled_digest, "{what}: AOF restart");
        assert_eq!(state(&mut con, "a"), filled, "{what}: AOF restart");

        wait_for_rewrite(&mut con);
        run(&mut con, &["BGREWRITEAOF"]);
        wait_for_rewrite(&mut con);
        server.restart();
        let mut con = server.client();
        assert_eq!(
            digest(&mut con, "a"),
            filled_digest,
            "{what}: BGREWRITEAOF + restart"
        );
        assert_eq!(
            state(&mut con, "a"),
            filled,
            "{what}: BGREWRITEAOF + restart"
        );
        feed(&mut con, "a", FURTHER);
        assert_same(
            &mut con,
            "a",
            &mut reference_con,
            "a",
            &format!("{what}: rewritten vs never rewritten, after the same further events"),
        );
        server.assert_alive();
    }
}

/// A replica attached to a master with an over-capacity APPROX tracker has an equal one
/// after the full sync, and still after more (evicting) writes and an ADVANCE.
#[test]
fn replica_holds_an_equal_approx_tracker() {
    let master = Server::start(ServerOptions::new().config("repl-diskless-sync-delay", "0"));
    let mut con = master.client();
    create(&mut con, "a");
    feed(&mut con, "a", FILL);
    assert_over_capacity(&mut con, "a");
    let mut replica = master.replica();
    let mut replica_con = replica.client();
    assert_same(&mut con, "a", &mut replica_con, "a", "after the full sync");

    create(&mut con, "b");
    feed(&mut con, "a", FURTHER);
    feed(&mut con, "b", 0..FURTHER.end);
    run(&mut con, &["TOPK.ADVANCE", "a", "1700050000000"]);
    wait_for_sync(&master, &replica);
    assert_same(
        &mut con,
        "a",
        &mut replica_con,
        "a",
        "after incremental writes",
    );
    assert_same(
        &mut con,
        "b",
        &mut replica_con,
        "b",
        "created after the sync",
    );
    replica.assert_alive();
}

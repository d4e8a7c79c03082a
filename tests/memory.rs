//! Memory limits and freeing. Under `maxmemory` (below the memory in use) with
//! `maxmemory-policy noeviction`, every TOPK write that can grow memory (CREATE, ADD,
//! INCRBY, INGEST, APPLY, LOADSTATE) and ADVANCE get Redis' `OOM` error and apply nothing
//! (the dataset's DEBUG DIGEST and a tracker's snapshot are unchanged, no key is created),
//! while every read still answers the same; once maxmemory is lifted the same writes work.
//! A tracker of 1,000,000 distinct items reports a plausible `MEMORY USAGE` (over 16 bytes
//! per item) and, deleted with `lazyfree-lazy-user-del yes` or UNLINKed, is freed by the
//! background thread, while a tracker of three items and an empty one are freed at once:
//! observed through `lazyfreed_objects` of `INFO memory`, never through timing. Deleted with
//! lazy free off, the large tracker is dropped by the module's own thread: its memory comes
//! back and Redis' lazy-free counters do not move.

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use common::fixture::fill;
use common::*;
use redis::{Connection, Value};
use wtopk_core::encoding::ENCODING_VERSION;

/// The fixture's event-clock tracker: its snapshot does not depend on the wall clock.
const TRACKER: &str = "ev";
const ITEMS: usize = 1_000_000;
/// Items per `TOPK.ADD` and commands per pipeline while filling the big tracker.
const ITEMS_PER_ADD: usize = 1_000;
const ADDS_PER_PIPELINE: usize = 50;
/// A bound on waiting for the background thread (a hang guard, not a measurement).
const LAZYFREE_DEADLINE: Duration = Duration::from_secs(60);

/// The writes of the OOM test, for tracker `ev` at its clock `t`, a missing key `fresh` and
/// a string `enc` that holds a valid encoding.
fn writes(t: i64) -> Vec<Vec<String>> {
    let later = (t + 1_000).to_string();
    let now = now_ms().to_string();
    let owned = |parts: &[&str]| parts.iter().map(|part| part.to_string()).collect();
    vec![
        owned(&["TOPK.CREATE", "fresh"]),
        owned(&["TOPK.ADD", TRACKER, "item-1", "oom"]),
        owned(&["TOPK.ADD", "fresh", "a"]),
        owned(&["TOPK.INCRBY", TRACKER, "oom", "5"]),
        owned(&["TOPK.INGEST", TRACKER, &later, "oom", "3", "oom-id"]),
        owned(&["TOPK.INGEST", "fresh", &later, "a", "1", "-"]),
        owned(&["TOPK.APPLY", TRACKER, &now, &later, "oom", "3", "-"]),
        owned(&["TOPK.LOADSTATE", "enc"]),
    ]
}

/// The fixture's trackers and a string `enc` holding the encoding of a tracker with one
/// event (what the AOF rewrite `APPEND`s), ready for `TOPK.LOADSTATE`.
fn server_with_data() -> (Server, Connection) {
    let server = Server::default_start();
    let mut con = server.client();
    fill(&mut con);
    let t = info(&mut con, TRACKER).clock();
    run(&mut con, &["TOPK.CREATE", "src", "CLOCK", "EVENT"]);
    run(
        &mut con,
        &["TOPK.INGEST", "src", &t.to_string(), "x", "1", "-"],
    );
    let encoding = encoding_of(&mut con, "src");
    run(&mut con, vec![b"SET".to_vec(), b"enc".to_vec(), encoding]);
    (server, con)
}

/// The tracker encoding of `key`: the payload of its DUMP, unwrapped from the RDB string
/// that carries it (the server must run with `rdbcompression no`).
fn encoding_of(con: &mut Connection, key: &str) -> Vec<u8> {
    run(con, &["CONFIG", "SET", "rdbcompression", "no"]);
    let dump = bytes(&run(con, &["DUMP", key]));
    let start = dump
        .windows(6)
        .position(|w| w[..5] == *b"WTOPK" && w[5] == ENCODING_VERSION)
        .expect("the encoding's magic in the DUMP");
    // The body ends with the module EOF opcode, then 2 bytes of RDB version and 8 of CRC.
    dump[start..dump.len() - 11].to_vec()
}

/// `used_memory` of `INFO memory`.
fn used_memory(con: &mut Connection) -> u64 {
    let memory = server_info(con, "memory");
    info_field(&memory, "used_memory")
        .and_then(|v| v.parse().ok())
        .expect("used_memory in INFO memory")
}

/// Runs `args`, which must get Redis' OOM error.
fn expect_oom(con: &mut Connection, args: &[String]) {
    match try_run(con, args) {
        Ok(value) => panic!("{args:?} under maxmemory answered {value:?}, not OOM"),
        Err(err) => {
            let text = error_text(&err);
            assert!(
                text.starts_with("OOM command not allowed when used memory > 'maxmemory'"),
                "{args:?} under maxmemory: {text}"
            );
        }
    }
}

/// Reads of `ev` that must keep working under maxmemory: (command, reply).
fn reads(con: &mut Connection) -> Vec<(Vec<&'static str>, Value)> {
    [
        vec!["TOPK.QUERY", TRACKER, "1h", "10", "WITHBOUNDS"],
        vec!["TOPK.COUNT", TRACKER, "10m", "item-1", "item-2"],
        vec!["TOPK.DAYS", TRACKER],
        vec!["TOPK.DAY", TRACKER, "2023-11-14", "5"],
        vec!["TOPK.INFO", TRACKER],
    ]
    .into_iter()
    .map(|args| {
        let reply = run(con, &args);
        (args, reply)
    })
    .collect()
}

/// Sets maxmemory to half the memory in use, with no eviction.
fn squeeze(con: &mut Connection) {
    run(con, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    let limit = (used_memory(con) / 2).to_string();
    run(con, &["CONFIG", "SET", "maxmemory", &limit]);
}

#[test]
fn writes_get_oom_and_apply_nothing_while_reads_work() {
    let (mut server, mut con) = server_with_data();
    let t = info(&mut con, TRACKER).clock();
    let before = snapshot(&mut con, TRACKER);
    let before_reads = reads(&mut con);
    let dataset = run(&mut con, &["DEBUG", "DIGEST"]);

    squeeze(&mut con);
    for args in writes(t) {
        expect_oom(&mut con, &args);
        assert_eq!(
            run(&mut con, &["DEBUG", "DIGEST"]),
            dataset,
            "{args:?} was refused for OOM but changed the dataset"
        );
    }
    assert_eq!(
        int(&run(&mut con, &["EXISTS", "fresh"])),
        0,
        "no key created"
    );
    assert_eq!(text(&run(&mut con, &["TYPE", "enc"])), "string");
    assert_eq!(
        reads(&mut con),
        before_reads,
        "reads answer the same under OOM"
    );
    assert_eq!(
        snapshot(&mut con, TRACKER),
        before,
        "{TRACKER} is unchanged"
    );

    run(&mut con, &["CONFIG", "SET", "maxmemory", "0"]);
    for args in writes(t) {
        run(&mut con, &args);
    }
    assert_ne!(snapshot(&mut con, TRACKER), before, "the writes now apply");
    assert_eq!(text(&run(&mut con, &["TYPE", "fresh"])), "wtopk-trk");
    assert_eq!(text(&run(&mut con, &["TYPE", "enc"])), "wtopk-trk");
    assert_eq!(
        query(&mut con, "enc", "5m", 10),
        expected(&[("x", 1)]),
        "LOADSTATE made the tracker"
    );
    server.assert_alive();
}

#[test]
fn advance_gets_oom_and_applies_nothing() {
    let (mut server, mut con) = server_with_data();
    let t = info(&mut con, TRACKER).clock();
    let before = snapshot(&mut con, TRACKER);
    let hour_later = (t + 3_600_000).to_string();

    squeeze(&mut con);
    expect_oom(
        &mut con,
        &[
            "TOPK.ADVANCE".to_string(),
            TRACKER.to_string(),
            hour_later.clone(),
        ],
    );
    assert_eq!(
        snapshot(&mut con, TRACKER),
        before,
        "{TRACKER} is unchanged"
    );

    run(&mut con, &["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(
        int(&run(&mut con, &["TOPK.ADVANCE", TRACKER, &hour_later])),
        t + 3_600_000
    );
    server.assert_alive();
}

/// `lazyfreed_objects` and `lazyfree_pending_objects` of `INFO memory`.
fn lazyfree_counters(con: &mut Connection) -> (u64, u64) {
    let memory = server_info(con, "memory");
    let field = |name: &str| -> u64 {
        info_field(&memory, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in INFO memory:\n{memory}"))
    };
    (
        field("lazyfreed_objects"),
        field("lazyfree_pending_objects"),
    )
}

/// Waits until the background thread has nothing pending and has freed at least `at_least`
/// objects in all; returns the count it reached.
fn lazyfreed_after(con: &mut Connection, at_least: u64) -> u64 {
    let deadline = Instant::now() + LAZYFREE_DEADLINE;
    loop {
        let (freed, pending) = lazyfree_counters(con);
        if freed >= at_least && pending == 0 {
            return freed;
        }
        assert!(
            Instant::now() < deadline,
            "lazy free did not reach {at_least} objects within {LAZYFREE_DEADLINE:?} \
             (freed {freed}, pending {pending})"
        );
        sleep(Duration::from_millis(20));
    }
}

/// Fills tracker `key` with `ITEMS` distinct items, `ITEMS_PER_ADD` per pipelined ADD.
fn fill_big(con: &mut Connection, key: &str) {
    run(con, &["TOPK.CREATE", key, "WINDOW", "1h", "NODAILY"]);
    let adds: Vec<Vec<String>> = (0..ITEMS / ITEMS_PER_ADD)
        .map(|add| {
            let mut args = vec!["TOPK.ADD".to_string(), key.to_string()];
            let first = add * ITEMS_PER_ADD;
            args.extend((first..first + ITEMS_PER_ADD).map(|i| format!("item-{i:07}")));
            args
        })
        .collect();
    for batch in adds.chunks(ADDS_PER_PIPELINE) {
        let mut pipe = redis::pipe();
        for args in batch {
            pipe.cmd(&args[0]).arg(&args[1..]);
        }
        let accepted: Vec<i64> = pipe.query(con).expect("pipelined TOPK.ADD");
        let expected = i64::try_from(ITEMS_PER_ADD).expect("small");
        assert!(
            accepted.iter().all(|&n| n == expected),
            "every ADD accepts all its items: {accepted:?}"
        );
    }
}

#[test]
fn a_million_items_are_counted_in_memory_usage_and_freed_in_the_background() {
    let mut server = Server::start(ServerOptions::new().config("lazyfree-lazy-user-del", "yes"));
    let mut con = server.client();
    fill_big(&mut con, "big");
    assert_eq!(
        info(&mut con, "big").int("distinct_items"),
        i64::try_from(ITEMS).expect("fits")
    );
    let usage = int(&run(&mut con, &["MEMORY", "USAGE", "big"]));
    eprintln!("MEMORY USAGE of a tracker of {ITEMS} items: {usage} bytes");
    assert!(
        usage > i64::try_from(ITEMS * 16).expect("fits"),
        "MEMORY USAGE of {ITEMS} items is only {usage} bytes"
    );
    run(&mut con, &["COPY", "big", "big-copy"]);
    run(&mut con, &["TOPK.ADD", "small", "a", "b", "c"]);
    run(&mut con, &["TOPK.ADD", "small-unlinked", "a", "b", "c"]);

    let (start, _) = lazyfree_counters(&mut con);
    // Small trackers first: were they freed in the background, the background thread (one
    // queue, in order) would count them before the big ones below.
    assert_eq!(int(&run(&mut con, &["DEL", "small"])), 1);
    assert_eq!(int(&run(&mut con, &["UNLINK", "small-unlinked"])), 1);
    assert_eq!(int(&run(&mut con, &["DEL", "big"])), 1);
    assert_eq!(int(&run(&mut con, &["EXISTS", "big"])), 0, "gone at once");
    let freed = lazyfreed_after(&mut con, start + 1);
    assert_eq!(
        freed,
        start + 1,
        "DEL (lazyfree-lazy-user-del) frees only the big tracker in the background"
    );

    assert_eq!(int(&run(&mut con, &["UNLINK", "big-copy"])), 1);
    assert_eq!(
        int(&run(&mut con, &["EXISTS", "big-copy"])),
        0,
        "gone at once"
    );
    assert_eq!(
        lazyfreed_after(&mut con, freed + 1),
        freed + 1,
        "UNLINK frees the big copy in the background"
    );
    server.assert_alive();
}

#[test]
fn an_empty_tracker_is_freed_at_once() {
    let mut server = Server::start(ServerOptions::new().config("lazyfree-lazy-user-del", "yes"));
    let mut con = server.client();
    run(&mut con, &["TOPK.CREATE", "empty"]);
    let mut add = vec!["TOPK.ADD".to_string(), "hundred".to_string()];
    add.extend((0..100).map(|i| format!("item-{i}")));
    run(&mut con, &add);

    let (start, _) = lazyfree_counters(&mut con);
    assert_eq!(int(&run(&mut con, &["DEL", "empty"])), 1);
    // 100 items in 3 windows and a daily rollup are freed in the background, after the
    // empty tracker if that went there too.
    assert_eq!(int(&run(&mut con, &["DEL", "hundred"])), 1);
    assert_eq!(
        lazyfreed_after(&mut con, start + 1),
        start + 1,
        "the empty tracker was freed in the background (a free_effort of 0 means \"always \
         lazy\" to Redis)"
    );
    server.assert_alive();
}

#[test]
fn a_large_tracker_deleted_without_lazy_free_is_freed_by_the_module() {
    let mut server = Server::default_start();
    let mut con = server.client();
    fill_big(&mut con, "big");
    let usage = u64::try_from(int(&run(&mut con, &["MEMORY", "USAGE", "big"]))).expect("size");
    let before = used_memory(&mut con);
    let (lazyfreed, _) = lazyfree_counters(&mut con);
    assert_eq!(int(&run(&mut con, &["DEL", "big"])), 1);
    assert_eq!(int(&run(&mut con, &["EXISTS", "big"])), 0, "gone at once");
    // The module's own thread drops it (DEL returns before; timing is `make bench`'s
    // business): the memory comes back, and Redis' lazy-free thread was not involved.
    let deadline = Instant::now() + LAZYFREE_DEADLINE;
    while before - used_memory(&mut con).min(before) < usage * 9 / 10 {
        assert!(
            Instant::now() < deadline,
            "the {usage} bytes of the deleted tracker were not freed within {LAZYFREE_DEADLINE:?}"
        );
        sleep(Duration::from_millis(20));
    }
    assert_eq!(lazyfree_counters(&mut con).0, lazyfreed);
    server.assert_alive();
}

//! Reads never change the stored state (SPEC.md "Clock T"): QUERY, COUNT and INFO, also
//! under `CLOCK SERVER` while the wall clock moves and windows slide, leave every tracker's
//! `DEBUG DIGEST-VALUE` as it was; and every command declares its key (`COMMAND GETKEYS`),
//! so cluster clients route it and ACL key patterns apply.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::fixture::{fill, TRACKERS};
use common::*;
use redis::Value;

#[test]
fn reads_leave_the_stored_state_alone() {
    let server = Server::default_start();
    let mut con = server.client();
    fill(&mut con);
    run(
        &mut con,
        &["TOPK.CREATE", "short", "WINDOW", "1s", "WINDOW", "1m"],
    );
    run(&mut con, &["TOPK.ADD", "short", "a"]);
    let keys: Vec<&str> = TRACKERS.iter().map(|t| t.key).chain(["short"]).collect();
    let digests = |con: &mut redis::Connection| -> Vec<Value> {
        keys.iter()
            .map(|key| run(con, &["DEBUG", "DIGEST-VALUE", key]))
            .collect()
    };
    let before = digests(&mut con);
    for _ in 0..2 {
        for key in &keys {
            snapshot(&mut con, key);
            run(&mut con, &["TOPK.QUERY", key, "1m", "3", "WITHBOUNDS"]);
        }
        sleep(Duration::from_millis(1_100));
    }
    assert_eq!(
        query(&mut con, "short", "1s", 10),
        expected(&[]),
        "the 1s window slid"
    );
    assert_eq!(digests(&mut con), before);
}

#[test]
fn every_command_declares_its_key() {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.ADD", "t", "a"]);
    for args in [
        &["TOPK.CREATE", "k1"][..],
        &["TOPK.CREATE", "k1", "WINDOW", "1m", "K", "5"],
        &["TOPK.ADD", "k1", "a", "b"],
        &["TOPK.INCRBY", "k1", "a", "1"],
        &["TOPK.INGEST", "k1", "1000", "a", "1", "-"],
        &["TOPK.ADVANCE", "k1", "1000"],
        &["TOPK.QUERY", "k1", "5m", "10"],
        &["TOPK.COUNT", "k1", "5m", "a", "b"],
        &["TOPK.INFO", "k1"],
    ] {
        let mut getkeys = vec!["COMMAND", "GETKEYS"];
        getkeys.extend_from_slice(args);
        let keys = run(&mut con, getkeys);
        assert_eq!(
            keys,
            Value::Array(vec![Value::BulkString(b"k1".to_vec())]),
            "{args:?}"
        );
    }
}

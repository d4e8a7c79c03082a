//! Keyspace notifications (SPEC.md, class `d`): `topk.add` once per ADD, INCRBY or INGEST
//! that accepted events and none for one that accepted nothing or failed; `topk.advance`
//! when ADVANCE moved T and none when it did not. (`topk.dayfinal` belongs to the daily
//! rollup and is left out here.)

mod common;

use common::*;

#[test]
fn writes_notify_once_when_they_change_something() {
    let server = Server::default_start();
    let mut con = server.client();
    let mut listener = server.client();
    let mut pubsub = server.keyevents(&mut listener, "Ed$");

    let far = (now_ms() + 3_600_000).to_string();
    run(&mut con, &["TOPK.ADD", "t", "a", "b"]);
    run(&mut con, &["TOPK.INGEST", "t", &far, "x", "1", "-"]);
    run(&mut con, &["TOPK.INCRBY", "t", "a", "2"]);
    expect_err(&mut con, &["TOPK.INCRBY", "t", "a", "0"], &["increment"]);
    run(&mut con, &["TOPK.INGEST", "t", "*", "b", "1", "-"]);
    run(&mut con, &["TOPK.ADVANCE", "t", &far]);
    run(&mut con, &["TOPK.ADVANCE", "t", "5"]);
    run(&mut con, &["SET", "marker", "1"]);

    let mut events = Vec::new();
    loop {
        let message = pubsub.get_message().expect("a notification within 10 s");
        let event = message
            .get_channel_name()
            .trim_start_matches("__keyevent@0__:")
            .to_string();
        let key: String = message.get_payload().expect("key name");
        let done = event == "set";
        if event != "topk.dayfinal" {
            events.push((event, key));
        }
        if done {
            break;
        }
    }
    let want: Vec<(String, String)> = [
        ("topk.add", "t"),
        ("topk.add", "t"),
        ("topk.add", "t"),
        ("topk.advance", "t"),
        ("set", "marker"),
    ]
    .iter()
    .map(|(event, key)| (event.to_string(), key.to_string()))
    .collect();
    assert_eq!(events, want);
}

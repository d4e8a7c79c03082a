//! RDB persistence keeps every tracker exactly (SPEC.md "Persistence"): SAVE + restart,
//! DEBUG RELOAD, DUMP/RESTORE, COPY and MIGRATE give the same answers to every query (INFO,
//! QUERY and COUNT of every window), and a reloaded tracker goes on exactly like one that was
//! never reloaded (same further writes, same answers).

mod common;

use common::fixture::{continue_all, continue_writes, fill, snapshots, tracker_snapshot, TRACKERS};
use common::*;
use redis::Value;

/// Two servers filled alike: one to reload, one as the reference that never reloads.
fn filled_pair() -> (Server, Server) {
    let server = Server::default_start();
    let reference = Server::default_start();
    fill(&mut server.client());
    fill(&mut reference.client());
    assert_eq!(
        snapshots(&mut server.client()),
        snapshots(&mut reference.client()),
        "the fixture is deterministic"
    );
    (server, reference)
}

/// After the same further writes on both, every tracker still answers alike.
fn assert_same_future(reloaded: &Server, reference: &Server) {
    let mut con = reloaded.client();
    let mut reference_con = reference.client();
    continue_all(&mut con);
    continue_all(&mut reference_con);
    assert_eq!(snapshots(&mut con), snapshots(&mut reference_con));
}

#[test]
fn save_and_restart_keep_every_tracker() {
    let (mut server, reference) = filled_pair();
    let before = snapshots(&mut server.client());
    assert_eq!(run(&mut server.client(), &["SAVE"]), Value::Okay);
    server.restart();
    assert_eq!(snapshots(&mut server.client()), before);
    assert_same_future(&server, &reference);
}

#[test]
fn debug_reload_keeps_every_tracker() {
    let (mut server, reference) = filled_pair();
    let mut con = server.client();
    let before = snapshots(&mut con);
    run(&mut con, &["DEBUG", "RELOAD"]);
    assert_eq!(snapshots(&mut con), before);
    assert_same_future(&server, &reference);
    run(&mut con, &["DEBUG", "RELOAD"]);
    assert_eq!(snapshots(&mut con), snapshots(&mut reference.client()));
    server.assert_alive();
}

#[test]
fn dump_and_restore_give_an_equal_tracker() {
    let server = Server::default_start();
    let mut con = server.client();
    fill(&mut con);
    for tracker in TRACKERS {
        let payload = bytes(&run(&mut con, &["DUMP", tracker.key]));
        let restored = format!("{}:restored", tracker.key);
        let args = vec![
            b"RESTORE".to_vec(),
            restored.clone().into_bytes(),
            b"0".to_vec(),
            payload,
        ];
        assert_eq!(run(&mut con, args), Value::Okay);
        let original = tracker_snapshot(&mut con, tracker.key, tracker.event_clock);
        assert_eq!(
            tracker_snapshot(&mut con, &restored, tracker.event_clock),
            original,
            "{restored}"
        );
        continue_writes(&mut con, tracker.key, tracker.event_clock);
        continue_writes(&mut con, &restored, tracker.event_clock);
        assert_eq!(
            tracker_snapshot(&mut con, &restored, tracker.event_clock),
            tracker_snapshot(&mut con, tracker.key, tracker.event_clock),
            "{restored} after further writes"
        );
    }
}

#[test]
fn copy_gives_an_equal_independent_tracker() {
    let server = Server::default_start();
    let mut con = server.client();
    fill(&mut con);
    for tracker in TRACKERS {
        let copy = format!("{}:copy", tracker.key);
        assert_eq!(int(&run(&mut con, &["COPY", tracker.key, &copy])), 1);
        let original = tracker_snapshot(&mut con, tracker.key, tracker.event_clock);
        assert_eq!(
            tracker_snapshot(&mut con, &copy, tracker.event_clock),
            original
        );
        continue_writes(&mut con, &copy, tracker.event_clock);
        assert_eq!(
            tracker_snapshot(&mut con, tracker.key, tracker.event_clock),
            original,
            "writing {copy} changed {}",
            tracker.key
        );
        continue_writes(&mut con, tracker.key, tracker.event_clock);
        assert_eq!(
            tracker_snapshot(&mut con, &copy, tracker.event_clock),
            tracker_snapshot(&mut con, tracker.key, tracker.event_clock)
        );
    }
}

#[test]
fn migrate_moves_every_tracker_to_another_server() {
    let source = Server::default_start();
    let target = Server::default_start();
    let mut con = source.client();
    fill(&mut con);
    let before = snapshots(&mut con);
    let port = target.port().to_string();
    let mut args = vec![
        "MIGRATE",
        "127.0.0.1",
        &port,
        "",
        "0",
        "5000",
        "COPY",
        "KEYS",
    ];
    args.extend(TRACKERS.iter().map(|t| t.key));
    assert_eq!(run(&mut con, &args), Value::Okay);
    assert_eq!(snapshots(&mut target.client()), before);
    assert_same_future(&target, &source);
}

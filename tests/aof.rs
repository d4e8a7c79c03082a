//! AOF persistence (SPEC.md "AOF"): with `appendonly yes`, with and without the RDB
//! preamble, a restart restores every acknowledged event (every answer of every tracker is
//! the same), also after BGREWRITEAOF and after a crash (SIGKILL, `appendfsync always`).

mod common;

use common::fixture::{continue_all, fill, snapshots};
use common::*;

fn aof_server(preamble: bool) -> Server {
    Server::start(
        ServerOptions::new()
            .config("appendonly", "yes")
            .config("appendfsync", "always")
            .config("aof-use-rdb-preamble", if preamble { "yes" } else { "no" }),
    )
}

fn restart_restores_everything(preamble: bool) {
    let mut server = aof_server(preamble);
    fill(&mut server.client());
    let filled = snapshots(&mut server.client());
    server.restart();
    assert_eq!(snapshots(&mut server.client()), filled, "after restart");

    let mut con = server.client();
    wait_for_rewrite(&mut con);
    run(&mut con, &["BGREWRITEAOF"]);
    wait_for_rewrite(&mut con);
    assert_eq!(snapshots(&mut con), filled, "after BGREWRITEAOF");
    continue_all(&mut con);
    let continued = snapshots(&mut con);
    server.restart();
    assert_eq!(
        snapshots(&mut server.client()),
        continued,
        "after BGREWRITEAOF, more writes and a restart"
    );

    continue_all(&mut server.client());
    let before_crash = snapshots(&mut server.client());
    server.kill9();
    server.start_again();
    assert_eq!(
        snapshots(&mut server.client()),
        before_crash,
        "after SIGKILL"
    );
    server.assert_alive();
}

#[test]
fn aof_without_rdb_preamble() {
    restart_restores_everything(false);
}

#[test]
fn aof_with_rdb_preamble() {
    restart_restores_everything(true);
}

/// Everything the server wrote to its AOF files (Redis 7 keeps them in a directory).
fn aof_text(server: &Server) -> String {
    let mut text = String::new();
    let mut dirs = vec![server.dir().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("the server's directory")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().contains(".aof") {
                let bytes = std::fs::read(&path).expect("an AOF file");
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    text
}

/// ADD goes to the AOF as `APPLY key now ITEMS item ...`, each item once and no tuple
/// fields, and INGEST as tuples; a restart replays both to the same tracker.
#[test]
fn add_is_logged_as_items_and_both_forms_replay() {
    let mut server = aof_server(false);
    let mut con = server.client();
    // An event clock, so that the tracker's clock T stays where the writes left it.
    run(&mut con, &["TOPK.CREATE", "compact", "CLOCK", "EVENT"]);
    run(
        &mut con,
        &["TOPK.ADD", "compact", "apple-1", "pear-1", "apple-1"],
    );
    run(
        &mut con,
        &["TOPK.INGEST", "compact", "*", "plum-1", "2", "-"],
    );
    let before = snapshot(&mut con, "compact");
    let log = aof_text(&server);
    let add = log
        .split("TOPK.APPLY")
        .find(|command| command.contains("pear-1"))
        .unwrap_or_else(|| panic!("no APPLY of ADD's items in the AOF: {log:?}"));
    assert!(add.contains("\r\nITEMS\r\n"), "{add:?}");
    assert_eq!(add.matches("apple-1").count(), 2, "{add:?}");
    assert!(!add.contains("\r\n-\r\n"), "tuple fields in {add:?}");
    let ingest = log
        .split("TOPK.APPLY")
        .find(|command| command.contains("plum-1"))
        .unwrap_or_else(|| panic!("no APPLY of INGEST's tuple in the AOF: {log:?}"));
    assert!(
        !ingest.contains("ITEMS") && ingest.contains("\r\n-\r\n"),
        "{ingest:?}"
    );
    server.restart();
    assert_eq!(snapshot(&mut server.client(), "compact"), before);
}

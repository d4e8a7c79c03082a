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

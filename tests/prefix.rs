//! The `PREFIX name` module argument (SPEC.md "Loading"): the command family is renamed
//! (`WTOPK.ADD`, ...), the default `TOPK.*` names are free, and notifications use the
//! prefix in lower case.

mod common;

use common::*;

#[test]
fn prefix_renames_commands_and_events() {
    let server = Server::start(
        ServerOptions::new()
            .module_arg("PREFIX")
            .module_arg("WTOPK"),
    );
    let mut con = server.client();
    let mut listener = server.client();
    let mut pubsub = server.keyevents(&mut listener, "Ed");

    assert_eq!(
        int(&run(&mut con, &["WTOPK.ADD", "t", "a", "b", "a"])),
        2 + 1
    );
    assert_eq!(
        pairs(&run(&mut con, &["wtopk.query", "t", "5m", "10"])),
        expected(&[("a", 2), ("b", 1)])
    );
    assert_eq!(ints(&run(&mut con, &["WTOPK.COUNT", "t", "1h", "a"])), [2]);
    let info = Info::parse(&run(&mut con, &["WTOPK.INFO", "t"]));
    assert_eq!(info.int("events_accepted"), 3);

    let err = expect_err(&mut con, &["TOPK.ADD", "t", "a"], &["unknown command"]);
    assert!(err.starts_with("ERR "), "{err}");

    let message = pubsub.get_message().expect("a notification within 10 s");
    assert_eq!(message.get_channel_name(), "__keyevent@0__:wtopk.add");
    let key: String = message.get_payload().expect("key name");
    assert_eq!(key, "t");
}

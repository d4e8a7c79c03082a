//! Bad input (the acceptance): wrong arity, unknown windows, k out of range,
//! non-numeric, zero, negative or too large increments and counts, items of 0 or 4,097 bytes,
//! bad timestamps, one bad tuple in a batch of 1,000 (the error names it), bad CREATE options
//! (a window of 0 ms among them: the all-time window is spelled `all`), missing keys and keys
//! of another type. Each gets a one-line `ERR`/`WRONGTYPE` reply that says what was wrong,
//! nothing is applied (the tracker's snapshot is unchanged, no key is created) and the server
//! keeps running.

mod common;

use common::*;
use redis::Connection;

/// A `CLOCK EVENT` tracker `t` with a few events, so its whole state (T included) is stable.
fn server_with_tracker() -> (Server, Connection) {
    let server = Server::default_start();
    let mut con = server.client();
    run(&mut con, &["TOPK.CREATE", "t", "CLOCK", "EVENT"]);
    run(
        &mut con,
        &[
            "TOPK.INGEST",
            "t",
            "1000000",
            "a",
            "5",
            "-",
            "1000500",
            "b",
            "2",
            "-",
        ],
    );
    (server, con)
}

/// Runs `args`, which must fail mentioning one of `any_of`, and checks tracker `key` did not
/// change.
fn rejected(con: &mut Connection, key: &str, args: &[&str], any_of: &[&str]) {
    let before = snapshot(con, key);
    let err = expect_err(con, args, any_of);
    assert_eq!(
        snapshot(con, key),
        before,
        "{args:?} was refused ({err}) but changed {key}"
    );
}

/// Runs `args`, which must fail mentioning one of `any_of`, and checks it created no key.
fn rejected_without_key(con: &mut Connection, key: &str, args: &[&str], any_of: &[&str]) {
    expect_err(con, args, any_of);
    assert_eq!(
        int(&run(con, &["EXISTS", key])),
        0,
        "{args:?} was refused but created {key}"
    );
}

const ARITY: &[&str] = &["wrong number of arguments", "arity"];

#[test]
fn wrong_arity() {
    let (mut server, mut con) = server_with_tracker();
    for args in [
        &["TOPK.ADD", "t"][..],
        &["TOPK.INCRBY", "t"],
        &["TOPK.INCRBY", "t", "a"],
        &["TOPK.INCRBY", "t", "a", "1", "b"],
        &["TOPK.INGEST", "t"],
        &["TOPK.INGEST", "t", "1000000", "a", "1"],
        &["TOPK.INGEST", "t", "1000000", "a", "1", "-", "1000000"],
        &["TOPK.ADVANCE", "t"],
        &["TOPK.ADVANCE", "t", "2000000", "3000000"],
        &["TOPK.QUERY", "t"],
        &["TOPK.COUNT", "t", "5m"],
        &["TOPK.INFO", "t", "extra"],
    ] {
        rejected(&mut con, "t", args, ARITY);
    }
    for args in [&["TOPK.CREATE"][..], &["TOPK.INFO"]] {
        expect_err(&mut con, args, ARITY);
    }
    server.assert_alive();
}

#[test]
fn unknown_or_malformed_windows() {
    let (mut server, mut con) = server_with_tracker();
    for window in [
        "25h", "7d", "all", "0", "5x", "abc", "-5m", "", "1.5h", "5 m",
    ] {
        rejected(
            &mut con,
            "t",
            &["TOPK.QUERY", "t", window, "10"],
            &["window", "duration"],
        );
        rejected(
            &mut con,
            "t",
            &["TOPK.COUNT", "t", window, "a"],
            &["window", "duration"],
        );
    }
    server.assert_alive();
}

#[test]
fn k_out_of_range() {
    let (mut server, mut con) = server_with_tracker();
    for k in [
        "0",
        "101",
        "-1",
        "abc",
        "1.5",
        "",
        "99999999999999999999999",
    ] {
        rejected(&mut con, "t", &["TOPK.QUERY", "t", "5m", k], &["k"]);
    }
    assert_eq!(
        query(&mut con, "t", "5m", 100).len(),
        2,
        "K itself is allowed"
    );
    server.assert_alive();
}

#[test]
fn bad_increments_and_counts_apply_nothing() {
    let (mut server, mut con) = server_with_tracker();
    const INCREMENT: &[&str] = &["increment", "count"];
    for bad in ["0", "-1", "-5", "x", "1.5", "", "4294967296", "1e3", " 1"] {
        rejected(&mut con, "t", &["TOPK.INCRBY", "t", "a", bad], INCREMENT);
        rejected(
            &mut con,
            "t",
            &["TOPK.INCRBY", "t", "a", "1", "b", bad],
            INCREMENT,
        );
        rejected(
            &mut con,
            "t",
            &["TOPK.INGEST", "t", "1000000", "a", bad, "-"],
            INCREMENT,
        );
        rejected(
            &mut con,
            "t",
            &[
                "TOPK.INGEST",
                "t",
                "1000000",
                "a",
                "1",
                "-",
                "1000000",
                "b",
                bad,
                "-",
            ],
            INCREMENT,
        );
    }
    run(&mut con, &["TOPK.CREATE", "max", "CLOCK", "EVENT"]);
    run(&mut con, &["TOPK.INCRBY", "max", "a", "4294967295"]);
    assert_eq!(count(&mut con, "max", "5m", &["a"]), [4_294_967_295]);
    server.assert_alive();
}

#[test]
fn items_of_zero_or_4097_bytes() {
    let (mut server, mut con) = server_with_tracker();
    let longest = "x".repeat(4096);
    let too_long = "y".repeat(4097);
    for item in ["", too_long.as_str()] {
        for args in [
            &["TOPK.ADD", "t", item][..],
            &["TOPK.ADD", "t", "a", item],
            &["TOPK.INCRBY", "t", item, "1"],
            &["TOPK.INCRBY", "t", "a", "1", item, "1"],
            &["TOPK.INGEST", "t", "1000000", item, "1", "-"],
        ] {
            rejected(&mut con, "t", args, &["item"]);
        }
    }
    run(&mut con, &["TOPK.ADD", "u", longest.as_str()]);
    run(&mut con, &["TOPK.INCRBY", "u", longest.as_str(), "2"]);
    run(
        &mut con,
        &["TOPK.INGEST", "u", "*", longest.as_str(), "3", "-"],
    );
    assert_eq!(
        query(&mut con, "u", "5m", 10),
        [(longest.clone(), 6)],
        "a 4096-byte item is accepted"
    );
    server.assert_alive();
}

#[test]
fn bad_timestamps() {
    let (mut server, mut con) = server_with_tracker();
    for ts in [
        "-1",
        "253402300800000",
        "99999999999999999999",
        "1.5",
        "abc",
        "",
        "1e6",
        "**",
    ] {
        rejected(
            &mut con,
            "t",
            &["TOPK.INGEST", "t", ts, "a", "1", "-"],
            &["timestamp"],
        );
        rejected(
            &mut con,
            "t",
            &[
                "TOPK.INGEST",
                "t",
                "1000000",
                "a",
                "1",
                "-",
                ts,
                "b",
                "1",
                "-",
            ],
            &["timestamp"],
        );
        rejected(&mut con, "t", &["TOPK.ADVANCE", "t", ts], &["timestamp"]);
    }
    run(&mut con, &["TOPK.CREATE", "edge", "CLOCK", "EVENT"]);
    let reply = run(
        &mut con,
        &[
            "TOPK.INGEST",
            "edge",
            "0",
            "first",
            "1",
            "-",
            "253402300799999",
            "last",
            "1",
            "-",
        ],
    );
    assert_eq!(
        ints(&reply)[0] + ints(&reply)[2],
        2,
        "both are valid events"
    );
    assert_eq!(info(&mut con, "edge").clock(), 253_402_300_799_999);
    server.assert_alive();
}

#[test]
fn bad_create_options_create_nothing() {
    let (mut server, mut con) = server_with_tracker();
    const WINDOW: &[&str] = &["window", "duration"];
    let seventeen: Vec<String> = (1..=17)
        .flat_map(|m| ["WINDOW".into(), format!("{m}m")])
        .collect();
    let mut seventeen_args = vec!["TOPK.CREATE", "c"];
    seventeen_args.extend(seventeen.iter().map(String::as_str));
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (vec!["WINDOW", "500ms"], WINDOW),
        (vec!["WINDOW", "999"], WINDOW),
        (vec!["WINDOW", "91d"], WINDOW),
        (vec!["WINDOW", "abc"], WINDOW),
        (vec!["WINDOW", "1h", "WINDOW", "60m"], WINDOW),
        (vec!["WINDOW", "-1m"], WINDOW),
        (vec!["WINDOW"], &["window", "missing", "wrong number"]),
        (vec!["K", "0"], &["k"]),
        (vec!["K", "100001"], &["k"]),
        (vec!["K", "abc"], &["k"]),
        (vec!["K", "-3"], &["k"]),
        (vec!["CLOCK", "SOMETIMES"], &["clock"]),
        (vec!["MODE", "FUZZY"], &["mode"]),
        (vec!["FUTURE", "soon"], &["future", "duration"]),
        (
            vec!["WINDOW", "1m", "LATENESS", "soon"],
            &["lateness", "duration"],
        ),
        (
            vec!["BOGUS"],
            &["unknown", "option", "argument", "syntax", "bogus"],
        ),
    ];
    for (options, any_of) in cases {
        let mut args = vec!["TOPK.CREATE", "c"];
        args.extend(options);
        rejected_without_key(&mut con, "c", &args, any_of);
    }
    rejected_without_key(&mut con, "c", &seventeen_args, &["window"]);

    let sixteen_args = &seventeen_args[..seventeen_args.len() - 2];
    run(&mut con, sixteen_args);
    assert_eq!(info(&mut con, "c").windows().len(), 16);
    run(&mut con, &["TOPK.CREATE", "big", "K", "100000"]);
    assert_eq!(info(&mut con, "big").int("k"), 100_000);
    server.assert_alive();
}

#[test]
fn window_of_zero_length_is_refused() {
    let (mut server, mut con) = server_with_tracker();
    for zero in ["0", "0ms", "0s", "0m"] {
        rejected_without_key(
            &mut con,
            "c",
            &["TOPK.CREATE", "c", "WINDOW", zero],
            &["window", "duration"],
        );
    }
    server.assert_alive();
}

#[test]
fn missing_keys_are_errors_for_reads_and_advance() {
    let (mut server, mut con) = server_with_tracker();
    for args in [
        &["TOPK.QUERY", "nokey", "5m"][..],
        &["TOPK.QUERY", "nokey", "5m", "10"],
        &["TOPK.COUNT", "nokey", "5m", "a"],
        &["TOPK.INFO", "nokey"],
        &["TOPK.ADVANCE", "nokey", "1000"],
    ] {
        rejected_without_key(&mut con, "nokey", args, &["exist"]);
    }
    server.assert_alive();
}

#[test]
fn keys_of_another_type_get_wrongtype() {
    let (mut server, mut con) = server_with_tracker();
    run(&mut con, &["SET", "s", "x"]);
    for args in [
        &["TOPK.ADD", "s", "a"][..],
        &["TOPK.INCRBY", "s", "a", "1"],
        &["TOPK.INGEST", "s", "1000", "a", "1", "-"],
        &["TOPK.ADVANCE", "s", "1000"],
        &["TOPK.QUERY", "s", "5m"],
        &["TOPK.COUNT", "s", "5m", "a"],
        &["TOPK.INFO", "s"],
    ] {
        let err = expect_err(&mut con, args, &[]);
        assert!(err.starts_with("WRONGTYPE "), "{args:?}: {err}");
    }
    expect_err(&mut con, &["TOPK.CREATE", "s"], &[]);
    assert_eq!(text(&run(&mut con, &["GET", "s"])), "x");
    assert_eq!(text(&run(&mut con, &["TYPE", "s"])), "string");

    let err = expect_err(&mut con, &["GET", "t"], &[]);
    assert!(err.starts_with("WRONGTYPE "), "GET on a tracker: {err}");
    server.assert_alive();
}

#[test]
fn one_bad_tuple_in_a_batch_of_a_thousand_rejects_the_batch() {
    let (mut server, mut con) = server_with_tracker();
    let tuple = |i: usize| -> [String; 4] {
        [
            (1_000_000 + i * 7).to_string(),
            format!("item{}", i % 37),
            (1 + i % 5).to_string(),
            "-".to_string(),
        ]
    };
    let long_item = "x".repeat(4097);
    for (bad_at, field, bad_value, keyword) in [
        (537, 0, "-5", "timestamp"),
        (1, 2, "0", "increment"),
        (1000, 2, "many", "increment"),
        (250, 1, long_item.as_str(), "4096"),
    ] {
        let mut args = vec!["TOPK.INGEST".to_string(), "t".to_string()];
        for i in 1..=1000 {
            let mut fields = tuple(i);
            if i == bad_at {
                fields[field] = bad_value.to_string();
            }
            args.extend(fields);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = snapshot(&mut con, "t");
        let message = expect_err(&mut con, &refs, &[keyword]);
        assert!(
            [":", " "]
                .iter()
                .any(|end| message.contains(&format!("event {bad_at}{end}"))),
            "the error names the tuple: {message}"
        );
        assert_eq!(
            snapshot(&mut con, "t"),
            before,
            "nothing of the batch applied"
        );
    }
    let mut args = vec!["TOPK.INGEST".to_string(), "t".to_string()];
    (1..=1000).for_each(|i| args.extend(tuple(i)));
    assert_eq!(
        ints(&run(&mut con, &args)),
        [1000, 0, 0],
        "the good batch applies whole"
    );
    server.assert_alive();
}

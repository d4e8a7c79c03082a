//! RESTORE of damaged tracker payloads (DESIGN.md: a damaged RESTORE payload must not crash
//! the server). Every payload is re-sealed with a valid RDB version and CRC64 so that Redis
//! hands it to the module's loader: truncations and byte flips of the fixture's real DUMPs,
//! and over 2,000 seeded damages of the tracker encoding itself, unwrapped from the RDB
//! string that carries it (bytes flipped or set, truncated, bytes appended or inserted, then
//! re-wrapped with the right RDB length) and of the whole DUMP body (bytes appended or
//! inserted). Each RESTORE replies OK or exactly Redis' `ERR Bad data format` (truncated or
//! extended encodings always the latter). A tracker that loads answers INFO, QUERY, COUNT,
//! DAY and DAYS with well-formed replies or `ERR`, has a DEBUG DIGEST-VALUE that its own
//! DUMP/RESTORE keeps, and takes writes; the server answers PING after every batch. The seed
//! is printed; set `WTOPK_SEED` to replay one.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::fixture::{fill, TRACKERS};
use common::seed::seed;
use common::shapes::{check_reply, send_all, show};
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::{Connection, Value};

/// How long one reply may take before the server counts as hung.
const HANG: Duration = Duration::from_secs(10);

/// `RDB_TYPE_MODULE_2`: the type byte of a module value.
const RDB_TYPE_MODULE_2: u8 = 7;
/// `RDB_MODULE_OPCODE_STRING`: a string buffer of the module follows.
const RDB_MODULE_OPCODE_STRING: u64 = 5;
/// `RDB_MODULE_OPCODE_EOF`: the end of a module value.
const RDB_MODULE_OPCODE_EOF: u8 = 0;

/// CRC-64/Jones as Redis computes it over DUMP payloads (reflected, init 0, no final xor).
fn crc64(data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut crc = 0u64;
    for &byte in data {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Splits a DUMP payload into its body and its 2-byte RDB version, checking its CRC.
fn unseal(payload: &[u8]) -> (Vec<u8>, [u8; 2]) {
    let (sealed, crc) = payload.split_at(payload.len() - 8);
    assert_eq!(
        crc64(sealed).to_le_bytes(),
        crc,
        "CRC64 of a real DUMP payload"
    );
    let (body, version) = sealed.split_at(sealed.len() - 2);
    (body.to_vec(), [version[0], version[1]])
}

/// A payload Redis accepts as intact: body, RDB version, CRC64.
fn seal(body: &[u8], version: [u8; 2]) -> Vec<u8> {
    let mut payload = body.to_vec();
    payload.extend_from_slice(&version);
    let crc = crc64(&payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    payload
}

/// Reads an RDB length at `at`: the value and where the next field starts. Encoded
/// (compressed or integer) strings are refused: the payloads are taken with
/// `rdbcompression no`.
fn read_rdb_len(bytes: &[u8], at: usize) -> (u64, usize) {
    let first = bytes[at];
    let be = |len: usize| -> u64 {
        bytes[at + 1..at + 1 + len]
            .iter()
            .fold(0, |value, &byte| (value << 8) | u64::from(byte))
    };
    match first {
        0x00..=0x3f => (u64::from(first), at + 1),
        0x40..=0x7f => ((u64::from(first & 0x3f) << 8) | be(1), at + 2),
        0x80 => (be(4), at + 5),
        0x81 => (be(8), at + 9),
        other => panic!("RDB length byte {other:#04x} at {at} is an encoded string"),
    }
}

/// An RDB length as Redis writes it.
fn rdb_len(len: usize) -> Vec<u8> {
    let len = u64::try_from(len).expect("length fits u64");
    match len {
        0..=0x3f => vec![u8::try_from(len).expect("6 bits")],
        0x40..=0x3fff => vec![
            0x40 | u8::try_from(len >> 8).expect("6 bits"),
            u8::try_from(len & 0xff).expect("8 bits"),
        ],
        0x4000..=0xffff_ffff => {
            let mut out = vec![0x80];
            out.extend_from_slice(&u32::try_from(len).expect("32 bits").to_be_bytes());
            out
        }
        _ => {
            let mut out = vec![0x81];
            out.extend_from_slice(&len.to_be_bytes());
            out
        }
    }
}

/// A tracker's DUMP body split around the tracker's encoding: the type byte, the module
/// type id and the string opcode before it, the EOF opcode after it.
struct Unwrapped {
    head: Vec<u8>,
    encoding: Vec<u8>,
}

impl Unwrapped {
    fn new(body: &[u8]) -> Unwrapped {
        assert_eq!(body[0], RDB_TYPE_MODULE_2, "a module value");
        let (_type_id, at) = read_rdb_len(body, 1);
        let (opcode, string_at) = read_rdb_len(body, at);
        assert_eq!(opcode, RDB_MODULE_OPCODE_STRING, "one string buffer");
        let (len, start) = read_rdb_len(body, string_at);
        let end = start + usize::try_from(len).expect("length fits usize");
        assert_eq!(&body[end..], [RDB_MODULE_OPCODE_EOF], "EOF right after it");
        let encoding = body[start..end].to_vec();
        assert!(encoding.starts_with(b"WTOPK"), "the tracker encoding");
        Unwrapped {
            head: body[..string_at].to_vec(),
            encoding,
        }
    }

    /// The DUMP body carrying `encoding` instead, with its length.
    fn wrap(&self, encoding: &[u8]) -> Vec<u8> {
        let mut body = self.head.clone();
        body.extend(rdb_len(encoding.len()));
        body.extend_from_slice(encoding);
        body.push(RDB_MODULE_OPCODE_EOF);
        body
    }
}

/// One kind of damage, applied to the bytes from `from` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Damage {
    /// One to four bytes get one bit flipped or a random value.
    Flip,
    /// Cut at a random length.
    Truncate,
    /// One to sixteen random bytes appended.
    Append,
    /// One to sixteen random bytes inserted at a random place.
    Insert,
}

impl Damage {
    fn apply(self, rng: &mut StdRng, bytes: &mut Vec<u8>, from: usize) {
        let random_bytes = |rng: &mut StdRng| -> Vec<u8> {
            let len = rng.gen_range(1..=16);
            (0..len).map(|_| rng.gen()).collect()
        };
        match self {
            Damage::Flip => {
                for _ in 0..rng.gen_range(1..=4) {
                    let at = rng.gen_range(from..bytes.len());
                    if rng.gen_bool(0.5) {
                        bytes[at] ^= 1 << rng.gen_range(0..8);
                    } else {
                        bytes[at] = rng.gen();
                    }
                }
            }
            Damage::Truncate => bytes.truncate(rng.gen_range(from..bytes.len())),
            Damage::Append => bytes.extend(random_bytes(rng)),
            Damage::Insert => {
                let at = rng.gen_range(from..=bytes.len());
                let inserted = random_bytes(rng);
                bytes.splice(at..at, inserted);
            }
        }
    }
}

/// Sends one command; error replies stay values. Panics (with the log's tail) if the
/// connection fails, as it does when the server dies.
fn send(server: &Server, con: &mut Connection, args: Vec<Vec<u8>>, what: &str) -> Value {
    let mut replies = send_all(con, std::slice::from_ref(&args)).unwrap_or_else(|e| {
        panic!(
            "{what}: {} got no reply (a hung server times out after {HANG:?}): {e}\n{}",
            show(&args),
            server.log_tail()
        )
    });
    replies.pop().expect("one reply")
}

/// A command from text arguments.
fn args(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|part| part.as_bytes().to_vec()).collect()
}

/// RESTOREs `payload` into `target` (replacing it). The reply must be OK or Redis' error for
/// a value the module could not load; a loaded tracker must pass [`check_loaded`]. Returns
/// whether it loaded.
fn restore(
    server: &Server,
    con: &mut Connection,
    target: &str,
    payload: Vec<u8>,
    what: &str,
) -> bool {
    let command = vec![
        b"RESTORE".to_vec(),
        target.as_bytes().to_vec(),
        b"0".to_vec(),
        payload,
        b"REPLACE".to_vec(),
    ];
    match send(server, con, command, what) {
        Value::Okay => {
            check_loaded(server, con, target, what);
            true
        }
        Value::ServerError(err) => {
            assert!(
                err.code() == "ERR" && err.details() == Some("Bad data format"),
                "{what}: RESTORE answered {err:?}, not OK or `ERR Bad data format`"
            );
            false
        }
        other => panic!("{what}: RESTORE answered {other:?}"),
    }
}

/// A tracker loaded from a damaged payload answers INFO (it exists), every read with a
/// well-formed reply or `ERR`, has a digest that its own DUMP/RESTORE keeps, and takes
/// writes (well-formed replies or `ERR`).
fn check_loaded(server: &Server, con: &mut Connection, key: &str, what: &str) {
    let checked = |con: &mut Connection, command: Vec<Vec<u8>>| -> Value {
        let reply = send(server, con, command.clone(), what);
        if let Err(problem) = check_reply(&command, &reply) {
            panic!(
                "{what}: {} on the loaded tracker: {problem}",
                show(&command)
            );
        }
        reply
    };
    let info_reply = checked(con, args(&["TOPK.INFO", key]));
    assert!(
        !matches!(info_reply, Value::ServerError(_)),
        "{what}: TOPK.INFO of a loaded tracker failed: {info_reply:?}"
    );
    let info = Info::parse(&info_reply);
    let k = info.int("k").to_string();
    let clock = info.clock();
    let mut windows: Vec<String> = info.windows().into_iter().map(|w| w.name).collect();
    windows.push("30m".to_string());
    for window in &windows {
        checked(con, args(&["TOPK.QUERY", key, window, &k, "WITHBOUNDS"]));
        checked(con, args(&["TOPK.QUERY", key, window, "1"]));
        checked(
            con,
            args(&["TOPK.COUNT", key, window, "item-1", "a", "old"]),
        );
    }
    checked(con, args(&["TOPK.DAYS", key]));
    checked(con, args(&["TOPK.DAY", key, "today"]));
    checked(con, args(&["TOPK.DAY", key, "-1", "3"]));

    let digest = || args(&["DEBUG", "DIGEST-VALUE", key]);
    let before = send(server, con, digest(), what);
    assert!(
        matches!(&before, Value::Array(values) if values.len() == 1),
        "{what}: DEBUG DIGEST-VALUE answered {before:?}"
    );
    let dump = send(server, con, args(&["DUMP", key]), what);
    let Value::BulkString(dump) = dump else {
        panic!("{what}: DUMP of the loaded tracker answered {dump:?}");
    };
    let again = format!("{key}-again");
    let command = vec![
        b"RESTORE".to_vec(),
        again.as_bytes().to_vec(),
        b"0".to_vec(),
        dump,
        b"REPLACE".to_vec(),
    ];
    let reply = send(server, con, command, what);
    assert_eq!(reply, Value::Okay, "{what}: its own DUMP does not RESTORE");
    assert_eq!(
        send(server, con, args(&["DEBUG", "DIGEST-VALUE", &again]), what),
        before,
        "{what}: DUMP/RESTORE changed the loaded tracker"
    );

    let later = clock.saturating_add(1_000).to_string();
    let hour_later = clock.saturating_add(3_600_000).to_string();
    checked(
        con,
        args(&["TOPK.INGEST", key, &later, "item-1", "5", "w-1"]),
    );
    checked(con, args(&["TOPK.ADD", key, "fresh", "item-1"]));
    checked(con, args(&["TOPK.INCRBY", key, "a", "4294967295"]));
    checked(con, args(&["TOPK.ADVANCE", key, &hour_later]));
    checked(con, args(&["TOPK.QUERY", key, &windows[0]]));
    let info_reply = checked(con, args(&["TOPK.INFO", key]));
    assert!(
        !matches!(info_reply, Value::ServerError(_)),
        "{what}: TOPK.INFO failed after writes: {info_reply:?}"
    );
}

/// A connection that gives up on a reply after [`HANG`]: a damaged tracker must not keep
/// the server busy (a loop over a corrupt range also eats memory fast, so waiting longer
/// would only hurt the machine).
fn client(server: &Server) -> Connection {
    let con = server.client();
    con.set_read_timeout(Some(HANG)).expect("read timeout");
    con
}

/// A server whose DUMPs are not LZF-compressed, so the tracker encoding can be unwrapped.
fn uncompressed_server() -> Server {
    Server::start(ServerOptions::new().config("rdbcompression", "no"))
}

#[test]
fn crc64_matches_redis() {
    assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
}

#[test]
fn rdb_lengths_round_trip() {
    for len in [0, 1, 63, 64, 300, 16_383, 16_384, 70_000, 5_000_000_000] {
        let encoded = rdb_len(len);
        let (read, next) = read_rdb_len(&encoded, 0);
        assert_eq!((read, next), (len as u64, encoded.len()), "length {len}");
    }
}

#[test]
fn truncated_payloads_are_refused() {
    let mut server = Server::default_start();
    let mut con = client(&server);
    fill(&mut con);
    for key in ["ev", "forever", "cfg"] {
        let (body, version) = unseal(&bytes(&run(&mut con, &["DUMP", key])));
        let step = (body.len() / 400).max(1);
        for cut in (1..body.len()).step_by(step) {
            let what = format!("{key} cut to {cut} of {} bytes", body.len());
            let restored = restore(
                &server,
                &mut con,
                "victim",
                seal(&body[..cut], version),
                &what,
            );
            assert!(!restored, "{what} was accepted");
        }
        server.assert_alive();
    }
}

#[test]
fn flipped_bytes_never_crash_the_server() {
    let seed = seed("flipped_bytes_never_crash_the_server");
    let mut server = Server::default_start();
    let mut con = client(&server);
    fill(&mut con);
    let mut rng = StdRng::seed_from_u64(seed);
    for key in ["ev", "forever", "srv"] {
        let (body, version) = unseal(&bytes(&run(&mut con, &["DUMP", key])));
        for round in 0..300 {
            let mut damaged = body.clone();
            Damage::Flip.apply(&mut rng, &mut damaged, 1);
            let what = format!("seed {seed}, {key} flip {round}");
            restore(&server, &mut con, "victim", seal(&damaged, version), &what);
        }
        server.assert_alive();
    }
    assert_eq!(
        query(&mut con, "ev", "1h", 1).len(),
        1,
        "the original is intact"
    );
}

/// `(damage, applied to the encoding rather than the whole body, payloads per tracker)`.
const PLAN: [(Damage, bool, usize); 6] = [
    (Damage::Flip, true, 250),
    (Damage::Truncate, true, 60),
    (Damage::Append, true, 40),
    (Damage::Insert, true, 80),
    (Damage::Append, false, 30),
    (Damage::Insert, false, 60),
];

#[test]
fn two_thousand_damaged_encodings_never_crash_the_server() {
    let seed = seed("two_thousand_damaged_encodings_never_crash_the_server");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut server = uncompressed_server();
    let mut con = client(&server);
    fill(&mut con);
    let originals: Vec<Value> = TRACKERS
        .iter()
        .map(|tracker| run(&mut con, &["DEBUG", "DIGEST-VALUE", tracker.key]))
        .collect();
    // (damage, inside the encoding) -> (loaded, refused)
    let mut outcomes: BTreeMap<(Damage, bool), (usize, usize)> = BTreeMap::new();
    for tracker in TRACKERS {
        let (body, version) = unseal(&bytes(&run(&mut con, &["DUMP", tracker.key])));
        let unwrapped = Unwrapped::new(&body);
        assert_eq!(
            unwrapped.wrap(&unwrapped.encoding),
            body,
            "unwrapping {} is lossless",
            tracker.key
        );
        for (damage, inside, rounds) in PLAN {
            for round in 0..rounds {
                let damaged = if inside {
                    let mut encoding = unwrapped.encoding.clone();
                    damage.apply(&mut rng, &mut encoding, 0);
                    unwrapped.wrap(&encoding)
                } else {
                    let mut damaged = body.clone();
                    damage.apply(&mut rng, &mut damaged, 1);
                    damaged
                };
                let place = if inside { "encoding" } else { "body" };
                let what = format!(
                    "seed {seed}, {}: {damage:?} of the {place}, round {round}",
                    tracker.key
                );
                let loaded = restore(&server, &mut con, "victim", seal(&damaged, version), &what);
                assert!(
                    !(loaded && inside && matches!(damage, Damage::Truncate | Damage::Append)),
                    "{what}: a truncated or extended encoding was loaded"
                );
                let tally = outcomes.entry((damage, inside)).or_default();
                if loaded {
                    tally.0 += 1;
                } else {
                    tally.1 += 1;
                }
            }
            server.assert_alive();
        }
    }
    eprintln!("(damage, inside the encoding): (loaded, refused) = {outcomes:?}");
    let sent: usize = outcomes
        .values()
        .map(|(loaded, refused)| loaded + refused)
        .sum();
    assert!(sent >= 2_000, "only {sent} damaged payloads were sent");
    assert!(
        outcomes[&(Damage::Flip, true)].0 > 0,
        "no flipped encoding loaded: the checks of a loaded tracker never ran (seed {seed})"
    );
    for (tracker, original) in TRACKERS.iter().zip(originals) {
        assert_eq!(
            run(&mut con, &["DEBUG", "DIGEST-VALUE", tracker.key]),
            original,
            "{} is intact",
            tracker.key
        );
    }
}

//! Live fuzzing of a real server: 20,000 seeded random commands, pipelined 100 at a time,
//! mixing well-formed and malformed TOPK.* calls (CREATE with random and invalid options,
//! ADD, INCRBY, INGEST and the internal APPLY with random or broken tuples or items, binary, empty,
//! 4,097-byte items and ids, huge, negative and non-numeric numbers, ADVANCE, QUERY with
//! random windows, k and WITHBOUNDS, COUNT, DAY with random days, DAYS, INFO, LOADSTATE of
//! strings that are or are not an encoding) on trackers, missing keys and a string and a
//! list (WRONGTYPE). Every reply must be an `ERR`/`WRONGTYPE` error or a success reply of
//! the shape SPEC.md gives (`shapes::check_reply`); every TOPK command is framed by DEBUG
//! DIGEST-VALUE of its key, which a read or a refused write must leave unchanged; the server
//! answers PING every 1,000 commands; at the end DEBUG RELOAD keeps every key's digest. The
//! seed is printed; set `WTOPK_SEED` to replay one. A failure prints the command.

mod common;

use std::time::Duration;

use common::seed::seed;
use common::shapes::{check_reply, send_all, show};
use common::snapshot::Snapshot;
use common::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use redis::{Connection, Value};
use wtopk_core::encoding::ENCODING_VERSION;

const COMMANDS: usize = 20_000;
/// Commands per pipeline.
const CHUNK: usize = 100;
/// Commands between two liveness checks.
const ALIVE_EVERY: usize = 1_000;
/// How long one pipeline may take before the server counts as hung.
const HANG: Duration = Duration::from_secs(20);
/// Keys that hold trackers (some only after a random CREATE or ADD, some dropped by DEL).
const TRACKER_KEYS: [&str; 6] = ["t0", "t1", "t2", "t3", "t4", "t5"];
/// Event times of the event-clock trackers start here (2023-11-14).
const BASE_TS: i64 = 1_700_000_000_000;
const MAX_TS: i64 = 253_402_300_799_999;

/// Malformed numbers, timestamps, durations and k, shared by every numeric argument.
const BAD_NUMBERS: [&str; 22] = [
    "",
    "-1",
    "-0",
    "abc",
    "1.5",
    "1e3",
    " 1",
    "1 ",
    "+1",
    "0x10",
    "**",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999",
    "253402300800000",
    "NaN",
    "∞",
    "0",
    "1_000",
];

const DURATIONS: [&str; 18] = [
    "1s", "10s", "90s", "1m", "5m", "10m", "1h", "2h", "24h", "7d", "90d", "1500ms", "1000",
    "60000", "1H", "60m", "3600S", "all",
];

const BAD_DURATIONS: [&str; 8] = ["91d", "999", "500ms", "0", "0s", "5x", "1.5h", "-5m"];

const DAYS: [&str; 12] = [
    "today",
    "yesterday",
    "TODAY",
    "Yesterday",
    "-0",
    "-1",
    "-7",
    "2023-11-14",
    "2023-11-15",
    "2024-02-29",
    "9999-12-31",
    "1970-01-01",
];

const BAD_DAYS: [&str; 10] = [
    "2023-02-29",
    "2023-02-30",
    "0000-01-01",
    "2023-1-1",
    "-99999",
    "-",
    "+1",
    "tomorrow",
    "2023-11-14T00:00",
    "20231114",
];

const ZONES: [&str; 7] = [
    "UTC",
    "Europe/Berlin",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "+05:30",
    "-14:00",
    "+14:00",
];

const BAD_ZONES: [&str; 5] = ["+25:00", "Bogus/Zone", "", "UTC+1", "+5:30"];

/// Random commands. A `clean` command has only well-formed arguments (it may still be
/// refused, e.g. for a key of another type); any other argument is malformed with a
/// probability of one in four. `now` is the server's clock at the start, in ms.
struct Fuzzer {
    rng: StdRng,
    now: i64,
    clean: bool,
}

impl Fuzzer {
    fn pick(&mut self, choices: &[&str]) -> Vec<u8> {
        choices
            .choose(&mut self.rng)
            .expect("choices")
            .as_bytes()
            .to_vec()
    }

    fn random_bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.rng.gen_range(1..=max);
        (0..len).map(|_| self.rng.gen()).collect()
    }

    /// Whether the next argument is malformed.
    fn bad(&mut self) -> bool {
        !self.clean && self.rng.gen_bool(0.25)
    }

    /// A bad number, or random bytes.
    fn bad_number(&mut self) -> Vec<u8> {
        if self.rng.gen_bool(0.8) {
            self.pick(&BAD_NUMBERS)
        } else {
            self.random_bytes(12)
        }
    }

    fn key(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=74 => self.pick(&TRACKER_KEYS),
            75..=80 => b"str".to_vec(),
            81..=85 => b"list".to_vec(),
            86..=90 => b"enc".to_vec(),
            _ => format!("m{}", self.rng.gen_range(0..20)).into_bytes(),
        }
    }

    fn item(&mut self) -> Vec<u8> {
        if self.bad() {
            return if self.rng.gen_bool(0.7) {
                Vec::new()
            } else {
                vec![b'y'; 4097]
            };
        }
        match self.rng.gen_range(0..100) {
            0..=69 => format!("item-{}", self.rng.gen_range(0..50)).into_bytes(),
            70..=89 => self.random_bytes(32),
            90..=94 => vec![b'x'; 4096],
            _ => self.pick(&["ü-1", "-", "*", "WITHBOUNDS", "123", "\r\n", "\0", "a b"]),
        }
    }

    fn count(&mut self) -> Vec<u8> {
        if self.bad() {
            return self.bad_number();
        }
        if self.rng.gen_bool(0.9) {
            self.rng.gen_range(1..=1_000u32).to_string().into_bytes()
        } else {
            b"4294967295".to_vec()
        }
    }

    fn timestamp(&mut self) -> Vec<u8> {
        if self.bad() {
            return self.bad_number();
        }
        let ts = match self.rng.gen_range(0..100) {
            0..=44 => self.now + self.rng.gen_range(-7_200_000..120_000),
            45..=79 => BASE_TS + self.rng.gen_range(0..3 * 86_400_000),
            80..=91 => return b"*".to_vec(),
            92..=95 => 0,
            _ => MAX_TS,
        };
        ts.to_string().into_bytes()
    }

    fn id(&mut self) -> Vec<u8> {
        if self.bad() {
            return if self.rng.gen_bool(0.5) {
                Vec::new()
            } else {
                vec![b'i'; 4097]
            };
        }
        match self.rng.gen_range(0..100) {
            0..=44 => b"-".to_vec(),
            45..=89 => format!("id-{}", self.rng.gen_range(0..200)).into_bytes(),
            _ => self.random_bytes(16),
        }
    }

    fn duration(&mut self) -> Vec<u8> {
        if !self.bad() {
            return self.pick(&DURATIONS);
        }
        match self.rng.gen_range(0..4) {
            0 => self.pick(&BAD_DURATIONS),
            1 => self.bad_number(),
            _ => {
                let unit = self.pick(&["ms", "s", "m", "h", "d", "w", ""]);
                let mut text = self.rng.gen_range(0..100_000u64).to_string().into_bytes();
                text.extend(unit);
                text
            }
        }
    }

    fn k(&mut self) -> Vec<u8> {
        if self.bad() {
            return if self.rng.gen_bool(0.8) {
                self.bad_number()
            } else {
                b"100001".to_vec()
            };
        }
        if self.rng.gen_bool(0.95) {
            self.rng.gen_range(1..=200u32).to_string().into_bytes()
        } else {
            self.pick(&["100000", "1000"])
        }
    }

    fn day(&mut self) -> Vec<u8> {
        if !self.bad() {
            return self.pick(&DAYS);
        }
        match self.rng.gen_range(0..3) {
            0 => self.pick(&BAD_DAYS),
            1 => self.bad_number(),
            _ => self.random_bytes(12),
        }
    }

    fn zone(&mut self) -> Vec<u8> {
        if self.bad() {
            self.pick(&BAD_ZONES)
        } else {
            self.pick(&ZONES)
        }
    }

    fn create_options(&mut self) -> Vec<Vec<u8>> {
        let mut options = Vec::new();
        for _ in 0..self.rng.gen_range(0..6) {
            match self.rng.gen_range(0..12) {
                0..=2 => {
                    options.push(b"WINDOW".to_vec());
                    options.push(self.duration());
                    if self.rng.gen_bool(0.3) {
                        options.push(b"LATENESS".to_vec());
                        options.push(self.duration());
                    }
                }
                3 => {
                    options.push(b"DAILY".to_vec());
                    options.push(if self.bad() {
                        self.pick(&["3661", "-1", "x", ""])
                    } else {
                        self.pick(&["0", "1", "3", "7", "30", "3660"])
                    });
                    if self.rng.gen_bool(0.5) {
                        options.push(b"TZ".to_vec());
                        options.push(self.zone());
                    }
                    if self.rng.gen_bool(0.3) {
                        options.push(b"LATENESS".to_vec());
                        options.push(self.duration());
                    }
                }
                4 => options.push(b"NODAILY".to_vec()),
                5 => {
                    options.push(b"K".to_vec());
                    options.push(self.k());
                }
                6 => {
                    options.push(b"MODE".to_vec());
                    options.push(if self.bad() {
                        self.pick(&["FUZZY", ""])
                    } else {
                        self.pick(&["EXACT", "exact", "APPROX"])
                    });
                }
                7 => {
                    options.push(b"CAPACITY".to_vec());
                    options.push(self.k());
                }
                8 => {
                    options.push(b"CLOCK".to_vec());
                    options.push(if self.bad() {
                        self.pick(&["SOMETIMES", ""])
                    } else {
                        self.pick(&["SERVER", "EVENT", "event"])
                    });
                }
                9 => {
                    options.push(self.pick(&["FUTURE", "DEDUPE"]));
                    options.push(self.duration());
                }
                _ if self.bad() => {
                    if self.rng.gen_bool(0.5) {
                        options.push(self.pick(&["WINDOW", "K", "DAILY", "TZ", "LATENESS"]));
                    } else {
                        options.push(self.random_bytes(10));
                    }
                }
                _ => {}
            }
        }
        options
    }

    fn tuples(&mut self) -> Vec<Vec<u8>> {
        let n = if self.rng.gen_bool(0.05) {
            200
        } else {
            self.rng.gen_range(1..8)
        };
        let mut args = Vec::new();
        for _ in 0..n {
            args.extend([self.timestamp(), self.item(), self.count(), self.id()]);
        }
        args
    }

    /// Wrong arity now and then: one more or one fewer argument.
    fn mangle_arity(&mut self, args: &mut Vec<Vec<u8>>) {
        if self.clean || !self.rng.gen_bool(0.04) {
            return;
        }
        if self.rng.gen_bool(0.5) {
            args.pop();
        } else {
            args.push(self.item());
        }
    }

    /// One random command (name first).
    fn command(&mut self) -> Vec<Vec<u8>> {
        self.clean = self.rng.gen_bool(0.4);
        let key = self.key();
        let mut args: Vec<Vec<u8>> = Vec::new();
        let name: &str = match self.rng.gen_range(0..100) {
            0..=7 => {
                args.push(self.pick(&TRACKER_KEYS[3..]));
                args.extend(self.create_options());
                "TOPK.CREATE"
            }
            8..=17 => {
                args.push(key);
                for _ in 0..self.rng.gen_range(1..6) {
                    args.push(self.item());
                }
                "TOPK.ADD"
            }
            18..=27 => {
                args.push(key);
                for _ in 0..self.rng.gen_range(1..5) {
                    args.extend([self.item(), self.count()]);
                }
                "TOPK.INCRBY"
            }
            28..=39 => {
                args.push(key);
                args.extend(self.tuples());
                "TOPK.INGEST"
            }
            40..=44 => {
                args.push(key);
                args.push(self.timestamp());
                if self.rng.gen_bool(0.5) {
                    args.push(b"ITEMS".to_vec());
                    for _ in 0..self.rng.gen_range(1..5) {
                        args.push(self.item());
                    }
                } else {
                    args.extend(self.tuples());
                }
                "TOPK.APPLY"
            }
            45..=50 => {
                args.extend([key, self.timestamp()]);
                "TOPK.ADVANCE"
            }
            51..=66 => {
                args.extend([key, self.duration()]);
                match self.rng.gen_range(0..4) {
                    0 => {}
                    1 => args.push(self.k()),
                    2 => args.extend([self.k(), b"WITHBOUNDS".to_vec()]),
                    _ => args.push(b"withbounds".to_vec()),
                }
                "TOPK.QUERY"
            }
            67..=76 => {
                args.extend([key, self.duration()]);
                for _ in 0..self.rng.gen_range(1..5) {
                    args.push(self.item());
                }
                "TOPK.COUNT"
            }
            77..=83 => {
                args.extend([key, self.day()]);
                if self.rng.gen_bool(0.5) {
                    args.push(self.k());
                }
                "TOPK.DAY"
            }
            84..=87 => {
                args.push(key);
                "TOPK.DAYS"
            }
            88..=92 => {
                args.push(key);
                "TOPK.INFO"
            }
            93..=95 => {
                args.push(key);
                "TOPK.LOADSTATE"
            }
            96..=97 => {
                let mut value = if self.rng.gen_bool(0.5) {
                    [&b"WTOPK"[..], &[ENCODING_VERSION]].concat()
                } else {
                    Vec::new()
                };
                value.extend(self.random_bytes(64));
                args.extend([b"enc".to_vec(), value]);
                "SET"
            }
            _ => {
                args.push(self.pick(&TRACKER_KEYS[3..]));
                "DEL"
            }
        };
        if name.starts_with("TOPK.") {
            self.mangle_arity(&mut args);
        }
        let mut command = vec![name.as_bytes().to_vec()];
        command.extend(args);
        command
    }
}

/// Fails the test for a pipeline whose replies could not be read: names the command whose
/// reply is not RESP the client can read (found by sending the pipeline's commands again,
/// one at a time, on a new connection), or reports a dead or hung server.
fn unreadable(server: &mut Server, commands: &[Vec<Vec<u8>>], error: &str, seed: u64) -> ! {
    server.assert_alive();
    let mut con = server.client();
    con.set_read_timeout(Some(HANG)).expect("read timeout");
    for command in commands {
        if let Err(e) = send_all(&mut con, std::slice::from_ref(command)) {
            panic!(
                "seed {seed}: the reply to {} cannot be read: {e}",
                show(command)
            );
        }
    }
    panic!(
        "seed {seed}: a pipeline starting with {} got no readable reply ({error}), \
         but each of its commands alone did\n{}",
        show(&commands[0]),
        server.log_tail()
    );
}

/// `DEBUG DIGEST-VALUE key`.
fn digest_of(key: &[u8]) -> Vec<Vec<u8>> {
    vec![b"DEBUG".to_vec(), b"DIGEST-VALUE".to_vec(), key.to_vec()]
}

/// Every key of the database with its DEBUG DIGEST-VALUE, sorted by key.
fn digests(con: &mut Connection) -> Vec<(Vec<u8>, Value)> {
    let Value::Array(keys) = run(con, &["KEYS", "*"]) else {
        panic!("KEYS * is not an array");
    };
    let mut keys: Vec<Vec<u8>> = keys.iter().map(bytes).collect();
    keys.sort();
    keys.into_iter()
        .map(|key| {
            let digest = run(con, digest_of(&key));
            (key, digest)
        })
        .collect()
}

/// The snapshot and DAYS of every `CLOCK EVENT` tracker among `keys` (their answers do not
/// depend on when they are read).
fn event_clock_snapshots(
    con: &mut Connection,
    keys: &[(Vec<u8>, Value)],
) -> Vec<(String, Snapshot, Value)> {
    let mut snapshots = Vec::new();
    for (key, _) in keys {
        let key = String::from_utf8_lossy(key).into_owned();
        if text(&run(con, &["TYPE", key.as_str()])) != "wtopk-trk" {
            continue;
        }
        if info(con, &key).text("clock") == "event" {
            let days = try_run(con, &["TOPK.DAYS", key.as_str()])
                .unwrap_or_else(|e| Value::SimpleString(error_text(&e)));
            snapshots.push((key.clone(), snapshot(con, &key), days));
        }
    }
    snapshots
}

/// Trackers t0 to t3 (server and event clock, DEDUPE, WINDOW all, K 5 in APPROX mode at
/// capacity 5, a daily rollup in Europe/Berlin, NODAILY) and keys of other types.
fn setup(con: &mut Connection) {
    run(con, &["TOPK.CREATE", "t0"]);
    run(
        con,
        &[
            "TOPK.CREATE",
            "t1",
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "WINDOW",
            "1h",
            "WINDOW",
            "all",
            "DEDUPE",
            "10m",
            "K",
            "1000",
        ],
    );
    run(
        con,
        &[
            "TOPK.CREATE",
            "t2",
            "WINDOW",
            "10s",
            "WINDOW",
            "2h",
            "LATENESS",
            "1m",
            "K",
            "5",
            "MODE",
            "APPROX",
            "CAPACITY",
            "5",
            "DAILY",
            "3",
            "TZ",
            "Europe/Berlin",
            "FUTURE",
            "30s",
        ],
    );
    run(
        con,
        &[
            "TOPK.CREATE",
            "t3",
            "CLOCK",
            "EVENT",
            "NODAILY",
            "WINDOW",
            "24h",
        ],
    );
    run(con, &["SET", "str", "x"]);
    run(con, &["RPUSH", "list", "a", "b"]);
    run(con, &["SET", "enc", "not an encoding"]);
}

#[test]
fn twenty_thousand_random_commands() {
    let seed = seed("twenty_thousand_random_commands");
    let mut server = Server::default_start();
    let mut con = server.client();
    con.set_read_timeout(Some(HANG)).expect("read timeout");
    setup(&mut con);
    let mut fuzzer = Fuzzer {
        rng: StdRng::seed_from_u64(seed),
        now: now_ms(),
        clean: true,
    };
    let mut refused = 0usize;
    for chunk_start in (0..COMMANDS).step_by(CHUNK) {
        let commands: Vec<Vec<Vec<u8>>> = (0..CHUNK).map(|_| fuzzer.command()).collect();
        // Each command as [digest before, command, digest after] of its key.
        let mut pipeline = Vec::with_capacity(3 * CHUNK);
        for command in &commands {
            let key = command.get(1).cloned().unwrap_or_default();
            pipeline.extend([digest_of(&key), command.clone(), digest_of(&key)]);
        }
        let replies = send_all(&mut con, &pipeline)
            .unwrap_or_else(|e| unreadable(&mut server, &commands, &e.to_string(), seed));
        assert_eq!(replies.len(), pipeline.len(), "one reply per command");
        for (i, (command, framed)) in commands.iter().zip(replies.chunks(3)).enumerate() {
            let [before, reply, after] = framed else {
                unreachable!("chunks of three");
            };
            let context = || {
                format!(
                    "seed {seed}, command {}: {}",
                    chunk_start + i,
                    show(command)
                )
            };
            if let Err(problem) = check_reply(command, reply) {
                panic!("{}: {problem}", context());
            }
            let is_topk = command[0].starts_with(b"TOPK.");
            let write = !matches!(
                command[0].as_slice(),
                b"TOPK.QUERY" | b"TOPK.COUNT" | b"TOPK.DAY" | b"TOPK.DAYS" | b"TOPK.INFO"
            );
            let failed = matches!(reply, Value::ServerError(_));
            if is_topk && (failed || !write) {
                assert_eq!(
                    before,
                    after,
                    "{}: {} but changed the key ({reply:?})",
                    context(),
                    if failed { "refused" } else { "a read" }
                );
            }
            refused += usize::from(failed);
        }
        if (chunk_start + CHUNK) % ALIVE_EVERY == 0 {
            server.assert_alive();
        }
    }
    eprintln!("{refused} of {COMMANDS} commands were refused");
    assert!(
        refused > COMMANDS / 10 && refused < COMMANDS * 9 / 10,
        "{refused} of {COMMANDS} refused: the mix is not a mix of good and bad commands"
    );
    server.assert_alive();

    let before = digests(&mut con);
    assert!(
        before.iter().any(|(key, _)| key == b"t1"),
        "tracker t1 survives the fuzzing"
    );
    let event_snapshots = event_clock_snapshots(&mut con, &before);
    run(&mut con, &["DEBUG", "RELOAD"]);
    assert_eq!(digests(&mut con), before, "DEBUG RELOAD changed a key");
    assert_eq!(
        event_clock_snapshots(&mut con, &before),
        event_snapshots,
        "DEBUG RELOAD changed the answers of an event-clock tracker"
    );
    server.assert_alive();
}

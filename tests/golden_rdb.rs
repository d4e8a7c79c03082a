//! Old RDB files keep loading (issue 4, "Encoding versions"): `tests/fixtures/rdb/` holds one
//! RDB file per tracker encoding version, written once by redis-server with the module of that
//! version and never changed. Each file holds event-clock trackers filled by the deterministic
//! stream below (windows with lateness, days in a DST zone with final days, dedupe ids, the
//! all-time window, a fixed-offset zone, an empty tracker; from version 2 an APPROX tracker
//! past its capacity). The test loads every file and
//! compares each tracker with the same stream fed to a fresh server: equal
//! `DEBUG DIGEST-VALUE` (windows, days, remembered ids, counters), equal answers to every
//! window, `TOPK.DAYS` and `TOPK.DAY` of every retained day, also after a `DEBUG RELOAD` that
//! re-saves the trackers in the current encoding.
//!
//! An APPROX tracker written before the current eviction policy (files before
//! `APPROX_EQUAL_SINCE`) holds what that policy kept, which a fresh server no longer keeps:
//! it must load into a state whose every reported bound holds against an EXACT twin fed the
//! same stream, with the same day totals, and that a `DEBUG RELOAD` leaves unchanged.
//!
//! A new encoding version adds its file with
//! `cargo test --release --test golden_rdb -- --ignored write_golden_rdb`, which refuses to
//! overwrite an existing one.

mod common;

use std::path::{Path, PathBuf};

use common::snapshot::Snapshot;
use common::*;
use redis::{Connection, Value};
use wtopk_core::encoding::ENCODING_VERSION;

/// The trackers of a golden file and how each is created.
const TRACKERS: [(&str, &[&str]); 5] = [
    (
        "golden:shop",
        &[
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "LATENESS",
            "10s",
            "WINDOW",
            "1h",
            "WINDOW",
            "24h",
            "K",
            "500",
            "DAILY",
            "7",
            "TZ",
            "America/New_York",
            "LATENESS",
            "1h",
            "DEDUPE",
            "30m",
        ],
    ),
    (
        "golden:forever",
        &[
            "CLOCK", "EVENT", "WINDOW", "all", "WINDOW", "10m", "NODAILY", "K", "50",
        ],
    ),
    (
        "golden:offset",
        &["CLOCK", "EVENT", "DAILY", "3", "TZ", "+05:30"],
    ),
    (
        "golden:empty",
        &[
            "CLOCK",
            "EVENT",
            "WINDOW",
            "30s",
            "DAILY",
            "2",
            "TZ",
            "Europe/Berlin",
            "DEDUPE",
            "1h",
        ],
    ),
    (
        "golden:approx",
        &[
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "WINDOW",
            "1h",
            "LATENESS",
            "10m",
            "WINDOW",
            "all",
            "K",
            "10",
            "MODE",
            "APPROX",
            "CAPACITY",
            "20",
            "DAILY",
            "7",
            "TZ",
            "America/New_York",
        ],
    ),
];

/// The tracker with no events.
const EMPTY: &str = "golden:empty";

/// The APPROX tracker, and its EXACT twin that a fresh server feeds the same stream.
const APPROX: &str = "golden:approx";
const APPROX_TRUTH: &str = "golden:approx:truth";

/// The APPROX tracker's options without `MODE` and `CAPACITY`.
fn exact_twin_options() -> Vec<&'static str> {
    let (_, options) = TRACKERS
        .iter()
        .find(|(key, _)| *key == APPROX)
        .expect("golden:approx is a golden tracker");
    let mut kept = Vec::new();
    let mut words = options.iter();
    while let Some(&word) = words.next() {
        if word == "MODE" || word == "CAPACITY" {
            words.next();
        } else {
            kept.push(word);
        }
    }
    kept
}

/// The first file version whose APPROX tracker was written by the current eviction policy
/// (batches of an eighth of the capacity, `unlisted` per error group); older ones are
/// checked for valid bounds instead of equality.
const APPROX_EQUAL_SINCE: u8 = 3;

/// The encoding version that introduced each tracker: older files do not hold it.
fn since_version(key: &str) -> u8 {
    if key == APPROX {
        2
    } else {
        1
    }
}

/// The encoding version of a golden file, from its name `v<N>.rdb`.
fn file_version(path: &Path) -> u8 {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.strip_prefix('v'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("golden file {} is not named v<N>.rdb", path.display()))
}

/// 2026-03-07T00:00:00Z: the stream crosses New York's spring-forward (2026-03-08).
const START: i64 = 1_772_841_600_000;

/// A fixed pseudo-random sequence (splitmix64), so the stream never depends on a crate's
/// generator.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Creates `trackers` and feeds them 4,000 events over three days (one in ten up to three
/// hours late, ids repeating), then moves each clock 20 minutes on (the 1m window empties, the
/// 1h one partly). The stream does not depend on which trackers are fed.
fn fill(con: &mut Connection, trackers: &[(&str, &[&str])]) {
    for &(key, options) in trackers {
        let mut args = vec!["TOPK.CREATE", key];
        args.extend_from_slice(options);
        run(con, &args);
    }
    let mut stream = Stream(2026);
    let mut ts = START;
    for _ in 0..20 {
        let mut args = Vec::new();
        for _ in 0..200 {
            ts += stream.below(130_000) as i64;
            let late = if stream.below(10) == 0 {
                stream.below(3 * 3_600_000) as i64
            } else {
                0
            };
            let rank = stream.below(60);
            let item = format!("item-{}", rank * rank % 300);
            let count = (1 + stream.below(50)).to_string();
            let id = format!("order-{}", stream.below(5_000));
            args.extend([(ts - late).to_string(), item, count, id]);
        }
        for (key, _) in trackers.iter().filter(|(key, _)| *key != EMPTY) {
            let mut command = vec!["TOPK.INGEST".to_string(), key.to_string()];
            command.extend(args.iter().cloned());
            run(con, command);
        }
    }
    let later = (ts + 20 * 60_000).to_string();
    for (key, _) in trackers {
        run(con, &["TOPK.ADVANCE", key, &later]);
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rdb")
}

/// `TOPK.DAYS` and `TOPK.DAY` (top K) of every day it lists, for trackers with days.
fn days(con: &mut Connection, key: &str) -> Vec<Value> {
    let listed = match try_run(con, &["TOPK.DAYS", key]) {
        Ok(Value::Array(days)) => days,
        _ => return Vec::new(),
    };
    let k = info(con, key).int("k").to_string();
    let mut answers = Vec::new();
    for day in &listed {
        let name = match day {
            Value::Array(fields) if !fields.is_empty() => text(&fields[0]),
            other => panic!("TOPK.DAYS {key} listed {other:?}"),
        };
        answers.push(run(con, &["TOPK.DAY", key, &name, &k]));
    }
    answers.extend(listed);
    answers
}

/// Everything the test compares for one tracker.
fn state(con: &mut Connection, key: &str) -> (String, Snapshot, Vec<Value>) {
    (digest(con, key), snapshot(con, key), days(con, key))
}

/// The old APPROX tracker in `con` (loaded from `file`) is over its capacity, every bound
/// it reports in every window holds for the EXACT twin's count in `truth_con`, and its days
/// have the twin's totals.
fn assert_valid_old_approx(con: &mut Connection, truth_con: &mut Connection, file: &Path) {
    let truth = APPROX_TRUTH;
    let mut loose = 0;
    for window in ["1m", "1h", "all", "1800000"] {
        let reply = run(con, &["TOPK.QUERY", APPROX, window, "10", "WITHBOUNDS"]);
        let Value::Array(values) = reply else {
            panic!("QUERY {APPROX} {window} WITHBOUNDS answered {reply:?}");
        };
        for entry in values.chunks(4) {
            let [item, _, lower, upper] = entry else {
                panic!("QUERY {APPROX} {window} WITHBOUNDS entry {entry:?}");
            };
            let item = text(item);
            let exact = count(truth_con, truth, window, &[item.as_str()])[0];
            let (lower, upper) = (int(lower), int(upper));
            assert!(
                lower <= exact && exact <= upper,
                "{APPROX} from {}: {item} in {window} has {exact}, outside [{lower}, {upper}]",
                file.display()
            );
            loose += usize::from(lower < upper);
        }
    }
    assert!(
        loose > 0,
        "{APPROX} from {} has only exact bounds",
        file.display()
    );
    assert_eq!(
        days_rows(con, APPROX),
        days_rows(truth_con, truth),
        "{APPROX} from {}: days",
        file.display()
    );
}

#[test]
fn every_golden_rdb_loads_into_the_state_it_was_written_from() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/rdb")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rdb"))
        .collect();
    files.sort();
    let current = fixtures_dir().join(format!("v{ENCODING_VERSION}.rdb"));
    assert!(
        files.contains(&current),
        "no golden file for encoding version {ENCODING_VERSION}: write it with \
         `cargo test --release --test golden_rdb -- --ignored write_golden_rdb`"
    );

    let fresh = Server::default_start();
    let mut fresh_con = fresh.client();
    fill(&mut fresh_con, &TRACKERS);
    fill(&mut fresh_con, &[(APPROX_TRUTH, &exact_twin_options())]);
    let expected: Vec<_> = TRACKERS
        .iter()
        .map(|(key, _)| state(&mut fresh_con, key))
        .collect();
    let shop = &expected[0].1;
    assert!(
        shop.tops.iter().filter(|(_, top)| !top.is_empty()).count() >= 2
            && shop.info.int("dedupe_ids") > 0
            && expected[0].2.len() >= 6,
        "the stream left golden:shop without windows, ids or days: {shop:?}"
    );

    for file in &files {
        let loaded = Server::start(ServerOptions::new().rdb(file));
        let mut con = loaded.client();
        let version = file_version(file);
        let mut old_approx = None;
        for round in ["as loaded", "after DEBUG RELOAD"] {
            for ((key, _), want) in TRACKERS.iter().zip(&expected) {
                if since_version(key) > version {
                    continue;
                }
                if *key == APPROX && version < APPROX_EQUAL_SINCE {
                    assert_valid_old_approx(&mut con, &mut fresh_con, file);
                    let now = state(&mut con, key);
                    let first = old_approx.get_or_insert_with(|| now.clone());
                    assert_eq!(&now, first, "{key} from {} ({round})", file.display());
                    continue;
                }
                assert_eq!(
                    &state(&mut con, key),
                    want,
                    "{key} from {} ({round})",
                    file.display()
                );
            }
            run(&mut con, &["DEBUG", "RELOAD"]);
        }
    }
}

#[test]
#[ignore = "writes tests/fixtures/rdb/v<N>.rdb for a new encoding version"]
fn write_golden_rdb() {
    let path = fixtures_dir().join(format!("v{ENCODING_VERSION}.rdb"));
    assert!(
        !path.exists(),
        "{} exists: golden files never change",
        path.display()
    );
    let server = Server::default_start();
    let mut con = server.client();
    fill(&mut con, &TRACKERS);
    run(&mut con, &["SAVE"]);
    std::fs::create_dir_all(fixtures_dir()).expect("create tests/fixtures/rdb");
    std::fs::copy(server.dump_path(), &path).expect("copy dump.rdb");
    eprintln!("wrote {}", path.display());
}

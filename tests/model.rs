//! The acceptance property: 10,000 random events (random items, timestamps and
//! increments, partly out of order, in INGEST batches, with occasional ADVANCEs) are replayed
//! into the module and into a brute-force counter; after every batch, every window (and a
//! duration that is not a configured window) agrees with the counter within one bucket width
//! at the window's old end, as SPEC.md allows, and lists items in SPEC order. The seed is
//! printed; set `WTOPK_SEED` to replay one.

mod common;

use common::model::{check_order, Model};
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::Connection;

const EVENTS: usize = 10_000;
const ITEMS: usize = 300;
const K: usize = 1_000;
/// `(duration, its length in ms)` of the configured windows; the bucket widths come from INFO.
const WINDOWS: [(&str, i64); 3] = [("1m", 60_000), ("10m", 600_000), ("1h", 3_600_000)];
/// A duration that is not a configured window: answered from the longest window's buckets.
const DERIVED: (&str, i64) = ("30m", 1_800_000);
const START_TS: i64 = 1_700_000_000_000;

fn seed() -> u64 {
    let seed = match std::env::var("WTOPK_SEED") {
        Ok(text) => text.parse().expect("WTOPK_SEED is a u64"),
        Err(_) => rand::random(),
    };
    eprintln!("model test seed: {seed} (replay with WTOPK_SEED={seed})");
    seed
}

/// Checks one window (or other duration) of tracker `m` against the model.
fn check_window(
    con: &mut Connection,
    model: &Model,
    (window, length): (&str, i64),
    bucket: i64,
    sample: &[&str],
    context: &str,
) {
    let top = query(con, "m", window, K);
    let bounds = model.bounds(length, bucket);
    if let Err(problem) = bounds.check_top(&top) {
        panic!(
            "{context}, window {window} at T={}: {problem}",
            model.clock()
        );
    }
    assert_eq!(
        query(con, "m", window, 10),
        top.iter().take(10).cloned().collect::<Vec<_>>(),
        "{context}, window {window}: top 10 is not the head of the top {K}"
    );
    let counts = count(con, "m", window, sample);
    for (item, reported) in sample.iter().zip(counts) {
        let listed = top
            .iter()
            .find(|(name, _)| name == item)
            .map_or(0, |(_, n)| *n);
        assert_eq!(
            reported, listed,
            "{context}, window {window}: COUNT {item} disagrees with QUERY"
        );
    }
}

#[test]
fn ten_thousand_random_events_agree_with_brute_force() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let server = Server::default_start();
    let mut con = server.client();
    run(
        &mut con,
        &[
            "TOPK.CREATE",
            "m",
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "WINDOW",
            "10m",
            "WINDOW",
            "1h",
            "K",
            "1000",
        ],
    );
    let buckets: Vec<i64> = info(&mut con, "m")
        .windows()
        .iter()
        .map(|w| w.bucket)
        .collect();
    let expected_buckets: Vec<i64> = WINDOWS.iter().map(|(_, length)| length / 60).collect();
    assert_eq!(buckets, expected_buckets, "bucket width is floor(W/60)");
    let longest_bucket = buckets[2];

    let names: Vec<String> = (0..ITEMS).map(|i| format!("i{i}")).collect();
    let mut model = Model::default();
    let mut latest = START_TS;
    let mut sent = 0;
    let mut batch = 0;
    while sent < EVENTS {
        batch += 1;
        let size = rng.gen_range(1..=200).min(EVENTS - sent);
        let mut args = vec!["TOPK.INGEST".to_string(), "m".to_string()];
        for _ in 0..size {
            latest += rng.gen_range(0..=4_000);
            let ts = if rng.gen_bool(0.1) {
                latest - rng.gen_range(1..=5_000)
            } else {
                latest
            };
            // Skewed popularity: low indexes are frequent, so the top has a clear head.
            let index = (rng.gen::<f64>().powi(3) * ITEMS as f64) as usize;
            let item = &names[index.min(ITEMS - 1)];
            let increment = rng.gen_range(1..=1_000u64);
            model.add(item, ts, increment);
            args.extend([
                ts.to_string(),
                item.clone(),
                increment.to_string(),
                "-".to_string(),
            ]);
        }
        sent += size;
        let context = format!("seed {seed}, batch {batch} ({sent} events)");
        let reply = ints(&run(&mut con, args));
        let size = i64::try_from(size).expect("small");
        assert_eq!(reply, [size, 0, 0], "{context}: every event is accepted");

        if rng.gen_bool(0.05) {
            let to = model.clock() + rng.gen_range(1..=15 * 60_000);
            let t = int(&run(&mut con, &["TOPK.ADVANCE", "m", &to.to_string()]));
            model.advance(to);
            latest = latest.max(to);
            assert_eq!(t, model.clock(), "{context}: ADVANCE reply");
        }

        let info = info(&mut con, "m");
        assert_eq!(info.clock(), model.clock(), "{context}: T");
        let sample: Vec<&str> = (0..20)
            .map(|_| names[rng.gen_range(0..ITEMS)].as_str())
            .collect();
        for (window, bucket) in WINDOWS.iter().zip(&buckets) {
            check_window(&mut con, &model, *window, *bucket, &sample, &context);
        }
        check_window(&mut con, &model, DERIVED, longest_bucket, &sample, &context);
    }
    let info = info(&mut con, "m");
    assert_eq!(
        info.int("events_accepted"),
        i64::try_from(EVENTS).expect("small")
    );
    let top = query(&mut con, "m", "1h", K);
    check_order(&top).expect("final order");
}

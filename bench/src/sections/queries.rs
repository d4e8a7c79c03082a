//! Part 3: query latency at 10k, 100k and 1M distinct items. Each dataset is every item once
//! plus as many Zipf(1.1) events, over the last 24 hours, loaded into the tracker (INGEST),
//! into one sorted set holding each item's 24-hour count, and into the recipe's minute, hour
//! and day keys. Timed: `TOPK.QUERY t <w> 100` for 24h, 1h and 5m, and for 12h, which the
//! tracker derives from the 24h window's buckets; `ZREVRANGE z 0 99 WITHSCORES`; and the
//! recipe's answer, `ZUNIONSTORE` over its 24 hour keys (60 and 5 minute keys for 1h and 5m,
//! the newest 12 hour keys for 12h) then `ZREVRANGE`. Targets at 1M items: QUERY 24h p99 <= 100 us
//! and at least 1000x faster (p50) than the recipe, both judged on the time the server spends
//! in the command (SLOWLOG); the round trip seen by the client is shown too. The dataset's
//! memory is measured here too and reported in part 4. Loading is timed as well (SLOWLOG,
//! info only): a tracker that grows a table all at once shows it as a worst INGEST far above
//! the others.

use std::cell::RefCell;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use redis::Connection;

use super::{create_tracker, flush, memory_usage};
use crate::client::{array, call, encode, float, int, pipeline};
use crate::config::{Settings, SEED, ZIPF_EXPONENT};
use crate::dataset::{Recipe, Stream, LOAD_BATCH};
use crate::latency::{
    last, sample_for, sample_n, server_timing_off, server_timing_on, summarize, summarize_last,
    Latency, ServerLog,
};
use crate::report::{count, time, Report, Row};
use crate::server::Server;

const K: &str = "100";
const P99_TARGET: Duration = Duration::from_micros(100);
const SPEEDUP_TARGET: f64 = 1000.0;
/// The size at which the targets apply.
const TARGET_SIZE: usize = 1_000_000;
/// SLOWLOG entries kept while timing: every call of one figure, warm-up and DEL included.
const SLOWLOG_CAPACITY: usize = 10_000;

/// The tracker's and the recipe's memory for one dataset, for part 4.
pub struct MemoryFigure {
    pub distinct: usize,
    pub events: usize,
    pub tracker: u64,
    pub recipe: u64,
    pub recipe_keys: usize,
}

impl MemoryFigure {
    /// `MEMORY USAGE` of tracker `t` and of every key of `recipe`, both holding `stream`.
    pub fn measure(con: &mut Connection, stream: &Stream, recipe: &Recipe) -> MemoryFigure {
        MemoryFigure {
            distinct: stream.totals().len(),
            events: stream.events.len(),
            tracker: memory_usage(con, "t"),
            recipe: recipe
                .key_names()
                .iter()
                .map(|key| memory_usage(con, key))
                .sum(),
            recipe_keys: recipe.keys.len(),
        }
    }
}

pub fn run(report: &mut Report, server: &Server, settings: &Settings) -> Vec<MemoryFigure> {
    report.section("3. query latency, one call in flight: server time p50 / p99 (SLOWLOG)");
    let mut figures = Vec::new();
    for &distinct in &settings.query_sizes {
        eprintln!("bench: part 3, loading {distinct} distinct items");
        let mut con = server.connect();
        flush(&mut con);
        let mut rng = StdRng::seed_from_u64(SEED ^ distinct as u64);
        let stream = Stream::last_24h(distinct, distinct, true, ZIPF_EXPONENT, &mut rng);
        create_tracker(&mut con, "t", &[]);
        server_timing_on(&mut con, SLOWLOG_CAPACITY);
        let accepted = stream.ingest(&mut con, "t");
        let loading = ServerLog::take(&mut con).durations("TOPK.INGEST");
        server_timing_off(&mut con);
        report_loading(report, distinct, loading);
        if accepted != stream.events.len() as u64 {
            eprintln!(
                "bench: warning: the tracker accepted {accepted} of {} events",
                stream.events.len()
            );
        }
        stream.store_counts(&mut con, "z", &stream.totals());
        let recipe = stream.recipe();
        recipe.store(&stream, &mut con);
        check_same_top(&mut con);
        figures.push(MemoryFigure::measure(&mut con, &stream, &recipe));
        measure_size(report, &mut con, settings, distinct, &recipe);
        flush(&mut con);
    }
    figures
}

/// How long the calls that filled the tracker held the server: a call that grows a table
/// all at once stands out from its neighbours, which do the same work.
fn report_loading(report: &mut Report, distinct: usize, loading: Vec<Duration>) {
    if loading.is_empty() {
        return;
    }
    let calls = loading.len();
    let worst = loading.iter().max().copied().unwrap_or_default();
    let typical = summarize(loading);
    report.row(Row::info(
        format!(
            "loading {} items: TOPK.INGEST of {} events, p50 / p99 / worst",
            count(distinct),
            count(LOAD_BATCH)
        ),
        format!(
            "{} / {} / {} ({calls} calls)",
            time(typical.p50),
            time(typical.p99),
            time(worst)
        ),
        "-",
        "-",
    ));
}

fn measure_size(
    report: &mut Report,
    con: &mut Connection,
    settings: &Settings,
    distinct: usize,
    recipe: &Recipe,
) {
    let at = count(distinct);
    let judged = distinct == TARGET_SIZE;
    let samples = settings.query_samples;
    server_timing_on(con, SLOWLOG_CAPACITY);

    let query = |con: &mut Connection, window: &str| {
        let trip = sample_n(samples, || {
            call(con, &["TOPK.QUERY", "t", window, K]);
        });
        let server = summarize_last(&ServerLog::take(con).durations("TOPK.QUERY"), trip.samples);
        (trip, server)
    };
    let (day_trip, day) = query(con, "24h");
    let zset_trip = sample_n(samples, || {
        call(con, &["ZREVRANGE", "z", "0", "99", "WITHSCORES"]);
    });
    let zset = summarize_last(
        &ServerLog::take(con).durations("ZREVRANGE"),
        zset_trip.samples,
    );

    let row = Row::info(
        format!("QUERY 24h {K} vs ZREVRANGE of one zset, {at} items"),
        pair(day),
        pair(zset),
        speedup(zset.p50, day.p50),
    );
    report.row(if judged {
        row.judged(
            format!("p99 <= {}", time(P99_TARGET)),
            day.p99 <= P99_TARGET,
        )
    } else {
        row
    });
    report.row(Row::info(
        format!("  same, round trip seen by the client, {at} items"),
        pair(day_trip),
        pair(zset_trip),
        speedup(zset_trip.p50, day_trip.p50),
    ));

    for (window, keys) in [
        ("24h", &recipe.hours[..]),
        ("1h", &recipe.minutes[..]),
        ("5m", &recipe.minutes[..5]),
        ("12h", &recipe.hours[..12]),
    ] {
        eprintln!("bench: part 3, {at} items, window {window}");
        let module = if window == "24h" {
            day
        } else {
            query(con, window).1
        };
        let by_hand = union_latency(con, keys, settings.union_budget);
        let row = Row::info(
            format!(
                "QUERY {window} {K} vs ZUNIONSTORE {} keys + ZREVRANGE, {at} items",
                keys.len()
            ),
            pair(module),
            pair(by_hand),
            speedup(by_hand.p50, module.p50),
        );
        report.row(if judged && window == "24h" {
            let x = by_hand.p50.as_secs_f64() / module.p50.as_secs_f64();
            row.judged(
                format!(">= {SPEEDUP_TARGET:.0}x faster"),
                x >= SPEEDUP_TARGET,
            )
        } else {
            row
        });
    }
    server_timing_off(con);
}

/// The recipe's query: ZUNIONSTORE into a scratch key, then its top 100, in one round trip;
/// the scratch key is deleted after each call, untimed. Server time: the two commands' sum.
fn union_latency(con: &mut Connection, keys: &[String], budget: Duration) -> Latency {
    let mut args: Vec<&str> = vec!["ZUNIONSTORE", "r:tmp"];
    let numkeys = keys.len().to_string();
    args.push(&numkeys);
    args.extend(keys.iter().map(String::as_str));
    let mut packed = Vec::new();
    encode(&mut packed, &args);
    encode(
        &mut packed,
        &["ZREVRANGE", "r:tmp", "0", "99", "WITHSCORES"],
    );
    let shared = RefCell::new(&mut *con);
    let trip = sample_for(
        budget,
        || {
            let mut con = shared.borrow_mut();
            pipeline(&mut con, &packed, 2, "ZUNIONSTORE + ZREVRANGE");
        },
        || {
            call(&mut shared.borrow_mut(), &["DEL", "r:tmp"]);
        },
    );
    let log = ServerLog::take(con);
    let unions = log.durations("ZUNIONSTORE");
    let ranges = log.durations("ZREVRANGE");
    let sums: Vec<Duration> = last(&unions, trip.samples)
        .iter()
        .zip(last(&ranges, trip.samples))
        .map(|(union, range)| *union + *range)
        .collect();
    summarize(sums)
}

/// Warns unless the tracker's 24h top 100 has the same counts as the sorted set's top 100
/// (items may differ among ties: the two order ties differently).
fn check_same_top(con: &mut Connection) {
    let module: Vec<i64> = array(&call(con, &["TOPK.QUERY", "t", "24h", K]))
        .chunks(2)
        .map(|pair| int(&pair[1]))
        .collect();
    let redis: Vec<i64> = array(&call(con, &["ZREVRANGE", "z", "0", "99", "WITHSCORES"]))
        .chunks(2)
        .map(|pair| float(&pair[1]) as i64)
        .collect();
    if module == redis {
        eprintln!("bench: check: TOPK.QUERY 24h and ZREVRANGE agree on the top-100 counts");
    } else {
        eprintln!(
            "bench: warning: TOPK.QUERY 24h and ZREVRANGE disagree on the top-100 counts \
             (did the hour turn during loading?)\n  module: {module:?}\n  redis:  {redis:?}"
        );
    }
}

/// `p50 / p99`, with the number of calls when it is too small for a real p99.
fn pair(latency: Latency) -> String {
    let few = if latency.samples < 100 {
        format!(" (n={})", latency.samples)
    } else {
        String::new()
    };
    format!("{} / {}{few}", time(latency.p50), time(latency.p99))
}

/// `theirs / ours` as "Nx faster" (or "Nx slower" below 1).
fn speedup(theirs: Duration, ours: Duration) -> String {
    speedup_f(theirs.as_secs_f64(), ours.as_secs_f64())
}

fn speedup_f(theirs: f64, ours: f64) -> String {
    let x = theirs / ours;
    if x >= 1.0 {
        format!("{} faster", crate::report::ratio(x))
    } else {
        format!("{} slower", crate::report::ratio(1.0 / x))
    }
}

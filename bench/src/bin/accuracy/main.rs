//! `wtopk-accuracy`, what `make accuracy` runs: starts its own redis-server with the freshly
//! built module on a free loopback port, streams Zipf events (s = 0.8, 1.0, 1.2; 1M items;
//! 10M events over 24 hours of event time) into an EXACT and an APPROX tracker side by side,
//! and prints per window and for today recall@10/@100, the relative error of the true
//! top-100's counts, the width of the bounds and whether they hold, then both trackers'
//! `MEMORY USAGE` and ingest rate, APPROX's memory growth with distinct items, and the
//! targets met. `ACCURACY_QUICK=1` makes a smoke run; see `config.rs`. Exits with an error
//! when a correctness check fails (a bound violated, EXACT off its model, events lost).

mod compare;
mod config;
mod growth;
mod ingest;
mod metrics;
mod output;
mod targets;
mod tracker;
mod truth;

use std::process::ExitCode;
use std::time::Instant;

use wtopk_bench::server::Server;
use wtopk_bench::zipf::item_names;

use config::{Settings, BATCH, DEPTH, SEED, TRACKER_ARGS};

fn main() -> ExitCode {
    let started = Instant::now();
    let settings = Settings::from_env();
    let Some((mut server, version)) =
        Server::start_announced("accuracy", &settings.module, settings.dir.as_deref())
    else {
        return ExitCode::FAILURE;
    };
    let mut con = server.connect();

    let names = item_names(settings.universe);
    let comparisons: Vec<compare::Comparison> = settings
        .exponents
        .iter()
        .map(|&s| compare::run(&mut con, &settings, &names, s, config::seed_of(s)))
        .collect();
    drop(names);
    let growth = growth::run(&mut con, &settings);
    drop(con);
    let stopped = server.stop();

    print_header(&settings, &version);
    for c in &comparisons {
        println!();
        print!("{}", output::comparison(c));
        for range in &c.ranges {
            for violation in &range.bounds.violations {
                println!("bound violated: {violation}");
            }
            for violation in &range.same_estimate.violations {
                println!("QUERY and COUNT estimates differ: {violation}");
            }
        }
    }
    println!();
    print!("{}", output::growth(&growth));
    let targets = targets::judge(&comparisons, &growth);
    println!();
    print!("{}", output::summary(&targets));
    let goals: Vec<_> = targets.iter().filter(|t| !t.correctness).collect();
    let met = goals.iter().filter(|t| t.met).count();
    let correct = targets.iter().all(|t| !t.correctness || t.met);
    println!();
    println!(
        "{met} of {} targets met; correctness checks {}; seed {SEED:#x}; the run took {:.0} s",
        goals.len(),
        if correct { "passed" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = stopped {
        eprintln!("accuracy: {e}");
        return ExitCode::FAILURE;
    }
    if correct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_header(settings: &Settings, version: &str) {
    let capacity = settings
        .capacity
        .map_or(String::new(), |m| format!(" CAPACITY {m}"));
    println!();
    println!(
        "redis-wtopk accuracy benchmark ({} run): redis-server {version}, {} CPU core(s), seed \
         {SEED:#x} (+ 1000 s for the stream of exponent s)",
        if settings.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "trackers: TOPK.CREATE exact {args}; TOPK.CREATE approx {args} MODE APPROX{capacity}",
        args = TRACKER_ARGS.join(" ")
    );
    println!(
        "stream: events in time order from 2026-01-01T00:00Z over 24h (today = the stream), \
         TOPK.INGEST of {BATCH} events, {DEPTH} per round trip; EXACT and APPROX fed \
         separately, only round trips timed"
    );
    println!(
        "figures at the end of the stream; truth: EXACT's TOPK.QUERY/COUNT per window, own \
         counts for today; recall@k counts ties at the k-th true count as found; errors over \
         the true top-100 (estimate 0 when not held); bounds checked at 6h, 12h, 18h, 24h on \
         every item APPROX lists (QUERY k=100 WITHBOUNDS; today: DAY k=100, within total/capacity)"
    );
}

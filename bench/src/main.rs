//! `wtopk-bench`, what `make bench` runs: starts its own redis-server with the freshly built
//! redis-wtopk module on a free loopback port, measures the module against Redis' own
//! commands in the same run (single-item and batched update throughput, query latency at
//! 10k to 1M items against sorted sets and the hand-written sorted-set recipe, memory, the
//! worst latency under a mixed load), stops the server and prints one table of figures,
//! ratios and targets. `BENCH_QUICK=1` makes a small smoke run; see `config.rs` for the rest.

mod config;
mod dataset;
mod latency;
mod load;
mod pauses;
mod sections;

use std::process::ExitCode;
use std::time::Instant;

// The shared parts (`src/lib.rs`), also reachable as `crate::client` and so on.
use wtopk_bench::{client, report, server, zipf};

use config::{Settings, TRACKER_ARGS, UNIVERSE, ZIPF_EXPONENT};
use report::Report;
use server::Server;

fn main() -> ExitCode {
    let started = Instant::now();
    let settings = Settings::from_env();
    let Some((mut server, version)) =
        Server::start_announced("bench", &settings.module, settings.dir.as_deref())
    else {
        return ExitCode::FAILURE;
    };

    let mut report = Report::default();
    sections::single::run(&mut report, &server, &settings);
    sections::batched::run(&mut report, &server, &settings);
    let memory = sections::queries::run(&mut report, &server, &settings);
    sections::memory::run(&mut report, &server, &settings, &memory);
    sections::mixed::run(&mut report, &server, &settings);
    sections::core_bench::run(&mut report);

    let stopped = server.stop();
    let (met, judged) = report.score();
    println!();
    println!(
        "redis-wtopk benchmark ({} run): redis-server {version}, {} CPU core(s), seed {:#x}",
        if settings.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        config::SEED
    );
    println!(
        "tracker: TOPK.CREATE t {}; items Zipf({ZIPF_EXPONENT}) over {UNIVERSE} unless said",
        TRACKER_ARGS.join(" ")
    );
    println!(
        "ratios: module / redis for rates and memory; latency cells are p50 / p99 of the \
         server's time in the command (SLOWLOG) unless a line says round trip; 'faster' \
         compares p50; 'us/call' is INFO commandstats' usec_per_call"
    );
    println!();
    print!("{}", report.render());
    println!();
    println!(
        "{met} of {judged} targets met; the run took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    match stopped {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

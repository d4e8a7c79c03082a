//! Part 5: the worst latency under a mixed load. With `latency-monitor-threshold 1` and
//! `slowlog-log-slower-than 1000`, three connections load the module at once for
//! BENCH_MIXED_SECONDS: `TOPK.ADD t` with 100 items per command; `TOPK.INGEST m` (an
//! event-clock tracker) in batches of 100 events whose timestamps advance a minute per 1,000
//! events, so buckets of every window expire all the time and days finalize as event time
//! passes, and a tenth of whose events come up to 30 minutes late, so buckets of the 1h and
//! 24h windows take late entries and compact; and `TOPK.QUERY` of both trackers for 5m, 1h
//! and 24h. A fourth connection sends
//! Redis' own HINCRBY (100 per round trip, one round trip per ms) as a control: on a busy
//! machine any command can be descheduled mid-way, and the control shows how much of that
//! there is. During the load the server runs on CPU 0 and the load threads on the others
//! (`taskset`), so on a small machine the load generator does not stretch the server's
//! commands. Reported: `LATENCY HISTORY command` (the module's commands) against
//! `fast-command` (the control), the other `LATENCY LATEST` events, the SLOWLOG per command,
//! how often the kernel preempted the server's main thread, and how much CPU time the
//! hypervisor took (steal) meanwhile. Alongside the load threads, a pause meter
//! (`pauses.rs`) reads about every ms the steal of CPU 0 and the run delay of the server's
//! main thread, and keeps the longest pause of each second: each call of 1 ms or more in the
//! SLOWLOG is explained by the machine if one pause of the server, in the second the call
//! ended or the one before, lasted at least the call's excess over 1 ms; the others are
//! counted apart when the meter's own CPU stood still that long then. Target: no module
//! command reaches 1 ms.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::SeedableRng;
use redis::{Connection, Value};

use super::{create_tracker, flush};
use crate::client::{array, call, encode, int, pipeline, text};
use crate::config::{Settings, SEED, UNIVERSE, ZIPF_EXPONENT};
use crate::dataset::{DAY, MINUTE};
use crate::load::Workload;
use crate::pauses::{self, Taken};
use crate::report::{rate, time, Report, Row};
use crate::server::{connect, Server};
use crate::zipf::{item_names, Zipf};

/// Events per INGEST, as many as items per ADD: the command's length is the client's choice,
/// so both carry the same 100.
const INGEST_BATCH: usize = 100;
/// Event time between two events of the INGEST stream: a minute per 1,000 events, so each
/// batch expires about one bucket of the 5m window, every 10th batch one of the 1h window
/// and every 240th one of the 24h window; a day passes every 1.44M events.
const EVENT_STEP_MS: i64 = MINUTE / 1_000;
/// Every `LATE_EVERY`-th INGEST event is late, by 1 to `LATE_MINUTES` minutes.
const LATE_EVERY: usize = 10;
const LATE_MINUTES: i64 = 30;
const SLOWLOG_CAPACITY: &str = "100000";
/// Where the event-clock tracker's stream starts (2023-11-14).
const EVENT_START_MS: i64 = 1_700_000_000_000;
const ADD_ITEMS: usize = 100;
const ADD_DEPTH: usize = 10;
const CONTROL_DEPTH: usize = 100;
const QUERIES: [(&str, &str); 6] = [
    ("t", "5m"),
    ("t", "1h"),
    ("t", "24h"),
    ("m", "5m"),
    ("m", "1h"),
    ("m", "24h"),
];

/// What each load thread got done.
#[derive(Default)]
struct Done {
    add_items: usize,
    ingest_events: usize,
    queries: usize,
    worst_query: Duration,
    control_ops: usize,
    /// What the pause meter saw; `None` without a server pid or `/proc`.
    taken: Option<Taken>,
}

pub fn run(report: &mut Report, server: &Server, settings: &Settings) {
    let seconds = settings.mixed_time.as_secs();
    report.section(format!(
        "5. mixed load for {seconds} s: ADD + INGEST with expiring buckets and late events \
         + QUERY"
    ));
    eprintln!("bench: part 5, mixed load for {seconds} s");
    let mut con = server.connect();
    flush(&mut con);
    create_tracker(&mut con, "t", &[]);
    create_tracker(&mut con, "m", &["CLOCK", "EVENT"]);
    for setting in [
        ["latency-monitor-threshold", "1"],
        ["slowlog-log-slower-than", "1000"],
        ["slowlog-max-len", SLOWLOG_CAPACITY],
    ] {
        call(&mut con, &["CONFIG", "SET", setting[0], setting[1]]);
    }
    call(&mut con, &["LATENCY", "RESET"]);
    call(&mut con, &["SLOWLOG", "RESET"]);

    // Counted before pinning: the count follows this process's CPU affinity.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pinned = pin_apart(server, cpus);
    let preemptions = || server.pid().and_then(pauses::preemptions);
    let preempted_before = preemptions();
    let stolen_before = pauses::stolen_ticks("cpu");
    let done = load(server, settings.mixed_time);
    let preempted = preemptions()
        .zip(preempted_before)
        .map(|(after, before)| after.saturating_sub(before));
    let stolen = pauses::stolen_ticks("cpu")
        .zip(stolen_before)
        .map(|(after, before)| after.saturating_sub(before));
    unpin(server, cpus);

    // Module commands are not flagged `fast`: the monitor files them under `command`, and
    // the control HINCRBY under `fast-command`. It keeps the worst sample of each second.
    let module_history = latency_history(&mut con, "command");
    let redis_history = latency_history(&mut con, "fast-command");
    let worst = |history: &[i64]| match history.iter().max() {
        None => "none >= 1 ms".to_string(),
        Some(ms) => format!("{ms} ms (>= 1 ms in {} s)", history.len()),
    };
    report.row(
        Row::info(
            "worst command: LATENCY HISTORY command vs fast-command",
            worst(&module_history),
            format!("{} (HINCRBY)", worst(&redis_history)),
            "-",
        )
        .judged("< 1 ms", module_history.is_empty()),
    );
    let (slow_calls, log_full) = slowlog(&mut con);
    let (module_slow, redis_slow) = slowest(&slow_calls, log_full);
    report.row(Row::info(
        "calls >= 1 ms (SLOWLOG): count, worst",
        module_slow,
        redis_slow,
        "-",
    ));
    report.row(Row::info(
        "server main thread preempted while runnable (nonvoluntary switches)",
        format!(
            "{} ({pinned})",
            preempted.map_or_else(|| "?".to_string(), |n| n.to_string())
        ),
        "-",
        "-",
    ));
    report.row(Row::info(
        "CPU time the hypervisor took from this machine (steal, all CPUs)",
        stolen.map_or_else(|| "?".to_string(), |ticks| format!("{} ms", ticks * 10)),
        "-",
        "-",
    ));
    let explained = |module: bool| match &done.taken {
        None => "?".to_string(),
        Some(taken) => taken
            .explain(
                slow_calls
                    .iter()
                    .filter(|slow| slow.command.starts_with("TOPK.") == module)
                    .map(|slow| (slow.unix_seconds, slow.us)),
            )
            .to_string(),
    };
    report.row(Row::info(
        "calls >= 1 ms one pause explains (CPU 0 steal + server run delay)",
        explained(true),
        format!("{} (HINCRBY)", explained(false)),
        "-",
    ));
    report.row(Row::info(
        "other LATENCY LATEST events (max)",
        other_events(&mut con),
        "-",
        "-",
    ));
    let secs = settings.mixed_time.as_secs_f64();
    report.row(Row::info(
        "load: ADD items + INGEST events + QUERY calls; HINCRBY",
        format!(
            "{} + {} + {}",
            rate(done.add_items as f64 / secs),
            rate(done.ingest_events as f64 / secs),
            rate(done.queries as f64 / secs)
        ),
        rate(done.control_ops as f64 / secs),
        "-",
    ));
    report.row(Row::info(
        "worst QUERY round trip seen by the client; INGEST event time",
        format!(
            "{}; {:.1} days",
            time(done.worst_query),
            (done.ingest_events as i64 * EVENT_STEP_MS) as f64 / DAY as f64
        ),
        "-",
        "-",
    ));
    for setting in [
        ["latency-monitor-threshold", "0"],
        ["slowlog-log-slower-than", "10000"],
        ["slowlog-max-len", "128"],
    ] {
        call(&mut con, &["CONFIG", "SET", setting[0], setting[1]]);
    }
    flush(&mut con);
}

/// Runs the load threads, and the pause meter on the server, until `time` has passed.
fn load(server: &Server, time: Duration) -> Done {
    let port = server.port();
    let names = item_names(UNIVERSE);
    let zipf = Zipf::new(UNIVERSE, ZIPF_EXPONENT);
    let mut rng = StdRng::seed_from_u64(SEED ^ 5);
    let mut adds = Workload::new("TOPK.ADD x100", ADD_DEPTH);
    for _ in 0..200 * ADD_DEPTH {
        let mut args: Vec<&[u8]> = vec![b"TOPK.ADD", b"t"];
        args.extend((0..ADD_ITEMS).map(|_| names[zipf.sample(&mut rng)].as_slice()));
        adds.push(&args, ADD_ITEMS);
    }
    let mut controls = Workload::new("HINCRBY", CONTROL_DEPTH);
    for _ in 0..100 * CONTROL_DEPTH {
        let item = names[zipf.sample(&mut rng)].as_slice();
        controls.push(&[b"HINCRBY".as_slice(), b"h", item, b"1"], 1);
    }
    let ingest_ranks: Vec<usize> = (0..200 * INGEST_BATCH)
        .map(|_| zipf.sample(&mut rng))
        .collect();
    let stop = AtomicBool::new(false);
    let connect_or_die = || connect(port).unwrap_or_else(|e| panic!("{e}"));
    std::thread::scope(|scope| {
        let adder = scope.spawn(|| {
            let mut con = connect_or_die();
            let mut items = 0;
            let mut next = 0;
            while !stop.load(Ordering::Relaxed) {
                let packed = adds.pipeline(next);
                pipeline(&mut con, packed, ADD_DEPTH, "TOPK.ADD");
                items += ADD_ITEMS * ADD_DEPTH;
                next = (next + 1) % adds.pipelines();
            }
            items
        });
        let ingester = scope.spawn(|| {
            let mut con = connect_or_die();
            ingest_until(&mut con, &stop, &names, &ingest_ranks)
        });
        let querier = scope.spawn(|| {
            let mut con = connect_or_die();
            let mut calls = 0;
            let mut worst = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                let (key, window) = QUERIES[calls % QUERIES.len()];
                let start = Instant::now();
                call(&mut con, &["TOPK.QUERY", key, window, "100"]);
                worst = worst.max(start.elapsed());
                calls += 1;
            }
            (calls, worst)
        });
        // The control: Redis' own HINCRBY, 100 per round trip, one round trip per ms, so
        // the machine's own hiccups (other processes on the cores) show in Redis' column.
        let control = scope.spawn(|| {
            let mut con = connect_or_die();
            let mut ops = 0;
            let mut next = 0;
            while !stop.load(Ordering::Relaxed) {
                pipeline(&mut con, controls.pipeline(next), CONTROL_DEPTH, "HINCRBY");
                ops += CONTROL_DEPTH;
                next = (next + 1) % controls.pipelines();
                std::thread::sleep(Duration::from_millis(1));
            }
            ops
        });
        let meter = scope.spawn(|| server.pid().and_then(|pid| pauses::meter(pid, &stop)));
        std::thread::sleep(time);
        stop.store(true, Ordering::Relaxed);
        let control_ops = control.join().expect("the HINCRBY thread panicked");
        let (queries, worst_query) = querier.join().expect("the query thread panicked");
        Done {
            add_items: adder.join().expect("the ADD thread panicked"),
            ingest_events: ingester.join().expect("the INGEST thread panicked"),
            queries,
            worst_query,
            control_ops,
            taken: meter.join().expect("the pause meter panicked"),
        }
    })
}

/// The event time of the `i`-th INGEST event: a minute per 1,000 events, and every
/// `LATE_EVERY`-th one 1 to `LATE_MINUTES` minutes behind, the lateness varying in a fixed
/// pattern (a stride prime to `LATE_MINUTES`).
fn event_time(i: usize) -> i64 {
    let on_time = EVENT_START_MS + i as i64 * EVENT_STEP_MS;
    if i % LATE_EVERY == LATE_EVERY - 1 {
        let late = (i / LATE_EVERY) as i64 * 7 % LATE_MINUTES + 1;
        on_time - late * MINUTE
    } else {
        on_time
    }
}

/// Sends INGEST batches with advancing timestamps until `stop`; returns the events sent.
fn ingest_until(
    con: &mut Connection,
    stop: &AtomicBool,
    names: &[Vec<u8>],
    ranks: &[usize],
) -> usize {
    let mut sent = 0usize;
    let mut packed = Vec::new();
    let mut args: Vec<Vec<u8>> = Vec::with_capacity(2 + 4 * INGEST_BATCH);
    while !stop.load(Ordering::Relaxed) {
        args.clear();
        args.push(b"TOPK.INGEST".to_vec());
        args.push(b"m".to_vec());
        for i in sent..sent + INGEST_BATCH {
            args.push(event_time(i).to_string().into_bytes());
            args.push(names[ranks[i % ranks.len()]].clone());
            args.push(b"1".to_vec());
            args.push(b"-".to_vec());
        }
        packed.clear();
        encode(&mut packed, &args);
        let reply = pipeline(con, &packed, 1, "TOPK.INGEST");
        let accepted = int(&array(&reply[0])[0]);
        if accepted != INGEST_BATCH as i64 {
            eprintln!("bench: warning: INGEST accepted {accepted} of {INGEST_BATCH} events");
        }
        sent += INGEST_BATCH;
    }
    sent
}

/// Runs the server on CPU 0 and this process (the load threads) on the other of `cpus`
/// CPUs, with `taskset`, so the load generator does not take the server's CPU away in the
/// middle of a command; says what it did.
fn pin_apart(server: &Server, cpus: usize) -> String {
    let Some(pid) = server.pid() else {
        return "not pinned: no server pid".to_string();
    };
    if cpus < 2 {
        return "not pinned: one CPU".to_string();
    }
    let rest = match cpus {
        2 => "1".to_string(),
        _ => format!("1-{}", cpus - 1),
    };
    if taskset(&["-p", "-c", "0", &pid.to_string()])
        && taskset(&["-a", "-p", "-c", &rest, &std::process::id().to_string()])
    {
        format!("server on CPU 0, load on CPU {rest}")
    } else {
        "not pinned: taskset failed".to_string()
    }
}

/// Lets the server and this process run on all `cpus` CPUs again.
fn unpin(server: &Server, cpus: usize) {
    let all = format!("0-{}", cpus.saturating_sub(1));
    if let Some(pid) = server.pid() {
        taskset(&["-p", "-c", &all, &pid.to_string()]);
    }
    taskset(&["-a", "-p", "-c", &all, &std::process::id().to_string()]);
}

fn taskset(args: &[&str]) -> bool {
    std::process::Command::new("taskset")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The latencies (ms) of `LATENCY HISTORY event`.
fn latency_history(con: &mut Connection, event: &str) -> Vec<i64> {
    array(&call(con, &["LATENCY", "HISTORY", event]))
        .iter()
        .map(|sample| int(&array(sample)[1]))
        .collect()
}

/// A SLOWLOG entry: the command's name in upper case, the unix second it ended in and how
/// long it took (us).
struct SlowCall {
    command: String,
    unix_seconds: u64,
    us: u64,
}

/// `SLOWLOG GET -1`, and whether the log is full (older calls dropped).
fn slowlog(con: &mut Connection) -> (Vec<SlowCall>, bool) {
    let log = call(con, &["SLOWLOG", "GET", "-1"]);
    let calls: Vec<SlowCall> = array(&log)
        .iter()
        .map(|entry| {
            let fields = array(entry);
            SlowCall {
                command: match array(&fields[3]).first() {
                    Some(Value::BulkString(name)) => String::from_utf8_lossy(name).to_uppercase(),
                    _ => "?".to_string(),
                },
                unix_seconds: int(&fields[1]).max(0) as u64,
                us: int(&fields[2]).max(0) as u64,
            }
        })
        .collect();
    let full = calls.len().to_string() == SLOWLOG_CAPACITY;
    (calls, full)
}

/// Per command in the SLOWLOG: how many calls took 1 ms or more, and the worst one; the
/// module's commands and Redis' own apart.
fn slowest(calls: &[SlowCall], full: bool) -> (String, String) {
    let mut by_command: Vec<(&str, usize, u64)> = Vec::new();
    for slow in calls {
        match by_command
            .iter_mut()
            .find(|(name, _, _)| *name == slow.command)
        {
            Some((_, count, worst)) => {
                *count += 1;
                *worst = (*worst).max(slow.us);
            }
            None => by_command.push((&slow.command, 1, slow.us)),
        }
    }
    by_command.sort_unstable_by_key(|entry| std::cmp::Reverse(entry.2));
    let summary = |module: bool| {
        let parts: Vec<String> = by_command
            .iter()
            .filter(|(command, _, _)| command.starts_with("TOPK.") == module)
            .map(|(command, count, us)| {
                format!("{command} {count}, {}", time(Duration::from_micros(*us)))
            })
            .collect();
        match (parts.is_empty(), full) {
            (true, _) => "none".to_string(),
            (false, false) => parts.join("; "),
            (false, true) => format!("{} (log full)", parts.join("; ")),
        }
    };
    (summary(true), summary(false))
}

/// `LATENCY LATEST` events other than commands, as `name max ms`.
fn other_events(con: &mut Connection) -> String {
    let latest = call(con, &["LATENCY", "LATEST"]);
    let others: Vec<String> = array(&latest)
        .iter()
        .filter_map(|event| {
            let fields = array(event);
            let name = text(&fields[0]);
            (name != "command" && name != "fast-command")
                .then(|| format!("{name} {} ms", int(&fields[3])))
        })
        .collect();
    if others.is_empty() {
        "none".to_string()
    } else {
        others.join(", ")
    }
}

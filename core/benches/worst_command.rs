//! The core's own longest commands under the load of `make bench`'s part 5, without a
//! server. Part 5 reads the worst command from the server's `LATENCY` monitor, which also
//! counts the time a busy or virtual machine takes the CPU away mid-command. Here the same
//! kind of load runs in-process: `ADD` of 100 Zipf(1.1) items to a server-clock tracker, its
//! clock moving 20 ms per write (faster than part 5, so that its 5m window's buckets expire
//! too), alternating with `INGEST` of 100 events to an event-clock tracker, event time a
//! minute per 1,000 events and every 10th event 1 to 30 minutes late, over ten days of event
//! time (buckets of every window expire and compact, days finalize and are dropped); and
//! after every 5th write a `QUERY` of the top 100 of the tracker just written, for 5m, 1h
//! and 24h in turn, right after the write as part 5's queries come between writes. Both
//! trackers have windows 5m, 1h, 24h and DAILY 7. The load is replayed three times and each
//! command keeps its fastest time: a command slow in one replay only because the machine
//! took the CPU away does not count, while one with much work is slow in all three. Prints
//! `worst write: ...` and `worst query: ...` for `scripts/bench.sh`, which hands them to the
//! table's part 6. Run with `cargo bench -p wtopk-core --bench worst_command`.

mod common;

use std::time::Instant;

use common::zipf_ranks;
use wtopk_core::{ClockMode, Event, Tracker, TrackerConfig};

const REPLAYS: usize = 3;
/// Writes per replay, half to each tracker: 150,000 INGEST writes cover 10.4 days.
const WRITES: usize = 300_000;
const BATCH: usize = 100;
const UNIVERSE: usize = 100_000;
/// Zipf ranks drawn once and reused in turn.
const RANKS: usize = 1 << 20;
const START: i64 = 1_700_000_000_000;
const ADD_STEP_MS: i64 = 20;
const EVENT_STEP_MS: i64 = 60;
const LATE_EVERY: usize = 10;
const LATE_MINUTES: i64 = 30;
const MINUTE: i64 = 60_000;
/// A query follows every `QUERY_EVERY`-th write, to each tracker and for each of
/// `QUERY_SPANS` in turn (`QUERY_EVERY` is odd, so the writes it follows alternate).
const QUERY_EVERY: usize = 5;
const QUERY_SPANS: [u64; 3] = [5 * 60_000, 60 * 60_000, 24 * 60 * 60_000];

fn tracker(clock: ClockMode) -> Tracker {
    Tracker::new(TrackerConfig {
        clock,
        ..TrackerConfig::default()
    })
    .expect("the default windows and days are valid")
}

/// The event time of the `i`-th INGEST event, as part 5 sends it.
fn event_time(i: usize) -> i64 {
    let on_time = START + i as i64 * EVENT_STEP_MS;
    if i % LATE_EVERY == LATE_EVERY - 1 {
        let late = (i / LATE_EVERY) as i64 * 7 % LATE_MINUTES + 1;
        on_time - late * MINUTE
    } else {
        on_time
    }
}

/// The fastest time of each command over the replays, in nanoseconds.
struct Fastest {
    writes: Vec<u64>,
    queries: Vec<u64>,
}

impl Fastest {
    fn new() -> Self {
        Fastest {
            writes: vec![u64::MAX; WRITES],
            queries: vec![u64::MAX; WRITES / QUERY_EVERY],
        }
    }
}

/// Lowers `best` to the time `run` takes.
fn time(best: &mut u64, run: impl FnOnce()) {
    let started = Instant::now();
    run();
    *best = (*best).min(started.elapsed().as_nanos() as u64);
}

/// Runs the load once, lowering each command's entry in `fastest` to its time.
fn replay(names: &[Vec<u8>], ranks: &[usize], fastest: &mut Fastest) {
    let mut added = tracker(ClockMode::Server);
    let mut ingested = tracker(ClockMode::Event);
    let mut next_rank = 0;
    for (write, best) in fastest.writes.iter_mut().enumerate() {
        let first = write / 2 * BATCH;
        let is_add = write % 2 == 0;
        let now = START + write as i64 / 2 * ADD_STEP_MS;
        let events: Vec<Event<'_>> = (first..first + BATCH)
            .map(|i| {
                next_rank = (next_rank + 1) % ranks.len();
                Event {
                    ts: if is_add { now } else { event_time(i) },
                    item: &names[ranks[next_rank]],
                    count: 1,
                    id: None,
                }
            })
            .collect();
        let (target, now) = if is_add {
            (&mut added, now)
        } else {
            (&mut ingested, 0)
        };
        time(best, || {
            target.ingest(&events, now).expect("valid events");
        });
        if write % QUERY_EVERY == 0 {
            let query = write / QUERY_EVERY;
            let window = target
                .resolve_window(Some(QUERY_SPANS[query % QUERY_SPANS.len()]))
                .expect("the default windows");
            if let Some(best) = fastest.queries.get_mut(query) {
                time(best, || {
                    target.query(window, 100, now).expect("a valid query");
                });
            }
        }
    }
}

/// The worst of `fastest` with its index, and its 99th and 50th percentiles, in ms and us.
fn summary(fastest: &[u64]) -> (f64, usize, f64, f64) {
    let (worst, slowest) = fastest
        .iter()
        .enumerate()
        .map(|(index, &ns)| (ns, index))
        .max()
        .unwrap_or_default();
    let mut sorted = fastest.to_vec();
    sorted.sort_unstable();
    let at = |share: f64| sorted[((sorted.len() - 1) as f64 * share) as usize] as f64 / 1e3;
    (worst as f64 / 1e6, slowest, at(0.99), at(0.5))
}

fn main() {
    let names: Vec<Vec<u8>> = (0..UNIVERSE)
        .map(|i| format!("product:{i:08}").into_bytes())
        .collect();
    let ranks = zipf_ranks(UNIVERSE, 1.1, RANKS);
    let mut fastest = Fastest::new();
    for _ in 0..REPLAYS {
        replay(&names, &ranks, &mut fastest);
    }
    let (worst, slowest, p99, p50) = summary(&fastest.writes);
    let kind = if slowest % 2 == 0 { "ADD" } else { "INGEST" };
    println!("worst write: {worst:.2} ms ({kind}), p99 {p99:.0} us, p50 {p50:.0} us");
    println!(
        "({WRITES} writes of {BATCH} events, the worst #{slowest}, fastest of {REPLAYS} replays)"
    );
    let (worst, slowest, p99, p50) = summary(&fastest.queries);
    let tracker = if slowest * QUERY_EVERY % 2 == 0 {
        "ADD's"
    } else {
        "INGEST's"
    };
    let span = QUERY_SPANS[slowest % QUERY_SPANS.len()] / 60_000;
    println!(
        "worst query: {worst:.2} ms (top 100 of {span} min, {tracker} tracker), \
         p99 {p99:.0} us, p50 {p50:.0} us"
    );
}

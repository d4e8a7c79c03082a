//! Throughput measurement: a workload is a pool of pipelines encoded before the clock starts
//! (so the client spends its time writing bytes and reading replies, not formatting), and
//! `measure` replays it over N connections, one thread each, for a fixed time after a
//! warm-up, counting the pipelines that complete inside the timed span.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::client::{encode, pipeline};
use crate::server::connect;

pub struct Workload {
    pub name: String,
    pipelines: Vec<Vec<u8>>,
    /// Commands per pipeline.
    depth: usize,
    /// Items (events) carried by one pipeline.
    items_per_pipeline: usize,
    /// The pipeline being filled.
    current: Vec<u8>,
    current_commands: usize,
    current_items: usize,
}

impl Workload {
    /// An empty workload whose pipelines hold `depth` commands each.
    pub fn new(name: &str, depth: usize) -> Workload {
        Workload {
            name: name.to_string(),
            pipelines: Vec::new(),
            depth,
            items_per_pipeline: 0,
            current: Vec::new(),
            current_commands: 0,
            current_items: 0,
        }
    }

    /// Appends one command that carries `items` items (events).
    pub fn push<A: AsRef<[u8]>>(&mut self, args: &[A], items: usize) {
        encode(&mut self.current, args);
        self.current_commands += 1;
        self.current_items += items;
        if self.current_commands == self.depth {
            assert!(
                self.pipelines.is_empty() || self.items_per_pipeline == self.current_items,
                "every pipeline of {} must carry the same number of items",
                self.name
            );
            self.items_per_pipeline = self.current_items;
            self.pipelines.push(std::mem::take(&mut self.current));
            self.current_commands = 0;
            self.current_items = 0;
        }
    }

    pub fn pipelines(&self) -> usize {
        self.pipelines.len()
    }

    /// The encoded pipeline number `index` (of `pipelines()`), `depth` commands.
    pub fn pipeline(&self, index: usize) -> &[u8] {
        &self.pipelines[index]
    }
}

/// Commands and items completed per second.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub commands: f64,
    pub items: f64,
}

/// Replays `workload` over `connections` connections to `port`: `warmup` untimed, then
/// `time` timed. Each connection starts at its own place in the pool and wraps around.
pub fn measure(
    port: u16,
    workload: &Workload,
    connections: usize,
    warmup: Duration,
    time: Duration,
) -> Rate {
    assert!(
        workload.pipelines() > 0,
        "workload {} has no complete pipeline",
        workload.name
    );
    let barrier = Barrier::new(connections + 1);
    let completed: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|index| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut con = connect(port).unwrap_or_else(|e| panic!("{e}"));
                    let pool = &workload.pipelines;
                    let mut next = index * pool.len() / connections;
                    barrier.wait();
                    let started = Instant::now();
                    let timed_from = started + warmup;
                    let until = timed_from + time;
                    let mut timed = 0usize;
                    loop {
                        pipeline(&mut con, &pool[next], workload.depth, &workload.name);
                        next = (next + 1) % pool.len();
                        let now = Instant::now();
                        if now >= until {
                            break;
                        }
                        if now >= timed_from {
                            timed += 1;
                        }
                    }
                    timed
                })
            })
            .collect();
        barrier.wait();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a load thread panicked"))
            .sum()
    });
    let seconds = time.as_secs_f64();
    Rate {
        commands: (completed * workload.depth) as f64 / seconds,
        items: (completed * workload.items_per_pipeline) as f64 / seconds,
    }
}

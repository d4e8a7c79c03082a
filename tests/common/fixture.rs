//! A fixed set of trackers with varied configurations and state, for the persistence,
//! replication and payload tests: an event-clock tracker with DEDUPE and 1,500 seeded random
//! events (ids partly repeated) over an hour and an ADVANCE (buckets expired, windows partly
//! empty), one with `WINDOW all`, a server-clock tracker fed by ADD, INCRBY and INGEST `*`,
//! and an empty one with most CREATE options. `continue_writes` adds the same further writes
//! to a tracker anywhere, so a reloaded tracker can be compared with one that never was.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::Connection;

use super::replies::{info, run};
use super::snapshot::{snapshot, Snapshot};

/// One tracker of the fixture.
#[derive(Clone, Copy, Debug)]
pub struct Tracker {
    pub key: &'static str,
    /// `CLOCK EVENT`: T is part of the state; under `CLOCK SERVER` it follows the wall clock.
    pub event_clock: bool,
}

pub const TRACKERS: [Tracker; 4] = [
    Tracker {
        key: "ev",
        event_clock: true,
    },
    Tracker {
        key: "forever",
        event_clock: true,
    },
    Tracker {
        key: "srv",
        event_clock: false,
    },
    Tracker {
        key: "cfg",
        event_clock: false,
    },
];

/// Event times of the fixture start here (2023-11-14).
pub const BASE_TS: i64 = 1_700_000_000_000;

/// Creates and fills every tracker of the fixture.
pub fn fill(con: &mut Connection) {
    run(
        con,
        &[
            "TOPK.CREATE",
            "ev",
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
            "DEDUPE",
            "30m",
        ],
    );
    let mut rng = StdRng::seed_from_u64(7);
    let mut ts = BASE_TS;
    for _ in 0..15 {
        let mut args = vec!["TOPK.INGEST".to_string(), "ev".to_string()];
        for _ in 0..100 {
            ts += rng.gen_range(0..5_000);
            let item = format!("item-{}", rng.gen_range(0..120));
            let count = rng.gen_range(1..=100).to_string();
            let id = format!("id-{}", rng.gen_range(0..3_000));
            args.extend([ts.to_string(), item, count, id]);
        }
        run(con, args);
    }
    run(con, &["TOPK.ADVANCE", "ev", &(ts + 30_000).to_string()]);

    run(
        con,
        &[
            "TOPK.CREATE",
            "forever",
            "CLOCK",
            "EVENT",
            "WINDOW",
            "1m",
            "WINDOW",
            "all",
        ],
    );
    for (offset, item) in [(0, "old"), (3_600_000, "mid"), (7_200_000, "new")] {
        let ts = (BASE_TS + offset).to_string();
        run(con, &["TOPK.INGEST", "forever", &ts, item, "3", "-"]);
    }

    run(con, &["TOPK.ADD", "srv", "a", "b", "c", "a"]);
    run(con, &["TOPK.INCRBY", "srv", "d", "10", "a", "3"]);
    run(con, &["TOPK.INGEST", "srv", "*", "e", "2", "-"]);

    run(
        con,
        &[
            "TOPK.CREATE",
            "cfg",
            "WINDOW",
            "10s",
            "WINDOW",
            "2h",
            "LATENESS",
            "1m",
            "K",
            "5",
            "FUTURE",
            "30s",
            "DEDUPE",
            "10m",
        ],
    );
}

/// The same further writes to tracker `key`, wherever it lives: events just after its T (and
/// an ADVANCE) under `CLOCK EVENT`, INCRBY under `CLOCK SERVER`.
pub fn continue_writes(con: &mut Connection, key: &str, event_clock: bool) {
    if event_clock {
        let t = info(con, key).clock();
        let mut args = vec!["TOPK.INGEST".to_string(), key.to_string()];
        let events = [
            ("item-1", "w-1"),
            ("item-2", "w-2"),
            ("fresh", "w-1"),
            ("item-1", "id-7"),
        ];
        for (i, (item, id)) in events.iter().enumerate() {
            let ts = t + 1_000 * i64::try_from(i).expect("small");
            args.extend([ts.to_string(), item.to_string(), "7".into(), id.to_string()]);
        }
        run(con, args);
        run(con, &["TOPK.ADVANCE", key, &(t + 90_000).to_string()]);
    } else {
        run(con, &["TOPK.INCRBY", key, "a", "2", "fresh", "5"]);
    }
}

/// Snapshots of every tracker of the fixture (without T for server-clock ones).
pub fn snapshots(con: &mut Connection) -> Vec<(&'static str, Snapshot)> {
    TRACKERS
        .iter()
        .map(|tracker| {
            let snap = tracker_snapshot(con, tracker.key, tracker.event_clock);
            (tracker.key, snap)
        })
        .collect()
}

/// The snapshot of tracker `key`, without T unless it runs under `CLOCK EVENT`.
pub fn tracker_snapshot(con: &mut Connection, key: &str, event_clock: bool) -> Snapshot {
    let snap = snapshot(con, key);
    if event_clock {
        snap
    } else {
        snap.without_clock()
    }
}

/// `continue_writes` on every tracker of the fixture.
pub fn continue_all(con: &mut Connection) {
    for tracker in TRACKERS {
        continue_writes(con, tracker.key, tracker.event_clock);
    }
}

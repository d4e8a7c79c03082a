//! Shard summaries (`Tracker::summary`) merged with `SpaceSaving::merge` bound the whole
//! stream: one stream is split over three trackers (by event, so every item lives on every
//! shard), each shard's summary of a window is merged, and the merged bounds are checked
//! against an EXACT tracker fed the whole stream, in both modes and for a sliding window and
//! the all-time window.

use std::collections::HashMap;

use wtopk_core::space_saving::SpaceSaving;
use wtopk_core::{ClockMode, Event, Mode, QueryWindow, Tracker, TrackerConfig, WindowSpec};

const START: i64 = 1_767_225_600_000;
const HOUR: u64 = 3_600_000;
const SHARDS: usize = 3;

fn tracker(mode: Mode) -> Tracker {
    Tracker::new(TrackerConfig {
        windows: vec![WindowSpec::sliding(HOUR), WindowSpec::all_time()],
        k: 20,
        clock: ClockMode::Event,
        daily: None,
        mode,
        ..TrackerConfig::default()
    })
    .expect("valid config")
}

/// splitmix64
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

fn check_merged(merged: &SpaceSaving<Vec<u8>>, truth: &Tracker, window: QueryWindow, what: &str) {
    let t = truth.stored_clock();
    let everything = truth.query(window, 20, t).expect("query");
    let total: u64 = {
        let summary = truth.summary(window, 20, t).expect("summary");
        summary.total()
    };
    assert_eq!(merged.total(), total, "{what}: total");
    let mut checked = 0;
    let items: Vec<Vec<u8>> = (0..200).map(|i| format!("item-{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    let counts = truth.count(window, &refs, t).expect("count");
    let truth_by_item: HashMap<&[u8], u64> = refs.iter().copied().zip(counts).collect();
    for (item, count) in &truth_by_item {
        let (lower, upper) = merged.bounds(&item.to_vec());
        assert!(
            lower <= *count && *count <= upper,
            "{what}: {item:?} true {count} outside [{lower}, {upper}]"
        );
        if *count > merged.unlisted() {
            assert!(
                merged.get(&item.to_vec()).is_some(),
                "{what}: heavy {item:?} unlisted"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 200);
    let heaviest = &everything[0];
    assert!(
        merged.get(&heaviest.0.to_vec()).is_some(),
        "{what}: the heaviest item is listed"
    );
}

#[test]
fn merged_shard_summaries_bound_the_whole_stream() {
    for (seed, mode) in [
        (1, Mode::Exact),
        (2, Mode::Approx { capacity: 20 }),
        (3, Mode::Approx { capacity: 40 }),
    ] {
        let mut rng = Rng(seed);
        let mut whole = tracker(Mode::Exact);
        let mut shards: Vec<Tracker> = (0..SHARDS).map(|_| tracker(mode)).collect();
        let items: Vec<Vec<u8>> = (0..200).map(|i| format!("item-{i}").into_bytes()).collect();
        let mut ts = START;
        for _ in 0..6_000 {
            ts += rng.below(2_000) as i64;
            let rank = rng.below(200);
            let event = Event {
                ts: ts - rng.below(60_000) as i64,
                item: &items[(rank * rank / 200) as usize],
                count: 1 + rng.below(5),
                id: None,
            };
            whole.ingest(&[event], 0).expect("valid event");
            let shard = rng.below(SHARDS as u64) as usize;
            shards[shard].ingest(&[event], 0).expect("valid event");
        }
        let t = whole.stored_clock();
        for shard in &mut shards {
            shard.advance(t, 0);
        }
        for length in [Some(HOUR), None] {
            let window = whole.resolve_window(length).expect("configured");
            let mut merged = SpaceSaving::new(20);
            for shard in &shards {
                merged.merge(&shard.summary(window, 20, t).expect("summary"));
            }
            check_merged(&merged, &whole, window, &format!("seed {seed} {length:?}"));
        }
    }
}

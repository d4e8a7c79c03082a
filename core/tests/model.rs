//! The tracker against a brute-force model of SPEC.md's window semantics. The model keeps
//! every event with the windows that counted it, judged in order against the clock T left by
//! the events before (SPEC "Lateness"), and answers a window at clock T by summing the events
//! of the buckets the window still covers. The test asserts that (1) that bucket-resolution
//! answer lies within SPEC's bounds (every event with `T - W < ts <= T`, none older than
//! `T - W - g`), and (2) the tracker's top-k and counts equal it exactly, for configured
//! windows, derived durations, reads at a later clock, and after an encode/decode round trip.

use std::collections::HashMap;

use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::{ClockMode, Event, QueryWindow, Tracker, TrackerConfig, WindowSpec};

/// splitmix64: a small deterministic generator, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Recorded {
    ts: i64,
    item: Vec<u8>,
    count: u64,
    counted_by: Vec<bool>,
}

struct Model {
    specs: Vec<WindowSpec>,
    clock_mode: ClockMode,
    future: i64,
    clock: i64,
    events: Vec<Recorded>,
}

impl Model {
    fn clock_at(&self, now: i64) -> i64 {
        match self.clock_mode {
            ClockMode::Server => self.clock.max(now),
            ClockMode::Event => self.clock,
        }
    }

    /// Judges like SPEC: future bound, then per-window outside/late, against T so far.
    fn ingest(&mut self, ts: i64, item: &[u8], count: u64, now: i64) -> bool {
        self.clock = self.clock_at(now);
        if self.clock_mode == ClockMode::Server && ts > now + self.future {
            return false;
        }
        let t = self.clock;
        let counted_by: Vec<bool> = self
            .specs
            .iter()
            .map(|w| w.is_all_time() || (ts > t - w.length as i64 && ts >= t - w.lateness as i64))
            .collect();
        let accepted = counted_by.iter().any(|&c| c);
        if accepted {
            self.clock = self.clock.max(ts);
            self.events.push(Recorded {
                ts,
                item: item.to_vec(),
                count,
                counted_by,
            });
        }
        accepted
    }

    /// Per-item counts of window `index` over the last `span` ms at clock `t`, at the
    /// resolution of that window's buckets, checked against SPEC's bounds.
    fn counts(&self, index: usize, span: u64, t: i64) -> HashMap<Vec<u8>, u64> {
        let spec = self.specs[index];
        let mut exact: HashMap<Vec<u8>, u64> = HashMap::new();
        if spec.is_all_time() {
            for e in self.events.iter().filter(|e| e.counted_by[index]) {
                *exact.entry(e.item.clone()).or_default() += e.count;
            }
            return exact;
        }
        let g = spec.bucket_width() as i64;
        let first_bucket = (t - span as i64 + 1).max(0).div_euclid(g);
        let mut lower: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut upper: HashMap<Vec<u8>, u64> = HashMap::new();
        for e in self
            .events
            .iter()
            .filter(|e| e.counted_by[index] && e.ts <= t)
        {
            if e.ts.div_euclid(g) >= first_bucket {
                *exact.entry(e.item.clone()).or_default() += e.count;
            }
            if e.ts > t - span as i64 {
                *lower.entry(e.item.clone()).or_default() += e.count;
            }
            if e.ts > t - span as i64 - g {
                *upper.entry(e.item.clone()).or_default() += e.count;
            }
        }
        for (item, &low) in &lower {
            assert!(
                exact.get(item).copied().unwrap_or(0) >= low,
                "below SPEC's lower bound"
            );
        }
        for (item, &count) in &exact {
            assert!(
                count <= upper.get(item).copied().unwrap_or(0),
                "above SPEC's upper bound"
            );
        }
        exact
    }
}

fn ranked(counts: &HashMap<Vec<u8>, u64>, k: usize) -> Vec<(Vec<u8>, u64)> {
    let mut all: Vec<(Vec<u8>, u64)> = counts
        .iter()
        .map(|(i, &c)| (i.clone(), c))
        .filter(|p| p.1 > 0)
        .collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn check_window(tracker: &Tracker, model: &Model, window: QueryWindow, now: i64, k: usize) {
    let t = model.clock_at(now);
    assert_eq!(tracker.clock_at(now), t, "clock");
    let (index, span) = match window {
        QueryWindow::Configured(i) => (i, model.specs[i].length),
        QueryWindow::Derived { window, span } => (window, span),
    };
    let expected = model.counts(index, span, t);
    let got: Vec<(Vec<u8>, u64)> = tracker
        .query(window, k, now)
        .unwrap()
        .into_iter()
        .map(|(i, c)| (i.to_vec(), c))
        .collect();
    assert_eq!(got, ranked(&expected, k), "top-{k} of {window:?} at T={t}");
    let items: Vec<Vec<u8>> = expected
        .keys()
        .take(20)
        .cloned()
        .chain([b"never-seen".to_vec()])
        .collect();
    let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    let counts = tracker.count(window, &refs, now).unwrap();
    for (item, count) in items.iter().zip(counts) {
        assert_eq!(
            count,
            expected.get(item).copied().unwrap_or(0),
            "COUNT {item:?}"
        );
    }
}

fn run(seed: u64, clock_mode: ClockMode, events: usize) {
    let specs = vec![
        WindowSpec::sliding(60_000),
        WindowSpec {
            length: 600_000,
            lateness: 120_000,
        },
        WindowSpec::sliding(3_600_000),
        WindowSpec::all_time(),
    ];
    let config = TrackerConfig {
        windows: specs.clone(),
        k: 50,
        clock: clock_mode,
        future: 60_000,
    };
    let mut tracker = Tracker::new(config).unwrap();
    let mut model = Model {
        specs,
        clock_mode,
        future: 60_000,
        clock: 0,
        events: Vec::new(),
    };
    let mut rng = Rng(seed);
    let mut now: i64 = 1_700_000_000_000;
    let items: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("item-{i:03}").into_bytes())
        .collect();
    let mut sent = 0;
    let mut batch_no = 0;
    while sent < events {
        let size = (1 + rng.below(200) as usize).min(events - sent);
        let mut batch = Vec::with_capacity(size);
        for _ in 0..size {
            now += rng.below(3_000) as i64;
            let ts = match rng.below(20) {
                0 => now - 3_000_000 - rng.below(2_000_000) as i64,
                1 => now + rng.below(120_000) as i64,
                2..=5 => now - rng.below(400_000) as i64,
                _ => now - rng.below(5_000) as i64,
            };
            let item = &items[(rng.below(300) * rng.below(300) / 300) as usize];
            batch.push((ts, item.clone(), 1 + rng.below(1000)));
        }
        let events_in: Vec<Event<'_>> = batch
            .iter()
            .map(|(ts, item, count)| Event {
                ts: *ts,
                item,
                count: *count,
                id: None,
            })
            .collect();
        let outcome = tracker.ingest(&events_in, now).unwrap();
        let accepted = batch
            .iter()
            .filter(|(ts, item, count)| model.ingest(*ts, item, *count, now))
            .count();
        assert_eq!(
            outcome.accepted as usize, accepted,
            "seed {seed} batch {batch_no}"
        );
        assert_eq!(outcome.accepted + outcome.dropped, size as u64);
        sent += size;
        batch_no += 1;
        if batch_no % 7 == 0 {
            tracker = decode(&encode(&tracker)).unwrap();
        }
        let reads_at = [now, now + rng.below(400_000) as i64];
        for read_now in reads_at {
            for i in 0..4 {
                check_window(&tracker, &model, QueryWindow::Configured(i), read_now, 50);
                check_window(&tracker, &model, QueryWindow::Configured(i), read_now, 3);
            }
            let span = 60_000 + rng.below(3_540_000);
            check_window(
                &tracker,
                &model,
                QueryWindow::Derived { window: 2, span },
                read_now,
                50,
            );
        }
    }
    let restored = decode(&encode(&tracker)).unwrap();
    assert_eq!(digest_bytes(&restored), digest_bytes(&tracker));
}

#[test]
fn event_clock_matches_the_model_over_10000_events() {
    for seed in [1, 2, 3] {
        run(seed, ClockMode::Event, 10_000);
    }
}

#[test]
fn server_clock_matches_the_model_over_10000_events() {
    for seed in [11, 12] {
        run(seed, ClockMode::Server, 10_000);
    }
}

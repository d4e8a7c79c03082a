//! The tracker against a brute-force model of SPEC.md's event-time semantics. The model keeps
//! every event with the windows that counted it, judged in order against the clock T left by
//! the events before: the future bound, then dedupe (ids accepted at `>= T - horizon`), then
//! each window's and the day's lateness. It answers a window at clock T by summing the events
//! of the buckets the window still covers, and asserts that this lies within SPEC's bounds
//! (every event with `T - W < ts <= T`, none older than `T - W - g`); days are computed
//! independently with chrono-tz. The tracker must match it exactly: INGEST counters, top-k
//! and counts of configured windows, derived durations and reads at a later clock, every
//! retained day's status, total and top-k, also after encode/decode round trips.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use wtopk_core::calendar::Day;
use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::{
    Bounds, ClockMode, DailySpec, DayRef, Event, Mode, QueryWindow, Tracker, TrackerConfig,
    WindowSpec,
};

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

/// The daily rollup's model: local days computed by chrono-tz, counts per day.
struct DaysModel {
    zone: Tz,
    kept: i32,
    lateness: i64,
    counts: HashMap<i32, HashMap<Vec<u8>, u64>>,
}

const EPOCH_DAY: i32 = 719_163;

impl DaysModel {
    fn day_of(&self, ts: i64) -> i32 {
        use chrono::Datelike;
        let local = self.zone.timestamp_millis_opt(ts).unwrap().date_naive();
        local.num_days_from_ce() - EPOCH_DAY
    }

    /// First instant of the local day: midnight, or the first valid time after a gap.
    fn start_of(&self, day: i32) -> i64 {
        let date = NaiveDate::from_num_days_from_ce_opt(day + EPOCH_DAY).unwrap();
        (0..24 * 60)
            .find_map(|minute| {
                let local = date.and_hms_opt(minute / 60, minute % 60, 0).unwrap();
                self.zone.from_local_datetime(&local).earliest()
            })
            .unwrap()
            .timestamp_millis()
    }

    fn is_final(&self, day: i32, t: i64) -> bool {
        t >= self.start_of(day + 1) + self.lateness
    }

    fn oldest_retained(&self, t: i64) -> i32 {
        let mut oldest = self.day_of(t) - self.kept;
        while !self.is_final(oldest - 1, t) {
            oldest -= 1;
        }
        oldest
    }

    fn counts(&self, ts: i64, t: i64) -> bool {
        let day = self.day_of(ts);
        day >= self.oldest_retained(t) && !self.is_final(day, t)
    }
}

struct Model {
    specs: Vec<WindowSpec>,
    clock_mode: ClockMode,
    future: i64,
    clock: i64,
    events: Vec<Recorded>,
    days: Option<DaysModel>,
    dedupe: i64,
    ids: HashMap<Vec<u8>, i64>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counters {
    accepted: u64,
    duplicates: u64,
    dropped: u64,
    late: u64,
}

impl Model {
    fn clock_at(&self, now: i64) -> i64 {
        match self.clock_mode {
            ClockMode::Server => self.clock.max(now),
            ClockMode::Event => self.clock,
        }
    }

    /// Judges like SPEC: future bound, dedupe, then per-window and per-day lateness, against
    /// the clock so far.
    fn ingest(
        &mut self,
        ts: i64,
        item: &[u8],
        count: u64,
        id: Option<&[u8]>,
        now: i64,
        counters: &mut Counters,
    ) {
        self.clock = self.clock_at(now);
        if self.clock_mode == ClockMode::Server && ts > now + self.future {
            counters.dropped += 1;
            return;
        }
        let t = self.clock;
        if let Some(id) = id.filter(|_| self.dedupe > 0) {
            if self
                .ids
                .get(id)
                .is_some_and(|&seen| seen >= t - self.dedupe)
            {
                counters.duplicates += 1;
                return;
            }
        }
        let mut late = false;
        let counted_by: Vec<bool> = self
            .specs
            .iter()
            .map(|w| {
                let inside = w.is_all_time() || ts > t - w.length as i64;
                let in_time = w.is_all_time() || ts >= t - w.lateness as i64;
                late |= inside && !in_time;
                inside && in_time
            })
            .collect();
        let day_counts = self.days.as_ref().map(|days| days.counts(ts, t));
        late |= day_counts == Some(false);
        counters.late += u64::from(late);
        if !counted_by.contains(&true) && day_counts != Some(true) {
            counters.dropped += 1;
            return;
        }
        counters.accepted += 1;
        self.clock = self.clock.max(ts);
        if let Some(days) = self.days.as_mut().filter(|_| day_counts == Some(true)) {
            let day = days.day_of(ts);
            *days
                .counts
                .entry(day)
                .or_default()
                .entry(item.to_vec())
                .or_default() += count;
        }
        if let Some(id) = id.filter(|_| self.dedupe > 0) {
            let seen = self.ids.entry(id.to_vec()).or_insert(ts);
            *seen = (*seen).max(ts);
        }
        self.events.push(Recorded {
            ts,
            item: item.to_vec(),
            count,
            counted_by,
        });
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

fn check_window(
    tracker: &Tracker,
    model: &Model,
    window: QueryWindow,
    now: i64,
    k: usize,
    exact: bool,
) {
    let t = model.clock_at(now);
    assert_eq!(tracker.clock_at(now), t, "clock");
    let (index, span) = match window {
        QueryWindow::Configured(i) => (i, model.specs[i].length),
        QueryWindow::Derived { window, span } => (window, span),
    };
    let expected = model.counts(index, span, t);
    let answer = tracker.query(window, k, now).unwrap();
    if exact {
        let got: Vec<(Vec<u8>, u64)> = answer.iter().map(|(i, c)| (i.to_vec(), c.count)).collect();
        assert_eq!(got, ranked(&expected, k), "top-{k} of {window:?} at T={t}");
    } else {
        check_bounds(
            &answer,
            &expected,
            k,
            &format!("top-{k} of {window:?} at T={t}"),
        );
    }
    let items: Vec<Vec<u8>> = expected
        .keys()
        .take(20)
        .cloned()
        .chain([b"never-seen".to_vec()])
        .chain(answer.iter().map(|(i, _)| i.to_vec()))
        .chain([b"never-seen".to_vec()])
        .collect();
    let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    let counts = tracker.count(window, &refs, now).unwrap();
    for (item, count) in items.iter().zip(counts) {
        if exact {
            let truth = expected.get(item).copied().unwrap_or(0);
            assert_eq!(count, truth, "COUNT {item:?}");
        } else if let Some((_, reported)) = answer.iter().find(|(i, _)| *i == item.as_slice()) {
            assert_eq!(count, reported.count, "COUNT and QUERY agree on {item:?}");
        } else if item == b"never-seen" {
            assert_eq!(count, 0, "COUNT of an item never sent");
        }
    }
}

/// An approximate answer: ranked by estimate, every estimate the midpoint of its bounds,
/// and the true count within the bounds.
fn check_bounds(answer: &[(&[u8], Bounds)], truth: &HashMap<Vec<u8>, u64>, k: usize, what: &str) {
    assert!(answer.len() <= k, "{what}: {} items", answer.len());
    for pair in answer.windows(2) {
        let ((a, x), (b, y)) = (pair[0], pair[1]);
        assert!(
            x.count > y.count || (x.count == y.count && a < b),
            "{what}: order"
        );
    }
    for (item, bounds) in answer {
        let truth = truth.get(*item).copied().unwrap_or(0);
        assert_eq!(
            bounds.count,
            bounds.lower + (bounds.upper - bounds.lower) / 2,
            "{what}: estimate of {item:?}"
        );
        assert!(
            bounds.lower <= truth && truth <= bounds.upper,
            "{what}: {item:?} true {truth} outside {bounds:?}"
        );
    }
}

/// Every retained day at the read clock: status, total and top-k as the model has them.
fn check_days(tracker: &Tracker, model: &Model, now: i64, exact: bool) {
    let Some(days) = &model.days else {
        return;
    };
    let t = model.clock_at(now);
    let statuses = tracker.day_statuses(now).unwrap();
    let today = days.day_of(t);
    let oldest = days.oldest_retained(t);
    let expected: Vec<(i32, bool, u64)> = (oldest..=today)
        .rev()
        .map(|day| {
            let total = days.counts.get(&day).map_or(0, |c| c.values().sum());
            (day, days.is_final(day, t), total)
        })
        .collect();
    let got: Vec<(i32, bool, u64)> = statuses
        .iter()
        .map(|s| (s.day.0, s.is_final, s.total))
        .collect();
    assert_eq!(got, expected, "DAYS at T={t}");
    for (back, (day, _, _)) in expected.iter().enumerate() {
        let resolved = tracker
            .resolve_day(DayRef::DaysAgo(back as u32), now)
            .unwrap();
        assert_eq!(resolved, Day(*day));
        let answer = tracker.day_top(resolved, 10).unwrap();
        let empty = HashMap::new();
        let truth = days.counts.get(day).unwrap_or(&empty);
        if exact {
            let top: Vec<(Vec<u8>, u64)> =
                answer.iter().map(|(i, c)| (i.to_vec(), c.count)).collect();
            assert_eq!(top, ranked(truth, 10), "DAY {day}");
        } else {
            check_bounds(&answer, truth, 10, &format!("DAY {day}"));
        }
    }
    assert!(tracker
        .resolve_day(DayRef::DaysAgo((today - oldest + 1) as u32), now)
        .is_err());
    assert!(tracker
        .resolve_day(DayRef::Date(Day(today + 1)), now)
        .is_err());
}

/// What a run streams into the tracker and the model.
struct Scenario {
    seed: u64,
    clock: ClockMode,
    events: usize,
    /// First server time (ms since the epoch).
    start: i64,
    /// Largest step of the server clock between two events (ms).
    max_step: u64,
    /// The daily rollup's zone, if any (7 days kept, 10 minutes of lateness).
    zone: Option<&'static str>,
    /// Dedupe horizon (ms), 0 for none.
    dedupe: u64,
    mode: Mode,
    /// Whether a third of the batches are like ADD's: every event at one time, no ids.
    same_time_batches: bool,
}

fn run(scenario: Scenario) {
    let Scenario {
        seed,
        clock: clock_mode,
        events,
        start,
        max_step,
        zone,
        dedupe,
        mode,
        same_time_batches,
    } = scenario;
    // 300 distinct items: an APPROX tracker with room for all of them must be exact.
    let exact = match mode {
        Mode::Exact => true,
        Mode::Approx { capacity } => capacity >= 300,
    };
    let specs = vec![
        WindowSpec {
            length: 60_000,
            lateness: 30_000,
        },
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
        daily: zone.map(|zone| DailySpec {
            zone: zone.to_string(),
            days: 7,
            lateness: 600_000,
        }),
        dedupe,
        mode,
    };
    let mut tracker = Tracker::new(config).unwrap();
    let mut never_decoded = tracker.clone();
    let mut model = Model {
        specs,
        clock_mode,
        future: 60_000,
        clock: 0,
        events: Vec::new(),
        days: zone.map(|zone| DaysModel {
            zone: zone.parse().unwrap(),
            kept: 7,
            lateness: 600_000,
            counts: HashMap::new(),
        }),
        dedupe: dedupe as i64,
        ids: HashMap::new(),
    };
    let mut rng = Rng(seed);
    let mut now: i64 = start;
    let mut counters = Counters::default();
    let mut next_id = 0u64;
    let items: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("item-{i:03}").into_bytes())
        .collect();
    let mut sent = 0;
    let mut batch_no = 0;
    while sent < events {
        let size = (1 + rng.below(200) as usize).min(events - sent);
        let mut batch: Vec<(i64, Vec<u8>, u64, Option<String>)> = Vec::with_capacity(size);
        let same_time = same_time_batches && rng.below(3) == 0;
        for _ in 0..size {
            now += rng.below(max_step) as i64;
            let ts = match rng.below(20) {
                0 => now - 3_000_000 - rng.below(2_000_000) as i64,
                1 => now + rng.below(120_000) as i64,
                2..=5 => now - rng.below(400_000) as i64,
                6 => now - rng.below(3_600_000) as i64,
                _ => now - rng.below(5_000) as i64,
            };
            let item = &items[(rng.below(300) * rng.below(300) / 300) as usize];
            let id = match rng.below(4) {
                0 => None,
                1 => Some(format!("id-{}", next_id.saturating_sub(rng.below(50)))),
                _ => {
                    next_id += 1;
                    Some(format!("id-{next_id}"))
                }
            };
            let (ts, id) = match batch.first() {
                Some(&(first, ..)) if same_time => (first, None),
                _ if same_time => (ts, None),
                _ => (ts, id),
            };
            batch.push((ts, item.clone(), 1 + rng.below(1000), id));
        }
        let events_in: Vec<Event<'_>> = batch
            .iter()
            .map(|(ts, item, count, id)| Event {
                ts: *ts,
                item,
                count: *count,
                id: id.as_ref().map(|id| id.as_bytes()),
            })
            .collect();
        let outcome = tracker.ingest(&events_in, now).unwrap();
        never_decoded.ingest(&events_in, now).unwrap();
        let mut expected = Counters::default();
        for (ts, item, count, id) in &batch {
            model.ingest(
                *ts,
                item,
                *count,
                id.as_ref().map(|id| id.as_bytes()),
                now,
                &mut expected,
            );
        }
        let got = Counters {
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            dropped: outcome.dropped,
            late: outcome.late,
        };
        assert_eq!(got, expected, "seed {seed} batch {batch_no}");
        counters.accepted += got.accepted;
        counters.duplicates += got.duplicates;
        assert_eq!(tracker.stats().accepted, counters.accepted);
        assert_eq!(tracker.stats().duplicate, counters.duplicates);
        sent += size;
        batch_no += 1;
        if batch_no % 7 == 0 {
            tracker = decode(&encode(&tracker)).unwrap();
        }
        assert_eq!(
            digest_bytes(&tracker),
            digest_bytes(&never_decoded),
            "a decoded tracker evolves like the original (seed {seed} batch {batch_no})"
        );
        let reads_at = [now, now + rng.below(400_000) as i64];
        for read_now in reads_at {
            for i in 0..4 {
                for k in [50, 3] {
                    let window = QueryWindow::Configured(i);
                    check_window(&tracker, &model, window, read_now, k, exact);
                }
            }
            let span = 60_000 + rng.below(3_540_000);
            check_window(
                &tracker,
                &model,
                QueryWindow::Derived { window: 2, span },
                read_now,
                50,
                exact,
            );
            check_days(&tracker, &model, read_now, exact);
        }
    }
    let restored = decode(&encode(&tracker)).unwrap();
    assert_eq!(digest_bytes(&restored), digest_bytes(&tracker));
}

const NOVEMBER_2023: i64 = 1_700_000_000_000;

#[test]
fn event_clock_matches_the_model_over_10000_events() {
    for seed in [1, 2, 3] {
        run(Scenario {
            seed,
            clock: ClockMode::Event,
            events: 10_000,
            start: NOVEMBER_2023,
            max_step: 3_000,
            zone: None,
            dedupe: 0,
            mode: Mode::Exact,
            same_time_batches: false,
        });
    }
}

#[test]
fn server_clock_matches_the_model_over_10000_events() {
    for seed in [11, 12] {
        run(Scenario {
            seed,
            clock: ClockMode::Server,
            events: 10_000,
            start: NOVEMBER_2023,
            max_step: 3_000,
            zone: None,
            dedupe: 0,
            mode: Mode::Exact,
            same_time_batches: false,
        });
    }
}

/// Ten days of events across a DST switch (about 86 s apart), with duplicate ids and late
/// events, for each switch of Europe/Berlin and America/New_York in 2026.
#[test]
fn days_across_dst_switches_match_the_model() {
    let cases = [
        ("Europe/Berlin", 1_774_310_400_000), // 2026-03-24; clocks spring forward on 03-29
        ("Europe/Berlin", 1_792_454_400_000), // 2026-10-20; clocks fall back on 10-25
        ("America/New_York", 1_772_409_600_000), // 2026-03-02; clocks spring forward on 03-08
        ("America/New_York", 1_793_059_200_000), // 2026-10-27; clocks fall back on 11-01
    ];
    for (seed, (zone, start)) in cases.into_iter().enumerate() {
        for clock in [ClockMode::Event, ClockMode::Server] {
            run(Scenario {
                seed: 100 + seed as u64,
                clock,
                events: 10_000,
                start,
                max_step: 172_000,
                zone: Some(zone),
                dedupe: 1_800_000,
                mode: Mode::Exact,
                same_time_batches: false,
            });
        }
    }
}

/// Dense traffic with many repeated ids: exactly-once within a 10-minute horizon.
#[test]
fn dedupe_matches_the_model() {
    for seed in [21, 22] {
        run(Scenario {
            seed,
            clock: ClockMode::Event,
            events: 10_000,
            start: NOVEMBER_2023,
            max_step: 3_000,
            zone: Some("UTC"),
            dedupe: 600_000,
            mode: Mode::Exact,
            same_time_batches: false,
        });
    }
}

/// 10,000 events from 2026-03-24 00:00 UTC, at most 40 s apart: about two and a half days,
/// so several days finalize in `zone`.
fn spring_2026(
    seed: u64,
    clock: ClockMode,
    zone: &'static str,
    dedupe: u64,
    mode: Mode,
) -> Scenario {
    Scenario {
        seed,
        clock,
        events: 10_000,
        start: 1_774_310_400_000,
        max_step: 40_000,
        zone: Some(zone),
        dedupe,
        mode,
        same_time_batches: false,
    }
}

/// APPROX with room for every item answers exactly what EXACT answers.
#[test]
fn approx_with_room_for_every_item_matches_the_model_exactly() {
    for (seed, clock) in [(31, ClockMode::Event), (32, ClockMode::Server)] {
        run(spring_2026(
            seed,
            clock,
            "Europe/Berlin",
            600_000,
            Mode::Approx { capacity: 300 },
        ));
    }
}

/// APPROX at a capacity of K = 50 over 300 items: every reported bound holds, in every
/// window, derived span and day, and a decoded tracker evicts exactly like the original.
#[test]
fn approx_bounds_hold_against_the_model() {
    for (seed, clock) in [
        (41, ClockMode::Event),
        (42, ClockMode::Server),
        (43, ClockMode::Event),
    ] {
        run(spring_2026(
            seed,
            clock,
            "America/New_York",
            0,
            Mode::Approx { capacity: 50 },
        ));
    }
}

/// Batches like ADD's (every event at one time, no ids), which an EXACT tracker counts as
/// one sum per item: with late and future times, days that finalize, dedupe on for the other
/// batches, and both clocks.
#[test]
fn same_time_batches_match_the_model() {
    for (seed, clock, mode) in [
        (51, ClockMode::Event, Mode::Exact),
        (52, ClockMode::Server, Mode::Exact),
        (53, ClockMode::Server, Mode::Approx { capacity: 400 }),
    ] {
        run(Scenario {
            same_time_batches: true,
            ..spring_2026(seed, clock, "Europe/Berlin", 3_600_000, mode)
        });
    }
}

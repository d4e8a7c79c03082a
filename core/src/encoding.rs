//! The versioned binary encoding of a tracker (RDB, DUMP/RESTORE) and its canonical digest
//! bytes. The body is postcard behind a magic and a version byte; decoding validates every
//! field and allocates nothing from a length it has not checked against the input.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::approx::{ApproxTable, ApproxWindow, SlotState, TableState};
use crate::calendar::Day;
use crate::config::{ClockMode, DailySpec, Mode, TrackerConfig, WindowSpec};
use crate::counts::Counts;
use crate::daily::DailyRollup;
use crate::dedupe::{Dedupe, MAX_REMEMBERED_IDS};
use crate::error::{CoreError, CoreResult};
use crate::intern::{Interner, ItemId};
use crate::limits::{MAX_COUNT, MAX_ITEM_LEN, MAX_TIMESTAMP};
use crate::records::{HoldsRecord, Layout};
use crate::tally::Tally;
use crate::tracker::{Stats, Tracker, TrackerParts};
use crate::window::bucket::Bucket;
use crate::window::ring::BucketRing;
use crate::window::{self, SlidingWindow, Window};
use crate::work::WorkBudget;

const MAGIC: &[u8; 5] = b"WTOPK";
/// The encoding written by this version. Every older version stays decodable.
pub const ENCODING_VERSION: u8 = 2;

/// Version 2: the configuration carries the mode; windows and days may be approximate.
#[derive(Serialize, Deserialize)]
struct TrackerV2 {
    config: TrackerConfig,
    clock: i64,
    stats: Stats,
    items: Vec<Vec<u8>>,
    windows: Vec<WindowV2>,
    daily: Option<DailyV2>,
    dedupe: Option<DedupeV1>,
}

#[derive(Serialize, Deserialize)]
enum WindowV2 {
    Sliding {
        first: i64,
        buckets: Vec<Vec<(ItemId, u64)>>,
    },
    AllTime {
        counts: Vec<(ItemId, u64)>,
    },
    Approx(TableV2),
}

#[derive(Serialize, Deserialize)]
struct DailyV2 {
    final_through: Option<i32>,
    days: Vec<(i32, DayV2)>,
}

#[derive(Serialize, Deserialize)]
enum DayV2 {
    Exact(Vec<(ItemId, u64)>),
    Approx(TableV2),
}

/// An [`ApproxTable`]: see [`TableState`].
#[derive(Serialize, Deserialize)]
struct TableV2 {
    first: i64,
    newest: i64,
    next_seq: u64,
    unlisted: Vec<u64>,
    column_totals: Vec<u64>,
    slots: Vec<SlotV2>,
}

/// A tracked item: counts per live column and errors per live error group, oldest first.
#[derive(Clone, Serialize, Deserialize)]
struct SlotV2 {
    id: ItemId,
    seq: u64,
    counts: Vec<u64>,
    errors: Vec<u64>,
}

/// Version 1 (EXACT only), still decoded.
#[derive(Serialize, Deserialize)]
struct TrackerV1 {
    config: ConfigV1,
    clock: i64,
    stats: Stats,
    items: Vec<Vec<u8>>,
    windows: Vec<WindowV1>,
    daily: Option<DailyV1>,
    dedupe: Option<DedupeV1>,
}

#[derive(Serialize, Deserialize)]
struct ConfigV1 {
    windows: Vec<WindowSpec>,
    k: usize,
    clock: ClockMode,
    future: u64,
    daily: Option<DailySpec>,
    dedupe: u64,
}

#[derive(Serialize, Deserialize)]
struct DailyV1 {
    final_through: Option<i32>,
    days: Vec<(i32, Vec<(ItemId, u64)>)>,
}

#[derive(Serialize, Deserialize)]
struct DedupeV1 {
    forgotten: u64,
    ids: Vec<(Vec<u8>, i64)>,
}

#[derive(Serialize, Deserialize)]
enum WindowV1 {
    Sliding {
        first: i64,
        buckets: Vec<Vec<(ItemId, u64)>>,
    },
    AllTime {
        counts: Vec<(ItemId, u64)>,
    },
}

impl From<TrackerV1> for TrackerV2 {
    fn from(v1: TrackerV1) -> Self {
        let config = v1.config;
        TrackerV2 {
            config: TrackerConfig {
                windows: config.windows,
                k: config.k,
                clock: config.clock,
                future: config.future,
                daily: config.daily,
                dedupe: config.dedupe,
                mode: Mode::Exact,
            },
            clock: v1.clock,
            stats: v1.stats,
            items: v1.items,
            windows: v1
                .windows
                .into_iter()
                .map(|window| match window {
                    WindowV1::Sliding { first, buckets } => WindowV2::Sliding { first, buckets },
                    WindowV1::AllTime { counts } => WindowV2::AllTime { counts },
                })
                .collect(),
            daily: v1.daily.map(|daily| DailyV2 {
                final_through: daily.final_through,
                days: daily
                    .days
                    .into_iter()
                    .map(|(day, pairs)| (day, DayV2::Exact(pairs)))
                    .collect(),
            }),
            dedupe: v1.dedupe,
        }
    }
}

/// Dense ids for the encoding, handed out in order of first use, with the bytes of each.
struct Renumbering<'a> {
    interner: &'a Interner,
    dense: std::collections::HashMap<ItemId, ItemId>,
    items: Vec<Vec<u8>>,
}

impl Renumbering<'_> {
    fn id(&mut self, id: ItemId) -> ItemId {
        let next = self.items.len() as ItemId;
        let dense = *self.dense.entry(id).or_insert(next);
        if dense == next {
            self.items.push(self.interner.bytes(id).to_vec());
        }
        dense
    }

    fn pairs(&mut self, pairs: impl Iterator<Item = (ItemId, u64)>) -> Vec<(ItemId, u64)> {
        pairs.map(|(id, count)| (self.id(id), count)).collect()
    }

    fn table(&mut self, table: &ApproxTable) -> TableV2 {
        let state = table.state();
        TableV2 {
            first: state.first,
            newest: state.newest,
            next_seq: state.next_seq,
            unlisted: state.unlisted,
            column_totals: state.column_totals,
            slots: state
                .slots
                .into_iter()
                .map(|slot| SlotV2 {
                    id: self.id(slot.id),
                    seq: slot.seq,
                    counts: slot.counts,
                    errors: slot.errors,
                })
                .collect(),
        }
    }
}

/// Encodes a tracker as of its stored clock, leaving out what expiry has not reached yet;
/// item ids are renumbered densely, and only the items the encoded state holds are written.
pub fn encode(tracker: &Tracker) -> Vec<u8> {
    let clock = tracker.stored_clock();
    let mut renumber = Renumbering {
        interner: tracker.interner(),
        dense: std::collections::HashMap::with_capacity(tracker.interner().len()),
        items: Vec::with_capacity(tracker.interner().len()),
    };
    let mut windows = Vec::with_capacity(tracker.windows().len());
    for window in tracker.windows() {
        windows.push(match window {
            Window::Sliding(sliding) => {
                let live: Vec<(i64, &Bucket)> = sliding.live_buckets_at(clock).collect();
                WindowV2::Sliding {
                    first: live.first().map_or(sliding.ring().first(), |&(i, _)| i),
                    buckets: live
                        .iter()
                        .map(|(_, bucket)| renumber.pairs(bucket.merged().into_iter()))
                        .collect(),
                }
            }
            Window::AllTime(tally) => WindowV2::AllTime {
                counts: renumber.pairs(tally.iter()),
            },
            Window::Approx(approx) => WindowV2::Approx(renumber.table(approx.table())),
        });
    }
    let daily = tracker.daily().map(|rollup| DailyV2 {
        final_through: rollup.final_through().map(|day| day.0),
        days: rollup
            .stored_days()
            .map(|(day, counts)| {
                let encoded = match counts {
                    Counts::Exact(tally) => DayV2::Exact(renumber.pairs(tally.iter())),
                    Counts::Approx(approx) => DayV2::Approx(renumber.table(approx)),
                };
                (day.0, encoded)
            })
            .collect(),
    });
    let dedupe = tracker.dedupe().map(|dedupe| DedupeV1 {
        forgotten: dedupe.forgotten(),
        ids: dedupe.iter().map(|(id, ts)| (id.to_vec(), ts)).collect(),
    });
    let body = TrackerV2 {
        config: tracker.config().clone(),
        clock,
        stats: *tracker.stats(),
        items: renumber.items,
        windows,
        daily,
        dedupe,
    };
    let mut out = Vec::from(&MAGIC[..]);
    out.push(ENCODING_VERSION);
    // Serializing plain structs into a Vec cannot fail; an empty result would be refused
    // on decode rather than read as an empty tracker.
    postcard::to_extend(&body, out).unwrap_or_default()
}

/// Decodes any encoding version, validating it completely.
pub fn decode(bytes: &[u8]) -> CoreResult<Tracker> {
    let body = bytes
        .strip_prefix(&MAGIC[..])
        .ok_or_else(|| CoreError::new("not a redis-wtopk tracker encoding"))?;
    let (&version, body) = body
        .split_first()
        .ok_or_else(|| CoreError::new("truncated tracker encoding"))?;
    match version {
        1 => decode_body(take_all::<TrackerV1>(body)?.into()),
        2 => decode_body(take_all::<TrackerV2>(body)?),
        other => Err(CoreError::new(format!(
            "tracker encoding version {other} is newer than this module (knows up to {ENCODING_VERSION})"
        ))),
    }
}

fn corrupt(what: &str) -> CoreError {
    CoreError::new(format!("corrupt tracker encoding: {what}"))
}

/// Deserializes a whole body, refusing trailing bytes.
fn take_all<'a, T: Deserialize<'a>>(body: &'a [u8]) -> CoreResult<T> {
    let (value, rest): (T, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| corrupt(&e.to_string()))?;
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(value)
}

fn decode_body(v2: TrackerV2) -> CoreResult<Tracker> {
    v2.config.validate().map_err(|e| corrupt(&e.0))?;
    if !(0..=MAX_TIMESTAMP).contains(&v2.clock) {
        return Err(corrupt("clock out of range"));
    }
    if v2.stats.volume > MAX_COUNT {
        return Err(corrupt("volume out of range"));
    }
    if v2.windows.len() != v2.config.windows.len() {
        return Err(corrupt("window count differs from the configuration"));
    }
    let mut interner = Interner::default();
    let mut ids = Vec::with_capacity(v2.items.len());
    for bytes in &v2.items {
        if bytes.is_empty() || bytes.len() > MAX_ITEM_LEN {
            return Err(corrupt("item length out of range"));
        }
        if interner.find(bytes).is_some() {
            return Err(corrupt("item stored twice"));
        }
        ids.push(interner.intern(bytes));
    }
    let check_pair = |&(id, count): &(ItemId, u64)| -> CoreResult<(ItemId, u64)> {
        let id = *ids
            .get(id as usize)
            .ok_or_else(|| corrupt("unknown item id"))?;
        if count == 0 || count > MAX_COUNT {
            return Err(corrupt("count out of range"));
        }
        Ok((id, count))
    };
    let checks = Checks {
        ids: &ids,
        volume: v2.stats.volume,
        mode: v2.config.mode,
    };
    let mut windows = Vec::with_capacity(v2.windows.len());
    let layouts = window::layouts(&v2.config.windows);
    for ((spec, encoded), layout) in v2.config.windows.iter().zip(&v2.windows).zip(layouts) {
        let window = match (spec.is_all_time(), v2.config.mode, encoded) {
            (false, Mode::Exact, WindowV2::Sliding { first, buckets }) => {
                let live = SlidingWindow::live_buckets(spec, v2.clock);
                let last = i64::try_from(buckets.len()).map(|len| first.saturating_add(len - 1));
                let fits = last.is_ok_and(|last| live.contains(first) && live.contains(&last));
                if !buckets.is_empty() && !fits {
                    return Err(corrupt("window ring out of range"));
                }
                let mut ring = VecDeque::with_capacity(buckets.len());
                for pairs in buckets {
                    let pairs = pairs.iter().map(check_pair).collect::<CoreResult<_>>()?;
                    let bucket = Bucket::from_pairs(pairs)
                        .ok_or_else(|| corrupt("item stored twice in a bucket"))?;
                    ring.push_back(bucket);
                }
                let ring = BucketRing::from_parts(*first, ring);
                let mut window = SlidingWindow::from_ring(*spec, layout, ring);
                window.compact(&mut WorkBudget::unlimited());
                checks.retain_tally(window.tally(), &mut interner)?;
                Window::Sliding(window)
            }
            (true, Mode::Exact, WindowV2::AllTime { counts }) => {
                let tally = decode_tally(counts, &check_pair, layout)?;
                checks.retain_tally(&tally, &mut interner)?;
                Window::AllTime(tally)
            }
            (_, Mode::Approx { capacity }, WindowV2::Approx(encoded)) => {
                let (first, newest) = ApproxWindow::live_columns(spec, v2.clock);
                if (encoded.first, encoded.newest) != (first, newest) {
                    return Err(corrupt("approximate window columns differ from the clock"));
                }
                let columns = ApproxWindow::columns(spec);
                let table = checks.table(encoded, capacity, columns, &mut interner)?;
                Window::Approx(ApproxWindow::from_table(*spec, table))
            }
            _ => return Err(corrupt("window kind differs from the configuration")),
        };
        windows.push(window);
    }
    let daily = decode_daily(&v2, &checks, &check_pair, &mut interner)?;
    let dedupe = decode_dedupe(&v2)?;
    for &id in &ids {
        interner.release_if_unused(id);
    }
    Ok(Tracker::from_parts(TrackerParts {
        config: v2.config,
        clock: v2.clock,
        interner,
        windows,
        daily,
        dedupe,
        stats: v2.stats,
    }))
}

/// What every decoded aggregate is checked against.
struct Checks<'a> {
    /// Interned id of each dense id.
    ids: &'a [ItemId],
    /// The tracker's volume: no count, total or bound can exceed it.
    volume: u64,
    mode: Mode,
}

impl Checks<'_> {
    /// Refuses a tally above the volume, else retains its ids.
    fn retain_tally<R: HoldsRecord>(
        &self,
        tally: &Tally<R>,
        interner: &mut Interner,
    ) -> CoreResult<()> {
        if tally.total() > self.volume {
            return Err(corrupt("total exceeds the volume"));
        }
        for (id, _) in tally.iter() {
            interner.retain(id);
        }
        Ok(())
    }

    /// Rebuilds an approximate table (which retains its ids), refusing bad ids and values.
    fn table(
        &self,
        encoded: &TableV2,
        capacity: usize,
        columns: usize,
        interner: &mut Interner,
    ) -> CoreResult<ApproxTable> {
        let within = |value: &u64| *value <= self.volume;
        let column_total: u64 = encoded
            .column_totals
            .iter()
            .fold(0u64, |sum, &total| sum.saturating_add(total));
        if column_total > self.volume || !encoded.unlisted.iter().all(within) {
            return Err(corrupt("approximate table total exceeds the volume"));
        }
        let mut slots = Vec::with_capacity(encoded.slots.len().min(capacity));
        for slot in &encoded.slots {
            let id = *self
                .ids
                .get(slot.id as usize)
                .ok_or_else(|| corrupt("unknown item id"))?;
            let sum = |values: &[u64]| values.iter().fold(0u64, |sum, &v| sum.saturating_add(v));
            if sum(&slot.counts) > self.volume || sum(&slot.errors) > self.volume {
                return Err(corrupt("approximate count exceeds the volume"));
            }
            slots.push(SlotState {
                id,
                seq: slot.seq,
                counts: slot.counts.clone(),
                errors: slot.errors.clone(),
            });
        }
        let state = TableState {
            first: encoded.first,
            newest: encoded.newest,
            next_seq: encoded.next_seq,
            unlisted: encoded.unlisted.clone(),
            column_totals: encoded.column_totals.clone(),
            slots,
        };
        ApproxTable::restore(capacity, columns, state, interner).map_err(corrupt)
    }
}

fn decode_tally(
    pairs: &[(ItemId, u64)],
    check_pair: &PairCheck<'_>,
    layout: Layout,
) -> CoreResult<Tally> {
    let mut tally = Tally::new(layout);
    for pair in pairs {
        let (id, count) = check_pair(pair)?;
        if tally.count(id) > 0 {
            return Err(corrupt("item stored twice"));
        }
        tally.add(id, count);
    }
    Ok(tally)
}

/// Maps an encoded `(dense id, count)` to the interned id, refusing bad ids and counts.
type PairCheck<'a> = dyn Fn(&(ItemId, u64)) -> CoreResult<(ItemId, u64)> + 'a;

fn decode_daily(
    v2: &TrackerV2,
    checks: &Checks<'_>,
    check_pair: &PairCheck<'_>,
    interner: &mut Interner,
) -> CoreResult<Option<DailyRollup>> {
    let empty = Tracker::empty_daily(&v2.config).map_err(|e| corrupt(&e.0))?;
    match (empty, &v2.daily) {
        (None, None) => Ok(None),
        (Some(rollup), Some(encoded)) => {
            let (oldest, today) = (rollup.oldest_retained(v2.clock), rollup.today(v2.clock));
            if encoded
                .final_through
                .is_some_and(|day| Day(day) > rollup.newest_final(v2.clock))
            {
                return Err(corrupt("a day is marked final before its time"));
            }
            let mut days = BTreeMap::new();
            for (day, encoded_day) in &encoded.days {
                if !(oldest..=today).contains(&Day(*day)) {
                    return Err(corrupt("day outside the retained days"));
                }
                let counts = match (checks.mode, encoded_day) {
                    (Mode::Exact, DayV2::Exact(pairs)) => {
                        let mut tally = decode_tally(pairs, check_pair, Layout::Adaptive)?;
                        tally.compact(&mut WorkBudget::unlimited());
                        checks.retain_tally(&tally, interner)?;
                        Counts::Exact(tally)
                    }
                    (Mode::Approx { capacity }, DayV2::Approx(table)) => {
                        if (table.first, table.newest) != (0, 0) {
                            return Err(corrupt("a day has more than one column"));
                        }
                        Counts::Approx(Box::new(checks.table(table, capacity, 1, interner)?))
                    }
                    _ => return Err(corrupt("day kind differs from the configuration")),
                };
                if days.insert(Day(*day), counts).is_some() {
                    return Err(corrupt("day stored twice"));
                }
            }
            Ok(Some(rollup.restore(encoded.final_through.map(Day), days)))
        }
        _ => Err(corrupt("daily rollup differs from the configuration")),
    }
}

fn decode_dedupe(v2: &TrackerV2) -> CoreResult<Option<Dedupe>> {
    match (v2.config.dedupe, &v2.dedupe) {
        (0, None) => Ok(None),
        (horizon, Some(encoded)) if horizon > 0 => {
            if encoded.ids.len() > MAX_REMEMBERED_IDS {
                return Err(corrupt("too many dedupe ids"));
            }
            let mut ids = Vec::with_capacity(encoded.ids.len());
            let oldest = Dedupe::oldest_remembered(horizon, v2.clock);
            for (id, ts) in &encoded.ids {
                if id.is_empty() || id.len() > MAX_ITEM_LEN || !(oldest..=v2.clock).contains(ts) {
                    return Err(corrupt("dedupe id out of range"));
                }
                ids.push((id.clone(), *ts));
            }
            Ok(Some(Dedupe::restore(horizon, encoded.forgotten, ids)))
        }
        _ => Err(corrupt("dedupe state differs from the configuration")),
    }
}

/// A bucket's absolute index (or a day's number) and its `(item bytes, count)` pairs sorted
/// by bytes.
type NamedBucket = (i64, Vec<(Vec<u8>, u64)>);

/// An approximate table with item bytes for ids, slots sorted by bytes: first and newest
/// column, next sequence number, unlisted bounds, column totals and slots.
type NamedTable = (i64, i64, u64, Vec<u64>, Vec<u64>, Vec<NamedSlot>);
/// Item bytes, sequence number, counts and errors of a tracked item.
type NamedSlot = (Vec<u8>, u64, Vec<u64>, Vec<u64>);

/// A remembered dedupe id and its latest accepted timestamp.
type RememberedId<'a> = (&'a [u8], i64);

/// Canonical bytes of a tracker's logical state, independent of item ids and hash order:
/// windows, days and remembered dedupe ids; equal for trackers that answer every query the
/// same way and will answer every future write the same way (for `DEBUG DIGEST`).
pub fn digest_bytes(tracker: &Tracker) -> Vec<u8> {
    let bytes = |id: ItemId| tracker.interner().bytes(id).to_vec();
    let named = |pairs: &mut dyn Iterator<Item = (ItemId, u64)>| -> Vec<(Vec<u8>, u64)> {
        let mut named: Vec<(Vec<u8>, u64)> = pairs.map(|(id, count)| (bytes(id), count)).collect();
        named.sort_unstable();
        named
    };
    let named_table = |table: &ApproxTable| -> NamedTable {
        let state = table.state();
        let mut slots: Vec<NamedSlot> = state
            .slots
            .into_iter()
            .map(|slot| (bytes(slot.id), slot.seq, slot.counts, slot.errors))
            .collect();
        slots.sort_unstable();
        (
            state.first,
            state.newest,
            state.next_seq,
            state.unlisted,
            state.column_totals,
            slots,
        )
    };
    let windows: Vec<(Vec<NamedBucket>, Option<NamedTable>)> = tracker
        .windows()
        .iter()
        .map(|window| match window {
            Window::Sliding(sliding) => (
                sliding
                    .live_buckets_at(tracker.stored_clock())
                    .filter(|(_, bucket)| !bucket.is_empty())
                    .map(|(index, b)| (index, named(&mut b.merged().into_iter())))
                    .collect(),
                None,
            ),
            Window::AllTime(tally) => (vec![(0, named(&mut tally.iter()))], None),
            Window::Approx(approx) => (Vec::new(), Some(named_table(approx.table()))),
        })
        .collect();
    type NamedDay = (i64, Vec<(Vec<u8>, u64)>, Option<NamedTable>);
    let days: Option<(Option<i32>, Vec<NamedDay>)> = tracker.daily().map(|rollup| {
        let days = rollup
            .stored_days()
            .map(|(day, counts)| match counts {
                Counts::Exact(tally) => (i64::from(day.0), named(&mut tally.iter()), None),
                Counts::Approx(table) => (i64::from(day.0), Vec::new(), Some(named_table(table))),
            })
            .collect();
        (rollup.final_through().map(|day| day.0), days)
    });
    let dedupe: Option<(u64, Vec<RememberedId>)> = tracker.dedupe().map(|dedupe| {
        let mut ids: Vec<RememberedId> = dedupe.iter().collect();
        ids.sort_unstable();
        (dedupe.forgotten(), ids)
    });
    postcard::to_allocvec(&(
        tracker.config(),
        tracker.stored_clock(),
        tracker.stats(),
        windows,
        days,
        dedupe,
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClockMode, DailySpec};
    use crate::event::Event;

    const HOUR: i64 = 3_600_000;
    const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    /// A tracker with windows, days and dedupe ids, fed over two hours of event time.
    fn filled() -> Tracker {
        let config = TrackerConfig {
            clock: ClockMode::Event,
            daily: Some(DailySpec::default()),
            dedupe: HOUR as u64,
            ..TrackerConfig::default()
        };
        let mut tracker = Tracker::new(config).unwrap();
        let ids: Vec<String> = (0..200).map(|n| format!("id{n}")).collect();
        let events: Vec<Event<'_>> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| Event {
                ts: START + n as i64 * 36_000,
                item: if n % 3 == 0 { b"a" } else { b"b" },
                count: 1,
                id: Some(id.as_bytes()),
            })
            .collect();
        tracker.ingest(&events, 0).unwrap();
        tracker
    }

    /// The same tracker in APPROX mode with room for 10 items of 50: evictions everywhere.
    fn filled_approx() -> Tracker {
        let config = TrackerConfig {
            clock: ClockMode::Event,
            k: 10,
            mode: Mode::Approx { capacity: 10 },
            windows: vec![
                WindowSpec::sliding(HOUR as u64),
                WindowSpec::sliding(600_000),
                WindowSpec::all_time(),
            ],
            ..TrackerConfig::default()
        };
        let mut tracker = Tracker::new(config).unwrap();
        let items: Vec<String> = (0..50).map(|n| format!("item{n}")).collect();
        let events: Vec<Event<'_>> = (0..2_000)
            .map(|n: usize| Event {
                ts: START + n as i64 * 3_600,
                item: items[(n * n + n / 7) % 50].as_bytes(),
                count: 1 + (n % 3) as u64,
                id: None,
            })
            .collect();
        tracker.ingest(&events, 0).unwrap();
        tracker
    }

    fn body(tracker: &Tracker) -> TrackerV2 {
        let bytes = encode(tracker);
        postcard::from_bytes(&bytes[MAGIC.len() + 1..]).unwrap()
    }

    fn reencode(body: &TrackerV2) -> Vec<u8> {
        let mut out = Vec::from(&MAGIC[..]);
        out.push(ENCODING_VERSION);
        postcard::to_extend(body, out).unwrap()
    }

    fn refused(change: impl FnOnce(&mut TrackerV2), reason: &str) {
        refused_from(&filled(), change, reason);
    }

    fn refused_from(tracker: &Tracker, change: impl FnOnce(&mut TrackerV2), reason: &str) {
        let mut body = body(tracker);
        change(&mut body);
        let Err(error) = decode(&reencode(&body)) else {
            panic!("{reason}: corrupt state decoded");
        };
        assert!(error.0.contains(reason), "{reason}: got {}", error.0);
    }

    #[test]
    fn round_trip_keeps_the_digest() {
        let tracker = filled();
        let decoded = decode(&encode(&tracker)).unwrap();
        assert_eq!(digest_bytes(&decoded), digest_bytes(&tracker));
        assert_eq!(
            decode(&reencode(&body(&tracker)))
                .map(|t| digest_bytes(&t))
                .ok(),
            Some(digest_bytes(&tracker))
        );
    }

    /// The layouts of the windows' tallies.
    fn tally_layouts(tracker: &Tracker) -> Vec<Layout> {
        tracker
            .windows()
            .iter()
            .filter_map(|window| match window {
                Window::Sliding(sliding) => Some(sliding.tally().layout()),
                Window::AllTime(tally) => Some(tally.layout()),
                Window::Approx(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_decoded_tracker_keeps_the_widest_windows_records_by_id() {
        let tracker = filled();
        let expected = window::layouts(&tracker.config().windows);
        assert!(expected.contains(&Layout::Indexed));
        assert_eq!(tally_layouts(&tracker), expected);
        let decoded = decode(&encode(&tracker)).unwrap();
        assert_eq!(tally_layouts(&decoded), expected);
    }

    #[test]
    fn version_1_still_decodes() {
        let tracker = filled();
        let v2 = body(&tracker);
        let v1 = TrackerV1 {
            config: ConfigV1 {
                windows: v2.config.windows,
                k: v2.config.k,
                clock: v2.config.clock,
                future: v2.config.future,
                daily: v2.config.daily,
                dedupe: v2.config.dedupe,
            },
            clock: v2.clock,
            stats: v2.stats,
            items: v2.items,
            windows: v2
                .windows
                .into_iter()
                .filter_map(|window| match window {
                    WindowV2::Sliding { first, buckets } => {
                        Some(WindowV1::Sliding { first, buckets })
                    }
                    _ => None,
                })
                .collect(),
            daily: v2.daily.map(|daily| DailyV1 {
                final_through: daily.final_through,
                days: daily
                    .days
                    .into_iter()
                    .filter_map(|(day, counts)| match counts {
                        DayV2::Exact(pairs) => Some((day, pairs)),
                        DayV2::Approx(_) => None,
                    })
                    .collect(),
            }),
            dedupe: v2.dedupe,
        };
        let mut bytes = Vec::from(&MAGIC[..]);
        bytes.push(1);
        let bytes = postcard::to_extend(&v1, bytes).unwrap();
        assert_eq!(
            decode(&bytes).map(|t| digest_bytes(&t)).ok(),
            Some(digest_bytes(&tracker))
        );
    }

    #[test]
    fn approximate_round_trip_keeps_the_digest_and_the_evictions() {
        let mut tracker = filled_approx();
        let mut decoded = decode(&encode(&tracker)).unwrap();
        assert_eq!(digest_bytes(&decoded), digest_bytes(&tracker));
        let more: Vec<Event<'_>> = (0..500)
            .map(|n: i64| Event {
                ts: tracker.stored_clock() + n * 1_000,
                item: if n % 2 == 0 { b"new-even" } else { b"new-odd" },
                count: 1,
                id: None,
            })
            .collect();
        tracker.ingest(&more, 0).unwrap();
        decoded.ingest(&more, 0).unwrap();
        assert_eq!(digest_bytes(&decoded), digest_bytes(&tracker));
    }

    #[test]
    fn refuses_broken_approximate_tables() {
        fn table(body: &mut TrackerV2) -> Option<&mut TableV2> {
            match body.windows.get_mut(0) {
                Some(WindowV2::Approx(table)) => Some(table),
                _ => None,
            }
        }
        let tracker = filled_approx();
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    t.first -= 1;
                }
            },
            "columns differ from the clock",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    let copy = t.slots[0].clone();
                    t.slots.push(copy);
                }
            },
            "more items than its capacity",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    t.slots.pop();
                    let copy = t.slots[0].clone();
                    t.slots.push(copy);
                }
            },
            "unknown or repeated",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    t.slots[0].id = 10_000;
                }
            },
            "unknown item id",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    t.unlisted.pop();
                }
            },
            "column count mismatch",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    t.slots[0].errors[0] = u64::MAX;
                }
            },
            "exceeds the volume",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    t.slots[0].errors.push(0);
                }
            },
            "item out of range",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    t.column_totals.iter_mut().for_each(|total| *total = 0);
                }
            },
            "exceed their column total",
        );
        refused_from(
            &tracker,
            |body| {
                if let Some(t) = table(body) {
                    if let Some(last) = t.unlisted.last_mut() {
                        *last = 1_000;
                    }
                }
            },
            "unlisted bounds grow",
        );
        refused_from(
            &tracker,
            |body| body.windows.swap(0, 2),
            "columns differ from the clock",
        );
        refused_from(
            &tracker,
            |body| body.config.mode = Mode::Exact,
            "kind differs from the configuration",
        );
    }

    #[test]
    fn digest_covers_days_and_dedupe_ids() {
        let tracker = filled();
        let mut body = body(&tracker);
        if let Some(dedupe) = &mut body.dedupe {
            dedupe.ids.pop();
        }
        let fewer_ids = decode(&reencode(&body)).unwrap();
        assert_ne!(digest_bytes(&fewer_ids), digest_bytes(&tracker));
        let mut body = self::body(&tracker);
        if let Some(daily) = &mut body.daily {
            daily.final_through = None;
        }
        let unmarked = decode(&reencode(&body)).unwrap();
        assert_ne!(digest_bytes(&unmarked), digest_bytes(&tracker));
    }

    #[test]
    fn refuses_a_ring_far_from_the_clock() {
        refused(
            |body| {
                if let Some(WindowV2::Sliding { first, .. }) = body.windows.get_mut(0) {
                    *first = 0;
                }
            },
            "window ring out of range",
        );
        refused(
            |body| {
                if let Some(WindowV2::Sliding { buckets, .. }) = body.windows.get_mut(2) {
                    buckets.extend(std::iter::repeat_n(Vec::new(), 10_000));
                }
            },
            "window ring out of range",
        );
    }

    #[test]
    fn refuses_dedupe_ids_outside_the_horizon() {
        refused(
            |body| {
                if let Some(dedupe) = &mut body.dedupe {
                    dedupe.ids[0].1 = 0;
                }
            },
            "dedupe id out of range",
        );
        refused(
            |body| {
                if let Some(dedupe) = &mut body.dedupe {
                    dedupe.ids[0].1 = body.clock + 1;
                }
            },
            "dedupe id out of range",
        );
    }

    #[test]
    fn refuses_days_outside_the_retained_range() {
        refused(
            |body| {
                if let Some(daily) = &mut body.daily {
                    daily.days[0].0 -= 400;
                }
            },
            "day outside the retained days",
        );
        refused(
            |body| {
                if let Some(daily) = &mut body.daily {
                    daily.final_through = Some(i32::MAX);
                }
            },
            "marked final before its time",
        );
    }

    #[test]
    fn refuses_totals_beyond_the_volume() {
        refused(|body| body.stats.volume = 0, "exceeds the volume");
        refused(|body| body.stats.volume = u64::MAX, "volume out of range");
    }
}

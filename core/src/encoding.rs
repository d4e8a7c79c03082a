//! The versioned binary encoding of a tracker (RDB, DUMP/RESTORE) and its canonical digest
//! bytes. The body is postcard behind a magic and a version byte; decoding validates every
//! field and allocates nothing from a length it has not checked against the input.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::config::TrackerConfig;
use crate::daily::DailyRollup;
use crate::dedupe::{Dedupe, MAX_REMEMBERED_IDS};
use crate::error::{CoreError, CoreResult};
use crate::intern::{Interner, ItemId};
use crate::limits::{MAX_COUNT, MAX_ITEM_LEN, MAX_TIMESTAMP};
use crate::tally::Tally;
use crate::tracker::{Stats, Tracker, TrackerParts};
use crate::window::ring::{Bucket, BucketRing};
use crate::window::{SlidingWindow, Window};

const MAGIC: &[u8; 5] = b"WTOPK";
/// The encoding written by this version. Every older version stays decodable.
pub const ENCODING_VERSION: u8 = 1;

#[derive(Serialize, Deserialize)]
struct TrackerV1 {
    config: TrackerConfig,
    clock: i64,
    stats: Stats,
    items: Vec<Vec<u8>>,
    windows: Vec<WindowV1>,
    daily: Option<DailyV1>,
    dedupe: Option<DedupeV1>,
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

/// Encodes a tracker; item ids are renumbered densely.
pub fn encode(tracker: &Tracker) -> Vec<u8> {
    let mut dense = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(tracker.interner().len());
    for (id, bytes) in tracker.interner().iter() {
        dense.insert(id, items.len() as ItemId);
        items.push(bytes.to_vec());
    }
    let renumber = |pairs: &mut dyn Iterator<Item = (ItemId, u64)>| -> Vec<(ItemId, u64)> {
        pairs
            .filter_map(|(id, count)| Some((*dense.get(&id)?, count)))
            .collect()
    };
    let windows = tracker
        .windows()
        .iter()
        .map(|window| match window {
            Window::Sliding(sliding) => WindowV1::Sliding {
                first: sliding.ring().first(),
                buckets: sliding
                    .ring()
                    .iter()
                    .map(|(_, bucket)| renumber(&mut bucket.iter().map(|(&id, &c)| (id, c))))
                    .collect(),
            },
            Window::AllTime(tally) => WindowV1::AllTime {
                counts: renumber(&mut tally.iter()),
            },
        })
        .collect();
    let daily = tracker.daily().map(|rollup| DailyV1 {
        final_through: rollup.final_through().map(|day| day.0),
        days: rollup
            .stored_days()
            .map(|(day, tally)| (day.0, renumber(&mut tally.iter())))
            .collect(),
    });
    let dedupe = tracker.dedupe().map(|dedupe| DedupeV1 {
        forgotten: dedupe.forgotten(),
        ids: dedupe.iter().map(|(id, ts)| (id.to_vec(), ts)).collect(),
    });
    let body = TrackerV1 {
        config: tracker.config().clone(),
        clock: tracker.stored_clock(),
        stats: *tracker.stats(),
        items,
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
        1 => decode_v1(body),
        other => Err(CoreError::new(format!(
            "tracker encoding version {other} is newer than this module (knows up to {ENCODING_VERSION})"
        ))),
    }
}

fn corrupt(what: &str) -> CoreError {
    CoreError::new(format!("corrupt tracker encoding: {what}"))
}

fn decode_v1(body: &[u8]) -> CoreResult<Tracker> {
    let (v1, rest): (TrackerV1, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| corrupt(&e.to_string()))?;
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    v1.config.validate().map_err(|e| corrupt(&e.0))?;
    if !(0..=MAX_TIMESTAMP).contains(&v1.clock) {
        return Err(corrupt("clock out of range"));
    }
    if v1.stats.volume > MAX_COUNT {
        return Err(corrupt("volume out of range"));
    }
    if v1.windows.len() != v1.config.windows.len() {
        return Err(corrupt("window count differs from the configuration"));
    }
    let mut interner = Interner::default();
    let mut ids = Vec::with_capacity(v1.items.len());
    for bytes in &v1.items {
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
    let mut windows = Vec::with_capacity(v1.windows.len());
    for (spec, encoded) in v1.config.windows.iter().zip(&v1.windows) {
        let window = match (spec.is_all_time(), encoded) {
            (false, WindowV1::Sliding { first, buckets }) => {
                let live = SlidingWindow::live_buckets(spec, v1.clock);
                let last = i64::try_from(buckets.len()).map(|len| first.saturating_add(len - 1));
                let fits = last.is_ok_and(|last| live.contains(first) && live.contains(&last));
                if !buckets.is_empty() && !fits {
                    return Err(corrupt("window ring out of range"));
                }
                let mut ring = VecDeque::with_capacity(buckets.len());
                for pairs in buckets {
                    let mut bucket = Bucket::default();
                    for pair in pairs {
                        let (id, count) = check_pair(pair)?;
                        if bucket.insert(id, count).is_some() {
                            return Err(corrupt("item stored twice in a bucket"));
                        }
                    }
                    ring.push_back(bucket);
                }
                let ring = BucketRing::from_parts(*first, ring);
                Window::Sliding(SlidingWindow::from_ring(*spec, v1.config.k, ring))
            }
            (true, WindowV1::AllTime { counts }) => {
                let mut tally = Tally::new(v1.config.k);
                for pair in counts {
                    let (id, count) = check_pair(pair)?;
                    if tally.count(id) > 0 {
                        return Err(corrupt("item stored twice"));
                    }
                    tally.add(id, count);
                }
                Window::AllTime(tally)
            }
            _ => return Err(corrupt("window kind differs from the configuration")),
        };
        if window.tally().total() > v1.stats.volume {
            return Err(corrupt("window total exceeds the volume"));
        }
        for (id, _) in window.tally().iter() {
            interner.retain(id);
        }
        windows.push(window);
    }
    let daily = decode_daily(&v1, &check_pair, &mut interner)?;
    let dedupe = decode_dedupe(&v1)?;
    for &id in &ids {
        interner.release_if_unused(id);
    }
    Ok(Tracker::from_parts(TrackerParts {
        config: v1.config,
        clock: v1.clock,
        interner,
        windows,
        daily,
        dedupe,
        stats: v1.stats,
    }))
}

/// Maps an encoded `(dense id, count)` to the interned id, refusing bad ids and counts.
type PairCheck<'a> = dyn Fn(&(ItemId, u64)) -> CoreResult<(ItemId, u64)> + 'a;

fn decode_daily(
    v1: &TrackerV1,
    check_pair: &PairCheck<'_>,
    interner: &mut Interner,
) -> CoreResult<Option<DailyRollup>> {
    let empty = Tracker::empty_daily(&v1.config).map_err(|e| corrupt(&e.0))?;
    match (empty, &v1.daily) {
        (None, None) => Ok(None),
        (Some(rollup), Some(encoded)) => {
            let (oldest, today) = (rollup.oldest_retained(v1.clock), rollup.today(v1.clock));
            if encoded
                .final_through
                .is_some_and(|day| Day(day) > rollup.newest_final(v1.clock))
            {
                return Err(corrupt("a day is marked final before its time"));
            }
            let mut days = BTreeMap::new();
            for (day, pairs) in &encoded.days {
                let mut tally = Tally::new(v1.config.k);
                for pair in pairs {
                    let (id, count) = check_pair(pair)?;
                    if tally.count(id) > 0 {
                        return Err(corrupt("item stored twice in a day"));
                    }
                    tally.add(id, count);
                }
                if tally.total() > v1.stats.volume {
                    return Err(corrupt("day total exceeds the volume"));
                }
                if !(oldest..=today).contains(&Day(*day)) {
                    return Err(corrupt("day outside the retained days"));
                }
                for (id, _) in tally.iter() {
                    interner.retain(id);
                }
                if days.insert(Day(*day), tally).is_some() {
                    return Err(corrupt("day stored twice"));
                }
            }
            Ok(Some(rollup.restore(encoded.final_through.map(Day), days)))
        }
        _ => Err(corrupt("daily rollup differs from the configuration")),
    }
}

fn decode_dedupe(v1: &TrackerV1) -> CoreResult<Option<Dedupe>> {
    match (v1.config.dedupe, &v1.dedupe) {
        (0, None) => Ok(None),
        (horizon, Some(encoded)) if horizon > 0 => {
            if encoded.ids.len() > MAX_REMEMBERED_IDS {
                return Err(corrupt("too many dedupe ids"));
            }
            let mut ids = Vec::with_capacity(encoded.ids.len());
            let oldest = Dedupe::oldest_remembered(horizon, v1.clock);
            for (id, ts) in &encoded.ids {
                if id.is_empty() || id.len() > MAX_ITEM_LEN || !(oldest..=v1.clock).contains(ts) {
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

/// A remembered dedupe id and its latest accepted timestamp.
type RememberedId<'a> = (&'a [u8], i64);

/// Canonical bytes of a tracker's logical state, independent of item ids and hash order:
/// windows, days and remembered dedupe ids; equal for trackers that answer every query the
/// same way and will answer every future write the same way (for `DEBUG DIGEST`).
pub fn digest_bytes(tracker: &Tracker) -> Vec<u8> {
    let named = |pairs: &mut dyn Iterator<Item = (ItemId, u64)>| -> Vec<(Vec<u8>, u64)> {
        let mut named: Vec<(Vec<u8>, u64)> = pairs
            .map(|(id, count)| (tracker.interner().bytes(id).to_vec(), count))
            .collect();
        named.sort_unstable();
        named
    };
    let windows: Vec<Vec<NamedBucket>> = tracker
        .windows()
        .iter()
        .map(|window| match window {
            Window::Sliding(sliding) => sliding
                .ring()
                .iter()
                .filter(|(_, bucket)| !bucket.is_empty())
                .map(|(index, b)| (index, named(&mut b.iter().map(|(&id, &c)| (id, c)))))
                .collect(),
            Window::AllTime(tally) => vec![(0, named(&mut tally.iter()))],
        })
        .collect();
    let days: Option<(Option<i32>, Vec<NamedBucket>)> = tracker.daily().map(|rollup| {
        let days = rollup
            .stored_days()
            .map(|(day, tally)| (i64::from(day.0), named(&mut tally.iter())))
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

    fn body(tracker: &Tracker) -> TrackerV1 {
        let bytes = encode(tracker);
        postcard::from_bytes(&bytes[MAGIC.len() + 1..]).unwrap()
    }

    fn reencode(body: &TrackerV1) -> Vec<u8> {
        let mut out = Vec::from(&MAGIC[..]);
        out.push(ENCODING_VERSION);
        postcard::to_extend(body, out).unwrap()
    }

    fn refused(change: impl FnOnce(&mut TrackerV1), reason: &str) {
        let mut body = body(&filled());
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
                if let Some(WindowV1::Sliding { first, .. }) = body.windows.get_mut(0) {
                    *first = 0;
                }
            },
            "window ring out of range",
        );
        refused(
            |body| {
                if let Some(WindowV1::Sliding { buckets, .. }) = body.windows.get_mut(2) {
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

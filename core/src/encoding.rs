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
                let span = (spec.length / spec.bucket_width().max(1)) as usize + 2;
                if buckets.len() > span || *first < 0 || *first > MAX_TIMESTAMP {
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
        if window.tally().total() > MAX_COUNT {
            return Err(corrupt("window total out of range"));
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
                if tally.total() > MAX_COUNT {
                    return Err(corrupt("day total out of range"));
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
            for (id, ts) in &encoded.ids {
                if id.is_empty() || id.len() > MAX_ITEM_LEN || !(0..=MAX_TIMESTAMP).contains(ts) {
                    return Err(corrupt("dedupe id out of range"));
                }
                ids.push((id.clone(), *ts));
            }
            Ok(Some(Dedupe::restore(horizon, encoded.forgotten, ids)))
        }
        _ => Err(corrupt("dedupe state differs from the configuration")),
    }
}

/// A bucket's absolute index and its `(item bytes, count)` pairs sorted by bytes.
type NamedBucket = (i64, Vec<(Vec<u8>, u64)>);

/// Canonical bytes of a tracker's logical state, independent of item ids and hash order:
/// equal for trackers that answer every query the same way (for `DEBUG DIGEST`).
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
    postcard::to_allocvec(&(
        tracker.config(),
        tracker.stored_clock(),
        tracker.stats(),
        windows,
    ))
    .unwrap_or_default()
}

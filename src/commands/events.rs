//! The shared write path of ADD, INCRBY, INGEST and APPLY: run one batch of events through
//! the tracker at a given server time, then replicate it as `APPLY key now <events>` so that
//! replicas and the AOF judge it with the master's clock, and notify `topk.add`.

use std::sync::OnceLock;

use redis_module::{Context, RedisError, RedisString};
use wtopk_core::{Event, IngestOutcome};

use crate::commands::command_name;
use crate::errors::from_core;
use crate::keys::{with_tracker_mut, IfMissing};
use crate::notify::{notify, notify_finalized};

/// Applies `events` to the tracker at `key` (created with defaults if missing) at server
/// time `now`. Nothing is applied if the core refuses the batch.
pub fn write_events(
    ctx: &Context,
    key: &RedisString,
    events: &[Event<'_>],
    now: i64,
) -> Result<IngestOutcome, RedisError> {
    let outcome = with_tracker_mut(ctx, key, IfMissing::CreateDefault, |tracker| {
        tracker.ingest(events, now).map_err(from_core)
    })?;
    replicate_apply(ctx, key, events, now);
    if outcome.accepted > 0 {
        notify(ctx, "add", key);
    }
    notify_finalized(ctx, key, outcome.finalized_days.len());
    Ok(outcome)
}

/// `<prefix>.APPLY`, named once (the prefix is set at load).
fn apply_command() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| command_name("APPLY"))
}

fn replicate_apply(ctx: &Context, key: &RedisString, events: &[Event<'_>], now: i64) {
    let numbers: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.ts.to_string(), e.count.to_string()))
        .collect();
    let now = now.to_string();
    let mut args: Vec<&[u8]> = Vec::with_capacity(2 + 4 * events.len());
    args.push(key.as_slice());
    args.push(now.as_bytes());
    for (event, (ts, count)) in events.iter().zip(&numbers) {
        args.extend([
            ts.as_bytes(),
            event.item,
            count.as_bytes(),
            event.id.unwrap_or(b"-"),
        ]);
    }
    ctx.replicate(apply_command(), args.as_slice());
}

/// The `[accepted, duplicates, dropped]` reply of INGEST and APPLY.
pub fn outcome_reply(outcome: &IngestOutcome) -> redis_module::RedisValue {
    let as_int = |n: u64| redis_module::RedisValue::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    redis_module::RedisValue::Array(vec![
        as_int(outcome.accepted),
        as_int(outcome.duplicates),
        as_int(outcome.dropped),
    ])
}

/// Parses `ts item count id` tuples (for INGEST and APPLY). A bad tuple rejects the whole
/// batch with an error that names it.
pub fn parse_tuples<'a>(tuples: &'a [RedisString], now: i64) -> Result<Vec<Event<'a>>, RedisError> {
    tuples
        .chunks(4)
        .enumerate()
        .map(|(i, tuple)| {
            let [ts, item, count, id] = tuple else {
                return Err(crate::errors::err("events come as ts item count id tuples"));
            };
            let in_tuple =
                |e: wtopk_core::CoreError| crate::errors::err(format!("event {}: {e}", i + 1));
            let id = id.as_slice();
            Ok(Event {
                ts: wtopk_core::parse::parse_timestamp(ts.as_slice(), now).map_err(in_tuple)?,
                item: wtopk_core::parse::check_item(item.as_slice()).map_err(in_tuple)?,
                count: wtopk_core::parse::parse_increment(count.as_slice()).map_err(in_tuple)?,
                id: (id != b"-").then_some(id),
            })
        })
        .collect()
}

//! `TOPK.QUERY key window [k] [WITHBOUNDS]`: the top k of a window, most frequent first.

use redis_module::{Context, RedisResult, RedisString, RedisValue};
use wtopk_core::parse::{parse_k, parse_window};
use wtopk_core::Bounds;

use crate::args::{wrong_arity, Args};
use crate::clock::server_now;
use crate::commands::command_name;
use crate::errors::from_core;
use crate::keys::with_tracker;

pub fn query(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if !(3..=5).contains(&args.len()) {
        return Err(wrong_arity(&command_name("QUERY")));
    }
    let mut args = Args::new(&args[1..]);
    let key = args.next("key")?;
    let window = parse_window(args.next_bytes("window")?).map_err(from_core)?;
    let with_bounds_first = args.eat_keyword("WITHBOUNDS");
    let k = if args.is_done() || with_bounds_first {
        None
    } else {
        Some(parse_k(args.next_bytes("k")?).map_err(from_core)?)
    };
    let with_bounds = with_bounds_first || args.eat_keyword("WITHBOUNDS");
    args.finish()?;
    with_tracker(ctx, key, |tracker| {
        let window = tracker.resolve_window(window).map_err(from_core)?;
        let k = k.unwrap_or(tracker.config().k);
        let top = tracker.query(window, k, server_now()).map_err(from_core)?;
        Ok(ranking_reply(top, with_bounds))
    })
}

/// The flat `item, count, ...` reply of QUERY and DAY; with bounds, `item, count, lower,
/// upper, ...` (all equal in EXACT mode).
pub fn ranking_reply(top: Vec<(&[u8], Bounds)>, with_bounds: bool) -> RedisValue {
    let int = |value: u64| RedisValue::Integer(i64::try_from(value).unwrap_or(i64::MAX));
    let mut reply = Vec::with_capacity(top.len() * if with_bounds { 4 } else { 2 });
    for (item, bounds) in top {
        reply.push(RedisValue::StringBuffer(item.to_vec()));
        reply.push(int(bounds.count));
        if with_bounds {
            reply.extend([int(bounds.lower), int(bounds.upper)]);
        }
    }
    RedisValue::Array(reply)
}

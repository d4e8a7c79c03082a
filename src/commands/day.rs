//! `TOPK.DAY key day [k]`: the top k of one retained calendar day.

use redis_module::{Context, RedisResult, RedisString};
use wtopk_core::parse::{parse_day, parse_k};

use crate::args::wrong_arity;
use crate::clock::server_now;
use crate::commands::command_name;
use crate::commands::query::ranking_reply;
use crate::errors::from_core;
use crate::keys::with_tracker;

pub fn day(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let (key, day, k) = match args {
        [_, key, day] => (key, day, None),
        [_, key, day, k] => (key, day, Some(k)),
        _ => return Err(wrong_arity(&command_name("DAY"))),
    };
    let day = parse_day(day.as_slice()).map_err(from_core)?;
    let k = k
        .map(|k| parse_k(k.as_slice()))
        .transpose()
        .map_err(from_core)?;
    with_tracker(ctx, key, |tracker| {
        let day = tracker.resolve_day(day, server_now()).map_err(from_core)?;
        let k = k.unwrap_or(tracker.config().k);
        let top = tracker.day_top(day, k).map_err(from_core)?;
        Ok(ranking_reply(top, false))
    })
}

//! `TOPK.INCRBY key item increment [item increment ...]`: like ADD with a count per item.

use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};
use wtopk_core::parse::{check_item, parse_increment};
use wtopk_core::Event;

use crate::args::wrong_arity;
use crate::clock::write_now;
use crate::commands::command_name;
use crate::commands::events::write_events;
use crate::errors::from_core;

pub fn incrby(ctx: &Context, args: Vec<RedisString>) -> RedisResult {
    let [_, key, pairs @ ..] = args.as_slice() else {
        return Err(wrong_arity(&command_name("INCRBY")));
    };
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(wrong_arity(&command_name("INCRBY")));
    }
    let now = write_now(ctx);
    let events = pairs
        .chunks_exact(2)
        .map(|pair| {
            Ok(Event {
                ts: now,
                item: check_item(pair[0].as_slice()).map_err(from_core)?,
                count: parse_increment(pair[1].as_slice()).map_err(from_core)?,
                id: None,
            })
        })
        .collect::<Result<Vec<_>, RedisError>>()?;
    let outcome = write_events(ctx, key, &events, now)?;
    Ok(RedisValue::Integer(outcome.accepted as i64))
}

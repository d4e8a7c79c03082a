//! `TOPK.INCRBY key item increment [item increment ...]`: like ADD with a count per item.

use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};
use wtopk_core::parse::{check_item, parse_increment};
use wtopk_core::Event;

use crate::args::wrong_arity;
use crate::commands::command_name;
use crate::commands::events::{no_id, write_events, ApplyArgs, Events, WriteTime};
use crate::errors::from_core;

pub fn incrby(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key, pairs @ ..] = args else {
        return Err(wrong_arity(&command_name("INCRBY")));
    };
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(wrong_arity(&command_name("INCRBY")));
    }
    let now = WriteTime::read(ctx);
    let no_id = no_id();
    let mut apply = ApplyArgs::new(key, &now, pairs.len() / 2);
    let events = pairs
        .chunks_exact(2)
        .map(|pair| {
            let [item, count] = pair else {
                return Err(wrong_arity(&command_name("INCRBY")));
            };
            apply.push(&now.text, item, count, no_id);
            Ok(Event {
                ts: now.ms,
                item: check_item(item.as_slice()).map_err(from_core)?,
                count: parse_increment(count.as_slice()).map_err(from_core)?,
                id: None,
            })
        })
        .collect::<Result<Events<'_>, RedisError>>()?;
    let outcome = write_events(ctx, key, &events, now.ms, &apply)?;
    Ok(RedisValue::Integer(outcome.accepted as i64))
}

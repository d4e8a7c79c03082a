//! `TOPK.ADD key item [item ...]`: one event per item, count 1, at the server's clock.

use redis_module::{Context, RedisResult, RedisString, RedisValue};

use crate::args::wrong_arity;
use crate::commands::command_name;
use crate::commands::events::{item_events, write_events, ApplyArgs, WriteTime};

pub fn add(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key, items @ ..] = args else {
        return Err(wrong_arity(&command_name("ADD")));
    };
    if items.is_empty() {
        return Err(wrong_arity(&command_name("ADD")));
    }
    let now = WriteTime::read(ctx);
    let mut apply = ApplyArgs::items(key, &now, items.len());
    let events = item_events(items, &now, &mut apply)?;
    let outcome = write_events(ctx, key, &events, now.ms, &apply)?;
    Ok(RedisValue::Integer(outcome.accepted as i64))
}

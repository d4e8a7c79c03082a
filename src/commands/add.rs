//! `TOPK.ADD key item [item ...]`: one event per item, count 1, at the server's clock.

use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};
use wtopk_core::parse::check_item;
use wtopk_core::Event;

use crate::args::wrong_arity;
use crate::commands::command_name;
use crate::commands::events::{count_one, no_id, write_events, ApplyArgs, WriteTime};
use crate::errors::from_core;

pub fn add(ctx: &Context, args: Vec<RedisString>) -> RedisResult {
    let [_, key, items @ ..] = args.as_slice() else {
        return Err(wrong_arity(&command_name("ADD")));
    };
    if items.is_empty() {
        return Err(wrong_arity(&command_name("ADD")));
    }
    let now = WriteTime::read(ctx);
    let (one, no_id) = (count_one(), no_id());
    let mut apply = ApplyArgs::new(key, &now, items.len());
    let events = items
        .iter()
        .map(|item| {
            apply.push(&now.text, item, one, no_id);
            Ok(Event {
                ts: now.ms,
                item: check_item(item.as_slice()).map_err(from_core)?,
                count: 1,
                id: None,
            })
        })
        .collect::<Result<Vec<_>, RedisError>>()?;
    let outcome = write_events(ctx, key, &events, now.ms, &apply)?;
    Ok(RedisValue::Integer(outcome.accepted as i64))
}

//! `TOPK.COUNT key window item [item ...]`: each item's count in a window (0 if unseen).

use redis_module::{Context, RedisResult, RedisString, RedisValue};
use wtopk_core::parse::parse_window;

use crate::args::wrong_arity;
use crate::clock::server_now;
use crate::commands::command_name;
use crate::errors::from_core;
use crate::keys::with_tracker;

pub fn count(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key, window, items @ ..] = args else {
        return Err(wrong_arity(&command_name("COUNT")));
    };
    if items.is_empty() {
        return Err(wrong_arity(&command_name("COUNT")));
    }
    let window = parse_window(window.as_slice()).map_err(from_core)?;
    let items: Vec<&[u8]> = items.iter().map(RedisString::as_slice).collect();
    with_tracker(ctx, key, |tracker| {
        let window = tracker.resolve_window(window).map_err(from_core)?;
        let counts = tracker
            .count(window, &items, server_now())
            .map_err(from_core)?;
        Ok(RedisValue::Array(
            counts
                .into_iter()
                .map(|c| RedisValue::Integer(c as i64))
                .collect(),
        ))
    })
}

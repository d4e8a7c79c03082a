//! `TOPK.DAYS key`: `[day, status, total]` per retained day, newest first.

use redis_module::{Context, RedisResult, RedisString, RedisValue};

use crate::args::wrong_arity;
use crate::clock::server_now;
use crate::commands::command_name;
use crate::errors::from_core;
use crate::keys::with_tracker;

pub fn days(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key] = args else {
        return Err(wrong_arity(&command_name("DAYS")));
    };
    with_tracker(ctx, key, |tracker| {
        let statuses = tracker.day_statuses(server_now()).map_err(from_core)?;
        Ok(RedisValue::Array(
            statuses
                .into_iter()
                .map(|status| {
                    let label = if status.is_final { "final" } else { "running" };
                    RedisValue::Array(vec![
                        RedisValue::BulkString(status.day.to_iso()),
                        RedisValue::BulkString(label.to_string()),
                        RedisValue::Integer(i64::try_from(status.total).unwrap_or(i64::MAX)),
                    ])
                })
                .collect(),
        ))
    })
}

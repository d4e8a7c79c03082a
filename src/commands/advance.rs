//! `TOPK.ADVANCE key timestamp`: moves the clock forward as if time had passed; replies T.
//! Replicated as `ADVANCE key T` with the resulting T, so replicas need no clock of their own.

use redis_module::{Context, RedisResult, RedisString, RedisValue};
use wtopk_core::parse::parse_timestamp;

use crate::args::wrong_arity;
use crate::clock::write_now;
use crate::commands::command_name;
use crate::errors::from_core;
use crate::keys::{with_tracker_mut, IfMissing};
use crate::notify::{notify, notify_finalized, Notice};

pub fn advance(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key, timestamp] = args else {
        return Err(wrong_arity(&command_name("ADVANCE")));
    };
    let now = write_now(ctx);
    let to = parse_timestamp(timestamp.as_slice(), now).map_err(from_core)?;
    let (before, (after, finalized)) = with_tracker_mut(ctx, key, IfMissing::Fail, |tracker| {
        let before = tracker.stored_clock();
        Ok((before, tracker.advance(to, now)))
    })?;
    let after_text = after.to_string();
    ctx.replicate(
        &command_name("ADVANCE"),
        &[key.as_slice(), after_text.as_bytes()][..],
    );
    if after > before {
        notify(ctx, Notice::Advance, key);
    }
    notify_finalized(ctx, key, finalized.len());
    Ok(RedisValue::Integer(after))
}

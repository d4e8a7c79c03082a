//! `TOPK.APPLY key now ts item count id [...]`: INGEST judged at an explicit server time.
//! The master replicates every write as APPLY, so a replica or an AOF replay reaches the
//! master's decisions (future bound, sliding, lateness) whatever its own clock says.

use redis_module::{Context, RedisResult, RedisString};

use crate::args::wrong_arity;
use crate::commands::command_name;
use crate::commands::events::{outcome_reply, parse_tuples, write_events, ApplyArgs, WriteTime};
use crate::errors::from_core;

pub fn apply(ctx: &Context, args: Vec<RedisString>) -> RedisResult {
    let [_, key, now, tuples @ ..] = args.as_slice() else {
        return Err(wrong_arity(&command_name("APPLY")));
    };
    if tuples.len() % 4 != 0 {
        return Err(wrong_arity(&command_name("APPLY")));
    }
    let now = WriteTime {
        ms: wtopk_core::parse::parse_timestamp(now.as_slice(), 0).map_err(from_core)?,
        text: now.safe_clone(ctx),
    };
    let mut apply = ApplyArgs::new(key, &now, tuples.len() / 4);
    let events = parse_tuples(tuples, &now, &mut apply)?;
    write_events(ctx, key, &events, now.ms, &apply).map(|outcome| outcome_reply(&outcome))
}

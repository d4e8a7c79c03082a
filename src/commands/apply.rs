//! `TOPK.APPLY key now ts item count id [...]`: INGEST judged at an explicit server time;
//! `TOPK.APPLY key now ITEMS item [item ...]`: ADD judged at an explicit server time. The
//! master replicates every write as APPLY, so a replica or an AOF replay reaches the
//! master's decisions (future bound, sliding, lateness) whatever its own clock says.

use redis_module::{Context, RedisResult, RedisString};

use crate::args::wrong_arity;
use crate::commands::command_name;
use crate::commands::events::{
    item_events, outcome_reply, parse_tuples, write_events, ApplyArgs, WriteTime, ITEMS_KEYWORD,
};
use crate::errors::from_core;

pub fn apply(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key, now, rest @ ..] = args else {
        return Err(wrong_arity(&command_name("APPLY")));
    };
    let now = WriteTime {
        ms: wtopk_core::parse::parse_timestamp(now.as_slice(), 0).map_err(from_core)?,
        text: now.safe_clone(ctx),
    };
    let (apply, events) = match rest {
        [keyword, items @ ..] if keyword.as_slice().eq_ignore_ascii_case(ITEMS_KEYWORD) => {
            if items.is_empty() {
                return Err(wrong_arity(&command_name("APPLY")));
            }
            let mut apply = ApplyArgs::items(key, &now, items.len());
            let events = item_events(items, &now, &mut apply)?;
            (apply, events)
        }
        tuples => {
            if tuples.len() % 4 != 0 {
                return Err(wrong_arity(&command_name("APPLY")));
            }
            let mut apply = ApplyArgs::new(key, &now, tuples.len() / 4);
            let events = parse_tuples(tuples, &now, &mut apply)?;
            (apply, events)
        }
    };
    write_events(ctx, key, &events, now.ms, &apply).map(|outcome| outcome_reply(&outcome))
}

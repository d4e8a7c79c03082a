//! `TOPK.INGEST key ts item count id [ts item count id ...]`: event-time ingestion in
//! batches; replies `[accepted, duplicates, dropped]`.

use redis_module::{Context, RedisResult, RedisString};

use crate::args::wrong_arity;
use crate::commands::command_name;
use crate::commands::events::{outcome_reply, parse_tuples, write_events, ApplyArgs, WriteTime};

pub fn ingest(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key, tuples @ ..] = args else {
        return Err(wrong_arity(&command_name("INGEST")));
    };
    if tuples.is_empty() || tuples.len() % 4 != 0 {
        return Err(wrong_arity(&command_name("INGEST")));
    }
    let now = WriteTime::read(ctx);
    let mut apply = ApplyArgs::new(key, &now, tuples.len() / 4);
    let events = parse_tuples(tuples, &now, &mut apply)?;
    write_events(ctx, key, &events, now.ms, &apply).map(|outcome| outcome_reply(&outcome))
}

//! `TOPK.LOADSTATE key`: turns a string key holding a tracker's encoding into the tracker.
//! The AOF rewrite writes each tracker as `APPEND key <chunk>` commands of under 1 MB
//! followed by LOADSTATE, so an AOF without RDB preamble rebuilds every tracker exactly.
//! A string that is not a valid encoding gets an error and the key is left as it was.

use redis_module::{Context, KeyType, RedisResult, RedisString, RedisValue};
use wtopk_core::encoding::decode;

use crate::args::wrong_arity;
use crate::commands::command_name;
use crate::data_type::TRACKER_TYPE;
use crate::errors::{from_core, wrong_type};
use crate::keys::missing;

pub fn loadstate(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key_name] = args else {
        return Err(wrong_arity(&command_name("LOADSTATE")));
    };
    let key = ctx.open_key_writable(key_name);
    match key.key_type() {
        KeyType::String => {}
        KeyType::Empty => return Err(missing(key_name)),
        _ => return Err(wrong_type()),
    }
    let tracker = {
        let encoded = key.as_string_dma()?;
        decode(&encoded).map_err(from_core)?
    };
    key.delete()?;
    key.set_value(&TRACKER_TYPE, tracker)
        .map_err(|_| wrong_type())?;
    ctx.replicate_verbatim();
    Ok(RedisValue::SimpleStringStatic("OK"))
}

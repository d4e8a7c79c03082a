//! The server clock as the tracker sees it. Commands that come from the replication link or
//! the AOF must not read this machine's clock: they carry the master's decisions explicitly,
//! so they see a server time of 0 and only the stored clock and their arguments count.

use std::time::{SystemTime, UNIX_EPOCH};

use redis_module::{Context, ContextFlags};
use wtopk_core::limits::MAX_TIMESTAMP;

/// Milliseconds since the epoch on this server, within the timestamp range.
pub fn server_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(MAX_TIMESTAMP))
        .unwrap_or(0)
        .clamp(0, MAX_TIMESTAMP)
}

/// True when the command replays the master's stream (a replica, or the AOF at load).
pub fn is_replay(ctx: &Context) -> bool {
    let flags = ctx.get_flags();
    flags.contains(ContextFlags::REPLICATED) || flags.contains(ContextFlags::LOADING)
}

/// The server time a write uses: this machine's clock, or 0 when replaying.
pub fn write_now(ctx: &Context) -> i64 {
    if is_replay(ctx) {
        0
    } else {
        server_now()
    }
}

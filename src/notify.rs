//! Keyspace notifications of the module class (`d`), named after the command family:
//! `topk.add`, or `<prefix>.add` in lower case under `PREFIX`.

use std::sync::OnceLock;

use redis_module::{Context, NotifyEvent, RedisString};

use crate::commands::prefix;

/// Publishes `<prefix>.<event>` for `key`.
pub fn notify(ctx: &Context, event: &str, key: &RedisString) {
    static CLASS: OnceLock<String> = OnceLock::new();
    let class = CLASS.get_or_init(|| prefix().to_ascii_lowercase());
    let name = format!("{class}.{event}");
    ctx.notify_keyspace_event(NotifyEvent::MODULE, &name, key);
}

/// Publishes `<prefix>.dayfinal` once per day the stored state just finalized.
pub fn notify_finalized(ctx: &Context, key: &RedisString, days: usize) {
    for _ in 0..days {
        notify(ctx, "dayfinal", key);
    }
}

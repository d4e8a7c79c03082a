//! Error replies: every error starts with `ERR` (or `WRONGTYPE`) and says what was wrong.

use redis_module::RedisError;
use wtopk_core::CoreError;

/// An `ERR` reply with the given sentence. Anything outside printable ASCII is escaped: an
/// error is a simple string, and the reply writer would split multi-byte characters.
pub fn err(message: impl std::fmt::Display) -> RedisError {
    let text = format!("ERR {message}");
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c == ' ' || c.is_ascii_graphic() {
            shown.push(c);
        } else {
            shown.extend(c.escape_unicode());
        }
    }
    RedisError::String(shown)
}

/// The standard reply for a key of another type.
pub fn wrong_type() -> RedisError {
    RedisError::Str("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// Core errors become `ERR` replies.
pub fn from_core(error: CoreError) -> RedisError {
    err(error)
}

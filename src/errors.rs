//! Error replies: every error starts with `ERR` (or `WRONGTYPE`) and says what was wrong.

use redis_module::RedisError;
use wtopk_core::CoreError;

/// An `ERR` reply with the given sentence. Anything outside printable ASCII is escaped: an
/// error is a simple string, and the reply writer would split multi-byte characters.
pub fn err(message: impl std::fmt::Display) -> RedisError {
    let text = format!("ERR {message}");
    if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return RedisError::String(text);
    }
    RedisError::String(
        text.chars()
            .map(|c| match c {
                ' ' => c.to_string(),
                c if c.is_ascii_graphic() => c.to_string(),
                c => c.escape_unicode().to_string(),
            })
            .collect(),
    )
}

/// The standard reply for a key of another type.
pub fn wrong_type() -> RedisError {
    RedisError::Str("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// Core errors become `ERR` replies.
pub fn from_core(error: CoreError) -> RedisError {
    err(error)
}

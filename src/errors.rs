//! Error replies: every error starts with `ERR` (or `WRONGTYPE`) and says what was wrong.

use redis_module::RedisError;
use wtopk_core::CoreError;

/// An `ERR` reply with the given sentence.
pub fn err(message: impl std::fmt::Display) -> RedisError {
    RedisError::String(format!("ERR {message}"))
}

/// The standard reply for a key of another type.
pub fn wrong_type() -> RedisError {
    RedisError::Str("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// Core errors become `ERR` replies.
pub fn from_core(error: CoreError) -> RedisError {
    err(error)
}

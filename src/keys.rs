//! Opening tracker keys: a read of a missing key is an error that says so, a key of another
//! type is `WRONGTYPE`, and writers may create the key with the default configuration. The
//! tracker is lent to a closure for as long as the key is open.

use redis_module::{Context, KeyType, RedisError, RedisString};
use wtopk_core::parse::shown;
use wtopk_core::{Tracker, TrackerConfig};

use crate::data_type::TRACKER_TYPE;
use crate::errors::{err, from_core, wrong_type};

/// The error for a key that does not exist.
pub fn missing(name: &RedisString) -> RedisError {
    err(format!("key '{}' does not exist", shown(name.as_slice())))
}

/// Lends the tracker at `name` to `read`; error if the key is missing or of another type.
pub fn with_tracker<R>(
    ctx: &Context,
    name: &RedisString,
    read: impl FnOnce(&Tracker) -> Result<R, RedisError>,
) -> Result<R, RedisError> {
    let key = ctx.open_key(name);
    let tracker = key
        .get_value::<Tracker>(&TRACKER_TYPE)
        .map_err(|_| wrong_type())?
        .ok_or_else(|| missing(name))?;
    read(tracker)
}

/// What a writer does when the key is missing.
pub enum IfMissing {
    /// Reply that the key does not exist.
    Fail,
    /// Create the key with the default configuration.
    CreateDefault,
}

/// Lends the tracker at `name` to `write`, creating it first if asked to. A tracker created
/// here is removed again if `write` refuses, so a refused command leaves no key behind.
pub fn with_tracker_mut<R>(
    ctx: &Context,
    name: &RedisString,
    if_missing: IfMissing,
    write: impl FnOnce(&mut Tracker) -> Result<R, RedisError>,
) -> Result<R, RedisError> {
    let key = ctx.open_key_writable(name);
    let created = key.key_type() == KeyType::Empty;
    if created {
        match if_missing {
            IfMissing::Fail => return Err(missing(name)),
            IfMissing::CreateDefault => {
                let tracker = Tracker::new(TrackerConfig::default()).map_err(from_core)?;
                key.set_value(&TRACKER_TYPE, tracker)
                    .map_err(|_| wrong_type())?;
            }
        }
    }
    let tracker = key
        .get_value::<Tracker>(&TRACKER_TYPE)
        .map_err(|_| wrong_type())?
        .ok_or_else(|| missing(name))?;
    let result = write(tracker);
    if created && result.is_err() {
        key.delete()?;
    }
    result
}

/// Stores a new tracker at `name`; error if the key exists.
pub fn create(ctx: &Context, name: &RedisString, tracker: Tracker) -> Result<(), RedisError> {
    let key = ctx.open_key_writable(name);
    if key.key_type() != KeyType::Empty {
        return Err(err(format!(
            "key '{}' already exists",
            shown(name.as_slice())
        )));
    }
    key.set_value(&TRACKER_TYPE, tracker)
        .map_err(|_| wrong_type())
}

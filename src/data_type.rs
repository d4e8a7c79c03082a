//! The tracker data type and its callbacks: RDB save/load (the core's versioned encoding in
//! one string buffer), AOF rewrite (that encoding as `APPEND` chunks under 1 MB, then
//! `TOPK.LOADSTATE`), memory usage, digest, copy and free. Each callback runs inside the
//! panic guard; a payload that does not decode fails the load cleanly instead of crashing.

use std::ffi::{c_void, CString};
use std::os::raw::c_int;

use redis_module::logging::log_warning;
use redis_module::{native_types::RedisType, raw, RedisString};
use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::Tracker;

use crate::background_drop;
use crate::commands::command_name;
use crate::safety::guard;

/// The RDB encoding version of the type (Redis' `encver`); the core's encoding carries its
/// own version inside.
const TYPE_VERSION: c_int = 1;

pub static TRACKER_TYPE: RedisType = RedisType::new(
    "wtopk-trk",
    TYPE_VERSION,
    raw::RedisModuleTypeMethods {
        version: raw::REDISMODULE_TYPE_METHOD_VERSION as u64,
        rdb_load: Some(rdb_load),
        rdb_save: Some(rdb_save),
        aof_rewrite: Some(aof_rewrite),
        mem_usage: Some(mem_usage),
        digest: Some(digest),
        free: Some(free),
        aux_load: None,
        aux_save: None,
        aux_save2: None,
        aux_save_triggers: 0,
        free_effort: Some(free_effort),
        unlink: None,
        copy: Some(copy),
        defrag: None,
        mem_usage2: None,
        free_effort2: None,
        unlink2: None,
        copy2: None,
    },
);

/// Borrows the tracker behind a value pointer handed to a callback.
///
/// # Safety
/// `value` must be a pointer stored by this module with `set_value`.
unsafe fn tracker<'a>(value: *const c_void) -> &'a Tracker {
    &*value.cast::<Tracker>()
}

extern "C" fn rdb_load(rdb: *mut raw::RedisModuleIO, encver: c_int) -> *mut c_void {
    guard(
        || {
            if encver > TYPE_VERSION {
                log_warning(format!(
                    "redis-wtopk: tracker RDB version {encver} is newer than this module ({TYPE_VERSION})"
                ));
                return std::ptr::null_mut();
            }
            let Ok(buffer) = raw::load_string_buffer(rdb) else {
                return std::ptr::null_mut();
            };
            match decode(buffer.as_ref()) {
                Ok(tracker) => Box::into_raw(Box::new(tracker)).cast::<c_void>(),
                Err(error) => {
                    log_warning(format!("redis-wtopk: cannot load a tracker: {error}"));
                    std::ptr::null_mut()
                }
            }
        },
        std::ptr::null_mut,
    )
}

unsafe extern "C" fn rdb_save(rdb: *mut raw::RedisModuleIO, value: *mut c_void) {
    let tracker = tracker(value);
    guard(|| raw::save_slice(rdb, &encode(tracker)), || ())
}

/// Largest payload of one emitted `APPEND` (the command stays under 1 MB with its key).
const AOF_CHUNK: usize = 1_000_000;

unsafe extern "C" fn aof_rewrite(
    aof: *mut raw::RedisModuleIO,
    key: *mut raw::RedisModuleString,
    value: *mut c_void,
) {
    let tracker = tracker(value);
    guard(
        || {
            let Some(emit) = raw::RedisModule_EmitAOF else {
                return;
            };
            let encoded = encode(tracker);
            let chunk = AOF_CHUNK
                .saturating_sub(RedisString::string_as_slice(key).len())
                .max(4096);
            let (Ok(append), Ok(with_buffer), Ok(load), Ok(key_only)) = (
                CString::new("APPEND"),
                CString::new("sb"),
                CString::new(command_name("LOADSTATE")),
                CString::new("s"),
            ) else {
                return;
            };
            for part in encoded.chunks(chunk) {
                emit(
                    aof,
                    append.as_ptr(),
                    with_buffer.as_ptr(),
                    key,
                    part.as_ptr(),
                    part.len(),
                );
            }
            emit(aof, load.as_ptr(), key_only.as_ptr(), key);
        },
        || (),
    )
}

unsafe extern "C" fn mem_usage(value: *const c_void) -> usize {
    let tracker = tracker(value);
    guard(|| tracker.heap_bytes(), || 0)
}

/// Roughly the allocations freeing the tracker costs; Redis frees values above 64 in its
/// background thread. Never 0, which Redis reads as "always free in the background".
unsafe extern "C" fn free_effort(_key: *mut raw::RedisModuleString, value: *const c_void) -> usize {
    let tracker = tracker(value);
    guard(
        || (tracker.distinct_items() * (tracker.windows().len() + 1)).max(1),
        || 0,
    )
}

unsafe extern "C" fn digest(md: *mut raw::RedisModuleDigest, value: *mut c_void) {
    let tracker = tracker(value);
    guard(
        || {
            let bytes = digest_bytes(tracker);
            if let (Some(add), Some(end)) = (
                raw::RedisModule_DigestAddStringBuffer,
                raw::RedisModule_DigestEndSequence,
            ) {
                add(md, bytes.as_ptr().cast(), bytes.len());
                end(md);
            }
        },
        || (),
    )
}

unsafe extern "C" fn copy(
    _from: *mut raw::RedisModuleString,
    _to: *mut raw::RedisModuleString,
    value: *const c_void,
) -> *mut c_void {
    let tracker = tracker(value);
    guard(
        || Box::into_raw(Box::new(tracker.clone())).cast::<c_void>(),
        std::ptr::null_mut,
    )
}

unsafe extern "C" fn free(value: *mut c_void) {
    if !value.is_null() {
        guard(
            || background_drop::drop_tracker(Box::from_raw(value.cast::<Tracker>())),
            || (),
        );
    }
}

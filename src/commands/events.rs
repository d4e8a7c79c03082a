//! The shared write path of ADD, INCRBY, INGEST and APPLY: run one batch of events through
//! the tracker at a given server time, then replicate it as `APPLY key now <events>` so that
//! replicas and the AOF judge it with the master's clock, and notify `topk.add`. ADD's
//! events, every one at `now` with count 1, go as `APPLY key now ITEMS item [item ...]`: a
//! quarter of the arguments the `ts item count id` tuples would take.

use std::cell::Cell;
use std::ffi::CString;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::OnceLock;

use redis_module::{raw, Context, RedisError, RedisString};
use smallvec::SmallVec;
use wtopk_core::parse::{check_item, parse_increment, parse_timestamp};
use wtopk_core::{Event, IngestOutcome};

use crate::args::INLINE_ARGS;
use crate::clock::write_now;
use crate::commands::command_name;
use crate::errors::from_core;
use crate::keys::{with_tracker_mut, IfMissing};
use crate::notify::{notify, notify_finalized, Notice};

/// A write's events, the first few held in place: a one-item write allocates none.
pub type Events<'a> = SmallVec<[Event<'a>; 4]>;

/// The server time of one write, and its decimal text for `APPLY`.
pub struct WriteTime {
    pub ms: i64,
    pub text: RedisString,
}

thread_local! {
    /// The last server time a write read, and its text, made once per millisecond rather
    /// than once per write. It holds one reference to the string, given back when the time
    /// changes; a raw pointer, so the thread has nothing to free at exit, after the server
    /// may have shut its allocator down.
    static LAST_TIME: Cell<(i64, *mut raw::RedisModuleString)> =
        const { Cell::new((i64::MIN, std::ptr::null_mut())) };
}

impl WriteTime {
    /// Reads the server time a write uses (see [`write_now`]).
    pub fn read(ctx: &Context) -> Self {
        let ms = write_now(ctx);
        let text = LAST_TIME.with(|last| {
            let (at, text) = last.get();
            if at == ms && !text.is_null() {
                return text;
            }
            if !text.is_null() {
                drop(RedisString::from_redis_module_string(
                    std::ptr::null_mut(),
                    text,
                ));
            }
            let fresh = ManuallyDrop::new(own_string(ms.to_string().as_bytes()));
            last.set((ms, fresh.inner));
            fresh.inner
        });
        WriteTime {
            ms,
            text: RedisString::new(None, text),
        }
    }
}

/// A string of our own for `APPLY`'s arguments, outside the command's auto memory (no
/// C string copy, freed when dropped).
pub fn own_string(bytes: &[u8]) -> RedisString {
    RedisString::create_from_slice(std::ptr::null_mut(), bytes)
}

thread_local! {
    static NO_ID: &'static RedisString = Box::leak(Box::new(own_string(b"-")));
    static ITEMS: &'static RedisString = Box::leak(Box::new(own_string(ITEMS_KEYWORD)));
}

/// The word after `now` that makes `APPLY`'s arguments items rather than tuples; a tuple
/// starts with a timestamp, which is never a word.
pub const ITEMS_KEYWORD: &[u8] = b"ITEMS";

/// The `-` (no id) of `APPLY`'s tuples for INCRBY's events, made once per thread and kept
/// for the module's lifetime: the server only takes references to it, so a write does not
/// make and free its own copy.
pub fn no_id() -> &'static RedisString {
    NO_ID.with(|string| *string)
}

/// The arguments of the `APPLY` a write is replicated as: the key, the server time, then one
/// `ts item count id` tuple per event, or `ITEMS` and one item per event. They are the
/// client's own strings wherever a replica reads them the same way, so replicating
/// allocates nothing per event; they are kept as the server's pointers, ready for
/// `RedisModule_Replicate`, and borrowed for `'a`. A one-item write's fit in place.
pub struct ApplyArgs<'a> {
    args: SmallVec<[*mut raw::RedisModuleString; INLINE_ARGS]>,
    strings: PhantomData<&'a RedisString>,
}

impl<'a> ApplyArgs<'a> {
    pub fn new(key: &'a RedisString, now: &'a WriteTime, events: usize) -> Self {
        let mut args = SmallVec::with_capacity(2 + 4 * events);
        args.extend([key.inner, now.text.inner]);
        ApplyArgs {
            args,
            strings: PhantomData,
        }
    }

    /// The arguments of an `APPLY key now ITEMS ...`, for `items` items.
    pub fn items(key: &'a RedisString, now: &'a WriteTime, items: usize) -> Self {
        let mut args = SmallVec::with_capacity(3 + items);
        args.extend([key.inner, now.text.inner, ITEMS.with(|items| items.inner)]);
        ApplyArgs {
            args,
            strings: PhantomData,
        }
    }

    pub fn push(
        &mut self,
        ts: &'a RedisString,
        item: &'a RedisString,
        count: &'a RedisString,
        id: &'a RedisString,
    ) {
        self.args
            .extend([ts.inner, item.inner, count.inner, id.inner]);
    }

    /// Adds the items of an `APPLY ... ITEMS` (see [`ApplyArgs::items`]).
    pub fn push_items(&mut self, items: &'a [RedisString]) {
        self.args.extend(items.iter().map(|item| item.inner));
    }

    /// Replicates `<prefix>.APPLY` with these arguments.
    fn replicate(&self, ctx: &Context) {
        // SAFETY: the server fills the API table before any command runs; reading the entry
        // copies a function pointer.
        let Some(replicate) = (unsafe { raw::RedisModule_Replicate }) else {
            return;
        };
        let name = apply_command().as_ptr();
        // A one-event write's arguments go one by one (`s` each): the server then sizes its
        // copy of them once, where `v` makes it grow the copy a second time.
        // SAFETY: `ctx` is the running command's context; the name is NUL-terminated and
        // lives as long as the module; each `s` takes one string and `v` an array of strings
        // and its length, and every string is borrowed for `'a`, so all are alive. The
        // server takes its own references to the strings it keeps.
        unsafe {
            match *self.args.as_slice() {
                [a, b, c, d] => replicate(ctx.ctx, name, c"ssss".as_ptr(), a, b, c, d),
                [a, b, c, d, e, f] => {
                    replicate(ctx.ctx, name, c"ssssss".as_ptr(), a, b, c, d, e, f)
                }
                _ => replicate(ctx.ctx, name, raw::FMT, self.args.as_ptr(), self.args.len()),
            };
        }
    }
}

/// Applies `events` to the tracker at `key` (created with defaults if missing) at server
/// time `now`, then replicates `apply`. Nothing is applied if the core refuses the batch.
pub fn write_events(
    ctx: &Context,
    key: &RedisString,
    events: &[Event<'_>],
    now: i64,
    apply: &ApplyArgs<'_>,
) -> Result<IngestOutcome, RedisError> {
    let outcome = with_tracker_mut(ctx, key, IfMissing::CreateDefault, |tracker| {
        tracker.ingest(events, now).map_err(from_core)
    })?;
    apply.replicate(ctx);
    if outcome.accepted > 0 {
        notify(ctx, Notice::Add, key);
    }
    notify_finalized(ctx, key, outcome.finalized_days.len());
    Ok(outcome)
}

/// `<prefix>.APPLY` as a C string, made once (the prefix is set at load and holds letters,
/// digits and `_` only, so the name has no NUL byte).
fn apply_command() -> &'static CString {
    static NAME: OnceLock<CString> = OnceLock::new();
    NAME.get_or_init(|| CString::new(command_name("APPLY")).unwrap_or_default())
}

/// The `[accepted, duplicates, dropped]` reply of INGEST and APPLY.
pub fn outcome_reply(outcome: &IngestOutcome) -> redis_module::RedisValue {
    let as_int = |n: u64| redis_module::RedisValue::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    redis_module::RedisValue::Array(vec![
        as_int(outcome.accepted),
        as_int(outcome.duplicates),
        as_int(outcome.dropped),
    ])
}

/// Parses `ts item count id` tuples (for INGEST and APPLY) at server time `now`, adding each
/// to `apply` (a `*` timestamp as `now`'s text). A bad tuple rejects the whole batch with an
/// error that names it.
pub fn parse_tuples<'a>(
    tuples: &'a [RedisString],
    now: &'a WriteTime,
    apply: &mut ApplyArgs<'a>,
) -> Result<Events<'a>, RedisError> {
    let mut events = Events::with_capacity(tuples.len() / 4);
    for (i, tuple) in tuples.chunks(4).enumerate() {
        let [ts, item, count, id] = tuple else {
            return Err(crate::errors::err("events come as ts item count id tuples"));
        };
        let in_tuple =
            |e: wtopk_core::CoreError| crate::errors::err(format!("event {}: {e}", i + 1));
        events.push(Event {
            ts: parse_timestamp(ts.as_slice(), now.ms).map_err(in_tuple)?,
            item: check_item(item.as_slice()).map_err(in_tuple)?,
            count: parse_increment(count.as_slice()).map_err(in_tuple)?,
            id: (id.as_slice() != b"-").then_some(id.as_slice()),
        });
        let ts = if ts.as_slice() == b"*" { &now.text } else { ts };
        apply.push(ts, item, count, id);
    }
    Ok(events)
}

/// ADD's events: one per item at server time `now`, count 1, added to `apply` (made with
/// [`ApplyArgs::items`]). A bad item rejects the whole batch.
pub fn item_events<'a>(
    items: &'a [RedisString],
    now: &WriteTime,
    apply: &mut ApplyArgs<'a>,
) -> Result<Events<'a>, RedisError> {
    let events: Events<'a> = items
        .iter()
        .map(|item| Event {
            ts: now.ms,
            item: item.as_slice(),
            count: 1,
            id: None,
        })
        .collect();
    if let Some(bad) = events.iter().find_map(|event| check_item(event.item).err()) {
        return Err(from_core(bad));
    }
    apply.push_items(items);
    Ok(events)
}

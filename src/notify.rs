//! Keyspace notifications of the module class (`d`), named after the command family:
//! `topk.add`, or `<prefix>.add` in lower case under `PREFIX`. Every write notifies, so the
//! names are made once, as C strings, and passed to the server as they are.

use std::ffi::CString;
use std::sync::OnceLock;

use redis_module::{raw, Context, NotifyEvent, RedisString};

use crate::commands::prefix;

/// What a write announces.
#[derive(Debug, Clone, Copy)]
pub enum Notice {
    /// Events were counted (`<prefix>.add`).
    Add,
    /// The clock was moved by `ADVANCE` (`<prefix>.advance`).
    Advance,
    /// A day became final (`<prefix>.dayfinal`).
    DayFinal,
}

const NOTICES: [Notice; 3] = [Notice::Add, Notice::Advance, Notice::DayFinal];

impl Notice {
    fn suffix(self) -> &'static str {
        match self {
            Notice::Add => "add",
            Notice::Advance => "advance",
            Notice::DayFinal => "dayfinal",
        }
    }

    /// `<prefix>.<suffix>` in lower case, made at the first notification (the prefix is set
    /// at load and holds letters, digits and `_` only, so the name has no NUL byte).
    fn name(self) -> &'static CString {
        static NAMES: OnceLock<[CString; 3]> = OnceLock::new();
        let names = NAMES.get_or_init(|| {
            let class = prefix().to_ascii_lowercase();
            NOTICES.map(|notice| {
                CString::new(format!("{class}.{}", notice.suffix())).unwrap_or_default()
            })
        });
        &names[self as usize]
    }
}

/// Publishes `notice` for `key`.
pub fn notify(ctx: &Context, notice: Notice, key: &RedisString) {
    // SAFETY: the server fills the API table before any command runs; reading the entry
    // copies a function pointer.
    let Some(notify_keyspace_event) = (unsafe { raw::RedisModule_NotifyKeyspaceEvent }) else {
        return;
    };
    // SAFETY: `ctx` is the running command's context, the name is a NUL-terminated string
    // that lives as long as the module, and `key` is a live string the server only reads.
    unsafe {
        notify_keyspace_event(
            ctx.ctx,
            NotifyEvent::MODULE.bits(),
            notice.name().as_ptr(),
            key.inner,
        );
    }
}

/// Publishes `<prefix>.dayfinal` once per day the stored state just finalized.
pub fn notify_finalized(ctx: &Context, key: &RedisString, days: usize) {
    for _ in 0..days {
        notify(ctx, Notice::DayFinal, key);
    }
}

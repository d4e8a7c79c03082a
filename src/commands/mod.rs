//! The command table. Each command lives in its own file (`query.rs` is `TOPK.QUERY`) as a
//! thin function: parse, one core call, reply. This file registers them under the command
//! family's prefix (`TOPK`, or the module argument `PREFIX name`) with their flags and key
//! positions, and wraps each in the panic guard.

mod add;
mod advance;
mod apply;
mod count;
mod create;
mod day;
mod days;
mod events;
mod incrby;
mod info;
mod ingest;
mod loadstate;
mod query;

use std::ffi::CString;
use std::os::raw::c_int;
use std::sync::OnceLock;

use redis_module::{raw, Context, RedisString, Status};

static PREFIX: OnceLock<String> = OnceLock::new();
const DEFAULT_PREFIX: &str = "TOPK";

/// The command family's prefix as loaded (`TOPK` by default).
pub fn prefix() -> &'static str {
    PREFIX.get().map_or(DEFAULT_PREFIX, String::as_str)
}

/// The full name of one of our commands, for replication and messages.
pub fn command_name(suffix: &str) -> String {
    format!("{}.{suffix}", prefix())
}

/// Reads `PREFIX name` from the module arguments; letters, digits and `_` only.
pub fn prefix_from_args(args: &[RedisString]) -> Result<String, String> {
    match args {
        [] => Ok(DEFAULT_PREFIX.to_string()),
        [keyword, name] if keyword.as_slice().eq_ignore_ascii_case(b"PREFIX") => {
            let name = name.to_string_lossy();
            let valid = !name.is_empty()
                && name.len() <= 32
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if valid {
                Ok(name.to_ascii_uppercase())
            } else {
                Err(format!(
                    "redis-wtopk: invalid PREFIX '{name}' (letters, digits and _ only, at most 32)"
                ))
            }
        }
        _ => Err("redis-wtopk: unknown module arguments (the only one is PREFIX name)".to_string()),
    }
}

type RawCommand =
    extern "C" fn(*mut raw::RedisModuleCtx, *mut *mut raw::RedisModuleString, c_int) -> c_int;

/// Wraps a handler `fn(&Context, &[RedisString]) -> RedisResult` into a C entry point
/// that replies with its result and turns a panic into an error reply.
macro_rules! entry_point {
    ($handler:path) => {{
        extern "C" fn entry(
            ctx: *mut raw::RedisModuleCtx,
            argv: *mut *mut raw::RedisModuleString,
            argc: c_int,
        ) -> c_int {
            let context = Context::new(ctx);
            // SAFETY: `argv` and `argc` come from the server for this call, and `args` is
            // dropped before it returns.
            let args = unsafe { crate::args::Argv::borrow(ctx, argv, argc) };
            let result = crate::safety::guard(
                || $handler(&context, args.as_slice()),
                || {
                    Err(crate::errors::err(
                        "internal error in redis-wtopk (see the server log); nothing was applied",
                    ))
                },
            );
            context.reply(result) as c_int
        }
        entry as RawCommand
    }};
}

struct CommandDef {
    suffix: &'static str,
    entry: RawCommand,
    flags: &'static str,
}

fn command_table() -> [CommandDef; 12] {
    const WRITE: &str = "write deny-oom";
    const READ: &str = "readonly";
    [
        CommandDef {
            suffix: "CREATE",
            entry: entry_point!(create::create),
            flags: WRITE,
        },
        CommandDef {
            suffix: "ADD",
            entry: entry_point!(add::add),
            flags: WRITE,
        },
        CommandDef {
            suffix: "INCRBY",
            entry: entry_point!(incrby::incrby),
            flags: WRITE,
        },
        CommandDef {
            suffix: "INGEST",
            entry: entry_point!(ingest::ingest),
            flags: WRITE,
        },
        CommandDef {
            suffix: "APPLY",
            entry: entry_point!(apply::apply),
            flags: WRITE,
        },
        CommandDef {
            suffix: "ADVANCE",
            entry: entry_point!(advance::advance),
            flags: WRITE,
        },
        CommandDef {
            suffix: "QUERY",
            entry: entry_point!(query::query),
            flags: READ,
        },
        CommandDef {
            suffix: "COUNT",
            entry: entry_point!(count::count),
            flags: READ,
        },
        CommandDef {
            suffix: "DAY",
            entry: entry_point!(day::day),
            flags: READ,
        },
        CommandDef {
            suffix: "DAYS",
            entry: entry_point!(days::days),
            flags: READ,
        },
        CommandDef {
            suffix: "LOADSTATE",
            entry: entry_point!(loadstate::loadstate),
            flags: WRITE,
        },
        CommandDef {
            suffix: "INFO",
            entry: entry_point!(info::info),
            flags: READ,
        },
    ]
}

/// Registers every command as `<prefix>.<NAME>`; each takes its key as the first argument.
pub fn register_all(ctx: &Context, prefix: &str) -> Status {
    let _ = PREFIX.set(prefix.to_string());
    let Some(create_command) = (unsafe { raw::RedisModule_CreateCommand }) else {
        return Status::Err;
    };
    for def in command_table() {
        let full_name = format!("{prefix}.{}", def.suffix);
        let (Ok(name), Ok(flags)) = (CString::new(full_name.clone()), CString::new(def.flags))
        else {
            return Status::Err;
        };
        let status = unsafe {
            create_command(
                ctx.ctx,
                name.as_ptr(),
                Some(def.entry),
                flags.as_ptr(),
                1,
                1,
                1,
            )
        };
        if status == raw::Status::Err as c_int {
            ctx.log_warning(&format!(
                "redis-wtopk: cannot register {full_name} (name taken? try PREFIX)"
            ));
            return Status::Err;
        }
    }
    Status::Ok
}

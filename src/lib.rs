//! redis-wtopk, the Redis module: registration, the tracker data type and the commands. Every
//! algorithm lives in the `wtopk-core` crate; this crate parses arguments, makes one core
//! call per command, replies, replicates and persists. Load it with
//! `redis-server --loadmodule libredis_wtopk.so [PREFIX name]`.

mod args;
mod background_drop;
mod clock;
mod commands;
mod data_type;
mod errors;
mod keys;
mod notify;
mod safety;

use redis_module::{redis_module, Context, ModuleOptions, RedisString, Status};

use data_type::TRACKER_TYPE;

/// Module load: read `PREFIX`, install the panic hook, register the commands.
fn init(ctx: &Context, args: &[RedisString]) -> Status {
    safety::install_panic_hook();
    ctx.set_module_options(ModuleOptions::HANDLE_IO_ERRORS);
    let prefix = match commands::prefix_from_args(args) {
        Ok(prefix) => prefix,
        Err(message) => {
            ctx.log_warning(&message);
            return Status::Err;
        }
    };
    commands::register_all(ctx, &prefix)
}

redis_module! {
    name: "wtopk",
    version: 1,
    allocator: (redis_module::alloc::RedisAlloc, redis_module::alloc::RedisAlloc),
    data_types: [TRACKER_TYPE],
    init: init,
}

//! Panic containment. A panic unwinding out of a module callback aborts the whole Redis
//! server, so every entry point runs inside [`guard`], which turns a panic into an error
//! (or a default) and a log line, and the panic hook writes the panic's message and place to
//! the Redis log instead of stderr.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use redis_module::logging::log_warning;

static HOOK: Once = Once::new();

/// Sends panic messages to the Redis log.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        panic::set_hook(Box::new(|info| {
            log_warning(format!("redis-wtopk: internal error (panic): {info}"));
        }));
    });
}

/// Runs `body`; a panic becomes `on_panic()` instead of unwinding into Redis.
pub fn guard<T>(body: impl FnOnce() -> T, on_panic: impl FnOnce() -> T) -> T {
    panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| on_panic())
}

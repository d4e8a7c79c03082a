//! Reading a command's arguments: the server's argument vector borrowed for the call, a
//! cursor over the raw argument bytes with keyword matching, and the arity error.

use std::mem::ManuallyDrop;
use std::os::raw::c_int;

use redis_module::{raw, RedisError, RedisString};
use smallvec::SmallVec;

use crate::errors::err;

/// A command's arguments, borrowed from the server for the length of the call: no reference
/// is taken or given back per argument (a `TOPK.ADD` of 100 items has 102 of them), and a
/// handler sees them as a slice, so it cannot move one out and free it. Up to
/// [`INLINE_ARGS`] of them are held without allocating.
pub struct Argv(SmallVec<[ManuallyDrop<RedisString>; INLINE_ARGS]>);

/// The arguments an [`Argv`] holds in place: a single-item write has 3 to 6.
pub const INLINE_ARGS: usize = 8;

impl Argv {
    /// Borrows the `argc` strings at `argv`.
    ///
    /// # Safety
    /// `argv` and `argc` are what the server passed to the running command (or `argv` is
    /// null), and the `Argv` is dropped before the command returns.
    pub unsafe fn borrow(
        ctx: *mut raw::RedisModuleCtx,
        argv: *mut *mut raw::RedisModuleString,
        argc: c_int,
    ) -> Self {
        let count = usize::try_from(argc).unwrap_or(0);
        if argv.is_null() || count == 0 {
            return Argv(SmallVec::new());
        }
        // SAFETY: the server passes `argc` valid string pointers at `argv`, alive until the
        // command returns (the caller's contract).
        let strings = unsafe { std::slice::from_raw_parts(argv, count) };
        Argv(
            strings
                .iter()
                .map(|&inner| ManuallyDrop::new(RedisString::from_redis_module_string(ctx, inner)))
                .collect(),
        )
    }

    pub fn as_slice(&self) -> &[RedisString] {
        // SAFETY: `ManuallyDrop<T>` has the layout of `T` (it is `repr(transparent)`), and the
        // slice borrows `self`, so no string outlives the borrow.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<RedisString>(), self.0.len()) }
    }
}

/// A cursor over a command's arguments after the command name.
pub struct Args<'a> {
    args: &'a [RedisString],
    next: usize,
}

impl<'a> Args<'a> {
    pub fn new(args: &'a [RedisString]) -> Self {
        Args { args, next: 0 }
    }

    /// The next argument, or an error naming what was expected.
    pub fn next(&mut self, what: &str) -> Result<&'a RedisString, RedisError> {
        let arg = self
            .args
            .get(self.next)
            .ok_or_else(|| err(format!("missing {what}")))?;
        self.next += 1;
        Ok(arg)
    }

    /// The next argument's bytes.
    pub fn next_bytes(&mut self, what: &str) -> Result<&'a [u8], RedisError> {
        self.next(what).map(RedisString::as_slice)
    }

    /// The next argument if it is `keyword` (any case), consuming it.
    pub fn eat_keyword(&mut self, keyword: &str) -> bool {
        let matches = self
            .args
            .get(self.next)
            .is_some_and(|arg| arg.as_slice().eq_ignore_ascii_case(keyword.as_bytes()));
        if matches {
            self.next += 1;
        }
        matches
    }

    /// Arguments not consumed yet.
    pub fn remaining(&self) -> usize {
        self.args.len().saturating_sub(self.next)
    }

    pub fn is_done(&self) -> bool {
        self.remaining() == 0
    }

    /// Error unless every argument was consumed.
    pub fn finish(&self) -> Result<(), RedisError> {
        match self.args.get(self.next) {
            None => Ok(()),
            Some(extra) => Err(err(format!(
                "unexpected argument '{}'",
                wtopk_core::parse::shown(extra.as_slice())
            ))),
        }
    }
}

/// The standard arity error, naming the command.
pub fn wrong_arity(command: &str) -> RedisError {
    err(format!("wrong number of arguments for '{command}' command"))
}

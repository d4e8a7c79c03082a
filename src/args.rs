//! Reading a command's arguments: a cursor over the raw argument bytes with keyword matching,
//! and the conversion of core token errors into `ERR` replies.

use redis_module::{RedisError, RedisString};

use crate::errors::err;

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

//! The one error type of the core: a sentence for the client that says what was wrong. The
//! module prefixes it with `ERR`; the core never panics on input, it returns one of these.

use std::fmt;

/// A rejected request or a malformed encoding, with a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError(pub String);

impl CoreError {
    pub fn new(message: impl Into<String>) -> Self {
        CoreError(message.into())
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CoreError {}

/// Shorthand for results of the core.
pub type CoreResult<T> = Result<T, CoreError>;

//! Shared harness of the integration tests: real `redis-server` processes with the freshly
//! built module (`server`), commands and reply parsing (`replies`), whole-tracker snapshots
//! for before/after comparisons (`snapshot`), a fixed set of filled trackers (`fixture`),
//! a brute-force event counter (`model`) and reply-shape checks for the fuzz tests (`shapes`)
//! with their replayable seeds (`seed`).
//! Each test binary uses a subset of it, hence `dead_code` and `unused_imports` are allowed.
#![allow(dead_code, unused_imports)]

pub mod fixture;
pub mod model;
pub mod replies;
pub mod seed;
pub mod server;
pub mod shapes;
pub mod snapshot;

pub use replies::*;
pub use server::{wait_for_sync, Server, ServerOptions};
pub use snapshot::snapshot;

//! The parts both benchmark binaries share: `wtopk-bench` (`make bench`, `src/main.rs`) and
//! `wtopk-accuracy` (`make accuracy`, `src/bin/accuracy/`). Each starts its own redis-server
//! with the module (`server`), talks to it in pre-encoded RESP (`client`), draws Zipf items
//! with the same names (`zipf`) and prints padded tables in the same number formats
//! (`report`).

pub mod client;
pub mod report;
pub mod server;
pub mod zipf;

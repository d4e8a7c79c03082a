//! The algorithms of redis-wtopk, with no Redis in sight: event-time top-K over several
//! sliding windows at once. A [`Tracker`] takes batches of events `(timestamp, item, count)`,
//! keeps one ring of time buckets per window plus a running aggregate per window, and answers
//! top-K and count queries at any clock value without mutating itself. The module crate only
//! parses arguments, calls one function here and writes the reply; a Rust client can use this
//! crate directly (for example to decode and merge shard summaries).

pub mod adaptive_records;
pub mod approx;
pub mod batch;
pub mod bounds;
pub mod calendar;
pub mod config;
pub mod counts;
pub mod daily;
pub mod dedupe;
pub mod duration;
pub mod encoding;
pub mod error;
pub mod event;
pub mod heap;
pub mod id_map;
pub mod intern;
pub mod item_bytes;
pub mod limits;
pub mod narrow;
pub mod parse;
pub mod records;
pub mod segmented;
pub mod space_saving;
pub mod split_table;
pub mod tally;
pub mod tracker;
pub mod window;
pub mod work;

pub use bounds::Bounds;
pub use config::{ClockMode, DailySpec, Mode, TrackerConfig, WindowSpec};
pub use error::CoreError;
pub use event::{Event, IngestOutcome};
pub use tracker::{DayRef, QueryWindow, Tracker};

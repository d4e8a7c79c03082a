//! The numeric limits of the command contract (SPEC.md "Limits"), in one place so that the
//! parser, the engine and the decoders agree on them.

/// The largest timestamp: the last millisecond of the year 9999.
pub const MAX_TIMESTAMP: i64 = 253_402_300_799_999;
/// Items are 1 to this many bytes.
pub const MAX_ITEM_LEN: usize = 4096;
/// Increments are 1 to this value (2^32 - 1).
pub const MAX_INCREMENT: u64 = u32::MAX as u64;
/// Counts and totals never exceed this value (2^63 - 1).
pub const MAX_COUNT: u64 = i64::MAX as u64;
/// At most this many windows per tracker, the all-time window included.
pub const MAX_WINDOWS: usize = 16;
/// Shortest sliding window: one second.
pub const MIN_WINDOW_MS: u64 = 1_000;
/// Longest sliding window: 90 days.
pub const MAX_WINDOW_MS: u64 = 90 * 86_400_000;
/// Default and largest `K`.
pub const DEFAULT_K: usize = 100;
pub const MAX_K: usize = 100_000;
/// A window's ring holds buckets of at most 1/`BUCKETS_PER_WINDOW` of its length.
pub const BUCKETS_PER_WINDOW: u64 = 60;
/// Default future bound under `CLOCK SERVER`: one minute.
pub const DEFAULT_FUTURE_MS: u64 = 60_000;
/// Default and largest number of calendar days kept before today.
pub const DEFAULT_DAYS: u32 = 7;
pub const MAX_DAYS: u32 = 3660;
/// Default lateness of the daily rollup: ten minutes.
pub const DEFAULT_DAILY_LATENESS_MS: u64 = 600_000;
/// Default and largest `CAPACITY` of `MODE APPROX`: tracked items per window and per day.
pub const DEFAULT_CAPACITY: usize = 8192;
pub const MAX_CAPACITY: usize = 1_000_000;

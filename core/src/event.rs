//! What goes into a tracker (an [`Event`]) and what an ingest reports back
//! ([`IngestOutcome`]). Events borrow their bytes from the command's arguments.

use crate::calendar::Day;

/// One event: `count` occurrences of `item` at event time `ts` (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub ts: i64,
    pub item: &'a [u8],
    pub count: u64,
    /// The producer's event id, used for dedupe; `None` for `-`.
    pub id: Option<&'a [u8]>,
}

/// How the events of one command were judged. `accepted + duplicates + dropped` is the
/// number of events sent; `late` and `future` detail some of the accepted or dropped ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Counted by at least one window or day.
    pub accepted: u64,
    /// Dropped as duplicates of an event already accepted within the dedupe horizon.
    pub duplicates: u64,
    /// Counted nowhere and not duplicates.
    pub dropped: u64,
    /// Late for at least one window or for its day.
    pub late: u64,
    /// Beyond the future bound.
    pub future: u64,
    /// Days the stored state finalized while the clock moved (for notifications).
    pub finalized_days: Vec<Day>,
}

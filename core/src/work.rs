//! How much cleanup a write may do. Moving the clock expires old buckets and drops old days,
//! and both can be large at once (a 24-minute bucket of a busy 24h window holds tens of
//! thousands of entries; a dropped day releases every item it held). Doing it all in the
//! write that moved the clock would hold the server for milliseconds, so each write gets a
//! [`WorkBudget`]: a fixed base plus a share per event, counted in items touched. What the
//! budget does not reach stays where it is and is finished by later writes. Reads already
//! answer as of the clock, and the encoding and the digest leave the leftovers out, so only
//! the count of distinct items held and the memory figures see them until they are gone.
//! Every event creates at most one entry per window and one item per day, and its share
//! covers that, so with the base on top the leftovers shrink with every write. What the
//! cleanup leaves of the allowance goes on with compacting a bucket (see
//! [`crate::window::bucket`]), then with moving a window's or a day's records between a map
//! and an array (see [`crate::adaptive_records`]).

/// Items a write may touch in cleanup regardless of its size. Expiring an entry takes
/// 150 ns to 1 us (its tally record, its level list and the interner, each a cache miss
/// when the tracker is large), so this is 0.1 to 0.5 ms.
const BASE: usize = 512;

/// The cleanup allowance of one write, spent one item at a time.
#[derive(Debug)]
pub struct WorkBudget {
    left: usize,
}

impl WorkBudget {
    /// The allowance of a write of `events` events to a tracker whose events each land in at
    /// most `holders` places (windows and the day).
    pub fn for_write(events: usize, holders: usize) -> Self {
        WorkBudget {
            left: BASE.saturating_add(events.saturating_mul(holders)),
        }
    }

    /// No limit, for work nobody waits on: a load, which holds the server anyway.
    pub fn unlimited() -> Self {
        WorkBudget { left: usize::MAX }
    }

    /// An allowance of exactly `units`.
    #[cfg(test)]
    pub fn exactly(units: usize) -> Self {
        WorkBudget { left: units }
    }

    /// Spends one unit; false once the allowance is gone.
    pub fn take(&mut self) -> bool {
        match self.left.checked_sub(1) {
            Some(left) => {
                self.left = left;
                true
            }
            None => false,
        }
    }
}

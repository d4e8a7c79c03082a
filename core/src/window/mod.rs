//! Windows: in EXACT mode a sliding window is a [`ring::BucketRing`] of tumbling buckets plus
//! a running [`crate::tally::Tally`] of everything in the ring ([`sliding::SlidingWindow`]),
//! and the all-time window is a tally alone; in APPROX mode either is an
//! [`crate::approx::ApproxWindow`]. All answer at any clock value without mutation.

pub mod bucket;
mod bucket_scan;
pub mod ring;
pub mod sliding;

use crate::approx::ApproxWindow;
use crate::bounds::Bounds;
use crate::config::{Mode, WindowSpec};
use crate::intern::{Interner, ItemId};
use crate::limits::MAX_WINDOWS;
use crate::records::Layout;
use crate::tally::Tally;
use crate::work::WorkBudget;

pub use sliding::SlidingWindow;

/// How a window judges one event against the clock T (SPEC.md "Lateness").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The window counts it.
    Counted,
    /// Older than the window (`ts <= T - W`): not counted, and not late.
    Outside,
    /// Inside the window but older than `T - lateness`: dropped here and counted as late.
    Late,
}

/// Which of a tracker's windows and its daily rollup count an event: a bit per window (a
/// tracker has at most [`MAX_WINDOWS`]) and one for the rollup, so judging events allocates
/// nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountedBy(u32);

const DAILY_BIT: u32 = 1 << 31;
const _: () = assert!(
    MAX_WINDOWS < 31,
    "a window's bit must not reach the rollup's"
);

/// The bit of window `index` (none past the rollup's).
fn window_bit(index: usize) -> u32 {
    if index < 31 {
        1 << index
    } else {
        0
    }
}

impl CountedBy {
    pub fn set_window(&mut self, index: usize, counted: bool) {
        if counted {
            self.0 |= window_bit(index);
        }
    }

    pub fn set_daily(&mut self, counted: bool) {
        if counted {
            self.0 |= DAILY_BIT;
        }
    }

    pub fn window(self, index: usize) -> bool {
        self.0 & window_bit(index) != 0
    }

    pub fn daily(self) -> bool {
        self.0 & DAILY_BIT != 0
    }

    pub fn is_nobody(self) -> bool {
        self.0 == 0
    }
}

/// The bucket (of `width` ms) holding `t - span + 1`: the oldest a span of `span` ms
/// covers at clock `t`.
pub(crate) fn first_covered(width: i64, span: u64, t: i64) -> i64 {
    t.saturating_sub(span as i64)
        .saturating_add(1)
        .max(0)
        .div_euclid(width)
}

/// A sliding window's verdict on an event at `ts` when the clock reads `t`.
pub(crate) fn judge_sliding(spec: &WindowSpec, ts: i64, t: i64) -> Verdict {
    if ts <= t.saturating_sub(spec.length as i64) {
        Verdict::Outside
    } else if ts < t.saturating_sub(spec.lateness as i64) {
        Verdict::Late
    } else {
        Verdict::Counted
    }
}

/// One configured window. A tracker holds a few of these in one vector, so the variants
/// stay unboxed: the larger APPROX window costs a couple of hundred bytes per window.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Window {
    Sliding(SlidingWindow),
    AllTime(Tally),
    Approx(ApproxWindow),
}

/// The record layout of each of `specs`' exact tallies: the widest window (all-time, else
/// the longest) holds nearly every item the tracker holds, so it keeps its records in an
/// array by id; the others hold a share that follows the traffic, all the items at a busy
/// time and a few at a quiet one, so they move between a map and an array as it changes.
pub fn layouts(specs: &[WindowSpec]) -> Vec<Layout> {
    let reach = |spec: &WindowSpec| {
        if spec.is_all_time() {
            u64::MAX
        } else {
            spec.length
        }
    };
    let widest = specs.iter().map(reach).max();
    let chosen = specs.iter().position(|spec| Some(reach(spec)) == widest);
    (0..specs.len())
        .map(|index| {
            if Some(index) == chosen {
                Layout::Indexed
            } else {
                Layout::Adaptive
            }
        })
        .collect()
}

impl Window {
    pub fn new(spec: WindowSpec, mode: Mode, layout: Layout) -> Self {
        match mode {
            Mode::Approx { capacity } => Window::Approx(ApproxWindow::new(spec, capacity)),
            Mode::Exact if spec.is_all_time() => Window::AllTime(Tally::new(layout)),
            Mode::Exact => Window::Sliding(SlidingWindow::new(spec, layout)),
        }
    }

    /// The window's verdict on an event at `ts` when the clock reads `t`.
    pub fn judge(&self, ts: i64, t: i64) -> Verdict {
        match self {
            Window::Sliding(window) => window.judge(ts, t),
            Window::AllTime(_) => Verdict::Counted,
            Window::Approx(window) => window.judge(ts, t),
        }
    }

    /// Expires what the clock `t` pushed out (EXACT sliding windows as far as `budget`
    /// lets them; see [`WorkBudget`]).
    pub fn slide_to(&mut self, t: i64, interner: &mut Interner, budget: &mut WorkBudget) {
        match self {
            Window::Sliding(window) => window.slide_to(t, interner, budget),
            Window::AllTime(_) => {}
            Window::Approx(window) => window.slide_to(t, interner),
        }
    }

    /// Goes on with the compaction of a bucket under way and a move of the tally's records
    /// (EXACT sliding windows; see [`bucket::Bucket`] and [`crate::adaptive_records`]), as
    /// far as `budget` lets them.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        if let Window::Sliding(window) = self {
            window.compact(budget);
        }
    }

    /// Counts `amount` of `id` at `ts` (already judged `Counted`).
    pub fn add(&mut self, ts: i64, id: ItemId, amount: u64, interner: &mut Interner) {
        let is_new = match self {
            Window::Sliding(window) => window.add(ts, id, amount),
            Window::AllTime(tally) => tally.add(id, amount),
            Window::Approx(window) => {
                window.add(ts, id, amount, interner);
                false
            }
        };
        if is_new {
            interner.retain(id);
        }
    }

    /// Top k of the last `span` ms at clock `t` (the whole window for all-time).
    pub fn top_k(&self, interner: &Interner, span: u64, t: i64, k: usize) -> Vec<(ItemId, Bounds)> {
        let exact = |top: Vec<(ItemId, u64)>| {
            top.into_iter()
                .map(|(id, count)| (id, Bounds::exact(count)))
                .collect()
        };
        match self {
            Window::Sliding(window) => exact(window.top_k(interner, span, t, k)),
            Window::AllTime(tally) => exact(tally.top_k(interner, k, |_| 0)),
            Window::Approx(window) => window.top_k(interner, span, t, k),
        }
    }

    /// Counts of `ids` in the last `span` ms at clock `t`, in order.
    pub fn counts(&self, ids: &[ItemId], span: u64, t: i64) -> Vec<Bounds> {
        match self {
            Window::Sliding(window) => window
                .counts(ids, span, t)
                .into_iter()
                .map(Bounds::exact)
                .collect(),
            Window::AllTime(tally) => ids
                .iter()
                .map(|&id| Bounds::exact(tally.count(id)))
                .collect(),
            Window::Approx(window) => ids.iter().map(|&id| window.count(id, span, t)).collect(),
        }
    }

    /// The sum of every count in the last `span` ms at clock `t` (exact in both modes).
    pub fn total(&self, span: u64, t: i64) -> u64 {
        match self {
            Window::Sliding(window) => window.total(span, t),
            Window::AllTime(tally) => tally.total(),
            Window::Approx(window) => window.total(span, t),
        }
    }

    /// The most an item missing from the window's table can have in the last `span` ms at
    /// clock `t` (0 in EXACT mode, where no item is missing).
    pub fn unlisted(&self, span: u64, t: i64) -> u64 {
        match self {
            Window::Approx(window) => window.unlisted(span, t),
            Window::Sliding(_) | Window::AllTime(_) => 0,
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Window::Sliding(window) => window.heap_bytes(),
            Window::AllTime(tally) => tally.heap_bytes(),
            Window::Approx(window) => window.heap_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_window_keeps_its_records_by_id() {
        let specs = |lengths: &[u64]| -> Vec<WindowSpec> {
            lengths
                .iter()
                .map(|&length| {
                    if length == 0 {
                        WindowSpec::all_time()
                    } else {
                        WindowSpec::sliding(length)
                    }
                })
                .collect()
        };
        use Layout::{Adaptive, Indexed};
        assert_eq!(
            layouts(&specs(&[300_000, 3_600_000, 86_400_000])),
            [Adaptive, Adaptive, Indexed]
        );
        assert_eq!(
            layouts(&specs(&[300_000, 0, 86_400_000])),
            [Adaptive, Indexed, Adaptive]
        );
        assert_eq!(layouts(&specs(&[60_000, 60_000])), [Indexed, Adaptive]);
        assert!(layouts(&[]).is_empty());
    }

    #[test]
    fn every_window_and_the_rollup_have_their_own_bit() {
        for counted in 0..=MAX_WINDOWS {
            let mut by = CountedBy::default();
            assert!(by.is_nobody());
            if counted < MAX_WINDOWS {
                by.set_window(counted, true);
            } else {
                by.set_daily(true);
            }
            by.set_window(0, false);
            assert!(!by.is_nobody());
            for index in 0..MAX_WINDOWS {
                assert_eq!(by.window(index), index == counted, "{counted} {index}");
            }
            assert_eq!(by.daily(), counted == MAX_WINDOWS);
        }
    }
}

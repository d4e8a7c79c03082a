//! Windows: a sliding window is a [`ring::BucketRing`] of tumbling buckets plus a running
//! [`crate::tally::Tally`] of everything in the ring ([`sliding::SlidingWindow`]); the
//! all-time window is a tally alone. Both answer at any clock value without mutation.

pub mod ring;
pub mod sliding;

use crate::config::WindowSpec;
use crate::intern::{Interner, ItemId};
use crate::tally::Tally;

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

/// One configured window.
#[derive(Debug, Clone)]
pub enum Window {
    Sliding(SlidingWindow),
    AllTime(Tally),
}

impl Window {
    pub fn new(spec: WindowSpec, top_capacity: usize) -> Self {
        if spec.is_all_time() {
            Window::AllTime(Tally::new(top_capacity))
        } else {
            Window::Sliding(SlidingWindow::new(spec, top_capacity))
        }
    }

    /// The window's verdict on an event at `ts` when the clock reads `t`.
    pub fn judge(&self, ts: i64, t: i64) -> Verdict {
        match self {
            Window::Sliding(window) => window.judge(ts, t),
            Window::AllTime(_) => Verdict::Counted,
        }
    }

    /// Expires what the clock `t` pushed out.
    pub fn slide_to(&mut self, t: i64, interner: &mut Interner) {
        if let Window::Sliding(window) = self {
            window.slide_to(t, interner);
        }
    }

    /// Counts `amount` of `id` at `ts` (already judged `Counted`).
    pub fn add(&mut self, ts: i64, id: ItemId, amount: u64, interner: &mut Interner) {
        let is_new = match self {
            Window::Sliding(window) => window.add(ts, id, amount),
            Window::AllTime(tally) => tally.add(id, amount),
        };
        if is_new {
            interner.retain(id);
        }
    }

    /// Top k of the last `span` ms at clock `t` (the whole window for all-time).
    pub fn top_k(&self, interner: &Interner, span: u64, t: i64, k: usize) -> Vec<(ItemId, u64)> {
        match self {
            Window::Sliding(window) => window.top_k(interner, span, t, k),
            Window::AllTime(tally) => tally.top_k(interner, k, |_| 0),
        }
    }

    /// Count of `id` in the last `span` ms at clock `t`.
    pub fn count(&self, id: ItemId, span: u64, t: i64) -> u64 {
        match self {
            Window::Sliding(window) => window.count(id, span, t),
            Window::AllTime(tally) => tally.count(id),
        }
    }

    pub fn tally(&self) -> &Tally {
        match self {
            Window::Sliding(window) => window.tally(),
            Window::AllTime(tally) => tally,
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Window::Sliding(window) => window.heap_bytes(),
            Window::AllTime(tally) => tally.heap_bytes(),
        }
    }
}

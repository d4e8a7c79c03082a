//! `MODE APPROX`: memory bounded by the capacity, not by the number of distinct items. Every
//! window and every day keeps an [`ApproxTable`] of at most `capacity` tracked items with
//! exact per-bucket counts since admission and a Space-Saving style error for the time
//! before ([`table`]). A
//! sliding window is a table with one column per bucket ([`ApproxWindow`]); a day and the
//! all-time window are tables with one column that never slides.

mod profiles;
mod slot_index;
pub mod table;

pub use table::{ApproxTable, SlotState, TableState};

use crate::bounds::Bounds;
use crate::config::WindowSpec;
use crate::intern::{Interner, ItemId};
use crate::window::{first_covered, SlidingWindow, Verdict};

/// One configured window in APPROX mode (sliding or all-time).
#[derive(Debug, Clone)]
pub struct ApproxWindow {
    spec: WindowSpec,
    width: i64,
    table: ApproxTable,
}

impl ApproxWindow {
    pub fn new(spec: WindowSpec, capacity: usize) -> Self {
        ApproxWindow {
            spec,
            width: spec.bucket_width().max(1) as i64,
            table: ApproxTable::new(capacity, Self::columns(&spec), 0),
        }
    }

    /// The most columns the window's table can hold live at once.
    pub fn columns(spec: &WindowSpec) -> usize {
        if spec.is_all_time() {
            1
        } else {
            (spec.length / spec.bucket_width().max(1)) as usize + 2
        }
    }

    /// Wraps a decoded table (checked by the decoder).
    pub fn from_table(spec: WindowSpec, table: ApproxTable) -> Self {
        ApproxWindow {
            spec,
            width: spec.bucket_width().max(1) as i64,
            table,
        }
    }

    pub fn table(&self) -> &ApproxTable {
        &self.table
    }

    /// The columns the window holds at clock `t` (always column 0 for all-time).
    pub fn live_columns(spec: &WindowSpec, t: i64) -> (i64, i64) {
        if spec.is_all_time() {
            (0, 0)
        } else {
            let live = SlidingWindow::live_buckets(spec, t);
            (*live.start(), *live.end())
        }
    }

    pub fn judge(&self, ts: i64, t: i64) -> Verdict {
        if self.spec.is_all_time() {
            Verdict::Counted
        } else {
            crate::window::judge_sliding(&self.spec, ts, t)
        }
    }

    pub fn slide_to(&mut self, t: i64, interner: &mut Interner) {
        if !self.spec.is_all_time() {
            let (first, newest) = Self::live_columns(&self.spec, t);
            self.table.slide_to(first, newest, interner);
        }
    }

    pub fn add(&mut self, ts: i64, id: ItemId, amount: u64, interner: &mut Interner) {
        let column = if self.spec.is_all_time() {
            0
        } else {
            ts.div_euclid(self.width)
        };
        self.table.add(column, id, amount, interner);
    }

    /// The first column a read of the last `span` ms at clock `t` covers.
    fn first_column(&self, span: u64, t: i64) -> i64 {
        if self.spec.is_all_time() {
            0
        } else {
            first_covered(self.width, span, t)
        }
    }

    pub fn top_k(&self, interner: &Interner, span: u64, t: i64, k: usize) -> Vec<(ItemId, Bounds)> {
        self.table.top_k(interner, self.first_column(span, t), k)
    }

    pub fn count(&self, id: ItemId, span: u64, t: i64) -> Bounds {
        self.table.bounds(id, self.first_column(span, t))
    }

    pub fn total(&self, span: u64, t: i64) -> u64 {
        self.table.total(self.first_column(span, t))
    }

    pub fn unlisted(&self, span: u64, t: i64) -> u64 {
        self.table.unlisted(self.first_column(span, t))
    }

    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
    }
}

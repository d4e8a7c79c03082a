//! One day's item counts in either mode: an exact [`Tally`] (EXACT) or a single-column
//! [`ApproxTable`] (APPROX). The daily rollup keeps one per day with events and reads them
//! through this one interface.

use crate::approx::ApproxTable;
use crate::bounds::Bounds;
use crate::config::Mode;
use crate::intern::{Interner, ItemId};
use crate::records::Layout;
use crate::segmented::SegmentedVec;
use crate::tally::Tally;
use crate::work::WorkBudget;

#[derive(Debug, Clone)]
pub enum Counts {
    Exact(Tally),
    /// Boxed: a table is several times the size of a tally.
    Approx(Box<ApproxTable>),
}

impl Counts {
    /// Empty counts for `mode`.
    pub fn new(mode: Mode) -> Self {
        match mode {
            Mode::Exact => Counts::Exact(Tally::new(Layout::Adaptive)),
            Mode::Approx { capacity } => Counts::Approx(Box::new(ApproxTable::new(capacity, 1, 0))),
        }
    }

    /// Counts `amount` of `id`, retaining the ids it starts to hold in `interner`.
    pub fn add(&mut self, id: ItemId, amount: u64, interner: &mut Interner) {
        match self {
            Counts::Exact(tally) => {
                if tally.add(id, amount) {
                    interner.retain(id);
                }
            }
            Counts::Approx(table) => table.add(0, id, amount, interner),
        }
    }

    /// The best `k` items, most frequent first, ties by bytes.
    pub fn top_k(&self, interner: &Interner, k: usize) -> Vec<(ItemId, Bounds)> {
        match self {
            Counts::Exact(tally) => tally
                .top_k(interner, k, |_| 0)
                .into_iter()
                .map(|(id, count)| (id, Bounds::exact(count)))
                .collect(),
            Counts::Approx(table) => table.top_k(interner, 0, k),
        }
    }

    /// The sum of every amount counted (exact in both modes).
    pub fn total(&self) -> u64 {
        match self {
            Counts::Exact(tally) => tally.total(),
            Counts::Approx(table) => table.total(0),
        }
    }

    /// Gives up every id held (the day is being dropped): an exact tally's ids, any number
    /// of them, go to `retiring` as its level lists, for the caller to release over time; a
    /// table, which holds at most its capacity, releases its ids at once.
    pub fn retire(self, retiring: &mut Vec<SegmentedVec<ItemId>>, interner: &mut Interner) {
        match self {
            Counts::Exact(tally) => retiring.extend(tally.into_levels()),
            Counts::Approx(table) => table.release_all(interner),
        }
    }

    /// Goes on with moving an exact tally's records to an array, if it started to (see
    /// [`crate::records`]), as far as `budget` lets it.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        if let Counts::Exact(tally) = self {
            tally.compact(budget);
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Counts::Exact(tally) => tally.heap_bytes(),
            Counts::Approx(table) => std::mem::size_of::<ApproxTable>() + table.heap_bytes(),
        }
    }
}

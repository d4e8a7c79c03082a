//! A batch of events as the tracker takes them: every event's item is interned up front,
//! before any is counted, and a run of consecutive events at one time without ids (every
//! event of an ADD) is summed per item, so a popular item costs one update of each window
//! however often the run names it. Interning up front keeps a batch's lookups, which do not
//! depend on each other, next to each other, where the processor can overlap their cache
//! misses instead of waiting for each between two events' counting. Events of a run at one
//! time are judged alike and nothing tells them apart, so a sum counts exactly as its events
//! one by one would.

use crate::event::Event;
use crate::intern::{Interner, ItemId};

/// What the tracker takes in one step: one event, or the events of a run that name the
/// same item, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take<'a> {
    pub ts: i64,
    pub item: ItemId,
    /// The sum of the events' counts.
    pub count: u64,
    /// How many events this take stands for.
    pub events: u64,
    /// The producer's event id (a take of several events has none).
    pub id: Option<&'a [u8]>,
}

impl<'a> Take<'a> {
    /// The take of one event, whose item is `item`.
    fn alone(event: &Event<'a>, item: ItemId) -> Self {
        Take {
            ts: event.ts,
            item,
            count: event.count,
            events: 1,
            id: event.id,
        }
    }
}

/// The takes of a batch: a lone event's (an ADD or INCRBY of one item) without allocating,
/// or a list.
#[derive(Debug)]
pub enum Takes<'a> {
    One(Take<'a>),
    Many(Vec<Take<'a>>),
}

impl<'a> Takes<'a> {
    pub fn as_slice(&self) -> &[Take<'a>] {
        match self {
            Takes::One(take) => std::slice::from_ref(take),
            Takes::Many(takes) => takes,
        }
    }
}

/// The takes of `events`, in order (a run's items in the order they first appear), each
/// item interned and retained once per take, for the caller to release once the take is
/// counted: expiry during the batch then cannot forget an item a later take names. Runs are
/// summed only when `sum_runs` (EXACT trackers: an APPROX window's evictions depend on the
/// order of its updates).
pub fn takes<'a>(events: &[Event<'a>], interner: &mut Interner, sum_runs: bool) -> Takes<'a> {
    if let [event] = events {
        let take = Take::alone(event, interner.intern(event.item));
        interner.retain(take.item);
        return Takes::One(take);
    }
    let mut takes = Vec::with_capacity(events.len());
    let mut positions = PositionTable::default();
    let mut next = 0;
    while let Some((first, later)) = events.get(next..).and_then(<[_]>::split_first) {
        let single = Take::alone(first, interner.intern(first.item));
        interner.retain(single.item);
        let run = if sum_runs && first.id.is_none() {
            later
                .iter()
                .take_while(|event| event.ts == first.ts && event.id.is_none())
                .count()
        } else {
            0
        };
        next += 1 + run;
        if run > 0 {
            positions.clear_for(1 + run);
            positions.place(single.item, takes.len());
        }
        takes.push(single);
        for event in later.iter().take(run) {
            let item = interner.intern(event.item);
            let held = positions.place(item, takes.len());
            match held.and_then(|position| takes.get_mut(position)) {
                Some(sum) => {
                    sum.count = sum.count.saturating_add(event.count);
                    sum.events += 1;
                }
                None => {
                    interner.retain(item);
                    takes.push(Take {
                        item,
                        count: event.count,
                        ..single
                    });
                }
            }
        }
    }
    Takes::Many(takes)
}

/// Where each item of a run has its take: an open-addressing table of positions, at least
/// twice the run's size, cleared for each run.
#[derive(Default)]
struct PositionTable {
    slots: Vec<(ItemId, u32)>,
    bits: u32,
}

impl PositionTable {
    const EMPTY: (ItemId, u32) = (0, u32::MAX);

    /// Empties the table and sizes it for up to `items` items.
    fn clear_for(&mut self, items: usize) {
        self.bits = (items * 2).next_power_of_two().trailing_zeros().max(4);
        self.slots.clear();
        self.slots.resize(1 << self.bits, Self::EMPTY);
    }

    /// The position held for `item`, or `None` after placing it at `position`.
    fn place(&mut self, item: ItemId, position: usize) -> Option<usize> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot =
            (u64::from(item).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize;
        while let Some(entry) = self.slots.get_mut(slot) {
            if entry.1 == u32::MAX {
                *entry = (item, position as u32);
                return None;
            }
            if entry.0 == item {
                return Some(entry.1 as usize);
            }
            slot = (slot + 1) & mask;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event<'a>(ts: i64, item: &'a [u8], count: u64, id: Option<&'a [u8]>) -> Event<'a> {
        Event {
            ts,
            item,
            count,
            id,
        }
    }

    proptest! {
        /// Against a brute force: every run of events at one time without ids becomes one
        /// take per item, in first-appearance order, with the item's sum and event count;
        /// every other event is a take of its own; each take's item is retained once.
        #[test]
        fn runs_sum_per_item_and_other_events_stay_alone(
            raw in proptest::collection::vec((0i64..3, 0u8..12, 1u64..5, any::<bool>()), 0..300),
        ) {
            let names: Vec<Vec<u8>> = (0u8..12).map(|i| vec![b'a' + i]).collect();
            let events: Vec<Event<'_>> = raw
                .iter()
                .map(|&(ts, item, count, with_id)| {
                    event(ts, &names[item as usize], count, with_id.then_some(b"id".as_slice()))
                })
                .collect();
            let mut interner = Interner::default();
            let takes = takes(&events, &mut interner, true);
            let takes = takes.as_slice();

            let mut expected: Vec<(i64, Vec<u8>, u64, u64, bool)> = Vec::new();
            let mut run_start = None;
            for e in &events {
                if e.id.is_some() {
                    expected.push((e.ts, e.item.to_vec(), e.count, 1, true));
                    run_start = None;
                    continue;
                }
                let start = match run_start {
                    Some((start, ts)) if ts == e.ts => start,
                    _ => expected.len(),
                };
                run_start = Some((start, e.ts));
                match expected[start..].iter_mut().find(|x| x.1 == e.item) {
                    Some(x) => { x.2 += e.count; x.3 += 1; }
                    None => expected.push((e.ts, e.item.to_vec(), e.count, 1, false)),
                }
            }
            let got: Vec<(i64, Vec<u8>, u64, u64, bool)> = takes
                .iter()
                .map(|t| (t.ts, interner.bytes(t.item).to_vec(), t.count, t.events, t.id.is_some()))
                .collect();
            prop_assert_eq!(&got, &expected);
            let distinct = interner.len();
            for take in takes {
                interner.release_if_unused(take.item);
            }
            prop_assert_eq!(interner.len(), distinct, "every take's item is retained");
            for take in takes {
                interner.release(take.item);
            }
            prop_assert!(interner.is_empty(), "each take retained its item exactly once");
        }
    }

    #[test]
    fn without_summing_every_event_is_a_take() {
        let events = [event(5, b"x", 1, None), event(5, b"x", 2, None)];
        let mut interner = Interner::default();
        let takes = takes(&events, &mut interner, false);
        let counts: Vec<(u64, u64)> = takes
            .as_slice()
            .iter()
            .map(|t| (t.count, t.events))
            .collect();
        assert_eq!(counts, [(1, 1), (2, 1)]);
    }

    #[test]
    fn a_long_run_of_distinct_items_keeps_them_all() {
        let names: Vec<Vec<u8>> = (0..5_000).map(|i| format!("i{i}").into_bytes()).collect();
        let events: Vec<Event<'_>> = names.iter().map(|n| event(1, n, 1, None)).collect();
        let mut interner = Interner::default();
        let takes = takes(&events, &mut interner, true);
        let takes = takes.as_slice();
        assert_eq!(takes.len(), 5_000);
        assert!(takes
            .iter()
            .zip(&names)
            .all(|(t, n)| interner.bytes(t.item) == n));
    }
}

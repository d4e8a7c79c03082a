//! Where a [`crate::tally::Tally`] keeps its items' records: in a hash map by id, or in an
//! array indexed by id. Ids are dense, so the array holds a record (8 bytes, 12 with a
//! sliding window's hint) for every id below the largest one held, held or not, and finds it
//! with one memory access and no hashing; the map holds only the items it counts, at 12
//! bytes (16) plus its empty room (a map runs between 44% and 87% full), about 27 bytes a
//! record (36) with its shards, and needs a hash and usually two memory accesses. The array
//! is the better choice for the one aggregate that holds nearly every item the tracker holds
//! (the widest window); the map for those that hold a fraction (the shorter windows). A day
//! cannot know in advance: "today" starts empty at midnight and by evening may hold most of
//! the tracker's items. So it starts with a map and moves to an array once that would be
//! smaller, a few ids per write (see [`Records::compact`]): at a million items a move in one
//! go would hold the server for tens of milliseconds.

use crate::id_map::{IdEntry, IdMap, IdVacancy};
use crate::intern::ItemId;
use crate::segmented::SegmentedVec;
use crate::work::WorkBudget;

/// An item's record: its count and its place in its level's list, 8 bytes with 4-byte
/// alignment, so a map slot with its id is 12.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    /// The count in 32 bits (see [`crate::narrow`]; the side table is keyed by item).
    pub count: u32,
    /// Position of the item in its level's list.
    pub slot: u32,
}

/// A sliding window's record: a [`Record`] and where the window last stored the item (its
/// position in the newest bucket), 12 bytes, so the window finds both in one lookup.
#[derive(Debug, Clone, Copy)]
pub struct HintedRecord {
    pub record: Record,
    pub hint: u32,
}

/// The hint of an item no sliding window has placed yet.
pub const NO_HINT: u32 = u32::MAX;

/// The slot of an array record whose item is not held. A level list never reaches it: it
/// would hold more items than there are ids.
const VACANT: u32 = u32::MAX;

/// What a tally keeps per item: a [`Record`], alone (days, all-time windows) or with more
/// (sliding windows' [`HintedRecord`]), so a tally without hints pays no bytes for them.
pub trait HoldsRecord: Copy + std::fmt::Debug {
    /// A new item's record, with nothing else set yet.
    fn holding(record: Record) -> Self;
    fn record(&self) -> &Record;
    fn record_mut(&mut self) -> &mut Record;

    /// The array's filler for an id that is not held.
    fn vacant() -> Self {
        Self::holding(Record {
            count: 0,
            slot: VACANT,
        })
    }

    fn is_held(&self) -> bool {
        self.record().slot != VACANT
    }
}

impl HoldsRecord for Record {
    fn holding(record: Record) -> Self {
        record
    }

    fn record(&self) -> &Record {
        self
    }

    fn record_mut(&mut self) -> &mut Record {
        self
    }
}

impl HoldsRecord for HintedRecord {
    fn holding(record: Record) -> Self {
        HintedRecord {
            record,
            hint: NO_HINT,
        }
    }

    fn record(&self) -> &Record {
        &self.record
    }

    fn record_mut(&mut self) -> &mut Record {
        &mut self.record
    }
}

/// How a tally stores its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A hash map by id: memory in proportion to the items held.
    Hashed,
    /// An array indexed by id: memory in proportion to the largest id held.
    Indexed,
    /// A hash map until an array would be smaller, then an array (reported as `Indexed`
    /// once the move is done).
    Adaptive,
}

/// Records an adaptive layout keeps in its map whatever its ids: up to here the map takes
/// at most about 150 KiB, and a move decided this early could be wrong by the evening.
const ADAPTIVE_MINIMUM: usize = 4_096;

/// Whether an array would take less memory than a map holding `held` records whose largest
/// id is `largest`: 8 bytes for every id up to `largest` against about 27 per record, so
/// from about 30% of the ids held; the move waits for a third.
fn array_is_smaller(held: usize, largest: ItemId) -> bool {
    held >= ADAPTIVE_MINIMUM && held.saturating_mul(3) > largest as usize
}

/// Records by id, in the chosen layout.
#[derive(Debug, Clone)]
pub enum Records<R = Record> {
    Hashed(IdMap<R>),
    Indexed(SegmentedVec<R>),
    /// An adaptive layout before its move, with the largest id its map has held.
    Adaptive {
        map: IdMap<R>,
        largest: ItemId,
    },
    /// An adaptive layout moving to the array: the ids below the array's length are in it,
    /// the others in the map, up to `largest`.
    Moving {
        array: SegmentedVec<R>,
        map: IdMap<R>,
        largest: ItemId,
    },
}

/// The outcome of looking an item up to count it.
pub enum Lookup<'a, R> {
    Held(&'a mut R),
    Absent(Vacancy<'a, R>),
}

/// Where an absent item's record goes.
pub enum Vacancy<'a, R> {
    Hashed(IdVacancy<'a, R>),
    Indexed(&'a mut R),
}

impl<R> Vacancy<'_, R> {
    pub fn insert(self, record: R) {
        match self {
            Vacancy::Hashed(vacancy) => vacancy.insert(record),
            Vacancy::Indexed(at) => *at = record,
        }
    }
}

impl<R: HoldsRecord> Records<R> {
    pub fn new(layout: Layout) -> Self {
        match layout {
            Layout::Hashed => Records::Hashed(IdMap::default()),
            Layout::Indexed => Records::Indexed(SegmentedVec::default()),
            Layout::Adaptive => Records::Adaptive {
                map: IdMap::default(),
                largest: 0,
            },
        }
    }

    pub fn layout(&self) -> Layout {
        match self {
            Records::Hashed(_) => Layout::Hashed,
            Records::Indexed(_) => Layout::Indexed,
            Records::Adaptive { .. } | Records::Moving { .. } => Layout::Adaptive,
        }
    }

    pub fn get(&self, id: ItemId) -> Option<&R> {
        match self {
            Records::Hashed(map) | Records::Adaptive { map, .. } => map.get(id),
            Records::Indexed(array) => held_in(array, id),
            Records::Moving { array, map, .. } => {
                if (id as usize) < array.len() {
                    held_in(array, id)
                } else {
                    map.get(id)
                }
            }
        }
    }

    pub fn get_mut(&mut self, id: ItemId) -> Option<&mut R> {
        match self {
            Records::Hashed(map) | Records::Adaptive { map, .. } => map.get_mut(id),
            Records::Indexed(array) => held_in_mut(array, id),
            Records::Moving { array, map, .. } => {
                if (id as usize) < array.len() {
                    held_in_mut(array, id)
                } else {
                    map.get_mut(id)
                }
            }
        }
    }

    /// `id`'s record, or the place for it. The array first grows up to `id` (ids come from
    /// the tracker's interner, which hands them out densely) and the map makes its shard, so
    /// `None` never happens. An adaptive layout starts its move here once it is due.
    pub fn lookup(&mut self, id: ItemId) -> Option<Lookup<'_, R>> {
        if let Records::Adaptive { map, largest } = self {
            *largest = (*largest).max(id);
            if array_is_smaller(map.len(), *largest) {
                let (map, largest) = (std::mem::take(map), *largest);
                *self = Records::Moving {
                    array: SegmentedVec::default(),
                    map,
                    largest,
                };
            }
        }
        match self {
            Records::Hashed(map) | Records::Adaptive { map, .. } => look_up_in_map(map, id),
            Records::Indexed(array) => look_up_in_array(array, id),
            Records::Moving {
                array,
                map,
                largest,
            } => {
                if (id as usize) < array.len() {
                    look_up_in_array(array, id)
                } else {
                    *largest = (*largest).max(id);
                    look_up_in_map(map, id)
                }
            }
        }
    }

    /// Forgets `id`'s record. The array gives back the vacant records at its end (not while
    /// it is being filled: its length tells which ids it holds).
    pub fn remove(&mut self, id: ItemId) {
        match self {
            Records::Hashed(map) | Records::Adaptive { map, .. } => {
                map.remove(id);
            }
            Records::Indexed(array) => {
                if let Some(record) = array.get_mut(id as usize) {
                    *record = R::vacant();
                }
                give_back_vacant_end(array);
            }
            Records::Moving { array, map, .. } => match array.get_mut(id as usize) {
                Some(record) => *record = R::vacant(),
                None => {
                    map.remove(id);
                }
            },
        }
    }

    /// Goes on with an adaptive layout's move to the array, one id per unit of `budget`:
    /// the array takes the next id's record from the map, or a vacant one. The map is freed
    /// when the array has passed the largest id it held.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        let Records::Moving {
            array,
            map,
            largest,
        } = self
        else {
            return;
        };
        while array.len() <= *largest as usize {
            if !budget.take() {
                return;
            }
            let id = array.len() as ItemId;
            array.push(map.remove(id).unwrap_or_else(R::vacant));
        }
        let mut array = std::mem::take(array);
        give_back_vacant_end(&mut array);
        *self = Records::Indexed(array);
    }

    /// Every held `(id, record)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, &R)> {
        let (map, array) = match self {
            Records::Hashed(map) | Records::Adaptive { map, .. } => (Some(map), None),
            Records::Indexed(array) => (None, Some(array)),
            Records::Moving { array, map, .. } => (Some(map), Some(array)),
        };
        let in_array = array
            .into_iter()
            .flat_map(SegmentedVec::iter)
            .enumerate()
            .filter(|(_, record)| record.is_held())
            .map(|(id, record)| (id as ItemId, record));
        map.into_iter().flat_map(IdMap::iter).chain(in_array)
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Records::Hashed(map) | Records::Adaptive { map, .. } => map.heap_bytes(),
            Records::Indexed(array) => array.heap_bytes(),
            Records::Moving { array, map, .. } => array.heap_bytes() + map.heap_bytes(),
        }
    }
}

fn held_in<R: HoldsRecord>(array: &SegmentedVec<R>, id: ItemId) -> Option<&R> {
    array.get(id as usize).filter(|record| record.is_held())
}

fn held_in_mut<R: HoldsRecord>(array: &mut SegmentedVec<R>, id: ItemId) -> Option<&mut R> {
    array.get_mut(id as usize).filter(|record| record.is_held())
}

fn look_up_in_map<R>(map: &mut IdMap<R>, id: ItemId) -> Option<Lookup<'_, R>> {
    Some(match map.entry(id)? {
        IdEntry::Occupied(record) => Lookup::Held(record),
        IdEntry::Vacant(vacancy) => Lookup::Absent(Vacancy::Hashed(vacancy)),
    })
}

fn look_up_in_array<R: HoldsRecord>(
    array: &mut SegmentedVec<R>,
    id: ItemId,
) -> Option<Lookup<'_, R>> {
    let index = id as usize;
    while array.len() <= index {
        array.push(R::vacant());
    }
    let record = array.get_mut(index)?;
    Some(if record.is_held() {
        Lookup::Held(record)
    } else {
        Lookup::Absent(Vacancy::Indexed(record))
    })
}

fn give_back_vacant_end<R: HoldsRecord>(array: &mut SegmentedVec<R>) {
    while array.last().is_some_and(|record| !record.is_held()) {
        array.pop();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn put(records: &mut Records, id: ItemId, count: u32) {
        if let Some(Lookup::Absent(vacancy)) = records.lookup(id) {
            vacancy.insert(Record { count, slot: 0 });
        }
    }

    #[test]
    fn both_layouts_hold_the_same_items() {
        for layout in [Layout::Hashed, Layout::Indexed, Layout::Adaptive] {
            let mut records = Records::new(layout);
            for id in [5, 0, 9, 3] {
                put(&mut records, id, id + 10);
            }
            assert!(matches!(records.lookup(9), Some(Lookup::Held(_))));
            records.remove(9);
            records.remove(4);
            assert!(records.get(9).is_none() && records.get(4).is_none());
            if let Some(record) = records.get_mut(3) {
                record.count = 7;
            }
            let mut held: Vec<(ItemId, u32)> = records
                .iter()
                .map(|(id, record)| (id, record.count))
                .collect();
            held.sort_unstable();
            assert_eq!(held, vec![(0, 10), (3, 7), (5, 15)], "{layout:?}");
        }
    }

    #[test]
    fn the_array_gives_back_its_vacant_end() {
        let mut records = Records::new(Layout::Indexed);
        for id in 0..50_000 {
            put(&mut records, id, 1);
        }
        let full = records.heap_bytes();
        for id in (10..50_000).rev() {
            records.remove(id);
        }
        assert!(
            records.heap_bytes() < full / 4,
            "{} of {full}",
            records.heap_bytes()
        );
        assert_eq!(records.iter().count(), 10);
    }

    /// Every held `(id, count)`, sorted.
    fn held(records: &Records) -> Vec<(ItemId, u32)> {
        let mut held: Vec<(ItemId, u32)> = records
            .iter()
            .map(|(id, record)| (id, record.count))
            .collect();
        held.sort_unstable();
        held
    }

    /// Whether an adaptive layout is on its way to the array.
    fn is_moving(records: &Records) -> bool {
        matches!(records, Records::Moving { .. })
    }

    #[test]
    fn an_adaptive_layout_keeps_its_map_while_the_map_is_smaller() {
        let mut records = Records::new(Layout::Adaptive);
        for id in 0..ADAPTIVE_MINIMUM as ItemId {
            put(&mut records, id * 4 + 3, 1);
        }
        put(&mut records, 0, 1);
        assert!(
            !is_moving(&records),
            "a quarter of the ids below the largest"
        );
        let mut few = Records::new(Layout::Adaptive);
        for id in 0..ADAPTIVE_MINIMUM as ItemId - 1 {
            put(&mut few, id, 1);
        }
        put(&mut few, 0, 1);
        assert!(!is_moving(&few), "fewer records than the minimum");
        records.compact(&mut WorkBudget::unlimited());
        assert_eq!(records.layout(), Layout::Adaptive);
    }

    #[test]
    fn a_moved_layout_takes_a_third_of_the_map() {
        let mut hashed = Records::new(Layout::Hashed);
        let mut adaptive = Records::new(Layout::Adaptive);
        for id in 0..60_000 {
            put(&mut hashed, id, 1);
            put(&mut adaptive, id, 1);
        }
        assert!(is_moving(&adaptive));
        adaptive.compact(&mut WorkBudget::unlimited());
        assert_eq!(adaptive.layout(), Layout::Indexed);
        assert_eq!(held(&adaptive), held(&hashed));
        let (array, map) = (adaptive.heap_bytes(), hashed.heap_bytes());
        assert!(3 * array < map + map / 4, "array {array}, map {map}");
    }

    proptest! {
        /// An adaptive layout holds what a model holds before, during and after its move,
        /// whatever each step's allowance, with new ids above and below the moved ones; and
        /// the move ends within one step per id.
        #[test]
        fn an_adaptive_layout_keeps_every_record_through_its_move(
            first in 4_100u32..6_000,
            steps in proptest::collection::vec(
                (0u32..9_000, 0u8..4, 0usize..400),
                1..600,
            ),
        ) {
            let mut records = Records::new(Layout::Adaptive);
            let mut model: HashMap<ItemId, u32> = HashMap::new();
            for id in 0..first {
                put(&mut records, id, id);
                model.insert(id, id);
            }
            put(&mut records, 0, 0);
            prop_assert!(is_moving(&records));
            for (id, op, allowance) in steps {
                match op {
                    0 => {
                        records.remove(id);
                        model.remove(&id);
                    }
                    1 => {
                        let count = records.get(id).map(|record| record.count);
                        prop_assert_eq!(count, model.get(&id).copied());
                        if let Some(record) = records.get_mut(id) {
                            record.count += 1;
                        }
                        if let Some(count) = model.get_mut(&id) {
                            *count += 1;
                        }
                    }
                    _ => {
                        put(&mut records, id, id + 1);
                        model.entry(id).or_insert(id + 1);
                    }
                }
                records.compact(&mut WorkBudget::exactly(allowance));
            }
            let mut expected: Vec<(ItemId, u32)> = model.into_iter().collect();
            expected.sort_unstable();
            prop_assert_eq!(held(&records), expected.clone());
            records.compact(&mut WorkBudget::exactly(9_000));
            prop_assert_eq!(records.layout(), Layout::Indexed);
            prop_assert_eq!(held(&records), expected);
        }
    }
}

//! Where a [`crate::tally::Tally`] keeps its items' records: in a hash map by id, or in an
//! array indexed by id. Ids are dense, so the array holds a record (8 bytes, 12 with a
//! sliding window's hint) for every id below the largest one held, held or not, and finds it
//! with one memory access and no hashing; the map holds only the items it counts, at 12
//! bytes (16) plus its empty room (a map runs between 44% and 87% full), about 27 bytes a
//! record (36) with its shards, and needs a hash and usually two memory accesses. The array
//! is the better choice for the one aggregate that holds nearly every item the tracker holds
//! (the widest window); the map for one that holds a small share. The others cannot know in
//! advance: "today" starts empty at midnight and by evening may hold most of the tracker's
//! items, and a short window holds most of them at a busy hour and few at a quiet one. So
//! they take the adaptive layout of [`crate::adaptive_records`], which moves between a map
//! and an array as the share changes, a few ids per write: at a million items a move in one
//! go would hold the server for tens of milliseconds.

use crate::adaptive_records::{AdaptiveRecords, Storage};
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

/// Records by id, in the chosen layout.
#[derive(Debug, Clone)]
pub enum Records<R = Record> {
    Hashed(IdMap<R>),
    Indexed(SegmentedVec<R>),
    Adaptive(AdaptiveRecords<R>),
}

/// The outcome of looking an item up to count it.
pub enum Lookup<'a, R> {
    Held(&'a mut R),
    Absent(Vacancy<'a, R>),
}

/// Where an absent item's record goes.
pub enum Vacancy<'a, R> {
    Hashed(IdVacancy<'a, R>),
    /// A place in an array, and the array's count of held records if it keeps one.
    Indexed(&'a mut R, Option<&'a mut usize>),
}

impl<R> Vacancy<'_, R> {
    pub fn insert(self, record: R) {
        match self {
            Vacancy::Hashed(vacancy) => vacancy.insert(record),
            Vacancy::Indexed(at, held) => {
                *at = record;
                if let Some(held) = held {
                    *held += 1;
                }
            }
        }
    }
}

impl<R: HoldsRecord> Records<R> {
    pub fn new(layout: Layout) -> Self {
        match layout {
            Layout::Hashed => Records::Hashed(IdMap::default()),
            Layout::Indexed => Records::Indexed(SegmentedVec::default()),
            Layout::Adaptive => Records::Adaptive(AdaptiveRecords::default()),
        }
    }

    pub fn layout(&self) -> Layout {
        match self {
            Records::Hashed(_) => Layout::Hashed,
            Records::Indexed(_) => Layout::Indexed,
            Records::Adaptive(_) => Layout::Adaptive,
        }
    }

    /// Where the records are now: a fixed layout's are always in its map or array.
    pub fn storage(&self) -> Storage {
        match self {
            Records::Hashed(_) => Storage::Map,
            Records::Indexed(_) => Storage::Array,
            Records::Adaptive(records) => records.storage(),
        }
    }

    pub fn get(&self, id: ItemId) -> Option<&R> {
        match self {
            Records::Hashed(map) => map.get(id),
            Records::Indexed(array) => held_in(array, id),
            Records::Adaptive(records) => records.get(id),
        }
    }

    pub fn get_mut(&mut self, id: ItemId) -> Option<&mut R> {
        match self {
            Records::Hashed(map) => map.get_mut(id),
            Records::Indexed(array) => held_in_mut(array, id),
            Records::Adaptive(records) => records.get_mut(id),
        }
    }

    /// `id`'s record, or the place for it. The array first grows up to `id` (ids come from
    /// the tracker's interner, which hands them out densely) and the map makes its shard, so
    /// `None` never happens.
    pub fn lookup(&mut self, id: ItemId) -> Option<Lookup<'_, R>> {
        match self {
            Records::Hashed(map) => look_up_in_map(map, id),
            Records::Indexed(array) => look_up_in_array(array, id, None),
            Records::Adaptive(records) => records.lookup(id),
        }
    }

    /// Forgets `id`'s record. The array gives back the vacant records at its end.
    pub fn remove(&mut self, id: ItemId) {
        match self {
            Records::Hashed(map) => {
                map.remove(id);
            }
            Records::Indexed(array) => {
                if let Some(record) = array.get_mut(id as usize) {
                    *record = R::vacant();
                }
                give_back_vacant_end(array);
            }
            Records::Adaptive(records) => records.remove(id),
        }
    }

    /// Goes on with an adaptive layout's move, if one is under way, as far as `budget` lets
    /// it.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        if let Records::Adaptive(records) = self {
            records.compact(budget);
        }
    }

    /// Every held `(id, record)`, in no particular order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (ItemId, &R)> + '_> {
        match self {
            Records::Hashed(map) => Box::new(map.iter()),
            Records::Indexed(array) => Box::new(held_records(array)),
            Records::Adaptive(records) => Box::new(records.iter()),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Records::Hashed(map) => map.heap_bytes(),
            Records::Indexed(array) => array.heap_bytes(),
            Records::Adaptive(records) => records.heap_bytes(),
        }
    }
}

/// The held records of an array, with their ids.
pub(crate) fn held_records<R: HoldsRecord>(
    array: &SegmentedVec<R>,
) -> impl Iterator<Item = (ItemId, &R)> {
    array
        .iter()
        .enumerate()
        .filter(|(_, record)| record.is_held())
        .map(|(id, record)| (id as ItemId, record))
}

pub(crate) fn held_in<R: HoldsRecord>(array: &SegmentedVec<R>, id: ItemId) -> Option<&R> {
    array.get(id as usize).filter(|record| record.is_held())
}

pub(crate) fn held_in_mut<R: HoldsRecord>(
    array: &mut SegmentedVec<R>,
    id: ItemId,
) -> Option<&mut R> {
    array.get_mut(id as usize).filter(|record| record.is_held())
}

pub(crate) fn look_up_in_map<R>(map: &mut IdMap<R>, id: ItemId) -> Option<Lookup<'_, R>> {
    Some(match map.entry(id)? {
        IdEntry::Occupied(record) => Lookup::Held(record),
        IdEntry::Vacant(vacancy) => Lookup::Absent(Vacancy::Hashed(vacancy)),
    })
}

/// `id`'s record in `array`, or its place, growing the array up to `id` first; `held`, the
/// array's count of held records if it keeps one, counts the record inserted there.
pub(crate) fn look_up_in_array<'a, R: HoldsRecord>(
    array: &'a mut SegmentedVec<R>,
    id: ItemId,
    held: Option<&'a mut usize>,
) -> Option<Lookup<'a, R>> {
    let index = id as usize;
    while array.len() <= index {
        array.push(R::vacant());
    }
    let record = array.get_mut(index)?;
    Some(if record.is_held() {
        Lookup::Held(record)
    } else {
        Lookup::Absent(Vacancy::Indexed(record, held))
    })
}

pub(crate) fn give_back_vacant_end<R: HoldsRecord>(array: &mut SegmentedVec<R>) {
    while array.last().is_some_and(|record| !record.is_held()) {
        array.pop();
    }
}

#[cfg(test)]
mod tests {
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
}

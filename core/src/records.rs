//! Where a [`crate::tally::Tally`] keeps its items' records: in a hash map by id, or in an
//! array indexed by id. Ids are dense, so the array holds a record (12 bytes) for every id
//! below the largest one held, held or not, and finds it with one memory access and no
//! hashing; the map holds only the items it counts, at 16 bytes plus its empty room (a map
//! runs between 44% and 87% full), and needs a hash and usually two memory accesses. The
//! array is the better choice for the one aggregate that holds nearly every item the tracker
//! holds (the widest window); the map for the others, which hold a fraction.

use crate::id_map::{IdEntry, IdMap, IdVacancy};
use crate::intern::ItemId;
use crate::segmented::SegmentedVec;

/// An item's record: 12 bytes with 4-byte alignment, so a map slot with its id is 16.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    /// The count in 32 bits (see [`crate::narrow`]; the side table is keyed by item).
    pub count: u32,
    /// Position of the item in its level's list.
    pub slot: u32,
    /// Where the owner last stored the item (a sliding window: its position in the newest
    /// bucket); owners other than sliding windows leave it alone.
    pub hint: u32,
}

/// The slot of an array record whose item is not held. A level list never reaches it: it
/// would hold more items than there are ids.
const VACANT: u32 = u32::MAX;

impl Record {
    const EMPTY: Record = Record {
        count: 0,
        slot: VACANT,
        hint: 0,
    };

    fn is_held(&self) -> bool {
        self.slot != VACANT
    }
}

/// How a tally stores its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A hash map by id: memory in proportion to the items held.
    Hashed,
    /// An array indexed by id: memory in proportion to the largest id held.
    Indexed,
}

/// Records by id, in the chosen layout.
#[derive(Debug, Clone)]
pub enum Records {
    Hashed(IdMap<Record>),
    Indexed(SegmentedVec<Record>),
}

/// The outcome of looking an item up to count it.
pub enum Lookup<'a> {
    Held(&'a mut Record),
    Absent(Vacancy<'a>),
}

/// Where an absent item's record goes.
pub enum Vacancy<'a> {
    Hashed(IdVacancy<'a, Record>),
    Indexed(&'a mut Record),
}

impl Vacancy<'_> {
    pub fn insert(self, record: Record) {
        match self {
            Vacancy::Hashed(vacancy) => vacancy.insert(record),
            Vacancy::Indexed(at) => *at = record,
        }
    }
}

impl Records {
    pub fn new(layout: Layout) -> Self {
        match layout {
            Layout::Hashed => Records::Hashed(IdMap::default()),
            Layout::Indexed => Records::Indexed(SegmentedVec::default()),
        }
    }

    pub fn layout(&self) -> Layout {
        match self {
            Records::Hashed(_) => Layout::Hashed,
            Records::Indexed(_) => Layout::Indexed,
        }
    }

    pub fn get(&self, id: ItemId) -> Option<&Record> {
        match self {
            Records::Hashed(map) => map.get(id),
            Records::Indexed(records) => records.get(id as usize).filter(|record| record.is_held()),
        }
    }

    pub fn get_mut(&mut self, id: ItemId) -> Option<&mut Record> {
        match self {
            Records::Hashed(map) => map.get_mut(id),
            Records::Indexed(records) => records
                .get_mut(id as usize)
                .filter(|record| record.is_held()),
        }
    }

    /// `id`'s record, or the place for it. The array first grows up to `id` (ids come from
    /// the tracker's interner, which hands them out densely) and the map makes its shard, so
    /// `None` never happens.
    pub fn lookup(&mut self, id: ItemId) -> Option<Lookup<'_>> {
        match self {
            Records::Hashed(map) => Some(match map.entry(id)? {
                IdEntry::Occupied(record) => Lookup::Held(record),
                IdEntry::Vacant(vacancy) => Lookup::Absent(Vacancy::Hashed(vacancy)),
            }),
            Records::Indexed(records) => {
                let index = id as usize;
                while records.len() <= index {
                    records.push(Record::EMPTY);
                }
                let record = records.get_mut(index)?;
                Some(if record.is_held() {
                    Lookup::Held(record)
                } else {
                    Lookup::Absent(Vacancy::Indexed(record))
                })
            }
        }
    }

    /// Forgets `id`'s record. The array gives back the vacant records at its end.
    pub fn remove(&mut self, id: ItemId) {
        match self {
            Records::Hashed(map) => {
                map.remove(id);
            }
            Records::Indexed(records) => {
                if let Some(record) = records.get_mut(id as usize) {
                    *record = Record::EMPTY;
                }
                while records.last().is_some_and(|record| !record.is_held()) {
                    records.pop();
                }
            }
        }
    }

    /// Every held `(id, record)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, &Record)> {
        let (hashed, indexed) = match self {
            Records::Hashed(map) => (Some(map.iter()), None),
            Records::Indexed(records) => (None, Some(records.iter())),
        };
        let indexed = indexed
            .into_iter()
            .flat_map(|records| records.enumerate())
            .filter(|(_, record)| record.is_held())
            .map(|(id, record)| (id as ItemId, record));
        hashed.into_iter().flatten().chain(indexed)
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Records::Hashed(map) => map.heap_bytes(),
            Records::Indexed(records) => records.heap_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(records: &mut Records, id: ItemId, count: u32) {
        if let Some(Lookup::Absent(vacancy)) = records.lookup(id) {
            vacancy.insert(Record {
                count,
                slot: 0,
                hint: 0,
            });
        }
    }

    #[test]
    fn both_layouts_hold_the_same_items() {
        for layout in [Layout::Hashed, Layout::Indexed] {
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

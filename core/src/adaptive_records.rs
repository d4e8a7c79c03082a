//! The records of an adaptive layout (see [`crate::records`]): a map while the tally holds a
//! small share of the ids, an array once it holds a large one, and back when it shrinks. The
//! ids below the array's length always live in the array and the others in the map, so a
//! move either way is a few ids per write, and every lookup during it goes to one place: the
//! move to the array takes the next id from the map onto the array's end, the move back takes
//! the array's last id into the map. A day only grows, so it moves once at most; a sliding
//! window shrinks when its traffic falls, so the thresholds of the two moves are a factor of
//! two apart, and a window does not move back and forth on small changes.

use crate::id_map::IdMap;
use crate::intern::ItemId;
use crate::records::{
    give_back_vacant_end, held_in, held_in_mut, held_records, look_up_in_array, look_up_in_map,
    HoldsRecord, Lookup,
};
use crate::segmented::SegmentedVec;
use crate::work::WorkBudget;

/// Records an adaptive layout keeps in a map whatever its ids, and ids its array may span
/// whatever it holds: up to here either takes at most about 150 KiB, and moves this early
/// could be wrong by the evening.
const ADAPTIVE_MINIMUM: usize = 4_096;

/// Whether an array would take less memory than a map holding `held` records whose largest
/// id is `largest`: 8 bytes for every id up to `largest` against about 27 per record (12 and
/// 36 with hints), so from about 30% of the ids held; the move waits for a third.
fn array_is_smaller(held: usize, largest: ItemId) -> bool {
    held >= ADAPTIVE_MINIMUM && held.saturating_mul(3) > largest as usize
}

/// Whether a map would take about half the memory of an array of `length` ids holding
/// `held` records, or less: the move back waits for a sixth.
fn map_is_much_smaller(held: usize, length: usize) -> bool {
    length >= ADAPTIVE_MINIMUM && held.saturating_mul(6) < length
}

/// Where a move under way takes the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    Array,
    Map,
}

/// Where an adaptive layout's records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Map,
    Moving(Toward),
    Array,
}

/// Records by id in an array below its length and in a map from there on.
#[derive(Debug, Clone)]
pub struct AdaptiveRecords<R> {
    array: SegmentedVec<R>,
    /// How many of the array's records are held.
    array_held: usize,
    map: IdMap<R>,
    /// At least the largest id in the map; 0 once the map has moved to the array.
    largest: ItemId,
    moving: Option<Toward>,
}

impl<R> Default for AdaptiveRecords<R> {
    fn default() -> Self {
        AdaptiveRecords {
            array: SegmentedVec::default(),
            array_held: 0,
            map: IdMap::default(),
            largest: 0,
            moving: None,
        }
    }
}

impl<R: HoldsRecord> AdaptiveRecords<R> {
    pub fn storage(&self) -> Storage {
        match self.moving {
            Some(toward) => Storage::Moving(toward),
            None if self.array.is_empty() => Storage::Map,
            None => Storage::Array,
        }
    }

    /// How many records are held.
    fn held(&self) -> usize {
        self.array_held + self.map.len()
    }

    pub fn get(&self, id: ItemId) -> Option<&R> {
        if (id as usize) < self.array.len() {
            held_in(&self.array, id)
        } else {
            self.map.get(id)
        }
    }

    pub fn get_mut(&mut self, id: ItemId) -> Option<&mut R> {
        if (id as usize) < self.array.len() {
            held_in_mut(&mut self.array, id)
        } else {
            self.map.get_mut(id)
        }
    }

    /// `id`'s record, or the place for it. Outside a move, the array grows to take a new id
    /// if it holds any, and the map takes it otherwise; a map starts its move to the array
    /// here once that would be smaller.
    pub fn lookup(&mut self, id: ItemId) -> Option<Lookup<'_, R>> {
        if self.storage() == Storage::Map {
            self.largest = self.largest.max(id);
            if array_is_smaller(self.held(), self.largest) {
                self.moving = Some(Toward::Array);
            }
        }
        if (id as usize) < self.array.len() || self.storage() == Storage::Array {
            look_up_in_array(&mut self.array, id, Some(&mut self.array_held))
        } else {
            self.largest = self.largest.max(id);
            look_up_in_map(&mut self.map, id)
        }
    }

    /// Forgets `id`'s record. Outside a move, the array gives back the vacant records at its
    /// end, and starts its move back to a map once that would be much smaller.
    pub fn remove(&mut self, id: ItemId) {
        match self.array.get_mut(id as usize) {
            Some(record) => {
                if record.is_held() {
                    *record = R::vacant();
                    self.array_held = self.array_held.saturating_sub(1);
                }
            }
            None => {
                self.map.remove(id);
            }
        }
        if self.moving.is_none() {
            give_back_vacant_end(&mut self.array);
            if map_is_much_smaller(self.held(), self.array.len()) {
                self.largest = (self.array.len() - 1) as ItemId;
                self.moving = Some(Toward::Map);
            }
        }
    }

    /// Goes on with a move under way, one id per unit of `budget`.
    pub fn compact(&mut self, budget: &mut WorkBudget) {
        match self.moving {
            None => {}
            Some(Toward::Array) => {
                while self.array.len() <= self.largest as usize {
                    if !budget.take() {
                        return;
                    }
                    let id = self.array.len() as ItemId;
                    let record = self.map.remove(id);
                    self.array_held += usize::from(record.is_some());
                    self.array.push(record.unwrap_or_else(R::vacant));
                }
                self.map = IdMap::default();
                self.largest = 0;
                self.moving = None;
                give_back_vacant_end(&mut self.array);
            }
            Some(Toward::Map) => {
                while let Some(last) = self.array.last().copied() {
                    if !budget.take() {
                        return;
                    }
                    let id = (self.array.len() - 1) as ItemId;
                    self.array.pop();
                    if last.is_held() {
                        self.array_held = self.array_held.saturating_sub(1);
                        if let Some(Lookup::Absent(vacancy)) = look_up_in_map(&mut self.map, id) {
                            vacancy.insert(last);
                        }
                    }
                }
                self.array = SegmentedVec::default();
                self.moving = None;
            }
        }
    }

    /// Every held `(id, record)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ItemId, &R)> {
        self.map.iter().chain(held_records(&self.array))
    }

    pub fn heap_bytes(&self) -> usize {
        self.array.heap_bytes() + self.map.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;
    use crate::records::Record;

    fn put(records: &mut AdaptiveRecords<Record>, id: ItemId, count: u32) {
        if let Some(Lookup::Absent(vacancy)) = records.lookup(id) {
            vacancy.insert(Record { count, slot: 0 });
        }
    }

    /// Every held `(id, count)`, sorted.
    fn held(records: &AdaptiveRecords<Record>) -> Vec<(ItemId, u32)> {
        let mut held: Vec<(ItemId, u32)> = records
            .iter()
            .map(|(id, record)| (id, record.count))
            .collect();
        held.sort_unstable();
        held
    }

    /// Records of every id below `count`, moved to the array.
    fn arrayed(count: ItemId) -> AdaptiveRecords<Record> {
        let mut records = AdaptiveRecords::default();
        for id in 0..count {
            put(&mut records, id, 1);
        }
        records.compact(&mut WorkBudget::unlimited());
        assert_eq!(records.storage(), Storage::Array);
        records
    }

    #[test]
    fn a_map_stays_a_map_while_it_is_smaller() {
        let mut records = AdaptiveRecords::default();
        for id in 0..ADAPTIVE_MINIMUM as ItemId {
            put(&mut records, id * 4 + 3, 1);
        }
        put(&mut records, 0, 1);
        assert_eq!(
            records.storage(),
            Storage::Map,
            "a quarter of the ids below the largest"
        );
        let mut few = AdaptiveRecords::default();
        for id in 0..ADAPTIVE_MINIMUM as ItemId - 1 {
            put(&mut few, id, 1);
        }
        put(&mut few, 0, 1);
        assert_eq!(
            few.storage(),
            Storage::Map,
            "fewer records than the minimum"
        );
    }

    #[test]
    fn an_array_stays_an_array_down_to_a_sixth_of_its_ids() {
        let mut records = arrayed(60_000);
        for id in 0..49_999 {
            records.remove(id);
        }
        assert_eq!(records.storage(), Storage::Array, "10,001 of 60,000 held");
        records.remove(49_999);
        assert_eq!(records.storage(), Storage::Array, "exactly a sixth");
        records.remove(50_000);
        assert_eq!(records.storage(), Storage::Moving(Toward::Map));
        records.compact(&mut WorkBudget::unlimited());
        assert_eq!(records.storage(), Storage::Map);
        assert_eq!(
            held(&records),
            (50_001..60_000).map(|id| (id, 1)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn each_move_frees_what_it_leaves() {
        let mut hashed: IdMap<Record> = IdMap::default();
        for id in 0..60_000 {
            if let Some(Lookup::Absent(vacancy)) = look_up_in_map(&mut hashed, id) {
                vacancy.insert(Record { count: 1, slot: 0 });
            }
        }
        let mut records = arrayed(60_000);
        let (array, map) = (records.heap_bytes(), hashed.heap_bytes());
        assert!(3 * array < map + map / 4, "array {array}, map {map}");
        for id in 0..55_000 {
            records.remove(id);
        }
        records.compact(&mut WorkBudget::unlimited());
        assert_eq!(records.storage(), Storage::Map);
        assert!(
            records.heap_bytes() < map / 6,
            "{} for 5,000 records, {map} for 60,000",
            records.heap_bytes()
        );
    }

    proptest! {
        /// An adaptive layout holds what a model holds before, during and after its moves
        /// both ways, whatever each step's allowance, with new ids above and below the moved
        /// ones: random steps during the move to the array, then most items leave and the
        /// array moves back; each move ends within one step per id.
        #[test]
        fn an_adaptive_layout_keeps_every_record_through_its_moves(
            first in 4_100u32..6_000,
            steps in proptest::collection::vec(
                (0u32..9_000, 0u8..4, 0usize..400),
                1..600,
            ),
            drain_to in 0usize..600,
        ) {
            let mut records = AdaptiveRecords::default();
            let mut model: HashMap<ItemId, u32> = HashMap::new();
            for id in (0..first).chain([8_999]) {
                put(&mut records, id, id);
                model.insert(id, id);
            }
            put(&mut records, 0, 0);
            prop_assert_eq!(records.storage(), Storage::Moving(Toward::Array));
            let mut storages = vec![records.storage()];
            let mut step = |records: &mut AdaptiveRecords<Record>,
                            model: &mut HashMap<ItemId, u32>,
                            (id, op, allowance): (ItemId, u8, usize)|
             -> Result<(), TestCaseError> {
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
                        put(records, id, id + 1);
                        model.entry(id).or_insert(id + 1);
                    }
                }
                records.compact(&mut WorkBudget::exactly(allowance));
                if storages.last() != Some(&records.storage()) {
                    storages.push(records.storage());
                }
                Ok(())
            };
            for op in steps {
                step(&mut records, &mut model, op)?;
            }
            records.compact(&mut WorkBudget::exactly(9_000));
            prop_assert_eq!(records.storage(), Storage::Array);
            // Then most items leave, the largest id last, and the array moves back.
            let mut ids: Vec<ItemId> = model.keys().copied().collect();
            ids.sort_unstable();
            for (n, id) in ids.into_iter().enumerate().skip(drain_to) {
                step(&mut records, &mut model, (id, 0, n % 7))?;
            }
            let mut expected: Vec<(ItemId, u32)> = model.into_iter().collect();
            expected.sort_unstable();
            prop_assert_eq!(held(&records), expected.clone());
            records.compact(&mut WorkBudget::exactly(9_000));
            prop_assert_eq!(records.storage(), Storage::Map);
            prop_assert_eq!(held(&records), expected);
            prop_assert!(storages.contains(&Storage::Moving(Toward::Map)), "{:?}", storages);
        }
    }
}

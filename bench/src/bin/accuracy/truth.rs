//! The benchmark's own exact counts of everything streamed so far. The whole stream lies in
//! the trackers' 24h window and in "today", so these are the true answers for both, and the
//! run checks once that the EXACT tracker (the ground truth of the shorter windows) agrees
//! with them. Top-k lists use the module's order: count descending, then item bytes
//! ascending.

use std::cmp::Ordering;
use std::collections::HashMap;

pub struct Truth<'a> {
    names: &'a [Vec<u8>],
    /// `counts[rank]`: events of item `names[rank]` so far.
    counts: Vec<u64>,
    ranks: HashMap<&'a [u8], usize>,
}

impl<'a> Truth<'a> {
    pub fn new(names: &'a [Vec<u8>]) -> Truth<'a> {
        Truth {
            names,
            counts: vec![0; names.len()],
            ranks: names
                .iter()
                .enumerate()
                .map(|(rank, name)| (name.as_slice(), rank))
                .collect(),
        }
    }

    /// Counts one event per entry of `ranks`.
    pub fn add(&mut self, ranks: &[u32]) {
        for &rank in ranks {
            self.counts[rank as usize] += 1;
        }
    }

    /// The true count of `item` (0 for a name never streamed).
    pub fn count_of(&self, item: &[u8]) -> u64 {
        self.ranks.get(item).map_or(0, |&rank| self.counts[rank])
    }

    /// Items seen at least once.
    /// Events streamed so far.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn distinct(&self) -> usize {
        self.counts.iter().filter(|&&c| c > 0).count()
    }

    /// The true top `k`, in the module's order.
    pub fn top(&self, k: usize) -> Vec<(Vec<u8>, u64)> {
        let order = |a: &usize, b: &usize| -> Ordering {
            self.counts[*b]
                .cmp(&self.counts[*a])
                .then_with(|| self.names[*a].cmp(&self.names[*b]))
        };
        let mut seen: Vec<usize> = (0..self.counts.len())
            .filter(|&rank| self.counts[rank] > 0)
            .collect();
        if seen.len() > k && k > 0 {
            seen.select_nth_unstable_by(k - 1, order);
            seen.truncate(k);
        }
        seen.sort_unstable_by(order);
        seen.truncate(k);
        seen.into_iter()
            .map(|rank| (self.names[rank].clone(), self.counts[rank]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_orders_by_count_then_name() {
        let names: Vec<Vec<u8>> = ["b", "a", "c", "d"].map(|n| n.as_bytes().to_vec()).into();
        let mut truth = Truth::new(&names);
        truth.add(&[0, 1, 2, 2, 2]);
        assert_eq!(
            truth.top(2),
            vec![(b"c".to_vec(), 3), (b"a".to_vec(), 1)],
            "ties go to the smaller name"
        );
        assert_eq!(truth.top(10).len(), 3, "unseen items are not listed");
        assert_eq!(truth.count_of(b"c"), 3);
        assert_eq!(truth.count_of(b"zz"), 0);
        assert_eq!(truth.distinct(), 3);
    }
}

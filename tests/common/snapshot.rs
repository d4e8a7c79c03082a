//! A tracker's whole observable state, for before/after comparisons (reloads, replicas,
//! rejected commands): `TOPK.INFO` without `memory_bytes` (allocator-dependent), the full
//! top-K of every configured window and of one other duration (half the longest window), and
//! `TOPK.COUNT` of every item seen in any of them.

use redis::Connection;

use super::replies::{byte_pairs, info, ints, run, Info};

/// A top-K answer: `(item, count)` pairs.
pub type Top = Vec<(Vec<u8>, i64)>;

#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub info: Info,
    /// `(window, top-K pairs)` per window read.
    pub tops: Vec<(String, Top)>,
    /// `(window, counts of every item seen)` per window read.
    pub counts: Vec<(String, Vec<i64>)>,
}

impl Snapshot {
    /// The same state without the clock T (for `CLOCK SERVER` trackers, whose T follows the
    /// wall clock between two snapshots).
    pub fn without_clock(mut self) -> Snapshot {
        self.info = self.info.without("T");
        self
    }
}

/// Reads the snapshot of tracker `key`.
pub fn snapshot(con: &mut Connection, key: &str) -> Snapshot {
    let info = info(con, key).without("memory_bytes");
    let k = info.int("k").to_string();
    let windows = info.windows();
    let mut names: Vec<String> = windows.iter().map(|w| w.name.clone()).collect();
    if let Some(longest) = windows.iter().map(|w| w.length).max().filter(|&l| l > 0) {
        names.push((longest / 2).to_string());
    }
    let tops: Vec<(String, Top)> = names
        .iter()
        .map(|name| {
            let reply = run(con, &["TOPK.QUERY", key, name.as_str(), k.as_str()]);
            (name.clone(), byte_pairs(&reply))
        })
        .collect();
    let mut items: Vec<Vec<u8>> = tops
        .iter()
        .flat_map(|(_, top)| top.iter().map(|(item, _)| item.clone()))
        .collect();
    items.sort();
    items.dedup();
    let counts = if items.is_empty() {
        Vec::new()
    } else {
        names
            .iter()
            .map(|name| {
                let mut args: Vec<Vec<u8>> = vec![
                    b"TOPK.COUNT".to_vec(),
                    key.as_bytes().to_vec(),
                    name.as_bytes().to_vec(),
                ];
                args.extend(items.iter().cloned());
                (name.clone(), ints(&run(con, args)))
            })
            .collect()
    };
    Snapshot { info, tops, counts }
}

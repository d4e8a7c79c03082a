//! A brute-force model of a tracker: every event kept in a list, every window answer
//! computed by scanning it. `check_window` compares a module answer against it with the
//! tolerance of SPEC.md: a window of length W with bucket width g at clock T counts every
//! event with `T - W < ts <= T` and may count events down to `T - W - g < ts`, never more.

use std::collections::{HashMap, HashSet};

/// The events sent so far and the clock they (and ADVANCE) moved.
#[derive(Clone, Debug, Default)]
pub struct Model {
    events: Vec<(String, i64, u64)>,
    clock: i64,
}

impl Model {
    /// One accepted event; under `CLOCK EVENT` it moves T to its timestamp if later.
    pub fn add(&mut self, item: &str, ts: i64, count: u64) {
        self.events.push((item.to_string(), ts, count));
        self.clock = self.clock.max(ts);
    }

    /// `TOPK.ADVANCE` under `CLOCK EVENT`.
    pub fn advance(&mut self, to: i64) {
        self.clock = self.clock.max(to);
    }

    /// T under `CLOCK EVENT`.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// Exact counts of the events with `after < ts <= until`.
    pub fn counts(&self, after: i64, until: i64) -> HashMap<String, u64> {
        let mut counts = HashMap::new();
        for (item, ts, count) in &self.events {
            if after < *ts && *ts <= until {
                *counts.entry(item.clone()).or_insert(0) += count;
            }
        }
        counts
    }

    /// The least and the most a window of `length` ms with buckets of `bucket` ms may report
    /// per item at the current clock.
    pub fn bounds(&self, length: i64, bucket: i64) -> Bounds {
        Bounds {
            lower: self.counts(self.clock - length, self.clock),
            upper: self.counts(self.clock - length - bucket, self.clock),
        }
    }
}

/// Per-item bounds of a window's answer.
#[derive(Clone, Debug)]
pub struct Bounds {
    pub lower: HashMap<String, u64>,
    pub upper: HashMap<String, u64>,
}

impl Bounds {
    /// Whether `reported` is an allowed count for `item`.
    pub fn allows(&self, item: &str, reported: i64) -> bool {
        let lower = self.lower.get(item).copied().unwrap_or(0);
        let upper = self.upper.get(item).copied().unwrap_or(0);
        u64::try_from(reported).is_ok_and(|r| lower <= r && r <= upper)
    }

    /// Checks a full top list (k at least the number of distinct items): sorted by count
    /// descending then item bytes ascending, every count positive and within bounds, and
    /// every item that must be counted present.
    pub fn check_top(&self, top: &[(String, i64)]) -> Result<(), String> {
        check_order(top)?;
        for (item, count) in top {
            if *count < 1 || !self.allows(item, *count) {
                return Err(format!(
                    "{item} reported {count}, allowed {}..={}",
                    self.lower.get(item).copied().unwrap_or(0),
                    self.upper.get(item).copied().unwrap_or(0)
                ));
            }
        }
        for (item, lower) in &self.lower {
            if *lower > 0 && !top.iter().any(|(reported, _)| reported == item) {
                return Err(format!("{item} (at least {lower}) is missing"));
            }
        }
        Ok(())
    }
}

/// Counts non-increasing, ties by item bytes ascending, no item twice.
pub fn check_order(top: &[(String, i64)]) -> Result<(), String> {
    for pair in top.windows(2) {
        let ((a, count_a), (b, count_b)) = (&pair[0], &pair[1]);
        let ordered = count_a > count_b || (count_a == count_b && a.as_bytes() < b.as_bytes());
        if !ordered {
            return Err(format!(
                "({a}, {count_a}) is listed before ({b}, {count_b})"
            ));
        }
    }
    let distinct: HashSet<&String> = top.iter().map(|(item, _)| item).collect();
    if distinct.len() != top.len() {
        return Err("an item is listed twice".to_string());
    }
    Ok(())
}

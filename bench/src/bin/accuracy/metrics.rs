//! The accuracy figures of one range (a window or today) at one moment, from an
//! `Observation`: the APPROX tracker's top list with the true count of each item, and the
//! true top list with APPROX's estimate of each item. Recall@k counts the APPROX top-k items
//! whose true count reaches the k-th true count (so ties at the cut are found whichever of
//! them is listed); relative errors are |estimate - true| / true over the true top list;
//! bounds hold when lower <= true <= upper (and the estimate lies between them; for
//! `TOPK.DAY`, which reports none, the bounds are the day's Space-Saving error around the
//! estimate). Also
//! checked: `TOPK.COUNT` gives each listed item the estimate `TOPK.QUERY` listed (SPEC.md).

use crate::tracker::Reported;

#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// APPROX's top list, best first.
    pub approx: Vec<Reported>,
    /// The true count of each item of `approx`.
    pub true_of_approx: Vec<u64>,
    /// The true top list, best first.
    pub truth: Vec<(Vec<u8>, u64)>,
    /// APPROX's estimate of each item of `truth` (0 when it does not hold it).
    pub approx_of_truth: Vec<u64>,
    /// APPROX's `TOPK.COUNT` of each item of `approx` (empty for today: no day form).
    pub count_of_approx: Vec<u64>,
}

impl Observation {
    /// Recall@k, or `None` when nothing was counted.
    pub fn recall(&self, k: usize) -> Option<f64> {
        let wanted = k.min(self.truth.len());
        let cut = self.truth.get(wanted.checked_sub(1)?)?.1;
        let found = self
            .true_of_approx
            .iter()
            .take(k)
            .filter(|&&t| t > 0 && t >= cut)
            .count();
        Some(found.min(wanted) as f64 / wanted as f64)
    }

    /// Mean and max relative error of APPROX's estimates of the true top list.
    pub fn relative_errors(&self) -> Option<(f64, f64)> {
        let errors: Vec<f64> = self
            .truth
            .iter()
            .zip(&self.approx_of_truth)
            .filter(|((_, t), _)| *t > 0)
            .map(|((_, t), &a)| (a as f64 - *t as f64).abs() / *t as f64)
            .collect();
        let max = errors.iter().copied().reduce(f64::max)?;
        Some((errors.iter().sum::<f64>() / errors.len() as f64, max))
    }

    /// Mean of upper - lower over the reported items, absolute and relative to the
    /// estimate; `None` without bounds.
    pub fn bound_width(&self) -> Option<(f64, f64)> {
        let widths: Vec<(f64, f64)> = self
            .approx
            .iter()
            .filter_map(|r| {
                let (lower, upper) = r.bounds?;
                let width = upper.saturating_sub(lower) as f64;
                Some((width, width / (r.count.max(1) as f64)))
            })
            .collect();
        if widths.is_empty() {
            return None;
        }
        let n = widths.len() as f64;
        Some((
            widths.iter().map(|w| w.0).sum::<f64>() / n,
            widths.iter().map(|w| w.1).sum::<f64>() / n,
        ))
    }
}

/// How many reported items passed a check, and the first few that did not.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub checked: u64,
    pub held: u64,
    pub violations: Vec<String>,
}

const KEPT_VIOLATIONS: usize = 5;

impl Tally {
    /// Checks the bounds of every reported item of `observation`; `at` names the moment.
    pub fn check_bounds(&mut self, observation: &Observation, at: &str) {
        for (reported, &truth) in observation.approx.iter().zip(&observation.true_of_approx) {
            let holds = match reported.bounds {
                Some((lower, upper)) => {
                    lower <= truth
                        && truth <= upper
                        && lower <= reported.count
                        && reported.count <= upper
                }
                None => false,
            };
            self.record(holds, || {
                let bounds = reported
                    .bounds
                    .map_or("no bounds".to_string(), |(l, u)| format!("[{l}, {u}]"));
                format!(
                    "{at}: {} count {} {bounds}, true {truth}",
                    String::from_utf8_lossy(&reported.item),
                    reported.count
                )
            });
        }
    }

    /// Checks that `TOPK.COUNT` gives every listed item the estimate `TOPK.QUERY` listed.
    pub fn check_same_estimate(&mut self, observation: &Observation, at: &str) {
        for (reported, &count) in observation.approx.iter().zip(&observation.count_of_approx) {
            self.record(reported.count == count, || {
                format!(
                    "{at}: {} QUERY count {}, COUNT {count}",
                    String::from_utf8_lossy(&reported.item),
                    reported.count
                )
            });
        }
    }

    fn record(&mut self, holds: bool, message: impl FnOnce() -> String) {
        self.checked += 1;
        if holds {
            self.held += 1;
        } else if self.violations.len() < KEPT_VIOLATIONS {
            self.violations.push(message());
        }
    }

    pub fn all_held(&self) -> bool {
        self.checked == self.held
    }

    pub fn add(&mut self, other: &Tally) {
        self.checked += other.checked;
        self.held += other.held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(item: &str, count: u64, bounds: Option<(u64, u64)>) -> Reported {
        Reported {
            item: item.as_bytes().to_vec(),
            count,
            bounds,
        }
    }

    fn observation() -> Observation {
        Observation {
            approx: vec![
                reported("a", 10, Some((9, 10))),
                reported("c", 5, Some((4, 5))),
                reported("x", 5, Some((1, 5))),
            ],
            // "c" ties with the true 2nd ("b"), "x" is really 2.
            true_of_approx: vec![10, 5, 2],
            truth: vec![(b"a".to_vec(), 10), (b"b".to_vec(), 5), (b"c".to_vec(), 5)],
            approx_of_truth: vec![10, 0, 5],
            count_of_approx: vec![10, 5, 4],
        }
    }

    #[test]
    fn recall_counts_ties_at_the_cut() {
        let o = observation();
        assert_eq!(o.recall(2), Some(1.0));
        assert_eq!(o.recall(3), Some(2.0 / 3.0));
        assert_eq!(o.recall(100), Some(2.0 / 3.0), "k beyond the items seen");
    }

    #[test]
    fn errors_widths_and_bounds() {
        let o = observation();
        assert_eq!(o.relative_errors(), Some((1.0 / 3.0, 1.0)));
        let (width, _) = o.bound_width().expect("bounds reported");
        assert!((width - 2.0).abs() < 1e-9);
        let mut tally = Tally::default();
        tally.check_bounds(&o, "t");
        assert_eq!((tally.checked, tally.held), (3, 3));
        let mut same = Tally::default();
        same.check_same_estimate(&o, "t");
        assert_eq!((same.checked, same.held), (3, 2), "x: QUERY 5, COUNT 4");
        let mut low = o;
        low.true_of_approx[0] = 11;
        let mut tally = Tally::default();
        tally.check_bounds(&low, "t");
        assert!(!tally.all_held() && tally.violations.len() == 1);
    }
}

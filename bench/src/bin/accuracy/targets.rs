//! The targets of `make accuracy` (project issue 5) and their verdicts: for s >= 1.0 a
//! recall@100 of at least 0.99 and a mean relative error of the true top-100's counts of at
//! most 0.1%, below s = 1.0 a recall@100 of at least 0.95; an APPROX tracker (5m/1h/24h plus
//! 7 days) within 32 MiB of `MEMORY USAGE` (MiB, as Redis counts `mb`) that grows by less
//! than 10% from the few to the many distinct items; APPROX ingest at least as fast as
//! EXACT's; bounds that hold for every item checked. Plus the run's own sanity checks (EXACT
//! equals the benchmark's counts, APPROX's COUNT equals QUERY's estimate, no event dropped).

use wtopk_bench::report::{bytes, count, rate, ratio};

use crate::compare::Comparison;
use crate::growth::Growth;
use crate::metrics::{Observation, Tally};

pub const MEMORY_LIMIT: u64 = 32 * 1024 * 1024;
pub const GROWTH_LIMIT_PERCENT: f64 = 10.0;

/// The accuracy asked of every range at one Zipf exponent.
#[derive(Debug, Clone, Copy)]
pub struct AccuracyGoal {
    pub min_recall: f64,
    /// The largest mean relative error allowed, where one is set.
    pub max_mean_error: Option<f64>,
}

impl AccuracyGoal {
    pub fn at(exponent: f64) -> AccuracyGoal {
        if exponent >= 1.0 {
            AccuracyGoal {
                min_recall: 0.99,
                max_mean_error: Some(0.001),
            }
        } else {
            AccuracyGoal {
                min_recall: 0.95,
                max_mean_error: None,
            }
        }
    }

    pub fn describe(&self) -> String {
        match self.max_mean_error {
            Some(e) => format!("r@100 >= {}, err <= {}", self.min_recall, percent(e)),
            None => format!("r@100 >= {}", self.min_recall),
        }
    }

    pub fn recall_met(&self, o: &Observation) -> bool {
        o.recall(100).is_some_and(|r| r >= self.min_recall)
    }

    pub fn error_met(&self, o: &Observation) -> bool {
        match self.max_mean_error {
            Some(limit) => o.relative_errors().is_some_and(|(mean, _)| mean <= limit),
            None => true,
        }
    }

    pub fn met(&self, o: &Observation) -> bool {
        self.recall_met(o) && self.error_met(o)
    }
}

/// One line of the summary.
pub struct Target {
    pub what: String,
    pub measured: String,
    pub met: bool,
    /// A correctness check (bounds, EXACT against its model, events lost) rather than a
    /// goal: a run that fails one exits with an error.
    pub correctness: bool,
}

pub fn judge(comparisons: &[Comparison], growth: &Growth) -> Vec<Target> {
    let mut targets = Vec::new();
    for c in comparisons {
        let goal = AccuracyGoal::at(c.exponent);
        let per_range = |figure: &dyn Fn(&Observation) -> String| {
            c.ranges
                .iter()
                .map(|r| format!("{} {}", r.name, figure(&r.last)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        targets.push(Target {
            what: format!(
                "s={:.1}: recall@100 >= {} (windows and today)",
                c.exponent, goal.min_recall
            ),
            measured: per_range(&|o| o.recall(100).map_or("-".into(), |r| format!("{r:.3}"))),
            met: c.ranges.iter().all(|r| goal.recall_met(&r.last)),
            correctness: false,
        });
        if let Some(limit) = goal.max_mean_error {
            targets.push(Target {
                what: format!(
                    "s={:.1}: mean rel. error of the top-100 counts <= {}",
                    c.exponent,
                    percent(limit)
                ),
                measured: per_range(&|o| {
                    o.relative_errors()
                        .map_or("-".into(), |(mean, _)| percent(mean))
                }),
                met: c.ranges.iter().all(|r| goal.error_met(&r.last)),
                correctness: false,
            });
        }
        targets.push(Target {
            what: format!(
                "s={:.1}: APPROX ingest >= EXACT's at {} items",
                c.exponent,
                count(c.universe)
            ),
            measured: format!(
                "{} vs {} ({})",
                rate(c.approx.rate()),
                rate(c.exact.rate()),
                ratio(c.approx.rate() / c.exact.rate())
            ),
            met: c.approx.rate() >= c.exact.rate(),
            correctness: false,
        });
        targets.push(Target {
            what: format!("s={:.1}: APPROX MEMORY USAGE <= 32 MiB", c.exponent),
            measured: bytes(c.approx_memory),
            met: c.approx_memory <= MEMORY_LIMIT,
            correctness: false,
        });
    }
    let points: Vec<String> = growth
        .points
        .iter()
        .map(|p| format!("{} at {}", bytes(p.memory), count(p.distinct)))
        .collect();
    targets.push(Target {
        what: "growth streams: APPROX MEMORY USAGE <= 32 MiB".into(),
        measured: points.join(", "),
        met: growth.max_memory() <= MEMORY_LIMIT,
        correctness: false,
    });
    if let Some(week) = &growth.week {
        targets.push(Target {
            what: format!(
                "{} days kept (+ today): APPROX MEMORY USAGE <= 32 MiB",
                week.days - 1
            ),
            measured: format!(
                "{} at {} over {}h",
                bytes(week.memory),
                count(week.distinct),
                24 * week.days
            ),
            met: week.memory <= MEMORY_LIMIT,
            correctness: false,
        });
    }
    let distinct: Vec<String> = growth.points.iter().map(|p| count(p.distinct)).collect();
    targets.push(Target {
        what: format!(
            "APPROX memory growth {} distinct < {GROWTH_LIMIT_PERCENT}%",
            distinct.join(" -> ")
        ),
        measured: growth.percent().map_or("-".into(), |g| format!("{g:+.1}%")),
        met: growth.percent().is_some_and(|g| g < GROWTH_LIMIT_PERCENT),
        correctness: false,
    });
    let mut bounds = Tally::default();
    let mut same = Tally::default();
    for range in comparisons.iter().flat_map(|c| &c.ranges) {
        bounds.add(&range.bounds);
        same.add(&range.same_estimate);
    }
    targets.push(Target {
        what: "bounds hold for 100% of the items checked".into(),
        measured: format!("{} of {}", bounds.held, bounds.checked),
        met: bounds.checked > 0 && bounds.all_held(),
        correctness: true,
    });
    targets.push(Target {
        what: "check: APPROX TOPK.COUNT = TOPK.QUERY's estimate".into(),
        measured: format!("{} of {}", same.held, same.checked),
        met: same.all_held(),
        correctness: true,
    });
    targets.push(Target {
        what: "check: EXACT = the benchmark's own counts (24h, today)".into(),
        measured: comparisons
            .iter()
            .map(|c| match &c.exact_agrees {
                Ok(()) => format!("s={:.1} agree", c.exponent),
                Err(e) => format!("s={:.1} DIFFER ({e})", c.exponent),
            })
            .collect::<Vec<_>>()
            .join(", "),
        met: comparisons.iter().all(|c| c.exact_agrees.is_ok()),
        correctness: true,
    });
    let dropped: u64 = comparisons
        .iter()
        .map(|c| c.exact.dropped + c.approx.dropped)
        .chain(
            growth
                .points
                .iter()
                .chain(&growth.week)
                .map(|p| p.ingested.dropped),
        )
        .sum();
    targets.push(Target {
        what: "check: no event dropped or duplicate (in-order stream)".into(),
        measured: format!("{dropped} dropped"),
        met: dropped == 0
            && comparisons
                .iter()
                .all(|c| c.exact.duplicates + c.approx.duplicates == 0),
        correctness: true,
    });
    targets
}

/// A fraction as a percentage: `0.012%`, `12.5%`.
pub fn percent(x: f64) -> String {
    if x >= 0.1 {
        format!("{:.1}%", x * 100.0)
    } else {
        format!("{:.3}%", x * 100.0)
    }
}

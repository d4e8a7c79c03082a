//! What a read reports for one item: the estimate users see as its count, and deterministic
//! bounds of its true count (`TOPK.QUERY ... WITHBOUNDS`). EXACT mode reports the true count
//! three times; APPROX mode reports the midpoint of the bounds as the estimate (it ranked
//! the true top 100 best in `make accuracy`: the upper bound favours items admitted
//! recently with a large error, the lower bound those tracked longest).

/// `lower <= true count <= upper`, and `count` (the estimate) is their midpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub count: u64,
    pub lower: u64,
    pub upper: u64,
}

impl Bounds {
    /// A count known exactly.
    pub fn exact(count: u64) -> Self {
        Bounds {
            count,
            lower: count,
            upper: count,
        }
    }

    /// A count known to lie in `[lower, upper]`, estimated by their midpoint (rounded down).
    pub fn between(lower: u64, upper: u64) -> Self {
        Bounds {
            count: lower + (upper - lower.min(upper)) / 2,
            lower,
            upper,
        }
    }
}

//! What a read reports for one item: the estimate users see as its count, and deterministic
//! bounds of its true count (`TOPK.QUERY ... WITHBOUNDS`). EXACT mode reports the true count
//! three times; APPROX mode reports the upper bound as the estimate.

/// `lower <= true count <= upper`, and `count` (the estimate) is `upper`.
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

    /// A count known to lie in `[lower, upper]`, estimated by its upper bound.
    pub fn between(lower: u64, upper: u64) -> Self {
        Bounds {
            count: upper,
            lower,
            upper,
        }
    }
}

//! A Zipf sampler over ranks `0..n` (rank r drawn with probability proportional to
//! `1 / (r + 1)^s`): the cumulative weights are computed once and each draw is one uniform
//! number and a binary search. Also the item names every stream of the benchmark uses, so the
//! module and Redis see the same bytes.

use rand::Rng;

pub struct Zipf {
    /// `cdf[r]` is the sum of the weights of ranks `0..=r`.
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, exponent: f64) -> Zipf {
        assert!(n > 0, "a Zipf distribution needs at least one rank");
        let mut total = 0.0;
        let cdf = (1..=n)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(exponent);
                total
            })
            .collect();
        Zipf { cdf }
    }

    /// A rank from `0..n`; rank 0 is the most frequent.
    pub fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.cdf[self.cdf.len() - 1];
        let u = rng.gen::<f64>() * total;
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

/// The item of rank `rank`, as sent to both the module and Redis.
pub fn item_name(rank: usize) -> String {
    format!("item:{rank}")
}

/// The names of ranks `0..n`, encoded once.
pub fn item_names(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|rank| item_name(rank).into_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn ranks_are_in_range_and_skewed() {
        let zipf = Zipf::new(1000, 1.1);
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[zipf.sample(&mut rng)] += 1;
        }
        // Rank 0 has weight 1 out of sum(1/r^1.1, r=1..1000) ~ 5.6: about 18% of draws.
        assert!((15_000..21_000).contains(&counts[0]), "{}", counts[0]);
        assert!(counts[0] > counts[1] && counts[1] > counts[9]);
        assert!(counts[999] < 100);
    }
}

//! What the core's benchmarks share: item ranks drawn from a Zipf distribution.

/// Ranks `0..n` drawn from Zipf(`exponent`) with a fixed seed (splitmix64 and a binary search
/// over the cumulative weights), so the bench needs no random-number crate.
pub fn zipf_ranks(n: usize, exponent: f64, draws: usize) -> Vec<usize> {
    let mut total = 0.0;
    let cdf: Vec<f64> = (1..=n)
        .map(|rank| {
            total += 1.0 / (rank as f64).powf(exponent);
            total
        })
        .collect();
    let mut state: u64 = 0x5EED;
    (0..draws)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let u = (z >> 11) as f64 / (1u64 << 53) as f64 * total;
            cdf.partition_point(|&c| c <= u).min(n - 1)
        })
        .collect()
}

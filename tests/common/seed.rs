//! Seeds of the randomized tests: a fresh random seed per run, printed so that a failure can
//! be replayed with `WTOPK_SEED=<seed>`.

/// The seed for test `name`: `$WTOPK_SEED` if set, else a random one; printed either way.
pub fn seed(name: &str) -> u64 {
    let seed = match std::env::var("WTOPK_SEED") {
        Ok(text) => text.parse().expect("WTOPK_SEED is a u64"),
        Err(_) => rand::random(),
    };
    eprintln!("{name} seed: {seed} (replay with WTOPK_SEED={seed})");
    seed
}

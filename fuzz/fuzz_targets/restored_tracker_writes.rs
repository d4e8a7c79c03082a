//! `restored_tracker_writes`: a tracker decoded from arbitrary bytes must be as safe to use as
//! one built by commands, since RESTORE hands the module whatever a client sends. The first
//! input byte `n` says how many of the following bytes drive a sequence of operations
//! (ingests, advances, reads, reloads, as in `tracker_operations`); the rest is the encoding.
//! When it decodes, every operation must keep what `wtopk_fuzz::apply` checks without
//! panicking, hanging or allocating past libFuzzer's malloc limit, and the final state must
//! survive a round trip. Seeded with real encodings behind a few operation bytes
//! (fuzz/seeds/restored_tracker_writes).
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use wtopk_core::encoding::decode;
use wtopk_fuzz::{apply, check_round_trip, Op};

fuzz_target!(|bytes: &[u8]| {
    let Some((&n, rest)) = bytes.split_first() else {
        return;
    };
    let (op_bytes, encoding) = rest.split_at(usize::from(n).min(rest.len()));
    let Ok(ops) = Vec::<Op>::arbitrary_take_rest(Unstructured::new(op_bytes)) else {
        return;
    };
    let Ok(mut tracker) = decode(encoding) else {
        return;
    };
    for op in &ops {
        apply(&mut tracker, op);
    }
    check_round_trip(&tracker);
});

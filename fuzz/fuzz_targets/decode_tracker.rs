//! `decode_tracker`: `encoding::decode` on arbitrary bytes, as a corrupt or hostile RDB or
//! RESTORE payload would reach it. Decoding must never panic, hang or allocate past
//! libFuzzer's malloc limit. When it accepts the bytes, the tracker must keep the structural
//! invariants, answer every read (top-k and counts of each window, days) without panicking,
//! and survive encode -> decode with the same logical state and encoded length, and the
//! re-encoding must decode to the same state again. Seeded with real encodings
//! (fuzz/seeds/decode_tracker), since random bytes rarely get past the magic and version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wtopk_core::encoding::decode;
use wtopk_fuzz::{check_invariants, check_round_trip, State};

fuzz_target!(|bytes: &[u8]| {
    let Ok(tracker) = decode(bytes) else {
        return;
    };
    check_invariants(&tracker);
    let restored = check_round_trip(&tracker);
    assert_eq!(
        State::of(&check_round_trip(&restored)),
        State::of(&tracker),
        "a second round trip changed the state"
    );
    wtopk_fuzz::read_everything(&tracker);
});

//! `parse_arguments`: every parser of command arguments in `wtopk_core::parse`,
//! `wtopk_core::duration` and `calendar::Zone::parse` gets the same arbitrary token, as a
//! client could send it. None may panic, and each answer must be consistent: a parsed
//! duration round-trips through its canonical name; `canonical_name` of any u64 (taken from
//! the token's first bytes) parses back to it; numbers re-print as the token without leading
//! zeros; timestamps, increments, items and windows respect their ranges; a parsed date prints
//! back as the token; a parsed zone (the token up to a 0xFF byte, whose remaining bytes pick
//! an instant) puts instants between the start and end of their day; `shown` stays within 64
//! characters plus an ellipsis.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wtopk_core::calendar::{Day, Zone};
use wtopk_core::duration::{canonical_name, parse_duration};
use wtopk_core::limits::{MAX_INCREMENT, MAX_ITEM_LEN, MAX_TIMESTAMP};
use wtopk_core::parse::{
    check_item, parse_day, parse_increment, parse_k, parse_timestamp, parse_u64, parse_window,
    shown,
};
use wtopk_core::DayRef;

/// The first eight bytes of the token as a number (zero-padded), to feed the numeric APIs.
fn number(token: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let n = token.len().min(8);
    bytes[..n].copy_from_slice(&token[..n]);
    u64::from_le_bytes(bytes)
}

fn durations(token: &[u8]) {
    if let Ok(ms) = parse_duration(token) {
        let name = canonical_name(ms);
        assert_eq!(
            parse_duration(name.as_bytes()),
            Ok(ms),
            "{name} does not round-trip"
        );
    }
    let ms = number(token);
    let name = canonical_name(ms);
    assert_eq!(
        parse_duration(name.as_bytes()),
        Ok(ms),
        "{name} does not parse back"
    );
    match parse_window(token) {
        Ok(Some(length)) => {
            assert!(length >= 1, "a window of 0ms");
            assert_eq!(parse_duration(token), Ok(length));
        }
        Ok(None) => assert!(token.eq_ignore_ascii_case(b"all")),
        Err(_) => {}
    }
}

fn numbers(token: &[u8]) {
    let parsed = parse_u64(token);
    if let Some(n) = parsed {
        let digits = token
            .iter()
            .position(|&b| b != b'0')
            .unwrap_or(token.len() - 1);
        assert_eq!(
            n.to_string().as_bytes(),
            &token[digits..],
            "parse_u64 misread"
        );
    }
    let now = number(token) as i64;
    match parse_timestamp(token, now) {
        Ok(ts) if token == b"*" => assert_eq!(ts, now),
        Ok(ts) => {
            assert!(
                (0..=MAX_TIMESTAMP).contains(&ts),
                "timestamp {ts} out of range"
            );
            assert_eq!(parsed, Some(ts as u64));
        }
        Err(_) => {}
    }
    if let Ok(n) = parse_increment(token) {
        assert!(
            (1..=MAX_INCREMENT).contains(&n),
            "increment {n} out of range"
        );
    }
    if let Ok(k) = parse_k(token) {
        assert_eq!(parsed, Some(k as u64));
    }
    if let Ok(item) = check_item(token) {
        assert_eq!(item, token);
        assert!((1..=MAX_ITEM_LEN).contains(&item.len()));
    }
    let echoed = shown(token);
    assert!(echoed.len() <= 4 * 64 + 3, "shown is too long");
    assert!(
        echoed.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
        "shown is printable ASCII"
    );
}

fn days(token: &[u8]) {
    match parse_day(token) {
        Ok(DayRef::Date(day)) => {
            assert_eq!(
                day.to_iso().as_bytes(),
                token,
                "the date prints differently"
            );
            assert_eq!(Day::parse_iso(&day.to_iso()), Some(day));
        }
        Ok(DayRef::DaysAgo(n)) => {
            let spelled = if n == 0 {
                token.eq_ignore_ascii_case(b"today")
            } else {
                n == 1 && token.eq_ignore_ascii_case(b"yesterday")
            };
            assert!(
                spelled || token.first() == Some(&b'-'),
                "relative day misread"
            );
        }
        Err(_) => {}
    }
}

fn zones(token: &[u8]) {
    let split = token.iter().position(|&b| b == 0xFF).unwrap_or(token.len());
    let (spelling, instant) = token.split_at(split);
    let Ok(spelling) = std::str::from_utf8(spelling) else {
        return;
    };
    let Ok(zone) = Zone::parse(spelling) else {
        return;
    };
    assert_eq!(zone.name(), spelling);
    let ts = (number(instant.get(1..).unwrap_or_default()) % (MAX_TIMESTAMP as u64 + 1)) as i64;
    for ts in [ts, 0, MAX_TIMESTAMP] {
        let day = zone.day_of(ts);
        let (start, end) = (zone.day_start(day), zone.day_end(day));
        assert!(
            start <= ts && ts < end,
            "{ts} outside its day {day} ({start}..{end})"
        );
    }
}

fuzz_target!(|token: &[u8]| {
    durations(token);
    numbers(token);
    days(token);
    zones(token);
});

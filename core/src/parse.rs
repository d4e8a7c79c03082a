//! Parsers for the tokens of the command contract: timestamps, increments, items, k and
//! window names. They work on raw argument bytes, never panic, and return an error sentence
//! that names the bad token, so they can be fuzzed and reused by any front end.

use crate::calendar::Day;
use crate::duration::parse_duration;
use crate::error::{CoreError, CoreResult};
use crate::limits::{MAX_INCREMENT, MAX_ITEM_LEN, MAX_TIMESTAMP};
use crate::tracker::DayRef;

/// Shows a client's token in an error message: printable ASCII as is, every other byte
/// escaped (`\xfc`, `\n`), cut to 64 bytes of the token. Error replies are simple strings,
/// so they must stay ASCII without CR or LF whatever the client sent.
pub fn shown(token: &[u8]) -> String {
    match token.get(..64) {
        Some(head) if token.len() > 64 => format!("{}...", head.escape_ascii()),
        _ => token.escape_ascii().to_string(),
    }
}

/// A plain unsigned decimal integer (no sign, no spaces), if it fits a u64.
pub fn parse_u64(token: &[u8]) -> Option<u64> {
    if token.is_empty() || token.len() > 20 || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// A timestamp: integer ms from 0 to the end of year 9999, or `*` for `now`.
pub fn parse_timestamp(token: &[u8], now: i64) -> CoreResult<i64> {
    if token == b"*" {
        return Ok(now);
    }
    parse_u64(token)
        .and_then(|ts| i64::try_from(ts).ok())
        .filter(|ts| *ts <= MAX_TIMESTAMP)
        .ok_or_else(|| {
            CoreError::new(format!(
                "invalid timestamp '{}' (integer ms since the epoch from 0 to {MAX_TIMESTAMP}, or *)",
                shown(token)
            ))
        })
}

/// An increment: an integer from 1 to 2^32-1.
pub fn parse_increment(token: &[u8]) -> CoreResult<u64> {
    parse_u64(token)
        .filter(|n| (1..=MAX_INCREMENT).contains(n))
        .ok_or_else(|| {
            CoreError::new(format!(
                "invalid increment '{}' (an integer from 1 to {MAX_INCREMENT})",
                shown(token)
            ))
        })
}

/// An item: 1 to 4096 bytes.
pub fn check_item(token: &[u8]) -> CoreResult<&[u8]> {
    if token.is_empty() || token.len() > MAX_ITEM_LEN {
        return Err(CoreError::new(format!(
            "invalid item of {} bytes (items are 1 to {MAX_ITEM_LEN} bytes)",
            token.len()
        )));
    }
    Ok(token)
}

/// A count of results `k` (range-checked against the tracker's K by the tracker).
pub fn parse_k(token: &[u8]) -> CoreResult<usize> {
    parse_u64(token)
        .and_then(|k| usize::try_from(k).ok())
        .ok_or_else(|| CoreError::new(format!("invalid k '{}' (a positive integer)", shown(token))))
}

/// A window name: `all` (returns `None`) or a duration in ms.
pub fn parse_window(token: &[u8]) -> CoreResult<Option<u64>> {
    if token.eq_ignore_ascii_case(b"all") {
        return Ok(None);
    }
    match parse_duration(token) {
        Ok(0) => Err(CoreError::new(format!(
            "invalid window '{}' (a window is at least 1s long; the all-time window is spelled all)",
            shown(token)
        ))),
        Ok(length) => Ok(Some(length)),
        Err(_) => Err(CoreError::new(format!(
            "invalid window '{}' (a duration such as 5m, 1h, 24h, or all)",
            shown(token)
        ))),
    }
}

/// A day: `YYYY-MM-DD`, `today`, `yesterday` (any case) or `-N` (N days before today).
pub fn parse_day(token: &[u8]) -> CoreResult<DayRef> {
    if token.eq_ignore_ascii_case(b"today") {
        return Ok(DayRef::DaysAgo(0));
    }
    if token.eq_ignore_ascii_case(b"yesterday") {
        return Ok(DayRef::DaysAgo(1));
    }
    let relative = token
        .strip_prefix(b"-")
        .and_then(parse_u64)
        .and_then(|n| u32::try_from(n).ok());
    if let Some(n) = relative {
        return Ok(DayRef::DaysAgo(n));
    }
    std::str::from_utf8(token)
        .ok()
        .and_then(Day::parse_iso)
        .map(DayRef::Date)
        .ok_or_else(|| {
            CoreError::new(format!(
                "invalid day '{}' (YYYY-MM-DD, today, yesterday or -N)",
                shown(token)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_tokens_are_printable_ascii() {
        assert_eq!(shown(b"caf\xc3\xa9\r\n"), "caf\\xc3\\xa9\\r\\n");
        let long = shown(&[0xfc; 100]);
        assert!(long.ends_with("...") && long.len() == 64 * 4 + 3);
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp(b"*", 42), Ok(42));
        assert_eq!(parse_timestamp(b"0", 42), Ok(0));
        assert_eq!(parse_timestamp(b"253402300799999", 0), Ok(MAX_TIMESTAMP));
        for bad in [
            &b"253402300800000"[..],
            b"-1",
            b"1.5",
            b"",
            b"+3",
            b"99999999999999999999999",
        ] {
            assert!(parse_timestamp(bad, 0).is_err());
        }
    }

    #[test]
    fn increments_items_and_k() {
        assert_eq!(parse_increment(b"4294967295"), Ok(4_294_967_295));
        for bad in [&b"0"[..], b"-1", b"4294967296", b"x"] {
            assert!(parse_increment(bad).is_err());
        }
        assert!(check_item(&[b'x'; 4096]).is_ok());
        assert!(check_item(&[b'x'; 4097]).is_err());
        assert!(check_item(b"").is_err());
        assert_eq!(parse_k(b"10"), Ok(10));
        assert!(parse_k(b"-1").is_err());
    }

    #[test]
    fn days() {
        assert_eq!(parse_day(b"TODAY"), Ok(DayRef::DaysAgo(0)));
        assert_eq!(parse_day(b"Yesterday"), Ok(DayRef::DaysAgo(1)));
        assert_eq!(parse_day(b"-0"), Ok(DayRef::DaysAgo(0)));
        assert_eq!(parse_day(b"-30"), Ok(DayRef::DaysAgo(30)));
        assert_eq!(
            parse_day(b"2026-11-22").map(|d| matches!(d, DayRef::Date(_))),
            Ok(true)
        );
        for bad in [
            &b"2026-02-30"[..],
            b"-",
            b"--1",
            b"tomorrow",
            b"-99999999999",
            b"2026-1-2",
        ] {
            assert!(parse_day(bad).is_err(), "{}", shown(bad));
        }
    }

    #[test]
    fn windows_and_error_text() {
        assert_eq!(parse_window(b"ALL"), Ok(None));
        assert_eq!(parse_window(b"60m"), Ok(Some(3_600_000)));
        let message = parse_window(b"soon").unwrap_err().0;
        assert!(message.contains("soon"));
        for zero in [&b"0"[..], b"0ms", b"0s", b"0m"] {
            assert!(parse_window(zero).unwrap_err().0.contains("at least 1s"));
        }
        assert_eq!(shown(&[b'a'; 100]).len(), 67);
    }
}

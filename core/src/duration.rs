//! Durations as users write them (`500ms`, `90s`, `5m`, `1h`, `7d`, or bare milliseconds) and
//! their canonical spelling. Two spellings of the same length are the same window, so windows
//! are identified by their length in milliseconds and named by [`canonical_name`].

use crate::error::{CoreError, CoreResult};

const UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Parses a duration into milliseconds. Units are case-insensitive; the number is a plain
/// non-negative decimal integer. Overflow is an error, never a wrap.
pub fn parse_duration(text: &[u8]) -> CoreResult<u64> {
    let bad = || {
        CoreError::new(format!(
            "invalid duration '{}' (use for example 500ms, 90s, 5m, 1h, 7d)",
            crate::parse::shown(text)
        ))
    };
    let digits_end = text
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    if digits_end == 0 || digits_end > 20 {
        return Err(bad());
    }
    let number: u64 = std::str::from_utf8(&text[..digits_end])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let unit = &text[digits_end..];
    let factor = if unit.is_empty() {
        1
    } else {
        UNITS
            .iter()
            .find(|(name, _)| unit.eq_ignore_ascii_case(name.as_bytes()))
            .map(|&(_, factor)| factor)
            .ok_or_else(bad)?
    };
    number.checked_mul(factor).ok_or_else(bad)
}

/// The shortest exact spelling of a length: `300000` -> `5m`, `1500` -> `1500ms`. One day
/// is spelled `24h`, as users write the daily window; longer whole days use `d`.
pub fn canonical_name(ms: u64) -> String {
    const DAY: u64 = 86_400_000;
    UNITS
        .iter()
        .rev()
        .filter(|&&(_, factor)| !(factor == DAY && ms == DAY))
        .find(|&&(_, factor)| ms > 0 && ms % factor == 0)
        .map(|&(unit, factor)| format!("{}{}", ms / factor, unit))
        .unwrap_or_else(|| format!("{ms}ms"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_case_insensitively() {
        assert_eq!(parse_duration(b"500ms"), Ok(500));
        assert_eq!(parse_duration(b"90S"), Ok(90_000));
        assert_eq!(parse_duration(b"5m"), Ok(300_000));
        assert_eq!(parse_duration(b"1H"), Ok(3_600_000));
        assert_eq!(parse_duration(b"7d"), Ok(604_800_000));
        assert_eq!(parse_duration(b"1234"), Ok(1234));
    }

    #[test]
    fn rejects_malformed_and_overflowing() {
        for bad in [
            &b""[..],
            b"m",
            b"-5m",
            b"5 m",
            b"5w",
            b"1.5h",
            b"99999999999999999999d",
            b"5mm",
        ] {
            assert!(
                parse_duration(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn canonical_names_pick_the_largest_exact_unit() {
        assert_eq!(canonical_name(300_000), "5m");
        assert_eq!(canonical_name(3_600_000), "1h");
        assert_eq!(canonical_name(86_400_000), "24h");
        assert_eq!(canonical_name(2 * 86_400_000), "2d");
        assert_eq!(canonical_name(90_000), "90s");
        assert_eq!(canonical_name(1_500), "1500ms");
        assert_eq!(canonical_name(0), "0ms");
    }
}

//! Calendar days in a tracker's time zone: which local day an instant falls on, and the
//! instants where each local day starts and ends. The daily rollup counts per local day, and
//! local days are not 24 hours long: daylight-saving switches make 23- and 25-hour days, some
//! zones skip or repeat local midnight, and one (Pacific/Apia, 2011-12-30) skipped a whole day.
//! Days are numbered from 1970-01-01 in the local proleptic Gregorian calendar. Every function
//! here is total: out-of-range input saturates instead of panicking, because a panic would take
//! down the whole Redis server.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::{Tz, TZ_VARIANTS};

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_DAY: i64 = 86_400_000;
/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01.
const CE_DAYS_TO_EPOCH: i32 = 719_163;
/// The first day the zone arithmetic handles: 0000-01-01, the earliest date `parse_iso` accepts.
const FIRST_DAY: Day = Day(-719_528);
/// The last day the zone arithmetic handles: 10000-12-31, past the local date of any valid
/// timestamp in any zone. Days outside `FIRST_DAY..=LAST_DAY` are clamped into it.
const LAST_DAY: Day = Day(2_933_262);
/// Further than any UTC offset (tzdb's widest are about 15 hours) and any clock jump: the
/// start of a local day lies within this distance of its midnight read as UTC.
const SEARCH_SPAN_MS: i64 = 48 * 3_600_000;
/// How far `day_of` may move from the local date of an instant to the day whose
/// `day_start..day_end` holds it (only clocks turned back across midnight need one step).
const MAX_SETTLE_STEPS: usize = 3;

/// A calendar day as a count of days since 1970-01-01 in the local calendar (the proleptic
/// Gregorian date, not a UTC instant): `Day(0)` is 1970-01-01.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Day(pub i32);

impl Day {
    /// The following day (saturating at `i32::MAX`).
    pub fn next(self) -> Day {
        Day(self.0.saturating_add(1))
    }

    /// The preceding day (saturating at `i32::MIN`).
    pub fn prev(self) -> Day {
        Day(self.0.saturating_sub(1))
    }

    /// The day `n` days earlier (saturating at `i32::MIN`).
    pub fn minus(self, n: u32) -> Day {
        Day(self.0.saturating_sub_unsigned(n))
    }

    /// Parses a strict `YYYY-MM-DD` date with a four-digit year, or `+10000-MM-DD`; `None`
    /// for anything else, including dates that do not exist such as `2026-02-30`.
    pub fn parse_iso(text: &str) -> Option<Day> {
        // East of UTC, the last valid timestamps fall on local dates of year 10000, which
        // `to_iso` (and so TOPK.DAYS) spells with a sign: `+10000-01-01`.
        let (year, rest) = match text.as_bytes() {
            [b'+', b'1', b'0', b'0', b'0', b'0', rest @ ..] => (10_000, rest),
            [y3, y2, y1, y0, rest @ ..] => (decimal(&[*y3, *y2, *y1, *y0])?, rest),
            _ => return None,
        };
        let &[b'-', m1, m0, b'-', d1, d0] = rest else {
            return None;
        };
        let month = decimal(&[m1, m0])?;
        let day = decimal(&[d1, d0])?;
        let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
        Some(Day(date.num_days_from_ce() - CE_DAYS_TO_EPOCH))
    }

    /// The date as `YYYY-MM-DD` (years outside 0000..=9999 get a sign and more digits; days
    /// beyond chrono's range of about 262,000 years saturate to its first or last date).
    pub fn to_iso(self) -> String {
        self.to_string()
    }

    fn to_naive_date(self) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.0.saturating_add(CE_DAYS_TO_EPOCH)).unwrap_or(
            if self.0 < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            },
        )
    }

    /// Local midnight of the day in milliseconds, as if the local clock were UTC.
    fn midnight_ms(self) -> i64 {
        i64::from(self.0) * MS_PER_DAY
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_naive_date())
    }
}

/// The value of a short run of ASCII decimal digits; `None` if any byte is not a digit.
fn decimal(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

/// How a zone maps instants to local clock readings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rules {
    /// An IANA time zone with its full history of offsets.
    Named(Tz),
    /// A constant offset from UTC in seconds (local = UTC + offset).
    Fixed(i32),
}

/// A tracker's time zone: an IANA name or a fixed UTC offset, with the spelling the user gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    name: String,
    rules: Rules,
}

impl Zone {
    /// Heap bytes of the zone's name.
    pub fn heap_bytes(&self) -> usize {
        self.name.capacity()
    }

    /// UTC, spelled `UTC`.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".to_owned(),
            rules: Rules::Named(Tz::UTC),
        }
    }

    /// Parses an IANA zone name (case-insensitive, such as `Europe/Berlin`) or a fixed offset
    /// written `+HH:MM` / `-HH:MM` (hours 00..=23, minutes 00..=59). The error is a sentence
    /// for the user.
    pub fn parse(spelling: &str) -> Result<Zone, String> {
        let rules = if spelling.starts_with(['+', '-']) {
            parse_offset(spelling).map(Rules::Fixed).ok_or_else(|| {
                format!(
                    "invalid UTC offset '{}' (use +HH:MM or -HH:MM with hours 00 to 23 \
                     and minutes 00 to 59, such as +05:30)",
                    crate::parse::shown(spelling.as_bytes())
                )
            })?
        } else {
            find_named_zone(spelling).map(Rules::Named).ok_or_else(|| {
                format!(
                    "unknown time zone '{}' (use an IANA name such as Europe/Berlin, \
                     or an offset such as +05:30)",
                    crate::parse::shown(spelling.as_bytes())
                )
            })?
        };
        Ok(Zone {
            name: spelling.to_owned(),
            rules,
        })
    }

    /// The zone exactly as the user spelled it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The local calendar day containing the instant `ts_ms` (ms since the Unix epoch): the
    /// day `d` with `day_start(d) <= ts_ms < day_end(d)`. A day that does not exist locally is
    /// never returned; instants far outside years 0000..=10000 give the clamped first or last day.
    pub fn day_of(&self, ts_ms: i64) -> Day {
        let ts = ts_ms.clamp(
            FIRST_DAY.midnight_ms() - SEARCH_SPAN_MS,
            LAST_DAY.next().midnight_ms() + SEARCH_SPAN_MS,
        );
        let local_date = clamp_day(self.local_ms(ts).div_euclid(MS_PER_DAY));
        match self.rules {
            Rules::Fixed(_) => local_date,
            Rules::Named(_) => self.settle(local_date, ts),
        }
    }

    /// The first millisecond of the local day: local midnight, or if midnight does not exist
    /// locally the first instant after the jump, or if it occurs twice the earlier one. Days
    /// outside years 0000..=10000 are clamped to that range.
    pub fn day_start(&self, day: Day) -> i64 {
        let day = day.clamp(FIRST_DAY, LAST_DAY);
        match self.rules {
            Rules::Fixed(offset_s) => day.midnight_ms() - i64::from(offset_s) * MS_PER_SECOND,
            Rules::Named(tz) => named_day_start(tz, day),
        }
    }

    /// The exclusive end of the local day: the start of the next day.
    pub fn day_end(&self, day: Day) -> i64 {
        self.day_start(day.next())
    }

    /// The local clock reading at the instant `ts` (ms), as milliseconds since 1970-01-01 00:00
    /// on that clock.
    fn local_ms(&self, ts: i64) -> i64 {
        let offset_s = match self.rules {
            Rules::Fixed(offset_s) => offset_s,
            Rules::Named(tz) => named_offset_s(tz, ts),
        };
        ts + i64::from(offset_s) * MS_PER_SECOND
    }

    /// Moves from the local date of `ts` to the day whose bounds hold `ts`. They differ only
    /// where clocks turned back across midnight: the repeated late hours of a day count for
    /// the next day, which had already begun.
    fn settle(&self, local_date: Day, ts: i64) -> Day {
        let mut day = local_date;
        for _ in 0..MAX_SETTLE_STEPS {
            if day > FIRST_DAY && self.day_start(day) > ts {
                day = day.prev();
            } else if day < LAST_DAY && self.day_end(day) <= ts {
                day = day.next();
            } else {
                break;
            }
        }
        day
    }
}

/// Parses `+HH:MM` or `-HH:MM` into seconds east of UTC.
fn parse_offset(spelling: &str) -> Option<i32> {
    let &[sign, h1, h0, b':', m1, m0] = spelling.as_bytes() else {
        return None;
    };
    let sign = match sign {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = decimal(&[h1, h0]).filter(|&hours| hours <= 23)?;
    let minutes = decimal(&[m1, m0]).filter(|&minutes| minutes <= 59)?;
    i32::try_from(hours * 3_600 + minutes * 60)
        .ok()
        .map(|seconds| sign * seconds)
}

/// Looks up an IANA zone by its exact name, then ignoring ASCII case.
fn find_named_zone(spelling: &str) -> Option<Tz> {
    Tz::from_str(spelling).ok().or_else(|| {
        TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(spelling))
    })
}

/// The offset of `tz` from UTC at the instant `ts` (ms), in seconds.
fn named_offset_s(tz: Tz, ts: i64) -> i32 {
    DateTime::from_timestamp_millis(ts).map_or(0, |utc| {
        tz.offset_from_utc_datetime(&utc.naive_utc())
            .fix()
            .local_minus_utc()
    })
}

/// The first instant of `day` in `tz`: the earliest instant of local midnight, or when
/// midnight falls in a gap, the first instant whose local clock reads midnight or later.
fn named_day_start(tz: Tz, day: Day) -> i64 {
    let midnight = NaiveDateTime::new(day.to_naive_date(), NaiveTime::MIN);
    tz.from_local_datetime(&midnight).earliest().map_or_else(
        || end_of_gap(tz, day.midnight_ms()),
        |start| start.timestamp_millis(),
    )
}

/// The first instant (ms) whose local clock in `tz` reads `local_ms` or later, found by
/// bisection within `SEARCH_SPAN_MS` of `local_ms` (about 30 steps, never more).
fn end_of_gap(tz: Tz, local_ms: i64) -> i64 {
    let reached = |ts: i64| ts + i64::from(named_offset_s(tz, ts)) * MS_PER_SECOND >= local_ms;
    let (mut before, mut after) = (local_ms - SEARCH_SPAN_MS, local_ms + SEARCH_SPAN_MS);
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if reached(middle) {
            after = middle;
        } else {
            before = middle;
        }
    }
    after
}

/// A day count from 1970-01-01 clamped into `FIRST_DAY..=LAST_DAY`.
fn clamp_day(days: i64) -> Day {
    let clamped = days.clamp(i64::from(FIRST_DAY.0), i64::from(LAST_DAY.0));
    Day(i32::try_from(clamped).unwrap_or(FIRST_DAY.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR_MS: i64 = 3_600_000;
    const MAX_TS: i64 = 253_402_300_799_999;

    fn zone(spelling: &str) -> Zone {
        Zone::parse(spelling).unwrap()
    }

    fn day(iso: &str) -> Day {
        Day::parse_iso(iso).unwrap()
    }

    /// Milliseconds since the epoch of a UTC date and time written `YYYY-MM-DDTHH:MM:SS`.
    fn utc_ms(text: &str) -> i64 {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn length_hours(zone: &Zone, iso: &str) -> f64 {
        let day = day(iso);
        (zone.day_end(day) - zone.day_start(day)) as f64 / HOUR_MS as f64
    }

    #[test]
    fn dst_days_in_new_york_are_23_and_25_hours() {
        let new_york = zone("America/New_York");
        assert_eq!(length_hours(&new_york, "2026-03-08"), 23.0);
        assert_eq!(length_hours(&new_york, "2026-11-01"), 25.0);
        assert_eq!(length_hours(&new_york, "2026-06-15"), 24.0);
        assert_eq!(
            new_york.day_start(day("2026-03-08")),
            utc_ms("2026-03-08T05:00:00")
        );
        assert_eq!(
            new_york.day_start(day("2026-11-02")),
            utc_ms("2026-11-02T05:00:00")
        );
    }

    #[test]
    fn dst_days_in_berlin_are_23_and_25_hours() {
        let berlin = zone("Europe/Berlin");
        assert_eq!(length_hours(&berlin, "2026-03-29"), 23.0);
        assert_eq!(length_hours(&berlin, "2026-10-25"), 25.0);
        assert_eq!(length_hours(&berlin, "2026-01-10"), 24.0);
        assert_eq!(
            berlin.day_of(utc_ms("2026-10-24T22:30:00")),
            day("2026-10-25")
        );
    }

    #[test]
    fn lord_howe_shifts_by_half_an_hour() {
        let lord_howe = zone("Australia/Lord_Howe");
        assert_eq!(length_hours(&lord_howe, "2026-04-05"), 24.5);
        assert_eq!(length_hours(&lord_howe, "2026-10-04"), 23.5);
    }

    #[test]
    fn missing_midnight_starts_the_day_after_the_jump() {
        // Havana springs forward at 00:00 to 01:00 (-05:00 to -04:00).
        let havana = zone("America/Havana");
        let start = havana.day_start(day("2023-03-12"));
        assert_eq!(start, utc_ms("2023-03-12T05:00:00"));
        assert_eq!(havana.day_of(start), day("2023-03-12"));
        assert_eq!(havana.day_of(start - 1), day("2023-03-11"));
        assert_eq!(length_hours(&havana, "2023-03-12"), 23.0);
        // Santiago springs forward at 00:00 to 01:00 (-04:00 to -03:00).
        let santiago = zone("America/Santiago");
        assert_eq!(
            santiago.day_start(day("2022-09-11")),
            utc_ms("2022-09-11T04:00:00")
        );
    }

    #[test]
    fn repeated_midnight_starts_the_day_at_its_first_occurrence() {
        // Havana falls back at 01:00 to 00:00 (-04:00 to -05:00): midnight happens twice.
        let havana = zone("America/Havana");
        assert_eq!(
            havana.day_start(day("2023-11-05")),
            utc_ms("2023-11-05T04:00:00")
        );
        assert_eq!(length_hours(&havana, "2023-11-05"), 25.0);
        assert_eq!(
            havana.day_of(utc_ms("2023-11-05T05:30:00")),
            day("2023-11-05")
        );
    }

    #[test]
    fn an_hour_repeated_across_midnight_belongs_to_the_day_already_begun() {
        // St. John's fell back at 00:01 (-02:30) to 23:01 of the previous day (-03:30).
        let st_johns = zone("America/St_Johns");
        let sunday = day("2006-10-29");
        assert_eq!(st_johns.day_start(sunday), utc_ms("2006-10-29T02:30:00"));
        assert_eq!(st_johns.day_of(utc_ms("2006-10-29T03:00:00")), sunday);
        assert_eq!(length_hours(&st_johns, "2006-10-28"), 24.0);
        assert_eq!(length_hours(&st_johns, "2006-10-29"), 25.0);
    }

    #[test]
    fn a_skipped_day_is_empty_and_never_returned() {
        // Samoa went from 2011-12-29 23:59:59 (-10:00) straight to 2011-12-31 00:00 (+14:00).
        let apia = zone("Pacific/Apia");
        let skipped = day("2011-12-30");
        assert_eq!(apia.day_start(skipped), apia.day_end(skipped));
        assert_eq!(
            apia.day_end(day("2011-12-29")),
            apia.day_start(day("2011-12-31"))
        );
        let jump = utc_ms("2011-12-30T10:00:00");
        assert_eq!(apia.day_of(jump - 1), day("2011-12-29"));
        assert_eq!(apia.day_of(jump), day("2011-12-31"));
    }

    #[test]
    fn fixed_offsets_shift_midnight() {
        let india = zone("+05:30");
        assert_eq!(india.day_start(Day(0)), -(5 * HOUR_MS + 30 * 60_000));
        assert_eq!(india.day_of(0), Day(0));
        assert_eq!(india.day_of(MAX_TS), day("9999-12-31").next());
        let pacific = zone("-08:00");
        assert_eq!(pacific.day_of(0), Day(-1));
        assert_eq!(pacific.day_start(Day(0)), 8 * HOUR_MS);
        assert_eq!(
            pacific.day_end(Day(0)) - pacific.day_start(Day(0)),
            24 * HOUR_MS
        );
        assert_eq!(zone("-00:00").day_start(Day(1)), MS_PER_DAY);
        assert_eq!(zone("+23:59").day_start(Day(1)), MS_PER_DAY - 86_340_000);
    }

    #[test]
    fn utc_days_are_plain_multiples_of_24_hours() {
        let utc = Zone::utc();
        assert_eq!(utc.name(), "UTC");
        assert_eq!(utc, zone("UTC"));
        assert_eq!(utc.day_start(Day(0)), 0);
        assert_eq!(utc.day_of(MS_PER_DAY - 1), Day(0));
        assert_eq!(utc.day_of(MS_PER_DAY), Day(1));
    }

    #[test]
    fn names_match_ignoring_case_and_keep_their_spelling() {
        let berlin = zone("europe/BERLIN");
        assert_eq!(berlin.name(), "europe/BERLIN");
        assert_eq!(
            berlin.day_start(day("2026-03-29")),
            zone("Europe/Berlin").day_start(day("2026-03-29"))
        );
        assert_eq!(zone("+05:30").name(), "+05:30");
    }

    #[test]
    fn bad_zones_are_rejected_with_a_sentence() {
        let error = Zone::parse("Mars/Olympus").unwrap_err();
        assert!(
            error.starts_with("unknown time zone 'Mars/Olympus'"),
            "{error}"
        );
        assert!(error.contains("Europe/Berlin"), "{error}");
        for bad in [
            "",
            " UTC",
            "Z",
            "+24:00",
            "+5:30",
            "05:30",
            "+05:60",
            "+0530",
            "+05:3x",
            "+05:30 ",
            "-08:00:00",
            "+٠٥:٣٠",
            "++5:30",
        ] {
            assert!(Zone::parse(bad).is_err(), "accepted {bad:?}");
        }
        let error = Zone::parse("+24:00").unwrap_err();
        assert!(error.starts_with("invalid UTC offset '+24:00'"), "{error}");
    }

    #[test]
    fn iso_dates_round_trip() {
        for (iso, number) in [
            ("1970-01-01", 0),
            ("1969-12-31", -1),
            ("2026-03-08", 20_520),
            ("2024-02-29", 19_782),
            ("0000-01-01", FIRST_DAY.0),
            ("9999-12-31", 2_932_896),
        ] {
            assert_eq!(Day::parse_iso(iso), Some(Day(number)), "{iso}");
            assert_eq!(Day(number).to_iso(), iso);
            assert_eq!(Day(number).to_string(), iso);
        }
        assert_eq!(LAST_DAY.to_iso(), "+10000-12-31");
    }

    #[test]
    fn bad_iso_dates_are_rejected() {
        for bad in [
            "",
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026-01-1",
            "2026/01/01",
            "20260101",
            "+2026-01-01",
            "+10001-01-01",
            "+09999-12-31",
            "2026-01-01 ",
            "-001-01-01",
            "２０２６-01-01",
            "2026-01-0é",
        ] {
            assert_eq!(Day::parse_iso(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn absurd_days_and_instants_saturate() {
        let berlin = zone("Europe/Berlin");
        for zone in [&berlin, &zone("-08:00")] {
            let low = zone.day_start(Day(i32::MIN));
            let high = zone.day_start(Day(i32::MAX));
            assert!(low < zone.day_start(Day(0)) && zone.day_start(Day(0)) < high);
            assert_eq!(zone.day_end(Day(i32::MAX)), high);
            assert_eq!(zone.day_of(i64::MIN), FIRST_DAY);
            assert_eq!(zone.day_of(i64::MAX), LAST_DAY);
        }
        assert_eq!(Day(i32::MIN).prev(), Day(i32::MIN));
        assert_eq!(Day(i32::MAX).next(), Day(i32::MAX));
        assert_eq!(Day(-5).minus(u32::MAX), Day(i32::MIN));
        assert_eq!(Day(10).minus(3), Day(7));
        assert!(Day(i32::MIN).to_iso().starts_with('-'));
        assert!(Day(i32::MAX).to_iso().starts_with('+'));
    }

    #[test]
    fn day_range_constants_match_their_dates() {
        assert_eq!(Day::parse_iso("0000-01-01"), Some(FIRST_DAY));
        assert_eq!(Day::parse_iso("+10000-12-31"), Some(LAST_DAY));
        let last = NaiveDate::from_ymd_opt(10_000, 12, 31).unwrap();
        assert_eq!(last.num_days_from_ce() - CE_DAYS_TO_EPOCH, LAST_DAY.0);
    }

    fn tested_zones() -> Vec<Zone> {
        [
            "UTC",
            "Europe/Berlin",
            "America/New_York",
            "Australia/Lord_Howe",
            "Pacific/Apia",
            "America/Havana",
            "America/Santiago",
            "America/St_Johns",
            "+05:30",
            "-08:00",
        ]
        .into_iter()
        .map(zone)
        .collect()
    }

    fn assert_day_holds(zone: &Zone, ts: i64) {
        let day = zone.day_of(ts);
        let (start, end) = (zone.day_start(day), zone.day_end(day));
        assert!(
            start <= ts && ts < end,
            "{}: {ts} not in {day} = {start}..{end}",
            zone.name()
        );
        assert_eq!(zone.day_of(start), day, "{}", zone.name());
        assert_eq!(zone.day_of(end - 1), day, "{}", zone.name());
    }

    proptest! {
        #[test]
        fn every_instant_lies_within_its_day(ts in 0..=MAX_TS) {
            for zone in tested_zones() {
                assert_day_holds(&zone, ts);
            }
        }

        #[test]
        fn instants_near_day_boundaries_lie_within_their_day(
            number in 0..=20_000i32,
            shift in -3 * HOUR_MS..3 * HOUR_MS,
        ) {
            for zone in tested_zones() {
                let ts = (zone.day_start(Day(number)) + shift).clamp(0, MAX_TS);
                assert_day_holds(&zone, ts);
            }
        }

        #[test]
        fn iso_spelling_round_trips(number in FIRST_DAY.0..=LAST_DAY.0) {
            let day = Day(number);
            prop_assert_eq!(Day::parse_iso(&day.to_iso()), Some(day));
        }

        #[test]
        fn parse_iso_never_panics(text in "\\PC{0,12}") {
            if let Some(day) = Day::parse_iso(&text) {
                prop_assert_eq!(day.to_iso(), text);
            }
        }
    }
}

//! UTC timestamps and the timestamp formats found in real sensor exports.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// An instant in UTC.
///
/// Every timestamp the product writes is RFC 3339 with `Z` (`2024-11-18T14:30:00Z`); this
/// type makes that the only form it can print. Parse sensor text with [`Timestamp::parse`],
/// which accepts every format of SPEC §2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {text:?}: {reason}")]
pub struct TimestampError {
    /// The text that was read.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(OffsetDateTime::UNIX_EPOCH);

    /// Parses a timestamp in any format of SPEC §2.1:
    ///
    /// * `2024-11-18 14:30:00` or `2024-11-18T14:30:00` (seconds and fractions optional),
    /// * `2024-11-18T14:30:00Z` and `2024-11-18T14:30:00+02:00` (RFC 3339),
    /// * `5/1/2024 0:00` and `06/01/2024 00:00` (month/day/year, seconds optional).
    ///
    /// Text without an offset is local time at `default_offset` (UTC for the SPEC's default).
    ///
    /// ```
    /// use pump_core::Timestamp;
    /// use time::UtcOffset;
    /// let t = Timestamp::parse("5/1/2024 0:00", UtcOffset::UTC).unwrap();
    /// assert_eq!(t.to_string(), "2024-05-01T00:00:00Z");
    /// let t = Timestamp::parse("2024-11-18T14:30:00+02:00", UtcOffset::UTC).unwrap();
    /// assert_eq!(t.to_string(), "2024-11-18T12:30:00Z");
    /// ```
    pub fn parse(text: &str, default_offset: UtcOffset) -> Result<Timestamp, TimestampError> {
        let err = |reason| TimestampError {
            text: text.to_string(),
            reason,
        };
        let s = text.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        let (date_part, rest) = match s.find([' ', 'T']) {
            Some(i) => (&s[..i], s[i + 1..].trim_start()),
            None => (s, ""),
        };
        let date = if date_part.contains('/') {
            parse_us_date(date_part).ok_or_else(|| err("expected month/day/year"))?
        } else {
            parse_iso_date(date_part).ok_or_else(|| err("expected YYYY-MM-DD"))?
        };
        let (time_part, offset) = split_offset(rest).ok_or_else(|| err("bad UTC offset"))?;
        let time = if time_part.is_empty() {
            Time::MIDNIGHT
        } else {
            parse_clock(time_part).ok_or_else(|| err("expected HH:MM[:SS]"))?
        };
        let offset = offset.unwrap_or(default_offset);
        let local = PrimitiveDateTime::new(date, time);
        utc_in_range(local.assume_offset(offset))
            .ok_or_else(|| err("outside the years 0000 to 9999 in UTC"))
    }

    /// Parses an RFC 3339 timestamp (with `Z` or an offset); the form this product writes.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimestampError> {
        let err = |reason| TimestampError {
            text: text.to_string(),
            reason,
        };
        let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map_err(|_| err("expected RFC 3339, e.g. 2024-11-18T14:30:00Z"))?;
        utc_in_range(parsed).ok_or_else(|| err("outside the years 0000 to 9999 in UTC"))
    }

    /// The instant `seconds` after the Unix epoch.
    ///
    /// # Panics
    /// When the result is outside the years 0000 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> Timestamp {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .and_then(utc_in_range)
            .expect("timestamp within the years 0000 to 9999")
    }

    /// Seconds since the Unix epoch (fractions dropped).
    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The underlying `time` value, at offset UTC.
    pub fn as_offset_date_time(self) -> OffsetDateTime {
        self.0
    }

    /// Time elapsed from `earlier` to `self` (negative when `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> Duration {
        self.0 - earlier.0
    }

    /// Hours elapsed from `earlier` to `self`, as a fraction.
    pub fn hours_since(self, earlier: Timestamp) -> f64 {
        self.since(earlier).as_seconds_f64() / 3600.0
    }

    /// Days elapsed from `earlier` to `self`, as a fraction.
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        self.since(earlier).as_seconds_f64() / 86_400.0
    }

    /// This instant moved by `duration` (which may be negative), saturating at the ends of
    /// the years 0000–9999, so that arithmetic on any readable timestamp cannot panic.
    pub fn plus(self, duration: Duration) -> Timestamp {
        match self.0.checked_add(duration) {
            Some(t) => clamp_to_range(t),
            None if duration.is_negative() => {
                clamp_to_range(OffsetDateTime::new_utc(Date::MIN, Time::MIDNIGHT))
            }
            None => clamp_to_range(OffsetDateTime::new_utc(Date::MAX, Time::MIDNIGHT)),
        }
    }
}

/// The instant in UTC, when it lies in the years 0000–9999 there: the range RFC 3339 can
/// write, so that every timestamp this product writes reads back.
fn utc_in_range(t: OffsetDateTime) -> Option<Timestamp> {
    t.checked_to_offset(UtcOffset::UTC)
        .filter(|u| (0..=9999).contains(&u.year()))
        .map(Timestamp)
}

/// The instant in UTC, moved to the nearest end of the years 0000–9999 when outside them.
fn clamp_to_range(t: OffsetDateTime) -> Timestamp {
    let first = OffsetDateTime::new_utc(
        Date::from_calendar_date(0, Month::January, 1).unwrap_or(Date::MIN),
        Time::MIDNIGHT,
    );
    let last = OffsetDateTime::new_utc(
        Date::from_calendar_date(9999, Month::December, 31).unwrap_or(Date::MAX),
        Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT),
    );
    Timestamp(t.clamp(first, last).to_offset(UtcOffset::UTC))
}

impl From<OffsetDateTime> for Timestamp {
    /// The same instant in UTC (for clock readings); an instant outside the years 0000–9999
    /// is moved to the nearest end of that range. Parse text with [`Timestamp::parse`], which
    /// refuses such instants instead.
    fn from(t: OffsetDateTime) -> Self {
        clamp_to_range(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // RFC 3339 formatting of a UTC value cannot fail for years 0..=9999.
        match self.0.format(&Rfc3339) {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    /// Same as [`Timestamp::parse`] with UTC for text without an offset.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s, UtcOffset::UTC)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Timestamp::parse(&s, UtcOffset::UTC).map_err(serde::de::Error::custom)
    }
}

/// Parses a UTC offset of the form `+02:00`, `-0500`, `+02` or `Z`.
pub fn parse_utc_offset(text: &str) -> Option<UtcOffset> {
    let s = text.trim();
    if s.eq_ignore_ascii_case("z") {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &s[1..];
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None if body.len() == 4 => body.split_at(2),
        None => (body, "0"),
    };
    let h: i8 = parse_digits(h, 1, 2)?.try_into().ok()?;
    let m: i8 = parse_digits(m, 1, 2)?.try_into().ok()?;
    // Real offsets lie within ±14:00; anything past ±18:00 is a typo, not a place.
    if h > 18 || m > 59 {
        return None;
    }
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

fn parse_digits(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if s.len() < min_len || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn make_date(year: u32, month: u32, day: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

fn parse_iso_date(s: &str) -> Option<Date> {
    let mut it = s.split('-');
    let y = parse_digits(it.next()?, 4, 4)?;
    let m = parse_digits(it.next()?, 1, 2)?;
    let d = parse_digits(it.next()?, 1, 2)?;
    if it.next().is_some() {
        return None;
    }
    make_date(y, m, d)
}

fn parse_us_date(s: &str) -> Option<Date> {
    let mut it = s.split('/');
    let m = parse_digits(it.next()?, 1, 2)?;
    let d = parse_digits(it.next()?, 1, 2)?;
    let y = parse_digits(it.next()?, 4, 4)?;
    if it.next().is_some() {
        return None;
    }
    make_date(y, m, d)
}

/// Splits `14:30:00+02:00` into the clock and its offset; `None` offset when absent.
fn split_offset(s: &str) -> Option<(&str, Option<UtcOffset>)> {
    let s = s.trim();
    if let Some(clock) = s.strip_suffix(['Z', 'z']) {
        return Some((clock.trim_end(), Some(UtcOffset::UTC)));
    }
    match s.rfind(['+', '-']) {
        Some(i) => Some((s[..i].trim_end(), Some(parse_utc_offset(&s[i..])?))),
        None => Some((s, None)),
    }
}

fn parse_clock(s: &str) -> Option<Time> {
    let mut it = s.split(':');
    let h = parse_digits(it.next()?, 1, 2)?;
    let m = parse_digits(it.next()?, 2, 2)?;
    let (sec, nanos) = match it.next() {
        None => (0, 0),
        Some(sec) => match sec.split_once('.') {
            None => (parse_digits(sec, 2, 2)?, 0),
            Some((whole, frac)) => {
                if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let nanos: u32 = frac.parse::<u32>().ok()? * 10u32.pow(9 - frac.len() as u32);
                (parse_digits(whole, 2, 2)?, nanos)
            }
        },
    };
    if it.next().is_some() {
        return None;
    }
    Time::from_hms_nano(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(sec).ok()?,
        nanos,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        Timestamp::parse(s, UtcOffset::UTC).unwrap().to_string()
    }

    #[test]
    fn every_format_of_the_spec_parses() {
        assert_eq!(utc("2024-11-18 14:30:00"), "2024-11-18T14:30:00Z");
        assert_eq!(utc("2024-11-18T14:30:00Z"), "2024-11-18T14:30:00Z");
        assert_eq!(utc("2024-11-18T14:30:00+02:00"), "2024-11-18T12:30:00Z");
        assert_eq!(utc("5/1/2024 0:00"), "2024-05-01T00:00:00Z");
        assert_eq!(utc("06/01/2024 00:00"), "2024-06-01T00:00:00Z");
    }

    #[test]
    fn neighbouring_forms_parse() {
        assert_eq!(utc("2024-11-18 14:30"), "2024-11-18T14:30:00Z");
        assert_eq!(utc("2024-11-18T14:30:00.5Z"), "2024-11-18T14:30:00.5Z");
        assert_eq!(utc("2024-11-18T14:30:00-05:00"), "2024-11-18T19:30:00Z");
        assert_eq!(utc("12/31/2024 23:59:59"), "2024-12-31T23:59:59Z");
        assert_eq!(utc("2024-11-18"), "2024-11-18T00:00:00Z");
    }

    #[test]
    fn text_without_offset_takes_the_configured_offset() {
        let minus5 = parse_utc_offset("-05:00").unwrap();
        let t = Timestamp::parse("2024-11-18 14:30:00", minus5).unwrap();
        assert_eq!(t.to_string(), "2024-11-18T19:30:00Z");
        // An explicit offset wins over the configured one.
        let t = Timestamp::parse("2024-11-18T14:30:00Z", minus5).unwrap();
        assert_eq!(t.to_string(), "2024-11-18T14:30:00Z");
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01 00:00",
            "2/30/2024 0:00",
            "2024-11-18 25:00",
            "2024-11-18 14:3",
            "11-18-2024 14:30",
            "2024-11-18T14:30:00+25:00",
        ] {
            assert!(Timestamp::parse(bad, UtcOffset::UTC).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn offsets_parse_in_their_usual_forms() {
        assert_eq!(parse_utc_offset("+00:00"), Some(UtcOffset::UTC));
        assert_eq!(
            parse_utc_offset("-0530"),
            Some(UtcOffset::from_hms(-5, -30, 0).unwrap())
        );
        assert_eq!(
            parse_utc_offset("+02"),
            Some(UtcOffset::from_hms(2, 0, 0).unwrap())
        );
        assert_eq!(parse_utc_offset("02:00"), None);
    }
}

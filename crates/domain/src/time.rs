//! UTC timestamps with microsecond precision and one canonical text form.
//!
//! Every timestamp Debrief stores or hashes is written as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six
//! fractional digits, always `Z`). That form sorts lexicographically in time order, which lets both
//! database backends compare timestamps as text, and it is what the journal hash covers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::DomainError;

/// An instant in UTC, truncated to whole microseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// The current time, truncated to microseconds.
    pub fn now() -> Self {
        Self::from_jiff(jiff::Timestamp::now())
    }

    /// Wraps a `jiff` timestamp, truncating it to microseconds.
    pub fn from_jiff(ts: jiff::Timestamp) -> Self {
        let micros = ts.as_microsecond();
        // `as_microsecond` of a valid timestamp is always a valid microsecond count.
        Self(jiff::Timestamp::from_microsecond(micros).unwrap_or(ts))
    }

    /// The underlying `jiff` timestamp.
    pub fn as_jiff(self) -> jiff::Timestamp {
        self.0
    }

    /// Microseconds since the Unix epoch.
    pub fn as_micros(self) -> i64 {
        self.0.as_microsecond()
    }

    /// The earliest instant Debrief records: 1970-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp(jiff::Timestamp::UNIX_EPOCH);

    /// The latest instant Debrief records: 9999-12-30T22:00:00.999999Z, the last that every
    /// time zone can show (`jiff`'s own limit, to the microsecond).
    pub const MAX: Timestamp = Timestamp(jiff::Timestamp::constant(253_402_207_200, 999_999_000));

    /// Builds a timestamp from microseconds since the Unix epoch; only the years 1970–9999 are
    /// accepted, so that every stored timestamp can be read back and shown.
    pub fn from_micros(micros: i64) -> Result<Self, DomainError> {
        if !(Self::MIN.as_micros()..=Self::MAX.as_micros()).contains(&micros) {
            return Err(DomainError::InvalidTimestamp(format!(
                "{micros} µs since 1970 is outside the years 1970–9999"
            )));
        }
        jiff::Timestamp::from_microsecond(micros)
            .map(Self)
            .map_err(|e| DomainError::InvalidTimestamp(e.to_string()))
    }

    /// Builds a timestamp from milliseconds since the Unix epoch (TheHive's dates), within the
    /// years 1970–9999; the error names `field`.
    pub fn from_unix_millis(field: &'static str, millis: i64) -> Result<Self, DomainError> {
        millis
            .checked_mul(1000)
            .and_then(|us| Self::from_micros(us).ok())
            .ok_or_else(|| DomainError::InvalidField {
                field,
                problem: format!(
                    "is {millis}, which is not milliseconds since 1970 within the years 1970–9999"
                ),
            })
    }

    /// Parses any RFC 3339 / ISO 8601 instant with an offset (`2026-11-23T10:00:00+01:00`,
    /// `2026-11-23T09:00:00Z`, …) and normalises it to UTC.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        let ts: jiff::Timestamp = text
            .parse()
            .map_err(|_| DomainError::NotADateTime(text.to_string()))?;
        let year = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
        if !(1970..=9999).contains(&year) {
            return Err(DomainError::InvalidTimestamp(format!(
                "`{text}` is outside the years 1970–9999"
            )));
        }
        Ok(Self::from_jiff(ts))
    }

    /// This time plus `seconds`, saturating at [`Timestamp::MIN`] and [`Timestamp::MAX`].
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        let micros = self
            .as_micros()
            .saturating_add(seconds.saturating_mul(1_000_000))
            .clamp(Self::MIN.as_micros(), Self::MAX.as_micros());
        Timestamp::from_micros(micros).unwrap_or(self)
    }

    /// Refuses a time more than five minutes after `now` (clocks drift that much): what it
    /// dates has happened, so it cannot be in the future. The error names `what`.
    pub fn not_in_future(self, what: &str, now: Timestamp) -> Result<Timestamp, DomainError> {
        if self.as_micros() > now.as_micros().saturating_add(300_000_000) {
            return Err(DomainError::InvalidTimestamp(format!(
                "{what} {self} is in the future"
            )));
        }
        Ok(self)
    }

    /// Seconds between `earlier` and `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        (self.as_micros() - earlier.as_micros()) / 1_000_000
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dt = self.0.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.subsec_nanosecond() / 1000
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Timestamp {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_has_six_digits_and_z() {
        let ts = Timestamp::parse("2026-11-23T15:05:00.5+01:00").unwrap();
        assert_eq!(ts.to_string(), "2026-11-23T14:05:00.500000Z");
        let again = Timestamp::parse(&ts.to_string()).unwrap();
        assert_eq!(ts, again);
    }

    #[test]
    fn truncates_to_microseconds() {
        let ts = Timestamp::parse("2026-01-01T00:00:00.123456789Z").unwrap();
        assert_eq!(ts.to_string(), "2026-01-01T00:00:00.123456Z");
    }

    #[test]
    fn rejects_local_times_without_offset() {
        let err = Timestamp::parse("2026-11-23 14:05").unwrap_err();
        assert!(err.to_string().contains("2026-11-23T14:05:00Z"), "{err}");
    }

    #[test]
    fn only_the_years_1970_to_9999_are_timestamps() {
        assert!(Timestamp::from_micros(-1).is_err());
        assert!(Timestamp::from_micros(i64::MAX).is_err());
        assert!(Timestamp::from_micros(i64::MIN).is_err());
        assert_eq!(Timestamp::from_micros(0).unwrap(), Timestamp::MIN);
        assert_eq!(
            Timestamp::MAX.to_string(),
            "9999-12-30T22:00:00.999999Z",
            "the last instant"
        );
        assert!(Timestamp::from_micros(Timestamp::MAX.as_micros() + 1).is_err());
        assert!(Timestamp::from_unix_millis("date", -5).is_err());
        let e = Timestamp::from_unix_millis("date", i64::MAX).unwrap_err();
        assert!(e.to_string().starts_with("date is"), "{e}");
        assert_eq!(
            Timestamp::from_unix_millis("date", 1_763_900_000_000)
                .unwrap()
                .to_string(),
            "2025-11-23T12:13:20.000000Z"
        );
        // Every timestamp there is reads back from its text.
        for t in [Timestamp::MIN, Timestamp::MAX] {
            assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }
        assert_eq!(Timestamp::MAX.plus_seconds(10), Timestamp::MAX);
        assert_eq!(Timestamp::MIN.plus_seconds(-10), Timestamp::MIN);
    }

    #[test]
    fn text_order_is_time_order() {
        let a = Timestamp::parse("2026-01-01T00:00:09Z").unwrap();
        let b = Timestamp::parse("2026-01-01T00:00:10.000001Z").unwrap();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }
}

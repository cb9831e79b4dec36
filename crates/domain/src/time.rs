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

    /// Builds a timestamp from microseconds since the Unix epoch.
    pub fn from_micros(micros: i64) -> Result<Self, DomainError> {
        jiff::Timestamp::from_microsecond(micros)
            .map(Self)
            .map_err(|e| DomainError::InvalidTimestamp(e.to_string()))
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

    /// This time plus `seconds` (saturating at the representable range).
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        let micros = self
            .as_micros()
            .saturating_add(seconds.saturating_mul(1_000_000));
        Timestamp::from_micros(micros).unwrap_or(self)
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
    fn text_order_is_time_order() {
        let a = Timestamp::parse("2026-01-01T00:00:09Z").unwrap();
        let b = Timestamp::parse("2026-01-01T00:00:10.000001Z").unwrap();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }
}

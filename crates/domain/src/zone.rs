//! The time zone a person reads and types times in: what a page, a report or the CLI shows for a
//! stored UTC instant, and how a time typed without an offset is understood. Stored times stay
//! UTC ([`Timestamp`]); this is the one place local time is turned into an instant and back.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::error::DomainError;
use crate::time::Timestamp;

/// An IANA time zone (`Europe/Paris`) or UTC.
#[derive(Clone, PartialEq)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

/// What a date typed without a time stands for, where a date is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateAlone {
    /// A time is needed: a date alone is refused.
    Refused,
    /// The start of that day (00:00 local).
    StartOfDay,
    /// The end of that working day (17:00 local): a due date.
    EndOfDay,
}

impl Zone {
    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// A zone by its IANA name (`Europe/Paris`, `America/New_York`, `UTC`).
    pub fn parse(name: &str) -> Result<Zone, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.eq_ignore_ascii_case("utc") {
            return Ok(Zone::utc());
        }
        let tz = TimeZone::get(name).map_err(|_| DomainError::InvalidField {
            field: "timezone",
            problem: format!(
                "`{name}` is not a time zone; use an IANA name such as Europe/Paris or UTC"
            ),
        })?;
        Ok(Zone {
            name: tz.iana_name().unwrap_or(name).to_string(),
            tz,
        })
    }

    /// The IANA name (`UTC` for UTC).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn zoned(&self, t: Timestamp) -> jiff::ZonedDateTime {
        t.as_jiff().to_zoned_datetime(self.tz.clone())
    }

    /// A stored instant as a reader in this zone sees it, with its offset:
    /// `2026-11-28 02:14 +01:00` (`2026-11-28 01:14 UTC` in UTC).
    pub fn show(&self, t: Timestamp) -> String {
        let z = self.zoned(t);
        let dt = z.datetime();
        let base = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        );
        if self.tz == TimeZone::UTC {
            format!("{base} UTC")
        } else {
            format!("{base} {}", offset_text(z.offset()))
        }
    }

    /// The local date of an instant: `2026-11-28`.
    pub fn show_date(&self, t: Timestamp) -> String {
        let d = self.zoned(t).date();
        format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    }

    /// The value of an HTML `datetime-local` field for an instant (`2026-11-28T02:14`).
    pub fn field_value(&self, t: Timestamp) -> String {
        let dt = self.zoned(t).datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        )
    }

    /// A time a person typed: RFC 3339 with an offset (`2026-11-28T02:14:00+01:00`, `…Z`), or a
    /// local time in this zone (`2026-11-28T02:14`, `2026-11-28 02:14`, with or without
    /// seconds), or — where `date_alone` allows — a date (`2026-11-30`). A local time that does
    /// not exist here (the clocks went forward) or that happened twice (they went back) is refused
    /// with the offsets to choose from. The error names `field`.
    pub fn read(
        &self,
        field: &'static str,
        text: &str,
        date_alone: DateAlone,
    ) -> Result<Timestamp, DomainError> {
        let text = text.trim();
        let bad = |problem: String| DomainError::InvalidField { field, problem };
        if text.is_empty() {
            return Err(DomainError::Empty { field });
        }
        if let Ok(t) = Timestamp::parse(text) {
            return Ok(t);
        }
        let civil: DateTime = match text.replacen(' ', "T", 1).parse::<DateTime>() {
            Ok(dt) if text.len() > 10 => dt,
            _ => match text.parse::<Date>() {
                Ok(d) if text.len() == 10 => match date_alone {
                    DateAlone::Refused => {
                        return Err(bad(format!(
                            "`{text}` is a date; give the time too, e.g. {text}T09:30"
                        )));
                    }
                    DateAlone::StartOfDay => d.to_datetime(jiff::civil::Time::midnight()),
                    DateAlone::EndOfDay => d.at(17, 0, 0, 0),
                },
                _ => return Err(DomainError::NotALocalTime(text.to_string())),
            },
        };
        let shown = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            civil.year(),
            civil.month(),
            civil.day(),
            civil.hour(),
            civil.minute()
        );
        let iso = |o: jiff::tz::Offset| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:00{}",
                civil.year(),
                civil.month(),
                civil.day(),
                civil.hour(),
                civil.minute(),
                offset_text(o)
            )
        };
        let instant = match self.tz.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset
                .to_timestamp(civil)
                .map_err(|e| bad(format!("`{text}`: {e}")))?,
            AmbiguousOffset::Gap { before, after } => {
                return Err(bad(format!(
                    "{shown} does not exist in {} (the clocks went forward); give the offset, e.g. {} or {}",
                    self.name,
                    iso(before),
                    iso(after)
                )));
            }
            AmbiguousOffset::Fold { before, after } => {
                return Err(bad(format!(
                    "{shown} happened twice in {} (the clocks went back); say which with its offset: {} (before the change) or {} (after)",
                    self.name,
                    iso(before),
                    iso(after)
                )));
            }
        };
        let t = Timestamp::from_jiff(instant);
        Timestamp::from_micros(t.as_micros()).map_err(|e| bad(e.to_string()))
    }
}

/// `+01:00`, `-05:30`, `+00:00`.
fn offset_text(o: jiff::tz::Offset) -> String {
    let secs = o.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
}

impl Eq for Zone {}

impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> Zone {
        Zone::parse("Europe/Paris").unwrap()
    }

    #[test]
    fn a_local_time_is_read_in_the_zone_and_shown_back_with_its_offset() {
        let t = paris()
            .read("at", "2026-11-28T02:14", DateAlone::Refused)
            .unwrap();
        assert_eq!(t.to_string(), "2026-11-28T01:14:00.000000Z");
        assert_eq!(paris().show(t), "2026-11-28 02:14 +01:00");
        assert_eq!(Zone::utc().show(t), "2026-11-28 01:14 UTC");
        assert_eq!(paris().field_value(t), "2026-11-28T02:14");
        for same in [
            "2026-11-28 02:14",
            "2026-11-28T02:14:00",
            "2026-11-28T02:14:00+01:00",
            "2026-11-28T01:14:00Z",
        ] {
            assert_eq!(
                paris().read("at", same, DateAlone::Refused).unwrap(),
                t,
                "{same}"
            );
        }
        // Summer time.
        let s = paris()
            .read("at", "2026-07-01 10:00", DateAlone::Refused)
            .unwrap();
        assert_eq!(paris().show(s), "2026-07-01 10:00 +02:00");
    }

    #[test]
    fn a_date_alone_is_read_only_where_a_date_is_meant() {
        let z = paris();
        assert!(z.read("due", "2026-11-30", DateAlone::Refused).is_err());
        let due = z.read("due", "2026-11-30", DateAlone::EndOfDay).unwrap();
        assert_eq!(z.show(due), "2026-11-30 17:00 +01:00");
        let start = z.read("from", "2026-11-30", DateAlone::StartOfDay).unwrap();
        assert_eq!(z.show(start), "2026-11-30 00:00 +01:00");
    }

    #[test]
    fn a_time_that_does_not_exist_or_happened_twice_is_refused_with_the_choices() {
        let z = paris();
        let gap = z
            .read("at", "2026-03-29T02:30", DateAlone::Refused)
            .unwrap_err()
            .to_string();
        assert!(gap.contains("does not exist in Europe/Paris"), "{gap}");
        let fold = z
            .read("at", "2026-10-25T02:30", DateAlone::Refused)
            .unwrap_err()
            .to_string();
        assert!(fold.contains("happened twice"), "{fold}");
        assert!(fold.contains("+02:00") && fold.contains("+01:00"), "{fold}");
        // With the offset it is one instant.
        assert!(
            z.read("at", "2026-10-25T02:30:00+01:00", DateAlone::Refused)
                .is_ok()
        );
    }

    #[test]
    fn unknown_zones_and_nonsense_are_refused_with_a_reason() {
        assert!(
            Zone::parse("Mars/Olympus")
                .unwrap_err()
                .to_string()
                .contains("IANA")
        );
        assert_eq!(Zone::parse("").unwrap(), Zone::utc());
        let e = paris()
            .read("at", "yesterday", DateAlone::Refused)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a date and time"), "{e}");
    }
}

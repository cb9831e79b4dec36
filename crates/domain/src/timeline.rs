//! The attack timeline ("what happened and when"): entries with the time's precision, their
//! source, and MITRE ATT&CK technique and tactic.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::DomainError;

/// How precisely an entry's time is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Exact,
    Minute,
    Hour,
    Day,
    Approximate,
}

impl Precision {
    pub const ALL: [Precision; 5] = [
        Precision::Exact,
        Precision::Minute,
        Precision::Hour,
        Precision::Day,
        Precision::Approximate,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Exact => "exact",
            Precision::Minute => "minute",
            Precision::Hour => "hour",
            Precision::Day => "day",
            Precision::Approximate => "approximate",
        }
    }
}

impl FromStr for Precision {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Precision::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| DomainError::Unknown {
                what: "time precision",
                value: s.to_string(),
                expected: Precision::ALL.map(|p| p.as_str()).join(", "),
            })
    }
}

/// Where a timeline entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimelineSource {
    Log,
    Evidence,
    Interview,
    Report,
    Other,
}

impl TimelineSource {
    pub const ALL: [TimelineSource; 5] = [
        TimelineSource::Log,
        TimelineSource::Evidence,
        TimelineSource::Interview,
        TimelineSource::Report,
        TimelineSource::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineSource::Log => "log",
            TimelineSource::Evidence => "evidence",
            TimelineSource::Interview => "interview",
            TimelineSource::Report => "report",
            TimelineSource::Other => "other",
        }
    }
}

impl FromStr for TimelineSource {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimelineSource::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| DomainError::Unknown {
                what: "timeline source",
                value: s.to_string(),
                expected: TimelineSource::ALL.map(|p| p.as_str()).join(", "),
            })
    }
}

/// An ATT&CK technique id, checked for form: `T1234` or `T1234.001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Technique(String);

impl Technique {
    pub fn parse(raw: &str) -> Result<Technique, DomainError> {
        let v = raw.trim().to_ascii_uppercase();
        let b = v.as_bytes();
        let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        let ok = b.len() >= 5
            && b[0] == b'T'
            && digits(&b[1..5])
            && (b.len() == 5 || (b.len() == 9 && b[5] == b'.' && digits(&b[6..9])));
        if ok {
            Ok(Technique(v))
        } else {
            Err(DomainError::InvalidField {
                field: "technique",
                problem: format!(
                    "`{}` is not an ATT&CK technique id; write T1234 or T1234.001",
                    raw.trim()
                ),
            })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Technique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Technique::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The 14 ATT&CK Enterprise tactics: (id, short name).
pub const TACTICS: [(&str, &str); 14] = [
    ("TA0043", "reconnaissance"),
    ("TA0042", "resource-development"),
    ("TA0001", "initial-access"),
    ("TA0002", "execution"),
    ("TA0003", "persistence"),
    ("TA0004", "privilege-escalation"),
    ("TA0005", "defense-evasion"),
    ("TA0006", "credential-access"),
    ("TA0007", "discovery"),
    ("TA0008", "lateral-movement"),
    ("TA0009", "collection"),
    ("TA0011", "command-and-control"),
    ("TA0010", "exfiltration"),
    ("TA0040", "impact"),
];

/// An ATT&CK tactic, stored by its short name; accepts the name or the `TA00xx` id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Tactic(String);

impl Tactic {
    pub fn parse(raw: &str) -> Result<Tactic, DomainError> {
        let v = raw.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        TACTICS
            .iter()
            .find(|(id, name)| *name == v || id.eq_ignore_ascii_case(&v))
            .map(|(_, name)| Tactic(name.to_string()))
            .ok_or_else(|| DomainError::Unknown {
                what: "ATT&CK tactic",
                value: raw.trim().to_string(),
                expected: TACTICS.map(|(_, n)| n).join(", "),
            })
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The tactic's `TA00xx` id.
    pub fn id(&self) -> &'static str {
        TACTICS
            .iter()
            .find(|(_, n)| *n == self.0)
            .map_or("", |(id, _)| id)
    }
}

impl<'de> Deserialize<'de> for Tactic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Tactic::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn techniques_are_checked_for_form() {
        assert_eq!(Technique::parse("t1566.001").unwrap().as_str(), "T1566.001");
        assert!(Technique::parse("T1566").is_ok());
        for bad in [
            "T156",
            "T1566.1",
            "1566",
            "T1566-001",
            "TA0001",
            "T1566.0011",
        ] {
            assert!(
                Technique::parse(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("T1234.001"),
                "{bad}"
            );
        }
    }

    #[test]
    fn tactics_come_from_the_fixed_list() {
        assert_eq!(TACTICS.len(), 14);
        assert_eq!(
            Tactic::parse("Initial Access").unwrap().as_str(),
            "initial-access"
        );
        assert_eq!(Tactic::parse("TA0010").unwrap().as_str(), "exfiltration");
        assert_eq!(Tactic::parse("exfiltration").unwrap().id(), "TA0010");
        assert!(Tactic::parse("lateral").is_err());
    }
}

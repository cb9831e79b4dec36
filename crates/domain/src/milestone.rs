//! An incident's key timestamps (started, detected, acknowledged… closed) and where each one's
//! time comes from: derived from the journal, or stated by a person from evidence.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::status::Status;

/// The key timestamps of an incident (STANDARDS.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Milestone {
    /// First malicious activity (often established later by forensics).
    #[serde(rename = "started_at")]
    Started,
    /// First detection: alert time or human report.
    #[serde(rename = "detected_at")]
    Detected,
    /// A handler took ownership.
    #[serde(rename = "acknowledged_at")]
    Acknowledged,
    /// Declared an incident (as opposed to an alert).
    #[serde(rename = "declared_at")]
    Declared,
    /// The organisation became aware in the legal sense (starts GDPR / NIS2 clocks).
    #[serde(rename = "aware_at")]
    Aware,
    #[serde(rename = "contained_at")]
    Contained,
    #[serde(rename = "eradicated_at")]
    Eradicated,
    #[serde(rename = "recovered_at")]
    Recovered,
    #[serde(rename = "closed_at")]
    Closed,
}

impl Milestone {
    /// Every milestone, in the usual order of an incident.
    pub const ALL: [Milestone; 9] = [
        Milestone::Started,
        Milestone::Detected,
        Milestone::Acknowledged,
        Milestone::Declared,
        Milestone::Aware,
        Milestone::Contained,
        Milestone::Eradicated,
        Milestone::Recovered,
        Milestone::Closed,
    ];

    /// The milestone's field name, e.g. `started_at`.
    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::Started => "started_at",
            Milestone::Detected => "detected_at",
            Milestone::Acknowledged => "acknowledged_at",
            Milestone::Declared => "declared_at",
            Milestone::Aware => "aware_at",
            Milestone::Contained => "contained_at",
            Milestone::Eradicated => "eradicated_at",
            Milestone::Recovered => "recovered_at",
            Milestone::Closed => "closed_at",
        }
    }

    /// The milestone a transition into `status` marks, if any.
    pub fn reached_by(status: Status) -> Option<Milestone> {
        match status {
            Status::Triage => Some(Milestone::Acknowledged),
            Status::Contained => Some(Milestone::Contained),
            Status::Eradicated => Some(Milestone::Eradicated),
            Status::Recovered => Some(Milestone::Recovered),
            Status::Closed => Some(Milestone::Closed),
            Status::New | Status::Investigating => None,
        }
    }
}

impl fmt::Display for Milestone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Milestone {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s2 = s.trim().to_ascii_lowercase().replace('-', "_");
        Milestone::ALL
            .into_iter()
            .find(|m| m.as_str() == s2 || m.as_str().trim_end_matches("_at") == s2)
            .ok_or_else(|| DomainError::Unknown {
                what: "timestamp",
                value: s.to_string(),
                expected: Milestone::ALL.map(|m| m.as_str()).join(", "),
            })
    }
}

/// Where a milestone's time comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MilestoneSource {
    /// Derived from the journal: the entry `seq` (opening or a status transition) set it.
    Derived { seq: u64 },
    /// Stated by a person, resting on the evidence named in `source`.
    Stated { seq: u64, source: String },
}

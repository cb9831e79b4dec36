//! The incident's descriptive fields a person edits (title, summary, reporter, detection
//! source), each checked by its own text rule.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::text::{Label, Summary, Title};

/// The descriptive fields that can be edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Summary,
    Reporter,
    DetectionSource,
}

impl Field {
    /// Every editable field.
    pub const ALL: [Field; 4] = [
        Field::Title,
        Field::Summary,
        Field::Reporter,
        Field::DetectionSource,
    ];

    /// The field's name in the API, the CLI and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Reporter => "reporter",
            Field::DetectionSource => "detection_source",
        }
    }

    /// Checks a new value for this field and returns it normalised.
    pub fn parse_value(self, raw: &str) -> Result<String, DomainError> {
        Ok(match self {
            Field::Title => Title::parse(raw)?.into_inner(),
            Field::Summary => Summary::parse(raw)?.into_inner(),
            Field::Reporter => Label::parse_as("reporter", raw)?.into_inner(),
            Field::DetectionSource => Label::parse_as("detection_source", raw)?.into_inner(),
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim().replace('-', "_"))
            .ok_or_else(|| DomainError::Unknown {
                what: "field",
                value: s.to_string(),
                expected: Field::ALL.map(|f| f.as_str()).join(", "),
            })
    }
}

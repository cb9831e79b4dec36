//! Validated text newtypes: a value of these types has already passed its checks.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

fn check(
    field: &'static str,
    raw: &str,
    max: usize,
    required: bool,
    single_line: bool,
) -> Result<String, DomainError> {
    let value = raw.trim();
    if required && value.is_empty() {
        return Err(DomainError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(DomainError::TooLong { field, len, max });
    }
    let allowed = |c: char| !single_line && matches!(c, '\n' | '\t' | '\r');
    let bad = value.chars().find(|&c| c.is_control() && !allowed(c));
    if let Some(c) = bad {
        return Err(DomainError::ControlCharacter {
            field,
            code: c as u32,
        });
    }
    Ok(value.to_string())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, max = $max:expr, required = $req:expr, single_line = $single:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The longest accepted value, in characters.
            pub const MAX: usize = $max;

            /// Trims and checks `raw`.
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                check($field, raw, $max, $req, $single).map(Self)
            }

            /// The checked text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The checked text, owned.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_type!(
    /// An incident title: one line, 1–200 characters.
    Title, "title", max = 200, required = true, single_line = true
);
text_type!(
    /// A free-text summary or description: up to 20,000 characters, may be empty.
    Summary, "summary", max = 20_000, required = false, single_line = false
);
text_type!(
    /// A short one-line label such as a reporter or a detection source: up to 200 characters.
    Label, "value", max = 200, required = false, single_line = true
);
text_type!(
    /// Who did something: a user name or `cli:<name>`; one line, 1–100 characters.
    Actor, "actor", max = 100, required = true, single_line = true
);
text_type!(
    /// Why something was done: free text up to 4,000 characters, may be empty.
    Reason, "reason", max = 4_000, required = false, single_line = false
);

// Not derived inside the macro: an empty `Title` or `Actor` must not exist.
#[allow(clippy::derivable_impls)]
impl Default for Reason {
    fn default() -> Self {
        Reason(String::new())
    }
}

impl Reason {
    /// Whether no reason was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Label {
    /// Checks `raw` and names the field in the error as `field`.
    pub fn parse_as(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        check(field, raw, Self::MAX, false, true).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_required() {
        assert_eq!(
            Title::parse("  Ransomware on FS01 ").unwrap().as_str(),
            "Ransomware on FS01"
        );
        let err = Title::parse("   ").unwrap_err();
        assert_eq!(err.to_string(), "title must not be empty");
    }

    #[test]
    fn over_long_fields_say_the_limit() {
        let err = Title::parse(&"x".repeat(201)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "title is 201 characters long; the limit is 200"
        );
        assert!(Summary::parse(&"é".repeat(20_000)).is_ok());
    }

    #[test]
    fn titles_are_single_line_summaries_are_not() {
        assert!(Title::parse("a\nb").is_err());
        assert!(Summary::parse("a\nb").is_ok());
        assert!(Summary::parse("a\u{0}b").is_err());
    }
}

//! Validated text newtypes: a value of these types has already passed its checks.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Whether a text field is one line (titles, labels, names) or may hold several (descriptions,
/// notes, postmortem sections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Characters no typed text may hold: control characters (NUL, escape, C1…) other than line
/// breaks and tabs in multi-line text, and the bidirectional embedding, override and isolate
/// controls, which can make a record read differently from what it holds ("Trojan Source").
fn forbidden(c: char, lines: Lines) -> bool {
    let allowed_control = lines == Lines::Many && matches!(c, '\n' | '\t');
    (c.is_control() && !allowed_control)
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The one rule for text typed into Debrief, whatever the channel (API, page, CLI, TheHive
/// routes, mail, CSV): line breaks normalised to `\n` (multi-line text) — a CRLF from a browser
/// form and an LF from the API store the same text —, surrounding white space trimmed, at most
/// `max` characters, and no [`forbidden`] character. Errors name the field.
pub fn clean(
    field: &'static str,
    raw: &str,
    max: usize,
    lines: Lines,
) -> Result<String, DomainError> {
    let normalised;
    let raw = if lines == Lines::Many && raw.contains('\r') {
        normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
        normalised.as_str()
    } else {
        raw
    };
    let value = raw.trim();
    let len = value.chars().count();
    if len > max {
        return Err(DomainError::TooLong { field, len, max });
    }
    if let Some(c) = value.chars().find(|&c| forbidden(c, lines)) {
        return Err(DomainError::ControlCharacter {
            field,
            code: c as u32,
        });
    }
    Ok(value.to_string())
}

fn check(
    field: &'static str,
    raw: &str,
    max: usize,
    required: bool,
    single_line: bool,
) -> Result<String, DomainError> {
    let lines = if single_line { Lines::One } else { Lines::Many };
    let value = clean(field, raw, max, lines)?;
    if required && value.is_empty() {
        return Err(DomainError::Empty { field });
    }
    Ok(value)
}

/// The safety net behind [`clean`], for every string an event carries (every journal entry is
/// checked before it is written, whichever command decided it): no NUL or other control
/// character but line breaks and tabs, no bidirectional override. Names the payload's member.
pub fn check_payload(kind: &str, payload: &serde_json::Value) -> Result<(), DomainError> {
    fn walk(path: &mut String, v: &serde_json::Value) -> Option<(String, char)> {
        match v {
            serde_json::Value::String(s) => s
                .chars()
                .find(|&c| !matches!(c, '\r') && forbidden(c, Lines::Many))
                .map(|c| (path.clone(), c)),
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(n, item)| {
                let len = path.len();
                path.push_str(&format!("[{n}]"));
                let found = walk(path, item);
                path.truncate(len);
                found
            }),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                let found = walk(path, item);
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    let mut path = kind.to_string();
    match walk(&mut path, payload) {
        Some((at, c)) => Err(DomainError::InvalidField {
            field: "text",
            problem: format!(
                "`{at}` contains the control character U+{:04X}; remove it",
                c as u32
            ),
        }),
        None => Ok(()),
    }
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

impl From<&crate::user::Username> for Actor {
    /// A user name (1–64 characters of `a–z 0–9 . _ - @`) is always a valid actor.
    fn from(name: &crate::user::Username) -> Actor {
        Actor(name.as_str().to_string())
    }
}

impl Label {
    /// Checks `raw` and names the field in the error as `field`.
    pub fn parse_as(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        check(field, raw, Self::MAX, false, true).map(Self)
    }
}

/// A word as search compares it: lower-case, without accents or other combining marks
/// (`Infirmière` → `infirmiere`), so that a query typed without accents finds the text.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Infirmière"), "infirmiere");
        assert_eq!(fold("ÇA DÉBORDE"), "ca deborde");
        assert_eq!(fold("Ærøskøbing naïve"), "ærøskøbing naive");
    }

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

    #[test]
    fn one_rule_for_every_text() {
        // Line breaks from a form (CRLF), an old Mac (CR) and the API (LF) store the same text.
        for raw in ["a\r\nb", "a\rb", "a\nb", "  a\nb\r\n"] {
            assert_eq!(clean("note", raw, 100, Lines::Many).unwrap(), "a\nb");
        }
        assert_eq!(clean("note", "a\tb", 100, Lines::Many).unwrap(), "a\tb");
        for (raw, code) in [
            ("a\u{0}b", 0),
            ("a\u{1b}[31mb", 0x1b),
            ("a\u{7f}", 0x7f),
            ("a\u{85}b", 0x85),
            ("invoice\u{202E}fdp.exe", 0x202e),
            ("a\u{2066}b", 0x2066),
        ] {
            for lines in [Lines::One, Lines::Many] {
                let e = clean("action", raw, 100, lines).unwrap_err();
                assert_eq!(
                    e,
                    DomainError::ControlCharacter {
                        field: "action",
                        code
                    },
                    "{raw:?}"
                );
            }
        }
        assert!(clean("title", "a\tb", 100, Lines::One).is_err());
        assert!(clean("title", "a\nb", 100, Lines::One).is_err());
        assert!(clean("title", "العربية", 100, Lines::One).is_ok());
    }

    #[test]
    fn the_payload_net_names_the_member() {
        let ok = serde_json::json!({"text": "a\r\nb\tc", "items": ["x"]});
        assert!(check_payload("note.added", &ok).is_ok());
        let bad =
            serde_json::json!({"recommendation": {"action": "patch", "steps": ["a", "b\u{0}"]}});
        let e = check_payload("recommendation.added", &bad).unwrap_err();
        assert!(
            e.to_string()
                .contains("`recommendation.added.recommendation.steps[1]` contains the control character U+0000"),
            "{e}"
        );
    }
}

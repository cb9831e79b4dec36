//! Serde helpers for what the edges read — forms, JSON bodies, query strings: trimmed text,
//! optional text, lists, and the domain's closed choices read by their own parser (`FromStr`:
//! the same forgiving names on every channel, and the same message naming the accepted values).

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A text field, trimmed (a missing field is empty).
pub fn trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    Ok(match s.trim() {
        t if t.len() == s.len() => s,
        t => t.to_string(),
    })
}

/// A text field that may be left empty: trimmed, `None` when empty.
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = trimmed(d)?;
    Ok((!s.is_empty()).then_some(s))
}

/// A choice read by the domain's own parser (`FromStr`: the same names the API and the CLI
/// accept, forgiving case); a value outside the choices makes the form unreadable.
pub fn choice<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    trimmed(d)?.parse().map_err(serde::de::Error::custom)
}

/// An optional choice: `None` when the field is empty or missing.
pub fn maybe<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match trimmed(d)? {
        s if s.is_empty() => Ok(None),
        s => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A setting that may be cleared: given as a choice (`Some(Some(_))`) or as an empty string to
/// clear it (`Some(None)`); a missing field (with `#[serde(default)]`) is `None`, no change.
pub fn setting<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    maybe(d).map(Some)
}

/// A comma-separated list, each item trimmed, empty items left out.
pub fn comma_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    Ok(s.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect())
}

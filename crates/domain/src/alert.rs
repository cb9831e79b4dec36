//! Alerts before they are incidents: what an alert is (from a tool, a person or Debrief's own
//! hunt), how it is identified for idempotent intake — (type, source, source reference), as in
//! TheHive — how repeats are counted and grouped, and the triage lifecycle
//! new → acknowledged → promoted / merged / dismissed, with the reasons it asks for.
//!
//! Pure: the store keeps alerts, the server takes them in; this module decides what is valid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::observable::{self, ObservableKind};
use crate::text::Title;
use crate::time::Timestamp;
use crate::triage::{Pap, Tlp};

/// The longest alert description accepted, in characters.
pub const MAX_DESCRIPTION: usize = 65_536;
/// The most observables one alert may carry.
pub const MAX_OBSERVABLES: usize = 1_000;

/// Where an alert is in triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertStatus {
    /// Received, nobody has looked at it yet.
    New,
    /// Someone has taken it (this is what time-to-acknowledge measures).
    Acknowledged,
    /// Became a new incident.
    Promoted,
    /// Added to an existing incident.
    Merged,
    /// Closed without an incident, with a reason.
    Dismissed,
}

impl AlertStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [AlertStatus; 5] = [
        AlertStatus::New,
        AlertStatus::Acknowledged,
        AlertStatus::Promoted,
        AlertStatus::Merged,
        AlertStatus::Dismissed,
    ];

    /// The status's name in the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::New => "new",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Promoted => "promoted",
            AlertStatus::Merged => "merged",
            AlertStatus::Dismissed => "dismissed",
        }
    }

    /// Whether triage is over for this alert.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            AlertStatus::Promoted | AlertStatus::Merged | AlertStatus::Dismissed
        )
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        AlertStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == wanted)
            .ok_or_else(|| DomainError::Unknown {
                what: "alert status",
                value: s.to_string(),
                expected: AlertStatus::ALL.map(|v| v.as_str()).join(", "),
            })
    }
}

/// Why an alert was dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DismissReason {
    /// The detection was wrong.
    FalsePositive,
    /// The detection was right but the activity is legitimate.
    Benign,
    /// Another alert or incident already covers it.
    Duplicate,
}

impl DismissReason {
    /// Every reason.
    pub const ALL: [DismissReason; 3] = [
        DismissReason::FalsePositive,
        DismissReason::Benign,
        DismissReason::Duplicate,
    ];

    /// The reason's name in the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            DismissReason::FalsePositive => "false-positive",
            DismissReason::Benign => "benign",
            DismissReason::Duplicate => "duplicate",
        }
    }
}

impl FromStr for DismissReason {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        DismissReason::ALL
            .into_iter()
            .find(|v| v.as_str() == wanted)
            .ok_or_else(|| DomainError::Unknown {
                what: "dismiss reason",
                value: s.to_string(),
                expected: DismissReason::ALL.map(|v| v.as_str()).join(", "),
            })
    }
}

/// Alert severity on TheHive's scale: 1 low, 2 medium, 3 high, 4 critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AlertSeverity(u8);

impl AlertSeverity {
    /// The default when a sender gives none (TheHive's default too).
    pub const MEDIUM: AlertSeverity = AlertSeverity(2);

    /// Checks a level.
    pub fn new(level: i64) -> Result<Self, DomainError> {
        match level {
            1..=4 => Ok(AlertSeverity(level as u8)),
            _ => Err(DomainError::InvalidField {
                field: "severity",
                problem: format!("is {level}; use 1 (low), 2 (medium), 3 (high) or 4 (critical)"),
            }),
        }
    }

    /// The level, 1–4.
    pub fn level(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for AlertSeverity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AlertSeverity::new(i64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// TheHive's numeric sharing levels, 0–3, as TLP 2.0 (0 is TLP:CLEAR, formerly WHITE).
pub fn tlp_from_level(level: i64) -> Result<Tlp, DomainError> {
    match level {
        0 => Ok(Tlp::Clear),
        1 => Ok(Tlp::Green),
        2 => Ok(Tlp::Amber),
        3 => Ok(Tlp::Red),
        _ => Err(DomainError::InvalidField {
            field: "tlp",
            problem: format!("is {level}; use 0 (clear), 1 (green), 2 (amber) or 3 (red)"),
        }),
    }
}

/// TheHive's level of a TLP (AMBER+STRICT, which TheHive has no number for, is 2 as AMBER).
pub fn tlp_level(tlp: Tlp) -> u8 {
    match tlp {
        Tlp::Clear => 0,
        Tlp::Green => 1,
        Tlp::Amber | Tlp::AmberStrict => 2,
        Tlp::Red => 3,
    }
}

/// TheHive's numeric PAP levels, 0–3.
pub fn pap_from_level(level: i64) -> Result<Pap, DomainError> {
    match level {
        0 => Ok(Pap::Clear),
        1 => Ok(Pap::Green),
        2 => Ok(Pap::Amber),
        3 => Ok(Pap::Red),
        _ => Err(DomainError::InvalidField {
            field: "pap",
            problem: format!("is {level}; use 0 (clear), 1 (green), 2 (amber) or 3 (red)"),
        }),
    }
}

/// TheHive's level of a PAP.
pub fn pap_level(pap: Pap) -> u8 {
    match pap {
        Pap::Clear => 0,
        Pap::Green => 1,
        Pap::Amber => 2,
        Pap::Red => 3,
    }
}

/// A short identifying text (type, source, source reference, host): one line, 1–200
/// characters.
fn key_part(field: &'static str, raw: &str) -> Result<String, DomainError> {
    Title::parse(raw)
        .map(Title::into_inner)
        .map_err(|e| match e {
            DomainError::Empty { .. } => DomainError::Empty { field },
            DomainError::TooLong { len, max, .. } => DomainError::TooLong { field, len, max },
            DomainError::ControlCharacter { code, .. } => {
                DomainError::ControlCharacter { field, code }
            }
            other => other,
        })
}

/// What identifies an alert: sending the same key again updates that alert and counts the
/// repeat instead of creating a second one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlertKey {
    /// The kind of alert (`sigma`, `edr`, `phishing-report`, …), TheHive's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The sending system or channel.
    pub source: String,
    /// The sender's own identifier for it.
    pub source_ref: String,
}

impl AlertKey {
    /// Checks the three parts.
    pub fn parse(kind: &str, source: &str, source_ref: &str) -> Result<Self, DomainError> {
        Ok(AlertKey {
            kind: key_part("type", kind)?,
            source: key_part("source", source)?,
            source_ref: key_part("sourceRef", source_ref)?,
        })
    }
}

/// One observable an alert carries, normalised (refanged, canonical case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AlertObservable {
    #[serde(rename = "type")]
    pub kind: ObservableKind,
    pub value: String,
}

/// A checked alert as received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAlert {
    pub key: AlertKey,
    pub title: Title,
    pub description: String,
    pub severity: AlertSeverity,
    pub tlp: Tlp,
    pub pap: Pap,
    pub tags: Vec<String>,
    pub observables: Vec<AlertObservable>,
    /// When the detected activity happened, if the sender says.
    pub occurred_at: Option<Timestamp>,
    /// The host it happened on, if known: repeats of one detection on one host group together.
    pub host: Option<String>,
    /// The payload exactly as received, kept verbatim for the record.
    pub raw: serde_json::Value,
}

/// The generic intake shape (`POST /api/v1/alerts`); TheHive's field names are accepted as
/// well (`sourceRef`, numeric `tlp`/`pap`, `dataType`/`data` observables).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertInput {
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    pub source_ref: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub severity: Option<i64>,
    /// A TLP name (`amber+strict`) or TheHive's 0–3.
    #[serde(default)]
    pub tlp: Option<serde_json::Value>,
    /// A PAP name or TheHive's 0–3.
    #[serde(default)]
    pub pap: Option<serde_json::Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub observables: Vec<ObservableInput>,
    /// RFC 3339 text, or TheHive's milliseconds since the epoch.
    #[serde(default)]
    pub date: Option<serde_json::Value>,
    #[serde(default)]
    pub host: Option<String>,
    /// Accepted from TheHive senders and kept in the raw payload only.
    #[serde(default)]
    pub external_link: Option<String>,
    #[serde(default)]
    pub flag: Option<bool>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub procedures: Option<serde_json::Value>,
    #[serde(default)]
    pub last_sync_date: Option<serde_json::Value>,
    #[serde(default)]
    pub case_template: Option<String>,
    #[serde(default)]
    pub custom_fields: Option<serde_json::Value>,
    #[serde(default)]
    pub summary: Option<String>,
    /// A detection's rule (id, title, level) — kept in the raw payload.
    #[serde(default)]
    pub rule: Option<serde_json::Value>,
    /// A detection's matching event — kept in the raw payload.
    #[serde(default)]
    pub event: Option<serde_json::Value>,
}

/// An observable as senders write it: `{"type": "domain", "value": …}` or TheHive's
/// `{"dataType": "domain", "data": …}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservableInput {
    #[serde(rename = "type", alias = "dataType")]
    pub kind: String,
    /// One value, or (as TheHive 5 allows) a list of values of the same type.
    #[serde(rename = "value", alias = "data", deserialize_with = "one_or_many")]
    pub values: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(v) => vec![v],
        OneOrMany::Many(v) => v,
    })
}

/// TheHive's observable data types mapped onto Debrief's; IP addresses and hashes are told
/// apart by their value. Debrief's own kind names are accepted too.
pub fn observable_kind(kind: &str, value: &str) -> Result<ObservableKind, DomainError> {
    let refanged = observable::refang(value.trim());
    match kind.trim().to_ascii_lowercase().as_str() {
        "ip" => Ok(if refanged.contains(':') {
            ObservableKind::Ipv6
        } else {
            ObservableKind::Ipv4
        }),
        "hash" => match refanged.len() {
            32 => Ok(ObservableKind::Md5),
            40 => Ok(ObservableKind::Sha1),
            64 => Ok(ObservableKind::Sha256),
            n => Err(DomainError::InvalidField {
                field: "observables",
                problem: format!(
                    "hash `{value}` is {n} characters; an MD5, SHA-1 or SHA-256 is 32, 40 or 64"
                ),
            }),
        },
        "mail" | "mail-address" => Ok(ObservableKind::Email),
        "fqdn" => Ok(ObservableKind::Hostname),
        "registry" => Ok(ObservableKind::RegistryKey),
        "user-agent" => Ok(ObservableKind::UserAgent),
        "autonomous-system" => Ok(ObservableKind::Asn),
        "mail-subject" | "uri_path" | "file" => Ok(ObservableKind::Other),
        other => other.parse(),
    }
}

/// The TheHive data type a Debrief observable kind is shown as (`ipv4` → `ip`, `sha256` → `hash`…).
pub fn thehive_data_type(kind: ObservableKind) -> &'static str {
    match kind {
        ObservableKind::Ipv4 | ObservableKind::Ipv6 => "ip",
        ObservableKind::Md5 | ObservableKind::Sha1 | ObservableKind::Sha256 => "hash",
        ObservableKind::Email => "mail",
        ObservableKind::Hostname => "fqdn",
        ObservableKind::RegistryKey => "registry",
        ObservableKind::UserAgent => "user-agent",
        ObservableKind::Asn => "autonomous-system",
        other => other.as_str(),
    }
}

/// Checks a list of observables as senders write them: normalised, sorted, without duplicates,
/// or every problem found.
pub fn parse_observables(
    inputs: &[ObservableInput],
) -> Result<Vec<AlertObservable>, Vec<DomainError>> {
    let mut problems = Vec::new();
    let count: usize = inputs.iter().map(|o| o.values.len()).sum();
    if count > MAX_OBSERVABLES {
        problems.push(DomainError::InvalidField {
            field: "observables",
            problem: format!("holds {count} items; the limit is {MAX_OBSERVABLES}"),
        });
    }
    let mut observables = Vec::new();
    let each = inputs
        .iter()
        .flat_map(|o| o.values.iter().map(move |v| (o.kind.as_str(), v.as_str())));
    for (kind, value) in each.take(MAX_OBSERVABLES) {
        match observable_kind(kind, value)
            .and_then(|k| observable::normalize(k, value).map(|v| (k, v)))
        {
            Ok((kind, value)) => observables.push(AlertObservable { kind, value }),
            Err(e) => problems.push(e),
        }
    }
    observables.sort();
    observables.dedup();
    if problems.is_empty() {
        Ok(observables)
    } else {
        Err(problems)
    }
}

fn marking<T>(
    value: Option<&serde_json::Value>,
    default: T,
    from_level: fn(i64) -> Result<T, DomainError>,
) -> Result<T, DomainError>
where
    T: FromStr<Err = DomainError>,
{
    match value {
        None | Some(serde_json::Value::Null) => Ok(default),
        Some(serde_json::Value::Number(n)) => from_level(n.as_i64().unwrap_or(-1)),
        Some(serde_json::Value::String(s)) => s.parse(),
        Some(other) => other.to_string().parse(),
    }
}

impl NewAlert {
    /// Reads and checks one payload as it arrived (its JSON is kept verbatim as `raw`): a wrong
    /// shape (missing or unknown field) or every problem of its values.
    pub fn from_json(raw: serde_json::Value) -> Result<Self, Vec<DomainError>> {
        let input: AlertInput = serde_json::from_value(raw.clone()).map_err(|e| {
            vec![DomainError::InvalidField {
                field: "alert",
                problem: format!("is not of the expected shape: {e}"),
            }]
        })?;
        NewAlert::from_input(input, raw)
    }

    /// Checks an intake payload; `raw` is the payload as it came (kept verbatim). Every
    /// problem is returned, not only the first, so a sender can fix them all at once.
    pub fn from_input(input: AlertInput, raw: serde_json::Value) -> Result<Self, Vec<DomainError>> {
        let mut problems = Vec::new();
        let key = AlertKey::parse(&input.kind, &input.source, &input.source_ref)
            .map_err(|e| problems.push(e))
            .ok();
        let title = Title::parse(&input.title)
            .map_err(|e| problems.push(e))
            .ok();
        let description = crate::text::clean(
            "description",
            &input.description,
            MAX_DESCRIPTION,
            crate::text::Lines::Many,
        )
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
        let severity = input
            .severity
            .map_or(Ok(AlertSeverity::MEDIUM), AlertSeverity::new)
            .map_err(|e| problems.push(e))
            .ok();
        let tlp = marking(input.tlp.as_ref(), Tlp::Amber, tlp_from_level)
            .map_err(|e| problems.push(e))
            .ok();
        let pap = marking(input.pap.as_ref(), Pap::Amber, pap_from_level)
            .map_err(|e| problems.push(e))
            .ok();
        let observables = parse_observables(&input.observables).unwrap_or_else(|mut found| {
            problems.append(&mut found);
            Vec::new()
        });
        let occurred_at = match &input.date {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(ms) => Timestamp::from_unix_millis("date", ms)
                    .map_err(|e| problems.push(e))
                    .ok(),
                None => {
                    problems.push(DomainError::InvalidField {
                        field: "date",
                        problem: format!(
                            "is {n}; write whole milliseconds since 1970 or an RFC 3339 date-time"
                        ),
                    });
                    None
                }
            },
            Some(serde_json::Value::String(s)) => Timestamp::parse(s)
                .map_err(|e| {
                    problems.push(DomainError::InvalidField {
                        field: "date",
                        problem: format!("is not usable: {e}"),
                    })
                })
                .ok(),
            Some(other) => {
                problems.push(DomainError::InvalidField {
                    field: "date",
                    problem: format!(
                        "is {other}; write milliseconds since 1970 or an RFC 3339 date-time"
                    ),
                });
                None
            }
        };
        let host = match input.host.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => key_part("host", h).map_err(|e| problems.push(e)).ok(),
        };
        let mut tags: Vec<String> = Vec::new();
        for t in &input.tags {
            match crate::text::clean("tags", t, 100, crate::text::Lines::One) {
                Ok(t) if !t.is_empty() => tags.push(t),
                Ok(_) => {}
                Err(e) => problems.push(e),
            }
        }
        tags.sort();
        tags.dedup();
        match (key, title, severity, tlp, pap) {
            (Some(key), Some(title), Some(severity), Some(tlp), Some(pap))
                if problems.is_empty() =>
            {
                Ok(NewAlert {
                    key,
                    title,
                    description,
                    severity,
                    tlp,
                    pap,
                    tags,
                    observables,
                    occurred_at,
                    host,
                    raw,
                })
            }
            _ => Err(problems),
        }
    }
}

/// What triage can do to an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertAction {
    Acknowledge,
    Promote,
    Merge,
    Dismiss {
        reason: DismissReason,
        note: String,
    },
    /// Back to triage after a dismissal (a reason is required).
    Reopen {
        reason: String,
    },
    /// Give the alert to someone (a user name), or to nobody; the status stays.
    Assign {
        to: Option<String>,
    },
    /// More observables found while triaging; the status stays.
    AddObservables(Vec<AlertObservable>),
}

/// The status an action leads to, or why it is refused.
pub fn next_status(from: AlertStatus, action: &AlertAction) -> Result<AlertStatus, DomainError> {
    use AlertStatus::*;
    let refuse = |why: &str| DomainError::InvalidField {
        field: "status",
        problem: format!("is `{from}`: {why}"),
    };
    match (from, action) {
        (New, AlertAction::Acknowledge) => Ok(Acknowledged),
        (Acknowledged, AlertAction::Acknowledge) => {
            Err(refuse("the alert is already acknowledged"))
        }
        (New | Acknowledged, AlertAction::Promote) => Ok(Promoted),
        (New | Acknowledged, AlertAction::Merge) => Ok(Merged),
        (New | Acknowledged, AlertAction::Dismiss { note, .. }) => {
            if note.trim().is_empty() {
                Err(DomainError::Empty { field: "note" })
            } else {
                Ok(Dismissed)
            }
        }
        (Dismissed, AlertAction::Reopen { reason }) => {
            if reason.trim().is_empty() {
                Err(DomainError::Empty { field: "reason" })
            } else {
                Ok(Acknowledged)
            }
        }
        (New | Acknowledged, AlertAction::Assign { .. }) => Ok(from),
        (New | Acknowledged, AlertAction::AddObservables(list)) => {
            if list.is_empty() {
                Err(DomainError::Empty {
                    field: "observables",
                })
            } else {
                Ok(from)
            }
        }
        (Promoted | Merged, _) => Err(refuse(
            "triage is over; the alert's incident holds what follows",
        )),
        (Dismissed, _) => Err(refuse("reopen it first (with a reason)")),
        (New | Acknowledged, AlertAction::Reopen { .. }) => {
            Err(refuse("only a dismissed alert can be reopened"))
        }
    }
}

/// Whether a new detection joins an open alert instead of starting its own: same type and
/// source, same host, and the open alert was last seen at most `window` seconds before.
/// (Identical keys are handled before this: they are the same alert.)
pub fn groups_with(
    open: &NewAlert,
    status: AlertStatus,
    last_seen: Timestamp,
    incoming: &NewAlert,
    received: Timestamp,
    window_seconds: i64,
) -> bool {
    !status.is_closed()
        && open.key.kind == incoming.key.kind
        && open.key.source == incoming.key.source
        && open.title == incoming.title
        && open.host.is_some()
        && open.host == incoming.host
        && received.seconds_since(last_seen) <= window_seconds
}

#[cfg(test)]
mod tests;

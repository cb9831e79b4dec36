//! What a Sigma hit becomes as an alert: the intake shape (`POST /api/v1/alerts`) and the typed
//! [`NewAlert`] the server stores — one rule for `debrief hunt --send-to`, the watch folder and
//! `POST /api/v1/events`.

use debrief_domain::DomainError;
use debrief_domain::alert::NewAlert;
use debrief_domain::observable::{self, ObservableKind};
use serde_json::{Value, json};

use crate::Hit;

fn severity(level: &str) -> i64 {
    match level {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        _ => 1,
    }
}

/// Event fields that name observables, and the kind each holds (Sysmon and Security names).
const OBSERVABLE_FIELDS: &[(&str, ObservableKind)] = &[
    ("SourceIp", ObservableKind::Ipv4),
    ("DestinationIp", ObservableKind::Ipv4),
    ("IpAddress", ObservableKind::Ipv4),
    ("QueryName", ObservableKind::Domain),
    ("DestinationHostname", ObservableKind::Hostname),
    ("Image", ObservableKind::Filepath),
    ("TargetFilename", ObservableKind::Filepath),
    ("ImageLoaded", ObservableKind::Filepath),
    ("TargetUserName", ObservableKind::UserAccount),
    ("User", ObservableKind::UserAccount),
];

/// The observables of a matched event: addresses, names, files, accounts and hashes
/// (`Hashes: SHA256=…,MD5=…`). Values that do not check as their kind (`-`, `::1`…) are left
/// out rather than refusing the alert.
pub fn observables(event: &Value) -> Vec<Value> {
    let mut out: Vec<(ObservableKind, String)> = Vec::new();
    let mut push = |kind: ObservableKind, raw: &str| {
        // An IPv6 address in an IPv4 field is still an address.
        let kind = match kind {
            ObservableKind::Ipv4 if raw.contains(':') => ObservableKind::Ipv6,
            k => k,
        };
        if let Ok(v) = observable::normalize(kind, raw)
            && !out.contains(&(kind, v.clone()))
        {
            out.push((kind, v));
        }
    };
    for (field, kind) in OBSERVABLE_FIELDS {
        if let Some(raw) = event.get(*field).and_then(Value::as_str)
            && !matches!(raw.trim(), "" | "-" | "127.0.0.1" | "::1" | "0.0.0.0")
        {
            push(*kind, raw);
        }
    }
    if let Some(hashes) = event.get("Hashes").and_then(Value::as_str) {
        for part in hashes.split(',') {
            if let Some((algo, value)) = part.split_once('=') {
                let kind = match algo.trim().to_ascii_uppercase().as_str() {
                    "MD5" => ObservableKind::Md5,
                    "SHA1" => ObservableKind::Sha1,
                    "SHA256" => ObservableKind::Sha256,
                    _ => continue,
                };
                push(kind, value);
            }
        }
    }
    out.into_iter()
        .map(|(kind, value)| json!({"type": kind.as_str(), "value": value}))
        .collect()
}

/// One hit as an alert from `source`. The source reference is stable — (rule, computer,
/// channel, record), or for events without a record number the event's SHA-256 — so the same
/// detection sent again is a repeat.
///
/// What comes from the event (its computer, channel, time) is whatever the log says: it is made
/// to fit what an alert takes — one printable line of at most 200 characters, a time from 1970
/// to 9999 (else no time) — so that a detection always makes an alert.
pub fn intake_json(hit: &Hit, source: &str) -> Value {
    use sha2::Digest;
    let event: Value = serde_json::from_str(hit.event.get()).unwrap_or(Value::Null);
    let record = match hit.record_id {
        Some(n) => n.to_string(),
        None => hex::encode(&sha2::Sha256::digest(hit.event.get().as_bytes())[..12]),
    };
    let computer = one_line(&hit.computer, 200);
    let channel = one_line(&hit.channel, 200);
    let mut source_ref = format!(
        "{}:{computer}:{channel}:{record}",
        one_line(&hit.rule_id, 64)
    );
    if source_ref.chars().count() > 200 {
        // Still stable for the same detection: the whole reference, hashed.
        let digest = hex::encode(&sha2::Sha256::digest(source_ref.as_bytes())[..16]);
        source_ref = format!("{}:{digest}", one_line(&hit.rule_id, 64));
    }
    let title = one_line(&hit.rule_title, 200);
    let title = if title.is_empty() {
        "Sigma rule matched".to_string()
    } else {
        title
    };
    let date = debrief_domain::Timestamp::parse(&hit.timestamp)
        .ok()
        .map(|t| t.to_string());
    json!({
        "type": "sigma",
        "source": source,
        "sourceRef": source_ref,
        "title": title,
        "description": one_line(&format!(
            "Sigma rule {} ({}) matched event {} in {} on {} — {} record {} (event time: {}).",
            hit.rule_title, hit.rule_id, hit.event_id, channel, computer,
            hit.file.display(), record, hit.timestamp
        ), 60_000),
        "severity": severity(&hit.level),
        "tags": hit.tags.iter().map(|t| one_line(t, 100)).filter(|t| !t.is_empty()).collect::<Vec<_>>(),
        "observables": observables(&event),
        "host": (!computer.is_empty()).then_some(&computer),
        "date": date,
        "rule": {"id": hit.rule_id, "title": hit.rule_title, "level": hit.level},
        "event": event,
    })
}

/// One printable line of at most `max` characters: control characters become spaces.
fn one_line(s: &str, max: usize) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim()
        .to_string()
}

/// One hit as the alert the server stores, from `source`.
pub fn new_alert(hit: &Hit, source: &str) -> Result<NewAlert, Vec<DomainError>> {
    NewAlert::from_json(intake_json(hit, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatever_the_event_says_a_detection_makes_an_alert() {
        let hostile = format!("WS\u{0}\u{1b}[31m{}\u{202e}", "x".repeat(500));
        for (computer, timestamp, channel) in [
            (hostile.as_str(), "1601-01-01T00:00:00Z", "Security"),
            ("WS-7", "not a time", "Chan\nnel"),
            ("", "", ""),
            ("DC1", "2026-11-23T10:00:00.123456Z", &*"c".repeat(400)),
        ] {
            let hit = Hit {
                rule_id: "3b6ab547-8ec2-4991-b9d2-2b06702a48d7".into(),
                rule_title: "t".repeat(300),
                level: "high".into(),
                tags: vec!["attack.t1059".into(), "bad\u{0}tag".into()],
                timestamp: timestamp.into(),
                computer: computer.into(),
                channel: channel.into(),
                event_id: "1".into(),
                record_id: None,
                file: "x.jsonl".into(),
                event: serde_json::value::to_raw_value(&json!({"Computer": computer})).unwrap(),
            };
            let alert = new_alert(&hit, "debrief-events");
            assert!(alert.is_ok(), "{computer:?} {timestamp:?}: {alert:?}");
            // The same detection sent again is the same alert.
            let again = new_alert(&hit, "debrief-events");
            assert_eq!(alert.unwrap().key, again.unwrap().key);
        }
    }

    #[test]
    fn observables_come_from_the_matched_event() {
        let event = json!({
            "Image": "C:\\Windows\\System32\\certutil.exe",
            "DestinationIp": "151.101.0.133",
            "SourceIp": "::1",
            "User": "-",
            "Hashes": "SHA1=B4E581F173F782A2F1DA5D29C95946EE500EB2D0,MD5=42893ADBC36605EC79B5BD610759947E,IMPHASH=40BEC1A4A3BCB7D3089B5E1532386613",
            "QueryName": "evil[.]example",
        });
        let got = observables(&event);
        let kinds: Vec<&str> = got
            .iter()
            .map(|o| o["type"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(kinds, vec!["ipv4", "domain", "filepath", "sha1", "md5"]);
        assert_eq!(got[1]["value"], "evil.example");
    }
}

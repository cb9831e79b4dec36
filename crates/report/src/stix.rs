//! STIX 2.1 export of an incident: a bundle with the producer's identity, the incident (with the
//! OASIS Incident Core Extension), an indicator per indicator-of-compromise observable, the
//! observed data of what was sighted (with its cyber-observable objects), an attack pattern per
//! ATT&CK technique of the attack timeline, the TLP 2.0 marking and a report tying them together. Ids are deterministic (derived from the record) so that
//! exporting the same record twice gives the same objects.

use debrief_domain::observable::ObservableKind;
use debrief_domain::record::Observable;
use debrief_domain::{Incident, Timestamp};
use serde_json::{Value, json};

/// The OASIS Incident Core Extension (cti-stix-common-objects).
pub const INCIDENT_EXTENSION: &str = "extension-definition--ef765651-680c-498d-9894-99799f2fa126";
/// The OASIS TLP 2.0 marking extension.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// Debrief's namespace for UUIDv5 object ids.
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f0c_7f43_2d1e_4b8a_9c55_1d2e_3f4a_5b6c);
/// The namespace STIX fixes for cyber-observable ids.
const SCO_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x00ab_edb4_aa42_466c_9c01_fed2_3315_a9b7);

/// A STIX id for a domain or relationship object: a version-4 UUID (as STIX requires) whose
/// random bits come from a hash of `name`, so the same record exports to the same ids.
fn id(kind: &str, name: &str) -> String {
    let digest = uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes());
    format!(
        "{kind}--{}",
        uuid::Builder::from_random_bytes(*digest.as_bytes()).into_uuid()
    )
}

/// STIX's deterministic id of a cyber-observable: UUIDv5 of its id-contributing properties.
fn sco_id(kind: &str, contributing: &Value) -> String {
    let canonical = debrief_domain::canonical::encode(contributing).unwrap_or_default();
    format!(
        "{kind}--{}",
        uuid::Uuid::new_v5(&SCO_NAMESPACE, canonical.as_bytes())
    )
}

/// STIX timestamps: RFC 3339 in UTC with milliseconds.
fn stamp(t: Timestamp) -> String {
    let s = t.to_string();
    format!("{}Z", &s[..23])
}

/// The TLP 2.0 marking definition of a TLP level, as OASIS publishes it.
pub fn tlp_marking(tlp: &str) -> Value {
    let (id, level) = match tlp {
        "clear" => ("94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
        "green" => ("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
        "amber+strict" => ("939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
        "red" => ("e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
        _ => ("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    };
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": format!("marking-definition--{id}"),
        "created": "2022-10-01T00:00:00.000Z",
        "name": format!("TLP:{}", level.to_uppercase()),
        "extensions": {
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}
        }
    })
}

fn quote(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The cyber-observable object of an observable, when STIX has one for its kind.
fn sco(o: &Observable) -> Option<Value> {
    let v = o.value.as_str();
    let (kind, body) = match o.kind {
        ObservableKind::Ipv4 => ("ipv4-addr", json!({"value": v})),
        ObservableKind::Ipv6 => ("ipv6-addr", json!({"value": v})),
        ObservableKind::Domain | ObservableKind::Hostname => ("domain-name", json!({"value": v})),
        ObservableKind::Url => ("url", json!({"value": v})),
        ObservableKind::Email => ("email-addr", json!({"value": v})),
        ObservableKind::Md5 => ("file", json!({"hashes": {"MD5": v}})),
        ObservableKind::Sha1 => ("file", json!({"hashes": {"SHA-1": v}})),
        ObservableKind::Sha256 => ("file", json!({"hashes": {"SHA-256": v}})),
        ObservableKind::Filename => ("file", json!({"name": v})),
        _ => return None,
    };
    let mut obj = body.clone();
    let m = obj.as_object_mut()?;
    m.insert("type".into(), kind.into());
    m.insert("spec_version".into(), "2.1".into());
    m.insert("id".into(), sco_id(kind, &body).into());
    Some(obj)
}

/// The STIX pattern matching an observable, when STIX has one for its kind.
fn pattern(o: &Observable) -> Option<String> {
    let v = quote(&o.value);
    Some(match o.kind {
        ObservableKind::Ipv4 => format!("[ipv4-addr:value = '{v}']"),
        ObservableKind::Ipv6 => format!("[ipv6-addr:value = '{v}']"),
        ObservableKind::Domain | ObservableKind::Hostname => format!("[domain-name:value = '{v}']"),
        ObservableKind::Url => format!("[url:value = '{v}']"),
        ObservableKind::Email => format!("[email-addr:value = '{v}']"),
        ObservableKind::Md5 => format!("[file:hashes.MD5 = '{v}']"),
        ObservableKind::Sha1 => format!("[file:hashes.'SHA-1' = '{v}']"),
        ObservableKind::Sha256 => format!("[file:hashes.'SHA-256' = '{v}']"),
        ObservableKind::Filename => format!("[file:name = '{v}']"),
        _ => return None,
    })
}

/// The bundle of an incident, as `producer` (the installation's name) exports it at `now`.
pub fn bundle(i: &Incident, producer: &str, now: Timestamp) -> Value {
    let key = i.id.to_string();
    let created = stamp(i.opened_at);
    let modified = stamp(i.updated_at.max(i.opened_at));
    let identity = id("identity", producer);
    let marking = tlp_marking(i.tlp.as_str());
    let marking_id = marking["id"].clone();
    let common = |kind: &str, name: &str| {
        json!({
            "type": kind, "spec_version": "2.1", "id": id(kind, name),
            "created": created, "modified": modified,
            "created_by_ref": identity, "object_marking_refs": [marking_id],
        })
    };
    let mut objects = vec![
        json!({
            "type": "identity", "spec_version": "2.1", "id": identity,
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": producer, "identity_class": "organization",
        }),
        marking.clone(),
    ];
    let closed = i.status.as_str() == "closed";
    let mut incident = common("incident", &format!("{key}/incident"));
    let ext = json!({
        "extension_type": "property-extension",
        "determination": if i.classification.as_ref().is_some_and(|c| c.class == "test") { "false-positive" } else { "confirmed" },
        "investigation_status": if closed { "closed" } else { "open" },
        "criticality": i.severity.as_ref().map_or(0, |s| u32::from(s.level) * 20),
    });
    let mut ext = ext;
    if let (Some(c), Some(m)) = (&i.classification, ext.as_object_mut()) {
        m.insert("incident_types".into(), json!([c.kind]));
    }
    if let Some(m) = incident.as_object_mut() {
        m.insert("name".into(), format!("#{} {}", i.number, i.title).into());
        if !i.summary.trim().is_empty() {
            m.insert("description".into(), i.summary.clone().into());
        }
        m.insert(
            "external_references".into(),
            json!([{"source_name": "debrief", "external_id": format!("#{}", i.number)}]),
        );
        m.insert("extensions".into(), json!({ INCIDENT_EXTENSION: ext }));
    }
    let incident_id = incident["id"].clone();
    objects.push(incident);
    let mut refs = vec![incident_id.clone()];
    for o in &i.observables {
        if o.ioc
            && let Some(p) = pattern(o)
        {
            let mut ind = common("indicator", &format!("{key}/indicator/{}", o.id));
            if let Some(m) = ind.as_object_mut() {
                m.insert(
                    "name".into(),
                    format!("{}: {}", o.kind.as_str(), o.value).into(),
                );
                let description = if o.description.trim().is_empty() {
                    format!("Indicator of compromise recorded in incident #{}", i.number)
                } else {
                    o.description.clone()
                };
                m.insert("description".into(), description.into());
                m.insert("indicator_types".into(), json!(["malicious-activity"]));
                m.insert("pattern".into(), p.into());
                m.insert("pattern_type".into(), "stix".into());
                m.insert(
                    "valid_from".into(),
                    stamp(o.first_seen.unwrap_or(o.added_at)).into(),
                );
            }
            let mut rel = common("relationship", &format!("{key}/related/{}", o.id));
            if let Some(m) = rel.as_object_mut() {
                m.insert("relationship_type".into(), "related-to".into());
                m.insert("source_ref".into(), incident_id.clone());
                m.insert("target_ref".into(), ind["id"].clone());
            }
            refs.push(ind["id"].clone());
            refs.push(rel["id"].clone());
            objects.push(ind);
            objects.push(rel);
        }
        if o.sighted
            && let Some(sco) = sco(o)
        {
            let first = stamp(o.first_seen.unwrap_or(o.added_at));
            let last = stamp(o.last_seen.or(o.first_seen).unwrap_or(o.added_at));
            let mut seen = common("observed-data", &format!("{key}/observed/{}", o.id));
            if let Some(m) = seen.as_object_mut() {
                m.insert("first_observed".into(), first.into());
                m.insert("last_observed".into(), last.into());
                m.insert("number_observed".into(), 1.into());
                m.insert("object_refs".into(), json!([sco["id"].clone()]));
            }
            refs.push(seen["id"].clone());
            if !objects.iter().any(|x| x["id"] == sco["id"]) {
                objects.push(sco);
            }
            objects.push(seen);
        }
    }
    // The ATT&CK techniques of the attack timeline, once each, with the tactics they served.
    let mut techniques: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for e in &i.timeline {
        if let Some(t) = &e.technique {
            let tactics = techniques.entry(t.as_str()).or_default();
            if let Some(tactic) = &e.tactic {
                tactics.insert(tactic.as_str());
            }
        }
    }
    for (technique, tactics) in techniques {
        let mut ap = common("attack-pattern", &format!("mitre-attack/{technique}"));
        if let Some(m) = ap.as_object_mut() {
            m.insert("name".into(), technique.into());
            m.insert(
                "external_references".into(),
                // The id alone: STIX wants a hash with any URL, and the page is no artefact.
                json!([{"source_name": "mitre-attack", "external_id": technique}]),
            );
            if !tactics.is_empty() {
                m.insert(
                    "kill_chain_phases".into(),
                    tactics
                        .iter()
                        .map(|t| json!({"kill_chain_name": "mitre-attack", "phase_name": t}))
                        .collect(),
                );
            }
        }
        let mut rel = common("relationship", &format!("{key}/technique/{technique}"));
        if let Some(m) = rel.as_object_mut() {
            m.insert("relationship_type".into(), "related-to".into());
            m.insert("source_ref".into(), incident_id.clone());
            m.insert("target_ref".into(), ap["id"].clone());
        }
        refs.push(ap["id"].clone());
        refs.push(rel["id"].clone());
        objects.push(ap);
        objects.push(rel);
    }
    let mut report = common("report", &format!("{key}/report"));
    if let Some(m) = report.as_object_mut() {
        m.insert(
            "name".into(),
            format!("Incident #{} {}", i.number, i.title).into(),
        );
        m.insert("report_types".into(), json!(["threat-report"]));
        m.insert("published".into(), stamp(now).into());
        m.insert("object_refs".into(), Value::Array(refs));
    }
    objects.push(report);
    json!({
        "type": "bundle",
        "id": id("bundle", &format!("{key}/{}", i.seq)),
        "objects": objects,
    })
}

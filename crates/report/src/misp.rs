//! MISP event export of an incident: its observables as attributes with MISP's types and
//! categories (indicators of compromise flagged `to_ids`), the TLP and the ENISA reference
//! taxonomy as tags (MISP's `rsit` namespace), the severity as the threat level.

use debrief_domain::Incident;
use debrief_domain::observable::ObservableKind;
use serde_json::{Value, json};

/// MISP's attribute type and category for an observable kind.
fn type_and_category(kind: ObservableKind) -> (&'static str, &'static str) {
    use ObservableKind::*;
    match kind {
        Ipv4 | Ipv6 | Cidr => ("ip-dst", "Network activity"),
        Domain => ("domain", "Network activity"),
        Hostname => ("hostname", "Network activity"),
        Url => ("url", "Network activity"),
        Asn => ("AS", "Network activity"),
        UserAgent => ("user-agent", "Network activity"),
        Email => ("email-src", "Payload delivery"),
        Md5 => ("md5", "Payload delivery"),
        Sha1 => ("sha1", "Payload delivery"),
        Sha256 => ("sha256", "Payload delivery"),
        Filename | Filepath => ("filename", "Payload delivery"),
        Mutex => ("mutex", "Artifacts dropped"),
        RegistryKey => ("regkey", "Persistence mechanism"),
        UserAccount => ("target-user", "Targeting data"),
        Cve => ("vulnerability", "External analysis"),
        Process | Other => ("text", "Other"),
    }
}

/// The MISP event of an incident.
pub fn event(i: &Incident) -> Value {
    let threat_level = match i.severity.as_ref().map(|s| s.level) {
        Some(l) if l >= 3 => "1",
        Some(2) => "2",
        Some(_) => "3",
        None => "4",
    };
    let analysis = match i.status.as_str() {
        "closed" => "2",
        "new" | "triage" => "0",
        _ => "1",
    };
    let mut tags = vec![json!({"name": format!("tlp:{}", i.tlp.as_str())})];
    if let Some(c) = &i.classification {
        tags.push(json!({"name": format!("rsit:{}=\"{}\"", c.class, c.kind)}));
    }
    for t in &i.tags {
        tags.push(json!({"name": t}));
    }
    let attributes: Vec<Value> = i
        .observables
        .iter()
        .map(|o| {
            let (kind, category) = type_and_category(o.kind);
            let comment = if o.description.trim().is_empty() {
                format!("Debrief #{}", i.number)
            } else {
                o.description.clone()
            };
            json!({
                "type": kind,
                "category": category,
                "value": o.value,
                "to_ids": o.ioc,
                "comment": comment,
                "uuid": uuid_for(i, &format!("attribute/{}", o.id)),
            })
        })
        .collect();
    let first = i
        .milestone(debrief_domain::Milestone::Detected)
        .unwrap_or(i.opened_at)
        .to_string();
    json!({"Event": {
        "uuid": uuid_for(i, "event"),
        "info": format!("#{} {}", i.number, i.title),
        "date": &first[..10],
        "threat_level_id": threat_level,
        "analysis": analysis,
        "distribution": "0",
        "published": false,
        "Tag": tags,
        "Attribute": attributes,
    }})
}

/// A stable UUID for a part of an incident's export.
fn uuid_for(i: &Incident, part: &str) -> String {
    let ns = uuid::Uuid::from_u128(0x2d4c_9a10_5b7e_4f3a_8c21_6e9f_0a1b_2c3d);
    uuid::Uuid::new_v5(&ns, format!("{}/{part}", i.id).as_bytes()).to_string()
}

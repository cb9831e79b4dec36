//! TheHive's shapes of Debrief's objects: an alert as TheHive shows one, an incident as a case,
//! observables; TheHive's numbers and labels (severity 1–4, TLP/PAP 0–3, milliseconds).

use debrief_domain::alert::{
    AlertObservable, DismissReason, pap_level, thehive_data_type, tlp_level,
};
use debrief_domain::event::Milestone;
use debrief_domain::record::Observable;
use debrief_domain::triage::{Pap, Tlp};
use debrief_domain::{Incident, Status, Timestamp};
use debrief_store::alerts::Alert;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

const SEVERITY_LABELS: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

pub(super) fn ms(t: Timestamp) -> i64 {
    t.as_micros() / 1_000
}

/// A TheHive date: whole milliseconds since 1970, within the years 1970–9999.
pub(super) fn from_ms(field: &'static str, v: &Value) -> ApiResult<Timestamp> {
    match v.as_i64() {
        Some(ms) => Timestamp::from_unix_millis(field, ms)
            .map_err(|e| ApiError::unprocessable(format!("`{field}` {}", after_field(&e, field)))),
        None => Err(ApiError::unprocessable(format!(
            "`{field}` must be whole milliseconds since 1970, not {v}"
        ))),
    }
}

/// A domain error's text without the field name it starts with.
fn after_field(e: &debrief_domain::DomainError, field: &str) -> String {
    let text = e.to_string();
    text.strip_prefix(field)
        .map(|t| t.trim_start().to_string())
        .unwrap_or(text)
}

pub(super) fn tlp_label(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "CLEAR",
        Tlp::Green => "GREEN",
        Tlp::Amber => "AMBER",
        Tlp::AmberStrict => "AMBER+STRICT",
        Tlp::Red => "RED",
    }
}

pub(super) fn pap_label(p: Pap) -> &'static str {
    match p {
        Pap::Clear => "CLEAR",
        Pap::Green => "GREEN",
        Pap::Amber => "AMBER",
        Pap::Red => "RED",
    }
}

pub(super) fn severity_label(level: u8) -> &'static str {
    SEVERITY_LABELS[usize::from(level.clamp(1, 4) - 1)]
}

/// Drops the `null` members (TheHive leaves absent fields out).
pub(super) fn compact(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    v
}

/// TheHive's alert status and stage for a Debrief alert.
pub(super) fn alert_status(a: &Alert) -> (&'static str, &'static str) {
    use debrief_domain::alert::AlertStatus as S;
    match (a.status, a.dismiss_reason) {
        (S::New, _) => ("New", "New"),
        (S::Acknowledged, _) => ("InProgress", "InProgress"),
        (S::Promoted | S::Merged, _) => ("Imported", "Imported"),
        (S::Dismissed, Some(DismissReason::FalsePositive)) => ("FalsePositive", "Closed"),
        (S::Dismissed, Some(DismissReason::Duplicate)) => ("Duplicated", "Closed"),
        (S::Dismissed, _) => ("Ignored", "Closed"),
    }
}

/// An alert as TheHive shows one.
pub fn alert_json(a: &Alert) -> Value {
    let (status, stage) = alert_status(a);
    let date = a.occurred_at.unwrap_or(a.first_seen);
    let imported = matches!(
        a.status,
        debrief_domain::alert::AlertStatus::Promoted | debrief_domain::alert::AlertStatus::Merged
    );
    compact(json!({
        "_id": a.id,
        "_type": "Alert",
        "_createdBy": a.received_by,
        "_createdAt": ms(a.first_seen),
        "_updatedAt": ms(a.last_seen),
        "type": a.key.kind,
        "source": a.key.source,
        "sourceRef": a.key.source_ref,
        "title": a.title,
        "description": a.description,
        "severity": a.severity,
        "severityLabel": severity_label(a.severity),
        "date": ms(date),
        "tags": a.tags,
        "tlp": tlp_level(a.tlp),
        "tlpLabel": tlp_label(a.tlp),
        "pap": pap_level(a.pap),
        "papLabel": pap_label(a.pap),
        "follow": true,
        "customFields": [],
        "observableCount": a.observables.len(),
        "caseId": a.incident_id.map(|i| i.to_string()),
        "status": status,
        "stage": stage,
        "assignee": a.assignee,
        "extraData": {
            "debrief": {
                "number": a.number,
                "reference": format!("A-{}", a.number),
                "status": a.status.as_str(),
                "occurrences": a.occurrences,
                "firstSeen": a.first_seen.to_string(),
                "lastSeen": a.last_seen.to_string(),
                "host": a.host,
                "groupedRefs": a.grouped_refs,
            }
        },
        "newDate": ms(a.first_seen),
        "inProgressDate": a.acknowledged_at.map(ms),
        "closedDate": a.closed_at.map(ms),
        "importedDate": if imported { a.closed_at.map(ms) } else { None },
        "timeToDetect": (ms(a.first_seen) - ms(date)).max(0),
        "timeToAcknowledge": a.acknowledged_at.map(|t| ms(t) - ms(a.first_seen)),
    }))
}

/// TheHive's severity (1–4) of an incident: its assessed level 0–5 folded onto four; medium
/// while it has not been assessed.
pub(super) fn case_severity(i: &Incident) -> u8 {
    match i.severity.as_ref().map(|a| a.level) {
        None => 2,
        Some(0 | 1) => 1,
        Some(2) => 2,
        Some(3) => 3,
        Some(_) => 4,
    }
}

/// TheHive's case status and stage for an incident.
pub(super) fn case_status(i: &Incident) -> (&'static str, &'static str) {
    match i.status {
        Status::New => ("New", "New"),
        Status::Closed => ("Other", "Closed"),
        _ => ("InProgress", "InProgress"),
    }
}

/// An incident as TheHive shows a case.
pub fn case_json(i: &Incident) -> Value {
    let (status, stage) = case_status(i);
    let start = i.milestone(Milestone::Detected).unwrap_or(i.opened_at);
    let closed = (i.status == Status::Closed).then_some(i.updated_at);
    compact(json!({
        "_id": i.id.to_string(),
        "_type": "Case",
        "_createdBy": i.opened_by,
        "_createdAt": ms(i.opened_at),
        "_updatedAt": ms(i.updated_at),
        "number": i.number,
        "title": i.title,
        "description": i.summary,
        "severity": case_severity(i),
        "severityLabel": severity_label(case_severity(i)),
        "startDate": ms(start),
        "endDate": closed.map(ms),
        "tags": i.tags,
        "flag": false,
        "tlp": tlp_level(i.tlp),
        "tlpLabel": tlp_label(i.tlp),
        "pap": pap_level(i.pap),
        "papLabel": pap_label(i.pap),
        "status": status,
        "stage": stage,
        "assignee": i.assignee,
        "access": {"kind": "OrganisationWide"},
        "customFields": [],
        "extraData": {
            "debrief": {
                "reference": format!("#{}", i.number),
                "status": i.status.as_str(),
                "seq": i.seq,
                "classification": i.classification,
            }
        },
        "newDate": ms(i.opened_at),
        "closedDate": closed.map(ms),
        "timeToDetect": (ms(i.opened_at) - ms(start)).max(0),
    }))
}

/// An incident's observable as TheHive shows one.
pub(super) fn case_observable_json(i: &Incident, o: &Observable) -> Value {
    let tlp = o.tlp.unwrap_or(i.tlp);
    compact(json!({
        "_id": format!("{}-{}", i.id, o.id),
        "_type": "Observable",
        "_createdBy": o.added_by,
        "_createdAt": ms(o.added_at),
        "dataType": thehive_data_type(o.kind),
        "data": o.value,
        "startDate": ms(o.first_seen.unwrap_or(o.added_at)),
        "tlp": tlp_level(tlp),
        "tlpLabel": tlp_label(tlp),
        "pap": pap_level(i.pap),
        "papLabel": pap_label(i.pap),
        "tags": [],
        "ioc": o.ioc,
        "sighted": o.sighted,
        "reports": {},
        "message": if o.description.is_empty() { None } else { Some(&o.description) },
        "extraData": {"debrief": {"kind": o.kind.as_str(), "incident": format!("#{}", i.number)}},
        "ignoreSimilarity": false,
        "external": false,
    }))
}

/// An alert's observable as TheHive shows one.
pub(super) fn alert_observable_json(a: &Alert, index: usize, o: &AlertObservable) -> Value {
    json!({
        "_id": format!("{}-{index}", a.id),
        "_type": "Observable",
        "_createdBy": a.received_by,
        "_createdAt": ms(a.first_seen),
        "dataType": thehive_data_type(o.kind),
        "data": o.value,
        "startDate": ms(a.first_seen),
        "tlp": tlp_level(a.tlp),
        "tlpLabel": tlp_label(a.tlp),
        "pap": pap_level(a.pap),
        "papLabel": pap_label(a.pap),
        "tags": [],
        "ioc": false,
        "sighted": false,
        "reports": {},
        "extraData": {"debrief": {"kind": o.kind.as_str(), "alert": format!("A-{}", a.number)}},
        "ignoreSimilarity": false,
        "external": false,
    })
}

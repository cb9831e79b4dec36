//! Incidents, their attack timelines, observables and recommendations as CSV tables for
//! spreadsheets: one row per incident, timeline entry, observable or recommendation, each
//! naming its incident's number, times in RFC 3339 (UTC).

use debrief_domain::{Incident, Milestone, Timestamp};

use crate::ReportError;

/// The tables Debrief writes as CSV.
pub const TABLES: &[&str] = &["incidents", "timeline", "observables", "recommendations"];

fn t(ts: Option<Timestamp>) -> String {
    ts.map(|t| t.to_string()).unwrap_or_default()
}

/// Writes `table` of `incidents` (in the order given) as CSV.
pub fn table(name: &str, incidents: &[&Incident]) -> Result<String, ReportError> {
    if !TABLES.contains(&name) {
        return Err(ReportError::UnknownTable(name.to_string()));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let bad = |e: csv::Error| ReportError::Csv(e.to_string());
    match name {
        "incidents" => {
            w.write_record([
                "number",
                "title",
                "status",
                "class",
                "type",
                "severity",
                "tlp",
                "tags",
                "assignee",
                "opened_at",
                "started_at",
                "detected_at",
                "acknowledged_at",
                "contained_at",
                "recovered_at",
                "closed_at",
                "summary",
            ])
            .map_err(bad)?;
            for i in incidents {
                let m = |x| t(i.milestone(x));
                let class = i.classification.as_ref();
                w.write_record([
                    i.number.to_string(),
                    i.title.clone(),
                    i.status.as_str().to_string(),
                    class.map(|c| c.class.clone()).unwrap_or_default(),
                    class.map(|c| c.kind.clone()).unwrap_or_default(),
                    i.severity
                        .as_ref()
                        .map(|s| s.level.to_string())
                        .unwrap_or_default(),
                    i.tlp.as_str().to_string(),
                    i.tags.join(";"),
                    i.assignee.clone().unwrap_or_default(),
                    i.opened_at.to_string(),
                    m(Milestone::Started),
                    m(Milestone::Detected),
                    m(Milestone::Acknowledged),
                    m(Milestone::Contained),
                    m(Milestone::Recovered),
                    m(Milestone::Closed),
                    i.summary.clone(),
                ])
                .map_err(bad)?;
            }
        }
        "timeline" => {
            w.write_record(["incident", "id", "occurred_at", "technique", "description"])
                .map_err(bad)?;
            for i in incidents {
                for e in &i.timeline {
                    w.write_record([
                        i.number.to_string(),
                        e.id.to_string(),
                        e.occurred_at.to_string(),
                        e.technique
                            .as_ref()
                            .map(|x| x.as_str().to_string())
                            .unwrap_or_default(),
                        e.description.clone(),
                    ])
                    .map_err(bad)?;
                }
            }
        }
        "observables" => {
            w.write_record(["incident", "kind", "value", "ioc", "sighted", "description"])
                .map_err(bad)?;
            for i in incidents {
                for o in &i.observables {
                    w.write_record([
                        i.number.to_string(),
                        o.kind.as_str().to_string(),
                        o.value.clone(),
                        o.ioc.to_string(),
                        o.sighted.to_string(),
                        o.description.clone(),
                    ])
                    .map_err(bad)?;
                }
            }
        }
        _ => {
            w.write_record(["incident", "id", "action", "type", "owner", "due", "status"])
                .map_err(bad)?;
            for i in incidents {
                for r in &i.recommendations {
                    w.write_record([
                        i.number.to_string(),
                        r.id.to_string(),
                        r.action.clone(),
                        r.kind.as_str().to_string(),
                        r.owner.clone().unwrap_or_default(),
                        r.due.to_string(),
                        r.status.as_str().to_string(),
                    ])
                    .map_err(bad)?;
                }
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}

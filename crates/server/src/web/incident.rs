//! An incident's page (`/incidents/42`): its head, key times, record and forms, who may see it,
//! who read it, and its journal in the reader's words — rendered from the typed `IncidentPage`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_app::AppError;
use debrief_domain::{Action, IncidentId, Language, Milestone, MilestoneSource, Role};

use super::WebUser;
use super::pages::{app_error, may, render_view, resolve_number};
use crate::AppState;
use crate::i18n::t;

pub(super) async fn incident_page(
    state: &AppState,
    user: &WebUser,
    id: IncidentId,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let who = user.caller();
    let (incident, journal) = match (
        state.app.incident_by_id(&who, id).await,
        state.app.journal(&who, id).await,
    ) {
        (Ok(i), Ok(j)) => (i, j),
        (Err(e), _) | (_, Err(e)) => return app_error(user, e),
    };
    let intact = crate::api::incidents::chain_intact(state, id)
        .await
        .unwrap_or_default();
    let u = &user.principal.user;
    let can_work = may(user, Action::WorkIncident(&incident)).is_ok();
    let can_assign = u.role == Role::Manager;
    let can_take = u.role == Role::Handler && incident.assignee.is_none();
    let mut assignable = Vec::new();
    if can_assign {
        match state.app.assignees().await {
            Ok(a) => assignable = a,
            Err(e) => return app_error(user, e),
        }
    }
    let milestones = Milestone::ALL
        .iter()
        .map(|m| match incident.milestones.get(m) {
            Some(v) => {
                let (how, source, entry) = match &v.source {
                    MilestoneSource::Derived { seq } => ("derived", String::new(), Some(*seq)),
                    MilestoneSource::Stated { seq, source } => {
                        ("stated", source.clone(), Some(*seq))
                    }
                };
                MilestoneRow {
                    name: m.as_str(),
                    at: Some(v.at.to_string()),
                    how,
                    source,
                    entry,
                }
            }
            None => MilestoneRow {
                name: m.as_str(),
                at: None,
                how: "",
                source: String::new(),
                entry: None,
            },
        })
        .collect();
    let rows = journal
        .iter()
        .rev()
        .map(|e| {
            let (what, reason) = super::describe::describe(user.lang, &user.zone, e);
            let actor = if e.author_hidden() {
                crate::i18n::t(user.lang, "pm-anonymous", &[])
            } else {
                e.actor.clone()
            };
            JournalRow {
                seq: e.seq,
                recorded_at: e.recorded_at.to_string(),
                actor,
                what,
                reason,
                hash: e.hash.to_hex(),
            }
        })
        .collect();
    // Who read this incident's reports, exports and evidence — and, restricted, the incident
    // itself (managers and admins; a restricted incident's team too).
    let access_log = match state
        .app
        .access_log(
            &user.caller(),
            debrief_store::access::AccessScope::Incident(id),
            20,
        )
        .await
    {
        Ok(reads) => Some(
            reads
                .iter()
                .map(|r| ReadRow {
                    at: r.at.to_string(),
                    actor: r.actor.clone(),
                    action: r.action.clone(),
                    what: read_in_words(user.lang, r),
                    address: r.address.clone(),
                })
                .collect(),
        ),
        Err(AppError::Denied(_)) => None,
        Err(e) => return app_error(user, e),
    };
    // Need-to-know: who the team is, who was given access, and whether this reader decides it.
    let mut team: Vec<String> = std::iter::once(incident.opened_by.clone())
        .chain(incident.assignee.clone())
        .chain(incident.members.iter().map(|m| m.user.clone()))
        .collect();
    team.sort();
    team.dedup();
    let grants = incident
        .grants
        .iter()
        .map(|g| match g {
            debrief_domain::access::Grantee::User(u) => GrantRow {
                id: g.to_string(),
                name: u.as_str().to_string(),
                group: false,
            },
            debrief_domain::access::Grantee::Group(n) => GrantRow {
                id: g.to_string(),
                name: n.as_str().to_string(),
                group: true,
            },
        })
        .collect();
    let record = match super::record_view::record_view(state, user, &incident).await {
        Ok(record) => record,
        Err(e) => return app_error(user, e),
    };
    let frame = super::Frame::page(user, "incidents", error);
    let view = IncidentPage {
        frame,
        incident: IncidentHead {
            number: incident.number,
            seq: incident.seq,
            title: incident.title.clone(),
            summary: incident.summary.clone(),
            reporter: incident.reporter.clone(),
            detection_source: incident.detection_source.clone(),
            status: incident.status.as_str(),
            assignee: incident.assignee.clone(),
            opened_at: incident.opened_at.to_string(),
            opened_by: incident.opened_by.clone(),
            updated_at: incident.updated_at.to_string(),
            allowed_transitions: incident
                .status
                .allowed_next()
                .iter()
                .map(|s| s.as_str())
                .collect(),
        },
        milestones,
        journal: rows,
        intact,
        head: journal.last().map(|e| e.hash.to_hex()),
        access_log,
        can_work,
        can_assign,
        access: AccessView {
            restricted: incident.restricted,
            team,
            grants,
        },
        can_manage_access: may(user, Action::ManageAccess(&incident)).is_ok(),
        can_take,
        assignable,
        record,
    };
    render_view("incident.html", status, &view)
}

/// What the incident page shows: its frame, the incident's head, its key times, its journal,
/// who read it, who may see it, and its record with the forms' choices.
#[derive(Debug, serde::Serialize)]
struct IncidentPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    incident: IncidentHead,
    milestones: Vec<MilestoneRow>,
    journal: Vec<JournalRow>,
    intact: bool,
    /// The hash of the journal's last entry.
    head: Option<String>,
    /// Who read the incident; `None` for a reader who may not see that.
    access_log: Option<Vec<ReadRow>>,
    can_work: bool,
    can_assign: bool,
    access: AccessView,
    can_manage_access: bool,
    can_take: bool,
    /// Who a manager may assign the incident to.
    assignable: Vec<String>,
    #[serde(flatten)]
    record: super::record_view::RecordView<'a>,
}

#[derive(Debug, serde::Serialize)]
struct IncidentHead {
    number: i64,
    /// Its last journal entry: the edit form sends it back, so that an edit of a page someone
    /// else has changed since is refused.
    seq: u64,
    title: String,
    summary: String,
    reporter: String,
    detection_source: String,
    status: &'static str,
    assignee: Option<String>,
    opened_at: String,
    opened_by: String,
    updated_at: String,
    allowed_transitions: Vec<&'static str>,
}

/// A key time: stated (with its source), derived from a journal entry, or not known.
#[derive(Debug, serde::Serialize)]
struct MilestoneRow {
    name: &'static str,
    at: Option<String>,
    /// `stated`, `derived` or empty.
    how: &'static str,
    source: String,
    entry: Option<u64>,
}

#[derive(Debug, serde::Serialize)]
struct JournalRow {
    seq: u64,
    recorded_at: String,
    actor: String,
    what: String,
    reason: String,
    hash: String,
}

/// One read of the incident's reports, exports or evidence.
#[derive(Debug, serde::Serialize)]
struct ReadRow {
    at: String,
    actor: String,
    action: String,
    what: String,
    address: String,
}

#[derive(Debug, serde::Serialize)]
struct AccessView {
    restricted: bool,
    team: Vec<String>,
    grants: Vec<GrantRow>,
}

#[derive(Debug, serde::Serialize)]
struct GrantRow {
    id: String,
    name: String,
    group: bool,
}

pub async fn incident(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
) -> Response {
    match resolve_number(&state, &user, &number).await {
        Ok(id) => incident_page(&state, &user, id, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// A read of the access log in the reader's language: the document (its kind, format and
/// language) and the journal entry it reflects, or the evidence file.
fn read_in_words(lang: Language, r: &debrief_store::access::AccessRecord) -> String {
    let mut parts = Vec::new();
    match r.action.as_str() {
        "evidence" => parts.push(r.what.trim_start_matches("evidence ").to_string()),
        "read" => {}
        "break-glass" => parts.push(r.what.trim_start_matches("break-glass: ").to_string()),
        "lead-told" => {
            // `what` is "NAME: how: detail"; the name and the relay's own detail are data, the
            // rest is said in the reader's words.
            let mut fields = r.what.splitn(3, ": ");
            let to = fields.next().unwrap_or_default().to_string();
            let detail = fields.nth(1).unwrap_or_default();
            let outcome = if r.format.is_empty() {
                "not-told"
            } else {
                r.format.as_str()
            };
            parts.push(t(lang, &format!("access-told-{outcome}"), &[("to", to)]));
            if matches!(outcome, "delivered" | "not-delivered") && !detail.is_empty() {
                parts.push(detail.to_string());
            }
        }
        _ => {
            let (kind, table) = match r.kind.split_once('-') {
                Some(("csv", table)) => ("csv", Some(table)),
                _ => (r.kind.as_str(), None),
            };
            parts.push(t(lang, &format!("rep-kind-{kind}"), &[]));
            if let Some(table) = table {
                parts.push(t(lang, &format!("access-table-{table}"), &[]));
            }
            if !r.format.is_empty() {
                parts.push(t(lang, &format!("access-format-{}", r.format), &[]));
            }
            if !r.lang.is_empty() {
                parts.push(t(lang, &format!("access-lang-{}", r.lang), &[]));
            }
        }
    }
    if let Some(entry) = r.entry {
        parts.push(t(lang, "access-entry", &[("entry", entry.to_string())]));
    }
    parts.join(" · ")
}

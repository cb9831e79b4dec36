//! The API's request and response bodies (and their OpenAPI schemas). Requests reject unknown
//! fields; responses are plain views of domain values.

use debrief_domain::journal::ChainBreak;
use debrief_domain::{Incident, JournalEntry, Milestone, MilestoneSource, Role, Status};
use debrief_store::accounts::User;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub backend: String,
}

/// A key timestamp with its provenance.
#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneView {
    /// `started_at`, `detected_at`, … (see the README).
    pub name: String,
    /// UTC, RFC 3339 with microseconds.
    pub at: String,
    pub set_by: String,
    /// `derived` from a transition or the opening, or `stated` from evidence.
    pub how: String,
    /// The evidence a stated time rests on.
    pub source: Option<String>,
    /// The journal entry that set it.
    pub entry: u64,
}

/// An incident's current state.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub summary: String,
    pub reporter: String,
    pub detection_source: String,
    /// `new`, `triage`, `investigating`, `contained`, `eradicated`, `recovered` or `closed`.
    pub status: String,
    pub assignee: Option<String>,
    pub opened_at: String,
    pub opened_by: String,
    pub updated_at: String,
    /// The last journal entry's sequence number: send it back as `expected_seq` to update safely.
    pub seq: u64,
    pub milestones: Vec<MilestoneView>,
    /// The statuses this incident may move to next.
    pub allowed_transitions: Vec<String>,
    /// Reference taxonomy class and type.
    pub classification: Option<ClassificationView>,
    /// The latest severity assessment, with its reasons.
    #[schema(value_type = Option<Object>)]
    pub severity: Option<debrief_domain::triage::Assessment>,
    /// TLP 2.0: `red`, `amber+strict`, `amber`, `green`, `clear`.
    pub tlp: String,
    /// PAP: `red`, `amber`, `green`, `clear`.
    pub pap: String,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub scope: debrief_domain::triage::Scope,
    pub members: Vec<MemberView>,
    /// Restricted to its team: who declared it, its lead, its members and `grants`.
    pub restricted: bool,
    /// The people (`user:NAME`) and groups (`group:NAME`) given access.
    pub grants: Vec<String>,
    pub observable_count: usize,
    pub timeline_count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassificationView {
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user: String,
    /// `lead`, `handler`, `communications`, `legal` or `scribe`.
    pub role: String,
    pub since: String,
}

impl From<&Incident> for IncidentView {
    fn from(i: &Incident) -> Self {
        IncidentView {
            id: i.id.to_string(),
            number: i.number,
            title: i.title.clone(),
            summary: i.summary.clone(),
            reporter: i.reporter.clone(),
            detection_source: i.detection_source.clone(),
            status: i.status.to_string(),
            assignee: i.assignee.clone(),
            opened_at: i.opened_at.to_string(),
            opened_by: i.opened_by.clone(),
            updated_at: i.updated_at.to_string(),
            seq: i.seq,
            milestones: Milestone::ALL
                .iter()
                .filter_map(|m| {
                    let v = i.milestones.get(m)?;
                    let (how, source, entry) = match &v.source {
                        MilestoneSource::Derived { seq } => ("derived", None, *seq),
                        MilestoneSource::Stated { seq, source } => {
                            ("stated", Some(source.clone()), *seq)
                        }
                    };
                    Some(MilestoneView {
                        name: m.as_str().into(),
                        at: v.at.to_string(),
                        set_by: v.set_by.clone(),
                        how: how.into(),
                        source,
                        entry,
                    })
                })
                .collect(),
            allowed_transitions: i
                .status
                .allowed_next()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            classification: i.classification.as_ref().map(|c| ClassificationView {
                class: c.class.clone(),
                kind: c.kind.clone(),
            }),
            severity: i.severity.clone(),
            tlp: i.tlp.to_string(),
            pap: i.pap.to_string(),
            tags: i.tags.clone(),
            scope: i.scope.clone(),
            restricted: i.restricted,
            grants: i.grants.iter().map(ToString::to_string).collect(),
            members: i
                .members
                .iter()
                .map(|m| MemberView {
                    user: m.user.clone(),
                    role: m.role.to_string(),
                    since: m.since.to_string(),
                })
                .collect(),
            observable_count: i.observables.len(),
            timeline_count: i.timeline.len(),
        }
    }
}

/// One page of incidents, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    pub items: Vec<IncidentView>,
    /// How many incidents match the filters on all pages.
    pub total: u64,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Filters for listing incidents.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses, e.g. `triage,investigating`.
    pub status: Option<String>,
    /// Text the title must contain (case-insensitive).
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<u32>,
    /// Only incidents assessed at this severity level (0–5) or above.
    pub severity: Option<u8>,
    /// Only this taxonomy class, e.g. `fraud`.
    pub class: Option<String>,
    /// Only incidents assigned to this user.
    pub assignee: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub detection_source: String,
    /// When it was first detected, if before now (RFC 3339 with offset).
    pub detected_at: Option<String>,
    /// Only its team may see it (need-to-know): who declares it, its lead, its members and
    /// the people and groups given access.
    #[serde(default)]
    pub restricted: bool,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncident {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub reporter: Option<String>,
    pub detection_source: Option<String>,
    #[serde(default)]
    pub reason: String,
    /// The `seq` you read; if the incident moved on since, the answer is 409 and nothing changes.
    pub expected_seq: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The status to move to.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub to: Status,
    /// Required to close early, go back, or reopen.
    #[serde(default)]
    pub reason: String,
    pub expected_seq: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// A user name, or `null` to release the incident.
    pub assignee: Option<String>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneRequest {
    /// `started_at`, `detected_at`, `acknowledged_at`, `declared_at`, `aware_at`, `contained_at`, `eradicated_at`, `recovered_at` or `closed_at`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub milestone: Milestone,
    /// RFC 3339 with an offset.
    pub at: String,
    /// What establishes this time (a log, a forensic report…).
    pub source: String,
    #[serde(default)]
    pub reason: String,
}

/// A journal entry exactly as hashed (see docs/journal.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub incident: String,
    pub seq: u64,
    pub recorded_at: String,
    pub actor: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
    pub gseq: u64,
    pub ledger_prev: String,
    pub ledger_hash: String,
}

impl From<&JournalEntry> for EntryView {
    fn from(e: &JournalEntry) -> Self {
        EntryView {
            incident: e.incident.to_string(),
            seq: e.seq,
            recorded_at: e.recorded_at.to_string(),
            actor: e.actor.clone(),
            kind: e.kind.clone(),
            payload: e.payload.clone(),
            prev_hash: e.prev_hash.to_hex(),
            hash: e.hash.to_hex(),
            gseq: e.gseq,
            ledger_prev: e.ledger_prev.to_hex(),
            ledger_hash: e.ledger_hash.to_hex(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakView {
    pub seq: Option<u64>,
    pub gseq: Option<u64>,
    pub problem: String,
}

impl From<&ChainBreak> for BreakView {
    fn from(b: &ChainBreak) -> Self {
        BreakView {
            seq: b.seq,
            gseq: b.gseq,
            problem: b.problem.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub intact: bool,
    pub entries: usize,
    pub head_hash: Option<String>,
    pub breaks: Vec<BreakView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    /// `admin`, `manager`, `handler` or `viewer`.
    pub role: String,
    /// `en`, `fr`, or absent to follow the browser.
    pub language: Option<String>,
    /// The IANA time zone they read and type times in, or absent for the installation's.
    pub timezone: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            username: u.username.to_string(),
            display_name: u.display_name.clone(),
            role: u.role.to_string(),
            language: u.language.map(|l| l.as_str().to_string()),
            timezone: u.timezone.as_ref().map(|z| z.name().to_string()),
            disabled: u.disabled,
            created_at: u.created_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub role: Role,
    /// At least 12 characters; omit to have one generated and returned once.
    pub password: Option<String>,
    /// `en` or `fr`; absent or empty to follow the browser.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub language: Option<debrief_domain::Language>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: UserView,
    /// The generated password, shown only in this answer.
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// `en`, `fr`, or an empty string to follow the browser.
    #[serde(default, deserialize_with = "crate::de::setting")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<debrief_domain::Language>>,
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// `en`, `fr`, or an empty string to follow the browser.
    #[serde(default, deserialize_with = "crate::de::setting")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<debrief_domain::Language>>,
    /// An IANA time zone (`Europe/Paris`) the pages show times in and read typed times in;
    /// empty for the installation's.
    pub timezone: Option<String>,
}

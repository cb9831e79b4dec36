//! The forms of the incident record (triage, observables, evidence, attack timeline) and the
//! full-text search page; the record as the page shows it is `record_view.rs`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::DateAlone;
use debrief_domain::evidence::CustodyAction;
use debrief_domain::observable::ObservableKind;
use debrief_domain::record::{NewTimelineEntry, ObservableFlags};
use debrief_domain::timeline::{Precision, TimelineSource};
use debrief_domain::triage::IncidentRole;
use debrief_domain::triage::{FunctionalImpact, InformationImpact, Pap, Recoverability, Tlp};
use debrief_domain::work::Compromise;
use debrief_domain::{DomainError, Timestamp};
use serde::{Deserialize, Serialize};

use super::WebUser;
use super::form::{WebForm, choice, comma_list, maybe};
use super::pages::{act_many, render_view};
use crate::AppState;
use crate::api::incidents::Need;

#[derive(Debug, Deserialize)]
pub struct ClassifyForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    classification: String,
}

pub async fn classify(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ClassifyForm>,
) -> Response {
    // A sub-type (`subtype:ransomware`) classifies by its class and type and tags the incident.
    if let Some(sub) = f.classification.strip_prefix("subtype:") {
        return act_many(
            &state,
            &user,
            &number,
            &f.csrf,
            Need::Work,
            |i| i.classify_subtype(sub, "", "", ""),
            "#triage",
        )
        .await;
    }
    let (class, kind) = f
        .classification
        .split_once('/')
        .unwrap_or((&f.classification, ""));
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| i.classify(class, kind, "").map(|e| vec![e]),
        "#triage",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct SeverityForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(deserialize_with = "choice")]
    functional: FunctionalImpact,
    #[serde(deserialize_with = "choice")]
    information: InformationImpact,
    #[serde(deserialize_with = "choice")]
    recoverability: Recoverability,
}

pub async fn severity(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<SeverityForm>,
) -> Response {
    let matrix = state.config.severity.clone();
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            i.assess(&matrix, f.functional, f.information, f.recoverability, "")
                .map(|e| vec![e])
        },
        "#triage",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct MarkingsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "maybe")]
    tlp: Option<Tlp>,
    #[serde(default, deserialize_with = "maybe")]
    pap: Option<Pap>,
}

pub async fn markings(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<MarkingsForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| i.set_markings(f.tlp, f.pap).map(|e| vec![e]),
        "#triage",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct TagsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    tags: String,
}

pub async fn tags(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<TagsForm>,
) -> Response {
    let wanted: Vec<String> = f.tags.split(',').map(str::to_string).collect();
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let wanted = debrief_domain::triage::clean_tags(&wanted)?;
            let remove: Vec<String> = i
                .tags
                .iter()
                .filter(|t| !wanted.contains(t))
                .cloned()
                .collect();
            i.change_tags(&wanted, &remove).map(|e| vec![e])
        },
        "#triage",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct PasteForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    text: String,
    ioc: Option<String>,
    #[serde(default, deserialize_with = "maybe")]
    kind: Option<ObservableKind>,
}

pub async fn paste(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<PasteForm>,
) -> Response {
    let flags = ObservableFlags {
        ioc: f.ioc.is_some(),
        ..Default::default()
    };
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            if let Some(kind) = f.kind {
                return i.add_observable(kind, &f.text, &flags).map(|e| vec![e]);
            }
            // A single value that extraction does not recognise is kept as `other`.
            let (events, known) = i.add_observables_from_text(&f.text, &flags)?;
            if events.is_empty()
                && known == 0
                && !f.text.trim().is_empty()
                && !f.text.trim().contains(char::is_whitespace)
            {
                return i
                    .add_observable(ObservableKind::Other, &f.text, &flags)
                    .map(|e| vec![e]);
            }
            Ok(events)
        },
        "#observables",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct TimelineForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(deserialize_with = "choice")]
    precision: Precision,
    #[serde(deserialize_with = "choice")]
    source: TimelineSource,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tactic: String,
    #[serde(default)]
    technique: String,
}

pub async fn timeline(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<TimelineForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let entry = NewTimelineEntry {
                occurred_at: user
                    .zone
                    .read("occurred_at", &f.occurred_at, DateAlone::Refused)?,
                precision: f.precision,
                description: f.description.clone(),
                source: f.source,
                technique: Some(f.technique.clone()),
                tactic: Some(f.tactic.clone()),
                observables: vec![],
                assets: vec![],
            };
            i.add_timeline(&entry).map(|e| vec![e])
        },
        "#timeline",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// A piece of a search hit's snippet: the words that matched are highlighted.
#[derive(Debug, PartialEq, Serialize)]
struct Part<'a> {
    text: &'a str,
    hit: bool,
}

/// Splits a snippet marked with « » into parts the template escapes and highlights.
fn parts(snippet: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = snippet;
    while let Some(start) = rest.find('«') {
        out.push(Part {
            text: &rest[..start],
            hit: false,
        });
        let after = &rest[start + '«'.len_utf8()..];
        let end = after.find('»').unwrap_or(after.len());
        out.push(Part {
            text: &after[..end],
            hit: true,
        });
        rest = after.get(end + '»'.len_utf8()..).unwrap_or("");
    }
    out.push(Part {
        text: rest,
        hit: false,
    });
    out
}

/// The search page: what was asked and the incidents it was found in.
#[derive(Debug, Serialize)]
struct SearchPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    q: &'a str,
    hits: Vec<HitRow<'a>>,
}

#[derive(Debug, Serialize)]
struct HitRow<'a> {
    number: i64,
    title: &'a str,
    /// Where it matched, by name: "Timeline 3", "Chronologie 3".
    field: String,
    parts: Vec<Part<'a>>,
}

pub async fn search(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<SearchQuery>,
) -> Response {
    let hits = if q.q.trim().is_empty() {
        Vec::new()
    } else {
        let caller = user.caller();
        match state.app.search(&caller, &q.q, 100).await {
            Ok(h) => h,
            Err(e) => return super::pages::app_error(&user, e),
        }
    };
    let frame = super::Frame::page(&user, "search", None);
    let hits = hits
        .iter()
        .map(|h| {
            let (part, id) = h.field.split_once(':').unwrap_or((&h.field, ""));
            let name = crate::i18n::t(user.lang, &format!("search-field-{part}"), &[]);
            HitRow {
                number: h.number,
                title: &h.title,
                field: if id.is_empty() {
                    name
                } else {
                    format!("{name} {id}")
                },
                parts: parts(&h.snippet),
            }
        })
        .collect();
    render_view(
        "search.html",
        StatusCode::OK,
        &SearchPage {
            frame,
            q: &q.q,
            hits,
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn snippet_parts_mark_hits() {
        let p = super::parts("a «b» c «d»");
        let hits: Vec<bool> = p.iter().map(|v| v.hit).collect();
        assert_eq!(hits, vec![false, true, false, true, false]);
        assert_eq!(p[1].text, "b");
    }
}

pub async fn upload_evidence(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    use crate::api::evidence::read_upload;
    let id = match super::pages::resolve_number(&state, &user, &number).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let blobs = debrief_store::blobs::BlobStore::of(&state.config.evidence_dir, &state.store);
    let upload = match read_upload(
        &blobs,
        state.config.evidence_max_bytes,
        form,
        Some(user.csrf()),
    )
    .await
    {
        Ok(u) => u,
        Err(e) => {
            return super::pages::incident_page(&state, &user, id, Some(e.detail), e.status).await;
        }
    };
    let new = match upload.to_new(user.principal.user.username.as_str(), Some(&user.zone)) {
        Ok(n) => n,
        Err(e) => {
            return super::pages::incident_page(&state, &user, id, Some(e.detail), e.status).await;
        }
    };
    act_many(
        &state,
        &user,
        &number,
        &upload.csrf,
        Need::Work,
        |i| i.add_evidence(&new).map(|e| vec![e]),
        "#evidence",
    )
    .await
}

pub async fn download_evidence(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, eid)): Path<(String, u64)>,
) -> Response {
    let id = match super::pages::resolve_number(&state, &user, &number).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let incident = match super::pages::incident_for(&state, &user, id).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(e) = incident.evidence.iter().find(|e| e.id == eid) else {
        return super::error_page(
            user.lang,
            Some(&user),
            StatusCode::NOT_FOUND,
            "error-not-found",
            &format!("#{number} has no evidence {eid}"),
        );
    };
    let reader = crate::api::reports::Reader::of(&user.principal);
    match crate::api::evidence::send_file(&state, &reader, &incident, e).await {
        Ok(r) => r,
        Err(err) => super::error_page(
            user.lang,
            Some(&user),
            err.status,
            "error-evidence-refused",
            &err.detail,
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct CustodyForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(deserialize_with = "choice")]
    action: CustodyAction,
    #[serde(default)]
    to: String,
    #[serde(default)]
    location: String,
    /// When it was handed over (local time); now when empty.
    #[serde(default)]
    at: String,
}

pub async fn custody(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, eid)): Path<(String, u64)>,
    WebForm(f): WebForm<CustodyForm>,
) -> Response {
    let from = user.principal.user.username.to_string();
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let action = f.action;
            let from = i
                .evidence
                .iter()
                .find(|e| e.id == eid)
                .and_then(|e| e.custody.last())
                .map_or(from.clone(), |c| c.to.clone());
            let at = match f.at.trim() {
                "" => Timestamp::now(),
                a => user.zone.read("at", a, DateAlone::Refused)?,
            };
            i.record_custody(eid, action, at, &from, &f.to, &f.location, "")
                .map(|e| vec![e])
        },
        "#evidence",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ScopeForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "comma_list")]
    business_units: Vec<String>,
    #[serde(default, deserialize_with = "comma_list")]
    sites: Vec<String>,
    #[serde(default, deserialize_with = "comma_list")]
    systems: Vec<String>,
}

pub async fn scope(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ScopeForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            i.set_scope(&f.business_units, &f.sites, &f.systems)
                .map(|e| vec![e])
        },
        "#triage",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(deserialize_with = "choice")]
    role: IncidentRole,
}

pub async fn member(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<MemberForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| i.add_member(&f.user, f.role).map(|e| vec![e]),
        "#triage",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct FlagForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    ioc: String,
    #[serde(default, deserialize_with = "maybe")]
    compromise: Option<Compromise>,
}

pub async fn observable_ioc(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, oid)): Path<(String, u64)>,
    WebForm(f): WebForm<FlagForm>,
) -> Response {
    let ioc = f.ioc == "1";
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            i.update_observable(oid, Some(ioc), None, None, None)
                .map(|e| vec![e])
        },
        "#observables",
    )
    .await
}

pub async fn asset_status(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, aid)): Path<(String, u64)>,
    WebForm(f): WebForm<FlagForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let compromise = f.compromise.ok_or(DomainError::Empty {
                field: "compromise",
            })?;
            i.update_asset(aid, None, Some(compromise)).map(|e| vec![e])
        },
        "#work",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, tid)): Path<(String, u64)>,
    WebForm(f): WebForm<WithdrawForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| i.remove_timeline(tid, &f.reason).map(|e| vec![e]),
        "#timeline",
    )
    .await
}

//! The incident record on the incident page (triage, observables, attack timeline), its forms,
//! and the full-text search page.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::DateAlone;
use debrief_domain::evidence::CustodyAction;
use debrief_domain::observable::ObservableKind;
use debrief_domain::record::{NewTimelineEntry, ObservableFlags};
use debrief_domain::taxonomy;
use debrief_domain::timeline::{Precision, TACTICS, TimelineSource};
use debrief_domain::triage::IncidentRole;
use debrief_domain::triage::{FunctionalImpact, InformationImpact, Pap, Recoverability, Tlp};
use debrief_domain::work::Compromise;
use debrief_domain::{DomainError, Incident, Timestamp};
use serde::{Deserialize, Serialize};

use super::WebUser;
use super::form::{WebForm, choice, comma_list, maybe};
use super::pages::{act_many, render_view};
use crate::AppState;
use crate::api::incidents::Need;

/// An incident's record as the incident page shows it, with the choices its forms offer.
pub(super) async fn record_view<'a>(
    state: &AppState,
    user: &WebUser,
    i: &'a Incident,
) -> Result<RecordView<'a>, debrief_app::AppError> {
    use debrief_domain::work::{ActionKind, AssetKind, Criticality};
    let lang = user.lang;
    let mut shared = state.app.shared_observables(&user.caller(), i.id).await?;
    let observables = i
        .observables
        .iter()
        .map(|o| ObservableRow {
            observable: o,
            also_in: shared.remove(&o.value).unwrap_or_default(),
        })
        .collect();
    let classification = i.classification.as_ref().map(|c| {
        let (class_label, type_label) = c.labels(lang);
        ClassificationView {
            class: c.class.clone(),
            kind: c.kind.clone(),
            class_label,
            type_label,
            subtypes: taxonomy::subtypes_of(&i.tags)
                .iter()
                .map(|s| s.name(lang))
                .collect(),
        }
    });
    let record = Record {
        classification,
        severity: i.severity.as_ref().map(|a| SeverityView {
            level: a.level,
            name: a.level_name(),
            reasons: &a.reasons,
        }),
        tlp: i.tlp,
        pap: i.pap,
        tags: &i.tags,
        scope_items: i
            .scope
            .business_units
            .iter()
            .chain(&i.scope.sites)
            .chain(&i.scope.systems)
            .collect(),
        scope: &i.scope,
        members: &i.members,
        observables,
        evidence: &i.evidence,
        actions: &i.actions,
        assets: &i.assets,
        tasks: &i.tasks,
        notes: &i.notes,
        minutes_logged: i.minutes_logged(),
        timeline: &i.timeline,
    };
    let taxonomy = taxonomy::classes()
        .iter()
        .map(|c| TaxonomyClass {
            id: c.id.clone(),
            label: taxonomy::label(&c.en, &c.fr, lang),
            types: c
                .types
                .iter()
                .map(|t| Choice {
                    id: t.id.clone(),
                    label: taxonomy::label(&t.en, &t.fr, lang),
                })
                .collect(),
        })
        .collect();
    let subtypes = taxonomy::subtypes()
        .iter()
        .map(|s| {
            let (cl, ty) = s.classification().labels(lang);
            SubtypeChoice {
                id: s.id.clone(),
                label: s.name(lang),
                maps_to: format!("{cl} / {ty}"),
            }
        })
        .collect();
    Ok(RecordView {
        record,
        taxonomy,
        subtypes,
        custody_actions: CustodyAction::ALL.to_vec(),
        impacts: Impacts {
            functional: FunctionalImpact::ALL.to_vec(),
            information: InformationImpact::ALL.to_vec(),
            recoverability: Recoverability::ALL.to_vec(),
        },
        observable_kinds: ObservableKind::ALL.to_vec(),
        tlps: Tlp::ALL.to_vec(),
        paps: Pap::ALL.to_vec(),
        precisions: Precision::ALL.to_vec(),
        sources: TimelineSource::ALL.to_vec(),
        incident_roles: IncidentRole::ALL.to_vec(),
        action_kinds: ActionKind::ALL.to_vec(),
        asset_kinds: AssetKind::ALL.to_vec(),
        criticalities: Criticality::ALL.to_vec(),
        compromises: Compromise::ALL.to_vec(),
        tactics: TACTICS.iter().map(|(_, n)| *n).collect(),
    })
}

/// The record and the choices of its forms (flattened into the incident page).
#[derive(Debug, Serialize)]
pub(super) struct RecordView<'a> {
    record: Record<'a>,
    taxonomy: Vec<TaxonomyClass>,
    subtypes: Vec<SubtypeChoice>,
    custody_actions: Vec<CustodyAction>,
    impacts: Impacts,
    observable_kinds: Vec<ObservableKind>,
    tlps: Vec<Tlp>,
    paps: Vec<Pap>,
    precisions: Vec<Precision>,
    sources: Vec<TimelineSource>,
    incident_roles: Vec<IncidentRole>,
    action_kinds: Vec<debrief_domain::work::ActionKind>,
    asset_kinds: Vec<debrief_domain::work::AssetKind>,
    criticalities: Vec<debrief_domain::work::Criticality>,
    compromises: Vec<Compromise>,
    tactics: Vec<&'static str>,
}

/// The incident's triage and investigation record: the domain's own values, as they serialise.
#[derive(Debug, Serialize)]
struct Record<'a> {
    classification: Option<ClassificationView>,
    severity: Option<SeverityView<'a>>,
    tlp: Tlp,
    pap: Pap,
    tags: &'a [String],
    /// Business units, sites and systems in one list.
    scope_items: Vec<&'a String>,
    scope: &'a debrief_domain::triage::Scope,
    members: &'a [debrief_domain::record::Member],
    observables: Vec<ObservableRow<'a>>,
    evidence: &'a [debrief_domain::evidence::Evidence],
    actions: &'a [debrief_domain::work::ResponseAction],
    assets: &'a [debrief_domain::work::Asset],
    tasks: &'a [debrief_domain::work::Task],
    notes: &'a [debrief_domain::work::Note],
    minutes_logged: u64,
    timeline: &'a [debrief_domain::record::TimelineEntry],
}

/// An observable and the other incidents (by number) this reader may see that hold it too.
#[derive(Debug, Serialize)]
struct ObservableRow<'a> {
    #[serde(flatten)]
    observable: &'a debrief_domain::record::Observable,
    also_in: Vec<i64>,
}

#[derive(Debug, Serialize)]
struct ClassificationView {
    class: String,
    #[serde(rename = "type")]
    kind: String,
    class_label: String,
    type_label: String,
    subtypes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SeverityView<'a> {
    level: u8,
    name: &'static str,
    reasons: &'a [String],
}

#[derive(Debug, Serialize)]
struct TaxonomyClass {
    id: String,
    label: String,
    types: Vec<Choice>,
}

#[derive(Debug, Serialize)]
struct Choice {
    id: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct SubtypeChoice {
    id: String,
    label: String,
    /// The class and type it classifies by.
    maps_to: String,
}

#[derive(Debug, Serialize)]
struct Impacts {
    functional: Vec<FunctionalImpact>,
    information: Vec<InformationImpact>,
    recoverability: Vec<Recoverability>,
}

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
    let mut frame = super::Frame::new(Some(&user), user.lang);
    frame.nav = "search";
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
    let blobs = debrief_store::blobs::BlobStore::new(&state.config.evidence_dir);
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

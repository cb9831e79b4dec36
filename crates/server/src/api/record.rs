//! `/api/v1/incidents/{incident}/…` for the incident record: triage (classification, severity,
//! markings, tags, scope, members), observables (one by one or pasted text) and the attack
//! timeline; plus full-text search, observable sightings and the taxonomy.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::observable::ObservableKind;
use debrief_domain::record::{NewTimelineEntry, ObservableFlags};
use debrief_domain::timeline::{Precision, TimelineSource};
use debrief_domain::triage::{
    FunctionalImpact, IncidentRole, InformationImpact, Pap, Recoverability, Tlp,
};
use debrief_domain::{Action, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::IncidentView;
use super::incidents::{Need, apply, caller, check, load, resolve};
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

fn ts(raw: &Option<String>) -> ApiResult<Option<Timestamp>> {
    Ok(raw
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(Timestamp::parse)
        .transpose()?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    /// A class of the ENISA reference taxonomy, e.g. `fraud` (see `GET /api/v1/taxonomy`);
    /// may be left out with a `subtype`.
    #[serde(default)]
    pub class: String,
    /// A type of that class, e.g. `phishing`; may be left out with a `subtype`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// A sub-type teams name that the taxonomy does not — `ransomware`, `bec` (business e-mail
    /// compromise), `insider`: classifies by its class and type (unless given) and tags it.
    #[serde(default)]
    pub subtype: Option<String>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityRequest {
    /// `none`, `low`, `medium` or `high`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub functional: FunctionalImpact,
    /// `none`, `privacy-breach`, `proprietary-breach` or `integrity-loss`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub information: InformationImpact,
    /// `regular`, `supplemented`, `extended` or `not-recoverable`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub recoverability: Recoverability,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkingsRequest {
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub pap: Option<Pap>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsRequest {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeRequest {
    #[serde(default)]
    pub business_units: Vec<String>,
    #[serde(default)]
    pub sites: Vec<String>,
    #[serde(default)]
    pub systems: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    pub user: String,
    /// `lead`, `handler`, `communications`, `legal` or `scribe`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub role: IncidentRole,
    /// `add` (default) or `remove`.
    #[serde(default)]
    pub remove: bool,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservableRequest {
    /// One of the observable types (`ipv4`, `domain`, `url`, `sha256`, … see the README).
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub kind: ObservableKind,
    /// The value; defanged forms such as `hxxp://evil[.]com` are accepted.
    pub value: String,
    #[serde(default)]
    pub ioc: bool,
    #[serde(default)]
    pub sighted: bool,
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
    #[serde(default)]
    pub description: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractRequest {
    /// Free text: an e-mail, a report, log lines.
    pub text: String,
    #[serde(default)]
    pub ioc: bool,
    #[serde(default)]
    pub sighted: bool,
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservableUpdate {
    pub ioc: Option<bool>,
    pub sighted: Option<bool>,
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
    pub description: Option<String>,
}

/// An observable, with the other incidents where the same value was recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservableView {
    pub id: u64,
    pub kind: String,
    pub value: String,
    pub ioc: bool,
    pub sighted: bool,
    pub tlp: Option<String>,
    pub description: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub added_by: String,
    pub added_at: String,
    /// Numbers of the other incidents with this value.
    pub also_in: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtractResult {
    /// The observables added by this paste.
    pub added: Vec<ObservableView>,
    /// How many values found in the text the incident already had.
    pub already_known: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineRequest {
    /// When it happened (RFC 3339 with an offset).
    pub occurred_at: String,
    /// `exact`, `minute` (default), `hour`, `day` or `approximate`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub precision: Option<Precision>,
    pub description: String,
    /// `log` (default), `evidence`, `interview`, `report` or `other`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub source: Option<TimelineSource>,
    /// ATT&CK technique, `T1234` or `T1234.001`.
    pub technique: Option<String>,
    /// ATT&CK tactic name or id, e.g. `initial-access` or `TA0001`.
    pub tactic: Option<String>,
    /// Ids of this incident's observables involved.
    #[serde(default)]
    pub observables: Vec<u64>,
    /// Ids of this incident's affected assets involved.
    #[serde(default)]
    pub assets: Vec<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineView {
    pub id: u64,
    pub occurred_at: String,
    pub precision: String,
    pub description: String,
    pub source: String,
    pub technique: Option<String>,
    pub tactic: Option<String>,
    pub tactic_id: Option<String>,
    pub observables: Vec<u64>,
    pub assets: Vec<u64>,
    pub added_by: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find; every word must match.
    pub q: String,
    /// At most this many hits (1–200, default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SightingParams {
    /// The value to look up; it is normalised like an observable of type `kind`.
    pub value: String,
    /// The observable type, to normalise the value (e.g. `domain`); as typed when absent.
    pub kind: Option<String>,
}

fn observable_view(o: &debrief_domain::record::Observable, also_in: Vec<i64>) -> ObservableView {
    ObservableView {
        id: o.id,
        kind: o.kind.to_string(),
        value: o.value.clone(),
        ioc: o.ioc,
        sighted: o.sighted,
        tlp: o.tlp.map(|t| t.to_string()),
        description: o.description.clone(),
        first_seen: o.first_seen.map(|t| t.to_string()),
        last_seen: o.last_seen.map(|t| t.to_string()),
        added_by: o.added_by.clone(),
        added_at: o.added_at.to_string(),
        also_in,
    }
}

/// The other incidents (by number) where each of `values` appears.
pub(crate) async fn also_in(
    state: &AppState,
    who: &debrief_app::Caller,
    number: i64,
    value: &str,
) -> ApiResult<Vec<i64>> {
    Ok(state
        .app
        .sightings(who, value, 100)
        .await?
        .into_iter()
        .map(|s| s.number)
        .filter(|n| *n != number)
        .collect())
}

macro_rules! incident_route {
    ($name:ident, $path:literal, $body:ty, $doc:literal, |$current:ident, $req:ident, $state:ident| $decide:expr) => {
        #[doc = $doc]
        #[utoipa::path(operation_id = stringify!($name), post, path = $path, tag = "record", request_body = $body,
            params(("incident" = String, Path, description = "Number or UUID")),
            responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem),
                (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
                (status = 422, body = crate::error::Problem)),
            security(("bearer" = [])))]
        pub async fn $name(
            State($state): State<AppState>,
            user: ApiUser,
            Path(reference): Path<String>,
            ApiJson($req): ApiJson<$body>,
        ) -> ApiResult<Json<IncidentView>> {
            let id = resolve(&$state, &user, &reference).await?;
            let incident = apply(&$state, &user, id, None, Need::Work, |$current| $decide).await?;
            Ok(Json(IncidentView::from(&incident)))
        }
    };
}

pub(crate) use incident_route;

incident_route!(
    classify,
    "/api/v1/incidents/{incident}/classification",
    ClassifyRequest,
    "Classify by the ENISA reference taxonomy.",
    |current, req, state| match &req.subtype {
        Some(sub) => current.classify_subtype(sub, &req.class, &req.kind, &req.reason),
        None => current
            .classify(&req.class, &req.kind, &req.reason)
            .map(|e| vec![e]),
    }
);

incident_route!(
    assess,
    "/api/v1/incidents/{incident}/severity",
    SeverityRequest,
    "Assess severity from NIST impact categories; the answer shows the level and why.",
    |current, req, state| {
        current
            .assess(
                &state.config.severity,
                req.functional,
                req.information,
                req.recoverability,
                &req.reason,
            )
            .map(|e| vec![e])
    }
);

incident_route!(
    markings,
    "/api/v1/incidents/{incident}/markings",
    MarkingsRequest,
    "Set TLP 2.0 and/or PAP.",
    |current, req, state| { current.set_markings(req.tlp, req.pap).map(|e| vec![e]) }
);

incident_route!(
    tags,
    "/api/v1/incidents/{incident}/tags",
    TagsRequest,
    "Add and remove tags.",
    |current, req, state| current.change_tags(&req.add, &req.remove).map(|e| vec![e])
);

incident_route!(
    scope,
    "/api/v1/incidents/{incident}/scope",
    ScopeRequest,
    "Replace the scope: business units, sites, systems.",
    |current, req, state| current
        .set_scope(&req.business_units, &req.sites, &req.systems)
        .map(|e| vec![e])
);

incident_route!(
    members,
    "/api/v1/incidents/{incident}/members",
    MemberRequest,
    "Put a person on the incident in an incident role, or take them off (`remove: true`).",
    |current, req, state| {
        let role = req.role;
        if req.remove {
            current
                .remove_member(&req.user, role, &req.reason)
                .map(|e| vec![e])
        } else {
            current.add_member(&req.user, role).map(|e| vec![e])
        }
    }
);

incident_route!(
    add_timeline,
    "/api/v1/incidents/{incident}/timeline",
    TimelineRequest,
    "Add an attack timeline entry.",
    |current, req, state| {
        let entry = NewTimelineEntry {
            occurred_at: Timestamp::parse(&req.occurred_at)?,
            precision: req.precision.unwrap_or(Precision::Minute),
            description: req.description.clone(),
            source: req.source.unwrap_or(TimelineSource::Log),
            technique: req.technique.clone(),
            tactic: req.tactic.clone(),
            observables: req.observables.clone(),
            assets: req.assets.clone(),
        };
        current.add_timeline(&entry).map(|e| vec![e])
    }
);

/// Withdraw a timeline entry (the journal keeps it).
#[utoipa::path(operation_id = "withdraw_timeline", post, path = "/api/v1/incidents/{incident}/timeline/{id}/withdraw", tag = "record",
    request_body = WithdrawRequest,
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path)),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn withdraw_timeline(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, entry)): Path<(String, u64)>,
    ApiJson(req): ApiJson<WithdrawRequest>,
) -> ApiResult<Json<IncidentView>> {
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.remove_timeline(entry, &req.reason).map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// The attack timeline, in order of occurrence.
#[utoipa::path(operation_id = "list_timeline", get, path = "/api/v1/incidents/{incident}/timeline", tag = "record",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = Vec<TimelineView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn timeline(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<Vec<TimelineView>>> {
    check(&user, Action::ReadIncidents)?;
    let incident = load(&state, &user, &reference).await?;
    Ok(Json(
        incident
            .timeline
            .iter()
            .map(|t| TimelineView {
                id: t.id,
                occurred_at: t.occurred_at.to_string(),
                precision: t.precision.as_str().into(),
                description: t.description.clone(),
                source: t.source.as_str().into(),
                technique: t.technique.as_ref().map(|x| x.to_string()),
                tactic: t.tactic.as_ref().map(|x| x.as_str().to_string()),
                tactic_id: t.tactic.as_ref().map(|x| x.id().to_string()),
                observables: t.observables.clone(),
                assets: t.assets.clone(),
                added_by: t.added_by.clone(),
            })
            .collect(),
    ))
}

/// The incident's observables, each with the other incidents where it appears.
#[utoipa::path(operation_id = "list_observables", get, path = "/api/v1/incidents/{incident}/observables", tag = "record",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = Vec<ObservableView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn observables(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<Vec<ObservableView>>> {
    check(&user, Action::ReadIncidents)?;
    let incident = load(&state, &user, &reference).await?;
    let mut shared = state
        .app
        .shared_observables(&user.caller(), incident.id)
        .await?;
    let out = incident
        .observables
        .iter()
        .map(|o| observable_view(o, shared.remove(&o.value).unwrap_or_default()))
        .collect();
    Ok(Json(out))
}

/// Add one observable (normalised; a value the incident already has is updated, not duplicated).
#[utoipa::path(operation_id = "add_observable", post, path = "/api/v1/incidents/{incident}/observables", tag = "record",
    request_body = ObservableRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 201, body = ObservableView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_observable(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ObservableRequest>,
) -> ApiResult<(StatusCode, Json<ObservableView>)> {
    let kind = req.kind;
    let flags = ObservableFlags {
        ioc: req.ioc,
        sighted: req.sighted,
        tlp: req.tlp,
        description: req.description.clone(),
        first_seen: ts(&req.first_seen)?,
        last_seen: ts(&req.last_seen)?,
    };
    let value = debrief_domain::observable::normalize(kind, &req.value)?;
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.add_observable(kind, &req.value, &flags).map(|e| vec![e])
    })
    .await?;
    let o = incident
        .observables
        .iter()
        .find(|o| o.kind == kind && o.value == value)
        .ok_or_else(ApiError::internal)?;
    let also = also_in(&state, &user.caller(), incident.number, &o.value).await?;
    Ok((StatusCode::CREATED, Json(observable_view(o, also))))
}

/// Paste a block of text: every observable found in it is added (defanged values are refanged).
#[utoipa::path(operation_id = "extract_observables", post, path = "/api/v1/incidents/{incident}/observables/extract", tag = "record",
    request_body = ExtractRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = ExtractResult), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn extract(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ExtractRequest>,
) -> ApiResult<Json<ExtractResult>> {
    let flags = ObservableFlags {
        ioc: req.ioc,
        sighted: req.sighted,
        tlp: req.tlp,
        ..Default::default()
    };
    let id = resolve(&state, &user, &reference).await?;
    let known = std::sync::Mutex::new(0usize);
    let before = state
        .app
        .incident_by_id(&user.caller(), id)
        .await?
        .observables
        .len();
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        let (events, k) = c.add_observables_from_text(&req.text, &flags)?;
        *known.lock().unwrap_or_else(|p| p.into_inner()) = k;
        Ok(events)
    })
    .await?;
    let shared = state
        .app
        .shared_observables(&user.caller(), incident.id)
        .await?;
    let added = incident
        .observables
        .iter()
        .skip(before)
        .map(|o| observable_view(o, shared.get(&o.value).cloned().unwrap_or_default()))
        .collect();
    let already_known = *known.lock().unwrap_or_else(|p| p.into_inner());
    Ok(Json(ExtractResult {
        added,
        already_known,
    }))
}

/// Change an observable's flags or description.
#[utoipa::path(operation_id = "update_observable", patch, path = "/api/v1/incidents/{incident}/observables/{id}", tag = "record",
    request_body = ObservableUpdate,
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path)),
    responses((status = 200, body = IncidentView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update_observable(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, oid)): Path<(String, u64)>,
    ApiJson(req): ApiJson<ObservableUpdate>,
) -> ApiResult<Json<IncidentView>> {
    let tlp = req.tlp;
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.update_observable(oid, req.ioc, req.sighted, tlp, req.description.as_deref())
            .map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// Full-text search over incidents, timelines, observables, tags and classes.
#[utoipa::path(operation_id = "search", get, path = "/api/v1/search", tag = "record", params(SearchParams),
    responses((status = 200, body = Vec<Object>), (status = 400, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Vec<debrief_store::SearchHit>>> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("`limit` must be between 1 and 200"));
    }
    Ok(Json(state.app.search(&caller(&user)?, &p.q, limit).await?))
}

/// Every incident where an observable value was recorded.
#[utoipa::path(operation_id = "sightings", get, path = "/api/v1/observables", tag = "record", params(SightingParams),
    responses((status = 200, body = Vec<Object>), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn sightings(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<SightingParams>,
) -> ApiResult<Json<Vec<debrief_store::Sighting>>> {
    let who = caller(&user)?;
    if p.value.trim().is_empty() {
        return Ok(Json(Vec::new()));
    }
    let value = match p.kind.as_deref() {
        Some(k) => debrief_domain::observable::normalize(k.parse()?, &p.value)?,
        None => debrief_domain::observable::refang(p.value.trim()),
    };
    Ok(Json(state.app.sightings(&who, &value, 500).await?))
}

/// The ENISA reference taxonomy with English and French labels.
#[utoipa::path(operation_id = "taxonomy", get, path = "/api/v1/taxonomy", tag = "record",
    responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub async fn taxonomy(_user: ApiUser) -> Json<&'static [debrief_domain::taxonomy::TaxonomyClass]> {
    Json(debrief_domain::taxonomy::classes())
}

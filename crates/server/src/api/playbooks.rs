//! Playbooks through the API: the versions kept by the store (the starter set is published on
//! first start), applying one to an incident (a task per step, adherence read from the tasks),
//! and publishing a new version from an incident's recommendation — lessons flow back into the
//! procedures, and each version names the incident it came from.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_app::setup::PublishPlaybook;
use debrief_domain::playbook::{Adherence, parse_playbook};
use debrief_domain::{Action, Language};
use debrief_store::playbooks::PlaybookVersion;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::incidents::{Need, apply, check, load, resolve};
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
use crate::error::ApiResult;

/// The starter playbooks shipped with Debrief, in English and French.
pub const STARTERS: &[&str] = &[
    include_str!("../../playbooks/phishing.en.md"),
    include_str!("../../playbooks/phishing.fr.md"),
    include_str!("../../playbooks/ransomware.en.md"),
    include_str!("../../playbooks/ransomware.fr.md"),
    include_str!("../../playbooks/personal-data-breach.en.md"),
    include_str!("../../playbooks/personal-data-breach.fr.md"),
    include_str!("../../playbooks/account-compromise.en.md"),
    include_str!("../../playbooks/account-compromise.fr.md"),
    include_str!("../../playbooks/ddos.en.md"),
    include_str!("../../playbooks/ddos.fr.md"),
];

/// Publishes the starter playbooks when the store has none; returns how many were published.
pub async fn seed_playbooks(app: &debrief_app::App) -> anyhow::Result<usize> {
    Ok(app.seed_playbooks(STARTERS).await?)
}

/// A version with what its Markdown says.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub version: PlaybookVersion,
    pub applies_to: Vec<String>,
    pub min_level: u8,
    pub steps: Vec<String>,
}

fn view(v: PlaybookVersion) -> ApiResult<PlaybookView> {
    let doc = parse_playbook(&v.body)?;
    Ok(PlaybookView {
        applies_to: doc.applies_to,
        min_level: doc.min_level,
        steps: doc.steps,
        version: v,
    })
}

/// The latest version of every playbook.
#[utoipa::path(operation_id = "list_playbooks", get, path = "/api/v1/playbooks", tag = "playbooks",
    responses((status = 200, body = Vec<PlaybookView>), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Vec<PlaybookView>>> {
    let all = state.app.playbooks(&user.caller()).await?;
    Ok(Json(all.into_iter().map(view).collect::<ApiResult<_>>()?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlaybookParams {
    /// `en` or `fr` (the caller's language when absent).
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[param(value_type = Option<String>)]
    pub lang: Option<Language>,
    /// A version number (the latest when absent).
    pub version: Option<i64>,
}

/// One playbook (a version), with the list of its versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookDetail {
    pub playbook: PlaybookView,
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<PlaybookVersion>,
}

/// The language asked for, else the caller's.
fn lang_of(user: &ApiUser, asked: Option<Language>) -> Language {
    asked.unwrap_or(user.0.user.language.unwrap_or(Language::En))
}

/// A playbook, its steps and its versions.
#[utoipa::path(operation_id = "get_playbook", get, path = "/api/v1/playbooks/{slug}", tag = "playbooks",
    params(("slug" = String, Path, description = "e.g. phishing"), PlaybookParams),
    responses((status = 200, body = PlaybookDetail), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<PlaybookParams>,
) -> ApiResult<Json<PlaybookDetail>> {
    let lang = lang_of(&user, p.lang);
    let caller = user.caller();
    let v = state.app.playbook(&caller, &slug, lang, p.version).await?;
    let versions = state.app.playbook_versions(&caller, &slug, lang).await?;
    Ok(Json(PlaybookDetail {
        playbook: view(v)?,
        versions,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The whole Markdown, header included (its slug must be the path's).
    pub body: String,
    /// What changed and why.
    #[serde(default)]
    pub note: String,
    /// The incident whose lessons this version carries.
    #[serde(default)]
    pub from_incident: Option<String>,
    /// The recommendation of that incident this version answers: it is marked done.
    #[serde(default)]
    pub recommendation: Option<u64>,
}

/// Publish a new version (a manager). From an incident's recommendation, the version names the
/// incident and the recommendation is marked done.
#[utoipa::path(operation_id = "publish_playbook", post, path = "/api/v1/playbooks/{slug}/versions", tag = "playbooks",
    params(("slug" = String, Path, description = "e.g. phishing")), request_body = PublishRequest,
    responses((status = 201, body = PlaybookView), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    user: ApiUser,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<PublishRequest>,
) -> ApiResult<(StatusCode, Json<PlaybookView>)> {
    let published = state
        .app
        .publish_playbook(
            &user.caller(),
            PublishPlaybook {
                slug,
                body: req.body,
                from_incident: req.from_incident,
                recommendation: req.recommendation,
                note: req.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view(published)?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    pub slug: String,
    /// `en` or `fr` (the caller's language when absent).
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub lang: Option<Language>,
}

/// The playbooks applied to an incident with their adherence, and those that match it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPlaybooks {
    #[schema(value_type = Vec<Object>)]
    pub applied: Vec<Adherence>,
    /// Latest versions (in the caller's language) whose class and severity match the incident.
    pub suggested: Vec<PlaybookView>,
}

async fn incident_playbooks(
    state: &AppState,
    user: &ApiUser,
    i: &debrief_domain::Incident,
) -> ApiResult<IncidentPlaybooks> {
    let lang = lang_of(user, None);
    let suggested = state
        .app
        .suggested_playbooks(&user.caller(), i, lang)
        .await?
        .into_iter()
        .map(|(v, _)| view(v))
        .collect::<ApiResult<_>>()?;
    Ok(IncidentPlaybooks {
        applied: i.adherence(),
        suggested,
    })
}

/// The playbooks applied to an incident (adherence per step) and the ones that match it.
#[utoipa::path(operation_id = "incident_playbooks", get, path = "/api/v1/incidents/{incident}/playbooks", tag = "playbooks",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentPlaybooks), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn for_incident(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<IncidentPlaybooks>> {
    check(&user, Action::ReadIncidents)?;
    let i = load(&state, &user, &reference).await?;
    Ok(Json(incident_playbooks(&state, &user, &i).await?))
}

/// Apply the latest version of a playbook: a task per step.
#[utoipa::path(operation_id = "apply_playbook", post, path = "/api/v1/incidents/{incident}/playbooks", tag = "playbooks",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = ApplyRequest,
    responses((status = 201, body = IncidentPlaybooks), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn apply_to_incident(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ApplyRequest>,
) -> ApiResult<(StatusCode, Json<IncidentPlaybooks>)> {
    let lang = lang_of(&user, req.lang);
    let v = state
        .app
        .playbook(&user.caller(), &req.slug, lang, None)
        .await?;
    let doc = parse_playbook(&v.body)?;
    let id = resolve(&state, &user, &reference).await?;
    let version = v.version;
    let i = apply(&state, &user, id, None, Need::Work, |c| {
        c.apply_playbook(&doc, version)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_playbooks(&state, &user, &i).await?),
    ))
}

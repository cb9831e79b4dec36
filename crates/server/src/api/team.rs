//! Need-to-know over the API: restricting an incident to its team or opening it again, giving
//! and taking access, and the groups of accounts access is given to. The rules live in the
//! application layer (`debrief_app::access`); these handlers only translate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::access::Grantee;
use debrief_store::groups::Group;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::IncidentView;
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
use crate::error::ApiResult;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// `true`: only its team may see the incident; `false`: every account may again.
    pub restricted: bool,
    /// Why (required: it is part of the record).
    pub reason: String,
}

/// Restrict an incident to its team, or open it to every account again (a manager, or the
/// incident's lead). Its team: who declared it, its lead, the people with an incident role on
/// it, and the people and groups given access.
#[utoipa::path(operation_id = "set_access", post, path = "/api/v1/incidents/{incident}/access", tag = "record", request_body = AccessRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_access(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<AccessRequest>,
) -> ApiResult<Json<IncidentView>> {
    let incident = state
        .app
        .set_restricted(&user.caller(), &reference, req.restricted, &req.reason)
        .await?;
    Ok(Json(IncidentView::from(&incident)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// `user:NAME`, `group:NAME`, or a user name.
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

/// Give a person or a group access to an incident (a manager, or the incident's lead).
#[utoipa::path(operation_id = "grant_access", post, path = "/api/v1/incidents/{incident}/grants", tag = "record", request_body = GrantRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn grant(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<GrantRequest>,
) -> ApiResult<Json<IncidentView>> {
    let to = Grantee::parse(&req.to)?;
    let incident = state
        .app
        .grant(&user.caller(), &reference, to, &req.reason)
        .await?;
    Ok(Json(IncidentView::from(&incident)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevokeParams {
    /// Why access is taken away.
    #[serde(default)]
    pub reason: String,
}

/// Take access away from a person or a group given it (a manager, or the incident's lead).
#[utoipa::path(operation_id = "revoke_access", delete, path = "/api/v1/incidents/{incident}/grants/{grantee}", tag = "record",
    params(("incident" = String, Path, description = "Number or UUID"), ("grantee" = String, Path, description = "`user:NAME` or `group:NAME`"), RevokeParams),
    responses((status = 200, body = IncidentView), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, grantee)): Path<(String, String)>,
    ApiQuery(p): ApiQuery<RevokeParams>,
) -> ApiResult<Json<IncidentView>> {
    let to = Grantee::parse(&grantee)?;
    let incident = state
        .app
        .revoke(&user.caller(), &reference, to, &p.reason)
        .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// The groups of accounts and their members.
#[utoipa::path(operation_id = "list_groups", get, path = "/api/v1/groups", tag = "users",
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn groups(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Vec<Group>>> {
    Ok(Json(state.app.groups(&user.caller()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    /// 1–64 characters of `a–z 0–9 . _ - @`.
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Create a group (admins).
#[utoipa::path(operation_id = "create_group", post, path = "/api/v1/groups", tag = "users", request_body = GroupRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create_group(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<GroupRequest>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    let g = state
        .app
        .create_group(&user.caller(), &req.name, &req.description)
        .await?;
    Ok((StatusCode::CREATED, Json(g)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    pub username: String,
}

/// Put an account in a group (admins).
#[utoipa::path(operation_id = "add_group_member", post, path = "/api/v1/groups/{group}/members", tag = "users", request_body = MemberRequest,
    params(("group" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    user: ApiUser,
    Path(group): Path<String>,
    ApiJson(req): ApiJson<MemberRequest>,
) -> ApiResult<StatusCode> {
    state
        .app
        .add_to_group(&user.caller(), &group, &req.username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take an account out of a group (admins).
#[utoipa::path(operation_id = "remove_group_member", delete, path = "/api/v1/groups/{group}/members/{username}", tag = "users",
    params(("group" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    user: ApiUser,
    Path((group, username)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .app
        .remove_from_group(&user.caller(), &group, &username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassRequest {
    /// Why you must open it from outside its team (required; its team and lead read it).
    pub reason: String,
}

/// "Break-glass": a manager outside a restricted incident's team opens it by stating why. They
/// join its team by a journal entry, the access log records it, and the incident's lead is told
/// at once on their directory entry's channel. An incident that does not exist answers 404.
#[utoipa::path(operation_id = "break_glass", post, path = "/api/v1/incidents/{incident}/break-glass", tag = "record", request_body = BreakGlassRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn break_glass(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<BreakGlassRequest>,
) -> ApiResult<Json<IncidentView>> {
    let incident = open_by_breaking_glass(&state, &user.0, &reference, &req.reason).await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// What break-glass does on every channel of the server: the application layer's decision,
/// then the lead told, and how that went added to the access log.
pub(crate) async fn open_by_breaking_glass(
    state: &AppState,
    user: &crate::auth::Principal,
    reference: &str,
    reason: &str,
) -> Result<debrief_domain::Incident, debrief_app::AppError> {
    let caller = user.caller();
    let incident = state
        .app
        .break_glass(&caller, reference, reason, &user.address)
        .await?;
    let who = user.user.username.to_string();
    let told = crate::outbound::tell_lead(state, &incident, |lang| {
        let args = [
            ("who", who.clone()),
            ("number", incident.number.to_string()),
            (
                "title",
                debrief_domain::stakeholder::outbound_title(&incident)
                    .map(str::to_string)
                    .unwrap_or_else(|| crate::i18n::t(lang, "title-withheld", &[])),
            ),
            ("reason", reason.trim().to_string()),
        ];
        (
            crate::i18n::t(lang, "break-glass-subject", &args),
            crate::i18n::t(lang, "break-glass-text", &args),
        )
    })
    .await;
    state
        .app
        .record_access(
            &caller,
            debrief_store::access::AccessRecord {
                at: debrief_domain::Timestamp::now(),
                actor: String::new(),
                action: "lead-told".into(),
                incident_id: Some(incident.id),
                number: Some(incident.number),
                what: told.line(),
                kind: "lead-told".into(),
                // How it went, for pages to say in their reader's words.
                format: told.outcome.into(),
                lang: String::new(),
                entry: None,
                sha256: None,
                address: user.address.clone(),
            },
        )
        .await?;
    Ok(incident)
}

//! Sending notifications through the API: a message to a directory entry (or e-mail addresses)
//! by e-mail or webhook, a retry on demand, the rules' proposals a manager sends (as proposed or
//! edited) or skips, the rules themselves, and the stakeholder directory.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::Language;
use debrief_domain::notify::NotificationRule;
use debrief_domain::stakeholder::{Reach, StakeholderCategory, StakeholderKind, WebhookFormat};
use debrief_store::stakeholders::{Stakeholder, StoredRule};
use serde::Deserialize;
use utoipa::ToSchema;

use super::obligations::{ObligationsView, view};
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::ApiResult;
use crate::outbound::service;
pub use crate::outbound::service::{ProposalSendRequest, ProposalView, SendRequest, SkipRequest};
pub use crate::outbound::share::{ShareRequest, Shared, SharedReport};

/// Send a notification by e-mail (through the configured relay) or webhook (generic JSON, Slack,
/// Teams, Mattermost: only to directory entries), tried three times; recorded in the journal
/// with what was sent either way — a failed delivery discharges nothing, is retried on the
/// server's schedule (which survives a restart) and is answered with 502 saying why.
#[utoipa::path(operation_id = "send_notification", post, path = "/api/v1/incidents/{incident}/notifications/send", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = SendRequest,
    responses((status = 201, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 502, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn send(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<SendRequest>,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    let i = service::send(&state, &user, &reference, req).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &i))))
}

/// How the findings went out: one line per directory entry, each also recorded on the incident
/// as a notification.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ShareAnswer {
    pub shared: Vec<Shared>,
}

/// Communicate the findings: send the approved postmortem report or final report to directory
/// entries (managers), each in its language. The sealed document is attached where the
/// incident's TLP reaches the entry (TLP:RED never; AMBER+STRICT only to internal entries) and
/// the entry has an e-mail address; otherwise the entry gets a link to Debrief — when an account
/// that may see the incident stands behind it, or when it only has a webhook. An entry the
/// report may not reach refuses the whole request (422, each entry and why) and nothing is sent.
/// Each message is recorded like any notification; one not delivered is retried on the
/// server's schedule and answered with `delivered: false`.
#[utoipa::path(operation_id = "share_findings", post, path = "/api/v1/incidents/{incident}/postmortem/share", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = ShareRequest,
    responses((status = 200, body = ShareAnswer), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn share(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ShareRequest>,
) -> ApiResult<Json<ShareAnswer>> {
    let (_, shared) = crate::outbound::share::share(&state, &user, &reference, req).await?;
    Ok(Json(ShareAnswer { shared }))
}

/// Try again now to deliver a notification that was not delivered (the same content to the same
/// recipients; a webhook's address as the directory has it now).
#[utoipa::path(operation_id = "retry_notification", post, path = "/api/v1/incidents/{incident}/notifications/{id}/retry", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path, description = "The notification's number on the incident")),
    responses((status = 200, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 502, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, nid)): Path<(String, u64)>,
) -> ApiResult<Json<ObligationsView>> {
    let i = service::retry(&state, &user, &reference, nid).await?;
    Ok(Json(view(&state, &i)))
}

/// What the notification rules propose for an incident: each with its message rendered in the
/// recipient's language, or what was decided (sent, skipped and why).
#[utoipa::path(operation_id = "notification_proposals", get, path = "/api/v1/incidents/{incident}/notifications/proposals", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = Vec<ProposalView>), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_proposals(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<Vec<ProposalView>>> {
    let i = state.app.incident(&user.caller(), &reference).await?;
    Ok(Json(service::proposals(&state, &i).await?))
}

/// Send a proposed notification, as proposed or edited (managers).
#[utoipa::path(operation_id = "send_proposal", post, path = "/api/v1/incidents/{incident}/notifications/proposals/{rule}/send", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID"), ("rule" = String, Path, description = "The rule's id")),
    request_body = ProposalSendRequest,
    responses((status = 201, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 502, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn send_proposal(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, rule)): Path<(String, String)>,
    ApiJson(edit): ApiJson<ProposalSendRequest>,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    let i = service::send_proposal(&state, &user, &reference, &rule, edit).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &i))))
}

/// Decide not to send a proposed notification, saying why (managers).
#[utoipa::path(operation_id = "skip_proposal", post, path = "/api/v1/incidents/{incident}/notifications/proposals/{rule}/skip", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID"), ("rule" = String, Path, description = "The rule's id")),
    request_body = SkipRequest,
    responses((status = 200, body = Vec<ProposalView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn skip_proposal(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, rule)): Path<(String, String)>,
    ApiJson(req): ApiJson<SkipRequest>,
) -> ApiResult<Json<Vec<ProposalView>>> {
    let i = service::skip_proposal(&state, &user, &reference, &rule, req).await?;
    Ok(Json(service::proposals(&state, &i).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub name: String,
    /// ENISA classes or `class/type` (any incident when empty).
    #[serde(default)]
    pub applies_to: Vec<String>,
    /// The least severity level (0–5).
    #[serde(default)]
    pub min_level: u8,
    /// Regulatory flags the incident must all have.
    #[serde(default)]
    pub flags: Vec<String>,
    /// The directory entry told.
    pub stakeholder: String,
    /// internal-alert, regulator-initial, data-subjects, insurer-claim, partner-notice (or an
    /// installation's own).
    pub template: String,
    /// `REGIME/STEP` the notification discharges (`nis2/early-warning`), if any.
    #[serde(default)]
    pub obligation: Option<String>,
}

/// The notification rules.
#[utoipa::path(operation_id = "list_notification_rules", get, path = "/api/v1/notification-rules", tag = "notifications",
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list_rules(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Vec<StoredRule>>> {
    Ok(Json(state.app.rules(&user.caller()).await?))
}

/// Reads a rule's fields (the application layer checks its stakeholder is in the directory).
pub(crate) fn parse_rule(
    state: &AppState,
    req: &RuleRequest,
) -> Result<NotificationRule, debrief_domain::DomainError> {
    NotificationRule::parse(
        &req.name,
        &req.applies_to,
        req.min_level,
        &req.flags,
        &req.stakeholder,
        &req.template,
        req.obligation.as_deref(),
        &state.config.templates.names(),
        &state.config.regimes,
    )
}

/// Add a notification rule (managers and admins).
#[utoipa::path(operation_id = "add_notification_rule", post, path = "/api/v1/notification-rules", tag = "notifications", request_body = RuleRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_rule(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<RuleRequest>,
) -> ApiResult<(StatusCode, Json<StoredRule>)> {
    let rule = parse_rule(&state, &req)?;
    let stored = state.app.add_rule(&user.caller(), rule).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Remove a notification rule (managers and admins); decisions already recorded on incidents stay.
#[utoipa::path(operation_id = "delete_notification_rule", delete, path = "/api/v1/notification-rules/{id}", tag = "notifications",
    params(("id" = String, Path, description = "The rule's id")),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn delete_rule(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.app.delete_rule(&user.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StakeholderRequest {
    pub name: String,
    /// `person` or `group`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub kind: StakeholderKind,
    /// `internal` or `external`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub scope: Reach,
    /// regulator, csirt, law-enforcement, customer, partner, supplier, insurer, executive, legal,
    /// communications, it, staff, public, other.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub category: StakeholderCategory,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// generic (the default for a webhook), slack, teams, mattermost.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub webhook_format: Option<WebhookFormat>,
    /// `en` (the default) or `fr`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
    /// The user account this entry stands for (deadline warnings reach an incident's lead here).
    #[serde(default)]
    pub username: Option<String>,
}

/// The stakeholder directory.
#[utoipa::path(operation_id = "list_stakeholders", get, path = "/api/v1/stakeholders", tag = "notifications",
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn stakeholders(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Vec<Stakeholder>>> {
    Ok(Json(state.app.directory(&user.caller()).await?))
}

/// Add a person or group to the directory (managers and admins).
#[utoipa::path(operation_id = "add_stakeholder", post, path = "/api/v1/stakeholders", tag = "notifications", request_body = StakeholderRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_stakeholder(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<StakeholderRequest>,
) -> ApiResult<(StatusCode, Json<Stakeholder>)> {
    let new = debrief_domain::stakeholder::NewStakeholder::parse(
        &req.name,
        req.kind,
        req.scope,
        req.category,
        req.email.as_deref(),
        req.webhook_url.as_deref(),
        req.webhook_format,
        req.language,
    )?
    .for_user(req.username.as_deref())?;
    let s = state.app.add_stakeholder(&user.caller(), new).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

//! Sending notifications through the API: a message to a directory entry (or e-mail addresses)
//! by e-mail or webhook, a retry on demand, the rules' proposals a manager sends (as proposed or
//! edited) or skips, the rules themselves, and the stakeholder directory.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::notify::{Attempt, Delivery, NotificationRule, Proposal, ProposalState};
use debrief_domain::{Action, Incident, Language, Timestamp};
use debrief_store::stakeholders::{Stakeholder, StoredRule};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::incidents::{Need, apply, check, load, resolve};
use super::obligations::{ObligationsView, view};
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::outbound::{self, Prepared};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The regime and step it discharges, if any.
    #[serde(default)]
    pub regime: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    /// E-mail addresses, when no directory entry is given (e-mail only).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// `email` or `webhook`.
    pub channel: String,
    /// A directory entry (name or id); required for a webhook.
    #[serde(default)]
    pub stakeholder: Option<String>,
    /// The subject, and the line the record keeps.
    pub summary: String,
    /// The message.
    pub text: String,
    #[serde(default)]
    pub late_reason: String,
}

/// Sends a prepared message and records it, delivered or not; a failed delivery is queued for
/// the retry worker and answered with 502 saying why.
pub(crate) async fn send_prepared(
    state: &AppState,
    user: &Principal,
    incident: &Incident,
    prepared: Prepared,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    // Checked before anything is sent: an unknown step, a discharged one, a missing late reason.
    prepared.event(state, incident, Timestamp::now(), &Ok(String::new()))?;
    let outcome = outbound::deliver(state, &prepared.target, &prepared.content).await;
    let now = Timestamp::now();
    let i = apply(state, user, incident.id, None, Need::Work, |c| {
        Ok(vec![prepared.event(state, c, now, &outcome)?])
    })
    .await?;
    match outcome {
        Ok(_) => Ok((StatusCode::CREATED, Json(view(state, &i)))),
        Err(why) => {
            state.pending.add(i.id);
            Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "delivery-failed",
                format!(
                    "the {} was not delivered ({why}); it is recorded as not delivered and will be retried on the server's schedule — check the directory entry or the relay",
                    prepared.channel
                ),
            ))
        }
    }
}

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
    send_for(&state, &user, &reference, req).await
}

/// What `send` does, for the API and the pages alike.
pub(crate) async fn send_for(
    state: &AppState,
    user: &Principal,
    reference: &str,
    req: SendRequest,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    let incident = load(state, user, reference).await?;
    check(user, Action::WorkIncident(&incident))?;
    let stakeholder = match req.stakeholder.as_deref() {
        Some(s) => Some(state.store.stakeholder(s).await?),
        None => None,
    };
    let prepared = outbound::prepare(
        &incident,
        outbound::Request {
            channel: req.channel,
            stakeholder,
            addresses: req.recipients,
            subject: req.summary,
            text: req.text,
            regime: req.regime.filter(|r| !r.trim().is_empty()),
            step: req.step.filter(|s| !s.trim().is_empty()),
            rule: None,
            late_reason: req.late_reason,
        },
    )?;
    send_prepared(state, user, &incident, prepared).await
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
    retry_for(&state, &user, &reference, nid).await
}

/// What `retry` does, for the API and the pages alike.
pub(crate) async fn retry_for(
    state: &AppState,
    user: &Principal,
    reference: &str,
    nid: u64,
) -> ApiResult<Json<ObligationsView>> {
    let incident = load(state, user, reference).await?;
    check(user, Action::WorkIncident(&incident))?;
    let Some(n) = incident.notifications.iter().find(|n| n.id == nid) else {
        return Err(ApiError::not_found(format!(
            "#{} has no notification {nid}",
            incident.number
        )));
    };
    if n.delivered() {
        return Err(ApiError::conflict(format!(
            "notification {nid} is already delivered"
        )));
    }
    let Some(content) = n.content.clone() else {
        return Err(ApiError::unprocessable(
            "this notification was recorded, not sent by Debrief: there is nothing to resend",
        ));
    };
    let target = outbound::target_of(state, n)
        .await
        .map_err(ApiError::unprocessable)?;
    let outcome = outbound::deliver(state, &target, &content).await;
    let delivery = Delivery::of(&outcome, Attempt::ByHand);
    let i = apply(state, user, incident.id, None, Need::Work, |c| {
        c.attempt_delivery(nid, &delivery, None)
    })
    .await?;
    match outcome {
        Ok(_) => Ok(Json(view(state, &i))),
        Err(why) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "delivery-failed",
            format!("still not delivered ({why}); the attempt is recorded"),
        )),
    }
}

/// A proposal with its message rendered for the stakeholder's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub proposal: Proposal,
    /// `email` or `webhook` (e-mail when the entry has both).
    pub channel: Option<String>,
    pub language: Option<String>,
    pub subject: Option<String>,
    pub text: Option<String>,
    /// Why it cannot be sent as it stands (no such directory entry, a template error).
    pub problem: Option<String>,
}

async fn rules(state: &AppState) -> ApiResult<Vec<(String, NotificationRule)>> {
    Ok(state
        .store
        .list_rules()
        .await?
        .into_iter()
        .map(|r| (r.id, r.rule))
        .collect())
}

/// The proposals of the rules for an incident, rendered.
pub(crate) async fn proposals(state: &AppState, i: &Incident) -> ApiResult<Vec<ProposalView>> {
    let rules = rules(state).await?;
    let mut out = Vec::new();
    for p in i.proposals(&rules) {
        let mut v = ProposalView {
            proposal: p,
            channel: None,
            language: None,
            subject: None,
            text: None,
            problem: None,
        };
        if v.proposal.state == ProposalState::Proposed {
            match state.store.stakeholder(&v.proposal.stakeholder).await {
                Ok(s) => {
                    let lang = s.language.parse().unwrap_or(Language::En);
                    v.channel = Some(
                        if s.email.is_some() {
                            "email"
                        } else {
                            "webhook"
                        }
                        .into(),
                    );
                    v.language = Some(lang.as_str().into());
                    let ob = v.proposal.step.as_ref().and_then(|step| {
                        i.obligations(&state.config.regimes, Timestamp::now())
                            .into_iter()
                            .find(|o| {
                                Some(&o.regime) == v.proposal.regime.as_ref() && &o.step == step
                            })
                    });
                    match state.config.templates.render(
                        &v.proposal.template,
                        lang,
                        i,
                        &s.name,
                        ob.as_ref(),
                        &state.config.timezone,
                    ) {
                        Ok(r) => {
                            v.subject = Some(r.subject);
                            v.text = Some(r.text);
                        }
                        Err(e) => v.problem = Some(e),
                    }
                }
                Err(e) => v.problem = Some(e.to_string()),
            }
        }
        out.push(v);
    }
    Ok(out)
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
    check(&user, Action::ReadIncidents)?;
    let i = load(&state, &user, &reference).await?;
    Ok(Json(proposals(&state, &i).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalSendRequest {
    /// An edited subject (the proposal's when absent).
    #[serde(default)]
    pub subject: Option<String>,
    /// An edited text (the proposal's when absent).
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub late_reason: String,
}

/// The proposal of `rule` on `incident`, checked to be still open and sendable, as a message.
pub(crate) async fn prepare_proposal(
    state: &AppState,
    incident: &Incident,
    rule: &str,
    edit: ProposalSendRequest,
) -> ApiResult<Prepared> {
    let views = proposals(state, incident).await?;
    let Some(v) = views.into_iter().find(|v| v.proposal.rule == rule) else {
        if state.store.list_rules().await?.iter().all(|r| r.id != rule) {
            return Err(debrief_store::StoreError::NoRule(rule.to_string()).into());
        }
        return Err(ApiError::conflict(format!(
            "rule `{rule}` proposes nothing for #{} as it stands (its class, severity or flags do not match)",
            incident.number
        )));
    };
    if v.proposal.state != ProposalState::Proposed {
        return Err(ApiError::conflict(format!(
            "the notification to {} is already decided",
            v.proposal.stakeholder
        )));
    }
    if let Some(p) = v.problem {
        return Err(ApiError::unprocessable(p));
    }
    let stakeholder = state.store.stakeholder(&v.proposal.stakeholder).await?;
    outbound::prepare(
        incident,
        outbound::Request {
            channel: v.channel.unwrap_or_default(),
            stakeholder: Some(stakeholder),
            addresses: vec![],
            subject: edit.subject.or(v.subject).unwrap_or_default(),
            text: edit.text.or(v.text).unwrap_or_default(),
            regime: v.proposal.regime,
            step: v.proposal.step,
            rule: Some(v.proposal.rule),
            late_reason: edit.late_reason,
        },
    )
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
    send_proposal_for(&state, &user, &reference, rule, edit).await
}

/// What `send_proposal` does, for the API and the pages alike.
pub(crate) async fn send_proposal_for(
    state: &AppState,
    user: &Principal,
    reference: &str,
    rule: String,
    edit: ProposalSendRequest,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    check(user, Action::DecideNotifications)?;
    let incident = load(state, user, reference).await?;
    check(user, Action::WorkIncident(&incident))?;
    let prepared = prepare_proposal(state, &incident, &rule, edit).await?;
    send_prepared(state, user, &incident, prepared).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipRequest {
    pub reason: String,
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
    skip_proposal_for(&state, &user, &reference, rule, req).await
}

/// What `skip_proposal` does, for the API and the pages alike.
pub(crate) async fn skip_proposal_for(
    state: &AppState,
    user: &Principal,
    reference: &str,
    rule: String,
    req: SkipRequest,
) -> ApiResult<Json<Vec<ProposalView>>> {
    check(user, Action::DecideNotifications)?;
    let id = resolve(state, user, reference).await?;
    let rules = rules(state).await?;
    if !rules.iter().any(|(r, _)| *r == rule) {
        return Err(debrief_store::StoreError::NoRule(rule).into());
    }
    let i = apply(state, user, id, None, Need::Work, |c| {
        Ok(vec![c.skip_proposal(&rules, &rule, &req.reason)?])
    })
    .await?;
    Ok(Json(proposals(state, &i).await?))
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
    pub kind: String,
    /// `internal` or `external`.
    pub scope: String,
    /// regulator, csirt, law-enforcement, customer, partner, supplier, insurer, executive, legal,
    /// communications, it, staff, public, other.
    pub category: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// generic, slack, teams, mattermost.
    #[serde(default)]
    pub webhook_format: Option<String>,
    /// `en` or `fr`.
    #[serde(default)]
    pub language: Option<String>,
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
        &req.kind,
        &req.scope,
        &req.category,
        req.email.as_deref(),
        req.webhook_url.as_deref(),
        req.webhook_format.as_deref(),
        req.language.as_deref(),
    )?
    .for_user(req.username.as_deref())?;
    let s = state.app.add_stakeholder(&user.caller(), new).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

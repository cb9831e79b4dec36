//! Regulatory obligations through the API: the incident's flags and clocks, the obligations
//! they create (deadlines computed from the regimes table), notifications recorded against them,
//! and the board of what is due across incidents.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::obligation::{ClockStart, Due, Obligation, ObligationState};
use debrief_domain::{Action, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::incidents::{Need, apply, check, load};
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// An incident's regulatory position.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationsView {
    pub incident: i64,
    pub flags: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub obligations: Vec<Obligation>,
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<debrief_domain::obligation::NotificationRecord>,
}

fn view(state: &AppState, i: &debrief_domain::Incident) -> ObligationsView {
    ObligationsView {
        incident: i.number,
        flags: i.flags.iter().cloned().collect(),
        obligations: i.obligations(&state.config.regimes, Timestamp::now()),
        notifications: i.notifications.clone(),
    }
}

async fn change(
    state: &AppState,
    user: &ApiUser,
    reference: &str,
    decide: impl Fn(
        &debrief_domain::Incident,
    ) -> Result<Vec<debrief_domain::Event>, debrief_domain::DomainError>
    + Send
    + Sync,
) -> ApiResult<Json<ObligationsView>> {
    let id = state.store.resolve(reference).await?;
    let i = apply(state, user, id, None, Need::Work, decide).await?;
    Ok(Json(view(state, &i)))
}

/// The regulatory obligations of an incident: each step of each regime its flags make apply,
/// its deadline and state.
#[utoipa::path(operation_id = "incident_obligations", get, path = "/api/v1/incidents/{incident}/obligations", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = ObligationsView), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_obligations(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<ObligationsView>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(view(&state, &load(&state, &reference).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagsRequest {
    /// personal_data, high_risk, significant, major_ict, material, phi, cyber_insurance_claim.
    pub flags: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

/// Set the incident's regulatory flags (which regimes apply).
#[utoipa::path(operation_id = "set_flags", post, path = "/api/v1/incidents/{incident}/flags", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = FlagsRequest,
    responses((status = 200, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_flags(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<FlagsRequest>,
) -> ApiResult<Json<ObligationsView>> {
    change(&state, &user, &reference, move |c| {
        c.set_flags(&req.flags, &req.reason).map(|e| vec![e])
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// `classified_major` or `materiality_determined` (awareness is the `aware_at` milestone).
    pub clock: String,
    /// RFC 3339.
    pub at: String,
    /// What establishes it (a decision record, minutes of a meeting).
    pub source: String,
}

/// State when a regulatory clock started.
#[utoipa::path(operation_id = "set_regulatory_clock", post, path = "/api/v1/incidents/{incident}/regulatory-clocks", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = ClockRequest,
    responses((status = 200, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_clock(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ClockRequest>,
) -> ApiResult<Json<ObligationsView>> {
    let clock: ClockStart = serde_json::from_value(serde_json::Value::String(req.clock.clone()))
        .map_err(|_| {
            ApiError::unprocessable(format!(
                "`{}` is not a clock; use classified_major or materiality_determined",
                req.clock
            ))
        })?;
    let at = Timestamp::parse(&req.at)?;
    change(&state, &user, &reference, move |c| {
        c.set_regulatory_clock(clock, at, &req.source)
            .map(|e| vec![e])
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequest {
    /// The regime and step it discharges (`nis2` / `early-warning`), if any.
    #[serde(default)]
    pub regime: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    pub recipients: Vec<String>,
    /// email, webhook, phone, portal, letter, in-person.
    pub channel: String,
    /// What was said.
    pub summary: String,
    /// RFC 3339; now when absent.
    #[serde(default)]
    pub sent_at: Option<String>,
    /// Required when it discharges a step after its deadline.
    #[serde(default)]
    pub late_reason: String,
}

/// Record a notification made (a phone call, a portal submission…), possibly discharging a
/// regulatory step.
#[utoipa::path(operation_id = "record_notification", post, path = "/api/v1/incidents/{incident}/notifications", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = NotificationRequest,
    responses((status = 201, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn record_notification(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<NotificationRequest>,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    let sent_at = match req.sent_at.as_deref() {
        Some(t) => Timestamp::parse(t)?,
        None => Timestamp::now(),
    };
    if sent_at.seconds_since(Timestamp::now()) > 300 {
        return Err(ApiError::unprocessable("`sent_at` is in the future"));
    }
    let regimes = state.config.regimes.clone();
    let out = change(&state, &user, &reference, move |c| {
        c.record_notification(
            &regimes,
            req.regime.as_deref(),
            req.step.as_deref(),
            &req.recipients,
            &req.channel,
            &req.summary,
            sent_at,
            &req.late_reason,
        )
        .map(|e| vec![e])
    })
    .await?;
    Ok((StatusCode::CREATED, out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueParams {
    /// Obligations due within this many hours (24 when absent), plus every overdue one.
    pub within_hours: Option<i64>,
}

/// One line of the obligations board.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueItem {
    pub incident: i64,
    pub title: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub obligation: Obligation,
}

/// What is due across incidents: overdue first, then by deadline.
#[utoipa::path(operation_id = "obligations_due", get, path = "/api/v1/obligations", tag = "notifications", params(DueParams),
    responses((status = 200, body = Vec<DueItem>), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn due(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<DueParams>,
) -> ApiResult<Json<Vec<DueItem>>> {
    check(&user, Action::ReadIncidents)?;
    let within = p.within_hours.unwrap_or(24);
    if !(0..=24 * 365).contains(&within) {
        return Err(ApiError::bad_request("`within_hours` is 0 to 8760"));
    }
    let now = Timestamp::now();
    let mut out = Vec::new();
    for i in debrief_store::all_incidents(&*state.store).await? {
        for o in i.obligations(&state.config.regimes, now) {
            let keep = match (&o.due, o.state) {
                (_, ObligationState::Overdue) => true,
                (Due::At { at }, ObligationState::Pending | ObligationState::DueSoon) => {
                    at.seconds_since(now) <= within * 3600
                }
                _ => false,
            };
            if keep {
                out.push(DueItem {
                    incident: i.number,
                    title: i.title.clone(),
                    obligation: o,
                });
            }
        }
    }
    let key = |d: &DueItem| match d.obligation.due {
        Due::At { at } => at.as_micros(),
        _ => i64::MAX,
    };
    out.sort_by_key(key);
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The regime and step it discharges, if any.
    #[serde(default)]
    pub regime: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    /// Who it is for (a name or group, for the record; the stakeholder's name when absent).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// `webhook`.
    pub channel: String,
    /// A directory entry (name or id) whose webhook to use; or give `url` and `format`.
    #[serde(default)]
    pub stakeholder: Option<String>,
    /// The webhook's address (http or https).
    #[serde(default)]
    pub url: Option<String>,
    /// `generic` (JSON), `slack`, `teams` or `mattermost`.
    #[serde(default = "generic")]
    pub format: String,
    /// A line for the record.
    pub summary: String,
    /// The message.
    pub text: String,
    #[serde(default)]
    pub late_reason: String,
}

fn generic() -> String {
    "generic".into()
}

/// The body a webhook of this format expects.
pub fn webhook_body(
    format: &str,
    incident: i64,
    title: &str,
    summary: &str,
    text: &str,
) -> Result<serde_json::Value, ApiError> {
    let line = format!("#{incident} {title} — {summary}\n\n{text}");
    Ok(match format {
        "generic" => {
            serde_json::json!({"incident": incident, "title": title, "summary": summary, "text": text})
        }
        "slack" | "mattermost" => serde_json::json!({"text": line}),
        "teams" => serde_json::json!({
            "@type": "MessageCard", "@context": "https://schema.org/extensions",
            "summary": summary, "title": format!("#{incident} {title}"), "text": text
        }),
        other => {
            return Err(ApiError::unprocessable(format!(
                "webhook format `{other}` is not generic, slack, teams or mattermost"
            )));
        }
    })
}

/// Attempts and back-off of a webhook delivery.
pub const WEBHOOK_ATTEMPTS: u32 = 3;

/// Posts the body, retrying with back-off; the outcome line for the record.
async fn deliver(url: &str, body: &serde_json::Value) -> Result<String, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let mut last = String::new();
    for attempt in 1..=WEBHOOK_ATTEMPTS {
        match client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes.clone())
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => {
                return Ok(format!(
                    "delivered on attempt {attempt}; HTTP {}; sha256 {sha}",
                    r.status().as_u16()
                ));
            }
            Ok(r) => last = format!("HTTP {}", r.status().as_u16()),
            Err(e) => last = e.to_string(),
        }
        if attempt < WEBHOOK_ATTEMPTS {
            tokio::time::sleep(std::time::Duration::from_millis(250 << (attempt - 1))).await;
        }
    }
    Err(format!(
        "failed after {WEBHOOK_ATTEMPTS} attempts: {last}; sha256 {sha}"
    ))
}

/// Send a notification through a webhook (generic JSON, Slack, Teams, Mattermost), retried with
/// back-off; recorded in the journal either way — a failed delivery discharges nothing and is
/// answered with 502 saying why.
#[utoipa::path(operation_id = "send_notification", post, path = "/api/v1/incidents/{incident}/notifications/send", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = SendRequest,
    responses((status = 201, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem), (status = 502, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn send(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<SendRequest>,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    let incident = load(&state, &reference).await?;
    check(&user, Action::WorkIncident(&incident))?;
    if req.channel == "email" {
        return send_email(&state, &user, incident, req).await;
    }
    if req.channel != "webhook" {
        return Err(ApiError::unprocessable(
            "Debrief sends `webhook` and `email`; record other channels with POST …/notifications",
        ));
    }
    let mut req = req;
    if let Some(name) = &req.stakeholder {
        let s = state.store.stakeholder(name).await?;
        let Some(hook) = s.webhook_url.clone() else {
            return Err(ApiError::unprocessable(format!(
                "`{}` has no webhook in the directory",
                s.name
            )));
        };
        req.url = Some(hook);
        req.format = s.webhook_format.clone().unwrap_or_else(generic);
        if req.recipients.is_empty() {
            req.recipients = vec![s.name.clone()];
        }
    }
    let url = req.url.clone().unwrap_or_default();
    let url = url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::unprocessable(
            "give `stakeholder` (a directory entry with a webhook) or `url`, an http or https address",
        ));
    }
    let now = Timestamp::now();
    // Checked before anything is sent: an unknown step, a discharged one, a missing late reason.
    incident.record_notification(
        &state.config.regimes,
        req.regime.as_deref(),
        req.step.as_deref(),
        &req.recipients,
        &req.channel,
        &req.summary,
        now,
        &req.late_reason,
    )?;
    let body = webhook_body(
        &req.format,
        incident.number,
        &incident.title,
        &req.summary,
        &req.text,
    )?;
    let outcome = deliver(url, &body).await;
    let delivery = match &outcome {
        Ok(d) | Err(d) => d.clone(),
    };
    let regimes = state.config.regimes.clone();
    let id = incident.id;
    let i = apply(&state, &user, id, None, Need::Work, |c| {
        let mut e = c.record_notification(
            &regimes,
            req.regime.as_deref(),
            req.step.as_deref(),
            &req.recipients,
            &req.channel,
            &req.summary,
            now,
            &req.late_reason,
        )?;
        if let debrief_domain::Event::NotificationRecorded { delivery: d, .. } = &mut e {
            *d = if outcome.is_ok() {
                delivery.clone()
            } else {
                format!("not delivered: {delivery}")
            };
        }
        Ok(vec![e])
    })
    .await?;
    match outcome {
        Ok(_) => Ok((StatusCode::CREATED, Json(view(&state, &i)))),
        Err(why) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "delivery-failed",
            format!(
                "the webhook did not accept the notification ({why}); it is recorded as not delivered — check the address and send again"
            ),
        )),
    }
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
}

/// The stakeholder directory.
#[utoipa::path(operation_id = "list_stakeholders", get, path = "/api/v1/stakeholders", tag = "notifications",
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn stakeholders(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Vec<debrief_store::stakeholders::Stakeholder>>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(state.store.list_stakeholders().await?))
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
) -> ApiResult<(StatusCode, Json<debrief_store::stakeholders::Stakeholder>)> {
    check(&user, Action::ManageDirectory)?;
    let new = debrief_domain::stakeholder::NewStakeholder::parse(
        &req.name,
        &req.kind,
        &req.scope,
        &req.category,
        req.email.as_deref(),
        req.webhook_url.as_deref(),
        req.webhook_format.as_deref(),
        req.language.as_deref(),
    )?;
    let s = state
        .store
        .add_stakeholder(new, user.0.user.username.as_str())
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// Sends by e-mail through the configured relay (3 attempts with back-off) to the directory
/// entry's address or the addresses given as recipients; recorded like a webhook.
async fn send_email(
    state: &AppState,
    user: &ApiUser,
    incident: debrief_domain::Incident,
    mut req: SendRequest,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let Some(relay) = state.config.smtp_relay.clone() else {
        return Err(ApiError::unprocessable(
            "no SMTP relay is configured: start the server with --smtp-relay host:port",
        ));
    };
    let mut to = req.recipients.clone();
    if let Some(name) = &req.stakeholder {
        let s = state.store.stakeholder(name).await?;
        let Some(email) = s.email.clone() else {
            return Err(ApiError::unprocessable(format!(
                "`{}` has no e-mail address in the directory",
                s.name
            )));
        };
        to = vec![email];
        req.recipients = vec![format!("{} <{}>", s.name, to[0])];
    }
    let mut message = Message::builder()
        .from(state.config.mail_from.parse().map_err(|e| {
            ApiError::unprocessable(format!("the sender address is not valid: {e}"))
        })?)
        .subject(format!("[#{}] {}", incident.number, req.summary.trim()));
    for t in &to {
        message = message.to(t.trim().parse().map_err(|e| {
            ApiError::unprocessable(format!("`{t}` is not an e-mail address: {e}"))
        })?);
    }
    let body = format!(
        "{}\n\n-- \nDebrief · #{} {}\n",
        req.text.trim(),
        incident.number,
        incident.title
    );
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
    let message = message
        .body(body)
        .map_err(|e| ApiError::unprocessable(format!("the message cannot be built: {e}")))?;
    let now = Timestamp::now();
    incident.record_notification(
        &state.config.regimes,
        req.regime.as_deref(),
        req.step.as_deref(),
        &req.recipients,
        "email",
        &req.summary,
        now,
        &req.late_reason,
    )?;
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h.to_string(), p)))
        .unwrap_or((relay.clone(), 25));
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    let mut outcome = Err(String::new());
    for attempt in 1..=WEBHOOK_ATTEMPTS {
        match transport.send(message.clone()).await {
            Ok(r) => {
                outcome = Ok(format!(
                    "delivered on attempt {attempt}; SMTP {}; sha256 {sha}",
                    r.code()
                ));
                break;
            }
            Err(e) => outcome = Err(e.to_string()),
        }
        if attempt < WEBHOOK_ATTEMPTS {
            tokio::time::sleep(std::time::Duration::from_millis(250 << (attempt - 1))).await;
        }
    }
    let delivery = match &outcome {
        Ok(d) => d.clone(),
        Err(e) => {
            format!("not delivered: failed after {WEBHOOK_ATTEMPTS} attempts: {e}; sha256 {sha}")
        }
    };
    let regimes = state.config.regimes.clone();
    let i = apply(state, user, incident.id, None, Need::Work, |c| {
        let mut e = c.record_notification(
            &regimes,
            req.regime.as_deref(),
            req.step.as_deref(),
            &req.recipients,
            "email",
            &req.summary,
            now,
            &req.late_reason,
        )?;
        if let debrief_domain::Event::NotificationRecorded { delivery: d, .. } = &mut e {
            *d = delivery.clone();
        }
        Ok(vec![e])
    })
    .await?;
    match outcome {
        Ok(_) => Ok((StatusCode::CREATED, Json(view(state, &i)))),
        Err(why) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "delivery-failed",
            format!("the relay did not take the message ({why}); it is recorded as not delivered"),
        )),
    }
}

//! `/api/v1/alerts…`: intake (one alert or a batch; the same type/source/sourceRef again counts a
//! repeat), the triage queue, and the triage actions — acknowledge, dismiss with a reason,
//! reopen, promote to a new incident, merge into an existing one. Promotion and merging carry the
//! alert's observables and its raw payload into the incident's journal.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::Milestone;
use debrief_domain::alert::{AlertAction, AlertStatus, DismissReason, NewAlert};
use debrief_domain::record::ObservableFlags;
use debrief_domain::work::NoteKind;
use debrief_domain::{Action, Incident, NewIncident, Timestamp};
use debrief_store::alerts::{Alert, AlertEvent, AlertQuery, Receipt};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::IncidentView;
use super::incidents::{Need, actor, apply, caller, check, load};
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

/// The most alerts one request may carry.
pub const MAX_BATCH: usize = 1_000;

/// What intake did with one alert, and the alert after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    /// `created`, `repeated` (same type, source and sourceRef) or `grouped` (same detection on
    /// the same host within the grouping window).
    pub intake: String,
    #[schema(value_type = Object)]
    pub alert: Alert,
}

impl From<Receipt> for ReceiptView {
    fn from(r: Receipt) -> Self {
        let intake = serde_json::to_value(r.intake)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        ReceiptView {
            intake,
            alert: r.alert,
        }
    }
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchView {
    pub results: Vec<ReceiptView>,
}

/// One alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    #[schema(value_type = Object)]
    pub alert: Alert,
}

/// A page of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Alert>,
}

/// An alert's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<AlertEvent>,
}

/// An alert promoted or merged, and its incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromotedView {
    #[schema(value_type = Object)]
    pub alert: Alert,
    pub incident: IncidentView,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    /// Comma-separated statuses: new, acknowledged, promoted, merged, dismissed (all when absent).
    pub status: Option<String>,
    /// Only alerts of at least this severity (1–4).
    pub min_severity: Option<i64>,
    /// 1–500, default 50.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    /// `false-positive`, `benign` or `duplicate`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub reason: DismissReason,
    /// Why, for the record (required).
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The incident: `42`, `#42` or its id.
    pub incident: String,
}

/// Checks one payload into an alert, or says everything wrong with it.
pub(crate) fn check_one(raw: serde_json::Value) -> Result<NewAlert, String> {
    NewAlert::from_json(raw).map_err(|problems| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Take alerts in: one JSON object, or an array of up to 1,000. Every alert of a batch is
/// checked before any is stored: one bad alert refuses the whole batch, naming each problem; a
/// good batch is stored in one transaction.
#[utoipa::path(operation_id = "receive_alerts", post, path = "/api/v1/alerts", tag = "alerts",
    request_body(content = Object, description = "An alert (`type`, `source`, `sourceRef`, `title`, optional `description`, `severity` 1–4, `tlp`/`pap` 0–3 or names, `tags`, `observables` [{`type`|`dataType`, `value`|`data`}], `date`, `host`) or an array of them."),
    responses((status = 201, body = ReceiptView, description = "one alert"), (status = 200, body = BatchView, description = "a batch"),
        (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn receive(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    check(&user, Action::SendAlerts)?;
    let who = user.0.user.username.as_str().to_string();
    let window = state.config.alert_group_seconds;
    match body {
        serde_json::Value::Array(items) => {
            if items.is_empty() || items.len() > MAX_BATCH {
                return Err(ApiError::bad_request(format!(
                    "a batch holds 1 to {MAX_BATCH} alerts; this one holds {}",
                    items.len()
                )));
            }
            let mut checked = Vec::with_capacity(items.len());
            let mut problems = Vec::new();
            for (i, raw) in items.into_iter().enumerate() {
                match check_one(raw) {
                    Ok(a) => checked.push(a),
                    Err(e) => problems.push(format!("alert {}: {e}", i + 1)),
                }
            }
            if !problems.is_empty() {
                return Err(ApiError::unprocessable(format!(
                    "nothing was stored; fix these and send the batch again: {}",
                    problems.join(" | ")
                )));
            }
            // One transaction for the batch: all stored or none.
            let results = state
                .store
                .receive_alerts(checked, &who, Timestamp::now(), window)
                .await?
                .into_iter()
                .map(ReceiptView::from)
                .collect();
            Ok(Json(BatchView { results }).into_response())
        }
        serde_json::Value::Object(_) => {
            let a = check_one(body)
                .map_err(|e| ApiError::unprocessable(format!("the alert was not stored: {e}")))?;
            let r = state.intake.receive(&state.store, window, a, &who).await?;
            Ok((StatusCode::CREATED, Json(ReceiptView::from(r))).into_response())
        }
        _ => Err(ApiError::bad_request(
            "send an alert as a JSON object, or a batch as an array of them",
        )),
    }
}

/// The triage queue: latest activity first.
#[utoipa::path(operation_id = "list_alerts", get, path = "/api/v1/alerts", tag = "alerts", params(QueueParams),
    responses((status = 200, body = AlertList), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<QueueParams>,
) -> ApiResult<Json<AlertList>> {
    check(&user, Action::ReadAlerts)?;
    let statuses = super::comma_list::<AlertStatus>(p.status.as_deref())?;
    let limit = super::page_limit(p.limit)?;
    let min_severity = p
        .min_severity
        .map(debrief_domain::alert::AlertSeverity::new)
        .transpose()?;
    let alerts = state
        .store
        .list_alerts(&AlertQuery {
            statuses,
            min_severity,
            limit,
            offset: p.offset.unwrap_or(0),
        })
        .await?;
    Ok(Json(AlertList { alerts }))
}

/// One alert, by id or number (`12`, `A-12`).
#[utoipa::path(operation_id = "get_alert", get, path = "/api/v1/alerts/{alert}", tag = "alerts",
    params(("alert" = String, Path, description = "id or number")),
    responses((status = 200, body = AlertView), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(alert): Path<String>,
) -> ApiResult<Json<AlertView>> {
    check(&user, Action::ReadAlerts)?;
    Ok(Json(AlertView {
        alert: state.store.alert(&alert).await?,
    }))
}

/// What happened to an alert: received, repeats, grouping, triage — who and when.
#[utoipa::path(operation_id = "alert_history", get, path = "/api/v1/alerts/{alert}/history", tag = "alerts",
    params(("alert" = String, Path, description = "id or number")),
    responses((status = 200, body = HistoryView), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    user: ApiUser,
    Path(alert): Path<String>,
) -> ApiResult<Json<HistoryView>> {
    check(&user, Action::ReadAlerts)?;
    let alert = state.store.alert(&alert).await?;
    Ok(Json(HistoryView {
        history: state.store.alert_history(&alert.id).await?,
    }))
}

async fn act(
    state: &AppState,
    user: &ApiUser,
    alert: &str,
    action: AlertAction,
) -> ApiResult<Json<AlertView>> {
    check(user, Action::TriageAlerts)?;
    let who = user.0.user.username.as_str().to_string();
    Ok(Json(AlertView {
        alert: state.store.act_on_alert(alert, &who, action, None).await?,
    }))
}

/// Acknowledge: "I have it" (time to acknowledge is measured from this).
#[utoipa::path(operation_id = "acknowledge_alert", post, path = "/api/v1/alerts/{alert}/acknowledge", tag = "alerts",
    params(("alert" = String, Path, description = "id or number")),
    responses((status = 200, body = AlertView), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    user: ApiUser,
    Path(alert): Path<String>,
) -> ApiResult<Json<AlertView>> {
    act(&state, &user, &alert, AlertAction::Acknowledge).await
}

/// Dismiss as a false positive, benign or a duplicate, with a note.
#[utoipa::path(operation_id = "dismiss_alert", post, path = "/api/v1/alerts/{alert}/dismiss", tag = "alerts",
    params(("alert" = String, Path, description = "id or number")), request_body = DismissRequest,
    responses((status = 200, body = AlertView), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn dismiss(
    State(state): State<AppState>,
    user: ApiUser,
    Path(alert): Path<String>,
    ApiJson(req): ApiJson<DismissRequest>,
) -> ApiResult<Json<AlertView>> {
    let reason = req.reason;
    act(
        &state,
        &user,
        &alert,
        AlertAction::Dismiss {
            reason,
            note: req.note,
        },
    )
    .await
}

/// Back to triage after a dismissal, with the reason.
#[utoipa::path(operation_id = "reopen_alert", post, path = "/api/v1/alerts/{alert}/reopen", tag = "alerts",
    params(("alert" = String, Path, description = "id or number")), request_body = ReopenRequest,
    responses((status = 200, body = AlertView), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn reopen(
    State(state): State<AppState>,
    user: ApiUser,
    Path(alert): Path<String>,
    ApiJson(req): ApiJson<ReopenRequest>,
) -> ApiResult<Json<AlertView>> {
    act(
        &state,
        &user,
        &alert,
        AlertAction::Reopen { reason: req.reason },
    )
    .await
}

/// The note that carries an alert into an incident: where it came from and its payload.
fn alert_note(alert: &Alert) -> String {
    let mut raw = serde_json::to_string_pretty(&alert.raw).unwrap_or_default();
    let limit = debrief_domain::text::Summary::MAX - 1_000;
    if raw.chars().count() > limit {
        raw = raw.chars().take(limit).collect::<String>()
            + "\n… (cut; the full payload stays on the alert)";
    }
    format!(
        "From alert A-{} — type `{}`, source `{}`, sourceRef `{}`; received {} time(s) between {} and {}.\n\nPayload as received:\n{}",
        alert.number,
        alert.key.kind,
        alert.key.source,
        alert.key.source_ref,
        alert.occurrences,
        alert.first_seen,
        alert.last_seen,
        raw
    )
}

/// The events that carry an alert into an incident: its observables (first seen when the alert
/// was) and a note with its payload.
fn carry(
    incident: &Incident,
    alert: &Alert,
) -> Result<Vec<debrief_domain::Event>, debrief_domain::DomainError> {
    let flags = ObservableFlags {
        first_seen: Some(alert.occurred_at.unwrap_or(alert.first_seen)),
        ..Default::default()
    };
    let (mut events, _) = incident.add_found_observables(
        alert.observables.iter().map(|o| (o.kind, o.value.clone())),
        &flags,
    );
    events.push(incident.add_note(NoteKind::Note, &alert_note(alert), "", None)?);
    if let Some(file) = attachment(alert) {
        events.push(incident.add_evidence(&file)?);
    }
    // Someone acknowledged the alert before it became (part of) this incident: that is when
    // the incident was first taken in hand, unless the incident says it was earlier.
    if let Some(at) = alert.acknowledged_at
        && incident
            .milestone(Milestone::Acknowledged)
            .is_none_or(|known| at < known)
    {
        let who = alert.acknowledged_by.as_deref().unwrap_or("someone");
        events.push(incident.set_milestone(
            Milestone::Acknowledged,
            at,
            &format!("alert A-{} acknowledged by {who}", alert.number),
            "",
            debrief_domain::Timestamp::now(),
        )?);
    }
    Ok(events)
}

/// The file a person attached to their report (kept in the evidence store when it arrived),
/// as evidence collected from them.
fn attachment(alert: &Alert) -> Option<debrief_domain::evidence::NewEvidence> {
    let a = alert.raw.get("attachment")?;
    let text = |k: &str| {
        a.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    Some(debrief_domain::evidence::NewEvidence {
        name: text("name")?,
        sha256: text("sha256")?,
        size: a.get("size")?.as_u64()?,
        media_type: text("media_type").unwrap_or_else(|| "application/octet-stream".into()),
        description: format!("attached to the report A-{}", alert.number),
        collected_by: alert.received_by.clone(),
        collected_from: format!("report A-{} (report page)", alert.number),
        collected_at: alert.first_seen,
    })
}

/// Promotes an alert (the caller has checked the roles): the new incident, its journal
/// carrying the alert, and the alert marked promoted.
/// The incident an alert opens when it is promoted.
pub(crate) fn promoted_incident(alert: &Alert) -> Result<NewIncident, debrief_domain::DomainError> {
    let summary: String = alert.description.chars().take(2_000).collect();
    NewIncident::parse(
        &alert.title,
        &summary,
        &alert.key.source,
        &format!("alert A-{} ({})", alert.number, alert.key.kind),
        Some(alert.occurred_at.unwrap_or(alert.first_seen)),
    )
}

pub(crate) async fn promote_core(
    state: &AppState,
    caller: &debrief_app::Caller,
    alert: &str,
) -> Result<(Alert, Incident), debrief_app::AppError> {
    let current = state.store.alert(alert).await?;
    // Refuse before creating anything when the alert cannot be promoted.
    debrief_domain::alert::next_status(current.status, &AlertAction::Promote)?;
    let new = promoted_incident(&current)?;
    let created = state.app.create(caller, new).await?;
    let id = created.incident.id;
    let carried = current.clone();
    let incident = state
        .app
        .execute(caller, id, Need::Work, None, move |i| carry(i, &carried))
        .await?;
    let alert = state
        .store
        .act_on_alert(
            &current.id,
            caller.actor().as_str(),
            AlertAction::Promote,
            Some(id),
        )
        .await?;
    Ok((alert, incident))
}

/// Promote to a new incident: title, description, detection time and source come from the
/// alert; its observables and payload go into the incident's journal.
#[utoipa::path(operation_id = "promote_alert", post, path = "/api/v1/alerts/{alert}/promote", tag = "alerts",
    params(("alert" = String, Path, description = "id or number")),
    responses((status = 201, body = PromotedView), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn promote(
    State(state): State<AppState>,
    user: ApiUser,
    Path(alert): Path<String>,
) -> ApiResult<(StatusCode, Json<PromotedView>)> {
    check(&user, Action::TriageAlerts)?;
    check(&user, Action::CreateIncident)?;
    let (alert, incident) = promote_core(&state, &caller(&user)?, &alert).await?;
    Ok((
        StatusCode::CREATED,
        Json(PromotedView {
            alert,
            incident: IncidentView::from(&incident),
        }),
    ))
}

/// Merge into an existing incident: its observables and payload are added to that incident.
#[utoipa::path(operation_id = "merge_alert", post, path = "/api/v1/alerts/{alert}/merge", tag = "alerts",
    params(("alert" = String, Path, description = "id or number")), request_body = MergeRequest,
    responses((status = 200, body = PromotedView), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn merge(
    State(state): State<AppState>,
    user: ApiUser,
    Path(alert): Path<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<PromotedView>> {
    let (alert, incident) = merge_core(&state, &user, &alert, &req.incident).await?;
    Ok(Json(PromotedView {
        alert,
        incident: IncidentView::from(&incident),
    }))
}

/// Merges an alert into an existing incident (roles checked here): the incident's journal
/// carries the alert, and the alert is marked merged.
pub(crate) async fn merge_core(
    state: &AppState,
    user: &Principal,
    alert: &str,
    incident: &str,
) -> ApiResult<(Alert, Incident)> {
    check(user, Action::TriageAlerts)?;
    let current = state.store.alert(alert).await?;
    debrief_domain::alert::next_status(current.status, &AlertAction::Merge)?;
    let target = load(state, user, incident).await?;
    check(user, Action::WorkIncident(&target))?;
    let who = actor(user)?;
    let carried = current.clone();
    let _ = who;
    let incident = apply(state, user, target.id, None, Need::Work, move |i| {
        carry(i, &carried)
    })
    .await?;
    let alert = state
        .store
        .act_on_alert(
            &current.id,
            user.user.username.as_str(),
            AlertAction::Merge,
            Some(target.id),
        )
        .await?;
    Ok((alert, incident))
}

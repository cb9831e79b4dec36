//! `/api/v1/alerts…`: intake (one alert or a batch; the same type/source/sourceRef again counts a
//! repeat), the triage queue, and the triage actions — acknowledge, dismiss with a reason,
//! reopen, promote to a new incident, merge into an existing one (both decided by the application
//! layer, `debrief_app::alerts`, which carries the alert into the incident's journal).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::Action;
use debrief_domain::alert::{AlertAction, AlertStatus, DismissReason, NewAlert};
use debrief_store::alerts::{Alert, AlertCursor, AlertEvent, AlertQuery, Receipt};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::IncidentView;
use super::incidents::{caller, check};
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
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
    /// How many alerts the filters match, over every page.
    pub total: u64,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next: Option<String>,
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
    /// Only from this source (exactly, ignoring case).
    pub source: Option<String>,
    /// Only about this host (exactly, ignoring case).
    pub host: Option<String>,
    /// Only with this title — for a detection, its rule's title (exactly, ignoring case).
    pub rule: Option<String>,
    /// Only last seen at or after this time (RFC 3339 with its offset).
    pub since: Option<String>,
    /// Only last seen before this time (RFC 3339 with its offset).
    pub until: Option<String>,
    /// The `next` of the previous page: the page after it (stable while alerts arrive).
    pub cursor: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<u32>,
    /// Alerts to skip (with or without a cursor); a cursor is the way to page a busy queue.
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
                .app
                .receive_alerts(&user.caller(), checked, window)
                .await?
                .into_iter()
                .map(ReceiptView::from)
                .collect();
            Ok(Json(BatchView { results }).into_response())
        }
        serde_json::Value::Object(_) => {
            let a = check_one(body)
                .map_err(|e| ApiError::unprocessable(format!("the alert was not stored: {e}")))?;
            let r = state
                .intake
                .receive(&state.app, &user.caller(), window, a)
                .await?;
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
    // An empty parameter is an absent one (`?cursor=` is the first page).
    let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let time = |name: &str, value: &Option<String>| {
        given(value)
            .as_deref()
            .map(|t| {
                debrief_domain::Timestamp::parse(t).map_err(|e| {
                    ApiError::bad_request(format!(
                        "`{name}`: {e}; give a time with its offset, such as 2026-12-07T09:30:00+01:00"
                    ))
                })
            })
            .transpose()
    };
    let after = given(&p.cursor)
        .as_deref()
        .map(|c| {
            AlertCursor::from_token(c).ok_or_else(|| {
                ApiError::bad_request(
                    "`cursor` is not one this server gave: pass the `next` of the previous page as it is",
                )
            })
        })
        .transpose()?;
    // A filter is plain text: a control character (a NUL, which PostgreSQL refuses) is a
    // mistake to name, not a server error.
    let text = |name: &str, v: &Option<String>| -> ApiResult<Option<String>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) if v.chars().any(char::is_control) => Err(ApiError::bad_request(format!(
                "`{name}` holds a control character; give the text as it is shown"
            ))),
            other => Ok(other.map(str::to_string)),
        }
    };
    let page = state
        .app
        .alert_page(
            &user.caller(),
            &AlertQuery {
                statuses,
                min_severity,
                source: text("source", &p.source)?,
                host: text("host", &p.host)?,
                title: text("rule", &p.rule)?,
                seen_since: time("since", &p.since)?,
                seen_before: time("until", &p.until)?,
                after,
                limit,
                offset: p.offset.unwrap_or(0),
            },
        )
        .await?;
    Ok(Json(AlertList {
        alerts: page.alerts,
        total: page.total,
        next: page.next.map(|c| c.to_token()),
    }))
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
        alert: state.app.alert(&user.caller(), &alert).await?,
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
    let alert = state.app.alert(&user.caller(), &alert).await?;
    Ok(Json(HistoryView {
        history: state.app.alert_history(&user.caller(), &alert.id).await?,
    }))
}

async fn act(
    state: &AppState,
    user: &ApiUser,
    alert: &str,
    action: AlertAction,
) -> ApiResult<Json<AlertView>> {
    Ok(Json(AlertView {
        alert: state
            .app
            .triage_alert(&caller(user)?, alert, action)
            .await?,
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
    let (alert, incident) = state.app.promote_alert(&caller(&user)?, &alert).await?;
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
    let (alert, incident) = state
        .app
        .merge_alert(&caller(&user)?, &alert, &req.incident)
        .await?;
    Ok(Json(PromotedView {
        alert,
        incident: IncidentView::from(&incident),
    }))
}

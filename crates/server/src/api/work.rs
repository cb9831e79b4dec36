//! `/api/v1/incidents/{incident}/…` for the rest of the record: affected assets, response
//! actions, tasks, notes and interview notes, time entries.

use axum::Json;
use axum::extract::{Path, State};
use debrief_domain::work::{ActionKind, AssetKind, Compromise, Criticality, NoteKind, TaskStatus};
use debrief_domain::{Action, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::IncidentView;
use super::incidents::{Need, apply, check, load, resolve};
use super::record::incident_route;
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::ApiResult;

fn when(raw: &Option<String>) -> ApiResult<Timestamp> {
    Ok(match raw.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => Timestamp::parse(s)?,
        None => Timestamp::now(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetRequest {
    /// `host`, `account`, `application` or `data-store`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub kind: AssetKind,
    pub name: String,
    /// `low`, `medium` (default), `high` or `critical`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub criticality: Option<Criticality>,
    /// `unknown` (default), `suspected`, `confirmed` or `cleared`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub compromise: Option<Compromise>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetUpdate {
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub criticality: Option<Criticality>,
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub compromise: Option<Compromise>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `containment`, `eradication`, `recovery`, `communication` or `analysis`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub kind: ActionKind,
    pub description: String,
    /// Who did it [default: the caller].
    pub by: Option<String>,
    /// When (RFC 3339) [default: now].
    pub at: Option<String>,
    #[serde(default)]
    pub outcome: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    pub title: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    /// When the status change happened (RFC 3339); when it was recorded if absent.
    pub occurred_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskUpdate {
    /// `open`, `in-progress`, `done` or `cancelled`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub status: Option<TaskStatus>,
    pub owner: Option<String>,
    pub due: Option<String>,
    /// When the status change happened (RFC 3339); when it was recorded if absent.
    pub occurred_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// `note` (default) or `interview`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<NoteKind>,
    pub text: String,
    /// For interviews: who was interviewed.
    #[serde(default)]
    pub interviewee: String,
    /// When it was said or seen (RFC 3339); when it was recorded if absent.
    pub occurred_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRequest {
    /// Whole minutes, 1–1440.
    pub minutes: u32,
    /// The day worked (RFC 3339) [default: now].
    pub day: Option<String>,
    #[serde(default)]
    pub activity: String,
    /// Whose time [default: the caller].
    pub user: Option<String>,
}

/// Everything of the record besides triage, observables, timeline and evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkView {
    #[schema(value_type = Vec<Object>)]
    pub assets: Vec<debrief_domain::work::Asset>,
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<debrief_domain::work::ResponseAction>,
    #[schema(value_type = Vec<Object>)]
    pub tasks: Vec<debrief_domain::work::Task>,
    #[schema(value_type = Vec<Object>)]
    pub notes: Vec<debrief_domain::work::Note>,
    #[schema(value_type = Vec<Object>)]
    pub time: Vec<debrief_domain::work::TimeEntry>,
    pub minutes_logged: u64,
}

incident_route!(
    add_asset,
    "/api/v1/incidents/{incident}/assets",
    AssetRequest,
    "Record an affected asset (host, account, application, data store).",
    |current, req, state| {
        let criticality = req.criticality.unwrap_or(Criticality::Medium);
        let compromise = req.compromise.unwrap_or(Compromise::Unknown);
        current
            .add_asset(
                req.kind,
                &req.name,
                criticality,
                compromise,
                &req.description,
            )
            .map(|e| vec![e])
    }
);

incident_route!(
    add_note,
    "/api/v1/incidents/{incident}/notes",
    NoteRequest,
    "Add a note, or an interview note (`kind: interview` with `interviewee`).",
    |current, req, state| {
        let kind = req.kind.unwrap_or(NoteKind::Note);
        let at = req
            .occurred_at
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(Timestamp::parse)
            .transpose()?;
        current
            .add_note(kind, &req.text, &req.interviewee, at)
            .map(|e| vec![e])
    }
);

incident_route!(
    add_task,
    "/api/v1/incidents/{incident}/tasks",
    TaskRequest,
    "Add a task with an owner and due date.",
    |current, req, state| {
        let due = req
            .due
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(Timestamp::parse)
            .transpose()?;
        current
            .add_task(
                &req.title,
                req.owner.as_deref().filter(|o| !o.trim().is_empty()),
                due,
            )
            .map(|e| vec![e])
    }
);

/// Record a response action.
#[utoipa::path(operation_id = "record_action", post, path = "/api/v1/incidents/{incident}/actions", tag = "record",
    request_body = ActionRequest, params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_action(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult<Json<IncidentView>> {
    let kind = req.kind;
    let at = when(&req.at)?;
    let by = req
        .by
        .clone()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| user.0.user.username.to_string());
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.record_action(kind, &req.description, &by, at, &req.outcome)
            .map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// Log time spent on the incident.
#[utoipa::path(operation_id = "log_time", post, path = "/api/v1/incidents/{incident}/time", tag = "record",
    request_body = TimeRequest, params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn log_time(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<TimeRequest>,
) -> ApiResult<Json<IncidentView>> {
    let day = when(&req.day)?;
    let who = req
        .user
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| user.0.user.username.to_string());
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.log_time(&who, req.minutes, day, &req.activity)
            .map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// Change an asset's criticality or compromise status.
#[utoipa::path(operation_id = "update_asset", patch, path = "/api/v1/incidents/{incident}/assets/{id}", tag = "record",
    request_body = AssetUpdate, params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path)),
    responses((status = 200, body = IncidentView), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn update_asset(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, aid)): Path<(String, u64)>,
    ApiJson(req): ApiJson<AssetUpdate>,
) -> ApiResult<Json<IncidentView>> {
    let (criticality, compromise) = (req.criticality, req.compromise);
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.update_asset(aid, criticality, compromise)
            .map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// Change a task's status, owner or due date.
#[utoipa::path(operation_id = "update_task", patch, path = "/api/v1/incidents/{incident}/tasks/{id}", tag = "record",
    request_body = TaskUpdate, params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path)),
    responses((status = 200, body = IncidentView), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn update_task(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, tid)): Path<(String, u64)>,
    ApiJson(req): ApiJson<TaskUpdate>,
) -> ApiResult<Json<IncidentView>> {
    let status = req.status;
    let due = req
        .due
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(Timestamp::parse)
        .transpose()?;
    let occurred_at = req
        .occurred_at
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(Timestamp::parse)
        .transpose()?;
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.update_task(
            tid,
            status,
            req.owner.as_deref().filter(|o| !o.trim().is_empty()),
            due,
            occurred_at,
        )
        .map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// Assets, response actions, tasks, notes and time entries.
#[utoipa::path(operation_id = "get_work", get, path = "/api/v1/incidents/{incident}/work", tag = "record",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = WorkView), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn work(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<WorkView>> {
    check(&user, Action::ReadIncidents)?;
    let i = load(&state, &user, &reference).await?;
    let minutes_logged = i.minutes_logged();
    Ok(Json(WorkView {
        assets: i.assets,
        actions: i.actions,
        tasks: i.tasks,
        notes: i.notes,
        time: i.time,
        minutes_logged,
    }))
}

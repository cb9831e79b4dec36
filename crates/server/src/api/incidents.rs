//! `/api/v1/incidents…`: create, list, read, update, transition, assign, set timestamps, journal,
//! verify. Every write checks the caller's role first and goes through the journal.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::text::Actor;
use debrief_domain::{
    Action, Event, Incident, IncidentId, NewIncident, Status, Timestamp, authorize,
};
use debrief_store::{IncidentQuery, verify};

use super::dto::*;
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

pub(crate) fn actor(user: &Principal) -> ApiResult<Actor> {
    Actor::parse(user.user.username.as_str()).map_err(ApiError::from)
}

/// An incident the caller may read, by number or id (through the application layer's reads).
pub(crate) async fn load(
    state: &AppState,
    user: &Principal,
    reference: &str,
) -> ApiResult<Incident> {
    Ok(state.app.incident(&caller(user)?, reference).await?)
}

/// The id of an incident the caller may read, by number or id.
pub(crate) async fn resolve(
    state: &AppState,
    user: &Principal,
    reference: &str,
) -> ApiResult<IncidentId> {
    Ok(state.app.resolve(&caller(user)?, reference).await?)
}

pub(crate) fn check(user: &Principal, action: Action<'_>) -> ApiResult<()> {
    authorize(user.user.username.as_str(), user.user.role, action).map_err(ApiError::from)
}

pub use debrief_app::Need;

/// The caller as the application layer knows it.
pub(crate) fn caller(user: &Principal) -> ApiResult<debrief_app::Caller> {
    Ok(user.caller())
}

/// Runs a command through the application layer (see [`debrief_app::App::execute`]).
pub(crate) async fn apply(
    state: &AppState,
    user: &Principal,
    id: IncidentId,
    expected_seq: Option<u64>,
    need: Need<'_>,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, debrief_domain::DomainError> + Send + Sync,
) -> ApiResult<Incident> {
    let who = caller(user)?;
    Ok(state
        .app
        .execute(&who, id, need, expected_seq, decide)
        .await?)
}

/// List incidents, newest first, with filters and cursor paging.
#[utoipa::path(operation_id = "list_incidents", get, path = "/api/v1/incidents", tag = "incidents", params(ListParams),
    responses((status = 200, body = IncidentPage), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<IncidentPage>> {
    check(&user, Action::ReadIncidents)?;
    let statuses = super::comma_list::<Status>(p.status.as_deref())?;
    let limit = super::page_limit(p.limit)?;
    let before_number = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::bad_request(format!("`cursor` {c:?} is not one this API gave out"))
        })?),
        None => None,
    };
    if p.severity.is_some_and(|s| s > 5) {
        return Err(ApiError::bad_request("`severity` is a level from 0 to 5"));
    }
    let query = IncidentQuery {
        statuses,
        text: p.q,
        before_number,
        limit: Some(limit),
        min_severity: p.severity,
        class: p.class.filter(|c| !c.is_empty()),
        assignee: p
            .assignee
            .filter(|a| !a.is_empty())
            .map(|a| a.to_lowercase()),
        ..IncidentQuery::default()
    };
    let who = caller(&user)?;
    let items = state.app.list(&who, &query).await?;
    let total = state
        .app
        .count(
            &who,
            &IncidentQuery {
                before_number: None,
                ..query.clone()
            },
        )
        .await?;
    let next_cursor = (items.len() as u32 == limit)
        .then(|| items.last().map(|i| i.number.to_string()))
        .flatten();
    Ok(Json(IncidentPage {
        items: items.iter().map(IncidentView::from).collect(),
        total,
        next_cursor,
    }))
}

/// Declare an incident.
#[utoipa::path(operation_id = "create_incident", post, path = "/api/v1/incidents", tag = "incidents", request_body = CreateIncident,
    responses((status = 201, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<CreateIncident>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    check(&user, Action::CreateIncident)?;
    let detected_at = body
        .detected_at
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| Timestamp::parse(t)?.not_in_future("detected_at", Timestamp::now()))
        .transpose()?;
    let new = NewIncident::parse(
        &body.title,
        &body.summary,
        &body.reporter,
        &body.detection_source,
        detected_at,
    )?
    .restricted(body.restricted);
    let done = state.app.create(&caller(&user)?, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(IncidentView::from(&done.incident)),
    ))
}

/// One incident, by number (`42`) or UUID.
#[utoipa::path(operation_id = "get_incident", get, path = "/api/v1/incidents/{incident}", tag = "incidents",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<IncidentView>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(IncidentView::from(
        &load(&state, &user, &reference).await?,
    )))
}

/// Edit descriptive fields (all in one journal append).
#[utoipa::path(operation_id = "update_incident", patch, path = "/api/v1/incidents/{incident}", tag = "incidents", request_body = UpdateIncident,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(body): ApiJson<UpdateIncident>,
) -> ApiResult<Json<IncidentView>> {
    let edit = debrief_app::commands::EditIncident::new(
        body.title,
        body.summary,
        body.reporter,
        body.detection_source,
        body.reason,
    )?;
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(
        &state,
        &user,
        id,
        body.expected_seq,
        Need::Work,
        |current| edit.decide(current),
    )
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// Move an incident along its lifecycle.
#[utoipa::path(operation_id = "transition", post, path = "/api/v1/incidents/{incident}/transitions", tag = "incidents", request_body = TransitionRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn transition(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> ApiResult<Json<IncidentView>> {
    let to = body.to;
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(
        &state,
        &user,
        id,
        body.expected_seq,
        Need::Work,
        |current| {
            current
                .transition(to, &body.reason, &state.config.review)
                .map(|e| vec![e])
        },
    )
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// Assign an incident to a user, or release it.
#[utoipa::path(operation_id = "assign", post, path = "/api/v1/incidents/{incident}/assignment", tag = "incidents", request_body = AssignRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn assign(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(body): ApiJson<AssignRequest>,
) -> ApiResult<Json<IncidentView>> {
    let assignee = body
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_lowercase);
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(
        &state,
        &user,
        id,
        None,
        Need::Assign(assignee.as_deref()),
        |current| {
            current
                .assign(assignee.as_deref(), &body.reason)
                .map(|e| vec![e])
        },
    )
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// State a key timestamp from evidence.
#[utoipa::path(operation_id = "set_milestone", post, path = "/api/v1/incidents/{incident}/milestones", tag = "incidents", request_body = MilestoneRequest,
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = IncidentView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_milestone(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(body): ApiJson<MilestoneRequest>,
) -> ApiResult<Json<IncidentView>> {
    let milestone = body.milestone;
    let at = Timestamp::parse(&body.at)?;
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |current| {
        current
            .set_milestone(milestone, at, &body.source, &body.reason, Timestamp::now())
            .map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}

/// An incident's journal, oldest first, exactly as hashed.
#[utoipa::path(operation_id = "journal", get, path = "/api/v1/incidents/{incident}/journal", tag = "incidents",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = Vec<EntryView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn journal(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<Vec<EntryView>>> {
    check(&user, Action::ReadIncidents)?;
    let id = resolve(&state, &user, &reference).await?;
    let entries = state.app.journal(&user.caller(), id).await?;
    Ok(Json(entries.iter().map(EntryView::from).collect()))
}

/// Re-verify an incident's hash chain.
#[utoipa::path(operation_id = "verify", get, path = "/api/v1/incidents/{incident}/verify", tag = "incidents",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = VerifyView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<VerifyView>> {
    check(&user, Action::ReadIncidents)?;
    let id = resolve(&state, &user, &reference).await?;
    let report = verify::verify_incident(&*state.store, id).await?;
    let head_hash = state
        .store
        .raw_entries(debrief_store::Scope::Incident(id))
        .await?
        .last()
        .map(|r| r.hash.clone());
    Ok(Json(VerifyView {
        intact: report.intact(),
        entries: report.entries,
        head_hash,
        breaks: report.breaks.iter().map(BreakView::from).collect(),
    }))
}

/// Used by the web UI: whether the incident's chain holds.
pub async fn chain_intact(state: &AppState, id: IncidentId) -> ApiResult<bool> {
    Ok(verify::verify_incident(&*state.store, id).await?.intact())
}

//! Learning from past incidents through the API: similar past incidents, the lessons-learnt
//! search across postmortems, and the replay of how an incident was handled, entry by entry —
//! each read through the application layer (`debrief_app::learn`).

use axum::Json;
use axum::extract::{Path, State};
use debrief_domain::Action;
use debrief_domain::similar::{LessonHit, Similar};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::incidents::{check, load};
use super::{ApiQuery, ApiUser};
use crate::AppState;
use crate::error::ApiResult;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SimilarParams {
    /// At most this many (10 when absent, at most 50).
    pub limit: Option<usize>,
}

/// Similar past incidents, ranked by shared observables, the same class and type, shared ATT&CK
/// techniques and words in common; each with why, its outcome and its lessons learnt.
#[utoipa::path(operation_id = "similar_incidents", get, path = "/api/v1/incidents/{incident}/similar", tag = "knowledge",
    params(("incident" = String, Path, description = "Number or UUID"), SimilarParams),
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_similar(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiQuery(p): ApiQuery<SimilarParams>,
) -> ApiResult<Json<Vec<Similar>>> {
    check(&user, Action::ReadIncidents)?;
    let i = load(&state, &user, &reference).await?;
    Ok(Json(
        state
            .app
            .similar(&user.caller(), &i, p.limit.unwrap_or(10).clamp(1, 50))
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LessonsParams {
    /// Words every passage found holds (case and accents ignored).
    pub q: String,
}

/// Search the lessons learnt across every postmortem.
#[utoipa::path(operation_id = "search_lessons", get, path = "/api/v1/lessons", tag = "knowledge", params(LessonsParams),
    responses((status = 200, body = Vec<Object>), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_lessons(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<LessonsParams>,
) -> ApiResult<Json<Vec<LessonHit>>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(state.app.lessons(&user.caller(), &p.q).await?))
}

/// One step of a replay.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    pub seq: u64,
    /// When it happened: the time the entry states (a timeline entry, a task done, a custody
    /// link…), else when it was recorded. Steps are in this order.
    pub at: String,
    /// When it was recorded (sealed in the journal).
    pub recorded_at: String,
    /// Whether `at` was stated rather than the recording time.
    pub stated: bool,
    /// Seconds since the first step.
    pub elapsed_seconds: i64,
    /// Seconds since the previous step.
    pub since_previous_seconds: i64,
    pub actor: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl Step {
    /// A step of the application layer's replay, as the API shows it.
    pub fn of(s: &debrief_app::learn::ReplayStep) -> Step {
        let e = &s.entry;
        Step {
            seq: e.seq,
            at: s.at.to_string(),
            recorded_at: e.recorded_at.to_string(),
            stated: s.stated,
            elapsed_seconds: s.elapsed_seconds,
            since_previous_seconds: s.since_previous_seconds,
            // Anonymous input to the review is not attributed to its author here.
            actor: if e.author_hidden() {
                "anonymous".to_string()
            } else {
                e.actor.to_string()
            },
            kind: e.kind.clone(),
            payload: e.payload.clone(),
        }
    }
}

/// How the incident was handled, entry by entry, with the time between steps.
#[utoipa::path(operation_id = "replay", get, path = "/api/v1/incidents/{incident}/replay", tag = "knowledge",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = Vec<Step>), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_replay(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<Vec<Step>>> {
    check(&user, Action::ReadIncidents)?;
    let i = load(&state, &user, &reference).await?;
    Ok(Json(
        state
            .app
            .replay(&user.caller(), &i)
            .await?
            .iter()
            .map(Step::of)
            .collect(),
    ))
}

//! The OWASP SAMM Incident Management assessment through the API: each question with Debrief's
//! suggested answer and its evidence, the confirmed answers, the scores and their history.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use debrief_domain::samm::{Confirmed, Model, ProgramFacts, Question, Scores, Suggestion};
use debrief_domain::{Action, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::incidents::check;
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// One question as assessed.
#[derive(Debug, Serialize)]
pub struct Item {
    #[serde(flatten)]
    pub question: Question,
    pub suggestion: Suggestion,
    /// The latest confirmed answer.
    pub confirmed: Option<Confirmed>,
}

/// The whole assessment.
#[derive(Debug, Serialize)]
pub struct Assessment {
    pub practice: String,
    pub items: Vec<Item>,
    pub facts: ProgramFacts,
    pub scores: Scores,
    /// The practice's score after each confirmed answer.
    pub history: Vec<(Timestamp, Scores)>,
}

fn model(state: &AppState) -> ApiResult<&Model> {
    state.config.samm.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "samm-not-configured",
            "the OWASP SAMM model is not loaded: start the server with --samm DIR (the model folder of owaspsamm/core, e.g. ../shared/data/samm/model)",
        )
    })
}

/// The assessment as it stands.
pub async fn assessment(state: &AppState, caller: &debrief_app::Caller) -> ApiResult<Assessment> {
    let m = model(state)?;
    let facts = crate::samm::program_facts(state, caller).await?;
    let answers = state.store.samm_answers().await?;
    let items = m
        .questions
        .iter()
        .map(|q| Item {
            question: q.clone(),
            suggestion: debrief_domain::samm::suggest(q, &facts),
            confirmed: answers.iter().rev().find(|a| a.question == q.id).cloned(),
        })
        .collect();
    Ok(Assessment {
        practice: m.practice.clone(),
        items,
        scores: debrief_domain::samm::scores(m, &answers),
        history: debrief_domain::samm::history(m, &answers),
        facts,
    })
}

/// The SAMM Incident Management assessment: per stream and level the question, its quality
/// criteria, Debrief's suggested answer with the evidence, the confirmed answer, the scores
/// and their history.
#[utoipa::path(operation_id = "samm_assessment", get, path = "/api/v1/samm", tag = "metrics",
    responses((status = 200, body = Object), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_assessment(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<Assessment>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(assessment(&state, &user.caller()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The question's id.
    pub question: String,
    /// The answer's position in the question's answer set (0 = "No").
    pub answer: usize,
    #[serde(default)]
    pub note: String,
}

/// Records a confirmed answer by `caller`, once the question and answer are found in the model.
pub async fn confirm(
    state: &AppState,
    caller: &debrief_app::Caller,
    req: AnswerRequest,
) -> ApiResult<()> {
    let m = model(state)?;
    let q = m
        .questions
        .iter()
        .find(|q| q.id == req.question.trim())
        .ok_or_else(|| ApiError::unprocessable(format!("no SAMM question `{}`", req.question)))?;
    let a = q.answers.get(req.answer).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "answer {} is not one of the question's {} answers (0 to {})",
            req.answer,
            q.answers.len(),
            q.answers.len().saturating_sub(1)
        ))
    })?;
    state
        .app
        .confirm_samm_answer(
            caller,
            debrief_app::setup::SammAnswer {
                question: q.id.clone(),
                answer: req.answer,
                value: a.value,
                note: req.note,
            },
        )
        .await?;
    Ok(())
}

/// Confirm an answer (managers and admins); earlier answers stay as the history.
#[utoipa::path(operation_id = "samm_answer", post, path = "/api/v1/samm/answers", tag = "metrics", request_body = AnswerRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn post_answer(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> ApiResult<(StatusCode, Json<Assessment>)> {
    check(&user, Action::AssessProgram)?;
    confirm(&state, &user.caller(), req).await?;
    Ok((
        StatusCode::CREATED,
        Json(assessment(&state, &user.caller()).await?),
    ))
}

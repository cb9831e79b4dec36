//! The post-incident review through the API: the postmortem document (sections, impact, root
//! causes, lessons, review workflow with a manager's approval), recommendations tracked to
//! completion, questions to the business; and what is computed, never typed — response
//! effectiveness from the journal's timestamps, the blameless check, the review's due date. Every
//! change is a journal entry. `GET /api/v1/recommendations` is the board across incidents.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::blameless::Finding;
use debrief_domain::effectiveness::{Measure, effectiveness, review_due};
use debrief_domain::postmortem::{
    CauseCategory, Impact, InfoRequest, InputQuestion, PmList, PmText, PostmortemStatus, Priority,
    Recommendation, RecommendationStatus, due_state,
};
use debrief_domain::{Action, Event, Incident, Language, Milestone, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::incidents::{Need, apply, caller, check, load, resolve};
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// A recommendation with its computed priority and due state.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationView {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub recommendation: Recommendation,
    pub score: u8,
    pub quadrant: String,
    pub due_state: String,
}

pub(crate) fn rec_view(r: &Recommendation, now: Timestamp) -> RecommendationView {
    RecommendationView {
        recommendation: r.clone(),
        score: r.priority.score(),
        quadrant: r.priority.quadrant().as_str().into(),
        due_state: due_state(r.status, r.due, now).as_str().into(),
    }
}

/// A question to the business, with how long the answer took.
#[derive(Debug, Serialize, ToSchema)]
pub struct InfoRequestView {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub request: InfoRequest,
    pub answer_seconds: Option<i64>,
}

/// The postmortem and what is computed from the journal.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostmortemView {
    pub incident: i64,
    pub title: String,
    /// `draft`, `in-review`, `approved`, `published` (`draft` until written).
    pub status: String,
    #[schema(value_type = Object)]
    pub postmortem: debrief_domain::postmortem::Postmortem,
    /// Net cost per currency (direct + indirect − recovered), minor units.
    pub net_costs: BTreeMap<String, i64>,
    #[schema(value_type = Vec<Object>)]
    pub effectiveness: Vec<Measure>,
    /// When the review meeting is due (from recovery, else closure, by severity), if known.
    pub review_due: Option<String>,
    pub recommendations: Vec<RecommendationView>,
    pub info_requests: Vec<InfoRequestView>,
    /// How long the business took to answer, on average (answered questions only).
    pub mean_answer_seconds: Option<i64>,
    /// Adherence to the playbooks applied: each step done, skipped or still open.
    #[schema(value_type = Vec<Object>)]
    pub playbooks: Vec<debrief_domain::playbook::Adherence>,
    /// Blame language and people named in root causes: warnings with a neutral rewrite hint.
    #[schema(value_type = Vec<Object>)]
    pub blameless: Vec<Finding>,
    /// The review's questions the record cannot answer yet, and what to fill in.
    pub readiness: Readiness,
}

/// Which questions of the post-incident review the record cannot answer yet. Approval is
/// refused while a required one is open (`review_required` in the configuration).
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// No required item is open: the postmortem may be approved.
    pub ready: bool,
    pub items: Vec<ReadinessGap>,
}

/// One open item of the review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessGap {
    /// `summary`, `key-dates`, `timeline`, `went-well`, `went-wrong`, `root-causes`,
    /// `preventability`, `response`, `impact`, `costs`, `backups`, `business-answers`,
    /// `playbooks`, `time-spent`, `recommendations`, `participants`, `regulator-facts`,
    /// `blame-language`.
    pub item: String,
    /// Approval waits for it.
    pub required: bool,
    /// What precisely is missing: key dates and regulators' items by name, the questions and
    /// root causes as written, open steps counted.
    pub missing: Vec<String>,
    /// The question the reports cannot answer yet, in the reader's language.
    pub question: String,
    /// What to fill in, in the reader's language.
    pub fill: String,
}

/// The readiness of an incident's postmortem under the installation's policy, said in `lang`.
pub fn readiness(state: &AppState, i: &Incident, lang: Language) -> Readiness {
    let items: Vec<ReadinessGap> = i
        .readiness(&state.config.review)
        .iter()
        .map(|g| {
            let said = debrief_report::context::gap_said(g, lang);
            ReadinessGap {
                item: g.item.as_str().into(),
                required: g.required,
                missing: said.missing,
                question: said.question,
                fill: said.fill,
            }
        })
        .collect();
    Readiness {
        ready: items.iter().all(|g| !g.required),
        items,
    }
}

pub async fn view(state: &AppState, i: &Incident, lang: Language) -> ApiResult<PostmortemView> {
    let now = Timestamp::now();
    let pm = &i.postmortem;
    // Root causes must not name people of the system.
    let users = state.store.list_users().await?;
    let people: Vec<&str> = users
        .iter()
        .flat_map(|u| [u.username.as_str(), u.display_name.as_str()])
        .collect();
    let blameless = i.blame_findings(lang, &people);
    let level = i.severity.as_ref().map(|a| a.level);
    let end = i
        .milestone(Milestone::Recovered)
        .or(i.milestone(Milestone::Closed));
    let answered: Vec<i64> = i
        .info_requests
        .iter()
        .filter_map(|r| r.answered_at.map(|a| a.seconds_since(r.asked_at)))
        .collect();
    Ok(PostmortemView {
        incident: i.number,
        title: i.title.clone(),
        status: pm.status.unwrap_or(PostmortemStatus::Draft).as_str().into(),
        postmortem: pm.clone(),
        net_costs: pm.impact.net_costs(),
        effectiveness: effectiveness(i, &state.config.targets),
        review_due: level.zip(end).map(|(l, e)| review_due(l, e).to_string()),
        recommendations: i.recommendations.iter().map(|r| rec_view(r, now)).collect(),
        info_requests: i
            .info_requests
            .iter()
            .map(|r| InfoRequestView {
                request: r.clone(),
                answer_seconds: r.answered_at.map(|a| a.seconds_since(r.asked_at)),
            })
            .collect(),
        mean_answer_seconds: (!answered.is_empty())
            .then(|| answered.iter().sum::<i64>() / answered.len() as i64),
        playbooks: i.adherence(),
        blameless,
        readiness: readiness(state, i, lang),
    })
}

fn lang(user: &ApiUser) -> Language {
    user.0.user.language.unwrap_or(Language::En)
}

/// Applies `decide` to the incident (the caller may work it) and answers the postmortem.
async fn change(
    state: &AppState,
    user: &ApiUser,
    reference: &str,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, debrief_domain::DomainError> + Send + Sync,
) -> ApiResult<Json<PostmortemView>> {
    let id = resolve(state, user, reference).await?;
    let incident = apply(state, user, id, None, Need::Work, decide).await?;
    Ok(Json(view(state, &incident, lang(user)).await?))
}

/// The postmortem of an incident, with response effectiveness, the blameless check and the
/// recommendations.
#[utoipa::path(operation_id = "get_postmortem", get, path = "/api/v1/incidents/{incident}/postmortem", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = PostmortemView), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_postmortem(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<PostmortemView>> {
    check(&user, Action::ReadIncidents)?;
    let i = load(&state, &user, &reference).await?;
    Ok(Json(view(&state, &i, lang(&user)).await?))
}

/// Which questions of the post-incident review the record cannot answer yet (in the caller's
/// language) and what to fill in; `ready` is false while an item the installation requires
/// before approval is open.
#[utoipa::path(operation_id = "postmortem_readiness", get, path = "/api/v1/incidents/{incident}/postmortem/readiness", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = Readiness), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_readiness(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<Readiness>> {
    let i = load(&state, &user, &reference).await?;
    Ok(Json(readiness(&state, &i, lang(&user))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostmortemEdit {
    /// Sections to write: `summary`, `trigger`, `detection`, `resolution`, `reputation`, `recovery`.
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
    /// Lists to replace: `went-well`, `went-wrong`, `lucky`, `contributing-factors`,
    /// `participants`, `affected-systems`.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<String>>,
    /// The impact section, replaced whole.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub impact: Option<Impact>,
    /// The review meeting (RFC 3339).
    #[serde(default)]
    pub review_at: Option<String>,
}

/// Write sections of the postmortem; each change is a journal entry, unchanged ones are skipped.
#[utoipa::path(operation_id = "edit_postmortem", patch, path = "/api/v1/incidents/{incident}/postmortem", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = PostmortemEdit,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn edit_postmortem(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<PostmortemEdit>,
) -> ApiResult<Json<PostmortemView>> {
    let texts: Vec<(PmText, String)> = req
        .texts
        .iter()
        .map(|(k, v)| Ok((k.parse::<PmText>()?, v.clone())))
        .collect::<Result<_, debrief_domain::DomainError>>()?;
    let lists: Vec<(PmList, Vec<String>)> = req
        .lists
        .iter()
        .map(|(k, v)| Ok((k.parse::<PmList>()?, v.clone())))
        .collect::<Result<_, debrief_domain::DomainError>>()?;
    let review_at = req
        .review_at
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(Timestamp::parse)
        .transpose()?;
    if texts.is_empty() && lists.is_empty() && req.impact.is_none() && review_at.is_none() {
        return Err(ApiError::conflict(
            "nothing to change: give texts, lists, impact or review_at",
        ));
    }
    let impact = req.impact.clone();
    change(&state, &user, &reference, move |c| {
        let mut out = Vec::new();
        let mut keep = |r: Result<Event, debrief_domain::DomainError>| match r {
            Ok(e) => {
                out.push(e);
                Ok(())
            }
            Err(debrief_domain::DomainError::Unchanged(_)) => Ok(()),
            Err(e) => Err(e),
        };
        for (s, t) in &texts {
            keep(c.set_postmortem_text(*s, t))?;
        }
        for (l, items) in &lists {
            keep(c.set_postmortem_list(*l, items))?;
        }
        if let Some(i) = &impact {
            keep(c.set_impact(i.clone()))?;
        }
        if let Some(at) = review_at {
            keep(c.schedule_review(at))?;
        }
        Ok(out)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCauseRequest {
    /// `technology`, `process` or `people`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub category: CauseCategory,
    pub text: String,
    /// The five-whys chain.
    #[serde(default)]
    pub whys: Vec<String>,
    #[serde(default)]
    pub preventable: Option<bool>,
    #[serde(default)]
    pub prevention: String,
    /// The earlier incident with the same root cause.
    #[serde(default)]
    pub recurrence_of: Option<i64>,
}

/// Add a root cause (with its five whys, whether and how it could have been prevented).
#[utoipa::path(operation_id = "add_root_cause", post, path = "/api/v1/incidents/{incident}/postmortem/root-causes", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = RootCauseRequest,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_root_cause(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<RootCauseRequest>,
) -> ApiResult<Json<PostmortemView>> {
    let category = req.category;
    change(&state, &user, &reference, move |c| {
        c.add_root_cause(
            category,
            &req.text,
            &req.whys,
            req.preventable,
            &req.prevention,
            req.recurrence_of,
        )
        .map(|e| vec![e])
    })
    .await
}

/// A participant's input before the review meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInputRequest {
    /// Answers by question: `what-happened`, `went-well`, `went-wrong`, `lucky`, `business`,
    /// `improve` (at least one).
    pub answers: BTreeMap<String, String>,
    /// Not named in pages, reports and this view (the raw journal keeps the author: each
    /// entry's hash covers it).
    #[serde(default)]
    pub anonymous: bool,
}

/// Give input before the review meeting: answers to the review's questions, optionally
/// anonymous (not named in pages, reports or the postmortem view; the raw journal keeps the
/// author, since each entry's hash covers it).
#[utoipa::path(operation_id = "give_review_input", post, path = "/api/v1/incidents/{incident}/postmortem/inputs", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = ReviewInputRequest,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn give_review_input(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ReviewInputRequest>,
) -> ApiResult<Json<PostmortemView>> {
    let answers: BTreeMap<InputQuestion, String> = req
        .answers
        .iter()
        .map(|(k, v)| Ok((k.parse::<InputQuestion>()?, v.clone())))
        .collect::<Result<_, debrief_domain::DomainError>>()?;
    change(&state, &user, &reference, move |c| {
        c.give_review_input(&answers, req.anonymous)
            .map(|e| vec![e])
    })
    .await
}

/// The review meeting as it was held.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewHeldRequest {
    /// When it was held (RFC 3339; not in the future).
    pub at: String,
    /// Who attended: user names or names in words (at least one).
    pub attendees: Vec<String>,
    /// Who was invited and did not attend.
    #[serde(default)]
    pub absent: Vec<String>,
    /// What was decided.
    #[serde(default)]
    pub decisions: Vec<String>,
}

/// Record the review meeting as held (again to correct it): when, who attended, who was
/// absent, what was decided.
#[utoipa::path(operation_id = "record_review", put, path = "/api/v1/incidents/{incident}/postmortem/meeting", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = ReviewHeldRequest,
    responses((status = 200, body = PostmortemView), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn record_review(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ReviewHeldRequest>,
) -> ApiResult<Json<PostmortemView>> {
    let at = Timestamp::parse(&req.at)?;
    change(&state, &user, &reference, move |c| {
        c.record_review(
            at,
            &req.attendees,
            &req.absent,
            &req.decisions,
            Timestamp::now(),
        )
        .map(|e| vec![e])
    })
    .await
}

/// A root cause rewritten: every field as it should now read (the earlier incident it recurs
/// from stays as first stated).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCauseEdit {
    /// `technology`, `process` or `people`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub category: CauseCategory,
    pub text: String,
    /// The five-whys chain.
    #[serde(default)]
    pub whys: Vec<String>,
    #[serde(default)]
    pub preventable: Option<bool>,
    #[serde(default)]
    pub prevention: String,
}

/// Rewrite a root cause (so that what the blameless check flags can be fixed); refused once
/// the postmortem is approved.
#[utoipa::path(operation_id = "update_root_cause", put, path = "/api/v1/incidents/{incident}/postmortem/root-causes/{id}", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path, description = "The root cause's number")),
    request_body = RootCauseEdit,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update_root_cause(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, id)): Path<(String, u64)>,
    ApiJson(req): ApiJson<RootCauseEdit>,
) -> ApiResult<Json<PostmortemView>> {
    let category = req.category;
    change(&state, &user, &reference, move |c| {
        c.update_root_cause(
            id,
            category,
            &req.text,
            &req.whys,
            req.preventable,
            &req.prevention,
        )
        .map(|e| vec![e])
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub to: PostmortemStatus,
    #[serde(default)]
    pub reason: String,
}

/// A recommendation's next status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationStatusRequest {
    /// `open`, `in-progress`, `done`, `verified` or `rejected`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub to: RecommendationStatus,
    #[serde(default)]
    pub reason: String,
}

/// Move the postmortem in its review: `in-review`; `approved` and `published` by a manager;
/// back to `draft` with a reason.
#[utoipa::path(operation_id = "postmortem_status", post, path = "/api/v1/incidents/{incident}/postmortem/status", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = StatusRequest,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn postmortem_status(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> ApiResult<Json<PostmortemView>> {
    let to = req.to;
    if matches!(to, PostmortemStatus::Approved | PostmortemStatus::Published) {
        check(&user, Action::ApprovePostmortem)?;
    }
    let policy = &state.config.review;
    change(&state, &user, &reference, move |c| {
        c.change_postmortem_status(to, &req.reason, policy)
            .map(|e| vec![e])
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationRequest {
    pub action: String,
    /// `prevent`, `mitigate`, `detect`, `process`, `training`, `tooling`.
    #[serde(deserialize_with = "crate::de::choice", rename = "type")]
    #[schema(value_type = String)]
    pub kind: debrief_domain::postmortem::RecommendationKind,
    /// 1–5.
    pub impact: i64,
    /// 1–5.
    pub effort: i64,
    #[serde(default)]
    pub owner: Option<String>,
    /// RFC 3339; 4 weeks (high priority) or 8 weeks from now when absent.
    #[serde(default)]
    pub due: Option<String>,
    /// Root cause ids it addresses.
    #[serde(default)]
    pub root_causes: Vec<u64>,
    /// Other incidents it also answers (numbers).
    #[serde(default)]
    pub incidents: Vec<i64>,
}

/// Add a recommendation: priority and quadrant from impact and effort, a default due date.
#[utoipa::path(operation_id = "add_recommendation", post, path = "/api/v1/incidents/{incident}/recommendations", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = RecommendationRequest,
    responses((status = 201, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_recommendation(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<RecommendationRequest>,
) -> ApiResult<(StatusCode, Json<PostmortemView>)> {
    let command = debrief_app::commands::AddRecommendation {
        kind: req.kind,
        priority: Priority::new(req.impact, req.effort)?,
        owner: debrief_app::commands::AddRecommendation::owner_from(req.owner.as_deref())?,
        due: req
            .due
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(Timestamp::parse)
            .transpose()?,
        action: req.action,
        root_causes: req.root_causes,
        related: req.incidents,
    };
    let id = resolve(&state, &user, &reference).await?;
    let incident = state
        .app
        .add_recommendation(&caller(&user)?, id, &command, Timestamp::now())
        .await?;
    let out = Json(view(&state, &incident, lang(&user)).await?);
    Ok((StatusCode::CREATED, out))
}

/// A recommendation's new wording, owner and due date (all three; its kind, priority and what it
/// answers stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationUpdate {
    pub action: String,
    /// A user name, or a team named in words; absent or blank: no owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// RFC 3339.
    pub due: String,
}

/// Reword a recommendation, or give it another owner or due date, while it is open or in
/// progress (409 once done, verified or rejected, and when nothing changes).
#[utoipa::path(operation_id = "update_recommendation", put, path = "/api/v1/incidents/{incident}/recommendations/{id}", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path, description = "Recommendation id")), request_body = RecommendationUpdate,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update_recommendation(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, rid)): Path<(String, u64)>,
    ApiJson(req): ApiJson<RecommendationUpdate>,
) -> ApiResult<Json<PostmortemView>> {
    let command = debrief_app::commands::UpdateRecommendation {
        id: rid,
        action: req.action,
        owner: debrief_app::commands::AddRecommendation::owner_from(
            req.owner.as_deref().filter(|o| !o.trim().is_empty()),
        )?,
        due: Timestamp::parse(&req.due)?,
    };
    let id = resolve(&state, &user, &reference).await?;
    let incident = state
        .app
        .update_recommendation(&caller(&user)?, id, &command)
        .await?;
    Ok(Json(view(&state, &incident, lang(&user)).await?))
}

/// Move a recommendation: `in-progress`, `done`, `verified`; `rejected` (and any step back)
/// with a reason.
#[utoipa::path(operation_id = "recommendation_status", post, path = "/api/v1/incidents/{incident}/recommendations/{id}/status", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path, description = "Recommendation id")), request_body = RecommendationStatusRequest,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn recommendation_status(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, id)): Path<(String, u64)>,
    ApiJson(req): ApiJson<RecommendationStatusRequest>,
) -> ApiResult<Json<PostmortemView>> {
    let to = req.to;
    change(&state, &user, &reference, move |c| {
        c.change_recommendation_status(id, to, &req.reason)
            .map(|e| vec![e])
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfoRequestBody {
    /// Who was asked (legal, a system owner, a business unit).
    pub to: String,
    pub question: String,
}

/// Record a question put to the business (its answer time is measured).
#[utoipa::path(operation_id = "request_info", post, path = "/api/v1/incidents/{incident}/info-requests", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = InfoRequestBody,
    responses((status = 201, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn request_info(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<InfoRequestBody>,
) -> ApiResult<(StatusCode, Json<PostmortemView>)> {
    let out = change(&state, &user, &reference, move |c| {
        c.request_info(&req.to, &req.question).map(|e| vec![e])
    })
    .await?;
    Ok((StatusCode::CREATED, out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub answer: String,
    /// When the business answered (RFC 3339); when it is recorded if absent.
    pub answered_at: Option<String>,
}

/// Record the business's answer.
#[utoipa::path(operation_id = "answer_info", post, path = "/api/v1/incidents/{incident}/info-requests/{id}/answer", tag = "postmortem",
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path, description = "Request id")), request_body = AnswerBody,
    responses((status = 200, body = PostmortemView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn answer_info(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, id)): Path<(String, u64)>,
    ApiJson(req): ApiJson<AnswerBody>,
) -> ApiResult<Json<PostmortemView>> {
    let at = req
        .answered_at
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .map(Timestamp::parse)
        .transpose()?;
    change(&state, &user, &reference, move |c| {
        c.answer_info(id, &req.answer, at).map(|e| vec![e])
    })
    .await
}

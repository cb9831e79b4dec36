//! The recommendations board across incidents (`GET /api/v1/recommendations`, the
//! `/recommendations` page, `debrief recommendations`): every recommendation by due state, with
//! the completion rate and open ones per owner, and the reviews owed — incidents recovered or
//! closed whose postmortem is not approved.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use debrief_domain::effectiveness::review_due;
use debrief_domain::postmortem::{DueState, PostmortemStatus, RecommendationStatus, due_state};
use debrief_domain::{Action, Milestone, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::incidents::check;
use super::postmortem::{RecommendationView, rec_view};
use super::{ApiQuery, ApiUser};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// `open` (default: not done, verified or rejected), `overdue`, `due-soon`, `all`.
    pub state: Option<String>,
    /// Only this owner's.
    pub owner: Option<String>,
}

/// One line of the board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardItem {
    pub incident: i64,
    pub incident_title: String,
    #[serde(flatten)]
    pub recommendation: RecommendationView,
}

/// An incident recovered or closed whose postmortem is not approved yet: a review owed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOwed {
    pub incident: i64,
    pub title: String,
    /// `draft`, `in-review` (`draft` until written).
    pub postmortem: String,
    /// When it was recovered (or closed).
    pub ended_at: String,
    /// When the review is due, by severity (unknown without a severity).
    pub review_due: Option<String>,
    /// The review's due date has passed.
    pub overdue: bool,
}

/// The recommendations board across incidents.
#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    pub items: Vec<BoardItem>,
    /// Incidents recovered or closed without an approved postmortem, overdue reviews first.
    pub reviews: Vec<ReviewOwed>,
    pub total: usize,
    pub completed: usize,
    pub overdue: usize,
    pub due_soon: usize,
    /// Done or verified, of those not rejected (0–1); `None` without any.
    pub completion_rate: Option<f64>,
    /// Open recommendations per owner (`unassigned` for none).
    pub by_owner: BTreeMap<String, usize>,
}

/// Every recommendation across incidents: overdue and due soon first, then by due date; with
/// completion rate and counts per owner. Reminders go through this board until the notification
/// channels exist.
#[utoipa::path(operation_id = "recommendation_board", get, path = "/api/v1/recommendations", tag = "postmortem", params(BoardParams),
    responses((status = 200, body = Board), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn board(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<BoardParams>,
) -> ApiResult<Json<Board>> {
    board_for(&state, &user, p).await
}

/// What `board` does, for the API and the pages alike.
pub(crate) async fn board_for(
    state: &AppState,
    user: &Principal,
    p: BoardParams,
) -> ApiResult<Json<Board>> {
    check(user, Action::ReadIncidents)?;
    Ok(Json(compute_board(&state.app, &user.caller(), &p).await?))
}

/// The board's content (also what `debrief recommendations` prints).
pub async fn compute_board(
    app: &debrief_app::App,
    who: &debrief_app::Caller,
    p: &BoardParams,
) -> ApiResult<Board> {
    let filter = p.state.as_deref().unwrap_or("open");
    if !["open", "overdue", "due-soon", "all"].contains(&filter) {
        return Err(ApiError::bad_request(
            "`state` is open, overdue, due-soon or all",
        ));
    }
    let now = Timestamp::now();
    let mut all = Vec::new();
    let mut reviews = Vec::new();
    for i in app.all(who).await? {
        let end = i
            .milestone(Milestone::Recovered)
            .or(i.milestone(Milestone::Closed));
        let approved = matches!(
            i.postmortem.status,
            Some(PostmortemStatus::Approved | PostmortemStatus::Published)
        );
        if let (Some(end), false) = (end, approved) {
            let due = i.severity.as_ref().map(|s| review_due(s.level, end));
            reviews.push((
                due,
                i.number,
                ReviewOwed {
                    incident: i.number,
                    title: i.title.clone(),
                    postmortem: i
                        .postmortem
                        .status
                        .unwrap_or(PostmortemStatus::Draft)
                        .as_str()
                        .into(),
                    ended_at: end.to_string(),
                    review_due: due.map(|d| d.to_string()),
                    overdue: due.is_some_and(|d| d < now),
                },
            ));
        }
        for r in &i.recommendations {
            all.push(BoardItem {
                incident: i.number,
                incident_title: i.title.clone(),
                recommendation: rec_view(r, now),
            });
        }
    }
    let counted = all
        .iter()
        .filter(|b| b.recommendation.recommendation.status != RecommendationStatus::Rejected)
        .count();
    let completed = all
        .iter()
        .filter(|b| {
            matches!(
                b.recommendation.recommendation.status,
                RecommendationStatus::Done | RecommendationStatus::Verified
            )
        })
        .count();
    let state_of = |b: &BoardItem| {
        due_state(
            b.recommendation.recommendation.status,
            b.recommendation.recommendation.due,
            now,
        )
    };
    let overdue = all
        .iter()
        .filter(|b| state_of(b) == DueState::Overdue)
        .count();
    let due_soon = all
        .iter()
        .filter(|b| state_of(b) == DueState::DueSoon)
        .count();
    let mut by_owner = BTreeMap::new();
    for b in all.iter().filter(|b| state_of(b) != DueState::Closed) {
        let owner = b
            .recommendation
            .recommendation
            .owner
            .clone()
            .unwrap_or_else(|| "unassigned".into());
        *by_owner.entry(owner).or_insert(0) += 1;
    }
    let total = all.len();
    let mut items: Vec<BoardItem> = all
        .into_iter()
        .filter(|b| match filter {
            "all" => true,
            "overdue" => state_of(b) == DueState::Overdue,
            "due-soon" => state_of(b) == DueState::DueSoon,
            _ => state_of(b) != DueState::Closed,
        })
        .filter(|b| {
            p.owner
                .as_deref()
                .is_none_or(|o| b.recommendation.recommendation.owner.as_deref() == Some(o.trim()))
        })
        .collect();
    let rank = |s: DueState| match s {
        DueState::Overdue => 0,
        DueState::DueSoon => 1,
        DueState::OnTrack => 2,
        DueState::Closed => 3,
    };
    items.sort_by(|a, b| {
        rank(state_of(a)).cmp(&rank(state_of(b))).then(
            a.recommendation
                .recommendation
                .due
                .cmp(&b.recommendation.recommendation.due),
        )
    });
    // Overdue reviews first, then by due date (unknown last), then by number.
    reviews.sort_by_key(|(due, n, r)| (!r.overdue, due.is_none(), *due, *n));
    Ok(Board {
        items,
        reviews: reviews.into_iter().map(|(_, _, r)| r).collect(),
        total,
        completed,
        overdue,
        due_soon,
        completion_rate: (counted > 0).then(|| completed as f64 / counted as f64),
        by_owner,
    })
}

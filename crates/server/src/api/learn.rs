//! Learning from past incidents through the API: similar past incidents (candidates found by
//! the store's indexes, ranked by `debrief_domain::similar`), the lessons-learnt search across
//! postmortems, and the replay of how an incident was handled, entry by entry.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use debrief_app::Caller;
use debrief_domain::similar::{Candidate, LessonHit, Similar, rank, search_words};
use debrief_domain::{Action, Incident};
use debrief_store::IncidentQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::incidents::{check, load};
use super::{ApiQuery, ApiUser};
use crate::AppState;
use crate::error::ApiResult;

/// How many incidents of the same class are considered, and how many words are searched.
const SAME_CLASS: u32 = 200;
const WORDS: usize = 8;

/// Similar past incidents of `i`, best first.
pub async fn similar(
    state: &AppState,
    who: &Caller,
    i: &Incident,
    limit: usize,
) -> ApiResult<Vec<Similar>> {
    // number → (shared observable values, words found)
    let mut found: BTreeMap<i64, (Vec<String>, usize)> = BTreeMap::new();
    for (value, numbers) in state.app.shared_observables(who, i.id).await? {
        for n in numbers {
            found.entry(n).or_default().0.push(value.clone());
        }
    }
    let words = search_words(i, WORDS);
    for w in &words {
        let mut seen = std::collections::BTreeSet::new();
        for hit in state.app.search(who, w, 200).await? {
            if seen.insert(hit.number) {
                found.entry(hit.number).or_default().1 += 1;
            }
        }
    }
    let mut incidents: BTreeMap<i64, Incident> = BTreeMap::new();
    if let Some(c) = &i.classification {
        for x in state
            .app
            .list(
                who,
                &IncidentQuery {
                    class: Some(c.class.clone()),
                    limit: Some(SAME_CLASS),
                    ..IncidentQuery::default()
                },
            )
            .await?
        {
            incidents.insert(x.number, x);
        }
    }
    // The strongest of the other candidates, loaded one by one.
    let mut others: Vec<(&i64, &(Vec<String>, usize))> = found
        .iter()
        .filter(|(n, _)| !incidents.contains_key(n) && **n != i.number)
        .collect();
    others.sort_by_key(|(n, (obs, w))| std::cmp::Reverse((obs.len(), *w, **n)));
    for (n, _) in others.into_iter().take(100) {
        incidents.insert(*n, state.app.incident(who, &n.to_string()).await?);
    }
    let candidates: Vec<Candidate<'_>> = incidents
        .values()
        .map(|x| {
            let (obs, w) = found.get(&x.number).cloned().unwrap_or_default();
            Candidate {
                incident: x,
                shared_observables: obs,
                text: if words.is_empty() {
                    0.0
                } else {
                    w as f64 / words.len() as f64
                },
            }
        })
        .collect();
    Ok(rank(i, &candidates, limit))
}

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
        similar(
            &state,
            &user.caller(),
            &i,
            p.limit.unwrap_or(10).clamp(1, 50),
        )
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

/// The lessons-learnt search: postmortem passages (what went wrong or well, root causes and
/// their whys, prevention, recommendations) holding all the words, newest incidents first.
pub async fn lessons(state: &AppState, who: &Caller, q: &str) -> ApiResult<Vec<LessonHit>> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    let all = state.app.all(who).await?;
    Ok(debrief_domain::similar::search_lessons(&all, q))
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
    Ok(Json(lessons(&state, &user.caller(), &p.q).await?))
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

/// The journal as steps with the clock between them.
pub async fn steps(
    state: &AppState,
    who: &Caller,
    i: &Incident,
) -> ApiResult<Vec<(Step, debrief_domain::JournalEntry)>> {
    let journal = state.app.journal(who, i.id).await?;
    // What happened, in the order it happened: an entry that states a time is placed there.
    let mut dated: Vec<(
        debrief_domain::Timestamp,
        bool,
        debrief_domain::JournalEntry,
    )> = journal
        .into_iter()
        .map(|e| match e.event().ok().and_then(|ev| ev.stated_at()) {
            Some(at) => (at, true, e),
            None => (e.recorded_at, false, e),
        })
        .collect();
    dated.sort_by_key(|(at, _, e)| (*at, e.seq));
    let first = dated.first().map(|(at, _, _)| *at);
    let mut previous = first;
    Ok(dated
        .into_iter()
        .map(|(at, stated, e)| {
            let step = Step {
                seq: e.seq,
                at: at.to_string(),
                recorded_at: e.recorded_at.to_string(),
                stated,
                elapsed_seconds: first.map_or(0, |f| at.seconds_since(f)),
                since_previous_seconds: previous.map_or(0, |p| at.seconds_since(p)),
                // Anonymous input to the review is not attributed to its author here.
                actor: if e.author_hidden() {
                    "anonymous".to_string()
                } else {
                    e.actor.to_string()
                },
                kind: e.kind.clone(),
                payload: e.payload.clone(),
            };
            previous = Some(at);
            (step, e)
        })
        .collect())
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
        steps(&state, &user.caller(), &i)
            .await?
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
    ))
}

//! Pages to learn from past incidents: similar past incidents (`/incidents/42/similar`), the
//! replay of how an incident was handled (`/incidents/42/replay`, printable with `?print=1`),
//! and the lessons-learnt search (`/lessons?q=`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::similar::{LessonHit, Similar};
use debrief_domain::{Action, Timestamp};
use serde::{Deserialize, Serialize};

use super::WebUser;
use super::pages::{app_error, forbidden, may, render_view, resolve_number};
use crate::AppState;

/// `3 d 4 h`, `2 h 05 min`, `40 min`, `12 s`.
pub fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

async fn incident_for(
    state: &AppState,
    user: &WebUser,
    number: &str,
) -> Result<debrief_domain::Incident, Response> {
    if let Err(why) = may(user, Action::ReadIncidents) {
        return Err(forbidden(user, &why));
    }
    let id = resolve_number(state, user, number).await?;
    super::pages::incident_for(state, user, id).await
}

#[derive(Debug, Deserialize)]
pub struct ReplayParams {
    #[serde(default)]
    print: Option<String>,
}

/// The replay: every journal entry in order, what it did in the reader's language, the clock
/// since the start and since the previous step.
pub async fn replay(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    Query(p): Query<ReplayParams>,
) -> Response {
    let i = match incident_for(&state, &user, &number).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let steps = match state.app.replay(&user.caller(), &i).await {
        Ok(s) => s,
        Err(e) => return app_error(&user, e),
    };
    let rows = steps
        .iter()
        .map(|s| {
            let e = &s.entry;
            let (what, reason) = super::describe::describe(user.lang, &user.zone, e);
            ReplayRow {
                seq: e.seq,
                at: s.at,
                recorded_at: e.recorded_at,
                stated: s.stated,
                actor: if e.author_hidden() {
                    crate::i18n::t(user.lang, "pm-anonymous", &[])
                } else {
                    e.actor.clone()
                },
                kind: &e.kind,
                what,
                reason,
                elapsed: span(s.elapsed_seconds),
                since: span(s.since_previous_seconds),
                pause: s.since_previous_seconds >= 3600,
            }
        })
        .collect();
    let frame = super::Frame::page(&user, "incidents", None);
    let view = ReplayPage {
        frame,
        number: i.number,
        title: &i.title,
        status: i.status,
        steps: rows,
        total: steps.len(),
        duration: span(steps.last().map_or(0, |s| s.elapsed_seconds)),
        print: p.print.is_some(),
    };
    render_view("replay.html", StatusCode::OK, &view)
}

/// The replay page: the incident's steps in the order things happened.
#[derive(Debug, Serialize)]
struct ReplayPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    number: i64,
    title: &'a str,
    status: debrief_domain::Status,
    steps: Vec<ReplayRow<'a>>,
    total: usize,
    /// From the first step to the last, in words.
    duration: String,
    /// The printable layout.
    print: bool,
}

#[derive(Debug, Serialize)]
struct ReplayRow<'a> {
    seq: u64,
    at: Timestamp,
    recorded_at: Timestamp,
    stated: bool,
    actor: String,
    kind: &'a str,
    what: String,
    reason: String,
    elapsed: String,
    since: String,
    /// An hour or more since the previous step.
    pause: bool,
}

/// Similar past incidents, with why and what each taught.
pub async fn similar(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
) -> Response {
    let i = match incident_for(&state, &user, &number).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let similar = match state.app.similar(&user.caller(), &i, 20).await {
        Ok(f) => f,
        Err(e) => return app_error(&user, e),
    };
    let frame = super::Frame::page(&user, "incidents", None);
    let view = SimilarPage {
        frame,
        number: i.number,
        title: &i.title,
        similar,
    };
    render_view("similar.html", StatusCode::OK, &view)
}

/// Similar past incidents of one incident.
#[derive(Debug, Serialize)]
struct SimilarPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    number: i64,
    title: &'a str,
    similar: Vec<Similar>,
}

#[derive(Debug, Deserialize)]
pub struct LessonsQuery {
    #[serde(default)]
    q: String,
}

/// The lessons-learnt search across postmortems.
pub async fn lessons(
    State(state): State<AppState>,
    user: WebUser,
    Query(p): Query<LessonsQuery>,
) -> Response {
    if let Err(why) = may(&user, Action::ReadIncidents) {
        return forbidden(&user, &why);
    }
    let hits = if p.q.trim().is_empty() {
        None
    } else {
        match state.app.lessons(&user.caller(), &p.q).await {
            Ok(hits) => Some(hits),
            Err(e) => return app_error(&user, e),
        }
    };
    let frame = super::Frame::page(&user, "lessons", None);
    let view = LessonsPage {
        frame,
        q: &p.q,
        hits,
    };
    render_view("lessons.html", StatusCode::OK, &view)
}

/// The lessons-learnt search: the question, and the passages found (`None` before asking).
#[derive(Debug, Serialize)]
struct LessonsPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    q: &'a str,
    hits: Option<Vec<LessonHit>>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans_read_naturally() {
        use super::span;
        assert_eq!(span(12), "12 s");
        assert_eq!(span(40 * 60), "40 min");
        assert_eq!(span(2 * 3600 + 5 * 60), "2 h 05 min");
        assert_eq!(span(3 * 86_400 + 4 * 3600), "3 d 4 h");
    }
}

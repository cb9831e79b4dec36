//! Pages to learn from past incidents: similar past incidents (`/incidents/42/similar`), the
//! replay of how an incident was handled (`/incidents/42/replay`, printable with `?print=1`),
//! and the lessons-learnt search (`/lessons?q=`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;
use serde::Deserialize;
use serde_json::json;

use super::WebUser;
use super::pages::{forbidden, may, render, resolve_number};
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
    let steps = match crate::api::learn::steps(&state, &user.caller(), &i).await {
        Ok(s) => s,
        Err(e) => {
            return super::error_page(
                user.lang,
                Some(&user),
                e.status,
                "error-not-found",
                &e.detail,
            );
        }
    };
    let total = steps.len();
    let rows: Vec<serde_json::Value> = steps
        .iter()
        .map(|(s, e)| {
            let (what, reason) = super::describe::describe(user.lang, &user.zone, e);
            json!({
                "seq": s.seq, "at": s.at, "recorded_at": s.recorded_at, "stated": s.stated,
                "actor": if e.author_hidden() { crate::i18n::t(user.lang, "pm-anonymous", &[]) } else { s.actor.clone() },
                "kind": s.kind,
                "what": what, "reason": reason,
                "elapsed": span(s.elapsed_seconds), "since": span(s.since_previous_seconds),
                "pause": s.since_previous_seconds >= 3600,
            })
        })
        .collect();
    let mut ctx = super::base_context(Some(&user), user.lang);
    ctx.insert("nav".into(), "incidents".into());
    ctx.insert("number".into(), i.number.into());
    ctx.insert("title".into(), i.title.clone().into());
    ctx.insert("status".into(), i.status.as_str().into());
    ctx.insert("steps".into(), rows.into());
    ctx.insert("total".into(), total.into());
    ctx.insert(
        "duration".into(),
        span(steps.last().map_or(0, |(s, _)| s.elapsed_seconds)).into(),
    );
    ctx.insert("print".into(), p.print.is_some().into());
    render("replay.html", StatusCode::OK, ctx)
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
    let found = match crate::api::learn::similar(&state, &user.caller(), &i, 20).await {
        Ok(f) => f,
        Err(e) => {
            return super::error_page(
                user.lang,
                Some(&user),
                e.status,
                "error-not-found",
                &e.detail,
            );
        }
    };
    let mut ctx = super::base_context(Some(&user), user.lang);
    ctx.insert("nav".into(), "incidents".into());
    ctx.insert("number".into(), i.number.into());
    ctx.insert("title".into(), i.title.clone().into());
    ctx.insert(
        "similar".into(),
        serde_json::to_value(&found).unwrap_or_default(),
    );
    render("similar.html", StatusCode::OK, ctx)
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
    let mut ctx = super::base_context(Some(&user), user.lang);
    ctx.insert("nav".into(), "lessons".into());
    ctx.insert("q".into(), p.q.clone().into());
    let mut code = StatusCode::OK;
    if !p.q.trim().is_empty() {
        match crate::api::learn::lessons(&state, &user.caller(), &p.q).await {
            Ok(hits) => {
                ctx.insert(
                    "hits".into(),
                    serde_json::to_value(&hits).unwrap_or_default(),
                );
            }
            Err(e) => {
                code = e.status;
                ctx.insert("error".into(), e.detail.into());
            }
        }
    }
    render("lessons.html", code, ctx)
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

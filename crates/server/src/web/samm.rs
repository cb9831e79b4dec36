//! The OWASP SAMM page (`/samm`): Incident Management maturity per stream and level — the
//! question and its quality criteria, Debrief's suggestion with the evidence, the confirmed
//! answer (managers and admins confirm), the scores and their history.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;

use super::WebUser;
use super::pages::{forbidden, may, render, see_other};
use crate::AppState;
use crate::api::samm::{AnswerRequest, assessment, confirm};

async fn page(
    state: &AppState,
    user: &WebUser,
    error: Option<String>,
    code: StatusCode,
) -> Response {
    if let Err(why) = may(user, Action::ReadIncidents) {
        return forbidden(user, &why);
    }
    let mut ctx = super::base_context(Some(user), user.lang);
    ctx.insert("nav".into(), "samm".into());
    ctx.insert(
        "can_assess".into(),
        may(user, Action::AssessProgram).is_ok().into(),
    );
    match assessment(state).await {
        Ok(a) => {
            let t = |k: &str| crate::i18n::t(user.lang, k, &[]);
            let chart = debrief_report::charts::bars(
                &t("samm-chart"),
                &[&t("samm-practice")],
                &a.history
                    .iter()
                    .map(|(at, s)| (at.to_string()[..10].to_string(), vec![s.practice]))
                    .collect::<Vec<_>>(),
            );
            ctx.insert("history_svg".into(), chart.into());
            ctx.insert("a".into(), serde_json::to_value(&a).unwrap_or_default());
        }
        Err(e) => {
            ctx.insert("missing".into(), e.detail.into());
        }
    }
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("samm.html", code, ctx)
}

pub async fn show(State(state): State<AppState>, user: WebUser) -> Response {
    page(&state, &user, None, StatusCode::OK).await
}

pub async fn answer(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| {
        f.get(k)
            .map(String::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    if let Err(r) = user.check_csrf(&field("_csrf")) {
        return r;
    }
    if let Err(why) = may(&user, Action::AssessProgram) {
        return forbidden(&user, &why);
    }
    let Ok(answer) = field("answer").parse::<usize>() else {
        return page(
            &state,
            &user,
            Some("choose an answer".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let req = AnswerRequest {
        question: field("question"),
        answer,
        note: field("note"),
    };
    match confirm(&state, user.principal.user.username.as_str(), req).await {
        Ok(()) => see_other("/samm"),
        Err(e) => page(&state, &user, Some(e.detail), e.status).await,
    }
}

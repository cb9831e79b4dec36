//! The OWASP SAMM page (`/samm`): Incident Management maturity per stream and level — the
//! question and its quality criteria, Debrief's suggestion with the evidence, the confirmed
//! answer (managers and admins confirm), the scores and their history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;

use super::WebUser;
use super::form::{WebForm, trimmed};
use super::pages::{forbidden, may, render_view, see_other};
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
    let frame = super::Frame::page(user, "samm", error);
    let mut view = SammPage {
        frame,
        a: None,
        missing: None,
        can_assess: may(user, Action::AssessProgram).is_ok(),
        history_svg: String::new(),
    };
    match assessment(state, &user.caller()).await {
        Ok(a) => {
            let t = |k: &str| crate::i18n::t(user.lang, k, &[]);
            view.history_svg = debrief_report::charts::bars(
                &t("samm-chart"),
                &[&t("samm-practice")],
                &a.history
                    .iter()
                    .map(|(at, s)| (at.to_string()[..10].to_string(), vec![s.practice]))
                    .collect::<Vec<_>>(),
            );
            view.a = Some(a);
        }
        Err(e) => view.missing = Some(e.detail),
    }
    render_view("samm.html", code, &view)
}

/// The maturity page: the assessment, or why there is none.
#[derive(Debug, serde::Serialize)]
struct SammPage {
    #[serde(flatten)]
    frame: super::Frame,
    a: Option<crate::api::samm::Assessment>,
    /// Why there is no assessment (the model could not be read).
    missing: Option<String>,
    can_assess: bool,
    /// The practice score over time, as an SVG chart.
    history_svg: String,
}

pub async fn show(State(state): State<AppState>, user: WebUser) -> Response {
    page(&state, &user, None, StatusCode::OK).await
}

/// An answer to one SAMM question (`answer` is its position in the question's answer set).
#[derive(Debug, serde::Deserialize)]
pub struct AnswerForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    question: String,
    #[serde(default)]
    answer: Option<usize>,
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
}

pub async fn answer(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(f): WebForm<AnswerForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::AssessProgram) {
        return forbidden(&user, &why);
    }
    let Some(answer) = f.answer else {
        return page(
            &state,
            &user,
            Some("choose an answer".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let req = AnswerRequest {
        question: f.question,
        answer,
        note: f.note,
    };
    match confirm(&state, &user.caller(), req).await {
        Ok(()) => see_other("/samm"),
        Err(e) => page(&state, &user, Some(e.detail), e.status).await,
    }
}

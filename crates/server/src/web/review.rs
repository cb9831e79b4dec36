//! The review meeting and what leaves the team from the postmortem page: the meeting's date,
//! the participants' input before it, the meeting as held, the invitations with the draft and
//! the approved findings sent to the directory. Each form goes through the same domain commands
//! (and sharing service) as the API; a refusal is shown on the postmortem page.

use axum::extract::{Path, State};
use axum::response::Response;
use debrief_domain::DateAlone;

use super::WebUser;
use super::form::{WebForm, trimmed};
use super::pages::resolve_number;
use super::postmortem::{act, lines, page};
use crate::AppState;

/// When the review meeting is held.
#[derive(Debug, serde::Deserialize)]
pub struct ReviewForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    review_at: String,
}

pub async fn review(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ReviewForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        let raw = &f.review_at;
        let at = user.zone.read("review_at", raw, DateAlone::Refused)?;
        c.schedule_review(at).map(|e| vec![e])
    })
    .await
}

/// A participant's input before the review: one box per question, optionally anonymous.
#[derive(Debug, serde::Deserialize)]
pub struct InputForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "what-happened")]
    what_happened: String,
    #[serde(default, rename = "went-well")]
    went_well: String,
    #[serde(default, rename = "went-wrong")]
    went_wrong: String,
    #[serde(default)]
    lucky: String,
    #[serde(default)]
    business: String,
    #[serde(default)]
    improve: String,
    #[serde(default)]
    anonymous: Option<String>,
}

pub async fn input(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<InputForm>,
) -> Response {
    use debrief_domain::postmortem::InputQuestion as Q;
    let answers: std::collections::BTreeMap<Q, String> = [
        (Q::WhatHappened, &f.what_happened),
        (Q::WentWell, &f.went_well),
        (Q::WentWrong, &f.went_wrong),
        (Q::Lucky, &f.lucky),
        (Q::Business, &f.business),
        (Q::Improve, &f.improve),
    ]
    .into_iter()
    .map(|(q, a)| (q, a.clone()))
    .collect();
    let anonymous = f.anonymous.is_some();
    act(&state, &user, &number, &f.csrf, false, |c| {
        c.give_review_input(&answers, anonymous).map(|e| vec![e])
    })
    .await
}

/// The review meeting as held: when, and who attended, was absent and what was decided, one
/// per line.
#[derive(Debug, serde::Deserialize)]
pub struct HeldForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    at: String,
    #[serde(default)]
    attendees: String,
    #[serde(default)]
    absent: String,
    #[serde(default)]
    decisions: String,
}

pub async fn held(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<HeldForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        let at = user.zone.read("at", &f.at, DateAlone::Refused)?;
        c.record_review(
            at,
            &lines(&f.attendees),
            &lines(&f.absent),
            &lines(&f.decisions),
            debrief_domain::Timestamp::now(),
        )
        .map(|e| vec![e])
    })
    .await
}

/// What the postmortem page sends (the findings or the invitation): which, to which entries, a
/// note.
#[derive(Debug, serde::Deserialize)]
pub struct ShareForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    report: crate::outbound::share::SharedReport,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
}

/// Sends the approved report, or the invitation with the draft, to the chosen entries; the
/// notifications page then shows each message and whether it was delivered. A refusal is shown
/// here, in the reader's words.
pub async fn share(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ShareForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let id = match resolve_number(&state, &user, &number).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let req = crate::outbound::share::ShareRequest {
        report: f.report,
        to: f.to,
        note: f.note,
    };
    match crate::outbound::share::share(&state, &user.principal, &number, req).await {
        Ok(_) => {
            super::pages::see_other(&format!("/incidents/{number}/notifications#notifications"))
        }
        Err(e) => {
            let said = match &e {
                crate::outbound::share::ShareError::Domain(d) => {
                    super::messages::domain_message(user.lang, d)
                }
                _ => e.say(user.lang),
            };
            let status = crate::error::ApiError::from(e).status;
            page(&state, &user, id, Some(said), status).await
        }
    }
}

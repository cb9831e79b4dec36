//! The incident's notifications page (`/incidents/42/notifications`): its regulatory flags and
//! clocks, the obligations they create with their deadlines, the notifications made; and the
//! obligations board across incidents (`/obligations`: what is due in the next 24 hours).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::obligation::{ClockStart, FLAGS};
use debrief_domain::{Action, DomainError, Event, Incident, IncidentId, Timestamp};

use super::WebUser;
use super::pages::{
    Applied, apply_form, forbidden, may, render, resolve_number, see_other, store_error,
};
use crate::AppState;
use crate::api::incidents::Need;

type Fields = HashMap<String, String>;

fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("").trim()
}

async fn page(
    state: &AppState,
    user: &WebUser,
    id: IncidentId,
    error: Option<String>,
    code: StatusCode,
) -> Response {
    if let Err(why) = may(user, Action::ReadIncidents) {
        return forbidden(user, &why);
    }
    let i = match state.store.incident(id).await {
        Ok(i) => i,
        Err(e) => return store_error(user, e),
    };
    let mut ctx = super::base_context(Some(user), user.lang);
    ctx.insert("nav".into(), "incidents".into());
    ctx.insert("number".into(), i.number.into());
    ctx.insert("title".into(), i.title.clone().into());
    ctx.insert(
        "can_work".into(),
        may(user, Action::WorkIncident(&i)).is_ok().into(),
    );
    ctx.insert(
        "flags".into(),
        FLAGS
            .iter()
            .map(|(k, _)| serde_json::json!({"id": k, "on": i.flags.contains(*k)}))
            .collect::<Vec<_>>()
            .into(),
    );
    ctx.insert(
        "obligations".into(),
        serde_json::to_value(i.obligations(&state.config.regimes, Timestamp::now()))
            .unwrap_or_default(),
    );
    ctx.insert(
        "notifications".into(),
        serde_json::to_value(&i.notifications).unwrap_or_default(),
    );
    ctx.insert(
        "aware".into(),
        i.milestone(debrief_domain::Milestone::Aware)
            .map(|t| t.to_string())
            .into(),
    );
    ctx.insert(
        "can_decide".into(),
        (may(user, Action::DecideNotifications).is_ok()
            && may(user, Action::WorkIncident(&i)).is_ok())
        .into(),
    );
    let proposals = crate::api::notify::proposals(state, &i)
        .await
        .unwrap_or_default();
    ctx.insert(
        "proposals".into(),
        serde_json::to_value(&proposals).unwrap_or_default(),
    );
    let directory = state.store.list_stakeholders().await.unwrap_or_default();
    ctx.insert(
        "stakeholders".into(),
        directory
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
            .into(),
    );
    ctx.insert(
        "escalations".into(),
        serde_json::to_value(&i.escalations).unwrap_or_default(),
    );
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("notifications.html", code, ctx)
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
) -> Response {
    match resolve_number(&state, &user, &number).await {
        Ok(id) => page(&state, &user, id, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// A form of this page: its refusals are shown here.
async fn act(
    state: &AppState,
    user: &WebUser,
    number: &str,
    f: &Fields,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
) -> Response {
    let applied = apply_form(
        state,
        user,
        number,
        field(f, "_csrf"),
        Need::Work,
        decide,
        "/notifications",
    )
    .await;
    match applied {
        Applied::Done(r) => r,
        Applied::Refused(id, msg, status) => page(state, user, id, Some(msg), status).await,
    }
}

/// A `datetime-local` value (read as UTC) or RFC 3339; now when empty.
fn time(raw: &str) -> Result<Timestamp, DomainError> {
    if raw.is_empty() {
        return Ok(Timestamp::now());
    }
    Timestamp::parse(raw).or_else(|_| Timestamp::parse(&format!("{raw}:00Z")))
}

pub async fn flags(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let on: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "flag")
        .map(|(_, v)| v.clone())
        .collect();
    let map: Fields = f.into_iter().collect();
    act(&state, &user, &number, &map, |c| {
        c.set_flags(&on, field(&map, "reason")).map(|e| vec![e])
    })
    .await
}

pub async fn clock(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    act(&state, &user, &number, &f, |c| {
        let clock: ClockStart = serde_json::from_value(serde_json::Value::String(
            field(&f, "clock").into(),
        ))
        .map_err(|_| DomainError::InvalidField {
            field: "clock",
            problem: "use classified_major or materiality_determined".into(),
        })?;
        c.set_regulatory_clock(clock, time(field(&f, "at"))?, field(&f, "source"))
            .map(|e| vec![e])
    })
    .await
}

pub async fn record(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let regimes = state.config.regimes.clone();
    act(&state, &user, &number, &f, |c| {
        let (regime, step) = match field(&f, "obligation").split_once('/') {
            Some((r, s)) => (Some(r), Some(s)),
            None => (None, None),
        };
        let recipients: Vec<String> = field(&f, "recipients")
            .split(',')
            .map(str::to_string)
            .collect();
        c.record_notification(
            &regimes,
            regime,
            step,
            &recipients,
            field(&f, "channel"),
            field(&f, "summary"),
            time(field(&f, "sent_at"))?,
            field(&f, "late_reason"),
        )
        .map(|e| vec![e])
    })
    .await
}

/// What is due across incidents in the next 24 hours, and what is overdue.
pub async fn board(State(state): State<AppState>, user: WebUser) -> Response {
    let items = match crate::api::obligations::due_for(
        &state,
        &user.principal,
        crate::api::obligations::DueParams {
            within_hours: Some(24),
        },
    )
    .await
    {
        Ok(axum::Json(items)) => items,
        Err(e) if e.status == StatusCode::FORBIDDEN => return forbidden(&user, &e.detail),
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
    ctx.insert("nav".into(), "obligations".into());
    ctx.insert(
        "items".into(),
        serde_json::to_value(&items).unwrap_or_default(),
    );
    render("obligations.html", StatusCode::OK, ctx)
}

/// The answer to a send, a retry or a decision made through the API's handlers: back to the
/// page, or the page with why (a failed delivery is recorded and shown there too).
async fn after<T>(
    state: &AppState,
    user: &WebUser,
    number: &str,
    result: Result<T, crate::error::ApiError>,
) -> Response {
    match result {
        Ok(_) => see_other(&format!("/incidents/{number}/notifications")),
        Err(e) => match resolve_number(state, user, number).await {
            Ok(id) => page(state, user, id, Some(e.detail), e.status).await,
            Err(r) => r,
        },
    }
}

fn opt(f: &Fields, k: &str) -> Option<String> {
    Some(field(f, k).to_string()).filter(|v| !v.is_empty())
}

/// Sends a message to a directory entry (or e-mail addresses) from the incident's page.
pub async fn send(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = user.check_csrf(field(&f, "_csrf")) {
        return r;
    }
    let (regime, step) = match field(&f, "obligation").split_once('/') {
        Some((r, s)) => (Some(r.to_string()), Some(s.to_string())),
        None => (None, None),
    };
    let req = crate::api::notify::SendRequest {
        regime,
        step,
        recipients: field(&f, "addresses")
            .split(',')
            .map(str::to_string)
            .filter(|a| !a.trim().is_empty())
            .collect(),
        channel: field(&f, "channel").to_string(),
        stakeholder: opt(&f, "stakeholder"),
        summary: field(&f, "summary").to_string(),
        text: field(&f, "text").to_string(),
        late_reason: field(&f, "late_reason").to_string(),
    };
    let result = crate::api::notify::send_for(&state, &user.principal, &number, req).await;
    after(&state, &user, &number, result).await
}

/// Sends a rule's proposal, as proposed or as edited on the page (managers).
pub async fn send_proposal(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, rule)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = user.check_csrf(field(&f, "_csrf")) {
        return r;
    }
    let edit = crate::api::notify::ProposalSendRequest {
        subject: opt(&f, "subject"),
        text: opt(&f, "text"),
        late_reason: field(&f, "late_reason").to_string(),
    };
    let result =
        crate::api::notify::send_proposal_for(&state, &user.principal, &number, rule, edit).await;
    after(&state, &user, &number, result).await
}

/// Skips a rule's proposal with a reason (managers).
pub async fn skip_proposal(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, rule)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = user.check_csrf(field(&f, "_csrf")) {
        return r;
    }
    let req = crate::api::notify::SkipRequest {
        reason: field(&f, "reason").to_string(),
    };
    let result =
        crate::api::notify::skip_proposal_for(&state, &user.principal, &number, rule, req).await;
    after(&state, &user, &number, result).await
}

/// Tries a failed delivery again now.
pub async fn retry(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, id)): Path<(String, u64)>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = user.check_csrf(field(&f, "_csrf")) {
        return r;
    }
    let result = crate::api::notify::retry_for(&state, &user.principal, &number, id).await;
    after(&state, &user, &number, result).await
}

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
use debrief_store::StoreError;

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
        None,
        decide,
        "/notifications",
    )
    .await;
    match applied {
        Applied::Done(r) => r,
        Applied::Refused(id, msg) => {
            page(state, user, id, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
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
    let api_user = crate::api::ApiUser(user.principal.clone());
    let items = match crate::api::obligations::due(
        State(state.clone()),
        api_user,
        crate::api::ApiQuery(crate::api::obligations::DueParams {
            within_hours: Some(24),
        }),
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

/// The stakeholder directory: everyone reads it; managers and admins add to it.
pub async fn directory(State(state): State<AppState>, user: WebUser) -> Response {
    directory_page(&state, &user, None, StatusCode::OK).await
}

async fn directory_page(
    state: &AppState,
    user: &WebUser,
    error: Option<String>,
    code: StatusCode,
) -> Response {
    if let Err(why) = may(user, Action::ReadIncidents) {
        return forbidden(user, &why);
    }
    let all = match state.store.list_stakeholders().await {
        Ok(a) => a,
        Err(e) => return store_error(user, e),
    };
    let mut ctx = super::base_context(Some(user), user.lang);
    ctx.insert("nav".into(), "directory".into());
    ctx.insert(
        "stakeholders".into(),
        serde_json::to_value(&all).unwrap_or_default(),
    );
    ctx.insert(
        "can_manage".into(),
        may(user, Action::ManageDirectory).is_ok().into(),
    );
    ctx.insert(
        "categories".into(),
        debrief_domain::stakeholder::CATEGORIES.to_vec().into(),
    );
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("directory.html", code, ctx)
}

pub async fn add_stakeholder(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = user.check_csrf(field(&f, "_csrf")) {
        return r;
    }
    if let Err(why) = may(&user, Action::ManageDirectory) {
        return forbidden(&user, &why);
    }
    let opt = |k: &str| Some(field(&f, k)).filter(|v| !v.is_empty());
    let new = match debrief_domain::stakeholder::NewStakeholder::parse(
        field(&f, "name"),
        field(&f, "kind"),
        field(&f, "scope"),
        field(&f, "category"),
        opt("email"),
        opt("webhook_url"),
        opt("webhook_format"),
        opt("language"),
    ) {
        Ok(n) => n,
        Err(e) => {
            let msg = super::domain_message(user.lang, &e);
            return directory_page(&state, &user, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    match state
        .store
        .add_stakeholder(new, user.principal.user.username.as_str())
        .await
    {
        Ok(_) => see_other("/directory"),
        Err(StoreError::Duplicate(d)) => {
            directory_page(&state, &user, Some(d), StatusCode::CONFLICT).await
        }
        Err(e) => store_error(&user, e),
    }
}

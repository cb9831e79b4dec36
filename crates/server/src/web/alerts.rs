//! The alert queue page (`/alerts`): newest activity first, filtered by status, with the triage
//! actions — acknowledge, dismiss with a reason and a note, promote to an incident — as forms.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;
use debrief_domain::alert::{AlertAction, AlertStatus};
use debrief_store::StoreError;
use debrief_store::alerts::AlertQuery;
use serde::Deserialize;

use super::WebUser;
use super::pages::{forbidden, may, render, see_other, store_error};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    /// `open` (new and acknowledged, the default), `all`, or one status.
    #[serde(default)]
    status: String,
}

pub async fn queue(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<QueueQuery>,
) -> Response {
    queue_page(&state, &user, &q.status, None).await
}

async fn queue_page(
    state: &AppState,
    user: &WebUser,
    status: &str,
    error: Option<String>,
) -> Response {
    if let Err(why) = may(user, Action::ReadAlerts) {
        return forbidden(user, &why);
    }
    let statuses = match status {
        "" | "open" => vec![AlertStatus::New, AlertStatus::Acknowledged],
        "all" => Vec::new(),
        s => match s.parse::<AlertStatus>() {
            Ok(s) => vec![s],
            Err(_) => vec![AlertStatus::New, AlertStatus::Acknowledged],
        },
    };
    let alerts = match state
        .store
        .list_alerts(&AlertQuery {
            statuses,
            limit: 200,
            ..Default::default()
        })
        .await
    {
        Ok(a) => a,
        Err(e) => return store_error(user, e),
    };
    let mut ctx = super::base_context(Some(user), user.lang);
    ctx.insert("nav".into(), "alerts".into());
    ctx.insert(
        "status".into(),
        if status.is_empty() { "open" } else { status }.into(),
    );
    ctx.insert(
        "can_triage".into(),
        may(user, Action::TriageAlerts).is_ok().into(),
    );
    ctx.insert(
        "alerts".into(),
        serde_json::to_value(&alerts).unwrap_or_default(),
    );
    let code = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("alerts.html", code, ctx)
}

#[derive(Debug, Deserialize)]
pub struct TriageForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

async fn triage(
    state: &AppState,
    user: &WebUser,
    alert: &str,
    csrf: &str,
    action: AlertAction,
) -> Response {
    if let Err(r) = user.check_csrf(csrf) {
        return r;
    }
    if let Err(why) = may(user, Action::TriageAlerts) {
        return forbidden(user, &why);
    }
    let who = user.principal.user.username.as_str();
    match state.store.act_on_alert(alert, who, action, None).await {
        Ok(_) => see_other("/alerts"),
        Err(StoreError::Domain(e)) => {
            queue_page(state, user, "", Some(super::domain_message(user.lang, &e))).await
        }
        Err(e) => store_error(user, e),
    }
}

pub async fn acknowledge(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    Form(f): Form<TriageForm>,
) -> Response {
    triage(&state, &user, &alert, &f.csrf, AlertAction::Acknowledge).await
}

pub async fn dismiss(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    Form(f): Form<TriageForm>,
) -> Response {
    let reason = match f.reason.parse() {
        Ok(r) => r,
        Err(e) => {
            return queue_page(
                &state,
                &user,
                "",
                Some(super::domain_message(user.lang, &e)),
            )
            .await;
        }
    };
    let action = AlertAction::Dismiss {
        reason,
        note: f.note,
    };
    triage(&state, &user, &alert, &f.csrf, action).await
}

pub async fn promote(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    Form(f): Form<TriageForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::TriageAlerts).and(may(&user, Action::CreateIncident)) {
        return forbidden(&user, &why);
    }
    let who = user.principal.user.username.as_str().to_string();
    match crate::api::alerts::promote_core(&state, &who, &alert).await {
        Ok((_, incident)) => see_other(&format!("/incidents/{}", incident.number)),
        Err(StoreError::Domain(e)) => {
            queue_page(
                &state,
                &user,
                "",
                Some(super::domain_message(user.lang, &e)),
            )
            .await
        }
        Err(e) => store_error(&user, e),
    }
}

//! The alert queue page (`/alerts`): newest activity first, filtered by status, with the triage
//! actions — acknowledge, dismiss with a reason and a note, promote to an incident — as forms;
//! and one alert's page (`/alerts/A-12`): its payload, history, the open incidents that share its
//! observables, and every triage action including assign and merge. Keyboard-driven (`data-key`).
//! Alerts selected in the queue are acknowledged, dismissed or merged together (`/alerts/bulk`),
//! each through the same application call as one alert's form.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;
use debrief_domain::alert::{AlertAction, AlertStatus};
use debrief_store::StoreError;
use debrief_store::alerts::AlertQuery;
use serde::Deserialize;

use super::WebUser;
use super::form::WebForm;
use super::pages::{forbidden, may, render_view, see_other};
use crate::AppState;

/// The queue's filters and page, kept in its URL.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub struct QueueQuery {
    /// `open` (new and acknowledged, the default), `all`, or one status.
    #[serde(default)]
    status: String,
    /// The least severity, 1–4 (empty: any).
    #[serde(default)]
    severity: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    host: String,
    /// A detection's rule (the alert's title).
    #[serde(default)]
    rule: String,
    /// Where this page starts (the previous page's end); empty: the first page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
    /// The position of this page's first alert, for the reader ("51–61 of 61").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<u64>,
}

impl QueueQuery {
    /// The queue's URL with these filters, `cursor` and the position `from` it starts at.
    fn url(&self, cursor: Option<String>, from: Option<u64>) -> String {
        let q = QueueQuery {
            cursor: cursor.unwrap_or_default(),
            from,
            ..self.clone()
        };
        match serde_html_form::to_string(&q) {
            Ok(text) => format!("/alerts?{text}"),
            Err(_) => "/alerts".into(),
        }
    }

    /// A filter's text: trimmed, control characters left out (PostgreSQL refuses a NUL).
    fn text(v: &str) -> Option<String> {
        let v: String = v.trim().chars().filter(|c| !c.is_control()).collect();
        (!v.is_empty()).then_some(v)
    }
}

/// Alerts on one page of the queue.
const QUEUE_PAGE: u32 = 50;

pub async fn queue(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<QueueQuery>,
) -> Response {
    queue_page(&state, &user, &q, None).await
}

async fn queue_page(
    state: &AppState,
    user: &WebUser,
    q: &QueueQuery,
    error: Option<String>,
) -> Response {
    if let Err(why) = may(user, Action::ReadAlerts) {
        return forbidden(user, &why);
    }
    let statuses = match q.status.as_str() {
        "" | "open" => vec![AlertStatus::New, AlertStatus::Acknowledged],
        "all" => Vec::new(),
        s => match s.parse::<AlertStatus>() {
            Ok(s) => vec![s],
            Err(_) => vec![AlertStatus::New, AlertStatus::Acknowledged],
        },
    };
    // The choices are a fixed list: anything else reads as "any".
    let min_severity = q
        .severity
        .parse::<i64>()
        .ok()
        .and_then(|n| debrief_domain::alert::AlertSeverity::new(n).ok());
    let page = match state
        .app
        .alert_page(
            &user.caller(),
            &AlertQuery {
                statuses,
                min_severity,
                source: QueueQuery::text(&q.source),
                host: QueueQuery::text(&q.host),
                title: QueueQuery::text(&q.rule),
                after: debrief_store::alerts::AlertCursor::from_token(&q.cursor),
                limit: QUEUE_PAGE,
                ..Default::default()
            },
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return super::pages::app_error(user, e),
    };
    let code = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let frame = super::Frame::page(user, "alerts", error);
    let status = if q.status.is_empty() {
        "open"
    } else {
        q.status.as_str()
    };
    let on_first = q.cursor.is_empty();
    let start = if on_first {
        1
    } else {
        q.from.unwrap_or(1).max(1)
    };
    let shown = page.alerts.len() as u64;
    let view = QueuePage {
        frame,
        status,
        filters: q,
        here: q.url(QueueQuery::text(&q.cursor), q.from),
        total: page.total,
        start,
        end: (start + shown).saturating_sub(1),
        next: page
            .next
            .map(|c| q.url(Some(c.to_token()), Some(start + shown))),
        first: (!on_first).then(|| q.url(None, None)),
        can_triage: may(user, Action::TriageAlerts).is_ok(),
        alerts: &page.alerts,
    };
    render_view("alerts.html", code, &view)
}

/// The alert queue: the alerts of the chosen status, and whether this reader may triage them.
#[derive(Debug, serde::Serialize)]
struct QueuePage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    /// `open`, `all` or one status.
    status: &'a str,
    /// The filters as the reader set them.
    filters: &'a QueueQuery,
    /// This page's own URL, where the triage forms come back to.
    here: String,
    /// How many alerts the filters match, and the positions of this page's first and last.
    total: u64,
    start: u64,
    end: u64,
    /// The next page's URL, when there is one; the first page's, when this is not it.
    next: Option<String>,
    first: Option<String>,
    can_triage: bool,
    alerts: &'a [debrief_store::alerts::Alert],
}

#[derive(Debug, Deserialize)]
pub struct TriageForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    /// Where to go afterwards (the queue's forms say `/alerts`).
    #[serde(default)]
    next: String,
}

async fn triage(
    state: &AppState,
    user: &WebUser,
    alert: &str,
    csrf: &str,
    action: AlertAction,
    next: &str,
) -> Response {
    if let Err(r) = user.check_csrf(csrf) {
        return r;
    }
    match state.app.triage_alert(&user.caller(), alert, action).await {
        Ok(a) if next.is_empty() => see_other(&back(&a)),
        Ok(_) => see_other(&super::pages::safe_next(next)),
        Err(debrief_app::AppError::Store(StoreError::Domain(e))) if next.is_empty() => {
            detail(
                state,
                user,
                alert,
                Some(super::domain_message(user.lang, &e)),
            )
            .await
        }
        Err(debrief_app::AppError::Store(StoreError::Domain(e))) => {
            queue_page(
                state,
                user,
                &QueueQuery::default(),
                Some(super::domain_message(user.lang, &e)),
            )
            .await
        }
        Err(e) => super::pages::app_error(user, e),
    }
}

pub async fn acknowledge(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    WebForm(f): WebForm<TriageForm>,
) -> Response {
    triage(
        &state,
        &user,
        &alert,
        &f.csrf,
        AlertAction::Acknowledge,
        &f.next,
    )
    .await
}

pub async fn dismiss(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    WebForm(f): WebForm<TriageForm>,
) -> Response {
    let reason = match f.reason.parse() {
        Ok(r) => r,
        Err(e) => {
            return queue_page(
                &state,
                &user,
                &QueueQuery::default(),
                Some(super::domain_message(user.lang, &e)),
            )
            .await;
        }
    };
    let action = AlertAction::Dismiss {
        reason,
        note: f.note,
    };
    triage(&state, &user, &alert, &f.csrf, action, &f.next).await
}

pub async fn promote(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    WebForm(f): WebForm<TriageForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::TriageAlerts).and(may(&user, Action::CreateIncident)) {
        return forbidden(&user, &why);
    }
    let caller = user.caller();
    match state.app.promote_alert(&caller, &alert).await {
        Ok((_, incident)) => see_other(&format!("/incidents/{}", incident.number)),
        Err(debrief_app::AppError::Store(StoreError::Domain(e))) => {
            queue_page(
                &state,
                &user,
                &QueueQuery::default(),
                Some(super::domain_message(user.lang, &e)),
            )
            .await
        }
        Err(e) => super::pages::app_error(&user, e),
    }
}

/// Where a triage form returns: the alert's page while triage goes on, else the queue.
fn back(a: &debrief_store::alerts::Alert) -> String {
    if a.status.is_closed() {
        "/alerts".into()
    } else {
        format!("/alerts/{}", a.number)
    }
}

/// The open incidents that recorded any of the alert's observables, most shared first:
/// (number, title, status, shared values).
async fn similar_open(
    state: &AppState,
    user: &WebUser,
    alert: &debrief_store::alerts::Alert,
) -> Result<Vec<Similar>, debrief_app::AppError> {
    let who = user.caller();
    use std::collections::BTreeMap;
    let mut by: BTreeMap<i64, (String, String, Vec<String>)> = BTreeMap::new();
    for o in alert.observables.iter().take(50) {
        for s in state.app.sightings(&who, &o.value, 50).await? {
            if s.status == "closed" {
                continue;
            }
            let e = by
                .entry(s.number)
                .or_insert_with(|| (s.title.clone(), s.status.clone(), Vec::new()));
            if !e.2.contains(&s.value) {
                e.2.push(s.value.clone());
            }
        }
    }
    let mut out: Vec<_> = by.into_iter().collect();
    out.sort_by(|a, b| b.1.2.len().cmp(&a.1.2.len()).then(b.0.cmp(&a.0)));
    Ok(out
        .into_iter()
        .take(10)
        .map(|(number, (title, status, shared))| Similar {
            number,
            title,
            status,
            shared,
        })
        .collect())
}

/// An open incident that recorded some of an alert's observables.
#[derive(Debug, serde::Serialize)]
struct Similar {
    number: i64,
    title: String,
    status: String,
    /// The observable values both hold.
    shared: Vec<String>,
}

/// One alert: what came in, its history, similar open incidents and the triage actions.
pub async fn alert_page(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
) -> Response {
    detail(&state, &user, &alert, None).await
}

async fn detail(state: &AppState, user: &WebUser, alert: &str, error: Option<String>) -> Response {
    if let Err(why) = may(user, Action::ReadAlerts) {
        return forbidden(user, &why);
    }
    let a = match state.app.alert(&user.caller(), alert).await {
        Ok(a) => a,
        Err(e) => return super::pages::app_error(user, e),
    };
    let history = match state.app.alert_history(&user.caller(), &a.id).await {
        Ok(h) => h,
        Err(e) => return super::pages::app_error(user, e),
    };
    let similar = match similar_open(state, user, &a).await {
        Ok(s) => s,
        Err(e) => return super::pages::app_error(user, e),
    };
    let assignees = match state.app.assignees().await {
        Ok(a) => a,
        Err(e) => return super::pages::app_error(user, e),
    };
    let incident_number = match a.incident_id {
        Some(id) => state
            .app
            .incident_by_id(&user.caller(), id)
            .await
            .ok()
            .map(|i| i.number),
        None => None,
    };
    let code = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let frame = super::Frame::page(user, "alerts", error);
    let view = AlertPage {
        frame,
        can_triage: may(user, Action::TriageAlerts).is_ok(),
        raw: serde_json::to_string_pretty(&a.raw).unwrap_or_default(),
        alert: &a,
        history: &history,
        similar,
        assignees,
        incident_number,
    };
    render_view("alert.html", code, &view)
}

/// One alert's page: the alert, its payload as indented JSON, its history, the open incidents
/// that share its observables, and who it may be assigned to.
#[derive(Debug, serde::Serialize)]
struct AlertPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    can_triage: bool,
    alert: &'a debrief_store::alerts::Alert,
    raw: String,
    history: &'a [debrief_store::alerts::AlertEvent],
    similar: Vec<Similar>,
    assignees: Vec<String>,
    /// The incident it was promoted to or merged into, when this reader may see it.
    incident_number: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    WebForm(f): WebForm<AssignForm>,
) -> Response {
    let to = f.assignee.trim().to_lowercase();
    let to = (!to.is_empty()).then_some(to);
    triage(
        &state,
        &user,
        &alert,
        &f.csrf,
        AlertAction::Assign { to },
        "",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    incident: String,
}

pub async fn merge(
    State(state): State<AppState>,
    user: WebUser,
    Path(alert): Path<String>,
    WebForm(f): WebForm<MergeForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let target = f.incident.trim().trim_start_matches('#').to_string();
    match state.app.merge_alert(&user.caller(), &alert, &target).await {
        Ok((_, incident)) => see_other(&format!("/incidents/{}", incident.number)),
        Err(debrief_app::AppError::Store(StoreError::Domain(e))) => {
            detail(
                &state,
                &user,
                &alert,
                Some(super::domain_message(user.lang, &e)),
            )
            .await
        }
        Err(e) => super::pages::app_error(&user, e),
    }
}

/// The bulk bar of the queue: one action for the alerts ticked on the page.
#[derive(Debug, Deserialize)]
pub struct BulkForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// `acknowledge`, `dismiss` or `merge`.
    #[serde(default)]
    action: String,
    /// The ticked alerts' numbers.
    #[serde(default)]
    alert: Vec<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    /// The incident to merge into.
    #[serde(default)]
    incident: String,
    /// The queue page to come back to.
    #[serde(default)]
    next: String,
}

/// Triages the ticked alerts one by one, each through the application layer as its own form
/// would: back to the same queue page when all went through; else that page saying which were
/// not triaged and why (the others stay done).
pub async fn bulk(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(f): WebForm<BulkForm>,
) -> Response {
    use crate::i18n::t;
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let next = super::pages::safe_next(if f.next.is_empty() {
        "/alerts"
    } else {
        &f.next
    });
    let back_to = next
        .split_once('?')
        .and_then(|(_, q)| serde_html_form::from_str::<QueueQuery>(q).ok())
        .unwrap_or_default();
    let refuse = |message: String| {
        let state = state.clone();
        let user = user.clone();
        let back_to = back_to.clone();
        async move { queue_page(&state, &user, &back_to, Some(message)).await }
    };
    if f.alert.is_empty() {
        return refuse(t(user.lang, "alerts-bulk-none", &[])).await;
    }
    let target = f.incident.trim().trim_start_matches('#').to_string();
    let action = match f.action.as_str() {
        "acknowledge" => Some(AlertAction::Acknowledge),
        "dismiss" => match f.reason.parse() {
            Ok(reason) => Some(AlertAction::Dismiss {
                reason,
                note: f.note.clone(),
            }),
            Err(e) => return refuse(super::domain_message(user.lang, &e)).await,
        },
        "merge" if target.is_empty() => {
            return refuse(t(user.lang, "alerts-bulk-merge-target", &[])).await;
        }
        "merge" => None,
        _ => return refuse(t(user.lang, "error-bad-request", &[])).await,
    };
    let caller = user.caller();
    let (mut done, mut refused) = (0usize, Vec::new());
    for number in &f.alert {
        let outcome = match &action {
            Some(a) => state
                .app
                .triage_alert(&caller, number, a.clone())
                .await
                .map(|_| ()),
            None => state
                .app
                .merge_alert(&caller, number, &target)
                .await
                .map(|_| ()),
        };
        match outcome {
            Ok(()) => done += 1,
            Err(e) => refused.push(format!("A-{number} ({})", in_words(user.lang, &e))),
        }
    }
    if refused.is_empty() {
        return see_other(&next);
    }
    refuse(t(
        user.lang,
        "alerts-bulk-refused",
        &[("done", done.to_string()), ("refused", refused.join(", "))],
    ))
    .await
}

/// Why one alert of a bulk action was not triaged, in the reader's words.
fn in_words(lang: debrief_domain::Language, e: &debrief_app::AppError) -> String {
    match e {
        debrief_app::AppError::Denied(why) => why.0.clone(),
        debrief_app::AppError::Store(StoreError::Domain(d)) => super::domain_message(lang, d),
        debrief_app::AppError::Store(StoreError::NoAlert(_)) => {
            crate::i18n::t(lang, "alerts-bulk-missing", &[])
        }
        other => other.to_string(),
    }
}

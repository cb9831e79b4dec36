//! The incident's notifications page (`/incidents/42/notifications`): its regulatory flags and
//! clocks, the obligations they create with their deadlines, the notifications made; and the
//! obligations board across incidents (`/obligations`: what is due in the next 24 hours).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::obligation::{ClockStart, FLAGS, RegulatoryFacts};
use debrief_domain::postmortem::RecordCount;
use debrief_domain::{Action, DomainError, Event, Incident, IncidentId, Timestamp};

use super::WebUser;
use super::form::{ButtonForm, Obligation, WebForm, comma_list, optional, trimmed, yes_no};
use super::pages::{
    Applied, app_error, apply_form, forbidden, may, render_view, resolve_number, see_other,
};
use crate::AppState;
use crate::api::incidents::Need;

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
    let i = match super::pages::incident_for(state, user, id).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let lang = user.lang;
    let proposals = crate::outbound::service::proposals(state, &i)
        .await
        .unwrap_or_default();
    let directory = match state.app.directory(&user.caller()).await {
        Ok(d) => d,
        Err(e) => return app_error(user, e),
    };
    let can_work = may(user, Action::WorkIncident(&i)).is_ok();
    let frame = super::Frame::page(user, "incidents", error);
    let view = NotificationsPage {
        frame,
        number: i.number,
        title: &i.title,
        can_work,
        flags: FLAGS
            .iter()
            .map(|(k, _)| Flag {
                id: k,
                on: i.flags.contains(*k),
            })
            .collect(),
        facts: &i.regulatory,
        obligations: i.obligations(&state.config.regimes, Timestamp::now()),
        regime_names: super::regime_names(state, lang),
        notifications: &i.notifications,
        aware: i.milestone(debrief_domain::Milestone::Aware),
        can_decide: may(user, Action::DecideNotifications).is_ok() && can_work,
        proposals,
        stakeholders: directory.into_iter().map(|s| s.name).collect(),
        escalations: &i.escalations,
    };
    render_view("notifications.html", code, &view)
}

/// An incident's notifications page: its regulatory flags and facts, the obligations they
/// create, the notifications made and proposed, and the escalations sent.
#[derive(Debug, serde::Serialize)]
struct NotificationsPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    number: i64,
    title: &'a str,
    can_work: bool,
    flags: Vec<Flag>,
    facts: &'a RegulatoryFacts,
    obligations: Vec<debrief_domain::obligation::Obligation>,
    /// Regimes by their names in the reader's language, never their ids.
    regime_names: std::collections::BTreeMap<String, String>,
    notifications: &'a [debrief_domain::obligation::NotificationRecord],
    /// When the organisation became aware (the clocks' usual start).
    aware: Option<Timestamp>,
    can_decide: bool,
    proposals: Vec<crate::outbound::service::ProposalView>,
    /// The directory's entries, by name.
    stakeholders: Vec<String>,
    escalations: &'a [debrief_domain::notify::Escalation],
}

/// A regulatory flag and whether the incident carries it.
#[derive(Debug, serde::Serialize)]
struct Flag {
    id: &'static str,
    on: bool,
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
    csrf: &str,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
) -> Response {
    let applied = apply_form(
        state,
        user,
        number,
        csrf,
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

/// A `datetime-local` value (read in the person's time zone) or RFC 3339; now when empty.
fn time(user: &WebUser, field: &'static str, raw: &str) -> Result<Timestamp, DomainError> {
    if raw.is_empty() {
        return Ok(Timestamp::now());
    }
    user.zone
        .read(field, raw, debrief_domain::DateAlone::Refused)
}

/// The regulatory flags form: the flags ticked, and why they changed.
#[derive(Debug, serde::Deserialize)]
pub struct FlagsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "flag")]
    flags: Vec<String>,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

pub async fn flags(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<FlagsForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, |c| {
        c.set_flags(&f.flags, &f.reason).map(|e| vec![e])
    })
    .await
}

/// What the regulators ask that only a person can state, as typed on the page; the people
/// concerned one category a line (`patients: 12000`).
#[derive(Debug, serde::Deserialize)]
pub struct FactsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    contact: String,
    #[serde(default, deserialize_with = "yes_no")]
    malicious: Option<bool>,
    #[serde(default, deserialize_with = "yes_no")]
    cross_border: Option<bool>,
    #[serde(default, deserialize_with = "trimmed")]
    cross_border_detail: String,
    #[serde(default)]
    data_subjects: String,
    #[serde(default, deserialize_with = "trimmed")]
    consequences: String,
    #[serde(default, deserialize_with = "trimmed")]
    measures_for_people: String,
}

/// `patients: 12 000` → (patients, 12000), a line each; a line without a count is refused with
/// the form.
fn subjects(text: &str) -> Result<Vec<RecordCount>, DomainError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| RecordCount::parse_line("data subjects", l))
        .collect()
}

pub async fn regulatory_facts(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<FactsForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, |c| {
        c.set_regulatory_facts(RegulatoryFacts {
            contact: f.contact.clone(),
            malicious: f.malicious,
            cross_border: f.cross_border,
            cross_border_detail: f.cross_border_detail.clone(),
            data_subjects: subjects(&f.data_subjects)?,
            consequences: f.consequences.clone(),
            measures_for_people: f.measures_for_people.clone(),
        })
        .map(|e| vec![e])
    })
    .await
}

/// The form that starts a regulatory clock.
#[derive(Debug, serde::Deserialize)]
pub struct ClockForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    clock: ClockStart,
    #[serde(default, deserialize_with = "trimmed")]
    at: String,
    #[serde(default, deserialize_with = "trimmed")]
    source: String,
}

pub async fn clock(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ClockForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, |c| {
        c.set_regulatory_clock(f.clock, time(&user, "at", &f.at)?, &f.source)
            .map(|e| vec![e])
    })
    .await
}

/// A notification made another way (by telephone, on a portal), recorded on the page.
#[derive(Debug, serde::Deserialize)]
pub struct RecordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    obligation: Obligation,
    #[serde(default, deserialize_with = "comma_list")]
    recipients: Vec<String>,
    #[serde(default, deserialize_with = "trimmed")]
    channel: String,
    #[serde(default, deserialize_with = "trimmed")]
    summary: String,
    #[serde(default, deserialize_with = "trimmed")]
    sent_at: String,
    #[serde(default, deserialize_with = "trimmed")]
    late_reason: String,
}

pub async fn record(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<RecordForm>,
) -> Response {
    let regimes = state.config.regimes.clone();
    act(&state, &user, &number, &f.csrf, |c| {
        let (regime, step) = f.obligation.parts();
        c.record_notification(
            &regimes,
            regime.as_deref(),
            step.as_deref(),
            &f.recipients,
            &f.channel,
            &f.summary,
            time(&user, "sent_at", &f.sent_at)?,
            &f.late_reason,
        )
        .map(|e| vec![e])
    })
    .await
}

/// What is due across incidents in the next 24 hours, and what is overdue.
/// Which page of the deadlines board (50 lines each).
#[derive(Debug, Default, serde::Deserialize)]
pub struct BoardQuery {
    #[serde(default, deserialize_with = "optional")]
    page: Option<String>,
}

pub async fn board(
    State(state): State<AppState>,
    user: WebUser,
    axum::extract::Query(q): axum::extract::Query<BoardQuery>,
) -> Response {
    let mut items = match state
        .app
        .obligations_due(&user.caller(), &state.config.regimes, Timestamp::now(), 24)
        .await
    {
        Ok(items) => items,
        Err(e) => return app_error(&user, e),
    };
    let frame = super::Frame::page(&user, "obligations", None);
    let pager = super::Pager::cut(&mut items, q.page.as_deref(), |page| {
        format!("/obligations?page={page}")
    });
    render_view(
        "obligations.html",
        StatusCode::OK,
        &BoardPage {
            frame,
            pager,
            items,
        },
    )
}

/// The obligations board: what is due across incidents in the next 24 hours, and what is late.
#[derive(Debug, serde::Serialize)]
struct BoardPage {
    #[serde(flatten)]
    frame: super::Frame,
    /// This page of the lines.
    pager: super::Pager,
    items: Vec<debrief_app::DueObligation>,
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

/// A message sent from the incident's page to a directory entry or to e-mail addresses.
#[derive(Debug, serde::Deserialize)]
pub struct SendForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    obligation: Obligation,
    #[serde(default, deserialize_with = "comma_list")]
    addresses: Vec<String>,
    #[serde(default, deserialize_with = "trimmed")]
    channel: String,
    #[serde(default, deserialize_with = "optional")]
    stakeholder: Option<String>,
    #[serde(default, deserialize_with = "trimmed")]
    summary: String,
    #[serde(default, deserialize_with = "trimmed")]
    text: String,
    #[serde(default, deserialize_with = "trimmed")]
    late_reason: String,
}

/// Sends a message to a directory entry (or e-mail addresses) from the incident's page.
pub async fn send(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<SendForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let (regime, step) = f.obligation.parts();
    let req = crate::outbound::service::SendRequest {
        regime,
        step,
        recipients: f.addresses,
        channel: f.channel,
        stakeholder: f.stakeholder,
        summary: f.summary,
        text: f.text,
        late_reason: f.late_reason,
    };
    let result = crate::outbound::service::send(&state, &user.principal, &number, req).await;
    after(&state, &user, &number, result).await
}

/// A rule's proposal, as proposed or as edited on the page.
#[derive(Debug, serde::Deserialize)]
pub struct ProposalForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "optional")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "optional")]
    text: Option<String>,
    #[serde(default, deserialize_with = "trimmed")]
    late_reason: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// Sends a rule's proposal, as proposed or as edited on the page (managers).
pub async fn send_proposal(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, rule)): Path<(String, String)>,
    WebForm(f): WebForm<ProposalForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let edit = crate::outbound::service::ProposalSendRequest {
        subject: f.subject,
        text: f.text,
        late_reason: f.late_reason,
    };
    let result =
        crate::outbound::service::send_proposal(&state, &user.principal, &number, &rule, edit)
            .await;
    after(&state, &user, &number, result).await
}

/// Skips a rule's proposal with a reason (managers).
pub async fn skip_proposal(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, rule)): Path<(String, String)>,
    WebForm(f): WebForm<ProposalForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let req = crate::outbound::service::SkipRequest { reason: f.reason };
    let result =
        crate::outbound::service::skip_proposal(&state, &user.principal, &number, &rule, req).await;
    after(&state, &user, &number, result).await
}

/// Tries a failed delivery again now.
pub async fn retry(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, id)): Path<(String, u64)>,
    WebForm(f): WebForm<ButtonForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let result = crate::outbound::service::retry(&state, &user.principal, &number, id).await;
    after(&state, &user, &number, result).await
}

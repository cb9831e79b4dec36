//! The incident pages: the list, the create form, an incident and its forms; and the helpers
//! every page module shares (rendering, redirects, errors, role checks).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_app::AppError;
use debrief_domain::Category;
use debrief_domain::DateAlone;
use debrief_domain::{
    Action, DomainError, Event, Incident, IncidentId, Language, Milestone, MilestoneSource,
    NewIncident, Role, Status, authorize,
};
use debrief_store::{IncidentQuery, StoreError};
use minijinja::Value;
use serde::Deserialize;

use super::form::WebForm;
use super::{WebUser, error_page, page};
use crate::AppState;
use crate::api::incidents::Need;
use crate::i18n::t;

/// Renders a page from its typed view model (its `Frame` flattened in).
pub(super) fn render_view<T: serde::Serialize>(
    name: &str,
    status: StatusCode,
    view: &T,
) -> Response {
    page(status, name, Value::from(minijinja::value::Serde(view)))
}

/// An in-app path to go back to after a form; anything else becomes the incident list.
///
/// Only a path on this origin is kept: it starts with one `/`, and holds only visible ASCII —
/// no backslash, no control character, no space (browsers drop tabs and line breaks from a
/// URL, so `/<TAB>/evil.example` would become `//evil.example`, another origin), no `//` at the
/// start and no scheme.
pub(super) fn safe_next(next: &str) -> String {
    let same_origin = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/login")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if same_origin {
        next.to_string()
    } else {
        "/incidents".to_string()
    }
}

pub(super) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A store failure shown as a page, with the status of its category (the API's): "not found"
/// for unknown things, the domain's refusal in the reader's language, a logged generic error for
/// a failure.
pub(super) fn store_error(user: &WebUser, e: StoreError) -> Response {
    let category = e.category();
    let status =
        StatusCode::from_u16(category.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let in_words = |key: &str, e: &StoreError| {
        if user.lang == Language::En {
            e.to_string()
        } else {
            t(user.lang, key, &[("detail", e.to_string())])
        }
    };
    match (category, e) {
        (_, StoreError::Domain(d)) => error_page(
            user.lang,
            Some(user),
            status,
            "error-bad-request",
            &super::domain_message(user.lang, &d),
        ),
        (Category::NotFound, e) => error_page(
            user.lang,
            Some(user),
            status,
            "error-not-found",
            &in_words("err-not-found", &e),
        ),
        (Category::Conflict, e) => error_page(
            user.lang,
            Some(user),
            status,
            "error-bad-request",
            &in_words("err-conflict", &e),
        ),
        (Category::Forbidden, e) => forbidden(user, &e.to_string()),
        (Category::Refused, e) => error_page(
            user.lang,
            Some(user),
            status,
            "error-bad-request",
            &e.to_string(),
        ),
        (Category::Failed, other) => {
            tracing::error!(error = %other, "store failure");
            error_page(
                user.lang,
                Some(user),
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal",
                &t(user.lang, "error-internal-detail", &[]),
            )
        }
    }
}

/// The page answering an error of the application layer.
pub(super) fn app_error(user: &WebUser, e: AppError) -> Response {
    match e {
        AppError::Denied(why) => forbidden(user, &why.0),
        AppError::Conflict(why) => error_page(
            user.lang,
            Some(user),
            StatusCode::CONFLICT,
            "error-bad-request",
            &why,
        ),
        AppError::Store(e) => store_error(user, e),
    }
}

pub(super) fn forbidden(user: &WebUser, why: &str) -> Response {
    error_page(
        user.lang,
        Some(user),
        StatusCode::FORBIDDEN,
        "error-forbidden",
        why,
    )
}

// ---------------------------------------------------------------- incident list

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    before: Option<i64>,
}

/// An incident as a row of the list.
#[derive(Debug, serde::Serialize)]
pub(super) struct IncidentRow<'a> {
    number: i64,
    title: &'a str,
    status: Status,
    assignee: Option<&'a str>,
    opened_at: debrief_domain::Timestamp,
    updated_at: debrief_domain::Timestamp,
}

impl<'a> IncidentRow<'a> {
    pub(super) fn of(i: &'a Incident) -> IncidentRow<'a> {
        IncidentRow {
            number: i.number,
            title: &i.title,
            status: i.status,
            assignee: i.assignee.as_deref(),
            opened_at: i.opened_at,
            updated_at: i.updated_at,
        }
    }
}

/// The incident list: a page of rows, the search and status filter, the next page's cursor.
#[derive(Debug, serde::Serialize)]
struct IncidentsPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    incidents: Vec<IncidentRow<'a>>,
    q: &'a str,
    status: &'a str,
    statuses: Vec<Status>,
    /// The number to continue before, when this page is full.
    next_cursor: Option<i64>,
    can_break_glass: bool,
}

pub async fn incidents(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let statuses = match q.status.as_str() {
        "" => vec![],
        "open" => Status::ALL
            .into_iter()
            .filter(|s| *s != Status::Closed)
            .collect(),
        s => match s.parse::<Status>() {
            Ok(s) => vec![s],
            Err(e) => {
                return error_page(
                    user.lang,
                    Some(&user),
                    StatusCode::BAD_REQUEST,
                    "error-bad-request",
                    &super::domain_message(user.lang, &e),
                );
            }
        },
    };
    let limit = 50;
    let query = IncidentQuery {
        statuses,
        text: Some(q.q.clone()),
        before_number: q.before,
        limit: Some(limit),
        ..Default::default()
    };
    let caller = user.caller();
    let list = match state.app.list(&caller, &query).await {
        Ok(l) => l,
        Err(e) => return app_error(&user, e),
    };
    let mut frame = super::Frame::new(Some(&user), user.lang);
    frame.nav = "incidents";
    // The page after this one, when this one is full.
    let next_cursor = (list.len() as u32 == limit)
        .then(|| list.last().map(|i| i.number))
        .flatten();
    let view = IncidentsPage {
        frame,
        incidents: list.iter().map(IncidentRow::of).collect(),
        q: &q.q,
        status: &q.status,
        statuses: Status::ALL.to_vec(),
        next_cursor,
        can_break_glass: may(&user, Action::BreakGlass).is_ok(),
    };
    let partial = headers.contains_key("hx-request") && !headers.contains_key("hx-boosted");
    render_view(
        if partial {
            "incident_rows.html"
        } else {
            "incidents.html"
        },
        StatusCode::OK,
        &view,
    )
}

// ---------------------------------------------------------------- create

#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct NewIncidentForm {
    #[serde(default, rename = "_csrf", skip_serializing)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    reporter: String,
    #[serde(default)]
    detection_source: String,
    #[serde(default)]
    detected_at: String,
    /// The "restricted to its team" box: sent only when ticked.
    #[serde(default)]
    restricted: Option<String>,
}

fn new_form_page(
    user: &WebUser,
    form: &NewIncidentForm,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut frame = super::Frame::new(Some(user), user.lang);
    frame.nav = "new";
    frame.error = error;
    render_view(
        "incident_new.html",
        status,
        &NewIncidentPage { frame, form },
    )
}

/// The new incident form, with what was typed when it was refused.
#[derive(Debug, serde::Serialize)]
struct NewIncidentPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    form: &'a NewIncidentForm,
}

pub(super) fn may(user: &WebUser, action: Action<'_>) -> Result<(), String> {
    let u = &user.principal.user;
    authorize(u.username.as_str(), u.role, action).map_err(|d| d.0)
}

pub async fn new_incident(user: WebUser) -> Response {
    if let Err(why) = may(&user, Action::CreateIncident) {
        return forbidden(&user, &why);
    }
    new_form_page(&user, &NewIncidentForm::default(), None, StatusCode::OK)
}

pub async fn create_incident(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<NewIncidentForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::CreateIncident) {
        return forbidden(&user, &why);
    }
    let parsed = (|| -> Result<NewIncident, DomainError> {
        let detected_at = Some(form.detected_at.trim())
            .filter(|s| !s.is_empty())
            .map(|s| user.zone.read("detected_at", s, DateAlone::Refused))
            .transpose()?;
        NewIncident::parse(
            &form.title,
            &form.summary,
            &form.reporter,
            &form.detection_source,
            detected_at,
        )
        .map(|n| n.restricted(form.restricted.is_some()))
    })();
    let new = match parsed {
        Ok(n) => n,
        Err(e) => {
            return new_form_page(
                &user,
                &form,
                Some(super::domain_message(user.lang, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let caller = user.caller();
    match state.app.create(&caller, new).await {
        Ok(done) => see_other(&format!("/incidents/{}", done.incident.number)),
        Err(e) => app_error(&user, e),
    }
}

// ---------------------------------------------------------------- incident page

pub(super) async fn resolve_number(
    state: &AppState,
    user: &WebUser,
    number: &str,
) -> Result<IncidentId, Response> {
    if number.parse::<i64>().is_err() {
        return Err(error_page(
            user.lang,
            Some(user),
            StatusCode::NOT_FOUND,
            "error-not-found",
            &t(user.lang, "error-page-missing", &[]),
        ));
    }
    state
        .app
        .resolve(&user.caller(), number)
        .await
        .map_err(|e| app_error(user, e))
}

/// The incident a page is about, read through the application layer as this user.
pub(super) async fn incident_for(
    state: &AppState,
    user: &WebUser,
    id: IncidentId,
) -> Result<debrief_domain::Incident, Response> {
    state
        .app
        .incident_by_id(&user.caller(), id)
        .await
        .map_err(|e| app_error(user, e))
}

pub(super) async fn incident_page(
    state: &AppState,
    user: &WebUser,
    id: IncidentId,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let who = user.caller();
    let (incident, journal) = match (
        state.app.incident_by_id(&who, id).await,
        state.app.journal(&who, id).await,
    ) {
        (Ok(i), Ok(j)) => (i, j),
        (Err(e), _) | (_, Err(e)) => return app_error(user, e),
    };
    let intact = crate::api::incidents::chain_intact(state, id)
        .await
        .unwrap_or_default();
    let u = &user.principal.user;
    let can_work = may(user, Action::WorkIncident(&incident)).is_ok();
    let can_assign = u.role == Role::Manager;
    let can_take = u.role == Role::Handler && incident.assignee.is_none();
    let mut assignable = Vec::new();
    if can_assign {
        match state.app.assignees().await {
            Ok(a) => assignable = a,
            Err(e) => return app_error(user, e),
        }
    }
    let milestones = Milestone::ALL
        .iter()
        .map(|m| match incident.milestones.get(m) {
            Some(v) => {
                let (how, source, entry) = match &v.source {
                    MilestoneSource::Derived { seq } => ("derived", String::new(), Some(*seq)),
                    MilestoneSource::Stated { seq, source } => {
                        ("stated", source.clone(), Some(*seq))
                    }
                };
                MilestoneRow {
                    name: m.as_str(),
                    at: Some(v.at.to_string()),
                    how,
                    source,
                    entry,
                }
            }
            None => MilestoneRow {
                name: m.as_str(),
                at: None,
                how: "",
                source: String::new(),
                entry: None,
            },
        })
        .collect();
    let rows = journal
        .iter()
        .rev()
        .map(|e| {
            let (what, reason) = super::describe::describe(user.lang, &user.zone, e);
            let actor = if e.author_hidden() {
                crate::i18n::t(user.lang, "pm-anonymous", &[])
            } else {
                e.actor.clone()
            };
            JournalRow {
                seq: e.seq,
                recorded_at: e.recorded_at.to_string(),
                actor,
                what,
                reason,
                hash: e.hash.to_hex(),
            }
        })
        .collect();
    // Who read this incident's reports, exports and evidence — and, restricted, the incident
    // itself (managers and admins; a restricted incident's team too).
    let access_log = match state
        .app
        .access_log(
            &user.caller(),
            debrief_store::access::AccessScope::Incident(id),
            20,
        )
        .await
    {
        Ok(reads) => Some(
            reads
                .iter()
                .map(|r| ReadRow {
                    at: r.at.to_string(),
                    actor: r.actor.clone(),
                    action: r.action.clone(),
                    what: read_in_words(user.lang, r),
                    address: r.address.clone(),
                })
                .collect(),
        ),
        Err(AppError::Denied(_)) => None,
        Err(e) => return app_error(user, e),
    };
    // Need-to-know: who the team is, who was given access, and whether this reader decides it.
    let mut team: Vec<String> = std::iter::once(incident.opened_by.clone())
        .chain(incident.assignee.clone())
        .chain(incident.members.iter().map(|m| m.user.clone()))
        .collect();
    team.sort();
    team.dedup();
    let grants = incident
        .grants
        .iter()
        .map(|g| match g {
            debrief_domain::access::Grantee::User(u) => GrantRow {
                id: g.to_string(),
                name: u.as_str().to_string(),
                group: false,
            },
            debrief_domain::access::Grantee::Group(n) => GrantRow {
                id: g.to_string(),
                name: n.as_str().to_string(),
                group: true,
            },
        })
        .collect();
    let record = match super::record::record_view(state, user, &incident).await {
        Ok(record) => record,
        Err(e) => return app_error(user, e),
    };
    let mut frame = super::Frame::new(Some(user), user.lang);
    frame.nav = "incidents";
    frame.error = error;
    let view = IncidentPage {
        frame,
        incident: IncidentHead {
            number: incident.number,
            title: incident.title.clone(),
            summary: incident.summary.clone(),
            reporter: incident.reporter.clone(),
            detection_source: incident.detection_source.clone(),
            status: incident.status.as_str(),
            assignee: incident.assignee.clone(),
            opened_at: incident.opened_at.to_string(),
            opened_by: incident.opened_by.clone(),
            updated_at: incident.updated_at.to_string(),
            allowed_transitions: incident
                .status
                .allowed_next()
                .iter()
                .map(|s| s.as_str())
                .collect(),
        },
        milestones,
        journal: rows,
        intact,
        head: journal.last().map(|e| e.hash.to_hex()),
        access_log,
        can_work,
        can_assign,
        access: AccessView {
            restricted: incident.restricted,
            team,
            grants,
        },
        can_manage_access: may(user, Action::ManageAccess(&incident)).is_ok(),
        can_take,
        assignable,
        record,
    };
    render_view("incident.html", status, &view)
}

/// What the incident page shows: its frame, the incident's head, its key times, its journal,
/// who read it, who may see it, and its record with the forms' choices.
#[derive(Debug, serde::Serialize)]
struct IncidentPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    incident: IncidentHead,
    milestones: Vec<MilestoneRow>,
    journal: Vec<JournalRow>,
    intact: bool,
    /// The hash of the journal's last entry.
    head: Option<String>,
    /// Who read the incident; `None` for a reader who may not see that.
    access_log: Option<Vec<ReadRow>>,
    can_work: bool,
    can_assign: bool,
    access: AccessView,
    can_manage_access: bool,
    can_take: bool,
    /// Who a manager may assign the incident to.
    assignable: Vec<String>,
    #[serde(flatten)]
    record: super::record::RecordView<'a>,
}

#[derive(Debug, serde::Serialize)]
struct IncidentHead {
    number: i64,
    title: String,
    summary: String,
    reporter: String,
    detection_source: String,
    status: &'static str,
    assignee: Option<String>,
    opened_at: String,
    opened_by: String,
    updated_at: String,
    allowed_transitions: Vec<&'static str>,
}

/// A key time: stated (with its source), derived from a journal entry, or not known.
#[derive(Debug, serde::Serialize)]
struct MilestoneRow {
    name: &'static str,
    at: Option<String>,
    /// `stated`, `derived` or empty.
    how: &'static str,
    source: String,
    entry: Option<u64>,
}

#[derive(Debug, serde::Serialize)]
struct JournalRow {
    seq: u64,
    recorded_at: String,
    actor: String,
    what: String,
    reason: String,
    hash: String,
}

/// One read of the incident's reports, exports or evidence.
#[derive(Debug, serde::Serialize)]
struct ReadRow {
    at: String,
    actor: String,
    action: String,
    what: String,
    address: String,
}

#[derive(Debug, serde::Serialize)]
struct AccessView {
    restricted: bool,
    team: Vec<String>,
    grants: Vec<GrantRow>,
}

#[derive(Debug, serde::Serialize)]
struct GrantRow {
    id: String,
    name: String,
    group: bool,
}

pub async fn incident(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
) -> Response {
    match resolve_number(&state, &user, &number).await {
        Ok(id) => incident_page(&state, &user, id, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// Runs one command from an incident page's form: CSRF, role, decide, append; back to the page.
async fn act(
    state: &AppState,
    user: &WebUser,
    number: &str,
    csrf: &str,
    need: Need<'_>,
    decide: impl Fn(&Incident) -> Result<Event, DomainError> + Send + Sync,
) -> Response {
    act_many(
        state,
        user,
        number,
        csrf,
        need,
        |i| decide(i).map(|e| vec![e]),
        "",
    )
    .await
}

/// What a form's command came to: the response to send (a redirect back, or a refusal page of
/// its own), or a domain refusal for the caller to show on its page.
pub(super) enum Applied {
    Done(Response),
    Refused(IncidentId, String, StatusCode),
}

/// The shared path of every incident form: CSRF, then the command through the application layer
/// (the role checked on the state each attempt decides on; `need` says what is needed, e.g.
/// approving), the events appended by the signed-in user; back to `/incidents/N{back}` when done.
/// A command that would change nothing is refused here as on the API ("nothing to change").
pub(super) async fn apply_form(
    state: &AppState,
    user: &WebUser,
    number: &str,
    csrf: &str,
    need: Need<'_>,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
    back: &str,
) -> Applied {
    if let Err(r) = user.check_csrf(csrf) {
        return Applied::Done(r);
    }
    let id = match resolve_number(state, user, number).await {
        Ok(id) => id,
        Err(r) => return Applied::Done(r),
    };
    let caller = user.caller();
    answer(
        user,
        id,
        state.app.execute(&caller, id, need, None, decide).await,
        back,
    )
}

/// How an incident form answers what the application layer did: back to `/incidents/N{back}`
/// when done, the refusal shown on the page when a rule refused.
pub(super) fn answer(
    user: &WebUser,
    id: IncidentId,
    result: Result<Incident, AppError>,
    back: &str,
) -> Applied {
    match result {
        Ok(done) => Applied::Done(see_other(&format!("/incidents/{}{back}", done.number))),
        Err(AppError::Denied(why)) => Applied::Done(forbidden(user, &why.0)),
        Err(AppError::Conflict(why)) => Applied::Refused(id, why, StatusCode::CONFLICT),
        Err(AppError::Store(StoreError::Domain(e))) => {
            let status = StatusCode::from_u16(e.category().http_status())
                .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            Applied::Refused(id, super::domain_message(user.lang, &e), status)
        }
        Err(AppError::Store(e)) => Applied::Done(store_error(user, e)),
    }
}

/// An incident form whose refusals are shown on the incident page.
pub(super) async fn act_many(
    state: &AppState,
    user: &WebUser,
    number: &str,
    csrf: &str,
    need: Need<'_>,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
    anchor: &str,
) -> Response {
    match apply_form(state, user, number, csrf, need, decide, anchor).await {
        Applied::Done(r) => r,
        Applied::Refused(id, msg, status) => {
            incident_page(state, user, id, Some(msg), status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(deserialize_with = "super::form::choice")]
    to: Status,
    #[serde(default)]
    reason: String,
}

pub async fn transition(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(form): WebForm<TransitionForm>,
) -> Response {
    let to = form.to;
    act(&state, &user, &number, &form.csrf, Need::Work, |i| {
        i.transition(to, &form.reason, &state.config.review)
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    title: Option<String>,
    summary: Option<String>,
    reporter: Option<String>,
    detection_source: Option<String>,
}

pub async fn edit(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(form): WebForm<EditForm>,
) -> Response {
    // A refused value is shown on the incident page, after the CSRF and role checks.
    let edit = debrief_app::commands::EditIncident::new(
        form.title,
        form.summary,
        form.reporter,
        form.detection_source,
        "",
    );
    let decide = |i: &Incident| edit.as_ref().map_err(Clone::clone)?.decide(i);
    act_many(&state, &user, &number, &form.csrf, Need::Work, decide, "").await
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
    Path(number): Path<String>,
    WebForm(form): WebForm<AssignForm>,
) -> Response {
    let to = Some(form.assignee.trim().to_lowercase()).filter(|a| !a.is_empty());
    act(
        &state,
        &user,
        &number,
        &form.csrf,
        Need::Assign(to.as_deref()),
        |i| i.assign(to.as_deref(), ""),
    )
    .await
}

/// A read of the access log in the reader's language: the document (its kind, format and
/// language) and the journal entry it reflects, or the evidence file.
fn read_in_words(lang: Language, r: &debrief_store::access::AccessRecord) -> String {
    let mut parts = Vec::new();
    match r.action.as_str() {
        "evidence" => parts.push(r.what.trim_start_matches("evidence ").to_string()),
        "read" => {}
        "break-glass" => parts.push(r.what.trim_start_matches("break-glass: ").to_string()),
        "lead-told" => {
            // `what` is "NAME: how: detail"; the name and the relay's own detail are data, the
            // rest is said in the reader's words.
            let mut fields = r.what.splitn(3, ": ");
            let to = fields.next().unwrap_or_default().to_string();
            let detail = fields.nth(1).unwrap_or_default();
            let outcome = if r.format.is_empty() {
                "not-told"
            } else {
                r.format.as_str()
            };
            parts.push(t(lang, &format!("access-told-{outcome}"), &[("to", to)]));
            if matches!(outcome, "delivered" | "not-delivered") && !detail.is_empty() {
                parts.push(detail.to_string());
            }
        }
        _ => {
            let (kind, table) = match r.kind.split_once('-') {
                Some(("csv", table)) => ("csv", Some(table)),
                _ => (r.kind.as_str(), None),
            };
            parts.push(t(lang, &format!("rep-kind-{kind}"), &[]));
            if let Some(table) = table {
                parts.push(t(lang, &format!("access-table-{table}"), &[]));
            }
            if !r.format.is_empty() {
                parts.push(t(lang, &format!("access-format-{}", r.format), &[]));
            }
            if !r.lang.is_empty() {
                parts.push(t(lang, &format!("access-lang-{}", r.lang), &[]));
            }
        }
    }
    if let Some(entry) = r.entry {
        parts.push(t(lang, "access-entry", &[("entry", entry.to_string())]));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_origin_paths_are_followed() {
        for ok in ["/incidents/4", "/alerts?status=new#a-3", "/settings"] {
            assert_eq!(safe_next(ok), ok);
        }
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/login?next=//evil",
            "/\u{0}/evil",
            "/\u{7f}/evil",
            "/\u{a0}/evil",
            "/\u{3000}/evil",
        ] {
            assert_eq!(safe_next(bad), "/incidents", "{bad:?}");
        }
    }
}

//! The incident pages: the list, the create form, an incident's forms (the page itself is
//! `incident.rs`); and the helpers every page module shares (rendering, redirects, errors, role
//! checks).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_app::AppError;
use debrief_domain::Category;
use debrief_domain::DateAlone;
use debrief_domain::{
    Action, DomainError, Event, Incident, IncidentId, Language, NewIncident, Status, authorize,
};
use debrief_store::{IncidentQuery, StoreError};
use minijinja::Value;
use serde::Deserialize;

use super::form::WebForm;
use super::{WebUser, error_page, page};
use crate::AppState;
use crate::api::incidents::Need;
use crate::i18n::t;

pub use super::incident::incident;
pub(super) use super::incident::incident_page;

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
    /// Incidents matching the filters on all pages, and this page's place among them.
    total: u64,
    start: u64,
    end: u64,
    /// Whether this is a page after the first.
    paged: bool,
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
    // The total on all pages, and how many from this page on, for "51–100 of 312".
    let counts = async {
        let total = state
            .app
            .count(
                &caller,
                &IncidentQuery {
                    before_number: None,
                    ..query.clone()
                },
            )
            .await?;
        let from_here = match q.before {
            Some(_) => state.app.count(&caller, &query).await?,
            None => total,
        };
        Ok::<_, AppError>((total, from_here))
    };
    let (total, from_here) = match counts.await {
        Ok(c) => c,
        Err(e) => return app_error(&user, e),
    };
    let start = total.saturating_sub(from_here) + 1;
    let frame = super::Frame::page(&user, "incidents", None);
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
        total,
        start,
        end: (start + list.len() as u64).saturating_sub(1),
        paged: q.before.is_some(),
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
    let frame = super::Frame::page(user, "new", error);
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
    apply_form_at(state, user, number, csrf, need, None, decide, back).await
}

/// [`apply_form`] made on the incident as the page showed it (its last entry `seen`): if
/// anyone wrote to it since, nothing is written and the page shows it as it is now, with why.
#[allow(clippy::too_many_arguments)]
pub(super) async fn apply_form_at(
    state: &AppState,
    user: &WebUser,
    number: &str,
    csrf: &str,
    need: Need<'_>,
    seen: Option<u64>,
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
        state.app.execute(&caller, id, need, seen, decide).await,
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
        // Written to by someone else since the page was shown: the page as it is now.
        Err(AppError::Store(StoreError::Conflict { .. })) => Applied::Refused(
            id,
            crate::i18n::t(user.lang, "err-stale-page", &[]),
            StatusCode::CONFLICT,
        ),
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
    /// The incident's last entry when the form was shown: an edit of a page someone else has
    /// changed since is refused, never written over theirs.
    seq: Option<u64>,
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
    match apply_form_at(
        &state,
        &user,
        &number,
        &form.csrf,
        Need::Work,
        form.seq,
        decide,
        "",
    )
    .await
    {
        Applied::Done(r) => r,
        Applied::Refused(id, msg, status) => {
            incident_page(&state, &user, id, Some(msg), status).await
        }
    }
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

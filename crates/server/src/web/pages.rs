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
use serde_json::{Map, json};

use super::form::WebForm;
use super::{WebUser, base_context, error_page, page};
use crate::AppState;
use crate::api::incidents::Need;
use crate::i18n::t;

pub(super) type Ctx = Map<String, serde_json::Value>;

pub(super) fn render(name: &str, status: StatusCode, ctx: Ctx) -> Response {
    page(status, name, Value::from(minijinja::value::Serde(&ctx)))
}

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

fn incident_row(i: &Incident) -> serde_json::Value {
    json!({
        "number": i.number, "title": i.title, "status": i.status.as_str(), "assignee": i.assignee,
        "opened_at": i.opened_at.to_string(), "updated_at": i.updated_at.to_string(),
    })
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
    let mut ctx = base_context(Some(&user), user.lang);
    ctx.insert("nav".into(), "incidents".into());
    ctx.insert("incidents".into(), list.iter().map(incident_row).collect());
    ctx.insert("q".into(), q.q.clone().into());
    ctx.insert("status".into(), q.status.clone().into());
    ctx.insert(
        "statuses".into(),
        Status::ALL.iter().map(|s| s.as_str()).collect(),
    );
    // The page after this one, when this one is full.
    let next = (list.len() as u32 == limit).then(|| list.last().map(|i| i.number));
    ctx.insert("next_cursor".into(), next.flatten().into());
    ctx.insert(
        "can_break_glass".into(),
        may(&user, Action::BreakGlass).is_ok().into(),
    );
    let partial = headers.contains_key("hx-request") && !headers.contains_key("hx-boosted");
    render(
        if partial {
            "incident_rows.html"
        } else {
            "incidents.html"
        },
        StatusCode::OK,
        ctx,
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
    let mut ctx = base_context(Some(user), user.lang);
    ctx.insert("nav".into(), "new".into());
    ctx.insert(
        "form".into(),
        serde_json::to_value(form).unwrap_or_default(),
    );
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("incident_new.html", status, ctx)
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
    let milestones: Vec<serde_json::Value> = Milestone::ALL
        .iter()
        .map(|m| match incident.milestones.get(m) {
            Some(v) => {
                let (how, source, entry) = match &v.source {
                    MilestoneSource::Derived { seq } => ("derived", String::new(), *seq),
                    MilestoneSource::Stated { seq, source } => ("stated", source.clone(), *seq),
                };
                json!({"name": m.as_str(), "at": v.at.to_string(), "how": how, "source": source, "entry": entry})
            }
            None => json!({"name": m.as_str(), "at": null, "how": ""}),
        })
        .collect();
    let rows: Vec<serde_json::Value> = journal
        .iter()
        .rev()
        .map(|e| {
            let (what, reason) = super::describe::describe(user.lang, &user.zone, e);
            let actor = if e.author_hidden() { crate::i18n::t(user.lang, "pm-anonymous", &[]) } else { e.actor.clone() };
            json!({"seq": e.seq, "recorded_at": e.recorded_at.to_string(), "actor": actor, "what": what, "reason": reason, "hash": e.hash.to_hex()})
        })
        .collect();
    let mut ctx = base_context(Some(user), user.lang);
    ctx.insert("nav".into(), "incidents".into());
    ctx.insert(
        "incident".into(),
        json!({
            "number": incident.number, "title": incident.title, "summary": incident.summary, "reporter": incident.reporter,
            "detection_source": incident.detection_source, "status": incident.status.as_str(), "assignee": incident.assignee,
            "opened_at": incident.opened_at.to_string(), "opened_by": incident.opened_by, "updated_at": incident.updated_at.to_string(),
            "allowed_transitions": incident.status.allowed_next().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        }),
    );
    ctx.insert("milestones".into(), milestones.into());
    ctx.insert("journal".into(), rows.into());
    ctx.insert("intact".into(), intact.into());
    ctx.insert(
        "head".into(),
        journal.last().map(|e| e.hash.to_hex()).into(),
    );
    // Who read this incident's reports, exports and evidence — and, restricted, the incident
    // itself (managers and admins; a restricted incident's team too).
    let reads = match state
        .app
        .access_log(
            &user.caller(),
            debrief_store::access::AccessScope::Incident(id),
            20,
        )
        .await
    {
        Ok(r) => Some(r),
        Err(AppError::Denied(_)) => None,
        Err(e) => return app_error(user, e),
    };
    if let Some(reads) = reads {
        let reads: Vec<serde_json::Value> = reads
            .iter()
            .map(|r| {
                json!({"at": r.at.to_string(), "actor": r.actor, "action": r.action,
                    "what": read_in_words(user.lang, r), "address": r.address})
            })
            .collect();
        ctx.insert("access_log".into(), reads.into());
    }
    ctx.insert("can_work".into(), can_work.into());
    ctx.insert("can_assign".into(), can_assign.into());
    // Need-to-know: who the team is, who was given access, and whether this reader decides it.
    let mut team: Vec<String> = std::iter::once(incident.opened_by.clone())
        .chain(incident.assignee.clone())
        .chain(incident.members.iter().map(|m| m.user.clone()))
        .collect();
    team.sort();
    team.dedup();
    let grants: Vec<serde_json::Value> = incident
        .grants
        .iter()
        .map(|g| match g {
            debrief_domain::access::Grantee::User(u) => {
                json!({"id": g.to_string(), "name": u.as_str(), "group": false})
            }
            debrief_domain::access::Grantee::Group(n) => {
                json!({"id": g.to_string(), "name": n.as_str(), "group": true})
            }
        })
        .collect();
    ctx.insert(
        "access".into(),
        json!({"restricted": incident.restricted, "team": team, "grants": grants}),
    );
    ctx.insert(
        "can_manage_access".into(),
        may(user, Action::ManageAccess(&incident)).is_ok().into(),
    );
    ctx.insert("can_take".into(), can_take.into());
    ctx.insert("assignable".into(), assignable.into());
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    match super::record::record_context(state, user, &incident).await {
        Ok(record) => ctx.extend(record),
        Err(e) => return app_error(user, e),
    }
    render("incident.html", status, ctx)
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

//! The pages: login, incident list and page, the create form, user admin, language switch.
//! Forms post and redirect (so everything works without JavaScript); htmx swaps the incident list
//! in place while searching and filtering.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_domain::text::Actor;
use debrief_domain::{
    Action, DomainError, Event, Field, Incident, IncidentId, JournalEntry, Language, Milestone,
    MilestoneSource, NewIncident, Role, Status, Timestamp, Username, authorize,
};
use debrief_store::accounts::{NewUser, UserChanges};
use debrief_store::{IncidentQuery, StoreError};
use minijinja::Value;
use serde::Deserialize;
use serde_json::{Map, json};

use super::{WebUser, base_context, error_page, language, page};
use crate::AppState;
use crate::api::incidents::Need;
use crate::auth::{self, LOGIN_CSRF_COOKIE};
use crate::i18n::t;

pub(super) type Ctx = Map<String, serde_json::Value>;

pub(super) fn render(name: &str, status: StatusCode, ctx: Ctx) -> Response {
    page(status, name, Value::from(minijinja::value::Serde(&ctx)))
}

/// An in-app path to go back to after a form; anything else becomes the incident list.
fn safe_next(next: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/login")
    {
        next.to_string()
    } else {
        "/incidents".to_string()
    }
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A store failure shown as a page: "not found" for unknown things, a logged generic error else.
pub(super) fn store_error(user: &WebUser, e: StoreError) -> Response {
    match e {
        StoreError::NotFound(_) | StoreError::NoUser(_) => error_page(
            user.lang,
            Some(user),
            StatusCode::NOT_FOUND,
            "error-not-found",
            &if user.lang == Language::En {
                e.to_string()
            } else {
                t(user.lang, "err-not-found", &[])
            },
        ),
        StoreError::Domain(d) => error_page(
            user.lang,
            Some(user),
            StatusCode::UNPROCESSABLE_ENTITY,
            "error-bad-request",
            &super::domain_message(user.lang, &d),
        ),
        StoreError::Conflict { .. } | StoreError::Duplicate(_) => error_page(
            user.lang,
            Some(user),
            StatusCode::CONFLICT,
            "error-bad-request",
            &if user.lang == Language::En {
                e.to_string()
            } else {
                t(user.lang, "err-conflict", &[("detail", e.to_string())])
            },
        ),
        other => {
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

fn forbidden(user: &WebUser, why: &str) -> Response {
    error_page(
        user.lang,
        Some(user),
        StatusCode::FORBIDDEN,
        "error-forbidden",
        why,
    )
}

// ---------------------------------------------------------------- login, logout, language

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    lang: Option<String>,
}

fn login_page_response(
    lang: Language,
    next: &str,
    username: &str,
    error: Option<String>,
    status: StatusCode,
    set_lang: bool,
) -> Response {
    let token = auth::random_token(24);
    let mut ctx = base_context(None, lang);
    ctx.insert("login_csrf".into(), token.clone().into());
    ctx.insert("next".into(), safe_next(next).into());
    ctx.insert("username".into(), username.into());
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    let mut res = render("login.html", status, ctx);
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    if set_lang
        && let Ok(v) = HeaderValue::from_str(&format!(
            "debrief_lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
            lang.as_str()
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let chosen = q.lang.as_deref().and_then(|l| l.parse::<Language>().ok());
    let lang = chosen.unwrap_or_else(|| language(None, &headers));
    login_page_response(lang, &q.next, "", None, StatusCode::OK, chosen.is_some())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = language(None, &headers);
    let again = |key: &str, status: StatusCode, args: &[(&str, String)]| {
        login_page_response(
            lang,
            &form.next,
            &form.username,
            Some(t(lang, key, args)),
            status,
            false,
        )
    };
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || !auth::same_secret(&form.csrf, &expected) {
        return again("login-expired", StatusCode::FORBIDDEN, &[]);
    }
    let ip = auth::client_ip(&ext);
    if let Err(wait) = state.limiter.check(&form.username, &ip) {
        let mut res = again(
            "login-locked",
            StatusCode::TOO_MANY_REQUESTS,
            &[("minutes", wait.div_ceil(60).to_string())],
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    let record = match state.store.user_record(&form.username).await {
        Ok(r) if !r.user.disabled => Some(r),
        Ok(_) | Err(StoreError::NoUser(_)) => None,
        Err(e) => {
            tracing::error!(error = %e, "login lookup failed");
            return again(
                "error-internal-detail",
                StatusCode::INTERNAL_SERVER_ERROR,
                &[],
            );
        }
    };
    let hash = record.as_ref().map_or_else(
        || auth::dummy_hash().to_string(),
        |r| r.password_hash.clone(),
    );
    let password = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(record) = record.filter(|_| ok) else {
        state.limiter.fail(&form.username, &ip);
        tracing::warn!(username = %form.username, %ip, "failed sign-in");
        return again("login-failed", StatusCode::UNAUTHORIZED, &[]);
    };
    state.limiter.succeed(&form.username, &ip);
    let sid = auth::random_token(32);
    let csrf = auth::random_token(32);
    let hours = state.config.session_hours;
    let expires = Timestamp::from_micros(Timestamp::now().as_micros() + hours * 3_600_000_000)
        .unwrap_or_else(|_| Timestamp::now());
    if let Err(e) = state
        .store
        .create_session(&auth::secret_hash(&sid), &record.user.id, &csrf, expires)
        .await
    {
        tracing::error!(error = %e, "cannot create session");
        return again(
            "error-internal-detail",
            StatusCode::INTERNAL_SERVER_ERROR,
            &[],
        );
    }
    tracing::info!(username = %record.user.username, %ip, "signed in");
    let mut res = see_other(&safe_next(&form.next));
    for cookie in [
        auth::session_cookie(&sid, hours * 3600, state.config.secure_cookies),
        format!("{LOGIN_CSRF_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    if let Some(hash) = &user.principal.session_hash
        && let Err(e) = state.store.delete_session(hash).await
    {
        return store_error(&user, e);
    }
    let mut res = see_other("/login");
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie("", 0, state.config.secure_cookies))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    lang: String,
    #[serde(default)]
    back: String,
}

pub async fn set_language(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<LanguageForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let Ok(lang) = form.lang.parse::<Language>() else {
        return error_page(
            user.lang,
            Some(&user),
            StatusCode::BAD_REQUEST,
            "error-bad-request",
            "language must be en or fr",
        );
    };
    let changes = UserChanges {
        language: Some(Some(lang)),
        ..Default::default()
    };
    match state
        .store
        .update_user(user.principal.user.username.as_str(), changes)
        .await
    {
        Ok(_) => see_other(&safe_next(&form.back)),
        Err(e) => store_error(&user, e),
    }
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
    let list = match state.store.list_incidents(&query).await {
        Ok(l) => l,
        Err(e) => return store_error(&user, e),
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
    if list.len() as u32 == limit {
        ctx.insert("next_cursor".into(), list.last().map(|i| i.number).into());
    }
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

fn may(user: &WebUser, action: Action<'_>) -> Result<(), String> {
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
    Form(form): Form<NewIncidentForm>,
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
            .map(Timestamp::parse)
            .transpose()?;
        NewIncident::parse(
            &form.title,
            &form.summary,
            &form.reporter,
            &form.detection_source,
            detected_at,
        )
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
    let Ok(actor) = Actor::parse(user.principal.user.username.as_str()) else {
        return forbidden(&user, "your user name cannot be recorded");
    };
    match state.store.create_incident(&actor, new).await {
        Ok(done) => see_other(&format!("/incidents/{}", done.incident.number)),
        Err(e) => store_error(&user, e),
    }
}

// ---------------------------------------------------------------- incident page

/// One journal entry, described for people in their language.
fn describe(lang: Language, e: &JournalEntry) -> (String, String) {
    let st = |s: Status| t(lang, &format!("status-{s}"), &[]);
    match e.event() {
        Ok(Event::Opened { title, .. }) => (
            t(lang, "journal-opened", &[("title", title.into_inner())]),
            String::new(),
        ),
        Ok(Event::StatusChanged { from, to, reason }) => (
            t(
                lang,
                "journal-status",
                &[("from", st(from)), ("to", st(to))],
            ),
            reason.into_inner(),
        ),
        Ok(Event::FieldChanged {
            field, to, reason, ..
        }) => {
            let name = t(lang, &format!("field-name-{field}"), &[]);
            let shown: String = to.chars().take(120).collect();
            (
                t(lang, "journal-field", &[("field", name), ("to", shown)]),
                reason.into_inner(),
            )
        }
        Ok(Event::Assigned {
            to: Some(to),
            reason,
            ..
        }) => (
            t(lang, "journal-assigned", &[("to", to)]),
            reason.into_inner(),
        ),
        Ok(Event::Assigned {
            to: None, reason, ..
        }) => (t(lang, "journal-unassigned", &[]), reason.into_inner()),
        Ok(Event::MilestoneSet {
            milestone,
            at,
            source,
            reason,
            ..
        }) => (
            t(
                lang,
                "journal-milestone",
                &[
                    ("milestone", t(lang, &format!("milestone-{milestone}"), &[])),
                    ("at", at.to_string()),
                    ("source", source.into_inner()),
                ],
            ),
            reason.into_inner(),
        ),
        Ok(Event::Classified {
            class,
            kind,
            reason,
        }) => {
            let c = debrief_domain::taxonomy::Classification { class, kind };
            let (cl, ty) = c.labels(lang);
            (
                t(lang, "journal-classified", &[("class", cl), ("type", ty)]),
                reason.into_inner(),
            )
        }
        Ok(Event::SeverityAssessed { assessment, reason }) => (
            t(
                lang,
                "journal-severity",
                &[
                    ("level", assessment.level.to_string()),
                    (
                        "name",
                        t(lang, &format!("severity-{}", assessment.level_name()), &[]),
                    ),
                ],
            ),
            reason.into_inner(),
        ),
        Ok(Event::MarkingsSet { tlp, pap }) => {
            let mut parts = Vec::new();
            if let Some(tlp) = tlp {
                parts.push(tlp.marking());
            }
            if let Some(pap) = pap {
                parts.push(format!("PAP:{}", pap.as_str().to_ascii_uppercase()));
            }
            (
                t(lang, "journal-markings", &[("what", parts.join(", "))]),
                String::new(),
            )
        }
        Ok(Event::TagsChanged { added, removed }) => {
            let what: Vec<String> = added
                .iter()
                .map(|a| format!("+{a}"))
                .chain(removed.iter().map(|r| format!("−{r}")))
                .collect();
            (
                t(lang, "journal-tags", &[("what", what.join(" "))]),
                String::new(),
            )
        }
        Ok(Event::ScopeSet { .. }) => (t(lang, "journal-scope", &[]), String::new()),
        Ok(Event::MemberAdded { user, role }) => (
            t(
                lang,
                "journal-member-added",
                &[
                    ("user", user),
                    ("role", t(lang, &format!("incident-role-{role}"), &[])),
                ],
            ),
            String::new(),
        ),
        Ok(Event::MemberRemoved { user, role, reason }) => (
            t(
                lang,
                "journal-member-removed",
                &[
                    ("user", user),
                    ("role", t(lang, &format!("incident-role-{role}"), &[])),
                ],
            ),
            reason.into_inner(),
        ),
        Ok(Event::ObservableAdded { kind, value, .. }) => {
            let shown: String = value.chars().take(120).collect();
            (
                t(
                    lang,
                    "journal-observable-added",
                    &[("kind", kind.to_string()), ("value", shown)],
                ),
                String::new(),
            )
        }
        Ok(Event::ObservableUpdated { id, .. }) => (
            t(
                lang,
                "journal-observable-updated",
                &[("id", id.to_string())],
            ),
            String::new(),
        ),
        Ok(Event::TimelineAdded { description, .. }) => {
            let shown: String = description.chars().take(120).collect();
            (
                t(lang, "journal-timeline-added", &[("description", shown)]),
                String::new(),
            )
        }
        Ok(Event::TimelineRemoved { id, reason }) => (
            t(lang, "journal-timeline-removed", &[("id", id.to_string())]),
            reason.into_inner(),
        ),
        Ok(Event::EvidenceAdded { name, sha256, .. }) => (
            t(
                lang,
                "journal-evidence-added",
                &[("name", name), ("sha256", sha256[..16].to_string())],
            ),
            String::new(),
        ),
        Ok(Event::CustodyRecorded { id, action, to, .. }) => (
            t(
                lang,
                "journal-custody",
                &[
                    ("id", id.to_string()),
                    (
                        "action",
                        t(lang, &format!("custody-{}", action.as_str()), &[]),
                    ),
                    ("to", to),
                ],
            ),
            String::new(),
        ),
        Ok(other) => (
            t(
                lang,
                &format!("journal-{}", other.kind().replace('.', "-")),
                &[],
            ),
            String::new(),
        ),
        Err(_) => (
            t(lang, "journal-other", &[("kind", e.kind.clone())]),
            String::new(),
        ),
    }
}

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
        .store
        .resolve(number)
        .await
        .map_err(|e| store_error(user, e))
}

pub(super) async fn incident_page(
    state: &AppState,
    user: &WebUser,
    id: IncidentId,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (incident, journal) = match (
        state.store.incident(id).await,
        state.store.journal(id).await,
    ) {
        (Ok(i), Ok(j)) => (i, j),
        (Err(e), _) | (_, Err(e)) => return store_error(user, e),
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
        match state.store.list_users().await {
            Ok(users) => {
                assignable = users
                    .into_iter()
                    .filter(|x| !x.disabled && matches!(x.role, Role::Manager | Role::Handler))
                    .map(|x| x.username.to_string())
                    .collect()
            }
            Err(e) => return store_error(user, e),
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
            let (what, reason) = describe(user.lang, e);
            json!({"seq": e.seq, "recorded_at": e.recorded_at.to_string(), "actor": e.actor, "what": what, "reason": reason, "hash": e.hash.to_hex()})
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
    ctx.insert("can_work".into(), can_work.into());
    ctx.insert("can_assign".into(), can_assign.into());
    ctx.insert("can_take".into(), can_take.into());
    ctx.insert("assignable".into(), assignable.into());
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    match super::record::record_context(state, user.lang, &incident).await {
        Ok(record) => ctx.extend(record),
        Err(e) => return store_error(user, e),
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

/// Like `act`, for commands deciding several events; `anchor` is the page section to return to.
pub(super) async fn act_many(
    state: &AppState,
    user: &WebUser,
    number: &str,
    csrf: &str,
    need: Need<'_>,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
    anchor: &str,
) -> Response {
    if let Err(r) = user.check_csrf(csrf) {
        return r;
    }
    let id = match resolve_number(state, user, number).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let current = match state.store.incident(id).await {
        Ok(i) => i,
        Err(e) => return store_error(user, e),
    };
    if let Err(why) = may(user, need.action(&current)) {
        return forbidden(user, &why);
    }
    let Ok(actor) = Actor::parse(user.principal.user.username.as_str()) else {
        return forbidden(user, "your user name cannot be recorded");
    };
    match debrief_store::execute_many(&*state.store, id, &actor, |i| decide(i)).await {
        Ok(done) => see_other(&format!("/incidents/{}{anchor}", done.number)),
        Err(StoreError::Domain(DomainError::Unchanged(_))) => {
            see_other(&format!("/incidents/{number}"))
        }
        Err(StoreError::Domain(e)) => {
            incident_page(
                state,
                user,
                id,
                Some(super::domain_message(user.lang, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => store_error(user, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
}

pub async fn transition(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    Form(form): Form<TransitionForm>,
) -> Response {
    let to = match form.to.parse::<Status>() {
        Ok(s) => s,
        Err(e) => {
            return error_page(
                user.lang,
                Some(&user),
                StatusCode::UNPROCESSABLE_ENTITY,
                "error-bad-request",
                &super::domain_message(user.lang, &e),
            );
        }
    };
    act(&state, &user, &number, &form.csrf, Need::Work, |i| {
        i.transition(to, &form.reason)
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
    Form(form): Form<EditForm>,
) -> Response {
    let fields = [
        (Field::Title, form.title),
        (Field::Summary, form.summary),
        (Field::Reporter, form.reporter),
        (Field::DetectionSource, form.detection_source),
    ];
    let mut last = see_other(&format!("/incidents/{number}"));
    for (field, value) in fields {
        let Some(value) = value else { continue };
        let value = value.replace("\r\n", "\n");
        last = act(&state, &user, &number, &form.csrf, Need::Work, |i| {
            i.change_field(field, &value, "")
        })
        .await;
        if last.status() != StatusCode::SEE_OTHER {
            return last;
        }
    }
    last
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
    Form(form): Form<AssignForm>,
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

// ---------------------------------------------------------------- users

async fn users_page(
    state: &AppState,
    user: &WebUser,
    created: Option<(String, String)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let users = match state.store.list_users().await {
        Ok(u) => u,
        Err(e) => return store_error(user, e),
    };
    let mut ctx = base_context(Some(user), user.lang);
    ctx.insert("nav".into(), "users".into());
    ctx.insert(
        "users".into(),
        users
            .iter()
            .map(|u| json!({"username": u.username.as_str(), "display_name": u.display_name, "role": u.role.as_str(), "disabled": u.disabled, "created_at": u.created_at.to_string()}))
            .collect(),
    );
    ctx.insert(
        "roles".into(),
        Role::ALL.iter().map(|r| r.as_str()).collect(),
    );
    if let Some((name, password)) = created {
        ctx.insert("created_username".into(), name.into());
        ctx.insert("created_password".into(), password.into());
    }
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("users.html", status, ctx)
}

pub async fn users(State(state): State<AppState>, user: WebUser) -> Response {
    if let Err(why) = may(&user, Action::Administer) {
        return forbidden(&user, &why);
    }
    users_page(&state, &user, None, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct CreateUserForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<CreateUserForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::Administer) {
        return forbidden(&user, &why);
    }
    let parsed = (|| -> Result<(Username, Role, String), DomainError> {
        let name = Username::parse(&form.username)?;
        let role = form.role.parse::<Role>()?;
        let display =
            debrief_domain::text::Label::parse_as("display_name", &form.display_name)?.into_inner();
        Ok((name, role, display))
    })();
    let (username, role, display_name) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return users_page(
                &state,
                &user,
                None,
                Some(super::domain_message(user.lang, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let password = auth::generate_password();
    let to_hash = password.clone();
    let hash = match tokio::task::spawn_blocking(move || auth::hash_password(&to_hash)).await {
        Ok(Ok(h)) => h,
        _ => return store_error(&user, StoreError::Corrupt("password hashing failed".into())),
    };
    let display_name = if display_name.is_empty() {
        username.to_string()
    } else {
        display_name
    };
    let new = NewUser {
        username: username.clone(),
        display_name,
        role,
        password_hash: hash,
        language: None,
    };
    match state.store.create_user(new).await {
        Ok(created) => {
            tracing::info!(by = %user.principal.user.username, user = %created.username, "user created");
            users_page(
                &state,
                &user,
                Some((username.to_string(), password)),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(StoreError::Duplicate(m)) => {
            users_page(&state, &user, None, Some(m), StatusCode::CONFLICT).await
        }
        Err(e) => store_error(&user, e),
    }
}

pub async fn toggle_user(
    State(state): State<AppState>,
    user: WebUser,
    Path(name): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::Administer) {
        return forbidden(&user, &why);
    }
    let target = match state.store.user_record(&name).await {
        Ok(r) => r.user,
        Err(e) => return store_error(&user, e),
    };
    if target.username == user.principal.user.username {
        return users_page(
            &state,
            &user,
            None,
            Some("you cannot disable yourself".into()),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let changes = UserChanges {
        disabled: Some(!target.disabled),
        ..Default::default()
    };
    match state.store.update_user(&name, changes).await {
        Ok(_) => see_other("/admin/users"),
        Err(e) => store_error(&user, e),
    }
}

//! The server-rendered web UI: templates (minijinja, auto-escaped), the signed-in user extractor,
//! CSRF checks on every form, embedded assets, and the pages.

mod alerts;
mod describe;
mod directory;
mod factor;
mod form;
mod frame;
mod incident;
mod learn;
mod live;
mod messages;
mod metrics;
mod notifications;
mod pages;
mod playbooks;
mod postmortem;
mod record;
mod record_view;
mod report;
mod reports;
mod review;
mod samm;
mod session;
pub use messages::domain_message;
mod sso;
mod team;
mod users;
mod work;

pub use frame::{Frame, FrameUser, Pager};

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use debrief_domain::Language;
use debrief_store::accounts::SessionStage;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};

use crate::AppState;
use crate::auth::{Principal, authenticate, same_secret};
use crate::i18n;

/// Every template, embedded: (name, source).
pub const TEMPLATE_SOURCES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    (
        "second_factor.html",
        include_str!("../../templates/second_factor.html"),
    ),
    ("factors.html", include_str!("../../templates/factors.html")),
    (
        "password.html",
        include_str!("../../templates/password.html"),
    ),
    (
        "incidents.html",
        include_str!("../../templates/incidents.html"),
    ),
    (
        "incident_rows.html",
        include_str!("../../templates/incident_rows.html"),
    ),
    (
        "incident_new.html",
        include_str!("../../templates/incident_new.html"),
    ),
    (
        "incident.html",
        include_str!("../../templates/incident.html"),
    ),
    (
        "incident_record.html",
        include_str!("../../templates/incident_record.html"),
    ),
    ("search.html", include_str!("../../templates/search.html")),
    ("alerts.html", include_str!("../../templates/alerts.html")),
    ("alert.html", include_str!("../../templates/alert.html")),
    ("report.html", include_str!("../../templates/report.html")),
    (
        "postmortem.html",
        include_str!("../../templates/postmortem.html"),
    ),
    (
        "recommendations.html",
        include_str!("../../templates/recommendations.html"),
    ),
    (
        "playbooks.html",
        include_str!("../../templates/playbooks.html"),
    ),
    (
        "notifications.html",
        include_str!("../../templates/notifications.html"),
    ),
    (
        "obligations.html",
        include_str!("../../templates/obligations.html"),
    ),
    (
        "directory.html",
        include_str!("../../templates/directory.html"),
    ),
    ("metrics.html", include_str!("../../templates/metrics.html")),
    ("replay.html", include_str!("../../templates/replay.html")),
    ("similar.html", include_str!("../../templates/similar.html")),
    ("lessons.html", include_str!("../../templates/lessons.html")),
    ("samm.html", include_str!("../../templates/samm.html")),
    (
        "playbook.html",
        include_str!("../../templates/playbook.html"),
    ),
    ("reports.html", include_str!("../../templates/reports.html")),
    ("users.html", include_str!("../../templates/users.html")),
    ("error.html", include_str!("../../templates/error.html")),
];

/// The template environment, built once.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

static TEMPLATES: LazyLock<Templates> = LazyLock::new(Templates::new);

/// The reader's zone, as the page's context names it (`tz`).
fn zone_of(state: &State) -> debrief_domain::Zone {
    state
        .lookup("tz")
        .and_then(|v| v.as_str().and_then(|s| debrief_domain::Zone::parse(s).ok()))
        .unwrap_or_default()
}

/// A stored timestamp (its text) shown in the reader's zone; none as empty, anything else as is.
fn shown(
    state: &State,
    value: &Value,
    how: impl Fn(&debrief_domain::Zone, debrief_domain::Timestamp) -> String,
) -> String {
    if value.is_none() || value.is_undefined() {
        return String::new();
    }
    let text = value.to_string();
    match debrief_domain::Timestamp::parse(&text) {
        Ok(t) => how(&zone_of(state), t),
        Err(_) => text,
    }
}

fn lang_of(state: &State) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(Language::En)
}

impl Templates {
    fn new() -> Self {
        let mut env = Environment::new();
        // A name the context does not have fails the render (and so a test) instead of printing
        // blank, even in `{% if x %}`: a renamed field is caught. A value a page may leave out
        // is asked about with `is defined`; the frame's fields are always there (`Frame`).
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATE_SOURCES {
            // The sources are part of the binary and checked by tests; a syntax error is a bug.
            if let Err(e) = env.add_template(name, source) {
                panic!("template {name} does not parse: {e}");
            }
        }
        env.add_function(
            "t",
            |state: &State, key: String, kwargs: Kwargs| -> String {
                let args: Vec<(&str, String)> = kwargs
                    .args()
                    .filter_map(|k| kwargs.get::<Value>(k).ok().map(|v| (k, v.to_string())))
                    .collect();
                let _ = kwargs.assert_all_used();
                i18n::t(lang_of(state), &key, &args)
            },
        );
        // `tm(key, map)`: a message whose arguments come as one map (evidence figures).
        env.add_function(
            "tm",
            |state: &State, key: String, map: Value| -> Result<String, minijinja::Error> {
                let mut args: Vec<(String, String)> = Vec::new();
                for k in map.try_iter()? {
                    let v = map.get_item(&k)?;
                    args.push((k.to_string(), v.to_string()));
                }
                let refs: Vec<(&str, String)> =
                    args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                Ok(i18n::t(lang_of(state), &key, &refs))
            },
        );
        // `keys | map("tr", "milestone-")`: each value by its message `{prefix}{value}`.
        env.add_filter(
            "tr",
            |state: &State, value: String, prefix: String| -> String {
                i18n::t(lang_of(state), &format!("{prefix}{value}"), &[])
            },
        );
        // `tr_or(key, fallback)`: the message `key`, or `fallback` when there is none (an
        // administrator's own notification template is named by its id).
        env.add_function(
            "tr_or",
            |state: &State, key: String, fallback: String| -> String {
                let text = i18n::t(lang_of(state), &key, &[]);
                if text == key { fallback } else { text }
            },
        );
        // `label(key)`: a name shared with the reports (`step_early-warning`), else the key.
        env.add_function("label", |state: &State, key: String| -> String {
            debrief_report::context::label(lang_of(state), &key).map_or(key, str::to_string)
        });
        // A figure as the reader writes it, without a useless decimal: `2`, `2.5`, `2,5`.
        env.add_filter("num", |state: &State, value: f64| -> String {
            debrief_domain::locale::figure(value, lang_of(state))
        });
        // A percentage as the reader writes it: `75.0%`, `75,0 %`.
        env.add_filter("pct", |state: &State, value: f64| -> String {
            debrief_domain::locale::percent(value, lang_of(state))
        });
        // A stored instant in the reader's zone, with its offset: `2026-11-28 02:14 +01:00`.
        env.add_filter("when", |state: &State, value: Value| -> String {
            shown(state, &value, |z, t| z.show(t))
        });
        // Its date in the reader's zone: `2026-11-28`.
        env.add_filter("day", |state: &State, value: Value| -> String {
            shown(state, &value, |z, t| z.show_date(t))
        });
        Templates { env }
    }

    /// Renders `name` with `ctx`; a failure is logged and shown as a plain error.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

/// The regulatory regimes by their names in the reader's language (id → name), for pages that
/// would otherwise show an id.
pub fn regime_names(
    state: &crate::AppState,
    lang: Language,
) -> std::collections::BTreeMap<String, String> {
    state
        .config
        .regimes
        .regimes
        .iter()
        .map(|r| (r.id.clone(), r.name.get(lang).to_string()))
        .collect()
}

/// Renders a page, or a generic error page if the template fails (which tests prevent).
pub fn page(status: StatusCode, name: &str, ctx: Value) -> Response {
    match TEMPLATES.render(name, ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            // The whole chain: an include's error names the value that was missing.
            let mut chain = format!("{e:#}");
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                chain.push_str(&format!(" — {inner}"));
                source = inner.source();
            }
            tracing::error!(template = name, error = %chain, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>Internal error</h1><p>It has been logged.</p>"),
            )
                .into_response()
        }
    }
}

/// The signed-in user of a page; anonymous visitors are sent to the login page.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub principal: Principal,
    pub lang: Language,
    /// The zone this person reads and types times in (theirs, else the installation's).
    pub zone: debrief_domain::Zone,
    pub path: String,
}

impl WebUser {
    /// The signed-in person as the application layer knows them.
    pub fn caller(&self) -> debrief_app::Caller {
        self.principal.caller()
    }

    pub fn csrf(&self) -> &str {
        self.principal.csrf.as_deref().unwrap_or("")
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Response> {
        if same_secret(sent, self.csrf()) && !sent.is_empty() {
            Ok(())
        } else {
            Err(error_page(
                self.lang,
                Some(self),
                StatusCode::FORBIDDEN,
                "error-forbidden",
                &i18n::t(self.lang, "error-csrf", &[]),
            ))
        }
    }
}

/// The language for a visitor: their setting, else the `lang` cookie, else `Accept-Language`.
pub fn language(user_setting: Option<Language>, headers: &HeaderMap) -> Language {
    user_setting
        .or_else(|| crate::auth::cookie(headers, "debrief_lang").and_then(|v| v.parse().ok()))
        .unwrap_or_else(|| {
            Language::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        match authenticate(parts, state).await {
            Ok(Some(principal)) if principal.csrf.is_some() => {
                // A sign-in that still owes its second factor opens only the page asking for it;
                // one that must add a factor, only the page adding one.
                match principal.stage {
                    SessionStage::Full => {}
                    SessionStage::SecondFactor => {
                        return Err(Redirect::to("/login/second-factor").into_response());
                    }
                    SessionStage::Enrol => {
                        let path = parts.uri.path();
                        let free = path.starts_with("/settings/second-factor")
                            || path.starts_with("/settings/passkeys")
                            || path == "/logout"
                            || path == "/settings/language";
                        if !free {
                            return Err(Redirect::to("/settings/second-factor").into_response());
                        }
                    }
                }
                // An account whose password was given to it (the first start's admin password, a
                // generated one) chooses its own before anything else.
                let free = ["/settings/password", "/logout", "/settings/language"];
                if principal.user.must_change_password && !free.contains(&parts.uri.path()) {
                    return Err(Redirect::to("/settings/password").into_response());
                }
                let lang = language(principal.user.language, &parts.headers);
                // For a form that cannot be read (`form::WebForm`), which runs after this.
                parts.extensions.insert(lang);
                let zone = principal
                    .user
                    .timezone
                    .clone()
                    .unwrap_or_else(|| state.config.timezone.clone());
                Ok(WebUser {
                    principal,
                    lang,
                    zone,
                    path,
                })
            }
            // Pages are for browser sessions; bearer tokens are for the API.
            Ok(_) => {
                let next = if parts.method == axum::http::Method::GET {
                    path
                } else {
                    "/incidents".into()
                };
                Err(Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response())
            }
            Err(crate::auth::AuthError::TooManyAttempts(wait)) => {
                let lang = language(None, &parts.headers);
                Err(error_page(
                    lang,
                    None,
                    StatusCode::TOO_MANY_REQUESTS,
                    "error-forbidden",
                    &i18n::t(
                        lang,
                        "login-locked",
                        &[("minutes", wait.div_ceil(60).to_string())],
                    ),
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "authentication failed");
                let lang = language(None, &parts.headers);
                Err(error_page(
                    lang,
                    None,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-internal",
                    &i18n::t(lang, "error-internal-detail", &[]),
                ))
            }
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An error page in the visitor's language; never shows internals.
pub fn error_page(
    lang: Language,
    user: Option<&WebUser>,
    status: StatusCode,
    heading_key: &str,
    message: &str,
) -> Response {
    let view = ErrorPage {
        frame: Frame::new(user, lang),
        heading: i18n::t(lang, heading_key, &[]),
        message,
    };
    page(
        status,
        "error.html",
        Value::from(minijinja::value::Serde(&view)),
    )
}

/// An error page: what went wrong, in the visitor's words.
#[derive(Debug, serde::Serialize)]
struct ErrorPage<'a> {
    #[serde(flatten)]
    frame: Frame,
    heading: String,
    message: &'a str,
}

/// 404 for pages (and, through the API's own fallback, problem+json under /api).
pub async fn not_found(headers: HeaderMap) -> Response {
    let lang = language(None, &headers);
    error_page(
        lang,
        None,
        StatusCode::NOT_FOUND,
        "error-not-found",
        &i18n::t(lang, "error-page-missing", &[]),
    )
}

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

async fn asset(Path(file): Path<String>) -> Response {
    let Some(content) = Assets::get(&file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mime = match file.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    let mut res = content.data.into_owned().into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/incidents") }))
        .route(
            "/login",
            get(session::login_page).post(session::login_submit),
        )
        .route("/logout", post(session::logout))
        .route("/auth/oidc/login", get(sso::login))
        .route("/auth/oidc/callback", get(sso::callback))
        .route("/settings/language", post(session::set_language))
        .route("/settings/timezone", post(session::set_timezone))
        .route(
            "/settings/password",
            get(session::password_page).post(session::change_password),
        )
        .route("/settings/sessions/end", post(session::end_own_session))
        .route(
            "/login/second-factor",
            get(factor::challenge_page).post(factor::challenge_submit),
        )
        .route("/settings/second-factor", get(factor::settings_page))
        .route("/settings/second-factor/totp", post(factor::add_totp))
        .route("/settings/second-factor/remove", post(factor::remove))
        .route(
            "/settings/second-factor/recovery-codes",
            post(factor::renew_codes),
        )
        .route(
            "/admin/users/{username}/second-factor/reset",
            post(factor::admin_reset),
        )
        .route("/admin/second-factor", post(factor::admin_require))
        .route("/settings/passkeys/options", post(factor::passkey_options))
        .route("/settings/passkeys", post(factor::passkey_add))
        .route(
            "/login/passkey/options",
            post(factor::passkey_sign_in_options),
        )
        .route("/login/passkey", post(factor::passkey_sign_in))
        .route("/settings/tokens/revoke", post(session::revoke_own_token))
        .route(
            "/admin/users/{username}/sessions/end",
            post(users::end_sessions),
        )
        .route(
            "/incidents",
            get(pages::incidents).post(pages::create_incident),
        )
        .route("/incidents/new", get(pages::new_incident))
        .route("/incidents/{number}", get(pages::incident))
        .route("/incidents/{number}/transition", post(pages::transition))
        .route("/incidents/{number}/edit", post(pages::edit))
        .route("/incidents/{number}/assign", post(pages::assign))
        .route("/incidents/break-glass", post(team::break_glass))
        .route("/incidents/{number}/access", post(team::set_access))
        .route("/incidents/{number}/grants", post(team::grant))
        .route("/incidents/{number}/grants/revoke", post(team::revoke))
        .route("/incidents/{number}/classify", post(record::classify))
        .route("/incidents/{number}/severity", post(record::severity))
        .route("/incidents/{number}/markings", post(record::markings))
        .route("/incidents/{number}/tags", post(record::tags))
        .route("/incidents/{number}/observables", post(record::paste))
        .route("/incidents/{number}/timeline", post(record::timeline))
        .route(
            "/incidents/{number}/evidence",
            post(record::upload_evidence).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/incidents/{number}/evidence/{id}/download",
            get(record::download_evidence),
        )
        .route(
            "/incidents/{number}/evidence/{id}/custody",
            post(record::custody),
        )
        .route("/incidents/{number}/actions", post(work::action))
        .route("/incidents/{number}/assets", post(work::asset))
        .route("/incidents/{number}/tasks", post(work::task))
        .route("/incidents/{number}/tasks/{id}/done", post(work::task_done))
        .route("/incidents/{number}/notes", post(work::note))
        .route("/incidents/{number}/time", post(work::time))
        .route("/incidents/{number}/scope", post(record::scope))
        .route("/incidents/{number}/members", post(record::member))
        .route(
            "/incidents/{number}/observables/{id}/ioc",
            post(record::observable_ioc),
        )
        .route(
            "/incidents/{number}/assets/{id}",
            post(record::asset_status),
        )
        .route(
            "/incidents/{number}/timeline/{id}/withdraw",
            post(record::withdraw),
        )
        .route("/incidents/{number}/postmortem", get(postmortem::show))
        .route(
            "/incidents/{number}/postmortem/texts",
            post(postmortem::texts),
        )
        .route(
            "/incidents/{number}/postmortem/lists",
            post(postmortem::lists),
        )
        .route(
            "/incidents/{number}/postmortem/impact",
            post(postmortem::impact),
        )
        .route(
            "/incidents/{number}/postmortem/root-causes",
            post(postmortem::root_cause),
        )
        .route(
            "/incidents/{number}/regulatory-facts",
            post(notifications::regulatory_facts),
        )
        .route(
            "/incidents/{number}/postmortem/root-causes/{id}",
            post(postmortem::root_cause_edit),
        )
        .route(
            "/incidents/{number}/postmortem/status",
            post(postmortem::status),
        )
        .route(
            "/incidents/{number}/postmortem/review",
            post(review::review),
        )
        .route("/incidents/{number}/postmortem/inputs", post(review::input))
        .route("/incidents/{number}/postmortem/meeting", post(review::held))
        .route(
            "/incidents/{number}/recommendations",
            post(postmortem::recommendation),
        )
        .route(
            "/incidents/{number}/recommendations/{id}",
            post(postmortem::recommendation_edit),
        )
        .route(
            "/incidents/{number}/recommendations/{id}/status",
            post(postmortem::recommendation_status),
        )
        .route(
            "/incidents/{number}/info-requests",
            post(postmortem::info_request),
        )
        .route(
            "/incidents/{number}/info-requests/{id}/answer",
            post(postmortem::info_answer),
        )
        .route("/incidents/{number}/postmortem/share", post(review::share))
        .route("/recommendations", get(postmortem::board))
        .route("/playbooks", get(playbooks::playbooks))
        .route(
            "/incidents/{number}/notifications",
            get(notifications::show).post(notifications::record),
        )
        .route("/incidents/{number}/flags", post(notifications::flags))
        .route(
            "/incidents/{number}/regulatory-clocks",
            post(notifications::clock),
        )
        .route("/obligations", get(notifications::board))
        .route(
            "/directory",
            get(directory::directory).post(directory::add_stakeholder),
        )
        .route("/directory/rules", post(directory::add_rule))
        .route("/metrics", get(metrics::dashboard))
        .route("/lessons", get(learn::lessons))
        .route("/samm", get(samm::show))
        .route("/incidents/{number}/reports", post(reports::download))
        .route("/samm/answers", post(samm::answer))
        .route("/incidents/{number}/similar", get(learn::similar))
        .route("/incidents/{number}/replay", get(learn::replay))
        .route("/directory/rules/{id}/delete", post(directory::delete_rule))
        .route(
            "/incidents/{number}/notifications/send",
            post(notifications::send),
        )
        .route(
            "/incidents/{number}/notifications/{id}/retry",
            post(notifications::retry),
        )
        .route(
            "/incidents/{number}/notifications/proposals/{rule}/send",
            post(notifications::send_proposal),
        )
        .route(
            "/incidents/{number}/notifications/proposals/{rule}/skip",
            post(notifications::skip_proposal),
        )
        .route("/playbooks/{slug}", get(playbooks::playbook))
        .route(
            "/playbooks/{slug}/versions",
            post(playbooks::publish_playbook),
        )
        .route(
            "/incidents/{number}/playbooks",
            post(postmortem::apply_playbook),
        )
        .route("/alerts", get(alerts::queue))
        .route("/live/alerts", get(live::alerts))
        .route("/live/deadlines", get(live::deadlines))
        .route("/live/incidents/{number}", get(live::incident))
        .route("/alerts/bulk", post(alerts::bulk))
        .route("/alerts/{alert}", get(alerts::alert_page))
        .route("/alerts/{alert}/assign", post(alerts::assign))
        .route("/alerts/{alert}/merge", post(alerts::merge))
        .route(
            "/report",
            get(report::form)
                .post(report::submit)
                .layer(axum::extract::DefaultBodyLimit::max(26 * 1024 * 1024)),
        )
        .route("/reports", get(report::mine))
        .route("/alerts/{alert}/acknowledge", post(alerts::acknowledge))
        .route("/alerts/{alert}/dismiss", post(alerts::dismiss))
        .route("/alerts/{alert}/promote", post(alerts::promote))
        .route("/search", get(record::search))
        .route("/admin/users", get(users::users).post(users::create_user))
        .route("/admin/users/{username}/toggle", post(users::toggle_user))
        .route("/admin/groups", post(team::create_group))
        .route("/admin/groups/{group}/members", post(team::group_member))
        .route("/assets/{file}", get(asset))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page template parses (the router tests render each page with its real context,
    /// under `Strict`: a name the context lacks is a failed render there, even in an `if`).
    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATE_SOURCES {
            if let Err(e) = TEMPLATES.env.get_template(name) {
                panic!("{name}: {e:#}");
            }
        }
    }
}

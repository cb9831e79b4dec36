//! Signing in and out, and the language switch.

use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use debrief_domain::Language;
use debrief_store::StoreError;
use debrief_store::accounts::SessionStage;
use serde::{Deserialize, Serialize};

use super::form::WebForm;
use super::{WebUser, error_page, language};
use crate::AppState;
use crate::auth::{self, LOGIN_CSRF_COOKIE};
use crate::i18n::t;

use super::pages::*;

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
    sso: bool,
) -> Response {
    let token = auth::random_token(24);
    let mut frame = super::Frame::new(None, lang);
    frame.error = error;
    let view = LoginPage {
        frame,
        sso,
        login_csrf: &token,
        next: safe_next(next),
        username,
    };
    let mut res = render_view("login.html", status, &view);
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

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let chosen = q.lang.as_deref().and_then(|l| l.parse::<Language>().ok());
    let lang = chosen.unwrap_or_else(|| language(None, &headers));
    login_page_response(
        lang,
        &q.next,
        "",
        None,
        StatusCode::OK,
        chosen.is_some(),
        state.config.oidc.is_some(),
    )
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
    WebForm(form): WebForm<LoginForm>,
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
            state.config.oidc.is_some(),
        )
    };
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || !auth::same_secret(&form.csrf, &expected) {
        return again("login-expired", StatusCode::FORBIDDEN, &[]);
    }
    let ip = state
        .config
        .trusted_proxies
        .client(auth::peer_ip(&ext), &headers);
    let attempt = match state.limiter.begin(&form.username, &ip).await {
        Ok(a) => a,
        Err(wait) => {
            let mut res = again(
                "login-locked",
                StatusCode::TOO_MANY_REQUESTS,
                &[("minutes", wait.div_ceil(60).to_string())],
            );
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            tracing::warn!(username = %form.username, %ip, "sign-in refused: too many attempts");
            return res;
        }
    };
    if !state.config.local_password_allowed(&form.username) {
        attempt.failed();
        return again("login-sso-only", StatusCode::FORBIDDEN, &[]);
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
        attempt.failed();
        tracing::warn!(username = %form.username, %ip, "failed sign-in");
        return again("login-failed", StatusCode::UNAUTHORIZED, &[]);
    };
    attempt.succeeded().await;
    // A second factor follows the password when the account has one; when the installation
    // requires one and the account has none, the session only opens the page to add one.
    let stage = match state.app.after_password(&record.user).await {
        Ok(stage) => stage,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the account's second factors");
            return again(
                "error-internal-detail",
                StatusCode::INTERNAL_SERVER_ERROR,
                &[],
            );
        }
    };
    let session = match auth::open_session(&state, &record.user.id, stage).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot create session");
            return again(
                "error-internal-detail",
                StatusCode::INTERNAL_SERVER_ERROR,
                &[],
            );
        }
    };
    let to = match stage {
        SessionStage::Full => {
            tracing::info!(username = %record.user.username, %ip, "signed in");
            safe_next(&form.next)
        }
        SessionStage::SecondFactor => {
            tracing::info!(username = %record.user.username, %ip, "password right; second factor awaited");
            format!(
                "/login/second-factor?next={}",
                super::urlencode(&safe_next(&form.next))
            )
        }
        SessionStage::Enrol => {
            tracing::info!(username = %record.user.username, %ip, "password right; a second factor must be added");
            "/settings/second-factor".to_string()
        }
    };
    let mut res = see_other(&to);
    for cookie in [
        session,
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
    pub(super) csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<CsrfOnly>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    if let Some(hash) = &user.principal.session_hash
        && let Err(e) = state.app.close_session(hash).await
    {
        return app_error(&user, e);
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
    WebForm(form): WebForm<LanguageForm>,
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
    match state
        .app
        .set_own_preferences(&user.caller(), Some(Some(lang)), None)
        .await
    {
        Ok(_) => see_other(&safe_next(&form.back)),
        Err(e) => super::pages::app_error(&user, e),
    }
}

// ---------------------------------------------------------------- own password

fn password_form(
    user: &WebUser,
    tz_default: &debrief_domain::Zone,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    password_form_with(user, tz_default, error, status, None)
}

/// The sign-in page; its CSRF token is also set as a cookie.
#[derive(Debug, Serialize)]
struct LoginPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    /// Whether single sign-on is offered.
    sso: bool,
    login_csrf: &'a str,
    /// Where to go once signed in.
    next: String,
    /// What was typed, when a sign-in was refused.
    username: &'a str,
}

/// The settings page: the password form, the time zone, and the person's sessions and tokens.
#[derive(Debug, Serialize)]
struct SettingsPage {
    #[serde(flatten)]
    frame: super::Frame,
    /// The person's sessions and tokens, when they were read.
    mine: Option<Mine>,
    must_change: bool,
    /// The person's own zone ("" for the installation's).
    tz_own: String,
    tz_default: String,
    zones: Vec<String>,
}

/// Where a person is signed in, and the API tokens they hold.
#[derive(Debug, Serialize)]
struct Mine {
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
}

#[derive(Debug, Serialize)]
struct SessionRow {
    id: String,
    created_at: debrief_domain::Timestamp,
    expires_at: debrief_domain::Timestamp,
    /// The session this page was asked from.
    this: bool,
}

#[derive(Debug, Serialize)]
struct TokenRow {
    id: String,
    name: String,
    created_at: debrief_domain::Timestamp,
}

/// The settings page; `mine` is the person's sessions and tokens when they were read.
fn password_form_with(
    user: &WebUser,
    tz_default: &debrief_domain::Zone,
    error: Option<String>,
    status: StatusCode,
    mine: Option<Mine>,
) -> Response {
    let frame = super::Frame::page(user, "", error);
    let view = SettingsPage {
        frame,
        mine,
        must_change: user.principal.user.must_change_password,
        tz_own: user
            .principal
            .user
            .timezone
            .as_ref()
            .map(|z| z.name().to_string())
            .unwrap_or_default(),
        tz_default: tz_default.name().to_string(),
        zones: jiff::tz::db().available().map(|n| n.to_string()).collect(),
    };
    render_view("password.html", status, &view)
}

#[derive(Deserialize)]
pub struct TimezoneForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "crate::de::trimmed")]
    timezone: String,
}

/// A person's own time zone (empty: the installation's).
pub async fn set_timezone(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<TimezoneForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let zone = match crate::api::users::parse_zone(&form.timezone) {
        Ok(z) => z,
        Err(e) => {
            return password_form(
                &user,
                &state.config.timezone,
                Some(e.detail),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match state
        .app
        .set_own_preferences(&user.caller(), None, Some(zone))
        .await
    {
        Ok(_) => see_other("/settings/password#timezone"),
        Err(e) => super::pages::app_error(&user, e),
    }
}

pub async fn password_page(State(state): State<AppState>, user: WebUser) -> Response {
    let caller = user.caller();
    let me = user.principal.user.username.as_str();
    let sessions = match state.app.sessions(&caller, me).await {
        Ok(s) => s,
        Err(e) => return app_error(&user, e),
    };
    let tokens = match state.app.tokens_of(&caller, me).await {
        Ok(t) => t,
        Err(e) => return app_error(&user, e),
    };
    let this = user
        .principal
        .session_hash
        .as_deref()
        .map(|h| h.chars().take(16).collect::<String>())
        .unwrap_or_default();
    let sessions = sessions
        .into_iter()
        .map(|s| SessionRow {
            this: s.id == this,
            id: s.id,
            created_at: s.created_at,
            expires_at: s.expires_at,
        })
        .collect();
    let tokens = tokens
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
        })
        .collect();
    password_form_with(
        &user,
        &state.config.timezone,
        None,
        StatusCode::OK,
        Some(Mine { sessions, tokens }),
    )
}

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    id: String,
}

/// Ends one of the signed-in person's own sessions (another browser, a lost laptop).
pub async fn end_own_session(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<EndForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let me = user.principal.user.username.to_string();
    match state.app.end_session(&user.caller(), &me, &form.id).await {
        Ok(()) => see_other("/settings/password#sessions"),
        Err(e) => app_error(&user, e),
    }
}

/// Revokes one of the signed-in person's own API tokens.
pub async fn revoke_own_token(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<EndForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let me = user.principal.user.username.to_string();
    let done = state
        .app
        .revoke_token_of(&user.caller(), &me, &form.id)
        .await;
    state.tokens.clear();
    match done {
        Ok(()) => see_other("/settings/password#sessions"),
        Err(e) => app_error(&user, e),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm { [redacted] }")
    }
}

/// Changes the signed-in person's own password; every session of theirs ends and this browser
/// gets a new one.
pub async fn change_password(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    ext: Extensions,
    WebForm(form): WebForm<PasswordForm>,
) -> Response {
    use crate::auth::PasswordChangeRefused as R;
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let address = state
        .config
        .trusted_proxies
        .client(auth::peer_ip(&ext), &headers);
    let lang = user.lang;
    let refused = |key: &str, args: &[(&str, String)], status| {
        password_form(
            &user,
            &state.config.timezone,
            Some(t(lang, key, args)),
            status,
        )
    };
    let updated = match auth::change_own_password(
        &state,
        &user.principal.user,
        &address,
        &form.current,
        &form.new,
        &form.confirm,
    )
    .await
    {
        Ok(u) => u,
        Err(R::WrongCurrent) => {
            return refused("password-wrong-current", &[], StatusCode::FORBIDDEN);
        }
        Err(R::Locked(wait)) => {
            return refused(
                "login-locked",
                &[("minutes", wait.div_ceil(60).to_string())],
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(R::Weak(why)) => {
            use crate::auth::WeakPassword as W;
            let (key, args) = match why {
                W::TooShort(n) => ("password-too-short", vec![("count", n.to_string())]),
                W::TooLong => ("password-too-long", vec![]),
                W::Blank => ("password-blank", vec![]),
                W::HasName(name) => ("password-has-name", vec![("name", name)]),
                W::Guessable { .. } => ("password-guessable", vec![]),
            };
            return refused(key, &args, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(R::Mismatch) => {
            return refused("password-mismatch", &[], StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(R::Same) => return refused("password-same", &[], StatusCode::UNPROCESSABLE_ENTITY),
        Err(R::Store(e)) => return store_error(&user, e),
    };
    // The change ended every session, this one too: a new one for this browser.
    let session = match auth::open_session(&state, &updated.id, SessionStage::Full).await {
        Ok(c) => c,
        Err(e) => return app_error(&user, e),
    };
    let mut res = see_other("/incidents");
    if let Ok(v) = HeaderValue::from_str(&session) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

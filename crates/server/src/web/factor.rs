//! The second factor in the browser: the sign-in step that asks for it (a code from an
//! authenticator app, a recovery code, or a passkey), the settings page where a person adds and
//! removes factors and renews their recovery codes, and an admin's reset of someone's lost
//! factor and requirement of one for every local account. The rules are the application
//! layer's (`debrief_app::factors`); these handlers only translate.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use debrief_domain::Language;
use debrief_store::accounts::SessionStage;
use serde::Deserialize;

use super::form::WebForm;
use super::pages::{app_error, render_view, safe_next, see_other};
use super::{WebUser, error_page, language};
use crate::AppState;
use crate::auth::{self, Principal};
use crate::i18n::t;

/// A visitor whose password was right and whose second factor is awaited.
#[derive(Debug, Clone)]
pub struct PendingUser {
    pub principal: Principal,
    pub lang: Language,
}

impl FromRequestParts<AppState> for PendingUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match auth::authenticate(parts, state).await {
            Ok(Some(principal))
                if principal.csrf.is_some() && principal.stage == SessionStage::SecondFactor =>
            {
                let lang = language(principal.user.language, &parts.headers);
                parts.extensions.insert(lang);
                Ok(PendingUser { principal, lang })
            }
            // Signed in already: nothing to ask.
            Ok(Some(p)) if p.csrf.is_some() && p.stage == SessionStage::Full => {
                Err(Redirect::to("/incidents").into_response())
            }
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn challenge_response(
    state: &AppState,
    who: &PendingUser,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    // The passkey button only for a person who has one.
    let has_passkey = state.config.passkeys.is_some()
        && state
            .app
            .passkeys_for_sign_in(&who.principal.user)
            .await
            .is_ok_and(|p| !p.is_empty());
    let mut frame = super::Frame::new(None, who.lang);
    // The half-signed-in session's token: the frame has no signed-in visitor yet.
    frame.csrf = who.principal.csrf.clone().unwrap_or_default();
    frame.error = error;
    let view = ChallengePage {
        frame,
        next: safe_next(next),
        display_name: &who.principal.user.display_name,
        passkeys: has_passkey,
    };
    render_view("second_factor.html", status, &view)
}

/// The page asking for the second factor of a sign-in whose password was right.
#[derive(Debug, serde::Serialize)]
struct ChallengePage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    /// Where to go once signed in.
    next: String,
    display_name: &'a str,
    /// Whether the person may answer with a passkey.
    passkeys: bool,
}

/// The settings page's second factors: those the person has, a new authenticator app's secret
/// and QR code, and recovery codes just made (shown once).
#[derive(Debug, serde::Serialize)]
struct FactorsPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    factors: &'a debrief_app::factors::Factors,
    /// The sign-in must add a factor before anything else.
    enrol: bool,
    /// A recovery code was just used.
    recovered: bool,
    secret: &'a str,
    qr: String,
    codes: Vec<String>,
    /// Whether passkeys are offered.
    passkeys: bool,
}

/// The page asking for the second factor after a right password.
pub async fn challenge_page(
    State(state): State<AppState>,
    who: PendingUser,
    Query(q): Query<NextQuery>,
) -> Response {
    challenge_response(&state, &who, &q.next, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

impl std::fmt::Debug for CodeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeForm { [redacted] }")
    }
}

/// Checks the code typed (a TOTP code or a recovery code) under the sign-in limits; a right one
/// turns the waiting session into a signed-in one, under a new cookie.
pub async fn challenge_submit(
    State(state): State<AppState>,
    who: PendingUser,
    headers: HeaderMap,
    ext: Extensions,
    WebForm(form): WebForm<CodeForm>,
) -> Response {
    let again = |key: &str, args: &[(&str, String)], status| {
        challenge_response(
            &state,
            &who,
            &form.next,
            Some(t(who.lang, key, args)),
            status,
        )
    };
    let expected = who.principal.csrf.as_deref().unwrap_or("");
    if form.csrf.is_empty() || !auth::same_secret(&form.csrf, expected) {
        return again("login-expired", &[], StatusCode::FORBIDDEN).await;
    }
    let ip = state
        .config
        .trusted_proxies
        .client(auth::peer_ip(&ext), &headers);
    let username = who.principal.user.username.to_string();
    // Six digits are a million guesses: the same limits as passwords keep them out of reach.
    let attempt = match state.limiter.begin(&username, &ip).await {
        Ok(a) => a,
        Err(wait) => {
            return again(
                "login-locked",
                &[("minutes", wait.div_ceil(60).to_string())],
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
    };
    match state
        .app
        .prove_second_factor(&who.principal.user, &form.code)
        .await
    {
        Ok(Some(proof)) => {
            attempt.succeeded().await;
            tracing::info!(%username, %ip, ?proof, "signed in with a second factor");
            let to = match proof {
                debrief_app::factors::Proof::RecoveryCode { .. } => {
                    "/settings/second-factor?recovered=1".to_string()
                }
                debrief_app::factors::Proof::Totp { .. } => safe_next(&form.next),
            };
            signed_in(&state, &who.principal, &to).await
        }
        Ok(None) => {
            attempt.failed();
            tracing::warn!(%username, %ip, "wrong second factor");
            again("mfa-wrong", &[], StatusCode::UNAUTHORIZED).await
        }
        Err(e) => {
            tracing::error!(error = %e, "second factor check failed");
            again(
                "error-internal-detail",
                &[],
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .await
        }
    }
}

/// Ends the session that got this far and opens a signed-in one under a new cookie (so that a
/// cookie seen before the second factor is worth nothing after it), set on `res`. The one place a
/// waiting or enrolling session becomes a signed-in one.
async fn upgrade_session(
    state: &AppState,
    principal: &Principal,
    mut res: Response,
) -> Result<Response, debrief_app::AppError> {
    if let Some(hash) = &principal.session_hash
        && let Err(e) = state.app.close_session(hash).await
    {
        tracing::error!(error = %e, "cannot end the session before the second factor");
    }
    let cookie = auth::open_session(state, &principal.user.id, SessionStage::Full).await?;
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// A signed-in session under a new cookie, then on to `to`.
pub(super) async fn signed_in(state: &AppState, principal: &Principal, to: &str) -> Response {
    match upgrade_session(state, principal, see_other(to)).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, "cannot create session");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot open a session").into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    #[serde(default)]
    recovered: Option<String>,
}

/// The settings page's second-factor section; `codes` are recovery codes just made (shown once).
async fn settings_response(
    state: &AppState,
    user: &WebUser,
    codes: Vec<String>,
    error: Option<String>,
    status: StatusCode,
    recovered: bool,
) -> Response {
    let me = user.principal.user.username.to_string();
    let factors = match state.app.second_factors(&user.caller(), &me).await {
        Ok(f) => f,
        Err(e) => return app_error(user, e),
    };
    let offer = match state.app.offer_totp(&user.caller()) {
        Ok(o) => o,
        Err(e) => return app_error(user, e),
    };
    let frame = super::Frame::page(user, "", error);
    let view = FactorsPage {
        frame,
        factors: &factors,
        enrol: user.principal.stage == SessionStage::Enrol,
        recovered,
        secret: &offer.secret,
        qr: qr_data_uri(&offer.url),
        codes,
        passkeys: state.config.passkeys.is_some(),
    };
    render_view("factors.html", status, &view)
}

/// The `otpauth://` address as a QR code, an SVG image in a `data:` URI (the pages' security
/// policy allows images from `data:`, not inline scripts).
fn qr_data_uri(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(svg)
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot draw the QR code");
            String::new()
        }
    }
}

pub async fn settings_page(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<SettingsQuery>,
) -> Response {
    settings_response(
        &state,
        &user,
        Vec::new(),
        None,
        StatusCode::OK,
        q.recovered.is_some(),
    )
    .await
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    label: String,
}

impl std::fmt::Debug for TotpForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpForm")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Adds an authenticator app once a code it made matches; shows the recovery codes of a first
/// factor. A session that had to add a factor becomes a signed-in one.
pub async fn add_totp(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<TotpForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    match state
        .app
        .enrol_totp(&user.caller(), &form.label, &form.secret, &form.code)
        .await
    {
        Ok(done) => enrolled(&state, &user, done.recovery_codes).await,
        Err(e) if e.domain().is_some() => {
            let msg = e
                .domain()
                .map(|d| super::domain_message(user.lang, d))
                .unwrap_or_default();
            settings_response(
                &state,
                &user,
                Vec::new(),
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await
        }
        Err(e) => app_error(&user, e),
    }
}

/// After a factor was added: the recovery codes (once), and a signed-in session for one that
/// had to add a factor.
pub(super) async fn enrolled(state: &AppState, user: &WebUser, codes: Vec<String>) -> Response {
    if user.principal.stage == SessionStage::Enrol {
        // The new session's cookie goes with the page that shows the codes.
        let res = settings_response(state, user, codes, None, StatusCode::OK, false).await;
        return upgrade_session(state, &user.principal, res)
            .await
            .unwrap_or_else(|e| app_error(user, e));
    }
    if codes.is_empty() {
        return see_other("/settings/second-factor");
    }
    settings_response(state, user, codes, None, StatusCode::OK, false).await
}

#[derive(Debug, Deserialize)]
pub struct IdForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    id: String,
}

/// Removes one of the signed-in person's own factors.
pub async fn remove(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<IdForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let me = user.principal.user.username.to_string();
    match state
        .app
        .remove_second_factor(&user.caller(), &me, &form.id)
        .await
    {
        Ok(()) => see_other("/settings/second-factor"),
        Err(e) => app_error(&user, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// New recovery codes for the signed-in person, shown once.
pub async fn renew_codes(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<CsrfForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.new_recovery_codes(&user.caller()).await {
        Ok(codes) => settings_response(&state, &user, codes, None, StatusCode::OK, false).await,
        Err(e) => app_error(&user, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "crate::de::trimmed")]
    reason: String,
}

/// An admin resets a person's lost second factor (with the reason, in the access log).
pub async fn admin_reset(
    State(state): State<AppState>,
    user: WebUser,
    Path(username): Path<String>,
    WebForm(form): WebForm<ReasonForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    match state
        .app
        .reset_second_factors(&user.caller(), &username, &form.reason)
        .await
    {
        Ok(_) => {
            state.basic.clear();
            see_other("/admin/users")
        }
        Err(e) => app_error(&user, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct RequireForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    required: String,
    #[serde(default, deserialize_with = "crate::de::trimmed")]
    reason: String,
}

/// An admin requires (or stops requiring) a second factor of every local account.
pub async fn admin_require(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<RequireForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let required = match form.required.as_str() {
        "true" | "on" | "yes" => true,
        "false" | "off" | "no" | "" => false,
        other => {
            return error_page(
                user.lang,
                Some(&user),
                StatusCode::UNPROCESSABLE_ENTITY,
                "error-bad-request",
                &format!("required must be true or false, not `{other}`"),
            );
        }
    };
    match state
        .app
        .require_second_factor(&user.caller(), required, &form.reason)
        .await
    {
        Ok(()) => {
            state.basic.clear();
            see_other("/admin/users#second-factor")
        }
        Err(e) => app_error(&user, e),
    }
}

// ---------------------------------------------------------------- passkeys (JSON, for passkey.js)

/// A JSON answer to the passkey script: `{"error": "..."}` with a status, in the reader's words.
fn passkey_refusal(lang: Language, status: StatusCode, why: &str) -> Response {
    let msg = t(lang, "passkey-failed", &[("why", why.to_string())]);
    (status, axum::Json(serde_json::json!({ "error": msg }))).into_response()
}

/// The script sends the session's CSRF token in a header (its body is JSON, not a form).
fn csrf_header_ok(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let sent = headers
        .get(auth::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !sent.is_empty() && expected.is_some_and(|e| auth::same_secret(sent, e))
}

/// What every passkey request needs: passkeys on here, the session the ceremony's state waits
/// in, and the session's CSRF token in the header.
fn ceremony<'a>(
    state: &'a AppState,
    principal: &'a Principal,
    headers: &HeaderMap,
    lang: Language,
) -> Result<(&'a crate::auth::passkey::Passkeys, &'a str), Response> {
    let (Some(passkeys), Some(hash)) = (&state.config.passkeys, &principal.session_hash) else {
        return Err(passkey_refusal(
            lang,
            StatusCode::NOT_FOUND,
            "passkeys are off here",
        ));
    };
    if !csrf_header_ok(headers, principal.csrf.as_deref()) {
        return Err(passkey_refusal(
            lang,
            StatusCode::FORBIDDEN,
            &t(lang, "error-csrf", &[]),
        ));
    }
    Ok((passkeys, hash))
}

/// Starts registering a passkey for the signed-in person: the options for
/// `navigator.credentials.create`.
pub async fn passkey_options(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
) -> Response {
    let lang = user.lang;
    let (passkeys, hash) = match ceremony(&state, &user.principal, &headers, lang) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let existing: Vec<String> = match state.app.passkeys_for_sign_in(&user.principal.user).await {
        Ok(f) => f.into_iter().map(|f| f.secret).collect(),
        Err(e) => return app_error(&user, e),
    };
    let (options, ceremony) = match passkeys.start_registration(&user.principal.user, &existing) {
        Ok(x) => x,
        Err(e) => return passkey_refusal(lang, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    };
    if let Err(e) = state.app.set_session_challenge(hash, Some(&ceremony)).await {
        return app_error(&user, e);
    }
    axum::Json(options).into_response()
}

#[derive(Debug, Deserialize)]
pub struct PasskeyAnswer {
    #[serde(default)]
    label: String,
    credential: serde_json::Value,
    #[serde(default)]
    next: String,
}

/// Finishes registering a passkey: stored through the application layer; a first factor's
/// recovery codes come back for the page to show; a session that had to add a factor becomes a
/// signed-in one.
pub async fn passkey_add(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    axum::Json(answer): axum::Json<PasskeyAnswer>,
) -> Response {
    let lang = user.lang;
    let (passkeys, hash) = match ceremony(&state, &user.principal, &headers, lang) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ceremony = match state.app.session(hash).await {
        Ok(Some(s)) => s.challenge.unwrap_or_default(),
        Ok(None) => String::new(),
        Err(e) => return app_error(&user, e),
    };
    // One answer per challenge.
    if let Err(e) = state.app.set_session_challenge(hash, None).await {
        return app_error(&user, e);
    }
    let credential = match passkeys.finish_registration(&ceremony, &answer.credential) {
        Ok(c) => c,
        Err(e) => return passkey_refusal(lang, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    };
    let done = match state
        .app
        .enrol_passkey(&user.caller(), &answer.label, &credential)
        .await
    {
        Ok(d) => d,
        Err(e) => return passkey_refusal(lang, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    };
    let res =
        axum::Json(serde_json::json!({ "recovery_codes": done.recovery_codes })).into_response();
    if user.principal.stage == SessionStage::Enrol {
        return upgrade_session(&state, &user.principal, res)
            .await
            .unwrap_or_else(|e| app_error(&user, e));
    }
    res
}

/// Starts proving a passkey at sign-in: the options for `navigator.credentials.get`.
pub async fn passkey_sign_in_options(
    State(state): State<AppState>,
    who: PendingUser,
    headers: HeaderMap,
) -> Response {
    let lang = who.lang;
    let (passkeys, hash) = match ceremony(&state, &who.principal, &headers, lang) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let stored: Vec<String> = match state.app.passkeys_for_sign_in(&who.principal.user).await {
        Ok(f) => f.into_iter().map(|f| f.secret).collect(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read passkeys");
            return passkey_refusal(lang, StatusCode::INTERNAL_SERVER_ERROR, "try again");
        }
    };
    let (options, ceremony) = match passkeys.start_sign_in(&stored) {
        Ok(x) => x,
        Err(e) => return passkey_refusal(lang, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    };
    if let Err(e) = state.app.set_session_challenge(hash, Some(&ceremony)).await {
        tracing::error!(error = %e, "cannot keep the passkey challenge");
        return passkey_refusal(lang, StatusCode::INTERNAL_SERVER_ERROR, "try again");
    }
    axum::Json(options).into_response()
}

/// Finishes proving a passkey at sign-in (under the sign-in limits): the waiting session
/// becomes a signed-in one, and the script is told where to go.
pub async fn passkey_sign_in(
    State(state): State<AppState>,
    who: PendingUser,
    headers: HeaderMap,
    ext: Extensions,
    axum::Json(answer): axum::Json<PasskeyAnswer>,
) -> Response {
    let lang = who.lang;
    let (passkeys, hash) = match ceremony(&state, &who.principal, &headers, lang) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ip = state
        .config
        .trusted_proxies
        .client(auth::peer_ip(&ext), &headers);
    let username = who.principal.user.username.to_string();
    let attempt = match state.limiter.begin(&username, &ip).await {
        Ok(a) => a,
        Err(wait) => {
            let why = t(
                lang,
                "login-locked",
                &[("minutes", wait.div_ceil(60).to_string())],
            );
            return passkey_refusal(lang, StatusCode::TOO_MANY_REQUESTS, &why);
        }
    };
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "passkey sign-in failed");
        passkey_refusal(lang, StatusCode::INTERNAL_SERVER_ERROR, "try again")
    };
    let ceremony = match state.app.session(hash).await {
        Ok(Some(s)) => s.challenge.unwrap_or_default(),
        Ok(None) => String::new(),
        Err(e) => return failed(&e),
    };
    if let Err(e) = state.app.set_session_challenge(hash, None).await {
        return failed(&e);
    }
    let factors = match state.app.passkeys_for_sign_in(&who.principal.user).await {
        Ok(f) => f,
        Err(e) => return failed(&e),
    };
    let stored: Vec<String> = factors.iter().map(|f| f.secret.clone()).collect();
    let (index, updated) = match passkeys.finish_sign_in(&ceremony, &answer.credential, &stored) {
        Ok(x) => x,
        Err(e) => {
            attempt.failed();
            tracing::warn!(%username, %ip, error = %e, "passkey refused at sign-in");
            return passkey_refusal(lang, StatusCode::UNAUTHORIZED, &e.to_string());
        }
    };
    attempt.succeeded().await;
    if let Err(e) = state.app.passkey_used(&factors[index].id, &updated).await {
        return failed(&e);
    }
    tracing::info!(%username, %ip, "signed in with a passkey");
    // The script follows `redirect` itself (a fetch does not navigate).
    let json = axum::Json(serde_json::json!({ "redirect": safe_next(&answer.next) }));
    upgrade_session(&state, &who.principal, json.into_response())
        .await
        .unwrap_or_else(|e| failed(&e))
}

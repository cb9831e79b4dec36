//! Single sign-on pages: `/auth/oidc/login` sends the browser to the identity provider,
//! `/auth/oidc/callback` finishes the sign-in (the provider's answer checked by
//! `auth::oidc`), creates or updates the account through the application layer — its role and
//! groups follow the provider's groups — and opens a session like a password sign-in.

use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use debrief_domain::Language;
use serde::Deserialize;

use super::{error_page, language};
use crate::AppState;
use crate::auth::{self, oidc};
use crate::i18n::t;
use debrief_store::accounts::SessionStage;

use super::pages::*;

/// The flow's cookie: the state, nonce and PKCE verifier between the redirect and the callback.
const FLOW_COOKIE: &str = "debrief_oidc";

#[derive(Debug, Deserialize)]
pub struct Start {
    #[serde(default)]
    next: String,
}

fn not_configured(lang: Language) -> Response {
    error_page(
        lang,
        None,
        StatusCode::NOT_FOUND,
        "error-not-found",
        &t(lang, "error-page-missing", &[]),
    )
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Start>,
) -> Response {
    let lang = language(None, &headers);
    let Some(provider) = &state.config.oidc else {
        return not_configured(lang);
    };
    let (url, pending) = provider.begin(&safe_next(&q.next));
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{FLOW_COOKIE}={}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600{secure}",
        oidc::pending_cookie(&pending)
    );
    let mut res = see_other(&url);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    /// The provider's refusal (`access_denied`…), with its words.
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// The sign-in page again, saying why.
fn refused(lang: Language, why: String, status: StatusCode) -> Response {
    let mut res = error_page(lang, None, status, "login-title", &why);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    ext: Extensions,
    Query(q): Query<Callback>,
) -> Response {
    let lang = language(None, &headers);
    let Some(provider) = &state.config.oidc else {
        return not_configured(lang);
    };
    let failed = |why: String| t(lang, "login-sso-failed", &[("why", why)]);
    if let Some(e) = &q.error {
        let why = q.error_description.clone().unwrap_or_else(|| e.clone());
        return refused(lang, failed(why), StatusCode::UNAUTHORIZED);
    }
    let Some(pending) = auth::cookie(&headers, FLOW_COOKIE).and_then(|c| oidc::read_pending(&c))
    else {
        return refused(
            lang,
            failed(oidc::OidcError::State.to_string()),
            StatusCode::BAD_REQUEST,
        );
    };
    let identity = match provider.finish(&pending, &q.code, &q.state).await {
        Ok(i) => i,
        Err(e @ oidc::OidcError::State) => {
            return refused(lang, failed(e.to_string()), StatusCode::BAD_REQUEST);
        }
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on refused");
            return refused(lang, failed(e.to_string()), StatusCode::UNAUTHORIZED);
        }
    };
    let Some(role) = oidc::role_for(&provider.settings.roles, &identity.groups) else {
        tracing::warn!(username = %identity.username, groups = ?identity.groups, "single sign-on: no group maps to a role");
        return refused(
            lang,
            t(lang, "login-sso-no-role", &[]),
            StatusCode::FORBIDDEN,
        );
    };
    let user = match state
        .app
        .sign_in_from_provider(debrief_app::setup::ProviderSignIn {
            username: identity.username.clone(),
            display_name: identity.display_name.clone(),
            role,
            groups: identity.groups.clone(),
        })
        .await
    {
        Ok(u) => u,
        Err(e) => {
            let status =
                StatusCode::from_u16(e.category().http_status()).unwrap_or(StatusCode::FORBIDDEN);
            return refused(lang, failed(e.to_string()), status);
        }
    };
    // A role change must reach the caches of bearer tokens and Basic credentials at once.
    state.tokens.clear();
    state.basic.clear();
    let ip = state
        .config
        .trusted_proxies
        .client(auth::peer_ip(&ext), &headers);
    let session = match auth::open_session(&state, &user.id, SessionStage::Full).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot create session");
            return refused(
                lang,
                t(lang, "error-internal-detail", &[]),
                StatusCode::INTERNAL_SERVER_ERROR,
            );
        }
    };
    tracing::info!(username = %user.username, role = %user.role, %ip, subject = %identity.subject, "signed in through the identity provider");
    // The session cookie is SameSite=Strict and this answer ends a navigation that began at
    // the provider: a page of ours moves on to where the person was going, so that the cookie
    // goes with that same-site request.
    let next = safe_next(&pending.next);
    let body = format!(
        "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={0}\"><title>Debrief</title><p><a href=\"{0}\">{1}</a></p>",
        html_escape(&next),
        html_escape(&t(lang, "action-continue", &[]))
    );
    let mut res = Response::new(axum::body::Body::from(body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for cookie in [
        session,
        format!("{FLOW_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

//! Authentication: API tokens and browser sessions (stored only as hashes), HTTP Basic, CSRF
//! tokens and who a request is from; passwords in `password.rs`, the sign-in limits and trusted
//! proxies in `limits.rs`.

mod limits;
pub mod oidc;
pub mod passkey;
mod password;

pub use limits::*;
pub use password::*;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use debrief_store::accounts::{SessionStage, User};
use sha2::{Digest, Sha256};

use crate::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "debrief_session";
/// The cookie that carries the login form's CSRF token before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "debrief_login_csrf";
/// The header htmx and API clients send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The prefix of API tokens, so that leaked ones are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "dbf_";

/// `bytes` random bytes, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // getrandom only fails when the OS has no entropy source at all; refuse to continue then.
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("no operating-system randomness available: {e}");
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A new API token (shown once; only its hash is stored).
pub fn new_api_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_token(32))
}

/// SHA-256 hex of a high-entropy secret (token or session id).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How a request was authenticated.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// The session's CSRF token; `None` for bearer-token requests (which are not exposed to CSRF).
    pub csrf: Option<String>,
    /// The session cookie's hash, to end it on logout.
    pub session_hash: Option<String>,
    /// Where the request came from (see [`Proxies::client`]), for logs and the access log.
    pub address: String,
    /// How far the sign-in got: `Full` for tokens, HTTP Basic and signed-in sessions; a
    /// session waiting for its second factor (or for one to be added) opens nothing else.
    pub stage: SessionStage,
}

impl Principal {
    /// Who this is for the application layer: the account's name and role.
    pub fn caller(&self) -> debrief_app::Caller {
        debrief_app::Caller::account(&self.user.username, self.user.role)
            .from_address(&self.address)
    }
}

/// Reads a cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| {
            line.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                (k == name).then(|| v.to_string())
            })
        })
}

/// Why a request could not be authenticated, other than "no or wrong credentials".
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Too many password checks for this account or address lately: seconds to wait.
    #[error("too many sign-in attempts; try again in {} minutes", .0.div_ceil(60))]
    TooManyAttempts(u64),
    #[error(transparent)]
    Store(#[from] debrief_store::StoreError),
}

/// Who is making this request, if anyone: a bearer token, else a session cookie.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Principal>, AuthError> {
    let address = state
        .config
        .trusted_proxies
        .client(peer_ip(&parts.extensions), &parts.headers);
    if let Some(value) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(encoded) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        {
            return basic(state, encoded.trim(), address).await;
        }
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or("")
            .trim();
        if token.is_empty() {
            return Ok(None);
        }
        let hash = secret_hash(token);
        let user = match state.tokens.get(&hash) {
            Some(user) => Some(user),
            None => {
                let user = state.store.token_user(&hash).await?;
                if let Some(u) = &user {
                    state.tokens.put(hash, u.clone());
                }
                user
            }
        };
        return Ok(user.map(|user| Principal {
            user,
            csrf: None,
            session_hash: None,
            address,
            stage: SessionStage::Full,
        }));
    }
    let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = secret_hash(&sid);
    let Some(s) = state.app.session(&hash).await.map_err(app_to_auth)? else {
        return Ok(None);
    };
    // Idle lifetime: a session unused for longer ends; a used one is noted (to the minute, so
    // that a page's many requests write once).
    let now = debrief_domain::Timestamp::now();
    let idle = now.seconds_since(s.last_seen_at);
    if idle > state.config.session_idle_minutes * 60 {
        state.app.close_session(&hash).await.map_err(app_to_auth)?;
        tracing::info!(username = %s.user.username, "session ended after its idle lifetime");
        return Ok(None);
    }
    if idle >= 60 {
        state.app.touch_session(&hash).await.map_err(app_to_auth)?;
    }
    Ok(Some(Principal {
        user: s.user,
        csrf: Some(s.csrf_token),
        session_hash: Some(hash),
        address,
        stage: s.stage,
    }))
}

fn app_to_auth(e: debrief_app::AppError) -> AuthError {
    match e {
        debrief_app::AppError::Store(e) => AuthError::Store(e),
        other => AuthError::Store(debrief_store::StoreError::Corrupt(other.to_string())),
    }
}

/// HTTP Basic authentication with a user name and password (what TheHive clients may send):
/// checked like a sign-in, under the same failed-attempt limit.
async fn basic(
    state: &AppState,
    encoded: &str,
    address: String,
) -> Result<Option<Principal>, AuthError> {
    let Some((username, password)) = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(u, p)| (u.trim().to_lowercase(), p.to_string()))
        })
    else {
        return Ok(None);
    };
    // Single sign-on without local accounts: a password signs in only the break-glass admin.
    if !state.config.local_password_allowed(&username) {
        return Ok(None);
    }
    if state.basic.recently_checked(&username, &password) {
        return Ok(already_checked(state, &username, address).await?);
    }
    let ip = address.clone();
    // A client firing several requests with the same credentials at once: while the first
    // checks are under way the limit is reached, so the others wait (briefly) for one of them
    // to succeed and then pass on the cache, without a password check of their own.
    let mut waited = 0;
    let attempt = loop {
        match state.limiter.begin(&username, &ip).await {
            Ok(a) => break a,
            Err(_) if waited < 40 => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                waited += 1;
                if state.basic.recently_checked(&username, &password) {
                    return Ok(already_checked(state, &username, address).await?);
                }
            }
            Err(wait) => return Err(AuthError::TooManyAttempts(wait)),
        }
    };
    let record = match state.store.user_record(&username).await {
        Ok(r) => Some(r),
        Err(debrief_store::StoreError::NoUser(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = record
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |r| r.password_hash.clone());
    let checked = password.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&checked, &hash))
        .await
        .unwrap_or(false);
    match record {
        Some(r) if ok && !r.user.disabled => {
            attempt.succeeded().await;
            // A password alone is not enough for an account with a second factor, nor when
            // the installation requires one: such clients use an API token.
            if state
                .app
                .after_password(&r.user)
                .await
                .map_err(app_to_auth)?
                != SessionStage::Full
            {
                tracing::warn!(%username, %ip, "Basic sign-in refused: the account needs its second factor; use an API token");
                return Ok(None);
            }
            state.basic.remember(&username, &password);
            Ok(Some(Principal {
                user: r.user,
                csrf: None,
                session_hash: None,
                address,
                stage: SessionStage::Full,
            }))
        }
        _ => {
            attempt.failed();
            tracing::warn!(%username, %ip, "failed Basic sign-in");
            Ok(None)
        }
    }
}

/// The principal of Basic credentials that passed a check moments ago: the account is read
/// again (it may have been disabled since).
async fn already_checked(
    state: &AppState,
    username: &str,
    address: String,
) -> Result<Option<Principal>, debrief_store::StoreError> {
    match state.store.user_record(username).await {
        Ok(r) if !r.user.disabled => Ok(Some(Principal {
            user: r.user,
            csrf: None,
            session_hash: None,
            address,
            stage: SessionStage::Full,
        })),
        Ok(_) | Err(debrief_store::StoreError::NoUser(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Opens a browser session for `user_id` (already signed in by a password or the identity
/// provider; `stage` says whether a second factor is still awaited or must be added): answers
/// the `Set-Cookie` value to send. The one place a session starts. A session waiting for its
/// second factor lasts 10 minutes; one that must add a factor, 30.
pub async fn open_session(
    state: &crate::AppState,
    user_id: &str,
    stage: SessionStage,
) -> Result<String, debrief_app::AppError> {
    let sid = random_token(32);
    let csrf = random_token(32);
    let seconds = match stage {
        SessionStage::Full => state.config.session_hours * 3600,
        SessionStage::SecondFactor => 600,
        SessionStage::Enrol => 1800,
    };
    let expires = debrief_domain::Timestamp::now().plus_seconds(seconds);
    state
        .app
        .open_session(user_id, &secret_hash(&sid), &csrf, expires, stage)
        .await?;
    Ok(session_cookie(&sid, seconds, state.config.secure_cookies))
}

/// The `Set-Cookie` value for a session.
pub fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    )
}

/// API tokens recently checked against the store, by hash, for `TTL`: integrations send one
/// request per alert, and each would otherwise cost a database read. A token revoked or a user
/// disabled from another process (the CLI) is refused at most `TTL` later; failures are never
/// cached.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (User, Instant)>>,
}

impl TokenCache {
    pub const TTL: Duration = Duration::from_secs(5);

    /// The user of a token checked less than `TTL` ago.
    pub fn get(&self, hash: &str) -> Option<User> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(u, _)| u.clone())
    }

    pub fn put(&self, hash: String, user: User) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
        }
        map.insert(hash, (user, Instant::now()));
    }

    /// Forgets every entry (a token revoked or a user changed in this process).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; debrief_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_api_token();
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_ne!(a, new_api_token());
        assert!(check_password("short", &[]).is_err());
        assert_eq!(generate_password().len(), 20);
    }
}

//! Authentication: argon2id passwords, API tokens and browser sessions (stored only as hashes),
//! CSRF tokens, and the login rate limiter.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use debrief_store::accounts::User;
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

/// A random password for new accounts: 20 characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("no operating-system randomness available: {e}");
    }
    buf.iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

/// Checks a password's strength; the message says what to change.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < 12 {
        return Err(format!("the password has {n} characters; use at least 12"));
    }
    if n > 256 {
        return Err("the password is longer than 256 characters".into());
    }
    Ok(())
}

/// Hashes a password with argon2id (default parameters, random salt) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so that timing does not reveal it.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password, only for timing").unwrap_or_default())
}

/// How a request was authenticated.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// The session's CSRF token; `None` for bearer-token requests (which are not exposed to CSRF).
    pub csrf: Option<String>,
    /// The session cookie's hash, to end it on logout.
    pub session_hash: Option<String>,
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

/// Who is making this request, if anyone: a bearer token, else a session cookie.
pub async fn authenticate(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Principal>, debrief_store::StoreError> {
    if let Some(value) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(encoded) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        {
            return basic(parts, state, encoded.trim()).await;
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
        }));
    }
    let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = secret_hash(&sid);
    Ok(state.store.session(&hash).await?.map(|s| Principal {
        user: s.user,
        csrf: Some(s.csrf_token),
        session_hash: Some(hash),
    }))
}

/// HTTP Basic authentication with a user name and password (what TheHive clients may send):
/// checked like a sign-in, under the same failed-attempt limit.
async fn basic(
    parts: &Parts,
    state: &AppState,
    encoded: &str,
) -> Result<Option<Principal>, debrief_store::StoreError> {
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
    let ip = client_ip(&parts.extensions);
    if state.limiter.check(&username, &ip).is_err() {
        return Ok(None);
    }
    let record = match state.store.user_record(&username).await {
        Ok(r) => Some(r),
        Err(debrief_store::StoreError::NoUser(_)) => None,
        Err(e) => return Err(e),
    };
    let hash = record
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |r| r.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    match record {
        Some(r) if ok && !r.user.disabled => {
            state.limiter.succeed(&username, &ip);
            Ok(Some(Principal {
                user: r.user,
                csrf: None,
                session_hash: None,
            }))
        }
        _ => {
            state.limiter.fail(&username, &ip);
            Ok(None)
        }
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

/// The `Set-Cookie` value for a session.
pub fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    )
}

/// The client's address, when the server knows it.
pub fn client_ip(parts_or_ext: &axum::http::Extensions) -> String {
    parts_or_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
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

/// Limits failed logins per (user name, client address): after `MAX_FAILURES` failures within
/// `WINDOW`, further attempts are refused until the window has passed.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub const MAX_FAILURES: u32 = 5;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn key(username: &str, ip: &str) -> String {
        format!("{}|{ip}", username.trim().to_lowercase())
    }

    /// `Err(seconds)` to wait when this user/address is locked out.
    pub fn check(&self, username: &str, ip: &str) -> Result<(), u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&Self::key(username, ip)) {
            Some((n, since)) if *n >= Self::MAX_FAILURES && since.elapsed() < Self::WINDOW => {
                Err((Self::WINDOW - since.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub fn fail(&self, username: &str, ip: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < Self::WINDOW);
        }
        let entry = map
            .entry(Self::key(username, ip))
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= Self::WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// Forgets failures after a successful login.
    pub fn succeed(&self, username: &str, ip: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&Self::key(username, ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn limiter_locks_after_five_failures() {
        let l = LoginLimiter::default();
        for _ in 0..5 {
            assert!(l.check("Alice", "1.2.3.4").is_ok());
            l.fail("alice", "1.2.3.4");
        }
        assert!(l.check("alice", "1.2.3.4").is_err());
        assert!(
            l.check("alice", "5.6.7.8").is_ok(),
            "other addresses are not locked out"
        );
        l.succeed("alice", "1.2.3.4");
        assert!(l.check("alice", "1.2.3.4").is_ok());
    }

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
        assert!(check_password("short").is_err());
        assert_eq!(generate_password().len(), 20);
    }
}

//! Authentication: argon2id passwords, API tokens and browser sessions (stored only as hashes),
//! CSRF tokens, and the login rate limiter.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
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

/// Why a password is refused; its text (English) says what to change, and pages show it in
/// the reader's language by its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeakPassword {
    TooShort(usize),
    TooLong,
    Blank,
    /// It holds the account's name.
    HasName(String),
    /// Easy to guess: about 10^n guesses, and the estimator's hints.
    Guessable {
        log10: u32,
        hints: String,
    },
}

impl std::fmt::Display for WeakPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeakPassword::TooShort(n) => {
                write!(f, "the password has {n} characters; use at least 12")
            }
            WeakPassword::TooLong => f.write_str("the password is longer than 256 characters"),
            WeakPassword::Blank => {
                f.write_str("the password is only spaces; choose one with words or characters")
            }
            WeakPassword::HasName(name) => write!(
                f,
                "the password contains the account's name `{name}`; choose one without it"
            ),
            WeakPassword::Guessable { log10, hints } => write!(
                f,
                "the password is too easy to guess (about 10^{log10} guesses; at least 10^10 is needed){hints}"
            ),
        }
    }
}

/// Checks a password's strength. At least 12 and at most 256 characters, not the account's own
/// name (nor containing it), and not easy to guess: the zxcvbn estimator must rate it at least
/// 3 of 4 ("safely unguessable", about 10¹⁰ guesses), with the account's names and the
/// product's counted as words an attacker tries first.
pub fn check_password(password: &str, names: &[&str]) -> Result<(), WeakPassword> {
    let n = password.chars().count();
    if n < 12 {
        return Err(WeakPassword::TooShort(n));
    }
    if n > 256 {
        return Err(WeakPassword::TooLong);
    }
    if password.trim().is_empty() {
        return Err(WeakPassword::Blank);
    }
    let folded = password.to_lowercase();
    for name in names.iter().map(|n| n.trim().to_lowercase()) {
        if name.chars().count() >= 3 && folded.contains(&name) {
            return Err(WeakPassword::HasName(name));
        }
    }
    let mut inputs: Vec<&str> = names.to_vec();
    inputs.extend(["debrief", "password", "incident", "security"]);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if estimate.score() < zxcvbn::Score::Three {
        let mut hints = String::new();
        if let Some(f) = estimate.feedback() {
            if let Some(w) = f.warning() {
                hints.push_str(&format!(": {w}"));
            }
            for s in f.suggestions() {
                hints.push_str(&format!(" {s}"));
            }
        }
        return Err(WeakPassword::Guessable {
            log10: estimate.guesses_log10().max(0.0).round() as u32,
            hints,
        });
    }
    Ok(())
}

/// Why a person's change of their own password was refused.
#[derive(Debug)]
pub enum PasswordChangeRefused {
    /// The current password is wrong.
    WrongCurrent,
    /// Too many checks of this account's password lately: seconds to wait.
    Locked(u64),
    /// The new password does not meet the policy.
    Weak(WeakPassword),
    /// The two copies of the new password differ.
    Mismatch,
    /// The new password is the current one.
    Same,
    /// The store failed.
    Store(debrief_store::StoreError),
}

/// A person changes their own password: the current one is checked (under the sign-in limits,
/// so a stolen session cannot be used to guess it), the new one must meet the policy and
/// differ from it; then every session of theirs ends and they no longer have to change it.
pub async fn change_own_password(
    state: &AppState,
    user: &User,
    address: &str,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<User, PasswordChangeRefused> {
    use PasswordChangeRefused as R;
    if new != confirm {
        return Err(R::Mismatch);
    }
    check_password(new, &[user.username.as_str(), &user.display_name]).map_err(R::Weak)?;
    if new == current {
        return Err(R::Same);
    }
    let attempt = state
        .limiter
        .begin(user.username.as_str(), address)
        .map_err(R::Locked)?;
    let record = state
        .store
        .user_record(user.username.as_str())
        .await
        .map_err(R::Store)?;
    let (given, hash) = (current.to_string(), record.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&given, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        attempt.failed();
        tracing::warn!(username = %user.username, %address, "password change: wrong current password");
        return Err(R::WrongCurrent);
    }
    attempt.succeeded();
    let new = new.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|_| {
            R::Store(debrief_store::StoreError::Corrupt(
                "password hashing failed".into(),
            ))
        })?
        .map_err(|e| R::Store(debrief_store::StoreError::Corrupt(e)))?;
    let changes = debrief_store::accounts::UserChanges {
        password_hash: Some(hash),
        must_change_password: Some(false),
        ..Default::default()
    };
    let updated = state
        .store
        .update_user(user.username.as_str(), changes)
        .await
        .map_err(R::Store)?;
    state.tokens.clear();
    state.basic.clear();
    tracing::info!(username = %user.username, "password changed by its holder");
    Ok(updated)
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
    /// Where the request came from (see [`Proxies::client`]), for logs and the access log.
    pub address: String,
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
        address,
    }))
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
    if state.basic.recently_checked(&username, &password) {
        return Ok(already_checked(state, &username, address).await?);
    }
    let ip = address.clone();
    // A client firing several requests with the same credentials at once: while the first
    // checks are under way the limit is reached, so the others wait (briefly) for one of them
    // to succeed and then pass on the cache, without a password check of their own.
    let mut waited = 0;
    let attempt = loop {
        match state.limiter.begin(&username, &ip) {
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
            attempt.succeeded();
            state.basic.remember(&username, &password);
            Ok(Some(Principal {
                user: r.user,
                csrf: None,
                session_hash: None,
                address,
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

/// Limits password checks, so that guessing is slow whatever the concurrency: at most
/// [`LoginLimiter::PER_USER`] checks per user name and [`LoginLimiter::PER_ADDRESS`] per client
/// address within [`LoginLimiter::WINDOW`]. A check is counted when it *starts* (the count and the
/// decision are one step under the lock), so parallel attempts cannot all pass the check before
/// any of them is recorded. A successful sign-in starts the user's count again; its address
/// keeps only its failures.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    users: HashMap<String, Window>,
    addresses: HashMap<String, Window>,
}

/// Checks started within a window that began at `since`.
#[derive(Debug, Clone, Copy)]
struct Window {
    checks: u32,
    since: Instant,
}

impl Window {
    fn current(map: &mut HashMap<String, Window>, key: &str) -> Window {
        let now = Instant::now();
        let w = map.entry(key.to_string()).or_insert(Window {
            checks: 0,
            since: now,
        });
        if w.since.elapsed() >= LoginLimiter::WINDOW {
            *w = Window {
                checks: 0,
                since: now,
            };
        }
        *w
    }

    fn wait(&self) -> u64 {
        LoginLimiter::WINDOW
            .saturating_sub(self.since.elapsed())
            .as_secs()
            .max(1)
    }
}

/// One password check under way; say how it ended with [`Attempt::failed`] or
/// [`Attempt::succeeded`]. Dropped without either (the check never ran: a store error), it gives
/// its place back.
#[derive(Debug)]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    user: String,
    address: String,
    ended: bool,
}

impl Attempt<'_> {
    /// The password was wrong (or the account unusable): the check stays counted.
    pub fn failed(mut self) {
        self.ended = true;
    }

    /// The password was right: the user's count starts again, and this check is not held
    /// against the address.
    pub fn succeeded(mut self) {
        self.ended = true;
        let mut counts = self.limiter.lock();
        counts.users.remove(&self.user);
        if let Some(w) = counts.addresses.get_mut(&self.address) {
            w.checks = w.checks.saturating_sub(1);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let mut guard = self.limiter.lock();
        let counts = &mut *guard;
        for (map, key) in [
            (&mut counts.users, &self.user),
            (&mut counts.addresses, &self.address),
        ] {
            if let Some(w) = map.get_mut(key) {
                w.checks = w.checks.saturating_sub(1);
            }
        }
    }
}

impl LoginLimiter {
    /// Password checks per user name and window, whatever the address.
    pub const PER_USER: u32 = 5;
    /// Password checks per client address and window, whatever the user name.
    pub const PER_ADDRESS: u32 = 30;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a password check for `username` from `address`, or `Err(seconds)` to wait when
    /// either has used up its checks for the window.
    pub fn begin(&self, username: &str, address: &str) -> Result<Attempt<'_>, u64> {
        let user = username.trim().to_lowercase();
        let mut guard = self.lock();
        let counts = &mut *guard;
        if counts.users.len() + counts.addresses.len() > 200_000 {
            counts.users.retain(|_, w| w.since.elapsed() < Self::WINDOW);
            counts
                .addresses
                .retain(|_, w| w.since.elapsed() < Self::WINDOW);
        }
        let u = Window::current(&mut counts.users, &user);
        let a = Window::current(&mut counts.addresses, address);
        if u.checks >= Self::PER_USER {
            return Err(u.wait());
        }
        if a.checks >= Self::PER_ADDRESS {
            return Err(a.wait());
        }
        for (map, key) in [
            (&mut counts.users, user.as_str()),
            (&mut counts.addresses, address),
        ] {
            if let Some(w) = map.get_mut(key) {
                w.checks += 1;
            }
        }
        Ok(Attempt {
            limiter: self,
            user,
            address: address.to_string(),
            ended: false,
        })
    }
}

/// User names and passwords that passed a check less than [`BasicCache::TTL`] ago, kept only as
/// a keyed hash: a TheHive client sending Basic credentials with every request is not held to
/// the sign-in limit (nor to an argon2 check) for each of them. Failures are never cached.
#[derive(Debug)]
pub struct BasicCache {
    key: [u8; 32],
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

impl Default for BasicCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut key) {
            panic!("no operating-system randomness available: {e}");
        }
        Self {
            key,
            entries: Mutex::default(),
        }
    }
}

impl BasicCache {
    pub const TTL: Duration = Duration::from_secs(5);

    fn digest(&self, username: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(username.as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// Whether these credentials passed a check within `TTL`.
    pub fn recently_checked(&self, username: &str, password: &str) -> bool {
        let d = self.digest(username, password);
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&d).is_some_and(|at| at.elapsed() < Self::TTL)
    }

    /// Forgets every entry (a password changed or a user disabled in this process).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Records credentials that just passed a check.
    pub fn remember(&self, username: &str, password: &str) {
        let d = self.digest(username, password);
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, at| at.elapsed() < Self::TTL);
        }
        map.insert(d, Instant::now());
    }
}

/// Where requests come from when Debrief sits behind reverse proxies: the proxies' addresses
/// (`trusted_proxies`). Only a request whose peer is one of them has its `X-Forwarded-For` and
/// `X-Forwarded-Proto` believed; anyone else could write those headers.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    trusted: Vec<ipnet::IpNet>,
}

impl Proxies {
    /// Parses addresses and networks (`10.0.0.5`, `10.0.0.0/8`, `::1`).
    pub fn parse(list: &[String]) -> Result<Proxies, String> {
        let mut trusted = Vec::new();
        for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let net = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!(
                        "trusted proxy `{item}` is not an IP address or network (10.0.0.5, 10.0.0.0/8, ::1)"
                    )
                })?;
            trusted.push(net);
        }
        Ok(Proxies { trusted })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, or — when the peer is a trusted proxy — the nearest
    /// address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
        let Some(peer) = peer else {
            return "local".into();
        };
        if !self.trusts(peer) {
            return canonical(peer).to_string();
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = canonical(peer);
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // Not an address: nothing further left can be believed.
                Err(_) => break,
            }
        }
        client.to_string()
    }

    /// Whether the request reached a trusted proxy over HTTPS (`X-Forwarded-Proto: https`, or
    /// `proto=https` in RFC 7239's `Forwarded`).
    pub fn forwarded_https(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> bool {
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let x_forwarded =
            first("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let forwarded = first("forwarded").is_some_and(|f| {
            f.split(';').any(|pair| {
                pair.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("proto")
                        && v.trim().trim_matches('"').eq_ignore_ascii_case("https")
                })
            })
        });
        peer.is_some_and(|p| self.trusts(p)) && (x_forwarded || forwarded)
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The peer's address, when the server knows it.
pub fn peer_ip(ext: &axum::http::Extensions) -> Option<IpAddr> {
    ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
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
    fn limiter_counts_checks_as_they_start() {
        let l = LoginLimiter::default();
        // Five checks under way at once for one user, from any addresses: the sixth waits.
        let held: Vec<Attempt<'_>> = (0..5)
            .map(|n| l.begin("Alice", &format!("10.0.0.{n}")).unwrap())
            .collect();
        assert!(l.begin("alice", "10.9.9.9").is_err());
        assert!(l.begin("bob", "10.9.9.9").is_ok(), "other users go on");
        for a in held {
            a.failed();
        }
        assert!(
            l.begin("alice", "10.0.0.1").is_err(),
            "failures stay counted"
        );
        // A check that never ran gives its place back; a success starts the count again.
        let l = LoginLimiter::default();
        for _ in 0..4 {
            l.begin("carol", "1.2.3.4").unwrap().failed();
        }
        drop(l.begin("carol", "1.2.3.4").unwrap());
        l.begin("carol", "1.2.3.4").unwrap().succeeded();
        for _ in 0..5 {
            l.begin("carol", "1.2.3.4").unwrap().failed();
        }
        assert!(l.begin("carol", "1.2.3.4").is_err());
    }

    #[test]
    fn limiter_also_counts_per_address() {
        let l = LoginLimiter::default();
        for n in 0..LoginLimiter::PER_ADDRESS {
            l.begin(&format!("user{n}"), "192.0.2.1").unwrap().failed();
        }
        assert!(l.begin("someone-else", "192.0.2.1").is_err());
        assert!(l.begin("someone-else", "192.0.2.2").is_ok());
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxies = Proxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7, 10.1.1.1".parse().unwrap(),
        );
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "192.0.2.44".parse().unwrap();
        // The nearest untrusted hop is the client; what it says before that is its own claim.
        assert_eq!(proxies.client(Some(proxy), &h), "198.51.100.7");
        assert!(proxies.forwarded_https(Some(proxy), &h));
        assert_eq!(proxies.client(Some(stranger), &h), "192.0.2.44");
        assert!(!proxies.forwarded_https(Some(stranger), &h));
        assert_eq!(proxies.client(Some(proxy), &HeaderMap::new()), "10.0.0.2");
        let mapped: IpAddr = "::ffff:10.0.0.3".parse().unwrap();
        assert_eq!(proxies.client(Some(mapped), &h), "198.51.100.7");
        let mut junk = HeaderMap::new();
        junk.insert("x-forwarded-for", "1.2.3.4, nonsense".parse().unwrap());
        assert_eq!(proxies.client(Some(proxy), &junk), "10.0.0.2");
        assert!(Proxies::parse(&["not-an-ip".into()]).is_err());
        assert!(Proxies::default().client(None, &h) == "local");
    }

    #[test]
    fn weak_passwords_and_the_users_own_name_are_refused() {
        for weak in [
            "aaaaaaaaaaaa",
            "            ",
            "password1234",
            "123456789012",
            "qwertyuiopas",
            "Debrief2026!",
            "hank-hank-hank",
            "HankHankHank!!",
            "correcthorse",
        ] {
            assert!(
                check_password(weak, &["hank", "Hank Miller"]).is_err(),
                "{weak:?}"
            );
        }
        let e = check_password("hank1234567890", &["hank"]).unwrap_err();
        assert_eq!(e, WeakPassword::HasName("hank".into()));
        for strong in [
            "correct horse battery staple",
            "Vq8#tL2m!pR9zW",
            "tartine-velo-orage-piano",
        ] {
            assert!(check_password(strong, &["hank"]).is_ok(), "{strong:?}");
        }
        let generated = generate_password();
        assert!(
            check_password(&generated, &["admin"]).is_ok(),
            "{generated}"
        );
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
        assert!(check_password("short", &[]).is_err());
        assert_eq!(generate_password().len(), 20);
    }
}

//! Debrief's HTTP server: the JSON API under `/api/v1`, the server-rendered web UI, and the
//! authentication and role checks in front of both.
//!
//! **Architecture invariant:** every route authenticates (except health, TheHive's `/api/status`,
//! login and static assets)
//! and checks the caller's role with `debrief_domain::authorize` before touching the store.
//! Handlers never write incident state except through the application layer (`debrief_app`).

pub mod api;
pub mod auth;
pub mod de;
pub mod error;
pub mod i18n;
pub mod intake;
pub mod mail;
pub mod outbound;
pub mod samm;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use debrief_domain::{Role, Username};
use debrief_store::accounts::NewUser;
use debrief_store::{InstallationKey, Store};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::LoginLimiter;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (only sent over HTTPS, and to `localhost`). On by default.
    pub secure_cookies: bool,
    /// How long a browser session lasts at most (its absolute lifetime).
    pub session_hours: i64,
    /// How long a browser session lasts unused (its idle lifetime).
    pub session_idle_minutes: i64,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How impact maps to severity levels (default, or `DATA_DIR/severity.json`).
    pub severity: debrief_domain::triage::SeverityMatrix,
    /// Response-time targets per severity level (default, or `DATA_DIR/targets.json`).
    pub targets: debrief_domain::effectiveness::Targets,
    /// The SMTP relay (`host:port`) notifications by e-mail go through, and their sender.
    pub smtp_relay: Option<String>,
    pub mail_from: String,
    /// The regulatory regimes (shipped, extended by `DATA_DIR/regimes.json`).
    pub regimes: Arc<debrief_domain::obligation::Regimes>,
    /// Where evidence files are kept (`DATA_DIR/evidence`).
    pub evidence_dir: std::path::PathBuf,
    /// The largest evidence file accepted, in bytes.
    pub evidence_max_bytes: u64,
    /// Alerts of the same type, source and title on the same host within this many seconds
    /// of the last one become one alert with a count (0: never group).
    pub alert_group_seconds: i64,
    /// Notification message templates (shipped, overridden from `DATA_DIR/notification-templates`).
    pub templates: Arc<outbound::templates::Templates>,
    /// Seconds to wait after the 1st, 2nd… failed delivery before the next attempt; its length
    /// is the number of retries.
    pub retry_schedule: Vec<u64>,
    /// How often the notification worker looks for retries due (milliseconds).
    pub notify_tick_ms: u64,
    /// How often it looks for regulatory deadlines to escalate (seconds).
    pub escalation_every_seconds: u64,
    /// Report templates (shipped, overridden from `DATA_DIR/report-templates`).
    pub reports: Arc<debrief_report::Templates>,
    /// OWASP SAMM's Incident Management practice, when its model was given (`--samm`).
    pub samm: Option<Arc<debrief_domain::samm::Model>>,
    /// The reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: auth::Proxies,
    /// The installation's time zone: every signed-in person's until they choose their own.
    pub timezone: debrief_domain::Zone,
    /// Need-to-know beyond explicit decisions (TLP:RED and TLP:AMBER+STRICT restrict).
    pub access: debrief_app::access::Policy,
    /// Single sign-on through an OpenID Connect provider, when `[oidc]` is configured.
    pub oidc: Option<Arc<auth::oidc::Provider>>,
    /// Passkeys as a second factor, when the installation is reached by a domain name.
    pub passkeys: Option<Arc<auth::passkey::Passkeys>>,
    /// What a postmortem must answer before it is approved.
    pub review: debrief_domain::postmortem::ReviewPolicy,
    /// Where people reach Debrief (`public_url`, else the listening address): the links sent
    /// to directory entries point there.
    pub public_url: String,
}

impl Config {
    /// Whether `username` may sign in with a local password: always, unless single sign-on
    /// turned local accounts off — then only the break-glass `admin` account.
    pub fn local_password_allowed(&self, username: &str) -> bool {
        match &self.oidc {
            Some(p) if !p.settings.local_accounts => username.trim().eq_ignore_ascii_case("admin"),
            _ => true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            session_hours: 12,
            session_idle_minutes: 120,
            max_body_bytes: 256 * 1024,
            severity: Default::default(),
            targets: Default::default(),
            smtp_relay: None,
            mail_from: "security@localhost".into(),
            regimes: Arc::new(debrief_domain::obligation::Regimes::builtin().clone()),
            evidence_dir: std::path::PathBuf::from("debrief-data/evidence"),
            evidence_max_bytes: 1024 * 1024 * 1024,
            alert_group_seconds: 3600,
            templates: Arc::default(),
            retry_schedule: vec![60, 300, 1800, 7200, 21600],
            notify_tick_ms: 5000,
            escalation_every_seconds: 60,
            samm: None,
            reports: Arc::default(),
            trusted_proxies: auth::Proxies::default(),
            timezone: debrief_domain::Zone::utc(),
            access: Default::default(),
            oidc: None,
            passkeys: None,
            review: Default::default(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The application layer: every command and read of an incident goes through it.
    pub app: debrief_app::App,
    pub store: Arc<dyn Store>,
    pub key: InstallationKey,
    pub config: Arc<Config>,
    pub limiter: Arc<LoginLimiter>,
    /// Basic credentials recently checked (see [`auth::BasicCache`]).
    pub basic: Arc<auth::BasicCache>,
    /// API tokens recently checked (see [`auth::TokenCache`]).
    pub tokens: Arc<auth::TokenCache>,
    /// Single alerts, written in groups (see [`intake`]).
    pub intake: Arc<intake::IntakeQueue>,
    /// The Sigma rules `POST /api/v1/events` evaluates against, when the server has any.
    pub detector: Option<Arc<dyn api::events::EventDetector>>,
    /// Incidents with a notification delivery to retry (see [`outbound`]).
    pub pending: Arc<outbound::Pending>,
    /// Cancelled when the server shuts down, which ends the pages' event streams (else a
    /// graceful shutdown would wait for them for ever).
    pub closing: tokio_util::sync::CancellationToken,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, key: InstallationKey, config: Config) -> Self {
        let app = debrief_app::App::new(store.clone()).with_policy(config.access);
        Self {
            limiter: Arc::new(LoginLimiter::new(app.clone())),
            app,
            store,
            key,
            config: Arc::new(config),
            basic: Arc::default(),
            tokens: Arc::default(),
            detector: None,
            intake: Arc::default(),
            pending: Arc::default(),
            closing: Default::default(),
        }
    }

    /// With Sigma rules for `POST /api/v1/events`.
    pub fn with_detector(mut self, detector: Arc<dyn api::events::EventDetector>) -> Self {
        self.detector = Some(detector);
        self
    }
}

/// The whole application: API, web UI, assets, with security headers on every response.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .nest("/api/v1", api::router())
        .route("/api/status", axum::routing::get(api::thehive::status))
        .merge(web::router())
        .fallback(web::not_found)
        .layer(middleware::from_fn(api::problem_for_bare_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(middleware::from_fn(no_store_for_dynamic))
        .layer(middleware::from_fn_with_state(state.clone(), hsts))
        .with_state(state)
}

/// `Strict-Transport-Security` on answers to requests that came over HTTPS — through a trusted
/// reverse proxy that says so (Debrief itself speaks plain HTTP behind it).
async fn hsts(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let https = state
        .config
        .trusted_proxies
        .forwarded_https(auth::peer_ip(req.extensions()), req.headers());
    let mut res = next.run(req).await;
    if https {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Dynamic pages and API answers are never cached (they hold incident data); assets may be.
async fn no_store_for_dynamic(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    if !is_asset && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// On first start (no users at all), creates the `admin` account. Returns the generated
/// password to print once, or `None` when `password` was given or users already exist.
pub async fn ensure_admin(
    app: &debrief_app::App,
    password: Option<String>,
) -> anyhow::Result<Option<String>> {
    if !app.has_no_account().await? {
        return Ok(None);
    }
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => {
            auth::check_password(&p, &["admin", "Administrator"])
                .map_err(|e| anyhow::anyhow!("DEBRIEF_ADMIN_PASSWORD is not acceptable: {e}"))?;
            (p, false)
        }
        None => (auth::generate_password(), true),
    };
    let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
    app.create_first_admin(NewUser {
        username: Username::parse("admin")?,
        display_name: "Administrator".into(),
        role: Role::Admin,
        password_hash: hash,
        language: None,
        must_change_password: generated,
    })
    .await?;
    Ok(generated.then_some(password))
}

//! `debrief serve`: the web UI and JSON API over the configured store.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use debrief_server::{AppState, Config, ensure_admin, router};

use super::open_store;
use crate::config::Settings;
use crate::exit;

/// Sigma rules for `POST /api/v1/events`, and the folder to watch.
#[derive(Debug, Default)]
pub struct Detection {
    pub rules: Vec<std::path::PathBuf>,
    pub rule_level: Option<String>,
    pub watch: Option<std::path::PathBuf>,
    pub watch_interval: u64,
    /// Reports by e-mail: where to listen, the mailbox, the relay and sender of acknowledgements.
    pub mail_listen: Option<String>,
    pub mail_to: Option<String>,
    pub smtp_relay: Option<String>,
    pub mail_from: String,
    /// The largest reported message, in MiB, and how long a mail client may stay silent.
    pub mail_max_mb: u64,
    pub mail_idle_seconds: u64,
    /// Seconds before each retry of a failed notification.
    pub notify_retry: Vec<u64>,
    /// The OWASP SAMM model folder.
    pub samm: Option<std::path::PathBuf>,
    /// Reverse proxies whose forwarding headers are believed (empty: the file's list).
    pub trusted_proxies: Vec<String>,
}

pub async fn run(
    listen: Option<String>,
    insecure_cookies: bool,
    evidence_max_mb: u64,
    detection: Detection,
    settings: &Settings,
) -> Result<u8> {
    let listen = listen
        .or_else(|| settings.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen `{listen}` is not an address like 127.0.0.1:8080"))?;
    let (store, key) = open_store(settings).await?;
    // Instances of one installation sign one ledger: one started with another key would be
    // refused at its first write, so it is refused now, with the way out.
    let head = store.head().await?;
    if head.gseq > 0 && head.public_key != key.public_hex() {
        let refused = debrief_store::StoreError::ForeignKey {
            theirs: head.public_key.chars().take(16).collect(),
            ours: key.public_hex().chars().take(16).collect(),
        };
        return Err(anyhow::Error::new(refused)
            .context(format!("the key file `{}`", settings.key_path().display())));
    }
    let app = debrief_app::App::new(store.clone());
    // Instances starting together on one database take turns at setting it up.
    let setup = app
        .lead(
            debrief_store::lease::Job::Setup,
            std::time::Duration::from_millis(200),
        )
        .await;
    let admin_password = std::env::var("DEBRIEF_ADMIN_PASSWORD").ok();
    if let Some(password) = ensure_admin(&app, admin_password).await? {
        println!("Created the `admin` account. Its password, shown only this once:");
        println!();
        println!("    {password}");
        println!();
        println!(
            "Sign in and add the team's accounts; `debrief user passwd admin` sets a new password."
        );
    }
    let seeded = debrief_server::api::playbooks::seed_playbooks(&app).await?;
    if seeded > 0 {
        println!("Published the {seeded} starter playbooks (English and French).");
    }
    setup.release().await;
    let config = Config {
        secure_cookies: !insecure_cookies,
        severity: super::severity_matrix(settings)?,
        targets: super::response_targets(settings)?,
        regimes: std::sync::Arc::new(super::regimes(settings)?),
        smtp_relay: detection.smtp_relay.clone(),
        mail_from: detection.mail_from.clone(),
        evidence_dir: settings.data_dir.join("evidence"),
        evidence_max_bytes: evidence_max_mb.saturating_mul(1024 * 1024),
        templates: std::sync::Arc::new(
            debrief_server::outbound::templates::Templates::load(
                &settings.data_dir.join("notification-templates"),
            )
            .map_err(anyhow::Error::msg)
            .context("a notification template in the data directory is wrong")?,
        ),
        samm: samm_model(detection.samm.clone(), settings)?,
        reports: std::sync::Arc::new(debrief_report::Templates::load(
            &settings.data_dir.join("report-templates"),
        )?),
        retry_schedule: detection.notify_retry.clone(),
        notify_tick_ms: detection
            .notify_retry
            .iter()
            .min()
            .map_or(5000, |s| (s * 1000 / 2).clamp(200, 5000)),
        trusted_proxies: debrief_server::auth::Proxies::parse(
            if detection.trusted_proxies.is_empty() {
                &settings.trusted_proxies
            } else {
                &detection.trusted_proxies
            },
        )
        .map_err(anyhow::Error::msg)?,
        timezone: settings.timezone.clone(),
        access: settings.access,
        session_hours: settings.session_hours,
        session_idle_minutes: settings.session_idle_minutes,
        review: settings.review.clone(),
        public_url: settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}")),
        passkeys: debrief_server::auth::passkey::Passkeys::for_site(
            &settings
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}")),
        )
        .map(std::sync::Arc::new),
        oidc: match &settings.oidc {
            Some(o) => {
                let public = settings
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{addr}"));
                let provider = debrief_server::auth::oidc::Provider::discover(o.clone(), &public)
                    .await
                    .with_context(|| {
                        format!(
                            "single sign-on: the provider `{}` (the [oidc] section)",
                            o.issuer
                        )
                    })?;
                println!("Single sign-on through {}", o.issuer);
                Some(std::sync::Arc::new(provider))
            }
            None => None,
        },
        ..Config::default()
    };
    let group_window = config.alert_group_seconds;
    if let Some(listen) = &detection.mail_listen {
        let addr: SocketAddr = listen.parse().with_context(|| {
            format!("--mail-listen `{listen}` is not an address like 127.0.0.1:2525")
        })?;
        let mut mail = debrief_server::mail::MailSettings::new(addr, config.evidence_dir.clone());
        mail.mailbox = detection.mail_to.clone();
        mail.relay = detection.smtp_relay.clone();
        mail.from = detection.mail_from.clone();
        mail.max_message = usize::try_from(detection.mail_max_mb)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024 * 1024);
        mail.idle = std::time::Duration::from_secs(detection.mail_idle_seconds.max(1));
        debrief_server::mail::listen(app.clone(), mail).await?;
        println!("Taking reports by e-mail on smtp://{addr}");
    }
    let mut state = AppState::new(store.clone(), key, config);
    if !detection.rules.is_empty() {
        let detector = std::sync::Arc::new(super::watch::SigmaDetector::load(
            &detection.rules,
            detection.rule_level.clone(),
        )?);
        println!(
            "{} Sigma rules enabled for POST /api/v1/events",
            debrief_server::api::events::EventDetector::rules(&*detector)
        );
        if let Some(dir) = detection.watch {
            if !dir.is_dir() {
                anyhow::bail!("--watch `{}` is not a folder", dir.display());
            }
            println!("Watching {} for log files", dir.display());
            tokio::spawn(super::watch::watch(
                app.clone(),
                detector.clone(),
                dir,
                settings.data_dir.join("watch-state.json"),
                std::time::Duration::from_secs(detection.watch_interval.max(1)),
                group_window,
            ));
        }
        state = state.with_detector(detector);
    }
    debrief_server::outbound::spawn(state.clone());
    let closing = state.closing.clone();
    let routes = router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}; is another program using it?"))?;
    let shown = listener.local_addr().unwrap_or(addr);
    println!(
        "Debrief is listening on http://{shown} ({} database)",
        store.backend()
    );
    tracing::info!(%shown, backend = store.backend(), "listening");
    axum::serve(
        listener,
        routes.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown().await;
        closing.cancel();
    })
    .await
    .context("the server stopped with an error")?;
    Ok(exit::OK)
}

/// The SAMM model from `--samm`, or `DATA_DIR/samm/model` when present; none otherwise.
fn samm_model(
    given: Option<std::path::PathBuf>,
    settings: &Settings,
) -> Result<Option<std::sync::Arc<debrief_domain::samm::Model>>> {
    let default = settings.data_dir.join("samm").join("model");
    let dir = match given {
        Some(d) => d,
        None if default.is_dir() => default,
        None => return Ok(None),
    };
    let model = debrief_server::samm::load(&dir)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("--samm `{}` is not a SAMM model folder", dir.display()))?;
    println!(
        "OWASP SAMM {}: {} questions from {}",
        model.practice,
        model.questions.len(),
        dir.display()
    );
    Ok(Some(std::sync::Arc::new(model)))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

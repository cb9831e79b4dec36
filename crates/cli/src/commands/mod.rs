//! One module per command group; each turns parsed arguments into store calls and output.

pub mod accounts;
pub mod backup;
pub mod csv_io;
pub mod evidence;
pub mod hunt;
pub mod incident;
pub mod metrics;
pub mod postmortem;
pub mod record;
pub mod report;
pub mod send;
pub mod serve;
pub mod verify;
pub mod watch;
pub mod work;

use std::sync::Arc;

use anyhow::{Context, Result};
use debrief_app::{App, AppError, Caller, Need};
use debrief_domain::text::Actor;
use debrief_domain::{DomainError, Event, Incident, IncidentId};
use debrief_store::{Appended, InstallationKey, Store};

use crate::config::Settings;
use crate::exit;

/// Opens the configured store (creating the data directory and key on first use).
pub async fn open_store(settings: &Settings) -> Result<(Arc<dyn Store>, InstallationKey)> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data directory `{}`",
            settings.data_dir.display()
        )
    })?;
    let key = InstallationKey::load_or_create(&settings.key_path())?;
    let store = debrief_store::open(&settings.database_url, key.clone()).await?;
    Ok((store, key))
}

/// The application layer over the store, and the operator (`--actor`) as its caller: every
/// command of the CLI goes through it like the server's.
pub fn app(store: &Arc<dyn Store>, who: &Actor) -> (App, Caller) {
    let policy = POLICY.get().copied().unwrap_or_default();
    (
        App::new(store.clone()).with_policy(policy),
        Caller::operator(who.clone()),
    )
}

/// The installation's need-to-know policy, read once from the settings at start.
static POLICY: std::sync::OnceLock<debrief_app::access::Policy> = std::sync::OnceLock::new();

/// Keeps the installation's need-to-know policy for every command of this run.
pub fn install_policy(settings: &Settings) {
    let _ = POLICY.set(settings.access);
}

/// Runs a command that decides one event, through the application layer, as the operator.
pub async fn execute<F>(
    store: &Arc<dyn Store>,
    id: IncidentId,
    who: &Actor,
    decide: F,
) -> Result<Appended, AppError>
where
    F: Fn(&Incident) -> Result<Event, DomainError> + Send + Sync,
{
    let (app, caller) = app(store, who);
    app.execute_one(&caller, id, Need::Work, decide).await
}

/// A time given on the command line: RFC 3339 with an offset, or a local time (or, where
/// `date_alone` allows, a date) read in the installation's time zone (`--timezone`).
pub fn read_time(
    settings: &Settings,
    field: &'static str,
    raw: &str,
    date_alone: debrief_domain::DateAlone,
) -> Result<debrief_domain::Timestamp> {
    Ok(settings.timezone.read(field, raw, date_alone)?)
}

/// The acting user, checked.
pub fn actor(settings: &Settings) -> Result<Actor> {
    Actor::parse(&settings.actor).context("the acting user (--actor / DEBRIEF_ACTOR) is not usable")
}

/// `debrief migrate`.
pub async fn migrate(settings: &Settings) -> Result<u8> {
    let (store, _) = open_store(settings).await?;
    println!(
        "database is up to date ({} at {})",
        store.backend(),
        debrief_store::redact_url(&settings.database_url)
    );
    Ok(exit::OK)
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// The severity matrix: `DATA_DIR/severity.json` when present, else the default.
pub fn severity_matrix(settings: &Settings) -> Result<debrief_domain::triage::SeverityMatrix> {
    let path = settings.data_dir.join("severity.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let m: debrief_domain::triage::SeverityMatrix = serde_json::from_str(&text)
                .with_context(|| {
                    format!("the severity matrix `{}` is not valid", path.display())
                })?;
            m.validate()?;
            Ok(m)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(anyhow::anyhow!("cannot read `{}`: {e}", path.display())),
    }
}

/// The response-time targets per severity level: `DATA_DIR/targets.json` when present (minutes,
/// six values from level 0 to 5 for `acknowledge`, `contain`, `recover`), else the default.
pub fn response_targets(settings: &Settings) -> Result<debrief_domain::effectiveness::Targets> {
    let path = settings.data_dir.join("targets.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "the response targets `{}` are not valid: give acknowledge, contain and recover, six minute counts each (levels 0–5)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(anyhow::anyhow!("cannot read `{}`: {e}", path.display())),
    }
}

/// Installs the incident sub-types: the shipped table, extended (or overridden by id) by
/// `DATA_DIR/subtypes.json` when present. Done once, before any command runs.
pub fn install_subtypes(settings: &Settings) -> Result<()> {
    let path = settings.data_dir.join("subtypes.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let table = debrief_domain::taxonomy::extended_subtypes(&text).with_context(|| {
                format!("the sub-types table `{}` is not valid", path.display())
            })?;
            debrief_domain::taxonomy::install_subtypes(table);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot read `{}`: {e}", path.display())),
    }
}

/// The regulatory regimes: the shipped table, extended (or overridden by id) by
/// `DATA_DIR/regimes.json` when present.
pub fn regimes(settings: &Settings) -> Result<debrief_domain::obligation::Regimes> {
    use debrief_domain::obligation::Regimes;
    let path = settings.data_dir.join("regimes.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let more = Regimes::from_json(&text)
                .with_context(|| format!("the regimes table `{}` is not valid", path.display()))?;
            Ok(Regimes::builtin().extended_with(more))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Regimes::builtin().clone()),
        Err(e) => Err(anyhow::anyhow!("cannot read `{}`: {e}", path.display())),
    }
}

//! Settings: command-line options over environment variables over the TOML file over defaults.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cli::GlobalArgs;

/// The optional configuration file (`DATA_DIR/debrief.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database URL.
    pub database: Option<String>,
    /// Log filter.
    pub log: Option<String>,
    /// Address `debrief serve` listens on.
    pub listen: Option<String>,
    /// Reverse proxies (addresses or networks) whose forwarding headers `serve` believes.
    pub trusted_proxies: Option<Vec<String>>,
    /// The installation's time zone (IANA name): how times are shown and typed times read.
    pub timezone: Option<String>,
    /// Whether marking an incident TLP:RED or TLP:AMBER+STRICT restricts it to its team
    /// (need-to-know); `true` by default.
    pub restrict_strict_tlp: Option<bool>,
    /// Where people reach this installation (`https://debrief.example.org`): the default
    /// single sign-on redirect is `{public_url}/auth/oidc/callback`.
    pub public_url: Option<String>,
    /// Single sign-on through an OpenID Connect provider.
    pub oidc: Option<debrief_server::auth::oidc::OidcSettings>,
    /// How long a browser session lasts at most, in hours (12 by default).
    pub session_hours: Option<i64>,
    /// How long a browser session lasts unused, in minutes (120 by default).
    pub session_idle_minutes: Option<i64>,
    /// What a postmortem must answer before it is approved (readiness items; `summary` and
    /// `root-causes` by default, `[]` to only warn).
    pub review_required: Option<Vec<String>>,
    /// Closing an incident of this severity level (0–5) or above without an approved
    /// postmortem needs a reason (3 by default; 6: never).
    pub closing_needs_postmortem_from_level: Option<u8>,
    /// Hours a question to the business waits for its answer before the directory entry asked
    /// is reminded, once (24 by default).
    pub info_reminder_hours: Option<i64>,
    /// The installation key file [default: DATA_DIR/installation.key]; instances of one
    /// installation on one PostgreSQL database share it.
    pub key_file: Option<PathBuf>,
}

/// The settings a command runs with.
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: Option<String>,
    pub trusted_proxies: Vec<String>,
    pub database_url: String,
    pub actor: String,
    pub log: String,
    /// The installation's time zone (`--timezone`, `DEBRIEF_TIMEZONE`, `timezone` in the file;
    /// UTC by default): the CLI shows times in it and reads times typed without an offset in it,
    /// and it is every signed-in person's zone until they choose their own.
    pub timezone: debrief_domain::Zone,
    /// Need-to-know beyond explicit decisions (`restrict_strict_tlp` in the file).
    pub access: debrief_app::access::Policy,
    /// Where people reach this installation, when the file says.
    pub public_url: Option<String>,
    /// Single sign-on (`[oidc]` in the file); its secret is redacted from `Debug`.
    pub oidc: Option<debrief_server::auth::oidc::OidcSettings>,
    /// Browser sessions' absolute lifetime (hours) and idle lifetime (minutes).
    pub session_hours: i64,
    pub session_idle_minutes: i64,
    /// What a postmortem must answer before it is approved (`review_required` in the file).
    pub review: debrief_domain::postmortem::ReviewPolicy,
    /// The installation key file.
    pub key_file: PathBuf,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "database_url",
                &debrief_store::redact_url(&self.database_url),
            )
            .field("actor", &self.actor)
            .field("log", &self.log)
            .field("timezone", &self.timezone)
            .field("access", &self.access)
            .field("public_url", &self.public_url)
            .field("oidc", &self.oidc)
            .field("session_hours", &self.session_hours)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("review", &self.review)
            .field("key_file", &self.key_file)
            .finish()
    }
}

impl Settings {
    /// Resolves the settings from the global options (which clap already merged with the environment).
    pub fn resolve(args: &GlobalArgs) -> Result<Settings> {
        let data_dir = args
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("debrief-data"));
        let file = load_file(args.config.as_deref(), &data_dir)?;
        let database_url = match args.database.clone().or(file.database) {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("debrief.db").display()),
        };
        let actor = args
            .actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "cli".to_string());
        let log = args
            .log
            .clone()
            .or_else(|| std::env::var("RUST_LOG").ok())
            .or(file.log)
            .unwrap_or_else(|| "warn".to_string());
        let timezone = match args.timezone.clone().or(file.timezone) {
            Some(name) => debrief_domain::Zone::parse(&name)
                .with_context(|| "the time zone (--timezone / DEBRIEF_TIMEZONE / timezone)")?,
            None => debrief_domain::Zone::utc(),
        };
        let session_hours = file.session_hours.unwrap_or(12);
        let session_idle_minutes = file.session_idle_minutes.unwrap_or(120);
        if !(1..=24 * 90).contains(&session_hours) {
            bail!("session_hours is {session_hours}; give between 1 and 2160 (90 days)");
        }
        if !(5..=session_hours * 60).contains(&session_idle_minutes) {
            bail!(
                "session_idle_minutes is {session_idle_minutes}; give between 5 and the absolute lifetime ({} minutes)",
                session_hours * 60
            );
        }
        let mut review: debrief_domain::postmortem::ReviewPolicy = match &file.review_required {
            Some(names) => debrief_domain::postmortem::ReviewPolicy::parse(names)
                .context("review_required in the configuration file")?,
            None => Default::default(),
        };
        match file.closing_needs_postmortem_from_level {
            None => {}
            Some(6) => review.close_from_level = None,
            Some(level @ 0..=5) => review.close_from_level = Some(level),
            Some(other) => bail!(
                "closing_needs_postmortem_from_level is {other}; give a severity level 0 to 5, or 6 for never"
            ),
        }
        match file.info_reminder_hours {
            None => {}
            Some(h @ 1..=720) => review.info_reminder_hours = h,
            Some(other) => {
                bail!("info_reminder_hours is {other}; give between 1 and 720 hours (30 days)")
            }
        }
        let key_file = std::env::var_os("DEBRIEF_KEY_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or(file.key_file)
            .unwrap_or_else(|| data_dir.join("installation.key"));
        Ok(Settings {
            key_file,
            review,
            data_dir,
            listen: file.listen,
            trusted_proxies: file.trusted_proxies.unwrap_or_default(),
            database_url,
            actor,
            log,
            timezone,
            access: debrief_app::access::Policy {
                restrict_on_strict_tlp: file.restrict_strict_tlp.unwrap_or(true),
            },
            public_url: file.public_url,
            oidc: file.oidc,
            session_hours,
            session_idle_minutes,
        })
    }

    /// Where the installation key lives.
    pub fn key_path(&self) -> PathBuf {
        self.key_file.clone()
    }
}

fn load_file(explicit: Option<&Path>, data_dir: &Path) -> Result<FileConfig> {
    let (path, must_exist) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (data_dir.join("debrief.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(FileConfig::default());
        }
        Err(e) => bail!(
            "cannot read the configuration file `{}`: {e}",
            path.display()
        ),
    };
    toml::from_str(&text)
        .with_context(|| format!("the configuration file `{}` is not valid", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_database_password() {
        let s = Settings {
            data_dir: "d".into(),
            listen: None,
            trusted_proxies: Vec::new(),
            database_url: "postgres://debrief:hunter2@db/debrief".into(),
            actor: "a".into(),
            log: "warn".into(),
            timezone: debrief_domain::Zone::utc(),
            access: Default::default(),
            public_url: None,
            oidc: None,
            session_hours: 12,
            session_idle_minutes: 120,
            review: Default::default(),
            key_file: "d/installation.key".into(),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("debrief:***@db"), "{shown}");
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(toml::from_str::<FileConfig>("databse = 'x'").is_err());
        let ok: FileConfig = toml::from_str("database = 'sqlite://x.db'").unwrap();
        assert_eq!(ok.database.as_deref(), Some("sqlite://x.db"));
    }
}

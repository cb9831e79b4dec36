//! The command line, as clap parses it. Raw arguments only: `main` turns them into settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use debrief_domain::{Closed, DomainError, Language, Role, Status};

mod formats;
mod record;

pub use formats::{BoardState, Format, HitFormat, OnOff, TableFormat, TextFormat};
pub use record::{
    EvidenceCommand, ObservableCommand, ReviewCommand, TimelineCommand, TriageCommand, WorkCommand,
};

/// The parser of a value of one of the domain's closed sets: as forgiving as the domain
/// (case, `_` for `-`, `TLP:` before a colour), and listing the values in `--help`.
#[derive(Debug, Clone, Copy)]
pub struct Choice<T>(std::marker::PhantomData<T>);

/// The [`Choice`] of `T`.
pub fn choice<T>() -> Choice<T> {
    Choice(std::marker::PhantomData)
}

impl<T> clap::builder::TypedValueParser for Choice<T>
where
    T: Closed + std::str::FromStr<Err = DomainError>,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        text.parse::<T>().map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{e}\n")).with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            T::ALL
                .iter()
                .map(|v| clap::builder::PossibleValue::new(v.name())),
        ))
    }
}

/// Debrief: security incident response, a tamper-evident journal, and the reports after.
#[derive(Debug, Parser)]
#[command(name = "debrief", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, before or after the subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where Debrief keeps its database file, keys and evidence.
    #[arg(long, global = true, env = "DEBRIEF_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite://FILE` or `postgres://USER@HOST/DB` [default: sqlite file in the data dir].
    #[arg(
        long,
        global = true,
        env = "DEBRIEF_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Configuration file [default: DATA_DIR/debrief.toml when it exists].
    #[arg(long, global = true, env = "DEBRIEF_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Who is acting, as recorded in the journal [default: the login name].
    #[arg(long, global = true, env = "DEBRIEF_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,
    /// Log filter, e.g. `info` or `debrief_store=debug` (also RUST_LOG).
    #[arg(long, global = true, env = "DEBRIEF_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// The installation's time zone, an IANA name such as `Europe/Paris` [default: UTC]: times
    /// are shown in it, and times typed without an offset are read in it.
    #[arg(long, global = true, env = "DEBRIEF_TIMEZONE", value_name = "ZONE")]
    pub timezone: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Declare, list, show and work incidents.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Triage an incident: classification, severity, markings, tags, scope, people.
    #[command(subcommand)]
    Triage(TriageCommand),
    /// Show an incident's postmortem: response effectiveness, blameless check, recommendations,
    /// and the review's questions the record cannot answer yet.
    Postmortem {
        /// The incident (number, #number or UUID).
        incident: String,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        format: TextFormat,
        /// Only the readiness check: what the record cannot answer yet and what to fill in;
        /// exits with 1 while an item required before approval is open.
        #[arg(long)]
        ready: bool,
    },
    /// Fix what the review's checks say: rewrite a root cause or a recommendation, state the
    /// facts the regulators ask.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// The recommendations board across incidents (overdue and due soon first).
    Recommendations {
        /// Which recommendations to list, by their due state.
        #[arg(long, value_enum, default_value_t = BoardState::Open)]
        state: BoardState,
        /// Only this owner's.
        #[arg(long)]
        owner: Option<String>,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The playbooks (latest versions).
    Playbooks,
    /// Program metrics over a period: incidents handled, MTTD/MTTA/MTTC/MTTR and dwell time
    /// (mean, median, p90), labour, costs, notification compliance, recommendations, recurrence.
    Metrics {
        /// Incidents opened on or after this date (2026-01-01) or time.
        #[arg(long)]
        from: Option<String>,
        /// Incidents opened before this date or time.
        #[arg(long)]
        to: Option<String>,
        /// Only this ENISA class.
        #[arg(long)]
        class: Option<String>,
        /// Only this severity level (0–5).
        #[arg(long)]
        severity: Option<u8>,
        /// Only incidents with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// A business unit in the incidents' scope.
        #[arg(long)]
        team: Option<String>,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// Observables and indicators of compromise.
    #[command(subcommand)]
    Observable(ObservableCommand),
    /// The attack timeline.
    #[command(subcommand)]
    Timeline(TimelineCommand),
    /// Affected assets, response actions, tasks, notes and interviews, time entries.
    #[command(subcommand)]
    Work(WorkCommand),
    /// Evidence files and their chain of custody.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Evaluate Sigma rules over Windows EVTX and JSON-lines logs (files or folders).
    Hunt {
        /// Log files or folders (searched recursively for .evtx, .json, .jsonl, .ndjson, .gz).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Folders of Sigma rules (searched recursively for .yml).
        #[arg(long = "rules", required = true)]
        rules: Vec<PathBuf>,
        /// A logsource mapping file (channel → service/category) instead of the built-in one.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Only rules of this level or above.
        #[arg(long)]
        level: Option<String>,
        /// Only rules with these statuses (repeat or comma-separate).
        #[arg(long, value_delimiter = ',')]
        status: Vec<String>,
        /// Only rules with one of these tags, e.g. attack.t1059.001.
        #[arg(long, value_delimiter = ',')]
        tag: Vec<String>,
        /// Only events at or after this time (RFC 3339, e.g. 2026-11-20T00:00:00Z).
        #[arg(long)]
        from: Option<String>,
        /// Only events at or before this time.
        #[arg(long)]
        to: Option<String>,
        /// How to print the hits.
        #[arg(long, value_enum, default_value_t = HitFormat::Table)]
        format: HitFormat,
        /// Write hits here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also send the hits as alerts to this Debrief server (e.g. http://127.0.0.1:8080);
        /// the token comes from DEBRIEF_TOKEN. Hunting the same logs again counts repeats.
        #[arg(long, value_name = "URL")]
        send_to: Option<String>,
    },
    /// Full-text search over incidents, timelines, observables, tags and classes.
    Search {
        /// Words to find (all must match).
        query: Vec<String>,
        /// How many hits at most.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Back the installation up into one file, while it runs: the database read in one
    /// consistent snapshot, the installation key and the evidence files (`debrief backup -o
    /// debrief-2026-12-07.zip`). The file holds the signing key: keep it like the key file.
    Backup {
        /// The backup file to write (it must not exist yet).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Encrypt every entry (AES-256, the ZIP's WinZip AE-2 encryption, which 7-Zip also
        /// opens) with the passphrase in DEBRIEF_BACKUP_PASSPHRASE (at least 12 characters; an
        /// environment variable, so that it shows in no process list or shell history).
        #[arg(long)]
        encrypt: bool,
    },
    /// Restore a backup into an empty data directory or database, of either backend (SQLite to
    /// PostgreSQL moves an installation), then verify the chains. Exits 1 if they do not hold.
    /// An encrypted backup is read with the passphrase in DEBRIEF_BACKUP_PASSPHRASE.
    Restore {
        /// The backup file (`debrief backup -o FILE`).
        file: PathBuf,
    },
    /// Check the hash chains: every incident's, the ledger across incidents, and its signed head.
    /// Exits 1 if anything does not hold.
    Verify {
        /// Only this incident (number, #number or UUID).
        incident: Option<String>,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Render an incident's report, sealed with the installation's key (`debrief report 42
    /// --kind final --format html --lang fr -o report.html`), the program report over a period
    /// (`debrief report program --from 2026-01-01 --to 2026-07-01`), or check one (`debrief
    /// report verify report.html`).
    #[command(args_conflicts_with_subcommands = true)]
    Report {
        #[command(subcommand)]
        command: Option<ReportCommand>,
        /// The incident (number, #number or UUID).
        incident: Option<String>,
        /// `final`, `postmortem`, or a regulator draft: gdpr-33, nis2-early-warning,
        /// nis2-notification, nis2-final, dora-initial, dora-intermediate, dora-final, sec-8k.
        #[arg(long, default_value = "final", value_parser = choice::<debrief_report::ReportKind>())]
        kind: debrief_report::ReportKind,
        /// `md`, `html`, `json`, `pdf` or `docx` (Word).
        #[arg(long, default_value = "md", value_parser = choice::<debrief_report::ReportFormat>())]
        format: debrief_report::ReportFormat,
        /// The report's language.
        #[arg(long, default_value = "en", value_parser = choice::<Language>())]
        lang: Language,
        /// Write to this file (standard output otherwise).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// For `debrief report program`: incidents opened on or after this date.
        #[arg(long)]
        from: Option<String>,
        /// For `debrief report program`: incidents opened before this date.
        #[arg(long)]
        to: Option<String>,
    },
    /// Export an incident in an exchange format: `stix` (a STIX 2.1 bundle), `veris` (a VERIS
    /// 1.4 record), `misp` (a MISP event) or `csv` (its attack timeline, or `--table`).
    /// Recorded in the access log.
    Export {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The exchange format.
        #[arg(long, default_value = "stix", value_parser = choice::<debrief_report::ExchangeFormat>())]
        format: debrief_report::ExchangeFormat,
        /// With `--format csv`: timeline, observables, recommendations or incidents.
        #[arg(long)]
        table: Option<String>,
        /// Write to this file (standard output otherwise).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Who took reports, exports and evidence files out, when and from where: the access log of
    /// one incident, or of all, newest first.
    AccessLog {
        /// The incident (all when absent).
        incident: Option<String>,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
        /// How many of the latest reads.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Incidents, timeline, observables and recommendations as CSV; incidents imported from a
    /// spreadsheet.
    #[command(subcommand)]
    Csv(CsvCommand),
    /// Create or upgrade the database schema (also done at every start).
    Migrate,
    /// Run the web UI and the JSON API.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080, or `listen` in the configuration file].
        #[arg(long, env = "DEBRIEF_LISTEN")]
        listen: Option<String>,
        /// Send cookies without the `Secure` flag, for plain HTTP on an address other than localhost.
        /// Never use this on a network you do not trust; put Debrief behind HTTPS instead.
        #[arg(long)]
        insecure_cookies: bool,
        /// The largest evidence file accepted, in MiB.
        #[arg(long, default_value_t = 1024, env = "DEBRIEF_EVIDENCE_MAX_MB")]
        evidence_max_mb: u64,
        /// Folders of Sigma rules that `POST /api/v1/events` and --watch evaluate against.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        /// Only rules of this level or above (informational, low, medium, high, critical).
        #[arg(long)]
        rule_level: Option<String>,
        /// A folder of log files (.evtx, .json, .jsonl) to evaluate as they arrive or grow;
        /// matches become alerts. Needs --rules.
        #[arg(long, requires = "rules")]
        watch: Option<PathBuf>,
        /// Seconds between two looks at the watched folder.
        #[arg(long, default_value_t = 5)]
        watch_interval: u64,
        /// Take reports by e-mail: an SMTP listener on this address (e.g. 127.0.0.1:2525) for
        /// the reporting mailbox; each message becomes an alert.
        #[arg(long, env = "DEBRIEF_MAIL_LISTEN")]
        mail_listen: Option<String>,
        /// Accept mail only for this address (the reporting mailbox); any recipient otherwise.
        #[arg(long, env = "DEBRIEF_MAIL_TO")]
        mail_to: Option<String>,
        /// The SMTP relay (host:port) that acknowledgements to reporters go through.
        #[arg(long, env = "DEBRIEF_SMTP_RELAY")]
        smtp_relay: Option<String>,
        /// The sender address of acknowledgements.
        #[arg(long, env = "DEBRIEF_MAIL_FROM", default_value = "security@localhost")]
        mail_from: String,
        /// The largest reported message accepted by the mail listener, in MiB (a larger one is
        /// refused with 552).
        #[arg(long, default_value_t = 25, env = "DEBRIEF_MAIL_MAX_MB")]
        mail_max_mb: u64,
        /// Seconds a mail client may take to send a line before the listener closes the
        /// connection (RFC 5321 asks for at least 300).
        #[arg(long, default_value_t = 300, env = "DEBRIEF_MAIL_IDLE_SECONDS")]
        mail_idle_seconds: u64,
        /// Seconds to wait before each retry of a failed notification (comma-separated; their
        /// number is the number of retries).
        #[arg(
            long,
            env = "DEBRIEF_NOTIFY_RETRY",
            default_value = "60,300,1800,7200,21600",
            value_delimiter = ','
        )]
        notify_retry: Vec<u64>,
        /// The OWASP SAMM model folder (`model/` of owaspsamm/core) for the maturity page
        /// [default: DATA_DIR/samm/model when it exists].
        #[arg(long, env = "DEBRIEF_SAMM")]
        samm: Option<PathBuf>,
        /// A reverse proxy in front of Debrief (address or network, repeatable or
        /// comma-separated): only requests from these have their `X-Forwarded-For` (the client's
        /// address, for the sign-in limits and logs) and `X-Forwarded-Proto: https` (HSTS)
        /// believed [default: `trusted_proxies` in the configuration file, else none].
        #[arg(long, env = "DEBRIEF_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxy: Vec<String>,
    },
    /// Print the API's OpenAPI document (the same as GET /api/v1/openapi.json).
    Openapi,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens (for scripts and integrations; sent as `Authorization: Bearer …`).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Groups of accounts, that access to restricted incidents can be given to.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Need-to-know: restrict an incident to its team, open it again, give or take access.
    #[command(subcommand)]
    Access(AccessCommand),
}

#[derive(Debug, Subcommand)]
pub enum CsvCommand {
    /// Write one table of every incident: incidents, timeline, observables or recommendations.
    Export {
        /// incidents, timeline, observables or recommendations.
        table: String,
        /// Write to this file (standard output otherwise).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Declare incidents from a spreadsheet (columns: title, summary, reporter, source, class,
    /// type, tlp, tags separated by `;`, started_at, detected_at, acknowledged_at, contained_at,
    /// recovered_at). Every row is checked first; nothing is written if any is wrong.
    Import {
        /// The spreadsheet (CSV) to import.
        file: PathBuf,
        /// Check every row and report every error; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Check a report: its seal (signature by this installation, body unchanged) and that the
    /// incident's journal still has the entry it was rendered from. Exits 1 if not.
    Verify {
        /// The report file to check.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints a generated password unless --password-stdin is given.
    Add {
        /// The user name (lower-case letters, digits and `. _ - @`).
        username: String,
        /// admin, manager, handler or viewer.
        #[arg(value_parser = choice::<Role>(), long)]
        role: Role,
        /// The name shown on pages and reports.
        #[arg(long, default_value = "")]
        display_name: String,
        /// en or fr (default: follow the browser).
        #[arg(value_parser = choice::<Language>(), long)]
        language: Option<Language>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List {
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Disable an account: it can no longer sign in, its sessions and tokens stop working.
    Disable {
        /// The user name (lower-case letters, digits and `. _ - @`).
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The user name (lower-case letters, digits and `. _ - @`).
        username: String,
    },
    /// Set a new password (generated and printed, or read with --password-stdin); ends sessions.
    Passwd {
        /// The user name (lower-case letters, digits and `. _ - @`).
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    SetRole {
        /// The user name (lower-case letters, digits and `. _ - @`).
        username: String,
        /// admin, manager, handler or viewer.
        #[arg(value_parser = choice::<Role>())]
        role: Role,
    },
    /// Show an account's second factors (never their secrets) and unused recovery codes.
    Factors {
        /// The user name.
        username: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Reset a lost second factor: removes the account's factors and recovery codes and ends its
    /// sessions; recorded with the reason in the access log. They add a new one at sign-in.
    ResetSecondFactor {
        /// The user name.
        username: String,
        /// Why (recorded), e.g. "phone lost, identity checked by call".
        #[arg(long)]
        reason: String,
    },
    /// Require (on) or stop requiring (off) a second factor of every password sign-in.
    RequireSecondFactor {
        /// Whether a second factor is required.
        #[arg(value_enum)]
        state: OnOff,
        /// Why (recorded in the access log).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user; it is printed once and only its hash is kept.
    Create {
        /// Whose token it is (a user name).
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. `siem-forwarder`.
        #[arg(long)]
        name: String,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The token's id (as `debrief token list` shows it).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Add {
        /// Its name: 1–64 characters of a–z 0–9 . _ - @, e.g. `hr-investigations`.
        name: String,
        /// What the group is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the groups and their members.
    List {
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Put an account in a group.
    AddMember {
        /// The group.
        group: String,
        /// The account's user name.
        user: String,
    },
    /// Take an account out of a group.
    RemoveMember {
        /// The group.
        group: String,
        /// The account's user name.
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Restrict an incident to its team: who declared it, its lead, its members and the people
    /// and groups given access.
    Restrict {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Why, as recorded in the journal (required).
        #[arg(long)]
        reason: String,
    },
    /// Open a restricted incident to every account again.
    Open {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Why, as recorded in the journal (required).
        #[arg(long)]
        reason: String,
    },
    /// Give a person or a group access to an incident.
    Grant {
        /// The incident (number, #number or UUID).
        incident: String,
        /// `user:NAME`, `group:NAME`, or a user name.
        to: String,
        /// Why, as recorded in the journal.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Take access away from a person or a group given it.
    Revoke {
        /// The incident (number, #number or UUID).
        incident: String,
        /// `user:NAME` or `group:NAME`.
        to: String,
        /// Why, as recorded in the journal.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Declare a new incident.
    New {
        /// The title.
        #[arg(long)]
        title: String,
        /// What is known so far.
        #[arg(long, default_value = "")]
        summary: String,
        /// Who reported it.
        #[arg(long, default_value = "")]
        reporter: String,
        /// What detected it: an alert source, a person, a partner…
        #[arg(long = "source", default_value = "")]
        detection_source: String,
        /// When it was first detected, if before now: a local time in the installation's zone
        /// (`2026-11-23T09:12`) or RFC 3339.
        #[arg(long)]
        detected_at: Option<String>,
        /// Only its team may see it (need-to-know): who declares it, its lead, its members and
        /// the people and groups given access.
        #[arg(long)]
        restricted: bool,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List incidents, newest first.
    List {
        /// Only these statuses (repeat or comma-separate).
        #[arg(value_parser = choice::<Status>(), long, value_delimiter = ',')]
        status: Vec<Status>,
        /// Only titles containing this text.
        #[arg(long)]
        search: Option<String>,
        /// How many to show (1–500).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only incidents numbered below this (to page on).
        #[arg(long)]
        before: Option<i64>,
        /// Only incidents assessed at this severity level (0–5) or above.
        #[arg(long, value_parser = clap::value_parser!(u8).range(0..=5))]
        severity: Option<u8>,
        /// Only this taxonomy class, e.g. `fraud`.
        #[arg(long)]
        class: Option<String>,
        /// Only incidents assigned to this user.
        #[arg(long)]
        assignee: Option<String>,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show one incident: fields, key timestamps and its journal.
    Show {
        /// The incident (number, #number or UUID).
        incident: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Move an incident along its lifecycle (new → triage → investigating → contained →
    /// eradicated → recovered → closed; closing early, going back and reopening need --reason).
    Transition {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The status to move to.
        #[arg(value_parser = choice::<Status>())]
        status: Status,
        /// Why, as recorded in the journal.
        #[arg(long, default_value = "")]
        reason: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Edit descriptive fields.
    Edit {
        /// The incident (number, #number or UUID).
        incident: String,
        /// A new title.
        #[arg(long)]
        title: Option<String>,
        /// A new summary.
        #[arg(long)]
        summary: Option<String>,
        /// Who reported it.
        #[arg(long)]
        reporter: Option<String>,
        /// What detected it.
        #[arg(long = "source")]
        detection_source: Option<String>,
        /// Why, as recorded in the journal.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// State a key timestamp from evidence (started_at, detected_at, acknowledged_at, declared_at,
    /// aware_at, contained_at, eradicated_at, recovered_at, closed_at).
    SetTime {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Which timestamp, e.g. `started_at` or `started`.
        milestone: String,
        /// The time: a local time in the installation's zone (`2026-11-28T02:14`) or RFC 3339.
        at: String,
        /// What establishes it: a log, a forensic report, an interview…
        #[arg(long)]
        source: String,
        /// Why, as recorded in the journal.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Print an incident's journal.
    Journal {
        /// The incident (number, #number or UUID).
        incident: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write an incident and its journal as JSON that anyone can re-verify (docs/journal.md).
    Export {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command and every option says what it is for in `--help`.
    #[test]
    fn every_command_and_option_has_a_help_line() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let here = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && !path.is_empty() {
                missing.push(format!("{here}: the command"));
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{here}: {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &here, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "{} without a help line:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
}

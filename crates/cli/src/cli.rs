//! The command line, as clap parses it. Raw arguments only: `main` turns them into settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Declare, list, show and work incidents.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Triage an incident: classification, severity, markings, tags, scope, people.
    #[command(subcommand)]
    Triage(TriageCommand),
    /// Show an incident's postmortem: response effectiveness, blameless check, recommendations.
    Postmortem {
        incident: String,
        /// `text` or `json`.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The recommendations board across incidents (overdue and due soon first).
    Recommendations {
        /// open, overdue, due-soon or all.
        #[arg(long, default_value = "open")]
        state: String,
        /// Only this owner's.
        #[arg(long)]
        owner: Option<String>,
        /// `table` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
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
        #[arg(long)]
        tag: Option<String>,
        /// A business unit in the incidents' scope.
        #[arg(long)]
        team: Option<String>,
        /// `table`, `json` or `csv`.
        #[arg(long, default_value = "table")]
        format: String,
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
        /// table, jsonl or csv.
        #[arg(long, default_value = "table")]
        format: String,
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
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Check the hash chains: every incident's, the ledger across incidents, and its signed head.
    /// Exits 1 if anything does not hold.
    Verify {
        /// Only this incident (number, #number or UUID).
        incident: Option<String>,
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
        #[arg(long, default_value = "final")]
        kind: String,
        /// `md`, `html` or `json`.
        #[arg(long, default_value = "md")]
        format: String,
        /// `en` or `fr`.
        #[arg(long, default_value = "en")]
        lang: String,
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
        incident: String,
        #[arg(long, default_value = "stix")]
        format: String,
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
        /// `table`, `csv` or `json`.
        #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
        format: String,
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
}

#[derive(Debug, Subcommand)]
pub enum CsvCommand {
    /// Write one table of every incident: incidents, timeline, observables or recommendations.
    Export {
        table: String,
        /// Write to this file (standard output otherwise).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Declare incidents from a spreadsheet (columns: title, summary, reporter, source, class,
    /// type, tlp, tags separated by `;`, started_at, detected_at, acknowledged_at, contained_at,
    /// recovered_at). Every row is checked first; nothing is written if any is wrong.
    Import {
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
    Verify { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints a generated password unless --password-stdin is given.
    Add {
        username: String,
        /// admin, manager, handler or viewer.
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// en or fr (default: follow the browser).
        #[arg(long)]
        language: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Disable an account: it can no longer sign in, its sessions and tokens stop working.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Set a new password (generated and printed, or read with --password-stdin); ends sessions.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    SetRole { username: String, role: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user; it is printed once and only its hash is kept.
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. `siem-forwarder`.
        #[arg(long)]
        name: String,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Declare a new incident.
    New {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        summary: String,
        /// Who reported it.
        #[arg(long, default_value = "")]
        reporter: String,
        /// What detected it: an alert source, a person, a partner…
        #[arg(long = "source", default_value = "")]
        detection_source: String,
        /// When it was first detected, if before now (RFC 3339, e.g. 2026-11-23T09:12:00Z).
        #[arg(long)]
        detected_at: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List incidents, newest first.
    List {
        /// Only these statuses (repeat or comma-separate).
        #[arg(long, value_delimiter = ',')]
        status: Vec<String>,
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
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show one incident: fields, key timestamps and its journal.
    Show {
        incident: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Move an incident along its lifecycle (new → triage → investigating → contained →
    /// eradicated → recovered → closed; closing early, going back and reopening need --reason).
    Transition {
        incident: String,
        /// The status to move to.
        status: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Edit descriptive fields.
    Edit {
        incident: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        #[arg(long)]
        reporter: Option<String>,
        #[arg(long = "source")]
        detection_source: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// State a key timestamp from evidence (started_at, detected_at, acknowledged_at, declared_at,
    /// aware_at, contained_at, eradicated_at, recovered_at, closed_at).
    SetTime {
        incident: String,
        /// Which timestamp, e.g. `started_at` or `started`.
        milestone: String,
        /// The time, RFC 3339 with an offset.
        at: String,
        /// What establishes it: a log, a forensic report, an interview…
        #[arg(long)]
        source: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Print an incident's journal.
    Journal {
        incident: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write an incident and its journal as JSON that anyone can re-verify (docs/journal.md).
    Export {
        incident: String,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// How to print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum TriageCommand {
    /// Classify by the ENISA reference taxonomy (`debrief triage taxonomy` lists it).
    Classify {
        incident: String,
        class: String,
        #[arg(value_name = "TYPE")]
        kind: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Assess severity (NIST 800-61 impact categories → level 0–5, with the reasons).
    Assess {
        incident: String,
        /// none, low, medium, high.
        #[arg(long)]
        functional: String,
        /// none, privacy-breach, proprietary-breach, integrity-loss.
        #[arg(long)]
        information: String,
        /// regular, supplemented, extended, not-recoverable.
        #[arg(long)]
        recoverability: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Set TLP 2.0 and/or PAP.
    Mark {
        incident: String,
        #[arg(long)]
        tlp: Option<String>,
        #[arg(long)]
        pap: Option<String>,
    },
    /// Add or remove tags.
    Tag {
        incident: String,
        #[arg(long)]
        add: Vec<String>,
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Replace the scope.
    Scope {
        incident: String,
        #[arg(long = "business-unit")]
        business_units: Vec<String>,
        #[arg(long = "site")]
        sites: Vec<String>,
        #[arg(long = "system")]
        systems: Vec<String>,
    },
    /// Put a person on the incident in an incident role (lead, handler, communications, legal, scribe).
    Member {
        incident: String,
        user: String,
        role: String,
        /// Take them off that role instead.
        #[arg(long)]
        remove: bool,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Print the reference taxonomy.
    Taxonomy,
}

#[derive(Debug, Subcommand)]
pub enum ObservableCommand {
    /// Add one observable (defanged values are accepted).
    Add {
        incident: String,
        kind: String,
        value: String,
        #[arg(long)]
        ioc: bool,
        #[arg(long)]
        sighted: bool,
        #[arg(long)]
        tlp: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Extract observables from text (a file, or standard input) and add the new ones.
    Paste {
        incident: String,
        /// Read this file instead of standard input.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        ioc: bool,
    },
    /// List an incident's observables, with the other incidents where each appears.
    List {
        incident: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Every incident where a value was recorded.
    Lookup {
        value: String,
        /// Normalise the value as this type first (e.g. `domain`).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum TimelineCommand {
    /// Add an entry.
    Add {
        incident: String,
        /// When it happened (RFC 3339 with offset).
        #[arg(long)]
        at: String,
        #[arg(long)]
        description: String,
        /// exact, minute, hour, day, approximate.
        #[arg(long, default_value = "minute")]
        precision: String,
        /// log, evidence, interview, report, other.
        #[arg(long, default_value = "log")]
        source: String,
        /// ATT&CK technique, T1234 or T1234.001.
        #[arg(long)]
        technique: Option<String>,
        /// ATT&CK tactic, e.g. initial-access or TA0001.
        #[arg(long)]
        tactic: Option<String>,
        /// Ids of the incident's observables involved.
        #[arg(long = "observable")]
        observables: Vec<u64>,
        /// Ids of the incident's affected assets involved.
        #[arg(long = "asset")]
        assets: Vec<u64>,
    },
    /// Withdraw an entry (it stays in the journal).
    Withdraw {
        incident: String,
        id: u64,
        #[arg(long)]
        reason: String,
    },
    /// Print the timeline in order of occurrence.
    List {
        incident: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Store a file as evidence (hashed while copied into DATA_DIR/evidence).
    Add {
        incident: String,
        file: PathBuf,
        /// Who collected it [default: the acting user].
        #[arg(long)]
        collected_by: Option<String>,
        /// Where it was collected (host, mailbox, device…).
        #[arg(long, default_value = "")]
        from: String,
        /// When it was collected (RFC 3339) [default: now].
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List evidence with hashes and custody.
    List {
        incident: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write an evidence file out, after checking it still matches its SHA-256.
    Get {
        incident: String,
        id: u64,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Record a link of the chain of custody (transferred, stored, examined, returned, destroyed).
    Custody {
        incident: String,
        id: u64,
        action: String,
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long, default_value = "")]
        to: String,
        #[arg(long, default_value = "")]
        location: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkCommand {
    /// Record an affected asset.
    Asset {
        incident: String,
        /// host, account, application, data-store.
        kind: String,
        name: String,
        #[arg(long, default_value = "medium")]
        criticality: String,
        /// unknown, suspected, confirmed, cleared.
        #[arg(long, default_value = "unknown")]
        compromise: String,
    },
    /// Record a response action (containment, eradication, recovery, communication, analysis).
    Action {
        incident: String,
        kind: String,
        description: String,
        /// Who did it [default: the acting user].
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value = "")]
        outcome: String,
    },
    /// Add a task.
    Task {
        incident: String,
        title: String,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        due: Option<String>,
    },
    /// Change a task's status (open, in-progress, done, cancelled).
    TaskStatus {
        incident: String,
        id: u64,
        status: String,
    },
    /// Add a note; with --interviewee, an interview note.
    Note {
        incident: String,
        text: String,
        #[arg(long)]
        interviewee: Option<String>,
    },
    /// Log time spent (whole minutes).
    Time {
        incident: String,
        minutes: u32,
        #[arg(long, default_value = "")]
        activity: String,
        #[arg(long)]
        user: Option<String>,
    },
    /// Print assets, actions, tasks, notes and time.
    List {
        incident: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

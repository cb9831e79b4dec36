//! The command line of the incident record, as clap parses it: triage, observables, the
//! timeline, evidence and the work on an incident.

use std::path::PathBuf;

use clap::Subcommand;
use debrief_domain::evidence::CustodyAction;
use debrief_domain::observable::ObservableKind;
use debrief_domain::postmortem::CauseCategory;
use debrief_domain::timeline::{Precision, TimelineSource};
use debrief_domain::triage::{
    FunctionalImpact, IncidentRole, InformationImpact, Pap, Recoverability, Tlp,
};
use debrief_domain::work::{ActionKind, AssetKind, Compromise, Criticality, TaskStatus};

use super::{Format, choice};

#[derive(Debug, Subcommand)]
pub enum TriageCommand {
    /// Classify by the ENISA reference taxonomy (`debrief triage taxonomy` lists it).
    Classify {
        /// The incident (number, #number or UUID).
        incident: String,
        /// A class of the ENISA reference taxonomy, e.g. `fraud` (`debrief` lists them in the taxonomy).
        #[arg(required_unless_present = "subtype")]
        class: Option<String>,
        /// A type of that class, e.g. `phishing`.
        #[arg(value_name = "TYPE", required_unless_present = "subtype")]
        kind: Option<String>,
        /// A sub-type the taxonomy does not name — ransomware, bec (business e-mail compromise),
        /// insider: classifies by its class and type (unless given) and tags the incident.
        #[arg(long)]
        subtype: Option<String>,
        /// Why, as recorded in the journal.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Assess severity (NIST 800-61 impact categories → level 0–5, with the reasons).
    Assess {
        /// The incident (number, #number or UUID).
        incident: String,
        /// none, low, medium, high.
        #[arg(value_parser = choice::<FunctionalImpact>(), long)]
        functional: FunctionalImpact,
        /// none, privacy-breach, proprietary-breach, integrity-loss.
        #[arg(value_parser = choice::<InformationImpact>(), long)]
        information: InformationImpact,
        /// regular, supplemented, extended, not-recoverable.
        #[arg(value_parser = choice::<Recoverability>(), long)]
        recoverability: Recoverability,
        /// Why, as recorded in the journal.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Set TLP 2.0 and/or PAP.
    Mark {
        /// The incident (number, #number or UUID).
        incident: String,
        /// TLP marking: red, amber+strict, amber, green or clear.
        #[arg(value_parser = choice::<Tlp>(), long)]
        tlp: Option<Tlp>,
        /// PAP marking: red, amber, green or clear.
        #[arg(value_parser = choice::<Pap>(), long)]
        pap: Option<Pap>,
    },
    /// Add or remove tags.
    Tag {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Tags to add (repeat or comma-separate).
        #[arg(long, value_delimiter = ',')]
        add: Vec<String>,
        /// Tags to remove (repeat or comma-separate).
        #[arg(long, value_delimiter = ',')]
        remove: Vec<String>,
    },
    /// Replace the scope.
    Scope {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Business units affected (repeat the option for several).
        #[arg(long = "business-unit")]
        business_units: Vec<String>,
        /// Sites affected (repeat the option for several).
        #[arg(long = "site")]
        sites: Vec<String>,
        /// Systems affected (repeat the option for several).
        #[arg(long = "system")]
        systems: Vec<String>,
    },
    /// Put a person on the incident in an incident role (lead, handler, communications, legal, scribe).
    Member {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The user (their user name).
        user: String,
        /// lead, handler, communications, legal or scribe.
        #[arg(value_parser = choice::<IncidentRole>())]
        role: IncidentRole,
        /// Take them off that role instead.
        #[arg(long)]
        remove: bool,
        /// Why, as recorded in the journal.
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
        /// The incident (number, #number or UUID).
        incident: String,
        /// The observable type: ipv4, ipv6, domain, hostname, url, email, md5, sha1, sha256, filepath, user-account…
        #[arg(value_parser = choice::<ObservableKind>())]
        kind: ObservableKind,
        /// The value; defanged forms such as hxxp://evil[.]com are accepted.
        value: String,
        /// Mark it as an indicator of compromise.
        #[arg(long)]
        ioc: bool,
        /// It was seen in this incident (not only reported).
        #[arg(long)]
        sighted: bool,
        /// TLP marking: red, amber+strict, amber, green or clear.
        #[arg(value_parser = choice::<Tlp>(), long)]
        tlp: Option<Tlp>,
        /// A description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Extract observables from text (a file, or standard input) and add the new ones.
    Paste {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Read this file instead of standard input.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Mark every observable found as an indicator of compromise.
        #[arg(long)]
        ioc: bool,
    },
    /// List an incident's observables, with the other incidents where each appears.
    List {
        /// The incident (number, #number or UUID).
        incident: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Every incident where a value was recorded.
    Lookup {
        /// The value to look up across incidents.
        value: String,
        /// Normalise the value as this type first (e.g. `domain`).
        #[arg(long)]
        kind: Option<String>,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum TimelineCommand {
    /// Add an entry.
    Add {
        /// The incident (number, #number or UUID).
        incident: String,
        /// When it happened: a local time in the installation's zone or RFC 3339 with an offset.
        #[arg(long)]
        at: String,
        /// What happened.
        #[arg(long)]
        description: String,
        /// exact, minute, hour, day, approximate.
        #[arg(value_parser = choice::<Precision>(), long, default_value = "minute")]
        precision: Precision,
        /// log, evidence, interview, report, other.
        #[arg(value_parser = choice::<TimelineSource>(), long, default_value = "log")]
        source: TimelineSource,
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
        /// The incident (number, #number or UUID).
        incident: String,
        /// The timeline entry's id.
        id: u64,
        /// Why, as recorded in the journal.
        #[arg(long)]
        reason: String,
    },
    /// Print the timeline in order of occurrence.
    List {
        /// The incident (number, #number or UUID).
        incident: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Store a file as evidence (hashed while copied into DATA_DIR/evidence).
    Add {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The evidence file (hashed as it is stored).
        file: PathBuf,
        /// Who collected it [default: the acting user].
        #[arg(long)]
        collected_by: Option<String>,
        /// Where it was collected (host, mailbox, device…).
        #[arg(long, default_value = "")]
        from: String,
        /// When it was collected: a local time in the installation's zone or RFC 3339 [default: now].
        #[arg(long)]
        at: Option<String>,
        /// What the file is.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List evidence with hashes and custody.
    List {
        /// The incident (number, #number or UUID).
        incident: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write an evidence file out, after checking it still matches its SHA-256.
    Get {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The evidence item's id.
        id: u64,
        /// Where to write the file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Record a link of the chain of custody (transferred, stored, examined, returned, destroyed).
    Custody {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The evidence item's id.
        id: u64,
        /// collected, transferred, stored, examined, returned or destroyed.
        #[arg(value_parser = choice::<CustodyAction>())]
        action: CustodyAction,
        /// Who held it before.
        #[arg(long, default_value = "")]
        from: String,
        /// Who holds it after.
        #[arg(long, default_value = "")]
        to: String,
        /// Where it is kept.
        #[arg(long, default_value = "")]
        location: String,
        /// A note on this link of the chain.
        #[arg(long, default_value = "")]
        note: String,
        /// When it happened: a local time in the installation's zone (`2026-11-28T03:05`) or
        /// RFC 3339 with an offset [default: now].
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkCommand {
    /// Record an affected asset.
    Asset {
        /// The incident (number, #number or UUID).
        incident: String,
        /// host, account, application, data-store.
        #[arg(value_parser = choice::<AssetKind>())]
        kind: AssetKind,
        /// The asset: a host name, an account, an application, a data store.
        name: String,
        /// low, medium, high or critical.
        #[arg(value_parser = choice::<Criticality>(), long, default_value = "medium")]
        criticality: Criticality,
        /// unknown, suspected, confirmed, cleared.
        #[arg(value_parser = choice::<Compromise>(), long, default_value = "unknown")]
        compromise: Compromise,
    },
    /// Record a response action (containment, eradication, recovery, communication, analysis).
    Action {
        /// The incident (number, #number or UUID).
        incident: String,
        /// What kind of action it was.
        #[arg(value_parser = choice::<ActionKind>())]
        kind: ActionKind,
        /// What was done.
        description: String,
        /// Who did it [default: the acting user].
        #[arg(long)]
        by: Option<String>,
        /// When: a local time in the installation's zone (`2026-11-23T09:12`) or RFC 3339
        /// [default: now].
        #[arg(long)]
        at: Option<String>,
        /// What came of it.
        #[arg(long, default_value = "")]
        outcome: String,
    },
    /// Add a task.
    Task {
        /// The incident (number, #number or UUID).
        incident: String,
        /// What is to be done.
        title: String,
        /// Who owns it (a user name).
        #[arg(long)]
        owner: Option<String>,
        /// When it is due: a date (17:00 local that day), a local time or RFC 3339.
        #[arg(long)]
        due: Option<String>,
    },
    /// Change a task's status (open, in-progress, done, cancelled).
    TaskStatus {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The task's id.
        id: u64,
        /// open, in-progress, done or cancelled.
        #[arg(value_parser = choice::<TaskStatus>())]
        status: TaskStatus,
        /// When it happened: a local time in the installation's zone (`2026-11-28T03:05`) or
        /// RFC 3339 with an offset [default: now].
        #[arg(long)]
        at: Option<String>,
    },
    /// Add a note; with --interviewee, an interview note.
    Note {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The note (or what was said in the interview).
        text: String,
        /// Who was interviewed (makes the note an interview).
        #[arg(long)]
        interviewee: Option<String>,
        /// When it was said or seen: a local time in the installation's zone or RFC 3339
        /// [default: now].
        #[arg(long)]
        at: Option<String>,
    },
    /// Log time spent (whole minutes).
    Time {
        /// The incident (number, #number or UUID).
        incident: String,
        /// Whole minutes, 1–1440.
        minutes: u32,
        /// What the time was spent on.
        #[arg(long, default_value = "")]
        activity: String,
        /// Whose time it is [default: the acting user].
        #[arg(long)]
        user: Option<String>,
        /// The day worked: a date (`2026-11-28`), a local time or RFC 3339 [default: now].
        #[arg(long)]
        at: Option<String>,
    },
    /// Print assets, actions, tasks, notes and time.
    List {
        /// The incident (number, #number or UUID).
        incident: String,
        /// table (for people) or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Changes to the post-incident review that fix what its readiness or blameless check says.
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Rewrite a root cause while the postmortem is a draft or in review (its number stays);
    /// what is not given stays as it is.
    RootCause {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The root cause's number (`debrief postmortem N` lists them).
        id: u64,
        /// technology, process or people.
        #[arg(long, value_parser = choice::<CauseCategory>())]
        category: Option<CauseCategory>,
        /// The cause, described as conditions and decisions, not people's faults.
        #[arg(long)]
        text: Option<String>,
        /// The five whys, in order (repeat the option; replaces those recorded).
        #[arg(long = "why")]
        whys: Vec<String>,
        /// Whether it could have been prevented: yes or no.
        #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
        preventable: Option<bool>,
        /// How it could have been prevented.
        #[arg(long)]
        prevention: Option<String>,
    },
    /// Reword a recommendation, or give it another owner or due date, while it is open or in
    /// progress; what is not given stays as it is.
    Recommendation {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The recommendation's number.
        id: u64,
        /// The new wording.
        #[arg(long)]
        action: Option<String>,
        /// A user name, or a team named in words.
        #[arg(long, conflicts_with = "no_owner")]
        owner: Option<String>,
        /// Leave it without an owner.
        #[arg(long)]
        no_owner: bool,
        /// The due date: a date, a local time or RFC 3339 (the installation's time zone).
        #[arg(long)]
        due: Option<String>,
    },
    /// State what the regulators ask that only a person can know (shown as gaps in the drafts
    /// until given); what is not given stays as it is.
    Facts {
        /// The incident (number, #number or UUID).
        incident: String,
        /// The data protection officer or other contact point (name, address, telephone).
        #[arg(long)]
        contact: Option<String>,
        /// Whether unlawful or malicious acts are suspected: yes or no.
        #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
        malicious: Option<bool>,
        /// Whether it has or could have an effect in other countries: yes or no.
        #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
        cross_border: Option<bool>,
        /// Which countries, and how.
        #[arg(long)]
        cross_border_detail: Option<String>,
        /// The people concerned, one category each: `patients: 12000` (repeat the option;
        /// replaces those recorded).
        #[arg(long = "data-subjects")]
        data_subjects: Vec<String>,
        /// The likely consequences for those people.
        #[arg(long)]
        consequences: Option<String>,
        /// The measures taken or proposed for those people.
        #[arg(long)]
        measures_for_people: Option<String>,
    },
    /// Give your input before the review meeting: answer any of the review's questions; with
    /// `--anonymous` no page, report or postmortem view names you (the raw journal does).
    Input {
        /// The incident (number, #number or UUID).
        incident: String,
        /// What happened, as you saw it.
        #[arg(long)]
        what_happened: Option<String>,
        /// What went well.
        #[arg(long)]
        went_well: Option<String>,
        /// What went wrong.
        #[arg(long)]
        went_wrong: Option<String>,
        /// Where we got lucky.
        #[arg(long)]
        lucky: Option<String>,
        /// Whether the business answered promptly, and what to improve there.
        #[arg(long)]
        business: Option<String>,
        /// What to improve.
        #[arg(long)]
        improve: Option<String>,
        /// Do not name me to readers.
        #[arg(long)]
        anonymous: bool,
    },
    /// Record the review meeting as held (again to correct it): when, who attended, who was
    /// absent, what was decided.
    Held {
        /// The incident (number, #number or UUID).
        incident: String,
        /// When it was held: a local time or RFC 3339 (the installation's time zone).
        #[arg(long)]
        at: String,
        /// Someone who attended: a user name or a name in words (repeat the option).
        #[arg(long = "attendee", required = true)]
        attendees: Vec<String>,
        /// Someone invited who did not attend (repeat the option).
        #[arg(long)]
        absent: Vec<String>,
        /// A decision taken (repeat the option).
        #[arg(long = "decision")]
        decisions: Vec<String>,
    },
}

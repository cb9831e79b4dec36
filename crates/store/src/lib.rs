//! Persistence for Debrief: the `Store` trait, its SQLite and PostgreSQL backends, and the
//! verification of the hash-chained journal they hold.
//!
//! **Architecture invariant:** every state change is an append to the journal, made in the same
//! transaction as the projection update; nothing else writes incident state. Backends differ only
//! in SQL; the chain logic lives in `debrief-domain` and in [`common`].

pub mod access;
pub mod accounts;
pub mod alerts;
mod assessments;
pub mod backup;
pub mod blobs;
pub mod changes;
pub mod common;
pub mod error;
pub mod factors;
pub mod facts;
pub mod groups;
pub mod key;
pub mod lease;
pub mod playbooks;
pub mod postgres;
mod shared_evidence;
pub mod sql;
mod sql_accounts;
pub mod sqlite;
pub mod stakeholders;
#[cfg(feature = "testing")]
pub mod testing;
pub mod verify;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use debrief_domain::text::Actor;
use debrief_domain::{EntryDraft, Incident, IncidentId, JournalEntry, NewIncident};

pub use common::{
    Appended, IncidentQuery, ProjectionRow, RawEntry, Reference, SearchHit, Sighting, SignedHead,
    StoredProjection,
};
pub use error::{Result, StoreError};
pub use key::InstallationKey;

/// Which entries to read raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One incident's entries, by `seq`.
    Incident(IncidentId),
    /// Every entry, by `gseq`.
    All,
}

/// Everything Debrief persists, behind one interface that both backends implement and one
/// conformance suite (`tests/conformance.rs`) checks.
#[async_trait]
pub trait Store:
    AccountStore
    + FactorStore
    + GroupStore
    + AlertStore
    + PlaybookStore
    + StakeholderStore
    + AssessmentStore
    + AccessLogStore
    + Send
    + Sync
    + Debug
{
    /// Which backend this is: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Whether evidence files are kept in the database too, so that every instance of an
    /// installation reads them (PostgreSQL; SQLite's one instance keeps them in its directory).
    fn shares_evidence(&self) -> bool;

    /// Keeps the evidence file at `file`, named by its SHA-256, in the database (once).
    async fn put_evidence(&self, sha256: &str, file: &std::path::Path) -> Result<()>;

    /// The SHA-256 of every evidence file the database holds.
    async fn evidence_files(&self) -> Result<Vec<String>>;

    /// Writes the evidence file named by `sha256` from the database to `to`; `false` when the
    /// database does not hold it.
    async fn fetch_evidence(&self, sha256: &str, to: &std::path::Path) -> Result<bool>;

    /// Reads every table a backup holds in one consistent snapshot, row by row into `sink`,
    /// while the store stays in use (see [`backup`]).
    async fn backup(&self, sink: &mut backup::RowSink<'_>) -> Result<backup::Counts>;

    /// Writes a backup's rows into this store, which must be empty and at the backup's schema
    /// version `schema`, in one transaction: all or nothing.
    async fn restore(
        &self,
        source: &mut backup::RowSource<'_>,
        schema: i64,
    ) -> Result<backup::Counts>;

    /// Tries to take a background job for this instance: `None` while another instance of the
    /// installation holds it (see [`lease`]).
    async fn lead(&self, job: lease::Job) -> Result<Option<lease::Lease>>;

    /// Subscribes to the changes of the whole installation, every instance's (see
    /// [`changes`]): what the pages' live updates follow.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<changes::Change>;

    /// The incidents restricted to their team (usually few), whole, so that the application
    /// layer can tell whom each one is visible to.
    async fn restricted_incidents(&self) -> Result<Vec<Incident>>;

    /// Declares an incident: gives it a number and writes its `incident.opened` entry.
    async fn create_incident(&self, actor: &Actor, new: NewIncident) -> Result<Appended>;

    /// Appends entries to an incident whose last entry must be `expected_seq`; otherwise
    /// [`StoreError::Conflict`] and nothing is written.
    async fn append(
        &self,
        id: IncidentId,
        expected_seq: u64,
        drafts: Vec<EntryDraft>,
    ) -> Result<Appended>;

    /// The current state of an incident.
    async fn incident(&self, id: IncidentId) -> Result<Incident>;

    /// The incident a user means by `42`, `#42` or a UUID.
    async fn resolve(&self, reference: &str) -> Result<IncidentId>;

    /// Incidents matching `query`, highest number first.
    async fn list_incidents(&self, query: &IncidentQuery) -> Result<Vec<Incident>>;

    /// How many incidents match `query` from its cursor on (all pages when it has none; the
    /// page size ignored).
    async fn count_incidents(&self, query: &IncidentQuery) -> Result<u64>;

    /// The metrics facts of the incidents whose projection changed at or after `since` (all
    /// when `None`), each with that change's time.
    async fn facts_changed_since(
        &self,
        since: Option<debrief_domain::Timestamp>,
    ) -> Result<
        Vec<(
            debrief_domain::metrics::IncidentFacts,
            debrief_domain::Timestamp,
        )>,
    >;

    /// The metrics facts of the incidents opened in `[from, to)` (either end open).
    async fn facts(
        &self,
        from: Option<debrief_domain::Timestamp>,
        to: Option<debrief_domain::Timestamp>,
    ) -> Result<Vec<debrief_domain::metrics::IncidentFacts>>;

    /// An incident's journal, parsed.
    async fn journal(&self, id: IncidentId) -> Result<Vec<JournalEntry>> {
        let rows = self.raw_entries(Scope::Incident(id)).await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound(id.to_string()));
        }
        rows.iter()
            .map(|r| r.parse().map_err(StoreError::Corrupt))
            .collect()
    }

    /// Journal rows exactly as stored.
    async fn raw_entries(&self, scope: Scope) -> Result<Vec<RawEntry>>;

    /// Projection rows, search documents and observable index rows as stored, per incident
    /// (for `verify`, which compares them with a fresh fold of each journal).
    async fn stored_projections(&self, scope: Scope) -> Result<Vec<StoredProjection>>;

    /// Every incident id known to the journal or the projection.
    async fn incident_ids(&self) -> Result<Vec<IncidentId>>;

    /// The signed ledger head.
    async fn head(&self) -> Result<SignedHead>;

    /// Full-text search over titles, summaries, timelines, observables, tags and classes; every
    /// word must match (no stemming, case-insensitive). Most recently written matches first, so
    /// that a page costs the same however many documents match; `score` says how well each
    /// matches.
    async fn search(&self, text: &str, limit: u32) -> Result<Vec<common::SearchHit>>;

    /// Every incident where an observable with exactly this (normalised) value was recorded.
    async fn sightings(&self, value: &str, limit: u32) -> Result<Vec<common::Sighting>>;

    /// For each observable value of this incident that other incidents also recorded: the
    /// numbers of those incidents, newest first. One query for the whole incident.
    async fn shared_observables(
        &self,
        id: IncidentId,
    ) -> Result<std::collections::BTreeMap<String, Vec<i64>>>;
}

/// Accounts, API tokens and browser sessions. Secrets arrive already hashed.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a user; [`StoreError::Duplicate`] if the name is taken.
    async fn create_user(&self, new: accounts::NewUser) -> Result<accounts::User>;
    /// A user and their password hash, by name ([`StoreError::NoUser`] if none).
    async fn user_record(&self, username: &str) -> Result<accounts::UserRecord>;
    /// Every user, by name.
    async fn list_users(&self) -> Result<Vec<accounts::User>>;
    /// How many users exist.
    async fn count_users(&self) -> Result<u64>;
    /// Changes a user; disabling or a new password ends their sessions.
    async fn update_user(
        &self,
        username: &str,
        changes: accounts::UserChanges,
    ) -> Result<accounts::User>;
    /// Records a new API token (by its hash) for a user.
    async fn create_token(
        &self,
        username: &str,
        name: &str,
        token_hash: &str,
    ) -> Result<accounts::ApiToken>;
    /// The enabled user owning an unrevoked token with this hash.
    async fn token_user(&self, token_hash: &str) -> Result<Option<accounts::User>>;
    /// Every token's metadata.
    async fn list_tokens(&self) -> Result<Vec<accounts::ApiToken>>;
    /// Revokes a token by id ([`StoreError::NoToken`] if unknown or already revoked).
    async fn revoke_token(&self, id: &str) -> Result<()>;
    /// Records a browser session (by the hash of its cookie value).
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        expires_at: debrief_domain::Timestamp,
        stage: accounts::SessionStage,
    ) -> Result<()>;
    /// The live session with this hash, at whatever stage, for an enabled user.
    async fn session(&self, token_hash: &str) -> Result<Option<accounts::Session>>;
    /// Notes that a session was used at `at` (its idle lifetime counts from there).
    async fn touch_session(&self, token_hash: &str, at: debrief_domain::Timestamp) -> Result<()>;
    /// Keeps (or clears) the state of a passkey ceremony under way in a session.
    async fn set_session_challenge(&self, token_hash: &str, challenge: Option<&str>) -> Result<()>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// A person's live sessions, newest first.
    async fn list_sessions(&self, username: &str) -> Result<Vec<accounts::SessionInfo>>;
    /// Ends one of a person's sessions by its id ([`StoreError::NoSession`] if none).
    async fn end_session(&self, username: &str, id: &str) -> Result<()>;
    /// Ends every session of a person; answers how many.
    async fn end_sessions(&self, username: &str) -> Result<u64>;
    /// Counts one sign-in check against each counter (a key and the checks it may start within
    /// `window_seconds`), all or none, as one step across instances: `Ok(Err(seconds))` — nothing
    /// counted — when one of them has used its checks up, with the seconds until its window ends.
    async fn count_sign_in_check(
        &self,
        counters: &[(&str, u32)],
        window_seconds: i64,
        now_seconds: i64,
    ) -> Result<std::result::Result<(), u64>>;
    /// Gives one check back to each key (a check that never ran; an address's successful one).
    async fn give_back_sign_in_check(&self, keys: &[&str]) -> Result<()>;
    /// Starts a key's count again (a user who signed in).
    async fn clear_sign_in_checks(&self, key: &str) -> Result<()>;
}

/// Second factors, recovery codes and the installation's settings (see `factors.rs`).
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// A person's second factors, oldest first (with their secrets, for checking a code).
    async fn second_factors(&self, username: &str) -> Result<Vec<accounts::SecondFactor>>;
    /// Adds a second factor to a person ([`StoreError::NoUser`] if there is no such account).
    async fn add_second_factor(
        &self,
        username: &str,
        kind: accounts::FactorKind,
        label: &str,
        secret: &str,
    ) -> Result<accounts::SecondFactor>;
    /// Removes one of a person's second factors ([`StoreError::NoFactor`] if none).
    async fn remove_second_factor(&self, username: &str, id: &str) -> Result<()>;
    /// Marks a TOTP time step as used by the factor `id`: `false` when that step or a later one
    /// was used already (a replayed code), so that each code signs in once.
    async fn use_totp_step(&self, id: &str, step: i64) -> Result<bool>;
    /// Records a passkey's use, with its credential as updated by the ceremony (its counter).
    async fn used_passkey(&self, id: &str, secret: &str) -> Result<()>;
    /// Replaces a person's recovery codes with new ones (their hashes).
    async fn set_recovery_codes(&self, username: &str, hashes: &[String]) -> Result<()>;
    /// Uses one of a person's unused recovery codes by its hash: `false` if there is none.
    async fn use_recovery_code(&self, username: &str, hash: &str) -> Result<bool>;
    /// How many unused recovery codes a person has.
    async fn recovery_codes_left(&self, username: &str) -> Result<u64>;
    /// Removes every second factor and recovery code of a person and ends their sessions (an
    /// admin's reset of a lost factor); answers how many factors there were.
    async fn reset_second_factors(&self, username: &str) -> Result<u64>;
    /// An installation setting, if it was ever set.
    async fn setting(&self, name: &str) -> Result<Option<String>>;
    /// Sets an installation setting.
    async fn set_setting(&self, name: &str, value: &str, by: &str) -> Result<()>;
}

/// Groups of accounts (see `debrief_domain::access`).
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Creates a group; [`StoreError::Duplicate`] if the name is taken.
    async fn create_group(
        &self,
        name: &debrief_domain::access::GroupName,
        description: &str,
        by: &str,
    ) -> Result<groups::Group>;
    /// Every group with its members, by name.
    async fn list_groups(&self) -> Result<Vec<groups::Group>>;
    /// Puts an existing account in an existing group.
    async fn add_group_member(
        &self,
        group: &debrief_domain::access::GroupName,
        username: &str,
        by: &str,
    ) -> Result<()>;
    /// Takes an account out of a group.
    async fn remove_group_member(
        &self,
        group: &debrief_domain::access::GroupName,
        username: &str,
    ) -> Result<()>;
    /// The groups an account is in.
    async fn groups_of(&self, username: &str) -> Result<Vec<debrief_domain::access::GroupName>>;
}

/// Alerts awaiting triage (see `debrief_domain::alert` for the rules).
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Takes an alert in, atomically: the same (type, source, source reference) again updates
    /// that alert and counts the repeat; otherwise an open alert with the same type, source,
    /// title and host last seen within `group_window_seconds` takes it as a grouped occurrence
    /// (0 turns grouping off); otherwise a new alert. Recorded in the alert's history by `actor`.
    async fn receive_alert(
        &self,
        new: debrief_domain::alert::NewAlert,
        actor: &str,
        received: debrief_domain::Timestamp,
        group_window_seconds: i64,
    ) -> Result<alerts::Receipt> {
        let mut receipts = self
            .receive_alerts(vec![new], actor, received, group_window_seconds)
            .await?;
        receipts
            .pop()
            .ok_or_else(|| StoreError::Corrupt("intake returned no receipt".into()))
    }
    /// [`AlertStore::receive_alert`] for many alerts in one transaction (all or none), in order;
    /// a later alert of the batch sees the earlier ones (a repeated key is counted).
    async fn receive_alerts(
        &self,
        alerts: Vec<debrief_domain::alert::NewAlert>,
        actor: &str,
        received: debrief_domain::Timestamp,
        group_window_seconds: i64,
    ) -> Result<Vec<alerts::Receipt>>;
    /// An alert by id or number (`12`, `A-12`); [`StoreError::NoAlert`] if none.
    async fn alert(&self, reference: &str) -> Result<alerts::Alert>;
    /// Alerts by latest activity, newest first.
    async fn list_alerts(&self, query: &alerts::AlertQuery) -> Result<Vec<alerts::Alert>>;
    /// How many alerts match the query's filters (its cursor, limit and offset aside).
    async fn count_alerts(&self, query: &alerts::AlertQuery) -> Result<u64>;
    /// Moves an alert through triage; `incident` is the one it was promoted to or merged into.
    /// A refused action writes nothing.
    async fn act_on_alert(
        &self,
        reference: &str,
        actor: &str,
        action: debrief_domain::alert::AlertAction,
        incident: Option<IncidentId>,
    ) -> Result<alerts::Alert>;
    /// What happened to an alert, oldest first.
    async fn alert_history(&self, id: &str) -> Result<Vec<alerts::AlertEvent>>;
}

/// Playbook versions.
#[async_trait]
pub trait PlaybookStore: Send + Sync {
    /// Publishes the next version of a playbook (1 for a new one).
    async fn publish_playbook(
        &self,
        new: playbooks::NewPlaybookVersion,
    ) -> Result<playbooks::PlaybookVersion>;
    /// A version, the latest when `version` is `None`; [`StoreError::NotFound`] if none.
    async fn playbook(
        &self,
        slug: &str,
        lang: &str,
        version: Option<i64>,
    ) -> Result<playbooks::PlaybookVersion>;
    /// Every version of a playbook, oldest first.
    async fn playbook_versions(
        &self,
        slug: &str,
        lang: &str,
    ) -> Result<Vec<playbooks::PlaybookVersion>>;
    /// The latest version of every playbook.
    async fn list_playbooks(&self) -> Result<Vec<playbooks::PlaybookVersion>>;
}

/// The stakeholder directory.
#[async_trait]
pub trait StakeholderStore: Send + Sync {
    /// Adds an entry; [`StoreError::Duplicate`] when the name is taken.
    async fn add_stakeholder(
        &self,
        new: debrief_domain::stakeholder::NewStakeholder,
        by: &str,
    ) -> Result<stakeholders::Stakeholder>;
    /// Every entry, by name.
    async fn list_stakeholders(&self) -> Result<Vec<stakeholders::Stakeholder>>;
    /// An entry by id or name; [`StoreError::NoStakeholder`] if none.
    async fn stakeholder(&self, reference: &str) -> Result<stakeholders::Stakeholder>;
    /// Adds a notification rule; [`StoreError::Duplicate`] when the name is taken.
    async fn add_rule(
        &self,
        rule: debrief_domain::notify::NotificationRule,
        by: &str,
    ) -> Result<stakeholders::StoredRule>;
    /// Every notification rule, oldest first.
    async fn list_rules(&self) -> Result<Vec<stakeholders::StoredRule>>;
    /// Removes a rule (decisions already journaled on incidents stay); [`StoreError::NoRule`]
    /// if there is none with that id.
    async fn delete_rule(&self, id: &str) -> Result<()>;
}

/// The access log (see [`access`]): reads of the record, append-only.
#[async_trait]
pub trait AccessLogStore: Send + Sync {
    /// Records one read.
    async fn record_access(&self, record: access::AccessRecord) -> Result<()>;
    /// The latest reads (of one incident, or all), newest first.
    async fn access_log(
        &self,
        scope: access::AccessScope,
        limit: u32,
    ) -> Result<Vec<access::AccessRecord>>;
    /// Every record with its place in the chain, in chain order (for `debrief verify`).
    async fn access_chain(&self) -> Result<Vec<access::ChainedAccess>>;
}

/// Confirmed OWASP SAMM answers (append-only; the latest per question counts).
#[async_trait]
pub trait AssessmentStore: Send + Sync {
    async fn add_samm_answer(&self, answer: debrief_domain::samm::Confirmed) -> Result<()>;
    /// Every answer, oldest first.
    async fn samm_answers(&self) -> Result<Vec<debrief_domain::samm::Confirmed>>;
}

/// Every incident, newest first, read in pages of the largest list size (for views computed
/// across incidents: boards, TheHive queries).
pub async fn all_incidents(store: &dyn Store) -> Result<Vec<Incident>> {
    let mut out: Vec<Incident> = Vec::new();
    loop {
        let page = store
            .list_incidents(&IncidentQuery {
                before_number: out.last().map(|i| i.number),
                limit: Some(500),
                ..Default::default()
            })
            .await?;
        let done = page.len() < 500;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Opens the store at `url` (`sqlite://…` or `postgres://…`), running pending migrations.
pub async fn open(url: &str, key: InstallationKey) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url, key).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::open(url, key).await?))
    } else {
        Err(StoreError::BadUrl {
            url: redact_url(url),
            why: "it must start with `sqlite://` or `postgres://`".into(),
        })
    }
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///x.db"), "sqlite:///x.db");
    }
}

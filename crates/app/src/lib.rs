//! The application layer: the one path every command and every read of an incident takes, whatever
//! the front end (JSON API, pages, CLI, TheHive routes, workers, mail listener).
//!
//! A command is a decision function over the incident's current state. [`App::execute`] loads the
//! state, authorises the caller **on that state** ([`Need`]), lets the domain decide the events,
//! appends them stating the sequence it decided on, and — when another writer got there first and
//! the caller did not pin a sequence — decides again on fresh state, authorising again. Reads go
//! through [`App::incident`] and friends, which apply the same authorisation. Front ends only
//! translate: request → call, [`AppError::category`] → HTTP status or exit code.

pub mod access;
pub mod alerts;
mod caller;
pub mod commands;
mod error;
pub mod factors;
pub mod learn;
mod program;
pub mod setup;

use std::sync::Arc;

use debrief_domain::{
    Action, DomainError, EntryDraft, Event, Incident, IncidentId, JournalEntry, NewIncident,
    Timestamp,
};
use debrief_store::{Appended, IncidentQuery, SearchHit, Sighting, Store, StoreError};

pub use caller::{Caller, Need};
pub use error::{AppError, Result};
pub use program::DueObligation;

/// How many times a command is decided again after losing a race to another writer.
pub const RETRIES: u32 = 50;

/// The application: the store, and the rules of how it may be used.
#[derive(Debug, Clone)]
pub struct App {
    store: Arc<dyn Store>,
    policy: access::Policy,
    /// Every incident's metrics facts, kept current (see `debrief_store::facts`).
    facts: Arc<debrief_store::facts::FactsCache>,
    /// When each person last had a read of each restricted incident logged.
    reads: Arc<access::RecentReads>,
}

impl App {
    /// The application over `store`.
    pub fn new(store: Arc<dyn Store>) -> App {
        App {
            store,
            policy: access::Policy::default(),
            facts: Arc::default(),
            reads: Arc::default(),
        }
    }

    /// The application with the installation's need-to-know policy.
    pub fn with_policy(self, policy: access::Policy) -> App {
        App { policy, ..self }
    }

    /// The store, for what is not an incident's record (accounts, alerts, the directory…).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Waits until this instance holds `job`'s lease (trying every `poll`), so that across the
    /// instances of one installation one runs it; the lease is held until it is dropped or
    /// [`Lease::held`](debrief_store::lease::Lease::held) says it was lost.
    pub async fn lead(
        &self,
        job: debrief_store::lease::Job,
        poll: std::time::Duration,
    ) -> debrief_store::lease::Lease {
        let mut waiting = false;
        loop {
            match self.store.lead(job).await {
                Ok(Some(lease)) => {
                    tracing::info!(job = job.name(), "this instance runs the job");
                    return lease;
                }
                Ok(None) if !waiting => {
                    waiting = true;
                    tracing::info!(
                        job = job.name(),
                        "another instance runs the job; standing by"
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(job = job.name(), error = %e, "cannot take the job's lease")
                }
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Runs a command on an incident: `decide` turns its current state into the events to append
    /// (none: nothing changes, the current state is returned). With `expected_seq`, the command
    /// is refused with a conflict when the incident is no longer at that entry; without, it is
    /// decided again on fresh state (and authorised again) up to [`RETRIES`] times.
    pub async fn execute<F>(
        &self,
        caller: &Caller,
        id: IncidentId,
        need: Need<'_>,
        expected_seq: Option<u64>,
        decide: F,
    ) -> Result<Incident>
    where
        F: Fn(&Incident) -> std::result::Result<Vec<Event>, DomainError> + Send + Sync,
    {
        Ok(self
            .execute_entries(caller, id, need, expected_seq, decide)
            .await?
            .incident)
    }

    /// [`App::execute`], answering the entries written too (none when nothing changed).
    pub async fn execute_entries<F>(
        &self,
        caller: &Caller,
        id: IncidentId,
        need: Need<'_>,
        expected_seq: Option<u64>,
        decide: F,
    ) -> Result<Appended>
    where
        F: Fn(&Incident) -> std::result::Result<Vec<Event>, DomainError> + Send + Sync,
    {
        let mut attempt = 0;
        loop {
            let current = self.store.incident(id).await?;
            if need != Need::BreakGlass {
                self.check_visible(caller, &current, &id.to_string())
                    .await?;
            }
            need.check(caller, &current)?;
            if let (Need::Assign(Some(name)), 0) = (need, attempt) {
                self.assignable(name).await?;
            }
            if let Some(expected) = expected_seq
                && expected != current.seq
            {
                return Err(StoreError::Conflict {
                    incident: format!("#{}", current.number),
                    expected,
                    actual: current.seq,
                }
                .into());
            }
            let mut events = decide(&current)?;
            let follows = self.follow_policy(caller, &current, &events);
            events.extend(follows);
            if events.is_empty() {
                return Ok(Appended {
                    incident: current,
                    entries: Vec::new(),
                });
            }
            let drafts = events
                .into_iter()
                .map(|event| EntryDraft {
                    actor: caller.actor().clone(),
                    event,
                })
                .collect();
            match self.store.append(id, current.seq, drafts).await {
                Err(StoreError::Conflict { .. }) if expected_seq.is_none() && attempt < RETRIES => {
                    attempt += 1;
                    tracing::debug!(incident = %current.number, attempt, "decided again after a concurrent append");
                }
                other => return Ok(other?),
            }
        }
    }

    /// Runs a command that decides exactly one event (the CLI's and tests' common case).
    pub async fn execute_one<F>(
        &self,
        caller: &Caller,
        id: IncidentId,
        need: Need<'_>,
        decide: F,
    ) -> Result<Appended>
    where
        F: Fn(&Incident) -> std::result::Result<Event, DomainError> + Send + Sync,
    {
        self.execute_entries(caller, id, need, None, |i| decide(i).map(|e| vec![e]))
            .await
    }

    /// Runs a command on an incident named by its number or id.
    pub async fn execute_on<F>(
        &self,
        caller: &Caller,
        reference: &str,
        need: Need<'_>,
        expected_seq: Option<u64>,
        decide: F,
    ) -> Result<Incident>
    where
        F: Fn(&Incident) -> std::result::Result<Vec<Event>, DomainError> + Send + Sync,
    {
        let id = self.resolve(caller, reference).await?;
        self.execute(caller, id, need, expected_seq, decide).await
    }

    /// Adds a recommendation to an incident's postmortem, once its owner and the incidents it
    /// also answers are known to exist.
    pub async fn add_recommendation(
        &self,
        caller: &Caller,
        id: IncidentId,
        command: &commands::AddRecommendation,
        now: Timestamp,
    ) -> Result<Incident> {
        self.check_recommendation(command).await?;
        self.execute(caller, id, Need::Work, None, |i| command.decide(i, now))
            .await
    }

    /// Rewords a recommendation, or gives it another owner or due date (the owner checked as
    /// when it was added).
    pub async fn update_recommendation(
        &self,
        caller: &Caller,
        id: IncidentId,
        command: &commands::UpdateRecommendation,
    ) -> Result<Incident> {
        self.check_owner(command.owner.as_ref()).await?;
        self.execute(caller, id, Need::Work, None, |i| command.decide(i))
            .await
    }

    /// Refuses a recommendation whose owner is not a user account or whose related incidents do
    /// not exist (a refusal of the input: 422 on the API, shown on the form).
    pub async fn check_recommendation(&self, command: &commands::AddRecommendation) -> Result<()> {
        self.check_owner(command.owner.as_ref()).await?;
        for n in &command.related {
            match self.store.resolve(&n.to_string()).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(DomainError::InvalidField {
                        field: "incidents",
                        problem: format!("there is no incident #{n} to relate it to"),
                    }
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Refuses an owner named in one word that is neither an account nor a directory entry
    /// (an entry is reminded through its channel).
    pub async fn check_owner(
        &self,
        owner: Option<&debrief_domain::postmortem::Owner>,
    ) -> Result<()> {
        if let Some(debrief_domain::postmortem::Owner::Account(owner)) = owner {
            match self.store.user_record(owner.as_str()).await {
                Ok(_) => {}
                Err(StoreError::NoUser(_))
                    if self
                        .store
                        .list_stakeholders()
                        .await?
                        .iter()
                        .any(|s| s.name.trim().eq_ignore_ascii_case(owner.as_str())) => {}
                Err(StoreError::NoUser(_)) => {
                    return Err(DomainError::InvalidField {
                        field: "owner",
                        problem: format!(
                            "`{owner}` is neither a user account nor a directory entry; give the owner's user name or entry, or name a team in words (\"direction des soins\")"
                        ),
                    }
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Declares an incident.
    pub async fn create(&self, caller: &Caller, new: NewIncident) -> Result<Appended> {
        caller.may(Action::CreateIncident)?;
        Ok(self.store.create_incident(caller.actor(), new).await?)
    }

    /// The id of the incident a number or id names, when the caller may read incidents and
    /// know of this one (a restricted incident outside their team does not exist for them).
    pub async fn resolve(&self, caller: &Caller, reference: &str) -> Result<IncidentId> {
        Ok(self.incident(caller, reference).await?.id)
    }

    /// An incident's current state, by number or id.
    pub async fn incident(&self, caller: &Caller, reference: &str) -> Result<Incident> {
        caller.may(Action::ReadIncidents)?;
        let id = self.store.resolve(reference).await?;
        let incident = self.store.incident(id).await?;
        self.check_visible(caller, &incident, reference.trim())
            .await?;
        self.note_read(caller, &incident).await?;
        Ok(incident)
    }

    /// An incident's current state, by id.
    pub async fn incident_by_id(&self, caller: &Caller, id: IncidentId) -> Result<Incident> {
        caller.may(Action::ReadIncidents)?;
        let incident = self.store.incident(id).await?;
        self.check_visible(caller, &incident, &id.to_string())
            .await?;
        self.note_read(caller, &incident).await?;
        Ok(incident)
    }

    /// Incidents matching `query`, newest first: what the caller may read (restricted
    /// incidents outside their team are left out by the query itself, so pages stay full).
    pub async fn list(&self, caller: &Caller, query: &IncidentQuery) -> Result<Vec<Incident>> {
        let query = self.readable(caller, query).await?;
        Ok(self.store.list_incidents(&query).await?)
    }

    /// How many incidents the caller may read match `query` on all its pages.
    pub async fn count(&self, caller: &Caller, query: &IncidentQuery) -> Result<u64> {
        let query = self.readable(caller, query).await?;
        Ok(self.store.count_incidents(&query).await?)
    }

    /// `query` narrowed to what the caller may read.
    async fn readable(&self, caller: &Caller, query: &IncidentQuery) -> Result<IncidentQuery> {
        caller.may(Action::ReadIncidents)?;
        let hidden = self.hidden(caller).await?;
        Ok(IncidentQuery {
            exclude: hidden.ids(),
            ..query.clone()
        })
    }

    /// Every incident the caller may read, oldest first (the lessons-learnt search, the
    /// obligations board, the workers' sweeps).
    pub async fn all(&self, caller: &Caller) -> Result<Vec<Incident>> {
        caller.may(Action::ReadIncidents)?;
        let hidden = self.hidden(caller).await?;
        let mut all = debrief_store::all_incidents(&*self.store).await?;
        all.retain(|i| !hidden.id(&i.id));
        Ok(all)
    }

    /// Full-text search over what the caller may read, best hits first.
    pub async fn search(&self, caller: &Caller, text: &str, limit: u32) -> Result<Vec<SearchHit>> {
        caller.may(Action::ReadIncidents)?;
        let hidden = self.hidden(caller).await?;
        let mut hits = self.store.search(text, limit).await?;
        hits.retain(|h| !hidden.id_text(&h.incident_id));
        Ok(hits)
    }

    /// Every incident where an observable with this (normalised) value was recorded.
    pub async fn sightings(
        &self,
        caller: &Caller,
        value: &str,
        limit: u32,
    ) -> Result<Vec<Sighting>> {
        caller.may(Action::ReadIncidents)?;
        let hidden = self.hidden(caller).await?;
        let mut seen = self.store.sightings(value, limit).await?;
        seen.retain(|s| !hidden.id_text(&s.incident_id));
        Ok(seen)
    }

    /// For each observable value of an incident, the other incidents (numbers, newest first)
    /// where it was also recorded — among those the caller may read.
    pub async fn shared_observables(
        &self,
        caller: &Caller,
        id: IncidentId,
    ) -> Result<std::collections::BTreeMap<String, Vec<i64>>> {
        self.incident_by_id(caller, id).await?;
        let hidden = self.hidden(caller).await?;
        let mut shared = self.store.shared_observables(id).await?;
        for numbers in shared.values_mut() {
            numbers.retain(|n| !hidden.number(*n));
        }
        shared.retain(|_, numbers| !numbers.is_empty());
        Ok(shared)
    }

    /// A person's own preferences — the language and the time zone they read in (`Some(None)`
    /// clears one, `None` leaves it): anyone signed in may change their own, nobody else's.
    pub async fn set_own_preferences(
        &self,
        caller: &Caller,
        language: Option<Option<debrief_domain::Language>>,
        timezone: Option<Option<debrief_domain::Zone>>,
    ) -> Result<debrief_store::accounts::User> {
        let changes = debrief_store::accounts::UserChanges {
            language,
            timezone,
            ..Default::default()
        };
        Ok(self
            .store
            .update_user(caller.actor().as_str(), changes)
            .await?)
    }

    /// Sets the caller's own password (its hash), once the front end has checked the current
    /// one under the sign-in limits; the account no longer has to change it.
    pub async fn set_own_password(
        &self,
        caller: &Caller,
        password_hash: String,
    ) -> Result<debrief_store::accounts::User> {
        let changes = debrief_store::accounts::UserChanges {
            password_hash: Some(password_hash),
            must_change_password: Some(false),
            ..Default::default()
        };
        let updated = self
            .store
            .update_user(caller.actor().as_str(), changes)
            .await?;
        tracing::info!(username = %updated.username, "password changed by its holder");
        Ok(updated)
    }

    /// An incident's journal, oldest entry first.
    pub async fn journal(&self, caller: &Caller, id: IncidentId) -> Result<Vec<JournalEntry>> {
        self.incident_by_id(caller, id).await?;
        Ok(self.store.journal(id).await?)
    }
}

#[cfg(test)]
mod tests;

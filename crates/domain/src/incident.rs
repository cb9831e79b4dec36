//! The `Incident`: its identity, its state, and the commands that decide new events; the fold
//! that builds the state from the journal is in `incident/fold.rs`.

mod fold;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::{Event, Field, Milestone, MilestoneSource};
use crate::journal::JournalEntry;
use crate::status::Status;
use crate::text::{Actor, Label, Reason, Summary, Title};
use crate::time::Timestamp;

/// An incident's permanent identity: a UUID (version 7, so ids sort by creation time).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(uuid::Uuid);

impl IncidentId {
    /// A fresh id.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl Default for IncidentId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IncidentId({})", self.0)
    }
}

impl FromStr for IncidentId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim())
            .map(Self)
            .map_err(|_| DomainError::InvalidField {
                field: "incident id",
                problem: format!("`{s}` is not a UUID"),
            })
    }
}

/// What it takes to declare an incident, already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub title: Title,
    pub summary: Summary,
    pub reporter: Label,
    pub detection_source: Label,
    pub detected_at: Option<Timestamp>,
    /// Restricted to its team from the start (see [`crate::access`]).
    pub restricted: bool,
}

impl NewIncident {
    /// Checks raw input; the first problem found is returned.
    pub fn parse(
        title: &str,
        summary: &str,
        reporter: &str,
        detection_source: &str,
        detected_at: Option<Timestamp>,
    ) -> Result<Self, DomainError> {
        Ok(Self {
            title: Title::parse(title)?,
            summary: Summary::parse(summary)?,
            reporter: Label::parse_as("reporter", reporter)?,
            detection_source: Label::parse_as("detection_source", detection_source)?,
            detected_at,
            restricted: false,
        })
    }

    /// Restricted to its team from the start (see [`crate::access`]), or not.
    pub fn restricted(self, restricted: bool) -> Self {
        Self { restricted, ..self }
    }

    /// The incident this would open, as it will stand right after its opening entry — not
    /// stored, numbered 0 —, so that a front end can decide the commands that follow the
    /// opening (and be refused) before anything is written.
    pub fn provisional(&self, actor: &Actor, now: Timestamp) -> Result<Incident, DomainError> {
        if let Some(at) = self.detected_at {
            at.not_in_future("detected_at", now)?;
        }
        let tips = crate::journal::ChainTips {
            seq: 0,
            hash: crate::Hash::ZERO,
            gseq: 0,
            ledger_hash: crate::Hash::ZERO,
        };
        let entry = crate::journal::seal(
            IncidentId::new(),
            &tips,
            now,
            actor,
            &self.clone().into_event(0),
        )
        .map_err(|e| DomainError::InvalidField {
            field: "incident",
            problem: e.to_string(),
        })?;
        Incident::opened(&entry)
    }

    /// The opening event, once the store has given the incident its number.
    pub fn into_event(self, number: i64) -> Event {
        Event::Opened {
            number,
            title: self.title,
            summary: self.summary,
            reporter: self.reporter,
            detection_source: self.detection_source,
            detected_at: self.detected_at,
            restricted: self.restricted,
        }
    }
}

fn default_tlp() -> crate::triage::Tlp {
    crate::triage::Tlp::Amber
}

fn default_pap() -> crate::triage::Pap {
    crate::triage::Pap::Amber
}

/// A key timestamp with who set it and on what grounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneValue {
    pub at: Timestamp,
    pub set_by: String,
    pub source: MilestoneSource,
}

/// The version of the fold: raise it whenever `Incident` or its facts gain or change what they
/// hold, and the stores refold older projection rows from their journals when they open.
pub const FOLD_VERSION: i64 = 3;

/// An incident's current state: the fold of its journal. Never edited any other way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    /// A short number for people (`#42`), unique in one installation.
    pub number: i64,
    pub title: String,
    pub summary: String,
    pub reporter: String,
    pub detection_source: String,
    pub status: Status,
    /// Who leads the handling; `None` while the incident is open to any handler.
    #[serde(default)]
    pub assignee: Option<String>,
    pub opened_at: Timestamp,
    pub opened_by: String,
    pub updated_at: Timestamp,
    pub milestones: BTreeMap<Milestone, MilestoneValue>,
    /// Reference taxonomy class and type, once triaged.
    #[serde(default)]
    pub classification: Option<crate::taxonomy::Classification>,
    /// The latest severity assessment.
    #[serde(default)]
    pub severity: Option<crate::triage::Assessment>,
    #[serde(default = "default_tlp")]
    pub tlp: crate::triage::Tlp,
    #[serde(default = "default_pap")]
    pub pap: crate::triage::Pap,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub scope: crate::triage::Scope,
    #[serde(default)]
    pub members: Vec<crate::record::Member>,
    /// Restricted to its team (see [`crate::access`]); open to every account when not.
    #[serde(default)]
    pub restricted: bool,
    /// The people and groups given access besides its lead and members.
    #[serde(default)]
    pub grants: Vec<crate::access::Grantee>,
    #[serde(default)]
    pub observables: Vec<crate::record::Observable>,
    /// The attack timeline, in order of occurrence.
    #[serde(default)]
    pub timeline: Vec<crate::record::TimelineEntry>,
    /// Evidence files and their chains of custody.
    #[serde(default)]
    pub evidence: Vec<crate::evidence::Evidence>,
    #[serde(default)]
    pub assets: Vec<crate::work::Asset>,
    /// Response actions taken (containment, eradication, recovery, communication, analysis).
    #[serde(default)]
    pub actions: Vec<crate::work::ResponseAction>,
    #[serde(default)]
    pub tasks: Vec<crate::work::Task>,
    /// Notes and interview notes.
    #[serde(default)]
    pub notes: Vec<crate::work::Note>,
    /// Labour logged.
    #[serde(default)]
    pub time: Vec<crate::work::TimeEntry>,
    /// The postmortem (post-incident review).
    #[serde(default)]
    pub postmortem: crate::postmortem::Postmortem,
    /// Recommendations, tracked to completion.
    #[serde(default)]
    pub recommendations: Vec<crate::postmortem::Recommendation>,
    /// Questions put to the business, and their answers.
    #[serde(default)]
    pub info_requests: Vec<crate::postmortem::InfoRequest>,
    /// Playbooks applied, with the tasks their steps became.
    #[serde(default)]
    pub playbooks: Vec<crate::playbook::AppliedPlaybook>,
    /// Regulatory flags (which regimes apply).
    #[serde(default)]
    pub flags: std::collections::BTreeSet<String>,
    /// What regulators ask that only a person can state (contact point, malicious, cross-border,
    /// data subjects, consequences, measures for them).
    #[serde(default)]
    pub regulatory: crate::obligation::RegulatoryFacts,
    /// Regulatory clocks stated (besides awareness).
    #[serde(default)]
    pub reg_clocks: BTreeMap<crate::obligation::ClockStart, Timestamp>,
    /// Notifications made, by any channel.
    #[serde(default)]
    pub notifications: Vec<crate::obligation::NotificationRecord>,
    /// Proposed notifications a manager decided not to send.
    #[serde(default)]
    pub notification_skips: Vec<crate::notify::Skip>,
    /// Warnings sent as regulatory deadlines neared.
    #[serde(default)]
    pub escalations: Vec<crate::notify::Escalation>,
    /// Journal entries by kind (the actions performed, for the metrics).
    #[serde(default)]
    pub entry_kinds: BTreeMap<String, u32>,
    /// The `seq` of the last journal entry folded in.
    pub seq: u64,
}

impl Incident {
    /// The current value of a describing field.
    pub fn field(&self, field: Field) -> &str {
        match field {
            Field::Title => &self.title,
            Field::Summary => &self.summary,
            Field::Reporter => &self.reporter,
            Field::DetectionSource => &self.detection_source,
        }
    }

    /// The event that edits `field` to `raw`, or `Unchanged` when the value is the same.
    pub fn change_field(
        &self,
        field: Field,
        raw: &str,
        reason: &str,
    ) -> Result<Event, DomainError> {
        let to = field.parse_value(raw)?;
        let from = self.field(field);
        if from == to {
            return Err(DomainError::Unchanged(format!(
                "{field} already has that value"
            )));
        }
        Ok(Event::FieldChanged {
            field,
            from: from.to_string(),
            to,
            reason: Reason::parse(reason)?,
        })
    }

    /// The events of a multi-field edit: every value is checked before any event is decided, a
    /// field that already has its value is left out (none at all: nothing changes).
    pub fn edit(
        &self,
        changes: &[(Field, String)],
        reason: &str,
    ) -> Result<Vec<Event>, DomainError> {
        for (field, value) in changes {
            field.parse_value(value)?;
        }
        let mut events = Vec::new();
        for (field, value) in changes {
            match self.change_field(*field, value, reason) {
                Ok(e) => events.push(e),
                Err(DomainError::Unchanged(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(events)
    }

    /// The event that moves the incident to `to`, or why it may not. Under `policy`, closing a
    /// serious incident whose postmortem is not approved needs a reason.
    pub fn transition(
        &self,
        to: Status,
        reason: &str,
        policy: &crate::postmortem::ReviewPolicy,
    ) -> Result<Event, DomainError> {
        let reason = Reason::parse(reason)?;
        let kind = self.status.transition(to)?;
        if kind.needs_reason() && reason.is_empty() {
            return Err(DomainError::IllegalTransition {
                from: self.status,
                to,
                why: crate::error::TransitionProblem::NeedsReason,
            });
        }
        // A serious incident is closed once its review is approved, or with the reason why not.
        if to == Status::Closed
            && reason.is_empty()
            && let Some(level) = policy.closing_waits(self)
        {
            return Err(DomainError::IllegalTransition {
                from: self.status,
                to,
                why: crate::error::TransitionProblem::NeedsPostmortem { level },
            });
        }
        Ok(Event::StatusChanged {
            from: self.status,
            to,
            reason,
        })
    }

    /// The event that states a key timestamp from evidence. `now` bounds it: a time more than five
    /// minutes ahead of the clock is refused.
    pub fn set_milestone(
        &self,
        milestone: Milestone,
        at: Timestamp,
        source: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Event, DomainError> {
        let source = Label::parse_as("source", source)?;
        if source.as_str().is_empty() {
            return Err(DomainError::InvalidField {
                field: "source",
                problem: "must say what establishes this time (a log, a forensic report, …)".into(),
            });
        }
        at.not_in_future(milestone.as_str(), now)?;
        Ok(Event::MilestoneSet {
            milestone,
            at,
            previous: self.milestones.get(&milestone).map(|m| m.at),
            source,
            reason: Reason::parse(reason)?,
        })
    }

    /// The event that assigns the incident to `to` (a user name), or releases it with `None`.
    pub fn assign(&self, to: Option<&str>, reason: &str) -> Result<Event, DomainError> {
        let to = to
            .map(crate::user::Username::parse)
            .transpose()?
            .map(|u| u.as_str().to_string());
        if to == self.assignee {
            return Err(DomainError::Unchanged(match &to {
                Some(t) => format!("#{} is already assigned to {t}", self.number),
                None => format!("#{} is not assigned", self.number),
            }));
        }
        Ok(Event::Assigned {
            from: self.assignee.clone(),
            to,
            reason: Reason::parse(reason)?,
        })
    }

    /// The time of a milestone, if known.
    pub fn milestone(&self, m: Milestone) -> Option<Timestamp> {
        self.milestones.get(&m).map(|v| v.at)
    }

    /// The earliest moment the record knows of: the attack's start, its detection or the
    /// declaration, whichever came first.
    pub fn earliest(&self) -> Timestamp {
        [Milestone::Started, Milestone::Detected]
            .iter()
            .filter_map(|m| self.milestone(*m))
            .fold(self.opened_at, Timestamp::min)
    }

    /// A time someone states for a fact (a task finished, evidence handed over, hours worked):
    /// refused when it is in the future, or before the incident started (its earliest known
    /// moment) — with the reason. The error names `field`.
    pub fn stated(
        &self,
        field: &'static str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<Timestamp, DomainError> {
        if at.as_micros() > now.as_micros().saturating_add(300_000_000) {
            return Err(DomainError::InvalidField {
                field,
                problem: format!("{at} is in the future; state when it happened"),
            });
        }
        let earliest = self.earliest();
        if at < earliest {
            return Err(DomainError::InvalidField {
                field,
                problem: format!(
                    "{at} is before incident #{} started ({earliest}); if it started earlier, state its start time first",
                    self.number
                ),
            });
        }
        Ok(at)
    }

    /// A day someone states (a day worked, from its start): as [`Incident::stated`], except that
    /// the day the incident started counts, whatever time it started.
    pub fn stated_day(
        &self,
        field: &'static str,
        day: Timestamp,
        now: Timestamp,
    ) -> Result<Timestamp, DomainError> {
        let end_of_day = day.plus_seconds(86_399).min(now).max(day);
        self.stated(field, end_of_day, now)?;
        Ok(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Journal;

    #[test]
    fn opening_sets_declared_and_detected() {
        let j = Journal::new();
        let s = j.state();
        assert_eq!(s.number, 7);
        assert_eq!(s.status, Status::New);
        assert_eq!(
            s.milestone(Milestone::Declared),
            Some(j.entries[0].recorded_at)
        );
        assert_eq!(
            s.milestone(Milestone::Detected),
            Some(j.entries[0].recorded_at)
        );
    }

    #[test]
    fn transitions_derive_milestones() {
        let mut j = Journal::new();
        for to in [Status::Triage, Status::Investigating, Status::Contained] {
            let e = j
                .state()
                .transition(to, "", &crate::postmortem::ReviewPolicy::none())
                .unwrap();
            j.push(e);
        }
        let s = j.state();
        assert_eq!(s.status, Status::Contained);
        assert_eq!(
            s.milestone(Milestone::Acknowledged),
            Some(j.entries[1].recorded_at)
        );
        assert_eq!(
            s.milestone(Milestone::Contained),
            Some(j.entries[3].recorded_at)
        );
        assert!(matches!(
            s.milestones[&Milestone::Contained].source,
            MilestoneSource::Derived { seq: 4 }
        ));
    }

    #[test]
    fn a_stated_time_wins_over_a_later_transition() {
        let mut j = Journal::new();
        let at = Timestamp::parse("2023-01-01T00:00:00Z").unwrap();
        let now = Timestamp::now();
        let e = j
            .state()
            .set_milestone(Milestone::Acknowledged, at, "pager log", "", now)
            .unwrap();
        j.push(e);
        let e = j
            .state()
            .transition(Status::Triage, "", &crate::postmortem::ReviewPolicy::none())
            .unwrap();
        j.push(e);
        assert_eq!(j.state().milestone(Milestone::Acknowledged), Some(at));
    }

    #[test]
    fn started_at_can_be_established_later() {
        let mut j = Journal::new();
        let at = Timestamp::parse("2026-10-01T03:12:00Z").unwrap();
        let e = j
            .state()
            .set_milestone(
                Milestone::Started,
                at,
                "forensic report FR-12",
                "",
                Timestamp::now(),
            )
            .unwrap();
        j.push(e);
        let s = j.state();
        assert_eq!(s.milestone(Milestone::Started), Some(at));
        assert_eq!(
            s.milestones[&Milestone::Started].source,
            MilestoneSource::Stated {
                seq: 2,
                source: "forensic report FR-12".into()
            }
        );
    }

    #[test]
    fn illegal_transition_is_refused_with_reason() {
        let j = Journal::new();
        let err = j
            .state()
            .transition(
                Status::Recovered,
                "",
                &crate::postmortem::ReviewPolicy::none(),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("from here the incident can move to: triage, closed"),
            "{err}"
        );
        let err = j
            .state()
            .transition(Status::Closed, "", &crate::postmortem::ReviewPolicy::none())
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a reason"), "{err}");
    }

    #[test]
    fn reopening_clears_closed_at() {
        let mut j = Journal::new();
        let e = j
            .state()
            .transition(
                Status::Closed,
                "duplicate of #3",
                &crate::postmortem::ReviewPolicy::none(),
            )
            .unwrap();
        j.push(e);
        assert!(j.state().milestone(Milestone::Closed).is_some());
        let e = j
            .state()
            .transition(
                Status::Investigating,
                "new evidence",
                &crate::postmortem::ReviewPolicy::none(),
            )
            .unwrap();
        j.push(e);
        assert_eq!(j.state().status, Status::Investigating);
        assert!(j.state().milestone(Milestone::Closed).is_none());
    }

    #[test]
    fn unchanged_field_is_reported() {
        let j = Journal::new();
        assert!(matches!(
            j.state().change_field(Field::Title, "Phishing wave", ""),
            Err(DomainError::Unchanged(_))
        ));
        let e = j
            .state()
            .change_field(Field::Title, "Phishing wave, 40 users", "")
            .unwrap();
        let mut j = j;
        j.push(e);
        assert_eq!(j.state().title, "Phishing wave, 40 users");
    }

    #[test]
    fn assignment_is_folded_and_checked() {
        let mut j = Journal::new();
        let e = j.state().assign(Some("Bob"), "on call").unwrap();
        j.push(e);
        assert_eq!(j.state().assignee.as_deref(), Some("bob"));
        assert!(matches!(
            j.state().assign(Some("bob"), ""),
            Err(DomainError::Unchanged(_))
        ));
        assert!(j.state().assign(Some("b o b"), "").is_err());
        let e = j.state().assign(None, "").unwrap();
        j.push(e);
        assert_eq!(j.state().assignee, None);
    }

    #[test]
    fn handlers_work_open_or_own_incidents_only() {
        use crate::user::{Action, Role, authorize};
        let mut j = Journal::new();
        let open = j.state();
        assert!(authorize("carol", Role::Handler, Action::WorkIncident(&open)).is_ok());
        assert!(authorize("carol", Role::Handler, Action::Assign(&open, Some("carol"))).is_ok());
        assert!(authorize("carol", Role::Handler, Action::Assign(&open, Some("dave"))).is_err());
        let e = open.assign(Some("dave"), "").unwrap();
        j.push(e);
        let theirs = j.state();
        let err = authorize("carol", Role::Handler, Action::WorkIncident(&theirs)).unwrap_err();
        assert!(err.0.contains("assigned to dave"), "{err}");
        assert!(authorize("dave", Role::Handler, Action::WorkIncident(&theirs)).is_ok());
        assert!(authorize("erin", Role::Manager, Action::WorkIncident(&theirs)).is_ok());
        assert!(authorize("root", Role::Admin, Action::WorkIncident(&theirs)).is_err());
        assert!(authorize("vic", Role::Viewer, Action::CreateIncident).is_err());
        assert!(authorize("vic", Role::Viewer, Action::ReadIncidents).is_ok());
    }

    #[test]
    fn future_times_are_refused() {
        let j = Journal::new();
        let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let later = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
        assert!(
            j.state()
                .set_milestone(Milestone::Started, later, "x", "", now)
                .is_err()
        );
        assert!(
            j.state()
                .set_milestone(Milestone::Started, now, "", "", now)
                .is_err()
        );
    }

    #[test]
    fn a_forged_transition_in_the_journal_is_refused() {
        let mut j = Journal::new();
        j.push(Event::StatusChanged {
            from: Status::New,
            to: Status::Recovered,
            reason: Reason::parse("").unwrap(),
        });
        assert!(Incident::from_journal(&j.entries).is_err());
    }
}

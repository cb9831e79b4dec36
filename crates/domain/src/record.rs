//! The incident record a handler works in all day: triage (classification, severity, TLP/PAP,
//! tags, scope, people), observables and the attack timeline — their state and the commands
//! that produce their events.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::observable::{self, ObservableKind};
use crate::taxonomy::Classification;
use crate::text::{Reason, Summary};
use crate::time::Timestamp;
use crate::timeline::{Precision, Tactic, Technique, TimelineSource};
use crate::triage::{
    self, FunctionalImpact, IncidentRole, InformationImpact, Pap, Recoverability, Scope,
    SeverityMatrix, Tlp,
};
use crate::user::Username;

/// A person on an incident, in one incident role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: String,
    pub role: IncidentRole,
    pub since: Timestamp,
}

/// An observable as the incident knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observable {
    pub id: u64,
    pub kind: ObservableKind,
    pub value: String,
    /// An indicator of compromise (as opposed to a mere artefact).
    pub ioc: bool,
    /// Seen in our own environment.
    pub sighted: bool,
    pub tlp: Option<Tlp>,
    pub description: String,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub added_by: String,
    pub added_at: Timestamp,
}

/// One entry of the attack timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub id: u64,
    pub occurred_at: Timestamp,
    pub precision: Precision,
    pub description: String,
    pub source: TimelineSource,
    pub technique: Option<Technique>,
    pub tactic: Option<Tactic>,
    /// Ids of this incident's observables the entry involves.
    pub observables: Vec<u64>,
    /// Ids of this incident's affected assets the entry involves.
    #[serde(default)]
    pub assets: Vec<u64>,
    pub added_by: String,
}

/// What to record about an observable besides its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservableFlags {
    pub ioc: bool,
    pub sighted: bool,
    pub tlp: Option<Tlp>,
    pub description: String,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
}

/// A timeline entry to add, as typed by a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTimelineEntry {
    pub occurred_at: Timestamp,
    pub precision: Precision,
    pub description: String,
    pub source: TimelineSource,
    pub technique: Option<String>,
    pub tactic: Option<String>,
    pub observables: Vec<u64>,
    pub assets: Vec<u64>,
}

impl Incident {
    /// Classifies the incident by the reference taxonomy.
    pub fn classify(&self, class: &str, kind: &str, reason: &str) -> Result<Event, DomainError> {
        let c = Classification::parse(class, kind)?;
        if self.classification.as_ref() == Some(&c) {
            return Err(DomainError::Unchanged(format!(
                "#{} is already classified {}/{}",
                self.number, c.class, c.kind
            )));
        }
        Ok(Event::Classified {
            class: c.class,
            kind: c.kind,
            reason: Reason::parse(reason)?,
        })
    }

    /// Classifies by a sub-type teams name (ransomware, `bec`, insider): its RSIT class and type
    /// unless `class` and `kind` are given, and its id as a tag. Either part already so is
    /// left out; both already so is `Unchanged`.
    pub fn classify_subtype(
        &self,
        subtype: &str,
        class: &str,
        kind: &str,
        reason: &str,
    ) -> Result<Vec<Event>, DomainError> {
        let wanted = subtype.trim().to_ascii_lowercase();
        let Some(sub) = crate::taxonomy::subtypes().iter().find(|s| s.id == wanted) else {
            return Err(DomainError::Unknown {
                what: "incident sub-type",
                value: subtype.trim().to_string(),
                expected: crate::taxonomy::subtypes()
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let (class, kind) = if class.trim().is_empty() && kind.trim().is_empty() {
            (sub.class.as_str(), sub.kind.as_str())
        } else {
            (class, kind)
        };
        let mut events = Vec::new();
        match self.classify(class, kind, reason) {
            Ok(e) => events.push(e),
            Err(DomainError::Unchanged(_)) => {}
            Err(e) => return Err(e),
        }
        if !self.tags.contains(&sub.id) {
            events.push(self.change_tags(std::slice::from_ref(&sub.id), &[])?);
        }
        if events.is_empty() {
            return Err(DomainError::Unchanged(format!(
                "#{} is already classified as {}",
                self.number, sub.en
            )));
        }
        Ok(events)
    }

    /// Assesses severity through `matrix`; the event records the computed level and reasons.
    pub fn assess(
        &self,
        matrix: &SeverityMatrix,
        functional: FunctionalImpact,
        information: InformationImpact,
        recoverability: Recoverability,
        reason: &str,
    ) -> Result<Event, DomainError> {
        matrix.validate()?;
        let assessment = matrix.assess(functional, information, recoverability);
        Ok(Event::SeverityAssessed {
            assessment,
            reason: Reason::parse(reason)?,
        })
    }

    /// Sets the sharing markings (either or both).
    pub fn set_markings(&self, tlp: Option<Tlp>, pap: Option<Pap>) -> Result<Event, DomainError> {
        let tlp = tlp.filter(|t| *t != self.tlp);
        let pap = pap.filter(|p| *p != self.pap);
        if tlp.is_none() && pap.is_none() {
            return Err(DomainError::Unchanged("the markings are already so".into()));
        }
        Ok(Event::MarkingsSet { tlp, pap })
    }

    /// Adds and removes tags.
    pub fn change_tags(&self, add: &[String], remove: &[String]) -> Result<Event, DomainError> {
        let add: Vec<String> = triage::clean_tags(add)?
            .into_iter()
            .filter(|t| !self.tags.contains(t))
            .collect();
        let remove: Vec<String> = triage::clean_tags(remove)?
            .into_iter()
            .filter(|t| self.tags.contains(t))
            .collect();
        if add.is_empty() && remove.is_empty() {
            return Err(DomainError::Unchanged("the tags are already so".into()));
        }
        if self.tags.len() + add.len() - remove.len() > 100 {
            return Err(DomainError::InvalidField {
                field: "tags",
                problem: "an incident has at most 100 tags".into(),
            });
        }
        Ok(Event::TagsChanged {
            added: add,
            removed: remove,
        })
    }

    /// Replaces the scope.
    pub fn set_scope(
        &self,
        business_units: &[String],
        sites: &[String],
        systems: &[String],
    ) -> Result<Event, DomainError> {
        let scope = Scope {
            business_units: triage::clean_labels("business units", business_units)?,
            sites: triage::clean_labels("sites", sites)?,
            systems: triage::clean_labels("systems", systems)?,
        };
        if scope == self.scope {
            return Err(DomainError::Unchanged("the scope is already so".into()));
        }
        Ok(Event::ScopeSet { scope })
    }

    /// Puts a user on the incident in an incident role.
    pub fn add_member(&self, user: &str, role: IncidentRole) -> Result<Event, DomainError> {
        let user = Username::parse(user)?.as_str().to_string();
        if self
            .members
            .iter()
            .any(|m| m.user == user && m.role == role)
        {
            return Err(DomainError::Unchanged(format!(
                "{user} is already {role} on #{}",
                self.number
            )));
        }
        Ok(Event::MemberAdded { user, role })
    }

    /// Takes a user off an incident role.
    pub fn remove_member(
        &self,
        user: &str,
        role: IncidentRole,
        reason: &str,
    ) -> Result<Event, DomainError> {
        let user = Username::parse(user)?.as_str().to_string();
        if !self
            .members
            .iter()
            .any(|m| m.user == user && m.role == role)
        {
            return Err(DomainError::Unchanged(format!(
                "{user} is not {role} on #{}",
                self.number
            )));
        }
        Ok(Event::MemberRemoved {
            user,
            role,
            reason: Reason::parse(reason)?,
        })
    }

    fn next_observable_id(&self) -> u64 {
        self.observables.iter().map(|o| o.id).max().unwrap_or(0) + 1
    }

    /// Adds an observable, or — when the incident already has it — records what is new about it
    /// (flags raised, a later last-seen). `Unchanged` when nothing is new.
    pub fn add_observable(
        &self,
        kind: ObservableKind,
        raw: &str,
        flags: &ObservableFlags,
    ) -> Result<Event, DomainError> {
        let value = observable::normalize(kind, raw)?;
        let description = Summary::parse(&flags.description)?.into_inner();
        if let (Some(f), Some(l)) = (flags.first_seen, flags.last_seen)
            && f > l
        {
            return Err(DomainError::InvalidField {
                field: "observable",
                problem: "first seen is after last seen".into(),
            });
        }
        if let Some(existing) = self
            .observables
            .iter()
            .find(|o| o.kind == kind && o.value == value)
        {
            let ioc = (flags.ioc && !existing.ioc).then_some(true);
            let sighted = (flags.sighted && !existing.sighted).then_some(true);
            let last_seen = flags
                .last_seen
                .or(flags.first_seen)
                .filter(|t| existing.last_seen.is_none_or(|l| *t > l));
            if ioc.is_none() && sighted.is_none() && last_seen.is_none() {
                return Err(DomainError::Unchanged(format!(
                    "#{} already has {kind} {value}",
                    self.number
                )));
            }
            return Ok(Event::ObservableUpdated {
                id: existing.id,
                ioc,
                sighted,
                tlp: None,
                description: None,
                last_seen,
            });
        }
        if self.observables.len() >= 10_000 {
            return Err(DomainError::InvalidField {
                field: "observables",
                problem: "an incident has at most 10,000 observables".into(),
            });
        }
        Ok(Event::ObservableAdded {
            id: self.next_observable_id(),
            kind,
            value,
            ioc: flags.ioc,
            sighted: flags.sighted,
            tlp: flags.tlp,
            description,
            first_seen: flags.first_seen,
            last_seen: flags.last_seen.or(flags.first_seen),
        })
    }

    /// Extracts observables from pasted text and returns the events adding the new ones (ids
    /// assigned in order), and how many found values the incident already had.
    pub fn add_observables_from_text(
        &self,
        text: &str,
        flags: &ObservableFlags,
    ) -> Result<(Vec<Event>, usize), DomainError> {
        if text.len() > 1_000_000 {
            return Err(DomainError::InvalidField {
                field: "text",
                problem: "paste at most 1 MB at once".into(),
            });
        }
        Ok(self.add_found_observables(observable::extract(text), flags))
    }

    /// The events adding these already-normalised observables (an alert's, a paste's) that the
    /// incident does not have yet, ids in order; and how many it already had.
    pub fn add_found_observables(
        &self,
        found: impl IntoIterator<Item = (ObservableKind, String)>,
        flags: &ObservableFlags,
    ) -> (Vec<Event>, usize) {
        let mut events = Vec::new();
        let mut known = 0;
        let mut next = self.next_observable_id();
        for (kind, value) in found {
            if self
                .observables
                .iter()
                .any(|o| o.kind == kind && o.value == value)
            {
                known += 1;
                continue;
            }
            events.push(Event::ObservableAdded {
                id: next,
                kind,
                value,
                ioc: flags.ioc,
                sighted: flags.sighted,
                tlp: flags.tlp,
                description: String::new(),
                first_seen: None,
                last_seen: None,
            });
            next += 1;
        }
        (events, known)
    }

    /// Changes an observable's flags or description.
    pub fn update_observable(
        &self,
        id: u64,
        ioc: Option<bool>,
        sighted: Option<bool>,
        tlp: Option<Tlp>,
        description: Option<&str>,
    ) -> Result<Event, DomainError> {
        let o = self
            .observables
            .iter()
            .find(|o| o.id == id)
            .ok_or(DomainError::NoSuch {
                what: "observable",
                incident: self.number,
                id,
            })?;
        let description = description
            .map(|d| Summary::parse(d).map(Summary::into_inner))
            .transpose()?;
        let ioc = ioc.filter(|v| *v != o.ioc);
        let sighted = sighted.filter(|v| *v != o.sighted);
        let tlp = tlp.filter(|t| Some(*t) != o.tlp);
        let description = description.filter(|d| *d != o.description);
        if ioc.is_none() && sighted.is_none() && tlp.is_none() && description.is_none() {
            return Err(DomainError::Unchanged(format!(
                "observable {id} is already so"
            )));
        }
        Ok(Event::ObservableUpdated {
            id,
            ioc,
            sighted,
            tlp,
            description,
            last_seen: None,
        })
    }

    /// Adds an entry to the attack timeline.
    pub fn add_timeline(&self, new: &NewTimelineEntry) -> Result<Event, DomainError> {
        let description = Summary::parse(&new.description)?.into_inner();
        if description.is_empty() {
            return Err(DomainError::InvalidField {
                field: "description",
                problem: "must say what happened".into(),
            });
        }
        let technique = new
            .technique
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(Technique::parse)
            .transpose()?;
        let tactic = new
            .tactic
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(Tactic::parse)
            .transpose()?;
        if let Some(missing) = new
            .observables
            .iter()
            .find(|id| !self.observables.iter().any(|o| o.id == **id))
        {
            return Err(DomainError::InvalidField {
                field: "observables",
                problem: format!("#{} has no observable {missing}", self.number),
            });
        }
        if let Some(missing) = new
            .assets
            .iter()
            .find(|id| !self.assets.iter().any(|a| a.id == **id))
        {
            return Err(DomainError::InvalidField {
                field: "assets",
                problem: format!("#{} has no affected asset {missing}", self.number),
            });
        }
        if self.timeline.len() >= 100_000 {
            return Err(DomainError::InvalidField {
                field: "timeline",
                problem: "an incident has at most 100,000 timeline entries".into(),
            });
        }
        Ok(Event::TimelineAdded {
            id: self.timeline.iter().map(|t| t.id).max().unwrap_or(0) + 1,
            occurred_at: new.occurred_at,
            precision: new.precision,
            description,
            source: new.source,
            technique,
            tactic,
            observables: new.observables.clone(),
            assets: new.assets.clone(),
        })
    }

    /// Removes a timeline entry (the journal keeps it; the timeline no longer shows it).
    pub fn remove_timeline(&self, id: u64, reason: &str) -> Result<Event, DomainError> {
        if !self.timeline.iter().any(|t| t.id == id) {
            return Err(DomainError::NoSuch {
                what: "timeline entry",
                incident: self.number,
                id,
            });
        }
        let reason = Reason::parse(reason)?;
        if reason.is_empty() {
            return Err(DomainError::InvalidField {
                field: "reason",
                problem: "say why the entry is removed".into(),
            });
        }
        Ok(Event::TimelineRemoved { id, reason })
    }

    /// Folds the record's events (called from `Incident::apply`).
    pub(crate) fn apply_record(&mut self, event: Event, actor: &str, at: Timestamp) {
        match event {
            Event::Classified { class, kind, .. } => {
                self.classification = Some(Classification { class, kind })
            }
            Event::SeverityAssessed { assessment, .. } => self.severity = Some(assessment),
            Event::MarkingsSet { tlp, pap } => {
                if let Some(t) = tlp {
                    self.tlp = t;
                }
                if let Some(p) = pap {
                    self.pap = p;
                }
            }
            Event::TagsChanged { added, removed } => {
                self.tags.retain(|t| !removed.contains(t));
                self.tags.extend(added);
            }
            Event::ScopeSet { scope } => self.scope = scope,
            Event::MemberAdded { user, role } => self.members.push(Member {
                user,
                role,
                since: at,
            }),
            Event::MemberRemoved { user, role, .. } => {
                self.members.retain(|m| !(m.user == user && m.role == role))
            }
            Event::ObservableAdded {
                id,
                kind,
                value,
                ioc,
                sighted,
                tlp,
                description,
                first_seen,
                last_seen,
            } => self.observables.push(Observable {
                id,
                kind,
                value,
                ioc,
                sighted,
                tlp,
                description,
                first_seen,
                last_seen,
                added_by: actor.to_string(),
                added_at: at,
            }),
            Event::ObservableUpdated {
                id,
                ioc,
                sighted,
                tlp,
                description,
                last_seen,
            } => {
                if let Some(o) = self.observables.iter_mut().find(|o| o.id == id) {
                    if let Some(v) = ioc {
                        o.ioc = v;
                    }
                    if let Some(v) = sighted {
                        o.sighted = v;
                    }
                    if tlp.is_some() {
                        o.tlp = tlp;
                    }
                    if let Some(d) = description {
                        o.description = d;
                    }
                    if let Some(l) = last_seen {
                        o.last_seen = Some(l);
                        o.first_seen.get_or_insert(l);
                    }
                }
            }
            Event::TimelineAdded {
                id,
                occurred_at,
                precision,
                description,
                source,
                technique,
                tactic,
                observables,
                assets,
            } => {
                let entry = TimelineEntry {
                    id,
                    occurred_at,
                    precision,
                    description,
                    source,
                    technique,
                    tactic,
                    observables,
                    assets,
                    added_by: actor.to_string(),
                };
                let pos = self
                    .timeline
                    .partition_point(|t| (t.occurred_at, t.id) <= (entry.occurred_at, entry.id));
                self.timeline.insert(pos, entry);
            }
            Event::TimelineRemoved { id, .. } => self.timeline.retain(|t| t.id != id),
            // Every other kind, named so that a new one must be placed here.
            Event::Opened { .. }
            | Event::FieldChanged { .. }
            | Event::StatusChanged { .. }
            | Event::Assigned { .. }
            | Event::AccessSet { .. }
            | Event::AccessGranted { .. }
            | Event::AccessRevoked { .. }
            | Event::EvidenceAdded { .. }
            | Event::CustodyRecorded { .. }
            | Event::AssetAdded { .. }
            | Event::AssetUpdated { .. }
            | Event::ActionRecorded { .. }
            | Event::TaskAdded { .. }
            | Event::TaskUpdated { .. }
            | Event::NoteAdded { .. }
            | Event::TimeLogged { .. }
            | Event::PostmortemText { .. }
            | Event::PostmortemList { .. }
            | Event::PostmortemImpact { .. }
            | Event::RootCauseAdded { .. }
            | Event::RootCauseUpdated { .. }
            | Event::PostmortemStatusChanged { .. }
            | Event::ReviewScheduled { .. }
            | Event::ReviewInputGiven { .. }
            | Event::ReviewHeld { .. }
            | Event::InfoReminded { .. }
            | Event::RecommendationAdded { .. }
            | Event::RecommendationReminded { .. }
            | Event::RecommendationUpdated { .. }
            | Event::RecommendationStatusChanged { .. }
            | Event::InfoRequested { .. }
            | Event::InfoAnswered { .. }
            | Event::PlaybookApplied { .. }
            | Event::FlagsSet { .. }
            | Event::RegulatoryFactsSet { .. }
            | Event::RegulatoryClockSet { .. }
            | Event::NotificationRecorded { .. }
            | Event::NotificationAttempted { .. }
            | Event::NotificationSkipped { .. }
            | Event::ReportExported { .. }
            | Event::ObligationEscalated { .. }
            | Event::MilestoneSet { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests;

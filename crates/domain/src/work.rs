//! The rest of the incident record: affected assets, response actions, tasks, notes and
//! interview notes, and time entries (labour, for the metrics).

use serde::{Deserialize, Serialize};

use crate::enums::closed_enum;
use crate::error::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::text::{Label, Summary};
use crate::time::Timestamp;
use crate::user::Username;

closed_enum!(
    /// What kind of thing an affected asset is.
    AssetKind, "asset kind" { Host = "host", Account = "account", Application = "application", DataStore = "data-store" }
);
closed_enum!(
    /// How much the asset matters to the business.
    Criticality, "criticality" { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);
closed_enum!(
    /// What is known of the asset's compromise.
    Compromise, "compromise status" { Unknown = "unknown", Suspected = "suspected", Confirmed = "confirmed", Cleared = "cleared" }
);
closed_enum!(
    /// The kinds of response action the final report lists.
    ActionKind, "action kind" {
        Containment = "containment", Eradication = "eradication", Recovery = "recovery",
        Communication = "communication", Analysis = "analysis"
    }
);
closed_enum!(
    /// Where a task stands.
    TaskStatus, "task status" { Open = "open", InProgress = "in-progress", Done = "done", Cancelled = "cancelled" }
);
closed_enum!(
    /// A plain note, or the record of an interview.
    NoteKind, "note kind" { Note = "note", Interview = "interview" }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub id: u64,
    pub kind: AssetKind,
    pub name: String,
    pub criticality: Criticality,
    pub compromise: Compromise,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseAction {
    pub id: u64,
    pub kind: ActionKind,
    pub description: String,
    /// Who did it.
    pub by: String,
    pub at: Timestamp,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: u64,
    pub title: String,
    pub owner: Option<String>,
    pub due: Option<Timestamp>,
    pub status: TaskStatus,
    /// When it was last marked done.
    #[serde(default)]
    pub done_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: u64,
    pub kind: NoteKind,
    pub text: String,
    /// For interviews: who was interviewed.
    pub interviewee: String,
    pub by: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeEntry {
    pub id: u64,
    pub user: String,
    /// Labour in whole minutes (journal payloads hold integers only).
    pub minutes: u32,
    pub day: Timestamp,
    pub activity: String,
}

fn next<T>(items: &[T], id: impl Fn(&T) -> u64) -> u64 {
    items.iter().map(id).max().unwrap_or(0) + 1
}

fn required(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let v = Summary::parse(raw)?.into_inner();
    if v.is_empty() {
        return Err(DomainError::Empty { field });
    }
    Ok(v)
}

fn user(raw: &str) -> Result<String, DomainError> {
    Ok(Username::parse(raw)?.as_str().to_string())
}

impl Incident {
    /// Records an affected asset.
    pub fn add_asset(
        &self,
        kind: AssetKind,
        name: &str,
        criticality: Criticality,
        compromise: Compromise,
        description: &str,
    ) -> Result<Event, DomainError> {
        let name = Label::parse_as("name", name)?.into_inner();
        if name.is_empty() {
            return Err(DomainError::Empty { field: "name" });
        }
        if self
            .assets
            .iter()
            .any(|a| a.kind == kind && a.name.eq_ignore_ascii_case(&name))
        {
            return Err(DomainError::Unchanged(format!(
                "#{} already lists {} {name}",
                self.number,
                kind.as_str()
            )));
        }
        Ok(Event::AssetAdded {
            id: next(&self.assets, |a| a.id),
            kind,
            name,
            criticality,
            compromise,
            description: Summary::parse(description)?.into_inner(),
        })
    }

    /// Changes an asset's criticality or compromise status.
    pub fn update_asset(
        &self,
        id: u64,
        criticality: Option<Criticality>,
        compromise: Option<Compromise>,
    ) -> Result<Event, DomainError> {
        let a = self
            .assets
            .iter()
            .find(|a| a.id == id)
            .ok_or(DomainError::NoSuch {
                what: "asset",
                incident: self.number,
                id,
            })?;
        let criticality = criticality.filter(|c| *c != a.criticality);
        let compromise = compromise.filter(|c| *c != a.compromise);
        if criticality.is_none() && compromise.is_none() {
            return Err(DomainError::Unchanged(format!("asset {id} is already so")));
        }
        Ok(Event::AssetUpdated {
            id,
            criticality,
            compromise,
        })
    }

    /// Records a response action (what was done, by whom, when, with what outcome).
    pub fn record_action(
        &self,
        kind: ActionKind,
        description: &str,
        by: &str,
        at: Timestamp,
        outcome: &str,
    ) -> Result<Event, DomainError> {
        let at = self.stated("at", at, Timestamp::now())?;
        Ok(Event::ActionRecorded {
            id: next(&self.actions, |a| a.id),
            kind,
            description: required("description", description)?,
            by: user(by)?,
            at,
            outcome: Summary::parse(outcome)?.into_inner(),
        })
    }

    /// Adds a task.
    pub fn add_task(
        &self,
        title: &str,
        owner: Option<&str>,
        due: Option<Timestamp>,
    ) -> Result<Event, DomainError> {
        let title = Label::parse_as("title", title)?.into_inner();
        if title.is_empty() {
            return Err(DomainError::Empty { field: "title" });
        }
        Ok(Event::TaskAdded {
            id: next(&self.tasks, |t| t.id),
            title,
            owner: owner.map(user).transpose()?,
            due,
        })
    }

    /// Changes a task's status, owner or due date.
    pub fn update_task(
        &self,
        id: u64,
        status: Option<TaskStatus>,
        owner: Option<&str>,
        due: Option<Timestamp>,
        at: Option<Timestamp>,
    ) -> Result<Event, DomainError> {
        let at = at
            .map(|a| self.stated("at", a, Timestamp::now()))
            .transpose()?;
        let t = self
            .tasks
            .iter()
            .find(|t| t.id == id)
            .ok_or(DomainError::NoSuch {
                what: "task",
                incident: self.number,
                id,
            })?;
        let status = status.filter(|s| *s != t.status);
        let owner = owner
            .map(user)
            .transpose()?
            .filter(|o| Some(o) != t.owner.as_ref());
        let due = due.filter(|d| Some(*d) != t.due);
        if status.is_none() && owner.is_none() && due.is_none() {
            return Err(DomainError::Unchanged(format!("task {id} is already so")));
        }
        Ok(Event::TaskUpdated {
            id,
            // The stated time dates a status change; alone it changes nothing.
            at: at.filter(|_| status.is_some()),
            status,
            owner,
            due,
        })
    }

    /// Adds a note, or an interview note naming the person interviewed.
    pub fn add_note(
        &self,
        kind: NoteKind,
        text: &str,
        interviewee: &str,
        at: Option<Timestamp>,
    ) -> Result<Event, DomainError> {
        let at = at
            .map(|a| self.stated("at", a, Timestamp::now()))
            .transpose()?;
        let interviewee = Label::parse_as("interviewee", interviewee)?.into_inner();
        if kind == NoteKind::Interview && interviewee.is_empty() {
            return Err(DomainError::Empty {
                field: "interviewee",
            });
        }
        Ok(Event::NoteAdded {
            id: next(&self.notes, |n| n.id),
            kind,
            text: required("text", text)?,
            interviewee,
            at,
        })
    }

    /// Logs labour on the incident.
    pub fn log_time(
        &self,
        who: &str,
        minutes: u32,
        day: Timestamp,
        activity: &str,
    ) -> Result<Event, DomainError> {
        let day = self.stated_day("day", day, Timestamp::now())?;
        if minutes == 0 || minutes > 24 * 60 {
            return Err(DomainError::InvalidField {
                field: "minutes",
                problem: "must be between 1 and 1440 (one day)".into(),
            });
        }
        Ok(Event::TimeLogged {
            id: next(&self.time, |t| t.id),
            user: user(who)?,
            minutes,
            day,
            activity: Label::parse_as("activity", activity)?.into_inner(),
        })
    }

    /// Total labour logged, in minutes.
    pub fn minutes_logged(&self) -> u64 {
        self.time.iter().map(|t| u64::from(t.minutes)).sum()
    }

    pub(crate) fn apply_work(&mut self, event: Event, actor: &str, at: Timestamp) {
        match event {
            Event::AssetAdded {
                id,
                kind,
                name,
                criticality,
                compromise,
                description,
            } => self.assets.push(Asset {
                id,
                kind,
                name,
                criticality,
                compromise,
                description,
            }),
            Event::AssetUpdated {
                id,
                criticality,
                compromise,
            } => {
                if let Some(a) = self.assets.iter_mut().find(|a| a.id == id) {
                    if let Some(c) = criticality {
                        a.criticality = c;
                    }
                    if let Some(c) = compromise {
                        a.compromise = c;
                    }
                }
            }
            Event::ActionRecorded {
                id,
                kind,
                description,
                by,
                at,
                outcome,
            } => self.actions.push(ResponseAction {
                id,
                kind,
                description,
                by,
                at,
                outcome,
            }),
            Event::TaskAdded {
                id,
                title,
                owner,
                due,
            } => self.tasks.push(Task {
                id,
                title,
                owner,
                due,
                status: TaskStatus::Open,
                done_at: None,
            }),
            Event::TaskUpdated {
                id,
                status,
                owner,
                due,
                at: stated,
            } => {
                if let Some(t) = self.tasks.iter_mut().find(|t| t.id == id) {
                    if let Some(s) = status {
                        t.status = s;
                        t.done_at = (s == TaskStatus::Done).then_some(stated.unwrap_or(at));
                    }
                    if owner.is_some() {
                        t.owner = owner;
                    }
                    if due.is_some() {
                        t.due = due;
                    }
                }
            }
            Event::NoteAdded {
                id,
                kind,
                text,
                interviewee,
                at: stated,
            } => self.notes.push(Note {
                id,
                kind,
                text,
                interviewee,
                by: actor.to_string(),
                at: stated.unwrap_or(at),
            }),
            Event::TimeLogged {
                id,
                user,
                minutes,
                day,
                activity,
            } => self.time.push(TimeEntry {
                id,
                user,
                minutes,
                day,
                activity,
            }),
            // Every other kind, named so that a new one must be placed here.
            Event::Opened { .. }
            | Event::FieldChanged { .. }
            | Event::StatusChanged { .. }
            | Event::Assigned { .. }
            | Event::Classified { .. }
            | Event::SeverityAssessed { .. }
            | Event::MarkingsSet { .. }
            | Event::TagsChanged { .. }
            | Event::ScopeSet { .. }
            | Event::MemberAdded { .. }
            | Event::MemberRemoved { .. }
            | Event::AccessSet { .. }
            | Event::AccessGranted { .. }
            | Event::AccessRevoked { .. }
            | Event::ObservableAdded { .. }
            | Event::ObservableUpdated { .. }
            | Event::TimelineAdded { .. }
            | Event::TimelineRemoved { .. }
            | Event::EvidenceAdded { .. }
            | Event::CustodyRecorded { .. }
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
mod tests {
    use super::*;
    use crate::testkit::Journal;

    #[test]
    fn assets_actions_tasks_notes_and_time_are_folded() {
        let mut j = Journal::new();
        let at = Timestamp::parse("2026-11-20T12:00:00Z").unwrap();
        let events = [
            j.state()
                .add_asset(
                    AssetKind::Host,
                    "WS-042",
                    Criticality::Medium,
                    Compromise::Confirmed,
                    "",
                )
                .unwrap(),
            j.state()
                .record_action(
                    ActionKind::Containment,
                    "Isolated WS-042 from the network",
                    "bob",
                    at,
                    "isolated",
                )
                .unwrap(),
            j.state()
                .add_task("Reset the three users' passwords", Some("carol"), Some(at))
                .unwrap(),
            j.state()
                .add_note(
                    NoteKind::Interview,
                    "Opened the attachment at 09:12",
                    "finance clerk",
                    None,
                )
                .unwrap(),
            j.state().log_time("bob", 90, at, "triage").unwrap(),
        ];
        for e in events {
            j.push(e);
        }
        let e = j
            .state()
            .update_task(1, Some(TaskStatus::Done), None, None, None)
            .unwrap();
        j.push(e);
        let e = j
            .state()
            .update_asset(1, None, Some(Compromise::Cleared))
            .unwrap();
        j.push(e);
        let s = j.state();
        assert_eq!(s.assets[0].compromise, Compromise::Cleared);
        assert_eq!(s.actions[0].kind, ActionKind::Containment);
        assert_eq!(s.tasks[0].status, TaskStatus::Done);
        assert_eq!(s.notes[0].interviewee, "finance clerk");
        assert_eq!(s.minutes_logged(), 90);
    }

    #[test]
    fn bad_work_input_is_refused() {
        let j = Journal::new();
        let s = j.state();
        let at = Timestamp::parse("2026-11-20T12:00:00Z").unwrap();
        assert!(
            s.add_asset(
                AssetKind::Host,
                " ",
                Criticality::Low,
                Compromise::Unknown,
                ""
            )
            .is_err()
        );
        assert!(
            s.record_action(ActionKind::Analysis, "", "bob", at, "")
                .is_err()
        );
        assert!(s.add_task("", None, None).is_err());
        assert!(
            s.add_note(NoteKind::Interview, "said things", "", None)
                .is_err()
        );
        assert!(s.log_time("bob", 0, at, "").is_err());
        assert!(s.log_time("bob", 2000, at, "").is_err());
        assert!(
            s.update_task(3, Some(TaskStatus::Done), None, None, None)
                .is_err()
        );
        assert!(
            "urgent"
                .parse::<TaskStatus>()
                .unwrap_err()
                .to_string()
                .contains("open, in-progress, done, cancelled")
        );
    }
}

//! Typed commands with more than one front end, parsed once (from JSON, a form or the command
//! line) into domain values, and decided by the domain on the incident's current state.

use debrief_domain::postmortem::{Owner, Priority, RecommendationKind};
use debrief_domain::{DomainError, Event, Field, Incident, Timestamp};

/// An edit of the incident's describing fields (title, summary, reporter, detection source),
/// one append whatever the number of fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditIncident {
    changes: Vec<(Field, String)>,
    reason: String,
}

impl EditIncident {
    /// The edit of the fields given (`None`: left as it is). Every value is checked here, so a
    /// refused edit is refused before the incident is read; giving none is refused.
    pub fn new(
        title: Option<String>,
        summary: Option<String>,
        reporter: Option<String>,
        detection_source: Option<String>,
        reason: impl Into<String>,
    ) -> Result<EditIncident, DomainError> {
        let changes: Vec<(Field, String)> = [
            (Field::Title, title),
            (Field::Summary, summary),
            (Field::Reporter, reporter),
            (Field::DetectionSource, detection_source),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.map(|v| (f, v)))
        .collect();
        if changes.is_empty() {
            return Err(DomainError::Unchanged(
                "give at least one of title, summary, reporter, detection_source".into(),
            ));
        }
        for (field, value) in &changes {
            field.parse_value(value)?;
        }
        Ok(EditIncident {
            changes,
            reason: reason.into(),
        })
    }

    /// The fields this edit names.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.changes.iter().map(|(f, _)| *f)
    }

    /// The events on `incident` as it is now (fields already at their value are left out).
    pub fn decide(&self, incident: &Incident) -> Result<Vec<Event>, DomainError> {
        incident.edit(&self.changes, &self.reason)
    }
}

/// A recommendation of the postmortem, on every channel: an owner given by user name must be an
/// account (a team named in words is kept as written) and the other incidents it answers must
/// exist (checked by [`crate::App::add_recommendation`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRecommendation {
    pub action: String,
    pub kind: RecommendationKind,
    pub priority: Priority,
    pub owner: Option<Owner>,
    /// `None`: the default of its priority.
    pub due: Option<Timestamp>,
    pub root_causes: Vec<u64>,
    /// Other incidents it also answers (numbers).
    pub related: Vec<i64>,
}

/// A recommendation reworded, or given another owner or due date.
#[derive(Debug, Clone)]
pub struct UpdateRecommendation {
    pub id: u64,
    pub action: String,
    pub owner: Option<Owner>,
    pub due: Timestamp,
}

impl UpdateRecommendation {
    /// The event on `incident` as it is now.
    pub fn decide(&self, incident: &Incident) -> Result<Vec<Event>, DomainError> {
        Ok(vec![incident.update_recommendation(
            self.id,
            &self.action,
            self.owner.as_ref().map(Owner::as_str),
            self.due,
        )?])
    }
}

impl AddRecommendation {
    /// Reads the owner: a user name, or a team named in words (blank: no owner).
    pub fn owner_from(raw: Option<&str>) -> Result<Option<Owner>, DomainError> {
        Ok(match raw {
            Some(r) => Owner::parse(r)?,
            None => None,
        })
    }

    /// The event on `incident` as it is now.
    pub fn decide(&self, incident: &Incident, now: Timestamp) -> Result<Vec<Event>, DomainError> {
        Ok(vec![incident.add_recommendation(
            &self.action,
            self.kind,
            self.priority,
            self.owner.as_ref().map(Owner::as_str),
            self.due,
            &self.root_causes,
            &self.related,
            now,
        )?])
    }
}

//! Evidence: files kept by their SHA-256, and their chain of custody (who collected them, from
//! where, when, who handed them to whom, where they are stored).

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::text::{Label, Summary};
use crate::time::Timestamp;

/// What happened to a piece of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CustodyAction {
    Collected,
    Transferred,
    Stored,
    Examined,
    Returned,
    Destroyed,
}

impl CustodyAction {
    pub const ALL: [CustodyAction; 6] = [
        CustodyAction::Collected,
        CustodyAction::Transferred,
        CustodyAction::Stored,
        CustodyAction::Examined,
        CustodyAction::Returned,
        CustodyAction::Destroyed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CustodyAction::Collected => "collected",
            CustodyAction::Transferred => "transferred",
            CustodyAction::Stored => "stored",
            CustodyAction::Examined => "examined",
            CustodyAction::Returned => "returned",
            CustodyAction::Destroyed => "destroyed",
        }
    }
}

impl std::str::FromStr for CustodyAction {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CustodyAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| DomainError::Unknown {
                what: "custody action",
                value: s.to_string(),
                expected: CustodyAction::ALL.map(|a| a.as_str()).join(", "),
            })
    }
}

/// One link of the chain of custody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Custody {
    pub action: CustodyAction,
    pub at: Timestamp,
    /// Who had it before (for a transfer).
    pub from: String,
    /// Who has it now.
    pub to: String,
    /// Where it is kept (a safe, a share, a ticket number…).
    pub location: String,
    pub note: String,
    pub recorded_by: String,
}

/// A piece of evidence as the incident knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: u64,
    pub name: String,
    /// Lower-case hex SHA-256 of the content: also its storage key.
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub description: String,
    pub collected_by: String,
    pub collected_from: String,
    pub collected_at: Timestamp,
    pub custody: Vec<Custody>,
}

/// Facts about a file just stored, and how it was collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub description: String,
    pub collected_by: String,
    pub collected_from: String,
    pub collected_at: Timestamp,
}

fn file_name(raw: &str) -> Result<String, DomainError> {
    let name = raw
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if name.is_empty() || name == "." || name == ".." {
        return Err(DomainError::InvalidField {
            field: "name",
            problem: "the file needs a name".into(),
        });
    }
    Ok(Label::parse_as("name", &name)?.into_inner())
}

impl Incident {
    /// Records a file already stored under its hash, with its first custody link.
    pub fn add_evidence(&self, new: &NewEvidence) -> Result<Event, DomainError> {
        if new.sha256.len() != 64
            || !new
                .sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(DomainError::InvalidField {
                field: "sha256",
                problem: "expected 64 lower-case hex digits".into(),
            });
        }
        if self.evidence.iter().any(|e| e.sha256 == new.sha256) {
            return Err(DomainError::Unchanged(format!(
                "#{} already holds this file (sha256 {})",
                self.number, new.sha256
            )));
        }
        let collected_by = Label::parse_as("collected_by", &new.collected_by)?.into_inner();
        if collected_by.is_empty() {
            return Err(DomainError::InvalidField {
                field: "collected_by",
                problem: "say who collected it".into(),
            });
        }
        Ok(Event::EvidenceAdded {
            id: self.evidence.iter().map(|e| e.id).max().unwrap_or(0) + 1,
            name: file_name(&new.name)?,
            sha256: new.sha256.clone(),
            size: new.size,
            media_type: Label::parse_as("media_type", &new.media_type)?.into_inner(),
            description: Summary::parse(&new.description)?.into_inner(),
            collected_by,
            collected_from: Label::parse_as("collected_from", &new.collected_from)?.into_inner(),
            collected_at: new.collected_at,
        })
    }

    /// Adds a link to an evidence's chain of custody.
    #[allow(clippy::too_many_arguments)]
    pub fn record_custody(
        &self,
        id: u64,
        action: CustodyAction,
        at: Timestamp,
        from: &str,
        to: &str,
        location: &str,
        note: &str,
    ) -> Result<Event, DomainError> {
        let e = self
            .evidence
            .iter()
            .find(|e| e.id == id)
            .ok_or(DomainError::NoSuch {
                what: "evidence",
                incident: self.number,
                id,
            })?;
        if e.custody
            .last()
            .is_some_and(|c| c.action == CustodyAction::Destroyed)
        {
            return Err(DomainError::InvalidField {
                field: "custody",
                problem: format!("evidence {id} was destroyed"),
            });
        }
        let at = self.stated("at", at, Timestamp::now())?;
        let to = Label::parse_as("to", to)?.into_inner();
        if action == CustodyAction::Transferred && to.is_empty() {
            return Err(DomainError::InvalidField {
                field: "to",
                problem: "a transfer needs the person it was handed to".into(),
            });
        }
        // Unstated, the item comes from whoever held it last: a chain reads from → to.
        let mut from = Label::parse_as("from", from)?.into_inner();
        if from.is_empty()
            && let Some(last) = e.custody.last()
        {
            from = last.to.clone();
        }
        Ok(Event::CustodyRecorded {
            id,
            action,
            at,
            from,
            to,
            location: Label::parse_as("location", location)?.into_inner(),
            note: Summary::parse(note)?.into_inner(),
        })
    }

    pub(crate) fn apply_evidence(&mut self, event: Event, actor: &str) {
        match event {
            Event::EvidenceAdded {
                id,
                name,
                sha256,
                size,
                media_type,
                description,
                collected_by,
                collected_from,
                collected_at,
            } => {
                let first = Custody {
                    action: CustodyAction::Collected,
                    at: collected_at,
                    from: collected_from.clone(),
                    to: collected_by.clone(),
                    location: String::new(),
                    note: String::new(),
                    recorded_by: actor.to_string(),
                };
                self.evidence.push(Evidence {
                    id,
                    name,
                    sha256,
                    size,
                    media_type,
                    description,
                    collected_by,
                    collected_from,
                    collected_at,
                    custody: vec![first],
                });
            }
            Event::CustodyRecorded {
                id,
                action,
                at,
                from,
                to,
                location,
                note,
            } => {
                if let Some(e) = self.evidence.iter_mut().find(|e| e.id == id) {
                    e.custody.push(Custody {
                        action,
                        at,
                        from,
                        to,
                        location,
                        note,
                        recorded_by: actor.to_string(),
                    });
                }
            }
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
mod tests {
    use super::*;
    use crate::testkit::Journal;

    fn new(hash: char) -> NewEvidence {
        NewEvidence {
            name: "C:\\\\triage\\\\memory.raw".into(),
            sha256: hash.to_string().repeat(64),
            size: 42,
            media_type: "application/octet-stream".into(),
            description: "".into(),
            collected_by: "carol".into(),
            collected_from: "WS-042".into(),
            collected_at: Timestamp::parse("2026-11-20T11:00:00Z").unwrap(),
        }
    }

    #[test]
    fn evidence_and_custody_are_folded() {
        let mut j = Journal::new();
        let e = j.state().add_evidence(&new('a')).unwrap();
        j.push(e);
        let at = Timestamp::parse("2026-11-20T12:00:00Z").unwrap();
        let e = j
            .state()
            .record_custody(
                1,
                CustodyAction::Transferred,
                at,
                "carol",
                "dave (forensics)",
                "safe 3",
                "",
            )
            .unwrap();
        j.push(e);
        let s = j.state();
        assert_eq!(s.evidence[0].name, "memory.raw");
        assert_eq!(s.evidence[0].custody.len(), 2);
        assert_eq!(s.evidence[0].custody[1].to, "dave (forensics)");
        assert!(matches!(
            s.add_evidence(&new('a')),
            Err(DomainError::Unchanged(_))
        ));
        assert!(
            s.record_custody(1, CustodyAction::Transferred, at, "dave", "", "", "")
                .is_err()
        );
        assert!(
            s.record_custody(9, CustodyAction::Stored, at, "", "", "", "")
                .is_err()
        );
        // Unstated, the item comes from its last holder.
        match s.record_custody(1, CustodyAction::Examined, at, "", "lab", "", "") {
            Ok(Event::CustodyRecorded { from, .. }) => assert_eq!(from, "dave (forensics)"),
            other => panic!("{other:?}"),
        }
        let bad = NewEvidence {
            sha256: "XYZ".into(),
            ..new('b')
        };
        assert!(s.add_evidence(&bad).is_err());
        let nobody = NewEvidence {
            collected_by: " ".into(),
            ..new('c')
        };
        assert!(s.add_evidence(&nobody).is_err());
    }
}

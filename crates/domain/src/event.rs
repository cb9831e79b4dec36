//! Journal events: the facts an incident's state is folded from.
//!
//! Each event has a `kind` (a dotted name such as `incident.status_changed`) and a JSON `payload`.
//! Later capabilities add kinds; a kind, once written to a journal, keeps its meaning forever.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::field::Field;
pub use crate::milestone::{Milestone, MilestoneSource};
use crate::observable::ObservableKind;
use crate::status::Status;
use crate::text::{Label, Reason, Summary, Title};
use crate::time::Timestamp;
use crate::timeline::{Precision, Tactic, Technique, TimelineSource};
use crate::triage::{Assessment, IncidentRole, Pap, Scope, Tlp};

/// Something that happened to an incident, as recorded in its journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", deny_unknown_fields)]
pub enum Event {
    /// The incident was declared. Always the first entry of a journal.
    #[serde(rename = "incident.opened")]
    Opened {
        number: i64,
        title: Title,
        summary: Summary,
        reporter: Label,
        detection_source: Label,
        /// When the activity was first detected, if earlier than the declaration.
        detected_at: Option<Timestamp>,
        /// Restricted to its team from the start (absent, as in every entry written before
        /// need-to-know existed, when not).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        restricted: bool,
    },
    /// A descriptive field was edited.
    #[serde(rename = "incident.field_changed")]
    FieldChanged {
        field: Field,
        from: String,
        to: String,
        reason: Reason,
    },
    /// The incident moved along its lifecycle.
    #[serde(rename = "incident.status_changed")]
    StatusChanged {
        from: Status,
        to: Status,
        reason: Reason,
    },
    /// The incident was given to someone to lead its handling (or released, with `None`).
    #[serde(rename = "incident.assigned")]
    Assigned {
        from: Option<String>,
        to: Option<String>,
        reason: Reason,
    },
    /// Classified by the reference taxonomy.
    #[serde(rename = "incident.classified")]
    Classified {
        class: String,
        #[serde(rename = "type")]
        kind: String,
        reason: Reason,
    },
    /// Severity assessed; the computed level and its reasons are recorded as they were.
    #[serde(rename = "incident.severity_assessed")]
    SeverityAssessed {
        assessment: Assessment,
        reason: Reason,
    },
    /// Sharing markings changed.
    #[serde(rename = "incident.markings_set")]
    MarkingsSet { tlp: Option<Tlp>, pap: Option<Pap> },
    /// Tags added or removed.
    #[serde(rename = "incident.tags_changed")]
    TagsChanged {
        added: Vec<String>,
        removed: Vec<String>,
    },
    /// The scope (business units, sites, systems) replaced.
    #[serde(rename = "incident.scope_set")]
    ScopeSet { scope: Scope },
    /// A person put on the incident in an incident role.
    #[serde(rename = "incident.member_added")]
    MemberAdded { user: String, role: IncidentRole },
    /// A person taken off an incident role.
    #[serde(rename = "incident.member_removed")]
    MemberRemoved {
        user: String,
        role: IncidentRole,
        reason: Reason,
    },
    /// The incident restricted to its team, or opened to every account again.
    #[serde(rename = "incident.access_set")]
    AccessSet {
        restricted: bool,
        reason: Reason,
        /// The marking that restricted it by itself (the installation's policy), if it was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        marking: Option<crate::triage::Tlp>,
    },
    /// A person or a group given access to the incident.
    #[serde(rename = "incident.access_granted")]
    AccessGranted {
        to: crate::access::Grantee,
        reason: Reason,
        /// A manager outside the team opened the incident by stating a reason ("break-glass").
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        break_glass: bool,
    },
    /// Access taken away from a person or a group.
    #[serde(rename = "incident.access_revoked")]
    AccessRevoked {
        to: crate::access::Grantee,
        reason: Reason,
    },
    /// An observable recorded.
    #[serde(rename = "observable.added")]
    ObservableAdded {
        id: u64,
        kind: ObservableKind,
        value: String,
        ioc: bool,
        sighted: bool,
        tlp: Option<Tlp>,
        description: String,
        first_seen: Option<Timestamp>,
        last_seen: Option<Timestamp>,
    },
    /// What changed about an observable (absent fields are unchanged).
    #[serde(rename = "observable.updated")]
    ObservableUpdated {
        id: u64,
        ioc: Option<bool>,
        sighted: Option<bool>,
        tlp: Option<Tlp>,
        description: Option<String>,
        last_seen: Option<Timestamp>,
    },
    /// An attack timeline entry recorded.
    #[serde(rename = "timeline.added")]
    TimelineAdded {
        id: u64,
        occurred_at: Timestamp,
        precision: Precision,
        description: String,
        source: TimelineSource,
        technique: Option<Technique>,
        tactic: Option<Tactic>,
        observables: Vec<u64>,
        /// Ids of this incident's affected assets involved.
        #[serde(default)]
        assets: Vec<u64>,
    },
    /// A timeline entry withdrawn (it stays in the journal).
    #[serde(rename = "timeline.removed")]
    TimelineRemoved { id: u64, reason: Reason },
    /// A file was stored (content-addressed by its SHA-256) and recorded as evidence.
    #[serde(rename = "evidence.added")]
    EvidenceAdded {
        id: u64,
        name: String,
        sha256: String,
        size: u64,
        media_type: String,
        description: String,
        collected_by: String,
        collected_from: String,
        collected_at: Timestamp,
    },
    /// A link of an evidence's chain of custody.
    #[serde(rename = "evidence.custody")]
    CustodyRecorded {
        id: u64,
        action: crate::evidence::CustodyAction,
        at: Timestamp,
        from: String,
        to: String,
        location: String,
        note: String,
    },
    /// An affected asset recorded.
    #[serde(rename = "asset.added")]
    AssetAdded {
        id: u64,
        kind: crate::work::AssetKind,
        name: String,
        criticality: crate::work::Criticality,
        compromise: crate::work::Compromise,
        description: String,
    },
    /// An asset's criticality or compromise status changed.
    #[serde(rename = "asset.updated")]
    AssetUpdated {
        id: u64,
        criticality: Option<crate::work::Criticality>,
        compromise: Option<crate::work::Compromise>,
    },
    /// A response action taken.
    #[serde(rename = "action.recorded")]
    ActionRecorded {
        id: u64,
        kind: crate::work::ActionKind,
        description: String,
        by: String,
        at: Timestamp,
        outcome: String,
    },
    /// A task added.
    #[serde(rename = "task.added")]
    TaskAdded {
        id: u64,
        title: String,
        owner: Option<String>,
        due: Option<Timestamp>,
    },
    /// A task's status, owner or due date changed.
    #[serde(rename = "task.updated")]
    TaskUpdated {
        id: u64,
        status: Option<crate::work::TaskStatus>,
        owner: Option<String>,
        due: Option<Timestamp>,
        /// When the status change happened, as stated (absent: when it was recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<Timestamp>,
    },
    /// A note or interview note added.
    #[serde(rename = "note.added")]
    NoteAdded {
        id: u64,
        kind: crate::work::NoteKind,
        text: String,
        interviewee: String,
        /// When it happened, as stated (absent: when it was recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<Timestamp>,
    },
    /// Labour logged.
    #[serde(rename = "time.logged")]
    TimeLogged {
        id: u64,
        user: String,
        minutes: u32,
        day: Timestamp,
        activity: String,
    },
    /// A text section of the postmortem written.
    #[serde(rename = "postmortem.text_set")]
    PostmortemText {
        section: crate::postmortem::PmText,
        text: String,
    },
    /// A list section of the postmortem replaced.
    #[serde(rename = "postmortem.list_set")]
    PostmortemList {
        list: crate::postmortem::PmList,
        items: Vec<String>,
    },
    /// The impact section replaced.
    #[serde(rename = "postmortem.impact_set")]
    PostmortemImpact { impact: crate::postmortem::Impact },
    /// A root cause found.
    #[serde(rename = "postmortem.root_cause_added")]
    RootCauseAdded { cause: crate::postmortem::RootCause },
    /// A root cause rewritten (its number kept).
    #[serde(rename = "postmortem.root_cause_updated")]
    RootCauseUpdated { cause: crate::postmortem::RootCause },
    /// The postmortem moved in its review.
    #[serde(rename = "postmortem.status_changed")]
    PostmortemStatusChanged {
        from: crate::postmortem::PostmortemStatus,
        to: crate::postmortem::PostmortemStatus,
        reason: Reason,
    },
    /// The review meeting's date set.
    #[serde(rename = "postmortem.review_scheduled")]
    ReviewScheduled { at: Timestamp },
    /// A participant's answers to the review's questions, given beforehand; an anonymous one
    /// is shown without its author.
    #[serde(rename = "postmortem.input_given")]
    ReviewInputGiven {
        id: u64,
        anonymous: bool,
        answers: std::collections::BTreeMap<crate::postmortem::InputQuestion, String>,
    },
    /// The review meeting as held: when, who attended, who was absent, what was decided.
    #[serde(rename = "postmortem.review_held")]
    ReviewHeld {
        at: Timestamp,
        attendees: Vec<String>,
        absent: Vec<String>,
        decisions: Vec<String>,
    },
    /// A recommendation made.
    #[serde(rename = "recommendation.added")]
    RecommendationAdded {
        id: u64,
        action: String,
        kind: crate::postmortem::RecommendationKind,
        impact: u8,
        effort: u8,
        owner: Option<String>,
        due: Timestamp,
        root_causes: Vec<u64>,
        /// Other incidents the recommendation also answers.
        #[serde(default)]
        related_incidents: Vec<i64>,
    },
    /// A recommendation reworded, given to another owner or another due date (its kind,
    /// priority and what it answers stay).
    #[serde(rename = "recommendation.updated")]
    RecommendationUpdated {
        id: u64,
        action: String,
        owner: Option<String>,
        due: Timestamp,
    },
    /// Its owner reminded, through their directory entry, that a recommendation is due soon
    /// or overdue (once per state).
    #[serde(rename = "recommendation.reminded")]
    RecommendationReminded {
        id: u64,
        state: crate::postmortem::DueState,
        to: String,
        delivery: String,
    },
    /// A recommendation moved along its lifecycle.
    #[serde(rename = "recommendation.status_changed")]
    RecommendationStatusChanged {
        id: u64,
        from: crate::postmortem::RecommendationStatus,
        to: crate::postmortem::RecommendationStatus,
        reason: Reason,
    },
    /// A question put to the business.
    #[serde(rename = "info.requested")]
    InfoRequested {
        id: u64,
        to: String,
        question: String,
    },
    /// The business answered.
    #[serde(rename = "info.answered")]
    InfoAnswered {
        id: u64,
        answer: String,
        /// When it happened, as stated (absent: when it was recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<Timestamp>,
    },
    /// The directory entry asked reminded, through its channel, that a question waits for its
    /// answer (once, a working day after it was asked).
    #[serde(rename = "info.reminded")]
    InfoReminded {
        id: u64,
        to: String,
        delivery: String,
    },
    /// A playbook applied: its steps became the tasks named here.
    #[serde(rename = "playbook.applied")]
    PlaybookApplied {
        slug: String,
        version: i64,
        title: String,
        steps: Vec<crate::playbook::AppliedStep>,
    },
    /// The incident's regulatory flags replaced (personal data, significant, material…).
    #[serde(rename = "regulatory.flags_set")]
    FlagsSet { flags: Vec<String>, reason: Reason },
    /// What regulators ask that only a person can state, replaced.
    #[serde(rename = "regulatory.facts_set")]
    RegulatoryFactsSet {
        facts: crate::obligation::RegulatoryFacts,
    },
    /// A regulatory clock stated (classification as major, materiality determination).
    #[serde(rename = "regulatory.clock_set")]
    RegulatoryClockSet {
        clock: crate::obligation::ClockStart,
        at: Timestamp,
        source: Label,
    },
    /// A notification made, possibly discharging a regulatory step.
    #[serde(rename = "notification.recorded")]
    NotificationRecorded {
        id: u64,
        regime: Option<String>,
        step: Option<String>,
        recipients: Vec<String>,
        channel: String,
        summary: String,
        sent_at: Timestamp,
        late_reason: String,
        /// How it went out: `delivered`, or why it could not be (it then discharges nothing).
        #[serde(default = "delivered")]
        delivery: String,
        /// What was sent (subject and text, or the webhook's JSON body) when Debrief sent it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// The directory entry it went to, for a retry to find its address.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stakeholder: Option<String>,
        /// The notification rule that proposed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
    },
    /// Another attempt to deliver a notification that had failed (a retry, or a person's resend).
    #[serde(rename = "notification.attempted")]
    NotificationAttempted {
        id: u64,
        /// `delivered …`, or why not.
        delivery: String,
    },
    /// A proposed notification a manager decided not to send, and why.
    #[serde(rename = "notification.skipped")]
    NotificationSkipped {
        rule: String,
        rule_name: String,
        stakeholder: String,
        reason: Reason,
    },
    /// A report was rendered and sealed (who exported what, when: the entry's actor and time).
    #[serde(rename = "report.exported")]
    ReportExported {
        kind: String,
        format: String,
        lang: String,
        /// SHA-256 of the document's body, as its seal states.
        sha256: String,
        /// The journal entry the report reflects.
        journal_seq: u64,
    },
    /// The incident lead and legal were warned that a regulatory deadline is near or passed.
    #[serde(rename = "regulatory.escalated")]
    ObligationEscalated {
        regime: String,
        step: String,
        due: Option<Timestamp>,
        recipients: Vec<String>,
        /// How each warning went out, or why none could be.
        delivery: String,
    },
    /// A key timestamp was stated explicitly, with the evidence it rests on.
    #[serde(rename = "incident.milestone_set")]
    MilestoneSet {
        milestone: Milestone,
        at: Timestamp,
        previous: Option<Timestamp>,
        /// What establishes the time: "EDR telemetry", "forensic report FR-12", …
        source: Label,
        reason: Reason,
    },
}

/// The one table of event kinds: `kind()` (exhaustive: a new variant does not compile until it is
/// named here) and `Event::KINDS`, every kind, which tests walk (labels in both languages, the
/// search mapping). The names are the serde tags (`#[serde(rename)]`) — a test checks they agree.
macro_rules! kinds {
    ($($variant:ident => $kind:literal,)*) => {
        impl Event {
            /// Every kind of event, in the order of the enum.
            pub const KINDS: &'static [&'static str] = &[$($kind),*];

            /// The event's kind, as stored in the journal's `kind` column.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Event::$variant { .. } => $kind,)*
                }
            }
        }
    };
}

kinds! {
    Opened => "incident.opened",
    FieldChanged => "incident.field_changed",
    StatusChanged => "incident.status_changed",
    MilestoneSet => "incident.milestone_set",
    Assigned => "incident.assigned",
    Classified => "incident.classified",
    SeverityAssessed => "incident.severity_assessed",
    MarkingsSet => "incident.markings_set",
    TagsChanged => "incident.tags_changed",
    ScopeSet => "incident.scope_set",
    MemberAdded => "incident.member_added",
    MemberRemoved => "incident.member_removed",
    AccessSet => "incident.access_set",
    AccessGranted => "incident.access_granted",
    AccessRevoked => "incident.access_revoked",
    ObservableAdded => "observable.added",
    ObservableUpdated => "observable.updated",
    TimelineAdded => "timeline.added",
    TimelineRemoved => "timeline.removed",
    EvidenceAdded => "evidence.added",
    CustodyRecorded => "evidence.custody",
    AssetAdded => "asset.added",
    AssetUpdated => "asset.updated",
    ActionRecorded => "action.recorded",
    TaskAdded => "task.added",
    TaskUpdated => "task.updated",
    NoteAdded => "note.added",
    TimeLogged => "time.logged",
    PostmortemText => "postmortem.text_set",
    PostmortemList => "postmortem.list_set",
    PostmortemImpact => "postmortem.impact_set",
    RootCauseAdded => "postmortem.root_cause_added",
    RootCauseUpdated => "postmortem.root_cause_updated",
    PostmortemStatusChanged => "postmortem.status_changed",
    ReviewScheduled => "postmortem.review_scheduled",
    ReviewInputGiven => "postmortem.input_given",
    ReviewHeld => "postmortem.review_held",
    RecommendationAdded => "recommendation.added",
    RecommendationUpdated => "recommendation.updated",
    RecommendationReminded => "recommendation.reminded",
    RecommendationStatusChanged => "recommendation.status_changed",
    InfoRequested => "info.requested",
    InfoAnswered => "info.answered",
    InfoReminded => "info.reminded",
    PlaybookApplied => "playbook.applied",
    FlagsSet => "regulatory.flags_set",
    RegulatoryFactsSet => "regulatory.facts_set",
    RegulatoryClockSet => "regulatory.clock_set",
    NotificationRecorded => "notification.recorded",
    NotificationAttempted => "notification.attempted",
    NotificationSkipped => "notification.skipped",
    ObligationEscalated => "regulatory.escalated",
    ReportExported => "report.exported",
}

impl Event {
    /// Splits the event into its kind and payload, the two parts the journal stores.
    pub fn to_parts(&self) -> (&'static str, Value) {
        let payload = match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => map.remove("payload").unwrap_or(Value::Null),
            // Serialising these plain structs cannot fail; keep the kind even so.
            _ => Value::Null,
        };
        (self.kind(), payload)
    }

    /// Rebuilds an event from a journal entry's kind and payload.
    pub fn from_parts(kind: &str, payload: &Value) -> Result<Event, String> {
        let mut map = serde_json::Map::new();
        map.insert("kind".into(), Value::String(kind.to_string()));
        map.insert("payload".into(), payload.clone());
        serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())
    }
}

fn delivered() -> String {
    "delivered".into()
}

impl Event {
    /// Whether the entry's author chose not to be named to readers (anonymous input to the
    /// review): pages, reports and the postmortem's API view show "anonymous" in their place.
    /// The raw journal keeps the author, since each entry's hash covers it.
    pub fn anonymous(&self) -> bool {
        matches!(
            self,
            Event::ReviewInputGiven {
                anonymous: true,
                ..
            }
        )
    }

    /// When what this entry records happened in the world, when it says so: a timeline entry's
    /// time, a stated key timestamp or regulatory clock, a task done, a custody link, an action,
    /// evidence collected, a note or answer dated, a notification sent. `None` for a decision,
    /// which happens when it is recorded, and for a time entry, which dates a day, not a moment.
    pub fn stated_at(&self) -> Option<Timestamp> {
        match self {
            Event::TimelineAdded { occurred_at, .. } => Some(*occurred_at),
            Event::MilestoneSet { at, .. }
            | Event::RegulatoryClockSet { at, .. }
            | Event::CustodyRecorded { at, .. }
            | Event::ActionRecorded { at, .. }
            | Event::ReviewHeld { at, .. } => Some(*at),
            Event::TaskUpdated { at, .. }
            | Event::NoteAdded { at, .. }
            | Event::InfoAnswered { at, .. } => *at,
            Event::EvidenceAdded { collected_at, .. } => Some(*collected_at),
            Event::NotificationRecorded { sent_at, .. } => Some(*sent_at),
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
            | Event::TimelineRemoved { .. }
            | Event::AssetAdded { .. }
            | Event::AssetUpdated { .. }
            | Event::TaskAdded { .. }
            | Event::PostmortemText { .. }
            | Event::PostmortemList { .. }
            | Event::PostmortemImpact { .. }
            | Event::RootCauseAdded { .. }
            | Event::RootCauseUpdated { .. }
            | Event::PostmortemStatusChanged { .. }
            | Event::ReviewScheduled { .. }
            | Event::ReviewInputGiven { .. }
            | Event::InfoReminded { .. }
            | Event::RecommendationAdded { .. }
            | Event::RecommendationReminded { .. }
            | Event::RecommendationUpdated { .. }
            | Event::RecommendationStatusChanged { .. }
            | Event::InfoRequested { .. }
            | Event::TimeLogged { .. }
            | Event::PlaybookApplied { .. }
            | Event::FlagsSet { .. }
            | Event::RegulatoryFactsSet { .. }
            | Event::NotificationAttempted { .. }
            | Event::NotificationSkipped { .. }
            | Event::ObligationEscalated { .. }
            | Event::ReportExported { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_table_names_every_serde_tag() {
        assert_eq!(Event::KINDS.len(), 53);
        let mut seen = std::collections::BTreeSet::new();
        for kind in Event::KINDS {
            assert!(seen.insert(*kind), "{kind} twice");
            // A known tag fails on its payload's fields, never as an unknown variant.
            if let Err(err) = Event::from_parts(kind, &serde_json::json!({"x": 1})) {
                assert!(!err.contains("unknown variant"), "{kind}: {err}");
            }
        }
        let err = Event::from_parts("incident.nope", &serde_json::json!({})).unwrap_err();
        assert!(err.contains("unknown variant"), "{err}");
    }

    #[test]
    fn round_trips_through_kind_and_payload() {
        let e = Event::StatusChanged {
            from: Status::New,
            to: Status::Triage,
            reason: Reason::parse("picked up").unwrap(),
        };
        let (kind, payload) = e.to_parts();
        assert_eq!(kind, "incident.status_changed");
        assert_eq!(payload["to"], "triage");
        assert_eq!(Event::from_parts(kind, &payload).unwrap(), e);
    }

    #[test]
    fn payload_is_validated_when_read() {
        let payload = serde_json::json!({"from": "new", "to": "nowhere", "reason": ""});
        assert!(Event::from_parts("incident.status_changed", &payload).is_err());
        assert!(Event::from_parts("incident.unknown", &payload).is_err());
    }

    #[test]
    fn milestones_parse_with_or_without_suffix() {
        assert_eq!("started".parse::<Milestone>().unwrap(), Milestone::Started);
        assert_eq!("aware_at".parse::<Milestone>().unwrap(), Milestone::Aware);
        assert!("finished".parse::<Milestone>().is_err());
    }
}

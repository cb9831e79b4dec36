//! Recommendations, tracked to completion: their kinds, priority (impact and effort) and
//! quadrant, default due date, lifecycle and due state, and who owns them — an account, or a
//! team or directory entry named in words — with the reminders sent to their owner.

use serde::{Deserialize, Serialize};

use crate::enums::closed_enum;
use crate::error::DomainError;
use crate::time::Timestamp;

closed_enum!(
    /// What a recommendation does.
    RecommendationKind, "recommendation type" {
        Prevent = "prevent", Mitigate = "mitigate", Detect = "detect", Process = "process",
        Training = "training", Tooling = "tooling"
    }
);
closed_enum!(
    /// Where a recommendation sits on the impact/effort grid.
    Quadrant, "quadrant" {
        QuickWin = "quick-win", MajorProject = "major-project", FillIn = "fill-in", Reconsider = "reconsider"
    }
);
closed_enum!(
    /// A recommendation's progress.
    RecommendationStatus, "recommendation status" {
        Open = "open", InProgress = "in-progress", Done = "done", Verified = "verified", Rejected = "rejected"
    }
);

/// Impact and effort, each 1 (least) to 5 (most).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Priority {
    pub impact: u8,
    pub effort: u8,
}

/// Weeks to the default due date of a high-priority recommendation, and of the others.
pub const DUE_WEEKS_HIGH: i64 = 4;
pub const DUE_WEEKS_OTHER: i64 = 8;

impl Priority {
    pub fn new(impact: i64, effort: i64) -> Result<Priority, DomainError> {
        let check = |field: &'static str, v: i64| {
            u8::try_from(v)
                .ok()
                .filter(|v| (1..=5).contains(v))
                .ok_or_else(|| DomainError::InvalidField {
                    field,
                    problem: format!("is {v}; use 1 (least) to 5 (most)"),
                })
        };
        Ok(Priority {
            impact: check("impact", impact)?,
            effort: check("effort", effort)?,
        })
    }

    /// 1–25: high impact for little effort first.
    pub fn score(self) -> u8 {
        self.impact * (6 - self.effort)
    }

    pub fn quadrant(self) -> Quadrant {
        match (self.impact >= 3, self.effort <= 2) {
            (true, true) => Quadrant::QuickWin,
            (true, false) => Quadrant::MajorProject,
            (false, true) => Quadrant::FillIn,
            (false, false) => Quadrant::Reconsider,
        }
    }

    /// High priority: a quick win, or a score of 12 or more.
    pub fn is_high(self) -> bool {
        self.quadrant() == Quadrant::QuickWin || self.score() >= 12
    }

    /// The due date when the owner gives none: 4 weeks for high priority, 8 otherwise.
    pub fn default_due(self, from: Timestamp) -> Timestamp {
        let weeks = if self.is_high() {
            DUE_WEEKS_HIGH
        } else {
            DUE_WEEKS_OTHER
        };
        Timestamp::from_micros(from.as_micros() + weeks * 7 * 86_400 * 1_000_000).unwrap_or(from)
    }
}

/// Whether a recommendation may move from `from` to `to`; a rejection and any step back need a
/// reason.
pub fn recommendation_transition(
    from: RecommendationStatus,
    to: RecommendationStatus,
    reason: &str,
) -> Result<(), DomainError> {
    use RecommendationStatus::*;
    let refuse = |why: &str| {
        Err(DomainError::InvalidField {
            field: "status",
            problem: format!("cannot go from {from} to {to}: {why}"),
        })
    };
    let needs_reason = match (from, to) {
        (a, b) if a == b => {
            return Err(DomainError::Unchanged(format!(
                "the recommendation is already {to}"
            )));
        }
        (Open, InProgress) | (Open | InProgress, Done) | (Done, Verified) => false,
        (Open | InProgress, Rejected)
        | (InProgress, Open)
        | (Done, InProgress)
        | (Rejected, Open) => true,
        (Verified, _) => return refuse("a verified recommendation is final"),
        (Rejected, _) => return refuse("reopen it first"),
        _ => return refuse("not a step of the lifecycle"),
    };
    if needs_reason && reason.trim().is_empty() {
        return Err(DomainError::Empty { field: "reason" });
    }
    Ok(())
}

closed_enum!(
    /// Where a recommendation stands against its due date.
    DueState, "due state" {
        Closed = "closed", OnTrack = "on-track", DueSoon = "due-soon", Overdue = "overdue"
    }
);

/// Days before the due date from which a recommendation is "due soon".
pub const DUE_SOON_DAYS: i64 = 7;

pub fn due_state(status: RecommendationStatus, due: Timestamp, now: Timestamp) -> DueState {
    use RecommendationStatus::*;
    if matches!(status, Done | Verified | Rejected) {
        return DueState::Closed;
    }
    let left = due.seconds_since(now);
    if left < 0 {
        DueState::Overdue
    } else if left <= DUE_SOON_DAYS * 86_400 {
        DueState::DueSoon
    } else {
        DueState::OnTrack
    }
}

/// Who owns a recommendation: an account, by its user name (a single word must be one), or a
/// team or person named in words ("direction des soins", "Head of IT") that has no account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Account(crate::user::Username),
    Named(String),
}

impl Owner {
    /// Reads an owner (blank: none). One word is a user name; words with spaces are a name
    /// kept as written (one line, at most 200 characters).
    pub fn parse(raw: &str) -> Result<Option<Owner>, DomainError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.split_whitespace().count() > 1 {
            let name = crate::text::clean("owner", raw, 200, crate::text::Lines::One)?;
            return Ok(Some(Owner::Named(
                name.split_whitespace().collect::<Vec<_>>().join(" "),
            )));
        }
        crate::user::Username::parse(raw)
            .map(|u| Some(Owner::Account(u)))
            .map_err(|_| DomainError::InvalidField {
                field: "owner",
                problem: format!(
                    "`{raw}` is not a user name; give the owner's user name, or name a team in words (\"direction des soins\")"
                ),
            })
    }

    /// As stored and shown.
    pub fn as_str(&self) -> &str {
        match self {
            Owner::Account(u) => u.as_str(),
            Owner::Named(n) => n,
        }
    }
}

/// A recommendation, tracked to completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub id: u64,
    pub action: String,
    pub kind: RecommendationKind,
    pub priority: Priority,
    pub owner: Option<String>,
    pub due: Timestamp,
    pub status: RecommendationStatus,
    pub status_reason: String,
    pub root_causes: Vec<u64>,
    /// Other incidents it also answers.
    #[serde(default)]
    pub related_incidents: Vec<i64>,
    pub added_by: String,
    pub added_at: Timestamp,
    pub done_at: Option<Timestamp>,
    /// The reminders sent to its owner (once when due soon, once when overdue).
    #[serde(default)]
    pub reminders: Vec<Reminder>,
}

/// A reminder sent to a recommendation's owner through their directory entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// `due-soon` or `overdue`: what the reminder said.
    pub state: DueState,
    pub at: Timestamp,
    /// The directory entry it went to.
    pub to: String,
    /// How the delivery went.
    pub delivery: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_reminded_once_when_due_soon_and_once_when_overdue() {
        use crate::testkit::Journal;
        let mut j = Journal::new();
        let now = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let due = Timestamp::parse("2026-11-26T17:00:00Z").unwrap();
        for owner in [Some("messaging team"), None] {
            let s = j.state();
            j.push(
                s.add_recommendation(
                    "Enforce DMARC p=reject",
                    RecommendationKind::Prevent,
                    Priority::new(4, 2).unwrap(),
                    owner,
                    Some(due),
                    &[],
                    &[],
                    now,
                )
                .unwrap(),
            );
        }
        let i = j.state();
        assert!(
            i.reminders_due(now.plus_seconds(-30 * 86_400)).is_empty(),
            "on track"
        );
        let soon = i.reminders_due(now);
        assert_eq!(
            soon,
            vec![(1, DueState::DueSoon, "messaging team".to_string())],
            "only the recommendation with an owner"
        );
        j.push(
            i.remind_owner(1, DueState::DueSoon, "Messaging team", "delivered on try 1")
                .unwrap(),
        );
        let i = j.state();
        assert!(i.reminders_due(now).is_empty(), "once per state");
        assert!(matches!(
            i.remind_owner(1, DueState::DueSoon, "Messaging team", "again"),
            Err(DomainError::Unchanged(_))
        ));
        let later = now.plus_seconds(5 * 86_400);
        assert_eq!(i.reminders_due(later)[0].1, DueState::Overdue);
        j.push(
            i.remind_owner(1, DueState::Overdue, "Messaging team", "not delivered")
                .unwrap(),
        );
        let i = j.state();
        assert!(i.reminders_due(later).is_empty());
        assert_eq!(i.recommendations[0].reminders.len(), 2);
        assert_eq!(i.recommendations[0].reminders[1].to, "Messaging team");
    }

    #[test]
    fn priority_quadrant_and_default_due() {
        let p = |i, e| Priority::new(i, e).unwrap();
        assert_eq!(
            (p(5, 1).score(), p(5, 1).quadrant()),
            (25, Quadrant::QuickWin)
        );
        assert_eq!(
            (p(4, 4).score(), p(4, 4).quadrant()),
            (8, Quadrant::MajorProject)
        );
        assert_eq!((p(2, 2).score(), p(2, 2).quadrant()), (8, Quadrant::FillIn));
        assert_eq!(
            (p(1, 5).score(), p(1, 5).quadrant()),
            (1, Quadrant::Reconsider)
        );
        assert!(Priority::new(0, 3).is_err() && Priority::new(3, 6).is_err());
        let from = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        assert_eq!(
            p(5, 1).default_due(from).to_string(),
            Timestamp::parse("2026-12-21T10:00:00Z")
                .unwrap()
                .to_string(),
            "4 weeks for a quick win"
        );
        assert_eq!(
            p(4, 4).default_due(from).to_string(),
            Timestamp::parse("2027-01-18T10:00:00Z")
                .unwrap()
                .to_string(),
            "8 weeks otherwise (score 8)"
        );
        assert!(p(4, 3).is_high(), "score 12");
    }

    #[test]
    fn recommendation_lifecycle_and_due_state() {
        use RecommendationStatus::*;
        assert!(recommendation_transition(Open, InProgress, "").is_ok());
        assert!(recommendation_transition(InProgress, Done, "").is_ok());
        assert!(recommendation_transition(Done, Verified, "").is_ok());
        assert!(
            recommendation_transition(Open, Rejected, "").is_err(),
            "needs a reason"
        );
        assert!(recommendation_transition(Open, Rejected, "out of scope").is_ok());
        assert!(recommendation_transition(Verified, Open, "again").is_err());
        assert!(recommendation_transition(Rejected, Done, "x").is_err());
        assert!(recommendation_transition(Open, Verified, "").is_err());
        let now = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let at = |s: &str| Timestamp::parse(s).unwrap();
        assert_eq!(
            due_state(Open, at("2026-11-22T10:00:00Z"), now),
            DueState::Overdue
        );
        assert_eq!(
            due_state(InProgress, at("2026-11-30T10:00:00Z"), now),
            DueState::DueSoon
        );
        assert_eq!(
            due_state(Open, at("2026-12-01T10:00:01Z"), now),
            DueState::OnTrack
        );
        assert_eq!(
            due_state(Done, at("2026-11-01T10:00:00Z"), now),
            DueState::Closed
        );
    }
}

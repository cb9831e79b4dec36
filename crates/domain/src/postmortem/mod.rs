//! The rules of the post-incident review that need no storage (the blameless check is in
//! `blameless.rs`): the postmortem document, recommendation priority, quadrant, default due date,
//! lifecycle and due state, response effectiveness measured from an incident's key timestamps
//! against per-severity targets, and the due date of the review meeting.
//!
//! Sources: Google SRE, PagerDuty and Atlassian postmortem practice (../shared/STANDARDS.md §6):
//! blameless reviews, action items with a 4–8 week SLO, the review within 3 days for the top
//! severity and 5 business days for the next.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::closed_enum;
use crate::error::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::time::Timestamp;

mod commands;
mod meeting;
pub mod readiness;
mod recommendation;

pub use meeting::{InputQuestion, ReviewHeld, ReviewInput};
pub use readiness::{Gap, ReadinessItem, ReviewPolicy};
pub use recommendation::*;

// ---------------------------------------------------------------------------------------------
// The postmortem document, recommendations and requests for information, as folded from the
// journal

closed_enum!(
    /// Where the postmortem is in its review.
    PostmortemStatus, "postmortem status" {
        Draft = "draft", InReview = "in-review", Approved = "approved", Published = "published"
    }
);
closed_enum!(
    /// A free-text section of the postmortem.
    PmText, "postmortem section" {
        Summary = "summary", Trigger = "trigger", Detection = "detection", Resolution = "resolution",
        Reputation = "reputation", Recovery = "recovery"
    }
);
closed_enum!(
    /// A list section of the postmortem.
    PmList, "postmortem list" {
        WentWell = "went-well", WentWrong = "went-wrong", Lucky = "lucky",
        ContributingFactors = "contributing-factors", Participants = "participants",
        AffectedSystems = "affected-systems"
    }
);
closed_enum!(
    /// What a root cause is about.
    CauseCategory, "root cause category" {
        Technology = "technology", Process = "process", People = "people"
    }
);
closed_enum!(
    /// A cost line: direct, indirect, or money recovered (insurance, clawback).
    CostKind, "cost kind" { Direct = "direct", Indirect = "indirect", Recovered = "recovered" }
);

/// Records of one category affected (customers' e-mail addresses: 1,200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCount {
    pub category: String,
    pub count: u64,
}

impl RecordCount {
    /// A line as people type it: `patients: 12 000` (or `=`), the count with or without
    /// thousands separators (spaces, commas, dots, narrow no-break spaces). `field` names the
    /// form field in a refusal.
    pub fn parse_line(field: &'static str, line: &str) -> Result<RecordCount, DomainError> {
        let line = line.trim();
        let refuse = |problem: String| DomainError::InvalidField { field, problem };
        let (category, count) = line
            .rsplit_once([':', '='])
            .filter(|(c, _)| !c.trim().is_empty())
            .ok_or_else(|| {
                refuse(format!(
                    "`{line}` needs a category and a number, as in `patients: 12000`"
                ))
            })?;
        let digits: String = count
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '.' | '\u{202f}'))
            .collect();
        Ok(RecordCount {
            category: category.trim().to_string(),
            count: digits
                .parse()
                .map_err(|_| refuse(format!("`{line}`: the count is not a whole number")))?,
        })
    }
}

/// One cost line, in minor units of its currency (cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    pub kind: CostKind,
    pub amount_minor: i64,
    /// ISO 4217, e.g. `EUR`.
    pub currency: String,
    #[serde(default)]
    pub description: String,
}

/// The impact section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Impact {
    #[serde(default)]
    pub downtime_minutes: Option<u64>,
    #[serde(default)]
    pub users_affected: Option<u64>,
    #[serde(default)]
    pub records: Vec<RecordCount>,
    #[serde(default)]
    pub costs: Vec<Cost>,
    /// Whether backups and recovery worked as planned.
    #[serde(default)]
    pub backups_worked: Option<bool>,
}

impl Impact {
    /// Checks the impact section: currencies are three capital letters, categories named.
    pub fn check(&self) -> Result<(), DomainError> {
        for c in &self.costs {
            if c.currency.len() != 3 || !c.currency.chars().all(|ch| ch.is_ascii_uppercase()) {
                return Err(DomainError::InvalidField {
                    field: "currency",
                    problem: format!("`{}` is not an ISO 4217 code like EUR", c.currency),
                });
            }
        }
        if self.records.iter().any(|r| r.category.trim().is_empty()) {
            return Err(DomainError::Empty {
                field: "record category",
            });
        }
        Ok(())
    }

    /// Net cost per currency: direct + indirect − recovered.
    pub fn net_costs(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for c in &self.costs {
            let signed = if c.kind == CostKind::Recovered {
                -c.amount_minor
            } else {
                c.amount_minor
            };
            *out.entry(c.currency.clone()).or_insert(0) += signed;
        }
        out
    }
}

/// A root cause, with its five-whys chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    pub id: u64,
    pub category: CauseCategory,
    pub text: String,
    #[serde(default)]
    pub whys: Vec<String>,
    /// Could it have been prevented, and how.
    #[serde(default)]
    pub preventable: Option<bool>,
    #[serde(default)]
    pub prevention: String,
    /// The earlier incident where the same root cause was found.
    #[serde(default)]
    pub recurrence_of: Option<i64>,
}

/// The postmortem of an incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Postmortem {
    #[serde(default)]
    pub status: Option<PostmortemStatus>,
    #[serde(default)]
    pub texts: BTreeMap<PmText, String>,
    #[serde(default)]
    pub lists: BTreeMap<PmList, Vec<String>>,
    #[serde(default)]
    pub impact: Impact,
    #[serde(default)]
    pub root_causes: Vec<RootCause>,
    #[serde(default)]
    pub review_at: Option<Timestamp>,
    /// The participants' input before the review.
    #[serde(default)]
    pub inputs: Vec<ReviewInput>,
    /// The review meeting as it was held.
    #[serde(default)]
    pub held: Option<ReviewHeld>,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub approved_at: Option<Timestamp>,
    /// The version approved: the journal entry (sequence number) the approver saw last; a
    /// published postmortem is that version.
    #[serde(default)]
    pub approved_version: Option<u64>,
    #[serde(default)]
    pub published_at: Option<Timestamp>,
}

/// A question the team put to the business, and when it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoRequest {
    pub id: u64,
    pub to: String,
    pub question: String,
    pub asked_by: String,
    pub asked_at: Timestamp,
    pub answer: Option<String>,
    pub answered_at: Option<Timestamp>,
    /// The reminder sent to the entry asked, when no answer came within
    /// [`INFO_REMINDER_HOURS`] (its state is `overdue`).
    #[serde(default)]
    pub reminders: Vec<Reminder>,
}

/// Hours a question to the business waits for its answer before the entry asked is reminded
/// (once) — the business is expected to answer within a working day.
pub const INFO_REMINDER_HOURS: i64 = 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_as_people_type_them() {
        for (line, category, count) in [
            ("patients: 12 000", "patients", 12_000),
            ("clients=1,200", "clients", 1_200),
            ("staff : 310", "staff", 310),
            ("adresses e-mail : 12\u{202f}500", "adresses e-mail", 12_500),
        ] {
            assert_eq!(
                RecordCount::parse_line("records", line).unwrap(),
                RecordCount {
                    category: category.into(),
                    count
                },
                "{line}"
            );
        }
        for bad in ["patients", ": 12", "patients: many", "patients: -3"] {
            assert!(
                matches!(
                    RecordCount::parse_line("records", bad),
                    Err(DomainError::InvalidField {
                        field: "records",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    /// A postmortem written through journal events, folded back from the sealed entries.
    #[test]
    fn a_postmortem_is_written_reviewed_and_its_recommendations_tracked() {
        use crate::testkit::Journal;
        let mut j = Journal::new();
        let now = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let push = |j: &mut Journal, e: Result<Event, DomainError>| j.push(e.unwrap());
        let s = j.state();
        push(
            &mut j,
            s.set_postmortem_text(
                PmText::Summary,
                "A lookalike domain phished three finance clerks.",
            ),
        );
        assert!(
            j.state()
                .set_postmortem_text(
                    PmText::Summary,
                    "A lookalike domain phished three finance clerks."
                )
                .is_err(),
            "unchanged"
        );
        let s = j.state();
        push(
            &mut j,
            s.set_postmortem_list(
                PmList::WentWell,
                &["EDR isolated the laptop in 4 minutes".into(), " ".into()],
            ),
        );
        let s = j.state();
        push(
            &mut j,
            s.set_impact(Impact {
                downtime_minutes: Some(95),
                users_affected: Some(3),
                records: vec![RecordCount {
                    category: "customer e-mail addresses".into(),
                    count: 1_200,
                }],
                costs: vec![
                    Cost {
                        kind: CostKind::Direct,
                        amount_minor: 1_250_000,
                        currency: "EUR".into(),
                        description: "forensics".into(),
                    },
                    Cost {
                        kind: CostKind::Recovered,
                        amount_minor: 250_000,
                        currency: "EUR".into(),
                        description: "insurance".into(),
                    },
                ],
                backups_worked: Some(true),
            }),
        );
        assert!(
            j.state()
                .set_impact(Impact {
                    costs: vec![Cost {
                        kind: CostKind::Direct,
                        amount_minor: 1,
                        currency: "euro".into(),
                        description: String::new()
                    }],
                    ..Default::default()
                })
                .is_err()
        );
        let s = j.state();
        push(
            &mut j,
            s.add_root_cause(
                CauseCategory::Technology,
                "No DMARC enforcement on inbound mail",
                &["Why did the mail arrive? No DMARC reject policy.".into()],
                Some(true),
                "Enforce DMARC",
                None,
            ),
        );
        let s = j.state();
        push(
            &mut j,
            s.add_recommendation(
                "Enforce DMARC p=reject on the gateway",
                RecommendationKind::Prevent,
                Priority::new(5, 2).unwrap(),
                Some("alice"),
                None,
                &[1],
                &[],
                now,
            ),
        );
        assert!(
            j.state()
                .add_recommendation(
                    "x",
                    RecommendationKind::Detect,
                    Priority::new(1, 1).unwrap(),
                    None,
                    None,
                    &[9],
                    &[],
                    now
                )
                .is_err(),
            "unknown root cause"
        );
        let s = j.state();
        push(
            &mut j,
            s.change_recommendation_status(1, RecommendationStatus::InProgress, ""),
        );
        // Reworded and given to a team while in progress; unchanged is refused.
        let s = j.state();
        let due = s.recommendations[0].due;
        push(
            &mut j,
            s.update_recommendation(
                1,
                "Enforce DMARC p=reject on every sending domain",
                Some("messaging team"),
                due,
            ),
        );
        let s = j.state();
        assert_eq!(
            (
                s.recommendations[0].action.as_str(),
                s.recommendations[0].owner.as_deref()
            ),
            (
                "Enforce DMARC p=reject on every sending domain",
                Some("messaging team")
            )
        );
        assert!(matches!(
            s.update_recommendation(
                1,
                "Enforce DMARC p=reject on every sending domain",
                Some("messaging team"),
                due
            ),
            Err(DomainError::Unchanged(_))
        ));
        assert!(matches!(
            s.update_recommendation(7, "x", None, due),
            Err(DomainError::NoSuch { .. })
        ));
        push(
            &mut j,
            s.update_recommendation(
                1,
                "Enforce DMARC p=reject on every sending domain",
                Some("alice"),
                due,
            ),
        );
        let s = j.state();
        push(
            &mut j,
            s.request_info("legal", "Were customer addresses exported?"),
        );
        let s = j.state();
        push(&mut j, s.answer_info(1, "Yes, 1,200 of them.", None));
        let s = j.state();
        push(
            &mut j,
            s.change_postmortem_status(PostmortemStatus::InReview, "", &ReviewPolicy::none()),
        );
        assert!(
            j.state()
                .change_postmortem_status(PostmortemStatus::Published, "", &ReviewPolicy::none())
                .is_err(),
            "approve first"
        );
        let s = j.state();
        push(
            &mut j,
            s.change_postmortem_status(PostmortemStatus::Approved, "", &ReviewPolicy::none()),
        );

        let i = j.state();
        assert_eq!(i.postmortem.status, Some(PostmortemStatus::Approved));
        assert_eq!(i.postmortem.approved_by.as_deref(), Some("bob"));
        assert_eq!(i.postmortem.lists[&PmList::WentWell].len(), 1);
        assert_eq!(i.postmortem.impact.net_costs()["EUR"], 1_000_000);
        assert_eq!(i.postmortem.root_causes[0].id, 1);
        let r = &i.recommendations[0];
        assert_eq!(
            (r.status, r.owner.as_deref(), r.priority.quadrant()),
            (
                RecommendationStatus::InProgress,
                Some("alice"),
                Quadrant::QuickWin
            )
        );
        assert_eq!(
            r.due.to_string(),
            Timestamp::parse("2026-12-21T10:00:00Z")
                .unwrap()
                .to_string()
        );
        let q = &i.info_requests[0];
        assert_eq!(
            q.answered_at.unwrap().seconds_since(q.asked_at),
            60,
            "one journal minute later"
        );

        // Approved: what the approver signed no longer changes; recommendations are still
        // tracked. Back to draft (with a reason), it changes again.
        let frozen = [
            i.set_postmortem_text(PmText::Summary, "rewritten after approval")
                .unwrap_err(),
            i.set_postmortem_list(PmList::WentWell, &["later".to_string()])
                .unwrap_err(),
            i.add_root_cause(CauseCategory::Process, "another", &[], None, "", None)
                .unwrap_err(),
        ];
        for e in frozen {
            assert!(matches!(e, DomainError::Frozen(_)), "{e}");
            assert_eq!(e.category(), crate::Category::Conflict);
        }
        assert!(
            i.change_recommendation_status(1, RecommendationStatus::Done, "")
                .is_ok()
        );
        assert!(
            i.change_postmortem_status(PostmortemStatus::Draft, "", &ReviewPolicy::none())
                .is_err()
        );
        push(
            &mut j,
            i.change_postmortem_status(
                PostmortemStatus::Draft,
                "the cost was wrong",
                &ReviewPolicy::none(),
            ),
        );
        assert!(
            j.state()
                .set_postmortem_text(PmText::Summary, "corrected")
                .is_ok()
        );
    }
}

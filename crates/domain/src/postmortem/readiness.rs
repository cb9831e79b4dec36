//! Whether the record can answer each question the post-incident stage asks (the final report's
//! and the postmortem's sections), and what to fill in where it cannot; approval refuses while an
//! item the installation marks required is open.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{PmList, PmText};
use crate::enums::closed_enum;
use crate::event::Milestone;
use crate::incident::Incident;
use crate::work::TaskStatus;

closed_enum!(
    /// A question of the post-incident review the record may not answer yet.
    ReadinessItem, "readiness item" {
        Summary = "summary", KeyDates = "key-dates", Timeline = "timeline",
        WentWell = "went-well", WentWrong = "went-wrong", RootCauses = "root-causes",
        Preventability = "preventability", Response = "response", Impact = "impact",
        Costs = "costs", Backups = "backups", BusinessAnswers = "business-answers",
        Playbooks = "playbooks", TimeSpent = "time-spent", Recommendations = "recommendations",
        Participants = "participants", RegulatorFacts = "regulator-facts",
        BlameLanguage = "blame-language"
    }
);

/// Which items must be answered before a postmortem is approved (`review_required` in the
/// installation's configuration). By default the summary and the root causes: a review that
/// cannot say what happened and why is not one.
/// Closing an incident of severity level [`CLOSE_FROM_LEVEL`] (high) or above without an
/// approved postmortem needs a reason (`closing_needs_postmortem_from_level`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPolicy {
    pub required: BTreeSet<ReadinessItem>,
    /// The least severity level whose closing waits for an approved postmortem (or a reason);
    /// `None`: never.
    pub close_from_level: Option<u8>,
    /// Hours a question to the business waits for its answer before the entry asked is
    /// reminded ([`super::INFO_REMINDER_HOURS`] by default).
    pub info_reminder_hours: i64,
}

/// By default, high (3) and above are closed once their postmortem is approved.
pub const CLOSE_FROM_LEVEL: u8 = 3;

impl Default for ReviewPolicy {
    fn default() -> Self {
        ReviewPolicy {
            required: [ReadinessItem::Summary, ReadinessItem::RootCauses]
                .into_iter()
                .collect(),
            close_from_level: Some(CLOSE_FROM_LEVEL),
            info_reminder_hours: super::INFO_REMINDER_HOURS,
        }
    }
}

impl ReviewPolicy {
    /// Nothing required: approval only warns, and any incident closes without a postmortem.
    pub fn none() -> ReviewPolicy {
        ReviewPolicy {
            required: BTreeSet::new(),
            close_from_level: None,
            ..ReviewPolicy::default()
        }
    }

    /// A policy from item names (`["summary", "root-causes"]`); an unknown name is refused with
    /// the list of known ones.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<ReviewPolicy, crate::DomainError> {
        Ok(ReviewPolicy {
            required: names
                .iter()
                .map(|n| n.as_ref().parse())
                .collect::<Result<_, _>>()?,
            ..ReviewPolicy::default()
        })
    }

    /// Whether closing `incident` without a reason waits for its postmortem's approval: its
    /// severity level (when assessed) is at or above the policy's, and the postmortem is not
    /// approved or published. Returns the level that requires it.
    pub fn closing_waits(&self, incident: &Incident) -> Option<u8> {
        let from = self.close_from_level?;
        let level = incident.severity.as_ref()?.level;
        let approved = matches!(
            incident.postmortem.status,
            Some(super::PostmortemStatus::Approved | super::PostmortemStatus::Published)
        );
        (level >= from && !approved).then_some(level)
    }
}

/// An open item: what the record cannot answer yet, whether approval waits for it, and what
/// is missing precisely (key dates by their code, the questions unanswered, the root causes
/// without a say on prevention, the number of playbook steps open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub item: ReadinessItem,
    pub required: bool,
    pub missing: Vec<String>,
}

impl Incident {
    /// What the blameless check flags in the postmortem, each sentence once: blame words in
    /// every section, list, root cause and recommendation, and — given `people` (user and display names) — a
    /// person named in a root cause or its whys. Hints in `lang`.
    pub fn blame_findings(
        &self,
        lang: crate::Language,
        people: &[&str],
    ) -> Vec<crate::blameless::Finding> {
        let rules = crate::blameless::BlamelessRules::builtin();
        let pm = &self.postmortem;
        let mut out = Vec::new();
        for t in pm.texts.values().chain(pm.lists.values().flatten()) {
            out.extend(rules.check(t, lang, &[]));
        }
        for c in &pm.root_causes {
            for t in std::iter::once(&c.text).chain(&c.whys) {
                out.extend(rules.check(t, lang, people));
            }
        }
        // Recommendations are read by their owners: worded without blame too.
        for r in &self.recommendations {
            out.extend(rules.check(&r.action, lang, &[]));
        }
        crate::blameless::without_repeats(out)
    }

    /// The review's open items, in the order the reports ask them.
    pub fn readiness(&self, policy: &ReviewPolicy) -> Vec<Gap> {
        use ReadinessItem as R;
        let pm = &self.postmortem;
        let text = |t: PmText| pm.texts.get(&t).is_none_or(|s| s.trim().is_empty());
        let list = |l: PmList| pm.lists.get(&l).is_none_or(Vec::is_empty);
        let mut out = Vec::new();
        let mut gap = |item: ReadinessItem, open: bool, missing: Vec<String>| {
            if open {
                out.push(Gap {
                    item,
                    required: policy.required.contains(&item),
                    missing,
                });
            }
        };
        gap(R::Summary, text(PmText::Summary), vec![]);
        let dates: Vec<String> = [
            Milestone::Started,
            Milestone::Detected,
            Milestone::Contained,
            Milestone::Recovered,
        ]
        .into_iter()
        .filter(|m| self.milestone(*m).is_none())
        .map(|m| m.as_str().to_string())
        .collect();
        gap(R::KeyDates, !dates.is_empty(), dates);
        gap(R::Timeline, self.timeline.is_empty(), vec![]);
        gap(R::WentWell, list(PmList::WentWell), vec![]);
        gap(R::WentWrong, list(PmList::WentWrong), vec![]);
        gap(R::RootCauses, pm.root_causes.is_empty(), vec![]);
        let undecided: Vec<String> = pm
            .root_causes
            .iter()
            .filter(|r| r.preventable.is_none())
            .map(|r| r.text.clone())
            .collect();
        gap(R::Preventability, !undecided.is_empty(), undecided);
        gap(
            R::Response,
            text(PmText::Resolution) && text(PmText::Recovery),
            vec![],
        );
        let i = &pm.impact;
        gap(
            R::Impact,
            i.downtime_minutes.is_none() && i.users_affected.is_none() && i.records.is_empty(),
            vec![],
        );
        gap(R::Costs, i.costs.is_empty(), vec![]);
        gap(R::Backups, i.backups_worked.is_none(), vec![]);
        let unanswered: Vec<String> = self
            .info_requests
            .iter()
            .filter(|r| r.answered_at.is_none())
            .map(|r| r.question.clone())
            .collect();
        gap(R::BusinessAnswers, !unanswered.is_empty(), unanswered);
        let open_steps =
            self.playbooks
                .iter()
                .flat_map(|p| &p.steps)
                .filter(|s| {
                    self.tasks.iter().find(|t| t.id == s.task).is_none_or(|t| {
                        !matches!(t.status, TaskStatus::Done | TaskStatus::Cancelled)
                    })
                })
                .count();
        gap(
            R::Playbooks,
            open_steps > 0,
            if open_steps > 0 {
                vec![open_steps.to_string()]
            } else {
                vec![]
            },
        );
        gap(R::TimeSpent, self.time.is_empty(), vec![]);
        gap(R::Recommendations, self.recommendations.is_empty(), vec![]);
        gap(R::Participants, pm.participants().is_empty(), vec![]);
        // Sentences the blameless check still flags for blame words (people named are the
        // pages' check, which knows the accounts).
        let flagged: Vec<String> = self
            .blame_findings(crate::Language::En, &[])
            .into_iter()
            .map(|f| f.sentence)
            .collect();
        gap(R::BlameLanguage, !flagged.is_empty(), flagged);
        // What the regimes the incident falls under ask that only a person can state (by the
        // drafts' item names: `d_dpo`…).
        let r = &self.regulatory;
        let flagged = |f: &str| self.flags.contains(f);
        let mut facts = Vec::new();
        if flagged("personal_data") {
            if r.contact.trim().is_empty() {
                facts.push("d_dpo");
            }
            if r.data_subjects.is_empty() {
                facts.push("d_people_records");
            }
            if r.consequences.trim().is_empty() {
                facts.push("d_consequences");
            }
        }
        if flagged("significant") {
            if r.malicious.is_none() {
                facts.push("d_malicious");
            }
            if r.cross_border.is_none() {
                facts.push("d_cross_border");
            }
        }
        gap(
            R::RegulatorFacts,
            !facts.is_empty(),
            facts.into_iter().map(String::from).collect(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postmortem::{CauseCategory, PostmortemStatus};
    use crate::testkit::Journal;

    #[test]
    fn the_open_items_and_approval_waiting_for_the_required_ones() {
        let mut j = Journal::new();
        let policy = ReviewPolicy::default();
        let gaps = j.state().readiness(&policy);
        let items: Vec<ReadinessItem> = gaps.iter().map(|g| g.item).collect();
        assert!(items.contains(&ReadinessItem::Summary));
        assert!(items.contains(&ReadinessItem::RootCauses));
        assert!(
            !items.contains(&ReadinessItem::BusinessAnswers),
            "no question asked: nothing to wait for"
        );
        let dates = gaps
            .iter()
            .find(|g| g.item == ReadinessItem::KeyDates)
            .unwrap();
        assert!(dates.missing.contains(&"contained_at".to_string()));
        assert_eq!(gaps.iter().filter(|g| g.required).count(), 2);

        let s = j.state();
        j.push(
            s.change_postmortem_status(PostmortemStatus::InReview, "", &policy)
                .unwrap(),
        );
        assert_eq!(
            j.state()
                .change_postmortem_status(PostmortemStatus::Approved, "", &policy)
                .unwrap_err(),
            crate::DomainError::NotReady(vec!["summary".into(), "root-causes".into()])
        );
        let s = j.state();
        j.push(
            s.set_postmortem_text(
                PmText::Summary,
                "Files encrypted on FS-02; restored in 26 h.",
            )
            .unwrap(),
        );
        let s = j.state();
        j.push(
            s.add_root_cause(
                CauseCategory::Technology,
                "The VPN appliance was two patches behind",
                &[],
                Some(true),
                "Patch within 14 days",
                None,
            )
            .unwrap(),
        );
        let s = j.state();
        j.push(
            s.set_postmortem_list(
                PmList::WentWrong,
                &["The operator should have read the alert. It was at night.".to_string()],
            )
            .unwrap(),
        );
        let gaps = j.state().readiness(&policy);
        let blame = gaps
            .iter()
            .find(|g| g.item == ReadinessItem::BlameLanguage)
            .expect("blame language is an open item");
        assert_eq!(blame.missing, ["The operator should have read the alert."]);
        assert!(
            !blame.required,
            "a warning unless the installation requires it"
        );
        assert!(gaps.iter().all(|g| !g.required));
        assert!(
            gaps.iter().all(|g| g.item != ReadinessItem::Preventability),
            "the root cause says whether it was preventable"
        );
        assert!(
            j.state()
                .change_postmortem_status(PostmortemStatus::Approved, "", &policy)
                .is_ok()
        );

        let strict = ReviewPolicy::parse(&["summary", "costs"]).unwrap();
        assert!(strict.required.contains(&ReadinessItem::Costs));
        assert!(ReviewPolicy::parse(&["lessons-learned"]).is_err());
    }
}

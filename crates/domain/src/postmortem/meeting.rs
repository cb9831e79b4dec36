//! The review meeting: what each participant says beforehand (the final report's questions,
//! optionally anonymous), and the meeting as it was held (when, who attended, who sent
//! apologies, what was decided) — commands that check input and make events, and their fold.

use super::*;

closed_enum!(
    /// The questions a participant answers before the review: those the final report asks.
    InputQuestion, "review question" {
        WhatHappened = "what-happened", WentWell = "went-well", WentWrong = "went-wrong",
        Lucky = "lucky", Business = "business", Improve = "improve"
    }
);

/// A participant's input before the review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewInput {
    pub id: u64,
    /// Who gave it; `None` when they chose to stay anonymous (no page, report or postmortem
    /// view names them; the raw journal does, since each entry's hash covers its author).
    pub by: Option<String>,
    pub at: Timestamp,
    pub answers: BTreeMap<InputQuestion, String>,
}

/// The review meeting as it was held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewHeld {
    pub at: Timestamp,
    pub attendees: Vec<String>,
    /// Invited, not there.
    #[serde(default)]
    pub absent: Vec<String>,
    pub decisions: Vec<String>,
    pub recorded_by: String,
}

const MAX_ANSWER: usize = 5_000;

impl Incident {
    /// A participant's answers to the review's questions (at least one), before the review is
    /// approved.
    pub fn give_review_input(
        &self,
        answers: &BTreeMap<InputQuestion, String>,
        anonymous: bool,
    ) -> Result<Event, DomainError> {
        self.postmortem_editable()?;
        let mut kept = BTreeMap::new();
        for (q, raw) in answers {
            let text = crate::text::clean("answer", raw, MAX_ANSWER, crate::text::Lines::Many)?;
            if !text.is_empty() {
                kept.insert(*q, text);
            }
        }
        if kept.is_empty() {
            return Err(DomainError::Empty { field: "answers" });
        }
        Ok(Event::ReviewInputGiven {
            id: self
                .postmortem
                .inputs
                .iter()
                .map(|i| i.id)
                .max()
                .unwrap_or(0)
                + 1,
            anonymous,
            answers: kept,
        })
    }

    /// The review can be announced to its participants (with the draft postmortem): it has a
    /// date, and the postmortem still takes their input. The date, for the invitation.
    pub fn check_invitation(&self) -> Result<Timestamp, DomainError> {
        self.postmortem_editable()?;
        self.postmortem
            .review_at
            .ok_or_else(|| DomainError::InvalidField {
                field: "review_at",
                problem:
                    "the review meeting has no date yet; schedule it, then invite its participants"
                        .into(),
            })
    }

    /// Records the review meeting as held (recording it again corrects it): when (not in the
    /// future), who attended (at least one), who was invited and absent, what was decided.
    pub fn record_review(
        &self,
        at: Timestamp,
        attendees: &[String],
        absent: &[String],
        decisions: &[String],
        now: Timestamp,
    ) -> Result<Event, DomainError> {
        self.postmortem_editable()?;
        let at = at.not_in_future("the review meeting", now)?;
        let names = |field: &'static str, raw: &[String]| -> Result<Vec<String>, DomainError> {
            let mut out: Vec<String> = Vec::new();
            for r in raw {
                let n = crate::text::clean(field, r, 200, crate::text::Lines::One)?;
                if !n.is_empty() && !out.contains(&n) {
                    out.push(n);
                }
            }
            Ok(out)
        };
        let attendees = names("attendees", attendees)?;
        if attendees.is_empty() {
            return Err(DomainError::Empty { field: "attendees" });
        }
        let absent: Vec<String> = names("absent", absent)?
            .into_iter()
            .filter(|n| !attendees.contains(n))
            .collect();
        let mut kept = Vec::new();
        for d in decisions {
            let d = crate::text::clean("decisions", d, 1_000, crate::text::Lines::One)?;
            if !d.is_empty() {
                kept.push(d);
            }
        }
        if attendees.len() > 100 || absent.len() > 100 || kept.len() > 100 {
            return Err(DomainError::InvalidField {
                field: "attendees",
                problem: "a review lists at most 100 attendees, 100 absent and 100 decisions"
                    .into(),
            });
        }
        let event = Event::ReviewHeld {
            at,
            attendees,
            absent,
            decisions: kept,
        };
        if let (
            Some(held),
            Event::ReviewHeld {
                at,
                attendees,
                absent,
                decisions,
            },
        ) = (&self.postmortem.held, &event)
            && (held.at, &held.attendees, &held.absent, &held.decisions)
                == (*at, attendees, absent, decisions)
        {
            return Err(DomainError::Unchanged(
                "the review is already recorded so".into(),
            ));
        }
        Ok(event)
    }
}

impl Postmortem {
    /// Who took part in the review: the participants listed, or else those who attended the
    /// meeting as recorded.
    pub fn participants(&self) -> Vec<String> {
        match self.lists.get(&PmList::Participants) {
            Some(listed) if !listed.is_empty() => listed.clone(),
            _ => self
                .held
                .as_ref()
                .map(|h| h.attendees.clone())
                .unwrap_or_default(),
        }
    }

    /// Folds the meeting's events (and nothing else).
    pub(super) fn apply_meeting(&mut self, event: Event, actor: &str, at: Timestamp) {
        match event {
            Event::ReviewInputGiven {
                id,
                anonymous,
                answers,
            } => self.inputs.push(ReviewInput {
                id,
                by: (!anonymous).then(|| actor.to_string()),
                at,
                answers,
            }),
            Event::ReviewHeld {
                at: held,
                attendees,
                absent,
                decisions,
            } => {
                self.held = Some(ReviewHeld {
                    at: held,
                    attendees,
                    absent,
                    decisions,
                    recorded_by: actor.to_string(),
                })
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Journal;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn input_is_kept_with_or_without_its_author_and_the_meeting_as_held() {
        let mut j = Journal::new();
        let answers: BTreeMap<InputQuestion, String> = [
            (
                InputQuestion::WentWrong,
                " The EDR alert waited 7 hours ".to_string(),
            ),
            (InputQuestion::Lucky, String::new()),
        ]
        .into();
        let e = j.state().give_review_input(&answers, true).unwrap();
        j.push_as("hugo", e);
        let e = j
            .state()
            .give_review_input(
                &[(InputQuestion::Improve, "Page the on-call".to_string())].into(),
                false,
            )
            .unwrap();
        j.push_as("hugo", e);
        let pm = &j.state().postmortem;
        assert!(
            j.state().check_invitation().is_err(),
            "no invitation before a date"
        );
        assert_eq!(pm.inputs.len(), 2);
        assert_eq!((pm.inputs[0].id, pm.inputs[0].by.as_deref()), (1, None));
        assert_eq!(
            pm.inputs[0].answers[&InputQuestion::WentWrong],
            "The EDR alert waited 7 hours"
        );
        assert!(!pm.inputs[0].answers.contains_key(&InputQuestion::Lucky));
        assert_eq!(pm.inputs[1].by.as_deref(), Some("hugo"));
        assert!(matches!(
            j.state()
                .give_review_input(&[(InputQuestion::Lucky, " ".into())].into(), false),
            Err(DomainError::Empty { .. })
        ));

        let now = t("2026-11-28T10:00:00Z");
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(
            j.state()
                .record_review(t("2026-11-29T10:00:00Z"), &names(&["maria"]), &[], &[], now)
                .is_err(),
            "a meeting in the future has not been held"
        );
        assert!(matches!(
            j.state()
                .record_review(t("2026-11-27T14:00:00Z"), &[], &[], &[], now),
            Err(DomainError::Empty { .. })
        ));
        let e = j
            .state()
            .record_review(
                t("2026-11-27T14:00:00Z"),
                &names(&["maria", "hugo", "maria", "Direction des soins"]),
                &names(&["hugo", "Legal"]),
                &names(&["Restore tests every quarter", ""]),
                now,
            )
            .unwrap();
        j.push_as("maria", e);
        let held = j.state().postmortem.held.clone().unwrap();
        assert_eq!(held.attendees, ["maria", "hugo", "Direction des soins"]);
        assert_eq!(held.absent, ["Legal"], "an attendee is not also absent");
        assert_eq!(held.decisions, ["Restore tests every quarter"]);
        assert_eq!(held.recorded_by, "maria");
        assert_eq!(
            j.state().postmortem.participants(),
            held.attendees,
            "who attended took part"
        );
        assert!(matches!(
            j.state().record_review(
                t("2026-11-27T14:00:00Z"),
                &names(&["maria", "hugo", "Direction des soins"]),
                &names(&["Legal"]),
                &names(&["Restore tests every quarter"]),
                now,
            ),
            Err(DomainError::Unchanged(_))
        ));
    }
}

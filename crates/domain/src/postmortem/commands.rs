//! The postmortem written through the journal: the commands on an incident that check input and
//! make events (sections, lists, impact, root causes, review status, recommendations, questions
//! to the business), and how those events fold into its state.

use super::*;

const MAX_TEXT: usize = 20_000;

fn clean_text(field: &'static str, raw: &str) -> Result<String, DomainError> {
    crate::text::clean(field, raw, MAX_TEXT, crate::text::Lines::Many)
}

/// The items of a list: each one line of at most 1,000 characters, empty ones dropped.
fn clean_items(
    field: &'static str,
    items: &[String],
    most: usize,
) -> Result<Vec<String>, DomainError> {
    let mut out = Vec::new();
    for raw in items {
        let item = crate::text::clean(field, raw, 1_000, crate::text::Lines::One)?;
        if !item.is_empty() {
            out.push(item);
        }
    }
    if out.len() > most {
        return Err(DomainError::InvalidField {
            field,
            problem: format!("has {} items; the limit is {most}", out.len()),
        });
    }
    Ok(out)
}

fn required(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let t = clean_text(field, raw)?;
    if t.is_empty() {
        return Err(DomainError::Empty { field });
    }
    Ok(t)
}

impl RootCause {
    /// A root cause as typed, checked and tidied: the one rule for adding and rewriting one.
    fn checked(
        id: u64,
        category: CauseCategory,
        text: &str,
        whys: &[String],
        preventable: Option<bool>,
        prevention: &str,
        recurrence_of: Option<i64>,
    ) -> Result<RootCause, DomainError> {
        Ok(RootCause {
            id,
            category,
            text: required("root cause", text)?,
            whys: clean_items("whys", whys, 10)?,
            preventable,
            prevention: clean_text("prevention", prevention)?,
            recurrence_of,
        })
    }
}

fn next_id<T>(items: &[T], id: impl Fn(&T) -> u64) -> u64 {
    items.iter().map(id).max().unwrap_or(0) + 1
}

impl Incident {
    /// Recommendation `id`, or "no such recommendation".
    fn recommendation(&self, id: u64) -> Result<&Recommendation, DomainError> {
        self.recommendations
            .iter()
            .find(|r| r.id == id)
            .ok_or(DomainError::NoSuch {
                what: "recommendation",
                incident: self.number,
                id,
            })
    }

    /// The findings leave the team (a report sent to the directory) only once the review
    /// approved them; `what` says what was asked, for the refusal.
    pub fn check_findings_approved(&self, what: &str) -> Result<(), DomainError> {
        match self.postmortem.status {
            Some(PostmortemStatus::Approved | PostmortemStatus::Published) => Ok(()),
            _ => Err(DomainError::NotApproved(what.to_string())),
        }
    }

    /// An approved or published postmortem is what its approver signed: its sections, impact
    /// and root causes no longer change (recommendations are still tracked to completion). An
    /// approved one goes back to draft, with a reason, to be changed and approved again.
    pub(super) fn postmortem_editable(&self) -> Result<(), DomainError> {
        match self.postmortem.status {
            Some(PostmortemStatus::Approved) => Err(DomainError::Frozen(
                "the postmortem is approved and no longer changes; a manager sends it back to draft, with a reason, to change it and approve it again".into(),
            )),
            Some(PostmortemStatus::Published) => Err(DomainError::Frozen(
                "the postmortem is published and no longer changes".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Writes a text section of the postmortem (a draft starts with the first write).
    pub fn set_postmortem_text(&self, section: PmText, text: &str) -> Result<Event, DomainError> {
        self.postmortem_editable()?;
        let text = clean_text("section", text)?;
        if self
            .postmortem
            .texts
            .get(&section)
            .map(String::as_str)
            .unwrap_or("")
            == text
        {
            return Err(DomainError::Unchanged(format!(
                "{section} already says that"
            )));
        }
        Ok(Event::PostmortemText { section, text })
    }

    /// Replaces a list section: items trimmed, empty ones dropped, at most 100 of 1,000 characters.
    pub fn set_postmortem_list(
        &self,
        list: PmList,
        items: &[String],
    ) -> Result<Event, DomainError> {
        self.postmortem_editable()?;
        let items = clean_items("items", items, 100)?;
        if self
            .postmortem
            .lists
            .get(&list)
            .cloned()
            .unwrap_or_default()
            == items
        {
            return Err(DomainError::Unchanged(format!(
                "{list} already has these items"
            )));
        }
        Ok(Event::PostmortemList { list, items })
    }

    /// Replaces the impact section.
    pub fn set_impact(&self, impact: Impact) -> Result<Event, DomainError> {
        self.postmortem_editable()?;
        impact.check()?;
        if self.postmortem.impact == impact {
            return Err(DomainError::Unchanged("the impact is already so".into()));
        }
        Ok(Event::PostmortemImpact { impact })
    }

    /// Adds a root cause; `recurrence_of` names an earlier incident with the same cause.
    pub fn add_root_cause(
        &self,
        category: CauseCategory,
        text: &str,
        whys: &[String],
        preventable: Option<bool>,
        prevention: &str,
        recurrence_of: Option<i64>,
    ) -> Result<Event, DomainError> {
        self.postmortem_editable()?;
        if recurrence_of == Some(self.number) {
            return Err(DomainError::InvalidField {
                field: "recurrence_of",
                problem: "names this incident; name the earlier one".into(),
            });
        }
        Ok(Event::RootCauseAdded {
            cause: RootCause::checked(
                next_id(&self.postmortem.root_causes, |c| c.id),
                category,
                text,
                whys,
                preventable,
                prevention,
                recurrence_of,
            )?,
        })
    }

    /// Rewrites root cause `id` (its category, text, whys, preventability), so that what the
    /// blameless check flags can be fixed; its number and the recommendations that cite it stay.
    pub fn update_root_cause(
        &self,
        id: u64,
        category: CauseCategory,
        text: &str,
        whys: &[String],
        preventable: Option<bool>,
        prevention: &str,
    ) -> Result<Event, DomainError> {
        self.postmortem_editable()?;
        let Some(old) = self.postmortem.root_causes.iter().find(|c| c.id == id) else {
            return Err(DomainError::NoSuch {
                what: "root cause",
                incident: self.number,
                id,
            });
        };
        let cause = RootCause::checked(
            id,
            category,
            text,
            whys,
            preventable,
            prevention,
            old.recurrence_of,
        )?;
        if &cause == old {
            return Err(DomainError::Unchanged(format!(
                "root cause {id} is already so"
            )));
        }
        Ok(Event::RootCauseUpdated { cause })
    }

    /// Moves the postmortem through its review: draft → in review → approved → published; back to
    /// draft with a reason. (Who may approve is the role rules' business.)
    /// Approval waits for the items `policy` requires (see [`Incident::readiness`]).
    pub fn change_postmortem_status(
        &self,
        to: PostmortemStatus,
        reason: &str,
        policy: &super::readiness::ReviewPolicy,
    ) -> Result<Event, DomainError> {
        use PostmortemStatus::*;
        let from = self.postmortem.status.unwrap_or(Draft);
        let reason = crate::text::Reason::parse(reason)?;
        let ok = match (from, to) {
            (Draft, InReview) | (InReview, Approved) | (Approved, Published) => true,
            (InReview | Approved, Draft) => !reason.is_empty(),
            _ => false,
        };
        if !ok {
            return Err(DomainError::InvalidField {
                field: "postmortem status",
                problem: format!(
                    "cannot go from {from} to {to} (draft → in-review → approved → published; back to draft with a reason)"
                ),
            });
        }
        if to == Approved {
            let open: Vec<String> = self
                .readiness(policy)
                .into_iter()
                .filter(|g| g.required)
                .map(|g| g.item.as_str().to_string())
                .collect();
            if !open.is_empty() {
                return Err(DomainError::NotReady(open));
            }
        }
        Ok(Event::PostmortemStatusChanged { from, to, reason })
    }

    /// Sets the date of the review meeting.
    pub fn schedule_review(&self, at: Timestamp) -> Result<Event, DomainError> {
        if self.postmortem.review_at == Some(at) {
            return Err(DomainError::Unchanged("the review is already then".into()));
        }
        Ok(Event::ReviewScheduled { at })
    }

    /// Adds a recommendation; without a due date it gets the default of its priority.
    #[allow(clippy::too_many_arguments)]
    pub fn add_recommendation(
        &self,
        action: &str,
        kind: RecommendationKind,
        priority: Priority,
        owner: Option<&str>,
        due: Option<Timestamp>,
        root_causes: &[u64],
        related_incidents: &[i64],
        now: Timestamp,
    ) -> Result<Event, DomainError> {
        if let Some(missing) = root_causes
            .iter()
            .find(|id| !self.postmortem.root_causes.iter().any(|c| c.id == **id))
        {
            return Err(DomainError::InvalidField {
                field: "root_causes",
                problem: format!("#{} has no root cause {missing}", self.number),
            });
        }
        let owner = match owner {
            Some(raw) => Owner::parse(raw)?.map(|o| o.as_str().to_string()),
            None => None,
        };
        Ok(Event::RecommendationAdded {
            id: next_id(&self.recommendations, |r| r.id),
            action: required("action", action)?,
            kind,
            impact: priority.impact,
            effort: priority.effort,
            owner,
            due: due.unwrap_or_else(|| priority.default_due(now)),
            root_causes: root_causes.to_vec(),
            related_incidents: related_incidents
                .iter()
                .copied()
                .filter(|n| *n != self.number)
                .collect(),
        })
    }

    /// Rewords a recommendation, or gives it another owner or due date, while it is still to
    /// be done (open or in progress) — so that a sentence the blameless check flags can be
    /// fixed, and a plan can change hands.
    pub fn update_recommendation(
        &self,
        id: u64,
        action: &str,
        owner: Option<&str>,
        due: Timestamp,
    ) -> Result<Event, DomainError> {
        let r = self.recommendation(id)?;
        if !matches!(
            r.status,
            RecommendationStatus::Open | RecommendationStatus::InProgress
        ) {
            return Err(DomainError::Frozen(format!(
                "recommendation {id} is {}: reopen it before changing it",
                r.status.as_str()
            )));
        }
        let owner = match owner {
            Some(raw) => Owner::parse(raw)?.map(|o| o.as_str().to_string()),
            None => None,
        };
        let action = required("action", action)?;
        if action == r.action && owner == r.owner && due == r.due {
            return Err(DomainError::Unchanged(format!(
                "recommendation {id} is already so"
            )));
        }
        Ok(Event::RecommendationUpdated {
            id,
            action,
            owner,
            due,
        })
    }

    /// The recommendations whose owner is to be reminded at `now`: still to be done, due soon
    /// or overdue, and not yet reminded in that state; with their owner as recorded.
    pub fn reminders_due(&self, now: Timestamp) -> Vec<(u64, DueState, String)> {
        self.recommendations
            .iter()
            .filter_map(|r| {
                let owner = r.owner.clone()?;
                let state = due_state(r.status, r.due, now);
                let remind = matches!(state, DueState::DueSoon | DueState::Overdue)
                    && !r.reminders.iter().any(|m| m.state == state);
                remind.then_some((r.id, state, owner))
            })
            .collect()
    }

    /// Records a reminder sent to a recommendation's owner (`to`, their directory entry), and
    /// how its delivery went; a second one for the same state is refused.
    pub fn remind_owner(
        &self,
        id: u64,
        state: DueState,
        to: &str,
        delivery: &str,
    ) -> Result<Event, DomainError> {
        let r = self.recommendation(id)?;
        if r.reminders.iter().any(|m| m.state == state) {
            return Err(DomainError::Unchanged(format!(
                "the owner of recommendation {id} was already reminded that it is {}",
                state.as_str()
            )));
        }
        Ok(Event::RecommendationReminded {
            id,
            state,
            to: crate::text::clean("to", to, 300, crate::text::Lines::One)?,
            delivery: crate::text::clean("delivery", delivery, 4_000, crate::text::Lines::Many)?,
        })
    }

    /// Moves a recommendation along its lifecycle.
    pub fn change_recommendation_status(
        &self,
        id: u64,
        to: RecommendationStatus,
        reason: &str,
    ) -> Result<Event, DomainError> {
        let r = self.recommendation(id)?;
        recommendation_transition(r.status, to, reason)?;
        Ok(Event::RecommendationStatusChanged {
            id,
            from: r.status,
            to,
            reason: crate::text::Reason::parse(reason)?,
        })
    }

    /// Records a question put to the business (legal, a system owner…).
    pub fn request_info(&self, to: &str, question: &str) -> Result<Event, DomainError> {
        Ok(Event::InfoRequested {
            id: next_id(&self.info_requests, |r| r.id),
            to: required("to", to)?,
            question: required("question", question)?,
        })
    }

    /// The questions to the business still unanswered `after_hours` after they were asked
    /// ([`INFO_REMINDER_HOURS`] by default) and not yet reminded: their number and who was asked.
    pub fn info_reminders_due(&self, now: Timestamp, after_hours: i64) -> Vec<(u64, String)> {
        self.info_requests
            .iter()
            .filter(|r| {
                r.answered_at.is_none()
                    && r.reminders.is_empty()
                    && now.seconds_since(r.asked_at) >= after_hours * 3600
            })
            .map(|r| (r.id, r.to.clone()))
            .collect()
    }

    /// Records the reminder sent about request `id` to `to` (the directory entry asked), and
    /// how its delivery went; refused once answered or already reminded.
    pub fn remind_info(&self, id: u64, to: &str, delivery: &str) -> Result<Event, DomainError> {
        match self.info_requests.iter().find(|r| r.id == id) {
            None => Err(DomainError::NoSuch {
                what: "request",
                incident: self.number,
                id,
            }),
            Some(r) if r.answered_at.is_some() || !r.reminders.is_empty() => Err(
                DomainError::Unchanged(format!("request {id} is answered or already reminded")),
            ),
            Some(_) => Ok(Event::InfoReminded {
                id,
                to: crate::text::clean("to", to, 300, crate::text::Lines::One)?,
                delivery: crate::text::clean(
                    "delivery",
                    delivery,
                    4_000,
                    crate::text::Lines::Many,
                )?,
            }),
        }
    }

    /// Records the answer to a question.
    /// The business's answer to request `id`; `at` is when they answered, if not now.
    pub fn answer_info(
        &self,
        id: u64,
        answer: &str,
        at: Option<Timestamp>,
    ) -> Result<Event, DomainError> {
        let at = at
            .map(|a| self.stated("at", a, Timestamp::now()))
            .transpose()?;
        match self.info_requests.iter().find(|r| r.id == id) {
            None => Err(DomainError::NoSuch {
                what: "request",
                incident: self.number,
                id,
            }),
            Some(r) if r.answered_at.is_some() => Err(DomainError::Unchanged(format!(
                "request {id} is already answered"
            ))),
            Some(r) if at.is_some_and(|a| a < r.asked_at) => Err(DomainError::InvalidField {
                field: "at",
                problem: format!("request {id} was asked at {}, after that", r.asked_at),
            }),
            Some(_) => Ok(Event::InfoAnswered {
                id,
                answer: required("answer", answer)?,
                at,
            }),
        }
    }

    /// Folds a postmortem, recommendation or request event.
    pub(crate) fn apply_postmortem(&mut self, event: Event, actor: &str, at: Timestamp, seq: u64) {
        let pm = &mut self.postmortem;
        match event {
            Event::PostmortemText { section, text } => {
                pm.status.get_or_insert(PostmortemStatus::Draft);
                pm.texts.insert(section, text);
            }
            Event::PostmortemList { list, items } => {
                pm.status.get_or_insert(PostmortemStatus::Draft);
                pm.lists.insert(list, items);
            }
            Event::PostmortemImpact { impact } => {
                pm.status.get_or_insert(PostmortemStatus::Draft);
                pm.impact = impact;
            }
            Event::RootCauseAdded { cause } => {
                pm.status.get_or_insert(PostmortemStatus::Draft);
                pm.root_causes.push(cause);
            }
            Event::RootCauseUpdated { cause } => {
                if let Some(c) = pm.root_causes.iter_mut().find(|c| c.id == cause.id) {
                    *c = cause;
                }
            }
            Event::PostmortemStatusChanged { to, .. } => {
                pm.status = Some(to);
                match to {
                    PostmortemStatus::Approved => {
                        pm.approved_by = Some(actor.to_string());
                        pm.approved_at = Some(at);
                        // What was approved: the record as it stood at the entry before this.
                        pm.approved_version = Some(seq.saturating_sub(1));
                    }
                    PostmortemStatus::Published => pm.published_at = Some(at),
                    PostmortemStatus::Draft => {
                        pm.approved_by = None;
                        pm.approved_at = None;
                        pm.approved_version = None;
                    }
                    PostmortemStatus::InReview => {}
                }
            }
            Event::ReviewScheduled { at: when } => pm.review_at = Some(when),
            e @ (Event::ReviewInputGiven { .. } | Event::ReviewHeld { .. }) => {
                pm.apply_meeting(e, actor, at)
            }
            Event::RecommendationAdded {
                id,
                action,
                kind,
                impact,
                effort,
                owner,
                due,
                root_causes,
                related_incidents,
            } => self.recommendations.push(Recommendation {
                id,
                action,
                kind,
                priority: Priority { impact, effort },
                owner,
                due,
                status: RecommendationStatus::Open,
                status_reason: String::new(),
                root_causes,
                related_incidents,
                added_by: actor.to_string(),
                added_at: at,
                done_at: None,
                reminders: Vec::new(),
            }),
            Event::RecommendationUpdated {
                id,
                action,
                owner,
                due,
            } => {
                if let Some(r) = self.recommendations.iter_mut().find(|r| r.id == id) {
                    r.action = action;
                    r.owner = owner;
                    r.due = due;
                }
            }
            Event::RecommendationReminded {
                id,
                state,
                to,
                delivery,
            } => {
                if let Some(r) = self.recommendations.iter_mut().find(|r| r.id == id) {
                    r.reminders.push(Reminder {
                        state,
                        at,
                        to,
                        delivery,
                    });
                }
            }
            Event::RecommendationStatusChanged { id, to, reason, .. } => {
                if let Some(r) = self.recommendations.iter_mut().find(|r| r.id == id) {
                    r.status = to;
                    r.status_reason = reason.into_inner();
                    if to == RecommendationStatus::Done {
                        r.done_at = Some(at);
                    }
                }
            }
            Event::InfoRequested { id, to, question } => self.info_requests.push(InfoRequest {
                id,
                to,
                question,
                asked_by: actor.to_string(),
                asked_at: at,
                answer: None,
                answered_at: None,
                reminders: Vec::new(),
            }),
            Event::InfoReminded { id, to, delivery } => {
                if let Some(r) = self.info_requests.iter_mut().find(|r| r.id == id) {
                    r.reminders.push(Reminder {
                        state: DueState::Overdue,
                        at,
                        to,
                        delivery,
                    });
                }
            }
            Event::InfoAnswered {
                id,
                answer,
                at: stated,
            } => {
                if let Some(r) = self.info_requests.iter_mut().find(|r| r.id == id) {
                    r.answer = Some(answer);
                    r.answered_at = Some(stated.unwrap_or(at));
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
            | Event::EvidenceAdded { .. }
            | Event::CustodyRecorded { .. }
            | Event::AssetAdded { .. }
            | Event::AssetUpdated { .. }
            | Event::ActionRecorded { .. }
            | Event::TaskAdded { .. }
            | Event::TaskUpdated { .. }
            | Event::NoteAdded { .. }
            | Event::TimeLogged { .. }
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
    fn a_question_unanswered_for_a_working_day_is_reminded_once() {
        let mut j = Journal::new();
        let e = j
            .state()
            .request_info("Direction des soins", "Which wards restore first?")
            .unwrap();
        j.push(e);
        let asked = j.state().info_requests[0].asked_at;
        let hours = |h: i64| asked.plus_seconds(h * 3600);
        assert!(
            j.state()
                .info_reminders_due(hours(23), INFO_REMINDER_HOURS)
                .is_empty()
        );
        assert_eq!(
            j.state().info_reminders_due(hours(25), INFO_REMINDER_HOURS),
            [(1, "Direction des soins".to_string())]
        );
        let e = j
            .state()
            .remind_info(1, "Direction des soins", "delivered on try 1; SMTP 250")
            .unwrap();
        j.push(e);
        let r = &j.state().info_requests[0];
        assert_eq!(r.reminders.len(), 1);
        assert_eq!(r.reminders[0].to, "Direction des soins");
        assert!(
            j.state()
                .info_reminders_due(hours(72), INFO_REMINDER_HOURS)
                .is_empty(),
            "once"
        );
        assert!(matches!(
            j.state().remind_info(1, "Direction des soins", "again"),
            Err(DomainError::Unchanged(_))
        ));
        // An answered question is not reminded.
        let e = j.state().request_info("Legal", "Notify the CNIL?").unwrap();
        j.push(e);
        let e = j
            .state()
            .answer_info(2, "Yes, within 72 hours", None)
            .unwrap();
        j.push(e);
        assert!(
            j.state()
                .info_reminders_due(hours(100), INFO_REMINDER_HOURS)
                .is_empty()
        );
    }
}

//! The fold: an incident's state built from its journal, entry by entry (`from_journal`,
//! `opened`, `apply`). The commands that decide new events are in `incident.rs`.

use super::*;

impl Incident {
    /// Folds a whole journal, ordered by `seq`.
    pub fn from_journal(entries: &[JournalEntry]) -> Result<Incident, DomainError> {
        let first = entries
            .first()
            .ok_or_else(|| DomainError::InconsistentJournal {
                incident: "?".into(),
                seq: 0,
                why: "the journal is empty".into(),
            })?;
        let mut incident = Incident::opened(first)?;
        for entry in &entries[1..] {
            incident.apply(entry)?;
        }
        Ok(incident)
    }

    /// The state right after the opening entry.
    pub fn opened(entry: &JournalEntry) -> Result<Incident, DomainError> {
        let bad = |why: String| DomainError::InconsistentJournal {
            incident: entry.incident.to_string(),
            seq: entry.seq,
            why,
        };
        let event = entry.event().map_err(bad)?;
        let Event::Opened {
            number,
            title,
            summary,
            reporter,
            detection_source,
            detected_at,
            restricted,
        } = event
        else {
            return Err(bad(format!(
                "first entry is `{}`, not `incident.opened`",
                entry.kind
            )));
        };
        let mut milestones = BTreeMap::new();
        let derived = |at| MilestoneValue {
            at,
            set_by: entry.actor.clone(),
            source: MilestoneSource::Derived { seq: entry.seq },
        };
        milestones.insert(Milestone::Declared, derived(entry.recorded_at));
        milestones.insert(
            Milestone::Detected,
            derived(detected_at.unwrap_or(entry.recorded_at)),
        );
        Ok(Incident {
            id: entry.incident,
            number,
            title: title.into_inner(),
            summary: summary.into_inner(),
            reporter: reporter.into_inner(),
            detection_source: detection_source.into_inner(),
            status: Status::New,
            assignee: None,
            opened_at: entry.recorded_at,
            opened_by: entry.actor.clone(),
            updated_at: entry.recorded_at,
            milestones,
            classification: None,
            severity: None,
            tlp: default_tlp(),
            pap: default_pap(),
            tags: Vec::new(),
            scope: Default::default(),
            members: Vec::new(),
            restricted,
            grants: Vec::new(),
            observables: Vec::new(),
            timeline: Vec::new(),
            evidence: Vec::new(),
            assets: Vec::new(),
            actions: Vec::new(),
            tasks: Vec::new(),
            notes: Vec::new(),
            time: Vec::new(),
            postmortem: Default::default(),
            recommendations: Vec::new(),
            info_requests: Vec::new(),
            playbooks: Vec::new(),
            flags: Default::default(),
            regulatory: Default::default(),
            reg_clocks: BTreeMap::new(),
            notifications: Vec::new(),
            notification_skips: Vec::new(),
            escalations: Vec::new(),
            entry_kinds: BTreeMap::from([(entry.kind.clone(), 1)]),
            seq: entry.seq,
        })
    }

    /// Folds one more entry in. Refuses entries out of order or that break a rule, so a journal
    /// that passes through here describes a lawful history.
    pub fn apply(&mut self, entry: &JournalEntry) -> Result<(), DomainError> {
        let bad = |why: String| DomainError::InconsistentJournal {
            incident: entry.incident.to_string(),
            seq: entry.seq,
            why,
        };
        if entry.incident != self.id {
            return Err(bad(format!("entry belongs to incident {}", entry.incident)));
        }
        if entry.seq != self.seq + 1 {
            return Err(bad(format!(
                "expected entry {}, got {}",
                self.seq + 1,
                entry.seq
            )));
        }
        *self.entry_kinds.entry(entry.kind.clone()).or_default() += 1;
        match entry.event().map_err(bad)? {
            Event::Opened { .. } => return Err(bad("the incident is already opened".into())),
            Event::FieldChanged { field, to, .. } => match field {
                Field::Title => self.title = to,
                Field::Summary => self.summary = to,
                Field::Reporter => self.reporter = to,
                Field::DetectionSource => self.detection_source = to,
            },
            Event::StatusChanged { from, to, reason } => {
                if from != self.status {
                    return Err(bad(format!(
                        "transition from `{from}` but the incident is `{}`",
                        self.status
                    )));
                }
                let kind = from.transition(to)?;
                if kind.needs_reason() && reason.is_empty() {
                    return Err(bad(format!(
                        "moving from `{from}` to `{to}` needs a reason"
                    )));
                }
                self.status = to;
                if let Some(m) = Milestone::reached_by(to) {
                    let stated = matches!(
                        self.milestones.get(&m),
                        Some(MilestoneValue {
                            source: MilestoneSource::Stated { .. },
                            ..
                        })
                    );
                    // A time stated from evidence wins over one derived from a transition; a
                    // derived time is kept from the first time the stage was reached, except
                    // `closed_at`, which follows the latest closure.
                    let keep =
                        stated || (m != Milestone::Closed && self.milestones.contains_key(&m));
                    if !keep {
                        self.milestones.insert(
                            m,
                            MilestoneValue {
                                at: entry.recorded_at,
                                set_by: entry.actor.clone(),
                                source: MilestoneSource::Derived { seq: entry.seq },
                            },
                        );
                    }
                }
                if kind == crate::status::TransitionKind::Reopen {
                    self.milestones.remove(&Milestone::Closed);
                }
            }
            Event::Assigned { to, .. } => self.assignee = to,
            access @ (Event::AccessSet { .. }
            | Event::AccessGranted { .. }
            | Event::AccessRevoked { .. }) => self.apply_access(access),
            work @ (Event::AssetAdded { .. }
            | Event::AssetUpdated { .. }
            | Event::ActionRecorded { .. }
            | Event::TaskAdded { .. }
            | Event::TaskUpdated { .. }
            | Event::NoteAdded { .. }
            | Event::TimeLogged { .. }) => self.apply_work(work, &entry.actor, entry.recorded_at),
            pm @ (Event::PostmortemText { .. }
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
            | Event::InfoAnswered { .. }) => {
                self.apply_postmortem(pm, &entry.actor, entry.recorded_at, entry.seq)
            }
            Event::FlagsSet { flags, .. } => self.flags = flags.into_iter().collect(),
            Event::RegulatoryFactsSet { facts } => self.regulatory = facts,
            Event::RegulatoryClockSet { clock, at, .. } => {
                self.reg_clocks.insert(clock, at);
            }
            Event::NotificationRecorded {
                id,
                regime,
                step,
                recipients,
                channel,
                summary,
                sent_at,
                late_reason,
                delivery,
                content,
                stakeholder,
                rule,
            } => {
                let delivered_at = crate::notify::Delivery::parse(&delivery)
                    .is_delivered()
                    .then_some(sent_at);
                self.notifications
                    .push(crate::obligation::NotificationRecord {
                        id,
                        regime,
                        step,
                        recipients,
                        channel,
                        summary,
                        sent_at,
                        late_reason,
                        recorded_by: entry.actor.clone(),
                        delivery,
                        content,
                        stakeholder,
                        rule,
                        attempts: 1,
                        last_attempt_at: entry.recorded_at,
                        delivered_at,
                    })
            }
            Event::NotificationAttempted { id, delivery } => {
                if let Some(n) = self.notifications.iter_mut().find(|n| n.id == id) {
                    n.attempts += 1;
                    n.last_attempt_at = entry.recorded_at;
                    if crate::notify::Delivery::parse(&delivery).is_delivered()
                        && n.delivered_at.is_none()
                    {
                        n.delivered_at = Some(entry.recorded_at);
                    }
                    n.delivery = delivery;
                }
            }
            Event::NotificationSkipped {
                rule,
                rule_name,
                stakeholder,
                reason,
            } => self.notification_skips.push(crate::notify::Skip {
                rule,
                rule_name,
                stakeholder,
                reason: reason.into_inner(),
                by: entry.actor.clone(),
                at: entry.recorded_at,
            }),
            // An export changes nothing of the incident; the entry is the record of it.
            Event::ReportExported { .. } => {}
            Event::ObligationEscalated {
                regime,
                step,
                due,
                recipients,
                delivery,
            } => self.escalations.push(crate::notify::Escalation {
                regime,
                step,
                due,
                recipients,
                delivery,
                at: entry.recorded_at,
            }),
            Event::PlaybookApplied {
                slug,
                version,
                title,
                steps,
            } => self.playbooks.push(crate::playbook::AppliedPlaybook {
                slug,
                version,
                title,
                steps,
                applied_by: entry.actor.clone(),
            }),
            ev @ (Event::EvidenceAdded { .. } | Event::CustodyRecorded { .. }) => {
                self.apply_evidence(ev, &entry.actor)
            }
            record @ (Event::Classified { .. }
            | Event::SeverityAssessed { .. }
            | Event::MarkingsSet { .. }
            | Event::TagsChanged { .. }
            | Event::ScopeSet { .. }
            | Event::MemberAdded { .. }
            | Event::MemberRemoved { .. }
            | Event::ObservableAdded { .. }
            | Event::ObservableUpdated { .. }
            | Event::TimelineAdded { .. }
            | Event::TimelineRemoved { .. }) => {
                self.apply_record(record, &entry.actor, entry.recorded_at)
            }
            Event::MilestoneSet {
                milestone,
                at,
                source,
                ..
            } => {
                self.milestones.insert(
                    milestone,
                    MilestoneValue {
                        at,
                        set_by: entry.actor.clone(),
                        source: MilestoneSource::Stated {
                            seq: entry.seq,
                            source: source.into_inner(),
                        },
                    },
                );
            }
        }
        self.seq = entry.seq;
        self.updated_at = entry.recorded_at;
        Ok(())
    }
}

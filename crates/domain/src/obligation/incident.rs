//! An incident's regulatory facts, as folded from its journal: its flags, the notifications it
//! made and the obligations they discharge.

use super::*;

/// The flags regimes apply on, with what each means.
pub const FLAGS: &[(&str, &str)] = &[
    (
        "personal_data",
        "personal data was, or may have been, breached",
    ),
    (
        "high_risk",
        "the breach is likely to result in a high risk to people",
    ),
    ("significant", "a significant incident under NIS2"),
    ("major_ict", "a major ICT-related incident under DORA"),
    ("material", "determined material (SEC)"),
    ("phi", "unsecured protected health information (HIPAA)"),
    (
        "cyber_insurance_claim",
        "a loss will be claimed under a cyber insurance policy",
    ),
];

/// A notification made (by any channel), possibly discharging a regulatory step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRecord {
    pub id: u64,
    pub regime: Option<String>,
    pub step: Option<String>,
    pub recipients: Vec<String>,
    /// `email`, `webhook`, `phone`, `portal`, `letter`, `in-person`.
    pub channel: String,
    pub summary: String,
    pub sent_at: Timestamp,
    pub late_reason: String,
    pub recorded_by: String,
    /// `delivered`, or why it could not be delivered (then it discharges nothing).
    #[serde(default)]
    pub delivery: String,
    /// What Debrief sent (subject and text, or the webhook's body); none for a recorded call.
    pub content: Option<String>,
    pub stakeholder: Option<String>,
    /// The notification rule that proposed it.
    pub rule: Option<String>,
    /// Delivery attempts recorded (a batch of quick tries counts as one).
    pub attempts: u32,
    pub last_attempt_at: Timestamp,
    /// When it was delivered: what discharges a step.
    pub delivered_at: Option<Timestamp>,
}

impl NotificationRecord {
    pub fn delivered(&self) -> bool {
        self.delivered_at.is_some()
    }

    /// SHA-256 of what was sent, for the record.
    pub fn content_sha256(&self) -> Option<String> {
        self.content
            .as_ref()
            .map(|c| crate::journal::Hash::of(c.as_bytes()).to_hex())
    }
}

/// One regulatory obligation of an incident and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub regime: String,
    pub step: String,
    pub name: Bilingual,
    pub recipient: Bilingual,
    pub due: Due,
    pub state: ObligationState,
    /// The notification that discharged it.
    pub notification: Option<u64>,
    pub late_reason: Option<String>,
    /// The document kind the reports render for it (`gdpr-33`, `nis2-early-warning`…).
    pub draft: Option<String>,
    /// When the lead and legal were warned that it is near or past due.
    pub escalated_at: Option<Timestamp>,
}

pub const CHANNELS: &[&str] = &["email", "webhook", "phone", "portal", "letter", "in-person"];

impl crate::incident::Incident {
    /// The clocks regimes start from: awareness (the `aware_at` milestone) and the stated ones.
    pub fn regulatory_clocks(&self) -> Clocks {
        let mut starts = self.reg_clocks.clone();
        if let Some(a) = self.milestone(crate::event::Milestone::Aware) {
            starts.insert(ClockStart::Aware, a);
        }
        let mut submitted = BTreeMap::new();
        for n in &self.notifications {
            if let (Some(step), Some(at)) = (&n.step, n.delivered_at) {
                submitted.entry(step.clone()).or_insert(at);
            }
        }
        Clocks { starts, submitted }
    }

    /// Every obligation of the regimes that apply, with its deadline and state at `now`.
    pub fn obligations(&self, regimes: &Regimes, now: Timestamp) -> Vec<Obligation> {
        let mut out = Vec::new();
        for r in regimes.applicable(&self.flags) {
            let mut clocks = self.regulatory_clocks();
            // Steps are per regime: only this regime's notifications count.
            clocks.submitted = self
                .notifications
                .iter()
                .filter(|n| n.regime.as_deref() == Some(r.id.as_str()))
                .filter_map(|n| Some((n.step.clone()?, n.delivered_at?)))
                .fold(BTreeMap::new(), |mut m, (s, t)| {
                    m.entry(s).or_insert(t);
                    m
                });
            for s in &r.steps {
                let due = regimes
                    .due(&r.id, &s.id, &clocks)
                    .unwrap_or(Due::NotStarted {
                        waiting_for: "a valid rule".into(),
                    });
                let done = self.notifications.iter().find(|n| {
                    n.delivered()
                        && n.regime.as_deref() == Some(r.id.as_str())
                        && n.step.as_deref() == Some(&s.id)
                });
                let started = clocks.starts.get(&ClockStart::Aware).copied();
                out.push(Obligation {
                    regime: r.id.clone(),
                    step: s.id.clone(),
                    name: r.name.clone(),
                    recipient: r.recipient.clone(),
                    state: state(&due, started, done.and_then(|n| n.delivered_at), now),
                    due,
                    notification: done.map(|n| n.id),
                    draft: s.draft.clone(),
                    escalated_at: self
                        .escalations
                        .iter()
                        .find(|e| e.regime == r.id && e.step == s.id)
                        .map(|e| e.at),
                    late_reason: done
                        .map(|n| n.late_reason.clone())
                        .filter(|r| !r.is_empty()),
                });
            }
        }
        out
    }

    /// Sets the incident's regulatory flags (replacing them).
    pub fn set_flags(
        &self,
        flags: &[String],
        reason: &str,
    ) -> Result<crate::event::Event, DomainError> {
        let mut set = BTreeSet::new();
        for f in flags {
            let f = f.trim().to_lowercase().replace('-', "_");
            if f.is_empty() {
                continue;
            }
            if !FLAGS.iter().any(|(k, _)| *k == f) {
                return Err(DomainError::Unknown {
                    what: "flag",
                    value: f,
                    expected: FLAGS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
                });
            }
            set.insert(f);
        }
        if set == self.flags {
            return Err(DomainError::Unchanged("the flags are already so".into()));
        }
        Ok(crate::event::Event::FlagsSet {
            flags: set.into_iter().collect(),
            reason: crate::text::Reason::parse(reason)?,
        })
    }

    /// States when a regulatory clock started (classification as major, materiality), from what.
    pub fn set_regulatory_clock(
        &self,
        clock: ClockStart,
        at: Timestamp,
        source: &str,
    ) -> Result<crate::event::Event, DomainError> {
        if clock == ClockStart::Aware {
            return Err(DomainError::InvalidField {
                field: "clock",
                problem: "awareness is the aware_at key timestamp; set it with the milestones"
                    .into(),
            });
        }
        let source = crate::text::Label::parse_as("source", source)?;
        if source.as_str().is_empty() {
            return Err(DomainError::Empty { field: "source" });
        }
        Ok(crate::event::Event::RegulatoryClockSet { clock, at, source })
    }

    /// Records a notification; one that discharges a regulatory step after its deadline needs a
    /// reason.
    #[allow(clippy::too_many_arguments)]
    pub fn record_notification(
        &self,
        regimes: &Regimes,
        regime: Option<&str>,
        step: Option<&str>,
        recipients: &[String],
        channel: &str,
        summary: &str,
        sent_at: Timestamp,
        late_reason: &str,
    ) -> Result<crate::event::Event, DomainError> {
        let channel = channel.trim().to_lowercase();
        if !CHANNELS.contains(&channel.as_str()) {
            return Err(DomainError::Unknown {
                what: "channel",
                value: channel,
                expected: CHANNELS.join(", "),
            });
        }
        use crate::text::{Lines, clean};
        let mut cleaned = Vec::new();
        for r in recipients {
            let r = clean("recipients", r, 320, Lines::One)?;
            if !r.is_empty() {
                cleaned.push(r);
            }
        }
        let recipients = cleaned;
        if recipients.is_empty() {
            return Err(DomainError::Empty {
                field: "recipients",
            });
        }
        let summary = clean("summary", summary, 20_000, Lines::Many)?;
        if summary.is_empty() {
            return Err(DomainError::Empty { field: "summary" });
        }
        let late_reason = clean("late_reason", late_reason, 4_000, Lines::Many)?;
        match (regime, step) {
            (Some(r), Some(s)) => {
                let ob = self
                    .obligations(regimes, sent_at)
                    .into_iter()
                    .find(|o| o.regime == r && o.step == s)
                    .ok_or_else(|| DomainError::InvalidField {
                        field: "step",
                        problem: format!(
                            "#{} has no obligation {r}/{s}: set the flags that make {r} apply",
                            self.number
                        ),
                    })?;
                if ob.notification.is_some() {
                    return Err(DomainError::Unchanged(format!(
                        "{r}/{s} is already discharged"
                    )));
                }
                if let Due::At { at } = ob.due
                    && sent_at > at
                    && late_reason.is_empty()
                {
                    return Err(DomainError::InvalidField {
                        field: "late_reason",
                        problem: format!("{r}/{s} was due {at}; say why it was late"),
                    });
                }
            }
            (None, None) => {}
            _ => {
                return Err(DomainError::InvalidField {
                    field: "step",
                    problem: "give both regime and step, or neither".into(),
                });
            }
        }
        Ok(crate::event::Event::NotificationRecorded {
            id: self.notifications.iter().map(|n| n.id).max().unwrap_or(0) + 1,
            regime: regime.map(str::to_string),
            step: step.map(str::to_string),
            recipients,
            channel,
            summary,
            sent_at,
            late_reason,
            delivery: "delivered".into(),
            content: None,
            stakeholder: None,
            rule: None,
        })
    }
}

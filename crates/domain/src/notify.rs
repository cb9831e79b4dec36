//! Notification rules (which incidents must be told to whom, through which template), the
//! proposals they make on an incident, a manager's decisions on them (sent, skipped with a
//! reason), the retry schedule of failed deliveries, and deadline escalations.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::obligation::{NotificationRecord, ObligationState, Regimes};
use crate::time::Timestamp;

/// A rule: incidents of these classes, at least this severity, with all these flags, are to be
/// told to this directory entry with this template (possibly discharging a regulatory step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRule {
    pub name: String,
    /// ENISA classes or `class/type`; empty or `*` for any incident.
    #[serde(default)]
    pub applies_to: Vec<String>,
    /// 0 (any) … 5.
    #[serde(default)]
    pub min_level: u8,
    /// Regulatory flags the incident must all have (`personal_data`, `significant`…).
    #[serde(default)]
    pub flags: Vec<String>,
    /// The directory entry (its name).
    pub stakeholder: String,
    /// The message template (`internal-alert`, `regulator-initial`…).
    pub template: String,
    #[serde(default)]
    pub regime: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
}

impl NotificationRule {
    /// Checks a rule against the taxonomy, the flags, the known templates and the regimes.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        applies_to: &[String],
        min_level: u8,
        flags: &[String],
        stakeholder: &str,
        template: &str,
        obligation: Option<&str>,
        templates: &[String],
        regimes: &Regimes,
    ) -> Result<NotificationRule, DomainError> {
        let name = crate::text::Title::parse(name)?.into_inner();
        let mut classes = Vec::new();
        for a in applies_to.iter().map(|a| a.trim().to_lowercase()) {
            if a.is_empty() || a == "*" {
                continue;
            }
            match a.split_once('/') {
                Some((c, t)) => {
                    crate::taxonomy::Classification::parse(c, t)?;
                }
                None if crate::taxonomy::classes().iter().any(|c| c.id == a) => {}
                None => {
                    return Err(DomainError::Unknown {
                        what: "class",
                        value: a,
                        expected: crate::taxonomy::classes()
                            .iter()
                            .map(|c| c.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
            }
            classes.push(a);
        }
        if min_level > 5 {
            return Err(DomainError::InvalidField {
                field: "min_level",
                problem: "a severity level is 0 to 5".into(),
            });
        }
        let mut fl = Vec::new();
        for f in flags
            .iter()
            .map(|f| f.trim().to_lowercase().replace('-', "_"))
        {
            if f.is_empty() {
                continue;
            }
            if !crate::obligation::FLAGS.iter().any(|(k, _)| *k == f) {
                return Err(DomainError::Unknown {
                    what: "flag",
                    value: f,
                    expected: crate::obligation::FLAGS
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            fl.push(f);
        }
        let stakeholder = stakeholder.trim();
        if stakeholder.is_empty() {
            return Err(DomainError::Empty {
                field: "stakeholder",
            });
        }
        let template = template.trim();
        if !templates.iter().any(|t| t == template) {
            return Err(DomainError::Unknown {
                what: "template",
                value: template.to_string(),
                expected: templates.join(", "),
            });
        }
        let (regime, step) = match obligation.map(str::trim).filter(|o| !o.is_empty()) {
            None => (None, None),
            Some(o) => {
                let (r, s) = o.split_once('/').ok_or_else(|| DomainError::InvalidField {
                    field: "obligation",
                    problem: format!("`{o}` is not REGIME/STEP, e.g. nis2/early-warning"),
                })?;
                let known = regimes
                    .get(r)
                    .is_some_and(|reg| reg.steps.iter().any(|x| x.id == s));
                if !known {
                    return Err(DomainError::InvalidField {
                        field: "obligation",
                        problem: format!("no regime step `{o}` in the regimes table"),
                    });
                }
                (Some(r.to_string()), Some(s.to_string()))
            }
        };
        Ok(NotificationRule {
            name,
            applies_to: classes,
            min_level,
            flags: fl,
            stakeholder: stakeholder.to_string(),
            template: template.to_string(),
            regime,
            step,
        })
    }

    /// Whether the rule covers this incident as it stands.
    pub fn matches(&self, i: &Incident) -> bool {
        let class = i.classification.as_ref();
        let class_ok = self.applies_to.is_empty()
            || self.applies_to.iter().any(|a| match a.split_once('/') {
                Some((c, t)) => class.is_some_and(|k| k.class == c && k.kind == t),
                None => class.is_some_and(|k| k.class == *a),
            });
        let level = i.severity.as_ref().map_or(0, |s| s.level);
        class_ok && level >= self.min_level && self.flags.iter().all(|f| i.flags.contains(f))
    }
}

/// A proposed notification a manager decided not to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub rule: String,
    pub rule_name: String,
    pub stakeholder: String,
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// A warning sent to the lead and legal as a regulatory deadline neared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub regime: String,
    pub step: String,
    pub due: Option<Timestamp>,
    pub recipients: Vec<String>,
    pub delivery: String,
    pub at: Timestamp,
}

/// Where a proposal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ProposalState {
    /// To be sent, edited or skipped.
    Proposed,
    /// Sent: the notification (delivered or being retried).
    Sent {
        notification: u64,
        delivered: bool,
    },
    Skipped {
        reason: String,
        by: String,
    },
}

/// What a rule proposes on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub rule: String,
    pub rule_name: String,
    pub stakeholder: String,
    pub template: String,
    pub regime: Option<String>,
    pub step: Option<String>,
    #[serde(flatten)]
    pub state: ProposalState,
}

impl Incident {
    /// The notifications the rules (`(id, rule)`) propose for this incident, and what became of
    /// each. A rule whose step is already discharged by another notification proposes nothing.
    pub fn proposals(&self, rules: &[(String, NotificationRule)]) -> Vec<Proposal> {
        let mut out = Vec::new();
        for (id, r) in rules {
            let sent = self
                .notifications
                .iter()
                .rev()
                .find(|n| n.rule.as_deref() == Some(id.as_str()));
            let skipped = self.notification_skips.iter().rev().find(|s| s.rule == *id);
            let state = match (sent, skipped) {
                (Some(n), _) => ProposalState::Sent {
                    notification: n.id,
                    delivered: n.delivered(),
                },
                (None, Some(s)) => ProposalState::Skipped {
                    reason: s.reason.clone(),
                    by: s.by.clone(),
                },
                (None, None) => {
                    let discharged = r.step.is_some()
                        && self
                            .notifications
                            .iter()
                            .any(|n| n.delivered() && n.regime == r.regime && n.step == r.step);
                    if !r.matches(self) || discharged {
                        continue;
                    }
                    ProposalState::Proposed
                }
            };
            out.push(Proposal {
                rule: id.clone(),
                rule_name: r.name.clone(),
                stakeholder: r.stakeholder.clone(),
                template: r.template.clone(),
                regime: r.regime.clone(),
                step: r.step.clone(),
                state,
            });
        }
        out
    }

    /// A manager's decision not to send a proposed notification.
    pub fn skip_proposal(
        &self,
        rules: &[(String, NotificationRule)],
        rule: &str,
        reason: &str,
    ) -> Result<Event, DomainError> {
        let p = self
            .proposals(rules)
            .into_iter()
            .find(|p| p.rule == rule)
            .ok_or_else(|| DomainError::InvalidField {
                field: "rule",
                problem: format!(
                    "no rule `{rule}` proposes a notification for #{}",
                    self.number
                ),
            })?;
        if p.state != ProposalState::Proposed {
            return Err(DomainError::Unchanged(format!(
                "the notification to {} is already decided",
                p.stakeholder
            )));
        }
        let reason = crate::text::Reason::parse(reason)?;
        if reason.as_str().trim().is_empty() {
            return Err(DomainError::Empty { field: "reason" });
        }
        Ok(Event::NotificationSkipped {
            rule: p.rule,
            rule_name: p.rule_name,
            stakeholder: p.stakeholder,
            reason,
        })
    }

    /// Notifications Debrief sent that are not delivered and are due another attempt at `now`
    /// on `schedule` (seconds to wait after the 1st, 2nd… attempt; its length bounds the
    /// attempts). The second value is when the next one falls due, if any is left to make.
    pub fn retries_due(
        &self,
        schedule: &[u64],
        now: Timestamp,
    ) -> (Vec<&NotificationRecord>, Option<Timestamp>) {
        let mut due = Vec::new();
        let mut next: Option<Timestamp> = None;
        for n in &self.notifications {
            if n.delivered() || n.content.is_none() {
                continue;
            }
            let Some(wait) = usize::try_from(n.attempts)
                .ok()
                .and_then(|a| a.checked_sub(1))
                .and_then(|a| schedule.get(a))
            else {
                continue;
            };
            let at = n
                .last_attempt_at
                .plus_seconds(i64::try_from(*wait).unwrap_or(i64::MAX / 2));
            if at <= now {
                due.push(n);
            } else {
                next = Some(next.map_or(at, |x| x.min(at)));
            }
        }
        (due, next)
    }

    /// A delivery attempt of notification `id` (a resend by hand, or the retry worker's), with
    /// how it went. Nothing when it was delivered meanwhile or, given `after_attempts`, when
    /// another attempt was recorded since the caller looked.
    pub fn attempt_delivery(
        &self,
        id: u64,
        delivery: &Delivery,
        after_attempts: Option<u32>,
    ) -> Result<Vec<Event>, DomainError> {
        let Some(n) = self.notifications.iter().find(|n| n.id == id) else {
            return Err(DomainError::NoSuch {
                what: "notification",
                incident: self.number,
                id,
            });
        };
        if n.delivered() || after_attempts.is_some_and(|a| a != n.attempts) {
            return Ok(vec![]);
        }
        let delivery = crate::text::clean(
            "delivery",
            &delivery.line(),
            20_000,
            crate::text::Lines::Many,
        )?;
        Ok(vec![Event::NotificationAttempted { id, delivery }])
    }

    /// The warning that a deadline is near or past (who was warned, how): nothing when that
    /// step was escalated already.
    pub fn escalate(
        &self,
        regime: &str,
        step: &str,
        due: Option<Timestamp>,
        recipients: &[String],
        delivery: &str,
    ) -> Result<Vec<Event>, DomainError> {
        if self
            .escalations
            .iter()
            .any(|e| e.regime == regime && e.step == step)
        {
            return Ok(vec![]);
        }
        let delivery = crate::text::clean("delivery", delivery, 20_000, crate::text::Lines::Many)?;
        Ok(vec![Event::ObligationEscalated {
            regime: regime.to_string(),
            step: step.to_string(),
            due,
            recipients: recipients.to_vec(),
            delivery,
        }])
    }

    /// Obligations near or past their deadline that nobody has been warned about yet.
    pub fn escalations_due(
        &self,
        regimes: &Regimes,
        now: Timestamp,
    ) -> Vec<crate::obligation::Obligation> {
        self.obligations(regimes, now)
            .into_iter()
            .filter(|o| matches!(o.state, ObligationState::DueSoon | ObligationState::Overdue))
            .filter(|o| o.escalated_at.is_none())
            .collect()
    }
}

/// How one attempt to deliver a notification went. The journal keeps it as its `delivery` line
/// (text, so the hashed encoding of past entries is unchanged); this is the one place that writes
/// that line and reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Delivered, with how (the try, the answer, the content's SHA-256).
    Delivered(String),
    /// Not delivered: on which attempt, and why.
    Failed { attempt: Attempt, why: String },
}

/// Which attempt a failed delivery was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The first, when the message was sent.
    First,
    /// A person's resend.
    ByHand,
    /// The retry worker's attempt `n`.
    Retry(u32),
    /// The retry worker's last attempt: no more will be made.
    LastRetry(u32),
}

impl Delivery {
    /// The outcome of a send (`Ok(how)` or `Err(why)`) as this attempt's delivery.
    pub fn of(outcome: &Result<String, String>, attempt: Attempt) -> Delivery {
        match outcome {
            Ok(how) => Delivery::Delivered(how.clone()),
            Err(why) => Delivery::Failed {
                attempt,
                why: why.clone(),
            },
        }
    }

    pub fn is_delivered(&self) -> bool {
        matches!(self, Delivery::Delivered(_))
    }

    /// The journal's line.
    pub fn line(&self) -> String {
        match self {
            Delivery::Delivered(how) if how.is_empty() => "delivered".into(),
            Delivery::Delivered(how) => format!("delivered {how}"),
            Delivery::Failed { attempt, why } => match attempt {
                Attempt::First => format!("not delivered: {why}"),
                Attempt::ByHand => format!("not delivered: resent by hand: {why}"),
                Attempt::Retry(n) => format!("not delivered: attempt {n}: {why}"),
                Attempt::LastRetry(n) => format!("not delivered: gave up after attempt {n}: {why}"),
            },
        }
    }

    /// A journal's line read back (a notification made another way says `delivered`).
    pub fn parse(line: &str) -> Delivery {
        if let Some(how) = line.strip_prefix("delivered") {
            return Delivery::Delivered(how.trim_start().to_string());
        }
        let rest = line.strip_prefix("not delivered: ").unwrap_or(line);
        let numbered = |prefix: &str| -> Option<(u32, String)> {
            let after = rest.strip_prefix(prefix)?;
            let (n, why) = after.split_once(": ")?;
            Some((n.parse().ok()?, why.to_string()))
        };
        let (attempt, why) = if let Some(why) = rest.strip_prefix("resent by hand: ") {
            (Attempt::ByHand, why.to_string())
        } else if let Some((n, why)) = numbered("gave up after attempt ") {
            (Attempt::LastRetry(n), why)
        } else if let Some((n, why)) = numbered("attempt ") {
            (Attempt::Retry(n), why)
        } else {
            (Attempt::First, rest.to_string())
        };
        Delivery::Failed { attempt, why }
    }
}

/// Marks a checked `notification.recorded` event as sent by Debrief: how it went, what was sent,
/// to which directory entry, on which rule's proposal.
pub fn as_sent(
    mut event: Event,
    outcome: &Delivery,
    sent: &str,
    to: Option<&str>,
    from_rule: Option<&str>,
) -> Event {
    if let Event::NotificationRecorded {
        delivery,
        content,
        stakeholder,
        rule,
        ..
    } = &mut event
    {
        *delivery = outcome.line();
        *content = Some(sent.to_string());
        *stakeholder = to.map(str::to_string);
        *rule = from_rule.map(str::to_string);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Journal;
    use crate::triage::{FunctionalImpact, InformationImpact, Recoverability, SeverityMatrix};

    fn rules() -> Vec<(String, NotificationRule)> {
        let regimes = Regimes::builtin();
        let templates = vec![
            "internal-alert".to_string(),
            "regulator-initial".to_string(),
        ];
        vec![
            (
                "r1".into(),
                NotificationRule::parse(
                    "Executives on high incidents",
                    &[],
                    3,
                    &[],
                    "Executive committee",
                    "internal-alert",
                    None,
                    &templates,
                    regimes,
                )
                .unwrap(),
            ),
            (
                "r2".into(),
                NotificationRule::parse(
                    "CSIRT early warning",
                    &["intrusions".into()],
                    0,
                    &["significant".into()],
                    "ANSSI",
                    "regulator-initial",
                    Some("nis2/early-warning"),
                    &templates,
                    regimes,
                )
                .unwrap(),
            ),
        ]
    }

    #[test]
    fn rules_are_checked() {
        let t = vec!["internal-alert".to_string()];
        let r = Regimes::builtin();
        let e = |res: Result<NotificationRule, DomainError>| res.unwrap_err().to_string();
        assert!(
            e(NotificationRule::parse(
                "x",
                &["nonsense".into()],
                0,
                &[],
                "a",
                "internal-alert",
                None,
                &t,
                r
            ))
            .contains("class")
        );
        assert!(
            e(NotificationRule::parse(
                "x",
                &[],
                0,
                &["sunny".into()],
                "a",
                "internal-alert",
                None,
                &t,
                r
            ))
            .contains("flag")
        );
        assert!(
            e(NotificationRule::parse(
                "x",
                &[],
                0,
                &[],
                "a",
                "poem",
                None,
                &t,
                r
            ))
            .contains("internal-alert")
        );
        assert!(
            e(NotificationRule::parse(
                "x",
                &[],
                0,
                &[],
                "a",
                "internal-alert",
                Some("nis2/postcard"),
                &t,
                r
            ))
            .contains("nis2/postcard")
        );
        assert!(
            e(NotificationRule::parse(
                "x",
                &[],
                7,
                &[],
                "a",
                "internal-alert",
                None,
                &t,
                r
            ))
            .contains("0 to 5")
        );
    }

    #[test]
    fn proposals_follow_the_incident_and_the_decisions() {
        let rules = rules();
        let mut s = Journal::new();
        // Unassessed, unclassified: nothing matches.
        assert!(s.state().proposals(&rules).is_empty());
        s.push(
            s.state()
                .classify("intrusions", "system-compromise", "")
                .unwrap(),
        );
        s.push(
            s.state()
                .assess(
                    &SeverityMatrix::default(),
                    FunctionalImpact::Medium,
                    InformationImpact::Privacy,
                    Recoverability::Supplemented,
                    "",
                )
                .unwrap(),
        );
        let p = s.state().proposals(&rules);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].stakeholder, "Executive committee");
        s.push(s.state().set_flags(&["significant".into()], "").unwrap());
        let p = s.state().proposals(&rules);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].state, ProposalState::Proposed);

        // Skipped with a reason; a second skip is refused.
        assert!(s.state().skip_proposal(&rules, "r1", " ").is_err());
        let skip = s
            .state()
            .skip_proposal(&rules, "r1", "told in person at the crisis meeting")
            .unwrap();
        s.push(skip);
        assert!(matches!(
            s.state().proposals(&rules)[0].state,
            ProposalState::Skipped { .. }
        ));
        assert!(s.state().skip_proposal(&rules, "r1", "again").is_err());

        // Sent but not delivered: retried on the schedule, then given up.
        let ev = s
            .state()
            .record_notification(
                Regimes::builtin(),
                Some("nis2"),
                Some("early-warning"),
                &["ANSSI".into()],
                "webhook",
                "Early warning",
                Timestamp::now(),
                "",
            )
            .unwrap();
        s.push(as_sent(
            ev,
            &Delivery::Failed {
                attempt: Attempt::First,
                why: "HTTP 503".into(),
            },
            "{}",
            Some("ANSSI"),
            Some("r2"),
        ));
        let p = &s.state().proposals(&rules)[1];
        assert_eq!(
            p.state,
            ProposalState::Sent {
                notification: 1,
                delivered: false
            }
        );
        let last = s.state().notifications[0].last_attempt_at;
        let st = s.state();
        let (due, next) = st.retries_due(&[60, 300], last.plus_seconds(59));
        assert!(due.is_empty());
        assert_eq!(next, Some(last.plus_seconds(60)));
        let st = s.state();
        let (due, _) = st.retries_due(&[60, 300], last.plus_seconds(60));
        assert_eq!(due.len(), 1);
        // The step is pending until the delivery succeeds.
        let ob = |i: &Incident| {
            i.obligations(Regimes::builtin(), Timestamp::now())
                .into_iter()
                .find(|o| o.step == "early-warning")
                .unwrap()
        };
        assert_eq!(ob(&s.state()).notification, None);
        s.push(Event::NotificationAttempted {
            id: 1,
            delivery: "delivered on attempt 1; HTTP 200".into(),
        });
        assert_eq!(s.state().notifications[0].attempts, 2);
        assert_eq!(ob(&s.state()).notification, Some(1));
        assert_eq!(ob(&s.state()).draft.as_deref(), Some("nis2-early-warning"));
        let st = s.state();
        let (due, next) = st.retries_due(&[60, 300], Timestamp::now());
        assert!(due.is_empty() && next.is_none());
    }

    #[test]
    fn retries_stop_when_the_schedule_is_spent() {
        let mut s = Journal::new();
        let ev = s
            .state()
            .record_notification(
                Regimes::builtin(),
                None,
                None,
                &["SOC".into()],
                "webhook",
                "Heads-up",
                Timestamp::now(),
                "",
            )
            .unwrap();
        s.push(as_sent(
            ev,
            &Delivery::parse("not delivered: refused"),
            "{}",
            Some("SOC"),
            None,
        ));
        for _ in 0..2 {
            s.push(Event::NotificationAttempted {
                id: 1,
                delivery: "not delivered: refused".into(),
            });
        }
        let far = Timestamp::now().plus_seconds(86_400);
        assert_eq!(s.state().notifications[0].attempts, 3);
        let st = s.state();
        let (due, next) = st.retries_due(&[60, 300], far);
        assert!(due.is_empty() && next.is_none());
    }

    #[test]
    fn a_delivery_line_reads_back_as_it_was_written() {
        let all = [
            Delivery::Delivered("on try 2; HTTP 200; sha256 ab".into()),
            Delivery::Delivered(String::new()),
            Delivery::Failed {
                attempt: Attempt::First,
                why: "failed after 3 tries: HTTP 503".into(),
            },
            Delivery::Failed {
                attempt: Attempt::ByHand,
                why: "relay refused: 550".into(),
            },
            Delivery::Failed {
                attempt: Attempt::Retry(2),
                why: "timed out".into(),
            },
            Delivery::Failed {
                attempt: Attempt::LastRetry(5),
                why: "HTTP 410: gone".into(),
            },
        ];
        for d in all {
            assert_eq!(Delivery::parse(&d.line()), d, "{}", d.line());
        }
        assert_eq!(Delivery::parse("delivered").line(), "delivered");
        assert!(!Delivery::parse("not delivered: refused").is_delivered());
    }
}

//! The background worker of outgoing notifications: retries deliveries that failed, on the
//! configured schedule, warns the incident lead and legal when a regulatory deadline is near
//! or just passed, and reminds recommendations' owners who are directory entries. Its state is the journal (attempts and their times are entries), so a restart
//! resumes where it stopped: at start it looks through every incident once.

use debrief_domain::stakeholder::{Reach, StakeholderCategory};
use std::collections::BTreeSet;
use std::sync::Mutex;

use debrief_app::{AppError, Caller, Need};
use debrief_domain::notify::{Attempt, Delivery};
use debrief_domain::{DomainError, Event, Incident, IncidentId, Timestamp};
use debrief_store::lease::{Job, Lease};
use tokio::sync::Notify;

use super::templates::ESCALATION;
use super::{deliver, target_of};
use crate::AppState;

/// Who the worker's entries are recorded as (not a possible user name: `:` is not allowed).
pub const ACTOR: &str = "system:notifications";

/// Escalations are sent for deadlines at most this long past (older ones are on the board).
const ESCALATE_OVERDUE_SECONDS: i64 = 72 * 3600;

/// Incidents with a delivery to retry.
#[derive(Debug, Default)]
pub struct Pending {
    ids: Mutex<BTreeSet<IncidentId>>,
    wake: Notify,
}

impl Pending {
    /// Remembers that `id` has a failed delivery, and wakes the worker.
    pub fn add(&self, id: IncidentId) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.insert(id);
        }
        self.wake.notify_one();
    }

    fn snapshot(&self) -> Vec<IncidentId> {
        self.ids
            .lock()
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default()
    }

    fn done(&self, id: IncidentId) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.remove(&id);
        }
    }
}

/// How often an instance that does not run the worker tries to take it over.
pub const LEASE_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Starts the worker (once per server). Across the instances of one installation, one runs it
/// at a time (see [`debrief_store::lease`]); the others stand by and one takes over when it
/// stops.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let lease = state.app.lead(Job::Notifications, LEASE_POLL).await;
            run(&state, lease).await;
            tracing::warn!("notifications: the lease was lost; another instance may run them");
        }
    })
}

/// Runs the worker while `lease` is held.
async fn run(state: &AppState, mut lease: Lease) {
    let tick = std::time::Duration::from_millis(state.config.notify_tick_ms.max(50));
    let every = std::time::Duration::from_secs(state.config.escalation_every_seconds);
    let mut escalated_at: Option<std::time::Instant> = None;
    loop {
        // Another instance may have recorded a failed delivery: the whole record is looked
        // through when the lease is taken, then with every escalation pass.
        if escalated_at.is_none_or(|t| t.elapsed() >= every) {
            escalated_at = Some(std::time::Instant::now());
            look_for_retries(state).await;
            if let Err(e) = escalate(state).await {
                tracing::warn!(error = %e, "notifications: escalation pass failed");
            }
            if let Err(e) = remind(state).await {
                tracing::warn!(error = %e, "notifications: reminder pass failed");
            }
        }
        for id in state.pending.snapshot() {
            if !lease.held().await {
                return;
            }
            if let Err(e) = retry(state, id).await {
                tracing::warn!(incident = %id, error = %e, "notifications: retry pass failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = state.pending.wake.notified() => {}
        }
        if !lease.held().await {
            return;
        }
    }
}

/// Remembers every incident with a delivery to retry now or later.
async fn look_for_retries(state: &AppState) {
    match state.app.all(&Caller::worker(ACTOR)).await {
        Ok(all) => {
            for i in all {
                let (due, next) = i.retries_due(&state.config.retry_schedule, Timestamp::now());
                if !due.is_empty() || next.is_some() {
                    state.pending.add(i.id);
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "notifications: cannot look for deliveries to retry"),
    }
}

/// Runs a command of the worker through the application layer (retried from fresh state on a
/// conflict), under the worker's name.
async fn append(
    state: &AppState,
    id: IncidentId,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
) -> Result<(), AppError> {
    let caller = Caller::worker(ACTOR);
    state
        .app
        .execute(&caller, id, Need::Work, None, decide)
        .await
        .map(|_| ())
}

async fn retry(state: &AppState, id: IncidentId) -> Result<(), AppError> {
    let schedule = &state.config.retry_schedule;
    let incident = state.app.incident_by_id(&Caller::worker(ACTOR), id).await?;
    let (due, next) = incident.retries_due(schedule, Timestamp::now());
    if due.is_empty() && next.is_none() {
        state.pending.done(id);
        return Ok(());
    }
    for n in due {
        let outcome = match (target_of(state, n).await, &n.content) {
            (Ok(target), Some(content)) => deliver(state, &target, content).await,
            (Err(why), _) => Err(why),
            (_, None) => Err("nothing to send".into()),
        };
        let attempt = n.attempts + 1;
        let last = usize::try_from(attempt).is_ok_and(|a| a > schedule.len());
        let delivery = Delivery::of(
            &outcome,
            if last {
                Attempt::LastRetry(attempt)
            } else {
                Attempt::Retry(attempt)
            },
        );
        tracing::info!(incident = %id, notification = n.id, delivery = %delivery.line(), "notifications: retried");
        let nid = n.id;
        let attempts = n.attempts;
        // Someone else (a person's resend) may have got there first.
        append(state, id, |c| {
            c.attempt_delivery(nid, &delivery, Some(attempts))
        })
        .await?;
    }
    Ok(())
}

/// Warns the lead (the directory entry linked to the assignee's account) and the internal legal
/// entries of each deadline near or just past, once per obligation.
async fn escalate(state: &AppState) -> Result<(), AppError> {
    let now = Timestamp::now();
    let directory = state.store.list_stakeholders().await?;
    for i in state.app.all(&Caller::worker(ACTOR)).await? {
        let due: Vec<_> = i
            .escalations_due(&state.config.regimes, now)
            .into_iter()
            .filter(|o| match o.due {
                debrief_domain::obligation::Due::At { at } => {
                    now.seconds_since(at) <= ESCALATE_OVERDUE_SECONDS
                }
                _ => false,
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        let to: Vec<_> = directory
            .iter()
            .filter(|s| {
                (s.username.is_some() && s.username == i.assignee)
                    || (s.category == StakeholderCategory::Legal && s.scope == Reach::Internal)
            })
            .collect();
        for o in due {
            let mut lines = Vec::new();
            for s in &to {
                let lang = s.language;
                let line = match state.config.templates.render(
                    ESCALATION,
                    lang,
                    &i,
                    &s.name,
                    Some(&o),
                    &state.config.timezone,
                ) {
                    Err(e) => format!("{}: not sent: {e}", s.name),
                    Ok(r) => {
                        let (target, content) = super::to_entry(s, &i, &r.subject, &r.text);
                        let outcome = match target {
                            Ok(t) => deliver(state, &t, &content).await,
                            Err(e) => Err(e),
                        };
                        match outcome {
                            Ok(d) => format!("{}: delivered {d}", s.name),
                            Err(e) => format!("{}: not delivered: {e}", s.name),
                        }
                    }
                };
                lines.push(line);
            }
            let delivery = if lines.is_empty() {
                "no one to warn: link the incident lead's directory entry to their account and add the legal team (category legal, internal) to the directory".to_string()
            } else {
                lines.join("\n")
            };
            tracing::info!(incident = i.number, regime = %o.regime, step = %o.step, "notifications: deadline escalated");
            let recipients: Vec<String> = to.iter().map(|s| s.name.clone()).collect();
            let (regime, step) = (o.regime.clone(), o.step.clone());
            let at = match o.due {
                debrief_domain::obligation::Due::At { at } => Some(at),
                _ => None,
            };
            append(state, i.id, |c| {
                c.escalate(&regime, &step, at, &recipients, &delivery)
            })
            .await?;
        }
    }
    Ok(())
}

/// Reminds the owners of recommendations due soon or overdue, once per state, and the entries
/// asked a question for the review that has waited a working day for its answer, once — when
/// the owner or the entry asked is a directory entry (by its name, or the account it stands
/// for): by its channel, in its language; each reminder and how it went is recorded on the
/// incident.
async fn remind(state: &AppState) -> Result<(), AppError> {
    let now = Timestamp::now();
    let directory = state.store.list_stakeholders().await?;
    let entry_of = |owner: &str| {
        let owner = owner.trim().to_lowercase();
        directory.iter().find(|s| {
            s.name.trim().to_lowercase() == owner
                || s.username
                    .as_deref()
                    .is_some_and(|u| u.to_lowercase() == owner)
        })
    };
    for i in state.app.all(&Caller::worker(ACTOR)).await? {
        for (id, due, owner) in i.reminders_due(now) {
            let Some(s) = entry_of(&owner) else { continue };
            let Some(r) = i.recommendations.iter().find(|r| r.id == id) else {
                continue;
            };
            let lang = s.language;
            let zone = &state.config.timezone;
            let args = [
                ("number", i.number.to_string()),
                ("id", id.to_string()),
                ("action", r.action.clone()),
                ("due", zone.show_date(r.due)),
                (
                    "link",
                    format!(
                        "{}/incidents/{}/postmortem",
                        state.config.public_url.trim_end_matches('/'),
                        i.number
                    ),
                ),
            ];
            let subject = crate::i18n::t(lang, &format!("reminder-subject-{due}"), &args);
            let text = crate::i18n::t(lang, &format!("reminder-body-{due}"), &args);
            tracing::info!(incident = i.number, recommendation = id, state = %due, "notifications: owner reminded");
            send_reminder(state, &i, s, &subject, &text, |c, to, delivery| {
                c.remind_owner(id, due, to, delivery)
            })
            .await?;
        }
        // Questions to the business unanswered after a working day: the entry asked, once.
        for (id, to) in i.info_reminders_due(now, state.config.review.info_reminder_hours) {
            let Some(s) = entry_of(&to) else { continue };
            let Some(r) = i.info_requests.iter().find(|r| r.id == id) else {
                continue;
            };
            let lang = s.language;
            let args = [
                ("number", i.number.to_string()),
                ("who", r.asked_by.clone()),
                (
                    "asked",
                    debrief_report::context::date(r.asked_at, lang, &state.config.timezone),
                ),
                ("question", r.question.clone()),
                (
                    "link",
                    format!(
                        "{}/incidents/{}/postmortem#info-requests",
                        state.config.public_url.trim_end_matches('/'),
                        i.number
                    ),
                ),
            ];
            let subject = crate::i18n::t(lang, "info-reminder-subject", &args);
            let text = crate::i18n::t(lang, "info-reminder-body", &args);
            tracing::info!(
                incident = i.number,
                request = id,
                "notifications: question reminded"
            );
            send_reminder(state, &i, s, &subject, &text, |c, to, delivery| {
                c.remind_info(id, to, delivery)
            })
            .await?;
        }
    }
    Ok(())
}

/// Sends a reminder to directory entry `to` and records it on the incident with how its
/// delivery went (`record(incident, entry name, delivery)` decides the event). Someone else
/// (another server) may have got there first: then nothing is written.
async fn send_reminder(
    state: &AppState,
    incident: &Incident,
    to: &debrief_store::stakeholders::Stakeholder,
    subject: &str,
    text: &str,
    record: impl Fn(&Incident, &str, &str) -> Result<Event, DomainError> + Send + Sync,
) -> Result<(), AppError> {
    let (target, content) = super::to_entry(to, incident, subject, text);
    let outcome = match target {
        Ok(t) => deliver(state, &t, &content).await,
        Err(e) => Err(e),
    };
    let delivery =
        debrief_domain::notify::Delivery::of(&outcome, debrief_domain::notify::Attempt::First)
            .line();
    match append(state, incident.id, |c| {
        record(c, &to.name, &delivery).map(|e| vec![e])
    })
    .await
    {
        Ok(())
        | Err(AppError::Store(debrief_store::StoreError::Domain(DomainError::Unchanged(_)))) => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

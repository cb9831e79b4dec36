//! Alerts becoming incidents, for every front end (API, pages, TheHive's routes): promotion
//! opens an incident from an alert, a merge adds an alert to one. Both carry the alert into the
//! incident's journal — its observables (first seen when the alert was), a note with its payload,
//! the file a reporter attached, and when it was acknowledged — then mark the alert. The other
//! triage actions (acknowledge, dismiss, reopen, assign, more observables) go through
//! [`App::triage_alert`]. The roles are checked here, once, before anything is written.

use debrief_domain::alert::AlertAction;
use debrief_domain::evidence::NewEvidence;
use debrief_domain::record::ObservableFlags;
use debrief_domain::work::NoteKind;
use debrief_domain::{
    Action, DomainError, Event, Incident, Milestone, NewIncident, Role, Timestamp,
};
use debrief_store::StoreError;
use debrief_store::alerts::Alert;

use crate::{App, Caller, Need, Result};

/// The incident an alert opens when it is promoted: its title, description, source and when
/// it happened come from the alert.
/// Leaves out which incident an alert went into when that incident is hidden from the reader.
fn unname(alert: &mut Alert, hidden: &crate::access::Hidden) {
    if alert.incident_id.is_some_and(|id| hidden.id(&id)) {
        alert.incident_id = None;
    }
}

pub fn promoted_incident(alert: &Alert) -> Result<NewIncident, DomainError> {
    let summary: String = alert.description.chars().take(2_000).collect();
    NewIncident::parse(
        &alert.title,
        &summary,
        &alert.key.source,
        &format!("alert A-{} ({})", alert.number, alert.key.kind),
        Some(alert.occurred_at.unwrap_or(alert.first_seen)),
    )
}

/// The note that carries an alert into an incident: where it came from and its payload.
fn alert_note(alert: &Alert) -> String {
    let mut raw = serde_json::to_string_pretty(&alert.raw).unwrap_or_default();
    let limit = debrief_domain::text::Summary::MAX - 1_000;
    if raw.chars().count() > limit {
        raw = raw.chars().take(limit).collect::<String>()
            + "\n… (cut; the full payload stays on the alert)";
    }
    format!(
        "From alert A-{} — type `{}`, source `{}`, sourceRef `{}`; received {} time(s) between {} and {}.\n\nPayload as received:\n{}",
        alert.number,
        alert.key.kind,
        alert.key.source,
        alert.key.source_ref,
        alert.occurrences,
        alert.first_seen,
        alert.last_seen,
        raw
    )
}

/// The file a person attached to their report (kept in the evidence store when it arrived),
/// as evidence collected from them.
fn attachment(alert: &Alert) -> Option<NewEvidence> {
    let a = alert.raw.get("attachment")?;
    let text = |k: &str| {
        a.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    Some(NewEvidence {
        name: text("name")?,
        sha256: text("sha256")?,
        size: a.get("size")?.as_u64()?,
        media_type: text("media_type").unwrap_or_else(|| "application/octet-stream".into()),
        description: format!("attached to the report A-{}", alert.number),
        collected_by: alert.received_by.clone(),
        collected_from: format!("report A-{} (report page)", alert.number),
        collected_at: alert.first_seen,
    })
}

/// The events that carry `alert` into `incident` as it is now.
pub fn carry(incident: &Incident, alert: &Alert) -> Result<Vec<Event>, DomainError> {
    let flags = ObservableFlags {
        first_seen: Some(alert.occurred_at.unwrap_or(alert.first_seen)),
        ..Default::default()
    };
    let (mut events, _) = incident.add_found_observables(
        alert.observables.iter().map(|o| (o.kind, o.value.clone())),
        &flags,
    );
    events.push(incident.add_note(NoteKind::Note, &alert_note(alert), "", None)?);
    if let Some(file) = attachment(alert) {
        events.push(incident.add_evidence(&file)?);
    }
    // Someone acknowledged the alert before it became (part of) this incident: that is when
    // the incident was first taken in hand, unless the incident says it was earlier.
    if let Some(at) = alert.acknowledged_at
        && incident
            .milestone(Milestone::Acknowledged)
            .is_none_or(|known| at < known)
    {
        let who = alert.acknowledged_by.as_deref().unwrap_or("someone");
        events.push(incident.set_milestone(
            Milestone::Acknowledged,
            at,
            &format!("alert A-{} acknowledged by {who}", alert.number),
            "",
            Timestamp::now(),
        )?);
    }
    Ok(events)
}

impl App {
    /// One alert (everyone signed in reads the queue); the incident it went into is left
    /// unnamed when the caller may not know of it.
    pub async fn alert(&self, caller: &Caller, reference: &str) -> Result<Alert> {
        caller.may(Action::ReadAlerts)?;
        let mut alert = self.store.alert(reference).await?;
        let hidden = self.hidden(caller).await?;
        unname(&mut alert, &hidden);
        Ok(alert)
    }

    /// A page of the queue, as [`App::alert`] shows each.
    pub async fn alerts(
        &self,
        caller: &Caller,
        query: &debrief_store::alerts::AlertQuery,
    ) -> Result<Vec<Alert>> {
        caller.may(Action::ReadAlerts)?;
        let hidden = self.hidden(caller).await?;
        let mut page = self.store.list_alerts(query).await?;
        for a in &mut page {
            unname(a, &hidden);
        }
        Ok(page)
    }

    /// A page of the queue with the number of alerts its filters match and, when there are
    /// more, where the next page starts.
    pub async fn alert_page(
        &self,
        caller: &Caller,
        query: &debrief_store::alerts::AlertQuery,
    ) -> Result<AlertPage> {
        use debrief_store::alerts::AlertCursor;
        let limit = query.limit.clamp(1, 1000);
        let mut one_more = query.clone();
        one_more.limit = limit + 1;
        let mut alerts = self.alerts(caller, &one_more).await?;
        let next = if alerts.len() > limit as usize {
            alerts.truncate(limit as usize);
            alerts.last().map(AlertCursor::after)
        } else {
            None
        };
        let total = self.store.count_alerts(query).await?;
        Ok(AlertPage {
            alerts,
            total,
            next,
        })
    }

    /// What happened to an alert: received, repeats, grouping, triage — who and when.
    pub async fn alert_history(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Vec<debrief_store::alerts::AlertEvent>> {
        caller.may(Action::ReadAlerts)?;
        Ok(self.store.alert_history(id).await?)
    }

    /// Who may be given an alert or an incident to handle: the enabled managers and handlers,
    /// by name (the choices a page offers; [`App::assignable`] checks one).
    pub async fn assignees(&self) -> Result<Vec<String>> {
        Ok(self
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && matches!(u.role, Role::Manager | Role::Handler))
            .map(|u| u.username.as_str().to_string())
            .collect())
    }

    /// `name` when it may be given an alert or an incident to handle: an enabled manager or
    /// handler (refused as one who cannot lead incidents otherwise, an unknown name included) —
    /// the one rule for alerts and incidents on every channel.
    pub async fn assignable(&self, name: &str) -> Result<String> {
        let name = name.trim().to_lowercase();
        match self.store.user_record(&name).await {
            Ok(r) if !r.user.disabled && matches!(r.user.role, Role::Manager | Role::Handler) => {
                Ok(name)
            }
            Ok(_) | Err(StoreError::NoUser(_)) => Err(DomainError::CannotLead(name).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// A triage action on an alert that opens no incident: acknowledge, dismiss, reopen,
    /// assign (to an enabled manager or handler), more observables. Promotion and merging are
    /// [`App::promote_alert`] and [`App::merge_alert`].
    pub async fn triage_alert(
        &self,
        caller: &Caller,
        alert: &str,
        action: AlertAction,
    ) -> Result<Alert> {
        caller.may(Action::TriageAlerts)?;
        if matches!(action, AlertAction::Promote | AlertAction::Merge) {
            return Err(DomainError::InvalidField {
                field: "action",
                problem: "an alert is promoted or merged into an incident, not triaged so".into(),
            }
            .into());
        }
        let action = match action {
            AlertAction::Assign { to: Some(name) } => AlertAction::Assign {
                to: Some(self.assignable(&name).await?),
            },
            other => other,
        };
        Ok(self
            .store
            .act_on_alert(alert, caller.actor().as_str(), action, None)
            .await?)
    }

    /// Promotes an alert: a new incident, its journal carrying the alert, and the alert marked
    /// promoted. Needs alert triage and incident creation; an alert that cannot be promoted is
    /// refused before anything is created.
    pub async fn promote_alert(&self, caller: &Caller, alert: &str) -> Result<(Alert, Incident)> {
        caller.may(Action::TriageAlerts)?;
        caller.may(Action::CreateIncident)?;
        let current = self.store.alert(alert).await?;
        debrief_domain::alert::next_status(current.status, &AlertAction::Promote)?;
        let created = self.create(caller, promoted_incident(&current)?).await?;
        self.carry_into(caller, current, created.incident.id, AlertAction::Promote)
            .await
    }

    /// Merges an alert into an existing incident (by number or id): its journal carries the
    /// alert, and the alert is marked merged. Needs alert triage and the right to work the
    /// incident.
    pub async fn merge_alert(
        &self,
        caller: &Caller,
        alert: &str,
        incident: &str,
    ) -> Result<(Alert, Incident)> {
        caller.may(Action::TriageAlerts)?;
        let current = self.store.alert(alert).await?;
        debrief_domain::alert::next_status(current.status, &AlertAction::Merge)?;
        let id = self.resolve(caller, incident).await?;
        self.carry_into(caller, current, id, AlertAction::Merge)
            .await
    }

    /// Carries `alert` into incident `id`'s journal (the caller must be allowed to work it),
    /// then marks the alert promoted or merged into it.
    async fn carry_into(
        &self,
        caller: &Caller,
        alert: Alert,
        id: debrief_domain::IncidentId,
        done: AlertAction,
    ) -> Result<(Alert, Incident)> {
        let alert_id = alert.id.clone();
        let incident = self
            .execute(caller, id, Need::Work, None, move |i| carry(i, &alert))
            .await?;
        let alert = self
            .store
            .act_on_alert(&alert_id, caller.actor().as_str(), done, Some(id))
            .await?;
        Ok((alert, incident))
    }
}

/// A page of the alert queue.
#[derive(Debug, Clone)]
pub struct AlertPage {
    pub alerts: Vec<Alert>,
    /// How many alerts the filters match, on every page.
    pub total: u64,
    /// Where the next page starts, when there is one.
    pub next: Option<debrief_store::alerts::AlertCursor>,
}

//! Alerts as the store keeps them: the `Alert` record, the intake receipt, list queries, and
//! the SQL both backends share for taking alerts in idempotently and moving them through triage.

use debrief_domain::alert::{
    AlertAction, AlertKey, AlertObservable, AlertSeverity, AlertStatus, DismissReason, NewAlert,
};
use debrief_domain::triage::{Pap, Tlp};
use debrief_domain::{IncidentId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// An alert with its triage state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    /// A short number for people (`A-12`).
    pub number: i64,
    #[serde(flatten)]
    pub key: AlertKey,
    pub title: String,
    pub description: String,
    pub severity: u8,
    pub tlp: Tlp,
    pub pap: Pap,
    pub tags: Vec<String>,
    pub observables: Vec<AlertObservable>,
    pub occurred_at: Option<Timestamp>,
    pub host: Option<String>,
    pub status: AlertStatus,
    /// How many times it was received (repeats of the key and grouped detections).
    pub occurrences: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Source references grouped into this alert besides its own, oldest first (capped).
    pub grouped_refs: Vec<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<Timestamp>,
    pub closed_by: Option<String>,
    pub closed_at: Option<Timestamp>,
    pub dismiss_reason: Option<DismissReason>,
    pub note: Option<String>,
    /// The incident it was promoted to or merged into.
    pub incident_id: Option<IncidentId>,
    /// Who it is given to for triage.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Who sent it first (the API token's or the reporting person's user name).
    #[serde(default)]
    pub received_by: String,
    /// The last payload received, verbatim.
    pub raw: serde_json::Value,
}

/// The most grouped references an alert lists (the count goes on).
pub const MAX_GROUPED_REFS: usize = 100;

impl Alert {
    fn new(id: String, number: i64, a: NewAlert, received: Timestamp, by: &str) -> Alert {
        Alert {
            id,
            number,
            key: a.key,
            title: a.title.into_inner(),
            description: a.description,
            severity: a.severity.level(),
            tlp: a.tlp,
            pap: a.pap,
            tags: a.tags,
            observables: a.observables,
            occurred_at: a.occurred_at,
            host: a.host,
            status: AlertStatus::New,
            occurrences: 1,
            first_seen: received,
            last_seen: received,
            grouped_refs: Vec::new(),
            acknowledged_by: None,
            acknowledged_at: None,
            closed_by: None,
            closed_at: None,
            dismiss_reason: None,
            note: None,
            incident_id: None,
            assignee: None,
            received_by: by.to_string(),
            raw: a.raw,
        }
    }

    /// A repeat of the same key: the sender's latest view wins for the descriptive fields,
    /// observables and tags accumulate, the count goes up.
    fn repeat(&mut self, a: NewAlert, received: Timestamp) {
        self.title = a.title.into_inner();
        self.description = a.description;
        self.severity = self.severity.max(a.severity.level());
        self.tlp = a.tlp;
        self.pap = a.pap;
        self.merge_lists(a.tags, a.observables);
        self.occurred_at = self.occurred_at.or(a.occurred_at);
        self.raw = a.raw;
        self.occurrences += 1;
        self.last_seen = self.last_seen.max(received);
    }

    /// Another detection grouped into this alert: its key is remembered, its observables and
    /// tags join, the count goes up; the alert's own description and payload stay.
    fn group(&mut self, a: NewAlert, received: Timestamp) {
        if self.grouped_refs.len() < MAX_GROUPED_REFS {
            self.grouped_refs.push(a.key.source_ref.clone());
        }
        self.severity = self.severity.max(a.severity.level());
        self.merge_lists(a.tags, a.observables);
        self.occurrences += 1;
        self.last_seen = self.last_seen.max(received);
    }

    fn merge_lists(&mut self, tags: Vec<String>, observables: Vec<AlertObservable>) {
        self.tags.extend(tags);
        self.tags.sort();
        self.tags.dedup();
        self.observables.extend(observables);
        self.observables.sort();
        self.observables.dedup();
    }

    /// Applies a triage action decided by the domain.
    pub(crate) fn act(
        &mut self,
        actor: &str,
        action: &AlertAction,
        incident: Option<IncidentId>,
        at: Timestamp,
    ) -> Result<()> {
        let next = debrief_domain::alert::next_status(self.status, action)?;
        match action {
            AlertAction::Acknowledge => {
                self.acknowledged_by = Some(actor.to_string());
                self.acknowledged_at = Some(at);
            }
            AlertAction::Promote | AlertAction::Merge => {
                let Some(incident) = incident else {
                    return Err(StoreError::Domain(debrief_domain::DomainError::Empty {
                        field: "incident",
                    }));
                };
                self.incident_id = Some(incident);
                self.closed_by = Some(actor.to_string());
                self.closed_at = Some(at);
            }
            AlertAction::Dismiss { reason, note } => {
                self.dismiss_reason = Some(*reason);
                self.note = Some(note.trim().to_string());
                self.closed_by = Some(actor.to_string());
                self.closed_at = Some(at);
            }
            AlertAction::Reopen { reason } => {
                self.dismiss_reason = None;
                self.note = Some(reason.trim().to_string());
                self.closed_by = None;
                self.closed_at = None;
            }
            AlertAction::Assign { to } => self.assignee = to.clone(),
            AlertAction::AddObservables(list) => self.merge_lists(Vec::new(), list.clone()),
        }
        // Deciding a new alert's fate acknowledges it on the way; giving it to someone or
        // adding to it does not.
        let decides = !matches!(
            action,
            AlertAction::Assign { .. } | AlertAction::AddObservables(_)
        );
        if decides && self.acknowledged_at.is_none() {
            self.acknowledged_by = Some(actor.to_string());
            self.acknowledged_at = Some(at);
        }
        self.status = next;
        Ok(())
    }
}

/// What intake did with an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Intake {
    /// A new alert.
    Created,
    /// The same key again: counted on the existing alert.
    Repeated,
    /// Another detection of the same thing on the same host within the window: counted there.
    Grouped,
}

/// The alert after intake, and what intake did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Receipt {
    pub intake: Intake,
    pub alert: Alert,
}

/// Which alerts to list: newest activity first.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    /// Only these statuses (all when empty).
    pub statuses: Vec<AlertStatus>,
    /// Only at least this severity.
    pub min_severity: Option<AlertSeverity>,
    pub limit: u32,
    pub offset: u32,
}

/// One line of an alert's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

pub(crate) fn to_state(alert: &Alert) -> Result<String> {
    serde_json::to_string(alert).map_err(|e| StoreError::Corrupt(format!("alert state: {e}")))
}

pub(crate) fn from_state(state: &str) -> Result<Alert> {
    serde_json::from_str(state).map_err(|e| StoreError::Corrupt(format!("alert state: {e}")))
}

/// What intake decides for one alert given what is stored.
pub(crate) enum Plan {
    Insert(Alert),
    Update(Alert, Intake),
}

/// Decides intake: `same_key` is the stored alert with the key, `group` the open alert the
/// detection would join.
pub(crate) fn plan_intake(
    new: NewAlert,
    received: Timestamp,
    same_key: Option<Alert>,
    group: Option<Alert>,
    next_number: i64,
    actor: &str,
) -> Plan {
    if let Some(mut existing) = same_key {
        existing.repeat(new, received);
        return Plan::Update(existing, Intake::Repeated);
    }
    if let Some(mut open) = group {
        open.group(new, received);
        return Plan::Update(open, Intake::Grouped);
    }
    let id = uuid::Uuid::now_v7().to_string();
    Plan::Insert(Alert::new(id, next_number, new, received, actor))
}

/// The history line of an action.
pub(crate) fn action_name(action: &AlertAction) -> (&'static str, String) {
    match action {
        AlertAction::Acknowledge => ("acknowledged", String::new()),
        AlertAction::Promote => ("promoted", String::new()),
        AlertAction::Merge => ("merged", String::new()),
        AlertAction::Dismiss { reason, note } => {
            ("dismissed", format!("{}: {note}", reason.as_str()))
        }
        AlertAction::Reopen { reason } => ("reopened", reason.clone()),
        AlertAction::Assign { to } => (
            "assigned",
            to.clone().unwrap_or_else(|| "nobody".to_string()),
        ),
        AlertAction::AddObservables(list) => (
            "observables-added",
            list.iter()
                .map(|o| format!("{} {}", o.kind, o.value))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    }
}

/// The alert a key went to: its own key, or one grouped into it.
pub(crate) const ALERT_BY_KEY: &str = "SELECT a.state FROM alert_refs r JOIN alerts a ON a.id = r.alert_id WHERE r.kind = $1 AND r.source = $2 AND r.source_ref = $3";
pub(crate) const ALERT_REF_INSERT: &str =
    "INSERT INTO alert_refs (kind, source, source_ref, alert_id) VALUES ($1, $2, $3, $4)";
pub(crate) const ALERT_GROUP: &str = "SELECT state FROM alerts WHERE kind = $1 AND source = $2 AND title = $3 AND host = $4 AND status IN ('new', 'acknowledged') AND last_seen >= $5 ORDER BY last_seen DESC LIMIT 1";
pub(crate) const ALERT_NEXT_NUMBER: &str = "SELECT COALESCE(MAX(number), 0) + 1 FROM alerts";
pub(crate) const ALERT_INSERT: &str = "INSERT INTO alerts (id, number, kind, source, source_ref, title, host, status, severity, occurrences, first_seen, last_seen, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
pub(crate) const ALERT_UPDATE: &str = "UPDATE alerts SET title = $2, status = $3, severity = $4, occurrences = $5, last_seen = $6, state = $7 WHERE id = $1";
pub(crate) const ALERT_HISTORY: &str =
    "INSERT INTO alert_history (alert_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)";

/// Whether a write failed because another transaction recorded the same key first.
pub(crate) fn lost_race(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Intake {
    /// Its line in the alert history.
    pub(crate) fn history_action(self) -> &'static str {
        match self {
            Intake::Created => "received",
            Intake::Repeated => "repeated",
            Intake::Grouped => "grouped",
        }
    }
}

/// Writes an alert's row from its state, in the caller's transaction.
macro_rules! update_alert_row {
    ($tx:expr, $alert:expr) => {{
        let alert: &$crate::alerts::Alert = $alert;
        sqlx::query($crate::alerts::ALERT_UPDATE)
            .bind(&alert.id)
            .bind(&alert.title)
            .bind(alert.status.as_str())
            .bind(i64::from(alert.severity))
            .bind(alert.occurrences)
            .bind(alert.last_seen.to_string())
            .bind($crate::alerts::to_state(alert)?)
            .execute($tx)
            .await?;
    }};
}

/// Appends one line to an alert's history, in the caller's transaction.
macro_rules! record_history {
    ($tx:expr, $id:expr, $at:expr, $actor:expr, $action:expr, $detail:expr) => {
        sqlx::query($crate::alerts::ALERT_HISTORY)
            .bind($id)
            .bind($at.to_string())
            .bind($actor)
            .bind($action)
            .bind($detail)
            .execute($tx)
            .await?;
    };
}

macro_rules! impl_alerts {
    ($store:ty, for_update = $for_update:literal) => {
        #[async_trait::async_trait]
        impl $crate::AlertStore for $store {
            async fn receive_alerts(
                &self,
                alerts: Vec<debrief_domain::alert::NewAlert>,
                actor: &str,
                received: debrief_domain::Timestamp,
                group_window_seconds: i64,
            ) -> $crate::Result<Vec<$crate::alerts::Receipt>> {
                use $crate::alerts::*;
                // Two first sightings of one key racing (PostgreSQL): the losing transaction
                // is retried whole, and its alert is then a repeat.
                let mut attempt = 0;
                'retry: loop {
                    let mut tx = self.begin_write().await?;
                    let mut receipts = Vec::with_capacity(alerts.len());
                    for new in &alerts {
                        let same: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "{ALERT_BY_KEY}{}",
                            $for_update
                        )))
                        .bind(&new.key.kind)
                        .bind(&new.key.source)
                        .bind(&new.key.source_ref)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let same = same.map(|(s,)| from_state(&s)).transpose()?;
                        let group = match (&same, &new.host) {
                            (None, Some(host)) if group_window_seconds > 0 => {
                                let since = debrief_domain::Timestamp::from_micros(
                                    received.as_micros()
                                        - group_window_seconds.saturating_mul(1_000_000),
                                )
                                .unwrap_or(received);
                                let row: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(
                                    format!("{ALERT_GROUP}{}", $for_update),
                                ))
                                .bind(&new.key.kind)
                                .bind(&new.key.source)
                                .bind(new.title.as_str())
                                .bind(host)
                                .bind(since.to_string())
                                .fetch_optional(&mut *tx)
                                .await?;
                                row.map(|(s,)| from_state(&s)).transpose()?
                            }
                            _ => None,
                        };
                        let (number,): (i64,) =
                            sqlx::query_as(ALERT_NEXT_NUMBER).fetch_one(&mut *tx).await?;
                        let (alert, intake) =
                            match plan_intake(new.clone(), received, same, group, number, actor) {
                                Plan::Insert(alert) => {
                                    let inserted = sqlx::query(ALERT_INSERT)
                                        .bind(&alert.id)
                                        .bind(alert.number)
                                        .bind(&alert.key.kind)
                                        .bind(&alert.key.source)
                                        .bind(&alert.key.source_ref)
                                        .bind(&alert.title)
                                        .bind(&alert.host)
                                        .bind(alert.status.as_str())
                                        .bind(i64::from(alert.severity))
                                        .bind(alert.occurrences)
                                        .bind(alert.first_seen.to_string())
                                        .bind(alert.last_seen.to_string())
                                        .bind(to_state(&alert)?)
                                        .execute(&mut *tx)
                                        .await;
                                    match inserted {
                                        Err(e) if lost_race(&e) && attempt < 3 => {
                                            attempt += 1;
                                            continue 'retry;
                                        }
                                        other => other?,
                                    };
                                    (alert, Intake::Created)
                                }
                                Plan::Update(alert, intake) => {
                                    $crate::alerts::update_alert_row!(&mut *tx, &alert);
                                    (alert, intake)
                                }
                            };
                        if intake != Intake::Repeated {
                            let recorded = sqlx::query(ALERT_REF_INSERT)
                                .bind(&new.key.kind)
                                .bind(&new.key.source)
                                .bind(&new.key.source_ref)
                                .bind(&alert.id)
                                .execute(&mut *tx)
                                .await;
                            match recorded {
                                Err(e) if lost_race(&e) && attempt < 3 => {
                                    attempt += 1;
                                    continue 'retry;
                                }
                                other => other?,
                            };
                        }
                        $crate::alerts::record_history!(
                            &mut *tx,
                            &alert.id,
                            received,
                            actor,
                            intake.history_action(),
                            &new.key.source_ref
                        );
                        receipts.push(Receipt { intake, alert });
                    }
                    tx.commit().await?;
                    return Ok(receipts);
                }
            }

            async fn alert(&self, reference: &str) -> $crate::Result<$crate::alerts::Alert> {
                let reference = reference.trim();
                let number = reference
                    .trim_start_matches(['A', 'a'])
                    .trim_start_matches('-')
                    .parse::<i64>()
                    .ok();
                let row: Option<(String,)> = match number {
                    Some(n) => sqlx::query_as("SELECT state FROM alerts WHERE number = $1")
                        .bind(n)
                        .fetch_optional(&self.write_pool())
                        .await?,
                    None => sqlx::query_as("SELECT state FROM alerts WHERE id = $1")
                        .bind(reference)
                        .fetch_optional(&self.write_pool())
                        .await?,
                };
                match row {
                    Some((s,)) => $crate::alerts::from_state(&s),
                    None => Err($crate::StoreError::NoAlert(reference.to_string())),
                }
            }

            async fn list_alerts(
                &self,
                query: &$crate::alerts::AlertQuery,
            ) -> $crate::Result<Vec<$crate::alerts::Alert>> {
                // Only constants and the statuses' own names go into this text.
                let mut sql = String::from("SELECT state FROM alerts WHERE severity >= $1");
                if !query.statuses.is_empty() {
                    let list: Vec<String> = query
                        .statuses
                        .iter()
                        .map(|s| format!("'{}'", s.as_str()))
                        .collect();
                    sql.push_str(&format!(" AND status IN ({})", list.join(", ")));
                }
                sql.push_str(" ORDER BY last_seen DESC, number DESC LIMIT $2 OFFSET $3");
                let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(query.min_severity.map_or(1, |s| i64::from(s.level())))
                    .bind(i64::from(query.limit.clamp(1, 1000)))
                    .bind(i64::from(query.offset))
                    .fetch_all(&self.write_pool())
                    .await?;
                rows.iter().map(|(s,)| $crate::alerts::from_state(s)).collect()
            }

            async fn act_on_alert(
                &self,
                reference: &str,
                actor: &str,
                action: debrief_domain::alert::AlertAction,
                incident: Option<debrief_domain::IncidentId>,
            ) -> $crate::Result<$crate::alerts::Alert> {
                use $crate::alerts::*;
                let current = self.alert(reference).await?;
                let mut tx = self.begin_write().await?;
                let row: Option<(String,)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT state FROM alerts WHERE id = $1{}", $for_update)))
                        .bind(&current.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((state,)) = row else {
                    return Err($crate::StoreError::NoAlert(reference.to_string()));
                };
                let mut alert = from_state(&state)?;
                let now = debrief_domain::Timestamp::now();
                alert.act(actor, &action, incident, now)?;
                $crate::alerts::update_alert_row!(&mut *tx, &alert);
                let (name, detail) = action_name(&action);
                $crate::alerts::record_history!(&mut *tx, &alert.id, now, actor, name, &detail);
                tx.commit().await?;
                Ok(alert)
            }

            async fn alert_history(
                &self,
                id: &str,
            ) -> $crate::Result<Vec<$crate::alerts::AlertEvent>> {
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT at, actor, action, detail FROM alert_history WHERE alert_id = $1 ORDER BY at, action",
                )
                .bind(id)
                .fetch_all(&self.write_pool())
                .await?;
                rows.into_iter()
                    .map(|(at, actor, action, detail)| {
                        Ok($crate::alerts::AlertEvent {
                            at: debrief_domain::Timestamp::parse(&at).map_err(|e| {
                                $crate::StoreError::Corrupt(format!("alert history: {e}"))
                            })?,
                            actor,
                            action,
                            detail,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use {impl_alerts, record_history, update_alert_row};

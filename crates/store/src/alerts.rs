//! Alerts as the store keeps them: the `Alert` record, the intake receipt, list queries, and
//! the SQL both backends share for taking alerts in idempotently and moving them through triage.

use debrief_domain::alert::{
    AlertAction, AlertKey, AlertObservable, AlertSeverity, AlertStatus, DismissReason, NewAlert,
};
use debrief_domain::triage::{Pap, Tlp};
use debrief_domain::{IncidentId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

use crate::error::{Result, StoreError};
use crate::sql::{Backend, SqlStore};

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
    /// When the sender says it happened. Stores written before dates were range-checked at
    /// intake may hold one that cannot be read (before 1970): it is read as unknown rather than
    /// making the alert — and every list holding it — unreadable.
    #[serde(default, deserialize_with = "readable_or_none")]
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

/// A stored optional timestamp, `None` when it is not one Debrief can read.
fn readable_or_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Timestamp>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        Some(serde_json::Value::String(text)) => match Timestamp::parse(&text) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(stored = %text, error = %e, "an alert's stored date is unreadable; shown as unknown");
                None
            }
        },
        _ => None,
    })
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
    /// Only from this source (exactly, ignoring case).
    pub source: Option<String>,
    /// Only about this host (exactly, ignoring case).
    pub host: Option<String>,
    /// Only with this title: for a detection, its rule (exactly, ignoring case).
    pub title: Option<String>,
    /// Only last seen at or after this time.
    pub seen_since: Option<Timestamp>,
    /// Only last seen before this time.
    pub seen_before: Option<Timestamp>,
    /// The page after this one (newest activity first): where the previous page ended.
    pub after: Option<AlertCursor>,
    pub limit: u32,
    pub offset: u32,
}

/// Where a page of alerts ended: the last alert's activity time and number. A page read after
/// it is stable while alerts arrive (they are newer, so before the cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertCursor {
    pub last_seen: Timestamp,
    pub number: i64,
}

impl AlertCursor {
    /// Where a page ending with `alert` ended.
    pub fn after(alert: &Alert) -> Self {
        AlertCursor {
            last_seen: alert.last_seen,
            number: alert.number,
        }
    }

    /// Its text form for a URL: opaque to clients.
    pub fn to_token(&self) -> String {
        hex::encode(format!("{}|{}", self.last_seen, self.number))
    }

    /// Reads a token made by [`AlertCursor::to_token`].
    pub fn from_token(token: &str) -> Option<Self> {
        let text = String::from_utf8(hex::decode(token.trim()).ok()?).ok()?;
        let (at, number) = text.split_once('|')?;
        Some(AlertCursor {
            last_seen: at.parse().ok()?,
            number: number.parse().ok()?,
        })
    }
}

pub(crate) use crate::sql::Bind;

impl AlertQuery {
    /// The `WHERE` clause (from `$1`) of its filters, without the cursor, and their values.
    /// Only constants, the statuses' own names and parameter numbers go into the text.
    pub(crate) fn filter(&self) -> (String, Vec<Bind>) {
        let mut sql = String::from(" WHERE severity >= $1");
        let mut binds = vec![Bind::Int(
            self.min_severity.map_or(1, |s| i64::from(s.level())),
        )];
        if !self.statuses.is_empty() {
            let list: Vec<String> = self
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", list.join(", ")));
        }
        for (column, value) in [
            ("source", &self.source),
            ("host", &self.host),
            ("title", &self.title),
        ] {
            if let Some(v) = value {
                binds.push(Bind::Text(v.trim().to_lowercase()));
                sql.push_str(&format!(" AND lower({column}) = ${}", binds.len()));
            }
        }
        if let Some(t) = self.seen_since {
            binds.push(Bind::Text(t.to_string()));
            sql.push_str(&format!(" AND last_seen >= ${}", binds.len()));
        }
        if let Some(t) = self.seen_before {
            binds.push(Bind::Text(t.to_string()));
            sql.push_str(&format!(" AND last_seen < ${}", binds.len()));
        }
        (sql, binds)
    }
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

/// The (type, source, title, host) a detection groups by.
pub(crate) type GroupKey = (String, String, String, String);

/// Intake of a batch, decided in memory: the stored alerts the batch touches are loaded first
/// (one query for all its keys, one per group it may join), then every alert is applied in
/// order — a repeat or a grouped detection of an alert created earlier in the same batch is
/// seen — and the writes are made at the end in a few multi-row statements.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    loaded: HashMap<String, Alert>,
    by_key: HashMap<AlertKey, String>,
    groups_queried: HashSet<GroupKey>,
    /// Alerts new in this batch, in order of creation.
    pub(crate) created: Vec<String>,
    /// Stored alerts this batch changed.
    pub(crate) updated: Vec<String>,
    pub(crate) refs: Vec<(AlertKey, String)>,
    /// (alert id, action, detail).
    pub(crate) history: Vec<(String, &'static str, String)>,
    next_number: i64,
}

impl Batch {
    pub(crate) fn new(next_number: i64) -> Self {
        Batch {
            next_number,
            ..Default::default()
        }
    }

    /// A stored alert and one key that leads to it.
    pub(crate) fn add_stored(&mut self, key: AlertKey, alert: Alert) {
        self.by_key.insert(key, alert.id.clone());
        self.loaded.entry(alert.id.clone()).or_insert(alert);
    }

    /// The group to look up in the store before `new` is applied, if any and not done yet.
    pub(crate) fn group_to_query(&mut self, new: &NewAlert, window: i64) -> Option<GroupKey> {
        let host = new.host.as_ref()?;
        if window <= 0 || self.by_key.contains_key(&new.key) {
            return None;
        }
        let g = (
            new.key.kind.clone(),
            new.key.source.clone(),
            new.title.as_str().to_string(),
            host.clone(),
        );
        self.groups_queried.insert(g.clone()).then_some(g)
    }

    /// An open alert found in the store for a group.
    pub(crate) fn add_group_candidate(&mut self, alert: Alert) {
        self.loaded.entry(alert.id.clone()).or_insert(alert);
    }

    fn touch(&mut self, id: &str) {
        if !self.created.iter().any(|c| c == id) && !self.updated.iter().any(|u| u == id) {
            self.updated.push(id.to_string());
        }
    }

    /// Applies one alert: a repeat of its key, a detection joining an open alert of its group
    /// (the one seen last), or a new alert.
    pub(crate) fn apply(
        &mut self,
        new: NewAlert,
        received: Timestamp,
        window: i64,
        actor: &str,
    ) -> Receipt {
        let source_ref = new.key.source_ref.clone();
        let (id, intake) = if let Some(id) = self.by_key.get(&new.key).cloned() {
            if let Some(a) = self.loaded.get_mut(&id) {
                a.repeat(new, received);
            }
            self.touch(&id);
            (id, Intake::Repeated)
        } else if let Some(id) = self.group_for(&new, received, window) {
            let key = new.key.clone();
            if let Some(a) = self.loaded.get_mut(&id) {
                a.group(new, received);
            }
            self.touch(&id);
            self.by_key.insert(key.clone(), id.clone());
            self.refs.push((key, id.clone()));
            (id, Intake::Grouped)
        } else {
            let id = uuid::Uuid::now_v7().to_string();
            let key = new.key.clone();
            let alert = Alert::new(id.clone(), self.next_number, new, received, actor);
            self.next_number += 1;
            self.loaded.insert(id.clone(), alert);
            self.created.push(id.clone());
            self.by_key.insert(key.clone(), id.clone());
            self.refs.push((key, id.clone()));
            (id, Intake::Created)
        };
        self.history
            .push((id.clone(), intake.history_action(), source_ref));
        Receipt {
            intake,
            alert: self.loaded[&id].clone(),
        }
    }

    fn group_for(&self, new: &NewAlert, received: Timestamp, window: i64) -> Option<String> {
        let host = new.host.as_ref()?;
        if window <= 0 {
            return None;
        }
        let since = received.as_micros() - window.saturating_mul(1_000_000);
        self.loaded
            .values()
            .filter(|a| {
                !a.status.is_closed()
                    && a.key.kind == new.key.kind
                    && a.key.source == new.key.source
                    && a.title == new.title.as_str()
                    && a.host.as_ref() == Some(host)
                    && a.last_seen.as_micros() >= since
            })
            .max_by_key(|a| (a.last_seen, a.number))
            .map(|a| a.id.clone())
    }

    /// An alert as it stands after the batch.
    pub(crate) fn alert(&self, id: &str) -> &Alert {
        &self.loaded[id]
    }
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

/// Keys per lookup query (three parameters each).
pub(crate) const KEY_CHUNK: usize = 300;
/// Rows per multi-row insert (at most 13 parameters each).
pub(crate) const ROW_CHUNK: usize = 200;

/// `($1, $2, $3), ($4, $5, $6)…`: `rows` groups of `cols` numbered parameters from `first`.
pub(crate) fn placeholders(rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + r * cols + c).to_string());
        }
        out.push(')');
    }
    out
}

/// The stored alerts of a list of keys (their own or grouped into them); the caller appends
/// the placeholders and `)`.
pub(crate) const ALERTS_BY_KEYS: &str = "SELECT r.kind, r.source, r.source_ref, a.state FROM alert_refs r JOIN alerts a ON a.id = r.alert_id WHERE (r.kind, r.source, r.source_ref) IN (";
pub(crate) const ALERT_INSERT_MANY: &str = "INSERT INTO alerts (id, number, kind, source, source_ref, title, host, status, severity, occurrences, first_seen, last_seen, state) VALUES ";
pub(crate) const ALERT_REF_INSERT_MANY: &str =
    "INSERT INTO alert_refs (kind, source, source_ref, alert_id) VALUES ";
pub(crate) const ALERT_HISTORY_MANY: &str =
    "INSERT INTO alert_history (alert_id, at, actor, action, detail) VALUES ";

/// The alert a key went to: its own key, or one grouped into it.
pub(crate) const ALERT_GROUP: &str = "SELECT state FROM alerts WHERE kind = $1 AND source = $2 AND title = $3 AND host = $4 AND status IN ('new', 'acknowledged') AND last_seen >= $5 ORDER BY last_seen DESC LIMIT 1";
pub(crate) const ALERT_NEXT_NUMBER: &str = "SELECT COALESCE(MAX(number), 0) + 1 FROM alerts";
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

impl<B: Backend> SqlStore<B>
where
    for<'c> &'c mut <B::Db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = B::Db>,
    <B::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<B::Db>,
    usize: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'s> &'s str: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> &'q str: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> i64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> bool: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> f64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> Option<String>: sqlx::Encode<'q, B::Db>,
    for<'q> Option<i64>: sqlx::Encode<'q, B::Db>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, B::Db>,
{
    /// Writes an alert's row from its state, in the caller's transaction.
    async fn update_alert_row(
        tx: &mut sqlx::Transaction<'static, B::Db>,
        alert: &Alert,
    ) -> crate::Result<()> {
        sqlx::query(ALERT_UPDATE)
            .bind(&alert.id)
            .bind(&alert.title)
            .bind(alert.status.as_str())
            .bind(i64::from(alert.severity))
            .bind(alert.occurrences)
            .bind(alert.last_seen.to_string())
            .bind(to_state(alert)?)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Appends one line to an alert's history, in the caller's transaction.
    async fn record_history(
        tx: &mut sqlx::Transaction<'static, B::Db>,
        id: &str,
        at: debrief_domain::Timestamp,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> crate::Result<()> {
        sqlx::query(ALERT_HISTORY)
            .bind(id)
            .bind(at.to_string())
            .bind(actor)
            .bind(action)
            .bind(detail)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl<B: Backend> crate::AlertStore for SqlStore<B>
where
    for<'c> &'c mut <B::Db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = B::Db>,
    <B::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<B::Db>,
    usize: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'s> &'s str: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> &'q str: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> i64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> bool: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> f64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> Option<String>: sqlx::Encode<'q, B::Db>,
    for<'q> Option<i64>: sqlx::Encode<'q, B::Db>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, B::Db>,
{
    async fn receive_alerts(
        &self,
        alerts: Vec<debrief_domain::alert::NewAlert>,
        actor: &str,
        received: debrief_domain::Timestamp,
        group_window_seconds: i64,
    ) -> crate::Result<Vec<crate::alerts::Receipt>> {
        use crate::alerts::*;
        // Two first sightings of one key racing (PostgreSQL): the losing transaction
        // is retried whole, and its alert is then a repeat.
        let mut attempt = 0;
        'retry: loop {
            let mut tx = self.begin_write().await?;
            // Intake transactions take turns (SQLite's single writer does this by
            // itself; PostgreSQL takes a transaction-scoped advisory lock, which holds
            // across connections and instances): numbers are taken once per
            // transaction and counted up in memory, so two at once would take the same.
            if !B::INTAKE_LOCK.is_empty() {
                sqlx::query(B::INTAKE_LOCK).execute(&mut *tx).await?;
            }
            let (number,): (i64,) = sqlx::query_as(ALERT_NEXT_NUMBER)
                .fetch_one(&mut *tx)
                .await?;
            let mut batch = Batch::new(number);
            // The stored alerts of the batch's keys: one query per chunk of keys.
            let mut keys: Vec<&debrief_domain::alert::AlertKey> =
                alerts.iter().map(|a| &a.key).collect();
            keys.sort_by(|a, b| {
                (&a.kind, &a.source, &a.source_ref).cmp(&(&b.kind, &b.source, &b.source_ref))
            });
            keys.dedup();
            for chunk in keys.chunks(KEY_CHUNK) {
                let sql = format!(
                    "{ALERTS_BY_KEYS}{}){}",
                    placeholders(chunk.len(), 3, 1),
                    B::FOR_UPDATE
                );
                let mut q =
                    sqlx::query_as::<_, (String, String, String, String)>(sqlx::AssertSqlSafe(sql));
                for k in chunk {
                    q = q.bind(&k.kind).bind(&k.source).bind(&k.source_ref);
                }
                for (kind, source, source_ref, state) in q.fetch_all(&mut *tx).await? {
                    let key = debrief_domain::alert::AlertKey {
                        kind,
                        source,
                        source_ref,
                    };
                    batch.add_stored(key, from_state(&state)?);
                }
            }
            let mut receipts = Vec::with_capacity(alerts.len());
            for new in &alerts {
                if let Some((kind, source, title, host)) =
                    batch.group_to_query(new, group_window_seconds)
                {
                    let since = debrief_domain::Timestamp::from_micros(
                        received.as_micros() - group_window_seconds.saturating_mul(1_000_000),
                    )
                    .unwrap_or(received);
                    let row: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{ALERT_GROUP}{}",
                        B::FOR_UPDATE
                    )))
                    .bind(&kind)
                    .bind(&source)
                    .bind(&title)
                    .bind(&host)
                    .bind(since.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((state,)) = row {
                        batch.add_group_candidate(from_state(&state)?);
                    }
                }
                receipts.push(batch.apply(new.clone(), received, group_window_seconds, actor));
            }
            // The writes: new alerts, changed ones, their keys, their history.
            for chunk in batch.created.chunks(ROW_CHUNK) {
                let sql = format!("{ALERT_INSERT_MANY}{}", placeholders(chunk.len(), 13, 1));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    let a = batch.alert(id);
                    q = q
                        .bind(&a.id)
                        .bind(a.number)
                        .bind(&a.key.kind)
                        .bind(&a.key.source)
                        .bind(&a.key.source_ref)
                        .bind(&a.title)
                        .bind(&a.host)
                        .bind(a.status.as_str())
                        .bind(i64::from(a.severity))
                        .bind(a.occurrences)
                        .bind(a.first_seen.to_string())
                        .bind(a.last_seen.to_string())
                        .bind(to_state(a)?);
                }
                match q.execute(&mut *tx).await {
                    Err(e) if lost_race(&e) && attempt < 3 => {
                        attempt += 1;
                        continue 'retry;
                    }
                    other => other?,
                };
            }
            for id in &batch.updated {
                Self::update_alert_row(&mut tx, batch.alert(id)).await?;
            }
            for chunk in batch.refs.chunks(ROW_CHUNK) {
                let sql = format!("{ALERT_REF_INSERT_MANY}{}", placeholders(chunk.len(), 4, 1));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (k, id) in chunk {
                    q = q.bind(&k.kind).bind(&k.source).bind(&k.source_ref).bind(id);
                }
                match q.execute(&mut *tx).await {
                    Err(e) if lost_race(&e) && attempt < 3 => {
                        attempt += 1;
                        continue 'retry;
                    }
                    other => other?,
                };
            }
            let at = received.to_string();
            for chunk in batch.history.chunks(ROW_CHUNK) {
                let sql = format!("{ALERT_HISTORY_MANY}{}", placeholders(chunk.len(), 5, 1));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, action, detail) in chunk {
                    q = q.bind(id).bind(&at).bind(actor).bind(*action).bind(detail);
                }
                q.execute(&mut *tx).await?;
            }
            Self::announce(&mut tx, &crate::changes::Change::Alerts).await?;
            tx.commit().await?;
            self.announced(crate::changes::Change::Alerts);
            return Ok(receipts);
        }
    }

    async fn alert(&self, reference: &str) -> crate::Result<crate::alerts::Alert> {
        let reference = reference.trim();
        let number = reference
            .trim_start_matches(['A', 'a'])
            .trim_start_matches('-')
            .parse::<i64>()
            .ok();
        let row: Option<(String,)> = match number {
            Some(n) => {
                sqlx::query_as("SELECT state FROM alerts WHERE number = $1")
                    .bind(n)
                    .fetch_optional(&self.write_pool())
                    .await?
            }
            None => {
                sqlx::query_as("SELECT state FROM alerts WHERE id = $1")
                    .bind(reference)
                    .fetch_optional(&self.write_pool())
                    .await?
            }
        };
        match row {
            Some((s,)) => crate::alerts::from_state(&s),
            None => Err(crate::StoreError::NoAlert(reference.to_string())),
        }
    }

    async fn list_alerts(
        &self,
        query: &crate::alerts::AlertQuery,
    ) -> crate::Result<Vec<crate::alerts::Alert>> {
        let (filter, mut binds) = query.filter();
        let mut sql = format!("SELECT id, state FROM alerts{filter}");
        if let Some(c) = &query.after {
            binds.push(crate::alerts::Bind::Text(c.last_seen.to_string()));
            let at = binds.len();
            binds.push(crate::alerts::Bind::Int(c.number));
            sql.push_str(&format!(
                " AND (last_seen < ${at} OR (last_seen = ${at} AND number < ${}))",
                at + 1
            ));
        }
        binds.push(crate::alerts::Bind::Int(i64::from(
            query.limit.clamp(1, 1000),
        )));
        binds.push(crate::alerts::Bind::Int(i64::from(query.offset)));
        sql.push_str(&format!(
            " ORDER BY last_seen DESC, number DESC LIMIT ${} OFFSET ${}",
            binds.len() - 1,
            binds.len()
        ));
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = match b {
                crate::alerts::Bind::Int(i) => q.bind(i),
                crate::alerts::Bind::Text(t) => q.bind(t),
            };
        }
        let rows = q.fetch_all(&self.write_pool()).await?;
        Ok(crate::common::readable_rows(
            "alert",
            rows.into_iter().map(|(id, s)| {
                let decoded = crate::alerts::from_state(&s);
                (id, decoded)
            }),
        ))
    }

    async fn count_alerts(&self, query: &crate::alerts::AlertQuery) -> crate::Result<u64> {
        let (filter, binds) = query.filter();
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM alerts{filter}"
        )));
        for b in binds {
            q = match b {
                crate::alerts::Bind::Int(i) => q.bind(i),
                crate::alerts::Bind::Text(t) => q.bind(t),
            };
        }
        let (n,) = q.fetch_one(&self.read).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn act_on_alert(
        &self,
        reference: &str,
        actor: &str,
        action: debrief_domain::alert::AlertAction,
        incident: Option<debrief_domain::IncidentId>,
    ) -> crate::Result<crate::alerts::Alert> {
        use crate::alerts::*;
        let current = self.alert(reference).await?;
        let mut tx = self.begin_write().await?;
        let row: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT state FROM alerts WHERE id = $1{}",
            B::FOR_UPDATE
        )))
        .bind(&current.id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((state,)) = row else {
            return Err(crate::StoreError::NoAlert(reference.to_string()));
        };
        let mut alert = from_state(&state)?;
        let now = debrief_domain::Timestamp::now();
        alert.act(actor, &action, incident, now)?;
        Self::update_alert_row(&mut tx, &alert).await?;
        let (name, detail) = action_name(&action);
        Self::record_history(&mut tx, &alert.id, now, actor, name, &detail).await?;
        Self::announce(&mut tx, &crate::changes::Change::Alerts).await?;
        tx.commit().await?;
        self.announced(crate::changes::Change::Alerts);
        Ok(alert)
    }

    async fn alert_history(&self, id: &str) -> crate::Result<Vec<crate::alerts::AlertEvent>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, detail FROM alert_history WHERE alert_id = $1 ORDER BY at, action",
        )
        .bind(id)
        .fetch_all(&self.write_pool())
        .await?;
        Ok(crate::common::readable_rows(
            "alert history",
            rows.into_iter().map(|(at, actor, action, detail)| {
                let decoded = debrief_domain::Timestamp::parse(&at)
                    .map_err(|e| crate::StoreError::Corrupt(format!("alert history: {e}")))
                    .map(|at| crate::alerts::AlertEvent {
                        at,
                        actor,
                        action,
                        detail,
                    });
                (id.to_string(), decoded)
            }),
        ))
    }
}

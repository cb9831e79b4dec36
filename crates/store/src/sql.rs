//! The SQL both backends share, written once: sqlx checks queries at run time and both SQLite and
//! PostgreSQL accept `$N` parameters, so one text serves both, and `SqlStore<B>` implements the
//! store traits for any engine `B` that says how it differs ([`Backend`]: its pool, how a
//! write transaction starts, which rows it locks, its full-text search).

use std::future::Future;
use std::marker::PhantomData;

use sqlx::{Pool, Transaction};

use crate::key::InstallationKey;

/// What one SQL engine does differently; everything else is [`SqlStore`]'s.
pub trait Backend: Send + Sync + Clone + std::fmt::Debug + 'static {
    /// The sqlx driver.
    type Db: sqlx::Database;
    /// The engine's name, as `Store::backend` answers it.
    const NAME: &'static str;
    /// Reads the ledger head inside a write transaction, locking it where the engine needs a
    /// lock to serialise writers.
    const LOCK_HEAD: &'static str;
    /// The full-text search over search documents, newest first: `$1` the query, `$2` the limit.
    const SEARCH: &'static str;
    /// Appended to an alert's `SELECT` in a write transaction to lock its row (or empty).
    const FOR_UPDATE: &'static str;
    /// Run first in an alert intake transaction so that intakes take turns (or empty).
    const INTAKE_LOCK: &'static str;
    /// Run first when a playbook version is published so that versions are numbered in turn (or
    /// empty).
    const PLAYBOOK_LOCK: &'static str;
    /// Run first when a sign-in check is counted so that counts take turns across instances
    /// (or empty).
    const SIGN_IN_LOCK: &'static str;

    /// Starts a write transaction on the write pool.
    fn begin(
        pool: &Pool<Self::Db>,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
    /// Whether evidence files are kept in the database too (see [`crate::blobs`]).
    const SHARES_EVIDENCE: bool;
    /// Keeps an evidence file in the database (see [`crate::blobs`]; nothing where evidence is
    /// not shared).
    fn put_evidence(
        pool: &Pool<Self::Db>,
        sha256: &str,
        file: &std::path::Path,
    ) -> impl Future<Output = crate::Result<()>> + Send;
    /// The evidence files the database holds.
    fn evidence_files(
        pool: &Pool<Self::Db>,
    ) -> impl Future<Output = crate::Result<Vec<String>>> + Send;
    /// Writes an evidence file from the database to `to`; `false` when it holds none.
    fn fetch_evidence(
        pool: &Pool<Self::Db>,
        sha256: &str,
        to: &std::path::Path,
    ) -> impl Future<Output = crate::Result<bool>> + Send;
    /// Tries to take a background job's lease (see [`crate::lease`]).
    fn lead(
        pool: &Pool<Self::Db>,
        job: crate::lease::Job,
    ) -> impl Future<Output = crate::Result<Option<crate::lease::Lease>>> + Send;
    /// Reads the tables of a backup in one snapshot (see [`crate::backup`]).
    fn dump(
        pool: &Pool<Self::Db>,
        sink: &mut crate::backup::RowSink<'_>,
    ) -> impl Future<Output = crate::Result<crate::backup::Counts>> + Send;
    /// Writes a backup's rows into an empty store, in one transaction.
    fn load(
        pool: &Pool<Self::Db>,
        source: &mut crate::backup::RowSource<'_>,
        schema: i64,
    ) -> impl Future<Output = crate::Result<crate::backup::Counts>> + Send;
    /// The statement that announces a change inside a write transaction, delivered at commit to
    /// every instance (see [`crate::changes`]); `None` where the instance tells itself after
    /// the commit.
    const ANNOUNCE: Option<&'static str>;
    /// Starts this instance's listener to the announcements (nothing where there are none).
    fn listen(
        pool: &Pool<Self::Db>,
        sender: tokio::sync::broadcast::Sender<crate::changes::Change>,
    );
    /// How many rows a statement changed.
    fn rows_affected(done: &<Self::Db as sqlx::Database>::QueryResult) -> u64;
    /// Every word as a prefix term, all required, for [`Backend::title_filter`].
    fn title_query(words: &[String]) -> Option<String>;
    /// The list filter on title words, with its parameter number.
    fn title_filter(n: usize) -> String;
    /// The words as the search's query (all required; none when there are no words).
    fn fts_query(words: &[String]) -> Option<String>;
    /// Where the engine may pick a poor plan for a query with few matches, how to choose.
    const SEARCH_FEW: Option<SearchFew>;
}

/// A store on a SQL engine: a pool for reads, one for writes (the same pool where the engine
/// serialises writers itself), and the installation's key that signs the ledger head.
#[derive(Debug, Clone)]
pub struct SqlStore<B: Backend> {
    pub(crate) read: Pool<B::Db>,
    pub(crate) write: Pool<B::Db>,
    pub(crate) key: InstallationKey,
    pub(crate) changes: crate::changes::Changes,
    engine: PhantomData<B>,
}

impl<B: Backend> SqlStore<B> {
    /// A store over these pools.
    pub(crate) fn with_pools(read: Pool<B::Db>, write: Pool<B::Db>, key: InstallationKey) -> Self {
        SqlStore {
            read,
            write,
            key,
            changes: Default::default(),
            engine: PhantomData,
        }
    }

    /// Announces a change inside a write transaction (see [`Backend::ANNOUNCE`]); call
    /// [`SqlStore::announced`] after the commit.
    pub(crate) async fn announce(
        tx: &mut Transaction<'static, B::Db>,
        change: &crate::changes::Change,
    ) -> crate::Result<()>
    where
        for<'c> &'c mut <B::Db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = B::Db>,
        <B::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<B::Db>,
        for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
    {
        if let Some(sql) = B::ANNOUNCE {
            sqlx::query(sql)
                .bind(change.to_payload())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Tells this instance of a committed change where the engine does not (SQLite).
    pub(crate) fn announced(&self, change: crate::changes::Change) {
        if B::ANNOUNCE.is_none() {
            self.changes.tell(change);
        }
    }

    /// Subscribes to the changes of the whole installation.
    pub(crate) fn subscribe_changes(
        &self,
    ) -> tokio::sync::broadcast::Receiver<crate::changes::Change> {
        self.changes
            .subscribe_with(|sender| B::listen(&self.read, sender))
    }

    /// Refuses a ledger signed by another key than this instance's (once anything is signed).
    pub(crate) fn same_key(&self, gseq: i64, signer: &str) -> crate::Result<()> {
        let ours = self.key.public_hex();
        if gseq > 0 && signer != ours {
            return Err(crate::StoreError::ForeignKey {
                theirs: signer.chars().take(16).collect(),
                ours: ours.chars().take(16).collect(),
            });
        }
        Ok(())
    }

    pub(crate) async fn begin_write(&self) -> crate::Result<Transaction<'static, B::Db>> {
        Ok(B::begin(&self.write).await?)
    }

    pub(crate) fn write_pool(&self) -> Pool<B::Db> {
        self.write.clone()
    }
}

/// Reads the signed ledger head.
pub const SELECT_HEAD: &str =
    "SELECT gseq, hash, public_key, signature FROM ledger_head WHERE id = 1";
/// Reads an incident's projection row.
pub const SELECT_CURRENT: &str = "SELECT state, head_hash FROM incidents WHERE id = $1";
/// The next incident number.
pub const NEXT_NUMBER: &str = "SELECT COALESCE(MAX(number), 0) + 1 FROM incidents";
/// Appends one journal row.
pub const INSERT_ENTRY: &str = "INSERT INTO journal (gseq, incident_id, seq, recorded_at, actor, kind, payload, prev_hash, hash, ledger_prev, ledger_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// Writes an incident's projection row.
pub const UPSERT_INCIDENT: &str = "INSERT INTO incidents (id, number, title, status, opened_at, updated_at, seq, head_hash, state, severity, class, assignee, facts, fold_version, restricted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
     ON CONFLICT (id) DO UPDATE SET title = excluded.title, status = excluded.status, updated_at = excluded.updated_at, seq = excluded.seq, head_hash = excluded.head_hash, state = excluded.state, severity = excluded.severity, class = excluded.class, assignee = excluded.assignee, facts = excluded.facts, fold_version = excluded.fold_version, restricted = excluded.restricted";
/// Rewrites a projection row from a fresh fold of its journal.
pub const REFOLD_INCIDENT: &str = "UPDATE incidents SET state = $1, facts = $2, fold_version = $3, severity = $4, class = $5, assignee = $6, status = $7, restricted = $10 WHERE id = $8 AND seq = $9";
/// Writes one search document.
pub const UPSERT_DOC: &str = "INSERT INTO search_docs (incident_id, field, body, terms) VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id, field) DO UPDATE SET body = excluded.body, terms = excluded.terms";
/// Deletes one search document.
pub const DELETE_DOC: &str = "DELETE FROM search_docs WHERE incident_id = $1 AND field = $2";
/// Indexes one observable of an incident.
pub const UPSERT_OBSERVABLE: &str = "INSERT INTO observable_index (incident_id, kind, value, ioc) VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id, kind, value) DO UPDATE SET ioc = excluded.ioc";
/// Moves the signed ledger head.
pub const UPDATE_HEAD: &str =
    "UPDATE ledger_head SET gseq = $1, hash = $2, public_key = $3, signature = $4 WHERE id = 1";
/// Columns of a raw journal row.
pub const ENTRY_COLUMNS: &str = "gseq, incident_id, seq, recorded_at, actor, kind, payload, prev_hash, hash, ledger_prev, ledger_hash";

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
    async fn write(
        &self,
        id: debrief_domain::IncidentId,
        expected_seq: Option<u64>,
        make: impl FnOnce(i64) -> Vec<debrief_domain::EntryDraft> + Send,
    ) -> crate::Result<crate::Appended> {
        use crate::common::{self, RawEntry};
        use crate::error::StoreError;
        use crate::sql::*;

        let mut tx = self.begin_write().await?;
        let (gseq, ghash, signer): (i64, String, String) =
            sqlx::query_as(B::LOCK_HEAD).fetch_one(&mut *tx).await?;
        self.same_key(gseq, &signer)?;
        let ledger = common::ledger_position(gseq, &ghash)?;
        let (current, drafts) = match expected_seq {
            Some(expected) => {
                let row: Option<(String, String)> = sqlx::query_as(SELECT_CURRENT)
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                let (state, head) = row.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
                let current = common::current_from_row(&state, &head)?;
                if current.incident.seq != expected {
                    return Err(StoreError::Conflict {
                        incident: format!("#{}", current.incident.number),
                        expected,
                        actual: current.incident.seq,
                    });
                }
                let number = current.incident.number;
                (Some(current), make(number))
            }
            None => {
                let (number,): (i64,) = sqlx::query_as(NEXT_NUMBER).fetch_one(&mut *tx).await?;
                (None, make(number))
            }
        };
        let plan = common::plan(id, current, ledger, &drafts, &self.key)?;
        for entry in &plan.entries {
            let r = RawEntry::from_entry(entry);
            sqlx::query(INSERT_ENTRY)
                .bind(r.gseq)
                .bind(r.incident_id)
                .bind(r.seq)
                .bind(r.recorded_at)
                .bind(r.actor)
                .bind(r.kind)
                .bind(r.payload)
                .bind(r.prev_hash)
                .bind(r.hash)
                .bind(r.ledger_prev)
                .bind(r.ledger_hash)
                .execute(&mut *tx)
                .await?;
        }
        let inc = &plan.incident;
        let head_hash = plan
            .entries
            .last()
            .map(|e| e.hash.to_hex())
            .unwrap_or_default();
        sqlx::query(UPSERT_INCIDENT)
            .bind(inc.id.to_string())
            .bind(inc.number)
            .bind(inc.title.clone())
            .bind(inc.status.as_str())
            .bind(inc.opened_at.to_string())
            .bind(inc.updated_at.to_string())
            .bind(inc.seq as i64)
            .bind(head_hash)
            .bind(common::state_json(inc)?)
            .bind(inc.severity.as_ref().map(|a| i64::from(a.level)))
            .bind(inc.classification.as_ref().map(|c| c.class.clone()))
            .bind(inc.assignee.clone())
            .bind(common::facts_json(inc)?)
            .bind(debrief_domain::incident::FOLD_VERSION)
            .bind(inc.restricted)
            .execute(&mut *tx)
            .await?;
        let id_text = inc.id.to_string();
        for change in &plan.docs {
            match change {
                common::DocChange::Upsert { field, body } => {
                    sqlx::query(UPSERT_DOC)
                        .bind(&id_text)
                        .bind(field)
                        .bind(body)
                        .bind(common::search_words(body).join(" "))
                        .execute(&mut *tx)
                        .await?;
                }
                common::DocChange::Delete { field } => {
                    sqlx::query(DELETE_DOC)
                        .bind(&id_text)
                        .bind(field)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        for (kind, value, ioc) in &plan.observables {
            sqlx::query(UPSERT_OBSERVABLE)
                .bind(&id_text)
                .bind(kind)
                .bind(value)
                .bind(*ioc)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(UPDATE_HEAD)
            .bind(plan.head.gseq)
            .bind(plan.head.hash.clone())
            .bind(plan.head.public_key.clone())
            .bind(plan.head.signature.clone())
            .execute(&mut *tx)
            .await?;
        let change = crate::changes::Change::Incident(inc.number);
        Self::announce(&mut tx, &change).await?;
        tx.commit().await?;
        self.announced(change);
        Ok(crate::Appended {
            incident: plan.incident,
            entries: plan.entries,
        })
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
    /// Re-cuts the stored search terms when they were cut by an older
    /// [`search_words`](crate::common::search_words)
    /// (`common::SEARCH_TERMS_VERSION`): the terms are a projection of the text.
    pub(crate) async fn recut_terms(&self) -> crate::Result<usize> {
        use crate::common::{SEARCH_TERMS_VERSION, search_words};
        let version: Option<(i64,)> =
            sqlx::query_as("SELECT value FROM store_meta WHERE name = 'search_terms'")
                .fetch_optional(&self.write_pool())
                .await?;
        if version.is_some_and(|(v,)| v >= SEARCH_TERMS_VERSION) {
            return Ok(0);
        }
        let docs: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, body, terms FROM search_docs")
                .fetch_all(&self.write_pool())
                .await?;
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for (id, body, terms) in docs {
            let recut = search_words(&body).join(" ");
            if recut != terms {
                sqlx::query("UPDATE search_docs SET terms = $1 WHERE id = $2")
                    .bind(recut)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                changed += 1;
            }
        }
        sqlx::query(
            "INSERT INTO store_meta (name, value) VALUES ('search_terms', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(SEARCH_TERMS_VERSION)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if changed > 0 {
            tracing::info!(changed, "search terms re-cut");
        }
        Ok(changed)
    }

    /// Refolds every projection row written by an older fold (after an upgrade that
    /// changed what the projection holds); the journal is the truth it is rebuilt from.
    pub(crate) async fn refold_stale(&self) -> crate::Result<usize> {
        use crate::common;
        let stale: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM incidents WHERE fold_version < $1")
                .bind(debrief_domain::incident::FOLD_VERSION)
                .fetch_all(&self.write_pool())
                .await?;
        for (id,) in &stale {
            let id: debrief_domain::IncidentId = id
                .parse()
                .map_err(|e| crate::StoreError::Corrupt(format!("incident id {id}: {e}")))?;
            let entries = <Self as crate::Store>::journal(self, id).await?;
            let inc = debrief_domain::Incident::from_journal(&entries)?;
            sqlx::query(crate::sql::REFOLD_INCIDENT)
                .bind(common::state_json(&inc)?)
                .bind(common::facts_json(&inc)?)
                .bind(debrief_domain::incident::FOLD_VERSION)
                .bind(inc.severity.as_ref().map(|a| i64::from(a.level)))
                .bind(inc.classification.as_ref().map(|c| c.class.clone()))
                .bind(inc.assignee.clone())
                .bind(inc.status.as_str())
                .bind(id.to_string())
                .bind(inc.seq as i64)
                .bind(inc.restricted)
                .execute(&self.write_pool())
                .await?;
        }
        if !stale.is_empty() {
            tracing::info!(count = stale.len(), "refolded incident projections");
        }
        Ok(stale.len())
    }
}

#[async_trait::async_trait]
impl<B: Backend> crate::Store for SqlStore<B>
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
    fn backend(&self) -> &'static str {
        B::NAME
    }

    fn shares_evidence(&self) -> bool {
        B::SHARES_EVIDENCE
    }

    async fn put_evidence(&self, sha256: &str, file: &std::path::Path) -> crate::Result<()> {
        B::put_evidence(&self.write, sha256, file).await
    }

    async fn evidence_files(&self) -> crate::Result<Vec<String>> {
        B::evidence_files(&self.read).await
    }

    async fn fetch_evidence(&self, sha256: &str, to: &std::path::Path) -> crate::Result<bool> {
        B::fetch_evidence(&self.read, sha256, to).await
    }

    async fn backup(
        &self,
        sink: &mut crate::backup::RowSink<'_>,
    ) -> crate::Result<crate::backup::Counts> {
        B::dump(&self.read, sink).await
    }

    async fn restore(
        &self,
        source: &mut crate::backup::RowSource<'_>,
        schema: i64,
    ) -> crate::Result<crate::backup::Counts> {
        B::load(&self.write, source, schema).await
    }

    async fn lead(&self, job: crate::lease::Job) -> crate::Result<Option<crate::lease::Lease>> {
        B::lead(&self.write, job).await
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<crate::changes::Change> {
        self.subscribe_changes()
    }

    async fn create_incident(
        &self,
        actor: &debrief_domain::text::Actor,
        new: debrief_domain::NewIncident,
    ) -> crate::Result<crate::Appended> {
        let actor = actor.clone();
        self.write(debrief_domain::IncidentId::new(), None, move |number| {
            vec![debrief_domain::EntryDraft {
                actor,
                event: new.into_event(number),
            }]
        })
        .await
    }

    async fn append(
        &self,
        id: debrief_domain::IncidentId,
        expected_seq: u64,
        drafts: Vec<debrief_domain::EntryDraft>,
    ) -> crate::Result<crate::Appended> {
        if drafts.is_empty() {
            return Err(crate::StoreError::Corrupt("nothing to append".into()));
        }
        self.write(id, Some(expected_seq), move |_| drafts).await
    }

    async fn incident(
        &self,
        id: debrief_domain::IncidentId,
    ) -> crate::Result<debrief_domain::Incident> {
        let row: Option<(String, String)> = sqlx::query_as(crate::sql::SELECT_CURRENT)
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        let (state, head) = row.ok_or_else(|| crate::StoreError::NotFound(id.to_string()))?;
        Ok(crate::common::current_from_row(&state, &head)?.incident)
    }

    async fn restricted_incidents(&self) -> crate::Result<Vec<debrief_domain::Incident>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, state, head_hash FROM incidents WHERE restricted ORDER BY number",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(crate::common::readable_rows(
            "incident",
            rows.into_iter().map(|(id, state, head)| {
                let decoded = crate::common::current_from_row(&state, &head).map(|c| c.incident);
                (id, decoded)
            }),
        ))
    }

    async fn resolve(&self, reference: &str) -> crate::Result<debrief_domain::IncidentId> {
        let found: Option<(String,)> = match crate::common::Reference::parse(reference)? {
            crate::common::Reference::Number(n) => {
                sqlx::query_as("SELECT id FROM incidents WHERE number = $1")
                    .bind(n)
                    .fetch_optional(&self.read)
                    .await?
            }
            crate::common::Reference::Id(id) => {
                sqlx::query_as("SELECT id FROM incidents WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.read)
                    .await?
            }
        };
        let (id,) =
            found.ok_or_else(|| crate::StoreError::NotFound(reference.trim().to_string()))?;
        id.parse()
            .map_err(|e: debrief_domain::DomainError| crate::StoreError::Corrupt(e.to_string()))
    }

    async fn facts_changed_since(
        &self,
        since: Option<debrief_domain::Timestamp>,
    ) -> crate::Result<
        Vec<(
            debrief_domain::metrics::IncidentFacts,
            debrief_domain::Timestamp,
        )>,
    > {
        // Two statements, so that the one with a bound uses the `updated_at` index.
        let rows: Vec<(i64, Option<String>, String)> = match since {
            Some(t) => {
                sqlx::query_as(
                    "SELECT number, facts, updated_at FROM incidents WHERE updated_at >= $1",
                )
                .bind(t.to_string())
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query_as("SELECT number, facts, updated_at FROM incidents")
                    .fetch_all(&self.read)
                    .await?
            }
        };
        // An incident whose facts cannot be read is left out of the figures (and named
        // by `verify`), not the figures.
        Ok(crate::common::readable_rows(
            "metrics facts",
            rows.into_iter().map(|(number, facts, updated)| {
                let decoded = (|| {
                    let text = facts.ok_or_else(|| {
                        crate::StoreError::Corrupt(format!("#{number} has no metrics facts"))
                    })?;
                    let f = serde_json::from_str(&text).map_err(|e| {
                        crate::StoreError::Corrupt(format!("#{number} metrics facts: {e}"))
                    })?;
                    let at = debrief_domain::Timestamp::parse(&updated)?;
                    Ok((f, at))
                })();
                (format!("#{number}"), decoded)
            }),
        ))
    }

    async fn facts(
        &self,
        from: Option<debrief_domain::Timestamp>,
        to: Option<debrief_domain::Timestamp>,
    ) -> crate::Result<Vec<debrief_domain::metrics::IncidentFacts>> {
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT number, facts FROM incidents WHERE ($1 IS NULL OR opened_at >= $1) AND ($2 IS NULL OR opened_at < $2)",
        )
        .bind(from.map(|t| t.to_string()))
        .bind(to.map(|t| t.to_string()))
        .fetch_all(&self.read)
        .await?;
        Ok(crate::common::readable_rows(
            "metrics facts",
            rows.into_iter().map(|(number, facts)| {
                let decoded = facts
                    .ok_or_else(|| {
                        crate::StoreError::Corrupt(format!("#{number} has no metrics facts"))
                    })
                    .and_then(|text| {
                        serde_json::from_str(&text).map_err(|e| {
                            crate::StoreError::Corrupt(format!("#{number} metrics facts: {e}"))
                        })
                    });
                (format!("#{number}"), decoded)
            }),
        ))
    }

    async fn list_incidents(
        &self,
        q: &crate::IncidentQuery,
    ) -> crate::Result<Vec<debrief_domain::Incident>> {
        let (mut sql, binds) = incident_filter::<B>(q);
        sql.insert_str(0, "SELECT id, state, head_hash FROM incidents");
        sql.push_str(&format!(" ORDER BY number DESC LIMIT ${}", binds.len() + 1));
        let mut query = sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            query = match b {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query.bind(q.page_size()).fetch_all(&self.read).await?;
        Ok(crate::common::readable_rows(
            "incident",
            rows.into_iter().map(|(id, state, head)| {
                let decoded = crate::common::current_from_row(&state, &head).map(|c| c.incident);
                (id, decoded)
            }),
        ))
    }

    async fn count_incidents(&self, q: &crate::IncidentQuery) -> crate::Result<u64> {
        let (mut sql, binds) = incident_filter::<B>(q);
        sql.insert_str(0, "SELECT COUNT(*) FROM incidents");
        let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            query = match b {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        Ok(u64::try_from(query.fetch_one(&self.read).await?).unwrap_or(0))
    }

    async fn raw_entries(&self, scope: crate::Scope) -> crate::Result<Vec<crate::RawEntry>> {
        let cols = crate::sql::ENTRY_COLUMNS;
        let rows = match scope {
            crate::Scope::Incident(id) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {cols} FROM journal WHERE incident_id = $1 ORDER BY seq, gseq"
                )))
                .bind(id.to_string())
                .fetch_all(&self.read)
                .await?
            }
            crate::Scope::All => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {cols} FROM journal ORDER BY gseq"
                )))
                .fetch_all(&self.read)
                .await?
            }
        };
        Ok(rows)
    }

    async fn stored_projections(
        &self,
        scope: crate::Scope,
    ) -> crate::Result<Vec<crate::StoredProjection>> {
        use std::collections::BTreeMap;
        let cols = crate::common::PROJECTION_COLUMNS;
        let (filter, id) = match scope {
            crate::Scope::Incident(id) => (" WHERE incident_id = $1", Some(id.to_string())),
            crate::Scope::All => ("", None),
        };
        let row_filter = if id.is_some() { " WHERE id = $1" } else { "" };
        let mut rows = sqlx::query_as::<_, crate::ProjectionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {cols} FROM incidents{row_filter}"
        )));
        let mut docs = sqlx::query_as::<_, (String, String, String, String)>(sqlx::AssertSqlSafe(
            format!("SELECT incident_id, field, body, terms FROM search_docs{filter}"),
        ));
        let mut obs = sqlx::query_as::<_, (String, String, String, bool)>(sqlx::AssertSqlSafe(
            format!("SELECT incident_id, kind, value, ioc FROM observable_index{filter}"),
        ));
        if let Some(id) = &id {
            rows = rows.bind(id.clone());
            docs = docs.bind(id.clone());
            obs = obs.bind(id.clone());
        }
        fn entry<'a>(
            out: &'a mut BTreeMap<String, crate::StoredProjection>,
            incident: &str,
        ) -> &'a mut crate::StoredProjection {
            out.entry(incident.to_string())
                .or_insert_with(|| crate::StoredProjection {
                    incident_id: incident.to_string(),
                    ..Default::default()
                })
        }
        let mut out: BTreeMap<String, crate::StoredProjection> = BTreeMap::new();
        for row in rows.fetch_all(&self.read).await? {
            let id = row.id.clone();
            entry(&mut out, &id).row = Some(row);
        }
        for (incident, field, body, terms) in docs.fetch_all(&self.read).await? {
            entry(&mut out, &incident).docs.push((field, body, terms));
        }
        for (incident, kind, value, ioc) in obs.fetch_all(&self.read).await? {
            entry(&mut out, &incident)
                .observables
                .push((kind, value, ioc));
        }
        Ok(out.into_values().collect())
    }

    async fn incident_ids(&self) -> crate::Result<Vec<debrief_domain::IncidentId>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT incident_id FROM journal UNION SELECT id FROM incidents ORDER BY 1",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id,)| {
                id.parse().map_err(|e: debrief_domain::DomainError| {
                    crate::StoreError::Corrupt(e.to_string())
                })
            })
            .collect()
    }

    async fn search(&self, text: &str, limit: u32) -> crate::Result<Vec<crate::common::SearchHit>> {
        let words = crate::common::search_words(text);
        let Some(query) = B::fts_query(&words) else {
            return Ok(Vec::new());
        };
        let limit = i64::from(limit.clamp(1, 200));
        let mut statement = B::SEARCH;
        if let Some(few) = B::SEARCH_FEW {
            let plan: Vec<(String,)> = sqlx::query_as(few.plan)
                .bind(query.as_str())
                .fetch_all(&self.read)
                .await?;
            let documents: f64 = sqlx::query_scalar(few.documents)
                .fetch_one(&self.read)
                .await?;
            let matches = plan.first().and_then(|(line,)| planned_rows(line));
            if matches.is_some_and(|m| fetch_all_matches(m, documents, limit)) {
                statement = few.search;
            }
        }
        let rows: Vec<(String, i64, String, String, String, String, f64)> =
            sqlx::query_as(statement)
                .bind(query.as_str())
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(incident_id, number, title, status, field, body, score)| {
                crate::common::SearchHit {
                    incident_id,
                    number,
                    title,
                    status,
                    field,
                    snippet: crate::common::highlight(&body, &words),
                    score,
                }
            })
            .collect())
    }

    async fn sightings(
        &self,
        value: &str,
        limit: u32,
    ) -> crate::Result<Vec<crate::common::Sighting>> {
        let rows: Vec<(String, i64, String, String, String, String, bool)> = sqlx::query_as(
            "SELECT o.incident_id, i.number, i.title, i.status, o.kind, o.value, o.ioc FROM observable_index o JOIN incidents i ON i.id = o.incident_id WHERE o.value = $1 ORDER BY i.number DESC LIMIT $2",
        )
        .bind(value)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(incident_id, number, title, status, kind, value, ioc)| crate::common::Sighting {
                    incident_id,
                    number,
                    title,
                    status,
                    kind,
                    value,
                    ioc,
                },
            )
            .collect())
    }

    async fn shared_observables(
        &self,
        id: debrief_domain::IncidentId,
    ) -> crate::Result<std::collections::BTreeMap<String, Vec<i64>>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT DISTINCT o1.value, i.number FROM observable_index o1 \
             JOIN observable_index o2 ON o2.value = o1.value AND o2.incident_id <> o1.incident_id \
             JOIN incidents i ON i.id = o2.incident_id \
             WHERE o1.incident_id = $1 ORDER BY i.number DESC",
        )
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await?;
        let mut out: std::collections::BTreeMap<String, Vec<i64>> =
            std::collections::BTreeMap::new();
        for (value, number) in rows {
            out.entry(value).or_default().push(number);
        }
        Ok(out)
    }

    async fn head(&self) -> crate::Result<crate::SignedHead> {
        Ok(sqlx::query_as(crate::sql::SELECT_HEAD)
            .fetch_one(&self.read)
            .await?)
    }
}

/// How to search when a query may have few matches (see [`Backend::SEARCH_FEW`]).
#[derive(Debug, Clone, Copy)]
pub struct SearchFew {
    /// The engine's plan of a search for `$1`, as text lines; the first says `rows=N`, the
    /// matches it expects.
    pub plan: &'static str,
    /// How many search documents there are, about (one number).
    pub documents: &'static str,
    /// [`Backend::SEARCH`] made to fetch every match and keep the newest.
    pub search: &'static str,
}

/// The `rows=` estimate of a plan's line.
fn planned_rows(line: &str) -> Option<f64> {
    let rest = &line[line.find(" rows=")? + 6..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Whether a search expecting `matches` of `documents` should fetch every match and keep the
/// newest `limit`, rather than walk the documents newest first until `limit` match. Walking
/// reads about `limit × documents / matches` documents in the order they are stored, fetching
/// reads `matches` scattered ones, each about 12 times the cost of a walked one when the
/// documents are not in the database's own cache (measured with `bench/search.sh` on
/// PostgreSQL 15 and 128 MB of shared buffers: 17 µs against 1.2 µs).
fn fetch_all_matches(matches: f64, documents: f64, limit: i64) -> bool {
    let walked = limit as f64 * documents / matches.max(1.0);
    matches * 12.0 <= walked
}

/// A bound value of a list's filter, built at run time.
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// The `WHERE` clause of an incident list and its parameters, in order (`$1`…).
fn incident_filter<B: Backend>(q: &crate::IncidentQuery) -> (String, Vec<Bind>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
    let mark = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        binds.len()
    };
    if !q.statuses.is_empty() {
        let marks: Vec<String> = q
            .statuses
            .iter()
            .map(|s| format!("${}", mark(&mut binds, Bind::Text(s.as_str().to_owned()))))
            .collect();
        sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
    }
    let title_words = q
        .text
        .as_deref()
        .map(crate::common::title_words)
        .unwrap_or_default();
    if let Some(t) = B::title_query(&title_words) {
        let n = mark(&mut binds, Bind::Text(t));
        sql.push_str(&B::title_filter(n));
    }
    if let Some(b) = q.before_number {
        let n = mark(&mut binds, Bind::Int(b));
        sql.push_str(&format!(" AND number < ${n}"));
    }
    if let Some(v) = q.min_severity {
        let n = mark(&mut binds, Bind::Int(i64::from(v)));
        sql.push_str(&format!(" AND severity >= ${n}"));
    }
    if let Some(c) = &q.class {
        let n = mark(&mut binds, Bind::Text(c.clone()));
        sql.push_str(&format!(" AND class = ${n}"));
    }
    if let Some(a) = &q.assignee {
        let n = mark(&mut binds, Bind::Text(a.clone()));
        sql.push_str(&format!(" AND assignee = ${n}"));
    }
    if !q.exclude.is_empty() {
        let marks: Vec<String> = q
            .exclude
            .iter()
            .map(|id| format!("${}", mark(&mut binds, Bind::Text(id.to_string()))))
            .collect();
        sql.push_str(&format!(" AND id NOT IN ({})", marks.join(", ")));
    }
    (sql, binds)
}

#[cfg(test)]
mod tests {
    #[test]
    fn few_matches_are_fetched_and_many_walked() {
        // 1.4 million documents, 50 wanted.
        let n = 1_400_000.0;
        assert!(super::fetch_all_matches(400.0, n, 50));
        assert!(super::fetch_all_matches(1_900.0, n, 50));
        assert!(
            !super::fetch_all_matches(4_100.0, n, 50),
            "two common words"
        );
        assert!(!super::fetch_all_matches(20_000.0, n, 50));
        assert!(!super::fetch_all_matches(90_000.0, n, 50));
        // A small store: either is cheap; nothing divides by zero.
        assert!(super::fetch_all_matches(0.0, 0.0, 50));
        assert_eq!(
            super::planned_rows(
                "Bitmap Heap Scan on search_docs d  (cost=169.79..2903.91 rows=747 width=8)"
            ),
            Some(747.0)
        );
        assert_eq!(super::planned_rows("Result  (cost=0.00..0.01"), None);
    }
}

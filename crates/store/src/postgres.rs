//! The PostgreSQL backend, for teams that already run a database server.
//!
//! Appends lock the single `ledger_head` row (`SELECT … FOR UPDATE`), which serialises all
//! writers across connections and processes, so the ledger never forks.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::{Result, StoreError};
use crate::key::InstallationKey;
use crate::sql::{Backend, SqlStore};

/// The PostgreSQL engine: appends lock the ledger head row, alert intakes take an advisory
/// lock, search by `tsvector`.
#[derive(Debug, Clone, Copy)]
pub struct Postgres;

/// The PostgreSQL store.
pub type PgStore = SqlStore<Postgres>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    /// Connects to the server named by `url` and migrates the database.
    pub async fn open(url: &str, key: InstallationKey) -> Result<Self> {
        let shown = crate::redact_url(url);
        let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl {
            url: shown.clone(),
            why: e.to_string(),
        })?;
        // One direct connection first: its error says why (refused, unknown host, auth…), where a
        // pool would only report a time-out.
        let probe = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(|e| StoreError::Unavailable {
                url: shown.clone(),
                why: format!("{e}; is the server running and the URL right?"),
            })?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable {
                url: shown.clone(),
                why: format!("{e}; is the server running and the URL right?"),
            })?;
        MIGRATOR.run(&pool).await.map_err(StoreError::Migration)?;
        let store = Self::with_pools(pool.clone(), pool, key);
        store.refold_stale().await?;
        store.recut_terms().await?;
        Ok(store)
    }

    /// The pool for direct SQL in tests and tools (tamper tests, benchmarks).
    pub fn pool(&self) -> &PgPool {
        &self.read
    }
}

impl Backend for Postgres {
    type Db = sqlx::Postgres;
    const NAME: &'static str = "postgres";
    // Locking the one head row serialises all writers across connections and processes.
    const LOCK_HEAD: &'static str =
        "SELECT gseq, hash, public_key FROM ledger_head WHERE id = 1 FOR UPDATE";
    // The newest matching documents first, and only then their incidents: joining every match
    // before the limit costs as much as there are matches.
    const SEARCH: &'static str = "SELECT h.incident_id, i.number, i.title, i.status, h.field, \
              h.body, ts_rank(h.tsv, plainto_tsquery('simple', $1))::float8 \
              FROM (SELECT d.id, d.incident_id, d.field, d.body, d.tsv FROM search_docs d \
                    WHERE d.tsv @@ plainto_tsquery('simple', $1) \
                    ORDER BY d.id DESC LIMIT $2) h \
              JOIN incidents i ON i.id = h.incident_id ORDER BY h.id DESC";
    // The planner walks the primary key backwards even for a word in 1,400 of 1.4 million
    // documents (58 ms where fetching its matches takes 4 ms): with few matches, `id + 0`
    // leaves it no index to walk. Its own estimate of the matches decides (`SqlStore::search`).
    const SEARCH_FEW: Option<crate::sql::SearchFew> = Some(crate::sql::SearchFew {
        plan: "EXPLAIN SELECT 1 FROM search_docs d WHERE d.tsv @@ plainto_tsquery('simple', $1)",
        documents: "SELECT GREATEST(reltuples, 0)::float8 FROM pg_class \
                    WHERE oid = 'search_docs'::regclass",
        search: "SELECT h.incident_id, i.number, i.title, i.status, h.field, \
              h.body, ts_rank(h.tsv, plainto_tsquery('simple', $1))::float8 \
              FROM (SELECT d.id, d.incident_id, d.field, d.body, d.tsv FROM search_docs d \
                    WHERE d.tsv @@ plainto_tsquery('simple', $1) \
                    ORDER BY d.id + 0 DESC LIMIT $2) h \
              JOIN incidents i ON i.id = h.incident_id ORDER BY h.id DESC",
    });
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    // The advisory lock's key is an arbitrary constant, "debrief alerts" in spirit.
    const INTAKE_LOCK: &'static str = "SELECT pg_advisory_xact_lock(7204171001)";
    const SHARES_EVIDENCE: bool = true;
    const PLAYBOOK_LOCK: &'static str = "LOCK TABLE playbooks IN SHARE ROW EXCLUSIVE MODE";
    const SIGN_IN_LOCK: &'static str = "SELECT pg_advisory_xact_lock(7204171002)";

    async fn begin(
        pool: &PgPool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        pool.begin().await
    }

    async fn dump(
        pool: &PgPool,
        sink: &mut crate::backup::RowSink<'_>,
    ) -> crate::Result<crate::backup::Counts> {
        crate::backup::dump_postgres(pool, sink).await
    }

    async fn load(
        pool: &PgPool,
        source: &mut crate::backup::RowSource<'_>,
        schema: i64,
    ) -> crate::Result<crate::backup::Counts> {
        crate::backup::restore_postgres(pool, source, schema).await
    }

    async fn put_evidence(pool: &PgPool, sha256: &str, file: &std::path::Path) -> Result<()> {
        crate::shared_evidence::put(pool, sha256, file).await
    }

    async fn evidence_files(pool: &PgPool) -> Result<Vec<String>> {
        crate::shared_evidence::list(pool).await
    }

    async fn fetch_evidence(pool: &PgPool, sha256: &str, to: &std::path::Path) -> Result<bool> {
        crate::shared_evidence::fetch(pool, sha256, to).await
    }

    async fn lead(
        pool: &PgPool,
        job: crate::lease::Job,
    ) -> crate::Result<Option<crate::lease::Lease>> {
        let options = pool.connect_options();
        crate::lease::try_postgres(&options, job).await
    }

    const ANNOUNCE: Option<&'static str> = Some("SELECT pg_notify('debrief_changes', $1)");

    fn listen(pool: &PgPool, sender: tokio::sync::broadcast::Sender<crate::changes::Change>) {
        crate::changes::listen_postgres(pool.clone(), sender);
    }

    fn rows_affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
        done.rows_affected()
    }

    /// Every word as a prefix term, all required (`to_tsquery` syntax; words are alphanumeric).
    fn title_query(words: &[String]) -> Option<String> {
        let terms: Vec<String> = words.iter().take(16).map(|w| format!("{w}:*")).collect();
        (!terms.is_empty()).then(|| terms.join(" & "))
    }

    fn title_filter(n: usize) -> String {
        format!(
            " AND to_tsvector('simple', regexp_replace(lower(title), '[^[:alnum:]]+', ' ', 'g')) @@ to_tsquery('simple', ${n})"
        )
    }

    /// The words, for `plainto_tsquery` (which requires all of them).
    fn fts_query(words: &[String]) -> Option<String> {
        (!words.is_empty()).then(|| words.iter().take(32).cloned().collect::<Vec<_>>().join(" "))
    }
}

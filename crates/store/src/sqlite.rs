//! The embedded SQLite backend: one file under the data directory, WAL, fully synced commits.
//!
//! Writes go through a single connection and `BEGIN IMMEDIATE`, so appends are serialised
//! in-process without busy retries; other processes wait on the busy timeout. Reads use a small
//! pool of their own and never block writers (WAL).

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{Result, StoreError};
use crate::key::InstallationKey;
use crate::sql::{Backend, SqlStore};

/// The SQLite engine: one writer connection, `BEGIN IMMEDIATE`, FTS5.
#[derive(Debug, Clone, Copy)]
pub struct Sqlite;

/// The SQLite store.
pub type SqliteStore = SqlStore<Sqlite>;

/// `FULL` (every acknowledged write survives a power cut) unless `DEBRIEF_SQLITE_SYNCHRONOUS`
/// says `normal` or `off` — meant only for bulk loads such as the benchmarks' data generation.
fn synchronous() -> SqliteSynchronous {
    match std::env::var("DEBRIEF_SQLITE_SYNCHRONOUS")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "off" => SqliteSynchronous::Off,
        "normal" => SqliteSynchronous::Normal,
        _ => SqliteSynchronous::Full,
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    /// Opens (creating if needed) the database file named by `url` and migrates it.
    pub async fn open(url: &str, key: InstallationKey) -> Result<Self> {
        let bad = |why: String| StoreError::BadUrl {
            url: url.to_string(),
            why,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| bad(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous())
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Unavailable {
                url: url.to_string(),
                why: format!("cannot create `{}`: {e}", parent.display()),
            })?;
        }
        let unavailable = |e: sqlx::Error| StoreError::Unavailable {
            url: url.to_string(),
            why: e.to_string(),
        };
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        MIGRATOR.run(&write).await.map_err(StoreError::Migration)?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        let store = Self::with_pools(read, write, key);
        store.refold_stale().await?;
        store.recut_terms().await?;
        Ok(store)
    }

    /// The pool for direct SQL in tests and tools (tamper tests, benchmarks).
    pub fn pool(&self) -> &SqlitePool {
        &self.write
    }
}

impl Backend for Sqlite {
    type Db = sqlx::Sqlite;
    const NAME: &'static str = "sqlite";
    // The single writer connection and `BEGIN IMMEDIATE` serialise writers already.
    const LOCK_HEAD: &'static str = "SELECT gseq, hash, public_key FROM ledger_head WHERE id = 1";
    const SEARCH: &'static str = "SELECT d.incident_id, i.number, i.title, i.status, d.field, \
              d.body, -bm25(search_fts) \
              FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid JOIN incidents i ON i.id = d.incident_id \
              WHERE search_fts MATCH $1 ORDER BY search_fts.rowid DESC LIMIT $2";
    // FTS5 walks its matches newest first and stops at the limit, whatever their number.
    const SEARCH_FEW: Option<crate::sql::SearchFew> = None;
    const FOR_UPDATE: &'static str = "";
    const INTAKE_LOCK: &'static str = "";
    const SHARES_EVIDENCE: bool = false;
    const PLAYBOOK_LOCK: &'static str = "";
    const SIGN_IN_LOCK: &'static str = "";

    async fn begin(
        pool: &SqlitePool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    async fn dump(
        pool: &SqlitePool,
        sink: &mut crate::backup::RowSink<'_>,
    ) -> crate::Result<crate::backup::Counts> {
        crate::backup::dump_sqlite(pool, sink).await
    }

    async fn load(
        pool: &SqlitePool,
        source: &mut crate::backup::RowSource<'_>,
        schema: i64,
    ) -> crate::Result<crate::backup::Counts> {
        crate::backup::restore_sqlite(pool, source, schema).await
    }

    // SQLite's one instance keeps evidence in its directory only.
    async fn put_evidence(_: &SqlitePool, _: &str, _: &std::path::Path) -> Result<()> {
        Ok(())
    }

    async fn evidence_files(_: &SqlitePool) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    async fn fetch_evidence(_: &SqlitePool, _: &str, _: &std::path::Path) -> Result<bool> {
        Ok(false)
    }

    async fn lead(
        _pool: &SqlitePool,
        job: crate::lease::Job,
    ) -> crate::Result<Option<crate::lease::Lease>> {
        Ok(Some(crate::lease::Lease::alone(job)))
    }

    const ANNOUNCE: Option<&'static str> = None;

    fn listen(
        _pool: &sqlx::SqlitePool,
        _sender: tokio::sync::broadcast::Sender<crate::changes::Change>,
    ) {
    }

    fn rows_affected(done: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    /// Every word as a quoted FTS5 prefix term, all required.
    fn title_query(words: &[String]) -> Option<String> {
        let terms: Vec<String> = words.iter().take(16).map(|w| format!("\"{w}\"*")).collect();
        (!terms.is_empty()).then(|| terms.join(" "))
    }

    fn title_filter(n: usize) -> String {
        format!(
            " AND rowid IN (SELECT rowid FROM incident_title_fts WHERE incident_title_fts MATCH ${n})"
        )
    }

    /// The words as quoted FTS5 terms, all required.
    fn fts_query(words: &[String]) -> Option<String> {
        let terms: Vec<String> = words.iter().take(32).map(|w| format!("\"{w}\"")).collect();
        (!terms.is_empty()).then(|| terms.join(" "))
    }
}

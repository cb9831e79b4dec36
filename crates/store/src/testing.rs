//! Fresh databases for tests: a SQLite file in a temporary directory, or a new PostgreSQL
//! database on the server named by `DEBRIEF_TEST_POSTGRES_URL`. Used by this crate's conformance
//! suite and by the CLI's tamper tests.

use debrief_domain::text::Actor;
use debrief_domain::{DomainError, EntryDraft, Event, Incident, IncidentId};
use sqlx::Connection;

use crate::{Appended, Result, Store, StoreError};

/// The environment variable that names the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "DEBRIEF_TEST_POSTGRES_URL";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    /// The URL to open it with.
    pub url: String,
    /// Where SQLite keeps its file (and the test its data directory).
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A new SQLite database file in a fresh temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("debrief.db").display());
        TestDb {
            url,
            dir,
            postgres: None,
        }
    }

    /// A new, empty PostgreSQL database. Panics with a clear message when the server named by
    /// `DEBRIEF_TEST_POSTGRES_URL` is not configured or not reachable: a PostgreSQL test never
    /// passes without PostgreSQL.
    pub async fn postgres() -> TestDb {
        let base = std::env::var(POSTGRES_ENV).unwrap_or_default();
        assert!(
            !base.is_empty(),
            "{POSTGRES_ENV} is not set, but the PostgreSQL suite was built; set it to e.g. postgres://postgres@127.0.0.1:5432/test"
        );
        let mut admin = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {POSTGRES_ENV}={base} is unreachable: {e}"));
        let name = format!("debrief_t_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let url = with_database(&base, &name);
        let dir = tempfile::tempdir().expect("a temporary directory");
        TestDb {
            url,
            dir,
            postgres: Some((base, name)),
        }
    }

    /// The installation key of this database's installation (kept in its directory): every
    /// store a test opens on it must sign with it, as every instance of an installation does.
    pub fn key(&self) -> crate::InstallationKey {
        crate::InstallationKey::load_or_create(&self.dir.path().join("installation.key"))
            .expect("the test's installation key")
    }

    /// Which backend this database is.
    pub fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Runs SQL on the database directly (several statements allowed), as a tool or an attacker
    /// with access to it would — around the store. Panics on failure: it is for tests.
    pub async fn raw_sql(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        if self.postgres.is_some() {
            let pool = sqlx::PgPool::connect(&self.url)
                .await
                .expect("the test database accepts a connection");
            sqlx::raw_sql(sql)
                .execute(&pool)
                .await
                .expect("the SQL runs");
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url)
                .await
                .expect("the test database accepts a connection");
            sqlx::raw_sql(sql)
                .execute(&pool)
                .await
                .expect("the SQL runs");
            pool.close().await;
        }
    }

    /// Drops a PostgreSQL test database (SQLite files go with the temporary directory).
    pub async fn cleanup(self) {
        if let Some((base, name)) = &self.postgres
            && let Ok(mut admin) = sqlx::PgConnection::connect(base).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// For tests that set an incident up: runs one command against its current state and appends
/// the event it decides, retrying from fresh state when another writer got there first. The
/// application's own path, with authorisation, is `debrief_app::App::execute`.
pub async fn execute<F>(
    store: &dyn Store,
    id: IncidentId,
    actor: &Actor,
    decide: F,
) -> Result<Appended>
where
    F: Fn(&Incident) -> Result<Event, DomainError> + Send + Sync,
{
    let mut attempt = 0;
    loop {
        let current = store.incident(id).await?;
        let event = decide(&current)?;
        let draft = EntryDraft {
            actor: actor.clone(),
            event,
        };
        match store.append(id, current.seq, vec![draft]).await {
            Err(StoreError::Conflict { .. }) if attempt < 50 => attempt += 1,
            other => return other,
        }
    }
}

/// Like [`execute`], for commands that decide several events at once (pasting observables…).
/// Deciding none changes nothing and returns the current state.
pub async fn execute_many<F>(
    store: &dyn Store,
    id: IncidentId,
    actor: &Actor,
    decide: F,
) -> Result<Incident>
where
    F: Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
{
    let mut attempt = 0;
    loop {
        let current = store.incident(id).await?;
        let events = decide(&current)?;
        if events.is_empty() {
            return Ok(current);
        }
        let drafts = events
            .into_iter()
            .map(|event| EntryDraft {
                actor: actor.clone(),
                event,
            })
            .collect();
        match store.append(id, current.seq, drafts).await {
            Err(StoreError::Conflict { .. }) if attempt < 50 => attempt += 1,
            other => return other.map(|a| a.incident),
        }
    }
}

/// `base` with its database name replaced by `name`.
pub fn with_database(base: &str, name: &str) -> String {
    let (main, query) = match base.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (base, None),
    };
    let after_scheme = main.find("://").map_or(0, |i| i + 3);
    let root = match main[after_scheme..].find('/') {
        Some(i) => &main[..after_scheme + i],
        None => main,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        use super::with_database;
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}

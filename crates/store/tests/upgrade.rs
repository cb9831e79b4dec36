//! A store written by the previous release (the fixtures in `tests/fixtures/previous-release`,
//! made by that release's binary with `make.sh`) opens with this one: its migrations run, the
//! chains still verify, nothing is lost, and new writes chain onto the old ones. On SQLite always;
//! on PostgreSQL when `DEBRIEF_TEST_POSTGRES_URL` is set at build time.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use debrief_domain::text::Actor;
use debrief_domain::{IncidentId, NewIncident, Status};
use debrief_store::testing::TestDb;
use debrief_store::verify::verify_all;
use debrief_store::{IncidentQuery, InstallationKey, Scope, Store};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/previous-release")
}

fn key() -> InstallationKey {
    // Read, never created: the fixtures are signed with this key.
    let path = fixtures().join("installation.key");
    assert!(path.exists(), "{} is missing", path.display());
    InstallationKey::load_or_create(&path).unwrap()
}

/// What the previous release wrote, checked after the upgrade, then one more write.
async fn upgraded(store: &dyn Store) {
    let key = key();
    let report = verify_all(store, &key).await.unwrap();
    assert!(report.intact(), "{:?}", report.breaks);
    assert_eq!(report.incidents, 2);
    let entries = store.raw_entries(Scope::All).await.unwrap().len();
    assert!(entries >= 8, "{entries} entries");
    let list = store
        .list_incidents(&IncidentQuery {
            limit: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
    let titles: Vec<&str> = list.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["Ransomware on FS01", "Phishing wave"]);
    let first: IncidentId = store.resolve("1").await.unwrap();
    let incident = store.incident(first).await.unwrap();
    assert_eq!(incident.status, Status::Investigating);
    assert_eq!(incident.observables.len(), 1);
    assert_eq!(incident.timeline.len(), 1);
    assert_eq!(incident.evidence.len(), 1);
    assert_eq!(store.search("evil", 10).await.unwrap().len(), 2);
    assert!(store.user_record("alice").await.is_ok());
    // New writes chain onto the old ledger, signed by the same key.
    store
        .create_incident(
            &Actor::parse("alice").unwrap(),
            NewIncident::parse("After the upgrade", "", "", "", None).unwrap(),
        )
        .await
        .unwrap();
    assert!(verify_all(store, &key).await.unwrap().intact());
}

#[tokio::test]
async fn a_sqlite_store_of_the_previous_release_upgrades_and_verifies() {
    let db = TestDb::sqlite();
    let file = db.dir.path().join("debrief.db");
    std::fs::copy(fixtures().join("sqlite.db"), &file).unwrap();
    let store = debrief_store::open(&db.url, key()).await.unwrap();
    upgraded(&*store).await;
    db.cleanup().await;
}

#[cfg(postgres_tests)]
#[tokio::test]
async fn a_postgres_store_of_the_previous_release_upgrades_and_verifies() {
    let db = TestDb::postgres().await;
    let dump = std::fs::read_to_string(fixtures().join("postgres.sql")).unwrap();
    // pg_dump's own settings first line by line are plain SQL; psql meta-commands are not used.
    db.raw_sql(&dump).await;
    let store = debrief_store::open(&db.url, key()).await.unwrap();
    upgraded(&*store).await;
    db.cleanup().await;
}

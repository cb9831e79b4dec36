//! End-to-end tests of the `debrief` binary: real entries written through the CLI and read back,
//! tampered with in the database, reported and exported. The tests that take a store run on
//! SQLite always and on PostgreSQL when `DEBRIEF_TEST_POSTGRES_URL` is set at build time.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use debrief_store::testing::TestDb;

mod backup;
mod hunt;
mod parity;
mod reports;
mod time;
mod verify;
mod work;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn debrief(db: &TestDb, args: &[&str]) -> Run {
    debrief_with(db, args, &[])
}

/// [`debrief`] with these environment variables set.
fn debrief_with(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .env_remove("DEBRIEF_DATABASE_URL")
        .env_remove("DEBRIEF_DATA_DIR")
        .env_remove("DEBRIEF_BACKUP_PASSPHRASE")
        .envs(env.iter().copied())
        .arg("--data-dir")
        .arg(db.dir.path())
        .args(["--database", &db.url, "--actor", "alice"])
        .args(args)
        .output()
        .expect("the debrief binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(db: &TestDb, args: &[&str]) -> String {
    let r = debrief(db, args);
    assert_eq!(
        r.code, 0,
        "debrief {args:?} failed: {}{}",
        r.stdout, r.stderr
    );
    r.stdout
}

/// Two incidents, interleaved in the ledger:
/// gseq 1 #1/1, 2 #2/1, 3 #1/2, 4 #1/3, 5 #2/2, 6 #1/4.
fn scenario(db: &TestDb) {
    ok(
        db,
        &[
            "incident",
            "new",
            "--title",
            "Phishing wave",
            "--summary",
            "40 messages",
            "--source",
            "mail gateway",
        ],
    );
    ok(db, &["incident", "new", "--title", "Ransomware on FS01"]);
    ok(db, &["incident", "transition", "1", "triage"]);
    ok(db, &["incident", "transition", "1", "investigating"]);
    ok(db, &["incident", "transition", "2", "triage"]);
    ok(
        db,
        &[
            "incident",
            "set-time",
            "1",
            "started",
            "2026-11-20T03:00:00+01:00",
            "--source",
            "EDR telemetry",
        ],
    );
    let r = debrief(db, &["verify"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("OK: every chain holds"), "{}", r.stdout);
    assert!(
        r.stdout.contains("2 incident(s), 6 journal entries"),
        "{}",
        r.stdout
    );
}

/// Runs SQL directly against the database, with the append-only triggers out of the way — as an
/// attacker with database access could.
async fn tamper(db: &TestDb, statements: &[&str]) {
    match db.backend() {
        "sqlite" => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query("DROP TRIGGER IF EXISTS journal_no_update")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("DROP TRIGGER IF EXISTS journal_no_delete")
                .execute(&pool)
                .await
                .unwrap();
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }
        _ => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query("ALTER TABLE journal DISABLE TRIGGER USER")
                .execute(&pool)
                .await
                .unwrap();
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }
    }
}

const INC1: &str = "(SELECT id FROM incidents WHERE number = 1)";
const INC2: &str = "(SELECT id FROM incidents WHERE number = 2)";

fn broken(db: &TestDb, args: &[&str]) -> String {
    let r = debrief(db, args);
    assert_eq!(r.code, 1, "verify should fail: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("BROKEN"), "{}", r.stdout);
    r.stdout
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("debrief-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

macro_rules! on_every_backend {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            use debrief_store::testing::TestDb;
            $(
                #[tokio::test]
                async fn $name() {
                    let db = TestDb::sqlite();
                    super::$module::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
        #[cfg(postgres_tests)]
        mod postgres {
            use debrief_store::testing::TestDb;
            $(
                #[tokio::test]
                async fn $name() {
                    let db = TestDb::postgres().await;
                    super::$module::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

on_every_backend!(
    backup::a_backup_restores_into_an_empty_store_with_the_same_incidents,
    backup::an_encrypted_backup_opens_only_with_its_passphrase,
    parity::the_cli_writes_what_the_api_writes,
    reports::incidents_come_in_from_a_spreadsheet_and_tables_go_out_as_csv,
    reports::a_report_verifies_until_a_byte_or_the_journal_changes,
    verify::an_edited_payload_byte_is_named,
    verify::a_deleted_entry_is_named,
    verify::swapped_entries_are_named,
    verify::a_deleted_incident_is_named,
    verify::a_deleted_newest_incident_is_caught_by_the_signed_head,
    verify::an_edited_actor_or_time_is_named,
    verify::an_edited_projection_is_named_and_not_reported,
    verify::edited_columns_facts_and_indexes_are_named,
    verify::an_export_verifies_with_python,
    verify::bad_input_is_refused_and_writes_nothing,
    verify::evidence_is_verified_when_taken_out,
    time::a_paris_night_is_recorded_as_it_happened,
    time::an_installation_adds_its_own_sub_types,
);

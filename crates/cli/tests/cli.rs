//! End-to-end tests of the `debrief` binary: real entries written through the CLI, then tampered
//! with directly in the database, then `debrief verify`. Run on SQLite always and on PostgreSQL
//! when `DEBRIEF_TEST_POSTGRES_URL` is set at build time.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use debrief_store::testing::TestDb;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn debrief(db: &TestDb, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .env_remove("DEBRIEF_DATABASE_URL")
        .env_remove("DEBRIEF_DATA_DIR")
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

async fn an_edited_payload_byte_is_named(db: &TestDb) {
    scenario(db);
    tamper(db, &[&format!(
        "UPDATE journal SET payload = replace(payload, '40 messages', '41 messages') WHERE seq = 1 AND incident_id = {INC1}"
    )])
    .await;
    let out = broken(db, &["verify"]);
    let first = out.lines().find(|l| l.starts_with("  ")).unwrap();
    assert!(
        first.contains("incident #1") && first.contains("entry 1 (ledger #1)"),
        "{out}"
    );
    assert!(first.contains("content was altered"), "{out}");
    // The single-incident check names it too; the other incident is intact.
    assert!(broken(db, &["verify", "1"]).contains("entry 1"));
    assert_eq!(debrief(db, &["verify", "2"]).code, 0);
}

async fn a_deleted_entry_is_named(db: &TestDb) {
    scenario(db);
    tamper(
        db,
        &[&format!(
            "DELETE FROM journal WHERE seq = 3 AND incident_id = {INC1}"
        )],
    )
    .await;
    let out = broken(db, &["verify"]);
    assert!(
        out.contains("incident #1") && out.contains("entry 3 is missing"),
        "{out}"
    );
    assert!(
        out.contains("ledger entries #4–#4 before this one are missing"),
        "{out}"
    );
}

async fn swapped_entries_are_named(db: &TestDb) {
    scenario(db);
    tamper(
        db,
        &[
            &format!("UPDATE journal SET seq = -1 WHERE seq = 2 AND incident_id = {INC1}"),
            &format!("UPDATE journal SET seq = 2 WHERE seq = 3 AND incident_id = {INC1}"),
            &format!("UPDATE journal SET seq = 3 WHERE seq = -1 AND incident_id = {INC1}"),
        ],
    )
    .await;
    let out = broken(db, &["verify"]);
    assert!(out.contains("incident #1 ("), "{out}");
    assert!(
        out.contains("entry 2 (ledger #4): content was altered"),
        "{out}"
    );
    assert!(
        out.contains("entry 3 (ledger #3): content was altered"),
        "{out}"
    );
}

async fn a_deleted_incident_is_named(db: &TestDb) {
    scenario(db);
    tamper(
        db,
        &[
            &format!("DELETE FROM journal WHERE incident_id = {INC2}"),
            "DELETE FROM incidents WHERE number = 2",
        ],
    )
    .await;
    let out = broken(db, &["verify"]);
    assert!(
        out.contains("ledger entries #2–#2 before this one are missing"),
        "{out}"
    );
    assert!(out.contains("#5–#5"), "{out}");
    assert!(out.contains("possibly a whole incident"), "{out}");
}

async fn a_deleted_newest_incident_is_caught_by_the_signed_head(db: &TestDb) {
    scenario(db);
    ok(db, &["incident", "new", "--title", "Newest"]);
    tamper(
        db,
        &[
            "DELETE FROM journal WHERE incident_id = (SELECT id FROM incidents WHERE number = 3)",
            "DELETE FROM incidents WHERE number = 3",
        ],
    )
    .await;
    let out = broken(db, &["verify"]);
    assert!(
        out.contains("the signed ledger head is at #7 but the ledger ends at #6"),
        "{out}"
    );
    // Rewriting the head to match does not help without the installation key.
    let last = "(SELECT ledger_hash FROM journal WHERE gseq = 6)";
    tamper(
        db,
        &[&format!("UPDATE ledger_head SET gseq = 6, hash = {last}")],
    )
    .await;
    let out = broken(db, &["verify"]);
    assert!(out.contains("signature is invalid"), "{out}");
}

async fn an_export_verifies_with_python(db: &TestDb) {
    scenario(db);
    let file = db.dir.path().join("export.json");
    ok(
        db,
        &["incident", "export", "1", "-o", file.to_str().unwrap()],
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/verify_export.py");
    let python = |f: &Path| {
        Command::new("python3")
            .arg(&script)
            .arg(f)
            .output()
            .expect("python3 is needed for this test")
    };
    let out = python(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK: 4 entries"));

    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("40 messages", "41 messages");
    let bad = db.dir.path().join("tampered.json");
    std::fs::write(&bad, text).unwrap();
    let out = python(&bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("entry 1: content hashes to"));
}

async fn bad_input_is_refused_and_writes_nothing(db: &TestDb) {
    scenario(db);
    let long = "x".repeat(201);
    let cases: &[(&[&str], &str)] = &[
        (&["incident", "show", "42"], "no incident `42`"),
        (
            &["incident", "transition", "1", "recovered"],
            "can move to: contained, closed",
        ),
        (&["incident", "transition", "1", "closed"], "needs a reason"),
        (
            &["incident", "transition", "1", "done"],
            "unknown status `done`",
        ),
        (
            &["incident", "new", "--title", "  "],
            "title must not be empty",
        ),
        (
            &["incident", "new", "--title", &long],
            "title is 201 characters long; the limit is 200",
        ),
        (
            &[
                "incident",
                "set-time",
                "1",
                "started",
                "yesterday",
                "--source",
                "x",
            ],
            "2026-11-23T14:05:00Z",
        ),
        (
            &[
                "incident",
                "set-time",
                "1",
                "finished",
                "2026-01-01T00:00:00Z",
                "--source",
                "x",
            ],
            "unknown timestamp",
        ),
        (
            &[
                "incident",
                "edit",
                "1",
                "--title",
                "ok",
                "--summary",
                "bad\u{7}",
            ],
            "control character",
        ),
    ];
    for (args, message) in cases {
        let r = debrief(db, args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(message), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {}", r.stderr);
    }
    let r = debrief(db, &["verify", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["entries"], 6, "nothing was written");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(db, &["incident", "show", "1", "--format", "json"])).unwrap();
    assert_eq!(shown["journal"].as_array().unwrap().len(), 4);
    assert_eq!(shown["incident"]["title"], "Phishing wave");
}

async fn evidence_is_verified_when_taken_out(db: &TestDb) {
    scenario(db);
    let file = db.dir.path().join("memory.raw");
    std::fs::write(&file, b"not really a memory image").unwrap();
    let out = ok(
        db,
        &[
            "evidence",
            "add",
            "1",
            file.to_str().unwrap(),
            "--from",
            "WS-042",
        ],
    );
    assert!(out.contains("sha256 "), "{out}");
    let copy = db.dir.path().join("copy.raw");
    ok(
        db,
        &["evidence", "get", "1", "1", "-o", copy.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&copy).unwrap(), b"not really a memory image");
    ok(
        db,
        &[
            "evidence",
            "custody",
            "1",
            "1",
            "transferred",
            "--to",
            "forensics lab",
            "--location",
            "safe 3",
        ],
    );
    let listed = ok(db, &["evidence", "list", "1"]);
    assert!(
        listed.contains("collected→") && listed.contains("transferred→forensics lab"),
        "{listed}"
    );
    // Alter the stored file: taking it out is refused, with the reason, exit code 1.
    let evidence_dir = db.dir.path().join("evidence/sha256");
    let sub = std::fs::read_dir(&evidence_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let stored = std::fs::read_dir(&sub)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&stored, b"tampered").unwrap();
    let r = debrief(
        db,
        &[
            "evidence",
            "get",
            "1",
            "1",
            "-o",
            db.dir.path().join("bad.raw").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("no longer matches its SHA-256"),
        "{}",
        r.stderr
    );
    assert!(!db.dir.path().join("bad.raw").exists());
    // The journal itself is intact: the alteration is in the file, not the record.
    assert_eq!(debrief(db, &["verify"]).code, 0);
}

macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use debrief_store::testing::TestDb;
            $(
                #[tokio::test]
                async fn $name() {
                    let db = TestDb::sqlite();
                    super::$name(&db).await;
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
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

/// A sealed report verifies; one changed byte, or an altered journal entry before the one it was
/// rendered from, makes `debrief report verify` fail and say why. Each export is a journal entry.
async fn a_report_verifies_until_a_byte_or_the_journal_changes(db: &TestDb) {
    scenario(db);
    let dir = db.dir.path();
    for (format, lang) in [("md", "en"), ("html", "fr"), ("json", "en")] {
        let file = dir.join(format!("report.{format}"));
        let f = file.to_str().unwrap();
        ok(
            db,
            &[
                "report", "1", "--kind", "final", "--format", format, "--lang", lang, "-o", f,
            ],
        );
        let out = ok(db, &["report", "verify", f]);
        assert!(
            out.contains("seal: valid") && out.contains("chain verifies"),
            "{out}"
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let altered = text.replacen("Phishing wave", "Phishing wavE", 1);
        assert_ne!(altered, text);
        std::fs::write(&file, altered).unwrap();
        let r = debrief(db, &["report", "verify", f]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("changed after it was sealed"),
            "{}",
            r.stdout
        );
    }
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("## 1. Executive summary") && md.contains("Appendix: the incident's journal"),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>1. Synthèse pour la direction</h2>"),
        "{html}"
    );
    // Three exports, three journal entries.
    let shown: serde_json::Value =
        serde_json::from_str(&ok(db, &["incident", "show", "1", "--format", "json"])).unwrap();
    assert_eq!(
        shown["incident"]["entry_kinds"]["report.exported"], 3,
        "{shown}"
    );
    // PDF, typeset in process: its text has every section heading in both languages, its pages
    // are saved as PNG under target/ for a look, and one changed byte breaks the seal.
    for lang in ["en", "fr"] {
        // Every section heading of the same report in Markdown must be in the PDF's text.
        let markdown = ok(db, &["report", "1", "--format", "md", "--lang", lang]);
        let headings: Vec<&str> = markdown
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .collect();
        assert!(headings.len() >= 11, "{markdown}");
        let file = dir.join(format!("report-{lang}.pdf"));
        let f = file.to_str().unwrap();
        ok(
            db,
            &["report", "1", "--format", "pdf", "--lang", lang, "-o", f],
        );
        let out = ok(db, &["report", "verify", f]);
        assert!(out.contains("seal: valid"), "{out}");
        let text = Command::new("pdftotext")
            .args([f, "-"])
            .output()
            .expect("pdftotext (Debian's poppler-utils) must be installed: .ci/run installs it");
        let text = String::from_utf8_lossy(&text.stdout).replace('\u{a0}', " ");
        for h in headings {
            assert!(
                text.contains(h),
                "{lang}: {h} missing from the PDF text:\n{text}"
            );
        }
        let pages = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/report-pages");
        std::fs::create_dir_all(&pages).unwrap();
        let png = Command::new("pdftoppm")
            .args([
                "-png",
                "-r",
                "60",
                f,
                pages.join(format!("final-{lang}")).to_str().unwrap(),
            ])
            .status()
            .expect("pdftoppm (poppler-utils)");
        assert!(png.success());
        let mut bytes = std::fs::read(&file).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&file, bytes).unwrap();
        let r = debrief(db, &["report", "verify", f]);
        assert_eq!(r.code, 1, "{}", r.stdout);
    }
    // A fresh report, then the journal is altered under it.
    let file = dir.join("fresh.md");
    let f = file.to_str().unwrap();
    ok(db, &["report", "1", "-o", f]);
    assert_eq!(debrief(db, &["report", "verify", f]).code, 0);
    tamper(db, &[&format!(
        "UPDATE journal SET payload = replace(payload, '40 messages', '41 messages') WHERE seq = 1 AND incident_id = {INC1}"
    )])
    .await;
    let r = debrief(db, &["report", "verify", f]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("seal: valid") && r.stdout.contains("does not verify"),
        "{}",
        r.stdout
    );
}

/// A spreadsheet is checked row by row: every error named with its row and column and nothing
/// written; once right, each row becomes an incident with its class, marking, tags and times;
/// the tables come back out as CSV.
async fn incidents_come_in_from_a_spreadsheet_and_tables_go_out_as_csv(db: &TestDb) {
    let dir = db.dir.path();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "title,class,type,tlp,detected_at\nPhishing wave,fraud,phishing,amber,2026-03-02\n,fraud,phishing,,\nRansomware,malicious-code,encryption,purple,yesterday\n",
    )
    .unwrap();
    let r = debrief(db, &["csv", "import", bad.to_str().unwrap(), "--dry-run"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    for needle in [
        "row 3, title",
        "row 4, class/type",
        "row 4, tlp",
        "row 4, detected_at",
        "4 error(s)",
    ] {
        assert!(r.stdout.contains(needle), "{needle}: {}", r.stdout);
    }
    let r = debrief(db, &["csv", "import", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2, "a wrong file is refused without --dry-run too");
    assert!(
        ok(db, &["incident", "list"]).lines().count() <= 1,
        "nothing was written"
    );

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "title,summary,class,type,tlp,tags,started_at,detected_at,contained_at\nPhishing wave,\"Finance staff, 40 messages\",fraud,phishing,amber,mail;finance,2026-03-01T22:00:00Z,2026-03-02,2026-03-02T15:00:00Z\nRansomware on FS01,,malicious-code,infected-system,TLP:RED,,,2026-03-05T08:30:00Z,\n",
    )
    .unwrap();
    let out = ok(db, &["csv", "import", good.to_str().unwrap(), "--dry-run"]);
    assert!(out.contains("2 rows are right"), "{out}");
    let out = ok(db, &["csv", "import", good.to_str().unwrap()]);
    assert!(
        out.contains("row 2 → #1 Phishing wave") && out.contains("2 incidents imported"),
        "{out}"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&ok(db, &["incident", "show", "1", "--format", "json"])).unwrap();
    let i = &shown["incident"];
    assert_eq!(i["summary"], "Finance staff, 40 messages");
    assert_eq!(i["classification"]["type"], "phishing");
    assert_eq!(i["tags"], serde_json::json!(["mail", "finance"]));
    assert_eq!(
        i["milestones"]["contained_at"]["at"],
        "2026-03-02T15:00:00.000000Z"
    );
    let csv = ok(db, &["csv", "export", "incidents"]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("number,title,status,class,type")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("1,Phishing wave,new,fraud,phishing,,amber,mail;finance")
    );
    assert!(
        csv.contains("2,Ransomware on FS01,new,malicious-code,infected-system,,red"),
        "{csv}"
    );
    for (table, header) in [
        ("timeline", "incident,id,occurred_at,technique,description"),
        ("observables", "incident,kind,value,ioc,sighted,description"),
        (
            "recommendations",
            "incident,id,action,type,owner,due,status",
        ),
    ] {
        assert_eq!(
            ok(db, &["csv", "export", table]).lines().next(),
            Some(header)
        );
    }
    assert_eq!(debrief(db, &["csv", "export", "alerts"]).code, 2);
    // One incident's tables: `export N --format csv`, the timeline unless `--table` says.
    let one = ok(
        db,
        &["export", "2", "--format", "csv", "--table", "incidents"],
    );
    let rows: Vec<&str> = one.lines().collect();
    assert_eq!(rows.len(), 2, "{one}");
    assert!(rows[1].starts_with("2,Ransomware on FS01,"), "{one}");
    assert_eq!(
        ok(db, &["export", "2", "--format", "csv"]).lines().next(),
        Some("incident,id,occurred_at,technique,description")
    );
    let wrong = debrief(db, &["export", "2", "--format", "csv", "--table", "alerts"]);
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains("`alerts` is not a table"),
        "{}",
        wrong.stderr
    );
    let shown: serde_json::Value =
        serde_json::from_str(&ok(db, &["incident", "show", "2", "--format", "json"])).unwrap();
    assert_eq!(
        shown["incident"]["entry_kinds"]["report.exported"], 2,
        "each CSV export is journaled: {shown}"
    );
    assert_eq!(debrief(db, &["verify"]).code, 0);
    // The program report over the imported incidents, sealed and tied to the ledger.
    let file = dir.join("program.md");
    let f = file.to_str().unwrap();
    ok(
        db,
        &[
            "report",
            "program",
            "--from",
            "2026-01-01",
            "--lang",
            "fr",
            "-o",
            f,
        ],
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("## 1. Incidents traités\u{a0}: 2"), "{text}");
    assert!(
        text.contains("| Délai de détection (MTTD) | 1 | 2 h | 2 h | 2 h | 1 |"),
        "only #1 has both timestamps: {text}"
    );
    let out = ok(db, &["report", "verify", f]);
    assert!(
        out.contains("program report") && out.contains("verifies"),
        "{out}"
    );
    std::fs::write(&file, text.replacen("| 1 | 2 h |", "| 1 | 1 h |", 1)).unwrap();
    assert_eq!(debrief(db, &["report", "verify", f]).code, 1);
}

on_every_backend!(
    incidents_come_in_from_a_spreadsheet_and_tables_go_out_as_csv,
    a_report_verifies_until_a_byte_or_the_journal_changes,
    an_edited_payload_byte_is_named,
    a_deleted_entry_is_named,
    swapped_entries_are_named,
    a_deleted_incident_is_named,
    a_deleted_newest_incident_is_caught_by_the_signed_head,
    an_export_verifies_with_python,
    bad_input_is_refused_and_writes_nothing,
    evidence_is_verified_when_taken_out,
);

#[test]
fn bad_database_urls_say_what_to_do() {
    let dir = tempfile_dir();
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_debrief"))
            .args([
                "--data-dir",
                dir.to_str().unwrap(),
                "--database",
                url,
                "incident",
                "list",
            ])
            .output()
            .unwrap()
    };
    let out = run("mysql://db/x");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("must start with `sqlite://` or `postgres://`")
    );
    let out = run("postgres://debrief:secret@127.0.0.1:1/x");
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Connection refused") && err.contains("is the server running"),
        "{err}"
    );
    assert!(!err.contains("secret"), "the password is redacted: {err}");
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("debrief-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `DIR/rules/whoami.yml`: a Sigma rule for whoami.exe starting (process_creation, medium).
fn whoami_rule(dir: &Path) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(
        dir.join("rules/whoami.yml"),
        "title: Whoami Execution\nid: 11111111-2222-3333-4444-555555555555\nstatus: test\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\nlevel: medium\ntags:\n  - attack.discovery\n  - attack.t1033\n",
    )
    .unwrap();
}

#[test]
fn hunt_finds_sigma_hits_in_json_lines() {
    let dir = tempfile_dir().join("hunt");
    whoami_rule(&dir);
    std::fs::write(dir.join("rules/broken.yml"), "title: [unclosed\n").unwrap();
    let events = [
        r##"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS-042","EventRecordID":7,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-20T09:12:00Z"}}},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS-042","EventRecordID":8},"EventData":{"Image":"C:\\Windows\\System32\\notepad.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Security","EventID":4624,"Computer":"WS-042","EventRecordID":9},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Security","EventID":4688,"Computer":"WS-042","EventRecordID":10},"EventData":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe"}}}"##,
    ];
    std::fs::write(dir.join("events.jsonl"), events.join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows.len(),
        3,
        "Sysmon 1 and Security 4688 (NewProcessName mapped to Image), not 4624: {csv}"
    );
    assert!(rows[2].contains(",10,"), "{csv}");
    assert!(
        rows[1].contains("Whoami Execution")
            && rows[1].contains(",7,")
            && rows[1].contains("attack.t1033"),
        "{csv}"
    );
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("4 event(s), 1 rule(s) loaded (1 failed"),
        "{summary}"
    );
    // A time window keeps only the event at 09:12 (the others have no time and are skipped).
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--format",
            "jsonl",
            "--from",
            "2026-11-20T09:00:00Z",
            "--to",
            "2026-11-20T10:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--from",
            "2026-11-21T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0 hit(s)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No rules at all: refused with a message.
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("nowhere").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

/// `debrief hunt --send-to`: hits become alerts on a running server; hunting again counts
/// repeats instead of duplicating. A real `debrief serve` on loopback.
#[test]
fn hunt_sends_hits_as_alerts_and_repeats_are_counted() {
    let db = TestDb::sqlite();
    ok(&db, &["user", "add", "maria", "--role", "manager"]);
    let token = ok(
        &db,
        &["token", "create", "--user", "maria", "--name", "hunt"],
    )
    .lines()
    .find(|l| l.starts_with("dbf_"))
    .expect("the token is printed")
    .trim()
    .to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .env_remove("DEBRIEF_DATABASE_URL")
        .arg("--data-dir")
        .arg(db.dir.path())
        .args([
            "--database",
            &db.url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let dir = tempfile_dir().join("send");
    whoami_rule(&dir);
    let events = [
        r##"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS-042","EventRecordID":7,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-20T09:12:00Z"}}},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Security","EventID":4688,"Computer":"WS-043","EventRecordID":10},"EventData":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe"}}}"##,
    ];
    std::fs::write(dir.join("events.jsonl"), events.join("\n")).unwrap();
    let hunt = |token: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_debrief"));
        cmd.env_remove("DEBRIEF_TOKEN").args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--format",
            "csv",
            "--send-to",
            &format!("http://127.0.0.1:{port}/"),
        ]);
        if let Some(t) = token {
            cmd.env("DEBRIEF_TOKEN", t);
        }
        cmd.output().unwrap()
    };
    let first = hunt(Some(&token));
    let err = String::from_utf8_lossy(&first.stderr).into_owned();
    let again = hunt(Some(&token));
    let err_again = String::from_utf8_lossy(&again.stderr).into_owned();
    let bad = hunt(Some("dbf_not-a-token"));
    let none = hunt(None);
    let _ = server.kill();
    let _ = server.wait();
    assert!(first.status.success(), "{err}");
    assert!(
        err.contains("sent 2 alert(s)") && err.contains("2 new, 0 repeated"),
        "{err}"
    );
    assert!(err_again.contains("0 new, 2 repeated"), "{err_again}");
    assert_ne!(bad.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("401"),
        "{:?}",
        bad
    );
    assert_ne!(none.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&none.stderr).contains("DEBRIEF_TOKEN"));
}

/// A raw HTTP/1.1 request on loopback: (status, body).
fn http(port: u16, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

/// `serve --rules --watch`: events posted to `/api/v1/events` and log files dropped in the
/// watched folder are evaluated against the rules; matches become alerts, the same event again
/// is a repeat, a grown file is evaluated from where it was left.
#[test]
fn serve_evaluates_posted_events_and_watched_files() {
    let db = TestDb::sqlite();
    ok(&db, &["user", "add", "maria", "--role", "manager"]);
    let token = ok(
        &db,
        &["token", "create", "--user", "maria", "--name", "edr"],
    )
    .lines()
    .find(|l| l.starts_with("dbf_"))
    .expect("the token is printed")
    .trim()
    .to_string();
    let dir = tempfile_dir().join("events");
    let _ = std::fs::remove_dir_all(&dir);
    whoami_rule(&dir);
    std::fs::create_dir_all(dir.join("watch")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .env_remove("DEBRIEF_DATABASE_URL")
        .arg("--data-dir")
        .arg(db.dir.path())
        .args([
            "--database",
            &db.url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--rules")
        .arg(dir.join("rules"))
        .arg("--watch")
        .arg(dir.join("watch"))
        .args(["--watch-interval", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sysmon = |host: &str, record: &str, image: &str| {
        format!(
            r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"{host}",{record}"Image":"C:\\Windows\\System32\\{image}","User":"CORP\\clerk"}}"#
        )
    };
    let body = [
        sysmon("WS-042", "", "whoami.exe"),
        sysmon("WS-042", "", "notepad.exe"),
    ]
    .join("\n");
    let (status, first) = http(port, "POST", "/api/v1/events", &token, &body);
    let (_, again) = http(port, "POST", "/api/v1/events", &token, &body);
    let (bad_status, bad) = http(
        port,
        "POST",
        "/api/v1/events",
        &token,
        &format!("{}\nnot json\n", sysmon("WS-9", "", "whoami.exe")),
    );
    // The watched folder: a file appears, then grows by one event.
    let watched = dir.join("watch/sysmon.jsonl");
    std::fs::write(
        &watched,
        sysmon("WS-050", r#""EventRecordID":7,"#, "whoami.exe") + "\n",
    )
    .unwrap();
    let alerts = |want: usize| {
        let started = std::time::Instant::now();
        loop {
            let (_, list) = http(port, "GET", "/api/v1/alerts?limit=500", &token, "");
            let list: serde_json::Value = serde_json::from_str(&list).unwrap();
            let list = list["alerts"].as_array().unwrap().clone();
            if list.len() >= want || started.elapsed().as_secs() > 20 {
                return list;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    let after_file = alerts(2);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&watched)
            .unwrap();
        writeln!(
            f,
            "{}",
            sysmon("WS-051", r#""EventRecordID":8,"#, "whoami.exe")
        )
        .unwrap();
    }
    let after_growth = alerts(3);
    let _ = server.kill();
    let _ = server.wait();

    assert_eq!(status, 200, "{first}");
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (
            first["events"].as_u64(),
            first["matches"].as_u64(),
            first["created"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{first}"
    );
    let alert = &first["results"][0]["alert"];
    assert_eq!(alert["source"], "debrief-events");
    assert_eq!(alert["raw"]["rule"]["title"], "Whoami Execution");
    assert_eq!(alert["raw"]["event"]["Computer"], "WS-042");
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(
        again["repeated"], 1,
        "the same event again is a repeat: {again}"
    );
    assert_eq!(bad_status, 422, "{bad}");
    assert!(bad.contains("line 2"), "{bad}");
    let sources: Vec<(String, i64)> = after_growth
        .iter()
        .map(|a| {
            (
                a["source"].as_str().unwrap().to_string(),
                a["occurrences"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(after_file.len(), 2, "{after_file:?}");
    assert_eq!(
        sources.iter().filter(|(s, _)| s == "debrief-watch").count(),
        2,
        "one alert per watched event: {sources:?}"
    );
    assert!(
        sources.iter().all(|(s, n)| s != "debrief-watch" || *n == 1),
        "a grown file is not evaluated again from its start: {sources:?}"
    );
    assert!(
        !after_growth.iter().any(|a| a["host"] == "WS-9"),
        "nothing of the refused body was stored"
    );
}

/// The post-incident review from the terminal: effectiveness from the stated times, the
/// recommendations board, the starter playbooks.
#[test]
fn postmortem_recommendations_and_playbooks_from_the_terminal() {
    let db = TestDb::sqlite();
    ok(&db, &["incident", "new", "--title", "Phishing wave"]);
    ok(
        &db,
        &[
            "incident",
            "set-time",
            "1",
            "detected_at",
            "2026-11-20T09:00:00Z",
            "--source",
            "SIEM",
        ],
    );
    ok(
        &db,
        &[
            "incident",
            "set-time",
            "1",
            "acknowledged_at",
            "2026-11-20T09:40:00Z",
            "--source",
            "SIEM",
        ],
    );
    let out = ok(&db, &["postmortem", "1"]);
    assert!(
        out.contains("time to acknowledge") && out.contains("0 h 40 min"),
        "{out}"
    );
    assert!(out.contains("missing contained_at"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&db, &["postmortem", "1", "--format", "json"])).unwrap();
    assert_eq!(json["status"], "draft");
    // Targets come from DATA_DIR/targets.json: level 1 must be acknowledged within 30 minutes.
    ok(
        &db,
        &[
            "triage",
            "assess",
            "1",
            "--functional",
            "low",
            "--information",
            "none",
            "--recoverability",
            "regular",
        ],
    );
    std::fs::write(
        db.dir.path().join("targets.json"),
        r#"{"acknowledge": [60, 30, 60, 60, 30, 15], "contain": [1, 1, 1, 1, 1, 1], "recover": [1, 1, 1, 1, 1, 1]}"#,
    )
    .unwrap();
    let out = ok(&db, &["postmortem", "1"]);
    let line = out
        .lines()
        .find(|l| l.contains("time to acknowledge"))
        .unwrap();
    assert!(line.contains("0 h 30 min") && line.contains("NO"), "{out}");
    let list = ok(&db, &["playbooks"]);
    assert_eq!(
        list.lines().filter(|l| l.contains("phishing")).count(),
        2,
        "{list}"
    );
    assert_eq!(
        list.lines().count(),
        11,
        "a header and ten starter playbooks: {list}"
    );
    let board = ok(
        &db,
        &["recommendations", "--state", "all", "--format", "json"],
    );
    let board: serde_json::Value = serde_json::from_str(&board).unwrap();
    assert_eq!(board["total"], 0);
    // Program metrics: the 40-minute acknowledgement is the only TTA measured.
    let csv = ok(&db, &["metrics", "--from", "2026-01-01", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("figure,value,incidents"));
    assert!(csv.contains("\nincidents handled,1,#1\n"), "{csv}");
    assert!(csv.contains("\ntta mean hours,0.67,#1\n"), "{csv}");
    assert!(csv.contains("\nttd missing a timestamp,1,#1\n"), "{csv}");
    let table = ok(&db, &["metrics"]);
    assert!(
        table.contains("tta median hours") && table.contains("0.67"),
        "{table}"
    );
    let r = debrief(&db, &["metrics", "--from", "last week"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("2026-01-01"), "{}", r.stderr);
}

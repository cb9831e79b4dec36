//! `debrief backup` and `debrief restore`: a backup taken from one store restores into an empty
//! one of either backend with the same incidents, evidence and accounts, and verifies.

use debrief_store::testing::TestDb;

use super::{debrief, debrief_with, ok, scenario};

/// Restores `file` into `target` and checks it holds what `source` holds.
fn restored_matches(source: &TestDb, target: &TestDb, file: &str) {
    let out = ok(target, &["restore", file]);
    assert!(out.contains("verify: OK, every chain holds"), "{out}");
    assert!(out.contains("2 incidents"), "{out}");
    let list = |db: &TestDb| ok(db, &["incident", "list", "--format", "json"]);
    assert_eq!(list(source), list(target), "the same incidents");
    let show = |db: &TestDb| ok(db, &["incident", "show", "1", "--format", "json"]);
    assert_eq!(show(source), show(target), "the same record");
    assert_eq!(
        ok(source, &["user", "list", "--format", "json"]),
        ok(target, &["user", "list", "--format", "json"])
    );
    let copy = target.dir.path().join("copy.raw");
    ok(
        target,
        &["evidence", "get", "1", "1", "-o", copy.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&copy).unwrap(), b"a disk image, in short");
    let verified = ok(target, &["verify"]);
    assert!(verified.contains("OK: every chain holds"), "{verified}");
    // The target now holds a record: a second restore is refused and changes nothing.
    let again = debrief(target, &["restore", file]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("not empty"), "{}", again.stderr);
    assert_eq!(list(source), list(target));
    // It goes on: a new incident is numbered after the restored ones and the chain holds.
    let made = ok(target, &["incident", "new", "--title", "After the restore"]);
    assert!(made.contains("#3"), "{made}");
    assert!(ok(target, &["verify"]).contains("OK: every chain holds"));
}

pub(crate) async fn a_backup_restores_into_an_empty_store_with_the_same_incidents(db: &TestDb) {
    scenario(db);
    let file = db.dir.path().join("disk.img");
    std::fs::write(&file, b"a disk image, in short").unwrap();
    ok(
        db,
        &[
            "evidence",
            "add",
            "1",
            file.to_str().unwrap(),
            "--from",
            "FS01",
        ],
    );
    ok(db, &["user", "add", "maria", "--role", "manager"]);
    let backup = db.dir.path().join("backup.zip");
    let backup = backup.to_str().unwrap();
    let out = ok(db, &["backup", "-o", backup]);
    assert!(out.contains("1 evidence file(s)"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
    let twice = debrief(db, &["backup", "-o", backup]);
    assert_ne!(twice.code, 0, "an existing file is not overwritten");

    let sqlite = TestDb::sqlite();
    restored_matches(db, &sqlite, backup);
    sqlite.cleanup().await;

    // The other way across backends: SQLite to PostgreSQL, PostgreSQL to SQLite (above).
    #[cfg(postgres_tests)]
    {
        let postgres = TestDb::postgres().await;
        restored_matches(db, &postgres, backup);
        postgres.cleanup().await;
    }

    // A store with another installation key is not restored over.
    let other = TestDb::sqlite();
    std::fs::write(other.dir.path().join("installation.key"), "11".repeat(32)).unwrap();
    let refused = debrief(&other, &["restore", backup]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("another installation key"),
        "{}",
        refused.stderr
    );
    other.cleanup().await;
}

/// `--encrypt`: the passphrase comes from the environment and must be long enough; the file
/// holds no readable secret (the key's hex is not in it); a restore without the passphrase or
/// with a wrong one is refused and writes nothing; with it, the same incidents come back.
pub(crate) async fn an_encrypted_backup_opens_only_with_its_passphrase(db: &TestDb) {
    const PASS: &str = "correct horse battery staple";
    scenario(db);
    let backup = db.dir.path().join("sealed.zip");
    let backup = backup.to_str().unwrap();
    let none = debrief(db, &["backup", "-o", backup, "--encrypt"]);
    assert_ne!(none.code, 0);
    assert!(
        none.stderr.contains("DEBRIEF_BACKUP_PASSPHRASE"),
        "{}",
        none.stderr
    );
    let short = debrief_with(
        db,
        &["backup", "-o", backup, "--encrypt"],
        &[("DEBRIEF_BACKUP_PASSPHRASE", "too short")],
    );
    assert_ne!(short.code, 0);
    assert!(short.stderr.contains("too short"), "{}", short.stderr);
    assert!(!std::path::Path::new(backup).exists(), "nothing written");
    let made = debrief_with(
        db,
        &["backup", "-o", backup, "--encrypt"],
        &[("DEBRIEF_BACKUP_PASSPHRASE", PASS)],
    );
    assert_eq!(made.code, 0, "{}{}", made.stdout, made.stderr);
    assert!(
        made.stdout.contains("encrypted (AES-256)"),
        "{}",
        made.stdout
    );
    // Stored (not deflated) text would show the key; encrypted, no entry reads without the
    // passphrase.
    let bytes = std::fs::read(backup).unwrap();
    let key = std::fs::read_to_string(db.dir.path().join("installation.key")).unwrap();
    assert!(
        !bytes.windows(16).any(|w| w == &key.trim().as_bytes()[..16]),
        "the key is not in the file as text"
    );

    let target = TestDb::sqlite();
    let list = |d: &TestDb| ok(d, &["incident", "list", "--format", "json"]);
    let refused = debrief(&target, &["restore", backup]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("is encrypted"),
        "{}",
        refused.stderr
    );
    let wrong = debrief_with(
        &target,
        &["restore", backup],
        &[("DEBRIEF_BACKUP_PASSPHRASE", "correct horse battery stapler")],
    );
    assert_ne!(wrong.code, 0);
    assert!(
        wrong.stderr.contains("does not open this backup"),
        "{}",
        wrong.stderr
    );
    assert!(
        !target.dir.path().join("installation.key").exists(),
        "a refused restore wrote nothing"
    );
    let restored = debrief_with(
        &target,
        &["restore", backup],
        &[("DEBRIEF_BACKUP_PASSPHRASE", PASS)],
    );
    assert_eq!(restored.code, 0, "{}{}", restored.stdout, restored.stderr);
    assert!(
        restored.stdout.contains("verify: OK"),
        "{}",
        restored.stdout
    );
    assert_eq!(list(db), list(&target), "the same incidents");
    target.cleanup().await;
}

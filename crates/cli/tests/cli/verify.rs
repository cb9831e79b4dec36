//! `debrief verify` against a journal tampered with directly in the database, exports checked
//! by an independent script, bad input refused with nothing written, evidence re-checked.

use super::*;

pub(crate) async fn an_edited_payload_byte_is_named(db: &TestDb) {
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

pub(crate) async fn a_deleted_entry_is_named(db: &TestDb) {
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

pub(crate) async fn swapped_entries_are_named(db: &TestDb) {
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

pub(crate) async fn a_deleted_incident_is_named(db: &TestDb) {
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

pub(crate) async fn a_deleted_newest_incident_is_caught_by_the_signed_head(db: &TestDb) {
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

pub(crate) async fn an_export_verifies_with_python(db: &TestDb) {
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

pub(crate) async fn bad_input_is_refused_and_writes_nothing(db: &TestDb) {
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
            "is not a date and time",
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

pub(crate) async fn evidence_is_verified_when_taken_out(db: &TestDb) {
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

/// The scenario with an observable and a timeline entry on #1, so that the search documents and
/// the observable index have rows to tamper with.
fn scenario_with_index(db: &TestDb) {
    scenario(db);
    ok(
        db,
        &["observable", "add", "1", "ipv4", "203.0.113.7", "--ioc"],
    );
    ok(
        db,
        &[
            "timeline",
            "add",
            "1",
            "--at",
            "2026-11-20T09:12:00Z",
            "--description",
            "Clerk opened the attachment",
        ],
    );
    assert_eq!(debrief(db, &["verify"]).code, 0);
}

pub(crate) async fn an_edited_actor_or_time_is_named(db: &TestDb) {
    scenario(db);
    tamper(
        db,
        &[
            &format!("UPDATE journal SET actor = 'mallory' WHERE seq = 2 AND incident_id = {INC1}"),
            &format!(
                "UPDATE journal SET recorded_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 1 AND incident_id = {INC2}"
            ),
        ],
    )
    .await;
    let out = broken(db, &["verify"]);
    assert!(
        out.contains("incident #1") && out.contains("entry 2 (ledger #3): content was altered"),
        "{out}"
    );
    assert!(
        out.contains("incident #2") && out.contains("entry 1 (ledger #2): content was altered"),
        "{out}"
    );
}

/// An edit of what the pages, lists and reports read — the projection — is named by `verify`,
/// and no report or export is made from it.
pub(crate) async fn an_edited_projection_is_named_and_not_reported(db: &TestDb) {
    scenario_with_index(db);
    let edit_title = match db.backend() {
        "sqlite" => {
            "UPDATE incidents SET state = json_set(state, '$.title', 'Nothing happened') WHERE number = 1"
        }
        _ => {
            "UPDATE incidents SET state = jsonb_set(state::jsonb, '{title}', '\"Nothing happened\"')::text WHERE number = 1"
        }
    };
    tamper(db, &[edit_title]).await;
    // The edited state is what the incident shows…
    assert!(ok(db, &["incident", "show", "1"]).contains("Nothing happened"));
    // …but `verify` names it, and no report or export carries it.
    let out = broken(db, &["verify"]);
    assert!(
        out.contains("incident #1: what is stored differs from its journal: the stored state (column `state`) differs in its `title`"),
        "{out}"
    );
    assert!(broken(db, &["verify", "1"]).contains("`title`"));
    assert_eq!(debrief(db, &["verify", "2"]).code, 0, "#2 is intact");
    for args in [
        &["report", "1", "--kind", "final", "--format", "md"][..],
        &["export", "1", "--format", "stix"][..],
        &["export", "1", "--format", "csv"][..],
    ] {
        let r = debrief(db, args);
        assert_ne!(r.code, 0, "{args:?}: {}", r.stdout);
        assert!(
            r.stderr.contains("incident #1 does not verify")
                && !r.stdout.contains("Nothing happened"),
            "{args:?}: {}{}",
            r.stdout,
            r.stderr
        );
    }
    assert_eq!(
        debrief(db, &["report", "2", "--kind", "final", "--format", "md"]).code,
        0
    );
}

/// The list columns, the metrics facts, the search documents and the observable index are all
/// derived from the journal: an edit of any of them is named.
pub(crate) async fn edited_columns_facts_and_indexes_are_named(db: &TestDb) {
    scenario_with_index(db);
    tamper(
        db,
        &[
            "UPDATE incidents SET title = 'Nothing happened', status = 'closed' WHERE number = 1",
            "UPDATE incidents SET facts = '{}' WHERE number = 2",
            &format!("UPDATE search_docs SET body = 'routine maintenance', terms = 'routine maintenance' WHERE field = 'summary' AND incident_id = {INC1}"),
            &format!("DELETE FROM observable_index WHERE incident_id = {INC1}"),
            &format!("INSERT INTO search_docs (incident_id, field, body, terms) VALUES ({INC2}, 'note:9', 'planted', 'planted')"),
        ],
    )
    .await;
    let out = broken(db, &["verify"]);
    for expected in [
        "incident #1: what is stored differs from its journal: column `title` is “Nothing happened” in the database but “Phishing wave” in the journal",
        "column `status` is “closed” in the database but “investigating” in the journal",
        "incident #2: what is stored differs from its journal: the metrics facts (column `facts`) differ",
        "the search document `summary` reads “routine maintenance” but the journal says “40 messages”",
        "the observable index holds 0 row(s) where the journal has 1",
        "the search document `note:9` is not in the journal",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

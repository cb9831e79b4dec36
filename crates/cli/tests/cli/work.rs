//! The post-incident review and the metrics from the terminal.

use super::*;

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

//! Local time from the terminal: an installation in Europe/Paris types and reads its own time,
//! facts are dated when they happened, and impossible or ambiguous local times are refused.

use super::*;

/// `debrief --timezone Europe/Paris …`.
fn paris(db: &TestDb, args: &[&str]) -> Run {
    let mut all = vec!["--timezone", "Europe/Paris"];
    all.extend_from_slice(args);
    debrief(db, &all)
}

fn paris_ok(db: &TestDb, args: &[&str]) -> String {
    let r = paris(db, args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

pub async fn a_paris_night_is_recorded_as_it_happened(db: &TestDb) {
    paris_ok(
        db,
        &[
            "incident",
            "new",
            "--title",
            "Ransomware on the imaging servers",
        ],
    );
    // Stated in local time, without an offset: read in the installation's zone.
    paris_ok(
        db,
        &[
            "incident",
            "set-time",
            "1",
            "started",
            "2026-11-28T02:14",
            "--source",
            "EDR",
        ],
    );
    let show = paris_ok(db, &["incident", "show", "1"]);
    assert!(show.contains("2026-11-28 02:14 +01:00"), "{show}");
    assert!(show.contains("Times are in Europe/Paris"), "{show}");

    // Work done that night, typed in on Monday.
    paris_ok(
        db,
        &[
            "work",
            "task",
            "1",
            "Isolate the imaging VLAN",
            "--due",
            "2026-11-30",
        ],
    );
    paris_ok(
        db,
        &[
            "work",
            "task-status",
            "1",
            "1",
            "done",
            "--at",
            "2026-11-28T03:05",
        ],
    );
    paris_ok(db, &["work", "time", "1", "90", "--at", "2026-11-28"]);
    let work = json(&paris_ok(db, &["work", "list", "1", "--format", "json"]));
    assert_eq!(work["tasks"][0]["done_at"], "2026-11-28T02:05:00.000000Z");
    assert_eq!(
        work["tasks"][0]["due"], "2026-11-30T16:00:00.000000Z",
        "17:00 local"
    );
    assert_eq!(
        work["time"][0]["day"], "2026-11-27T23:00:00.000000Z",
        "local midnight"
    );

    let file = db.dir.path().join("ransom-note.txt");
    std::fs::write(&file, "YOUR FILES ARE ENCRYPTED").unwrap();
    paris_ok(
        db,
        &[
            "evidence",
            "add",
            "1",
            file.to_str().unwrap(),
            "--at",
            "2026-11-28T04:00",
        ],
    );
    paris_ok(
        db,
        &[
            "evidence",
            "custody",
            "1",
            "1",
            "transferred",
            "--to",
            "forensics lab",
            "--at",
            "2026-11-28T09:30",
        ],
    );
    let ev = json(&paris_ok(
        db,
        &["evidence", "list", "1", "--format", "json"],
    ));
    assert_eq!(ev[0]["collected_at"], "2026-11-28T03:00:00.000000Z");
    assert_eq!(ev[0]["custody"][1]["at"], "2026-11-28T08:30:00.000000Z");

    // Refused, with the reason, and nothing written.
    let before = paris_ok(db, &["incident", "journal", "1", "--format", "json"]);
    let future = paris(db, &["work", "time", "1", "30", "--at", "2099-01-01"]);
    assert_eq!(future.code, 2, "{}", future.stderr);
    assert!(future.stderr.contains("in the future"), "{}", future.stderr);
    let early = paris(
        db,
        &[
            "work",
            "task-status",
            "1",
            "1",
            "open",
            "--at",
            "2026-11-27T23:00",
        ],
    );
    assert_eq!(early.code, 2, "{}", early.stderr);
    assert!(
        early.stderr.contains("before incident #1 started"),
        "{}",
        early.stderr
    );
    let twice = paris(
        db,
        &[
            "incident",
            "set-time",
            "1",
            "contained",
            "2026-10-25T02:30",
            "--source",
            "x",
        ],
    );
    assert_eq!(twice.code, 2, "{}", twice.stderr);
    assert!(
        twice.stderr.contains("happened twice in Europe/Paris")
            && twice.stderr.contains("2026-10-25T02:30:00+02:00"),
        "{}",
        twice.stderr
    );
    let gap = paris(
        db,
        &[
            "incident",
            "set-time",
            "1",
            "contained",
            "2026-03-29T02:30",
            "--source",
            "x",
        ],
    );
    assert!(
        gap.stderr.contains("does not exist in Europe/Paris"),
        "{}",
        gap.stderr
    );
    assert_eq!(
        before,
        paris_ok(db, &["incident", "journal", "1", "--format", "json"])
    );

    // The French final report says its zone, shows the night in local time, and no raw code.
    let report = paris_ok(
        db,
        &[
            "report", "1", "--kind", "final", "--format", "md", "--lang", "fr",
        ],
    );
    assert!(report.contains("Europe/Paris"), "{report}");
    assert!(report.contains("28/11/2026 02:14"), "{report}");
    assert!(report.contains("28/11/2026 03:05"), "{report}");
    // The seal is an HTML comment for machines, not text a reader sees.
    let seen = report.split("<!-- debrief-seal").next().unwrap_or_default();
    let raw = debrief_domain::codes::raw_in(
        &seen.replace('\\', ""),
        debrief_domain::Language::Fr,
        &Default::default(),
    );
    assert!(raw.is_empty(), "raw codes {raw:?} in\n{report}");
}

/// An installation names its own sub-types in `DATA_DIR/subtypes.json`: classifying by one sets
/// its class and type and tags it; a table that maps onto no RSIT type stops every command.
pub async fn an_installation_adds_its_own_sub_types(db: &TestDb) {
    let table = db.dir.path().join("subtypes.json");
    std::fs::write(
        &table,
        r#"{"subtypes": [{"id": "sextortion", "en": "Sextortion", "fr": "Sextorsion",
            "class": "fraud", "type": "masquerade",
            "veris": {"action": {"social": {"variety": ["Extortion"], "vector": ["Email"], "target": ["Unknown"]}}}}]}"#,
    )
    .unwrap();
    paris_ok(
        db,
        &["incident", "new", "--title", "Threatening e-mails to staff"],
    );
    let out = paris_ok(db, &["triage", "classify", "1", "--subtype", "sextortion"]);
    assert!(out.contains("classified fraud/masquerade"), "{out}");
    let show = json(&paris_ok(
        db,
        &["incident", "show", "1", "--format", "json"],
    ));
    assert_eq!(show["incident"]["tags"], serde_json::json!(["sextortion"]));
    let unknown = paris(
        db,
        &["triage", "classify", "1", "--subtype", "phishing-kit"],
    );
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("ransomware, bec, insider, sextortion"),
        "{}",
        unknown.stderr
    );
    std::fs::write(
        &table,
        r#"{"subtypes": [{"id": "x", "en": "X", "fr": "X", "class": "fraud", "type": "ddos"}]}"#,
    )
    .unwrap();
    let refused = paris(db, &["incident", "show", "1"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("subtypes.json"),
        "{}",
        refused.stderr
    );
}

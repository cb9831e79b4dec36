//! Reports sealed and verified (Markdown, PDF read back with poppler), and incidents in and
//! out of spreadsheets as CSV.

use super::*;

/// A sealed report verifies; one changed byte, or an altered journal entry before the one it was
/// rendered from, makes `debrief report verify` fail and say why. Each export is a journal entry.
pub(crate) async fn a_report_verifies_until_a_byte_or_the_journal_changes(db: &TestDb) {
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
    // Three exports: three reads in the access log, none in the journal (reads are not facts
    // about the incident, and must not move its sequence under an editor).
    let shown: serde_json::Value =
        serde_json::from_str(&ok(db, &["incident", "show", "1", "--format", "json"])).unwrap();
    assert!(
        shown["incident"]["entry_kinds"]
            .get("report.exported")
            .is_none(),
        "{shown}"
    );
    let reads: serde_json::Value =
        serde_json::from_str(&ok(db, &["access-log", "1", "--format", "json"])).unwrap();
    let reads = reads.as_array().unwrap();
    assert_eq!(reads.len(), 3, "{reads:?}");
    assert!(reads.iter().all(|r| r["action"] == "report"
        && r["actor"] == "alice"
        && r["address"] == "cli"
        && r["sha256"].as_str().is_some_and(|h| h.len() == 64)));
    assert!(
        reads[0]["what"]
            .as_str()
            .unwrap()
            .starts_with("final json en"),
        "newest first: {reads:?}"
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
pub(crate) async fn incidents_come_in_from_a_spreadsheet_and_tables_go_out_as_csv(db: &TestDb) {
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
    let log = ok(db, &["access-log", "2", "--format", "csv"]);
    assert_eq!(
        log.lines().filter(|l| l.contains(",export,2,csv ")).count(),
        2,
        "each CSV export is in the access log: {log}"
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

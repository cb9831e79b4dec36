//! The incident record over the API: triage, observables, timeline, evidence, response work.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

#[tokio::test]
async fn the_record_over_the_api() {
    let f = fixture().await;
    let m = Who::Token("maria");
    let post = |path: &'static str, body: &'static str| {
        let app = f.app.clone();
        async move { call(&app, m, "POST", path, Some(body)).await }
    };
    let (s, text, _) = post(
        "/api/v1/incidents/1/severity",
        r#"{"functional":"high","information":"privacy-breach","recoverability":"extended"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let inc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(inc["severity"]["level"], 4);
    assert_eq!(inc["severity"]["reasons"][0], "functional impact high: +3");

    // Paste a defanged report: observables are extracted, refanged and linked across incidents.
    let (s, _, _) = post(
        "/api/v1/incidents/2/observables",
        r#"{"kind":"ipv4","value":"203.0.113.7","ioc":true}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, text, _) = post(
        "/api/v1/incidents/1/observables/extract",
        r#"{"text":"Beacon to 203[.]0.113.7 from hxxps://cdn-update[.]example/p.js, sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709","ioc":true}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    let added: Vec<(String, String)> = r["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().into(),
                o["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        added,
        vec![
            ("ipv4".into(), "203.0.113.7".into()),
            ("url".into(), "https://cdn-update.example/p.js".into()),
            (
                "sha1".into(),
                "da39a3ee5e6b4b0d3255bfef95601890afd80709".into()
            ),
        ]
    );
    assert_eq!(r["added"][0]["also_in"], serde_json::json!([2]));
    let (_, text, _) = post(
        "/api/v1/incidents/1/observables/extract",
        r#"{"text":"again 203.0.113.7"}"#,
    )
    .await;
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (
            r["added"].as_array().unwrap().len(),
            r["already_known"].as_u64()
        ),
        (0, Some(1))
    );

    // Timeline with ATT&CK.
    let (s, text, _) = post("/api/v1/incidents/1/timeline", r#"{"occurred_at":"2026-11-20T10:15:00+01:00","description":"Clerk opened the invoice","source":"interview","technique":"T1204.002","tactic":"TA0002","observables":[2]}"#).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let (_, text, _) = call(&f.app, m, "GET", "/api/v1/incidents/1/timeline", None).await;
    let tl: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(tl[0]["tactic"], "execution");
    assert_eq!(tl[0]["occurred_at"], "2026-11-20T09:15:00.000000Z");

    // Search finds the timeline entry and the observable.
    let (_, text, _) = call(&f.app, m, "GET", "/api/v1/search?q=invoice%20clerk", None).await;
    let hits: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(hits[0]["number"], 1);
    assert_eq!(hits[0]["field"], "timeline:1");
    let (_, text, _) = call(
        &f.app,
        m,
        "GET",
        "/api/v1/observables?value=203[.]0.113.7&kind=ipv4",
        None,
    )
    .await;
    let seen: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen.as_array().unwrap().len(), 2);

    // Bad input: a clear problem, nothing written.
    let bad: &[(&str, &str, u16, &str)] = &[
        (
            "/api/v1/incidents/1/observables",
            r#"{"kind":"ipv4","value":"300.1.2.3"}"#,
            422,
            "not a valid ipv4",
        ),
        (
            "/api/v1/incidents/1/observables",
            r#"{"kind":"md5","value":"xyz"}"#,
            422,
            "32 hexadecimal digits",
        ),
        (
            "/api/v1/incidents/1/observables",
            r#"{"kind":"colour","value":"red"}"#,
            422,
            "unknown observable type",
        ),
        (
            "/api/v1/incidents/1/timeline",
            r#"{"occurred_at":"2026-11-20T09:00:00Z","description":"x","technique":"T99"}"#,
            422,
            "T1234.001",
        ),
        (
            "/api/v1/incidents/1/timeline",
            r#"{"occurred_at":"2026-11-20T09:00:00Z","description":"x","tactic":"pivot"}"#,
            422,
            "unknown ATT&CK tactic",
        ),
        (
            "/api/v1/incidents/1/timeline",
            r#"{"occurred_at":"2026-11-20T09:00:00Z","description":"x","observables":[99]}"#,
            422,
            "no observable 99",
        ),
        (
            "/api/v1/incidents/1/classification",
            r#"{"class":"fraud","type":"ddos"}"#,
            422,
            "unknown type for class",
        ),
        (
            "/api/v1/incidents/1/severity",
            r#"{"functional":"huge","information":"none","recoverability":"regular"}"#,
            422,
            "unknown functional impact",
        ),
        (
            "/api/v1/incidents/1/markings",
            r#"{"tlp":"white"}"#,
            422,
            "unknown TLP",
        ),
        (
            "/api/v1/incidents/1/members",
            r#"{"user":"hera","role":"boss"}"#,
            422,
            "unknown incident role",
        ),
    ];
    let (_, before, _) = call(&f.app, m, "GET", "/api/v1/incidents/1/journal", None).await;
    for (path, body, status, message) in bad {
        let (s, text, _) = call(&f.app, m, "POST", path, Some(body)).await;
        assert_eq!(s.as_u16(), *status, "{path} {body}: {text}");
        assert!(text.contains(message), "{path} {body}: {text}");
    }
    let (_, after, _) = call(&f.app, m, "GET", "/api/v1/incidents/1/journal", None).await;
    assert_eq!(before, after, "nothing was written");
}

#[tokio::test]
async fn evidence_is_hashed_stored_by_content_and_rechecked_on_download() {
    let f = fixture().await;
    let content: &[u8] = b"MZ\x90\x00 not really a PE file, but evidence all the same";
    let upload = |who, path: &str| {
        multipart(
            who,
            path,
            &[
                ("collected_from", None, b"WS-042"),
                ("collected_at", None, b"2026-11-20T11:00:00Z"),
                ("file", Some("C:\\Users\\x\\dropper.exe"), content),
            ],
        )
    };
    // Viewers cannot upload; nothing is stored for them.
    let (s, text, _, _) = send(
        &f.app,
        upload(Who::Token("vic"), "/api/v1/incidents/1/evidence"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{text}");
    assert!(!f.state.config.evidence_dir.join("sha256").exists());

    let (s, text, _, _) = send(
        &f.app,
        upload(Who::Token("hank"), "/api/v1/incidents/1/evidence"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let ev: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content));
    assert_eq!(ev["sha256"], sha);
    assert_eq!(ev["name"], "dropper.exe");
    assert_eq!(ev["collected_by"], "hank");
    assert_eq!(ev["custody"][0]["action"], "collected");
    let on_disk = f
        .state
        .config
        .evidence_dir
        .join("sha256")
        .join(&sha[..2])
        .join(&sha);
    assert_eq!(std::fs::read(&on_disk).unwrap(), content);

    // The same file again is refused as a duplicate; custody can be recorded.
    let (s, _, _, _) = send(
        &f.app,
        upload(Who::Token("hank"), "/api/v1/incidents/1/evidence"),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/incidents/1/evidence/1/custody",
        Some(r#"{"action":"transferred","from":"hank","to":"forensics lab","location":"safe 3"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");

    // Download: the exact bytes, with the hash in a header.
    let req = Request::builder()
        .uri("/api/v1/incidents/1/evidence/1/content")
        .header(header::AUTHORIZATION, "Bearer tok-vic")
        .body(Body::empty())
        .unwrap();
    let (s, _, headers, bytes) = send(&f.app, req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bytes, content);
    assert_eq!(headers["x-content-sha256"], sha.as_str());
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("dropper.exe")
    );

    // Tamper with the stored file: the download is refused with a clear problem.
    std::fs::write(&on_disk, b"MZ patched").unwrap();
    let req = Request::builder()
        .uri("/api/v1/incidents/1/evidence/1/content")
        .header(header::AUTHORIZATION, "Bearer tok-vic")
        .body(Body::empty())
        .unwrap();
    let (s, text, headers, _) = send(&f.app, req).await;
    assert_eq!(s, StatusCode::CONFLICT, "{text}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(
        text.contains("no longer matches its SHA-256") && text.contains("must not be used"),
        "{text}"
    );

    // Oversize uploads are refused and leave nothing behind.
    let big = vec![b'x'; 70 * 1024];
    let req = multipart(
        Who::Token("maria"),
        "/api/v1/incidents/1/evidence",
        &[("file", Some("big.bin"), &big)],
    );
    let (s, text, _, _) = send(&f.app, req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(text.contains("65536 bytes"), "{text}");
    assert_eq!(
        std::fs::read_dir(f.state.config.evidence_dir.join("tmp"))
            .unwrap()
            .count(),
        0
    );
    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents/1/evidence",
        None,
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&text)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_response_work_over_the_api() {
    let f = fixture().await;
    let m = Who::Token("maria");
    for (path, body) in [
        // The attack started the day before: the work below is dated after that.
        (
            "/api/v1/incidents/1/milestones",
            r#"{"milestone":"started","at":"2026-11-19T22:00:00Z","source":"EDR"}"#,
        ),
        (
            "/api/v1/incidents/1/assets",
            r#"{"kind":"account","name":"j.doe","criticality":"high","compromise":"confirmed"}"#,
        ),
        (
            "/api/v1/incidents/1/actions",
            r#"{"kind":"containment","description":"Disabled j.doe and revoked sessions","outcome":"no further logins","at":"2026-11-20T10:30:00Z"}"#,
        ),
        (
            "/api/v1/incidents/1/tasks",
            r#"{"title":"Review mailbox rules","owner":"hank","due":"2026-11-22T17:00:00Z"}"#,
        ),
        (
            "/api/v1/incidents/1/notes",
            r#"{"kind":"interview","text":"Opened the invoice at 09:12","interviewee":"finance clerk"}"#,
        ),
        (
            "/api/v1/incidents/1/time",
            r#"{"minutes":90,"activity":"containment"}"#,
        ),
        (
            "/api/v1/incidents/1/time",
            r#"{"minutes":30,"activity":"report","user":"hank"}"#,
        ),
    ] {
        let (s, text, _) = call(&f.app, m, "POST", path, Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {text}");
    }
    let (s, text, _) = call(
        &f.app,
        m,
        "PATCH",
        "/api/v1/incidents/1/tasks/1",
        Some(r#"{"status":"done"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let (_, text, _) = call(&f.app, m, "GET", "/api/v1/incidents/1/work", None).await;
    let w: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(w["minutes_logged"], 120);
    assert_eq!(w["tasks"][0]["status"], "done");
    assert_eq!(w["actions"][0]["kind"], "containment");
    assert_eq!(w["actions"][0]["by"], "maria");
    assert_eq!(w["notes"][0]["interviewee"], "finance clerk");
    // Notes and tasks are searchable.
    let (_, text, _) = call(&f.app, m, "GET", "/api/v1/search?q=mailbox%20rules", None).await;
    assert!(text.contains("task:1"), "{text}");
    // Bad input.
    for (path, body, msg) in [
        (
            "/api/v1/incidents/1/time",
            r#"{"minutes":0}"#,
            "between 1 and 1440",
        ),
        (
            "/api/v1/incidents/1/actions",
            r#"{"kind":"prayer","description":"x"}"#,
            "unknown action kind",
        ),
        (
            "/api/v1/incidents/1/notes",
            r#"{"kind":"interview","text":"x"}"#,
            "interviewee must not be empty",
        ),
        (
            "/api/v1/incidents/1/assets",
            r#"{"kind":"host","name":"  "}"#,
            "name must not be empty",
        ),
    ] {
        let (s, text, _) = call(&f.app, m, "POST", path, Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}: {text}");
        assert!(text.contains(msg), "{path}: {text}");
    }
}

#[tokio::test]
async fn one_incident_exports_as_csv_and_the_export_is_journaled() {
    let f = fixture().await;
    let m = Who::Token("maria");
    let (s, text, _) = call(
        &f.app,
        m,
        "POST",
        "/api/v1/incidents/1/observables",
        Some(r#"{"kind":"domain","value":"invoice-portal.example","ioc":true,"description":"lure, \"billing\""}"#),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let (s, text, h) = call(
        &f.app,
        m,
        "GET",
        "/api/v1/incidents/1/export?format=csv&table=observables",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        text,
        "incident,kind,value,ioc,sighted,description\n1,domain,invoice-portal.example,true,false,\"lure, \"\"billing\"\"\"\n"
    );
    let (s, text, _) = call(
        &f.app,
        m,
        "GET",
        "/api/v1/incidents/1/export?format=csv&table=alerts",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("`alerts` is not a table"), "{text}");
    // The incident page's Reports form: the attack timeline as a CSV download.
    let (s, text, h) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/incidents/1/reports",
        Some("kind=csv&format=md&lang=en"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("incident-1-timeline.csv"),
        "{h:?}"
    );
    assert!(text.starts_with("incident,id,occurred_at,technique,description\n"));
    // Both exports are in the access log (who, what, from where), none in the journal.
    let id = f.state.store.resolve("1").await.unwrap();
    let i = f.state.store.incident(id).await.unwrap();
    assert_eq!(i.entry_kinds.get("report.exported"), None);
    let (s, log, _) = call(&f.app, m, "GET", "/api/v1/incidents/1/access-log", None).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    let whats: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    assert_eq!(whats.len(), 2, "{log}");
    assert!(whats[0].starts_with("csv timeline") && whats[1].starts_with("csv observables"));
    assert!(log[0]["actor"] == "maria" && log[0]["action"] == "export");
    let (s, csv, h) = call(
        &f.app,
        m,
        "GET",
        "/api/v1/incidents/1/access-log?format=csv",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.starts_with("at,actor,action,incident,what,sha256,address\n"),
        "{csv}"
    );
    // Handlers and viewers do not see who read what.
    for who in ["hank", "vic"] {
        let (s, _, _) = call(&f.app, Who::Token(who), "GET", "/api/v1/access-log", None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

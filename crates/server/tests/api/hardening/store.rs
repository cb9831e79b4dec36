//! The findings that involve the store, on SQLite and PostgreSQL: dates at intake and unreadable
//! rows, TheHive refusals, concurrent batches, reads kept out of the journal, control characters.

use axum::http::StatusCode;
use debrief_store::testing::TestDb;
use serde_json::{Value, json};

use super::*;

/// Finding 1: a date before 1970 (or after 9999) is refused at intake with a problem naming the
/// field, on every route that takes one; a stored one (from before the fix) never takes a list
/// down.
pub(crate) async fn out_of_range_dates_are_refused_and_lists_survive(db: TestDb) {
    let f = fixture_on(db, |_| {}).await;
    let before = entries(&f).await;
    for (path, body, field) in [
        (
            "/api/v1/alerts",
            json!({"type":"t","source":"s","sourceRef":"d1","title":"x","date":-1}),
            "date",
        ),
        (
            "/api/v1/alerts",
            json!({"type":"t","source":"s","sourceRef":"d2","title":"x","date":253_402_300_800_000_i64}),
            "date",
        ),
        (
            "/api/v1/alerts",
            json!({"type":"t","source":"s","sourceRef":"d3","title":"x","date":"1969-07-20T20:17:00Z"}),
            "date",
        ),
        (
            "/api/v1/alerts",
            json!([{"type":"t","source":"s","sourceRef":"d4","title":"x"},
            {"type":"t","source":"s","sourceRef":"d5","title":"x","date":i64::MIN}]),
            "date",
        ),
        (
            "/api/v1/alert",
            json!({"type":"t","source":"s","sourceRef":"d6","title":"x","description":"d","date":-5}),
            "date",
        ),
        (
            "/api/v1/case",
            json!({"title":"x","description":"d","startDate":-1}),
            "startDate",
        ),
        (
            "/api/v1/case",
            json!({"title":"x","startDate":1e300}),
            "startDate",
        ),
        ("/api/v1/case/1", json!({"startDate":-1}), "startDate"),
        (
            "/api/v1/case/1/observable",
            json!({"dataType":"ip","data":"203.0.113.7","startDate":-1}),
            "startDate",
        ),
    ] {
        let method = if path == "/api/v1/case/1" {
            "PATCH"
        } else {
            "POST"
        };
        let (s, text, h) = call(
            &f.app,
            Who::Token("maria"),
            method,
            path,
            Some(&body.to_string()),
        )
        .await;
        assert_problem(s, &text, &h, field);
    }
    assert_eq!(
        entries(&f).await,
        before,
        "a refused request writes nothing"
    );
    lists_answer(&f).await;

    // An alert stored before the fix with a date before 1970, and one whose row is unreadable:
    // the lists, the alert's page and its triage go on.
    for r in ["old-1", "old-2"] {
        let (s, text, _) = call(
            &f.app,
            Who::Token("hank"),
            "POST",
            "/api/v1/alerts",
            Some(&json!({"type":"t","source":"s","sourceRef":r,"title":r,"date":"2026-11-23T10:00:00Z"}).to_string()),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{text}");
    }
    raw_sql(
        &f.db,
        "UPDATE alerts SET state = REPLACE(state, '2026-11-23T10:00:00.000000Z', '1969-12-31T23:59:59.995000Z') WHERE number = 2;
         UPDATE alerts SET state = '{\"not\": \"an alert\"}' WHERE number = 3;",
    )
    .await;
    lists_answer(&f).await;
    let (s, text, _) = call(&f.app, Who::Token("maria"), "GET", "/api/v1/alerts/2", None).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(parse(&text)["alert"]["occurred_at"], Value::Null);
    let (s, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/alerts/2/acknowledge",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let (_, text, _) = call(&f.app, Who::Token("maria"), "GET", "/api/v1/alerts", None).await;
    let numbers: Vec<i64> = parse(&text)["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_i64().unwrap())
        .collect();
    assert!(numbers.contains(&2) && !numbers.contains(&3), "{numbers:?}");
    f.db.cleanup().await;
}

/// Finding 8: TheHive's routes check every field — against the case as it will be — before
/// they write; a refused request writes nothing.
pub(crate) async fn thehive_routes_write_nothing_when_refused(db: TestDb) {
    let f = fixture_on(db, |_| {}).await;
    let tomorrow_ms = (debrief_domain::Timestamp::now().as_micros() / 1000) + 86_400_000;
    let before = entries(&f).await;
    for (method, path, body, who) in [
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","severity":-1}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","severity":9}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","tlp":7}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","status":"Bogus"}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","tags":"not-a-list"}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","startDate":tomorrow_ms}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","assignee":"vic"}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","assignee":"hera"}),
            "hank",
        ),
        (
            "POST",
            "/api/v1/case",
            json!({"title":"x","tags":["ok","bad\u{0}tag"]}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/alert/1/case",
            json!({"severity":9}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/alert/1/case",
            json!({"startDate":-1}),
            "maria",
        ),
        (
            "POST",
            "/api/v1/alert/1/case",
            json!({"status":"InProgress","title":""}),
            "maria",
        ),
        (
            "PATCH",
            "/api/v1/case/1",
            json!({"title":"renamed","severity":7}),
            "maria",
        ),
        (
            "PATCH",
            "/api/v1/case/2",
            json!({"title":"renamed"}),
            "hank",
        ),
        (
            "PATCH",
            "/api/v1/alert/1",
            json!({"assignee":"hank","status":"Bogus"}),
            "maria",
        ),
        (
            "PATCH",
            "/api/v1/alert/1",
            json!({"assignee":"hank","status":"Imported"}),
            "maria",
        ),
        (
            "PATCH",
            "/api/v1/alert/1",
            json!({"assignee":"hank","summary":7}),
            "maria",
        ),
    ] {
        let (s, text, _) = call(
            &f.app,
            Who::Token(who),
            method,
            path,
            Some(&body.to_string()),
        )
        .await;
        assert!(
            s.is_client_error(),
            "{method} {path} {body} as {who}: {s} {text}"
        );
        assert_eq!(
            entries(&f).await,
            before,
            "{method} {path} {body}: wrote a journal entry"
        );
    }
    let (_, text, _) = call(&f.app, Who::Token("maria"), "GET", "/api/v1/alerts/1", None).await;
    let alert = &parse(&text)["alert"];
    assert_eq!(alert["status"], "new", "{alert}");
    assert_eq!(alert["assignee"], Value::Null, "{alert}");
    let (_, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "GET",
        "/api/v1/incidents",
        None,
    )
    .await;
    assert_eq!(
        parse(&text)["items"].as_array().unwrap().len(),
        2,
        "no case was opened"
    );
    // The same fields, right, are taken.
    let (s, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/case",
        Some(&json!({"title":"Ransomware","severity":3,"tlp":2,"tags":["ransomware"],"assignee":"hank","status":"InProgress"}).to_string()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    assert_eq!(parse(&text)["assignee"], "hank");
    f.db.cleanup().await;
}

/// Finding 3 through the API: batches sent at once from several connections never answer 5xx
/// and every alert gets its own number.
pub(crate) async fn concurrent_batches_get_no_server_error(db: TestDb) {
    let f = fixture_on(db, |_| {}).await;
    let mut tasks = Vec::new();
    for sender in 0..4 {
        let app = f.app.clone();
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for batch in 0..10 {
                let alerts: Vec<Value> = (0..10)
                    .map(|n| json!({"type":"edr","source":"edr","sourceRef":format!("{sender}-{batch}-{n}"),"title":"Beacon"}))
                    .collect();
                let (s, _, _) = call(&app, Who::Token("hank"), "POST", "/api/v1/alerts", Some(&Value::Array(alerts).to_string())).await;
                statuses.push(s);
            }
            statuses
        }));
    }
    for t in tasks {
        for s in t.await.unwrap() {
            assert_eq!(s, StatusCode::OK);
        }
    }
    let (_, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "GET",
        "/api/v1/alerts?limit=500",
        None,
    )
    .await;
    let mut numbers: Vec<i64> = parse(&text)["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_i64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=401).collect::<Vec<_>>());
    f.db.cleanup().await;
}

/// Finding 11: reads are kept in the access log, so a crowd of readers never makes an editor's
/// expected sequence stale.
pub(crate) async fn readers_do_not_move_the_journal(db: TestDb) {
    let f = fixture_on(db, |_| {}).await;
    let (_, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "GET",
        "/api/v1/incidents/1",
        None,
    )
    .await;
    let seq = parse(&text)["seq"].as_u64().unwrap();
    for path in [
        "/api/v1/incidents/1/reports/final",
        "/api/v1/incidents/1/reports/postmortem?format=json",
        "/api/v1/incidents/1/export?format=stix",
        "/api/v1/incidents/1/export?format=csv",
    ] {
        for _ in 0..5 {
            let (s, text, _) = call(&f.app, Who::Token("vic"), "GET", path, None).await;
            assert_eq!(s, StatusCode::OK, "{path}: {text}");
        }
    }
    let (s, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "PATCH",
        "/api/v1/incidents/1",
        Some(&json!({"summary":"edited after 20 reads","expected_seq":seq}).to_string()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let log = f
        .state
        .store
        .access_log(debrief_store::access::AccessScope::All, 100)
        .await
        .unwrap();
    assert_eq!(log.len(), 20);
    assert!(log.iter().all(|r| r.actor == "vic" && r.number == Some(1)));
    f.db.cleanup().await;
}

/// Finding 12: control characters never reach the record, whatever the field or channel; line
/// breaks are stored the same whichever the channel sent.
pub(crate) async fn control_characters_are_refused_everywhere(db: TestDb) {
    let f = fixture_on(db, |_| {}).await;
    let before = entries(&f).await;
    for (path, body) in [
        (
            "/api/v1/incidents/1/recommendations",
            json!({"action":"patch\u{0}now","type":"prevent","impact":3,"effort":2}),
        ),
        (
            "/api/v1/incidents/1/recommendations",
            json!({"action":"patch \u{202e}gpj.exe","type":"prevent","impact":3,"effort":2}),
        ),
        (
            "/api/v1/incidents/1/timeline",
            json!({"occurred_at":"2026-11-20T09:00:00Z","description":"bell\u{7}"}),
        ),
        (
            "/api/v1/incidents/1/notes",
            json!({"kind":"note","text":"esc\u{1b}[31m"}),
        ),
        ("/api/v1/incidents/1/tags", json!({"add":["a\u{0}b"]})),
        (
            "/api/v1/incidents/1/postmortem/root-causes",
            json!({"category":"process","text":"x","whys":["why\u{0}"]}),
        ),
        (
            "/api/v1/incidents/1/info-requests",
            json!({"to":"legal","question":"q\u{85}?"}),
        ),
        (
            "/api/v1/incidents",
            json!({"title":"Scan","summary":"a\u{0}b"}),
        ),
    ] {
        let (s, text, _) = call(
            &f.app,
            Who::Token("maria"),
            "POST",
            path,
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {text}");
        assert!(
            parse(&text)["detail"]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{text}"
        );
    }
    let (s, text, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/incidents/1/recommendations",
        Some("action=patch%00now&type=prevent&impact=3&effort=2"),
    )
    .await;
    assert!(s.is_client_error(), "the form too: {s} {text}");
    assert_eq!(entries(&f).await, before, "nothing was written");
    // CRLF from a form and LF from the API are the same text.
    let (s, _, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/incidents/1/notes",
        Some(&json!({"kind":"note","text":"line one\r\nline two"}).to_string()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let id = f.state.store.resolve("1").await.unwrap();
    let i = f.state.store.incident(id).await.unwrap();
    assert_eq!(i.notes.last().unwrap().text, "line one\nline two");
    f.db.cleanup().await;
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(debrief_store::testing::TestDb::sqlite()).await;
                }
            )*
        }
        #[cfg(postgres_tests)]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(debrief_store::testing::TestDb::postgres().await).await;
                }
            )*
        }
    };
}

on_both_backends!(
    out_of_range_dates_are_refused_and_lists_survive,
    thehive_routes_write_nothing_when_refused,
    concurrent_batches_get_no_server_error,
    readers_do_not_move_the_journal,
    control_characters_are_refused_everywhere,
);

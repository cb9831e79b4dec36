//! The security probe's findings, each pinned by a test that failed before its fix: timestamps
//! out of range at intake and unreadable stored values, TheHive routes that wrote before they
//! validated, the sign-in limits under concurrency and behind proxies, open redirects, webhook
//! secrets, HSTS, spreadsheet formulas, control characters, passwords, and reads kept out of the
//! journal. The tests that involve the store run on SQLite and, when `DEBRIEF_TEST_POSTGRES_URL`
//! is set at build time, on PostgreSQL.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use debrief_store::testing::TestDb;
use serde_json::{Value, json};

use crate::support::*;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A request from a given peer address, with extra headers.
fn from_peer(
    method: &str,
    path: &str,
    peer: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .unwrap();
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

/// The ledger's head: how many journal entries the whole database holds.
async fn entries(f: &Fixture) -> i64 {
    f.state.store.head().await.unwrap().gseq
}

/// Runs SQL on the fixture's database directly.
async fn raw_sql(db: &TestDb, sql: &str) {
    db.raw_sql(sql).await;
}

fn assert_problem(status: StatusCode, text: &str, headers: &header::HeaderMap, naming: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(
        parse(text)["detail"]
            .as_str()
            .unwrap_or("")
            .contains(naming),
        "the problem should name `{naming}`: {text}"
    );
}

/// Every list an alert appears in answers.
async fn lists_answer(f: &Fixture) {
    for (who, path) in [
        (Who::Token("maria"), "/api/v1/alerts"),
        (Who::Token("maria"), "/api/v1/alerts?status=new"),
        (Who::Session("maria"), "/alerts"),
        (Who::Session("vic"), "/reports"),
        (Who::Session("maria"), "/alerts/1"),
    ] {
        let (s, text, _) = call(&f.app, who, "GET", path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {text}");
    }
    let (s, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/query",
        Some(r#"{"query":[{"_name":"listAlert"}]}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "TheHive listAlert: {text}");
}

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

/// Finding 2: at most five password checks per user per window, however many attempts arrive
/// at once and from wherever; a per-address limit on top; `X-Forwarded-For` believed only from a
/// trusted proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sign_ins_cannot_get_around_the_limit() {
    let f = fixture_with(|c| {
        c.trusted_proxies = debrief_server::auth::Proxies::parse(&["10.0.0.1".into()]).unwrap();
    })
    .await;
    // 60 wrong passwords for hank at once, from 60 addresses (through the trusted proxy).
    let mut tasks = Vec::new();
    for n in 0..60 {
        let app = f.app.clone();
        tasks.push(tokio::spawn(async move {
            let wrong = n != 59;
            let password = if wrong {
                "wrong-password-123".to_string()
            } else {
                "password-of-hank".to_string()
            };
            basic(&app, "hank", &password, &format!("198.51.100.{n}")).await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    // A check answers 401 (wrong) or 200 (right); the rest were refused before any check (429).
    let checks = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED || **s == StatusCode::OK)
        .count();
    assert!(checks <= LIMIT, "{checks} password checks: {statuses:?}");
    assert!(
        statuses.iter().all(|s| [
            StatusCode::UNAUTHORIZED,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
        .contains(s)),
        "{statuses:?}"
    );
    // Now even the right password is refused (the window is used up), from anywhere.
    let (s, _) = login_from(&f, "hank", "password-of-hank", "10.0.0.1", "203.0.113.50").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

    // Per address: 30 checks from one address, for 30 user names, and that address is done.
    for n in 0..30 {
        let (s, _) = login_from(&f, &format!("nobody{n}"), "x", "10.0.0.1", "192.0.2.7").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _) = login_from(&f, "someone-else", "x", "10.0.0.1", "192.0.2.7").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _) = login_from(&f, "someone-else", "x", "10.0.0.1", "192.0.2.8").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "another address goes on");
    // A client that is not the proxy cannot choose its address with X-Forwarded-For: it is
    // counted as itself.
    for n in 0..30 {
        let (s, _) = login_from(
            &f,
            &format!("spoof{n}"),
            "x",
            "192.0.2.99",
            &format!("198.18.0.{n}"),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _) = login_from(&f, "spoof-more", "x", "192.0.2.99", "198.18.1.1").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

const LIMIT: usize = debrief_server::auth::LoginLimiter::PER_USER as usize;

/// One Basic-authenticated API call through the trusted proxy, from `client`.
async fn basic(app: &axum::Router, user: &str, password: &str, client: &str) -> StatusCode {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let req = from_peer(
        "GET",
        "/api/v1/me",
        "10.0.0.1",
        &[
            ("authorization", &format!("Basic {auth}")),
            ("x-forwarded-for", client),
        ],
        None,
    );
    send(app, req).await.0
}

/// A sign-in through the login form from `peer`, claiming `forwarded` in X-Forwarded-For.
async fn login_from(
    f: &Fixture,
    user: &str,
    password: &str,
    peer: &str,
    forwarded: &str,
) -> (StatusCode, header::HeaderMap) {
    let token = "login-csrf-token";
    let req = from_peer(
        "POST",
        "/login",
        peer,
        &[
            ("cookie", &format!("debrief_login_csrf={token}")),
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-forwarded-for", forwarded),
        ],
        Some(format!(
            "username={user}&password={password}&next=/incidents&_csrf={token}"
        )),
    );
    let (s, _, h, _) = send(&f.app, req).await;
    (s, h)
}

/// Concurrent requests with the same right Basic credentials all pass (the first check serves
/// the others), without more than the limit of password checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_basic_clients_with_the_right_password_pass() {
    let f = fixture().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app = f.app.clone();
        tasks.push(tokio::spawn(async move {
            basic(&app, "hank", "password-of-hank", "198.51.100.1").await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
}

/// Finding 4: after signing in (and after switching language), only a path on this origin is
/// followed.
#[tokio::test]
async fn redirects_stay_on_this_origin() {
    let f = fixture().await;
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/%20/evil.example",
    ] {
        let token = "t";
        let req = Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::COOKIE, format!("debrief_login_csrf={token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "username=vic&password=password-of-vic&next={next}&_csrf={token}"
            )))
            .unwrap();
        let (s, text, h, _) = send(&f.app, req).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{next}: {text}");
        assert_eq!(h[header::LOCATION], "/incidents", "{next}");
        let (s, _, h) = call(
            &f.app,
            Who::Session("vic"),
            "POST",
            "/settings/language",
            Some(&format!("lang=fr&back={next}")),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(h[header::LOCATION], "/incidents", "back={next}");
        // The login page does not carry it into its form either.
        let (_, page, _) = call(
            &f.app,
            Who::Anonymous,
            "GET",
            &format!("/login?next={next}"),
            None,
        )
        .await;
        assert!(!page.contains("evil.example"), "{next}");
    }
}

/// Finding 5: webhook URLs are credentials — only those who manage the directory see them.
#[tokio::test]
async fn webhook_urls_are_shown_only_to_directory_managers() {
    let f = fixture().await;
    let secret = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXSECRET";
    let (s, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/stakeholders",
        Some(
            &json!({"name":"SOC channel","kind":"group","scope":"internal","category":"it",
            "webhook_url":secret,"webhook_format":"slack"})
            .to_string(),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    for (who, sees) in [
        ("root", true),
        ("maria", true),
        ("hank", false),
        ("vic", false),
    ] {
        let (s, text, _) = call(&f.app, Who::Token(who), "GET", "/api/v1/stakeholders", None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(text.contains("XXXXXXXXSECRET"), sees, "{who}: {text}");
        if !sees {
            assert!(text.contains("https://hooks.slack.com/…"), "{who}: {text}");
        }
        let (_, page, _) = call(&f.app, Who::Session(who), "GET", "/directory", None).await;
        assert!(!page.contains("XXXXXXXXSECRET"), "{who}'s page");
    }
    assert!(!format!("{:?}", f.state.store.list_stakeholders().await.unwrap()).contains("SECRET"));
}

/// Finding 13: HSTS when the request came over HTTPS through a trusted proxy, never on a
/// stranger's say-so.
#[tokio::test]
async fn hsts_is_sent_over_https_behind_a_trusted_proxy() {
    let f = fixture_with(|c| {
        c.trusted_proxies = debrief_server::auth::Proxies::parse(&["10.0.0.0/8".into()]).unwrap();
    })
    .await;
    for (peer, proto, hsts) in [
        ("10.1.2.3", Some("https"), true),
        ("10.1.2.3", None, false),
        ("10.1.2.3", Some("http"), false),
        ("192.0.2.1", Some("https"), false),
    ] {
        let mut headers = vec![];
        if let Some(p) = proto {
            headers.push(("x-forwarded-proto", p));
        }
        let (_, _, h, _) = send(&f.app, from_peer("GET", "/login", peer, &headers, None)).await;
        assert_eq!(
            h.get(header::STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap().to_string()),
            hsts.then(|| "max-age=31536000; includeSubDomains".to_string()),
            "{peer} {proto:?}"
        );
    }
    let (_, _, h, _) = send(
        &f.app,
        from_peer(
            "GET",
            "/login",
            "10.9.9.9",
            &[("forwarded", "for=192.0.2.60;proto=https")],
            None,
        ),
    )
    .await;
    assert!(h.contains_key(header::STRICT_TRANSPORT_SECURITY));
}

/// Finding 9: text that would run as a spreadsheet formula is written as text in every CSV.
#[tokio::test]
async fn csv_cells_never_start_a_formula() {
    let f = fixture().await;
    for description in [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "=cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "+1+1",
        "-2+3",
    ] {
        let (s, text, _) = call(
            &f.app,
            Who::Token("maria"),
            "POST",
            "/api/v1/incidents/1/timeline",
            Some(
                &json!({"occurred_at":"2026-11-20T09:00:00Z","description":description})
                    .to_string(),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{text}");
    }
    let (s, csv, _) = call(
        &f.app,
        Who::Token("maria"),
        "GET",
        "/api/v1/incidents/1/export?format=csv",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let cells: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(4).unwrap().to_string())
        .collect();
    assert_eq!(cells.len(), 5, "{csv}");
    for c in &cells {
        assert!(c.starts_with('\''), "{c:?} in\n{csv}");
    }
}

/// Finding 10: weak passwords and the account's own name are refused; a generated password
/// must be changed at the first sign-in before anything else.
#[tokio::test]
async fn weak_passwords_are_refused_and_given_ones_changed_first() {
    let f = fixture().await;
    for weak in [
        "aaaaaaaaaaaa",
        "            ",
        "nina-nina-nina",
        "password1234",
    ] {
        let (s, text, _) = call(
            &f.app,
            Who::Token("root"),
            "POST",
            "/api/v1/users",
            Some(&json!({"username":"nina","role":"viewer","password":weak}).to_string()),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{weak:?}: {text}");
    }
    // Created with a generated password: her first sign-in leads to the password page only.
    let (s, text, _) = call(
        &f.app,
        Who::Token("root"),
        "POST",
        "/api/v1/users",
        Some(r#"{"username":"nina","role":"handler"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let given = parse(&text)["password"].as_str().unwrap().to_string();
    let (s, headers, _) = login(&f.app, "nina", &given).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("debrief_session="))
        .unwrap();
    let session = cookie.split(';').next().unwrap().to_string();
    let get = |path: &str| {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, session.clone())
            .body(Body::empty())
            .unwrap()
    };
    let (s, _, h, _) = send(&f.app, get("/incidents")).await;
    assert_eq!(
        (s, &h[header::LOCATION]),
        (
            StatusCode::SEE_OTHER,
            &"/settings/password".parse().unwrap()
        )
    );
    let (s, text, _, _) = send(&f.app, get("/api/v1/incidents")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{text}");
    let (s, page, _, _) = send(&f.app, get("/settings/password")).await;
    assert_eq!(s, StatusCode::OK);
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let change = |current: &str, new: &str| {
        Request::builder()
            .method("POST")
            .uri("/settings/password")
            .header(header::COOKIE, session.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "_csrf={csrf}&current={}&new={}&confirm={}",
                urlencode(current),
                urlencode(new),
                urlencode(new)
            )))
            .unwrap()
    };
    let (s, _, _, _) = send(&f.app, change(&given, "nina12345678")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "her own name");
    let (s, _, _, _) = send(
        &f.app,
        change("not her password", "tartine velo orage piano"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, h, _) = send(&f.app, change(&given, "tartine velo orage piano")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let fresh = h
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("debrief_session="))
        .unwrap();
    // The old session is over; the new one works everywhere.
    let (s, _, _, _) = send(&f.app, get("/incidents")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let req = Request::builder()
        .uri("/incidents")
        .header(header::COOKIE, fresh.split(';').next().unwrap())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&f.app, req).await.0, StatusCode::OK);
    let (s, _, _) = login(&f.app, "nina", "tartine%20velo%20orage%20piano").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

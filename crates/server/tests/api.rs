//! Router tests of the JSON API and the pages, without a socket (`oneshot`), on a real SQLite
//! store: the whole role matrix, authentication, CSRF, problem+json errors.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use debrief_domain::text::Actor;
use debrief_domain::{NewIncident, Role, Username};
use debrief_server::{AppState, Config, auth, router};
use debrief_store::accounts::NewUser;
use debrief_store::testing::TestDb;
use debrief_store::{InstallationKey, execute};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The people of every test: (user name, role).
const PEOPLE: &[(&str, Role)] = &[
    ("root", Role::Admin),
    ("maria", Role::Manager),
    ("hank", Role::Handler),
    ("hera", Role::Handler),
    ("vic", Role::Viewer),
];

/// argon2id of `password-of-NAME`, computed once per name (argon2 is slow on purpose).
fn password_hash(name: &str) -> String {
    static HASHES: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();
    HASHES.get_or_init(|| {
        PEOPLE
            .iter()
            .map(|(n, _)| {
                (
                    n.to_string(),
                    auth::hash_password(&format!("password-of-{n}")).unwrap(),
                )
            })
            .collect()
    })[name]
        .clone()
}

struct Fixture {
    app: Router,
    state: AppState,
    _db: TestDb,
}

/// A fresh store with the five people (each with an API token `tok-NAME` and a session
/// `sid-NAME` / CSRF `csrf-NAME`), incident #1 unassigned and #2 assigned to hera.
async fn fixture() -> Fixture {
    let db = TestDb::sqlite();
    let key = InstallationKey::generate().unwrap();
    let store = debrief_store::open(&db.url, key.clone()).await.unwrap();
    let later = debrief_domain::Timestamp::from_micros(
        debrief_domain::Timestamp::now().as_micros() + 3_600_000_000,
    )
    .unwrap();
    for (name, role) in PEOPLE {
        let user = store
            .create_user(NewUser {
                username: Username::parse(name).unwrap(),
                display_name: name.to_string(),
                role: *role,
                password_hash: password_hash(name),
                language: None,
            })
            .await
            .unwrap();
        store
            .create_token(name, "test", &auth::secret_hash(&format!("tok-{name}")))
            .await
            .unwrap();
        store
            .create_session(
                &auth::secret_hash(&format!("sid-{name}")),
                &user.id,
                &format!("csrf-{name}"),
                later,
            )
            .await
            .unwrap();
    }
    let maria = Actor::parse("maria").unwrap();
    for title in ["Phishing wave", "Ransomware on FS01"] {
        store
            .create_incident(&maria, NewIncident::parse(title, "", "", "", None).unwrap())
            .await
            .unwrap();
    }
    let id = store.resolve("2").await.unwrap();
    execute(&*store, id, &maria, |i| i.assign(Some("hera"), ""))
        .await
        .unwrap();
    let state = AppState::new(
        store,
        key,
        Config {
            secure_cookies: true,
            evidence_dir: db.dir.path().join("evidence"),
            evidence_max_bytes: 64 * 1024,
            ..Config::default()
        },
    );
    Fixture {
        app: router(state.clone()),
        state,
        _db: db,
    }
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Token(&'static str),
    Session(&'static str),
}

async fn call(
    app: &Router,
    who: Who,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (StatusCode, String, header::HeaderMap) {
    let mut req = Request::builder().method(method).uri(path);
    let form = path.starts_with("/api/") || body.is_none();
    match who {
        Who::Anonymous => {}
        Who::Token(name) => req = req.header(header::AUTHORIZATION, format!("Bearer tok-{name}")),
        Who::Session(name) => {
            req = req
                .header(header::COOKIE, format!("debrief_session=sid-{name}"))
                .header("x-csrf-token", format!("csrf-{name}"))
        }
    }
    let body = match body {
        Some(b) if !form => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let csrf = match who {
                Who::Session(n) => format!("csrf-{n}"),
                _ => String::new(),
            };
            Body::from(format!("{b}&_csrf={csrf}"))
        }
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        headers,
    )
}

/// The role matrix: every route × (anonymous, admin, manager, handler, viewer) → status.
/// The handler is `hank`; incident #2 is assigned to another handler (`hera`).
/// README.md's role table says the same in words.
#[rustfmt::skip]
const MATRIX: &[(&str, &str, Option<&str>, [u16; 5])] = &[
    //                                                                                    anon admin mgr  hdl  view
    ("GET",   "/api/v1/health",                   None,                                   [200, 200, 200, 200, 200]),
    ("GET",   "/api/v1/openapi.json",             None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/me",                       None,                                   [401, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/me",                       Some(r#"{"language":"fr"}"#),           [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents",                None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents?status=new&q=wave", None,                                [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents",                Some(r#"{"title":"Scan"}"#),            [401, 403, 201, 201, 403]),
    ("GET",   "/api/v1/incidents/1",              None,                                   [401, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/incidents/1",              Some(r#"{"summary":"more"}"#),          [401, 403, 200, 200, 403]),
    ("PATCH", "/api/v1/incidents/2",              Some(r#"{"summary":"more"}"#),          [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/transitions",  Some(r#"{"to":"triage"}"#),             [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/transitions",  Some(r#"{"to":"triage"}"#),             [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/assignment",   Some(r#"{"assignee":"hank"}"#),         [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/assignment",   Some(r#"{"assignee":"hank"}"#),         [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/milestones",   Some(r#"{"milestone":"started_at","at":"2026-01-01T00:00:00Z","source":"EDR"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/milestones",   Some(r#"{"milestone":"started_at","at":"2026-01-01T00:00:00Z","source":"EDR"}"#), [401, 403, 200, 403, 403]),
    ("GET",   "/api/v1/incidents/1/journal",      None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/verify",       None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/classification", Some(r#"{"class":"fraud","type":"phishing"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/classification", Some(r#"{"class":"fraud","type":"phishing"}"#), [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/severity",     Some(r#"{"functional":"low","information":"none","recoverability":"regular"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/markings",     Some(r#"{"tlp":"red"}"#),               [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/tags",         Some(r#"{"add":["phishing"]}"#),        [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/scope",        Some(r#"{"sites":["Paris"]}"#),         [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/members",      Some(r#"{"user":"hera","role":"scribe"}"#), [401, 403, 200, 200, 403]),
    ("GET",   "/api/v1/incidents/1/observables",  None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/observables",  Some(r#"{"kind":"domain","value":"evil[.]example"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/incidents/2/observables",  Some(r#"{"kind":"domain","value":"evil[.]example"}"#), [401, 403, 201, 403, 403]),
    ("POST",  "/api/v1/incidents/1/observables/extract", Some(r#"{"text":"c2 203.0.113.7"}"#), [401, 403, 200, 200, 403]),
    ("GET",   "/api/v1/incidents/1/timeline",     None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/timeline",     Some(r#"{"occurred_at":"2026-11-20T09:00:00Z","description":"mail received"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/assets",       Some(r#"{"kind":"host","name":"WS-042"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/actions",      Some(r#"{"kind":"containment","description":"isolated WS-042"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/actions",      Some(r#"{"kind":"containment","description":"isolated WS-042"}"#), [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/tasks",        Some(r#"{"title":"reset passwords","owner":"hera"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/notes",        Some(r#"{"kind":"interview","text":"opened it","interviewee":"clerk"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/time",         Some(r#"{"minutes":45,"activity":"triage"}"#), [401, 403, 200, 200, 403]),
    ("GET",   "/api/v1/incidents/1/work",         None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/search?q=phishing",        None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/observables?value=evil.example", None,                             [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/taxonomy",                 None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/users",                    None,                                   [401, 200, 403, 403, 403]),
    ("POST",  "/api/v1/users",                    Some(r#"{"username":"nina","role":"viewer"}"#), [401, 201, 403, 403, 403]),
    ("GET",   "/api/v1/users/vic",                None,                                   [401, 200, 403, 403, 403]),
    ("PATCH", "/api/v1/users/vic",                Some(r#"{"role":"handler"}"#),          [401, 200, 403, 403, 403]),
    // Pages (browser sessions; anonymous visitors are sent to the login page).
    ("GET",   "/login",                           None,                                   [200, 200, 200, 200, 200]),
    ("GET",   "/",                                None,                                   [303, 303, 303, 303, 303]),
    ("GET",   "/incidents",                       None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/incidents/new",                   None,                                   [303, 403, 200, 200, 403]),
    ("POST",  "/incidents",                       Some("title=Scan"),                     [303, 403, 303, 303, 403]),
    ("GET",   "/incidents/1",                     None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/incidents/1/transition",          Some("to=triage"),                      [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/2/transition",          Some("to=triage"),                      [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/edit",                Some("title=Phishing+wave+2"),          [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/assign",              Some("assignee=hank"),                  [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/2/assign",              Some("assignee=hank"),                  [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/classify",            Some("classification=fraud/phishing"),  [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/2/classify",            Some("classification=fraud/phishing"),  [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/severity",            Some("functional=low&information=none&recoverability=regular"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/markings",            Some("tlp=red&pap=green"),              [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/tags",                Some("tags=phishing"),                  [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/observables",         Some("text=203.0.113.7&ioc=1"),         [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/timeline",            Some("occurred_at=2026-11-20T09:00:00Z&precision=minute&source=log&description=x&tactic=&technique="), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/observables/1/ioc",   Some("ioc=1"),                          [303, 403, 422, 422, 403]),
    ("POST",  "/incidents/1/observables",         Some("text=WS-042&kind=hostname"),      [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/timeline/1/withdraw", Some("reason=duplicate"),               [303, 403, 422, 422, 403]),
    ("POST",  "/incidents/1/scope",               Some("business_units=Finance&sites=Paris&systems=O365"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/members",             Some("user=hera&role=scribe"),          [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/actions",             Some("kind=containment&description=isolated&outcome=ok"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/tasks",               Some("title=reset+passwords&owner=&due="), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/notes",               Some("text=called+the+clerk&interviewee="), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/time",                Some("minutes=30&activity=triage"),     [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/assets",              Some("kind=host&name=WS-042&criticality=high&compromise=confirmed"), [303, 403, 303, 303, 403]),
    ("GET",   "/search?q=phishing",               None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/admin/users",                     None,                                   [303, 200, 403, 403, 403]),
    ("POST",  "/admin/users",                     Some("username=nina&role=viewer"),      [303, 200, 403, 403, 403]),
    ("POST",  "/admin/users/vic/toggle",          None,                                   [303, 303, 403, 403, 403]),
    ("POST",  "/settings/language",               Some("lang=fr&back=/incidents"),        [303, 303, 303, 303, 303]),
    ("POST",  "/logout",                          None,                                   [303, 303, 303, 303, 303]),
    ("GET",   "/assets/app.css",                  None,                                   [200, 200, 200, 200, 200]),
];

#[tokio::test]
async fn role_matrix() {
    let roles = ["root", "maria", "hank", "vic"];
    let mut differences = Vec::new();
    let mut cells = 0;
    for (method, path, body, expected) in MATRIX {
        for (i, want) in expected.iter().enumerate() {
            // A fresh store per cell, so that no cell sees another's writes.
            let f = fixture().await;
            let is_api = path.starts_with("/api/");
            let who = match i {
                0 => Who::Anonymous,
                n if is_api => Who::Token(roles[n - 1]),
                n => Who::Session(roles[n - 1]),
            };
            // Form posts without a body still carry the CSRF token.
            let body = match (body, *method) {
                (None, "POST") if !is_api => Some("x=1"),
                (b, _) => *b,
            };
            let (status, text, _) = call(&f.app, who, method, path, body).await;
            cells += 1;
            if status.as_u16() != *want {
                differences.push(format!(
                    "{method} {path} as {who:?}: expected {want}, got {status} {}",
                    text.chars().take(160).collect::<String>()
                ));
            }
            if is_api && !status.is_success() && status.as_u16() != 405 {
                assert!(
                    text.starts_with("{\"type\":\"/problems/"),
                    "{method} {path}: not a problem document: {text}"
                );
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {cells} cells differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert_eq!(cells, MATRIX.len() * 5);
}

#[tokio::test]
async fn errors_are_problem_documents_with_actionable_messages() {
    let f = fixture().await;
    let maria = Who::Token("maria");
    let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
        (
            "POST",
            "/api/v1/incidents",
            Some(r#"{"title":""}"#),
            422,
            "title must not be empty",
        ),
        (
            "POST",
            "/api/v1/incidents",
            Some(r#"{"title":"x","colour":"red"}"#),
            422,
            "unknown field `colour`",
        ),
        (
            "POST",
            "/api/v1/incidents",
            Some(r#"{"title":"#),
            400,
            "not valid JSON",
        ),
        (
            "POST",
            "/api/v1/incidents",
            Some(r#"{"title":"x","detected_at":"yesterday"}"#),
            422,
            "2026-11-23T14:05:00Z",
        ),
        ("GET", "/api/v1/incidents/99", None, 404, "no incident `99`"),
        (
            "GET",
            "/api/v1/incidents?limit=0",
            None,
            400,
            "between 1 and 500",
        ),
        (
            "GET",
            "/api/v1/incidents?status=done",
            None,
            422,
            "unknown status `done`",
        ),
        ("GET", "/api/v1/incidents?cursor=abc", None, 400, "cursor"),
        (
            "POST",
            "/api/v1/incidents/1/transitions",
            Some(r#"{"to":"recovered"}"#),
            409,
            "can move to: triage, closed",
        ),
        (
            "POST",
            "/api/v1/incidents/1/transitions",
            Some(r#"{"to":"closed"}"#),
            409,
            "needs a reason",
        ),
        (
            "PATCH",
            "/api/v1/incidents/1",
            Some(r#"{"title":"x","expected_seq":7}"#),
            409,
            "expected its last entry to be 7",
        ),
        (
            "PATCH",
            "/api/v1/incidents/1",
            Some(r#"{}"#),
            422,
            "nothing to change",
        ),
        (
            "POST",
            "/api/v1/incidents/1/assignment",
            Some(r#"{"assignee":"vic"}"#),
            422,
            "cannot lead incidents",
        ),
        (
            "POST",
            "/api/v1/incidents/1/assignment",
            Some(r#"{"assignee":"zed"}"#),
            404,
            "no user `zed`",
        ),
        (
            "DELETE",
            "/api/v1/incidents/1",
            None,
            405,
            "does not accept DELETE",
        ),
        (
            "GET",
            "/api/v1/nowhere",
            None,
            404,
            "no API route GET /api/v1/nowhere",
        ),
    ];
    for (method, path, body, status, message) in cases {
        let (got, text, headers) = call(&f.app, maria, method, path, *body).await;
        assert_eq!(got.as_u16(), *status, "{method} {path}: {text}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{method} {path}"
        );
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["status"], *status);
        assert!(
            doc["detail"].as_str().unwrap().contains(message),
            "{method} {path}: {text}"
        );
    }
    // Nothing was written by any of them.
    let (_, text, _) = call(&f.app, maria, "GET", "/api/v1/incidents/1/journal", None).await;
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&text)
            .unwrap()
            .len(),
        1
    );
    let (_, text, _) = call(&f.app, maria, "GET", "/api/v1/incidents", None).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let f = fixture().await;
    let big = format!(r#"{{"title":"x","summary":"{}"}}"#, "a".repeat(300 * 1024));
    let (status, text, headers) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/incidents",
        Some(&big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
}

#[tokio::test]
async fn lists_page_with_a_cursor() {
    let f = fixture().await;
    for n in 0..5 {
        let body = format!(r#"{{"title":"Scan {n}"}}"#);
        assert_eq!(
            call(
                &f.app,
                Who::Token("maria"),
                "POST",
                "/api/v1/incidents",
                Some(&body)
            )
            .await
            .0,
            StatusCode::CREATED
        );
    }
    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents?limit=3",
        None,
    )
    .await;
    let page: serde_json::Value = serde_json::from_str(&text).unwrap();
    let numbers: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![7, 6, 5]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        &format!("/api/v1/incidents?limit=3&cursor={cursor}"),
        None,
    )
    .await;
    let page: serde_json::Value = serde_json::from_str(&text).unwrap();
    let numbers: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![4, 3, 2]);
    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents?q=scan%203",
        None,
    )
    .await;
    assert!(
        text.contains("Scan 3") && !text.contains("Scan 4"),
        "{text}"
    );
}

#[tokio::test]
async fn sessions_need_the_csrf_token_on_writes() {
    let f = fixture().await;
    // API with a session cookie but no CSRF header.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/incidents")
        .header(header::COOKIE, "debrief_session=sid-maria")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"title":"x"}"#))
        .unwrap();
    let res = f.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A form with the wrong token.
    let req = Request::builder()
        .method("POST")
        .uri("/incidents")
        .header(header::COOKIE, "debrief_session=sid-maria")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("title=x&_csrf=csrf-hank"))
        .unwrap();
    let res = f.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let list = f
        .state
        .store
        .list_incidents(&Default::default())
        .await
        .unwrap();
    assert_eq!(list.len(), 2, "nothing was created");
}

async fn login(
    app: &Router,
    username: &str,
    password: &str,
) -> (StatusCode, header::HeaderMap, String) {
    let (_, _, headers) = call(app, Who::Anonymous, "GET", "/login", None).await;
    let set = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>();
    let csrf_cookie = set
        .iter()
        .find(|c| c.starts_with("debrief_login_csrf="))
        .unwrap();
    let token = csrf_cookie
        .trim_start_matches("debrief_login_csrf=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::COOKIE, format!("debrief_login_csrf={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username={username}&password={password}&next=/incidents/1&_csrf={token}"
        )))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_is_rate_limited() {
    let f = fixture().await;
    let (status, headers, _) = login(&f.app, "maria", "password-of-maria").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/incidents/1");
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("debrief_session="))
        .unwrap()
        .to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    let sid = cookie
        .trim_start_matches("debrief_session=")
        .split(';')
        .next()
        .unwrap();
    let req = Request::builder()
        .uri("/incidents")
        .header(header::COOKIE, format!("debrief_session={sid}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        f.app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::OK
    );

    // Wrong passwords: refused, then locked out after five.
    for _ in 0..5 {
        let (status, _, body) = login(&f.app, "hank", "wrong-password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("Wrong user name or password"));
    }
    let (status, headers, body) = login(&f.app, "hank", "password-of-hank").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(body.contains("Too many failed sign-ins"), "{body}");
    // Unknown users get the same answer as wrong passwords.
    let (status, _, _) = login(&f.app, "nobody", "whatever-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pages_carry_security_headers_and_escape_user_text() {
    let f = fixture().await;
    let body = r#"{"title":"<script>alert(1)</script>","summary":"<img src=x onerror=alert(1)>"}"#;
    let (status, _, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/incidents",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, html, headers) =
        call(&f.app, Who::Session("maria"), "GET", "/incidents/3", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;alert(1)&lt;"),
        "{html}"
    );
    assert!(!html.contains("<img src=x"));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    for script in html.split("<script").skip(1) {
        assert!(
            script.trim_start().starts_with("src="),
            "inline script found: {script}"
        );
    }
}

#[tokio::test]
async fn pages_follow_the_language_setting_and_accept_language() {
    let f = fixture().await;
    let req = Request::builder()
        .uri("/login")
        .header(header::ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9,en;q=0.5")
        .body(Body::empty())
        .unwrap();
    let res = f.app.clone().oneshot(req).await.unwrap();
    let html =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    assert!(
        html.contains("Se connecter") && html.contains("lang=\"fr\""),
        "French from Accept-Language"
    );
    let (_, html, _) = call(&f.app, Who::Session("vic"), "GET", "/incidents", None).await;
    assert!(html.contains("New incident") || html.contains("Incidents"));
    assert!(html.contains("lang=\"en\""));
    let (status, _, _) = call(
        &f.app,
        Who::Session("vic"),
        "POST",
        "/settings/language",
        Some("lang=fr&back=/incidents"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = call(&f.app, Who::Session("vic"), "GET", "/incidents/1", None).await;
    assert!(
        html.contains("lang=\"fr\"")
            && html.contains("Horodatages clés")
            && html.contains("Chaîne vérifiée"),
        "{html}"
    );
}

#[tokio::test]
async fn openapi_document_lists_every_api_route() {
    let f = fixture().await;
    let (status, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/openapi.json",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths: BTreeMap<String, serde_json::Value> =
        serde_json::from_value(doc["paths"].clone()).unwrap();
    for (method, path, _, _) in MATRIX.iter().filter(|r| r.1.starts_with("/api/")) {
        let templated = path
            .split('?')
            .next()
            .unwrap()
            .replace("/incidents/1", "/incidents/{incident}")
            .replace("/incidents/2", "/incidents/{incident}")
            .replace("/users/vic", "/users/{username}")
            .replace("/timeline/1/", "/timeline/{id}/");
        let op = paths
            .get(&templated)
            .and_then(|p| p.get(method.to_lowercase()));
        assert!(op.is_some(), "{method} {templated} is not documented");
    }
}

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

fn multipart(who: Who, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Request<Body> {
    let boundary = "debrief-test-boundary";
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut req = Request::builder().method("POST").uri(path).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Who::Token(name) = who {
        req = req.header(header::AUTHORIZATION, format!("Bearer tok-{name}"));
    }
    req.body(Body::from(body)).unwrap()
}

async fn send(
    app: &Router,
    req: Request<Body>,
) -> (StatusCode, String, header::HeaderMap, Vec<u8>) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        headers,
        bytes,
    )
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
async fn refusals_are_shown_in_the_visitors_language() {
    let f = fixture().await;
    let (_, _, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/settings/language",
        Some("lang=fr&back=/incidents"),
    )
    .await;
    let (s, html, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/incidents/1/transition",
        Some("to=recovered"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Impossible de passer l’incident de « Nouveau » à « Rétabli »"),
        "{html}"
    );
    assert!(html.contains("il peut passer à : Tri, Clos"), "{html}");
    let (s, html, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/incidents",
        Some("title=++"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Le champ titre ne doit pas être vide."),
        "{html}"
    );
    let (_, html, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/incidents",
        Some("title=x&detected_at=hier"),
    )
    .await;
    assert!(html.contains("« hier » n’est pas une date"), "{html}");
    // English speakers get the domain's own words.
    let (_, html, _) = call(
        &f.app,
        Who::Session("hank"),
        "POST",
        "/incidents/1/transition",
        Some("to=recovered"),
    )
    .await;
    assert!(
        html.contains("from here the incident can move to: triage, closed"),
        "{html}"
    );
}

#[tokio::test]
async fn the_response_work_over_the_api() {
    let f = fixture().await;
    let m = Who::Token("maria");
    for (path, body) in [
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

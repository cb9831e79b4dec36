//! The shared fixture: a fresh store with five people, their tokens and sessions, two incidents;
//! and helpers to call the router without a socket.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use debrief_domain::text::Actor;
use debrief_domain::{NewIncident, Role, Username};
use debrief_server::{AppState, Config, auth, router};
use debrief_store::accounts::NewUser;
use debrief_store::testing::TestDb;
use debrief_store::testing::execute;
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use tower::ServiceExt;

/// The people of every test: (user name, role).
pub(crate) const PEOPLE: &[(&str, Role)] = &[
    ("root", Role::Admin),
    ("maria", Role::Manager),
    ("hank", Role::Handler),
    ("hera", Role::Handler),
    ("vic", Role::Viewer),
];

/// argon2id of `password-of-NAME`, computed once per name (argon2 is slow on purpose).
pub(crate) fn password_hash(name: &str) -> String {
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

pub(crate) struct Fixture {
    pub(crate) app: Router,
    pub(crate) state: AppState,
    pub(crate) db: TestDb,
}

/// A fresh store with the five people (each with an API token `tok-NAME` and a session
/// `sid-NAME` / CSRF `csrf-NAME`), incident #1 unassigned and #2 assigned to hera, alert A-1 new.
pub(crate) async fn fixture() -> Fixture {
    fixture_with(|_| {}).await
}

/// The fixture with its configuration adjusted.
pub(crate) async fn fixture_with(adjust: impl FnOnce(&mut Config)) -> Fixture {
    fixture_on(TestDb::sqlite(), adjust).await
}

/// The fixture on a given database (SQLite, or PostgreSQL for the tests that run on both).
pub(crate) async fn fixture_on(db: TestDb, adjust: impl FnOnce(&mut Config)) -> Fixture {
    let key = db.key();
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
                must_change_password: false,
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
                debrief_store::accounts::SessionStage::Full,
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
    // Alert A-1, new, from a SIEM.
    let raw = serde_json::json!({"type": "external", "source": "siem", "sourceRef": "S-1",
        "title": "Beacon to evil.example", "host": "WS-042",
        "observables": [{"dataType": "domain", "data": "evil.example"}]});
    store
        .receive_alert(
            debrief_domain::alert::NewAlert::from_json(raw).unwrap(),
            "siem",
            debrief_domain::Timestamp::now(),
            3600,
        )
        .await
        .unwrap();
    debrief_server::api::playbooks::seed_playbooks(&debrief_app::App::new(store.clone()))
        .await
        .unwrap();
    let mut config = Config {
        secure_cookies: true,
        evidence_dir: db.dir.path().join("evidence"),
        evidence_max_bytes: 64 * 1024,
        ..Config::default()
    };
    adjust(&mut config);
    let state = AppState::new(store, key, config);
    Fixture {
        app: router(state.clone()),
        state,
        db,
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Who {
    Anonymous,
    Token(&'static str),
    Session(&'static str),
}

pub(crate) async fn call(
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

pub(crate) async fn login(
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

pub(crate) fn multipart(
    who: Who,
    path: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> Request<Body> {
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

pub(crate) async fn send(
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

/// A JSON request with a user's token; the answer's status and JSON (null when not JSON).
pub(crate) async fn send_json(
    f: &Fixture,
    who: &'static str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> (axum::http::StatusCode, serde_json::Value) {
    let (status, text, _) = call(
        &f.app,
        Who::Token(who),
        method,
        path,
        Some(&body.to_string()),
    )
    .await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

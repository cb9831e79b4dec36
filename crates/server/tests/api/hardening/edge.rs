//! The findings at the HTTP edge: sign-in limits and proxies, redirects, webhook secrets, HSTS,
//! spreadsheet formulas, passwords.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use super::*;

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

//! The second factor over HTTP: adding an authenticator app, the sign-in step after the
//! password (each TOTP code once, recovery codes once), the sessions' stages, an admin's
//! requirement and reset, and the idle lifetime.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A request with a session cookie (and its CSRF token on forms).
async fn with_cookie(
    f: &Fixture,
    sid: &str,
    method: &str,
    path: &str,
    form: Option<String>,
) -> (StatusCode, String, header::HeaderMap) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, format!("debrief_session={sid}"));
    let body = match form {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(b)
        }
        None => Body::empty(),
    };
    let res = f
        .app
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        headers,
    )
}

fn session_of(headers: &header::HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("debrief_session=") && !c.starts_with("debrief_session=;"))
        .map(|c| {
            c.trim_start_matches("debrief_session=")
                .split(';')
                .next()
                .unwrap()
                .to_string()
        })
}

fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

fn code_at(secret: &str, at: u64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret)
        .unwrap()
        .as_bytes()
        .to_vec();
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::new(bytes.into_boxed_slice()))
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn recovery_codes(page: &str) -> Vec<String> {
    let Some(start) = page.find("<ol class=\"codes\">") else {
        return Vec::new();
    };
    let list = &page[start..page[start..].find("</ol>").unwrap() + start];
    list.split("<code>")
        .skip(1)
        .map(|c| c.split("</code>").next().unwrap().to_string())
        .collect()
}

/// Signs in with the password and answers the session cookie and where the browser was sent.
async fn password_step(f: &Fixture, name: &str) -> (String, String) {
    let (status, headers, body) = login(&f.app, name, &format!("password-of-{name}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    (
        session_of(&headers).expect("a session cookie"),
        headers[header::LOCATION].to_str().unwrap().to_string(),
    )
}

/// Adds an authenticator app in the session `sid`: the key from the page, a code it makes.
async fn add_app(f: &Fixture, sid: &str) -> (String, String, header::HeaderMap) {
    let (status, page, _) = with_cookie(f, sid, "GET", "/settings/second-factor", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"totp-qr\""), "a QR code");
    let secret = field(&page, "secret");
    let csrf = field(&page, "_csrf");
    assert!(secret.len() >= 32, "160 bits: {secret}");
    // A wrong code adds nothing.
    let (status, page, _) = with_cookie(
        f,
        sid,
        "POST",
        "/settings/second-factor/totp",
        Some(format!(
            "_csrf={csrf}&secret={secret}&label=phone&code=000000"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("does not match the key"), "{page}");
    let code = code_at(&secret, now());
    let (status, page, headers) = with_cookie(
        f,
        sid,
        "POST",
        "/settings/second-factor/totp",
        Some(format!(
            "_csrf={csrf}&secret={secret}&label=work+phone&code={code}"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    (secret, page, headers)
}

#[tokio::test]
async fn a_totp_app_is_asked_after_the_password_and_each_code_signs_in_once() {
    let f = fixture().await;
    let (sid, to) = password_step(&f, "maria").await;
    assert_eq!(to, "/incidents/1", "no factor yet: signed in");
    let (secret, page, _) = add_app(&f, &sid).await;
    let codes = recovery_codes(&page);
    assert_eq!(
        codes.len(),
        10,
        "a first factor comes with recovery codes: {page}"
    );
    assert!(page.contains("work phone"));
    let used_at_enrolment = code_at(&secret, now());

    // The password alone no longer signs in: the session waits for the second factor.
    let (waiting, to) = password_step(&f, "maria").await;
    assert!(to.starts_with("/login/second-factor?next="), "{to}");
    let (status, _, headers) = with_cookie(&f, &waiting, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login/second-factor");
    let (status, body, _) = with_cookie(&f, &waiting, "GET", "/api/v1/incidents", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("second factor"), "{body}");
    let (status, page, _) = with_cookie(&f, &waiting, "GET", "/login/second-factor", None).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = field(&page, "_csrf");
    let answer = |code: String| format!("_csrf={csrf}&next=/incidents/2&code={code}");
    // The code typed at enrolment was spent there; a wrong one is refused too.
    for code in [used_at_enrolment.clone(), "123456".to_string()] {
        let (status, page, headers) = with_cookie(
            &f,
            &waiting,
            "POST",
            "/login/second-factor",
            Some(answer(code)),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(page.contains("not right, or it was used already"), "{page}");
        assert!(session_of(&headers).is_none());
    }
    // The next step's code (30 s of clock drift are allowed) signs in, under a new cookie.
    let (status, _, headers) = with_cookie(
        &f,
        &waiting,
        "POST",
        "/login/second-factor",
        Some(answer(code_at(&secret, now() + 30))),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/incidents/2");
    let signed_in = session_of(&headers).unwrap();
    assert_ne!(signed_in, waiting);
    let (status, _, _) = with_cookie(&f, &signed_in, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = with_cookie(&f, &waiting, "GET", "/login/second-factor", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the waiting cookie is spent");

    // A recovery code signs in once, typed loosely; then it is spent.
    let loose = codes[3].replace('-', " ").to_uppercase();
    for (i, expect) in [StatusCode::SEE_OTHER, StatusCode::UNAUTHORIZED]
        .into_iter()
        .enumerate()
    {
        let (waiting, _) = password_step(&f, "maria").await;
        let (_, page, _) = with_cookie(&f, &waiting, "GET", "/login/second-factor", None).await;
        let csrf = field(&page, "_csrf");
        let (status, _, headers) = with_cookie(
            &f,
            &waiting,
            "POST",
            "/login/second-factor",
            Some(format!("_csrf={csrf}&code={}", loose.replace(' ', "+"))),
        )
        .await;
        assert_eq!(status, expect, "attempt {i}");
        if i == 0 {
            assert_eq!(
                headers[header::LOCATION],
                "/settings/second-factor?recovered=1"
            );
            let sid = session_of(&headers).unwrap();
            let (_, page, _) =
                with_cookie(&f, &sid, "GET", "/settings/second-factor?recovered=1", None).await;
            assert!(page.contains("9 left"), "{page}");
        }
    }

    // HTTP Basic with the password alone is refused for an account with a second factor.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("maria:password-of-maria");
    let req = Request::builder()
        .uri("/api/v1/incidents")
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        f.app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // An admin resets the lost factor, with a reason, in the access log; every session ends.
    let (status, _, _) = call(
        &f.app,
        Who::Session("root"),
        "POST",
        "/admin/users/maria/second-factor/reset",
        Some("reason=phone+lost%2C+identity+checked+by+call"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = with_cookie(&f, &signed_in, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "her sessions ended");
    let log = f
        .state
        .store
        .access_log(debrief_store::access::AccessScope::All, 50)
        .await
        .unwrap();
    let reset = log
        .iter()
        .find(|r| r.kind == "second-factor-reset")
        .expect("the reset is in the access log");
    assert_eq!(reset.actor, "root");
    assert!(
        reset.what.contains("phone lost, identity checked by call"),
        "{}",
        reset.what
    );
    let (_, to) = password_step(&f, "maria").await;
    assert_eq!(to, "/incidents/1", "no factor any more");
    // A reset needs a reason, and only an admin resets.
    let (status, _, _) = call(
        &f.app,
        Who::Session("root"),
        "POST",
        "/admin/users/hank/second-factor/reset",
        Some("reason="),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = call(
        &f.app,
        Who::Session("hera"),
        "POST",
        "/admin/users/hank/second-factor/reset",
        Some("reason=x"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_required_second_factor_is_added_before_anything_else() {
    let f = fixture().await;
    let (status, _, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/admin/second-factor",
        Some("required=true&reason=x"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    let (status, _, _) = call(
        &f.app,
        Who::Session("root"),
        "POST",
        "/admin/second-factor",
        Some("required=true&reason=ISO+27001+audit"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, users, _) = call(&f.app, Who::Session("root"), "GET", "/admin/users", None).await;
    assert!(users.contains("Stop requiring it"), "{users}");

    let (sid, to) = password_step(&f, "hank").await;
    assert_eq!(to, "/settings/second-factor");
    for path in ["/incidents", "/settings/password", "/alerts"] {
        let (status, _, headers) = with_cookie(&f, &sid, "GET", path, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(headers[header::LOCATION], "/settings/second-factor");
    }
    let (status, _, _) = with_cookie(&f, &sid, "GET", "/api/v1/incidents", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, page, _) = with_cookie(&f, &sid, "GET", "/settings/second-factor", None).await;
    assert!(page.contains("requires a second factor"), "{page}");
    let (_, page, headers) = add_app(&f, &sid).await;
    assert_eq!(recovery_codes(&page).len(), 10);
    let full = session_of(&headers).expect("a signed-in session comes with the codes");
    let (status, _, _) = with_cookie(&f, &full, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = with_cookie(&f, &sid, "GET", "/settings/second-factor", None).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the enrolment cookie is spent"
    );
    // The requirement and the factor were recorded in the access log.
    let log = f
        .state
        .store
        .access_log(debrief_store::access::AccessScope::All, 50)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|r| r.kind == "second-factor-policy" && r.what.contains("ISO 27001 audit"))
    );
    assert!(
        log.iter()
            .any(|r| r.kind == "second-factor-added" && r.actor == "hank")
    );
    // Basic with a password alone is refused while a factor is required.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("vic:password-of-vic");
    let req = Request::builder()
        .uri("/api/v1/incidents")
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        f.app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_unused_for_its_idle_lifetime_ends() {
    let f = fixture_with(|c| c.session_idle_minutes = 30).await;
    let (sid, _) = password_step(&f, "vic").await;
    let (status, _, _) = with_cookie(&f, &sid, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::OK);
    // Last used 31 minutes ago.
    let hash = debrief_server::auth::secret_hash(&sid);
    let then = debrief_domain::Timestamp::now().plus_seconds(-31 * 60);
    f.state.store.touch_session(&hash, then).await.unwrap();
    let (status, _, headers) = with_cookie(&f, &sid, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    assert!(
        f.state.store.session(&hash).await.unwrap().is_none(),
        "ended"
    );
    // Used 29 minutes ago: still alive, and its last use moves to now.
    let (sid, _) = password_step(&f, "vic").await;
    let hash = debrief_server::auth::secret_hash(&sid);
    let then = debrief_domain::Timestamp::now().plus_seconds(-29 * 60);
    f.state.store.touch_session(&hash, then).await.unwrap();
    let (status, _, _) = with_cookie(&f, &sid, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::OK);
    let s = f.state.store.session(&hash).await.unwrap().unwrap();
    assert!(debrief_domain::Timestamp::now().seconds_since(s.last_seen_at) < 60);
}

#[tokio::test]
async fn the_api_lists_resets_and_requires_second_factors() {
    let f = fixture().await;
    let (sid, _) = password_step(&f, "hera").await;
    add_app(&f, &sid).await;
    let (status, body, _) = call(
        &f.app,
        Who::Token("hera"),
        "GET",
        "/api/v1/users/hera/second-factors",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["factors"][0]["kind"], "totp");
    assert_eq!(v["factors"][0]["label"], "work phone");
    assert_eq!(v["recovery_codes_left"], 10);
    assert!(v["factors"][0].get("secret").is_none(), "{body}");
    // Someone else's: admins only.
    let (status, _, _) = call(
        &f.app,
        Who::Token("hank"),
        "GET",
        "/api/v1/users/hera/second-factors",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body, _) = call(
        &f.app,
        Who::Token("root"),
        "DELETE",
        "/api/v1/users/hera/second-factors",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("reason"), "{body}");
    let (status, body, _) = call(
        &f.app,
        Who::Token("root"),
        "DELETE",
        "/api/v1/users/hera/second-factors?reason=lost%20phone",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"removed\":1"), "{body}");
    let (status, body, _) = call(
        &f.app,
        Who::Token("hank"),
        "PUT",
        "/api/v1/settings/second-factor",
        Some(r#"{"required":true,"reason":"x"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = call(
        &f.app,
        Who::Token("root"),
        "PUT",
        "/api/v1/settings/second-factor",
        Some(r#"{"required":true,"reason":"audit"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/settings/second-factor",
        None,
    )
    .await;
    assert_eq!(body, r#"{"required":true}"#);
}

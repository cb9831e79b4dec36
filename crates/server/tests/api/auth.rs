//! Sessions, CSRF, sign-in and its rate limit, security headers, escaping, languages.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

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
async fn people_see_and_end_their_own_sessions_and_an_admin_anyones() {
    let f = fixture().await;
    let (status, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "GET",
        "/api/v1/users/maria/sessions",
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{text}");
    let sessions: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = sessions[0]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 16, "an id, never the secret: {text}");
    assert!(!text.contains("sid-maria"));
    // Someone else's: only an admin.
    for (who, want) in [("vic", 403), ("hank", 403), ("root", 200)] {
        let (status, _, _) = call(
            &f.app,
            Who::Token(who),
            "GET",
            "/api/v1/users/maria/sessions",
            None,
        )
        .await;
        assert_eq!(status.as_u16(), want, "{who}");
    }
    // Her browser works until she ends that session from elsewhere.
    let (status, _, _) = call(&f.app, Who::Session("maria"), "GET", "/incidents", None).await;
    assert_eq!(status.as_u16(), 200);
    let (status, _, _) = call(
        &f.app,
        Who::Token("maria"),
        "DELETE",
        &format!("/api/v1/users/maria/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 204);
    let (status, _, _) = call(&f.app, Who::Session("maria"), "GET", "/incidents", None).await;
    assert_eq!(status.as_u16(), 303, "signed out");
    let (status, _, _) = call(
        &f.app,
        Who::Token("maria"),
        "DELETE",
        &format!("/api/v1/users/maria/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 404, "already ended");
    // An admin ends all of someone's sessions; the settings page lists a person's own.
    let (_, page, _) = call(
        &f.app,
        Who::Session("hank"),
        "GET",
        "/settings/password",
        None,
    )
    .await;
    assert!(page.contains("id=\"sessions\""), "{page}");
    assert!(page.contains("This browser"), "{page}");
    let (status, _, _) = call(
        &f.app,
        Who::Token("root"),
        "DELETE",
        "/api/v1/users/hank/sessions",
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 204);
    let (status, _, _) = call(&f.app, Who::Session("hank"), "GET", "/incidents", None).await;
    assert_eq!(status.as_u16(), 303);
}

#[tokio::test]
async fn a_language_is_set_left_alone_cleared_or_refused() {
    let f = fixture().await;
    let me = |v: &serde_json::Value| v["language"].clone();
    let (status, v) = send_json(
        &f,
        "maria",
        "PATCH",
        "/api/v1/me",
        json!({"language": "FR"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(me(&v), "fr", "{v}");
    // Absent: no change.
    let (status, v) = send_json(&f, "maria", "PATCH", "/api/v1/me", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(me(&v), "fr", "{v}");
    // Empty: follow the browser again.
    let (status, v) = send_json(&f, "maria", "PATCH", "/api/v1/me", json!({"language": ""})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(me(&v).is_null(), "{v}");
    // Outside the choices: refused when the request is read, naming what is accepted.
    let (status, v) = send_json(
        &f,
        "maria",
        "PATCH",
        "/api/v1/me",
        json!({"language": "de"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("en, fr"), "{v}");
}

//! Problem documents, body limits, paging, and refusals in the visitor's language.

use crate::support::*;
use axum::http::{StatusCode, header};

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
            409,
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
            422,
            "`zed` cannot lead incidents",
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
    // 409, as the API answers an illegal transition (one classification for every channel).
    assert_eq!(s, StatusCode::CONFLICT);
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

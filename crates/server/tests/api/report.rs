//! People as detectors: any signed-in person (a viewer here) reports a suspected incident with a
//! file through `/report`; it lands in the queue as an alert with the reporter recorded, the
//! reporter follows it under `/reports`, and promotion carries the file as evidence.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

fn report_form(csrf: &str, what: &str, file: Option<&[u8]>) -> Request<Body> {
    let boundary = "report-boundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("_csrf", csrf),
        ("what", what),
        ("when", "2026-11-23T09:30"),
        ("where", "Finance, laptop FIN-7"),
        ("contact", "+33 1 23 45 67 89"),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some(content) = file {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"invoice.eml\"\r\nContent-Type: message/rfc822\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method("POST")
        .uri("/report")
        .header(header::COOKIE, "debrief_session=sid-vic")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_person_reports_and_follows_it_and_the_file_becomes_evidence() {
    let f = fixture().await;
    let mail = b"From: ceo@evil-corp.example\r\nSubject: Urgent invoice\r\n\r\nPay now.";
    let (status, page, _, _) = send(
        &f.app,
        report_form(
            "csrf-vic",
            "A mail asking me to pay an invoice urgently\nIt looks like our CEO",
            Some(mail),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(page.contains("A-2"), "the reference is given back: {page}");

    let alert = f.state.store.alert("A-2").await.unwrap();
    assert_eq!(alert.key.kind, "human-report");
    assert_eq!(alert.received_by, "vic");
    assert_eq!(
        alert.title,
        "Reported: A mail asking me to pay an invoice urgently"
    );
    assert!(alert.description.contains("Finance, laptop FIN-7"));
    assert_eq!(alert.raw["reporter"]["contact"], "+33 1 23 45 67 89");
    let sha = alert.raw["attachment"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        sha,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(mail))
    );

    // The reporter sees it, not yet acknowledged; a handler acknowledges; the reporter sees who.
    let (_, mine, _) = call(&f.app, Who::Session("vic"), "GET", "/reports", None).await;
    assert!(mine.contains("A-2") && mine.contains("New"), "{mine}");
    let (status, _, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts/2/acknowledge",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine, _) = call(&f.app, Who::Session("vic"), "GET", "/reports", None).await;
    assert!(
        mine.contains("Acknowledged") && mine.contains("hank"),
        "{mine}"
    );
    let (_, others, _) = call(&f.app, Who::Session("maria"), "GET", "/reports", None).await;
    assert!(
        !others.contains("A-2"),
        "a person sees their own reports: {others}"
    );

    // Promoted: the file is the incident's evidence, collected from the reporter.
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts/2/promote",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let incident = f
        .state
        .store
        .incident(f.state.store.resolve("3").await.unwrap())
        .await
        .unwrap();
    assert_eq!(incident.evidence.len(), 1);
    assert_eq!(incident.evidence[0].sha256, sha);
    assert_eq!(incident.evidence[0].collected_by, "vic");

    // Without a description: refused with the form kept, nothing stored.
    let (status, page, _, _) = send(&f.app, report_form("csrf-vic", "  ", None)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Finance, laptop FIN-7"),
        "the form keeps what was typed"
    );
    assert!(f.state.store.alert("A-3").await.is_err());
    // A forged form (wrong CSRF token) stores neither the report nor the file.
    let (status, _, _, _) = send(&f.app, report_form("csrf-wrong", "x", Some(b"other file"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(f.state.store.alert("A-3").await.is_err());
}

#[tokio::test]
async fn the_alert_page_shows_similar_open_incidents_and_merges() {
    let f = fixture().await;
    // Incident #1 recorded the domain alert A-1 carries.
    let (status, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/incidents/1/observables",
        Some(r#"{"kind":"domain","value":"evil.example"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (status, page, _) = call(&f.app, Who::Session("hank"), "GET", "/alerts/1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"similar\"")
            && page.contains("Phishing wave")
            && page.contains("evil.example"),
        "{page}"
    );
    let (status, _, h) = call(
        &f.app,
        Who::Session("hank"),
        "POST",
        "/alerts/1/assign",
        Some("assignee=hera"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/alerts/1");
    assert_eq!(
        f.state.store.alert("1").await.unwrap().assignee.as_deref(),
        Some("hera")
    );
    let (status, page, _) = call(
        &f.app,
        Who::Session("hank"),
        "POST",
        "/alerts/1/assign",
        Some("assignee=vic"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "viewers cannot be assigned"
    );
    assert!(page.contains("vic"), "{page}");
    let (status, _, h) = call(
        &f.app,
        Who::Session("hank"),
        "POST",
        "/alerts/1/merge",
        Some("incident=%231"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/incidents/1");
    let (status, page, _) = call(
        &f.app,
        Who::Session("hank"),
        "POST",
        "/alerts/1/merge",
        Some("incident=1"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "merged already: {page}"
    );
}

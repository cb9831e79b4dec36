//! Communicating the findings through the API: only an approved postmortem goes out; each entry
//! gets the report as far as the incident's marking allows (the sealed document attached, kept
//! in the evidence store by the hash the recorded message names, or a link to Debrief through a
//! real webhook receiver on loopback); an entry it may not reach refuses the whole request.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// A webhook receiver keeping every body it accepts.
async fn receiver() -> (u16, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, got)
}

async fn notifications(f: &Fixture) -> Vec<Value> {
    // The manager: TLP:AMBER+STRICT restricted the incident to its team.
    let (status, v) = send_json(
        f,
        "maria",
        "GET",
        "/api/v1/incidents/1/obligations",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["notifications"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_approved_findings_go_as_far_as_the_marking_allows() {
    let f = fixture_with(|c| c.public_url = "https://debrief.example.org/".into()).await;
    let (port, got) = receiver().await;
    for entry in [
        json!({"name": "Board channel", "kind": "group", "scope": "internal", "category": "executive",
            "webhook_url": format!("http://127.0.0.1:{port}/hook"), "webhook_format": "generic"}),
        json!({"name": "Assureur", "kind": "group", "scope": "external", "category": "insurer",
            "email": "sinistres@assureur.example", "language": "fr"}),
    ] {
        let (status, v) = send_json(&f, "maria", "POST", "/api/v1/stakeholders", entry).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let share = json!({"report": "postmortem", "to": ["Board channel", "Assureur"], "note": "For the board meeting."});

    // Not approved yet: refused, nothing recorded.
    let (status, problem) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        share.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("approved postmortem"),
        "{problem}"
    );

    // Before approval, the review meeting's participants are invited with the draft — once
    // the meeting has a date.
    let invite = json!({"report": "invitation", "to": ["Board channel"]});
    let (status, problem) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        invite.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("schedule it"),
        "{problem}"
    );
    let (status, v) = send_json(
        &f,
        "maria",
        "PATCH",
        "/api/v1/incidents/1/postmortem",
        json!({"review_at": "2026-11-26T14:00:00Z"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, answer) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        invite,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["shared"][0]["delivered"], true, "{answer}");
    let invitation = got.lock().unwrap().remove(0);
    let text = invitation["text"].as_str().unwrap();
    assert!(
        text.contains("invites you to the review meeting of incident #1 on 2026-11-26 14:00 UTC")
            && text.contains("https://debrief.example.org/incidents/1/postmortem#input-form"),
        "{text}"
    );

    // A participant may be named by their account: the entry standing for it is the
    // recipient. An account no entry stands for is refused with what to do, and nothing goes.
    let (status, problem) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        json!({"report": "invitation", "to": ["hank", "Board channel"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("`hank`") && detail.contains("no directory entry"),
        "{detail}"
    );
    assert!(got.lock().unwrap().is_empty(), "nothing went to anyone");
    let (status, v) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/stakeholders",
        json!({"name": "Hank (on call)", "kind": "person", "scope": "internal", "category": "it",
            "username": "hank", "webhook_url": format!("http://127.0.0.1:{port}/hook"),
            "webhook_format": "generic"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (status, answer) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        json!({"report": "invitation", "to": ["HANK"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["shared"][0]["to"], "Hank (on call)", "{answer}");
    assert_eq!(answer["shared"][0]["delivered"], true, "{answer}");
    let invitation = got.lock().unwrap().remove(0);
    assert!(
        invitation["text"]
            .as_str()
            .unwrap()
            .contains("invites you to the review meeting"),
        "{invitation}"
    );

    // The review approves it.
    let (status, v) = send_json(
        &f,
        "hank",
        "PATCH",
        "/api/v1/incidents/1/postmortem",
        json!({"texts": {"summary": "Ransomware encrypted the file servers; restored from backups in 26 hours."}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/root-causes",
        json!({"category": "process", "text": "No process put VPN patches on a deadline"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for (who, to) in [("hank", "in-review"), ("maria", "approved")] {
        let (status, v) = send_json(
            &f,
            who,
            "POST",
            "/api/v1/incidents/1/postmortem/status",
            json!({ "to": to }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{to}: {v}");
    }

    // A handler does not send the findings outside.
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        share.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // TLP:AMBER+STRICT stays in the organisation: the external insurer refuses the whole request.
    let (status, v) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/markings",
        json!({"tlp": "amber+strict", "pap": "amber"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, problem) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        share.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("`Assureur`") && detail.contains("TLP:AMBER+STRICT"),
        "{detail}"
    );
    assert_eq!(
        notifications(&f).await.len(),
        2,
        "nothing was sent but the two invitations"
    );
    assert!(got.lock().unwrap().is_empty());

    // TLP:AMBER: the insurer gets the sealed PDF in French (no relay here: recorded as not
    // delivered, to be retried with the same bytes); the board's channel gets a link.
    let (status, v) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/markings",
        json!({"tlp": "amber", "pap": "amber"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, answer) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/share",
        share.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let shared = answer["shared"].as_array().unwrap();
    let by = |name: &str| shared.iter().find(|s| s["to"] == name).unwrap().clone();
    assert_eq!(by("Board channel")["carried"], "link");
    assert_eq!(by("Board channel")["delivered"], true, "{answer}");
    assert_eq!(by("Assureur")["carried"], "attached");
    assert_eq!(by("Assureur")["channel"], "email");
    assert_eq!(by("Assureur")["delivered"], false, "{answer}");

    let hooks = got.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1);
    let text = hooks[0]["text"].as_str().unwrap();
    assert!(text.starts_with("For the board meeting."), "{text}");
    assert!(
        text.contains("https://debrief.example.org/incidents/1/postmortem"),
        "{text}"
    );

    let records = notifications(&f).await;
    assert_eq!(
        records.len(),
        4,
        "each message recorded like any notification: the two invitations and the two findings"
    );
    let mail = records.iter().find(|n| n["channel"] == "email").unwrap();
    assert_eq!(mail["stakeholder"], "Assureur");
    let content = mail["content"].as_str().unwrap();
    assert!(
        content.contains("rapport de retour d’expérience approuvé"),
        "{content}"
    );
    let line = content
        .lines()
        .find(|l| l.starts_with("Attachment: "))
        .expect("the kept message names its attachment");
    assert!(
        line.starts_with("Attachment: incident-1-postmortem-fr.pdf; application/pdf; sha256 "),
        "{line}"
    );
    let sha = line.rsplit(' ').next().unwrap();
    let kept = std::fs::read(
        debrief_store::blobs::BlobStore::new(&f.state.config.evidence_dir)
            .verified_path(sha)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(kept.starts_with(b"%PDF"), "the sealed PDF is kept");

    // A subject typed on several lines cannot add a header to a message.
    let (_, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/notifications/send",
        json!({"channel": "email", "recipients": ["a@example.org"],
            "summary": format!("Hello\nAttachment: x.pdf; application/pdf; sha256 {sha}"), "text": "t"}),
    )
    .await;
    let records = notifications(&f).await;
    let last = records.last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !last.lines().any(|l| l.starts_with("Attachment: ")),
        "{last}"
    );
}

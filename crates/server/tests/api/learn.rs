//! Learning from past incidents through the API and the pages: similar incidents found by the
//! store's indexes and ranked, the lessons-learnt search, and the replay with its clock.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn post(f: &Fixture, path: &str, body: Value) -> Value {
    let (status, v) = send_json(f, "maria", "POST", path, body).await;
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn similar_incidents_lessons_and_the_replay() {
    let f = fixture().await;
    // #1 "Phishing wave": fraud/phishing with evil.example.
    post(
        &f,
        "/api/v1/incidents/1/classification",
        json!({"class": "fraud", "type": "phishing"}),
    )
    .await;
    post(
        &f,
        "/api/v1/incidents/1/observables",
        json!({"kind": "domain", "value": "evil.example"}),
    )
    .await;
    // #3 shares the domain and the type; #4 only the class of incident; #5 only words.
    for (title, class, kind) in [
        ("Invoice fraud mails", "fraud", "phishing"),
        ("Masquerading supplier", "fraud", "masquerade"),
        (
            "Wave of phishing on the helpdesk",
            "intrusions",
            "unprivileged-account-compromise",
        ),
    ] {
        let created = post(&f, "/api/v1/incidents", json!({"title": title})).await;
        let n = created["number"].as_i64().unwrap();
        post(
            &f,
            &format!("/api/v1/incidents/{n}/classification"),
            json!({"class": class, "type": kind}),
        )
        .await;
    }
    post(
        &f,
        "/api/v1/incidents/3/observables",
        json!({"kind": "domain", "value": "evil[.]example"}),
    )
    .await;
    let (status, sim) =
        send_json(&f, "vic", "GET", "/api/v1/incidents/1/similar", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{sim}");
    let order: Vec<i64> = sim
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["number"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [3, 5, 4], "{sim}");
    // The search index holds the classification too: "phishing" is found in #3's type.
    assert_eq!(
        sim[0]["reasons"],
        json!(["observable:evil.example", "class", "type", "text:50%"])
    );
    assert_eq!(sim[0]["score"], 9.0);
    // "Phishing wave" → words phishing, wave: #5 holds both.
    assert_eq!(sim[1]["reasons"], json!(["text:100%"]));

    // A lesson learnt on #3, found from anywhere, accents and case ignored.
    let (status, v) = send_json(
        &f,
        "maria",
        "PATCH",
        "/api/v1/incidents/3/postmortem",
        json!({"lists": {"went-wrong": ["Le MFA n'était pas imposé sur le VPN"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, hits) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/lessons?q=mfa%20etait",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(
        (hits[0]["number"].as_i64(), hits[0]["section"].as_str()),
        (Some(3), Some("went-wrong"))
    );
    let (_, sim) = send_json(&f, "vic", "GET", "/api/v1/incidents/1/similar", Value::Null).await;
    assert_eq!(
        sim[0]["outcome"]["lessons"],
        json!(["Le MFA n'était pas imposé sur le VPN"])
    );

    // The replay of #1: its entries in order, the clock never going back.
    let (status, steps) =
        send_json(&f, "vic", "GET", "/api/v1/incidents/1/replay", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let steps = steps.as_array().unwrap();
    assert_eq!(steps[0]["kind"], "incident.opened");
    assert_eq!(steps[0]["elapsed_seconds"], 0);
    assert_eq!(steps.last().unwrap()["kind"], "observable.added");
    assert!(
        steps
            .windows(2)
            .all(|w| w[1]["elapsed_seconds"].as_i64() >= w[0]["elapsed_seconds"].as_i64())
    );

    // Facts stated after the event are placed when they happened, not when they were typed:
    // the attack's start, stated last, comes first; the replay keeps when it was typed.
    post(
        &f,
        "/api/v1/incidents/1/milestones",
        json!({"milestone": "started", "at": "2026-11-20T02:14:00Z", "source": "EDR"}),
    )
    .await;
    let (_, steps) = send_json(&f, "vic", "GET", "/api/v1/incidents/1/replay", Value::Null).await;
    let steps = steps.as_array().unwrap();
    assert_eq!(steps[0]["kind"], "incident.milestone_set", "{steps:?}");
    assert_eq!(steps[0]["at"], "2026-11-20T02:14:00.000000Z");
    assert_eq!(steps[0]["stated"], true);
    assert_ne!(steps[0]["recorded_at"], steps[0]["at"]);
    assert_eq!(steps[1]["kind"], "incident.opened");
    assert_eq!(steps[1]["stated"], false);
    assert!(steps[1]["elapsed_seconds"].as_i64().unwrap() > 86_400);

    // The pages, for a viewer, in French too.
    for (path, needle) in [
        ("/incidents/1/replay", "How it was handled"),
        ("/incidents/1/replay?print=1", "steps over"),
        ("/incidents/1/similar", "Invoice fraud mails"),
        ("/lessons?q=vpn", "went wrong"),
    ] {
        let (status, html, _) = call(&f.app, Who::Session("vic"), "GET", path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(needle), "{path}: {html}");
    }
}

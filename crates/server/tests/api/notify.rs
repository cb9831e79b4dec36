//! Outgoing notifications through the API, against a real HTTP receiver on loopback: the retry
//! worker delivers what failed, the rules propose and a manager sends (edited) or skips, and a
//! deadline near is escalated to the incident lead and legal, once.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A webhook receiver: `/down` answers 503 while `down` is set; every accepted body is kept.
struct Receiver {
    port: u16,
    down: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn receiver() -> Receiver {
    let down = Arc::new(AtomicBool::new(true));
    let got: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let app = {
        let (down, got) = (down.clone(), got.clone());
        axum::Router::new().route(
            "/{path}",
            axum::routing::post(
                move |axum::extract::Path(path): axum::extract::Path<String>,
                      body: axum::body::Bytes| {
                    let (down, got) = (down.clone(), got.clone());
                    async move {
                        if path == "down" && down.load(Ordering::SeqCst) {
                            return StatusCode::SERVICE_UNAVAILABLE;
                        }
                        got.lock()
                            .unwrap()
                            .push((path, serde_json::from_slice(&body).unwrap()));
                        StatusCode::OK
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { port, down, got }
}

/// The fixture with the notification worker running on a fast schedule.
async fn with_worker() -> Fixture {
    let f = fixture_with(|c| {
        c.retry_schedule = vec![1, 1, 1];
        c.notify_tick_ms = 100;
        c.escalation_every_seconds = 1;
    })
    .await;
    debrief_server::outbound::spawn(f.state.clone());
    f
}

/// Incident #1's postmortem once `ready` holds of it (the worker runs in the background),
/// polled for up to 10 s; the last one read otherwise.
async fn postmortem_once(f: &Fixture, ready: impl Fn(&Value) -> bool) -> Value {
    let mut pm = Value::Null;
    for _ in 0..100 {
        pm = send_json(
            f,
            "maria",
            "GET",
            "/api/v1/incidents/1/postmortem",
            Value::Null,
        )
        .await
        .1;
        if ready(&pm) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    pm
}

async fn entry(f: &Fixture, name: &str, category: &str, scope: &str, url: String, extra: Value) {
    let mut e = json!({"name": name, "kind": "group", "scope": scope, "category": category,
        "webhook_url": url, "webhook_format": "generic"});
    e.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, v) = send_json(f, "maria", "POST", "/api/v1/stakeholders", e).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

/// Polls the incident's obligations view until `done` says so (10 s at most).
async fn wait_for(f: &Fixture, incident: u32, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let (_, v) = send_json(
            f,
            "vic",
            "GET",
            &format!("/api/v1/incidents/{incident}/obligations"),
            Value::Null,
        )
        .await;
        if done(&v) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the worker did not get there in 10 s");
}

async fn aware_hours_ago(f: &Fixture, incident: u32, hours: f64, flags: &[&str]) {
    let aware = debrief_domain::Timestamp::now().plus_seconds(-(hours * 3600.0) as i64);
    let who = if incident == 2 { "hera" } else { "hank" };
    let (status, v) = send_json(
        f,
        who,
        "POST",
        &format!("/api/v1/incidents/{incident}/milestones"),
        json!({"milestone": "aware_at", "at": aware.to_string(), "source": "SOC"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = send_json(
        f,
        who,
        "POST",
        &format!("/api/v1/incidents/{incident}/flags"),
        json!({"flags": flags}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_by_the_worker_until_delivered() {
    let f = with_worker().await;
    let r = receiver().await;
    aware_hours_ago(&f, 1, 1.0, &["significant"]).await;
    entry(
        &f,
        "National CSIRT",
        "csirt",
        "external",
        format!("http://127.0.0.1:{}/down", r.port),
        json!({}),
    )
    .await;
    let (status, p) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/notifications/send", json!({
        "regime": "nis2", "step": "early-warning", "stakeholder": "National CSIRT", "channel": "webhook",
        "summary": "NIS2 early warning", "text": "Suspected malicious."
    })).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("will be retried"),
        "{p}"
    );
    // The worker retries (1 s later); the receiver is still down: a second attempt recorded.
    let v = wait_for(&f, 1, |v| v["notifications"][0]["attempts"] == 2).await;
    let n = &v["notifications"][0];
    assert!(
        n["delivery"]
            .as_str()
            .unwrap()
            .starts_with("not delivered: attempt 2: failed after 3 tries: HTTP 503"),
        "{n}"
    );
    assert!(n["delivered_at"].is_null());
    // Back up: the next retry delivers and discharges the step.
    r.down.store(false, Ordering::SeqCst);
    let v = wait_for(&f, 1, |v| !v["notifications"][0]["delivered_at"].is_null()).await;
    let n = &v["notifications"][0];
    assert_eq!(n["attempts"], 3, "{n}");
    assert!(
        n["delivery"]
            .as_str()
            .unwrap()
            .starts_with("delivered on try 1; HTTP 200"),
        "{n}"
    );
    let early = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["step"] == "early-warning")
        .unwrap();
    assert_eq!(early["state"], "met");
    assert_eq!(early["notification"], 1);
    assert_eq!(early["draft"], "nis2-early-warning");
    // The body received is the one recorded (its hash is in the delivery line).
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1["summary"], "NIS2 early warning");
    let content = n["content"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(content).unwrap(), got[0].1);
    // The attempts are journal entries of the worker.
    let id = f.state.store.resolve("1").await.unwrap();
    let attempts: Vec<String> = f
        .state
        .store
        .journal(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "notification.attempted")
        .map(|e| e.actor.to_string())
        .collect();
    assert_eq!(attempts, ["system:notifications", "system:notifications"]);
    // Nothing left to retry: a manual retry says so.
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/notifications/1/retry",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_propose_and_a_manager_sends_edited_or_skips() {
    let f = fixture().await;
    let r = receiver().await;
    aware_hours_ago(&f, 1, 2.0, &["significant"]).await;
    let url = |p: &str| format!("http://127.0.0.1:{}/{p}", r.port);
    entry(
        &f,
        "ANSSI",
        "csirt",
        "external",
        url("anssi"),
        json!({"language": "fr", "webhook_format": "slack"}),
    )
    .await;
    entry(
        &f,
        "Executive committee",
        "executive",
        "internal",
        url("comex"),
        json!({}),
    )
    .await;

    // Rules are checked, and only managers and admins make them.
    let csirt = json!({"name": "CSIRT early warning", "applies_to": [], "flags": ["significant"],
        "stakeholder": "ANSSI", "template": "regulator-initial", "obligation": "nis2/early-warning"});
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/notification-rules",
        csirt.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (bad, code, says) in [
        (
            json!({"stakeholder": "CNIL"}),
            StatusCode::NOT_FOUND,
            "CNIL",
        ),
        (
            json!({"template": "poem"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "regulator-initial",
        ),
        (
            json!({"obligation": "nis2/postcard"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nis2/postcard",
        ),
        (
            json!({"applies_to": ["weather"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "class",
        ),
    ] {
        let mut body = csirt.clone();
        body.as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        let (status, p) = send_json(&f, "maria", "POST", "/api/v1/notification-rules", body).await;
        assert_eq!(status, code, "{p}");
        assert!(p["detail"].as_str().unwrap().contains(says), "{p}");
    }
    let (status, rule1) = send_json(&f, "maria", "POST", "/api/v1/notification-rules", csirt).await;
    assert_eq!(status, StatusCode::CREATED, "{rule1}");
    let (status, rule2) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/notification-rules",
        json!({
        "name": "Executives on level 3 and above", "min_level": 3,
        "stakeholder": "Executive committee", "template": "internal-alert"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule2}");

    // #1 is significant but not assessed: only the CSIRT rule proposes, in French.
    let (_, p) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/notifications/proposals",
        Value::Null,
    )
    .await;
    let p = p.as_array().unwrap().clone();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0]["state"], "proposed");
    assert_eq!(p[0]["language"], "fr");
    assert_eq!(p[0]["channel"], "webhook");
    assert!(
        p[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Notification d'incident"),
        "{}",
        p[0]
    );
    assert!(
        p[0]["text"]
            .as_str()
            .unwrap()
            .contains("Nous vous notifions un incident de sécurité, notre référence n°1."),
        "{}",
        p[0]
    );
    // Assessed high: the executives' rule proposes too.
    let (status, v) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/severity",
        json!({
        "functional": "high", "information": "privacy-breach", "recoverability": "supplemented"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, p) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/notifications/proposals",
        Value::Null,
    )
    .await;
    assert_eq!(p.as_array().unwrap().len(), 2, "{p}");

    // A handler cannot decide; the manager sends the CSIRT one with an edited subject.
    let r1 = rule1["id"].as_str().unwrap();
    let send = format!("/api/v1/incidents/1/notifications/proposals/{r1}/send");
    let (status, _) = send_json(&f, "hank", "POST", &send, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) = send_json(
        &f,
        "maria",
        "POST",
        &send,
        json!({"subject": "Alerte précoce NIS2 — hameçonnage"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "anssi");
    let text = got[0].1["text"].as_str().unwrap();
    assert!(
        text.starts_with("#1 Phishing wave — Alerte précoce NIS2 — hameçonnage"),
        "{text}"
    );
    assert!(text.contains("Nous vous notifions"), "{text}");
    let n = &v["notifications"][0];
    assert_eq!(n["rule"], r1);
    assert_eq!(n["stakeholder"], "ANSSI");
    let early = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["step"] == "early-warning")
        .unwrap();
    assert_eq!(early["state"], "met");
    let (status, _) = send_json(&f, "maria", "POST", &send, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "sent once");

    // The executives were told in person: skipped with the reason, once.
    let r2 = rule2["id"].as_str().unwrap();
    let skip = format!("/api/v1/incidents/1/notifications/proposals/{r2}/skip");
    let (status, _) = send_json(&f, "maria", "POST", &skip, json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, p) = send_json(
        &f,
        "maria",
        "POST",
        &skip,
        json!({"reason": "briefed in person at the crisis meeting"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let states: Vec<(String, String)> = p
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["stakeholder"].as_str().unwrap().to_string(),
                x["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("ANSSI".to_string(), "sent".to_string()),
            ("Executive committee".to_string(), "skipped".to_string())
        ]
    );
    assert_eq!(p[1]["reason"], "briefed in person at the crisis meeting");
    assert_eq!(p[1]["by"], "maria");
    let (status, _) = send_json(&f, "maria", "POST", &skip, json!({"reason": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Rules go; the decisions stay in the journal.
    let (status, _) = send_json(
        &f,
        "maria",
        "DELETE",
        &format!("/api/v1/notification-rules/{r2}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send_json(
        &f,
        "maria",
        "DELETE",
        &format!("/api/v1/notification-rules/{r2}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, rules) = send_json(&f, "vic", "GET", "/api/v1/notification-rules", Value::Null).await;
    assert_eq!(rules.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_near_is_escalated_to_the_lead_and_legal_once() {
    let f = with_worker().await;
    let r = receiver().await;
    let url = |p: &str| format!("http://127.0.0.1:{}/{p}", r.port);
    entry(
        &f,
        "Hera (incident lead)",
        "it",
        "internal",
        url("lead"),
        json!({"kind": "person", "username": "hera"}),
    )
    .await;
    entry(
        &f,
        "Legal",
        "legal",
        "internal",
        url("legal"),
        json!({"language": "fr"}),
    )
    .await;
    entry(
        &f,
        "Outside counsel",
        "legal",
        "external",
        url("counsel"),
        json!({}),
    )
    .await;
    // #2 (led by hera) became known 23.5 hours ago and is significant: the NIS2 early warning
    // is due in 30 minutes.
    aware_hours_ago(&f, 2, 23.5, &["significant"]).await;
    let v = wait_for(&f, 2, |v| !v["escalations"].as_array().unwrap().is_empty()).await;
    let e = &v["escalations"][0];
    assert_eq!(e["regime"], "nis2");
    assert_eq!(e["step"], "early-warning");
    assert_eq!(e["recipients"], json!(["Hera (incident lead)", "Legal"]));
    assert!(
        e["delivery"]
            .as_str()
            .unwrap()
            .contains("Legal: delivered on try 1; HTTP 200"),
        "{e}"
    );
    let early = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["step"] == "early-warning")
        .unwrap();
    assert_eq!(early["state"], "due-soon");
    assert!(early["escalated_at"].is_string());
    let mut got = r.got.lock().unwrap().clone();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "lead");
    assert!(
        got[0].1["summary"]
            .as_str()
            .unwrap()
            .starts_with("Deadline near: NIS2"),
        "{:?}",
        got[0]
    );
    assert!(
        got[0].1["text"]
            .as_str()
            .unwrap()
            .contains("Incident lead: hera"),
        "{:?}",
        got[0]
    );
    assert_eq!(got[1].0, "legal");
    assert!(
        got[1].1["summary"]
            .as_str()
            .unwrap()
            .starts_with("Échéance proche"),
        "{:?}",
        got[1]
    );
    // Further passes do not warn again.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(r.got.lock().unwrap().len(), 2);
    let (_, v) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/2/obligations",
        Value::Null,
    )
    .await;
    assert_eq!(v["escalations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_owner_who_is_a_directory_entry_is_reminded_once_per_state() {
    let f = with_worker().await;
    let r = receiver().await;
    r.down.store(false, Ordering::SeqCst);
    // A one-word owner that is a directory entry, not an account.
    entry(
        &f,
        "Messaging",
        "it",
        "internal",
        format!("http://127.0.0.1:{}/messaging", r.port),
        json!({"language": "fr"}),
    )
    .await;
    let (status, pm) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/recommendations",
        json!({"action": "Enforce DMARC p=reject", "type": "prevent", "impact": 4, "effort": 2,
            "owner": "Messaging", "due": "2026-01-15T17:00:00Z"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    let (status, problem) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/recommendations",
        json!({"action": "x", "type": "prevent", "impact": 1, "effort": 1, "owner": "nobody"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The worker reminds the entry that it is overdue, in its language, and records it.
    let reminded = postmortem_once(&f, |pm| {
        !pm["recommendations"][0]["reminders"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let m = &reminded["recommendations"][0]["reminders"][0];
    assert_eq!(m["state"], "overdue", "{reminded}");
    assert_eq!(m["to"], "Messaging");
    assert!(
        m["delivery"].as_str().unwrap().starts_with("delivered"),
        "{m}"
    );
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "messaging");
    assert_eq!(
        got[0].1["summary"],
        "La recommandation 1 de l’incident n° 1 est en retard (échéance 2026-01-15)"
    );
    let text = got[0].1["text"].as_str().unwrap();
    assert!(
        text.contains("elle était due le 2026-01-15") && text.contains("Enforce DMARC p=reject"),
        "{text}"
    );
    // Once: later passes send nothing more.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(r.got.lock().unwrap().len(), 1);
    let (_, journal) =
        send_json(&f, "vic", "GET", "/api/v1/incidents/1/journal", Value::Null).await;
    let kinds: Vec<&str> = journal
        .as_array()
        .or_else(|| journal["entries"].as_array())
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| *k == "recommendation.reminded")
        .collect();
    assert_eq!(kinds.len(), 1);
}

#[tokio::test]
async fn a_question_left_unanswered_reminds_the_entry_asked_once() {
    // Reminders after 0 hours here; a working day (24 h, `info_reminder_hours`) by default.
    let f = fixture_with(|c| {
        c.retry_schedule = vec![1, 1, 1];
        c.notify_tick_ms = 100;
        c.escalation_every_seconds = 1;
        c.review.info_reminder_hours = 0;
    })
    .await;
    debrief_server::outbound::spawn(f.state.clone());
    let r = receiver().await;
    r.down.store(false, Ordering::SeqCst);
    entry(
        &f,
        "Direction des soins",
        "executive",
        "internal",
        format!("http://127.0.0.1:{}/soins", r.port),
        json!({"language": "fr"}),
    )
    .await;
    // TLP:RED: the reminder names the incident by its number only.
    let (status, v) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/markings",
        json!({"tlp": "red", "pap": "amber"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for (to, question) in [
        ("Direction des soins", "Which wards restore first?"),
        ("someone not in the directory", "Anything else?"),
    ] {
        let (status, v) = send_json(
            &f,
            "maria",
            "POST",
            "/api/v1/incidents/1/info-requests",
            json!({"to": to, "question": question}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let reminded = postmortem_once(&f, |pm| {
        !pm["info_requests"][0]["reminders"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let m = &reminded["info_requests"][0]["reminders"][0];
    assert_eq!(m["to"], "Direction des soins", "{reminded}");
    assert!(
        m["delivery"].as_str().unwrap().starts_with("delivered"),
        "{m}"
    );
    // Once, and only to an entry of the directory.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "soins");
    assert_eq!(got[0].1["title"], Value::Null, "{:?}", got[0]);
    assert!(!got[0].1.to_string().contains("Phishing wave"));
    let text = got[0].1["text"].as_str().unwrap();
    assert!(
        text.contains("maria vous a demandé le")
            && text.contains("Which wards restore first?")
            && text.contains("/incidents/1/postmortem#info-requests"),
        "{text}"
    );
    let (_, pm) = send_json(
        &f,
        "maria",
        "GET",
        "/api/v1/incidents/1/postmortem",
        Value::Null,
    )
    .await;
    assert!(
        pm["info_requests"][1]["reminders"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

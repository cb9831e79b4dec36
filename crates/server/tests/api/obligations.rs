//! Regulatory obligations through the API: flags make regimes apply, deadlines come from the
//! right clock, a late discharge needs its reason, and the board shows what is due.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn obligations_follow_the_flags_and_the_clocks() {
    let f = fixture().await;
    // Aware two hours ago: GDPR's 72 hours and NIS2's 24 hours run from then.
    let aware = debrief_domain::Timestamp::from_micros(
        debrief_domain::Timestamp::now().as_micros() - 2 * 3_600_000_000,
    )
    .unwrap();
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/milestones",
        json!({"milestone": "aware_at", "at": aware.to_string(), "source": "DPO e-mail"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, bad) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/flags",
        json!({"flags": ["gossip"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad["detail"].as_str().unwrap().contains("personal_data"),
        "{bad}"
    );
    let (status, v) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/flags", json!({"flags": ["personal_data", "significant", "material"], "reason": "customer records on the leaked share"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let steps: Vec<String> = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["regime"].as_str().unwrap(),
                o["step"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            "gdpr-33/notification",
            "nis2/early-warning",
            "nis2/notification",
            "nis2/final-report",
            "sec-8k/form-8k"
        ]
    );
    let ob = |v: &Value, id: &str| {
        v["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| {
                format!(
                    "{}/{}",
                    o["regime"].as_str().unwrap(),
                    o["step"].as_str().unwrap()
                ) == id
            })
            .unwrap()
            .clone()
    };
    let gdpr = ob(&v, "gdpr-33/notification");
    let due = debrief_domain::Timestamp::parse(gdpr["due"]["at"].as_str().unwrap()).unwrap();
    assert_eq!(due.seconds_since(aware), 72 * 3600);
    assert_eq!(gdpr["state"], "pending");
    assert_eq!(
        ob(&v, "sec-8k/form-8k")["due"]["kind"],
        "not-started",
        "materiality not determined yet"
    );

    // The board: the NIS2 early warning is due within 24 hours.
    let (_, board) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/obligations?within_hours=24",
        Value::Null,
    )
    .await;
    let due_soon: Vec<String> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "#{} {}/{}",
                d["incident"],
                d["regime"].as_str().unwrap(),
                d["step"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(due_soon, ["#1 nis2/early-warning"]);

    // Discharged on time through the ANSSI portal; GDPR's notification recorded too.
    let (status, v) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/notifications", json!({"regime": "nis2", "step": "early-warning", "recipients": ["ANSSI"], "channel": "portal", "summary": "Early warning: suspected malicious, no cross-border impact known"})).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(ob(&v, "nis2/early-warning")["state"], "met");
    assert_eq!(ob(&v, "nis2/early-warning")["notification"], 1);
    let (status, again) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/notifications", json!({"regime": "nis2", "step": "early-warning", "recipients": ["ANSSI"], "channel": "portal", "summary": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    // Materiality determined nine days ago: the 8-K is overdue, and a late filing needs a reason.
    let determined = debrief_domain::Timestamp::from_micros(
        debrief_domain::Timestamp::now().as_micros() - 9 * 86_400_000_000,
    )
    .unwrap();
    let (status, v) = send_json(&f, "maria", "POST", "/api/v1/incidents/1/regulatory-clocks", json!({"clock": "materiality_determined", "at": determined.to_string(), "source": "disclosure committee minutes"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(ob(&v, "sec-8k/form-8k")["state"], "overdue");
    let (status, late) = send_json(&f, "maria", "POST", "/api/v1/incidents/1/notifications", json!({"regime": "sec-8k", "step": "form-8k", "recipients": ["SEC EDGAR"], "channel": "portal", "summary": "Form 8-K Item 1.05"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late["detail"].as_str().unwrap().contains("late"), "{late}");
    let (status, v) = send_json(&f, "maria", "POST", "/api/v1/incidents/1/notifications", json!({"regime": "sec-8k", "step": "form-8k", "recipients": ["SEC EDGAR"], "channel": "portal", "summary": "Form 8-K Item 1.05", "late_reason": "the determination was recorded late"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(ob(&v, "sec-8k/form-8k")["state"], "met-late");
    // A phone call to IT, not a regulatory step: logged like the rest.
    let (status, v) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/notifications", json!({"recipients": ["IT service desk"], "channel": "phone", "summary": "asked to watch for password resets"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["notifications"].as_array().unwrap().len(), 3);
    let id = f.state.store.resolve("1").await.unwrap();
    let kinds: Vec<String> = f
        .state
        .store
        .journal(id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind.clone())
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "notification.recorded")
            .count(),
        3
    );
}

/// Webhooks through a real HTTP receiver on loopback: a first failure is retried and the
/// notification delivered (discharging the step); a receiver that stays down makes a 502, and the
/// attempt is still in the journal, as not delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_retried_and_failures_surface() {
    use std::sync::{Arc, Mutex};
    let f = fixture().await;
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let calls = Arc::new(Mutex::new(0u32));
    let app = {
        let (received, calls) = (received.clone(), calls.clone());
        axum::Router::new().route(
            "/{path}",
            axum::routing::post(
                move |axum::extract::Path(path): axum::extract::Path<String>,
                      body: axum::body::Bytes| {
                    let (received, calls) = (received.clone(), calls.clone());
                    async move {
                        let n = {
                            let mut c = calls.lock().unwrap();
                            *c += 1;
                            *c
                        };
                        if path == "down" || (path == "flaky" && n == 1) {
                            return StatusCode::SERVICE_UNAVAILABLE;
                        }
                        received
                            .lock()
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

    let aware = debrief_domain::Timestamp::from_micros(
        debrief_domain::Timestamp::now().as_micros() - 3_600_000_000,
    )
    .unwrap();
    send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/milestones",
        json!({"milestone": "aware_at", "at": aware.to_string(), "source": "SOC"}),
    )
    .await;
    send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/flags",
        json!({"flags": ["significant"]}),
    )
    .await;

    // The CSIRT is in the directory with its webhook (a handler cannot add to it).
    let entry = json!({"name": "National CSIRT", "kind": "group", "scope": "external", "category": "csirt",
        "webhook_url": format!("http://127.0.0.1:{port}/flaky"), "webhook_format": "slack", "language": "fr"});
    let (status, _) = send_json(&f, "hank", "POST", "/api/v1/stakeholders", entry.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, added) =
        send_json(&f, "maria", "POST", "/api/v1/stakeholders", entry.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (status, _) = send_json(&f, "maria", "POST", "/api/v1/stakeholders", entry).await;
    assert_eq!(status, StatusCode::CONFLICT, "names are unique");
    let (status, v) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/notifications/send", json!({
        "regime": "nis2", "step": "early-warning", "stakeholder": "National CSIRT", "channel": "webhook",
        "summary": "NIS2 early warning", "text": "Suspected malicious; no cross-border impact known."
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(*calls.lock().unwrap(), 2, "one failure, one retry");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].1["text"]
            .as_str()
            .unwrap()
            .contains("#1 Phishing wave — NIS2 early warning"),
        "{:?}",
        got[0]
    );
    let n = &v["notifications"][0];
    assert!(
        n["delivery"]
            .as_str()
            .unwrap()
            .starts_with("delivered on try 2; HTTP 200; sha256 "),
        "{n}"
    );
    assert_eq!(n["recipients"], json!(["National CSIRT"]));
    let early = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["step"] == "early-warning")
        .unwrap()
        .clone();
    assert_eq!(early["state"], "met");

    let down = json!({"name": "CSIRT (down)", "kind": "group", "scope": "external", "category": "csirt",
        "webhook_url": format!("http://127.0.0.1:{port}/down"), "webhook_format": "teams"});
    let (status, _) = send_json(&f, "maria", "POST", "/api/v1/stakeholders", down).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, p) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/notifications/send",
        json!({
            "regime": "nis2", "step": "notification", "stakeholder": "CSIRT (down)", "channel": "webhook",
            "summary": "NIS2 notification", "text": "Severity high; IoCs attached."
        }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("failed after 3 tries: HTTP 503"),
        "{p}"
    );
    let (_, v) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/obligations",
        Value::Null,
    )
    .await;
    let n = &v["notifications"][1];
    assert!(
        n["delivery"].as_str().unwrap().starts_with("not delivered"),
        "{n}"
    );
    let notif = v["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["step"] == "notification")
        .unwrap()
        .clone();
    assert_eq!(
        notif["state"], "pending",
        "a failed delivery discharges nothing"
    );
    // A webhook only goes to the directory: no address of the sender's choosing.
    let (status, p) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/notifications/send", json!({
        "recipients": ["x"], "channel": "webhook", "url": "http://169.254.169.254/latest", "summary": "s", "text": "t"
    })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/notifications/send",
        json!({
            "channel": "webhook", "summary": "s", "text": "t"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap().contains("directory"), "{p}");
}

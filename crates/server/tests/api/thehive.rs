//! The TheHive-compatible subset through the router: shapes and numbers as TheHive's, repeats
//! counted instead of refused, status mapping, promotion and merging, cases as incidents with
//! journal entries, the query language, Basic authentication and `message` in errors.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use serde_json::{Value, json};

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

async fn post(f: &Fixture, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        path,
        Some(&body.to_string()),
    )
    .await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn patch(f: &Fixture, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "PATCH",
        path,
        Some(&body.to_string()),
    )
    .await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn query(f: &Fixture, q: Value) -> Value {
    let (status, body) = post(f, "/api/v1/query", json!({ "query": q })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn alerts_have_thehive_shapes_and_repeats_are_counted() {
    let f = fixture().await;
    let input = json!({
        "type": "external", "source": "splunk", "sourceRef": "SPL-77", "title": "Login from TOR",
        "description": "Brute force then success", "severity": 3, "tlp": 2, "pap": 1,
        "date": 1_763_900_000_000_i64, "tags": ["tor", "vpn"], "flag": false,
        "externalLink": "https://siem.example/77",
        "observables": [{"dataType": "ip", "data": ["198.51.100.7", "198.51.100.8"], "message": "exit nodes"}]
    });
    let (status, a) = post(&f, "/api/v1/alert", input.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    for (field, want) in [
        ("_type", json!("Alert")),
        ("_createdBy", json!("hank")),
        ("type", json!("external")),
        ("sourceRef", json!("SPL-77")),
        ("severity", json!(3)),
        ("severityLabel", json!("HIGH")),
        ("tlp", json!(2)),
        ("tlpLabel", json!("AMBER")),
        ("pap", json!(1)),
        ("papLabel", json!("GREEN")),
        ("date", json!(1_763_900_000_000_i64)),
        ("status", json!("New")),
        ("stage", json!("New")),
        ("observableCount", json!(2)),
        ("tags", json!(["tor", "vpn"])),
    ] {
        assert_eq!(a[field], want, "{field} in {a}");
    }
    // Sent again: TheHive would answer a conflict; Debrief counts the repeat on the same alert.
    let (status, again) = post(&f, "/api/v1/alert", input).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["_id"], a["_id"]);
    assert_eq!(again["extraData"]["debrief"]["occurrences"], 2);

    // Malformed: problem+json with TheHive's `message`, nothing stored.
    let (status, text, headers) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alert",
        Some(r#"{"type":"x","source":"y","sourceRef":"z","title":"","severity":9}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    let problem = parse(&text);
    assert!(problem["type"].as_str().unwrap().starts_with("/problems/"));
    assert_eq!(problem["message"], problem["detail"]);
    assert!(text.contains("severity is 9"), "{text}");
    let count = query(&f, json!([{"_name": "listAlert"}, {"_name": "count"}])).await;
    assert_eq!(count, json!(2), "A-1 of the fixture and SPL-77 only");
}

#[tokio::test]
async fn alert_patch_maps_statuses_and_assignment() {
    let f = fixture().await;
    let (status, a) = patch(
        &f,
        "/api/v1/alert/1",
        json!({"status": "InProgress", "assignee": "hera"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(
        (a["status"].as_str(), a["assignee"].as_str()),
        (Some("InProgress"), Some("hera"))
    );
    assert!(a["timeToAcknowledge"].as_i64().unwrap() >= 0);
    let (_, a) = patch(
        &f,
        "/api/v1/alert/1",
        json!({"status": "FalsePositive", "summary": "lab scanner"}),
    )
    .await;
    assert_eq!(
        (a["status"].as_str(), a["stage"].as_str()),
        (Some("FalsePositive"), Some("Closed"))
    );
    assert_eq!(a["extraData"]["debrief"]["status"], "dismissed");
    let (_, a) = patch(
        &f,
        "/api/v1/alert/1",
        json!({"status": "New", "summary": "scanner was spoofed"}),
    )
    .await;
    assert_eq!(
        a["status"], "InProgress",
        "reopened alerts are back in triage, acknowledged"
    );
    // Fields the sender owns change by sending the alert again, not by PATCH.
    let (status, p) = patch(&f, "/api/v1/alert/1", json!({"title": "renamed"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["message"].as_str().unwrap().contains("`title`"), "{p}");
    let (status, p) = patch(&f, "/api/v1/alert/1", json!({"assignee": "vic"})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "viewers cannot be assigned: {p}"
    );
}

#[tokio::test]
async fn promotion_and_merge_answer_cases_and_fill_the_journal() {
    let f = fixture().await;
    let (status, obs) = post(
        &f,
        "/api/v1/alert/1/observable",
        json!({"dataType": "hash", "data": "d41d8cd98f00b204e9800998ecf8427e"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{obs}");
    assert_eq!(obs[0]["dataType"], "hash");
    let alert_obs = query(
        &f,
        json!([{"_name": "getAlert", "idOrName": "1"}, {"_name": "observables"}]),
    )
    .await;
    assert_eq!(alert_obs.as_array().unwrap().len(), 2, "{alert_obs}");

    let (status, case) = post(
        &f,
        "/api/v1/alert/1/case",
        json!({"severity": 4, "tags": ["c2"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["_type"], "Case");
    assert_eq!(case["number"], 3);
    assert_eq!(case["title"], "Beacon to evil.example");
    assert_eq!(
        (case["severity"].as_i64(), case["severityLabel"].as_str()),
        (Some(4), Some("CRITICAL"))
    );
    assert_eq!(case["tags"], json!(["c2"]));
    let a = query(&f, json!([{"_name": "getAlert", "idOrName": "A-1"}])).await;
    assert_eq!(
        (a[0]["status"].as_str(), a[0]["caseId"].as_str()),
        (Some("Imported"), case["_id"].as_str())
    );
    let observables = query(&f, json!([{"_name": "getCase", "idOrName": case["_id"]}, {"_name": "observables"}, {"_name": "sort", "_fields": [{"data": "asc"}]}])).await;
    let data: Vec<&str> = observables
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["data"].as_str().unwrap())
        .collect();
    assert_eq!(data, ["d41d8cd98f00b204e9800998ecf8427e", "evil.example"]);
    // The journal says who did what: promotion, carried observables, the severity, the tags.
    let id = f.state.store.resolve("3").await.unwrap();
    let kinds: Vec<String> = f
        .state
        .store
        .journal(id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.event().unwrap().kind().to_string())
        .collect();
    for k in [
        "incident.opened",
        "observable.added",
        "note.added",
        "incident.severity_assessed",
        "incident.tags_changed",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }

    // A second alert merged into case #1.
    let (_, b) = post(&f, "/api/v1/alert", json!({"type": "edr", "source": "edr", "sourceRef": "E-5", "title": "Same beacon", "description": "", "observables": [{"dataType": "domain", "data": "evil.example"}]})).await;
    let (status, merged) = post(
        &f,
        &format!("/api/v1/alert/{}/merge/1", b["_id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["number"], 1);
    let (status, again) = post(
        &f,
        &format!("/api/v1/alert/{}/merge/1", b["_id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "merged twice: {again}"
    );
}

#[tokio::test]
async fn cases_are_incidents_and_the_query_language_finds_them() {
    let f = fixture().await;
    let (status, c) = post(&f, "/api/v1/case", json!({
        "title": "Credential phishing", "description": "Finance mailbox", "severity": 2, "tlp": 3, "pap": 2,
        "tags": ["phishing", "finance"], "startDate": 1_763_800_000_000_i64, "flag": true, "assignee": "hank"
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    for (field, want) in [
        ("number", json!(3)),
        ("description", json!("Finance mailbox")),
        ("severity", json!(2)),
        ("tlp", json!(3)),
        ("tlpLabel", json!("RED")),
        ("pap", json!(2)),
        ("status", json!("New")),
        ("startDate", json!(1_763_800_000_000_i64)),
        ("assignee", json!("hank")),
    ] {
        assert_eq!(c[field], want, "{field} in {c}");
    }
    let (status, obs) = post(&f, "/api/v1/case/3/observable", json!({"dataType": "mail", "data": "ceo@evil-corp.example", "ioc": true, "message": "sender"})).await;
    assert_eq!(status, StatusCode::CREATED, "{obs}");
    assert_eq!(
        (obs[0]["dataType"].as_str(), obs[0]["ioc"].as_bool()),
        (Some("mail"), Some(true))
    );
    let (status, p) = patch(
        &f,
        "/api/v1/case/3",
        json!({"status": "InProgress", "addTags": ["bec"], "title": "BEC attempt"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(
        (p["status"].as_str(), p["title"].as_str()),
        (Some("InProgress"), Some("BEC attempt"))
    );
    assert_eq!(p["extraData"]["debrief"]["status"], "triage");
    let (status, p) = patch(&f, "/api/v1/case/3", json!({"caseTemplate": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_string())
            .collect()
    };
    let found = query(&f, json!([{"_name": "listCase"}, {"_name": "filter", "_and": [
        {"_eq": {"_field": "tags", "_value": "bec"}}, {"_gte": {"_field": "severity", "_value": 2}}]}])).await;
    assert_eq!(titles(&found), ["BEC attempt"]);
    let found = query(&f, json!([{"_name": "listCase"}, {"_name": "filter", "_like": {"_field": "title", "_value": "ransom"}}])).await;
    assert_eq!(titles(&found), ["Ransomware on FS01"]);
    let found = query(&f, json!([{"_name": "listCase"}, {"_name": "sort", "_fields": [{"number": "asc"}]}, {"_name": "page", "from": 1, "to": 3}])).await;
    assert_eq!(titles(&found), ["Ransomware on FS01", "BEC attempt"]);
    let n = query(&f, json!([{"_name": "listCase"}, {"_name": "filter", "_not": {"_has": "assignee"}}, {"_name": "count"}])).await;
    assert_eq!(n, json!(1), "only #1 is unassigned");
    let (status, bad) = post(&f, "/api/v1/query", json!({"query": [{"_name": "listCase"}, {"_name": "filter", "_regex": {"_field": "title", "_value": "x"}}]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().unwrap().contains("_regex"), "{bad}");
}

#[tokio::test]
async fn basic_authentication_with_a_password() {
    let f = fixture().await;
    let basic = |user: &str, password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    };
    let req = |auth: String| {
        Request::builder()
            .uri("/api/v1/alert/1")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .unwrap()
    };
    let (status, text, _, _) = send(&f.app, req(basic("hank", "password-of-hank"))).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let (status, text, _, _) = send(&f.app, req(basic("hank", "wrong-password"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(parse(&text)["message"].is_string(), "{text}");
    // Five failures lock the name out, even with the right password (429, with what to do).
    for _ in 0..5 {
        send(&f.app, req(basic("hera", "nope"))).await;
    }
    let (status, text, _, _) = send(&f.app, req(basic("hera", "password-of-hera"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(text.contains("too many sign-in attempts"), "{text}");
}

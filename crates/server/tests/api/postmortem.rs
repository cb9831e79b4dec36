//! A realistic postmortem through the API — phishing → credential theft → exfiltration of
//! customer addresses — with the response-effectiveness figures checked against hand-computed
//! values, the blameless check, the review workflow with a manager's approval, and the
//! recommendations board with overdue detection.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_phishing_postmortem_is_measured_reviewed_and_followed_up() {
    let f = fixture().await;
    // The key timestamps, from evidence (UTC).
    for (m, at) in [
        ("started_at", "2026-11-20T02:10:00Z"),
        ("detected_at", "2026-11-20T09:00:00Z"),
        ("acknowledged_at", "2026-11-20T09:40:00Z"),
        ("contained_at", "2026-11-21T11:00:00Z"),
        ("recovered_at", "2026-11-22T09:00:00Z"),
    ] {
        let (status, body) = send_json(
            &f,
            "maria",
            "POST",
            "/api/v1/incidents/1/milestones",
            json!({"milestone": m, "at": at, "source": "EDR and mail gateway logs"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{m}: {body}");
    }
    let (status, _) = send_json(&f, "maria", "POST", "/api/v1/incidents/1/severity", json!({"functional": "medium", "information": "privacy-breach", "recoverability": "supplemented"})).await;
    assert_eq!(status, StatusCode::OK);

    // The document, written by the handler.
    let (status, pm) = send_json(&f, "hank", "PATCH", "/api/v1/incidents/1/postmortem", json!({
        "texts": {
            "summary": "A lookalike domain phished three finance clerks; one password was used from abroad and 1,200 customer addresses were exported.",
            "trigger": "A mail from corp-invoices.example asking to confirm an invoice."
        },
        "lists": {
            "went-well": ["EDR isolated the first laptop within 4 minutes of the alert"],
            "went-wrong": ["Hank was careless and should have checked the sender"],
            "lucky": ["The export ran on a Sunday, when the DLP report was read"],
            "participants": ["maria", "hank", "legal"]
        },
        "impact": {
            "downtime_minutes": 95, "users_affected": 3,
            "records": [{"category": "customer e-mail addresses", "count": 1200}],
            "costs": [
                {"kind": "direct", "amount_minor": 1250000, "currency": "EUR", "description": "forensics retainer"},
                {"kind": "indirect", "amount_minor": 300000, "currency": "EUR", "description": "overtime"},
                {"kind": "recovered", "amount_minor": 500000, "currency": "EUR", "description": "cyber insurance"}
            ],
            "backups_worked": true
        },
        "review_at": "2026-11-26T14:00:00Z"
    })).await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    assert_eq!(pm["status"], "draft");
    assert_eq!(
        pm["net_costs"]["EUR"], 1_050_000,
        "12,500 + 3,000 − 5,000 EUR, in cents"
    );

    let (status, pm) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/postmortem/root-causes", json!({
        "category": "technology", "text": "Inbound mail was not checked against DMARC, so the lookalike domain was delivered; hank approved the exception last year",
        "whys": ["Why was it delivered? No DMARC reject policy.", "Why none? The gateway migration dropped it."],
        "preventable": true, "prevention": "Enforce DMARC reject on the gateway"
    })).await;
    assert_eq!(status, StatusCode::OK, "{pm}");

    // Computed, not typed: hand-computed expectations for severity level 3 (high).
    let measure = |pm: &Value, name: &str| {
        pm["effectiveness"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    };
    let ttd = measure(&pm, "time_to_detect");
    assert_eq!(ttd["seconds"], 6 * 3600 + 50 * 60, "02:10 → 09:00");
    let tta = measure(&pm, "time_to_acknowledge");
    assert_eq!(
        (
            tta["seconds"].as_i64(),
            tta["target_seconds"].as_i64(),
            tta["met"].as_bool()
        ),
        (Some(2400), Some(3600), Some(true))
    );
    let ttc = measure(&pm, "time_to_contain");
    assert_eq!(
        (
            ttc["seconds"].as_i64(),
            ttc["target_seconds"].as_i64(),
            ttc["met"].as_bool()
        ),
        (Some(26 * 3600), Some(24 * 3600), Some(false))
    );
    let ttr = measure(&pm, "time_to_recover");
    assert_eq!(
        (
            ttr["seconds"].as_i64(),
            ttr["target_seconds"].as_i64(),
            ttr["met"].as_bool()
        ),
        (Some(48 * 3600), Some(72 * 3600), Some(true))
    );
    // Recovered on Sunday 22 November: five business days later is Friday 27.
    assert!(
        pm["review_due"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-27T09:00:00"),
        "{}",
        pm["review_due"]
    );

    // The blameless check: blame words in the lessons, a user named in the root cause.
    let findings: Vec<(String, String)> = pm["blameless"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["matched"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // One warning per sentence, its blame words together.
    for want in [
        ("blame-language", "careless, should have"),
        ("person-named", "hank"),
    ] {
        assert!(
            findings.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {findings:?}"
        );
    }

    // Questions to the business and the answer time.
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/info-requests",
        json!({"to": "legal", "question": "Were the exported addresses of EU residents?"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, pm) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/info-requests/1/answer",
        json!({"answer": "Yes, all of them."}),
    )
    .await;
    assert!(pm["info_requests"][0]["answer_seconds"].as_i64().unwrap() >= 0);
    assert!(pm["mean_answer_seconds"].is_number());

    // Recommendations: a quick win with the default due date, and one already overdue.
    let (status, pm) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/recommendations", json!({"action": "Enforce DMARC p=reject on the mail gateway", "type": "prevent", "impact": 5, "effort": 2, "owner": "hera", "root_causes": [1], "incidents": [2]})).await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    let r = &pm["recommendations"][0];
    assert_eq!(r["related_incidents"], json!([2]));
    assert_eq!(
        (
            r["quadrant"].as_str(),
            r["score"].as_i64(),
            r["due_state"].as_str()
        ),
        (Some("quick-win"), Some(20), Some("on-track"))
    );
    let (status, _) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/recommendations", json!({"action": "Alert on bulk exports from the CRM", "type": "detect", "impact": 3, "effort": 4, "due": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, bad) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/recommendations",
        json!({"action": "x", "type": "prevent", "impact": 9, "effort": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    let (_, board) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/recommendations?state=overdue",
        Value::Null,
    )
    .await;
    assert_eq!(board["overdue"], 1);
    assert_eq!(board["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        board["items"][0]["action"],
        "Alert on bulk exports from the CRM"
    );
    assert_eq!(board["by_owner"]["hera"], 1);
    assert_eq!(board["by_owner"]["unassigned"], 1);
    // Done, then verified: half of the recommendations complete.
    for to in ["in-progress", "done", "verified"] {
        let (status, body) = send_json(
            &f,
            "hera",
            "POST",
            "/api/v1/incidents/1/recommendations/1/status",
            json!({"to": to}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    let (_, board) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/recommendations?state=all",
        Value::Null,
    )
    .await;
    assert_eq!(
        (
            board["total"].as_i64(),
            board["completed"].as_i64(),
            board["completion_rate"].as_f64()
        ),
        (Some(2), Some(1), Some(0.5))
    );
    let (status, _) = send_json(
        &f,
        "hera",
        "POST",
        "/api/v1/incidents/1/recommendations/2/status",
        json!({"to": "rejected"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );

    // The review: the handler submits, only a manager approves and publishes.
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/status",
        json!({"to": "in-review"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/status",
        json!({"to": "approved"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, pm) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/status",
        json!({"to": "approved"}),
    )
    .await;
    assert_eq!(
        (
            pm["status"].as_str(),
            pm["postmortem"]["approved_by"].as_str()
        ),
        (Some("approved"), Some("maria"))
    );
    let (_, pm) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/status",
        json!({"to": "published"}),
    )
    .await;
    assert_eq!(pm["status"], "published");
    // What the approver signed no longer changes: a later edit is refused and writes nothing.
    let (status, problem) = send_json(&f, "hank", "PATCH", "/api/v1/incidents/1/postmortem", json!({"lists": {"went-wrong": ["The sender check relied on each clerk noticing a lookalike domain"]}})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("published and no longer changes"),
        "{problem}"
    );
    // The page says so and offers no form for it; recommendations are still tracked there.
    let (status, page, _) = call(
        &f.app,
        Who::Session("maria"),
        "GET",
        "/incidents/1/postmortem",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"pm-frozen\""), "{page}");
    assert!(!page.contains("id=\"pm-save-texts\""), "{page}");
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
        kinds.last().map(String::as_str),
        Some("postmortem.status_changed")
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.starts_with("postmortem.")
                || k.starts_with("recommendation.")
                || k.starts_with("info."))
            .count(),
        19
    );
}

/// A playbook matched to the incident, applied, followed in part (adherence from the tasks), and
/// revised from a process recommendation: the new version names the incident.
#[tokio::test]
async fn a_playbook_is_applied_followed_in_part_and_revised_from_the_lessons() {
    let f = fixture().await;
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/classification",
        json!({"class": "fraud", "type": "phishing"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, pbs) = send_json(
        &f,
        "hank",
        "GET",
        "/api/v1/incidents/1/playbooks",
        Value::Null,
    )
    .await;
    let suggested: Vec<&str> = pbs["suggested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert!(suggested.contains(&"phishing"), "{pbs}");
    assert!(!suggested.contains(&"ddos"), "{pbs}");
    let (status, applied) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/playbooks",
        json!({"slug": "phishing"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{applied}");
    let total = applied["applied"][0]["total"].as_u64().unwrap();
    assert_eq!(total, 9);
    let (status, again) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/playbooks",
        json!({"slug": "phishing"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "applied once per version: {again}"
    );
    // Five steps done, one skipped, three left.
    for (task, to) in [
        (1, "done"),
        (2, "done"),
        (3, "done"),
        (4, "cancelled"),
        (5, "done"),
        (7, "done"),
    ] {
        let (status, body) = send_json(
            &f,
            "hank",
            "PATCH",
            &format!("/api/v1/incidents/1/tasks/{task}"),
            json!({"status": to}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, pm) = send_json(
        &f,
        "hank",
        "GET",
        "/api/v1/incidents/1/postmortem",
        Value::Null,
    )
    .await;
    let a = &pm["playbooks"][0];
    assert_eq!(
        (
            a["done"].as_u64(),
            a["skipped"].as_u64(),
            a["open"].as_u64()
        ),
        (Some(5), Some(1), Some(3)),
        "{a}"
    );
    assert!((a["rate"].as_f64().unwrap() - 5.0 / 9.0).abs() < 1e-9);
    assert_eq!(a["steps"][3][1], "skipped");

    // The lesson: a missing step, recommended as a process change, published as version 2.
    let (status, _) = send_json(&f, "hank", "POST", "/api/v1/incidents/1/recommendations", json!({"action": "Phishing playbook: check the exposed accounts' mail forwarding rules", "type": "process", "impact": 4, "effort": 1})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, current) = send_json(
        &f,
        "maria",
        "GET",
        "/api/v1/playbooks/phishing?lang=en",
        Value::Null,
    )
    .await;
    let body = current["playbook"]["body"].as_str().unwrap().to_string()
        + "- [ ] Check the exposed accounts for mail forwarding rules added by the attacker\n";
    let publish = json!({"body": body, "note": "forwarding rules were found late in #1", "from_incident": "1", "recommendation": 1});
    let (status, _) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/playbooks/phishing/versions",
        publish.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a manager publishes");
    let (status, v2) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/playbooks/phishing/versions",
        publish,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(
        (
            v2["version"].as_i64(),
            v2["from_incident"].as_i64(),
            v2["steps"].as_array().unwrap().len()
        ),
        (Some(2), Some(1), 10)
    );
    let (_, detail) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/playbooks/phishing?lang=en",
        Value::Null,
    )
    .await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);
    let (_, v1) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/playbooks/phishing?lang=en&version=1",
        Value::Null,
    )
    .await;
    assert_eq!(
        v1["playbook"]["steps"].as_array().unwrap().len(),
        9,
        "version 1 is kept as it was"
    );
    let (_, pm) = send_json(
        &f,
        "hank",
        "GET",
        "/api/v1/incidents/1/postmortem",
        Value::Null,
    )
    .await;
    assert_eq!(pm["recommendations"][0]["status"], "done");
    assert!(
        pm["recommendations"][0]["status_reason"]
            .as_str()
            .unwrap()
            .contains("phishing version 2")
    );
    // A body whose slug is not the address's is refused.
    let (status, _) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/playbooks/ddos/versions",
        json!({"body": body}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

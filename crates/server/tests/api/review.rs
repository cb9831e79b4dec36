//! The review's readiness check, root causes rewritten until the blameless check is quiet,
//! approval waiting for what the installation requires, and the facts for the regulators
//! reaching the drafts — through the API, on a real SQLite store.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn items(r: &Value) -> Vec<String> {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["item"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn approval_waits_for_what_is_required_and_the_drafts_take_the_stated_facts() {
    let f = fixture().await;
    let (status, _) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/flags",
        json!({"flags": ["personal_data", "significant"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // An empty record: the summary and the root causes are required, the rest is said.
    let (status, r) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/postmortem/readiness",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["ready"], false);
    let open = items(&r);
    for item in [
        "summary",
        "root-causes",
        "key-dates",
        "went-wrong",
        "regulator-facts",
    ] {
        assert!(open.contains(&item.to_string()), "{item} in {open:?}");
    }
    let required: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["required"] == true)
        .map(|g| g["item"].as_str().unwrap())
        .collect();
    assert_eq!(required, ["summary", "root-causes"]);
    let facts = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["item"] == "regulator-facts")
        .unwrap();
    assert!(
        facts["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("Data protection officer or other contact point")),
        "the missing facts by their names: {facts}"
    );
    assert!(
        facts["fill"]
            .as_str()
            .unwrap()
            .contains("notifications page")
    );

    // A high-severity incident, taken through its lifecycle to recovered.
    let (status, _) = send_json(&f, "maria", "POST", "/api/v1/incidents/1/severity",
        json!({"functional": "high", "information": "privacy-breach", "recoverability": "supplemented"})).await;
    assert_eq!(status, StatusCode::OK);
    for to in [
        "triage",
        "investigating",
        "contained",
        "eradicated",
        "recovered",
    ] {
        let (status, body) = send_json(
            &f,
            "maria",
            "POST",
            "/api/v1/incidents/1/transitions",
            json!({"to": to}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    // Closing it waits for the approved postmortem, or a reason.
    let (status, problem) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/transitions",
        json!({"to": "closed"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("postmortem is approved"),
        "{problem}"
    );

    // Recovered without an approved postmortem: a review owed, on the board.
    send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/milestones",
        json!({"milestone": "recovered_at", "at": "2026-11-21T15:30:00Z", "source": "restore log"}),
    )
    .await;
    let (_, board) = send_json(&f, "vic", "GET", "/api/v1/recommendations", Value::Null).await;
    let owed = board["reviews"].as_array().unwrap();
    assert_eq!(owed.len(), 1, "{board}");
    assert_eq!(
        (owed[0]["incident"].as_i64(), owed[0]["postmortem"].as_str()),
        (Some(1), Some("draft"))
    );

    // Approval is refused while a required item is open, and nothing is written.
    send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/status",
        json!({"to": "in-review"}),
    )
    .await;
    let (status, problem) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/status",
        json!({"to": "approved"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("summary, root-causes"),
        "{problem}"
    );

    // A blameful root cause, rewritten until the check is quiet; its number stays.
    send_json(
        &f,
        "hank",
        "PATCH",
        "/api/v1/incidents/1/postmortem",
        json!({"texts": {"summary": "Ransomware encrypted the file servers; restored from backups in 26 hours."}}),
    )
    .await;
    let (status, pm) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/root-causes",
        json!({"category": "people", "text": "The admin was careless and should have patched the VPN"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    assert!(!pm["blameless"].as_array().unwrap().is_empty());
    let (status, pm) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/postmortem/root-causes/1",
        json!({"category": "process", "text": "No process put VPN patches on a deadline", "preventable": true, "prevention": "Patch edge devices within 14 days"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    assert_eq!(pm["postmortem"]["root_causes"][0]["id"], 1);
    assert_eq!(pm["postmortem"]["root_causes"][0]["category"], "process");
    assert!(
        pm["blameless"].as_array().unwrap().is_empty(),
        "{}",
        pm["blameless"]
    );
    let (status, _) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/postmortem/root-causes/1",
        json!({"category": "process", "text": "No process put VPN patches on a deadline", "preventable": true, "prevention": "Patch edge devices within 14 days"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing changes");
    let (status, _) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/postmortem/root-causes/9",
        json!({"category": "process", "text": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Ready now (warnings remain); approved; then frozen for rewrites.
    let (_, r) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/postmortem/readiness",
        Value::Null,
    )
    .await;
    assert_eq!(r["ready"], true, "{r}");
    assert!(!items(&r).contains(&"preventability".to_string()));
    let (status, pm) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/status",
        json!({"to": "approved"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    let (_, journal) =
        send_json(&f, "vic", "GET", "/api/v1/incidents/1/journal", Value::Null).await;
    let approval = journal
        .as_array()
        .or_else(|| journal["entries"].as_array())
        .unwrap_or_else(|| panic!("{journal}"))
        .iter()
        .rfind(|e| e["kind"] == "postmortem.status_changed")
        .unwrap()["seq"]
        .as_u64()
        .unwrap();
    assert_eq!(
        pm["postmortem"]["approved_version"].as_u64(),
        Some(approval - 1),
        "the version approved is the record as the approver saw it"
    );
    let (status, _) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/postmortem/root-causes/1",
        json!({"category": "technology", "text": "Changed after approval"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "approved: frozen");

    let (_, board) = send_json(&f, "vic", "GET", "/api/v1/recommendations", Value::Null).await;
    assert!(
        board["reviews"].as_array().unwrap().is_empty(),
        "approved: no review owed"
    );
    let (status, body) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/transitions",
        json!({"to": "closed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "approved: it closes; {body}");

    // The facts only a person can state, and the drafts that use them.
    let (status, v) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/regulatory-facts",
        json!({
            "contact": "DPO: Claire Martin, dpo@chu.example, +33 1 23 45 67 89",
            "malicious": true,
            "cross_border": false,
            "data_subjects": [{"category": "patients", "count": 12000}, {"category": "staff", "count": 340}],
            "consequences": "Identity theft and targeted phishing of patients",
            "measures_for_people": "Patients informed by letter; a helpline opened"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["regulatory"]["data_subjects"][0]["count"], 12000);
    let (status, bad) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/regulatory-facts",
        json!({"data_subjects": [{"category": " ", "count": 1}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (_, r) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/postmortem/readiness",
        Value::Null,
    )
    .await;
    assert!(!items(&r).contains(&"regulator-facts".to_string()), "{r}");

    let (status, gdpr) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/reports/gdpr-33?format=json&lang=en",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{gdpr}");
    let value = |d: &Value, label: &str| {
        d["document"]["d"]["items"]
            .as_array()
            .unwrap_or_else(|| panic!("a draft's items: {d}"))
            .iter()
            .find(|i| i["label"] == label)
            .unwrap_or_else(|| panic!("{label} in {d}"))["value"]
            .clone()
    };
    assert_eq!(
        value(&gdpr, "Data protection officer or other contact point"),
        "DPO: Claire Martin, dpo@chu.example, +33 1 23 45 67 89"
    );
    let people = value(
        &gdpr,
        "Categories and approximate number of data subjects and records",
    );
    assert!(
        people
            .as_str()
            .unwrap()
            .contains("patients (people concerned): 12,000"),
        "{people}"
    );
    let (_, early) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/incidents/1/reports/nis2-early-warning?format=json&lang=fr",
        Value::Null,
    )
    .await;
    assert_eq!(
        value(&early, "Acte illicite ou malveillant suspecté ?"),
        "oui"
    );
    assert_eq!(value(&early, "Impact transfrontière ?"), "non");
    assert_eq!(
        early["document"]["d"]["gaps"], 1,
        "only the nature is left, for want of a classification: {early}"
    );

    // The final report opens with the postmortem's summary, not the alert's text.
    let (status, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents/1/reports/final?format=md&lang=fr",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let summary = text.split("## 2.").next().unwrap();
    assert!(
        summary.contains("Ransomware encrypted the file servers"),
        "{summary}"
    );
    assert!(!summary.contains("D’après la première alerte"), "{summary}");
}

#[tokio::test]
async fn a_recommendation_is_reworded_until_the_blameless_check_is_quiet() {
    let f = fixture().await;
    let (status, pm) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/recommendations",
        json!({"action": "Retrain the careless admin who clicked the link", "type": "training", "impact": 3, "effort": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{pm}");
    let flagged = |pm: &Value| {
        pm["blameless"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["sentence"].as_str().unwrap().contains("careless"))
    };
    assert!(flagged(&pm), "{}", pm["blameless"]);
    let due = pm["recommendations"][0]["due"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"action": "Train administrators to report suspicious links", "owner": "it security team", "due": due});
    let (status, pm) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/recommendations/1",
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    assert!(!flagged(&pm), "{}", pm["blameless"]);
    assert_eq!(pm["recommendations"][0]["owner"], "it security team");
    let (status, _) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/recommendations/1",
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing changes");
    let (status, problem) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/recommendations/1",
        json!({"action": "Train administrators", "owner": "nosuchuser", "due": due}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = send_json(
        &f,
        "vic",
        "PUT",
        "/api/v1/incidents/1/recommendations/1",
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Done: it no longer changes.
    for to in ["in-progress", "done"] {
        send_json(
            &f,
            "hank",
            "POST",
            "/api/v1/incidents/1/recommendations/1/status",
            json!({ "to": to }),
        )
        .await;
    }
    let (status, problem) = send_json(
        &f,
        "hank",
        "PUT",
        "/api/v1/incidents/1/recommendations/1",
        json!({"action": "Something else", "due": due}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("reopen it"),
        "{problem}"
    );
}

#[tokio::test]
async fn participants_give_input_before_the_meeting_which_is_recorded_then_frozen() {
    let f = fixture().await;
    // One anonymous input, one signed, before the meeting.
    let (status, pm) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/inputs",
        json!({"answers": {"went-wrong": "The EDR alert waited seven hours in the queue", "improve": "Page the on-call for critical alerts"}, "anonymous": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    let (status, pm) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/incidents/1/postmortem/inputs",
        json!({"answers": {"business": "Legal answered within the hour"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    let inputs = pm["postmortem"]["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["by"], Value::Null, "anonymous: {pm}");
    assert_eq!(inputs[1]["by"], "maria");
    assert_eq!(
        inputs[0]["answers"]["went-wrong"],
        "The EDR alert waited seven hours in the queue"
    );
    // A question the review does not ask, or nothing said: refused, nothing written.
    for body in [
        json!({"answers": {"who-is-to-blame": "hank"}}),
        json!({"answers": {"lucky": "   "}}),
    ] {
        let (status, p) = send_json(
            &f,
            "hank",
            "POST",
            "/api/v1/incidents/1/postmortem/inputs",
            body,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(p["detail"].as_str().unwrap().len() > 10, "{p}");
    }

    // The meeting as held: not in the future, with its attendees and decisions.
    let (status, p) = send_json(
        &f,
        "maria",
        "PUT",
        "/api/v1/incidents/1/postmortem/meeting",
        json!({"at": "2999-01-01T10:00:00Z", "attendees": ["maria"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, pm) = send_json(
        &f,
        "maria",
        "PUT",
        "/api/v1/incidents/1/postmortem/meeting",
        json!({"at": "2026-11-26T14:00:00Z", "attendees": ["maria", "hank", "Direction des soins"],
               "absent": ["Legal"], "decisions": ["Restore tests every quarter", "Page on critical EDR alerts"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pm}");
    let held = &pm["postmortem"]["held"];
    assert_eq!(
        held["attendees"],
        json!(["maria", "hank", "Direction des soins"])
    );
    assert_eq!(held["recorded_by"], "maria");

    // The reports carry the meeting and the input, without the anonymous author's name,
    // also in the journal appendix.
    let (status, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents/1/reports/postmortem?format=md&lang=fr",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("## Réunion de revue"), "{text}");
    assert!(text.contains("Restore tests every quarter"), "{text}");
    assert!(text.contains("**Participant anonyme**"), "{text}");
    assert!(
        text.contains("*Ce qui a mal tourné*\u{202f}: The EDR alert waited")
            || text.contains("*Ce qui a mal tourné*\u{a0}: The EDR alert waited"),
        "{text}"
    );
    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents/1/reports/final?format=md&lang=en",
        None,
    )
    .await;
    assert!(text.contains("**Review meeting:**"), "{text}");
    let appendix = text.split("Contribution").last().unwrap();
    let input_row = text
        .lines()
        .find(|l| l.contains("Input given before the review"))
        .unwrap_or_else(|| panic!("{appendix}"));
    assert!(
        input_row.contains("Anonymous participant") && !input_row.contains("hank"),
        "{input_row}"
    );

    // Approved (with what approval requires), the review no longer takes input.
    let (s1, p) = send_json(
        &f,
        "hank",
        "PATCH",
        "/api/v1/incidents/1/postmortem",
        json!({"texts": {"summary": "Phishing led to one stolen password; contained in a day."}}),
    )
    .await;
    assert_eq!(s1, StatusCode::OK, "{p}");
    let (s1, p) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/root-causes",
        json!({"category": "process", "text": "No DMARC reject policy on the mail gateway"}),
    )
    .await;
    assert_eq!(s1, StatusCode::OK, "{p}");
    for (who, to) in [("hank", "in-review"), ("maria", "approved")] {
        let (status, p) = send_json(
            &f,
            who,
            "POST",
            "/api/v1/incidents/1/postmortem/status",
            json!({"to": to}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{to}: {p}");
    }
    let (status, p) = send_json(
        &f,
        "hank",
        "POST",
        "/api/v1/incidents/1/postmortem/inputs",
        json!({"answers": {"lucky": "Backups were offline"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
}

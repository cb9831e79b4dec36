//! The OWASP SAMM assessment through the API, on SAMM's own model from `../shared/data/samm`.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn model() -> Option<debrief_domain::samm::Model> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/samm/model");
    if !dir.is_dir() {
        assert!(
            std::env::var("DEBRIEF_REQUIRE_SHARED").is_err(),
            "DEBRIEF_REQUIRE_SHARED is set but {} is missing",
            dir.display()
        );
        eprintln!("SAMM TEST NOT RUN: {} not found", dir.display());
        return None;
    }
    Some(debrief_server::samm::load(&dir).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_maturity_assessment_suggests_confirms_and_scores() {
    let Some(m) = model() else { return };
    let a1 = m.questions[0].id.clone();
    let f = fixture_with(|c| c.samm = Some(std::sync::Arc::new(m))).await;
    // Both fixture incidents are unclassified: detection level 2 ("documented process",
    // the taxonomy used) is suggested "No", with the evidence.
    let (status, a) = send_json(&f, "vic", "GET", "/api/v1/samm", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["items"].as_array().unwrap().len(), 6);
    let a2 = &a["items"][1];
    assert_eq!(
        (a2["stream"].as_str(), a2["level"].as_u64()),
        (Some("A"), Some(2))
    );
    assert_eq!(a2["suggestion"]["answer"], 0);
    assert_eq!(a2["suggestion"]["evidence"][0]["key"], "samm-ev-classified");
    assert_eq!(a2["suggestion"]["evidence"][0]["figures"]["total"], "2");
    // A manager team exists: maria (manager), hank and hera (handlers).
    let b3 = &a["items"][5];
    assert_eq!(b3["suggestion"]["evidence"][0]["figures"]["handlers"], "2");
    assert_eq!(a["scores"]["practice"], 0.0);

    // Only managers and admins confirm; a bad answer is refused.
    let body = json!({"question": a1, "answer": 3, "note": "daily hunts on the SIEM"});
    let (status, _) = send_json(&f, "hank", "POST", "/api/v1/samm/answers", body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, p) = send_json(
        &f,
        "maria",
        "POST",
        "/api/v1/samm/answers",
        json!({"question": a1, "answer": 9}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap().contains("0 to 3"), "{p}");
    let (status, a) = send_json(&f, "maria", "POST", "/api/v1/samm/answers", body).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    // "Most or all" (1.0) for detection level 1: stream A 1, B 0 → practice 0.5.
    assert_eq!(a["scores"]["streams"]["A"], 1.0);
    assert_eq!(a["scores"]["practice"], 0.5);
    assert_eq!(a["items"][0]["confirmed"]["by"], "maria");
    // Re-assessed lower: the latest counts, both stay in the history.
    let (_, a) = send_json(
        &f,
        "root",
        "POST",
        "/api/v1/samm/answers",
        json!({"question": a1, "answer": 1}),
    )
    .await;
    assert_eq!(a["scores"]["practice"], 0.125);
    let history: Vec<f64> = a["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[1]["practice"].as_f64().unwrap())
        .collect();
    assert_eq!(history, [0.5, 0.125]);
    // The page, in French for a viewer.
    let (status, html, _) = call(&f.app, Who::Session("vic"), "GET", "/samm?lang=fr", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Do you analyze log data"), "{html}");
}

#[tokio::test]
async fn without_a_model_the_assessment_says_how_to_load_one() {
    let f = fixture().await;
    let (status, p) = send_json(&f, "vic", "GET", "/api/v1/samm", Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(p["detail"].as_str().unwrap().contains("--samm"), "{p}");
}

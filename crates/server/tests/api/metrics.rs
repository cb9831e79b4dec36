//! Program metrics through the API over 200 incidents written through the real store, against
//! hand-computed figures (the pure computation has its own 240-incident test in the domain).

use crate::support::*;
use axum::http::StatusCode;
use debrief_domain::text::Actor;
use debrief_domain::{Milestone, NewIncident, Timestamp};
use serde_json::{Value, json};

/// Incident k (1…200), classified intrusions: started 1 March 2026 + k hours; detected
/// (k mod 4 + 1) h later; acknowledged 30 min after; contained (k mod 3 + 1) × 4 h after
/// detection; recovered 48 h after detection for even k only.
async fn history(f: &Fixture) {
    let store = &f.state.store;
    let who = Actor::parse("maria").unwrap();
    let t0 = Timestamp::parse("2026-03-01T00:00:00Z").unwrap();
    let now = Timestamp::now();
    for k in 1..=200i64 {
        let created = store
            .create_incident(
                &who,
                NewIncident::parse(&format!("Generated {k}"), "", "", "", None).unwrap(),
            )
            .await
            .unwrap();
        let id = created.incident.id;
        let started = t0.plus_seconds(k * 3600);
        let detected = started.plus_seconds((k % 4 + 1) * 3600);
        let mut steps = vec![
            (Milestone::Started, started),
            (Milestone::Detected, detected),
            (Milestone::Acknowledged, detected.plus_seconds(1800)),
            (
                Milestone::Contained,
                detected.plus_seconds((k % 3 + 1) * 4 * 3600),
            ),
        ];
        if k % 2 == 0 {
            steps.push((Milestone::Recovered, detected.plus_seconds(48 * 3600)));
        }
        debrief_store::testing::execute(&**store, id, &who, |i| {
            i.classify("intrusions", "system-compromise", "")
        })
        .await
        .unwrap();
        for (m, at) in steps {
            debrief_store::testing::execute(&**store, id, &who, |i| {
                i.set_milestone(m, at, "generated", "", now)
            })
            .await
            .unwrap();
        }
    }
}

fn stat<'a>(m: &'a Value, name: &str) -> &'a Value {
    m["durations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_over_two_hundred_incidents_match_the_hand_computed_figures() {
    let f = fixture().await;
    history(&f).await;
    let (status, m) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/metrics?class=intrusions",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["handled"], 200);
    // TTD: 50 each of 1, 2, 3, 4 h → mean 2.5, median 2.5, p90 (rank 180) 4.
    let ttd = stat(&m, "ttd");
    assert_eq!(
        (
            &ttd["n"],
            &ttd["mean_hours"],
            &ttd["median_hours"],
            &ttd["p90_hours"]
        ),
        (&json!(200), &json!(2.5), &json!(2.5), &json!(4.0))
    );
    assert_eq!(stat(&m, "tta")["mean_hours"], 0.5);
    // TTC: 66 × 4 h (k mod 3 = 0), 67 × 8 h, 67 × 12 h → mean 1604 / 200 = 8.02, median 8, p90 12.
    let ttc = stat(&m, "ttc");
    assert_eq!(
        (&ttc["mean_hours"], &ttc["median_hours"], &ttc["p90_hours"]),
        (&json!(8.02), &json!(8.0), &json!(12.0))
    );
    // Recovery on even incidents only: 100 measured at 48 h, 100 named as missing.
    let rec = stat(&m, "ttr_recovery");
    assert_eq!((&rec["n"], &rec["mean_hours"]), (&json!(100), &json!(48.0)));
    assert_eq!(rec["missing"].as_array().unwrap().len(), 100);
    // Fixture incidents 1 and 2 are not intrusions; the generated ones are #3 … #202, and the
    // first odd one (k = 1) is #3.
    assert_eq!(rec["missing"][0], 3);
    // None is closed: resolution is missing for all 200, not zero.
    let res = stat(&m, "ttr_resolution");
    assert_eq!((&res["n"], &res["mean_hours"]), (&json!(0), &Value::Null));
    assert_eq!(m["by_class"]["intrusions"].as_array().unwrap().len(), 200);
    assert_eq!(m["actions"]["incident.milestone_set"], 200 * 4 + 100);
    assert_eq!(m["actions"]["incident.classified"], 200);
    // Without a filter the fixture's two incidents count too; an unknown parameter is refused.
    let (_, all) = send_json(&f, "vic", "GET", "/api/v1/metrics", Value::Null).await;
    assert_eq!(all["handled"], 202);
    let (status, p) = send_json(&f, "vic", "GET", "/api/v1/metrics?colour=red", Value::Null).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{p}");
    let (status, p) = send_json(
        &f,
        "vic",
        "GET",
        "/api/v1/metrics?from=2026-05-01&to=2026-04-01",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(p["detail"].as_str().unwrap().contains("after"), "{p}");
    // The dashboard shows the same figures.
    let (status, html, _) = call(
        &f.app,
        Who::Session("vic"),
        "GET",
        "/metrics?class=intrusions",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("200 incidents handled"), "{html}");
    assert!(html.contains("<svg"), "charts are inline SVG");
}

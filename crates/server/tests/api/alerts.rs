//! Alert intake and triage through the API: idempotent repeats, batches checked whole before
//! anything is stored, promotion carrying observables and payload into the journal.

use crate::support::*;
use axum::http::StatusCode;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn intake_counts_repeats_and_refuses_bad_batches_whole() {
    let f = fixture().await;
    let alert = r#"{"type":"edr","source":"edr","sourceRef":"E-1","title":"Mimikatz on WS-7",
        "severity":3,"tlp":2,"observables":[{"dataType":"ip","data":"203.0.113[.]9"}]}"#;
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts",
        Some(alert),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let first = json(&text);
    assert_eq!(first["intake"], "created");
    assert_eq!(first["alert"]["number"], 2);
    assert_eq!(first["alert"]["observables"][0]["value"], "203.0.113.9");
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts",
        Some(alert),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let again = json(&text);
    assert_eq!(
        (
            again["intake"].as_str(),
            again["alert"]["occurrences"].as_i64()
        ),
        (Some("repeated"), Some(2))
    );
    assert_eq!(again["alert"]["id"], first["alert"]["id"]);

    // One bad alert in a batch: 422 naming it, and nothing of the batch stored.
    let batch = r#"[{"type":"edr","source":"edr","sourceRef":"E-2","title":"ok"},
                    {"type":"edr","source":"edr","sourceRef":"E-3","title":"bad","severity":7}]"#;
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts",
        Some(batch),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("alert 2: severity is 7"), "{text}");
    assert!(text.starts_with("{\"type\":\"/problems/"));
    let (_, text, _) = call(&f.app, Who::Token("vic"), "GET", "/api/v1/alerts", None).await;
    assert_eq!(json(&text)["alerts"].as_array().unwrap().len(), 2, "{text}");

    // Malformed shapes are problems too, and name the field.
    for (body, needle) in [
        (
            r#"{"type":"edr","source":"edr","title":"no ref"}"#,
            "sourceRef",
        ),
        (
            r#"{"type":"edr","source":"edr","sourceRef":"x","title":"t","colour":"red"}"#,
            "colour",
        ),
        (r#""just text""#, "JSON object"),
        (r#"[]"#, "1 to 1000"),
    ] {
        let (status, text, _) = call(
            &f.app,
            Who::Token("hank"),
            "POST",
            "/api/v1/alerts",
            Some(body),
        )
        .await;
        assert!(status.is_client_error(), "{body}: {status}");
        assert!(text.contains(needle), "{body}: {text}");
    }
    let (status, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/alerts/A-99",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("no alert `A-99`"), "{text}");
}

#[tokio::test]
async fn triage_and_promotion_carry_the_alert_into_the_journal() {
    let f = fixture().await;
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts/1/dismiss",
        Some(r#"{"reason":"benign","note":" "}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts/1/acknowledge",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(json(&text)["alert"]["acknowledged_by"], "hank");
    let acknowledged_at = json(&text)["alert"]["acknowledged_at"].clone();

    let (status, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/alerts/A-1/promote",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let promoted = json(&text);
    assert_eq!(promoted["alert"]["status"], "promoted");
    let number = promoted["incident"]["number"].as_i64().unwrap();
    assert_eq!(number, 3);
    assert_eq!(promoted["incident"]["title"], "Beacon to evil.example");

    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents/3/journal",
        None,
    )
    .await;
    let kinds: Vec<String> = json(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "incident.opened",
            "observable.added",
            "note.added",
            "incident.milestone_set"
        ],
        "{text}"
    );
    // The acknowledgement of the alert is when the incident was first taken in hand.
    let milestones = &promoted["incident"]["milestones"];
    let ack = milestones
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "acknowledged_at")
        .unwrap_or_else(|| panic!("{milestones}"));
    assert_eq!(ack["at"], acknowledged_at, "{milestones}");
    assert!(
        ack["source"]
            .as_str()
            .unwrap()
            .contains("acknowledged by hank"),
        "{ack}"
    );
    assert!(
        text.contains("evil.example") && text.contains("sourceRef `S-1`"),
        "{text}"
    );

    // Triage is over: a second promotion is refused and creates nothing.
    let (status, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/alerts/1/promote",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (status, _, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/incidents/4",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/alerts/1/history",
        None,
    )
    .await;
    let actions: Vec<String> = json(&text)["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, vec!["received", "acknowledged", "promoted"]);
}

#[tokio::test]
async fn the_queue_page_triages_with_forms() {
    let f = fixture().await;
    let (status, page, _) = call(&f.app, Who::Session("hank"), "GET", "/alerts", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("A-1") && page.contains("Beacon to evil.example"),
        "{page}"
    );
    assert!(page.contains("/alerts/1/acknowledge") && page.contains("value=\"csrf-hank\""));
    // A viewer sees the queue, without the triage forms, and cannot post them.
    let (_, page, _) = call(&f.app, Who::Session("vic"), "GET", "/alerts", None).await;
    assert!(page.contains("A-1") && !page.contains("/alerts/1/acknowledge"));
    let (status, _, _) = call(
        &f.app,
        Who::Session("vic"),
        "POST",
        "/alerts/1/acknowledge",
        Some("x=1"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // French labels.
    let (_, page, _) = call(
        &f.app,
        Who::Session("vic"),
        "GET",
        "/alerts?status=all",
        None,
    )
    .await;
    assert!(page.contains("Alert queue") || page.contains("File des alertes"));

    let (status, _, headers) = call(
        &f.app,
        Who::Session("hank"),
        "POST",
        "/alerts/1/acknowledge",
        Some("next=/alerts"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"], "/alerts",
        "the queue's forms return to it"
    );
    // A dismissal without a note is refused on the page, with the reason.
    let (status, page, _) = call(
        &f.app,
        Who::Session("hank"),
        "POST",
        "/alerts/1/dismiss",
        Some("reason=benign&note="),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("role=\"alert\""), "{page}");
    let (status, _, headers) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/alerts/1/promote",
        Some("x=1"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/incidents/3");
    let (_, page, _) = call(&f.app, Who::Session("hank"), "GET", "/alerts", None).await;
    assert!(
        !page.contains("A-1"),
        "a promoted alert leaves the open queue: {page}"
    );
}

/// Concurrent single alerts are written in groups (one transaction for those waiting): each
/// request still gets its own answer, every alert is stored once with its own number, and a
/// repeat inside a group is counted on the alert it repeats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_single_alerts_are_grouped_and_each_answered() {
    let f = fixture().await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let app = f.app.clone();
        tasks.push(tokio::spawn(async move {
            // Every tenth sends the same key as the previous tenth: a repeat.
            let r = if i % 10 == 0 { 0 } else { i };
            let body = format!(
                r#"{{"type":"edr","source":"edr","sourceRef":"C-{r}","title":"Concurrent {r}"}}"#
            );
            call(
                &app,
                Who::Token("hank"),
                "POST",
                "/api/v1/alerts",
                Some(&body),
            )
            .await
        }));
    }
    let mut intakes = std::collections::BTreeMap::<String, usize>::new();
    let mut numbers = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, text, _) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{text}");
        let v = json(&text);
        *intakes
            .entry(v["intake"].as_str().unwrap().to_string())
            .or_default() += 1;
        numbers.insert(v["alert"]["number"].as_i64().unwrap());
    }
    assert_eq!(intakes["created"], 55, "{intakes:?}");
    assert_eq!(intakes["repeated"], 5, "{intakes:?}");
    assert_eq!(
        numbers.len(),
        55,
        "repeats answer with their alert's number"
    );
    let stored = f
        .state
        .store
        .list_alerts(&debrief_store::alerts::AlertQuery {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 56, "A-1 and the 55 new ones");
    let c0 = stored.iter().find(|a| a.key.source_ref == "C-0").unwrap();
    assert_eq!(c0.occurrences, 6);
}

/// A busy queue: filtered by source, host, rule and severity, counted, and paged by a cursor that
/// stays right while alerts arrive; the page shows the same with the filters in its URL.
#[tokio::test]
async fn a_busy_queue_is_filtered_counted_and_paged() {
    let f = fixture().await;
    let batch: Vec<serde_json::Value> = (0..120)
        .map(|i| {
            serde_json::json!({"type": "sigma", "source": if i % 3 == 0 { "edr" } else { "hunt" },
                "sourceRef": format!("q-{i}"), "title": format!("Rule {}", i % 4),
                "host": format!("WS-{i}"), "severity": 1 + i % 4})
        })
        .collect();
    let body = serde_json::to_string(&batch).unwrap();
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/alerts",
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let get = |path: String| {
        let app = f.app.clone();
        async move {
            let (status, text, _) = call(&app, Who::Token("hank"), "GET", &path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {text}");
            json(&text)
        }
    };
    let all = get("/api/v1/alerts?source=hunt&limit=500".into()).await;
    assert_eq!(all["total"], 80);
    assert!(all["next"].is_null(), "one page holds them all");
    let edr = get("/api/v1/alerts?source=EDR&rule=rule%202&min_severity=3".into()).await;
    assert!(
        edr["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["source"] == "edr" && a["title"] == "Rule 2" && a["severity"] == 3),
        "{edr}"
    );
    assert_eq!(edr["total"], 10);
    let one = get("/api/v1/alerts?host=ws-7&cursor=&since=&until=".into()).await;
    assert_eq!(one["total"], 1);
    assert_eq!(one["alerts"][0]["source_ref"], "q-7");

    // Paged by the cursor: every alert once, newest first, even with alerts arriving between
    // pages.
    let mut seen = Vec::new();
    let mut path = "/api/v1/alerts?source=hunt&limit=30".to_string();
    loop {
        let page = get(path.clone()).await;
        assert!(page["total"].as_u64().unwrap() >= 80);
        for a in page["alerts"].as_array().unwrap() {
            seen.push(a["source_ref"].as_str().unwrap().to_string());
        }
        if seen.len() == 30 {
            let late = r#"{"type":"sigma","source":"hunt","sourceRef":"late","title":"Late"}"#;
            let (status, _, _) = call(
                &f.app,
                Who::Token("hank"),
                "POST",
                "/api/v1/alerts",
                Some(late),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED);
        }
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/alerts?source=hunt&limit=30&cursor={next}"),
            None => break,
        }
    }
    let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(
        seen.len(),
        80,
        "every alert once; the late one is before the cursor"
    );
    assert_eq!(distinct.len(), 80);
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "GET",
        "/api/v1/alerts?cursor=not-ours",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("the `next` of the previous page"), "{text}");
    for bad in ["since=yesterday", "host=WS%00-7"] {
        let (status, text, _) = call(
            &f.app,
            Who::Token("hank"),
            "GET",
            &format!("/api/v1/alerts?{bad}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {text}");
    }

    // The page: 50 at a time, the range and the total, the next page keeping the filters.
    let (_, page, _) = call(
        &f.app,
        Who::Session("hank"),
        "GET",
        "/alerts?source=hunt",
        None,
    )
    .await;
    assert!(page.contains("1–50 of 81 alerts"), "{page}");
    let next = page
        .split("href=\"")
        .find_map(|s| {
            let (url, rest) = s.split_once('"')?;
            rest.trim_start()
                .starts_with("rel=\"next\"")
                .then(|| url.to_string())
        })
        .expect("a next page link");
    assert!(
        next.contains("source=hunt") && next.contains("from=51"),
        "{next}"
    );
    let (_, page2, _) = call(
        &f.app,
        Who::Session("hank"),
        "GET",
        &next.replace("&#x2f;", "/").replace("&amp;", "&"),
        None,
    )
    .await;
    assert!(page2.contains("51–81 of 81 alerts"), "{page2}");
    assert!(page2.contains("First page"), "{page2}");
}

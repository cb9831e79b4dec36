//! The alert queue in the browser.

use super::*;

/// The alert queue: an alert from a SIEM, acknowledged and promoted from the page; the new
/// incident carries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_triaged_and_promoted_from_the_queue() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, db) = start_server().await;
    let store = debrief_store::open(&db.url, InstallationKey::generate().unwrap())
        .await
        .unwrap();
    let raw = serde_json::json!({"type": "external", "source": "siem", "sourceRef": "S-77",
        "title": "Beacon to evil.example from WS-042", "severity": 3, "host": "WS-042",
        "observables": [{"dataType": "domain", "data": "evil.example"}]});
    store
        .receive_alert(
            debrief_domain::alert::NewAlert::from_json(raw).unwrap(),
            "siem",
            debrief_domain::Timestamp::now(),
            3600,
        )
        .await
        .unwrap();
    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/alerts")).await.unwrap();
    assert!(
        text(&c, "#alert-1")
            .await
            .contains("Beacon to evil.example")
    );
    shot(&c, "alerts-queue").await;
    click(&c, "#alert-1 form[action$='/acknowledge'] button").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#alert-1 form[action$='/promote'] button"))
        .await
        .unwrap();
    assert!(text(&c, "#alert-1").await.contains("Acknowledged"));
    click(&c, "#alert-1 form[action$='/promote'] button").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents/1")))
        .await
        .unwrap();
    let body = text(&c, "body").await;
    assert!(
        body.contains("Beacon to evil.example from WS-042"),
        "{body}"
    );
    assert!(body.contains("evil.example"), "{body}");
    shot(&c, "alerts-promoted").await;
    c.close().await.unwrap();
}

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
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
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
    // The row's actions are in its one menu.
    click(&c, "#menu-1 summary").await;
    click(&c, "#alert-1 form[action$='/acknowledge'] button").await;
    // The row is redrawn once the acknowledgement is in: wait for its new text rather than read
    // it once (the promote button is there before and after).
    wait_text(&c, "#alert-1", "Acknowledged").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#alert-1 form[action$='/promote'] button"))
        .await
        .unwrap();
    click(&c, "#menu-1 summary").await;
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

/// Presses one key on the page (not in a field), as a person at the keyboard would.
async fn press(c: &Client, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.unwrap();
}

/// Keyboard triage: `j` selects the newest alert, `a` acknowledges it, `Enter` opens it; its page
/// lists the open incident that shares its observable, `m` jumps to "merge into" (already filled
/// with that incident) and Enter merges. Then a person reports a suspected incident with a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_triaged_from_the_keyboard_and_people_report() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, db) = start_server().await;
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
    let maria = debrief_domain::text::Actor::parse("maria").unwrap();
    let created = store
        .create_incident(
            &maria,
            debrief_domain::NewIncident::parse("C2 beaconing on finance laptops", "", "", "", None)
                .unwrap(),
        )
        .await
        .unwrap();
    debrief_store::testing::execute(&*store, created.incident.id, &maria, |i| {
        i.add_observable(
            debrief_domain::observable::ObservableKind::Domain,
            "evil.example",
            &Default::default(),
        )
    })
    .await
    .unwrap();
    for (r, title) in [
        ("S-1", "Old scan"),
        ("S-2", "Beacon to evil.example from FIN-7"),
    ] {
        let raw = serde_json::json!({"type": "external", "source": "siem", "sourceRef": r, "title": title,
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
    }
    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/alerts")).await.unwrap();
    text(&c, "#alert-2").await;
    press(&c, 'j').await;
    press(&c, 'a').await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//tr[@id='alert-2'][contains(., 'Acknowledged')]",
        ))
        .await
        .unwrap();
    press(&c, 'j').await;
    press(&c, '\u{E007}').await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/alerts/2")))
        .await
        .unwrap();
    let similar = text(&c, "#similar").await;
    assert!(
        similar.contains("#1") && similar.contains("evil.example"),
        "{similar}"
    );
    shot(&c, "alert-page").await;
    press(&c, 'm').await;
    c.active_element()
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents/1")))
        .await
        .unwrap();
    assert!(text(&c, "body").await.contains("From alert A-2"));

    // Reporting: the page, a file, the reference back, and "My reports".
    let file = db.dir.path().join("invoice.eml");
    std::fs::write(
        &file,
        "From: ceo@evil-corp.example\r\nSubject: Pay now\r\n\r\n...",
    )
    .unwrap();
    c.goto(&format!("{base}/report")).await.unwrap();
    fill(&c, "#what", "A fake invoice from our CEO's name").await;
    fill(&c, "#where", "Finance, FIN-7").await;
    fill(&c, "#file", file.to_str().unwrap()).await;
    click(&c, "form[action='/report'] button").await;
    let thanks = text(&c, "#report-sent").await;
    assert!(thanks.contains("A-3"), "{thanks}");
    shot(&c, "report-sent").await;
    c.goto(&format!("{base}/reports")).await.unwrap();
    assert!(
        text(&c, "#my-reports")
            .await
            .contains("Reported: A fake invoice")
    );
    let alert = store.alert("A-3").await.unwrap();
    assert_eq!(alert.raw["attachment"]["name"], "invoice.eml");
    c.close().await.unwrap();
}

/// A queue of 40 alerts: at least 15 rows on a 1400×1000 screen; three ticked and dismissed
/// together, two merged together into an incident; each went through as its own form would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_triaged_in_bulk_from_a_dense_queue() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, db) = start_server().await;
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
    let alerts = (1..=40)
        .map(|n| {
            debrief_domain::alert::NewAlert::from_json(serde_json::json!({"type": "sigma",
                "source": "hunt", "sourceRef": format!("H-{n}"),
                "title": format!("Suspicious PowerShell download cradle {n}"),
                "severity": 1 + n % 4, "host": format!("WS-{:03}", n % 7)}))
            .unwrap()
        })
        .collect();
    store
        .receive_alerts(alerts, "hunt", debrief_domain::Timestamp::now(), 0)
        .await
        .unwrap();
    let maria = debrief_domain::text::Actor::parse("maria").unwrap();
    store
        .create_incident(
            &maria,
            debrief_domain::NewIncident::parse("PowerShell campaign", "", "maria", "EDR", None)
                .unwrap(),
        )
        .await
        .unwrap();
    c.set_window_size(1400, 1000).await.unwrap();
    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/alerts")).await.unwrap();
    let visible = c
        .execute(
            "return Array.prototype.filter.call(document.querySelectorAll('tr[id^=alert-]'), \
             function (r) { return r.getBoundingClientRect().bottom <= window.innerHeight; }).length",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    shot(&c, "alerts-dense").await;
    assert!(visible >= 15, "{visible} alerts on the first screen");
    assert!(text(&c, "#alerts-total").await.contains("1–40 of 40"));

    // Nothing ticked: a clear refusal, nothing triaged.
    click(&c, "#bulk-apply").await;
    wait_text(&c, "main", "Select the alerts to triage first").await;

    // Three ticked, dismissed together as false positives.
    for n in [40, 39, 38] {
        click(&c, &format!("#alert-{n} input[type=checkbox]")).await;
    }
    c.find(Locator::Css("#bulk-action"))
        .await
        .unwrap()
        .select_by_value("dismiss")
        .await
        .unwrap();
    fill(&c, "#bulk-note", "Admin inventory script").await;
    click(&c, "#bulk-apply").await;
    wait_text(&c, "#alerts-total", "of 37").await;
    for n in [40, 39, 38] {
        let a = store.alert(&n.to_string()).await.unwrap();
        assert_eq!(
            a.status,
            debrief_domain::alert::AlertStatus::Dismissed,
            "A-{n}"
        );
    }

    // Two merged into incident 1, the incident chosen by its number.
    for n in [37, 36] {
        click(&c, &format!("#alert-{n} input[type=checkbox]")).await;
    }
    c.find(Locator::Css("#bulk-action"))
        .await
        .unwrap()
        .select_by_value("merge")
        .await
        .unwrap();
    fill(&c, "#bulk-incident", "#1").await;
    click(&c, "#bulk-apply").await;
    wait_text(&c, "#alerts-total", "of 35").await;
    let incident = store.resolve("1").await.unwrap();
    for n in [37, 36] {
        let a = store.alert(&n.to_string()).await.unwrap();
        assert_eq!(
            a.status,
            debrief_domain::alert::AlertStatus::Merged,
            "A-{n}"
        );
        assert_eq!(a.incident_id, Some(incident), "A-{n} went into incident 1");
    }

    // French.
    switch_language(&c, "fr").await;
    c.goto(&format!("{base}/alerts")).await.unwrap();
    assert!(text(&c, "#bulk").await.contains("Appliquer"));
    shot(&c, "alerts-dense-fr").await;
    c.close().await.unwrap();
}

//! Notifications in the browser: regulatory deadlines set and discharged; the directory, a
//! notification rule, and its proposal edited and sent to a real webhook receiver or skipped.

use super::*;

/// The notifications page: the flags make GDPR and NIS2 apply, the NIS2 early warning is
/// recorded as sent through the portal, and the deadlines board no longer lists it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regulatory_deadlines_are_set_and_discharged_in_the_browser() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, db) = start_server().await;
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
    let maria = debrief_domain::text::Actor::parse("maria").unwrap();
    let created = store
        .create_incident(
            &maria,
            debrief_domain::NewIncident::parse("Customer database exposed", "", "", "", None)
                .unwrap(),
        )
        .await
        .unwrap();
    let now = debrief_domain::Timestamp::now();
    let aware =
        debrief_domain::Timestamp::from_micros(now.as_micros() - 23 * 3_600_000_000).unwrap();
    debrief_store::testing::execute(&*store, created.incident.id, &maria, |i| {
        i.set_milestone(
            debrief_domain::Milestone::Aware,
            aware,
            "DPO e-mail",
            "",
            now,
        )
    })
    .await
    .unwrap();
    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    click(&c, "#notifications-link").await;
    click(&c, "#flag-personal_data").await;
    click(&c, "#flag-significant").await;
    click(&c, "#save-flags").await;
    let obligations = wait_text(&c, "#obligations", "NIS2").await;
    assert!(
        obligations.contains("GDPR") && obligations.contains("due soon"),
        "{obligations}"
    );
    c.goto(&format!("{base}/obligations")).await.unwrap();
    assert!(text(&c, "#due").await.contains("early warning"));
    c.goto(&format!("{base}/incidents/1/notifications"))
        .await
        .unwrap();
    c.find(Locator::Css("#n-obligation"))
        .await
        .unwrap()
        .select_by_value("nis2/early-warning")
        .await
        .unwrap();
    fill(&c, "#n-recipients", "ANSSI").await;
    c.find(Locator::Css("#n-channel"))
        .await
        .unwrap()
        .select_by_value("portal")
        .await
        .unwrap();
    fill(
        &c,
        "#n-summary",
        "Early warning: suspected malicious, no cross-border impact known",
    )
    .await;
    click(&c, "#n-record").await;
    wait_text(&c, "#notifications", "ANSSI").await;
    let obligations = text(&c, "#obligations").await;
    assert!(obligations.contains("met"), "{obligations}");
    // Each obligation offers its draft, and names the notification that discharged it.
    assert!(
        obligations.contains("Draft NIS2 early warning (Art. 23(4)(a)) (HTML)")
            && obligations.contains("discharged by notification 1"),
        "{obligations}"
    );
    shot(&c, "notifications").await;
    c.goto(&format!("{base}/obligations")).await.unwrap();
    let body = text(&c, "main").await;
    assert!(!body.contains("early-warning"), "{body}");
    // The directory: the manager adds the regulator.
    c.goto(&format!("{base}/directory")).await.unwrap();
    fill(&c, "#d-name", "CNIL").await;
    c.find(Locator::Css("#d-category"))
        .await
        .unwrap()
        .select_by_value("regulator")
        .await
        .unwrap();
    fill(&c, "#d-email", "notifications@cnil.fr").await;
    click(&c, "#d-add").await;
    let dir = wait_text(&c, "#directory", "CNIL").await;
    assert!(
        dir.contains("Regulator") && dir.contains("notifications@cnil.fr"),
        "{dir}"
    );
    c.close().await.unwrap();
}

/// A webhook receiver on loopback that keeps every body it accepts.
async fn receiver() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let got: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>> = Default::default();
    let app = {
        let got = got.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::body::Bytes| {
                let got = got.clone();
                async move {
                    got.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    axum::http::StatusCode::OK
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, got)
}

async fn add_entry(c: &Client, name: &str, category: &str, hook: &str, lang: &str) {
    fill(c, "#d-name", name).await;
    c.find(Locator::Css("#d-scope"))
        .await
        .unwrap()
        .select_by_value("internal")
        .await
        .unwrap();
    c.find(Locator::Css("#d-category"))
        .await
        .unwrap()
        .select_by_value(category)
        .await
        .unwrap();
    fill(c, "#d-webhook", hook).await;
    c.find(Locator::Css("#d-lang"))
        .await
        .unwrap()
        .select_by_value(lang)
        .await
        .unwrap();
    click(c, "#d-add").await;
    wait_text(c, "#directory", name).await;
}

async fn add_rule(c: &Client, name: &str, to: &str) {
    fill(c, "#r-name", name).await;
    c.find(Locator::Css("#r-stakeholder"))
        .await
        .unwrap()
        .select_by_value(to)
        .await
        .unwrap();
    c.find(Locator::Css("#r-template"))
        .await
        .unwrap()
        .select_by_value("internal-alert")
        .await
        .unwrap();
    click(c, "#r-add").await;
    wait_text(c, "#rules", name).await;
}

/// A manager adds two directory entries and a rule for each; on the incident, one proposal is
/// edited and sent (the receiver gets the edited subject, in French), the other skipped with a
/// reason; the page shows both decisions, in English and in French.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposed_notifications_are_edited_sent_and_skipped() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, db) = start_server().await;
    let (port, got) = receiver().await;
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
    let maria = debrief_domain::text::Actor::parse("maria").unwrap();
    store
        .create_incident(
            &maria,
            debrief_domain::NewIncident::parse(
                "Ransomware on FS01",
                "Finance share encrypted",
                "",
                "",
                None,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/directory")).await.unwrap();
    let hook = format!("http://127.0.0.1:{port}/hook");
    add_entry(&c, "Cellule de crise", "executive", &hook, "fr").await;
    add_entry(&c, "IT operations", "it", &hook, "en").await;
    add_rule(&c, "Tell the crisis cell", "Cellule de crise").await;
    add_rule(&c, "Tell IT operations", "IT operations").await;
    shot(&c, "directory-rules").await;

    c.goto(&format!("{base}/incidents/1/notifications"))
        .await
        .unwrap();
    let proposals = wait_text(&c, "#proposals", "Cellule de crise").await;
    assert!(proposals.contains("IT operations"), "{proposals}");
    // The French one is proposed in French; the manager edits its subject and sends it.
    let body = c
        .find(Locator::Css("#p-text-1"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        body.contains("L'équipe sécurité traite l'incident n°1"),
        "{body}"
    );
    let subject = c.find(Locator::Css("#p-subject-1")).await.unwrap();
    subject.clear().await.unwrap();
    subject
        .send_keys("Rançongiciel sur FS01 : point de situation")
        .await
        .unwrap();
    c.find(Locator::Css("section.proposal-proposed .send-proposal"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#proposals", "Sent (notification 1)").await;
    let received = got.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0]["summary"],
        "Rançongiciel sur FS01 : point de situation"
    );
    assert!(
        received[0]["text"]
            .as_str()
            .unwrap()
            .contains("Finance share encrypted"),
        "{}",
        received[0]
    );
    // The other is skipped, with the reason.
    fill(
        &c,
        "#p-reason-2",
        "IT runs the restore; told on the bridge call",
    )
    .await;
    click(&c, "section.proposal-proposed .skip-proposal").await;
    let decided = wait_text(&c, "#proposals", "Skipped by maria").await;
    assert!(decided.contains("told on the bridge call"), "{decided}");
    let listed = text(&c, "#notifications").await;
    assert!(
        listed.contains("delivered 2") && !listed.contains("not delivered"),
        "the notification and its delivery are listed in words: {listed}"
    );
    scroll_to(&c, "#proposals").await;
    shot(&c, "notifications-proposals").await;
    switch_language(&c, "fr").await;
    let fr = wait_text(&c, "#proposals", "Écartée par maria").await;
    assert!(fr.contains("Envoyée (notification 1)"), "{fr}");
    shot(&c, "notifications-proposals-fr").await;
    c.close().await.unwrap();
}

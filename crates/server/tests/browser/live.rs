//! Live updates in the browser: two people on one incident see each other's changes without
//! reloading, and what one of them is typing is never replaced.

use super::*;

/// The value of a form field (what the person typed, not the attribute).
async fn value(c: &Client, css: &str) -> String {
    c.execute(
        &format!("return document.querySelector({css:?}).value"),
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Whether `css` is shown (present and not `hidden`), within 5 s.
async fn shown_within(c: &Client, css: &str) -> bool {
    for _ in 0..50 {
        let shown = c
            .execute(
                &format!("var e = document.querySelector({css:?}); return !!e && !e.hidden"),
                vec![],
            )
            .await
            .unwrap();
        if shown.as_bool() == Some(true) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Maria and Hugo open incident 1. Maria renames it: Hugo's page shows the new title without a
/// reload. Hugo starts typing a reason; Maria renames it again: Hugo's page keeps what he typed
/// and tells him the page changed, and showing the changes brings the new title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_on_one_incident_see_each_others_changes() {
    let Some((maria, _d1, _p1)) = browser().await else {
        return;
    };
    let Some((hugo, _d2, _p2)) = browser().await else {
        return;
    };
    let (base, db) = start_server().await;
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
    add_account(&*store, "hugo", "Hugo Martin", Role::Handler).await;
    store
        .create_incident(
            &debrief_domain::text::Actor::parse("maria").unwrap(),
            debrief_domain::NewIncident::parse(
                "Beaconing from WS-7",
                "EDR saw beacons every 60 s",
                "maria",
                "EDR",
                None,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    sign_in(&maria, &base, "maria", "maria-password-1").await;
    sign_in(&hugo, &base, "hugo", "hugo-password-1").await;
    let page = format!("{base}/incidents/1");
    for c in [&maria, &hugo] {
        c.goto(&page).await.unwrap();
        assert!(
            shown_within(c, "body[data-live-open]").await,
            "the page follows its stream"
        );
    }
    // Give the streams a moment to be subscribed on the server.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Maria renames the incident; Hugo's page follows, without a reload.
    click(&maria, "#edit summary").await;
    let title = maria.find(Locator::Css("#e-title")).await.unwrap();
    title.clear().await.unwrap();
    title
        .send_keys("Beaconing from WS-7 and WS-9")
        .await
        .unwrap();
    click(&maria, "#edit button.primary").await;
    wait_text(&maria, "h1", "WS-9").await;
    let started = std::time::Instant::now();
    wait_text(&hugo, "h1", "WS-9").await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "Hugo saw it after {took:?}");
    assert_eq!(hugo.current_url().await.unwrap().as_str(), page);
    shot(&hugo, "live-updated").await;

    // Hugo types a reason without sending it; Maria renames again.
    fill(&hugo, "#reason", "Containment agreed with the site lead").await;
    click(&maria, "#edit summary").await;
    let title = maria.find(Locator::Css("#e-title")).await.unwrap();
    title.clear().await.unwrap();
    title.send_keys("Beaconing from three hosts").await.unwrap();
    click(&maria, "#edit button.primary").await;
    wait_text(&maria, "h1", "three hosts").await;
    assert!(
        shown_within(&hugo, "#live-note").await,
        "Hugo is told that the page changed"
    );
    assert_eq!(
        value(&hugo, "#reason").await,
        "Containment agreed with the site lead",
        "what Hugo typed stays"
    );
    assert!(
        text(&hugo, "h1").await.contains("WS-9"),
        "not replaced under him"
    );
    shot(&hugo, "live-kept-typing").await;
    click(&hugo, "#live-note a").await;
    wait_text(&hugo, "h1", "three hosts").await;

    // French: the note in the reader's language.
    switch_language(&hugo, "fr").await;
    hugo.goto(&page).await.unwrap();
    assert!(shown_within(&hugo, "body[data-live-open]").await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    fill(&hugo, "#reason", "Confinement validé").await;
    transition(&maria, "triage").await;
    assert!(shown_within(&hugo, "#live-note").await);
    assert!(
        text(&hugo, "#live-note")
            .await
            .contains("Quelqu’un d’autre")
    );
    shot(&hugo, "live-kept-typing-fr").await;
    maria.close().await.unwrap();
    hugo.close().await.unwrap();
}

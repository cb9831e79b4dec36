//! The program's pages in the browser, in English then French: the metrics dashboard with its
//! charts and filters, the replay of an incident step by step (and printable), and the SAMM
//! maturity page where a manager confirms an answer.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_replay_and_maturity_in_both_languages() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/samm/model");
    if !dir.is_dir() {
        assert!(
            std::env::var("DEBRIEF_REQUIRE_SHARED").is_err(),
            "DEBRIEF_REQUIRE_SHARED is set but {} is missing",
            dir.display()
        );
        return;
    }
    let model = debrief_server::samm::load(&dir).unwrap();
    let (base, db) = start_server_with(|c| c.samm = Some(std::sync::Arc::new(model))).await;
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
    let maria = debrief_domain::text::Actor::parse("maria").unwrap();
    let now = debrief_domain::Timestamp::now();
    // Six incidents: three phishing, three malware; each detected 2 h after it started.
    for k in 0..6i64 {
        let created = store
            .create_incident(
                &maria,
                debrief_domain::NewIncident::parse(&format!("Case {k}"), "", "", "", None).unwrap(),
            )
            .await
            .unwrap();
        let id = created.incident.id;
        let (class, kind) = if k < 3 {
            ("fraud", "phishing")
        } else {
            ("malicious-code", "infected-system")
        };
        debrief_store::testing::execute(&*store, id, &maria, |i| i.classify(class, kind, ""))
            .await
            .unwrap();
        let started = now.plus_seconds(-(k + 1) * 86_400);
        for (m, at) in [
            (debrief_domain::Milestone::Started, started),
            (
                debrief_domain::Milestone::Detected,
                started.plus_seconds(7200),
            ),
        ] {
            debrief_store::testing::execute(&*store, id, &maria, |i| {
                i.set_milestone(m, at, "EDR", "", now)
            })
            .await
            .unwrap();
        }
    }
    sign_in(&c, &base, "maria", "maria-password-1").await;

    // The dashboard: six handled, MTTD 2 h, charts; filtered to one class: three.
    c.goto(&format!("{base}/metrics")).await.unwrap();
    assert!(
        text(&c, "#mx-handled")
            .await
            .contains("6 incidents handled")
    );
    assert!(text(&c, "#mx-ttd").await.contains("2 h"));
    c.find(Locator::Css("#chart-trend svg")).await.unwrap();
    c.find(Locator::Css("#chart-severity svg")).await.unwrap();
    c.find(Locator::Css("#mx-class"))
        .await
        .unwrap()
        .select_by_value("fraud")
        .await
        .unwrap();
    click(&c, "#mx-apply").await;
    wait_text(&c, "#mx-handled", "3 incidents handled").await;
    shot(&c, "metrics").await;

    // The replay of #1: its steps with the clock, the next-step link, the printable page.
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    click(&c, "#replay-link").await;
    let steps = wait_text(&c, "#replay-steps", "Case 0").await;
    assert!(steps.contains("+0 s"), "{steps}");
    assert_eq!(
        c.find_all(Locator::Css("#replay-steps li"))
            .await
            .unwrap()
            .len(),
        4,
        "opened, classified, two timestamps"
    );
    click(&c, "#step-1 a.next").await;
    assert!(c.current_url().await.unwrap().as_str().ends_with("#step-2"));
    click(&c, "#replay-print").await;
    wait_text(&c, "#replay-summary", "4 steps").await;
    assert!(
        c.find(Locator::Css("#replay-print")).await.is_err(),
        "no links when printing"
    );
    shot(&c, "replay").await;

    // Maturity: the suggestion with its evidence; the manager confirms detection level 1.
    c.goto(&format!("{base}/samm")).await.unwrap();
    let a2 = text(&c, "#samm-A2").await;
    assert!(a2.contains("6 of 6 incidents classified"), "{a2}");
    c.find(Locator::Css("#answer-A1"))
        .await
        .unwrap()
        .select_by_value("3")
        .await
        .unwrap();
    fill(&c, "#note-A1", "daily hunts").await;
    click(&c, "#samm-A1 button.confirm").await;
    wait_text(&c, "#samm-scores", "Practice score: 0.5 / 3").await;
    assert!(text(&c, "#samm-A1").await.contains("daily hunts"));
    c.find(Locator::Css("#samm-history svg")).await.unwrap();
    shot(&c, "samm").await;

    // In French.
    switch_language(&c, "fr").await;
    wait_text(&c, "#samm-scores", "Score de la pratique : 0,5 / 3").await;
    assert!(
        text(&c, "#samm-A2")
            .await
            .contains("incidents sur 6 classés")
    );
    c.goto(&format!("{base}/metrics")).await.unwrap();
    assert!(
        text(&c, "#mx-handled")
            .await
            .contains("6 incidents traités")
    );
    let durations = text(&c, "#mx-durations").await;
    assert!(
        durations.to_lowercase().contains("délai de détection"),
        "{durations}"
    );
    c.goto(&format!("{base}/incidents/1/replay")).await.unwrap();
    assert!(text(&c, "h1").await.contains("Comment il a été traité"));
    shot(&c, "replay-fr").await;
    c.close().await.unwrap();
}

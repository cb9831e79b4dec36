//! The postmortem editor and the recommendations board in the browser.

use super::*;

/// A manager writes a postmortem: the blameless check warns about blame words, a root cause
/// and a recommendation are added, the review goes through approval to publication; the
/// board shows an overdue recommendation with the owners' counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postmortem_is_written_approved_and_followed_on_the_board() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, db) = start_server().await;
    let store = debrief_store::open(&db.url, InstallationKey::generate().unwrap())
        .await
        .unwrap();
    let maria = debrief_domain::text::Actor::parse("maria").unwrap();
    let created = store
        .create_incident(
            &maria,
            debrief_domain::NewIncident::parse("Credential phishing in finance", "", "", "", None)
                .unwrap(),
        )
        .await
        .unwrap();
    let at = |s: &str| debrief_domain::Timestamp::parse(s).unwrap();
    for (m, t) in [
        (debrief_domain::Milestone::Detected, "2026-11-20T09:00:00Z"),
        (
            debrief_domain::Milestone::Acknowledged,
            "2026-11-20T09:40:00Z",
        ),
    ] {
        debrief_store::testing::execute(&*store, created.incident.id, &maria, |i| {
            i.set_milestone(m, at(t), "SIEM", "", debrief_domain::Timestamp::now())
        })
        .await
        .unwrap();
    }
    debrief_store::testing::execute(&*store, created.incident.id, &maria, |i| {
        i.classify("fraud", "phishing", "")
    })
    .await
    .unwrap();
    // An older recommendation, past its due date, for the board.
    debrief_store::testing::execute(&*store, created.incident.id, &maria, |i| {
        i.add_recommendation(
            "Alert on bulk CRM exports",
            debrief_domain::postmortem::RecommendationKind::Detect,
            debrief_domain::postmortem::Priority::new(3, 4).unwrap(),
            None,
            Some(at("2026-11-01T00:00:00Z")),
            &[],
            &[],
            debrief_domain::Timestamp::now(),
        )
    })
    .await
    .unwrap();

    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    click(&c, "#postmortem-link").await;
    let measured = text(&c, "#effectiveness").await;
    assert!(measured.contains("0 h 40 min"), "{measured}");
    fill(
        &c,
        "#pm-summary",
        "A lookalike domain phished three clerks. The clerk was careless.",
    )
    .await;
    click(&c, "#pm-save-texts").await;
    wait_text(&c, "#blameless", "careless").await;
    fill(&c, "#rc-text", "No DMARC enforcement on inbound mail").await;
    fill(
        &c,
        "#rc-whys",
        "Why delivered? No reject policy.\nWhy none? Lost in the gateway migration.",
    )
    .await;
    click(&c, "#rc-add").await;
    wait_text(&c, "#root-causes", "Lost in the gateway migration").await;
    fill(&c, "#rec-action", "Enforce DMARC p=reject").await;
    c.find(Locator::Css("#rec-impact"))
        .await
        .unwrap()
        .select_by_value("5")
        .await
        .unwrap();
    c.find(Locator::Css("#rec-effort"))
        .await
        .unwrap()
        .select_by_value("1")
        .await
        .unwrap();
    fill(&c, "#rec-owner", "maria").await;
    click(&c, "#rec-add").await;
    let recs = wait_text(&c, "#recommendations", "Enforce DMARC p=reject").await;
    assert!(
        recs.contains("Enforce DMARC p=reject") && recs.contains("quick win"),
        "{recs}"
    );
    shot(&c, "postmortem-editor").await;
    // The matching playbook, applied: its steps become tasks, none done yet.
    click(&c, "form[action='/incidents/1/playbooks'] button").await;
    wait_text(&c, "#playbook-phishing", "0 of 9 steps done").await;
    click(&c, "#pm-submit").await;
    wait_text(&c, "#pm-status", "In review").await;
    click(&c, "#pm-approve").await;
    wait_text(&c, "#pm-status", "Approved").await;
    click(&c, "#pm-publish").await;
    let status = wait_text(&c, "#pm-status", "Published").await;
    assert!(
        status.contains("Published") && status.contains("maria"),
        "{status}"
    );

    c.goto(&format!("{base}/recommendations?state=all"))
        .await
        .unwrap();
    let summary = text(&c, "#board-summary").await;
    assert!(
        summary.contains("2 recommendations") && summary.contains("1 overdue"),
        "{summary}"
    );
    let board = text(&c, "#board").await;
    assert!(
        board.contains("Alert on bulk CRM exports") && board.contains("overdue"),
        "{board}"
    );
    shot(&c, "recommendations-board").await;

    // The lesson goes back into the procedure: a new version of the phishing playbook, from #1,
    // answering the overdue recommendation.
    c.goto(&format!("{base}/playbooks/phishing?lang=en"))
        .await
        .unwrap();
    fill(
        &c,
        "#pb-body",
        "\n- [ ] Check the exposed accounts' mail forwarding rules\n",
    )
    .await;
    fill(&c, "#pb-note", "forwarding rules were found late in #1").await;
    fill(&c, "#pb-incident", "1").await;
    fill(&c, "#pb-rec", "1").await;
    click(&c, "#pb-publish").await;
    let versions = wait_text(&c, "#versions", "v2").await;
    assert!(
        versions.contains("#1") && versions.contains("forwarding rules"),
        "{versions}"
    );
    assert!(text(&c, "#steps").await.contains("mail forwarding rules"));
    shot(&c, "playbook-revised").await;
    c.goto(&format!("{base}/recommendations?state=all"))
        .await
        .unwrap();
    let summary = text(&c, "#board-summary").await;
    assert!(
        summary.contains("0 overdue"),
        "the recommendation it answered is done: {summary}"
    );
    c.close().await.unwrap();
}

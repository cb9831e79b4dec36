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
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
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

/// The review meeting in the browser: its date typed in the reader's zone, the invitation form
/// saying which team account cannot be reached (and what to do), a participant's anonymous
/// input before the meeting, the meeting recorded as held; the journal and the French page say
/// the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_meeting_is_planned_prepared_and_held() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, db) = start_server_with(|config| {
        config.timezone = debrief_domain::Zone::parse("Europe/Paris").unwrap();
    })
    .await;
    let store = debrief_store::open(&db.url, db.key()).await.unwrap();
    add_account(&*store, "hank", "Hank Moody", Role::Handler).await;
    let maria = debrief_domain::text::Actor::parse("maria").unwrap();
    store
        .create_incident(
            &maria,
            debrief_domain::NewIncident::parse("Ransomware on the file servers", "", "", "", None)
                .unwrap(),
        )
        .await
        .unwrap();

    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/incidents/1/postmortem"))
        .await
        .unwrap();
    let invite = text(&c, "#invite").await;
    assert!(
        invite.contains("Schedule the review meeting above"),
        "no invitation before the meeting has a date: {invite}"
    );
    // 14:00 in Paris in December is 13:00 UTC (a meeting already held: it is recorded below); shown back with its offset.
    c.execute(
        "document.querySelector('#review_at').value = '2026-12-03T14:00'",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "form[action='/incidents/1/postmortem/review'] button").await;
    let status = wait_text(&c, "#pm-status", "2026-12-03 14:00 +01:00").await;
    assert!(status.contains("Review meeting"), "{status}");
    let invite = wait_text(&c, "#invite", "Hank Moody").await;
    assert!(
        invite.contains("Hank Moody: the account hank has no directory entry"),
        "an account without an entry is listed with what to do: {invite}"
    );

    // A participant's input, anonymous.
    click(&c, "#input-form summary").await;
    fill(
        &c,
        "#in-went-well",
        "The offline backups restored in a day.",
    )
    .await;
    fill(
        &c,
        "#in-business",
        "Billing answered the outage question within the hour.",
    )
    .await;
    click(&c, "#in-anonymous").await;
    click(&c, "#input-send").await;
    let inputs = wait_text(&c, "#inputs", "offline backups").await;
    assert!(
        inputs.contains("Anonymous participant")
            && inputs.contains("What went well")
            && !inputs.contains("maria"),
        "the input is shown without its author: {inputs}"
    );

    // The meeting, held.
    click(&c, "#held-form summary").await;
    c.execute(
        "document.querySelector('#held-at').value = '2026-12-03T14:05'",
        vec![],
    )
    .await
    .unwrap();
    fill(&c, "#held-attendees", "Maria Lopez\nHank Moody").await;
    fill(&c, "#held-absent", "Legal").await;
    fill(
        &c,
        "#held-decisions",
        "Patch the VPN appliances within 7 days",
    )
    .await;
    click(&c, "#held-save").await;
    let held = wait_text(&c, "#meeting-held", "2026-12-03 14:05 +01:00").await;
    assert!(held.contains("recorded by maria"), "{held}");
    assert_eq!(
        text(&c, "#meeting-attendees").await,
        "Maria Lopez, Hank Moody"
    );
    assert!(
        text(&c, "#meeting-decisions")
            .await
            .contains("Patch the VPN appliances within 7 days")
    );
    scroll_to(&c, "#meeting").await;
    shot(&c, "postmortem-meeting").await;

    // The journal says both, without the anonymous participant's name.
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    let journal = text(&c, "table.journal").await;
    assert!(
        journal.contains("Input given before the review")
            && journal.contains("Review meeting held (attended: 2; decisions: 1)")
            && journal.contains("Anonymous participant"),
        "{journal}"
    );

    // In French, the same meeting.
    c.goto(&format!("{base}/incidents/1/postmortem"))
        .await
        .unwrap();
    switch_language(&c, "fr").await;
    let held = wait_text(&c, "#meeting-held", "Tenue le").await;
    assert!(held.contains("2026-12-03 14:05 +01:00"), "{held}");
    let inputs = text(&c, "#inputs").await;
    assert!(
        inputs.contains("Participant anonyme") && inputs.contains("Ce qui a bien fonctionné"),
        "{inputs}"
    );
    let invite = text(&c, "#invite").await;
    assert!(
        invite.contains("Hank Moody : le compte hank n’a pas d’entrée dans l’annuaire"),
        "{invite}"
    );
    scroll_to(&c, "#meeting").await;
    shot(&c, "postmortem-meeting-fr").await;
    c.close().await.unwrap();
}

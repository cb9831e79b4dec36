//! The incident record in the browser: triage, observables, timeline, evidence and work, in
//! English and French.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_observables_and_timeline_in_both_languages() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, _db) = start_server().await;
    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/incidents/new")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#title"))
        .await
        .unwrap()
        .send_keys("Credential phishing")
        .await
        .unwrap();
    click(&c, "#create").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents/1")))
        .await
        .unwrap();

    // Triage: classify and assess severity.
    click(&c, "#triage-edit summary").await;
    c.find(Locator::Css("#classification-select"))
        .await
        .unwrap()
        .select_by_value("fraud/phishing")
        .await
        .unwrap();
    click(&c, "#classify").await;
    c.wait()
        .for_element(Locator::XPath(
            "//dd[@id='classification' and contains(., 'Phishing')]",
        ))
        .await
        .unwrap();
    click(&c, "#triage-edit summary").await;
    c.find(Locator::Css("#functional"))
        .await
        .unwrap()
        .select_by_value("high")
        .await
        .unwrap();
    c.find(Locator::Css("#information"))
        .await
        .unwrap()
        .select_by_value("privacy-breach")
        .await
        .unwrap();
    c.find(Locator::Css("#recoverability"))
        .await
        .unwrap()
        .select_by_value("extended")
        .await
        .unwrap();
    click(&c, "#assess").await;
    let sev = c
        .wait()
        .for_element(Locator::XPath("//dd[@id='severity']/span"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sev.starts_with("4 ·"), "{sev}");

    // Paste a defanged report into the observables box.
    fill(&c, "#paste", "From billing@invoices-secure[.]example, link hxxps://invoices-secure[.]example/login, beacon 203.0.113.7").await;
    click(&c, "#extract").await;
    c.wait().for_element(Locator::XPath("//section[@id='observables']//td[contains(., 'https://invoices-secure.example/login')]")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("#observables tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);

    // Two timeline entries, shown in order of occurrence.
    for (at, what, tactic) in [
        (
            "2026-11-20T10:02:00Z",
            "Clerk entered credentials on the fake portal",
            "credential-access",
        ),
        (
            "2026-11-20T09:58:00Z",
            "Phishing e-mail delivered to 40 mailboxes",
            "initial-access",
        ),
    ] {
        click(&c, "#timeline-add summary").await;
        fill(&c, "#tl-at", at).await;
        fill(&c, "#tl-description", what).await;
        c.find(Locator::Css("#tl-tactic"))
            .await
            .unwrap()
            .select_by_value(tactic)
            .await
            .unwrap();
        click(&c, "#add-timeline").await;
        c.wait()
            .for_element(Locator::XPath(&format!(
                "//section[@id='timeline']//td[contains(., '{}')]",
                &what[..20]
            )))
            .await
            .unwrap();
    }
    let first = c
        .find(Locator::Css("#timeline tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(first.contains("Phishing e-mail delivered"), "{first}");
    shot(&c, "record-en").await;

    // Upload a file as evidence: it is listed with its SHA-256 and a first custody link.
    let sample = _db.dir.path().join("phish.eml");
    std::fs::write(
        &sample,
        b"From: billing@invoices-secure.example\r\nSubject: Invoice overdue\r\n\r\nPay now.",
    )
    .unwrap();
    fill(&c, "#ev-from", "mail gateway quarantine").await;
    fill(&c, "#ev-file", sample.to_str().unwrap()).await;
    click(&c, "#upload-evidence").await;
    let row = c
        .wait()
        .for_element(Locator::XPath(
            "//section[@id='evidence']//tbody/tr[contains(., 'phish.eml')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("Collected") && row.contains("mail gateway quarantine"),
        "{row}"
    );
    let link = c
        .find(Locator::XPath(
            "//section[@id='evidence']//a[contains(., 'phish.eml')]",
        ))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(href.ends_with("/evidence/1/download"), "{href}");

    // A custody link recorded on the page: the form offers the actions and the link is listed.
    c.find(Locator::Css("#ca-1"))
        .await
        .unwrap()
        .select_by_value("transferred")
        .await
        .unwrap();
    fill(&c, "#evidence input[name='to']", "forensics lab").await;
    click(&c, "#evidence form.inline button").await;
    c.wait()
        .for_element(Locator::XPath(
            "//section[@id='evidence']//ol[@class='custody']/li[contains(., 'forensics lab')]",
        ))
        .await
        .unwrap();

    // Response work: an action taken and a task.
    c.find(Locator::Css("#ac-kind"))
        .await
        .unwrap()
        .select_by_value("containment")
        .await
        .unwrap();
    fill(
        &c,
        "#ac-desc",
        "Reset the clerk's password and revoked sessions",
    )
    .await;
    click(&c, "#add-action").await;
    c.wait()
        .for_element(Locator::XPath(
            "//section[@id='work']//p[contains(., 'revoked sessions')]",
        ))
        .await
        .unwrap();
    fill(&c, "#tk-title", "Review mailbox forwarding rules").await;
    click(&c, "#add-task").await;
    c.wait()
        .for_element(Locator::XPath(
            "//section[@id='work']//p[contains(., 'forwarding rules')]",
        ))
        .await
        .unwrap();

    // The same page in French.
    switch_language(&c, "fr").await;
    let body = text(&c, "body").await;
    for label in [
        "Qualification",
        "Hameçonnage",
        "Chronologie de l’attaque",
        "Observables",
        "4 · sévère",
        "Ajouter à la chronologie",
    ] {
        assert!(body.contains(label), "missing {label:?} in {body}");
    }
    shot(&c, "record-fr").await;

    // Working in French: paste another observable, add a timeline entry, clear the IOC flag.
    fill(&c, "#paste", "Rappel C2 vers 198[.]51.100.23").await;
    click(&c, "#extract").await;
    c.wait()
        .for_element(Locator::XPath(
            "//section[@id='observables']//td[contains(., '198.51.100.23')]",
        ))
        .await
        .unwrap();
    click(&c, "#timeline-add summary").await;
    fill(&c, "#tl-at", "2026-11-20T10:30:00+01:00").await;
    fill(&c, "#tl-description", "Compte du comptable bloqué").await;
    c.find(Locator::Css("#tl-precision"))
        .await
        .unwrap()
        .select_by_value("hour")
        .await
        .unwrap();
    click(&c, "#add-timeline").await;
    let row = c
        .wait()
        .for_element(Locator::XPath(
            "//section[@id='timeline']//tr[contains(., 'Compte du comptable')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("à l’heure") && row.contains("09:30 UTC"),
        "{row}"
    );
    c.find(Locator::Css("#obs-kind"))
        .await
        .unwrap()
        .select_by_value("hostname")
        .await
        .unwrap();
    fill(&c, "#paste", "WS-042").await;
    click(&c, "#extract").await;
    c.wait()
        .for_element(Locator::XPath(
            "//section[@id='observables']//tr[contains(., 'Nom d’hôte') and contains(., 'ws-042')]",
        ))
        .await
        .unwrap();
    click(&c, "#ioc-1").await;
    c.wait()
        .for_element(Locator::XPath(
            "//button[@id='ioc-1' and contains(., 'marquer IOC')]",
        ))
        .await
        .unwrap();
    shot(&c, "record-fr-work").await;
    let body = text(&c, "body").await;
    assert!(
        body.contains("phish.eml"),
        "the evidence is still listed: {body}"
    );

    // Search everything finds the timeline entry.
    c.goto(&format!("{base}/search?q=fake+portal"))
        .await
        .unwrap();
    assert!(text(&c, "body").await.contains("Credential phishing"));
    c.close().await.unwrap();
}

/// Local time: the installation's zone (Europe/Paris) reads a time typed without an offset and
/// shows it back with its offset, in both languages; a person who chooses another zone on the
/// settings page reads and types in theirs. What is stored is the same UTC instant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_time_is_typed_stored_in_utc_and_shown_back_in_the_readers_zone() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, _db) = start_server_with(|config| {
        config.timezone = debrief_domain::Zone::parse("Europe/Paris").unwrap();
    })
    .await;
    sign_in(&c, &base, "maria", "maria-password-1").await;
    c.goto(&format!("{base}/incidents/new")).await.unwrap();
    fill(&c, "#title", "Ransomware on the imaging servers").await;
    click(&c, "#create").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents/1")))
        .await
        .unwrap();

    // Typed as a Paris user would: 02:14 local on a winter night.
    click(&c, "#timeline-add summary").await;
    let label = text(&c, "label[for='tl-at']").await;
    assert!(label.contains("Europe/Paris"), "{label}");
    fill(&c, "#tl-at", "2026-11-28 02:14").await;
    fill(
        &c,
        "#tl-description",
        "Encryption starts on the imaging servers",
    )
    .await;
    click(&c, "#add-timeline").await;
    let row = wait_text(&c, "#timeline tbody tr", "Encryption starts").await;
    assert!(row.contains("2026-11-28 02:14 +01:00"), "{row}");
    let footer = text(&c, "footer.zone-note").await;
    assert!(footer.contains("Europe/Paris"), "{footer}");

    // A time that happened twice (the clocks went back) is refused with the choices.
    click(&c, "#timeline-add summary").await;
    fill(&c, "#tl-at", "2026-10-25 02:30").await;
    fill(&c, "#tl-description", "Ambiguous").await;
    click(&c, "#add-timeline").await;
    let refused = wait_text(&c, "p.alert", "Europe/Paris").await;
    assert!(
        refused.contains("+02:00") && refused.contains("+01:00"),
        "{refused}"
    );

    // The same page in French says the same instant, in the same zone.
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    switch_language(&c, "fr").await;
    let row = text(&c, "#timeline tbody tr").await;
    assert!(row.contains("2026-11-28 02:14 +01:00"), "{row}");
    let footer = text(&c, "footer.zone-note").await;
    assert!(
        footer.contains("Heures affichées dans le fuseau Europe/Paris"),
        "{footer}"
    );
    shot(&c, "local-time-fr").await;

    // Maria works from New York: her own zone, chosen on the settings page.
    c.goto(&format!("{base}/settings/password")).await.unwrap();
    fill(&c, "#tz-zone", "America/New_York").await;
    click(&c, "#save-timezone").await;
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    let row = wait_text(&c, "#timeline tbody tr", "2026-11-27").await;
    assert!(row.contains("2026-11-27 20:14 -05:00"), "{row}");
    // And what she types is read in her zone: 21:00 in New York is 02:00 UTC the next day.
    click(&c, "#timeline-add summary").await;
    fill(&c, "#tl-at", "2026-11-27 21:00").await;
    fill(&c, "#tl-description", "Backups deleted").await;
    click(&c, "#add-timeline").await;
    wait_text(&c, "#timeline", "Backups deleted").await;
    shot(&c, "local-time-en-new-york").await;
    let all = text(&c, "#timeline").await;
    assert!(all.contains("2026-11-27 21:00 -05:00"), "{all}");
}

//! Conformance scenarios for the incident record: search, observables shared across
//! incidents, and every record event persisting and refolding, on every backend.

use super::*;

pub(crate) async fn the_record_is_searchable_and_observables_link_incidents(db: &TestDb) {
    use debrief_domain::observable::ObservableKind;
    use debrief_domain::record::{NewTimelineEntry, ObservableFlags};
    use debrief_domain::timeline::{Precision, TimelineSource};
    use debrief_domain::triage::{
        FunctionalImpact, InformationImpact, Recoverability, SeverityMatrix,
    };
    let c = open(db).await;
    let a = c
        .store
        .create_incident(&actor("alice"), new("Phishing wave"))
        .await
        .unwrap()
        .incident
        .id;
    let b = c
        .store
        .create_incident(&actor("alice"), new("Ransomware on FS01"))
        .await
        .unwrap()
        .incident
        .id;
    let flags = ObservableFlags {
        ioc: true,
        ..Default::default()
    };
    for id in [a, b] {
        execute(&*c.store, id, &actor("bob"), |i| {
            i.add_observable(ObservableKind::Domain, "evil[.]example", &flags)
        })
        .await
        .unwrap();
    }
    execute(&*c.store, a, &actor("bob"), |i| {
        i.add_timeline(&NewTimelineEntry {
            occurred_at: Timestamp::parse("2026-11-20T09:12:00Z").unwrap(),
            precision: Precision::Minute,
            description: "Finance clerk opened the invoice attachment".into(),
            source: TimelineSource::Interview,
            technique: Some("T1566.001".into()),
            tactic: Some("initial-access".into()),
            observables: vec![1],
            assets: vec![],
        })
    })
    .await
    .unwrap();
    execute(&*c.store, b, &actor("bob"), |i| {
        i.classify("malicious-code", "infected-system", "")
    })
    .await
    .unwrap();
    execute(&*c.store, b, &actor("bob"), |i| {
        i.assess(
            &SeverityMatrix::default(),
            FunctionalImpact::High,
            InformationImpact::Integrity,
            Recoverability::Extended,
            "",
        )
    })
    .await
    .unwrap();

    // Full-text search reaches titles, timeline entries and observables; all words must match.
    let hits = c.store.search("invoice attachment", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].number, hits[0].field.as_str()), (1, "timeline:1"));
    assert!(hits[0].snippet.contains("«invoice»"), "{}", hits[0].snippet);
    assert_eq!(c.store.search("RANSOMWARE", 10).await.unwrap()[0].number, 2);
    assert_eq!(
        c.store.search("t1566", 10).await.unwrap()[0].number,
        1,
        "a technique finds its sub-techniques"
    );
    assert_eq!(c.store.search("T1566.001", 10).await.unwrap()[0].number, 1);
    assert!(
        c.store
            .search("invoice ransomware", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        c.store
            .search("\"; DROP TABLE incidents; --", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(c.store.search("  ", 10).await.unwrap().is_empty());
    let evil = c.store.search("evil.example", 10).await.unwrap();
    let numbers: Vec<i64> = evil.iter().map(|h| h.number).collect();
    assert!(numbers.contains(&1) && numbers.contains(&2), "{evil:?}");
    // Renaming re-indexes the title.
    execute(&*c.store, a, &actor("bob"), |i| {
        i.change_field(Field::Title, "Credential phishing", "")
    })
    .await
    .unwrap();
    assert!(c.store.search("wave", 10).await.unwrap().is_empty());
    assert_eq!(c.store.search("credential", 10).await.unwrap()[0].number, 1);

    // The same observable in two incidents.
    let seen = c.store.sightings("evil.example", 10).await.unwrap();
    assert_eq!(
        seen.iter().map(|s| s.number).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert!(seen.iter().all(|s| s.ioc && s.kind == "domain"));
    assert!(
        c.store
            .sightings("good.example", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The same, for a whole incident in one query.
    let shared = c.store.shared_observables(a).await.unwrap();
    assert_eq!(shared.get("evil.example"), Some(&vec![2]));
    assert_eq!(shared.len(), 1);

    // List filters on the triage columns.
    let q = IncidentQuery {
        min_severity: Some(3),
        ..Default::default()
    };
    assert_eq!(
        c.store
            .list_incidents(&q)
            .await
            .unwrap()
            .iter()
            .map(|i| i.number)
            .collect::<Vec<_>>(),
        vec![2]
    );
    let q = IncidentQuery {
        class: Some("malicious-code".into()),
        ..Default::default()
    };
    assert_eq!(c.store.list_incidents(&q).await.unwrap().len(), 1);
    let q = IncidentQuery {
        class: Some("fraud".into()),
        ..Default::default()
    };
    assert!(c.store.list_incidents(&q).await.unwrap().is_empty());
    assert!(verify_all(&*c.store, &c.key).await.unwrap().intact());
}

type Decide = Box<
    dyn Fn(&debrief_domain::Incident) -> Result<Event, debrief_domain::DomainError> + Send + Sync,
>;

pub(crate) async fn every_part_of_the_record_persists_and_refolds(db: &TestDb) {
    use debrief_domain::evidence::{CustodyAction, NewEvidence};
    use debrief_domain::observable::ObservableKind;
    use debrief_domain::record::{NewTimelineEntry, ObservableFlags};
    use debrief_domain::timeline::{Precision, TimelineSource};
    use debrief_domain::triage::{
        FunctionalImpact, IncidentRole, InformationImpact, Pap, Recoverability, SeverityMatrix, Tlp,
    };
    use debrief_domain::work::{
        ActionKind, AssetKind, Compromise, Criticality, NoteKind, TaskStatus,
    };
    let c = open(db).await;
    let id = c
        .store
        .create_incident(&actor("alice"), new("Everything"))
        .await
        .unwrap()
        .incident
        .id;
    let at = Timestamp::parse("2026-11-20T10:00:00Z").unwrap();
    let who = actor("bob");
    let run = |f: Decide| {
        let store = c.store.clone();
        let who = who.clone();
        async move { execute(&*store, id, &who, |i| f(i)).await.unwrap() }
    };
    // The attack started before anything below happened (facts are refused before the start).
    run(Box::new(move |i| {
        i.set_milestone(
            debrief_domain::Milestone::Started,
            at.plus_seconds(-86_400),
            "EDR",
            "",
            Timestamp::now(),
        )
    }))
    .await;
    run(Box::new(|i| {
        i.classify("intrusions", "system-compromise", "")
    }))
    .await;
    run(Box::new(|i| {
        i.assess(
            &SeverityMatrix::default(),
            FunctionalImpact::Medium,
            InformationImpact::Proprietary,
            Recoverability::Supplemented,
            "",
        )
    }))
    .await;
    run(Box::new(|i| {
        i.set_markings(Some(Tlp::Red), Some(Pap::Green))
    }))
    .await;
    run(Box::new(|i| i.change_tags(&["apt".into()], &[]))).await;
    run(Box::new(|i| {
        i.set_scope(&["IT".into()], &["Lyon".into()], &["AD".into()])
    }))
    .await;
    run(Box::new(|i| i.add_member("carol", IncidentRole::Legal))).await;
    run(Box::new(|i| {
        i.add_observable(
            ObservableKind::Sha256,
            &"ab".repeat(32),
            &ObservableFlags::default(),
        )
    }))
    .await;
    run(Box::new(|i| {
        i.add_asset(
            AssetKind::Host,
            "DC01",
            Criticality::Critical,
            Compromise::Confirmed,
            "",
        )
    }))
    .await;
    run(Box::new(move |i| {
        i.add_timeline(&NewTimelineEntry {
            occurred_at: at,
            precision: Precision::Hour,
            description: "Domain controller accessed".into(),
            source: TimelineSource::Log,
            technique: Some("T1078".into()),
            tactic: Some("TA0004".into()),
            observables: vec![1],
            assets: vec![1],
        })
    }))
    .await;
    run(Box::new(move |i| {
        i.record_action(ActionKind::Eradication, "Rebuilt DC01", "bob", at, "clean")
    }))
    .await;
    run(Box::new(|i| {
        i.add_task("Rotate krbtgt twice", Some("bob"), None)
    }))
    .await;
    run(Box::new(|i| {
        i.update_task(1, Some(TaskStatus::InProgress), None, None, None)
    }))
    .await;
    run(Box::new(|i| {
        i.add_note(NoteKind::Interview, "Saw a pop-up", "helpdesk", None)
    }))
    .await;
    run(Box::new(move |i| i.log_time("bob", 240, at, "eradication"))).await;
    run(Box::new(move |i| {
        i.add_evidence(&NewEvidence {
            name: "dc01.evtx".into(),
            sha256: "cd".repeat(32),
            size: 1024,
            media_type: "application/octet-stream".into(),
            description: "".into(),
            collected_by: "bob".into(),
            collected_from: "DC01".into(),
            collected_at: at,
        })
    }))
    .await;
    run(Box::new(move |i| {
        i.record_custody(
            1,
            CustodyAction::Stored,
            at,
            "bob",
            "evidence locker",
            "locker 2",
            "",
        )
    }))
    .await;

    drop(c);

    let c = open(db).await;
    let stored = c.store.incident(id).await.unwrap();
    let refolded =
        debrief_domain::Incident::from_journal(&c.store.journal(id).await.unwrap()).unwrap();
    assert_eq!(
        stored, refolded,
        "the projection is exactly the fold of the journal"
    );
    assert_eq!(
        stored.classification.as_ref().unwrap().kind,
        "system-compromise"
    );
    assert_eq!((stored.tlp, stored.pap), (Tlp::Red, Pap::Green));
    assert_eq!(stored.timeline[0].assets, vec![1]);
    assert_eq!(stored.tasks[0].status, TaskStatus::InProgress);
    assert_eq!(stored.minutes_logged(), 240);
    assert_eq!(stored.evidence[0].custody.len(), 2);
    assert_eq!(stored.members[0].user, "carol");
    assert_eq!(c.store.search("krbtgt", 10).await.unwrap().len(), 1);
    assert_eq!(
        c.store.search("helpdesk", 10).await.unwrap()[0].field,
        "note:1"
    );
    assert!(verify_all(&*c.store, &c.key).await.unwrap().intact());
}

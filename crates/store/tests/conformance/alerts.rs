//! Conformance scenarios for alerts: idempotent intake, grouping, triage, batches and
//! concurrent senders, on every backend.

use super::*;

pub(crate) fn alert(
    source_ref: &str,
    host: Option<&str>,
    extra: serde_json::Value,
) -> debrief_domain::alert::NewAlert {
    let mut raw = serde_json::json!({"type": "sigma", "source": "hunt", "sourceRef": source_ref,
        "title": "Mimikatz", "severity": 2,
        "observables": [{"dataType": "ip", "data": "10.0.0.7"}]});
    if let Some(h) = host {
        raw["host"] = h.into();
    }
    if let (Some(m), serde_json::Value::Object(e)) = (raw.as_object_mut(), extra) {
        m.extend(e);
    }
    debrief_domain::alert::NewAlert::from_json(raw).unwrap()
}

pub(crate) async fn alerts_are_taken_in_once_grouped_and_triaged(db: &TestDb) {
    use debrief_domain::alert::{AlertAction, AlertStatus, DismissReason};
    use debrief_store::alerts::{AlertQuery, Intake};
    let c = open(db).await;
    let t = |s: &str| Timestamp::parse(s).unwrap();
    let first = c
        .store
        .receive_alert(
            alert("r1", Some("WS-1"), serde_json::json!({})),
            "siem",
            t("2026-11-23T10:00:00Z"),
            3600,
        )
        .await
        .unwrap();
    assert_eq!(first.intake, Intake::Created);
    assert_eq!((first.alert.number, first.alert.occurrences), (1, 1));
    // The same key again: counted, the higher severity and new observables kept.
    let again = c
        .store
        .receive_alert(
            alert(
                "r1",
                Some("WS-1"),
                serde_json::json!({"severity": 4,
                "observables": [{"dataType": "domain", "data": "evil.example"}]}),
            ),
            "siem",
            t("2026-11-23T10:05:00Z"),
            3600,
        )
        .await
        .unwrap();
    assert_eq!(again.intake, Intake::Repeated);
    assert_eq!(
        (
            again.alert.id.as_str(),
            again.alert.occurrences,
            again.alert.severity
        ),
        (first.alert.id.as_str(), 2, 4)
    );
    assert_eq!(again.alert.observables.len(), 2);
    // Another detection on the same host within the window joins it; another host does not.
    let grouped = c
        .store
        .receive_alert(
            alert("r2", Some("WS-1"), serde_json::json!({})),
            "siem",
            t("2026-11-23T10:30:00Z"),
            3600,
        )
        .await
        .unwrap();
    assert_eq!(grouped.intake, Intake::Grouped);
    // Sending the grouped detection again is a repeat, not another grouping.
    let regrouped = c
        .store
        .receive_alert(
            alert("r2", Some("WS-1"), serde_json::json!({})),
            "siem",
            t("2026-11-23T10:40:00Z"),
            3600,
        )
        .await
        .unwrap();
    assert_eq!(
        (regrouped.intake, regrouped.alert.occurrences),
        (Intake::Repeated, 4)
    );
    assert_eq!(
        (
            grouped.alert.occurrences,
            grouped.alert.grouped_refs.clone()
        ),
        (3, vec!["r2".to_string()])
    );
    let other = c
        .store
        .receive_alert(
            alert("r3", Some("WS-2"), serde_json::json!({})),
            "siem",
            t("2026-11-23T10:31:00Z"),
            3600,
        )
        .await
        .unwrap();
    assert_eq!((other.intake, other.alert.number), (Intake::Created, 2));
    // Too late for the window: a new alert.
    let late = c
        .store
        .receive_alert(
            alert("r4", Some("WS-1"), serde_json::json!({})),
            "siem",
            t("2026-11-23T12:00:00Z"),
            3600,
        )
        .await
        .unwrap();
    assert_eq!(late.intake, Intake::Created);

    // Triage.
    let acked = c
        .store
        .act_on_alert("A-1", "alice", AlertAction::Acknowledge, None)
        .await
        .unwrap();
    assert_eq!(
        (acked.status, acked.acknowledged_by.as_deref()),
        (AlertStatus::Acknowledged, Some("alice"))
    );
    let refused = c
        .store
        .act_on_alert("1", "bob", AlertAction::Acknowledge, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Domain(_)), "{refused}");
    let dismissed = c
        .store
        .act_on_alert(
            &other.alert.id,
            "bob",
            AlertAction::Dismiss {
                reason: DismissReason::Benign,
                note: "admin test".into(),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(dismissed.status, AlertStatus::Dismissed);
    assert_eq!(dismissed.acknowledged_by.as_deref(), Some("bob"));
    let incident = c
        .store
        .create_incident(&actor("alice"), new("From alert A-1"))
        .await
        .unwrap();
    let promoted = c
        .store
        .act_on_alert(
            "A-1",
            "alice",
            AlertAction::Promote,
            Some(incident.incident.id),
        )
        .await
        .unwrap();
    assert_eq!(
        (promoted.status, promoted.incident_id),
        (AlertStatus::Promoted, Some(incident.incident.id))
    );
    assert!(matches!(
        c.store.alert("A-99").await.unwrap_err(),
        StoreError::NoAlert(_)
    ));

    // Lists: newest activity first, by status and severity.
    let open = c
        .store
        .list_alerts(&AlertQuery {
            statuses: vec![AlertStatus::New],
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(open.iter().map(|a| a.number).collect::<Vec<_>>(), vec![3]);
    let all = c
        .store
        .list_alerts(&AlertQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let high = c
        .store
        .list_alerts(&AlertQuery {
            min_severity: Some(debrief_domain::alert::AlertSeverity::new(4).unwrap()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(high.iter().map(|a| a.number).collect::<Vec<_>>(), vec![1]);

    // History: who did what, when; the reread alert is what was returned.
    let history = c.store.alert_history(&first.alert.id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "received",
            "repeated",
            "grouped",
            "repeated",
            "acknowledged",
            "promoted"
        ]
    );
    assert_eq!(c.store.alert(&first.alert.id).await.unwrap(), promoted);
}

/// A batch is one transaction, in order: a key repeated inside it is counted.
pub(crate) async fn a_batch_is_taken_in_order_in_one_transaction(db: &TestDb) {
    use debrief_store::alerts::Intake;
    let c = open(db).await;
    let receipts = c
        .store
        .receive_alerts(
            vec![
                alert("b1", None, serde_json::json!({})),
                alert("b2", None, serde_json::json!({})),
                alert("b1", None, serde_json::json!({})),
            ],
            "siem",
            Timestamp::now(),
            3600,
        )
        .await
        .unwrap();
    let intakes: Vec<Intake> = receipts.iter().map(|r| r.intake).collect();
    assert_eq!(
        intakes,
        vec![Intake::Created, Intake::Created, Intake::Repeated]
    );
    assert_eq!((receipts[0].alert.number, receipts[1].alert.number), (1, 2));
    assert_eq!(receipts[2].alert.occurrences, 2);
}

/// Eight senders posting the same alert at once: one alert, every repeat counted.
pub(crate) async fn concurrent_repeats_make_one_alert(db: &TestDb) {
    let c = open(db).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = c.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .receive_alert(
                    alert("same", None, serde_json::json!({})),
                    "siem",
                    Timestamp::now(),
                    0,
                )
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let all = c
        .store
        .list_alerts(&debrief_store::alerts::AlertQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].occurrences, 8);
}

/// Playbooks: versions numbered per slug and language, the latest listed, every version kept.
pub(crate) async fn playbooks_keep_every_version(db: &TestDb) {
    use debrief_store::playbooks::NewPlaybookVersion;
    let c = open(db).await;
    let new = |lang: &str, body: &str, from: Option<i64>| NewPlaybookVersion {
        slug: "phishing".into(),
        lang: lang.into(),
        title: "Phishing".into(),
        body: body.into(),
        published_by: "maria".into(),
        from_incident: from,
        note: String::new(),
    };
    assert_eq!(
        c.store
            .publish_playbook(new("en", "v1", None))
            .await
            .unwrap()
            .version,
        1
    );
    assert_eq!(
        c.store
            .publish_playbook(new("fr", "v1 fr", None))
            .await
            .unwrap()
            .version,
        1
    );
    let v2 = c
        .store
        .publish_playbook(new("en", "v2", Some(7)))
        .await
        .unwrap();
    assert_eq!((v2.version, v2.from_incident), (2, Some(7)));
    assert_eq!(
        c.store.playbook("phishing", "en", None).await.unwrap().body,
        "v2"
    );
    assert_eq!(
        c.store
            .playbook("phishing", "en", Some(1))
            .await
            .unwrap()
            .body,
        "v1"
    );
    assert!(matches!(
        c.store.playbook("phishing", "en", Some(9)).await,
        Err(StoreError::NoPlaybook(_))
    ));
    let all = c.store.list_playbooks().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|p| (p.lang.as_str(), p.version))
            .collect::<Vec<_>>(),
        [("en", 2), ("fr", 1)]
    );
    assert_eq!(
        c.store
            .playbook_versions("phishing", "en")
            .await
            .unwrap()
            .len(),
        2
    );
}

/// The stakeholder directory: names are unique, entries found by id or name.
pub(crate) async fn stakeholders_are_listed_and_unique(db: &TestDb) {
    use debrief_domain::stakeholder::NewStakeholder;
    let c = open(db).await;
    let anssi = NewStakeholder::from_text(
        "ANSSI",
        "group",
        "external",
        "csirt",
        Some("cert-fr@ssi.gouv.fr"),
        None,
        None,
        Some("fr"),
    )
    .unwrap();
    let s = c
        .store
        .add_stakeholder(anssi.clone(), "maria")
        .await
        .unwrap();
    assert_eq!(c.store.stakeholder("ANSSI").await.unwrap().id, s.id);
    assert_eq!(
        c.store.stakeholder(&s.id).await.unwrap().language,
        debrief_domain::Language::Fr
    );
    assert!(matches!(
        c.store.add_stakeholder(anssi, "maria").await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(matches!(
        c.store.stakeholder("CNIL").await,
        Err(StoreError::NoStakeholder(_))
    ));
    let soc = NewStakeholder::from_text(
        "SOC",
        "group",
        "internal",
        "it",
        None,
        Some("https://hooks.example/x"),
        None,
        None,
    )
    .unwrap();
    c.store.add_stakeholder(soc, "maria").await.unwrap();
    let names: Vec<String> = c
        .store
        .list_stakeholders()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["ANSSI", "SOC"]);

    // An entry can stand for a user account.
    let lead = NewStakeholder::from_text(
        "Maria (incident lead)",
        "person",
        "internal",
        "it",
        Some("maria@corp.example"),
        None,
        None,
        None,
    )
    .unwrap()
    .for_user(Some("Maria"))
    .unwrap();
    let lead = c.store.add_stakeholder(lead, "maria").await.unwrap();
    assert_eq!(
        c.store
            .stakeholder(&lead.id)
            .await
            .unwrap()
            .username
            .as_deref(),
        Some("maria")
    );

    // Notification rules keep their checked shape, refuse a second of the same name and go.
    let rule = debrief_domain::notify::NotificationRule::parse(
        "CSIRT early warning",
        &["intrusions".into()],
        2,
        &["significant".into()],
        "ANSSI",
        "regulator-initial",
        Some("nis2/early-warning"),
        &["regulator-initial".into()],
        debrief_domain::obligation::Regimes::builtin(),
    )
    .unwrap();
    let stored = c.store.add_rule(rule.clone(), "maria").await.unwrap();
    assert!(matches!(
        c.store.add_rule(rule.clone(), "maria").await,
        Err(StoreError::Duplicate(_))
    ));
    let rules = c.store.list_rules().await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].rule, rule);
    assert_eq!(rules[0].created_by, "maria");
    c.store.delete_rule(&stored.id).await.unwrap();
    assert!(c.store.list_rules().await.unwrap().is_empty());
    assert!(matches!(
        c.store.delete_rule(&stored.id).await,
        Err(StoreError::NoRule(_))
    ));
}

/// Runs SQL straight on the database, as a tool with file or server access would.
pub(crate) async fn raw_sql(db: &TestDb, sql: &str) {
    db.raw_sql(sql).await;
}

/// Senders on several connections — and two stores on one database, as two instances would be —
/// sending batches at once: every alert gets its own number, and no batch fails.
pub(crate) async fn concurrent_batches_number_alerts_without_a_race(db: &TestDb) {
    let first = open(db).await;
    let second = open(db).await;
    let mut tasks = Vec::new();
    for sender in 0..6 {
        let store = if sender % 2 == 0 {
            first.store.clone()
        } else {
            second.store.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for batch in 0..8 {
                let alerts = (0..10)
                    .map(|n| {
                        alert(
                            &format!("s{sender}-b{batch}-{n}"),
                            None,
                            serde_json::json!({}),
                        )
                    })
                    .collect();
                let receipts = store
                    .receive_alerts(alerts, "siem", Timestamp::now(), 0)
                    .await
                    .unwrap_or_else(|e| panic!("sender {sender}, batch {batch}: {e}"));
                numbers.extend(receipts.iter().map(|r| r.alert.number));
            }
            numbers
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.extend(t.await.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=480).collect::<Vec<i64>>());
}

/// A stored alert that cannot be read whole (written before dates were range-checked, or
/// edited) never takes the queue down: its bad date reads as unknown, and a row that cannot be
/// read at all is left out of lists while the others are listed.
pub(crate) async fn unreadable_alerts_do_not_take_lists_down(db: &TestDb) {
    use debrief_domain::alert::AlertAction;
    use debrief_store::alerts::AlertQuery;
    let c = open(db).await;
    for r in ["u1", "u2", "u3"] {
        c.store
            .receive_alert(
                alert(r, None, serde_json::json!({"date": "2026-11-23T10:00:00Z"})),
                "siem",
                Timestamp::now(),
                0,
            )
            .await
            .unwrap();
    }
    raw_sql(
        db,
        "UPDATE alerts SET state = REPLACE(state, '2026-11-23T10:00:00.000000Z', '1969-12-31T23:59:59.999000Z') WHERE number = 1;
         UPDATE alerts SET state = 'not json' WHERE number = 2;",
    )
    .await;
    let listed = c
        .store
        .list_alerts(&AlertQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut numbers: Vec<i64> = listed.iter().map(|a| a.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 3]);
    let one = c.store.alert("A-1").await.unwrap();
    assert_eq!(one.occurred_at, None);
    let acked = c
        .store
        .act_on_alert("A-1", "maria", AlertAction::Acknowledge, None)
        .await
        .unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some("maria"));
    assert_eq!(c.store.alert_history(&one.id).await.unwrap().len(), 2);
    // The same alert sent again still goes to it.
    let again = c
        .store
        .receive_alert(
            alert("u1", None, serde_json::json!({})),
            "siem",
            Timestamp::now(),
            0,
        )
        .await
        .unwrap();
    assert_eq!((again.alert.number, again.alert.occurrences), (1, 2));
    // An incident whose projection cannot be read is left out of the list, not the list.
    for title in ["One", "Two"] {
        c.store
            .create_incident(&actor("alice"), new(title))
            .await
            .unwrap();
    }
    raw_sql(db, "UPDATE incidents SET state = '{' WHERE number = 1").await;
    let listed = c
        .store
        .list_incidents(&IncidentQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|i| i.number).collect::<Vec<_>>(), [2]);
    // Nor do unreadable metrics facts take the figures down.
    raw_sql(db, "UPDATE incidents SET facts = 'x' WHERE number = 2").await;
    let facts = c.store.facts(None, None).await.unwrap();
    assert_eq!(facts.iter().map(|f| f.number).collect::<Vec<_>>(), [1]);
    assert_eq!(c.store.facts_changed_since(None).await.unwrap().len(), 1);
}

//! The conformance suite: the same scenarios against every backend. SQLite always; PostgreSQL
//! when `DEBRIEF_TEST_POSTGRES_URL` is set at build time (see build.rs), in which case each test
//! gets its own fresh database and fails if the server cannot be reached.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use debrief_domain::text::Actor;
use debrief_domain::{EntryDraft, Event, Field, Milestone, NewIncident, Status, Timestamp};
use debrief_store::testing::TestDb;
use debrief_store::testing::execute;
use debrief_store::verify::{verify_all, verify_incident};
use debrief_store::{IncidentQuery, InstallationKey, Scope, Store, StoreError};

fn actor(name: &str) -> Actor {
    Actor::parse(name).unwrap()
}

fn new(title: &str) -> NewIncident {
    NewIncident::parse(
        title,
        "Mail gateway flagged 40 messages",
        "soc@example.org",
        "mail gateway",
        None,
    )
    .unwrap()
}

struct Ctx {
    store: Arc<dyn Store>,
    key: InstallationKey,
}

async fn open(db: &TestDb) -> Ctx {
    let key = InstallationKey::load_or_create(&db.dir.path().join("installation.key")).unwrap();
    let store = debrief_store::open(&db.url, key.clone()).await.unwrap();
    assert_eq!(store.backend(), db.backend());
    Ctx { store, key }
}

async fn create_then_read_back(db: &TestDb) {
    let c = open(db).await;
    let a = c
        .store
        .create_incident(&actor("alice"), new("Phishing wave"))
        .await
        .unwrap();
    let b = c
        .store
        .create_incident(&actor("alice"), new("Ransomware on FS01"))
        .await
        .unwrap();
    assert_eq!(a.incident.number, 1);
    assert_eq!(b.incident.number, 2);
    assert_eq!(a.entries.len(), 1);
    assert_eq!(a.entries[0].kind, "incident.opened");

    let got = c.store.incident(a.incident.id).await.unwrap();
    assert_eq!(got, a.incident);
    assert_eq!(got.title, "Phishing wave");
    assert_eq!(got.status, Status::New);
    assert_eq!(got.opened_by, "alice");

    for reference in ["1", "#1", &a.incident.id.to_string()] {
        assert_eq!(
            c.store.resolve(reference).await.unwrap(),
            a.incident.id,
            "{reference}"
        );
    }
    let journal = c.store.journal(a.incident.id).await.unwrap();
    assert_eq!(journal, a.entries);
}

async fn unknown_incidents_are_not_found(db: &TestDb) {
    let c = open(db).await;
    for reference in [
        "99",
        "#7",
        "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        "nonsense",
    ] {
        assert!(
            matches!(
                c.store.resolve(reference).await,
                Err(StoreError::NotFound(_))
            ),
            "{reference}"
        );
    }
    let id = debrief_domain::IncidentId::new();
    assert!(matches!(
        c.store.incident(id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        c.store.journal(id).await,
        Err(StoreError::NotFound(_))
    ));
    let draft = EntryDraft {
        actor: actor("alice"),
        event: Event::StatusChanged {
            from: Status::New,
            to: Status::Triage,
            reason: Default::default(),
        },
    };
    assert!(matches!(
        c.store.append(id, 1, vec![draft]).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn transitions_derive_milestones_and_persist(db: &TestDb) {
    let c = open(db).await;
    let id = c
        .store
        .create_incident(&actor("alice"), new("Account takeover"))
        .await
        .unwrap()
        .incident
        .id;
    for to in [Status::Triage, Status::Investigating, Status::Contained] {
        execute(&*c.store, id, &actor("bob"), |i| {
            i.transition(to, "", &debrief_domain::postmortem::ReviewPolicy::none())
        })
        .await
        .unwrap();
    }
    let started = Timestamp::parse("2026-10-01T03:12:00Z").unwrap();
    execute(&*c.store, id, &actor("carol"), |i| {
        i.set_milestone(
            Milestone::Started,
            started,
            "EDR telemetry",
            "first beacon",
            Timestamp::now(),
        )
    })
    .await
    .unwrap();
    drop(c);

    // Reopen: everything acknowledged is still there.
    let c = open(db).await;
    let inc = c.store.incident(id).await.unwrap();
    let journal = c.store.journal(id).await.unwrap();
    assert_eq!(inc.status, Status::Contained);
    assert_eq!(inc.seq, 5);
    assert_eq!(journal.len(), 5);
    assert_eq!(
        inc.milestone(Milestone::Acknowledged),
        Some(journal[1].recorded_at)
    );
    assert_eq!(
        inc.milestone(Milestone::Contained),
        Some(journal[3].recorded_at)
    );
    assert_eq!(inc.milestone(Milestone::Started), Some(started));
    assert_eq!(journal[4].actor, "carol");
    assert_eq!(journal[4].kind, "incident.milestone_set");
    assert_eq!(
        debrief_domain::Incident::from_journal(&journal).unwrap(),
        inc
    );
}

async fn refused_commands_write_nothing(db: &TestDb) {
    let c = open(db).await;
    let id = c
        .store
        .create_incident(&actor("alice"), new("Scan"))
        .await
        .unwrap()
        .incident
        .id;
    let err = execute(&*c.store, id, &actor("bob"), |i| {
        i.transition(
            Status::Recovered,
            "",
            &debrief_domain::postmortem::ReviewPolicy::none(),
        )
    })
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Domain(_)), "{err}");
    // A forged event that the domain refuses is not written either.
    let forged = EntryDraft {
        actor: actor("mallory"),
        event: Event::StatusChanged {
            from: Status::New,
            to: Status::Closed,
            reason: Default::default(),
        },
    };
    assert!(c.store.append(id, 1, vec![forged]).await.is_err());
    let err = execute(&*c.store, id, &actor("bob"), |i| {
        i.change_field(Field::Title, "", "")
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("title must not be empty"), "{err}");
    assert_eq!(c.store.journal(id).await.unwrap().len(), 1);
    assert!(verify_all(&*c.store, &c.key).await.unwrap().intact());
}

async fn stale_writers_get_a_conflict(db: &TestDb) {
    let c = open(db).await;
    let id = c
        .store
        .create_incident(&actor("alice"), new("Conflict"))
        .await
        .unwrap()
        .incident
        .id;
    let stale = c.store.incident(id).await.unwrap();
    let draft = |to| EntryDraft {
        actor: actor("bob"),
        event: stale
            .transition(to, "", &debrief_domain::postmortem::ReviewPolicy::none())
            .unwrap(),
    };
    c.store
        .append(id, stale.seq, vec![draft(Status::Triage)])
        .await
        .unwrap();
    let err = c
        .store
        .append(id, stale.seq, vec![draft(Status::Triage)])
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict {
            expected, actual, ..
        } => assert_eq!((expected, actual), (1, 2)),
        other => panic!("expected a conflict, got {other}"),
    }
    assert_eq!(c.store.journal(id).await.unwrap().len(), 2);
}

async fn eight_writers_never_fork_the_chain(db: &TestDb) {
    let c = open(db).await;
    let id = c
        .store
        .create_incident(&actor("alice"), new("Busy incident"))
        .await
        .unwrap()
        .incident
        .id;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = c.store.clone();
        tasks.push(tokio::spawn(async move {
            let who = actor(&format!("writer{w}"));
            for i in 0..100 {
                let text = format!("update {i} from writer {w}");
                loop {
                    let cur = store.incident(id).await.unwrap();
                    let event = cur.change_field(Field::Summary, &text, "").unwrap();
                    match store
                        .append(
                            id,
                            cur.seq,
                            vec![EntryDraft {
                                actor: who.clone(),
                                event,
                            }],
                        )
                        .await
                    {
                        Ok(_) => break,
                        Err(StoreError::Conflict { .. }) => tokio::task::yield_now().await,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let journal = c.store.journal(id).await.unwrap();
    assert_eq!(journal.len(), 801);
    for w in 0..8 {
        assert_eq!(
            journal
                .iter()
                .filter(|e| e.actor == format!("writer{w}"))
                .count(),
            100
        );
    }
    let seqs: Vec<u64> = journal.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=801).collect::<Vec<_>>());
    assert!(verify_incident(&*c.store, id).await.unwrap().intact());
    let report = verify_all(&*c.store, &c.key).await.unwrap();
    assert!(report.intact(), "{:?}", report.breaks);
    assert_eq!(report.entries, 801);
}

async fn the_ledger_links_all_incidents_under_a_signed_head(db: &TestDb) {
    let c = open(db).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = c
            .store
            .create_incident(&actor("alice"), new(&format!("Incident {n}")))
            .await
            .unwrap()
            .incident
            .id;
        execute(&*c.store, id, &actor("bob"), |i| {
            i.transition(
                Status::Triage,
                "",
                &debrief_domain::postmortem::ReviewPolicy::none(),
            )
        })
        .await
        .unwrap();
        ids.push(id);
    }
    let all = c.store.raw_entries(Scope::All).await.unwrap();
    let gseqs: Vec<i64> = all.iter().map(|r| r.gseq).collect();
    assert_eq!(gseqs, (1..=6).collect::<Vec<_>>());
    let head = c.store.head().await.unwrap();
    assert_eq!(head.gseq, 6);
    assert_eq!(head.hash, all[5].ledger_hash);
    assert_eq!(head.public_key, c.key.public_hex());
    let report = verify_all(&*c.store, &c.key).await.unwrap();
    assert!(report.intact(), "{:?}", report.breaks);
    assert_eq!((report.incidents, report.entries), (3, 6));

    // Another installation's key does not vouch for this head.
    let other = InstallationKey::generate().unwrap();
    assert!(!verify_all(&*c.store, &other).await.unwrap().intact());
}

async fn lists_filter_and_page(db: &TestDb) {
    let c = open(db).await;
    for n in 1..=7 {
        let title = if n % 2 == 0 {
            format!("Phishing {n}")
        } else {
            format!("Malware 100%_{n}")
        };
        let id = c
            .store
            .create_incident(&actor("alice"), new(&title))
            .await
            .unwrap()
            .incident
            .id;
        if n <= 3 {
            execute(&*c.store, id, &actor("bob"), |i| {
                i.transition(
                    Status::Triage,
                    "",
                    &debrief_domain::postmortem::ReviewPolicy::none(),
                )
            })
            .await
            .unwrap();
        }
    }
    let numbers =
        |v: Vec<debrief_domain::Incident>| v.into_iter().map(|i| i.number).collect::<Vec<_>>();
    let all = c
        .store
        .list_incidents(&IncidentQuery::default())
        .await
        .unwrap();
    assert_eq!(numbers(all), vec![7, 6, 5, 4, 3, 2, 1]);
    let q = IncidentQuery {
        statuses: vec![Status::Triage],
        ..Default::default()
    };
    assert_eq!(
        numbers(c.store.list_incidents(&q).await.unwrap()),
        vec![3, 2, 1]
    );
    let q = IncidentQuery {
        text: Some("PHISH".into()),
        ..Default::default()
    };
    assert_eq!(
        numbers(c.store.list_incidents(&q).await.unwrap()),
        vec![6, 4, 2]
    );
    // Words match as prefixes; punctuation (even SQL wildcards) only separates words.
    let q = IncidentQuery {
        text: Some("100%_5".into()),
        ..Default::default()
    };
    assert_eq!(numbers(c.store.list_incidents(&q).await.unwrap()), vec![5]);
    let q = IncidentQuery {
        text: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(
        c.store.list_incidents(&q).await.unwrap().len(),
        7,
        "no words: no filter"
    );
    let q = IncidentQuery {
        text: Some("ware".into()),
        ..Default::default()
    };
    assert!(
        c.store.list_incidents(&q).await.unwrap().is_empty(),
        "words match from their start"
    );
    // Cursor paging.
    let page1 = c
        .store
        .list_incidents(&IncidentQuery {
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(numbers(page1.clone()), vec![7, 6, 5]);
    let q = IncidentQuery {
        limit: Some(3),
        before_number: Some(page1[2].number),
        ..Default::default()
    };
    assert_eq!(
        numbers(c.store.list_incidents(&q).await.unwrap()),
        vec![4, 3, 2]
    );
    let q = IncidentQuery {
        statuses: vec![Status::New],
        text: Some("malware".into()),
        before_number: Some(7),
        limit: Some(10),
        ..Default::default()
    };
    assert_eq!(numbers(c.store.list_incidents(&q).await.unwrap()), vec![5]);
    // Counts: the same filters on all pages, from the cursor on, whatever the page size.
    let store = &c.store;
    let count = |q: IncidentQuery| async move { store.count_incidents(&q).await.unwrap() };
    assert_eq!(count(IncidentQuery::default()).await, 7);
    let triage = IncidentQuery {
        statuses: vec![Status::Triage],
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(count(triage.clone()).await, 3);
    assert_eq!(
        count(IncidentQuery {
            before_number: Some(3),
            ..triage
        })
        .await,
        2
    );
    assert_eq!(
        count(IncidentQuery {
            text: Some("PHISH".into()),
            ..Default::default()
        })
        .await,
        3
    );
}

async fn the_database_refuses_edits_to_the_journal_and_alert_history(db: &TestDb) {
    let c = open(db).await;
    c.store
        .create_incident(&actor("alice"), new("Append-only"))
        .await
        .unwrap();
    c.store
        .receive_alert(
            alert("h1", None, serde_json::json!({})),
            "siem",
            Timestamp::now(),
            0,
        )
        .await
        .unwrap();
    let statements = [
        "UPDATE journal SET actor = 'mallory'",
        "DELETE FROM journal",
        "UPDATE alert_history SET actor = 'mallory'",
        "DELETE FROM alert_history",
    ];
    for sql in statements {
        let err = match db.backend() {
            "sqlite" => {
                let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap_err()
            }
            _ => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap_err()
            }
        };
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert!(verify_all(&*c.store, &c.key).await.unwrap().intact());
}

/// The metrics facts follow each append; a projection written by an older fold (here: made
/// stale by hand, its state stripped of a field) is refolded from the journal when the store opens.
async fn facts_follow_appends_and_stale_projections_are_refolded(db: &TestDb) {
    use debrief_domain::{Milestone, Timestamp};
    let c = open(db).await;
    let a = c
        .store
        .create_incident(&actor("alice"), new("Phishing wave"))
        .await
        .unwrap();
    let id = a.incident.id;
    let started = Timestamp::parse("2026-03-02T08:00:00Z").unwrap();
    let detected = Timestamp::parse("2026-03-02T11:30:00Z").unwrap();
    for (m, at) in [
        (Milestone::Started, started),
        (Milestone::Detected, detected),
    ] {
        execute(&*c.store, id, &actor("alice"), |i| {
            i.set_milestone(m, at, "EDR", "", Timestamp::now())
        })
        .await
        .unwrap();
    }
    c.store
        .create_incident(&actor("alice"), new("Ransomware on FS01"))
        .await
        .unwrap();
    let all = c.store.facts(None, None).await.unwrap();
    assert_eq!(all.len(), 2);
    let f = all.iter().find(|f| f.number == 1).unwrap();
    assert_eq!(f.times["detected_at"], detected);
    assert_eq!(f.actions["incident.milestone_set"], 2);
    let tomorrow = Timestamp::now().plus_seconds(86_400);
    assert_eq!(c.store.facts(Some(tomorrow), None).await.unwrap().len(), 0);
    assert_eq!(c.store.facts(None, Some(tomorrow)).await.unwrap().len(), 2);

    let before = c.store.incident(id).await.unwrap();
    drop(c);
    let stale = "UPDATE incidents SET fold_version = 0, facts = NULL, state = REPLACE(state, '\"entry_kinds\"', '\"unknown_field_from_the_future\"')";
    match db.backend() {
        "sqlite" => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(stale).execute(&pool).await.unwrap();
        }
        _ => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(stale).execute(&pool).await.unwrap();
        }
    }
    let c = open(db).await;
    assert_eq!(c.store.incident(id).await.unwrap(), before);
    assert_eq!(c.store.facts(None, None).await.unwrap().len(), 2);
}

/// Search ignores case and accents on every backend; a store whose terms were cut by an older
/// Debrief (accents kept) re-cuts them when it is opened, and then verifies clean.
async fn search_ignores_accents_and_old_terms_are_recut(db: &TestDb) {
    let c = open(db).await;
    let id = c
        .store
        .create_incident(
            &actor("alice"),
            NewIncident::parse(
                "Fuite de données",
                "Le dossier de l'Infirmière de garde a été copié",
                "dpo@example.org",
                "signalement",
                None,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .incident
        .id;
    for query in ["infirmiere", "INFIRMIÈRE", "donnees", "données"] {
        let hits = c.store.search(query, 10).await.unwrap();
        assert_eq!(hits.len(), 1, "{query}: {hits:?}");
        assert_eq!(hits[0].incident_id, id.to_string());
    }
    let hit = &c.store.search("infirmiere", 10).await.unwrap()[0];
    assert!(hit.snippet.contains("Infirmière»"), "{}", hit.snippet);
    // The list's title filter still finds accented titles, typed with their accents.
    let listed = c
        .store
        .list_incidents(&IncidentQuery {
            text: Some("données".into()),
            ..IncidentQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    drop(c);

    // An older store: terms cut with accents, no record of how they were cut.
    let old = [
        "UPDATE search_docs SET terms = lower(body)",
        "DELETE FROM store_meta",
    ];
    match db.backend() {
        "sqlite" => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            for sql in old {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
        }
        _ => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            for sql in old {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
        }
    }
    let c = open(db).await;
    assert_eq!(c.store.search("infirmiere", 10).await.unwrap().len(), 1);
    let report = verify_all(&*c.store, &c.key).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
}

/// SAMM answers are kept in full, in time order, and cannot be edited.
async fn samm_answers_are_kept_in_order(db: &TestDb) {
    use debrief_domain::samm::Confirmed;
    let c = open(db).await;
    for (q, v, at) in [
        ("q-1", 0.25, "2026-01-10T09:00:00Z"),
        ("q-1", 1.0, "2026-06-10T09:00:00Z"),
        ("q-2", 0.5, "2026-03-01T09:00:00Z"),
    ] {
        c.store
            .add_samm_answer(Confirmed {
                question: q.into(),
                answer: 1,
                value: v,
                note: "workshop".into(),
                by: "maria".into(),
                at: Timestamp::parse(at).unwrap(),
            })
            .await
            .unwrap();
    }
    let all = c.store.samm_answers().await.unwrap();
    let got: Vec<(&str, f64)> = all.iter().map(|a| (a.question.as_str(), a.value)).collect();
    assert_eq!(got, [("q-1", 0.25), ("q-2", 0.5), ("q-1", 1.0)]);
    let sql = "UPDATE samm_answers SET value = 1";
    let err = match db.backend() {
        "sqlite" => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap_err()
        }
        _ => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap_err()
        }
    };
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[path = "conformance/record.rs"]
mod record;
use record::*;

#[path = "conformance/alerts.rs"]
mod alerts;
use alerts::*;

#[path = "conformance/accounts.rs"]
mod accounts;
use accounts::*;

#[path = "conformance/instances.rs"]
mod instances;
use instances::*;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use debrief_store::testing::TestDb;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = TestDb::sqlite();
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }

        #[cfg(postgres_tests)]
        mod postgres {
            use debrief_store::testing::TestDb;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = TestDb::postgres().await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

conformance!(
    create_then_read_back,
    unknown_incidents_are_not_found,
    transitions_derive_milestones_and_persist,
    refused_commands_write_nothing,
    stale_writers_get_a_conflict,
    eight_writers_never_fork_the_chain,
    the_ledger_links_all_incidents_under_a_signed_head,
    lists_filter_and_page,
    the_database_refuses_edits_to_the_journal_and_alert_history,
    accounts_tokens_and_sessions,
    the_record_is_searchable_and_observables_link_incidents,
    every_part_of_the_record_persists_and_refolds,
    alerts_are_taken_in_once_grouped_and_triaged,
    concurrent_repeats_make_one_alert,
    concurrent_batches_number_alerts_without_a_race,
    unreadable_alerts_do_not_take_lists_down,
    a_batch_is_taken_in_order_in_one_transaction,
    playbooks_keep_every_version,
    stakeholders_are_listed_and_unique,
    facts_follow_appends_and_stale_projections_are_refolded,
    samm_answers_are_kept_in_order,
    search_ignores_accents_and_old_terms_are_recut,
    groups_are_named_sets_of_accounts,
    restricted_incidents_are_known_and_left_out_on_request,
    the_access_log_is_a_chain_that_verify_walks,
    second_factors_codes_stages_and_settings,
    one_instance_at_a_time_runs_a_job,
    an_instance_with_another_key_writes_nothing,
    evidence_stored_on_one_instance_is_read_on_another,
    changes_are_announced_to_every_instance,
    sign_in_checks_are_counted_once_for_every_instance,
);

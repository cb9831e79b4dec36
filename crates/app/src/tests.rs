//! The application layer's guarantees, on a real SQLite store: authorisation on every attempt,
//! refusals that write nothing, pinned sequences, the one error classification.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use debrief_domain::postmortem::{Priority, RecommendationKind};
use debrief_domain::text::Actor;
use debrief_domain::{Category, DomainError, EntryDraft, NewIncident, Role, Timestamp};
use debrief_store::testing::TestDb;
use debrief_store::{InstallationKey, Store, StoreError};

use super::*;
use crate::commands::{AddRecommendation, EditIncident};

async fn open(db: &TestDb) -> App {
    let key = InstallationKey::load_or_create(&db.dir.path().join("installation.key")).unwrap();
    let store: Arc<dyn Store> = debrief_store::open(&db.url, key).await.unwrap();
    App::new(store)
}

fn new(title: &str) -> NewIncident {
    NewIncident::parse(title, "EDR flagged a host", "soc@example.org", "edr", None).unwrap()
}

fn user(name: &str, role: Role) -> Caller {
    Caller::user(name, role).unwrap()
}

async fn incident(app: &App) -> IncidentId {
    app.create(&user("maria", Role::Manager), new("Ransomware on FS01"))
        .await
        .unwrap()
        .incident
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_is_authorised_again_on_the_fresh_state() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    let id = incident(&app).await;
    let hera = user("hera", Role::Handler);
    let attempts = AtomicU32::new(0);
    let store = app.store().clone();
    // While hera's first attempt is being decided, a manager assigns the incident to zeus: her
    // append conflicts, and on the fresh state a handler may no longer work it.
    let result = app
        .execute(&hera, id, Need::Work, None, |i| {
            if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                let event = i.assign(Some("zeus"), "night shift").unwrap();
                let seq = i.seq;
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(store.append(
                        id,
                        seq,
                        vec![EntryDraft {
                            actor: Actor::parse("maria").unwrap(),
                            event,
                        }],
                    ))
                })
                .unwrap();
            }
            Ok(vec![i.change_field(
                debrief_domain::Field::Summary,
                "hera's summary",
                "",
            )?])
        })
        .await;
    let err = result.unwrap_err();
    assert!(matches!(err, AppError::Denied(_)), "{err}");
    assert_eq!(err.category(), Category::Forbidden);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        1,
        "refused before deciding again"
    );
    let journal = app.store().journal(id).await.unwrap();
    assert_eq!(journal.len(), 2, "opened, assigned; nothing of hera's");
    assert!(journal.iter().all(|e| e.actor != "hera"));
}

#[tokio::test]
async fn refusals_write_nothing_and_pinned_sequences_conflict() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    let id = incident(&app).await;
    let edit = EditIncident::new(Some("A better title".into()), None, None, None, "").unwrap();

    // A viewer is read-only.
    let viewer = user("vera", Role::Viewer);
    let err = app
        .execute(&viewer, id, Need::Work, None, |i| edit.decide(i))
        .await
        .unwrap_err();
    assert_eq!(err.category(), Category::Forbidden);
    // But reads.
    assert_eq!(app.incident(&viewer, "1").await.unwrap().id, id);

    // A stale expected sequence is a conflict, never a silent retry.
    let hera = user("hera", Role::Handler);
    let err = app
        .execute(&hera, id, Need::Work, Some(0), |i| edit.decide(i))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Store(StoreError::Conflict { .. })),
        "{err}"
    );
    assert_eq!(app.store().journal(id).await.unwrap().len(), 1);

    // The right sequence writes the edit, as one entry per changed field in one append.
    let both = EditIncident::new(
        Some("A better title".into()),
        Some("EDR flagged a host".into()),
        None,
        None,
        "",
    )
    .unwrap();
    let done = app
        .execute_entries(&hera, id, Need::Work, Some(1), |i| both.decide(i))
        .await
        .unwrap();
    assert_eq!(done.entries.len(), 1, "the unchanged summary is left out");
    assert_eq!(done.incident.title, "A better title");
    // The same edit again changes nothing and appends nothing.
    let again = app
        .execute_entries(&hera, id, Need::Work, None, |i| both.decide(i))
        .await
        .unwrap();
    assert!(again.entries.is_empty());
    assert_eq!(app.store().journal(id).await.unwrap().len(), 2);

    // An edit with no field is refused before anything is read.
    let none = EditIncident::new(None, None, None, None, "").unwrap_err();
    assert_eq!(none.category(), Category::Conflict);
    // A bad value is refused whole.
    assert_eq!(
        EditIncident::new(Some(String::new()), Some("fine".into()), None, None, "")
            .unwrap_err()
            .category(),
        Category::Refused
    );
}

#[tokio::test]
async fn approving_needs_a_manager_and_the_operator_may_do_everything() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    let id = incident(&app).await;
    let decide = |i: &debrief_domain::Incident| {
        Ok(vec![i.change_field(
            debrief_domain::Field::Reporter,
            "ciso@example.org",
            "",
        )?])
    };
    let err = app
        .execute(
            &user("hera", Role::Handler),
            id,
            Need::Approve,
            None,
            decide,
        )
        .await
        .unwrap_err();
    assert_eq!(err.category(), Category::Forbidden);
    let err = app
        .execute(&user("ada", Role::Admin), id, Need::Work, None, decide)
        .await
        .unwrap_err();
    assert_eq!(
        err.category(),
        Category::Forbidden,
        "admins read, they do not work incidents"
    );
    let operator = Caller::operator(Actor::parse("ops").unwrap());
    let done = app
        .execute(&operator, id, Need::Approve, None, decide)
        .await
        .unwrap();
    assert_eq!(done.reporter, "ciso@example.org");
    let journal = app.journal(&operator, id).await.unwrap();
    assert_eq!(journal.last().unwrap().actor, "ops");
}

#[tokio::test]
async fn a_recommendation_names_a_user_and_existing_incidents_on_every_channel() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    let id = incident(&app).await;
    let hera = user("hera", Role::Handler);
    let command = |owner: &str, related: Vec<i64>| AddRecommendation {
        action: "Enforce MFA on the VPN".into(),
        kind: RecommendationKind::Prevent,
        priority: Priority::new(5, 2).unwrap(),
        owner: AddRecommendation::owner_from(Some(owner)).unwrap(),
        due: None,
        root_causes: vec![],
        related,
    };
    let now = Timestamp::now();
    let err = app
        .add_recommendation(&hera, id, &command("direction", vec![]), now)
        .await
        .unwrap_err();
    assert_eq!(err.category(), Category::Refused);
    assert!(
        err.to_string()
            .contains("`direction` is neither a user account nor a directory entry"),
        "{err}"
    );
    let err = app
        .add_recommendation(&hera, id, &command("", vec![42]), now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no incident #42"), "{err}");
    assert_eq!(
        app.store().journal(id).await.unwrap().len(),
        1,
        "refused: nothing written"
    );

    let other = incident(&app).await;
    let other_number = app.store().incident(other).await.unwrap().number;
    let done = app
        .add_recommendation(&hera, id, &command("", vec![other_number, 1]), now)
        .await
        .unwrap();
    assert_eq!(done.recommendations.len(), 1);
    assert_eq!(
        done.recommendations[0].related_incidents,
        vec![other_number],
        "the incident itself is not related to itself"
    );
    // A team named in words owns it as written; a single word must be an account.
    let done = app
        .add_recommendation(&hera, id, &command("  Direction des  soins ", vec![]), now)
        .await
        .unwrap();
    assert_eq!(
        done.recommendations[1].owner.as_deref(),
        Some("Direction des soins")
    );
    assert!(AddRecommendation::owner_from(Some("a/b")).is_err());
}

#[test]
fn one_classification_gives_the_http_status_and_the_exit_code() {
    let cases: Vec<(StoreError, u16, u8)> = vec![
        (StoreError::NotFound("#9".into()), 404, 2),
        (StoreError::NoPlaybook("phishing".into()), 404, 2),
        (StoreError::NoStakeholder("cnil".into()), 404, 2),
        (StoreError::NoRule("r1".into()), 404, 2),
        (StoreError::Duplicate("exists".into()), 409, 2),
        (
            StoreError::Conflict {
                incident: "#1".into(),
                expected: 1,
                actual: 2,
            },
            409,
            2,
        ),
        (
            StoreError::Domain(DomainError::Unchanged("x".into())),
            409,
            2,
        ),
        (
            StoreError::Domain(DomainError::Empty { field: "title" }),
            422,
            2,
        ),
        (StoreError::Corrupt("x".into()), 500, 3),
    ];
    for (e, status, code) in cases {
        let e = AppError::from(e);
        assert_eq!(e.category().http_status(), status, "{e}");
        assert_eq!(e.category().exit_code(), code, "{e}");
    }
    let denied = AppError::Denied(debrief_domain::Denied("no".into()));
    assert_eq!(
        (
            denied.category().http_status(),
            denied.category().exit_code()
        ),
        (403, 2)
    );
}

// ------------------------------------------------------------ set-up and intake (`setup.rs`)

fn admin() -> Caller {
    user("root", Role::Admin)
}

fn account(name: &str, role: Role) -> debrief_store::accounts::NewUser {
    debrief_store::accounts::NewUser {
        username: debrief_domain::Username::parse(name).unwrap(),
        display_name: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        language: None,
        must_change_password: false,
    }
}

#[tokio::test]
async fn accounts_are_an_admins_and_an_admin_cannot_lock_themselves_out() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    app.create_first_admin(account("root", Role::Admin))
        .await
        .unwrap();
    // The first admin is made once only.
    let again = app
        .create_first_admin(account("eve", Role::Admin))
        .await
        .unwrap_err();
    assert_eq!(again.category(), Category::Conflict, "{again}");
    // A manager may not create accounts, and nothing is written.
    let err = app
        .create_user(
            &user("maria", Role::Manager),
            account("mallory", Role::Admin),
        )
        .await
        .unwrap_err();
    assert_eq!(err.category(), Category::Forbidden, "{err}");
    assert!(matches!(
        app.user(&admin(), "mallory").await.unwrap_err(),
        AppError::Store(StoreError::NoUser(_))
    ));
    app.create_user(&admin(), account("hera", Role::Handler))
        .await
        .unwrap();
    // root may not disable their own account or drop their own admin role …
    for changes in [
        debrief_store::accounts::UserChanges {
            disabled: Some(true),
            ..Default::default()
        },
        debrief_store::accounts::UserChanges {
            role: Some(Role::Viewer),
            ..Default::default()
        },
    ] {
        let err = app
            .update_user(&admin(), "root", changes)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict(_)), "{err}");
        assert_eq!(err.category(), Category::Conflict);
    }
    let root = app.user(&admin(), "root").await.unwrap();
    assert!(!root.disabled);
    assert_eq!(root.role, Role::Admin);
    // … but may disable someone else's, and the operator at the terminal may do anything.
    let changes = debrief_store::accounts::UserChanges {
        disabled: Some(true),
        ..Default::default()
    };
    assert!(
        app.update_user(&admin(), "hera", changes.clone())
            .await
            .unwrap()
            .disabled
    );
    let operator = Caller::operator(Actor::parse("root").unwrap());
    assert!(
        app.update_user(&operator, "root", changes)
            .await
            .unwrap()
            .disabled
    );
}

#[tokio::test]
async fn a_rule_needs_a_manager_and_a_stakeholder_named_as_the_directory_names_it() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    let maria = user("maria", Role::Manager);
    let new = debrief_domain::stakeholder::NewStakeholder::from_text(
        "ANSSI CERT-FR",
        "group",
        "external",
        "csirt",
        Some("cert-fr@example.org"),
        None,
        None,
        Some("fr"),
    )
    .unwrap();
    let refused = app
        .add_stakeholder(&user("hera", Role::Handler), new.clone())
        .await
        .unwrap_err();
    assert_eq!(refused.category(), Category::Forbidden);
    let cert = app.add_stakeholder(&maria, new).await.unwrap();
    let regimes = debrief_domain::obligation::Regimes::builtin();
    let rule = |to: &str| {
        debrief_domain::notify::NotificationRule::parse(
            "Tell CERT-FR",
            &["malicious-code".to_string()],
            3,
            &[],
            to,
            "csirt-initial",
            None,
            &["csirt-initial".to_string()],
            regimes,
        )
        .unwrap()
    };
    let missing = app.add_rule(&maria, rule("nobody")).await.unwrap_err();
    assert_eq!(missing.category(), Category::NotFound, "{missing}");
    assert!(
        app.rules(&maria).await.unwrap().is_empty(),
        "nothing written"
    );
    // Named by its id, the rule keeps the directory's name.
    let stored = app.add_rule(&maria, rule(&cert.id)).await.unwrap();
    assert_eq!(stored.rule.stakeholder, "ANSSI CERT-FR");
    let viewer = user("vic", Role::Viewer);
    assert_eq!(
        app.delete_rule(&viewer, &stored.id)
            .await
            .unwrap_err()
            .category(),
        Category::Forbidden
    );
    app.delete_rule(&maria, &stored.id).await.unwrap();
    assert!(app.rules(&viewer).await.unwrap().is_empty());
}

const PLAYBOOK: &str = "---\nslug: phishing\nlang: en\napplies-to: fraud/phishing\nmin-level: 0\n---\n# Phishing\n\n- [ ] Block the sender\n- [ ] Reset the password\n";

#[tokio::test]
async fn a_playbook_version_from_a_recommendation_marks_it_done_and_a_refusal_writes_nothing() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    let maria = user("maria", Role::Manager);
    let id = incident(&app).await;
    let command = AddRecommendation {
        action: "Teach staff to report phishing".into(),
        kind: RecommendationKind::Prevent,
        priority: Priority::new(3, 3).unwrap(),
        owner: None,
        due: None,
        root_causes: vec![],
        related: vec![],
    };
    let rec = app
        .add_recommendation(&maria, id, &command, Timestamp::now())
        .await
        .unwrap();
    let rec_id = rec.recommendations[0].id;
    let publish = |slug: &str, rec: Option<u64>| setup::PublishPlaybook {
        slug: slug.into(),
        body: PLAYBOOK.into(),
        from_incident: Some("1".into()),
        recommendation: rec,
        note: "after #1".into(),
    };
    // A handler may not publish; a header that disagrees with the address is refused; neither
    // writes a version.
    let handler = app
        .publish_playbook(
            &user("hera", Role::Handler),
            publish("phishing", Some(rec_id)),
        )
        .await
        .unwrap_err();
    assert_eq!(handler.category(), Category::Forbidden);
    let wrong = app
        .publish_playbook(&maria, publish("ransomware", Some(rec_id)))
        .await
        .unwrap_err();
    assert_eq!(wrong.category(), Category::Refused, "{wrong}");
    let unknown = app
        .publish_playbook(&maria, publish("phishing", Some(99)))
        .await
        .unwrap_err();
    assert_eq!(unknown.category(), Category::Refused, "{unknown}");
    assert!(app.store().list_playbooks().await.unwrap().is_empty());
    let v = app
        .publish_playbook(&maria, publish("phishing", Some(rec_id)))
        .await
        .unwrap();
    assert_eq!((v.version, v.from_incident), (1, Some(1)));
    let after = app.incident_by_id(&maria, id).await.unwrap();
    assert_eq!(
        after.recommendations[0].status,
        debrief_domain::postmortem::RecommendationStatus::Done
    );
}

#[tokio::test]
async fn anyone_reports_a_suspicion_but_only_handlers_and_managers_send_alerts() {
    let db = TestDb::sqlite();
    let app = open(&db).await;
    let alert = || {
        debrief_domain::alert::NewAlert::from_json(serde_json::json!({
            "type": "edr", "source": "edr", "sourceRef": "a-1", "title": "Suspicious login"
        }))
        .unwrap()
    };
    let viewer = user("vic", Role::Viewer);
    let err = app
        .receive_alerts(&viewer, vec![alert()], 0)
        .await
        .unwrap_err();
    assert_eq!(err.category(), Category::Forbidden);
    assert_eq!(
        app.receive_alert(&viewer, alert(), 0)
            .await
            .unwrap_err()
            .category(),
        Category::Forbidden
    );
    let reported = app.report_suspicion(&viewer, alert()).await.unwrap();
    assert_eq!(reported.alert.number, 1);
    let sent = app
        .receive_alerts(&user("hera", Role::Handler), vec![alert()], 0)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
}

//! Conformance scenarios for accounts and need-to-know: users, tokens and sessions; groups of
//! accounts; restricted incidents known to the store and left out of lists on request — on every
//! backend.

use super::*;
use debrief_store::accounts::SessionStage;

pub(crate) async fn accounts_tokens_and_sessions(db: &TestDb) {
    use debrief_domain::{Language, Role, Username};
    use debrief_store::accounts::{NewUser, UserChanges};
    let c = open(db).await;
    assert_eq!(c.store.count_users().await.unwrap(), 0);
    let new = |name: &str, role| NewUser {
        username: Username::parse(name).unwrap(),
        display_name: format!("{name} (display)"),
        role,
        password_hash: format!("$argon2id$fake${name}"),
        language: None,
        must_change_password: false,
    };
    let alice = c
        .store
        .create_user(new("alice", Role::Manager))
        .await
        .unwrap();
    c.store.create_user(new("bob", Role::Viewer)).await.unwrap();
    let dup = c
        .store
        .create_user(new("ALICE", Role::Viewer))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate(_)), "{dup}");
    assert!(dup.to_string().contains("`alice` already exists"));
    assert_eq!(c.store.count_users().await.unwrap(), 2);
    let rec = c.store.user_record("Alice").await.unwrap();
    assert_eq!(rec.user, alice);
    assert_eq!(rec.password_hash, "$argon2id$fake$alice");
    assert!(
        !format!("{rec:?}").contains("fake"),
        "hash redacted in Debug"
    );
    assert!(matches!(
        c.store.user_record("zoe").await,
        Err(StoreError::NoUser(_))
    ));
    let names: Vec<String> = c
        .store
        .list_users()
        .await
        .unwrap()
        .iter()
        .map(|u| u.username.to_string())
        .collect();
    assert_eq!(names, vec!["alice", "bob"]);

    let changed = c
        .store
        .update_user(
            "bob",
            UserChanges {
                role: Some(Role::Handler),
                language: Some(Some(Language::Fr)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.role, changed.language),
        (Role::Handler, Some(Language::Fr))
    );

    // Tokens: found by hash until revoked.
    let token = c
        .store
        .create_token("bob", "siem", "hash-of-token")
        .await
        .unwrap();
    assert_eq!(
        c.store
            .token_user("hash-of-token")
            .await
            .unwrap()
            .unwrap()
            .username
            .as_str(),
        "bob"
    );
    assert!(c.store.token_user("other").await.unwrap().is_none());
    assert_eq!(c.store.list_tokens().await.unwrap().len(), 1);
    c.store.revoke_token(&token.id).await.unwrap();
    assert!(c.store.token_user("hash-of-token").await.unwrap().is_none());
    assert!(matches!(
        c.store.revoke_token(&token.id).await,
        Err(StoreError::NoToken(_))
    ));

    // Sessions: live until expiry, deletion, or the user being disabled.
    let later = Timestamp::from_micros(Timestamp::now().as_micros() + 3_600_000_000).unwrap();
    let past = Timestamp::from_micros(Timestamp::now().as_micros() - 1).unwrap();
    c.store
        .create_session("s1", &alice.id, "csrf1", later, SessionStage::Full)
        .await
        .unwrap();
    c.store
        .create_session("s-old", &alice.id, "csrf0", past, SessionStage::Full)
        .await
        .unwrap();
    let s = c.store.session("s1").await.unwrap().unwrap();
    assert_eq!(
        (s.user.username.as_str(), s.csrf_token.as_str()),
        ("alice", "csrf1")
    );
    assert!(c.store.session("s-old").await.unwrap().is_none(), "expired");
    c.store.delete_session("s1").await.unwrap();
    assert!(c.store.session("s1").await.unwrap().is_none());
    // A person's sessions are listed by a short id (never the secret) and ended one by one
    // or all at once; the expired one is not listed.
    for h in ["aaaaaaaaaaaaaaaa-one", "bbbbbbbbbbbbbbbb-two"] {
        c.store
            .create_session(h, &alice.id, "csrf", later, SessionStage::Full)
            .await
            .unwrap();
    }
    let listed = c.store.list_sessions("alice").await.unwrap();
    let mut ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]);
    c.store
        .end_session("alice", "aaaaaaaaaaaaaaaa")
        .await
        .unwrap();
    assert!(matches!(
        c.store.end_session("alice", "aaaaaaaaaaaaaaaa").await,
        Err(StoreError::NoSession(_))
    ));
    assert!(matches!(
        c.store.end_session("nobody", "bbbbbbbbbbbbbbbb").await,
        Err(StoreError::NoSession(_))
    ));
    assert_eq!(c.store.end_sessions("alice").await.unwrap(), 1);
    assert!(c.store.list_sessions("alice").await.unwrap().is_empty());
    c.store
        .create_session("s2", &alice.id, "csrf2", later, SessionStage::Full)
        .await
        .unwrap();
    c.store
        .create_token("alice", "cli", "alice-token")
        .await
        .unwrap();
    c.store
        .update_user(
            "alice",
            UserChanges {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        c.store.session("s2").await.unwrap().is_none(),
        "disabling ends sessions"
    );
    assert!(
        c.store.token_user("alice-token").await.unwrap().is_none(),
        "disabled users' tokens stop working"
    );
}

pub(crate) async fn groups_are_named_sets_of_accounts(db: &TestDb) {
    use debrief_domain::access::GroupName;
    let c = open(db).await;
    for name in ["vic", "hera"] {
        c.store
            .create_user(debrief_store::accounts::NewUser {
                username: debrief_domain::Username::parse(name).unwrap(),
                display_name: name.into(),
                role: debrief_domain::Role::Viewer,
                password_hash: "$argon2id$x".into(),
                language: None,
                must_change_password: false,
            })
            .await
            .unwrap();
    }
    let legal = GroupName::parse("Legal").unwrap();
    let g = c
        .store
        .create_group(&legal, "counsel", "root")
        .await
        .unwrap();
    assert_eq!((g.name.as_str(), g.members.len()), ("legal", 0));
    assert!(matches!(
        c.store.create_group(&legal, "again", "root").await,
        Err(StoreError::Duplicate(_))
    ));
    c.store
        .add_group_member(&legal, "VIC", "root")
        .await
        .unwrap();
    c.store
        .add_group_member(&legal, "hera", "root")
        .await
        .unwrap();
    assert!(matches!(
        c.store.add_group_member(&legal, "vic", "root").await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(matches!(
        c.store.add_group_member(&legal, "nobody", "root").await,
        Err(StoreError::NoUser(_))
    ));
    let hr = GroupName::parse("hr").unwrap();
    assert!(matches!(
        c.store.add_group_member(&hr, "vic", "root").await,
        Err(StoreError::NoGroup(_))
    ));
    let all = c.store.list_groups().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].members, vec!["hera".to_string(), "vic".to_string()]);
    assert_eq!(c.store.groups_of("vic").await.unwrap(), vec![legal.clone()]);
    c.store.remove_group_member(&legal, "vic").await.unwrap();
    assert!(c.store.groups_of("vic").await.unwrap().is_empty());
    assert!(matches!(
        c.store.remove_group_member(&legal, "vic").await,
        Err(StoreError::NoUser(_))
    ));
}

pub(crate) async fn restricted_incidents_are_known_and_left_out_on_request(db: &TestDb) {
    let c = open(db).await;
    let open_one = c
        .store
        .create_incident(&actor("maria"), new("Phishing wave"))
        .await
        .unwrap()
        .incident;
    let hr = c
        .store
        .create_incident(
            &actor("maria"),
            new("Payroll clerk exfiltration").restricted(true),
        )
        .await
        .unwrap()
        .incident;
    assert!(hr.restricted && !open_one.restricted);
    let later = c
        .store
        .create_incident(&actor("maria"), new("Ransomware on FS01"))
        .await
        .unwrap()
        .incident;
    // Restricted later, by a decision.
    execute(&*c.store, later.id, &actor("maria"), |i| {
        i.set_restricted(true, "the board asked")
    })
    .await
    .unwrap();
    let restricted: Vec<i64> = c
        .store
        .restricted_incidents()
        .await
        .unwrap()
        .iter()
        .map(|i| i.number)
        .collect();
    assert_eq!(restricted, vec![2, 3]);
    // A list leaves out what it is asked to, and pages stay full.
    let page = c
        .store
        .list_incidents(&IncidentQuery {
            exclude: vec![hr.id, later.id],
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.iter().map(|i| i.number).collect::<Vec<_>>(), vec![1]);
    // Opened again, it is no longer restricted; the journal and the row agree.
    execute(&*c.store, hr.id, &actor("maria"), |i| {
        i.set_restricted(false, "shared for training")
    })
    .await
    .unwrap();
    assert_eq!(c.store.restricted_incidents().await.unwrap().len(), 1);
    assert!(verify_all(&*c.store, &c.key).await.unwrap().intact());
    // A row edited to look open again, against its journal, is a finding.
    db.raw_sql("UPDATE incidents SET restricted = FALSE WHERE number = 3")
        .await;
    let report = verify_incident(&*c.store, later.id).await.unwrap();
    assert!(!report.intact());
    assert!(format!("{report:?}").contains("restricted"), "{report:?}");
}

pub(crate) async fn the_access_log_is_a_chain_that_verify_walks(db: &TestDb) {
    use debrief_store::access::{AccessRecord, AccessScope};
    let c = open(db).await;
    let read = |n: i64, who: &str| AccessRecord {
        at: Timestamp::now(),
        actor: who.into(),
        action: "report".into(),
        incident_id: None,
        number: Some(n),
        what: format!("final md en (entry {n})"),
        kind: "final".into(),
        format: "md".into(),
        lang: "en".into(),
        entry: Some(n),
        sha256: None,
        address: "192.0.2.7".into(),
    };
    // Recorded at once from many tasks: each gets its own place, none is lost.
    let mut tasks = Vec::new();
    for n in 0..12 {
        let store = c.store.clone();
        tasks.push(tokio::spawn(async move {
            store.record_access(read(n, "maria")).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let chain = c.store.access_chain().await.unwrap();
    assert_eq!(chain.len(), 12);
    assert_eq!(
        chain.iter().map(|r| r.seq.unwrap()).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    assert!(debrief_store::access::check_chain(&chain).is_empty());
    let report = verify_all(&*c.store, &c.key).await.unwrap();
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.access_records, 12);
    assert_eq!(
        c.store
            .access_log(AccessScope::All, 100)
            .await
            .unwrap()
            .len(),
        12
    );
    // A record slipped in around Debrief (no place in the chain) is found.
    db.raw_sql(
        "INSERT INTO access_log (id, at, actor, action, what, kind, format, lang, address) VALUES ('x', '2999-01-01T00:00:00.000000Z', 'eve', 'report', 'cover-up', 'final', 'md', 'en', 'x')",
    )
    .await;
    let report = verify_all(&*c.store, &c.key).await.unwrap();
    assert!(!report.intact());
    assert!(
        format!("{report:?}").contains("without its place in the chain"),
        "{report:?}"
    );
    // An edited record breaks its hash: the database refuses edits, so a forger must disable
    // that first; the chain still tells.
    let mut chain = c.store.access_chain().await.unwrap();
    if let Some(r) = chain.iter_mut().find(|r| r.seq == Some(5))
        && let Ok(rec) = r.record.as_mut()
    {
        rec.actor = "eve".into();
    }
    let problems = debrief_store::access::check_chain(&chain);
    assert!(
        problems.iter().any(|p| p.contains("record 5 was altered")),
        "{problems:?}"
    );
    chain.retain(|r| r.seq != Some(7));
    let problems = debrief_store::access::check_chain(&chain);
    assert!(
        problems.iter().any(|p| p.contains("record 7 is missing")),
        "{problems:?}"
    );
}

pub(crate) async fn second_factors_codes_stages_and_settings(db: &TestDb) {
    use debrief_domain::{Role, Username};
    use debrief_store::accounts::{FactorKind, NewUser};
    let c = open(db).await;
    let hera = c
        .store
        .create_user(NewUser {
            username: Username::parse("hera").unwrap(),
            display_name: "Hera".into(),
            role: Role::Handler,
            password_hash: "$argon2id$fake$hera".into(),
            language: None,
            must_change_password: false,
        })
        .await
        .unwrap();
    assert!(c.store.second_factors("hera").await.unwrap().is_empty());
    assert!(matches!(
        c.store
            .add_second_factor("nobody", FactorKind::Totp, "x", "K")
            .await,
        Err(StoreError::NoUser(_))
    ));
    let phone = c
        .store
        .add_second_factor("hera", FactorKind::Totp, "phone", "JBSWY3DPEHPK3PXP")
        .await
        .unwrap();
    let key = c
        .store
        .add_second_factor("HERA", FactorKind::Passkey, "yubikey", "{\"cred\":1}")
        .await
        .unwrap();
    let listed = c.store.second_factors("hera").await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].secret, "JBSWY3DPEHPK3PXP");
    // Neither Debug nor Serialize shows a secret.
    assert!(!format!("{:?}", listed[0]).contains("JBSWY3DPEHPK3PXP"));
    assert!(
        !serde_json::to_string(&listed[0])
            .unwrap()
            .contains("JBSWY3DPEHPK3PXP")
    );
    // Each TOTP step signs in once; an earlier one never again.
    assert!(c.store.use_totp_step(&phone.id, 100).await.unwrap());
    assert!(
        !c.store.use_totp_step(&phone.id, 100).await.unwrap(),
        "replay"
    );
    assert!(
        !c.store.use_totp_step(&phone.id, 99).await.unwrap(),
        "older"
    );
    assert!(c.store.use_totp_step(&phone.id, 101).await.unwrap());
    assert!(
        !c.store.use_totp_step(&key.id, 500).await.unwrap(),
        "a passkey has no steps"
    );
    c.store.used_passkey(&key.id, "{\"cred\":2}").await.unwrap();
    let listed = c.store.second_factors("hera").await.unwrap();
    assert_eq!(listed[1].secret, "{\"cred\":2}");
    assert!(listed[1].last_used_at.is_some() && listed[0].last_used_at.is_some());
    // Recovery codes: each once; a new set replaces the old.
    let hashes: Vec<String> = (0..3).map(|i| format!("h{i}")).collect();
    c.store.set_recovery_codes("hera", &hashes).await.unwrap();
    assert_eq!(c.store.recovery_codes_left("hera").await.unwrap(), 3);
    assert!(c.store.use_recovery_code("hera", "h1").await.unwrap());
    assert!(!c.store.use_recovery_code("hera", "h1").await.unwrap());
    assert!(!c.store.use_recovery_code("nobody", "h2").await.unwrap());
    assert_eq!(c.store.recovery_codes_left("hera").await.unwrap(), 2);
    c.store
        .set_recovery_codes("hera", &["n1".to_string()])
        .await
        .unwrap();
    assert!(!c.store.use_recovery_code("hera", "h2").await.unwrap());
    assert_eq!(c.store.recovery_codes_left("hera").await.unwrap(), 1);
    // Sessions carry their stage, their last use and a ceremony's state.
    let later = Timestamp::from_micros(Timestamp::now().as_micros() + 3_600_000_000).unwrap();
    c.store
        .create_session("wait", &hera.id, "c", later, SessionStage::SecondFactor)
        .await
        .unwrap();
    c.store
        .create_session("full", &hera.id, "c", later, SessionStage::Full)
        .await
        .unwrap();
    let s = c.store.session("wait").await.unwrap().unwrap();
    assert_eq!(s.stage, SessionStage::SecondFactor);
    assert_eq!(s.challenge, None);
    c.store
        .set_session_challenge("wait", Some("{\"state\":1}"))
        .await
        .unwrap();
    let seen = Timestamp::from_micros(Timestamp::now().as_micros() + 5_000_000).unwrap();
    c.store.touch_session("wait", seen).await.unwrap();
    let s = c.store.session("wait").await.unwrap().unwrap();
    assert_eq!(s.challenge.as_deref(), Some("{\"state\":1}"));
    assert_eq!(s.last_seen_at, seen);
    // Only signed-in sessions are listed as where a person is signed in.
    let listed = c.store.list_sessions("hera").await.unwrap();
    assert_eq!(listed.len(), 1);
    // One factor removed; an unknown id is "no factor".
    c.store.remove_second_factor("hera", &key.id).await.unwrap();
    assert!(matches!(
        c.store.remove_second_factor("hera", &key.id).await,
        Err(StoreError::NoFactor(_))
    ));
    // A reset removes every factor and code and ends every session.
    assert_eq!(c.store.reset_second_factors("hera").await.unwrap(), 1);
    assert!(c.store.second_factors("hera").await.unwrap().is_empty());
    assert_eq!(c.store.recovery_codes_left("hera").await.unwrap(), 0);
    assert!(c.store.session("full").await.unwrap().is_none());
    assert!(c.store.session("wait").await.unwrap().is_none());
    // Settings: unset, set, changed.
    assert_eq!(
        c.store.setting("require_second_factor").await.unwrap(),
        None
    );
    c.store
        .set_setting("require_second_factor", "true", "root")
        .await
        .unwrap();
    c.store
        .set_setting("require_second_factor", "false", "root")
        .await
        .unwrap();
    assert_eq!(
        c.store
            .setting("require_second_factor")
            .await
            .unwrap()
            .as_deref(),
        Some("false")
    );
}

//! Conformance scenarios for several instances of one installation on one database: background
//! jobs held by one at a time, shared evidence, keys, change announcements and sign-in checks.

use super::*;

/// Two instances of one installation (the same key) on one database: a background job is one
/// instance's at a time on PostgreSQL, and passes to the other when released; SQLite's only
/// instance always holds it.
pub(crate) async fn one_instance_at_a_time_runs_a_job(db: &TestDb) {
    use debrief_store::lease::Job;
    let first = open(db).await;
    let second = debrief_store::open(&db.url, first.key.clone())
        .await
        .unwrap();
    let mut lease = first.store.lead(Job::Notifications).await.unwrap().unwrap();
    assert_eq!(lease.job(), Job::Notifications);
    assert!(lease.held().await);
    let other = second.lead(Job::Notifications).await.unwrap();
    let watch = second.lead(Job::WatchFolder).await.unwrap();
    assert!(watch.is_some(), "another job is not taken by the first one");
    if db.backend() == "postgres" {
        assert!(other.is_none(), "the job is the first instance's");
        lease.release().await;
        let mut taken = None;
        for _ in 0..50 {
            taken = second.lead(Job::Notifications).await.unwrap();
            if taken.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut taken = taken.expect("released, the job passes to the other instance");
        assert!(taken.held().await);
        assert!(
            first
                .store
                .lead(Job::Notifications)
                .await
                .unwrap()
                .is_none()
        );
    } else {
        assert!(other.is_some(), "SQLite's one instance always holds it");
    }
}

/// An evidence file stored through one instance is read through another, with its own
/// directory, when the store shares evidence (PostgreSQL); SQLite's files stay in its directory.
pub(crate) async fn evidence_stored_on_one_instance_is_read_on_another(db: &TestDb) {
    use debrief_store::blobs::{BlobError, BlobStore};
    let first = open(db).await;
    let second = debrief_store::open(&db.url, first.key.clone())
        .await
        .unwrap();
    let here = BlobStore::of(db.dir.path().join("evidence-1"), &first.store);
    let there = BlobStore::of(db.dir.path().join("evidence-2"), &second);
    // Two and a half chunks.
    let body: Vec<u8> = (0..2_621_440u32).map(|i| (i % 251) as u8).collect();
    let mut w = here.writer(10 << 20).await.unwrap();
    w.write(&body[..1_000_000]).await.unwrap();
    w.write(&body[1_000_000..]).await.unwrap();
    let stored = w.finish().await.unwrap();
    assert_eq!(stored.size, body.len() as u64);
    let read = there.verified_path(&stored.sha256).await;
    if db.backend() == "postgres" {
        assert_eq!(std::fs::read(read.unwrap()).unwrap(), body);
        // Stored again (the same content from another instance): kept once.
        let mut again = there.writer(10 << 20).await.unwrap();
        again.write(&body).await.unwrap();
        assert_eq!(again.finish().await.unwrap(), stored);
    } else {
        assert!(matches!(read, Err(BlobError::Missing(_))), "{read:?}");
    }
}

/// An instance with another installation key refuses to write over the ledger the
/// installation's key signed, and writes nothing; the ledger still verifies.
pub(crate) async fn an_instance_with_another_key_writes_nothing(db: &TestDb) {
    let c = open(db).await;
    c.store
        .create_incident(&actor("alice"), new("Signed by the installation"))
        .await
        .unwrap();
    let stranger = InstallationKey::generate().unwrap();
    let other = debrief_store::open(&db.url, stranger).await.unwrap();
    let refused = other
        .create_incident(&actor("mallory"), new("Signed by a stranger"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StoreError::ForeignKey { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("same key file"), "{refused}");
    assert_eq!(c.store.raw_entries(Scope::All).await.unwrap().len(), 1);
    assert!(verify_all(&*c.store, &c.key).await.unwrap().intact());
}

/// A committed write is announced to every instance of the installation: the instance that
/// wrote it and, on PostgreSQL, another one on the same database (SQLite has only one); a write
/// refused is not announced.
pub(crate) async fn changes_are_announced_to_every_instance(db: &TestDb) {
    use debrief_store::changes::Change;
    let first = open(db).await;
    let second = debrief_store::open(&db.url, first.key.clone())
        .await
        .unwrap();
    let mut here = first.store.subscribe();
    let mut there = second.subscribe();
    // PostgreSQL's listener starts with the first subscription; give it time to LISTEN.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    async fn heard(rx: &mut tokio::sync::broadcast::Receiver<Change>) -> Change {
        tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
            .await
            .expect("announced within 5 s")
            .unwrap()
    }
    let made = first
        .store
        .create_incident(&actor("alice"), new("Live"))
        .await
        .unwrap();
    let n = made.incident.number;
    assert_eq!(heard(&mut here).await, Change::Incident(n));
    if db.backend() == "postgres" {
        assert_eq!(heard(&mut there).await, Change::Incident(n));
    }
    // Refused: a stale sequence writes nothing and announces nothing.
    let stale = first
        .store
        .append(
            made.incident.id,
            0,
            vec![EntryDraft {
                actor: actor("bob"),
                event: made
                    .incident
                    .transition(
                        Status::Triage,
                        "",
                        &debrief_domain::postmortem::ReviewPolicy::none(),
                    )
                    .unwrap(),
            }],
        )
        .await;
    assert!(stale.is_err());
    second
        .receive_alerts(
            vec![alerts::alert("live-1", None, serde_json::json!({}))],
            "siem",
            Timestamp::now(),
            0,
        )
        .await
        .unwrap();
    if db.backend() == "postgres" {
        assert_eq!(heard(&mut here).await, Change::Alerts, "nothing in between");
        assert_eq!(heard(&mut there).await, Change::Alerts);
    } else {
        assert_eq!(heard(&mut there).await, Change::Alerts);
    }
}

/// The sign-in limiter's counts: checks counted against a user and an address together, all or
/// none; a used-up key refuses with the seconds left; a check given back or a key cleared frees
/// a place; a window that ended starts again; and two instances count the same checks.
pub(crate) async fn sign_in_checks_are_counted_once_for_every_instance(db: &TestDb) {
    let first = open(db).await;
    let second = debrief_store::open(&db.url, first.key.clone())
        .await
        .unwrap();
    let (window, t0) = (900, 1_800_000_000);
    let counters = |addr| [("user:alice", 3), (addr, 5)];
    for (n, store) in [&first.store, &second, &first.store]
        .into_iter()
        .enumerate()
    {
        let at = t0 + n as i64;
        let got = store
            .count_sign_in_check(&counters("addr:10.0.0.1"), window, at)
            .await
            .unwrap();
        assert_eq!(got, Ok(()), "check {n}");
    }
    // The user's three are used, whichever instance counted them: refused, nothing counted.
    let refused = second
        .count_sign_in_check(&counters("addr:10.0.0.2"), window, t0 + 100)
        .await
        .unwrap();
    assert_eq!(refused, Err(800), "the seconds until the window ends");
    let other = first
        .store
        .count_sign_in_check(&[("user:bob", 3), ("addr:10.0.0.2", 5)], window, t0 + 100)
        .await
        .unwrap();
    assert_eq!(
        other,
        Ok(()),
        "the refused check did not count against its address"
    );
    // A check given back frees one place; clearing frees them all.
    second
        .give_back_sign_in_check(&["user:alice", "addr:10.0.0.1"])
        .await
        .unwrap();
    let counted = |s: &Arc<dyn Store>, at| {
        let s = s.clone();
        async move {
            s.count_sign_in_check(&counters("addr:10.0.0.1"), window, at)
                .await
                .unwrap()
        }
    };
    assert_eq!(counted(&first.store, t0 + 101).await, Ok(()));
    assert!(counted(&first.store, t0 + 102).await.is_err());
    first
        .store
        .clear_sign_in_checks("user:alice")
        .await
        .unwrap();
    assert_eq!(counted(&second, t0 + 103).await, Ok(()));
    // The address's window (four checks so far): a fifth, then refused until the window ends.
    assert_eq!(
        second
            .count_sign_in_check(&[("addr:10.0.0.1", 5)], window, t0 + 104)
            .await
            .unwrap(),
        Ok(())
    );
    assert!(
        second
            .count_sign_in_check(&[("addr:10.0.0.1", 5)], window, t0 + 105)
            .await
            .unwrap()
            .is_err()
    );
    assert_eq!(
        second
            .count_sign_in_check(&[("addr:10.0.0.1", 5)], window, t0 + window)
            .await
            .unwrap(),
        Ok(()),
        "a new window"
    );
}

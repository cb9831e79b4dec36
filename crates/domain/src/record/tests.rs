//! Tests of `record.rs`.

use super::*;
use crate::testkit::Journal;

fn obs(
    j: &mut Journal,
    kind: ObservableKind,
    raw: &str,
    flags: &ObservableFlags,
) -> Result<(), DomainError> {
    let e = j.state().add_observable(kind, raw, flags)?;
    j.push(e);
    Ok(())
}

#[test]
fn triage_is_folded() {
    let mut j = Journal::new();
    let e = j
        .state()
        .classify("fraud", "phishing", "mail gateway hits")
        .unwrap();
    j.push(e);
    let m = SeverityMatrix::default();
    let e = j
        .state()
        .assess(
            &m,
            FunctionalImpact::Low,
            InformationImpact::Privacy,
            Recoverability::Supplemented,
            "",
        )
        .unwrap();
    j.push(e);
    let e = j.state().set_markings(Some(Tlp::Red), None).unwrap();
    j.push(e);
    let e = j
        .state()
        .change_tags(&["Phishing".into(), "finance dept".into()], &[])
        .unwrap();
    j.push(e);
    let e = j
        .state()
        .set_scope(&["Finance".into()], &["Paris".into()], &["O365".into()])
        .unwrap();
    j.push(e);
    let e = j.state().add_member("bob", IncidentRole::Lead).unwrap();
    j.push(e);
    let s = j.state();
    assert_eq!(s.classification.as_ref().unwrap().kind, "phishing");
    assert_eq!(s.severity.as_ref().unwrap().level, 2);
    assert_eq!((s.tlp, s.pap), (Tlp::Red, Pap::Amber));
    assert_eq!(s.tags, vec!["phishing", "finance-dept"]);
    assert_eq!(s.scope.sites, vec!["Paris"]);
    assert_eq!(s.members[0].role, IncidentRole::Lead);
    assert!(matches!(
        s.classify("fraud", "phishing", ""),
        Err(DomainError::Unchanged(_))
    ));
    assert!(matches!(
        s.add_member("bob", IncidentRole::Lead),
        Err(DomainError::Unchanged(_))
    ));
    let e = s.change_tags(&[], &["phishing".into()]).unwrap();
    j.push(e);
    assert_eq!(j.state().tags, vec!["finance-dept"]);
}

#[test]
fn observables_are_normalised_and_deduplicated() {
    let mut j = Journal::new();
    let none = ObservableFlags::default();
    obs(&mut j, ObservableKind::Domain, "Evil[.]com", &none).unwrap();
    let err = obs(&mut j, ObservableKind::Domain, "evil.com.", &none).unwrap_err();
    assert!(matches!(err, DomainError::Unchanged(_)), "{err}");
    // Seen again, now as an IoC: the existing observable is updated, not duplicated.
    obs(
        &mut j,
        ObservableKind::Domain,
        "EVIL.COM",
        &ObservableFlags {
            ioc: true,
            ..none.clone()
        },
    )
    .unwrap();
    let s = j.state();
    assert_eq!(s.observables.len(), 1);
    assert!(s.observables[0].ioc);
    assert!(obs(&mut j, ObservableKind::Ipv4, "999.1.1.1", &none).is_err());
}

#[test]
fn pasted_text_adds_only_new_observables() {
    let mut j = Journal::new();
    obs(
        &mut j,
        ObservableKind::Ipv4,
        "203.0.113.7",
        &ObservableFlags::default(),
    )
    .unwrap();
    let (events, known) = j
        .state()
        .add_observables_from_text(
            "c2 at 203.0.113.7 and hxxp://bad[.]example/x, sender x@bad.example",
            &ObservableFlags::default(),
        )
        .unwrap();
    assert_eq!(known, 1);
    assert_eq!(events.len(), 2);
    for e in events {
        j.push(e);
    }
    let ids: Vec<u64> = j.state().observables.iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
}

#[test]
fn timeline_is_ordered_by_occurrence_and_checked() {
    let mut j = Journal::new();
    obs(
        &mut j,
        ObservableKind::Ipv4,
        "203.0.113.7",
        &ObservableFlags::default(),
    )
    .unwrap();
    let entry = |at: &str, technique: Option<&str>, tactic: Option<&str>, observables: Vec<u64>| {
        NewTimelineEntry {
            assets: vec![],
            occurred_at: Timestamp::parse(at).unwrap(),
            precision: Precision::Minute,
            description: format!("event at {at}"),
            source: TimelineSource::Log,
            technique: technique.map(String::from),
            tactic: tactic.map(String::from),
            observables,
        }
    };
    let e = j
        .state()
        .add_timeline(&entry(
            "2026-11-20T10:00:00Z",
            Some("T1566.001"),
            Some("initial-access"),
            vec![1],
        ))
        .unwrap();
    j.push(e);
    let e = j
        .state()
        .add_timeline(&entry("2026-11-20T09:00:00Z", None, Some("TA0043"), vec![]))
        .unwrap();
    j.push(e);
    let s = j.state();
    let order: Vec<u64> = s.timeline.iter().map(|t| t.id).collect();
    assert_eq!(order, vec![2, 1], "ordered by occurrence, not by entry");
    assert_eq!(
        s.timeline[0].tactic.as_ref().unwrap().as_str(),
        "reconnaissance"
    );
    let bad = s
        .add_timeline(&entry("2026-11-20T09:00:00Z", Some("T12"), None, vec![]))
        .unwrap_err();
    assert!(bad.to_string().contains("T1234.001"));
    assert!(
        s.add_timeline(&entry(
            "2026-11-20T09:00:00Z",
            None,
            Some("pivoting"),
            vec![]
        ))
        .is_err()
    );
    assert!(
        s.add_timeline(&entry("2026-11-20T09:00:00Z", None, None, vec![9]))
            .is_err()
    );
    assert!(s.remove_timeline(1, "").is_err());
    let e = s.remove_timeline(1, "duplicate of 2").unwrap();
    j.push(e);
    assert_eq!(j.state().timeline.len(), 1);
}

//! Tests of `alert.rs`.

use super::*;
use serde_json::json;

fn input(v: serde_json::Value) -> Result<NewAlert, Vec<DomainError>> {
    NewAlert::from_json(v)
}

#[test]
fn thehive_payload_is_read_with_its_numbers_and_names() {
    let raw = json!({
        "type": "external", "source": "siem", "sourceRef": "A-1", "title": "Beacon to evil",
        "severity": 3, "tlp": 3, "pap": 0, "date": 1_763_900_000_000_i64,
        "tags": ["c2", "c2", " "],
        "observables": [
            {"dataType": "ip", "data": "10.0.0.1"},
            {"dataType": "domain", "data": "EVIL[.]com"},
            {"dataType": "hash", "data": "d41d8cd98f00b204e9800998ecf8427e"}
        ]
    });
    let a = input(raw.clone()).unwrap();
    assert_eq!(a.key.source_ref, "A-1");
    assert_eq!(a.severity.level(), 3);
    assert_eq!((a.tlp, a.pap), (Tlp::Red, Pap::Clear));
    assert_eq!(a.tags, vec!["c2"]);
    assert!(a.observables.contains(&AlertObservable {
        kind: ObservableKind::Domain,
        value: "evil.com".into()
    }));
    assert!(a.observables.iter().any(|o| o.kind == ObservableKind::Md5));
    assert_eq!(
        a.occurred_at.map(|t| t.to_string()).as_deref(),
        Some("2025-11-23T12:13:20.000000Z")
    );
    assert_eq!(a.raw, raw);
    assert_eq!((tlp_level(a.tlp), pap_level(a.pap)), (3, 0));
}

#[test]
fn names_and_defaults_work_too() {
    let a = input(
        json!({"type": "sigma", "source": "debrief-hunt", "sourceRef": "r1",
        "title": "x", "tlp": "amber+strict", "date": "2026-11-23T10:00:00+01:00"}),
    )
    .unwrap();
    assert_eq!(
        (a.tlp, a.pap, a.severity),
        (Tlp::AmberStrict, Pap::Amber, AlertSeverity::MEDIUM)
    );
}

#[test]
fn dates_outside_1970_to_9999_are_refused_naming_the_field() {
    for date in [
        json!(-1),
        json!(-5),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(253_402_300_800_000_i64),
        json!(1.5e300),
        json!("1969-12-31T23:59:59Z"),
        json!("0000-01-01T00:00:00Z"),
        json!("-000001-01-01T00:00:00Z"),
        json!(true),
        json!({"at": 1}),
    ] {
        let errors = input(json!({"type": "t", "source": "s", "sourceRef": "r",
            "title": "x", "date": date}))
        .unwrap_err();
        assert_eq!(errors.len(), 1, "{date}: {errors:?}");
        assert!(
            errors[0].to_string().starts_with("date "),
            "{date}: {}",
            errors[0]
        );
    }
    let a = input(
        json!({"type": "t", "source": "s", "sourceRef": "r", "title": "x",
        "date": 0}),
    )
    .unwrap();
    assert_eq!(a.occurred_at, Some(Timestamp::MIN));
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = input(
        json!({"type": "", "source": "s", "sourceRef": "r", "title": "t",
        "severity": 9, "tlp": 7, "observables": [{"type": "hash", "value": "abc"}],
        "date": "yesterday"}),
    )
    .unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 5, "{text:?}");
    assert!(text.iter().any(|t| t.contains("type must not be empty")));
    assert!(text.iter().any(|t| t.contains("severity is 9")));
    assert!(text.iter().any(|t| t.contains("tlp is 7")));
    assert!(text.iter().any(|t| t.contains("3 characters")));
    assert!(text.iter().any(|t| t.contains("yesterday")));
    assert!(serde_json::from_value::<AlertInput>(json!({"type": "a"})).is_err());
}

#[test]
fn lifecycle_refuses_what_makes_no_sense() {
    use AlertStatus::*;
    assert_eq!(
        next_status(New, &AlertAction::Acknowledge).unwrap(),
        Acknowledged
    );
    assert_eq!(
        next_status(Acknowledged, &AlertAction::Promote).unwrap(),
        Promoted
    );
    assert_eq!(next_status(New, &AlertAction::Merge).unwrap(), Merged);
    let dismiss = |note: &str| AlertAction::Dismiss {
        reason: DismissReason::FalsePositive,
        note: note.into(),
    };
    assert!(next_status(New, &dismiss(" ")).is_err());
    assert_eq!(next_status(New, &dismiss("test rule")).unwrap(), Dismissed);
    assert!(next_status(Dismissed, &AlertAction::Promote).is_err());
    let reopen = AlertAction::Reopen {
        reason: "new evidence".into(),
    };
    assert_eq!(next_status(Dismissed, &reopen).unwrap(), Acknowledged);
    assert!(next_status(Promoted, &AlertAction::Acknowledge).is_err());
    assert!(next_status(Acknowledged, &AlertAction::Acknowledge).is_err());
    assert_eq!(
        "false_positive".parse::<DismissReason>().unwrap(),
        DismissReason::FalsePositive
    );
    assert!("closed".parse::<AlertStatus>().is_err());
}

#[test]
fn repeats_on_one_host_group_within_the_window() {
    let a = input(json!({"type": "sigma", "source": "hunt", "sourceRef": "1", "title": "Mimikatz", "host": "WS-1"})).unwrap();
    let b = input(json!({"type": "sigma", "source": "hunt", "sourceRef": "2", "title": "Mimikatz", "host": "WS-1"})).unwrap();
    let c = input(json!({"type": "sigma", "source": "hunt", "sourceRef": "3", "title": "Mimikatz", "host": "WS-2"})).unwrap();
    let t0 = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
    let t1 = Timestamp::parse("2026-11-23T10:30:00Z").unwrap();
    assert!(groups_with(&a, AlertStatus::New, t0, &b, t1, 3600));
    assert!(!groups_with(&a, AlertStatus::New, t0, &b, t1, 600));
    assert!(!groups_with(&a, AlertStatus::New, t0, &c, t1, 3600));
    assert!(!groups_with(&a, AlertStatus::Dismissed, t0, &b, t1, 3600));
}

//! Tests of `metrics.rs`.

use super::*;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_micros(secs * 1_000_000).unwrap()
}

/// 240 incidents, one a day from 1 January 2026. Incident i (1-based):
/// started at opening; detected (i mod 4 + 1) hours later; acknowledged 30 min after
/// detection; contained (i mod 3 + 1) × 4 h after detection; recovered 48 h after detection
/// for even i only; closed 72 h after detection for i ≤ 200; class intrusions for i mod 5 = 0,
/// else malicious-code; level i mod 6; 90 labour minutes for odd i; one NIS2 deadline each,
/// met on time for i mod 3 = 0, late for i mod 3 = 1, never for i mod 3 = 2 (overdue).
fn history() -> Vec<IncidentFacts> {
    (1..=240i64)
        .map(|i| {
            let open = T0 + (i - 1) * 86_400;
            let det = open + (i % 4 + 1) * 3600;
            let mut times = BTreeMap::new();
            times.insert("started_at".to_string(), ts(open));
            times.insert("detected_at".to_string(), ts(det));
            times.insert("acknowledged_at".to_string(), ts(det + 1800));
            times.insert("contained_at".to_string(), ts(det + (i % 3 + 1) * 4 * 3600));
            if i % 2 == 0 {
                times.insert("recovered_at".to_string(), ts(det + 48 * 3600));
            }
            if i <= 200 {
                times.insert("closed_at".to_string(), ts(det + 72 * 3600));
            }
            let due = det + 24 * 3600;
            IncidentFacts {
                number: i,
                opened_at: ts(open),
                status: if i <= 200 { "closed" } else { "investigating" }.into(),
                class: Some(
                    if i % 5 == 0 {
                        "intrusions"
                    } else {
                        "malicious-code"
                    }
                    .into(),
                ),
                kind: None,
                level: Some((i % 6) as u8),
                tags: if i % 10 == 0 {
                    vec!["vip".into()]
                } else {
                    vec![]
                },
                units: vec![],
                times,
                labour_minutes: if i % 2 == 1 { 90 } else { 0 },
                actions: [("incident.opened".to_string(), 1)].into_iter().collect(),
                costs: if i % 50 == 0 {
                    [("EUR".to_string(), [100_000, 20_000, 50_000])]
                        .into_iter()
                        .collect()
                } else {
                    BTreeMap::new()
                },
                deadlines: vec![DeadlineFact {
                    due: Some(ts(due)),
                    done: match i % 3 {
                        0 => Some(ts(due - 3600)),
                        1 => Some(ts(due + 3600)),
                        _ => None,
                    },
                }],
                recommendations: vec![],
                recurrence_of: vec![],
                playbooks: 0,
                root_causes: 0,
                postmortem: None,
            }
        })
        .collect()
}

fn stat<'a>(m: &'a Metrics, name: &str) -> &'a DurationStat {
    m.durations.iter().find(|d| d.name == name).unwrap()
}

#[test]
fn figures_over_a_generated_history_match_the_hand_computed_ones() {
    let all = history();
    let now = ts(T0 + 400 * 86_400);
    let m = compute(&all, &Filter::default(), now, 6);
    assert_eq!(m.handled, 240);
    // TTD cycles 2, 3, 4, 1 h (i mod 4 + 1): 60 of each → mean 2.5, median 2.5, p90 = rank
    // 216 of the sorted values (60 × 1, 60 × 2, 60 × 3, 60 × 4) = 4 h.
    let ttd = stat(&m, "ttd");
    assert_eq!(
        (ttd.n, ttd.mean_hours, ttd.median_hours, ttd.p90_hours),
        (240, Some(2.5), Some(2.5), Some(4.0))
    );
    // TTA is always 30 minutes.
    let tta = stat(&m, "tta");
    assert_eq!((tta.mean_hours, tta.p90_hours), (Some(0.5), Some(0.5)));
    // TTC: 4, 8, 12 h for i mod 3 = 0, 1, 2; 80 each → mean 8, median 8, p90 12.
    let ttc = stat(&m, "ttc");
    assert_eq!(
        (ttc.mean_hours, ttc.median_hours, ttc.p90_hours),
        (Some(8.0), Some(8.0), Some(12.0))
    );
    // Recovery only on even incidents: 120 measured, 120 missing (named, not zero).
    let rec = stat(&m, "ttr_recovery");
    assert_eq!(
        (rec.n, rec.missing.len(), rec.mean_hours),
        (120, 120, Some(48.0))
    );
    assert_eq!(&rec.missing[..3], &[1, 3, 5]);
    // Resolution: 200 closed at 72 h; 40 still open are missing.
    let res = stat(&m, "ttr_resolution");
    assert_eq!(
        (res.n, res.missing.len(), res.median_hours),
        (200, 40, Some(72.0))
    );
    assert_eq!(stat(&m, "dwell").mean_hours, Some(2.5));
    // Classes: 48 intrusions (multiples of 5), 192 malicious code.
    assert_eq!(m.by_class["intrusions"].len(), 48);
    assert_eq!(m.by_class["malicious-code"].len(), 192);
    assert_eq!(m.by_severity["0"].len(), 40);
    assert_eq!(m.by_status["closed"].len(), 200);
    // Labour: 120 odd incidents × 1.5 h = 180 h; 1.5 h per incident with time logged (the
    // 120 without any are missing, not zero).
    assert_eq!(
        (m.labour_hours_total, m.labour_hours_mean),
        (180.0, Some(1.5))
    );
    assert_eq!(m.without_labour.len(), 120);
    // Costs on 50, 100, 150, 200: net 70,000 each → 280,000.
    let eur = &m.costs["EUR"];
    assert_eq!(
        (eur.direct, eur.recovered, eur.net),
        (400_000, 200_000, 280_000)
    );
    assert_eq!(eur.incidents, [50, 100, 150, 200]);
    // Deadlines: 80 on time, 80 late, 80 overdue → 33.33 % on time.
    let n = &m.notifications;
    assert_eq!((n.on_time, n.late, n.overdue, n.pending), (80, 80, 80, 0));
    assert_eq!(n.on_time_pct, Some(33.33));
    assert_eq!(m.actions["incident.opened"], 240);
    // Every incident after the first of its class recurs within 6 months (daily incidents).
    assert_eq!(m.recurrences.len(), 238);
    // January: 31 opened, 31 closed.
    assert_eq!(
        (m.months[0].month.as_str(), m.months[0].opened),
        ("2026-01", 31)
    );
    assert_eq!(m.months.len(), 8);
}

#[test]
fn filters_narrow_the_figures() {
    let all = history();
    let now = ts(T0 + 400 * 86_400);
    let f = Filter {
        from: Some(ts(T0)),
        to: Some(ts(T0 + 31 * 86_400)),
        class: Some("intrusions".into()),
        ..Filter::default()
    };
    let m = compute(&all, &f, now, 6);
    assert_eq!(m.incidents, [5, 10, 15, 20, 25, 30]);
    let vip = compute(
        &all,
        &Filter {
            tag: Some("VIP".into()),
            level: Some(4),
            ..Filter::default()
        },
        now,
        6,
    );
    // Multiples of 10 with i mod 6 = 4: 10, 40, 70, … 220 (i ≡ 10 mod 30).
    assert_eq!(vip.incidents, [10, 40, 70, 100, 130, 160, 190, 220]);
    let none = compute(
        &all,
        &Filter {
            class: Some("fraud".into()),
            ..Filter::default()
        },
        now,
        6,
    );
    assert_eq!(none.handled, 0);
    assert_eq!(stat(&none, "ttd").mean_hours, None);
    assert_eq!(none.notifications.on_time_pct, None);
}

#[test]
fn months_are_computed_without_a_calendar_library() {
    for t in [
        "1970-01-01T00:00:00Z",
        "2024-02-29T23:59:59Z",
        "2026-12-31T12:00:00Z",
        "2000-03-01T00:00:00Z",
    ] {
        let ts = Timestamp::parse(t).unwrap();
        let (y, m) = year_month(ts);
        assert_eq!(format!("{y:04}-{m:02}"), t[..7], "{t}");
    }
}

#[test]
fn summary_uses_nearest_rank_and_the_middle_mean() {
    let h = 3600;
    assert_eq!(summary(&mut [h]), (Some(1.0), Some(1.0), Some(1.0)));
    assert_eq!(
        summary(&mut [4 * h, h, 3 * h, 2 * h]),
        (Some(2.5), Some(2.5), Some(4.0))
    );
    let mut ten: Vec<i64> = (1..=10).map(|x| x * h).collect();
    assert_eq!(summary(&mut ten), (Some(5.5), Some(5.5), Some(9.0)));
}

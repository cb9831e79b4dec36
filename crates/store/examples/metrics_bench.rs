//! Benchmark of the program metrics over 100,000 incidents (issue: "the metrics query for
//! 100,000 incidents answers in under 200 ms on SQLite"): bringing the in-memory facts up to
//! date from the store (as the server does on every query) and computing all the figures; the
//! cold first read of all the facts is printed too.
//!
//! Generates the incidents through the normal append path (hash chains, projections, facts):
//! classification, severity, key timestamps (some missing), then times the metrics many times
//! and prints p50 / p99. Run it with `bench/metrics.sh`.
//!
//! Usage: metrics_bench URL [INCIDENTS] [RUNS]
//! With an existing database at URL that already holds the incidents, generation is skipped.

// A benchmark binary: a failure aborts it, which is what we want.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use debrief_domain::metrics::{Filter, compute};
use debrief_domain::text::Actor;
use debrief_domain::triage::{FunctionalImpact, InformationImpact, Recoverability, SeverityMatrix};
use debrief_domain::{EntryDraft, Milestone, NewIncident, Timestamp};
use debrief_store::{IncidentQuery, InstallationKey, Store};

const CLASSES: &[(&str, &str)] = &[
    ("malicious-code", "infected-system"),
    ("intrusions", "system-compromise"),
    ("fraud", "phishing"),
    ("availability", "ddos"),
    (
        "information-content-security",
        "unauthorised-information-access",
    ),
];

async fn generate(store: &dyn Store, incidents: usize) {
    let actor = Actor::parse("bench").unwrap();
    let matrix = SeverityMatrix::default();
    let started = Instant::now();
    let t0 = Timestamp::parse("2024-01-01T00:00:00Z").unwrap();
    let now = Timestamp::now();
    for n in 0..incidents {
        let k = n as i64;
        let new = NewIncident::parse(&format!("Generated incident {n}"), "", "soc", "siem", None)
            .unwrap();
        let created = store.create_incident(&actor, new).await.unwrap();
        let state = created.incident;
        let (class, kind) = CLASSES[n % CLASSES.len()];
        let start = t0.plus_seconds(k * 900);
        let detected = start.plus_seconds((k % 48 + 1) * 3600);
        let mut events = vec![
            state.classify(class, kind, "").unwrap(),
            state
                .assess(
                    &matrix,
                    FunctionalImpact::ALL[n % 4],
                    InformationImpact::ALL[(n / 4) % 4],
                    Recoverability::ALL[(n / 16) % 3],
                    "",
                )
                .unwrap(),
        ];
        let mut times = vec![(Milestone::Detected, detected)];
        if n % 5 != 0 {
            times.push((Milestone::Started, start));
        }
        times.push((
            Milestone::Acknowledged,
            detected.plus_seconds((k % 90 + 5) * 60),
        ));
        if n % 7 != 0 {
            times.push((
                Milestone::Contained,
                detected.plus_seconds((k % 30 + 2) * 3600),
            ));
        }
        if n % 3 == 0 {
            times.push((
                Milestone::Recovered,
                detected.plus_seconds((k % 100 + 24) * 3600),
            ));
        }
        for (m, at) in times {
            events.push(state.set_milestone(m, at, "generated", "", now).unwrap());
        }
        let drafts = events
            .into_iter()
            .map(|event| EntryDraft {
                actor: actor.clone(),
                event,
            })
            .collect();
        store.append(state.id, state.seq, drafts).await.unwrap();
        if (n + 1) % 10_000 == 0 {
            eprintln!(
                "  {} incidents in {:.0} s",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: metrics_bench URL [INCIDENTS] [RUNS]");
    let incidents: usize = args.next().map_or(100_000, |s| s.parse().unwrap());
    let runs: usize = args.next().map_or(30, |s| s.parse().unwrap());
    let dir = std::env::temp_dir().join("debrief-metrics-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let key = InstallationKey::load_or_create(&dir.join("installation.key")).unwrap();
    let store = debrief_store::open(&url, key).await.unwrap();
    let have = store
        .list_incidents(&IncidentQuery {
            limit: Some(1),
            ..IncidentQuery::default()
        })
        .await
        .unwrap()
        .first()
        .map_or(0, |i| i.number as usize);
    if have < incidents {
        eprintln!("generating {} incidents…", incidents - have);
        generate(&*store, incidents - have).await;
    }
    let cases: Vec<(&str, Filter)> = vec![
        ("all incidents", Filter::default()),
        (
            "one class",
            Filter {
                class: Some("intrusions".into()),
                ..Filter::default()
            },
        ),
        (
            "one quarter (opened in the period)",
            Filter {
                from: Some(Timestamp::now().plus_seconds(-90 * 86_400)),
                to: None,
                ..Filter::default()
            },
        ),
    ];
    // As the server does: the facts kept in memory, brought up to date from the changed rows.
    let cache = debrief_store::facts::FactsCache::default();
    let t = Instant::now();
    let all = cache.current(&*store).await.unwrap();
    println!(
        "first read of every incident's facts (cold, once per server start): {:.0} ms ({} incidents)",
        t.elapsed().as_secs_f64() * 1000.0,
        all.len()
    );
    for (name, filter) in cases {
        let mut times = Vec::with_capacity(runs);
        let mut handled = 0;
        let mut refresh = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let facts = cache.current(&*store).await.unwrap();
            refresh.push(t.elapsed());
            let m = compute(&facts, &filter, Timestamp::now(), 6);
            handled = m.handled;
            times.push(t.elapsed());
        }
        refresh.sort();
        eprintln!(
            "  (of which bringing the facts up to date: p50 {:.1} ms)",
            percentile(&refresh, 0.5)
        );
        times.sort();
        println!(
            "metrics, {name:<36} p50 {:>7.1} ms   p99 {:>7.1} ms   ({handled} incidents)",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
        );
    }
}

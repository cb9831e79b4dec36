//! Benchmark of search and filtered lists on a large store (issue: "with 100,000 incidents and
//! 1,000,000 timeline entries, a search or filtered list page answers in under 50 ms p99").
//!
//! Generates the data through the normal append path (hash chains, projections, indexes), then
//! times each query many times and prints p50 / p99. Run it with `bench/search.sh`.
//!
//! Usage: search_bench URL [INCIDENTS] [TIMELINE_PER_INCIDENT] [RUNS]
//! With an existing database at URL that already holds the incidents, generation is skipped.

// A benchmark binary: a failure aborts it, which is what we want.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use debrief_domain::record::NewTimelineEntry;
use debrief_domain::text::Actor;
use debrief_domain::timeline::{Precision, TimelineSource};
use debrief_domain::triage::{FunctionalImpact, InformationImpact, Recoverability, SeverityMatrix};
use debrief_domain::{EntryDraft, NewIncident, Status, Timestamp};
use debrief_store::{IncidentQuery, InstallationKey, Store};

const WORDS: &[&str] = &[
    "phishing",
    "ransomware",
    "beacon",
    "exfiltration",
    "credential",
    "mailbox",
    "vpn",
    "firewall",
    "payroll",
    "invoice",
    "domain",
    "controller",
    "backup",
    "encrypted",
    "lateral",
    "powershell",
    "macro",
    "scanner",
    "ddos",
    "webshell",
    "token",
    "oauth",
    "printer",
    "finance",
    "helpdesk",
    "contractor",
    "laptop",
    "server",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// A pseudo-word for vocabulary rank `r` (deterministic, pronounceable enough).
fn word(r: u64) -> String {
    const SYL: &[&str] = &[
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fi", "gu", "he", "ja",
        "be",
    ];
    let mut r = r + 1;
    let mut w = String::new();
    while r > 0 {
        w.push_str(SYL[(r % 16) as usize]);
        r /= 16;
    }
    w
}

/// `n` words: 15 % security terms (uniform), the rest from a 5,000-word vocabulary with a
/// Zipf-like distribution, as in natural text.
fn sentence(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| {
            if rng.next() % 100 < 15 {
                rng.pick(WORDS).to_string()
            } else {
                // Inverse-CDF sampling of 1/r over 5,000 ranks: r = 5000^u.
                let u = (rng.next() % 1_000_000) as f64 / 1_000_000.0;
                word((5000f64.powf(u) as u64).saturating_sub(1))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn generate(store: &dyn Store, incidents: usize, per: usize) {
    let actor = Actor::parse("bench").unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let matrix = SeverityMatrix::default();
    let statuses = [Status::Triage, Status::Investigating];
    for n in 0..incidents {
        let title = format!("{} on host-{:05}", sentence(&mut rng, 3), n % 20_000);
        let new = NewIncident::parse(&title, &sentence(&mut rng, 20), "soc", "siem", None).unwrap();
        let created = store.create_incident(&actor, new).await.unwrap();
        let (id, first_seq) = (created.incident.id, created.incident.seq);
        let mut state = created.incident;
        let mut events = Vec::with_capacity(per + 3);
        for k in 0..per {
            let entry = NewTimelineEntry {
                occurred_at: Timestamp::from_micros(
                    1_760_000_000_000_000 + (n * per + k) as i64 * 60_000_000,
                )
                .unwrap(),
                precision: Precision::Minute,
                description: sentence(&mut rng, 12),
                source: TimelineSource::Log,
                technique: None,
                tactic: None,
                observables: vec![],
                assets: vec![],
            };
            let e = state.add_timeline(&entry).unwrap();
            // Ids are assigned from the state, so fold each event before deciding the next.
            let sealed = debrief_domain::journal::seal(
                state.id,
                &debrief_domain::journal::ChainTips {
                    seq: state.seq,
                    hash: debrief_domain::Hash::ZERO,
                    gseq: 0,
                    ledger_hash: debrief_domain::Hash::ZERO,
                },
                Timestamp::now(),
                &actor,
                &e,
            )
            .unwrap();
            state.apply(&sealed).unwrap();
            events.push(e);
        }
        let f = FunctionalImpact::ALL[(rng.next() % 4) as usize];
        let i = InformationImpact::ALL[(rng.next() % 4) as usize];
        let r = Recoverability::ALL[(rng.next() % 3) as usize];
        events.push(state.assess(&matrix, f, i, r, "").unwrap());
        events.push(
            state
                .transition(
                    Status::Triage,
                    "",
                    &debrief_domain::postmortem::ReviewPolicy::none(),
                )
                .unwrap(),
        );
        if statuses[n % 2] == Status::Investigating {
            events.push(debrief_domain::Event::StatusChanged {
                from: Status::Triage,
                to: Status::Investigating,
                reason: Default::default(),
            });
        }
        let drafts = events
            .into_iter()
            .map(|event| EntryDraft {
                actor: actor.clone(),
                event,
            })
            .collect();
        store.append(id, first_seq, drafts).await.unwrap();
        if (n + 1) % 5000 == 0 {
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

async fn time<F, Fut>(name: &str, runs: usize, mut f: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for i in 0..runs {
        let t = Instant::now();
        rows += f(i).await;
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{name:<44} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   ({:.1} rows/query)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().unwrap().as_secs_f64() * 1000.0,
        rows as f64 / runs as f64
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .expect("usage: search_bench URL [INCIDENTS] [TIMELINE_PER_INCIDENT] [RUNS]")
        .clone();
    let incidents: usize = args.get(2).map_or(100_000, |a| a.parse().unwrap());
    let per: usize = args.get(3).map_or(10, |a| a.parse().unwrap());
    let runs: usize = args.get(4).map_or(300, |a| a.parse().unwrap());
    let key = InstallationKey::generate().unwrap();
    let store = debrief_store::open(&url, key).await.unwrap();
    let existing = store
        .list_incidents(&IncidentQuery {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    let have = existing.first().map_or(0, |i| i.number as usize);
    if have < incidents {
        eprintln!(
            "generating {} incidents × {per} timeline entries into {} …",
            incidents - have,
            store.backend()
        );
        let t = Instant::now();
        generate(&*store, incidents - have, per).await;
        eprintln!("generated in {:.0} s", t.elapsed().as_secs_f64());
    }
    println!(
        "{} store, {incidents} incidents, {} timeline entries, {runs} runs per query",
        store.backend(),
        incidents * per
    );
    let mut rng = Rng(42);
    let words: Vec<String> = (0..runs).map(|_| rng.pick(WORDS).to_string()).collect();
    let pairs: Vec<String> = (0..runs)
        .map(|_| format!("{} {}", rng.pick(WORDS), rng.pick(WORDS)))
        .collect();
    let hosts: Vec<String> = (0..runs)
        .map(|i| format!("host-{:05}", (i * 7919) % 20_000))
        .collect();
    let rare: Vec<String> = (0..runs)
        .map(|i| word(1000 + (i as u64 * 37) % 3000))
        .collect();
    let s = &*store;
    time("search: a common security term, newest 50", runs, |i| {
        let q = words[i].clone();
        async move { s.search(&q, 50).await.unwrap().len() }
    })
    .await;
    time("search: two security terms (AND), newest 50", runs, |i| {
        let q = pairs[i].clone();
        async move { s.search(&q, 50).await.unwrap().len() }
    })
    .await;
    time(
        "search: a rarer word (vocabulary rank 1000–4000)",
        runs,
        |i| {
            let q = rare[i].clone();
            async move { s.search(&q, 50).await.unwrap().len() }
        },
    )
    .await;
    time("search: a host name", runs, |i| {
        let q = hosts[i].clone();
        async move { s.search(&q, 50).await.unwrap().len() }
    })
    .await;
    time("list: newest 50", runs, |_| async move {
        s.list_incidents(&IncidentQuery::default())
            .await
            .unwrap()
            .len()
    })
    .await;
    time("list: status=investigating, 50", runs, |_| async move {
        let q = IncidentQuery {
            statuses: vec![Status::Investigating],
            ..Default::default()
        };
        s.list_incidents(&q).await.unwrap().len()
    })
    .await;
    time("list: severity >= 4, 50", runs, |_| async move {
        let q = IncidentQuery {
            min_severity: Some(4),
            ..Default::default()
        };
        s.list_incidents(&q).await.unwrap().len()
    })
    .await;
    time("list: title contains a host name", runs, |i| {
        let q = hosts[i].clone();
        async move {
            let q = IncidentQuery {
                text: Some(q),
                ..Default::default()
            };
            s.list_incidents(&q).await.unwrap().len()
        }
    })
    .await;
    let last = incidents as i64;
    time(
        "list: page deep in the middle (cursor)",
        runs,
        |i| async move {
            let q = IncidentQuery {
                before_number: Some(last / 2 - i as i64 * 97),
                ..Default::default()
            };
            s.list_incidents(&q).await.unwrap().len()
        },
    )
    .await;
}

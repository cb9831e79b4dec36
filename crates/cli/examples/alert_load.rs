//! Load generator for alert intake: CONCURRENCY senders post distinct alerts to a running
//! `debrief serve` for SECONDS and print alerts/s and latency percentiles (bench/alerts.sh runs
//! it): `alert_load URL TOKEN [SECONDS] [CONCURRENCY]`.

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(token)) = (args.first(), args.get(1)) else {
        eprintln!("usage: alert_load URL TOKEN [SECONDS] [CONCURRENCY]");
        std::process::exit(2);
    };
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(32);
    let endpoint = format!("{}/api/v1/alerts", url.trim_end_matches('/'));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let run = std::process::id();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, endpoint, token) = (client.clone(), endpoint.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            let mut i = 0u64;
            while Instant::now() < deadline {
                let body = serde_json::json!({
                    "type": "load", "source": "bench", "sourceRef": format!("{run}-{worker}-{i}"),
                    "title": "Load test alert", "severity": 2,
                    "observables": [{"dataType": "ip", "data": "203.0.113.7"}]
                });
                i += 1;
                let t = Instant::now();
                match client
                    .post(&endpoint)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => latencies.push(t.elapsed()),
                    _ => failed += 1,
                }
            }
            (latencies, failed)
        }));
    }
    let mut all = Vec::new();
    let mut failed = 0;
    for t in tasks {
        if let Ok((l, f)) = t.await {
            all.extend(l);
            failed += f;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{} alerts in {elapsed:.1} s with {concurrency} senders: {:.0} alerts/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {failed} failed",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
}

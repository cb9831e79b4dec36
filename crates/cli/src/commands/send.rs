//! `debrief hunt --send-to URL`: the hunt's hits as alerts to a Debrief server's
//! `POST /api/v1/alerts`, in batches under the server's body limit. Each hit's source reference
//! is stable (rule, computer, channel, record), so hunting the same logs again counts repeats
//! instead of duplicating alerts.

use anyhow::{Context, Result, bail};
use debrief_detect::Hit;
use serde_json::Value;

/// Bytes of JSON per request, under the server's default 256 KiB body limit.
const BATCH_BYTES: usize = 200 * 1024;

/// What the server did with the alerts sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub created: usize,
    pub repeated: usize,
    pub grouped: usize,
}

/// One hit as an alert in the intake shape, from `debrief hunt`.
pub fn alert(hit: &Hit) -> Value {
    debrief_detect::alert::intake_json(hit, "debrief-hunt")
}

/// Posts the hits; stops at the first refused batch with the server's explanation.
pub async fn send(url: &str, token: &str, hits: &[Hit]) -> Result<Sent> {
    // rustls needs its crypto chosen once per process; a second call is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let endpoint = format!("{}/api/v1/alerts", url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .context("cannot set up the HTTP client")?;
    let mut sent = Sent::default();
    // Each alert is serialised once; a batch's body is those texts in a JSON array.
    let mut batches: Vec<String> = Vec::new();
    let mut body = String::new();
    let mut count = 0;
    for hit in hits {
        let text = alert(hit).to_string();
        if count > 0 && (body.len() + text.len() > BATCH_BYTES || count == 1_000) {
            body.push(']');
            batches.push(std::mem::take(&mut body));
            count = 0;
        }
        body.push(if count == 0 { '[' } else { ',' });
        body.push_str(&text);
        count += 1;
    }
    if count > 0 {
        body.push(']');
        batches.push(body);
    }
    for b in batches {
        let response = client
            .post(&endpoint)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(b)
            .send()
            .await
            .with_context(|| format!("cannot reach {endpoint}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let detail = body["detail"].as_str().unwrap_or("no explanation given");
            bail!("{endpoint} refused the alerts ({status}): {detail}");
        }
        for r in body["results"].as_array().into_iter().flatten() {
            match r["intake"].as_str() {
                Some("created") => sent.created += 1,
                Some("repeated") => sent.repeated += 1,
                Some("grouped") => sent.grouped += 1,
                _ => {}
            }
        }
    }
    Ok(sent)
}

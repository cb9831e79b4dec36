//! Notifications going out: the message built from a directory entry and a template, its
//! delivery by e-mail (through the configured SMTP relay) or webhook (generic JSON, Slack, Teams,
//! Mattermost), and the worker that retries failed deliveries on a schedule that survives a
//! restart (the schedule's state is the journal) and warns the lead and legal before a
//! regulatory deadline.
//!
//! Webhooks only go to addresses in the stakeholder directory (which managers keep): a handler
//! cannot make the server post to an address of their choosing.

pub mod service;
pub mod share;
pub mod templates;
mod worker;

use debrief_domain::notify::{Attempt, Delivery};
use debrief_domain::stakeholder::WebhookFormat;
use debrief_domain::{DomainError, Event, Incident, Timestamp};
use debrief_store::stakeholders::Stakeholder;

use crate::AppState;
use crate::error::ApiError;

pub use worker::{Pending, spawn};

/// Quick tries within one delivery attempt (with 250 ms, 500 ms between them).
pub const QUICK_TRIES: u32 = 3;

/// Where a message goes.
#[derive(Debug, Clone)]
pub enum Target {
    Email { to: Vec<lettre::message::Mailbox> },
    Webhook { url: String },
}

/// A notification ready to go: where, what (exactly the bytes sent, kept in the journal), and
/// the record it makes.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub target: Target,
    pub channel: &'static str,
    pub content: String,
    pub subject: String,
    pub recipients: Vec<String>,
    pub stakeholder: Option<String>,
    pub regime: Option<String>,
    pub step: Option<String>,
    pub rule: Option<String>,
    pub late_reason: String,
}

/// What a person (or a rule's proposal) asks to send.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `email` or `webhook`.
    pub channel: String,
    /// The directory entry; required for a webhook.
    pub stakeholder: Option<Stakeholder>,
    /// E-mail addresses, when no directory entry is given.
    pub addresses: Vec<String>,
    pub subject: String,
    pub text: String,
    pub regime: Option<String>,
    pub step: Option<String>,
    pub rule: Option<String>,
    pub late_reason: String,
    /// A document sent with the e-mail (a webhook carries none).
    pub attachment: Option<Attachment>,
}

/// A document sent with an e-mail. Its bytes are kept in the evidence store under their SHA-256
/// and the message the journal keeps names it by that hash (an `Attachment:` line among the
/// headers), so a retry sends the very same document and anyone can check what was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file: String,
    pub mime: String,
    pub sha256: String,
}

impl Attachment {
    /// The header line the kept message carries.
    fn line(&self) -> String {
        format!(
            "Attachment: {}; {}; sha256 {}",
            self.file, self.mime, self.sha256
        )
    }

    /// An `Attachment:` header line read back.
    fn parse(line: &str) -> Option<Attachment> {
        let rest = line.strip_prefix("Attachment: ")?;
        let mut parts = rest.split("; ");
        let file = parts.next()?.to_string();
        let mime = parts.next()?.to_string();
        let sha256 = parts.next()?.strip_prefix("sha256 ")?.to_string();
        Some(Attachment { file, mime, sha256 })
    }
}

/// A kept e-mail read back: its subject, its attachments and its text.
fn headers_and_body(content: &str) -> (String, Vec<Attachment>, &str) {
    let Some((head, body)) = content
        .strip_prefix("Subject: ")
        .and_then(|c| c.split_once("\n\n"))
    else {
        return (String::new(), Vec::new(), content);
    };
    let mut lines = head.lines();
    let subject = lines.next().unwrap_or_default().to_string();
    let attachments = lines.filter_map(Attachment::parse).collect();
    (subject, attachments, body)
}

fn mailbox(text: &str) -> Result<lettre::message::Mailbox, ApiError> {
    text.trim()
        .parse()
        .map_err(|e| ApiError::unprocessable(format!("`{text}` is not an e-mail address: {e}")))
}

/// The body a webhook of this format expects.
pub fn webhook_body(
    format: WebhookFormat,
    incident: &Incident,
    subject: &str,
    text: &str,
) -> serde_json::Value {
    // Under TLP:RED the title stays in Debrief; the number names the incident.
    let n = incident.number;
    let title = debrief_domain::stakeholder::outbound_title(incident);
    let heading = match title {
        Some(t) => format!("#{n} {t}"),
        None => format!("#{n}"),
    };
    let line = format!("{heading} — {subject}\n\n{text}");
    match format {
        WebhookFormat::Generic => {
            serde_json::json!({"incident": n, "title": title, "summary": subject, "text": text})
        }
        WebhookFormat::Slack | WebhookFormat::Mattermost => serde_json::json!({"text": line}),
        WebhookFormat::Teams => serde_json::json!({
            "@type": "MessageCard", "@context": "https://schema.org/extensions",
            "summary": subject, "title": heading, "text": text
        }),
    }
}

/// Checks a request and builds the message; nothing is sent yet.
pub fn prepare(incident: &Incident, req: Request) -> Result<Prepared, ApiError> {
    // A subject is one line: line breaks become spaces, so that nothing typed can add a header
    // (an `Attachment:` line naming a stored file) to the message the journal keeps.
    let subject = req.subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() {
        return Err(ApiError::unprocessable(
            "give a subject (it is also the line the record keeps)",
        ));
    }
    let name = req.stakeholder.as_ref().map(|s| s.name.clone());
    let (target, channel, content, recipients) = match req.channel.as_str() {
        "webhook" => {
            let Some(s) = &req.stakeholder else {
                return Err(ApiError::unprocessable(
                    "a webhook goes to a directory entry: give `stakeholder` (managers add entries with their webhook)",
                ));
            };
            let Some(url) = s.webhook_url.clone() else {
                return Err(ApiError::unprocessable(format!(
                    "`{}` has no webhook in the directory",
                    s.name
                )));
            };
            let format = s.webhook_format.unwrap_or(WebhookFormat::Generic);
            let body = webhook_body(format, incident, &subject, req.text.trim());
            (
                Target::Webhook { url },
                "webhook",
                body.to_string(),
                vec![s.name.clone()],
            )
        }
        "email" => {
            let to = match &req.stakeholder {
                Some(s) => {
                    let Some(email) = &s.email else {
                        return Err(ApiError::unprocessable(format!(
                            "`{}` has no e-mail address in the directory",
                            s.name
                        )));
                    };
                    vec![mailbox(&format!(
                        "{} <{email}>",
                        s.name.replace(['<', '>', '"'], "")
                    ))?]
                }
                None => req
                    .addresses
                    .iter()
                    .filter(|a| !a.trim().is_empty())
                    .map(|a| mailbox(a))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            if to.is_empty() {
                return Err(ApiError::unprocessable(
                    "give `stakeholder` (a directory entry) or the recipients' e-mail addresses",
                ));
            }
            let body = format!(
                "{}\n\n-- \nDebrief · #{} {}\n",
                req.text.trim(),
                incident.number,
                incident.title
            );
            let recipients = to.iter().map(ToString::to_string).collect();
            let attached = req
                .attachment
                .as_ref()
                .map(|a| format!("\n{}", a.line()))
                .unwrap_or_default();
            (
                Target::Email { to },
                "email",
                format!(
                    "Subject: [#{}] {subject}{attached}\n\n{body}",
                    incident.number
                ),
                recipients,
            )
        }
        _ => {
            return Err(ApiError::unprocessable(
                "Debrief sends `webhook` and `email`; record other channels (a call, a portal) with POST …/notifications",
            ));
        }
    };
    Ok(Prepared {
        target,
        channel,
        content,
        subject,
        recipients,
        stakeholder: name,
        regime: req.regime,
        step: req.step,
        rule: req.rule,
        late_reason: req.late_reason,
    })
}

impl Prepared {
    /// The `notification.recorded` event for this message, checked against `incident` as it
    /// stands (an unknown or discharged step, a missing late reason are refused).
    pub fn event(
        &self,
        state: &AppState,
        incident: &Incident,
        sent_at: Timestamp,
        outcome: &Result<String, String>,
    ) -> Result<Event, DomainError> {
        let e = incident.record_notification(
            &state.config.regimes,
            self.regime.as_deref(),
            self.step.as_deref(),
            &self.recipients,
            self.channel,
            &self.subject,
            sent_at,
            &self.late_reason,
        )?;
        let delivery = Delivery::of(outcome, Attempt::First);
        Ok(debrief_domain::notify::as_sent(
            e,
            &delivery,
            &self.content,
            self.stakeholder.as_deref(),
            self.rule.as_deref(),
        ))
    }
}

/// Delivers `content` to `target`, with quick retries: how it was delivered (with the content's
/// SHA-256), or why it was not — a `Delivery` once the caller says which attempt it was.
pub async fn deliver(state: &AppState, target: &Target, content: &str) -> Result<String, String> {
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content.as_bytes()));
    let outcome = match target {
        Target::Webhook { url } => post(url, content).await,
        Target::Email { to } => mail(state, to, content).await,
    };
    match outcome {
        Ok(ok) => Ok(format!("{ok}; sha256 {sha}")),
        Err(e) => Err(format!("{e}; sha256 {sha}")),
    }
}

async fn with_quick_retries<F, Fut>(mut attempt: F) -> Result<String, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    let mut last = String::new();
    for n in 1..=QUICK_TRIES {
        match attempt().await {
            Ok(ok) => return Ok(format!("on try {n}; {ok}")),
            Err(e) => last = e,
        }
        if n < QUICK_TRIES {
            tokio::time::sleep(std::time::Duration::from_millis(250 << (n - 1))).await;
        }
    }
    Err(format!("failed after {QUICK_TRIES} tries: {last}"))
}

async fn post(url: &str, body: &str) -> Result<String, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    with_quick_retries(|| async {
        match client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => Ok(format!("HTTP {}", r.status().as_u16())),
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Err(e.without_url().to_string()),
        }
    })
    .await
}

async fn mail(
    state: &AppState,
    to: &[lettre::message::Mailbox],
    content: &str,
) -> Result<String, String> {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let Some(relay) = state.config.smtp_relay.clone() else {
        return Err(
            "no SMTP relay is configured: start the server with --smtp-relay host:port".into(),
        );
    };
    let (subject, attachments, body) = headers_and_body(content);
    let from = state
        .config
        .mail_from
        .parse()
        .map_err(|e| format!("the sender address is not valid: {e}"))?;
    let mut builder = Message::builder().from(from).subject(subject);
    for t in to {
        builder = builder.to(t.clone());
    }
    let message = if attachments.is_empty() {
        builder
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body.to_string())
    } else {
        use lettre::message::{MultiPart, SinglePart};
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body.to_string()));
        for a in &attachments {
            let bytes = attached(state, a).await?;
            let mime = lettre::message::header::ContentType::parse(&a.mime)
                .map_err(|e| format!("`{}` is not a media type: {e}", a.mime))?;
            parts = parts
                .singlepart(lettre::message::Attachment::new(a.file.clone()).body(bytes, mime));
        }
        builder.multipart(parts)
    }
    .map_err(|e| format!("the message cannot be built: {e}"))?;
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h.to_string(), p)))
        .unwrap_or((relay.clone(), 25));
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    with_quick_retries(|| async {
        transport
            .send(message.clone())
            .await
            .map(|r| format!("SMTP {}", r.code()))
            .map_err(|e| e.to_string())
    })
    .await
}

/// The bytes of a document sent with an e-mail, from the evidence store, checked against the
/// hash the kept message names.
async fn attached(state: &AppState, a: &Attachment) -> Result<Vec<u8>, String> {
    let path = debrief_store::blobs::BlobStore::of(&state.config.evidence_dir, &state.store)
        .verified_path(&a.sha256)
        .await
        .map_err(|e| format!("the attachment {} cannot be read: {e}", a.file))?;
    tokio::fs::read(&path)
        .await
        .map_err(|e| format!("the attachment {} cannot be read: {e}", a.file))
}

/// Where a notification recorded earlier goes again: its directory entry's webhook as it is
/// now, or the addresses it was sent to.
pub async fn target_of(
    state: &AppState,
    n: &debrief_domain::obligation::NotificationRecord,
) -> Result<Target, String> {
    match n.channel.as_str() {
        "webhook" => {
            let name = n
                .stakeholder
                .as_deref()
                .ok_or("the record names no directory entry")?;
            let s = state
                .store
                .stakeholder(name)
                .await
                .map_err(|e| e.to_string())?;
            s.webhook_url
                .map(|url| Target::Webhook { url })
                .ok_or_else(|| format!("`{name}` no longer has a webhook in the directory"))
        }
        "email" => {
            let to = n
                .recipients
                .iter()
                .map(|r| r.parse().map_err(|e| format!("`{r}`: {e}")))
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Target::Email { to })
        }
        other => Err(format!("`{other}` is not a channel Debrief sends through")),
    }
}

/// Where a message to a directory entry goes and the exact content sent: by e-mail when the
/// entry has an address, else to its webhook in the webhook's format; why not when it has
/// neither (or its address does not parse).
pub fn to_entry(
    s: &Stakeholder,
    incident: &Incident,
    subject: &str,
    text: &str,
) -> (Result<Target, String>, String) {
    match (&s.email, &s.webhook_url) {
        (Some(email), _) => (
            format!("{} <{email}>", s.name.replace(['<', '>', '"'], ""))
                .parse()
                .map(|m| Target::Email { to: vec![m] })
                .map_err(|e| format!("{e}")),
            format!("Subject: {subject}\n\n{text}"),
        ),
        (None, Some(url)) => (
            Ok(Target::Webhook { url: url.clone() }),
            webhook_body(
                s.webhook_format.unwrap_or(WebhookFormat::Generic),
                incident,
                subject,
                text,
            )
            .to_string(),
        ),
        (None, None) => (Err("no channel".to_string()), String::new()),
    }
}

/// Whether an incident's lead was told, as the access log keeps it: whom, how it went (a code a
/// page puts in its reader's words: `delivered`, `not-delivered`, `no-entry`, `no-channel`,
/// `not-told`) and the delivery's own detail (the relay's answer, the error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadTold {
    pub to: String,
    pub outcome: &'static str,
    pub detail: String,
}

impl LeadTold {
    /// The line for a log or a CSV export (English).
    pub fn line(&self) -> String {
        let how = match self.outcome {
            "delivered" => "delivered",
            "not-delivered" => "not delivered",
            "no-entry" => {
                "not told: no directory entry is linked to their account (add one with their user name)"
            }
            "no-channel" => "not told: their directory entry has no channel",
            _ => "not told",
        };
        if self.detail.is_empty() {
            format!("{}: {how}", self.to)
        } else {
            format!("{}: {how}: {}", self.to, self.detail)
        }
    }
}

/// Tells an incident's lead — the directory entry linked to the assignee's account, or to the
/// account of who declared it while nobody leads it — something that cannot wait for a page
/// load (a break-glass): by e-mail or webhook, in the entry's language. Answers how it went,
/// for the record.
pub async fn tell_lead(
    state: &AppState,
    incident: &Incident,
    message: impl Fn(debrief_domain::Language) -> (String, String),
) -> LeadTold {
    let lead = incident
        .assignee
        .clone()
        .unwrap_or_else(|| incident.opened_by.clone());
    let told = |to: &str, outcome, detail: String| LeadTold {
        to: to.to_string(),
        outcome,
        detail,
    };
    let directory = match state
        .app
        .directory(&debrief_app::Caller::worker("notifier"))
        .await
    {
        Ok(d) => d,
        Err(e) => return told(lead.as_str(), "not-told", e.to_string()),
    };
    let Some(s) = directory
        .iter()
        .find(|s| s.username.as_deref() == Some(lead.as_str()))
    else {
        return told(lead.as_str(), "no-entry", String::new());
    };
    let lang = s.language;
    let (subject, text) = message(lang);
    if s.email.is_none() && s.webhook_url.is_none() {
        return told(&s.name, "no-channel", String::new());
    }
    let (target, content) = to_entry(s, incident, &subject, &text);
    let outcome = match target {
        Ok(t) => deliver(state, &t, &content).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(d) => told(&s.name, "delivered", d.to_string()),
        Err(e) => told(&s.name, "not-delivered", e.to_string()),
    }
}

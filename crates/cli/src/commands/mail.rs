//! Reports by e-mail: a built-in SMTP listener for the security team's reporting mailbox
//! (`serve --mail-listen`). Each message becomes an alert (type `email-report`) with the sender
//! recorded as the reporter, the observables found in its text, and the whole message kept as a
//! file (evidence once the alert is promoted). The SMTP `250` is sent only after the alert is
//! committed, so an accepted message is never lost; the sender then gets an acknowledgement with
//! the reference through the configured relay (`--smtp-relay`), in English and French.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use debrief_domain::Timestamp;
use debrief_domain::alert::NewAlert;
use debrief_store::Store;
use debrief_store::alerts::{Alert, Intake};
use debrief_store::blobs::BlobStore;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The largest message accepted.
const MAX_MESSAGE: usize = 25 * 1024 * 1024;

/// Where and how reports by mail are taken and acknowledged.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub listen: SocketAddr,
    /// Only this recipient is accepted (any when `None`).
    pub mailbox: Option<String>,
    /// `host:port` of the SMTP relay acknowledgements go through (none sent when `None`).
    pub relay: Option<String>,
    /// The acknowledgements' sender address.
    pub from: String,
    pub evidence_dir: std::path::PathBuf,
}

/// A finished message and its envelope sender, handed from the handler to the connection loop.
type Finished = Arc<Mutex<Option<(String, Vec<u8>)>>>;

/// The session's side of mailin: collects one message; the connection loop stores it.
struct Collect {
    mailbox: Option<String>,
    from: String,
    data: Vec<u8>,
    too_big: bool,
    done: Finished,
}

impl mailin::Handler for Collect {
    fn rcpt(&mut self, to: &str) -> mailin::Response {
        match &self.mailbox {
            Some(m) if !m.eq_ignore_ascii_case(to.trim_matches(['<', '>'])) => {
                mailin::response::NO_MAILBOX
            }
            _ => mailin::response::OK,
        }
    }

    fn data_start(&mut self, _: &str, from: &str, _: bool, _: &[String]) -> mailin::Response {
        self.from = from.trim_matches(['<', '>']).to_string();
        self.data.clear();
        self.too_big = false;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.data.len() + buf.len() > MAX_MESSAGE {
            self.too_big = true;
        } else {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> mailin::Response {
        if self.too_big {
            return mailin::response::NO_STORAGE;
        }
        let message = std::mem::take(&mut self.data);
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = Some((self.from.clone(), message));
        mailin::response::OK
    }
}

/// Listens until the process ends.
pub async fn listen(store: Arc<dyn Store>, settings: MailSettings) -> Result<()> {
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen for mail on {}", settings.listen))?;
    let settings = Arc::new(settings);
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let (store, settings) = (store.clone(), settings.clone());
            tokio::spawn(async move {
                if let Err(e) = session(stream, peer.ip(), &store, &settings).await {
                    tracing::warn!(%peer, error = %e, "mail session ended with an error");
                }
            });
        }
    });
    Ok(())
}

async fn session(
    stream: TcpStream,
    peer: IpAddr,
    store: &Arc<dyn Store>,
    settings: &MailSettings,
) -> Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let done: Finished = Arc::new(Mutex::new(None));
    let handler = Collect {
        mailbox: settings.mailbox.clone(),
        from: String::new(),
        data: Vec::new(),
        too_big: false,
        done: done.clone(),
    };
    let mut smtp = mailin::SessionBuilder::new("debrief").build(peer, handler);
    write.write_all(&smtp.greeting().buffer()?).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = tokio::time::timeout(Duration::from_secs(300), read.read_until(b'\n', &mut line))
            .await
            .context("the client was silent for 5 minutes")??;
        if n == 0 {
            return Ok(());
        }
        let mut response = smtp.process(&line);
        let finished = done.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((from, message)) = finished {
            // Answer 250 only once the report is stored.
            match take_report(store, settings, &from, &message).await {
                Ok(alert) => {
                    response =
                        mailin::Response::custom(250, format!("received as A-{}", alert.number))
                }
                Err(e) => {
                    tracing::error!(error = %e, "a reported message could not be stored");
                    response = mailin::response::INTERNAL_ERROR;
                }
            }
        }
        match response.action {
            mailin::Action::Reply => write.write_all(&response.buffer()?).await?,
            mailin::Action::Close => {
                write.write_all(&response.buffer()?).await?;
                return Ok(());
            }
            mailin::Action::NoReply => {}
            // STARTTLS is not offered, so this does not happen; answer as a reply.
            mailin::Action::UpgradeTls => write.write_all(&response.buffer()?).await?,
        }
    }
}

/// Stores a reported message as an alert; acknowledges a first report to its sender.
async fn take_report(
    store: &Arc<dyn Store>,
    settings: &MailSettings,
    envelope_from: &str,
    message: &[u8],
) -> Result<Alert> {
    let parsed = MessageParser::default().parse(message);
    let header_from = parsed
        .as_ref()
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_string);
    let reporter = header_from.unwrap_or_else(|| envelope_from.to_string());
    let subject = parsed
        .as_ref()
        .and_then(|m| m.subject())
        .unwrap_or("(no subject)")
        .trim()
        .to_string();
    let text = parsed
        .as_ref()
        .and_then(|m| m.body_text(0))
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let message_id = parsed
        .as_ref()
        .and_then(|m| m.message_id())
        .map(str::to_string);
    let date = parsed
        .as_ref()
        .and_then(|m| m.date())
        .map(|d| d.to_rfc3339());
    // The message itself, kept like an uploaded file.
    let blobs = BlobStore::new(&settings.evidence_dir);
    let mut w = blobs.writer(MAX_MESSAGE as u64).await?;
    w.write(message).await?;
    let stored = w.finish().await?;
    let mut files = vec![];
    let mut observables: Vec<Value> = Vec::new();
    if let Some(m) = &parsed {
        for part in m.attachments() {
            let contents = part.contents();
            let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(contents));
            let name = part.attachment_name().unwrap_or("attachment").to_string();
            observables.push(json!({"type": "sha256", "value": sha}));
            files.push(json!({"name": name, "sha256": sha, "size": contents.len()}));
        }
    }
    for (kind, value) in debrief_domain::observable::extract(&format!("{subject}\n{text}")) {
        observables.push(json!({"type": kind.as_str(), "value": value}));
    }
    observables.truncate(debrief_domain::alert::MAX_OBSERVABLES);
    let title: String = format!("Reported by mail: {subject}")
        .chars()
        .take(200)
        .collect();
    let body: String = text.chars().take(60_000).collect();
    let payload = json!({
        "type": "email-report",
        "source": "mailbox",
        "sourceRef": message_id.clone().unwrap_or_else(|| stored.sha256.clone()),
        "title": title,
        "description": format!("Reported by {reporter} by e-mail.\nSubject: {subject}\nDate: {}\n\n{body}", date.as_deref().unwrap_or("not given")),
        "severity": 2,
        "tags": ["reported-by-person", "email"],
        "observables": observables,
        "date": date,
    });
    let mut raw = payload.clone();
    raw["reporter"] = json!({"email": reporter});
    raw["mail"] = json!({"from": reporter, "envelope_from": envelope_from, "subject": subject, "message_id": message_id, "attachments": files});
    raw["attachment"] = json!({"name": "reported-message.eml", "sha256": stored.sha256, "size": stored.size, "media_type": "message/rfc822"});
    let input = serde_json::from_value(payload).context("building the alert")?;
    let new = NewAlert::from_input(input, raw).map_err(|p| {
        anyhow::anyhow!(
            "{}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let receipt = store
        .receive_alert(new, "mailbox", Timestamp::now(), 0)
        .await?;
    if receipt.intake == Intake::Created
        && let Some(relay) = settings.relay.clone()
    {
        let (from, number) = (settings.from.clone(), receipt.alert.number);
        tokio::spawn(async move {
            acknowledge(&relay, &from, &reporter, &subject, number).await;
        });
    }
    Ok(receipt.alert)
}

/// Tells the reporter their message arrived, with its reference (three tries, backing off).
async fn acknowledge(relay: &str, from: &str, to: &str, subject: &str, number: i64) {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h.to_string(), p)))
        .unwrap_or((relay.to_string(), 25));
    let body = format!(
        "Thank you for your report. The security team has received it as A-{number} and will \
         come back to you.\n\nMerci pour votre signalement. L'équipe sécurité l'a reçu sous la \
         référence A-{number} et reviendra vers vous.\n\n-- \nDebrief\n"
    );
    let message = match (|| -> Result<Message> {
        Ok(Message::builder()
            .from(from.parse()?)
            .to(to.parse()?)
            .subject(format!("[A-{number}] Received / Reçu : {subject}"))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body)?)
    })() {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(%to, error = %e, "cannot write the acknowledgement");
            return;
        }
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(20)))
        .build();
    for attempt in 0..3u32 {
        match transport.send(message.clone()).await {
            Ok(_) => {
                tracing::info!(%to, alert = number, "report acknowledged by mail");
                return;
            }
            Err(e) => {
                tracing::warn!(%to, attempt, error = %e, "acknowledgement not sent; retrying");
                tokio::time::sleep(Duration::from_secs(2u64.pow(attempt))).await;
            }
        }
    }
    tracing::error!(%to, alert = number, "the acknowledgement could not be sent");
}

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
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The longest command line read (RFC 5321 §4.5.3.1: 512 octets for a command, 1,000 for a
/// text line; the larger is taken). A longer one is answered `500` and skipped, never buffered.
const MAX_COMMAND_LINE: usize = 1_000;
/// The largest piece of a message line held at once: longer lines are taken in pieces.
const DATA_PIECE: usize = 64 * 1024;
/// The longest subject taken (RFC 5322 §2.1.1: a line is at most 998 characters).
const MAX_SUBJECT: usize = 998;

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
    /// The largest message accepted, in bytes.
    pub max_message: usize,
    /// Sessions served at once; one more is told to come back later (`421`).
    pub max_sessions: usize,
    /// How long a client may take to send a line (and, at most, its whole session).
    pub idle: Duration,
    pub session: Duration,
}

impl MailSettings {
    /// The defaults for everything but where to listen and what to accept.
    pub fn new(listen: SocketAddr, evidence_dir: std::path::PathBuf) -> Self {
        Self {
            listen,
            mailbox: None,
            relay: None,
            from: "security@localhost".into(),
            evidence_dir,
            max_message: 25 * 1024 * 1024,
            max_sessions: 16,
            // RFC 5321 §4.5.3.2 asks servers to wait at least 5 minutes for a command.
            idle: Duration::from_secs(300),
            session: Duration::from_secs(30 * 60),
        }
    }
}

/// The envelope sender of the message whose data has ended, handed from the handler to the
/// connection loop (which keeps the message itself).
type Finished = Arc<Mutex<Option<String>>>;

/// The session's side of mailin: checks recipients and notes the envelope sender; the
/// connection loop reads the message data itself (bounded) and stores it.
struct Collect {
    mailbox: Option<String>,
    from: String,
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
        mailin::response::OK
    }

    fn data_end(&mut self) -> mailin::Response {
        // Always OK to mailin, so that its state machine goes back to waiting for commands
        // (an error here would leave it in its data state, swallowing every later line); the
        // connection loop then answers with the real outcome.
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = Some(self.from.clone());
        mailin::response::OK
    }
}

/// Listens until the process ends.
pub async fn listen(store: Arc<dyn Store>, settings: MailSettings) -> Result<()> {
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen for mail on {}", settings.listen))?;
    let settings = Arc::new(settings);
    let sessions = Arc::new(tokio::sync::Semaphore::new(settings.max_sessions.max(1)));
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, peer)) = listener.accept().await else {
                continue;
            };
            let Ok(permit) = sessions.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "too many mail sessions at once; told to come back later");
                tokio::spawn(async move {
                    let _ = stream
                        .write_all(b"421 4.3.2 Too many connections, try again later\r\n")
                        .await;
                    let _ = stream.shutdown().await;
                });
                continue;
            };
            let (store, settings) = (store.clone(), settings.clone());
            tokio::spawn(async move {
                let whole = settings.session;
                match tokio::time::timeout(whole, session(stream, peer.ip(), &store, &settings))
                    .await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(%peer, error = %e, "mail session ended with an error")
                    }
                    Err(_) => tracing::warn!(%peer, "mail session ended: it lasted too long"),
                }
                drop(permit);
            });
        }
    });
    Ok(())
}

/// What reading one line found.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    /// A line (with its line break) or, for message data, a piece of one.
    Line,
    /// A line longer than the limit; it was read to its end and dropped.
    TooLong,
    /// The client closed the connection.
    Closed,
}

/// Reads up to and including the next `\n` into `out`, holding at most `cap` bytes: a longer
/// line is read to its end and dropped (`TooLong`), or — when `split` — returned in pieces of
/// `cap` bytes.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    out: &mut Vec<u8>,
    cap: usize,
    split: bool,
) -> std::io::Result<Read> {
    out.clear();
    let mut too_long = false;
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(Read::Closed);
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = cap.saturating_sub(out.len());
        if split && take > room {
            out.extend_from_slice(&buf[..room]);
            r.consume(room);
            return Ok(Read::Line);
        }
        if !too_long {
            if take > room {
                too_long = true;
                out.clear();
            } else {
                out.extend_from_slice(&buf[..take]);
            }
        }
        r.consume(take);
        if done {
            return Ok(if too_long { Read::TooLong } else { Read::Line });
        }
    }
}

/// A message being received: its bytes (up to the limit), whether it went over, and where the
/// reader stands in its lines (for the `.` terminator and dot-stuffing, RFC 5321 §4.5.2).
#[derive(Default)]
struct Incoming {
    data: Vec<u8>,
    too_big: bool,
    at_line_start: bool,
}

/// How taking a report ended badly: the message itself is unacceptable (a permanent `554`,
/// which the sending server reports to the sender), or Debrief could not store it (a temporary
/// `451`: the sending server tries again later).
#[derive(Debug)]
enum Refusal {
    Permanent(String),
    Temporary(anyhow::Error),
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
        done: done.clone(),
    };
    let mut smtp = mailin::SessionBuilder::new("debrief").build(peer, handler);
    write.write_all(&smtp.greeting().buffer()?).await?;
    let mut line = Vec::new();
    let mut incoming: Option<Incoming> = None;
    loop {
        let (cap, split) = match incoming {
            Some(_) => (DATA_PIECE, true),
            None => (MAX_COMMAND_LINE, false),
        };
        let read_result =
            tokio::time::timeout(settings.idle, read_line(&mut read, &mut line, cap, split)).await;
        let outcome = match read_result {
            Ok(r) => r?,
            Err(_) => {
                let _ = write
                    .write_all(b"421 4.4.2 Idle for too long, closing the connection\r\n")
                    .await;
                return Ok(());
            }
        };
        if outcome == Read::Closed {
            return Ok(());
        }
        if let Some(msg) = incoming.as_mut() {
            let complete_line = line.ends_with(b"\n");
            if msg.at_line_start && (line == b".\r\n" || line == b".\n") {
                let msg = incoming.take().unwrap_or_default();
                // Tell mailin the data ended (its handler notes the envelope sender).
                let _ = smtp.process(b".\r\n");
                let from = done
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .unwrap_or_default();
                let response = if msg.too_big {
                    mailin::Response::custom(
                        552,
                        format!(
                            "5.3.4 The message is larger than {} MiB; nothing was kept",
                            settings.max_message / (1024 * 1024)
                        ),
                    )
                } else {
                    match take_report(store, settings, &from, &msg.data).await {
                        Ok(alert) => mailin::Response::custom(
                            250,
                            format!("2.0.0 Received as A-{}", alert.number),
                        ),
                        Err(Refusal::Permanent(why)) => {
                            tracing::warn!(%peer, %why, "a reported message was refused");
                            mailin::Response::custom(554, format!("5.6.0 {why}"))
                        }
                        Err(Refusal::Temporary(e)) => {
                            tracing::error!(error = %e, "a reported message could not be stored");
                            mailin::response::INTERNAL_ERROR
                        }
                    }
                };
                write.write_all(&response.buffer()?).await?;
                continue;
            }
            let piece = if msg.at_line_start && line.starts_with(b".") {
                &line[1..]
            } else {
                &line[..]
            };
            if msg.data.len() + piece.len() > settings.max_message {
                msg.too_big = true;
                msg.data = Vec::new();
            } else if !msg.too_big {
                msg.data.extend_from_slice(piece);
            }
            msg.at_line_start = complete_line;
            continue;
        }
        if outcome == Read::TooLong {
            write
                .write_all(b"500 5.5.2 Line too long; a command line is at most 1000 octets\r\n")
                .await?;
            continue;
        }
        let response = smtp.process(&line);
        if response.code == 354 {
            incoming = Some(Incoming {
                at_line_start: true,
                ..Incoming::default()
            });
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
) -> Result<Alert, Refusal> {
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
    let subject_length = subject.chars().count();
    if subject_length > MAX_SUBJECT {
        return Err(Refusal::Permanent(format!(
            "The subject is {subject_length} characters long; the limit is {MAX_SUBJECT}"
        )));
    }
    if let Some(c) = subject.chars().find(|c| c.is_control()) {
        return Err(Refusal::Permanent(format!(
            "The subject contains the control character U+{:04X}",
            c as u32
        )));
    }
    let text = parsed
        .as_ref()
        .and_then(|m| m.body_text(0))
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let message_id = parsed
        .as_ref()
        .and_then(|m| m.message_id())
        .map(str::to_string);
    // A `Date:` that is not a readable time from 1970 to 9999 is kept in the description only:
    // the report is taken all the same, dated by its arrival.
    let date_header = parsed
        .as_ref()
        .and_then(|m| m.date())
        .map(|d| d.to_rfc3339());
    let date = date_header
        .as_deref()
        .and_then(|d| Timestamp::parse(d).ok())
        .map(|t| t.to_string());
    // The message itself, kept like an uploaded file.
    let blobs = BlobStore::new(&settings.evidence_dir);
    let stored = async {
        let mut w = blobs.writer(settings.max_message as u64).await?;
        w.write(message).await?;
        w.finish().await
    }
    .await
    .map_err(|e| Refusal::Temporary(e.into()))?;
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
        "description": format!("Reported by {reporter} by e-mail.\nSubject: {subject}\nDate: {}\n\n{body}", date_header.as_deref().unwrap_or("not given")),
        "severity": 2,
        "tags": ["reported-by-person", "email"],
        "observables": observables,
        "date": date,
    });
    let mut raw = payload.clone();
    raw["reporter"] = json!({"email": reporter});
    raw["mail"] = json!({"from": reporter, "envelope_from": envelope_from, "subject": subject, "message_id": message_id, "attachments": files});
    raw["attachment"] = json!({"name": "reported-message.eml", "sha256": stored.sha256, "size": stored.size, "media_type": "message/rfc822"});
    let input = serde_json::from_value(payload)
        .map_err(|e| Refusal::Permanent(format!("The message cannot be read as a report: {e}")))?;
    let new = NewAlert::from_input(input, raw).map_err(|p| {
        Refusal::Permanent(format!(
            "The message cannot be taken as a report: {}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    let receipt = store
        .receive_alert(new, "mailbox", Timestamp::now(), 0)
        .await
        .map_err(|e| match e {
            debrief_store::StoreError::Domain(d) => Refusal::Permanent(d.to_string()),
            other => Refusal::Temporary(other.into()),
        })?;
    // The acknowledgement goes to the envelope sender (where the sending system wants replies;
    // none for a null sender `<>`), never to an address typed in the headers, and does not repeat
    // the sender's subject: the listener cannot be used to send chosen text to someone else.
    if receipt.intake == Intake::Created
        && let Some(relay) = settings.relay.clone()
        && !envelope_from.trim().is_empty()
    {
        let (from, to, number) = (
            settings.from.clone(),
            envelope_from.trim().to_string(),
            receipt.alert.number,
        );
        tokio::spawn(async move {
            acknowledge(&relay, &from, &to, number).await;
        });
    }
    Ok(receipt.alert)
}

/// Tells the reporter their message arrived, with its reference (three tries, backing off).
async fn acknowledge(relay: &str, from: &str, to: &str, number: i64) {
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
            .subject(format!("[A-{number}] Report received / Signalement reçu"))
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

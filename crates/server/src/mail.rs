//! Reports by e-mail: a built-in SMTP listener for the security team's reporting mailbox
//! (`serve --mail-listen`). Each message becomes an alert (type `email-report`) with the sender
//! recorded as the reporter, the observables found in its text, and the whole message kept as a
//! file (evidence once the alert is promoted). The SMTP `250` is sent only after the alert is
//! committed, so an accepted message is never lost; the envelope sender then gets an
//! acknowledgement with the reference through the configured relay (`--smtp-relay`), in English
//! and French.
//!
//! Three layers: [`next_line`] cuts what the client sends into bounded lines; [`Protocol`] is
//! the session (mailin's command state machine, plus the message data read here, bounded, with
//! the `.` terminator and dot-stuffing) — both synchronous, and fuzzed; [`parse_report`] turns a
//! message into an alert, purely. [`listen`] runs them over TCP with the store.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use debrief_app::{App, Caller};
use debrief_domain::Category;
use debrief_domain::Timestamp;
use debrief_domain::alert::NewAlert;
use debrief_store::alerts::{Alert, Intake};
use debrief_store::blobs::BlobStore;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest command line read (RFC 5321 §4.5.3.1: 512 octets for a command, 1,000 for a
/// text line; the larger is taken). A longer one is answered `500` and skipped, never buffered.
pub const MAX_COMMAND_LINE: usize = 1_000;
/// The largest piece of a message line held at once: longer lines are taken in pieces.
pub const DATA_PIECE: usize = 64 * 1024;
/// The longest subject taken (RFC 5322 §2.1.1: a line is at most 998 characters).
pub const MAX_SUBJECT: usize = 998;

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

// ------------------------------------------------------------------------------- lines

/// One line cut from what the client sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line with its line break — or, when pieces are allowed, a piece of a long one (then
    /// without a line break).
    Whole(Vec<u8>),
    /// A line longer than the limit, read to its end and dropped.
    TooLong,
}

/// Cuts the next line out of `buf` (removing what it consumed), holding at most `cap` bytes of
/// it: `None` when more input is needed. A longer line is dropped as it comes (`skipping`
/// remembers that its end is still to come) and reported once as [`Line::TooLong`] — or, with
/// `pieces`, returned in pieces of `cap` bytes.
pub fn next_line(buf: &mut Vec<u8>, cap: usize, pieces: bool, skipping: &mut bool) -> Option<Line> {
    let cap = cap.max(1);
    match buf.iter().position(|&b| b == b'\n') {
        Some(i) if *skipping => {
            buf.drain(..=i);
            *skipping = false;
            Some(Line::TooLong)
        }
        Some(i) if i < cap => Some(Line::Whole(buf.drain(..=i).collect())),
        Some(_) if pieces => Some(Line::Whole(buf.drain(..cap).collect())),
        Some(i) => {
            buf.drain(..=i);
            Some(Line::TooLong)
        }
        None if *skipping => {
            buf.clear();
            None
        }
        None if buf.len() >= cap && pieces => Some(Line::Whole(buf.drain(..cap).collect())),
        None if buf.len() >= cap => {
            buf.clear();
            *skipping = true;
            None
        }
        None => None,
    }
}

// ---------------------------------------------------------------------------- protocol

/// What stands for the null reverse-path (`MAIL FROM:<>`, RFC 5321 §4.5.5: bounces and
/// automatic replies) while mailin, which does not parse it, reads the command.
const NULL_SENDER: &str = "null-sender@debrief.invalid";

/// `MAIL FROM:<>` (with any parameters) with [`NULL_SENDER`] in place of the empty path.
fn null_sender(line: &[u8]) -> Option<Vec<u8>> {
    let prefix = b"mail from:<>";
    (line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)).then(|| {
        let mut out = format!("MAIL FROM:<{NULL_SENDER}>").into_bytes();
        out.extend_from_slice(&line[prefix.len()..]);
        out
    })
}

/// The envelope sender of the message whose data has ended, handed from mailin's handler.
type Finished = Arc<Mutex<Option<String>>>;

/// The session's side of mailin: checks recipients and notes the envelope sender; the message
/// data itself is read by [`Protocol`] (bounded).
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
        let from = from.trim_matches(['<', '>']);
        self.from = if from == NULL_SENDER {
            String::new()
        } else {
            from.to_string()
        };
        mailin::response::OK
    }

    fn data_end(&mut self) -> mailin::Response {
        // Always OK to mailin, so that its state machine goes back to waiting for commands (an
        // error here would leave it in its data state, swallowing every later line); the real
        // outcome is answered by the caller once the message is stored or refused.
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = Some(self.from.clone());
        mailin::response::OK
    }
}

/// A message being received: its bytes (up to the limit), whether it went over, and where the
/// reader stands in its lines (for the `.` terminator and dot-stuffing, RFC 5321 §4.5.2).
#[derive(Debug, Default)]
struct Incoming {
    data: Vec<u8>,
    too_big: bool,
    at_line_start: bool,
}

/// What to do after a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Answer this and read on.
    Reply(Vec<u8>),
    /// Answer this and close the connection.
    Close(Vec<u8>),
    /// Nothing to answer yet.
    Nothing,
    /// A whole message arrived: store it (or refuse it) and answer.
    Message { from: String, data: Vec<u8> },
}

/// An SMTP session, without the network: lines in, answers out.
pub struct Protocol {
    smtp: mailin::Session<Collect>,
    done: Finished,
    incoming: Option<Incoming>,
    max_message: usize,
}

impl std::fmt::Debug for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protocol")
            .field("in_data", &self.incoming.is_some())
            .finish_non_exhaustive()
    }
}

impl Protocol {
    pub fn new(peer: IpAddr, mailbox: Option<String>, max_message: usize) -> Self {
        let done: Finished = Arc::new(Mutex::new(None));
        let handler = Collect {
            mailbox,
            from: String::new(),
            done: done.clone(),
        };
        Self {
            smtp: mailin::SessionBuilder::new("debrief").build(peer, handler),
            done,
            incoming: None,
            max_message,
        }
    }

    /// The greeting sent when a client connects.
    pub fn greeting(&self) -> Vec<u8> {
        self.smtp.greeting().buffer().unwrap_or_default()
    }

    /// How to cut the next line: the limit, and whether a long one comes in pieces (message
    /// data) or is refused (commands).
    pub fn line_limit(&self) -> (usize, bool) {
        match self.incoming {
            Some(_) => (DATA_PIECE, true),
            None => (MAX_COMMAND_LINE, false),
        }
    }

    /// Takes one line (or [`Line::TooLong`]) and says what to do.
    pub fn line(&mut self, line: Line) -> Step {
        let line = match (line, self.incoming.is_some()) {
            (Line::Whole(l), _) => l,
            // In the data, a line cut into pieces is never "too long"; among commands it is.
            (Line::TooLong, true) => return Step::Nothing,
            (Line::TooLong, false) => {
                return Step::Reply(
                    b"500 5.5.2 Line too long; a command line is at most 1000 octets\r\n".to_vec(),
                );
            }
        };
        if let Some(msg) = self.incoming.as_mut() {
            let complete = line.ends_with(b"\n");
            if msg.at_line_start && (line == b".\r\n" || line == b".\n") {
                let msg = self.incoming.take().unwrap_or_default();
                // Tell mailin the data ended (its handler notes the envelope sender).
                let _ = self.smtp.process(b".\r\n");
                let from = self
                    .done
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .unwrap_or_default();
                if msg.too_big {
                    return Step::Reply(
                        format!(
                            "552 5.3.4 The message is larger than {} MiB; nothing was kept\r\n",
                            self.max_message / (1024 * 1024)
                        )
                        .into_bytes(),
                    );
                }
                return Step::Message {
                    from,
                    data: msg.data,
                };
            }
            let piece = if msg.at_line_start && line.starts_with(b".") {
                &line[1..]
            } else {
                &line[..]
            };
            if msg.data.len() + piece.len() > self.max_message {
                msg.too_big = true;
                msg.data = Vec::new();
            } else if !msg.too_big {
                msg.data.extend_from_slice(piece);
            }
            msg.at_line_start = complete;
            return Step::Nothing;
        }
        let response = match null_sender(&line) {
            Some(rewritten) => self.smtp.process(&rewritten),
            None => self.smtp.process(&line),
        };
        if response.code == 354 {
            self.incoming = Some(Incoming {
                at_line_start: true,
                ..Incoming::default()
            });
        }
        let bytes = response.buffer().unwrap_or_default();
        match response.action {
            mailin::Action::Close => Step::Close(bytes),
            mailin::Action::NoReply => Step::Nothing,
            // STARTTLS is not offered, so UpgradeTls does not happen; answer as a reply.
            mailin::Action::Reply | mailin::Action::UpgradeTls => Step::Reply(bytes),
        }
    }
}

// ------------------------------------------------------------------------------ report

/// A message that cannot be taken as a report: a permanent `554` (the sending server tells
/// the sender, and does not try again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// A reported message, read: the alert it makes and who reported it.
#[derive(Debug, Clone)]
pub struct Report {
    pub alert: NewAlert,
    pub reporter: String,
    pub sha256: String,
}

/// Reads a reported message into an alert: the sender as the reporter, the subject and text,
/// the observables found in them, the attachments' hashes, and the message's own SHA-256 (the
/// file kept as evidence). A subject over 998 characters or holding a control character is
/// refused; a `Date:` that is not a time from 1970 to 9999 is kept in the text only.
pub fn parse_report(message: &[u8], envelope_from: &str) -> Result<Report, Refused> {
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(message));
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
        return Err(Refused(format!(
            "The subject is {subject_length} characters long; the limit is {MAX_SUBJECT}"
        )));
    }
    if let Some(c) = subject.chars().find(|c| c.is_control()) {
        return Err(Refused(format!(
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
    let date_header = parsed
        .as_ref()
        .and_then(|m| m.date())
        .map(|d| d.to_rfc3339());
    let date = date_header
        .as_deref()
        .and_then(|d| Timestamp::parse(d).ok())
        .map(|t| t.to_string());
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
    // The text as a description: control characters (other than line breaks and tabs) a mail
    // client let through become spaces, and it is cut to fit.
    let body: String = text
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
                ' '
            } else {
                c
            }
        })
        .take(60_000)
        .collect();
    let reporter_shown: String = reporter
        .chars()
        .filter(|c| !c.is_control())
        .take(320)
        .collect();
    let payload = json!({
        "type": "email-report",
        "source": "mailbox",
        "sourceRef": message_id.clone().unwrap_or_else(|| sha256.clone()),
        "title": title,
        "description": format!(
            "Reported by {reporter_shown} by e-mail.\nSubject: {subject}\nDate: {}\n\n{body}",
            date_header.as_deref().unwrap_or("not given")
        ),
        "severity": 2,
        "tags": ["reported-by-person", "email"],
        "observables": observables,
        "date": date,
    });
    let mut raw = payload.clone();
    raw["reporter"] = json!({"email": reporter});
    raw["mail"] = json!({"from": reporter, "envelope_from": envelope_from, "subject": subject, "message_id": message_id, "attachments": files});
    raw["attachment"] = json!({"name": "reported-message.eml", "sha256": sha256, "size": message.len(), "media_type": "message/rfc822"});
    let input = serde_json::from_value(payload)
        .map_err(|e| Refused(format!("The message cannot be read as a report: {e}")))?;
    let alert = NewAlert::from_input(input, raw).map_err(|p| {
        Refused(format!(
            "The message cannot be taken as a report: {}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok(Report {
        alert,
        reporter,
        sha256,
    })
}

// ---------------------------------------------------------------------------- listener

/// Listens until the process ends.
pub async fn listen(app: App, settings: MailSettings) -> anyhow::Result<()> {
    use anyhow::Context;
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
            let (app, settings) = (app.clone(), settings.clone());
            tokio::spawn(async move {
                let whole = settings.session;
                match tokio::time::timeout(whole, session(stream, peer.ip(), &app, &settings)).await
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

async fn session(
    mut stream: TcpStream,
    peer: IpAddr,
    app: &App,
    settings: &MailSettings,
) -> std::io::Result<()> {
    let mut protocol = Protocol::new(peer, settings.mailbox.clone(), settings.max_message);
    stream.write_all(&protocol.greeting()).await?;
    let mut buf: Vec<u8> = Vec::new();
    let mut skipping = false;
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let (cap, pieces) = protocol.line_limit();
        let line = match next_line(&mut buf, cap, pieces, &mut skipping) {
            Some(l) => l,
            None => {
                // A whole line must arrive within the idle time.
                match tokio::time::timeout(settings.idle, stream.read(&mut chunk)).await {
                    Ok(Ok(0)) => return Ok(()),
                    Ok(Ok(n)) => {
                        buf.extend_from_slice(&chunk[..n]);
                        continue;
                    }
                    Ok(Err(e)) => return Err(e),
                    Err(_) => {
                        let _ = stream
                            .write_all(b"421 4.4.2 Idle for too long, closing the connection\r\n")
                            .await;
                        return Ok(());
                    }
                }
            }
        };
        match protocol.line(line) {
            Step::Nothing => {}
            Step::Reply(bytes) => stream.write_all(&bytes).await?,
            Step::Close(bytes) => {
                stream.write_all(&bytes).await?;
                return Ok(());
            }
            Step::Message { from, data } => {
                let answer = match take_report(app, settings, &from, &data).await {
                    Ok(alert) => format!("250 2.0.0 Received as A-{}\r\n", alert.number),
                    Err(TakeError::Refused(why)) => {
                        tracing::warn!(%peer, %why, "a reported message was refused");
                        format!("554 5.6.0 {why}\r\n")
                    }
                    Err(TakeError::Failed(e)) => {
                        tracing::error!(error = %e, "a reported message could not be stored");
                        "451 4.3.0 Aborted: local error in processing; try again later\r\n".into()
                    }
                };
                stream.write_all(answer.as_bytes()).await?;
            }
        }
    }
}

/// Why a message was not stored: refused for good, or a failure of ours (try again later).
#[derive(Debug)]
enum TakeError {
    Refused(String),
    Failed(anyhow::Error),
}

/// Stores a reported message as an alert; acknowledges a first report to its envelope sender.
async fn take_report(
    app: &App,
    settings: &MailSettings,
    envelope_from: &str,
    message: &[u8],
) -> Result<Alert, TakeError> {
    let report = parse_report(message, envelope_from).map_err(|r| TakeError::Refused(r.0))?;
    // The message itself, kept like an uploaded file (named by the same SHA-256).
    let blobs = BlobStore::of(&settings.evidence_dir, app.store());
    async {
        let mut w = blobs.writer(settings.max_message as u64).await?;
        w.write(message).await?;
        w.finish().await
    }
    .await
    .map_err(|e| TakeError::Failed(e.into()))?;
    let receipt = app
        .report_suspicion(&Caller::worker("mailbox"), report.alert)
        .await
        .map_err(|e| match e.category() {
            Category::Failed => TakeError::Failed(e.into()),
            _ => TakeError::Refused(e.to_string()),
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
    let message = match (|| -> anyhow::Result<Message> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize, pieces: bool) -> Vec<Line> {
        let mut buf = input.to_vec();
        let mut skipping = false;
        let mut out = Vec::new();
        while let Some(l) = next_line(&mut buf, cap, pieces, &mut skipping) {
            out.push(l);
        }
        out
    }

    #[test]
    fn lines_are_cut_and_bounded() {
        assert_eq!(
            lines(b"HELO a\r\nNOOP\r\npartial", 10, false),
            [
                Line::Whole(b"HELO a\r\n".to_vec()),
                Line::Whole(b"NOOP\r\n".to_vec())
            ]
        );
        // A long command line is dropped whole, once, and what follows is read.
        let mut long = vec![b'A'; 50];
        long.extend_from_slice(b"\r\nNOOP\r\n");
        assert_eq!(
            lines(&long, 10, false),
            [Line::TooLong, Line::Whole(b"NOOP\r\n".to_vec())]
        );
        // Data comes in pieces instead.
        assert_eq!(
            lines(b"0123456789abc\n", 5, true),
            [
                Line::Whole(b"01234".to_vec()),
                Line::Whole(b"56789".to_vec()),
                Line::Whole(b"abc\n".to_vec())
            ]
        );
        // Bytes without a line break are never held beyond the limit.
        let mut buf = vec![b'x'; 1_000_000];
        let mut skipping = false;
        assert_eq!(next_line(&mut buf, 1_000, false, &mut skipping), None);
        assert!(buf.is_empty() && skipping);
    }

    #[test]
    fn a_session_goes_on_after_an_oversized_message() {
        let mut p = Protocol::new("127.0.0.1".parse().unwrap(), None, 10);
        let mut say = |line: &[u8]| p.line(Line::Whole(line.to_vec()));
        assert!(matches!(say(b"EHLO x\r\n"), Step::Reply(_)));
        assert!(matches!(say(b"MAIL FROM:<a@b>\r\n"), Step::Reply(r) if r.starts_with(b"250")));
        assert!(matches!(say(b"RCPT TO:<c@d>\r\n"), Step::Reply(r) if r.starts_with(b"250")));
        assert!(matches!(say(b"DATA\r\n"), Step::Reply(r) if r.starts_with(b"354")));
        assert_eq!(say(b"0123456789 too long\r\n"), Step::Nothing);
        assert!(matches!(say(b".\r\n"), Step::Reply(r) if r.starts_with(b"552")));
        assert!(matches!(say(b"NOOP\r\n"), Step::Reply(r) if r.starts_with(b"250")));
        assert!(matches!(say(b"MAIL FROM:<a@b>\r\n"), Step::Reply(r) if r.starts_with(b"250")));
        assert!(matches!(say(b"RCPT TO:<c@d>\r\n"), Step::Reply(_)));
        assert!(matches!(say(b"DATA\r\n"), Step::Reply(_)));
        assert_eq!(say(b"..hi\r\n"), Step::Nothing);
        assert_eq!(
            say(b".\r\n"),
            Step::Message {
                from: "a@b".into(),
                data: b".hi\r\n".to_vec()
            }
        );
    }

    #[test]
    fn the_null_sender_is_taken() {
        let mut p = Protocol::new("127.0.0.1".parse().unwrap(), None, 1_000);
        let mut say = |line: &[u8]| p.line(Line::Whole(line.to_vec()));
        say(b"EHLO x\r\n");
        assert!(
            matches!(say(b"MAIL FROM:<> BODY=8BITMIME\r\n"), Step::Reply(r) if r.starts_with(b"250"))
        );
        say(b"RCPT TO:<c@d>\r\n");
        say(b"DATA\r\n");
        say(b"bounce\r\n");
        assert_eq!(
            say(b".\r\n"),
            Step::Message {
                from: String::new(),
                data: b"bounce\r\n".to_vec()
            }
        );
    }

    #[test]
    fn unusable_subjects_are_refused_and_bad_dates_kept_as_text() {
        let cr = parse_report(b"Subject: a\rb\r\n\r\nbody\r\n", "x@y").unwrap_err();
        assert!(cr.0.contains("control character"), "{cr}");
        let long = format!("Subject: {}\r\n\r\nbody\r\n", "x".repeat(500_000));
        assert!(
            parse_report(long.as_bytes(), "x@y")
                .unwrap_err()
                .0
                .contains("limit is 998")
        );
        let old = parse_report(
            b"From: a@b.example\r\nSubject: hi\r\nDate: Mon, 1 Jan 1900 00:00:00 +0000\r\n\r\nbody\r\n",
            "x@y",
        )
        .unwrap();
        assert_eq!(old.alert.occurred_at, None);
        assert!(old.alert.description.contains("Date: 1900-01-01"));
        assert_eq!(old.reporter, "a@b.example");
    }
}

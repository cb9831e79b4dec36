//! What changed, told to every instance of an installation: the live updates of the pages.
//!
//! A write that changes what a page shows (an incident's journal, the alerts) announces a
//! [`Change`] once it is committed. On SQLite, the one instance's writes go straight to an
//! in-process channel. On PostgreSQL the announcement is a `NOTIFY` sent inside the write's
//! transaction — the server delivers it at commit, to every instance — and each instance's
//! listener (started by the first subscriber) passes the notifications it hears on to its own
//! channel, its own writes included. Announcements carry no content, only what changed; a reader
//! then reads through the application layer, which checks what they may see.
//!
//! A change missed (a listener reconnecting, a subscriber too slow) only delays a page's update
//! until the next one or a reload: nothing is decided on announcements.

use std::sync::{Arc, OnceLock};

use tokio::sync::broadcast;

/// The PostgreSQL channel the announcements go through.
pub const CHANNEL: &str = "debrief_changes";

/// How many announcements a slow subscriber may fall behind before it misses some.
const BACKLOG: usize = 256;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An entry was appended to this incident's journal (its number).
    Incident(i64),
    /// Alerts arrived or were triaged.
    Alerts,
}

impl Change {
    /// The announcement's text (the `NOTIFY` payload).
    pub fn to_payload(&self) -> String {
        match self {
            Change::Incident(n) => format!("incident:{n}"),
            Change::Alerts => "alerts".into(),
        }
    }

    /// Reads an announcement; `None` for one this release does not know.
    pub fn from_payload(text: &str) -> Option<Self> {
        match text.split_once(':') {
            Some(("incident", n)) => n.parse().ok().map(Change::Incident),
            None if text == "alerts" => Some(Change::Alerts),
            _ => None,
        }
    }
}

/// An instance's channel of changes, shared by every clone of its store.
#[derive(Debug, Clone)]
pub struct Changes {
    sender: broadcast::Sender<Change>,
    /// Set once the PostgreSQL listener runs (never on SQLite).
    listening: Arc<OnceLock<()>>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            sender: broadcast::channel(BACKLOG).0,
            listening: Arc::default(),
        }
    }
}

impl Changes {
    /// Tells this instance's subscribers (nobody listening is fine).
    pub(crate) fn tell(&self, change: Change) {
        let _ = self.sender.send(change);
    }

    /// A new subscriber; `start` runs once per instance, with the sender, to start a listener.
    pub(crate) fn subscribe_with(
        &self,
        start: impl FnOnce(broadcast::Sender<Change>),
    ) -> broadcast::Receiver<Change> {
        let receiver = self.sender.subscribe();
        self.listening.get_or_init(|| start(self.sender.clone()));
        receiver
    }
}

/// Listens to PostgreSQL's announcements for as long as the instance runs, passing them to
/// `sender`; reconnects after a lost connection (what was announced meanwhile is missed).
pub(crate) fn listen_postgres(pool: sqlx::PgPool, sender: broadcast::Sender<Change>) {
    tokio::spawn(async move {
        loop {
            if pool.is_closed() {
                return;
            }
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: cannot listen; trying again");
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "live updates: LISTEN failed; trying again");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                continue;
            }
            loop {
                match listener.recv().await {
                    Ok(n) => {
                        if let Some(change) = Change::from_payload(n.payload()) {
                            let _ = sender.send(change);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live updates: connection lost; reconnecting");
                        break;
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back() {
        for c in [Change::Incident(42), Change::Alerts] {
            assert_eq!(Change::from_payload(&c.to_payload()), Some(c));
        }
        assert_eq!(Change::from_payload("incident:x"), None);
        assert_eq!(Change::from_payload("tasks"), None);
    }
}

//! Live updates: a page follows what it shows through Server-Sent Events (`/live/…`) and
//! re-reads itself when told that something changed (`assets/app.js`).
//!
//! The events carry no content — only that the incident, the alerts or a deadline changed — so
//! that what a reader sees is always read again through the application layer, with their
//! rights. Who may follow what is checked when the stream opens (the incident is resolved as the
//! reader; the alert queue needs the right to read alerts), and, for the deadlines board, for
//! each change (an incident the reader may not know of is not announced to them).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use debrief_domain::Action;
use debrief_store::changes::Change;
use tokio::sync::broadcast::error::RecvError;

use super::WebUser;
use super::pages::{forbidden, may, resolve_number};
use crate::AppState;

/// What a stream follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    /// One incident's page.
    Incident(i64),
    /// The alert queue.
    Alerts,
    /// The deadlines board: every incident the reader may see.
    Deadlines,
}

impl Topic {
    /// The stream a page at `path` follows, if any (the base template names it on `<body>`).
    pub(crate) fn of_page(path: &str) -> Option<String> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        match path {
            "/alerts" => Some("/live/alerts".into()),
            "/obligations" => Some("/live/deadlines".into()),
            p => {
                let number = p.strip_prefix("/incidents/")?;
                (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| format!("/live/incidents/{number}"))
            }
        }
    }

    /// Whether `change` may concern a reader of this topic (before the deadlines board's check
    /// of the incident).
    fn concerns(self, change: &Change) -> bool {
        match (self, change) {
            (Topic::Incident(n), Change::Incident(m)) => n == *m,
            (Topic::Alerts, Change::Alerts) => true,
            (Topic::Deadlines, Change::Incident(_)) => true,
            _ => false,
        }
    }
}

pub async fn incident(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
) -> Response {
    // Resolving as the reader refuses an incident they may not see ("not found").
    if let Err(r) = resolve_number(&state, &user, &number).await {
        return r;
    }
    let n = number.parse().unwrap_or_default();
    stream(state, user, Topic::Incident(n))
}

pub async fn alerts(State(state): State<AppState>, user: WebUser) -> Response {
    if let Err(why) = may(&user, Action::ReadAlerts) {
        return forbidden(&user, &why);
    }
    stream(state, user, Topic::Alerts)
}

pub async fn deadlines(State(state): State<AppState>, user: WebUser) -> Response {
    stream(state, user, Topic::Deadlines)
}

/// The event stream: a `changed` event for each change that concerns the reader (one for
/// several missed by a slow reader), a comment every 15 s to keep proxies from closing an idle
/// stream, and an end when the server shuts down.
fn stream(state: AppState, user: WebUser, topic: Topic) -> Response {
    struct Follow {
        state: AppState,
        user: WebUser,
        topic: Topic,
        changes: tokio::sync::broadcast::Receiver<Change>,
    }
    let follow = Follow {
        changes: state.store.subscribe(),
        state,
        user,
        topic,
    };
    let events = futures_util::stream::unfold(follow, |mut f| async move {
        loop {
            let change = tokio::select! {
                _ = f.state.closing.cancelled() => return None,
                c = f.changes.recv() => c,
            };
            let said = match change {
                Ok(c) if f.topic.concerns(&c) => {
                    if let (Topic::Deadlines, Change::Incident(n)) = (f.topic, &c) {
                        let caller = f.user.caller();
                        if f.state.app.resolve(&caller, &n.to_string()).await.is_err() {
                            continue;
                        }
                    }
                    c.to_payload()
                }
                Ok(_) => continue,
                // Changes were missed: say that something changed.
                Err(RecvError::Lagged(_)) => "changes".into(),
                Err(RecvError::Closed) => return None,
            };
            // (Not a journal event: the stream's message.)
            let event: SseEvent = Default::default();
            return Some((Ok::<_, Infallible>(event.event("changed").data(said)), f));
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_name_their_stream() {
        assert_eq!(
            Topic::of_page("/incidents/12").as_deref(),
            Some("/live/incidents/12")
        );
        assert_eq!(Topic::of_page("/alerts").as_deref(), Some("/live/alerts"));
        assert_eq!(
            Topic::of_page("/alerts?severity=3&cursor=x").as_deref(),
            Some("/live/alerts")
        );
        assert_eq!(
            Topic::of_page("/obligations").as_deref(),
            Some("/live/deadlines")
        );
        for none in [
            "/incidents",
            "/incidents/",
            "/incidents/new",
            "/incidents/12/postmortem",
        ] {
            assert_eq!(Topic::of_page(none), None, "{none}");
        }
    }

    #[test]
    fn a_topic_hears_only_its_changes() {
        assert!(Topic::Incident(3).concerns(&Change::Incident(3)));
        assert!(!Topic::Incident(3).concerns(&Change::Incident(4)));
        assert!(!Topic::Incident(3).concerns(&Change::Alerts));
        assert!(Topic::Alerts.concerns(&Change::Alerts));
        assert!(Topic::Deadlines.concerns(&Change::Incident(9)));
        assert!(!Topic::Deadlines.concerns(&Change::Alerts));
    }
}

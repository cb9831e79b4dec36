//! Group commit for alert intake. Single alerts arriving concurrently (one request each, as
//! SIEM alerters send them) are written together: one worker takes every alert waiting in the
//! queue, stores them in one transaction (one fsync instead of one per alert) and answers each
//! request only after that commit. An acknowledged alert is therefore as durable as before; the
//! gain is throughput under load. If the group's transaction fails, each alert is retried alone so
//! that one sender's problem is never another's.

use std::sync::OnceLock;

use debrief_app::{App, AppError, Caller};
use debrief_domain::alert::NewAlert;
use debrief_store::StoreError;
use debrief_store::alerts::Receipt;
use tokio::sync::{mpsc, oneshot};

/// The most alerts written in one transaction.
const MAX_GROUP: usize = 512;

struct Job {
    alert: NewAlert,
    caller: Caller,
    reply: oneshot::Sender<Result<Receipt, AppError>>,
}

/// The queue in front of the store's alert intake; its worker starts with the first alert.
#[derive(Default)]
pub struct IntakeQueue {
    sender: OnceLock<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for IntakeQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeQueue")
            .field("started", &self.sender.get().is_some())
            .finish()
    }
}

fn stopped() -> AppError {
    AppError::Store(StoreError::Unavailable {
        url: "alert intake".into(),
        why: "the intake worker stopped".into(),
    })
}

impl IntakeQueue {
    /// Stores one alert (with the others waiting) through the application layer, which checks
    /// the caller may send alerts; answers once it is committed.
    pub async fn receive(
        &self,
        app: &App,
        caller: &Caller,
        group_window: i64,
        alert: NewAlert,
    ) -> Result<Receipt, AppError> {
        let sender = self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * MAX_GROUP);
            tokio::spawn(worker(app.clone(), group_window, rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        sender
            .send(Job {
                alert,
                caller: caller.clone(),
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn worker(app: App, group_window: i64, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        // One transaction per sender in the group (an alert's history names who sent it).
        while !jobs.is_empty() {
            let caller = jobs[0].caller.clone();
            let (same, rest): (Vec<Job>, Vec<Job>) =
                jobs.into_iter().partition(|j| j.caller == caller);
            jobs = rest;
            let alerts = same.iter().map(|j| j.alert.clone()).collect();
            match app.receive_alerts(&caller, alerts, group_window).await {
                Ok(receipts) if receipts.len() == same.len() => {
                    for (job, r) in same.into_iter().zip(receipts) {
                        let _ = job.reply.send(Ok(r));
                    }
                }
                _ => {
                    for job in same {
                        let r = app
                            .receive_alert(&job.caller, job.alert, group_window)
                            .await;
                        let _ = job.reply.send(r);
                    }
                }
            }
        }
    }
}

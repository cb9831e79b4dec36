//! Leases on background work: across the instances of one installation, one at a time runs
//! each job (notification retries and deadline warnings, the watch folder).
//!
//! On PostgreSQL a lease is a session-level advisory lock held on a connection of its own: it
//! lasts while that connection does, so an instance that stops, crashes or is killed releases
//! it at once and another instance takes the job over at its next try. On SQLite, whose file
//! one server opens, the only instance always holds it.

use std::fmt;

use sqlx::Connection;

/// Background work that runs on one instance at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Retries of failed deliveries, deadline warnings, recommendation reminders.
    Notifications,
    /// The watch folder of log files.
    WatchFolder,
    /// Setting a new installation up at start (the first admin, the starter playbooks): the
    /// instances starting together take turns, and the later ones find it done.
    Setup,
}

impl Job {
    /// Its advisory lock key (arbitrary constants, beside the alert intake's).
    pub(crate) fn lock_key(self) -> i64 {
        match self {
            Job::Notifications => 7_204_171_101,
            Job::WatchFolder => 7_204_171_102,
            Job::Setup => 7_204_171_103,
        }
    }

    /// Its name, for the logs.
    pub fn name(self) -> &'static str {
        match self {
            Job::Notifications => "notifications",
            Job::WatchFolder => "watch folder",
            Job::Setup => "set-up",
        }
    }
}

/// A held lease: the job is this instance's while it is held.
pub struct Lease {
    job: Job,
    held: Held,
}

enum Held {
    /// The only instance (SQLite).
    Alone,
    /// The connection holding the advisory lock.
    Postgres(sqlx::PgConnection),
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.held {
            Held::Alone => "alone",
            Held::Postgres(_) => "advisory lock",
        };
        f.debug_struct("Lease")
            .field("job", &self.job)
            .field("held", &how)
            .finish()
    }
}

impl Lease {
    pub(crate) fn alone(job: Job) -> Self {
        Lease {
            job,
            held: Held::Alone,
        }
    }

    /// The job.
    pub fn job(&self) -> Job {
        self.job
    }

    /// Whether it is still held: on PostgreSQL, whether the connection holding the lock still
    /// answers (a lost connection has lost the lock, which another instance may take).
    pub async fn held(&mut self) -> bool {
        match &mut self.held {
            Held::Alone => true,
            Held::Postgres(conn) => {
                let answer = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    sqlx::query_scalar::<_, bool>(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                         AND pid = pg_backend_pid() AND granted AND objsubid = 1 \
                         AND ((classid::bigint << 32) | objid::bigint) = $1)",
                    )
                    .bind(self.job.lock_key())
                    .fetch_one(&mut *conn),
                )
                .await;
                matches!(answer, Ok(Ok(true)))
            }
        }
    }

    /// Gives the job up (another instance may take it at once).
    pub async fn release(self) {
        if let Held::Postgres(conn) = self.held {
            let _ = conn.close().await;
        }
    }
}

/// Tries to take `job` on PostgreSQL: a new connection that takes the advisory lock, or none
/// when another instance holds it.
pub(crate) async fn try_postgres(
    options: &sqlx::postgres::PgConnectOptions,
    job: Job,
) -> crate::Result<Option<Lease>> {
    let mut conn = sqlx::PgConnection::connect_with(options).await?;
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(job.lock_key())
        .fetch_one(&mut conn)
        .await?;
    if taken {
        Ok(Some(Lease {
            job,
            held: Held::Postgres(conn),
        }))
    } else {
        let _ = conn.close().await;
        Ok(None)
    }
}

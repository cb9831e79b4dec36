//! The store's error type. Driver errors never leak past it: callers see what went wrong in
//! terms of incidents and journals.

use debrief_domain::{Category, DomainError};

/// Why a store operation failed. Nothing was written when an error is returned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No incident matches the reference.
    #[error("no incident `{0}`; `debrief incident list` shows the existing ones")]
    NotFound(String),

    /// No playbook (or no such version of it).
    #[error("no playbook {0}; the playbooks page or GET /api/v1/playbooks lists them")]
    NoPlaybook(String),

    /// No stakeholder of this id or name.
    #[error("no stakeholder `{0}` in the directory; GET /api/v1/stakeholders lists them")]
    NoStakeholder(String),

    /// No notification rule has this id.
    #[error("no notification rule `{0}`; GET /api/v1/notification-rules lists them")]
    NoRule(String),

    /// No user has this name.
    #[error("no user `{0}`; `debrief user list` shows the existing ones")]
    NoUser(String),

    /// No group has this name.
    #[error("no group `{0}`; `debrief group list` or GET /api/v1/groups shows them")]
    NoGroup(String),

    /// No alert has this id or number.
    #[error("no alert `{0}`; `GET /api/v1/alerts` lists the existing ones")]
    NoAlert(String),

    /// No live token has this id.
    #[error("no active API token with id `{0}`")]
    NoToken(String),

    /// No live session of that person has this id.
    #[error("no open session `{0}`; the settings page lists them")]
    NoSession(String),

    /// That person has no second factor with this id.
    #[error("no second factor `{0}`; the settings page lists them")]
    NoFactor(String),

    /// Something with that name already exists.
    #[error("{0}")]
    Duplicate(String),

    /// Someone else appended first: the writer expected a different last entry.
    #[error(
        "incident {incident} changed meanwhile: expected its last entry to be {expected}, it is {actual}; reload and try again"
    )]
    Conflict {
        incident: String,
        expected: u64,
        actual: u64,
    },

    /// A domain rule refused the change.
    #[error(transparent)]
    Domain(#[from] DomainError),

    /// The database URL is not one Debrief understands.
    #[error("database URL `{url}` is not usable: {why}")]
    BadUrl { url: String, why: String },

    /// The database cannot be reached or opened.
    #[error("cannot open the database at `{url}`: {why}")]
    Unavailable { url: String, why: String },

    /// Stored data does not read back as expected (tampering or a bug); `debrief verify` says more.
    #[error("stored data is inconsistent: {0}; run `debrief verify`")]
    Corrupt(String),

    /// The ledger was signed with another installation key than this instance's: instances of
    /// one installation must share its key, or one would sign over the others' heads.
    #[error(
        "this database's ledger is signed with the installation key {theirs}, and this instance has {ours}: give every instance the same key file (`key_file` in debrief.toml or DEBRIEF_KEY_FILE)"
    )]
    ForeignKey { theirs: String, ours: String },

    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),

    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Its [`Category`]: how every front end answers it.
    pub fn category(&self) -> Category {
        match self {
            StoreError::NotFound(_)
            | StoreError::NoPlaybook(_)
            | StoreError::NoStakeholder(_)
            | StoreError::NoRule(_)
            | StoreError::NoUser(_)
            | StoreError::NoGroup(_)
            | StoreError::NoAlert(_)
            | StoreError::NoToken(_)
            | StoreError::NoSession(_)
            | StoreError::NoFactor(_) => Category::NotFound,
            StoreError::Duplicate(_) | StoreError::Conflict { .. } => Category::Conflict,
            StoreError::Domain(e) => e.category(),
            StoreError::BadUrl { .. } => Category::Refused,
            StoreError::Unavailable { .. }
            | StoreError::Corrupt(_)
            | StoreError::ForeignKey { .. }
            | StoreError::Migration(_)
            | StoreError::Database(_) => Category::Failed,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

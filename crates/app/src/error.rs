//! The application layer's error: a refusal by the roles, or what the store or the domain said,
//! each with the one [`Category`] every front end answers from.

use debrief_domain::{Category, Denied, DomainError};
use debrief_store::StoreError;

/// Why a command or a read did not happen. Nothing was written when it is returned.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller's role does not allow it.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// A rule of the application refused it in the state things are in (e.g. an admin
    /// disabling their own account).
    #[error("{0}")]
    Conflict(String),
    /// The store (or the domain rule it carries) refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::Store(StoreError::Domain(e))
    }
}

impl AppError {
    /// How every front end answers it (HTTP status, exit code).
    pub fn category(&self) -> Category {
        match self {
            AppError::Denied(_) => Category::Forbidden,
            AppError::Conflict(_) => Category::Conflict,
            AppError::Store(e) => e.category(),
        }
    }

    /// The domain rule that refused, when it was one.
    pub fn domain(&self) -> Option<&DomainError> {
        match self {
            AppError::Store(StoreError::Domain(e)) => Some(e),
            _ => None,
        }
    }
}

/// Result alias of the application layer.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

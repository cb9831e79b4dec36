//! The domain's error type: every rule a command can break, with a message a person can act on.

use crate::status::Status;

/// A command was refused by a domain rule. Nothing has been written when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A text field is empty, too long or otherwise malformed.
    #[error("{field} {problem}")]
    InvalidField {
        field: &'static str,
        problem: String,
    },

    /// The lifecycle does not allow this status change.
    #[error("cannot move an incident from `{from}` to `{to}`: {why}")]
    IllegalTransition {
        from: Status,
        to: Status,
        why: String,
    },

    /// A timestamp is not acceptable (in the future, badly formed, …).
    #[error("invalid timestamp: {0}")]
    InvalidTimestamp(String),

    /// A value is not one of the known names (status, field, milestone…).
    #[error("unknown {what} `{value}`; expected one of: {expected}")]
    Unknown {
        what: &'static str,
        value: String,
        expected: String,
    },

    /// The journal does not describe a valid incident (first entry is not `incident.opened`, …).
    #[error("journal of incident {incident} is inconsistent at entry {seq}: {why}")]
    InconsistentJournal {
        incident: String,
        seq: u64,
        why: String,
    },

    /// The command would change nothing.
    #[error("nothing to change: {0}")]
    Unchanged(String),
}

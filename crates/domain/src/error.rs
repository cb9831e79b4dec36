//! The domain's error type: every rule a command can break, with a message a person can act on.

use crate::status::Status;

/// A command was refused by a domain rule. Nothing has been written when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A required field is empty.
    #[error("{field} must not be empty")]
    Empty { field: &'static str },

    /// A field is longer than allowed.
    #[error("{field} is {len} characters long; the limit is {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },

    /// A field holds a control character.
    #[error("{field} contains the control character U+{code:04X}")]
    ControlCharacter { field: &'static str, code: u32 },

    /// A field is malformed in another way.
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
        why: TransitionProblem,
    },

    /// A date-time is not written with an offset.
    #[error(
        "invalid timestamp: `{0}` is not a date-time with an offset; write it like 2026-11-23T14:05:00Z or 2026-11-23T15:05:00+01:00"
    )]
    NotADateTime(String),

    /// A timestamp is not acceptable (in the future, out of range, …).
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

    /// The incident has no item with that id (an asset, task, observable… named in the path).
    #[error("#{incident} has no {what} {id}")]
    NoSuch {
        what: &'static str,
        incident: i64,
        id: u64,
    },

    /// The command would change nothing.
    #[error("nothing to change: {0}")]
    Unchanged(String),
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionProblem {
    /// The incident already has that status.
    Already,
    /// Closed incidents only reopen into triage or investigating.
    ClosedOnlyReopens,
    /// The statuses reachable from here.
    AllowedAre(Vec<Status>),
    /// Closing early, going back or reopening needs a reason.
    NeedsReason,
}

impl std::fmt::Display for TransitionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransitionProblem::Already => f.write_str("the incident already has that status"),
            TransitionProblem::ClosedOnlyReopens => f.write_str(
                "a closed incident can only be reopened into `triage` or `investigating`",
            ),
            TransitionProblem::AllowedAre(list) => {
                let names: Vec<&str> = list.iter().map(|s| s.as_str()).collect();
                write!(
                    f,
                    "from here the incident can move to: {}",
                    names.join(", ")
                )
            }
            TransitionProblem::NeedsReason => {
                f.write_str("closing early, going back or reopening needs a reason; give one")
            }
        }
    }
}

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

    /// A time typed by a person (a form, a CLI argument) is not a time.
    #[error(
        "`{0}` is not a date and time; write it like 2026-11-23T14:05 (in your time zone) or 2026-11-23T14:05:00+01:00"
    )]
    NotALocalTime(String),

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

    /// The thing was approved or published and no longer changes (what it is, and how to
    /// change it anyway).
    #[error("{0}")]
    Frozen(String),
    /// The postmortem cannot be approved while the record leaves these required questions of
    /// the review open (readiness item names).
    #[error("the postmortem cannot be approved yet: fill in {}", .0.join(", "))]
    NotReady(Vec<String>),
    /// Something that needs an approved postmortem (sharing the findings) was asked before the
    /// review approved it (what was asked).
    #[error("{0} needs an approved postmortem: the review has not approved it yet")]
    NotApproved(String),

    /// An alert or an incident was to be assigned to someone who cannot lead one: no such
    /// account, or one disabled, a viewer or an administrator (the name given).
    #[error("`{0}` cannot lead incidents: assign a manager or a handler")]
    CannotLead(String),
}

/// What kind of failure an error is, from which every front end derives its answer: the HTTP
/// status of the API and the pages, the exit code of the CLI. One classification, so that an
/// unknown playbook is "not found" on every channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// The request breaks a rule or is malformed: fix the input (422 / exit 2).
    Refused,
    /// The thing named does not exist (404 / exit 2).
    NotFound,
    /// The state does not allow it now: someone changed it meanwhile, it already exists, it would
    /// change nothing, the lifecycle forbids it (409 / exit 2).
    Conflict,
    /// The caller's role or access does not allow it (403 / exit 2).
    Forbidden,
    /// The environment failed: database, files, inconsistent storage (500 / exit 3).
    Failed,
}

impl Category {
    /// The HTTP status code this category answers with.
    pub fn http_status(self) -> u16 {
        match self {
            Category::Refused => 422,
            Category::NotFound => 404,
            Category::Conflict => 409,
            Category::Forbidden => 403,
            Category::Failed => 500,
        }
    }

    /// The CLI's exit code (the README's table: 2 refused, 3 the environment failed).
    pub fn exit_code(self) -> u8 {
        match self {
            Category::Failed => 3,
            _ => 2,
        }
    }
}

impl DomainError {
    /// Its [`Category`].
    pub fn category(&self) -> Category {
        match self {
            DomainError::IllegalTransition { .. }
            | DomainError::Unchanged(_)
            | DomainError::Frozen(_)
            | DomainError::NotReady(_)
            | DomainError::NotApproved(_) => Category::Conflict,
            DomainError::NoSuch { .. } => Category::NotFound,
            DomainError::InconsistentJournal { .. } => Category::Failed,
            DomainError::Empty { .. }
            | DomainError::TooLong { .. }
            | DomainError::ControlCharacter { .. }
            | DomainError::InvalidField { .. }
            | DomainError::NotADateTime(_)
            | DomainError::NotALocalTime(_)
            | DomainError::InvalidTimestamp(_)
            | DomainError::CannotLead(_)
            | DomainError::Unknown { .. } => Category::Refused,
        }
    }
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
    /// Closing an incident of this severity level without an approved postmortem needs a reason.
    NeedsPostmortem { level: u8 },
}

impl std::fmt::Display for TransitionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransitionProblem::Already => f.write_str("the incident already has that status"),
            TransitionProblem::NeedsPostmortem { level } => write!(
                f,
                "an incident of severity level {level} is closed once its postmortem is approved; approve it first, or give the reason none is needed"
            ),
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

//! The incident lifecycle: statuses and the transitions between them.
//!
//! ```text
//! new → triage → investigating → contained → eradicated → recovered → closed
//! ```
//! Besides the forward path: an incident may be closed early from `new`, `triage` or
//! `investigating` (false positive, duplicate, benign); a later stage may go back to
//! `investigating` when containment or eradication failed; a closed incident is reopened into
//! `triage` or `investigating`. Closing, going back and reopening require a reason.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, TransitionProblem};

/// Where an incident stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Triage,
    Investigating,
    Contained,
    Eradicated,
    Recovered,
    Closed,
}

/// How a legal transition relates to the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    /// The next stage on the forward path.
    Forward,
    /// Closed early (false positive, duplicate, benign…).
    EarlyClose,
    /// Back to investigating after a failed containment, eradication or recovery.
    Back,
    /// A closed incident opened again.
    Reopen,
}

impl TransitionKind {
    /// Whether a free-text reason must accompany this kind of transition.
    pub fn needs_reason(self) -> bool {
        !matches!(self, TransitionKind::Forward)
    }
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Triage,
        Status::Investigating,
        Status::Contained,
        Status::Eradicated,
        Status::Recovered,
        Status::Closed,
    ];

    /// The lower-case name used in the API, the CLI and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Triage => "triage",
            Status::Investigating => "investigating",
            Status::Contained => "contained",
            Status::Eradicated => "eradicated",
            Status::Recovered => "recovered",
            Status::Closed => "closed",
        }
    }

    fn next(self) -> Option<Status> {
        let i = Status::ALL.iter().position(|s| *s == self)?;
        Status::ALL.get(i + 1).copied()
    }

    /// Classifies the move `self → to`, or says why it is not allowed.
    pub fn transition(self, to: Status) -> Result<TransitionKind, DomainError> {
        use Status::*;
        let illegal = |why: TransitionProblem| DomainError::IllegalTransition {
            from: self,
            to,
            why,
        };
        if self == to {
            return Err(illegal(TransitionProblem::Already));
        }
        if self.next() == Some(to) {
            return Ok(TransitionKind::Forward);
        }
        match (self, to) {
            (New | Triage | Investigating, Closed) => Ok(TransitionKind::EarlyClose),
            (Contained | Eradicated | Recovered, Investigating) => Ok(TransitionKind::Back),
            (Closed, Triage | Investigating) => Ok(TransitionKind::Reopen),
            (Closed, _) => Err(illegal(TransitionProblem::ClosedOnlyReopens)),
            _ => Err(illegal(TransitionProblem::AllowedAre(self.allowed_next()))),
        }
    }

    /// The statuses reachable from `self` in one transition.
    pub fn allowed_next(self) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|to| self.transition_allowed(*to))
            .collect()
    }

    fn transition_allowed(self, to: Status) -> bool {
        use Status::*;
        self != to
            && (self.next() == Some(to)
                || matches!(
                    (self, to),
                    (New | Triage | Investigating, Closed)
                        | (Contained | Eradicated | Recovered, Investigating)
                        | (Closed, Triage | Investigating)
                ))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == wanted)
            .ok_or_else(|| DomainError::Unknown {
                what: "status",
                value: s.to_string(),
                expected: Status::ALL.map(|s| s.as_str()).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn forward_path_is_allowed_without_reason() {
        for pair in Status::ALL.windows(2) {
            let kind = pair[0].transition(pair[1]).unwrap();
            assert_eq!(kind, TransitionKind::Forward);
            assert!(!kind.needs_reason());
        }
    }

    #[test]
    fn skipping_stages_is_refused_with_the_allowed_list() {
        let err = Triage.transition(Eradicated).unwrap_err().to_string();
        assert!(err.contains("investigating, closed"), "{err}");
    }

    #[test]
    fn reopen_and_back_need_reasons() {
        assert_eq!(
            Closed.transition(Investigating).unwrap(),
            TransitionKind::Reopen
        );
        assert_eq!(
            Contained.transition(Investigating).unwrap(),
            TransitionKind::Back
        );
        assert!(TransitionKind::Reopen.needs_reason());
        assert!(Closed.transition(Recovered).is_err());
        assert!(New.transition(New).is_err());
    }

    #[test]
    fn allowed_next_agrees_with_transition() {
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.allowed_next().contains(&to),
                    from.transition(to).is_ok()
                );
            }
        }
    }

    #[test]
    fn parses_names() {
        assert_eq!("Contained".parse::<Status>().unwrap(), Contained);
        assert!("done".parse::<Status>().is_err());
    }
}

//! Debrief's domain: incidents, their journal events, the lifecycle and the hash chain.
//!
//! **Architecture invariant:** this crate does no IO. It knows nothing about databases, HTTP or the
//! file system; every function is a pure computation over values, so every rule can be tested in
//! isolation and reused by the store, the server, the CLI and the report renderer alike.

pub mod enums;

pub mod access;
pub mod alert;
pub mod blameless;
pub mod canonical;
pub mod codes;
pub mod effectiveness;
pub mod error;
pub mod event;
pub mod evidence;
pub mod field;
pub mod incident;
pub mod journal;
pub mod locale;
pub mod metrics;
pub mod milestone;
pub mod notify;
pub mod obligation;
pub mod observable;
pub mod playbook;
pub mod postmortem;
pub mod record;
pub mod samm;
pub mod similar;
pub mod stakeholder;
pub mod status;
pub mod taxonomy;
pub mod text;
pub mod time;
pub mod timeline;
pub mod triage;
pub mod user;
pub mod work;
pub mod zone;

#[cfg(test)]
mod testkit;

pub use enums::Closed;
pub use error::{Category, DomainError, TransitionProblem};
pub use event::{Event, Field, Milestone, MilestoneSource};
pub use incident::{Incident, IncidentId, NewIncident};
pub use journal::{EntryDraft, Hash, JournalEntry};
pub use status::Status;
pub use time::Timestamp;
pub use user::{Action, Denied, Language, Role, Username, authorize};
pub use zone::{DateAlone, Zone};

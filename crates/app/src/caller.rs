//! Who is asking: a signed-in person (API, pages, TheHive routes) with a role, or the operator
//! of the `debrief` command on the database itself, and what they need to be allowed to do.

use debrief_domain::text::Actor;
use debrief_domain::{Action, Denied, DomainError, Incident, Role, Username, authorize};

/// The one who issues a command or a read, as every front end hands it to the application layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    actor: Actor,
    role: Option<Role>,
}

impl Caller {
    /// A signed-in person with their account's role.
    pub fn user(username: &str, role: Role) -> Result<Caller, DomainError> {
        Ok(Caller {
            actor: Actor::parse(username)?,
            role: Some(role),
        })
    }

    /// A signed-in person, from their account's checked name.
    pub fn account(username: &Username, role: Role) -> Caller {
        Caller {
            actor: Actor::from(username),
            role: Some(role),
        }
    }

    /// The operator of the `debrief` command: whoever holds the database and its key may do
    /// anything, under the name they state (`--actor`).
    pub fn operator(actor: Actor) -> Caller {
        Caller { actor, role: None }
    }

    /// A background worker of the server (notification retries, deadline warnings), recorded
    /// under its own name.
    pub fn worker(name: &str) -> Caller {
        Caller {
            actor: Actor::parse(name).expect("a worker's name is a valid actor"),
            role: None,
        }
    }

    /// The name entries are recorded under.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The role, for a signed-in person.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Whether the caller may do `action` (the domain's rules, [`authorize`]); the operator and
    /// the workers may do everything.
    pub fn may(&self, action: Action<'_>) -> Result<(), Denied> {
        match self.role {
            Some(role) => authorize(self.actor.as_str(), role, action),
            None => Ok(()),
        }
    }
}

/// What a command needs to be allowed on an incident, checked on the state each attempt decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need<'a> {
    /// To work it (edit, transition, timestamps, the record, the postmortem).
    Work,
    /// To assign it to this user (or release it).
    Assign(Option<&'a str>),
    /// To work it and approve or publish its postmortem (a manager's call).
    Approve,
}

impl Need<'_> {
    /// Checks the need for `caller` on `incident` as it is now.
    pub fn check(&self, caller: &Caller, incident: &Incident) -> Result<(), Denied> {
        match *self {
            Need::Work => caller.may(Action::WorkIncident(incident)),
            Need::Assign(to) => caller.may(Action::Assign(incident, to)),
            Need::Approve => {
                caller.may(Action::WorkIncident(incident))?;
                caller.may(Action::ApprovePostmortem)
            }
        }
    }
}

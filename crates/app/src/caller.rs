//! Who is asking: a signed-in person (API, pages, TheHive routes) with a role, or the operator
//! of the `debrief` command on the database itself, and what they need to be allowed to do.

use debrief_domain::text::Actor;
use debrief_domain::{Action, Denied, DomainError, Incident, Role, Username, authorize};

/// The one who issues a command or a read, as every front end hands it to the application layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    actor: Actor,
    role: Option<Role>,
    /// Where the request came from, for the access log (`None`: the terminal or a worker).
    address: Option<String>,
}

impl Caller {
    /// A signed-in person with their account's role.
    pub fn user(username: &str, role: Role) -> Result<Caller, DomainError> {
        Ok(Caller {
            actor: Actor::parse(username)?,
            role: Some(role),
            address: None,
        })
    }

    /// A signed-in person, from their account's checked name.
    pub fn account(username: &Username, role: Role) -> Caller {
        Caller {
            actor: Actor::from(username),
            role: Some(role),
            address: None,
        }
    }

    /// The operator of the `debrief` command: whoever holds the database and its key may do
    /// anything, under the name they state (`--actor`).
    pub fn operator(actor: Actor) -> Caller {
        Caller {
            actor,
            role: None,
            address: None,
        }
    }

    /// A background worker of the server (notification retries, deadline warnings), recorded
    /// under its own name.
    pub fn worker(name: &str) -> Caller {
        Caller {
            actor: Actor::parse(name).expect("a worker's name is a valid actor"),
            role: None,
            address: None,
        }
    }

    /// The same caller, asking from `address` (recorded with the reads of restricted incidents).
    pub fn from_address(self, address: &str) -> Caller {
        Caller {
            address: Some(address.to_string()),
            ..self
        }
    }

    /// Where the request came from, if it came over the network.
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
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
    /// To decide who may see it (a manager, or its lead).
    Access,
    /// To open it from outside its team by stating why (a manager's "break-glass"): the one
    /// need checked without the incident being visible to the caller first.
    BreakGlass,
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
            Need::Access => caller.may(Action::ManageAccess(incident)),
            Need::BreakGlass => caller.may(Action::BreakGlass),
        }
    }
}

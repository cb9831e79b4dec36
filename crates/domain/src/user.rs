//! People who use Debrief, their roles, and what each role may do (checked by the server on every
//! route; this module is the single place the rules are written).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::incident::Incident;

/// What a user may do across the installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users and settings; reads incidents.
    Admin,
    /// Everything on incidents: create, edit, assign, transition; approves postmortems.
    Manager,
    /// Works the incidents assigned to them or not yet assigned; creates incidents.
    Handler,
    /// Reads only (executives, legal).
    Viewer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Handler, Role::Viewer];

    /// The role's name in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Handler => "handler",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| DomainError::Unknown {
                what: "role",
                value: s.to_string(),
                expected: Role::ALL.map(|r| r.as_str()).join(", "),
            })
    }
}

/// A login name: 1–64 characters of lower-case letters, digits and `. _ - @`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Checks and lower-cases `raw`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim().to_lowercase();
        let bad = |problem: String| DomainError::InvalidField {
            field: "username",
            problem,
        };
        if name.is_empty() || name.len() > 64 {
            return Err(bad("must be 1–64 characters long".into()));
        }
        if let Some(c) = name.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@'))
        }) {
            return Err(bad(format!(
                "may contain only letters a–z, digits and . _ - @ (found `{c}`)"
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Username::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The user interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Fr];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }

    /// The best supported language for an `Accept-Language` header (English when none fits).
    pub fn negotiate(accept_language: &str) -> Language {
        let mut best: Option<(f32, Language)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "fr" => Some(Language::Fr),
                "en" => Some(Language::En),
                _ => None,
            };
            if let Some(l) = lang
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map_or(Language::En, |(_, l)| l)
    }
}

impl FromStr for Language {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Language::En),
            "fr" => Ok(Language::Fr),
            other => Err(DomainError::Unknown {
                what: "language",
                value: other.into(),
                expected: "en, fr".into(),
            }),
        }
    }
}

/// Something a user may try to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action<'a> {
    /// Read incidents, their journals and verification.
    ReadIncidents,
    /// Declare a new incident.
    CreateIncident,
    /// Edit, transition or set timestamps of this incident.
    WorkIncident(&'a Incident),
    /// Restrict this incident to its team, open it again, or give or take access to it.
    ManageAccess(&'a Incident),
    /// Open a restricted incident outside one's team by stating a reason ("break-glass").
    BreakGlass,
    /// Assign this incident to `assignee` (or unassign with `None`).
    Assign(&'a Incident, Option<&'a str>),
    /// Manage users and settings.
    Administer,
    /// Read the alert queue.
    ReadAlerts,
    /// Send alerts in (integrations, people reporting).
    SendAlerts,
    /// Acknowledge, dismiss, reopen, promote or merge alerts.
    TriageAlerts,
    /// Report a suspected incident (any signed-in person: people are the first detectors).
    ReportSuspicion,
    /// Approve or publish a postmortem (a manager's call).
    ApprovePostmortem,
    /// Publish a new version of a playbook (a manager's call).
    ManagePlaybooks,
    /// Add to the stakeholder directory and its notification rules (managers and admins).
    ManageDirectory,
    /// Send or skip the notifications the rules propose (a manager's call).
    DecideNotifications,
    /// Confirm the program's maturity answers (OWASP SAMM): managers and admins.
    AssessProgram,
    /// Read the access log — who read which report, export or evidence file: managers and
    /// admins (it says what each person looked at).
    ReadAccessLog,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// Whether `user` with `role` may do `action`. The rules of the README's role table.
pub fn authorize(user: &str, role: Role, action: Action<'_>) -> Result<(), Denied> {
    use Action::*;
    let deny = |why: &str| Err(Denied(format!("your role `{role}` {why}")));
    match (role, action) {
        (_, ReadIncidents | ReadAlerts | ReportSuspicion) => Ok(()),
        (Role::Manager | Role::Handler, SendAlerts | TriageAlerts) => Ok(()),
        (_, SendAlerts) => {
            deny("cannot send alerts; an integration uses a handler's or a manager's token")
        }
        (_, TriageAlerts) => deny("cannot triage alerts; a manager or handler does"),
        (Role::Manager, ApprovePostmortem | ManagePlaybooks) => Ok(()),
        (Role::Manager | Role::Admin, ManageDirectory) => Ok(()),
        (_, ManageDirectory) => {
            deny("cannot change the stakeholder directory; a manager or an admin does")
        }
        (_, ManagePlaybooks) => deny("cannot publish playbooks; a manager does"),
        (Role::Manager | Role::Admin, AssessProgram) => Ok(()),
        (_, AssessProgram) => deny("cannot confirm maturity answers; a manager or an admin does"),
        (Role::Manager | Role::Admin, ReadAccessLog) => Ok(()),
        (_, ReadAccessLog) => deny("cannot read the access log; a manager or an admin does"),
        (Role::Manager, DecideNotifications) => Ok(()),
        (_, DecideNotifications) => {
            deny("cannot send or skip proposed notifications; a manager decides")
        }
        (_, ApprovePostmortem) => deny("cannot approve or publish a postmortem; a manager does"),
        (Role::Manager, ManageAccess(_) | BreakGlass) => Ok(()),
        (_, BreakGlass) => deny(
            "cannot open an incident outside its team; a manager can, stating why (break-glass)",
        ),
        (Role::Handler, ManageAccess(i)) if i.assignee.as_deref() == Some(user) => Ok(()),
        (_, ManageAccess(_)) => {
            deny("cannot change who may see this incident; a manager or the incident's lead does")
        }
        (Role::Admin, Administer) => Ok(()),
        (_, Administer) => deny("cannot manage users or settings; ask an admin"),
        (Role::Manager, CreateIncident | WorkIncident(_) | Assign(..)) => Ok(()),
        (Role::Handler, CreateIncident) => Ok(()),
        (Role::Handler, WorkIncident(i)) => match i.assignee.as_deref() {
            None => Ok(()),
            Some(a) if a == user => Ok(()),
            Some(a) => deny(&format!(
                "may only work incidents assigned to you or to no one; #{} is assigned to {a}",
                i.number
            )),
        },
        // A handler may take an unassigned incident, or give up their own.
        (Role::Handler, Assign(i, to)) => match (i.assignee.as_deref(), to) {
            (None, Some(t)) if t == user => Ok(()),
            (Some(a), None) if a == user => Ok(()),
            _ => deny(
                "may only take an unassigned incident or release your own; a manager assigns others",
            ),
        },
        (Role::Admin, _) => {
            deny("reads incidents but does not work them; a manager or handler does")
        }
        (Role::Viewer, _) => deny("is read-only"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked_and_lower_cased() {
        assert_eq!(
            Username::parse(" Alice.B@corp ").unwrap().as_str(),
            "alice.b@corp"
        );
        assert!(Username::parse("").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn negotiates_languages() {
        assert_eq!(Language::negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Language::Fr);
        assert_eq!(Language::negotiate("en-GB,fr;q=0.5"), Language::En);
        assert_eq!(Language::negotiate("de-DE,fr;q=0.3"), Language::Fr);
        assert_eq!(Language::negotiate("de"), Language::En);
        assert_eq!(Language::negotiate(""), Language::En);
    }

    #[test]
    fn roles_parse() {
        assert_eq!("Manager".parse::<Role>().unwrap(), Role::Manager);
        assert!("root".parse::<Role>().is_err());
    }
}

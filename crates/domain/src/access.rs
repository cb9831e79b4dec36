//! Need-to-know: an incident is open to every account, or restricted to its team — the one who
//! declared it, its lead, the people with an incident role on it and the people and groups given
//! access. Who is in the team is decided here, once, for every channel; the application layer
//! asks before any read or command, and answers "no such incident" to anyone outside.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::text::Reason;
use crate::triage::Tlp;
use crate::user::Username;

/// The name of a group of accounts (same characters as a user name), e.g. `hr-investigations`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct GroupName(String);

impl GroupName {
    /// Checks and lower-cases `raw`: 1–64 characters of `a–z 0–9 . _ - @`.
    pub fn parse(raw: &str) -> Result<GroupName, DomainError> {
        Username::parse(raw)
            .map(|u| GroupName(u.as_str().to_string()))
            .map_err(|e| match e {
                DomainError::InvalidField { problem, .. } => DomainError::InvalidField {
                    field: "group",
                    problem,
                },
                other => other,
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for GroupName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        GroupName::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Someone given access to a restricted incident: one person, or every member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grantee {
    User(Username),
    Group(GroupName),
}

impl Grantee {
    /// Reads `user:NAME`, `group:NAME`, or a bare name (a person).
    pub fn parse(raw: &str) -> Result<Grantee, DomainError> {
        let raw = raw.trim();
        match raw.split_once(':') {
            Some(("group", name)) => Ok(Grantee::Group(GroupName::parse(name)?)),
            Some(("user", name)) => Ok(Grantee::User(Username::parse(name)?)),
            Some((other, _)) => Err(DomainError::Unknown {
                what: "kind of grantee",
                value: other.to_string(),
                expected: "user:NAME, group:NAME".into(),
            }),
            None => Ok(Grantee::User(Username::parse(raw)?)),
        }
    }
}

impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grantee::User(u) => write!(f, "user:{u}"),
            Grantee::Group(g) => write!(f, "group:{g}"),
        }
    }
}

/// Which TLP markings restrict an incident when they are set, unless the installation says
/// otherwise: TLP:RED and TLP:AMBER+STRICT (information for named recipients only).
pub fn restricts_by_default(tlp: Tlp) -> bool {
    matches!(tlp, Tlp::Red | Tlp::AmberStrict)
}

impl Incident {
    /// Whether `user`, a member of `groups`, is in the incident's team: the one who declared it,
    /// its lead, someone with an incident role on it, or someone given access (themselves or
    /// through a group).
    pub fn in_team(&self, user: &str, groups: &[GroupName]) -> bool {
        self.opened_by == user
            || self.assignee.as_deref() == Some(user)
            || self.members.iter().any(|m| m.user == user)
            || self.grants.iter().any(|g| match g {
                Grantee::User(u) => u.as_str() == user,
                Grantee::Group(name) => groups.contains(name),
            })
    }

    /// Whether `user` may know the incident exists: it is open, or they are in its team.
    pub fn visible_to(&self, user: &str, groups: &[GroupName]) -> bool {
        !self.restricted || self.in_team(user, groups)
    }

    /// Restricts the incident to its team, or opens it to every account again; a decision
    /// that needs its reason.
    pub fn set_restricted(&self, restricted: bool, reason: &str) -> Result<Event, DomainError> {
        if self.restricted == restricted {
            return Err(DomainError::Unchanged(format!(
                "#{} is already {}",
                self.number,
                if restricted {
                    "restricted to its team"
                } else {
                    "open to every account"
                }
            )));
        }
        let reason = Reason::parse(reason)?;
        if reason.is_empty() {
            return Err(DomainError::Empty { field: "reason" });
        }
        Ok(Event::AccessSet {
            restricted,
            reason,
            marking: None,
        })
    }

    /// Restricts the incident because it is being marked `tlp` (see [`restricts_by_default`]);
    /// the marking is the reason.
    pub fn restrict_for_marking(&self, tlp: Tlp) -> Option<Event> {
        (!self.restricted && restricts_by_default(tlp)).then(|| Event::AccessSet {
            restricted: true,
            reason: Reason::default(),
            marking: Some(tlp),
        })
    }

    /// Gives a person or a group access to the incident (it matters while it is restricted).
    pub fn grant(&self, to: Grantee, reason: &str) -> Result<Event, DomainError> {
        if self.grants.contains(&to) {
            return Err(DomainError::Unchanged(format!(
                "{to} already has access to #{}",
                self.number
            )));
        }
        Ok(Event::AccessGranted {
            to,
            reason: Reason::parse(reason)?,
            break_glass: false,
        })
    }

    /// "Break-glass": `user`, a manager outside the team, opens the restricted incident by
    /// stating why; they join it by this entry, for everyone to see.
    pub fn break_glass(&self, user: &Username, reason: &str) -> Result<Event, DomainError> {
        if !self.restricted {
            return Err(DomainError::Unchanged(format!(
                "#{} is open to every account; there is no glass to break",
                self.number
            )));
        }
        let reason = Reason::parse(reason)?;
        if reason.is_empty() {
            return Err(DomainError::Empty { field: "reason" });
        }
        Ok(Event::AccessGranted {
            to: Grantee::User(user.clone()),
            reason,
            break_glass: true,
        })
    }

    /// Takes access away from a person or a group given it.
    pub fn revoke(&self, to: Grantee, reason: &str) -> Result<Event, DomainError> {
        if !self.grants.contains(&to) {
            return Err(DomainError::Unchanged(format!(
                "{to} was not given access to #{}",
                self.number
            )));
        }
        Ok(Event::AccessRevoked {
            to,
            reason: Reason::parse(reason)?,
        })
    }

    /// Folds an access decision in.
    pub(crate) fn apply_access(&mut self, event: Event) {
        match event {
            Event::AccessSet { restricted, .. } => self.restricted = restricted,
            Event::AccessGranted { to, .. } => self.grants.push(to),
            Event::AccessRevoked { to, .. } => self.grants.retain(|g| *g != to),
            // Only the three above are handed here (see `Incident::apply`).
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Journal;
    use crate::triage::IncidentRole;

    fn group(name: &str) -> GroupName {
        GroupName::parse(name).unwrap()
    }

    #[test]
    fn grantees_read_as_people_or_groups() {
        assert_eq!(
            Grantee::parse("group:HR").unwrap(),
            Grantee::Group(group("hr"))
        );
        assert_eq!(
            Grantee::parse("user:hera").unwrap().to_string(),
            "user:hera"
        );
        assert_eq!(Grantee::parse("hera").unwrap().to_string(), "user:hera");
        assert!(Grantee::parse("team:hr").is_err());
        assert!(Grantee::parse("group:h r").is_err());
    }

    #[test]
    fn a_restricted_incident_is_visible_to_its_team_only() {
        let mut j = Journal::new();
        assert!(j.state().visible_to("vic", &[]), "open to every account");
        j.push(j.state().set_restricted(true, "HR case").unwrap());
        let i = j.state();
        assert!(!i.visible_to("vic", &[]));
        assert!(i.visible_to("bob", &[]), "who declared it");
        j.push(i.add_member("hera", IncidentRole::Handler).unwrap());
        assert!(j.state().visible_to("hera", &[]), "an incident role");
        j.push(
            j.state()
                .grant(Grantee::Group(group("legal")), "counsel")
                .unwrap(),
        );
        let i = j.state();
        assert!(i.visible_to("lea", &[group("legal")]), "through a group");
        assert!(!i.visible_to("lea", &[group("hr")]));
        j.push(i.revoke(Grantee::Group(group("legal")), "done").unwrap());
        let i = j.state();
        assert!(!i.visible_to("lea", &[group("legal")]));
        assert!(matches!(
            i.set_restricted(true, "again"),
            Err(DomainError::Unchanged(_))
        ));
        assert!(matches!(
            i.set_restricted(false, " "),
            Err(DomainError::Empty { .. })
        ));
        j.push(
            i.set_restricted(false, "closed case, shared for training")
                .unwrap(),
        );
        assert!(j.state().visible_to("vic", &[]));
    }

    #[test]
    fn red_and_amber_strict_restrict_by_default() {
        assert!(restricts_by_default(Tlp::Red));
        assert!(restricts_by_default(Tlp::AmberStrict));
        assert!(!restricts_by_default(Tlp::Amber));
        assert!(!restricts_by_default(Tlp::Clear));
    }
}

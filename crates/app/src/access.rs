//! Need-to-know, applied once for every channel: which restricted incidents a caller may not
//! know of (left out of lists, search and sightings; "no such incident" when named), the
//! decisions that restrict an incident or give access to it, and the groups access is given to.
//! Who is in an incident's team is the domain's rule (`debrief_domain::access`); this module
//! asks it with the caller's groups.

use std::collections::HashSet;

use debrief_domain::access::{Grantee, GroupName};
use debrief_domain::{Action, Event, Incident, IncidentId};
use debrief_store::StoreError;
use debrief_store::access::AccessRecord;
use debrief_store::groups::Group;

use crate::{App, Caller, Need, Result};

/// The restricted incidents a caller is not in the team of.
#[derive(Debug, Default, Clone)]
pub struct Hidden {
    ids: HashSet<IncidentId>,
    numbers: HashSet<i64>,
}

impl Hidden {
    /// Whether the incident with this id is hidden.
    pub fn id(&self, id: &IncidentId) -> bool {
        self.ids.contains(id)
    }

    /// Whether the incident with this id (as text) is hidden.
    pub fn id_text(&self, id: &str) -> bool {
        id.parse::<IncidentId>()
            .is_ok_and(|id| self.ids.contains(&id))
    }

    /// Whether the incident with this number is hidden.
    pub fn number(&self, number: i64) -> bool {
        self.numbers.contains(&number)
    }

    /// The hidden ids, for a list query to leave out.
    pub fn ids(&self) -> Vec<IncidentId> {
        self.ids.iter().copied().collect()
    }
}

/// A person's reads of a restricted incident are logged at most once per this many seconds:
/// a page view reads the incident several times, a reviewer's afternoon is not a thousand rows.
const READ_LOG_SECONDS: i64 = 60;

/// When each person last had a read of each restricted incident logged.
#[derive(Debug, Default)]
pub(crate) struct RecentReads(
    std::sync::Mutex<std::collections::HashMap<(String, IncidentId), debrief_domain::Timestamp>>,
);

/// How an installation applies need-to-know beyond the explicit decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Marking an incident TLP:RED or TLP:AMBER+STRICT restricts it to its team too.
    pub restrict_on_strict_tlp: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            restrict_on_strict_tlp: true,
        }
    }
}

/// Who restricts an incident stays in its team: a signed-in person not in it yet is given
/// access in the same append (the operator and the workers see everything anyway).
fn stays_in_team(caller: &Caller, incident: &Incident) -> Option<Event> {
    caller.role()?;
    let user = caller.actor().as_str();
    if incident.in_team(user, &[]) {
        return None;
    }
    let me = debrief_domain::Username::parse(user).ok()?;
    incident.grant(Grantee::User(me), "").ok()
}

impl App {
    /// The groups the caller is in (none for the operator and the workers, who see everything).
    pub(crate) async fn groups_of(&self, caller: &Caller) -> Result<Vec<GroupName>> {
        if caller.role().is_none() {
            return Ok(Vec::new());
        }
        Ok(self.store.groups_of(caller.actor().as_str()).await?)
    }

    /// Whether the caller may know `incident` exists: it is open, they are in its team, or they
    /// are the operator or a worker.
    pub async fn can_see(&self, caller: &Caller, incident: &Incident) -> Result<bool> {
        let user = caller.actor().as_str();
        if caller.role().is_none() || incident.visible_to(user, &[]) {
            return Ok(true);
        }
        Ok(incident.visible_to(user, &self.groups_of(caller).await?))
    }

    /// Whether the account `username` (someone a message would go to, not the caller) may
    /// know `incident` exists: what a link to it would show them after they sign in.
    pub async fn account_may_see(&self, incident: &Incident, username: &str) -> Result<bool> {
        if incident.visible_to(username, &[]) {
            return Ok(true);
        }
        Ok(incident.visible_to(username, &self.store.groups_of(username).await?))
    }

    /// Refuses, as "no such incident", a caller who may not know `incident` exists.
    /// `reference` is how the caller named it, so that the answer says no more than they said.
    pub(crate) async fn check_visible(
        &self,
        caller: &Caller,
        incident: &Incident,
        reference: &str,
    ) -> Result<()> {
        if self.can_see(caller, incident).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound(reference.to_string()).into())
        }
    }

    /// Logs a signed-in person's read of a restricted incident (who, which, when, from where),
    /// at most once a minute per person and incident. The operator and the workers are not
    /// logged: they hold the database.
    pub(crate) async fn note_read(&self, caller: &Caller, incident: &Incident) -> Result<()> {
        if !incident.restricted || caller.role().is_none() {
            return Ok(());
        }
        let now = debrief_domain::Timestamp::now();
        let key = (caller.actor().as_str().to_string(), incident.id);
        {
            let mut recent = self.reads.0.lock().unwrap_or_else(|e| e.into_inner());
            if recent
                .get(&key)
                .is_some_and(|at| now.seconds_since(*at) < READ_LOG_SECONDS)
            {
                return Ok(());
            }
            recent.insert(key, now);
        }
        self.store
            .record_access(AccessRecord {
                at: now,
                actor: caller.actor().as_str().to_string(),
                action: "read".into(),
                incident_id: Some(incident.id),
                number: Some(incident.number),
                what: format!("read #{} (restricted)", incident.number),
                kind: "read".into(),
                format: String::new(),
                lang: String::new(),
                entry: i64::try_from(incident.seq).ok(),
                sha256: None,
                address: caller.address().unwrap_or("").to_string(),
            })
            .await?;
        Ok(())
    }

    /// The restricted incidents the caller is not in the team of (none for the operator and
    /// the workers).
    pub async fn hidden(&self, caller: &Caller) -> Result<Hidden> {
        if caller.role().is_none() {
            return Ok(Hidden::default());
        }
        let restricted = self.store.restricted_incidents().await?;
        if restricted.is_empty() {
            return Ok(Hidden::default());
        }
        let user = caller.actor().as_str();
        let groups = self.groups_of(caller).await?;
        let mut hidden = Hidden::default();
        for i in restricted.iter().filter(|i| !i.visible_to(user, &groups)) {
            hidden.ids.insert(i.id);
            hidden.numbers.insert(i.number);
        }
        Ok(hidden)
    }

    /// The event a strict marking adds by itself under the installation's policy: an incident
    /// marked TLP:RED or TLP:AMBER+STRICT is restricted to its team, unless the same command
    /// decides its access itself.
    pub(crate) fn follow_policy(
        &self,
        caller: &Caller,
        current: &Incident,
        events: &[Event],
    ) -> Vec<Event> {
        let Some(restrict) = self.restriction_by_policy(current, events) else {
            return Vec::new();
        };
        std::iter::once(restrict)
            .chain(stays_in_team(caller, current))
            .collect()
    }

    fn restriction_by_policy(&self, current: &Incident, events: &[Event]) -> Option<Event> {
        if !self.policy.restrict_on_strict_tlp
            || current.restricted
            || events.iter().any(|e| matches!(e, Event::AccessSet { .. }))
        {
            return None;
        }
        let tlp = events.iter().rev().find_map(|e| match e {
            Event::MarkingsSet { tlp: Some(t), .. } => Some(*t),
            _ => None,
        })?;
        current.restrict_for_marking(tlp)
    }

    /// "Break-glass": a manager outside a restricted incident's team opens it by stating why.
    /// They join the team by a journal entry (its team sees who and why), and the read goes to
    /// the access log; telling the incident's lead is the caller's next step (the server's
    /// outbound channels). Asked of an incident that does not exist, or by someone who is not a
    /// manager, it answers as any read would.
    pub async fn break_glass(
        &self,
        caller: &Caller,
        reference: &str,
        reason: &str,
        address: &str,
    ) -> Result<Incident> {
        caller.may(Action::BreakGlass)?;
        let id = self.store.resolve(reference).await?;
        let current = self.store.incident(id).await?;
        if self.can_see(caller, &current).await? {
            return Err(debrief_domain::DomainError::Unchanged(format!(
                "you can already see #{}",
                current.number
            ))
            .into());
        }
        let me = debrief_domain::Username::parse(caller.actor().as_str())?;
        let done = self
            .execute(caller, id, Need::BreakGlass, None, |i| {
                Ok(vec![i.break_glass(&me, reason)?])
            })
            .await?;
        self.record_access(
            caller,
            AccessRecord {
                at: debrief_domain::Timestamp::now(),
                actor: String::new(),
                action: "break-glass".into(),
                incident_id: Some(done.id),
                number: Some(done.number),
                what: format!("break-glass: {}", reason.trim()),
                kind: "break-glass".into(),
                format: String::new(),
                lang: String::new(),
                entry: i64::try_from(done.seq).ok(),
                sha256: None,
                address: address.to_string(),
            },
        )
        .await?;
        tracing::warn!(by = %caller.actor(), incident = done.number, "break-glass: a restricted incident opened from outside its team");
        Ok(done)
    }

    /// Whether declaring an incident already marked `tlp` (TheHive's cases arrive marked)
    /// restricts it from its first entry, under the installation's policy.
    pub fn restricts_when_marked(&self, tlp: debrief_domain::triage::Tlp) -> bool {
        self.policy.restrict_on_strict_tlp && debrief_domain::access::restricts_by_default(tlp)
    }

    /// Restricts an incident to its team or opens it again (a manager, or the incident's lead);
    /// the reason is part of the record.
    pub async fn set_restricted(
        &self,
        caller: &Caller,
        reference: &str,
        restricted: bool,
        reason: &str,
    ) -> Result<Incident> {
        self.execute_on(caller, reference, Need::Access, None, |i| {
            let set = i.set_restricted(restricted, reason)?;
            let mut events = vec![set];
            if restricted {
                events.extend(stays_in_team(caller, i));
            }
            Ok(events)
        })
        .await
    }

    /// Gives a person or a group access to an incident (a manager, or the incident's lead);
    /// the account or group must exist.
    pub async fn grant(
        &self,
        caller: &Caller,
        reference: &str,
        to: Grantee,
        reason: &str,
    ) -> Result<Incident> {
        self.check_grantee(&to).await?;
        self.execute_on(caller, reference, Need::Access, None, |i| {
            Ok(vec![i.grant(to.clone(), reason)?])
        })
        .await
    }

    /// Takes access away from a person or a group (a manager, or the incident's lead).
    pub async fn revoke(
        &self,
        caller: &Caller,
        reference: &str,
        to: Grantee,
        reason: &str,
    ) -> Result<Incident> {
        self.execute_on(caller, reference, Need::Access, None, |i| {
            Ok(vec![i.revoke(to.clone(), reason)?])
        })
        .await
    }

    async fn check_grantee(&self, to: &Grantee) -> Result<()> {
        match to {
            Grantee::User(u) => {
                self.store.user_record(u.as_str()).await?;
            }
            Grantee::Group(g) => {
                if !self.store.list_groups().await?.iter().any(|x| x.name == *g) {
                    return Err(StoreError::NoGroup(g.to_string()).into());
                }
            }
        }
        Ok(())
    }

    /// The groups and their members (everyone signed in: access is given to them by name).
    pub async fn groups(&self, caller: &Caller) -> Result<Vec<Group>> {
        caller.may(Action::ReadIncidents)?;
        Ok(self.store.list_groups().await?)
    }

    /// Creates a group (admins).
    pub async fn create_group(
        &self,
        caller: &Caller,
        name: &str,
        description: &str,
    ) -> Result<Group> {
        caller.may(Action::Administer)?;
        let name = GroupName::parse(name)?;
        let description = debrief_domain::text::Label::parse_as("description", description)?;
        Ok(self
            .store
            .create_group(&name, &description.into_inner(), caller.actor().as_str())
            .await?)
    }

    /// Puts an account in a group (admins).
    pub async fn add_to_group(&self, caller: &Caller, group: &str, username: &str) -> Result<()> {
        caller.may(Action::Administer)?;
        let group = GroupName::parse(group)?;
        let user = debrief_domain::Username::parse(username)?;
        self.store
            .add_group_member(&group, user.as_str(), caller.actor().as_str())
            .await?;
        tracing::info!(by = %caller.actor(), %group, user = %user, "added to a group");
        Ok(())
    }

    /// Takes an account out of a group (admins).
    pub async fn remove_from_group(
        &self,
        caller: &Caller,
        group: &str,
        username: &str,
    ) -> Result<()> {
        caller.may(Action::Administer)?;
        let group = GroupName::parse(group)?;
        let user = debrief_domain::Username::parse(username)?;
        self.store
            .remove_group_member(&group, user.as_str())
            .await?;
        tracing::info!(by = %caller.actor(), %group, user = %user, "removed from a group");
        Ok(())
    }
}

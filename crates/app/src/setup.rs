//! The installation's set-up and intake — accounts, the stakeholder directory, notification
//! rules, playbooks, maturity answers, alerts coming in and the access log — each write checked
//! against the caller's role here, so that the API, the pages, the CLI and the workers apply one
//! rule (a front end that forgot a check, or added its own, would disagree with the others).

use debrief_domain::alert::NewAlert;
use debrief_domain::notify::NotificationRule;
use debrief_domain::playbook::{PlaybookDoc, parse_playbook};
use debrief_domain::postmortem::RecommendationStatus;
use debrief_domain::samm::Confirmed;
use debrief_domain::stakeholder::NewStakeholder;
use debrief_domain::{Action, DomainError, Incident, Language, Role, Timestamp};
use debrief_store::access::{AccessRecord, AccessScope};
use debrief_store::accounts::{ApiToken, NewUser, Session, SessionStage, User, UserChanges};
use debrief_store::alerts::Receipt;
use debrief_store::playbooks::{NewPlaybookVersion, PlaybookVersion};
use debrief_store::stakeholders::{Stakeholder, StoredRule};

use crate::{App, AppError, Caller, Need, Result};

/// A new version of a playbook, as every front end hands it over.
#[derive(Debug, Clone)]
pub struct PublishPlaybook {
    /// The playbook the version belongs to (the address's slug; the header must agree).
    pub slug: String,
    /// The Markdown text, header included.
    pub body: String,
    /// The incident whose lessons this version carries (a number or an id).
    pub from_incident: Option<String>,
    /// The recommendation of that incident the version answers: it is marked done.
    pub recommendation: Option<u64>,
    /// Why this version (free text).
    pub note: String,
}

/// A confirmed maturity answer, before it is dated and signed by its caller.
#[derive(Debug, Clone)]
pub struct SammAnswer {
    pub question: String,
    /// The answer's position in the question's answer set.
    pub answer: usize,
    /// The answer's value (0 to 1).
    pub value: f64,
    pub note: String,
}

impl App {
    /// The accounts (admins).
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<User>> {
        caller.may(Action::Administer)?;
        Ok(self.store.list_users().await?)
    }

    /// One account (admins).
    pub async fn user(&self, caller: &Caller, name: &str) -> Result<User> {
        caller.may(Action::Administer)?;
        Ok(self.store.user_record(name).await?.user)
    }

    /// Creates an account (admins); the password is hashed by the front end, which holds it.
    pub async fn create_user(&self, caller: &Caller, new: NewUser) -> Result<User> {
        caller.may(Action::Administer)?;
        let created = self.store.create_user(new).await?;
        tracing::info!(by = %caller.actor(), user = %created.username, role = %created.role, "user created");
        Ok(created)
    }

    /// Whether the installation has no account yet (the first start, before its admin exists).
    pub async fn has_no_account(&self) -> Result<bool> {
        Ok(self.store.count_users().await? == 0)
    }

    /// Creates the installation's first account, and only while there is none: who starts
    /// the server on an empty database may make its admin.
    pub async fn create_first_admin(&self, new: NewUser) -> Result<User> {
        if !self.has_no_account().await? {
            return Err(AppError::Conflict(
                "the installation already has accounts; an admin creates the others".into(),
            ));
        }
        let created = self.store.create_user(new).await?;
        tracing::info!(user = %created.username, "first admin created");
        Ok(created)
    }

    /// Changes an account (admins). A signed-in admin cannot disable their own account or drop
    /// their own admin role — another admin can — so that an installation is never left without
    /// the one who just locked themselves out.
    pub async fn update_user(
        &self,
        caller: &Caller,
        name: &str,
        changes: UserChanges,
    ) -> Result<User> {
        caller.may(Action::Administer)?;
        let target = self.store.user_record(name).await?.user;
        let own = caller.role().is_some() && target.username.as_str() == caller.actor().as_str();
        if own && (changes.disabled == Some(true) || changes.role.is_some_and(|r| r != Role::Admin))
        {
            return Err(AppError::Conflict(
                "you cannot disable yourself or drop your own admin role; another admin can".into(),
            ));
        }
        let updated = self.store.update_user(name, changes).await?;
        tracing::info!(by = %caller.actor(), user = %updated.username, "user updated");
        Ok(updated)
    }

    /// Issues an API token for `username` (admins); the front end made the secret and keeps
    /// only its hash here.
    pub async fn create_token(
        &self,
        caller: &Caller,
        username: &str,
        name: &str,
        secret_hash: &str,
    ) -> Result<ApiToken> {
        caller.may(Action::Administer)?;
        Ok(self.store.create_token(username, name, secret_hash).await?)
    }

    /// The live API tokens (admins).
    pub async fn list_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>> {
        caller.may(Action::Administer)?;
        Ok(self.store.list_tokens().await?)
    }

    /// Revokes an API token (admins).
    pub async fn revoke_token(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.may(Action::Administer)?;
        Ok(self.store.revoke_token(id).await?)
    }

    /// Opens a browser session for an account that has just proven who it is (a password,
    /// the identity provider; `stage` says whether a second factor is still awaited): the
    /// cookie's hash, its CSRF token, until when.
    pub async fn open_session(
        &self,
        user_id: &str,
        token_hash: &str,
        csrf: &str,
        expires_at: Timestamp,
        stage: SessionStage,
    ) -> Result<()> {
        Ok(self
            .store
            .create_session(token_hash, user_id, csrf, expires_at, stage)
            .await?)
    }

    /// The session whose cookie hashes to `token_hash`, at whatever stage, if it is live.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        Ok(self.store.session(token_hash).await?)
    }

    /// Notes that a session was used now (its idle lifetime starts again).
    pub async fn touch_session(&self, token_hash: &str) -> Result<()> {
        Ok(self
            .store
            .touch_session(token_hash, Timestamp::now())
            .await?)
    }

    /// Keeps (or clears) the state of a passkey ceremony under way in a session.
    pub async fn set_session_challenge(
        &self,
        token_hash: &str,
        challenge: Option<&str>,
    ) -> Result<()> {
        Ok(self
            .store
            .set_session_challenge(token_hash, challenge)
            .await?)
    }

    /// Ends the session whose cookie hashes to `token_hash` (signing out).
    pub async fn close_session(&self, token_hash: &str) -> Result<()> {
        Ok(self.store.delete_session(token_hash).await?)
    }

    /// Whether the caller may see and end `username`'s sessions and tokens: their own, or
    /// anyone's for an admin (the operator at the terminal too).
    pub(crate) fn own_or_admin(&self, caller: &Caller, username: &str) -> Result<()> {
        if caller.role().is_some() && caller.actor().as_str() == username.trim().to_lowercase() {
            return Ok(());
        }
        Ok(caller.may(Action::Administer)?)
    }

    /// A person's open browser sessions (their own, or anyone's for an admin).
    pub async fn sessions(
        &self,
        caller: &Caller,
        username: &str,
    ) -> Result<Vec<debrief_store::accounts::SessionInfo>> {
        self.own_or_admin(caller, username)?;
        Ok(self
            .store
            .list_sessions(&username.trim().to_lowercase())
            .await?)
    }

    /// Ends one of a person's sessions (their own, or anyone's for an admin).
    pub async fn end_session(&self, caller: &Caller, username: &str, id: &str) -> Result<()> {
        self.own_or_admin(caller, username)?;
        self.store
            .end_session(&username.trim().to_lowercase(), id.trim())
            .await?;
        tracing::info!(by = %caller.actor(), user = %username, "a session was ended");
        Ok(())
    }

    /// Ends every session of a person (their own, or anyone's for an admin).
    pub async fn end_sessions(&self, caller: &Caller, username: &str) -> Result<u64> {
        self.own_or_admin(caller, username)?;
        let n = self
            .store
            .end_sessions(&username.trim().to_lowercase())
            .await?;
        tracing::info!(by = %caller.actor(), user = %username, sessions = n, "sessions ended");
        Ok(n)
    }

    /// A person's live API tokens (their own, or anyone's for an admin).
    pub async fn tokens_of(&self, caller: &Caller, username: &str) -> Result<Vec<ApiToken>> {
        self.own_or_admin(caller, username)?;
        let name = username.trim().to_lowercase();
        Ok(self
            .store
            .list_tokens()
            .await?
            .into_iter()
            .filter(|t| t.username == name && t.revoked_at.is_none())
            .collect())
    }

    /// Revokes one of a person's API tokens (their own, or anyone's for an admin).
    pub async fn revoke_token_of(&self, caller: &Caller, username: &str, id: &str) -> Result<()> {
        if !self
            .tokens_of(caller, username)
            .await?
            .iter()
            .any(|t| t.id == id)
        {
            return Err(debrief_store::StoreError::NoToken(id.to_string()).into());
        }
        Ok(self.store.revoke_token(id).await?)
    }

    /// The stakeholder directory as the caller may see it: webhook URLs (credentials) in full
    /// only for those who manage the directory, their host for everyone else.
    pub async fn directory(&self, caller: &Caller) -> Result<Vec<Stakeholder>> {
        caller.may(Action::ReadIncidents)?;
        let all = self.store.list_stakeholders().await?;
        if caller.may(Action::ManageDirectory).is_ok() {
            Ok(all)
        } else {
            Ok(all.into_iter().map(Stakeholder::redacted).collect())
        }
    }

    /// A directory entry as a message to it is delivered: in full (its webhook's address too),
    /// for the server to send to, never to show. Anyone who may read incidents may send to the
    /// directory; only managers choose what is in it.
    /// A team account may be named too: the entry that stands for it is the recipient.
    pub async fn recipient(&self, caller: &Caller, name_or_id: &str) -> Result<Stakeholder> {
        caller.may(Action::ReadIncidents)?;
        match self.store.stakeholder(name_or_id).await {
            Err(debrief_store::StoreError::NoStakeholder(missing)) => {
                let name = name_or_id.trim();
                let standing = self.store.list_stakeholders().await?.into_iter().find(|s| {
                    s.username
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(name))
                });
                standing.ok_or_else(|| debrief_store::StoreError::NoStakeholder(missing).into())
            }
            found => Ok(found?),
        }
    }

    /// The team's enabled accounts as anyone who reads incidents may know them (their user
    /// name and display name, nothing else): to name people, invite them, spot them in text.
    pub async fn colleagues(&self, caller: &Caller) -> Result<Vec<(String, String)>> {
        caller.may(Action::ReadIncidents)?;
        Ok(self
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| (u.username.as_str().to_string(), u.display_name))
            .collect())
    }

    /// Adds a person or group to the directory (managers and admins).
    pub async fn add_stakeholder(
        &self,
        caller: &Caller,
        new: NewStakeholder,
    ) -> Result<Stakeholder> {
        caller.may(Action::ManageDirectory)?;
        Ok(self
            .store
            .add_stakeholder(new, caller.actor().as_str())
            .await?)
    }

    /// The notification rules.
    pub async fn rules(&self, caller: &Caller) -> Result<Vec<StoredRule>> {
        caller.may(Action::ReadIncidents)?;
        Ok(self.store.list_rules().await?)
    }

    /// Adds a notification rule (managers and admins); its stakeholder must be in the directory,
    /// and the rule names it as the directory does.
    pub async fn add_rule(&self, caller: &Caller, rule: NotificationRule) -> Result<StoredRule> {
        caller.may(Action::ManageDirectory)?;
        let to = self.store.stakeholder(&rule.stakeholder).await?;
        let rule = NotificationRule {
            stakeholder: to.name,
            ..rule
        };
        Ok(self.store.add_rule(rule, caller.actor().as_str()).await?)
    }

    /// Removes a notification rule (managers and admins); decisions already recorded on
    /// incidents stay.
    pub async fn delete_rule(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.may(Action::ManageDirectory)?;
        Ok(self.store.delete_rule(id).await?)
    }

    /// Publishes a new version of a playbook (a manager). From an incident's recommendation,
    /// the version names the incident and the recommendation is marked done; both are checked
    /// before anything is written.
    pub async fn publish_playbook(
        &self,
        caller: &Caller,
        new: PublishPlaybook,
    ) -> Result<PlaybookVersion> {
        caller.may(Action::ManagePlaybooks)?;
        // The one rule for typed text, on every channel: line breaks normalised, no control
        // character.
        // A Markdown document ends with a line break, so that a line added at its end by
        // whoever edits it next is a line of its own.
        let body = debrief_domain::text::clean(
            "body",
            &new.body,
            256 * 1024,
            debrief_domain::text::Lines::Many,
        )? + "\n";
        let doc = parse_playbook(&body)?;
        if doc.slug != new.slug {
            return Err(DomainError::InvalidField {
                field: "slug",
                problem: format!(
                    "is `{}` in the playbook's header and `{}` in the address; they must agree",
                    doc.slug, new.slug
                ),
            }
            .into());
        }
        let incident = match &new.from_incident {
            Some(r) => Some(self.incident(caller, r).await?),
            None => None,
        };
        if new.recommendation.is_some() && incident.is_none() {
            return Err(DomainError::InvalidField {
                field: "recommendation",
                problem: "belongs to an incident: name the incident it comes from too".into(),
            }
            .into());
        }
        if let (Some(i), Some(id)) = (&incident, new.recommendation) {
            Need::Work.check(caller, i)?;
            let r = i
                .recommendations
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| DomainError::InvalidField {
                    field: "recommendation",
                    problem: format!("{id}: #{} has no such recommendation", i.number),
                })?;
            if !matches!(
                r.status,
                RecommendationStatus::Open | RecommendationStatus::InProgress
            ) {
                return Err(DomainError::InvalidField {
                    field: "recommendation",
                    problem: format!(
                        "{id} of #{} is {}; only an open one can be answered by a new version",
                        i.number, r.status
                    ),
                }
                .into());
            }
        }
        let published = self
            .store
            .publish_playbook(NewPlaybookVersion {
                slug: doc.slug.clone(),
                lang: doc.lang.as_str().into(),
                title: doc.title.clone(),
                body,
                published_by: caller.actor().as_str().into(),
                from_incident: incident.as_ref().map(|i| i.number),
                note: new.note.trim().to_string(),
            })
            .await?;
        if let (Some(i), Some(id)) = (&incident, new.recommendation) {
            let reason = format!(
                "playbook {} version {} published",
                doc.slug, published.version
            );
            self.execute(caller, i.id, Need::Work, None, |c| {
                c.change_recommendation_status(id, RecommendationStatus::Done, &reason)
                    .map(|e| vec![e])
            })
            .await?;
        }
        Ok(published)
    }

    /// The latest version of every playbook, in both languages.
    pub async fn playbooks(&self, caller: &Caller) -> Result<Vec<PlaybookVersion>> {
        caller.may(Action::ReadIncidents)?;
        Ok(self.store.list_playbooks().await?)
    }

    /// A version of a playbook in `lang` (the latest when `version` is `None`).
    pub async fn playbook(
        &self,
        caller: &Caller,
        slug: &str,
        lang: Language,
        version: Option<i64>,
    ) -> Result<PlaybookVersion> {
        caller.may(Action::ReadIncidents)?;
        Ok(self.store.playbook(slug, lang.as_str(), version).await?)
    }

    /// Every version of a playbook in `lang`, the history a page lists.
    pub async fn playbook_versions(
        &self,
        caller: &Caller,
        slug: &str,
        lang: Language,
    ) -> Result<Vec<PlaybookVersion>> {
        caller.may(Action::ReadIncidents)?;
        Ok(self.store.playbook_versions(slug, lang.as_str()).await?)
    }

    /// The latest playbooks in `lang` that match `incident` (its class, type and severity) and
    /// are not applied to it yet, each with its parsed steps: the one rule the API, the pages
    /// and the CLI suggest playbooks by.
    pub async fn suggested_playbooks(
        &self,
        caller: &Caller,
        incident: &Incident,
        lang: Language,
    ) -> Result<Vec<(PlaybookVersion, PlaybookDoc)>> {
        caller.may(Action::ReadIncidents)?;
        let class = incident.classification.as_ref();
        let level = incident.severity.as_ref().map(|a| a.level);
        let mut out = Vec::new();
        for v in self.store.list_playbooks().await? {
            if v.lang != lang.as_str() || incident.playbooks.iter().any(|p| p.slug == v.slug) {
                continue;
            }
            // Every stored version was parsed when it was published.
            let doc = parse_playbook(&v.body).map_err(|e| {
                debrief_store::StoreError::Corrupt(format!(
                    "playbook {} version {} no longer reads: {e}",
                    v.slug, v.version
                ))
            })?;
            if doc.matches(
                class.map(|c| c.class.as_str()),
                class.map(|c| c.kind.as_str()),
                level,
            ) {
                out.push((v, doc));
            }
        }
        Ok(out)
    }

    /// Publishes `starters` (Markdown playbooks) when the store has none yet, under the name
    /// `debrief`; returns how many were published.
    pub async fn seed_playbooks(&self, starters: &[&str]) -> Result<usize> {
        if !self.store.list_playbooks().await?.is_empty() {
            return Ok(0);
        }
        let debrief = Caller::worker("debrief");
        for text in starters {
            let doc = parse_playbook(text)?;
            self.publish_playbook(
                &debrief,
                PublishPlaybook {
                    slug: doc.slug,
                    body: (*text).to_string(),
                    from_incident: None,
                    recommendation: None,
                    note: "starter playbook".into(),
                },
            )
            .await?;
        }
        Ok(starters.len())
    }

    /// Records a confirmed maturity answer (managers and admins), dated now and signed by the
    /// caller; earlier answers stay as the history.
    pub async fn confirm_samm_answer(&self, caller: &Caller, answer: SammAnswer) -> Result<()> {
        caller.may(Action::AssessProgram)?;
        let note = debrief_domain::text::Reason::parse(&answer.note)?.into_inner();
        self.store
            .add_samm_answer(Confirmed {
                question: answer.question,
                answer: answer.answer,
                value: answer.value,
                note,
                by: caller.actor().as_str().to_string(),
                at: Timestamp::now(),
            })
            .await?;
        Ok(())
    }

    /// Takes alerts in from an integration (handlers and managers): one transaction, all stored
    /// or none; repeats within `group_window` seconds are grouped.
    pub async fn receive_alerts(
        &self,
        caller: &Caller,
        alerts: Vec<NewAlert>,
        group_window: i64,
    ) -> Result<Vec<Receipt>> {
        caller.may(Action::SendAlerts)?;
        Ok(self
            .store
            .receive_alerts(
                alerts,
                caller.actor().as_str(),
                Timestamp::now(),
                group_window,
            )
            .await?)
    }

    /// Takes one alert in from an integration (handlers and managers).
    pub async fn receive_alert(
        &self,
        caller: &Caller,
        alert: NewAlert,
        group_window: i64,
    ) -> Result<Receipt> {
        caller.may(Action::SendAlerts)?;
        Ok(self
            .store
            .receive_alert(
                alert,
                caller.actor().as_str(),
                Timestamp::now(),
                group_window,
            )
            .await?)
    }

    /// A person reports a suspected incident (anyone signed in: people are the first
    /// detectors); it arrives as an alert, never grouped with another.
    pub async fn report_suspicion(&self, caller: &Caller, alert: NewAlert) -> Result<Receipt> {
        caller.may(Action::ReportSuspicion)?;
        Ok(self
            .store
            .receive_alert(alert, caller.actor().as_str(), Timestamp::now(), 0)
            .await?)
    }

    /// Records a read in the access log (a report, an export, an evidence file), under the
    /// caller's name.
    pub async fn record_access(&self, caller: &Caller, record: AccessRecord) -> Result<()> {
        let record = AccessRecord {
            actor: caller.actor().as_str().to_string(),
            ..record
        };
        Ok(self.store.record_access(record).await?)
    }

    /// The access log, newest first: managers and admins (it says what each person looked at),
    /// and a restricted incident's team for that incident's. Reads of incidents the caller may
    /// not know of are left out of the whole log.
    pub async fn access_log(
        &self,
        caller: &Caller,
        scope: AccessScope,
        limit: u32,
    ) -> Result<Vec<AccessRecord>> {
        match scope {
            AccessScope::Incident(id) => {
                let incident = self.store.incident(id).await?;
                self.check_visible(caller, &incident, &id.to_string())
                    .await?;
                if !incident.restricted {
                    caller.may(Action::ReadAccessLog)?;
                }
                Ok(self.store.access_log(scope, limit).await?)
            }
            AccessScope::All => {
                caller.may(Action::ReadAccessLog)?;
                let hidden = self.hidden(caller).await?;
                let mut all = self.store.access_log(scope, limit).await?;
                all.retain(|r| !r.incident_id.is_some_and(|id| hidden.id(&id)));
                Ok(all)
            }
        }
    }
}

/// Who an identity provider says signed in, with the role its groups map to.
#[derive(Debug, Clone)]
pub struct ProviderSignIn {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The provider's groups, as they are named there.
    pub groups: Vec<String>,
}

impl App {
    /// Counts one password check against each counter (a key and its checks per window) for
    /// the sign-in limiter, all or none, in turn across instances: `Ok(Err(seconds))` when one is
    /// used up. Before anyone is signed in, so there is no caller to authorise.
    pub async fn count_sign_in_check(
        &self,
        counters: &[(&str, u32)],
        window_seconds: i64,
        now_seconds: i64,
    ) -> Result<std::result::Result<(), u64>> {
        Ok(self
            .store
            .count_sign_in_check(counters, window_seconds, now_seconds)
            .await?)
    }

    /// Gives one check back to each key (a check that never ran; an address's successful one).
    pub async fn give_back_sign_in_check(&self, keys: &[&str]) -> Result<()> {
        Ok(self.store.give_back_sign_in_check(keys).await?)
    }

    /// Starts a key's count of checks again (a user who signed in).
    pub async fn clear_sign_in_checks(&self, key: &str) -> Result<()> {
        Ok(self.store.clear_sign_in_checks(key).await?)
    }

    /// A sign-in through the installation's identity provider (single sign-on): the account is
    /// created on the first one, and at each one its role and its groups follow what the
    /// provider says (groups the provider names are created). A disabled account stays out.
    pub async fn sign_in_from_provider(&self, who: ProviderSignIn) -> Result<User> {
        let username = debrief_domain::Username::parse(&who.username)?;
        let display = debrief_domain::text::Label::parse_as("display_name", &who.display_name)
            .map(|l| l.into_inner())
            .unwrap_or_else(|_| username.to_string());
        let user = match self.store.user_record(username.as_str()).await {
            Ok(r) if r.user.disabled => {
                return Err(debrief_domain::Denied(format!(
                    "the account `{username}` is disabled in Debrief; ask an admin"
                ))
                .into());
            }
            Ok(r) if r.user.role != who.role || r.user.display_name != display => {
                let changes = UserChanges {
                    role: Some(who.role),
                    display_name: Some(display),
                    ..Default::default()
                };
                let u = self.store.update_user(username.as_str(), changes).await?;
                tracing::info!(user = %u.username, role = %u.role, "role and name follow the identity provider");
                u
            }
            Ok(r) => r.user,
            Err(debrief_store::StoreError::NoUser(_)) => {
                let created = self
                    .store
                    .create_user(NewUser {
                        username: username.clone(),
                        display_name: display,
                        role: who.role,
                        // No password signs in to this account: it is the provider's.
                        password_hash: "!sso".into(),
                        language: None,
                        must_change_password: false,
                    })
                    .await?;
                tracing::info!(user = %created.username, role = %created.role, "account created at its first single sign-on");
                created
            }
            Err(e) => return Err(e.into()),
        };
        // Groups follow the provider's.
        let wanted: Vec<debrief_domain::access::GroupName> = who
            .groups
            .iter()
            .filter_map(|g| debrief_domain::access::GroupName::parse(g).ok())
            .collect();
        let existing: Vec<debrief_domain::access::GroupName> = self
            .store
            .list_groups()
            .await?
            .into_iter()
            .map(|g| g.name)
            .collect();
        for g in &wanted {
            if !existing.contains(g) {
                match self
                    .store
                    .create_group(g, "from the identity provider", "sso")
                    .await
                {
                    Ok(_) | Err(debrief_store::StoreError::Duplicate(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let now_in = self.store.groups_of(username.as_str()).await?;
        for g in wanted.iter().filter(|g| !now_in.contains(g)) {
            match self
                .store
                .add_group_member(g, username.as_str(), "sso")
                .await
            {
                Ok(()) | Err(debrief_store::StoreError::Duplicate(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for g in now_in.iter().filter(|g| !wanted.contains(g)) {
            self.store.remove_group_member(g, username.as_str()).await?;
        }
        Ok(user)
    }
}

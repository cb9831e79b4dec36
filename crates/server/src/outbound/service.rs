//! The notification services every front end calls (the API and the pages alike): send a message,
//! retry a failed delivery, the rules' proposals rendered, and a manager's decision on one (send
//! as proposed or edited, or skip with a reason). They load and write through the application
//! layer; the front ends only translate their requests and answers.

use axum::http::StatusCode;
use debrief_domain::notify::{Attempt, Delivery, NotificationRule, Proposal, ProposalState};
use debrief_domain::{Action, Incident, Timestamp, authorize};
use debrief_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Prepared;
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

/// A message to send: to a directory entry or e-mail addresses, by e-mail or webhook.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The regime and step it discharges, if any.
    #[serde(default)]
    pub regime: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    /// E-mail addresses, when no directory entry is given (e-mail only).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// `email` or `webhook`.
    pub channel: String,
    /// A directory entry (name or id); required for a webhook.
    #[serde(default)]
    pub stakeholder: Option<String>,
    /// The subject, and the line the record keeps.
    pub summary: String,
    /// The message.
    pub text: String,
    #[serde(default)]
    pub late_reason: String,
}

/// A proposal sent as proposed, or with its subject or text edited.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalSendRequest {
    /// An edited subject (the proposal's when absent).
    #[serde(default)]
    pub subject: Option<String>,
    /// An edited text (the proposal's when absent).
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub late_reason: String,
}

/// Why a proposal is not sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipRequest {
    pub reason: String,
}

/// A proposal with its message rendered for the stakeholder's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub proposal: Proposal,
    /// `email` or `webhook` (e-mail when the entry has both).
    pub channel: Option<String>,
    pub language: Option<String>,
    pub subject: Option<String>,
    pub text: Option<String>,
    /// Why it cannot be sent as it stands (no such directory entry, a template error).
    pub problem: Option<String>,
}

/// An incident the caller may read and work on.
async fn workable(state: &AppState, user: &Principal, reference: &str) -> ApiResult<Incident> {
    let incident = state.app.incident(&user.caller(), reference).await?;
    may(user, Action::WorkIncident(&incident))?;
    Ok(incident)
}

fn may(user: &Principal, action: Action<'_>) -> ApiResult<()> {
    authorize(user.user.username.as_str(), user.user.role, action).map_err(ApiError::from)
}

/// Records an outcome on the incident through the application layer.
async fn record(
    state: &AppState,
    user: &Principal,
    incident: &Incident,
    decide: impl Fn(&Incident) -> Result<Vec<debrief_domain::Event>, debrief_domain::DomainError>
    + Send
    + Sync,
) -> ApiResult<Incident> {
    Ok(state
        .app
        .execute(
            &user.caller(),
            incident.id,
            debrief_app::Need::Work,
            None,
            decide,
        )
        .await?)
}

/// Delivers a prepared message and records it on the incident, delivered or not (checked
/// before anything is sent: an unknown step, a discharged one, a missing late reason); a failed
/// delivery is queued for the retry worker. Answers the incident and how the delivery went.
pub(super) async fn deliver_and_record(
    state: &AppState,
    user: &Principal,
    incident: &Incident,
    prepared: Prepared,
) -> ApiResult<(Incident, Result<String, String>)> {
    prepared.event(state, incident, Timestamp::now(), &Ok(String::new()))?;
    let outcome = super::deliver(state, &prepared.target, &prepared.content).await;
    let now = Timestamp::now();
    let i = record(state, user, incident, |c| {
        Ok(vec![prepared.event(state, c, now, &outcome)?])
    })
    .await?;
    if outcome.is_err() {
        state.pending.add(i.id);
    }
    Ok((i, outcome))
}

/// Sends a prepared message and records it, delivered or not; a failed delivery is answered
/// with 502 saying why.
async fn send_prepared(
    state: &AppState,
    user: &Principal,
    incident: &Incident,
    prepared: Prepared,
) -> ApiResult<Incident> {
    let channel = prepared.channel;
    match deliver_and_record(state, user, incident, prepared).await? {
        (i, Ok(_)) => Ok(i),
        (_, Err(why)) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "delivery-failed",
            format!(
                "the {channel} was not delivered ({why}); it is recorded as not delivered and will be retried on the server's schedule — check the directory entry or the relay"
            ),
        )),
    }
}

/// Sends a message from `user` on the incident `reference` and records it.
pub(crate) async fn send(
    state: &AppState,
    user: &Principal,
    reference: &str,
    req: SendRequest,
) -> ApiResult<Incident> {
    let incident = workable(state, user, reference).await?;
    let stakeholder = match req.stakeholder.as_deref() {
        Some(s) => Some(state.app.recipient(&user.caller(), s).await?),
        None => None,
    };
    let prepared = super::prepare(
        &incident,
        super::Request {
            channel: req.channel,
            stakeholder,
            addresses: req.recipients,
            subject: req.summary,
            text: req.text,
            regime: req.regime.filter(|r| !r.trim().is_empty()),
            step: req.step.filter(|s| !s.trim().is_empty()),
            rule: None,
            late_reason: req.late_reason,
            attachment: None,
        },
    )?;
    send_prepared(state, user, &incident, prepared).await
}

/// Tries again now to deliver notification `nid` (the same content to the same recipients; a
/// webhook's address as the directory has it now).
pub(crate) async fn retry(
    state: &AppState,
    user: &Principal,
    reference: &str,
    nid: u64,
) -> ApiResult<Incident> {
    let incident = workable(state, user, reference).await?;
    let Some(n) = incident.notifications.iter().find(|n| n.id == nid) else {
        return Err(ApiError::not_found(format!(
            "#{} has no notification {nid}",
            incident.number
        )));
    };
    if n.delivered() {
        return Err(ApiError::conflict(format!(
            "notification {nid} is already delivered"
        )));
    }
    let Some(content) = n.content.clone() else {
        return Err(ApiError::unprocessable(
            "this notification was recorded, not sent by Debrief: there is nothing to resend",
        ));
    };
    let target = super::target_of(state, n)
        .await
        .map_err(ApiError::unprocessable)?;
    let outcome = super::deliver(state, &target, &content).await;
    let delivery = Delivery::of(&outcome, Attempt::ByHand);
    let i = record(state, user, &incident, |c| {
        c.attempt_delivery(nid, &delivery, None)
    })
    .await?;
    match outcome {
        Ok(_) => Ok(i),
        Err(why) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "delivery-failed",
            format!("still not delivered ({why}); the attempt is recorded"),
        )),
    }
}

async fn rules(state: &AppState) -> ApiResult<Vec<(String, NotificationRule)>> {
    Ok(state
        .store
        .list_rules()
        .await?
        .into_iter()
        .map(|r| (r.id, r.rule))
        .collect())
}

/// The proposals of the rules for an incident, rendered.
pub(crate) async fn proposals(state: &AppState, i: &Incident) -> ApiResult<Vec<ProposalView>> {
    let rules = rules(state).await?;
    let mut out = Vec::new();
    for p in i.proposals(&rules) {
        let mut v = ProposalView {
            proposal: p,
            channel: None,
            language: None,
            subject: None,
            text: None,
            problem: None,
        };
        if v.proposal.state == ProposalState::Proposed {
            match state.store.stakeholder(&v.proposal.stakeholder).await {
                Ok(s) => {
                    let lang = s.language;
                    v.channel = Some(
                        if s.email.is_some() {
                            "email"
                        } else {
                            "webhook"
                        }
                        .into(),
                    );
                    v.language = Some(lang.as_str().into());
                    let ob = v.proposal.step.as_ref().and_then(|step| {
                        i.obligations(&state.config.regimes, Timestamp::now())
                            .into_iter()
                            .find(|o| {
                                Some(&o.regime) == v.proposal.regime.as_ref() && &o.step == step
                            })
                    });
                    match state.config.templates.render(
                        &v.proposal.template,
                        lang,
                        i,
                        &s.name,
                        ob.as_ref(),
                        &state.config.timezone,
                    ) {
                        Ok(r) => {
                            v.subject = Some(r.subject);
                            v.text = Some(r.text);
                        }
                        Err(e) => v.problem = Some(e),
                    }
                }
                Err(e) => v.problem = Some(e.to_string()),
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// The proposal of `rule` on `incident`, checked to be still open and sendable, as a message.
pub(crate) async fn prepare_proposal(
    state: &AppState,
    incident: &Incident,
    rule: &str,
    edit: ProposalSendRequest,
) -> ApiResult<Prepared> {
    let views = proposals(state, incident).await?;
    let Some(v) = views.into_iter().find(|v| v.proposal.rule == rule) else {
        if state.store.list_rules().await?.iter().all(|r| r.id != rule) {
            return Err(StoreError::NoRule(rule.to_string()).into());
        }
        return Err(ApiError::conflict(format!(
            "rule `{rule}` proposes nothing for #{} as it stands (its class, severity or flags do not match)",
            incident.number
        )));
    };
    if v.proposal.state != ProposalState::Proposed {
        return Err(ApiError::conflict(format!(
            "the notification to {} is already decided",
            v.proposal.stakeholder
        )));
    }
    if let Some(p) = v.problem {
        return Err(ApiError::unprocessable(p));
    }
    let stakeholder = state.store.stakeholder(&v.proposal.stakeholder).await?;
    super::prepare(
        incident,
        super::Request {
            channel: v.channel.unwrap_or_default(),
            stakeholder: Some(stakeholder),
            addresses: vec![],
            subject: edit.subject.or(v.subject).unwrap_or_default(),
            text: edit.text.or(v.text).unwrap_or_default(),
            regime: v.proposal.regime,
            step: v.proposal.step,
            rule: Some(v.proposal.rule),
            late_reason: edit.late_reason,
            attachment: None,
        },
    )
}

/// Sends the proposal of `rule`, as proposed or edited (managers).
pub(crate) async fn send_proposal(
    state: &AppState,
    user: &Principal,
    reference: &str,
    rule: &str,
    edit: ProposalSendRequest,
) -> ApiResult<Incident> {
    may(user, Action::DecideNotifications)?;
    let incident = workable(state, user, reference).await?;
    let prepared = prepare_proposal(state, &incident, rule, edit).await?;
    send_prepared(state, user, &incident, prepared).await
}

/// Decides not to send the proposal of `rule`, saying why (managers).
pub(crate) async fn skip_proposal(
    state: &AppState,
    user: &Principal,
    reference: &str,
    rule: &str,
    req: SkipRequest,
) -> ApiResult<Incident> {
    may(user, Action::DecideNotifications)?;
    let id = state.app.resolve(&user.caller(), reference).await?;
    let rules = rules(state).await?;
    if !rules.iter().any(|(r, _)| r == rule) {
        return Err(StoreError::NoRule(rule.to_string()).into());
    }
    Ok(state
        .app
        .execute(&user.caller(), id, debrief_app::Need::Work, None, |c| {
            Ok(vec![c.skip_proposal(&rules, rule, &req.reason)?])
        })
        .await?)
}

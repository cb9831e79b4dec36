//! Communicating the findings: the approved postmortem or final report sent to chosen directory
//! entries through their channel, each message recorded like any notification — and, before
//! approval, the invitation to the review meeting with the draft postmortem. The sealed
//! document is attached where the incident's marking reaches the entry (it is kept in the
//! evidence store by its SHA-256, which the recorded message names); otherwise the entry gets a
//! link to Debrief, where the reader signs in and need-to-know is checked again.

use std::collections::{BTreeSet, HashMap};

use debrief_domain::stakeholder::{Carry, ShareRefusal, carry};
use debrief_domain::{Action, Incident, Language};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Attachment, Request};
use crate::AppState;
use crate::api::reports::{Reader, export};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::i18n;
use debrief_store::stakeholders::Stakeholder;

/// Which report goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SharedReport {
    /// The postmortem report (the review, its root causes and recommendations).
    Postmortem,
    /// The final report (for executives, regulators, insurers).
    Final,
    /// The invitation to the review meeting, with the draft postmortem report and a link to
    /// give one's input before it.
    Invitation,
}

impl SharedReport {
    fn kind(self) -> debrief_report::ReportKind {
        match self {
            SharedReport::Postmortem | SharedReport::Invitation => {
                debrief_report::ReportKind::Postmortem
            }
            SharedReport::Final => debrief_report::ReportKind::Final,
        }
    }

    /// Where a linked reader finds it.
    fn page(self, number: i64) -> String {
        match self {
            SharedReport::Postmortem => format!("/incidents/{number}/postmortem"),
            SharedReport::Final => format!("/incidents/{number}"),
            SharedReport::Invitation => format!("/incidents/{number}/postmortem#input-form"),
        }
    }
}

/// The findings to send: which report, to which directory entries, with a few words of the
/// sender's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    pub report: SharedReport,
    /// Directory entries, by name or id.
    #[schema(min_items = 1)]
    pub to: Vec<String>,
    /// Put before the standard text of the message.
    #[serde(default)]
    pub note: String,
}

/// How the report went to one entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shared {
    /// The directory entry.
    pub to: String,
    /// `attached` (the sealed document) or `link` (to read it in Debrief).
    #[schema(value_type = String)]
    pub carried: Carry,
    /// `email` or `webhook`.
    pub channel: String,
    pub delivered: bool,
    /// The relay's answer, or why it was not delivered (retried on the server's schedule).
    pub detail: String,
}

/// Why nothing was sent.
#[derive(Debug)]
pub enum ShareError {
    /// Entries the report may not go to, each with why; nothing was sent to anyone.
    Refused(Vec<(String, ShareRefusal)>),
    /// A rule of the domain (the postmortem is not approved).
    Domain(debrief_domain::DomainError),
    Api(ApiError),
}

impl From<ApiError> for ShareError {
    fn from(e: ApiError) -> Self {
        ShareError::Api(e)
    }
}

impl From<debrief_app::AppError> for ShareError {
    fn from(e: debrief_app::AppError) -> Self {
        ShareError::Api(e.into())
    }
}

impl From<ShareError> for ApiError {
    fn from(e: ShareError) -> Self {
        match e {
            ShareError::Api(e) => e,
            ShareError::Domain(e) => e.into(),
            ShareError::Refused(list) => ApiError::unprocessable(format!(
                "nothing was sent: {}",
                list.iter()
                    .map(|(to, why)| format!("to `{to}`, {why}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
}

impl ShareError {
    /// Why each entry was refused, in the reader's words (the pages); other errors as the API
    /// says them.
    pub fn say(&self, lang: Language) -> String {
        match self {
            ShareError::Api(e) => e.detail.clone(),
            ShareError::Domain(e) => e.to_string(),
            ShareError::Refused(list) => list
                .iter()
                .map(|(to, why)| {
                    let (key, mut args) = why.key();
                    // The entry's scope in the reader's words, never its code.
                    for (name, value) in args.iter_mut() {
                        if *name == "scope" {
                            *value = i18n::t(lang, &format!("share-scope-{value}"), &[]);
                        }
                    }
                    args.push(("to", to.clone()));
                    i18n::t(lang, key, &args)
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// The format documents are attached in: PDF where this build typesets, else HTML.
const FORMAT: (debrief_report::ReportFormat, &str) = if cfg!(feature = "pdf") {
    (debrief_report::ReportFormat::Pdf, "application/pdf")
} else {
    (debrief_report::ReportFormat::Html, "text/html")
};

/// Sends the approved report of `reference` (or, before approval, the invitation to the review
/// meeting with the draft) to the entries `req.to` (managers): every entry is
/// checked first (it exists, the marking lets the report reach it), then each gets its message
/// in its own language; each message is recorded on the incident, delivered or not (a failed
/// one is retried on the server's schedule).
pub async fn share(
    state: &AppState,
    user: &Principal,
    reference: &str,
    req: ShareRequest,
) -> Result<(Incident, Vec<Shared>), ShareError> {
    let caller = user.caller();
    caller
        .may(Action::DecideNotifications)
        .map_err(ApiError::from)?;
    let incident = state.app.incident(&caller, reference).await?;
    caller
        .may(Action::WorkIncident(&incident))
        .map_err(ApiError::from)?;
    match req.report {
        SharedReport::Postmortem => {
            incident.check_findings_approved("sending the postmortem report")
        }
        SharedReport::Final => incident.check_findings_approved("sending the final report"),
        SharedReport::Invitation => incident.check_invitation().map(|_| ()),
    }
    .map_err(ShareError::Domain)?;
    let names: BTreeSet<&str> = req
        .to
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(ApiError::unprocessable(
            "choose at least one directory entry to send the report to (`to`)",
        )
        .into());
    }
    // Every entry is checked before anything goes out.
    let mut plans = Vec::new();
    let mut refused = Vec::new();
    let colleagues = state.app.colleagues(&caller).await?;
    for name in names {
        let entry = match state.app.recipient(&caller, name).await {
            Ok(entry) => entry,
            // A team account with no entry standing for it: named, but not reachable.
            Err(debrief_app::AppError::Store(debrief_store::StoreError::NoStakeholder(_)))
                if colleagues.iter().any(|(u, _)| u.eq_ignore_ascii_case(name)) =>
            {
                refused.push((
                    name.to_string(),
                    ShareRefusal::AccountWithoutEntry {
                        username: name.to_lowercase(),
                    },
                ));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match how(state, &incident, &entry).await? {
            Ok(how) => plans.push((entry, how)),
            Err(why) => refused.push((entry.name.clone(), why)),
        }
    }
    if !refused.is_empty() {
        return Err(ShareError::Refused(refused));
    }
    // One sealed document per language among the entries it is attached for.
    let reader = Reader::of(user);
    let mut documents: HashMap<Language, Attachment> = HashMap::new();
    for (entry, how) in &plans {
        let lang = entry.language;
        if *how != Carry::Attached || documents.contains_key(&lang) {
            continue;
        }
        let bytes = export(state, &reader, &incident, req.report.kind(), FORMAT.0, lang).await?;
        documents.insert(
            lang,
            keep(state, &incident, req.report, lang, &bytes).await?,
        );
    }
    let mut outcomes = Vec::new();
    let mut current = incident;
    for (entry, how) in plans {
        let lang = entry.language;
        let (subject, text) = message(state, user, &current, req.report, how, lang, &req.note);
        let channel = if entry.email.is_some() {
            "email"
        } else {
            "webhook"
        };
        let name = entry.name.clone();
        let prepared = super::prepare(
            &current,
            Request {
                channel: channel.into(),
                stakeholder: Some(entry),
                subject,
                text,
                attachment: match how {
                    Carry::Attached => documents.get(&lang).cloned(),
                    Carry::Link => None,
                },
                ..Request::default()
            },
        )?;
        let (i, outcome) =
            super::service::deliver_and_record(state, user, &current, prepared).await?;
        current = i;
        outcomes.push(Shared {
            to: name,
            carried: how,
            channel: channel.into(),
            delivered: outcome.is_ok(),
            detail: outcome.unwrap_or_else(|e| e),
        });
    }
    Ok((current, outcomes))
}

/// How the report would go to `entry`, or why it may not.
async fn how(
    state: &AppState,
    incident: &Incident,
    entry: &Stakeholder,
) -> ApiResult<Result<Carry, ShareRefusal>> {
    let account = match &entry.username {
        Some(u) => Some((u.as_str(), state.app.account_may_see(incident, u).await?)),
        None => None,
    };
    Ok(carry(
        incident.tlp,
        entry.scope,
        entry.email.is_some(),
        account,
    ))
}

/// A directory entry as the sharing form offers it: how the report would reach it, or why
/// it may not (in the reader's words).
#[derive(Debug, Clone, Serialize)]
pub struct ShareOption {
    pub name: String,
    /// `internal` or `external`.
    pub scope: debrief_domain::stakeholder::Reach,
    /// `attached`, `link`, or none when refused.
    pub carried: Option<Carry>,
    pub refused: Option<String>,
}

/// The directory, each entry with how the approved report of `incident` would reach it; then
/// the team's accounts that no entry stands for, each with what to do to reach them.
pub async fn options(
    state: &AppState,
    user: &Principal,
    incident: &Incident,
    lang: Language,
) -> ApiResult<Vec<ShareOption>> {
    let mut out = Vec::new();
    let directory = state.app.directory(&user.caller()).await?;
    let stood_for: BTreeSet<String> = directory
        .iter()
        .filter_map(|e| e.username.as_deref().map(str::to_lowercase))
        .collect();
    let unreachable: Vec<ShareOption> = state
        .app
        .colleagues(&user.caller())
        .await?
        .into_iter()
        // The sender is not their own recipient.
        .filter(|(u, _)| !stood_for.contains(u) && u != user.user.username.as_str())
        .map(|(username, display)| {
            let shown = if display.trim().is_empty() {
                username.clone()
            } else {
                display
            };
            let why = ShareRefusal::AccountWithoutEntry {
                username: username.clone(),
            };
            ShareOption {
                name: username,
                scope: debrief_domain::stakeholder::Reach::Internal,
                carried: None,
                refused: Some(ShareError::Refused(vec![(shown, why)]).say(lang)),
            }
        })
        .collect();
    for entry in directory {
        let (carried, refused) = match how(state, incident, &entry).await? {
            Ok(c) => (Some(c), None),
            Err(why) => (
                None,
                Some(ShareError::Refused(vec![(entry.name.clone(), why)]).say(lang)),
            ),
        };
        out.push(ShareOption {
            name: entry.name,
            scope: entry.scope,
            carried,
            refused,
        });
    }
    out.extend(unreachable);
    Ok(out)
}

/// Keeps a sealed document in the evidence store, so that a retry sends the same bytes.
async fn keep(
    state: &AppState,
    incident: &Incident,
    report: SharedReport,
    lang: Language,
    bytes: &[u8],
) -> ApiResult<Attachment> {
    let store = debrief_store::blobs::BlobStore::of(&state.config.evidence_dir, &state.store);
    let failed = |e: debrief_store::blobs::BlobError| {
        tracing::error!(error = %e, "a report to send cannot be kept in the evidence store");
        ApiError::internal()
    };
    let mut w = store.writer(u64::MAX).await.map_err(failed)?;
    w.write(bytes).await.map_err(failed)?;
    let stored = w.finish().await.map_err(failed)?;
    Ok(Attachment {
        file: format!(
            "incident-{}-{}-{}.{}",
            incident.number,
            report.kind(),
            lang.as_str(),
            FORMAT.0
        ),
        mime: FORMAT.1.to_string(),
        sha256: stored.sha256,
    })
}

/// The subject and text of the message to one entry, in its language.
fn message(
    state: &AppState,
    user: &Principal,
    incident: &Incident,
    report: SharedReport,
    how: Carry,
    lang: Language,
    note: &str,
) -> (String, String) {
    let args = vec![
        ("number", incident.number.to_string()),
        ("who", user.user.username.as_str().to_string()),
        (
            "report",
            i18n::t(lang, &format!("share-report-{}", report.kind()), &[]),
        ),
        ("tlp", incident.tlp.marking()),
        (
            "at",
            incident
                .postmortem
                .review_at
                .map(|t| debrief_report::context::date(t, lang, &state.config.timezone))
                .unwrap_or_default(),
        ),
        (
            "link",
            format!(
                "{}{}",
                state.config.public_url.trim_end_matches('/'),
                report.page(incident.number)
            ),
        ),
    ];
    let (subject, body) = match (report, how) {
        (SharedReport::Invitation, Carry::Attached) => {
            ("share-subject-invitation", "share-body-invitation-attached")
        }
        (SharedReport::Invitation, Carry::Link) => {
            ("share-subject-invitation", "share-body-invitation-link")
        }
        (_, Carry::Attached) => ("share-subject", "share-body-attached"),
        (_, Carry::Link) => ("share-subject", "share-body-link"),
    };
    let (subject, body) = (i18n::t(lang, subject, &args), i18n::t(lang, body, &args));
    let note = note.trim();
    let text = if note.is_empty() {
        body
    } else {
        format!("{note}\n\n{body}")
    };
    (subject, text)
}

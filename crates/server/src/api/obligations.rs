//! Regulatory obligations through the API: the incident's flags and clocks, the obligations
//! they create (deadlines computed from the regimes table), notifications recorded against them,
//! and the board of what is due across incidents. Sending is in [`super::notify`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::obligation::{ClockStart, Obligation};
use debrief_domain::{Action, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::incidents::{Need, apply, check, load, resolve};
use super::{ApiJson, ApiQuery, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// An incident's regulatory position.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationsView {
    pub incident: i64,
    pub flags: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub obligations: Vec<Obligation>,
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<debrief_domain::obligation::NotificationRecord>,
    /// Deadline warnings sent to the lead and legal.
    #[schema(value_type = Vec<Object>)]
    pub escalations: Vec<debrief_domain::notify::Escalation>,
    /// What the regulators ask that only a person can state.
    #[schema(value_type = Object)]
    pub regulatory: debrief_domain::obligation::RegulatoryFacts,
}

pub(crate) fn view(state: &AppState, i: &debrief_domain::Incident) -> ObligationsView {
    ObligationsView {
        incident: i.number,
        flags: i.flags.iter().cloned().collect(),
        obligations: i.obligations(&state.config.regimes, Timestamp::now()),
        notifications: i.notifications.clone(),
        escalations: i.escalations.clone(),
        regulatory: i.regulatory.clone(),
    }
}

async fn change(
    state: &AppState,
    user: &ApiUser,
    reference: &str,
    decide: impl Fn(
        &debrief_domain::Incident,
    ) -> Result<Vec<debrief_domain::Event>, debrief_domain::DomainError>
    + Send
    + Sync,
) -> ApiResult<Json<ObligationsView>> {
    let id = resolve(state, user, reference).await?;
    let i = apply(state, user, id, None, Need::Work, decide).await?;
    Ok(Json(view(state, &i)))
}

/// The regulatory obligations of an incident: each step of each regime its flags make apply,
/// its deadline and state.
#[utoipa::path(operation_id = "incident_obligations", get, path = "/api/v1/incidents/{incident}/obligations", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = ObligationsView), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_obligations(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<ObligationsView>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(view(&state, &load(&state, &user, &reference).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagsRequest {
    /// personal_data, high_risk, significant, major_ict, material, phi, cyber_insurance_claim.
    pub flags: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

/// Set the incident's regulatory flags (which regimes apply).
#[utoipa::path(operation_id = "set_flags", post, path = "/api/v1/incidents/{incident}/flags", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = FlagsRequest,
    responses((status = 200, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_flags(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<FlagsRequest>,
) -> ApiResult<Json<ObligationsView>> {
    change(&state, &user, &reference, move |c| {
        c.set_flags(&req.flags, &req.reason).map(|e| vec![e])
    })
    .await
}

/// People of one category whose data was involved.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSubjects {
    /// Patients, customers, staff…
    pub category: String,
    /// Approximately how many.
    pub count: u64,
}

/// What the regulators ask that the record cannot derive (GDPR art. 33(3), NIS2 art. 23(4)).
/// Replaces what was stated before; a field left out is not stated (a gap in the drafts).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegulatoryFactsRequest {
    /// The data protection officer or other contact point (name, address, telephone).
    #[serde(default)]
    pub contact: String,
    /// Suspected of being caused by unlawful or malicious acts.
    #[serde(default)]
    pub malicious: Option<bool>,
    /// Has, or could have, an impact in other member states or countries.
    #[serde(default)]
    pub cross_border: Option<bool>,
    /// Which countries, and how.
    #[serde(default)]
    pub cross_border_detail: String,
    /// The people whose personal data was involved, by category (not the users whose work
    /// stopped: those are in the postmortem's impact).
    #[serde(default)]
    pub data_subjects: Vec<DataSubjects>,
    /// The likely consequences of the breach for those people.
    #[serde(default)]
    pub consequences: String,
    /// Measures taken or proposed to address the breach and mitigate its effects on them.
    #[serde(default)]
    pub measures_for_people: String,
}

impl From<RegulatoryFactsRequest> for debrief_domain::obligation::RegulatoryFacts {
    fn from(r: RegulatoryFactsRequest) -> Self {
        debrief_domain::obligation::RegulatoryFacts {
            contact: r.contact,
            malicious: r.malicious,
            cross_border: r.cross_border,
            cross_border_detail: r.cross_border_detail,
            data_subjects: r
                .data_subjects
                .into_iter()
                .map(|s| debrief_domain::postmortem::RecordCount {
                    category: s.category,
                    count: s.count,
                })
                .collect(),
            consequences: r.consequences,
            measures_for_people: r.measures_for_people,
        }
    }
}

/// State what the regulators ask that the record cannot derive: the contact point, whether the
/// act was malicious, its cross-border effect, the people concerned by category, the likely
/// consequences for them and the measures for them. The drafts use them; empty ones stay gaps.
#[utoipa::path(operation_id = "set_regulatory_facts", put, path = "/api/v1/incidents/{incident}/regulatory-facts", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = RegulatoryFactsRequest,
    responses((status = 200, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_regulatory_facts(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<RegulatoryFactsRequest>,
) -> ApiResult<Json<ObligationsView>> {
    let facts: debrief_domain::obligation::RegulatoryFacts = req.into();
    change(&state, &user, &reference, move |c| {
        c.set_regulatory_facts(facts.clone()).map(|e| vec![e])
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// `classified_major` or `materiality_determined` (awareness is the `aware_at` milestone).
    pub clock: String,
    /// RFC 3339.
    pub at: String,
    /// What establishes it (a decision record, minutes of a meeting).
    pub source: String,
}

/// State when a regulatory clock started.
#[utoipa::path(operation_id = "set_regulatory_clock", post, path = "/api/v1/incidents/{incident}/regulatory-clocks", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = ClockRequest,
    responses((status = 200, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_clock(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<ClockRequest>,
) -> ApiResult<Json<ObligationsView>> {
    let clock: ClockStart = serde_json::from_value(serde_json::Value::String(req.clock.clone()))
        .map_err(|_| {
            ApiError::unprocessable(format!(
                "`{}` is not a clock; use classified_major or materiality_determined",
                req.clock
            ))
        })?;
    let at = Timestamp::parse(&req.at)?;
    change(&state, &user, &reference, move |c| {
        c.set_regulatory_clock(clock, at, &req.source)
            .map(|e| vec![e])
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequest {
    /// The regime and step it discharges (`nis2` / `early-warning`), if any.
    #[serde(default)]
    pub regime: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    pub recipients: Vec<String>,
    /// email, webhook, phone, portal, letter, in-person.
    pub channel: String,
    /// What was said.
    pub summary: String,
    /// RFC 3339; now when absent.
    #[serde(default)]
    pub sent_at: Option<String>,
    /// Required when it discharges a step after its deadline.
    #[serde(default)]
    pub late_reason: String,
}

/// Record a notification made (a phone call, a portal submission…), possibly discharging a
/// regulatory step.
#[utoipa::path(operation_id = "record_notification", post, path = "/api/v1/incidents/{incident}/notifications", tag = "notifications",
    params(("incident" = String, Path, description = "Number or UUID")), request_body = NotificationRequest,
    responses((status = 201, body = ObligationsView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn record_notification(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiJson(req): ApiJson<NotificationRequest>,
) -> ApiResult<(StatusCode, Json<ObligationsView>)> {
    let sent_at = match req.sent_at.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => Timestamp::parse(t)?,
        None => Timestamp::now(),
    };
    if sent_at.seconds_since(Timestamp::now()) > 300 {
        return Err(ApiError::unprocessable("`sent_at` is in the future"));
    }
    let regimes = state.config.regimes.clone();
    let out = change(&state, &user, &reference, move |c| {
        c.record_notification(
            &regimes,
            req.regime.as_deref().filter(|r| !r.trim().is_empty()),
            req.step.as_deref().filter(|s| !s.trim().is_empty()),
            &req.recipients,
            &req.channel,
            &req.summary,
            sent_at,
            &req.late_reason,
        )
        .map(|e| vec![e])
    })
    .await?;
    Ok((StatusCode::CREATED, out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueParams {
    /// Obligations due within this many hours (24 when absent), plus every overdue one.
    pub within_hours: Option<i64>,
}

/// One line of the obligations board (the schema of [`debrief_app::DueObligation`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct DueItem {
    pub incident: i64,
    pub title: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub obligation: Obligation,
}

/// What is due across incidents: overdue first, then by deadline.
#[utoipa::path(operation_id = "obligations_due", get, path = "/api/v1/obligations", tag = "notifications", params(DueParams),
    responses((status = 200, body = Vec<DueItem>), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn due(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<DueParams>,
) -> ApiResult<Json<Vec<debrief_app::DueObligation>>> {
    let within = p.within_hours.unwrap_or(24);
    let within = u32::try_from(within)
        .ok()
        .filter(|h| *h <= 24 * 365)
        .ok_or_else(|| ApiError::bad_request("`within_hours` is 0 to 8760"))?;
    let due = state
        .app
        .obligations_due(
            &user.caller(),
            &state.config.regimes,
            Timestamp::now(),
            within,
        )
        .await?;
    Ok(Json(due))
}

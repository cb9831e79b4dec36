//! The TheHive 5 compatible subset: the routes, field names, numbers and answer shapes that
//! integrations written for TheHive (SIEM alerters, SOAR playbooks, thehive4py) use, served from
//! Debrief's alerts and incidents. An alert is a TheHive alert; an incident is a case. What the
//! subset covers and where it differs is in `docs/thehive.md`.

pub mod query;
mod shape;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use debrief_domain::alert::{
    AlertAction, AlertObservable, DismissReason, ObservableInput, pap_from_level,
    parse_observables, tlp_from_level,
};
use debrief_domain::event::{Field, Milestone};
use debrief_domain::record::ObservableFlags;
use debrief_domain::triage::{FunctionalImpact, InformationImpact, Recoverability};
use debrief_domain::{Action, Incident, NewIncident, Status, Timestamp};
use debrief_store::alerts::{Alert, AlertQuery, Intake};
use serde_json::{Map, Value, json};

use super::alerts::check_one;
use super::incidents::{Need, actor, apply, check, load};
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use shape::*;

/// The TheHive version Debrief answers as (the API generation the subset follows).
pub const THEHIVE_VERSION: &str = "5.2.0";

/// The subset's routes, nested under `/api/v1` beside Debrief's own.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alert", post(create_alert))
        .route("/alert/{id}", get(get_alert).patch(patch_alert))
        .route("/alert/{id}/observable", post(alert_observable))
        .route("/alert/{id}/case", post(alert_to_case))
        .route("/alert/{id}/merge/{case}", post(alert_merge))
        .route("/case", post(create_case))
        .route("/case/{id}", get(get_case).patch(patch_case))
        .route("/case/{id}/observable", post(case_observable))
        .route("/query", post(query))
}

/// TheHive clients read an error's `type` and `message`: every problem document answered on
/// these routes also carries `message` (the same text as `detail`).
pub async fn with_message(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return ApiError::internal().into_response();
    };
    // The document's members stay in their order; `message` is appended.
    let detail = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|d| d.get("detail").cloned())
        .unwrap_or(Value::Null);
    let mut out = bytes.to_vec();
    if out.last() == Some(&b'}') {
        out.pop();
        out.extend_from_slice(b",\"message\":");
        out.extend_from_slice(&serde_json::to_vec(&detail).unwrap_or_default());
        out.push(b'}');
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    Response::from_parts(parts, axum::body::Body::from(out))
}

/// `GET /api/status`: what TheHive clients probe before they start (no authentication, no data).
#[utoipa::path(operation_id = "thehive_status", get, path = "/api/status", tag = "thehive", responses((status = 200, body = Object, description = "versions")))]
pub async fn status() -> Json<Value> {
    Json(json!({
        "versions": {
            "TheHive": THEHIVE_VERSION,
            "Debrief": env!("CARGO_PKG_VERSION"),
            "Compatibility": "TheHive 5 API subset: alert, case, observable, query",
        },
        "config": {
            "authType": ["bearer", "basic", "session"],
            "capabilities": [],
            "ssoAutoLogin": false,
        }
    }))
}

// ---------------------------------------------------------------------------------------------
// Reading bodies

/// A JSON object body, or an empty one (some TheHive calls send none).
fn object(body: &Bytes) -> ApiResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(other) => Err(ApiError::bad_request(format!(
            "the body must be a JSON object, not {}",
            kind_of(&other)
        ))),
        Err(e) => Err(ApiError::bad_request(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Refuses the fields Debrief does not take on this route, before anything changes.
fn only(fields: &Map<String, Value>, allowed: &[&str], route: &str) -> ApiResult<()> {
    let extra: Vec<&str> = fields
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "{route}: Debrief does not take {}; it takes {}",
            extra
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
            allowed.join(", ")
        )))
    }
}

fn string_list(field: &str, v: &Value) -> ApiResult<Vec<String>> {
    serde_json::from_value(v.clone())
        .map_err(|_| ApiError::unprocessable(format!("`{field}` must be a list of strings")))
}

fn text_field<'a>(field: &str, v: &'a Value) -> ApiResult<&'a str> {
    v.as_str()
        .ok_or_else(|| ApiError::unprocessable(format!("`{field}` must be a string")))
}

fn level(field: &str, v: &Value) -> ApiResult<i64> {
    v.as_i64()
        .ok_or_else(|| ApiError::unprocessable(format!("`{field}` must be a number")))
}

/// Observables as TheHive sends them (`dataType`, `data` one value or a list), checked.
fn observables_from(
    body: &Map<String, Value>,
) -> ApiResult<(Vec<AlertObservable>, ObservableFlags)> {
    let input: ObservableInput =
        serde_json::from_value(Value::Object(body.clone())).map_err(|e| {
            ApiError::unprocessable(format!(
                "an observable is {{\"dataType\": …, \"data\": value or [values]}}: {e}"
            ))
        })?;
    let list = parse_observables(std::slice::from_ref(&input)).map_err(|problems| {
        ApiError::unprocessable(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    if list.is_empty() {
        return Err(ApiError::unprocessable("`data` holds no value"));
    }
    let flags = ObservableFlags {
        ioc: body.get("ioc").and_then(Value::as_bool).unwrap_or(false),
        sighted: body
            .get("sighted")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        tlp: body
            .get("tlp")
            .map(|v| level("tlp", v).and_then(|l| Ok(tlp_from_level(l)?)))
            .transpose()?,
        description: body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        first_seen: body
            .get("startDate")
            .map(|v| from_ms("startDate", v))
            .transpose()?,
        last_seen: None,
    };
    Ok((list, flags))
}

// ---------------------------------------------------------------------------------------------
// Alerts

/// `POST /api/v1/alert`: a TheHive alert in. The same type/source/sourceRef again updates that
/// alert and counts the repeat (201 when new, 200 when it was a repeat or joined a group).
#[utoipa::path(operation_id = "thehive_create_alert", post, path = "/api/v1/alert", tag = "thehive", request_body(content = Object, description = "TheHive InputAlert"), responses((status = 201, body = Object, description = "OutputAlert, new"), (status = 200, body = Object, description = "OutputAlert, a repeat counted"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn create_alert(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Response> {
    check(&user, Action::SendAlerts)?;
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "send the alert as a JSON object (TheHive's InputAlert)",
        ));
    }
    let new = check_one(body)
        .map_err(|e| ApiError::unprocessable(format!("the alert was not stored: {e}")))?;
    let receipt = state
        .intake
        .receive(
            &state.store,
            state.config.alert_group_seconds,
            new,
            user.0.user.username.as_str(),
        )
        .await?;
    let code = if receipt.intake == Intake::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(alert_json(&receipt.alert))).into_response())
}

/// `GET /api/v1/alert/{id}`: by id or Debrief number (`12`, `A-12`).
#[utoipa::path(operation_id = "thehive_get_alert", get, path = "/api/v1/alert/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), responses((status = 200, body = Object, description = "OutputAlert"), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn get_alert(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    check(&user, Action::ReadAlerts)?;
    Ok(Json(alert_json(&state.store.alert(&id).await?)))
}

/// `PATCH /api/v1/alert/{id}`: `status` (InProgress acknowledges; FalsePositive, Ignored,
/// Duplicated dismiss; New reopens a dismissed alert) and `assignee`. The sender's own fields
/// change by sending the alert again with the same sourceRef.
#[utoipa::path(operation_id = "thehive_patch_alert", patch, path = "/api/v1/alert/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "status, assignee, summary"), responses((status = 200, body = Object, description = "OutputAlert"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn patch_alert(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let fields = object(&body)?;
    only(
        &fields,
        &["status", "assignee", "summary", "follow"],
        "PATCH /api/v1/alert (to change what the sender sent, send the alert again with the same type, source and sourceRef)",
    )?;
    check(&user, Action::TriageAlerts)?;
    let mut alert = state.store.alert(&id).await?;
    let note = fields
        .get("summary")
        .map(|v| text_field("summary", v).map(str::to_string))
        .transpose()?;
    // Everything is read and checked before the first change is written.
    let assignee = match fields.get("assignee") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(
            state.app.assignable(text_field("assignee", v)?).await?,
        )),
    };
    let action = match fields.get("status") {
        None => None,
        Some(v) => {
            let wanted = text_field("status", v)?;
            let default_note = || format!("set to {wanted} through the TheHive-compatible API");
            match wanted {
                "InProgress" if alert.status == debrief_domain::alert::AlertStatus::New => {
                    Some(AlertAction::Acknowledge)
                }
                "InProgress" => None,
                "New" if alert.status == debrief_domain::alert::AlertStatus::Dismissed => {
                    Some(AlertAction::Reopen {
                        reason: note.clone().unwrap_or_else(default_note),
                    })
                }
                "New" => None,
                "FalsePositive" | "Ignored" | "Duplicated" | "Other" => {
                    Some(AlertAction::Dismiss {
                        reason: match wanted {
                            "FalsePositive" => DismissReason::FalsePositive,
                            "Duplicated" => DismissReason::Duplicate,
                            _ => DismissReason::Benign,
                        },
                        note: note.clone().unwrap_or_else(default_note),
                    })
                }
                "Imported" | "TruePositive" => {
                    return Err(ApiError::unprocessable(
                        "an alert becomes Imported by promoting it (POST /api/v1/alert/{id}/case) or merging it into a case",
                    ));
                }
                other => {
                    return Err(ApiError::unprocessable(format!(
                        "alert status `{other}` is not one Debrief knows; use New, InProgress, FalsePositive, Ignored, Duplicated or Other"
                    )));
                }
            }
        }
    };
    if let Some(a) = &action {
        debrief_domain::alert::next_status(alert.status, a)?;
    }
    let caller = super::incidents::caller(&user)?;
    if let Some(to) = assignee
        && to != alert.assignee
    {
        alert = state
            .app
            .triage_alert(&caller, &alert.id, AlertAction::Assign { to })
            .await?;
    }
    if let Some(action) = action {
        alert = state.app.triage_alert(&caller, &alert.id, action).await?;
    }
    Ok(Json(alert_json(&alert)))
}

/// `POST /api/v1/alert/{id}/observable`: more observables on an open alert; answers the list.
#[utoipa::path(operation_id = "thehive_alert_observable", post, path = "/api/v1/alert/{id}/observable", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "InputObservable"), responses((status = 201, body = Object, description = "[OutputObservable]"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn alert_observable(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Vec<Value>>)> {
    check(&user, Action::TriageAlerts)?;
    let (list, _) = observables_from(&body)?;
    let alert = state
        .app
        .triage_alert(
            &super::incidents::caller(&user)?,
            &id,
            AlertAction::AddObservables(list.clone()),
        )
        .await?;
    let out = alert
        .observables
        .iter()
        .enumerate()
        .filter(|(_, o)| list.contains(o))
        .map(|(n, o)| alert_observable_json(&alert, n, o))
        .collect();
    Ok((StatusCode::CREATED, Json(out)))
}

/// `POST /api/v1/alert/{id}/case`: promote to a new case (incident); the optional body's case
/// fields (title, description, severity, tags, tlp, pap, assignee) are applied to it.
#[utoipa::path(operation_id = "thehive_alert_to_case", post, path = "/api/v1/alert/{id}/case", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Option<Object>, description = "optional case fields"), responses((status = 201, body = Object, description = "OutputCase"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn alert_to_case(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let fields = object(&body)?;
    only(&fields, CASE_FIELDS, "POST /api/v1/alert/{id}/case")?;
    check(&user, Action::TriageAlerts)?;
    check(&user, Action::CreateIncident)?;
    // Every case field is checked against the case the alert would open before it is promoted.
    let changes = CaseChanges::parse(&state, &fields).await?;
    let alert = state.store.alert(&id).await?;
    debrief_domain::alert::next_status(alert.status, &AlertAction::Promote)?;
    let who = actor(&user)?;
    changes.check_on(
        &state,
        &user,
        &debrief_app::alerts::promoted_incident(&alert)?.provisional(&who, Timestamp::now())?,
    )?;
    let (_, incident) = state
        .app
        .promote_alert(&super::incidents::caller(&user)?, &id)
        .await?;
    let incident = changes.apply(&state, &user, incident).await?;
    Ok((StatusCode::CREATED, Json(case_json(&incident))))
}

/// `POST /api/v1/alert/{id}/merge/{caseId}`: into an existing case.
#[utoipa::path(operation_id = "thehive_alert_merge", post, path = "/api/v1/alert/{id}/merge/{case}", tag = "thehive", params(("id" = String, Path, description = "id or number"), ("case" = String, Path, description = "the case: id or number")), responses((status = 200, body = Object, description = "OutputCase"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn alert_merge(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, case)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (_, incident) = state
        .app
        .merge_alert(&super::incidents::caller(&user)?, &id, &case)
        .await?;
    Ok(Json(case_json(&incident)))
}

// ---------------------------------------------------------------------------------------------
// Cases

/// The case fields Debrief takes, on creation and in PATCH.
const CASE_FIELDS: &[&str] = &[
    "title",
    "description",
    "severity",
    "startDate",
    "tags",
    "addTags",
    "removeTags",
    "flag",
    "tlp",
    "pap",
    "status",
    "assignee",
];

/// The impact factors a TheHive severity stands for: with the default matrix they score back to
/// the same TheHive severity (1 low, 2 medium, 3 high, 4 critical).
fn factors_for(severity: i64) -> ApiResult<(FunctionalImpact, InformationImpact, Recoverability)> {
    Ok(match severity {
        1 => (
            FunctionalImpact::Low,
            InformationImpact::None,
            Recoverability::Regular,
        ),
        2 => (
            FunctionalImpact::Medium,
            InformationImpact::None,
            Recoverability::Supplemented,
        ),
        3 => (
            FunctionalImpact::High,
            InformationImpact::None,
            Recoverability::Regular,
        ),
        4 => (
            FunctionalImpact::High,
            InformationImpact::Integrity,
            Recoverability::Extended,
        ),
        other => {
            return Err(ApiError::unprocessable(format!(
                "`severity` is {other}; use 1 (low), 2 (medium), 3 (high) or 4 (critical)"
            )));
        }
    })
}

/// TheHive case fields, read and checked — every one of them — before anything is written.
#[derive(Debug, Default)]
struct CaseChanges {
    title: Option<String>,
    description: Option<String>,
    severity: Option<(FunctionalImpact, InformationImpact, Recoverability)>,
    tlp: Option<debrief_domain::triage::Tlp>,
    pap: Option<debrief_domain::triage::Pap>,
    /// `tags`: the whole list (what is not in it goes).
    tags: Option<Vec<String>>,
    add_tags: Vec<String>,
    remove_tags: Vec<String>,
    status: Option<(Status, String)>,
    start: Option<Timestamp>,
    /// `assignee`: given (`Some`), to someone (`Some(Some)`) or to no one.
    assignee: Option<Option<String>>,
}

const CASE_WHY: &str = "through the TheHive-compatible API";

impl CaseChanges {
    /// Reads the case fields; an assignee must be a user a case can be given to.
    async fn parse(state: &AppState, fields: &Map<String, Value>) -> ApiResult<CaseChanges> {
        let text = |name: &str| {
            fields
                .get(name)
                .map(|v| text_field(name, v).map(str::to_string))
                .transpose()
        };
        let status = match fields
            .get("status")
            .map(|v| text_field("status", v))
            .transpose()?
        {
            None | Some("New") => None,
            Some("InProgress") => Some((Status::Triage, String::new())),
            Some(
                s @ ("TruePositive" | "FalsePositive" | "Indeterminate" | "Other" | "Duplicated"),
            ) => Some((Status::Closed, format!("closed as {s} {CASE_WHY}"))),
            Some(other) => {
                return Err(ApiError::unprocessable(format!(
                    "case status `{other}` is not one of New, InProgress, TruePositive, FalsePositive, Indeterminate, Other, Duplicated"
                )));
            }
        };
        let assignee = match fields.get("assignee") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => Some(Some(
                state.app.assignable(text_field("assignee", v)?).await?,
            )),
        };
        Ok(CaseChanges {
            title: text("title")?,
            description: text("description")?,
            severity: fields
                .get("severity")
                .map(|v| level("severity", v).and_then(factors_for))
                .transpose()?,
            tlp: fields
                .get("tlp")
                .map(|v| level("tlp", v).and_then(|l| Ok(tlp_from_level(l)?)))
                .transpose()?,
            pap: fields
                .get("pap")
                .map(|v| level("pap", v).and_then(|l| Ok(pap_from_level(l)?)))
                .transpose()?,
            tags: fields
                .get("tags")
                .map(|v| string_list("tags", v))
                .transpose()?,
            add_tags: fields
                .get("addTags")
                .map(|v| string_list("addTags", v))
                .transpose()?
                .unwrap_or_default(),
            remove_tags: fields
                .get("removeTags")
                .map(|v| string_list("removeTags", v))
                .transpose()?
                .unwrap_or_default(),
            status,
            start: fields
                .get("startDate")
                .map(|v| from_ms("startDate", v))
                .transpose()?,
            assignee,
        })
    }

    /// The events these changes make on `c` (a change to what it already is makes none).
    fn decide(
        &self,
        c: &Incident,
        matrix: &debrief_domain::triage::SeverityMatrix,
        now: Timestamp,
    ) -> Result<Vec<debrief_domain::Event>, debrief_domain::DomainError> {
        let mut out = Vec::new();
        let mut keep = |r: Result<debrief_domain::Event, debrief_domain::DomainError>| match r {
            Ok(e) => {
                out.push(e);
                Ok(())
            }
            Err(debrief_domain::DomainError::Unchanged(_)) => Ok(()),
            Err(e) => Err(e),
        };
        if let Some(t) = &self.title {
            keep(c.change_field(Field::Title, t, CASE_WHY))?;
        }
        if let Some(d) = &self.description {
            keep(c.change_field(Field::Summary, d, CASE_WHY))?;
        }
        if let Some((f, i, r)) = self.severity {
            let current = c
                .severity
                .as_ref()
                .map(|a| (a.functional, a.information, a.recoverability));
            if current != Some((f, i, r)) {
                keep(c.assess(matrix, f, i, r, CASE_WHY))?;
            }
        }
        if self.tlp.is_some() || self.pap.is_some() {
            keep(c.set_markings(self.tlp, self.pap))?;
        }
        let mut add = self.add_tags.clone();
        let mut remove = self.remove_tags.clone();
        if let Some(tags) = &self.tags {
            remove.extend(c.tags.iter().filter(|t| !tags.contains(t)).cloned());
            add.extend(tags.iter().cloned());
        }
        if !add.is_empty() || !remove.is_empty() {
            keep(c.change_tags(&add, &remove))?;
        }
        if let Some(at) = self.start
            && c.milestone(Milestone::Detected) != Some(at)
        {
            keep(c.set_milestone(Milestone::Detected, at, "TheHive startDate", CASE_WHY, now))?;
        }
        if let Some((to, reason)) = &self.status
            && c.status != *to
            && !(*to == Status::Triage && c.status != Status::New)
        {
            keep(c.transition(*to, reason))?;
        }
        Ok(out)
    }

    /// Whether `c`'s assignee would change.
    fn new_assignee<'a>(&'a self, c: &Incident) -> Option<Option<&'a str>> {
        match &self.assignee {
            Some(to) if to.as_deref() != c.assignee.as_deref() => Some(to.as_deref()),
            _ => None,
        }
    }

    /// Refuses these changes on `c` — rules and the caller's rights — without writing.
    fn check_on(&self, state: &AppState, user: &ApiUser, c: &Incident) -> ApiResult<()> {
        let who = super::incidents::caller(user)?;
        Need::Work.check(&who, c)?;
        self.decide(c, &state.config.severity, Timestamp::now())?;
        if let Some(to) = self.new_assignee(c) {
            Need::Assign(to).check(&who, c)?;
            c.assign(to, CASE_WHY)?;
        }
        Ok(())
    }

    /// Writes the changes on the incident, as journal entries by the caller.
    async fn apply(
        &self,
        state: &AppState,
        user: &ApiUser,
        incident: Incident,
    ) -> ApiResult<Incident> {
        let matrix = state.config.severity.clone();
        let mut incident = apply(state, user, incident.id, None, Need::Work, |c| {
            self.decide(c, &matrix, Timestamp::now())
        })
        .await?;
        if let Some(to) = self.new_assignee(&incident).map(|t| t.map(str::to_string)) {
            incident = apply(
                state,
                user,
                incident.id,
                None,
                Need::Assign(to.as_deref()),
                |c| c.assign(to.as_deref(), CASE_WHY).map(|e| vec![e]),
            )
            .await?;
        }
        Ok(incident)
    }
}

/// `POST /api/v1/case`: a new case (incident) with TheHive's fields.
#[utoipa::path(operation_id = "thehive_create_case", post, path = "/api/v1/case", tag = "thehive", request_body(content = Object, description = "TheHive InputCase"), responses((status = 201, body = Object, description = "OutputCase"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn create_case(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    only(&fields, CASE_FIELDS, "POST /api/v1/case")?;
    check(&user, Action::CreateIncident)?;
    let title = fields
        .get("title")
        .map(|v| text_field("title", v))
        .transpose()?
        .ok_or_else(|| ApiError::unprocessable("a case needs a `title`"))?;
    let description = fields
        .get("description")
        .map(|v| text_field("description", v))
        .transpose()?
        .unwrap_or("");
    let start = fields
        .get("startDate")
        .map(|v| from_ms("startDate", v))
        .transpose()?;
    let who = actor(&user)?;
    let new = NewIncident::parse(
        title,
        description,
        user.0.user.username.as_str(),
        "TheHive API",
        start,
    )?;
    let mut rest = fields.clone();
    for k in ["title", "description", "startDate"] {
        rest.remove(k);
    }
    // Every field is checked — against the case as it will be once opened — before the case
    // is created: a refused request writes nothing.
    let changes = CaseChanges::parse(&state, &rest).await?;
    changes.check_on(&state, &user, &new.provisional(&who, Timestamp::now())?)?;
    let created = state
        .app
        .create(&super::incidents::caller(&user)?, new)
        .await?;
    let incident = changes.apply(&state, &user, created.incident).await?;
    Ok((StatusCode::CREATED, Json(case_json(&incident))))
}

/// `GET /api/v1/case/{id}`: by id or number (`42`, `#42`).
#[utoipa::path(operation_id = "thehive_get_case", get, path = "/api/v1/case/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), responses((status = 200, body = Object, description = "OutputCase"), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn get_case(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(case_json(&load(&state, &user, &id).await?)))
}

/// `PATCH /api/v1/case/{id}`: TheHive's case fields, each change a journal entry.
#[utoipa::path(operation_id = "thehive_patch_case", patch, path = "/api/v1/case/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "case fields"), responses((status = 200, body = Object, description = "OutputCase"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn patch_case(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    only(&fields, CASE_FIELDS, "PATCH /api/v1/case")?;
    let incident = load(&state, &user, &id).await?;
    let changes = CaseChanges::parse(&state, &fields).await?;
    changes.check_on(&state, &user, &incident)?;
    let incident = changes.apply(&state, &user, incident).await?;
    Ok(Json(case_json(&incident)))
}

/// `POST /api/v1/case/{id}/observable`: observables on a case; answers the list created.
#[utoipa::path(operation_id = "thehive_case_observable", post, path = "/api/v1/case/{id}/observable", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "InputObservable"), responses((status = 201, body = Object, description = "[OutputObservable]"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn case_observable(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Vec<Value>>)> {
    let (list, flags) = observables_from(&body)?;
    let incident = load(&state, &user, &id).await?;
    let incident = apply(&state, &user, incident.id, None, Need::Work, |c| {
        list.iter()
            .map(|o| c.add_observable(o.kind, &o.value, &flags))
            .collect()
    })
    .await?;
    let out = incident
        .observables
        .iter()
        .filter(|o| list.iter().any(|l| l.kind == o.kind && l.value == o.value))
        .map(|o| case_observable_json(&incident, o))
        .collect();
    Ok((StatusCode::CREATED, Json(out)))
}

// ---------------------------------------------------------------------------------------------
// Query

/// Every alert, newest first, in pages of the store's largest size.
async fn all_alerts(state: &AppState) -> ApiResult<Vec<Alert>> {
    let mut out = Vec::new();
    loop {
        let page = state
            .store
            .list_alerts(&AlertQuery {
                statuses: Vec::new(),
                min_severity: None,
                limit: 1_000,
                offset: u32::try_from(out.len()).unwrap_or(u32::MAX),
            })
            .await?;
        let done = page.len() < 1_000;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// `POST /api/v1/query`: TheHive's query language over alerts, cases and their observables.
#[utoipa::path(operation_id = "thehive_query", post, path = "/api/v1/query", tag = "thehive", request_body(content = Object, description = "{\"query\": [steps]}"), responses((status = 200, body = Object, description = "objects, or a count"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn query(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let q = query::parse(&body).map_err(ApiError::bad_request)?;
    let items: Vec<Value> = match &q.source {
        query::Source::Alerts => {
            check(&user, Action::ReadAlerts)?;
            all_alerts(&state).await?.iter().map(alert_json).collect()
        }
        query::Source::Cases => {
            check(&user, Action::ReadIncidents)?;
            state
                .app
                .all(&user.caller())
                .await?
                .iter()
                .map(case_json)
                .collect()
        }
        query::Source::Alert { id, observables } => {
            check(&user, Action::ReadAlerts)?;
            let a = state.store.alert(id).await?;
            if *observables {
                a.observables
                    .iter()
                    .enumerate()
                    .map(|(n, o)| alert_observable_json(&a, n, o))
                    .collect()
            } else {
                vec![alert_json(&a)]
            }
        }
        query::Source::Case { id, observables } => {
            check(&user, Action::ReadIncidents)?;
            let i = load(&state, &user, id).await?;
            if *observables {
                i.observables
                    .iter()
                    .map(|o| case_observable_json(&i, o))
                    .collect()
            } else {
                vec![case_json(&i)]
            }
        }
    };
    Ok(Json(query::run(&q, items)))
}

//! The TheHive 5 compatible subset: the routes, field names, numbers and answer shapes that
//! integrations written for TheHive (SIEM alerters, SOAR playbooks, thehive4py) use, served from
//! Debrief's alerts and incidents. An alert is a TheHive alert; an incident is a case. What the
//! subset covers and where it differs is in `docs/thehive.md`.

mod alerts;
mod cases;
pub mod query;
mod shape;

pub use alerts::*;
pub use cases::*;

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
// Query

/// Every alert, newest first, in pages of the store's largest size.
async fn all_alerts(state: &AppState, user: &ApiUser) -> ApiResult<Vec<Alert>> {
    let mut out = Vec::new();
    loop {
        let page = state
            .app
            .alerts(
                &user.caller(),
                &AlertQuery {
                    statuses: Vec::new(),
                    min_severity: None,
                    limit: 1_000,
                    offset: u32::try_from(out.len()).unwrap_or(u32::MAX),
                    ..Default::default()
                },
            )
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
            all_alerts(&state, &user)
                .await?
                .iter()
                .map(alert_json)
                .collect()
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
            let a = state.app.alert(&user.caller(), id).await?;
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

//! The access log through the API: who read which report, export or evidence file, when and
//! from where — for one incident or the whole installation, as JSON or CSV (managers and admins).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use debrief_store::access::{AccessRecord, AccessScope};
use serde::Deserialize;
use utoipa::IntoParams;

use super::incidents::load;
use super::{ApiQuery, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// How many of the latest reads (1–10,000; 1,000 by default).
    pub limit: Option<u32>,
}

/// The access log as a spreadsheet: one row per read, newest first.
pub fn csv(records: &[AccessRecord]) -> Result<String, ApiError> {
    let mut w = debrief_report::tables::SafeWriter::new(Vec::new());
    let bad = |e: csv::Error| {
        tracing::error!(error = %e, "writing the access log as CSV failed");
        ApiError::internal()
    };
    w.row([
        "at", "actor", "action", "incident", "what", "sha256", "address",
    ])
    .map_err(bad)?;
    for r in records {
        w.row([
            r.at.to_string(),
            r.actor.clone(),
            r.action.clone(),
            r.number.map(|n| n.to_string()).unwrap_or_default(),
            r.what.clone(),
            r.sha256.clone().unwrap_or_default(),
            r.address.clone(),
        ])
        .map_err(bad)?;
    }
    String::from_utf8(w.into_inner().map_err(bad)?).map_err(|_| ApiError::internal())
}

async fn answer(
    state: &AppState,
    user: &ApiUser,
    scope: AccessScope,
    p: &AccessParams,
    file: &str,
) -> ApiResult<Response> {
    let limit = p.limit.unwrap_or(1_000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::bad_request("`limit` is from 1 to 10000"));
    }
    let records = state.app.access_log(&user.caller(), scope, limit).await?;
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(records).into_response()),
        "csv" => {
            let mut res = csv(&records)?.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(res)
        }
        other => Err(ApiError::bad_request(format!(
            "`format` is json or csv, not `{other}`"
        ))),
    }
}

/// Who read this incident's reports, exports and evidence files, newest first (managers and
/// admins).
#[utoipa::path(operation_id = "incident_access_log", get, path = "/api/v1/incidents/{incident}/access-log", tag = "reports",
    params(("incident" = String, Path, description = "Number or UUID"), AccessParams),
    responses((status = 200, description = "The reads: JSON, or text/csv for format=csv", content_type = "application/json"), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn incident_log(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiQuery(p): ApiQuery<AccessParams>,
) -> ApiResult<Response> {
    let incident = load(&state, &user, &reference).await?;
    let file = format!("incident-{}-access-log.csv", incident.number);
    answer(&state, &user, AccessScope::Incident(incident.id), &p, &file).await
}

/// Every read of the installation's reports, exports and evidence files, newest first
/// (managers and admins).
#[utoipa::path(operation_id = "access_log", get, path = "/api/v1/access-log", tag = "reports",
    params(AccessParams),
    responses((status = 200, description = "The reads: JSON, or text/csv for format=csv", content_type = "application/json"), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn all(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<AccessParams>,
) -> ApiResult<Response> {
    answer(&state, &user, AccessScope::All, &p, "access-log.csv").await
}

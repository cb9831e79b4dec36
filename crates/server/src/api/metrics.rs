//! Program metrics through the API: the figures over a period and filter, computed from the
//! facts kept beside each incident's projection (see `debrief_domain::metrics`).

use axum::Json;
use axum::extract::State;
use debrief_domain::Timestamp;
use debrief_domain::metrics::{Filter, Metrics};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiQuery, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MetricsParams {
    /// Incidents opened on or after (`2026-01-01` or RFC 3339).
    pub from: Option<String>,
    /// Incidents opened before (`2026-07-01` or RFC 3339).
    pub to: Option<String>,
    /// An ENISA class.
    pub class: Option<String>,
    /// A severity level, 0–5.
    pub severity: Option<String>,
    pub tag: Option<String>,
    /// A business unit in the incidents' scope.
    pub team: Option<String>,
    /// How far back an earlier incident of the same class makes one a recurrence (6 months when
    /// absent).
    pub recurrence_months: Option<u32>,
}

/// A date (`2026-01-01`, midnight UTC) or an RFC 3339 time.
pub fn parse_day(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    let t = text.trim();
    Timestamp::parse(t)
        .or_else(|_| Timestamp::parse(&format!("{t}T00:00:00Z")))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "`{field}` is `{t}`: give a date like 2026-01-01 or an RFC 3339 time"
            ))
        })
}

impl MetricsParams {
    fn nonempty(v: &Option<String>) -> Option<String> {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The filter these parameters describe.
    pub fn filter(&self) -> Result<Filter, ApiError> {
        let from = Self::nonempty(&self.from)
            .map(|t| parse_day("from", &t))
            .transpose()?;
        let to = Self::nonempty(&self.to)
            .map(|t| parse_day("to", &t))
            .transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && t <= f
        {
            return Err(ApiError::bad_request("`to` must be after `from`"));
        }
        let level = match Self::nonempty(&self.severity) {
            None => None,
            Some(l) => match l.parse::<u8>() {
                Ok(l) if l <= 5 => Some(l),
                _ => return Err(ApiError::bad_request("`severity` is a level from 0 to 5")),
            },
        };
        Ok(Filter {
            from,
            to,
            class: Self::nonempty(&self.class),
            level,
            tag: Self::nonempty(&self.tag),
            team: Self::nonempty(&self.team),
        })
    }
}

/// The figures for these parameters.
pub async fn figures(
    state: &AppState,
    caller: &debrief_app::Caller,
    p: &MetricsParams,
) -> ApiResult<Metrics> {
    let filter = p.filter()?;
    let months = p.recurrence_months.unwrap_or(6).min(120);
    Ok(state
        .app
        .metrics(caller, &filter, Timestamp::now(), months)
        .await?)
}

/// Program metrics over a period and filter: incidents handled by class, severity and status;
/// time per incident (elapsed and labour); actions by kind; MTTD, MTTA, MTTC, MTTR (recovery
/// and resolution) and dwell time as mean, median and p90 with the incidents missing a
/// timestamp; costs; notification compliance; recommendation completion; recurrence; a monthly
/// trend. Every figure lists the incidents behind it.
#[utoipa::path(operation_id = "metrics", get, path = "/api/v1/metrics", tag = "metrics", params(MetricsParams),
    responses((status = 200, body = Object), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_metrics(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<MetricsParams>,
) -> ApiResult<Json<Metrics>> {
    Ok(Json(figures(&state, &user.caller(), &p).await?))
}

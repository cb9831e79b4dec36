//! `POST /api/v1/events`: log events (NDJSON) evaluated against the enabled Sigma rules; each
//! match becomes an alert with the matching event and rule attached. The rules engine lives in
//! `debrief-detect`; the binary hands the server an [`EventDetector`] when it starts with rules,
//! so that this crate does not build the engine.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use debrief_domain::Action;
use debrief_store::alerts::Intake;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiUser;
use super::alerts::{MAX_BATCH, ReceiptView, check_one};
use super::incidents::check;
use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The largest NDJSON body `POST /api/v1/events` takes.
pub const MAX_EVENTS_BYTES: usize = 32 * 1024 * 1024;

/// What evaluating a body of events found.
#[derive(Debug, Default)]
pub struct Detections {
    /// Events read.
    pub events: u64,
    /// One alert payload (the intake shape of `POST /api/v1/alerts`) per match.
    pub alerts: Vec<serde_json::Value>,
}

/// Evaluates log events against rules. Implemented by the binary over `debrief-detect`.
pub trait EventDetector: Send + Sync + std::fmt::Debug {
    /// How many rules are enabled.
    fn rules(&self) -> usize;
    /// Evaluates JSON objects, one per line; `Err` names the first line that is not one, and
    /// then nothing is evaluated.
    fn detect(&self, ndjson: &[u8]) -> Result<Detections, String>;
}

/// What the events produced.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsView {
    pub events: u64,
    pub rules: usize,
    pub matches: usize,
    pub created: usize,
    pub repeated: usize,
    pub grouped: usize,
    /// The alerts, in the order of the matches.
    pub results: Vec<ReceiptView>,
}

/// Evaluate log events against the enabled Sigma rules: one JSON object per line (Sysmon /
/// Security field names, or EVTX-as-JSON). Every match becomes an alert of type `sigma`, source
/// `debrief-events`, with the rule and the event attached; the same event sent again counts a
/// repeat. A line that is not a JSON object refuses the whole body, and nothing is stored.
#[utoipa::path(operation_id = "evaluate_events", post, path = "/api/v1/events", tag = "alerts",
    request_body(content = String, content_type = "application/x-ndjson", description = "One JSON event per line"),
    responses((status = 200, body = EventsView), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn evaluate(
    State(state): State<AppState>,
    user: ApiUser,
    body: Bytes,
) -> ApiResult<Json<EventsView>> {
    check(&user, Action::SendAlerts)?;
    let Some(detector) = state.detector.clone() else {
        return Err(ApiError::conflict(
            "no Sigma rules are enabled on this server: start it with `debrief serve --rules DIR`",
        ));
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the body is empty: send log events as JSON objects, one per line",
        ));
    }
    let rules = detector.rules();
    let found = tokio::task::spawn_blocking(move || detector.detect(&body))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| ApiError::unprocessable(format!("nothing was evaluated: {e}")))?;
    let mut checked = Vec::with_capacity(found.alerts.len());
    for raw in found.alerts {
        // The detector makes what an event says fit an alert; should an event still make one
        // Debrief cannot take, the body is refused whole, saying why, and nothing is stored.
        checked.push(check_one(raw).map_err(|e| {
            tracing::warn!(error = %e, "a detection did not make a valid alert");
            ApiError::unprocessable(format!(
                "a matching event made an alert Debrief cannot take ({e}); nothing was stored"
            ))
        })?);
    }
    let matches = checked.len();
    let mut view = EventsView {
        events: found.events,
        rules,
        matches,
        created: 0,
        repeated: 0,
        grouped: 0,
        results: Vec::with_capacity(matches),
    };
    let mut rest = checked;
    while !rest.is_empty() {
        let chunk: Vec<_> = rest.drain(..rest.len().min(MAX_BATCH)).collect();
        let receipts = state
            .app
            .receive_alerts(&user.caller(), chunk, state.config.alert_group_seconds)
            .await?;
        for r in receipts {
            match r.intake {
                Intake::Created => view.created += 1,
                Intake::Repeated => view.repeated += 1,
                Intake::Grouped => view.grouped += 1,
            }
            view.results.push(ReceiptView::from(r));
        }
    }
    Ok(Json(view))
}

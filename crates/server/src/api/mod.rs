//! The JSON API under `/api/v1`: extractors that authenticate and parse into problem+json errors,
//! and the routes.

pub mod access;
pub mod alerts;
pub mod board;
pub mod contract;
pub mod docs;
pub mod dto;
pub mod events;
pub mod evidence;
pub mod incidents;
pub mod learn;
pub mod metrics;
pub mod notify;
pub mod obligations;
pub mod playbooks;
pub mod postmortem;
pub mod record;
pub mod reports;
pub mod samm;
pub mod team;
pub mod thehive;
pub mod users;
pub mod work;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{CSRF_HEADER, Principal, authenticate, same_secret};
use crate::error::{ApiError, Problem, problem_response};

/// A comma-separated query parameter (`status=new,triage`) as values; empty items are skipped,
/// an unknown one is the caller's error.
pub(crate) fn comma_list<T>(raw: Option<&str>) -> Result<Vec<T>, T::Err>
where
    T: std::str::FromStr,
{
    raw.unwrap_or("")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse())
        .collect()
}

/// A page size: 50 when absent, refused outside 1–500.
pub(crate) fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(50);
    if (1..=500).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::bad_request("`limit` must be between 1 and 500"))
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(docs::openapi_json))
        .route("/me", get(users::me).patch(users::update_me))
        .route("/me/password", post(users::change_password))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route(
            "/incidents/{incident}",
            get(incidents::get_one).patch(incidents::update),
        )
        .route(
            "/incidents/{incident}/transitions",
            post(incidents::transition),
        )
        .route("/incidents/{incident}/assignment", post(incidents::assign))
        .route(
            "/incidents/{incident}/milestones",
            post(incidents::set_milestone),
        )
        .route("/incidents/{incident}/journal", get(incidents::journal))
        .route("/incidents/{incident}/verify", get(incidents::verify))
        .route(
            "/incidents/{incident}/classification",
            post(record::classify),
        )
        .route("/incidents/{incident}/severity", post(record::assess))
        .route("/incidents/{incident}/markings", post(record::markings))
        .route("/incidents/{incident}/tags", post(record::tags))
        .route("/incidents/{incident}/scope", post(record::scope))
        .route("/incidents/{incident}/members", post(record::members))
        .route("/incidents/{incident}/access", post(team::set_access))
        .route("/incidents/{incident}/grants", post(team::grant))
        .route("/incidents/{incident}/break-glass", post(team::break_glass))
        .route(
            "/incidents/{incident}/grants/{grantee}",
            delete(team::revoke),
        )
        .route("/groups", get(team::groups).post(team::create_group))
        .route(
            "/users/{username}/sessions",
            get(users::sessions).delete(users::end_sessions),
        )
        .route(
            "/users/{username}/sessions/{id}",
            delete(users::end_session),
        )
        .route(
            "/users/{username}/second-factors",
            get(users::second_factors).delete(users::reset_second_factors),
        )
        .route(
            "/settings/second-factor",
            get(users::second_factor_policy).put(users::set_second_factor_policy),
        )
        .route("/groups/{group}/members", post(team::add_member))
        .route(
            "/groups/{group}/members/{username}",
            delete(team::remove_member),
        )
        .route(
            "/incidents/{incident}/observables",
            get(record::observables).post(record::add_observable),
        )
        .route(
            "/incidents/{incident}/observables/extract",
            post(record::extract),
        )
        .route(
            "/incidents/{incident}/observables/{id}",
            axum::routing::patch(record::update_observable),
        )
        .route(
            "/incidents/{incident}/timeline",
            get(record::timeline).post(record::add_timeline),
        )
        .route(
            "/incidents/{incident}/timeline/{id}/withdraw",
            post(record::withdraw_timeline),
        )
        .route(
            "/incidents/{incident}/evidence",
            get(evidence::list)
                .post(evidence::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/incidents/{incident}/evidence/{id}/content",
            get(evidence::download),
        )
        .route(
            "/incidents/{incident}/evidence/{id}/custody",
            post(evidence::custody),
        )
        .route("/incidents/{incident}/assets", post(work::add_asset))
        .route(
            "/incidents/{incident}/assets/{id}",
            axum::routing::patch(work::update_asset),
        )
        .route("/incidents/{incident}/actions", post(work::add_action))
        .route("/incidents/{incident}/tasks", post(work::add_task))
        .route(
            "/incidents/{incident}/tasks/{id}",
            axum::routing::patch(work::update_task),
        )
        .route("/incidents/{incident}/notes", post(work::add_note))
        .route("/incidents/{incident}/time", post(work::log_time))
        .route("/incidents/{incident}/work", get(work::work))
        .route(
            "/incidents/{incident}/postmortem",
            get(postmortem::get_postmortem).patch(postmortem::edit_postmortem),
        )
        .route(
            "/incidents/{incident}/postmortem/root-causes",
            post(postmortem::add_root_cause),
        )
        .route(
            "/incidents/{incident}/postmortem/inputs",
            post(postmortem::give_review_input),
        )
        .route(
            "/incidents/{incident}/postmortem/meeting",
            put(postmortem::record_review),
        )
        .route(
            "/incidents/{incident}/postmortem/root-causes/{id}",
            put(postmortem::update_root_cause),
        )
        .route(
            "/incidents/{incident}/postmortem/share",
            post(notify::share),
        )
        .route(
            "/incidents/{incident}/postmortem/readiness",
            get(postmortem::get_readiness),
        )
        .route(
            "/incidents/{incident}/postmortem/status",
            post(postmortem::postmortem_status),
        )
        .route(
            "/incidents/{incident}/recommendations",
            post(postmortem::add_recommendation),
        )
        .route(
            "/incidents/{incident}/recommendations/{id}",
            put(postmortem::update_recommendation),
        )
        .route(
            "/incidents/{incident}/recommendations/{id}/status",
            post(postmortem::recommendation_status),
        )
        .route(
            "/incidents/{incident}/info-requests",
            post(postmortem::request_info),
        )
        .route(
            "/incidents/{incident}/info-requests/{id}/answer",
            post(postmortem::answer_info),
        )
        .route("/recommendations", get(board::board))
        .route("/playbooks", get(playbooks::list))
        .route(
            "/incidents/{incident}/obligations",
            get(obligations::get_obligations),
        )
        .route("/incidents/{incident}/flags", post(obligations::set_flags))
        .route(
            "/incidents/{incident}/regulatory-facts",
            put(obligations::set_regulatory_facts),
        )
        .route(
            "/incidents/{incident}/regulatory-clocks",
            post(obligations::set_clock),
        )
        .route(
            "/incidents/{incident}/notifications",
            post(obligations::record_notification),
        )
        .route(
            "/incidents/{incident}/notifications/send",
            post(notify::send),
        )
        .route(
            "/incidents/{incident}/notifications/{id}/retry",
            post(notify::retry),
        )
        .route(
            "/incidents/{incident}/notifications/proposals",
            get(notify::get_proposals),
        )
        .route(
            "/incidents/{incident}/notifications/proposals/{rule}/send",
            post(notify::send_proposal),
        )
        .route(
            "/incidents/{incident}/notifications/proposals/{rule}/skip",
            post(notify::skip_proposal),
        )
        .route("/obligations", get(obligations::due))
        .route("/metrics", get(metrics::get_metrics))
        .route("/lessons", get(learn::get_lessons))
        .route("/samm", get(samm::get_assessment))
        .route(
            "/incidents/{incident}/reports/{kind}",
            get(reports::get_report),
        )
        .route("/incidents/{incident}/export", get(reports::get_export))
        .route("/reports/program", get(reports::get_program))
        .route(
            "/incidents/{incident}/access-log",
            get(access::incident_log),
        )
        .route("/access-log", get(access::all))
        .route("/samm/answers", post(samm::post_answer))
        .route("/incidents/{incident}/similar", get(learn::get_similar))
        .route("/incidents/{incident}/replay", get(learn::get_replay))
        .route(
            "/stakeholders",
            get(notify::stakeholders).post(notify::add_stakeholder),
        )
        .route(
            "/notification-rules",
            get(notify::list_rules).post(notify::add_rule),
        )
        .route("/notification-rules/{id}", delete(notify::delete_rule))
        .route("/playbooks/{slug}", get(playbooks::get_one))
        .route("/playbooks/{slug}/versions", post(playbooks::publish))
        .route(
            "/incidents/{incident}/playbooks",
            get(playbooks::for_incident).post(playbooks::apply_to_incident),
        )
        .route("/alerts", get(alerts::list).post(alerts::receive))
        .route(
            "/events",
            post(events::evaluate).layer(axum::extract::DefaultBodyLimit::max(
                events::MAX_EVENTS_BYTES,
            )),
        )
        .route("/alerts/{alert}", get(alerts::get_one))
        .route("/alerts/{alert}/history", get(alerts::history))
        .route("/alerts/{alert}/acknowledge", post(alerts::acknowledge))
        .route("/alerts/{alert}/dismiss", post(alerts::dismiss))
        .route("/alerts/{alert}/reopen", post(alerts::reopen))
        .route("/alerts/{alert}/promote", post(alerts::promote))
        .route("/alerts/{alert}/merge", post(alerts::merge))
        .route("/search", get(record::search))
        .route("/observables", get(record::sightings))
        .route("/taxonomy", get(record::taxonomy))
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/{username}",
            get(users::get_one).patch(users::update),
        )
        .merge(thehive::router().layer(axum::middleware::from_fn(thehive::with_message)))
        .fallback(api_not_found)
}

/// Liveness: answers without authentication, says nothing about the data.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta",
    responses((status = 200, description = "The server is up", body = dto::Health)))]
pub async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Json<dto::Health> {
    Json(dto::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        backend: state.store.backend().into(),
    })
}

async fn api_not_found(method: Method, uri: axum::extract::OriginalUri) -> ApiError {
    ApiError::not_found(format!(
        "no API route {method} {}; see /api/v1/openapi.json",
        uri.0.path()
    ))
}

/// The authenticated caller of an API route. Session-cookie callers must also send the CSRF
/// token in `X-CSRF-Token` on every method that changes something.
#[derive(Debug, Clone)]
pub struct ApiUser(pub Principal);

/// The handlers' shared functions take the caller as a [`Principal`], so the pages call them with
/// their own signed-in person instead of making an extractor by hand.
impl std::ops::Deref for ApiUser {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = match authenticate(parts, state).await {
            Ok(p) => p,
            Err(crate::auth::AuthError::TooManyAttempts(wait)) => {
                return Err(ApiError::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    format!(
                        "too many sign-in attempts for this account or address; try again in {} minutes",
                        wait.div_ceil(60)
                    ),
                ));
            }
            Err(crate::auth::AuthError::Store(e)) => return Err(e.into()),
        };
        let principal = principal.ok_or_else(|| {
            ApiError::unauthorized(
                "authentication required: send `Authorization: Bearer <token>` (create one with `debrief token create`) or sign in",
            )
        })?;
        if principal.stage != debrief_store::accounts::SessionStage::Full {
            return Err(ApiError::unauthorized(
                "the sign-in is not finished: give the second factor at /login/second-factor (or add one at /settings/second-factor)",
            ));
        }
        if let Some(expected) = &principal.csrf {
            // A browser session of an account whose password was given to it may only change it.
            if principal.user.must_change_password && parts.uri.path() != "/api/v1/me/password" {
                return Err(ApiError::forbidden(
                    "change the password you were given first: POST /api/v1/me/password, or the page /settings/password",
                ));
            }
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !safe && !same_secret(sent, expected) {
                return Err(ApiError::forbidden(
                    "missing or wrong CSRF token: browser sessions must send the page's token in the X-CSRF-Token header",
                ));
            }
        }
        Ok(ApiUser(principal))
    }
}

/// A JSON body whose rejections are problem documents.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let mut value = match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(v)) => v,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        whole_numbers(&mut value);
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| ApiError::unprocessable(format!("the JSON body does not fit: {e}")))
    }
}

/// Numbers written with a zero fraction (`3.0`) as the integers they are: JSON Schema counts
/// them as integers, so a client that writes them so is not refused.
fn whole_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let status = r.status();
    let text = r.body_text();
    match r {
        JsonRejection::JsonDataError(_) => {
            ApiError::unprocessable(format!("the JSON body does not fit: {text}"))
        }
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request(format!("the body is not valid JSON: {text}"))
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            status,
            "unsupported-media-type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "too-large",
            "the request body is too large for this endpoint",
        ),
        _ => ApiError::new(status, "bad-request", text),
    }
}

/// Query parameters whose rejections are problem documents.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(format!("bad query parameters: {}", e.body_text()))
            })
    }
}

/// Turns any bare error answer under `/api` (405 from the router, 413 from a body limit…) into a
/// problem document, so that API clients only ever see problem+json errors.
pub async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let method = req.method().clone();
    let res = next.run(req).await;
    let status = res.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if is_problem {
        return res;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("this route does not accept {method}; see /api/v1/openapi.json")
        }
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_string(),
        s if s.is_server_error() => {
            "the server failed to handle this request; it has been logged".to_string()
        }
        s => s.canonical_reason().unwrap_or("error").to_string(),
    };
    let problem = Problem {
        kind: format!("/problems/http-{}", status.as_u16()),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
    };
    let mut out = problem_response(status, &problem);
    if let Some(allow) = res.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out.into_response()
}

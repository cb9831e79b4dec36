//! The one error type at the HTTP edge of the JSON API: RFC 9457 `application/problem+json`.
//!
//! User mistakes become 4xx with a message a person can act on; anything else is a generic 500
//! whose cause is logged and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use debrief_app::AppError;
use debrief_domain::{Category, Denied, DomainError};
use debrief_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, and what to do about it.
    pub detail: String,
}

/// An error answered by the API.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub slug: &'static str,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, slug: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            slug,
            detail: detail.into(),
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input", detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle this request; it has been logged — try again, and tell your administrator if it persists",
        )
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("/problems/{}", self.slug),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(self.status, &self.problem())
    }
}

/// A problem document as a response.
pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl ApiError {
    /// The answer to an error of this category (the one classification, shared with the CLI's
    /// exit codes); server faults are logged and not described.
    fn categorised(category: Category, slug: &'static str, detail: String) -> ApiError {
        match category {
            Category::Refused => ApiError::unprocessable(detail),
            Category::NotFound => ApiError::not_found(detail),
            Category::Forbidden => ApiError::forbidden(detail),
            Category::Conflict => ApiError::new(StatusCode::CONFLICT, slug, detail),
            Category::Failed => {
                tracing::error!(error = %detail, "server failure");
                ApiError::internal()
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let slug = match e {
            DomainError::IllegalTransition { .. } => "illegal-transition",
            _ => "conflict",
        };
        ApiError::categorised(e.category(), slug, e.to_string())
    }
}

impl From<Denied> for ApiError {
    fn from(e: Denied) -> Self {
        ApiError::forbidden(e.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Conflict { .. } => {
                ApiError::categorised(e.category(), "edit-conflict", e.to_string())
            }
            other => ApiError::categorised(other.category(), "conflict", other.to_string()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Denied(d) => d.into(),
            AppError::Conflict(why) => ApiError::conflict(why),
            AppError::Store(s) => s.into(),
        }
    }
}

/// Result alias for API handlers.
pub type ApiResult<T> = Result<T, ApiError>;

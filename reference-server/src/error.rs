//! One error type for every handler, rendered as
//! `{"error": {"code", "message", "fields"?}}`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// The error codes the API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400/413/422: the request was malformed or a field was invalid.
    ValidationFailed,
    /// 401: no valid credentials.
    Unauthenticated,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404: no such resource (or not the caller's).
    NotFound,
    /// 409: clashes with what is stored.
    Conflict,
    /// 405: the route exists, but not for this method (see `Allow`).
    MethodNotAllowed,
    /// 429: too many requests; see `Retry-After`.
    RateLimited,
    /// 500/503: our fault or a dependency's; details are in the server log.
    Internal,
}

/// The error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// What went wrong, for a person.
    pub message: String,
    /// JSON path → reason, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// A handler error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field (or the body) was invalid: JSON path → reason.
    #[error("validation failed: {message}")]
    Validation {
        /// Summary.
        message: String,
        /// JSON path → reason.
        fields: BTreeMap<String, String>,
    },
    /// No valid credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Nothing there (or not the caller's).
    #[error("not found: {0}")]
    NotFound(String),
    /// Clashes with stored state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too many requests; retry after this long.
    #[error("rate limited")]
    RateLimited(Duration),
    /// Body too large.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A dependency is unavailable.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else: logged, answered with a generic message.
    #[error("internal: {0}")]
    Internal(String),
    /// An error answered by the HTTP layers rather than a handler (a
    /// malformed path or query, a wrong method, a timeout), given the
    /// JSON shape.
    #[error("{status}: {message}")]
    Http {
        /// The status the layer chose.
        status: StatusCode,
        /// What went wrong, for a person.
        message: String,
    },
}

impl AppError {
    /// One invalid field.
    pub fn field(path: impl Into<String>, reason: impl Into<String>) -> Self {
        let path = path.into();
        let reason = reason.into();
        Self::Validation {
            message: format!("{path}: {reason}"),
            fields: BTreeMap::from([(path, reason)]),
        }
    }

    /// Several invalid fields.
    pub fn fields(fields: BTreeMap<String, String>) -> Self {
        let message = fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        Self::Validation { message, fields }
    }

    /// A 404 for a kind of resource.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("no such {what}"))
    }

    /// An internal error from anything displayable.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Http { status, .. } => *status,
        }
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation { .. } => ErrorCode::ValidationFailed,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::PayloadTooLarge => ErrorCode::ValidationFailed,
            Self::Unavailable(_) | Self::Internal(_) => ErrorCode::Internal,
            Self::Http { status, .. } => match status.as_u16() {
                401 => ErrorCode::Unauthenticated,
                403 => ErrorCode::Forbidden,
                404 => ErrorCode::NotFound,
                405 => ErrorCode::MethodNotAllowed,
                409 => ErrorCode::Conflict,
                429 => ErrorCode::RateLimited,
                400..=499 => ErrorCode::ValidationFailed,
                _ => ErrorCode::Internal,
            },
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            StoreError::LockTimeout(what) => {
                Self::Unavailable(format!("busy ({what}); try again in a moment"))
            }
            StoreError::Busy(detail) => {
                tracing::warn!(error = %detail, "database busy");
                Self::Unavailable("the database is busy; try again in a moment".to_owned())
            }
            e => Self::Internal(e.to_string()),
        }
    }
}

impl AppError {
    /// The error as the API sends it (an internal error's detail goes to
    /// the log, not to the client).
    pub fn body(&self) -> ErrorBody {
        let (message, fields) = match self {
            Self::Validation { message, fields } => (message.clone(), Some(fields.clone())),
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (
                    "internal error; the server log has the details".to_owned(),
                    None,
                )
            }
            Self::RateLimited(after) => (
                format!(
                    "too many requests; try again in {}",
                    wait_in_words(retry_secs(*after))
                ),
                None,
            ),
            Self::PayloadTooLarge => ("the request body is too large".to_owned(), None),
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Unavailable(m) => (m.clone(), None),
            Self::Http { message, .. } => (message.clone(), None),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                fields,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Self::RateLimited(after) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_secs(after)));
        }
        response
    }
}

/// A wait in words a person reads at a glance: "40 seconds", "3 minutes",
/// "12 hours 35 minutes" (rounded up to the minute past a minute).
pub fn wait_in_words(secs: u64) -> String {
    let unit = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if secs < 60 {
        return unit(secs, "second");
    }
    let minutes = secs.div_ceil(60);
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => unit(m, "minute"),
        (h, 0) => unit(h, "hour"),
        (h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
    }
}

/// Whole seconds to wait, at least one.
fn retry_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0).max(u64::from(d.as_secs() == 0))
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    #[test]
    fn waits_are_said_in_words() {
        for (secs, words) in [
            (1, "1 second"),
            (40, "40 seconds"),
            (60, "1 minute"),
            (61, "2 minutes"),
            (3600, "1 hour"),
            (45_347, "12 hours 36 minutes"),
            (86_400, "24 hours"),
        ] {
            assert_eq!(wait_in_words(secs), words, "{secs}");
        }
    }

    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one_second() {
        assert_eq!(retry_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_secs(Duration::from_secs(0)), 1);
        assert_eq!(retry_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_secs(Duration::from_millis(3_200)), 4);
    }

    #[test]
    fn store_conflicts_become_409_and_the_rest_500() {
        let e: AppError = StoreError::Conflict("email").into();
        assert_eq!(e.status_code(), StatusCode::CONFLICT);
        let e: AppError = StoreError::Corrupt {
            what: "x",
            reason: "y".to_owned(),
        }
        .into();
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}

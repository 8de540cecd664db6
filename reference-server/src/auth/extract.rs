//! The extractors: the client's address and the signed-in user.

#[allow(clippy::wildcard_imports)]
use super::*;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry, Role, Store};

// --- the extractors -----------------------------------------------------

/// The client's IP address as text, or `local` when the server was not
/// given connection info (tests, in-process calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "local".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

/// An authenticated caller: the access token checked, the account still
/// there, and the per-user rate limit applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// The user id.
    pub id: Uuid,
    /// The user's current role (as stored, not as in the token).
    pub role: Role,
    /// The opaque id the audit log knows the user by.
    pub audit_subject: Uuid,
}

impl AuthUser {
    /// Succeeds when the user has `role` or a higher one.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] otherwise.
    pub fn require(&self, role: Role) -> AppResult<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "this needs the {} role",
                role.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = match bearer(&parts.headers)? {
            Some(t) => t,
            None => {
                let t = cookie(&parts.headers, ACCESS_COOKIE).ok_or_else(|| {
                    AppError::Unauthenticated(
                        "sign in first: send `Authorization: Bearer <access token>`".to_owned(),
                    )
                })?;
                if is_unsafe(&parts.method) {
                    check_csrf(&parts.headers)?;
                }
                t
            }
        };
        let claims = state.keys.verify_access(&token, Utc::now())?;
        let user =
            state.store.user(claims.sub).await?.ok_or_else(|| {
                AppError::Unauthenticated("the account no longer exists".to_owned())
            })?;
        state
            .limiter
            .hit(
                &format!("user:{}", user.id),
                state.config.rate_limits.user_per_minute,
                Duration::from_secs(60),
            )
            .await
            .map_err(AppError::RateLimited)?;
        Ok(Self {
            id: user.id,
            role: user.role,
            audit_subject: user.audit_subject,
        })
    }
}

pub(super) async fn auth_limit(state: &AppState, ip: &ClientIp) -> AppResult<()> {
    state
        .limiter
        .hit(
            &format!("auth:{}", ip.0),
            state.config.rate_limits.auth_per_minute,
            Duration::from_secs(60),
        )
        .await
        .map_err(AppError::RateLimited)
}

pub(super) async fn audit(
    store: &dyn Store,
    action: AuditAction,
    subject: Option<Uuid>,
    detail: Value,
) -> AppResult<()> {
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            action,
            subject,
            object: None,
            detail,
        })
        .await
        .map_err(AppError::from)
}

//! `/auth/register`, `/auth/login`, `/auth/refresh`, `/auth/logout`.

#[allow(clippy::wildcard_imports)]
use super::*;
use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::AppendHeaders;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::crypto::{random_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{AuditAction, LoginClaim, RefreshRecord, Rotation};

// --- handlers -----------------------------------------------------------

/// `POST /auth/register`.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Email address.
    #[schema(required = true, value_type = String)]
    pub email: Option<String>,
    /// 12 to 128 characters, not a common password.
    #[schema(required = true, value_type = String)]
    pub password: Option<String>,
    /// Must equal the current terms version (`GET /api/v1/legal`).
    #[schema(required = true, value_type = String)]
    pub accepted_terms_version: Option<String>,
}

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("accepted_terms_version", &self.accepted_terms_version)
            .finish_non_exhaustive()
    }
}

/// The new account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    /// The user id.
    pub id: Uuid,
}

/// `POST /auth/login`.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email address.
    #[schema(required = true, value_type = String)]
    pub email: Option<String>,
    /// Password.
    #[schema(required = true, value_type = String)]
    pub password: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").finish_non_exhaustive()
    }
}

/// `POST /auth/refresh` and `POST /auth/logout`: the refresh token, or none
/// to use the `auravest_refresh` cookie.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token.
    pub refresh_token: Option<String>,
}

/// A new session. The same tokens are set as cookies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The access token (HS256 JWT).
    pub access_token: String,
    /// The refresh token (single use).
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = RegisterResponse),
        (status = 409, description = "The email is taken", body = crate::error::ErrorBody),
        (status = 422, description = "A field is invalid (named in `fields`)", body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> AppResult<(StatusCode, Json<RegisterResponse>)> {
    auth_limit(&state, &ip).await?;
    let req: RegisterRequest = json_body(body)?;
    let mut fields = BTreeMap::new();
    let email = required(&mut fields, "email", req.email);
    let password = required(&mut fields, "password", req.password);
    let terms = required(
        &mut fields,
        "accepted_terms_version",
        req.accepted_terms_version,
    );
    if !email.is_empty()
        && let Err(r) = check_email(&email)
    {
        fields.insert("email".to_owned(), r);
    }
    if !password.is_empty()
        && let Err(r) = check_password(&password, &[&email])
    {
        fields.insert("password".to_owned(), r);
    }
    if !terms.is_empty() && terms != TERMS_VERSION {
        fields.insert(
            "accepted_terms_version".to_owned(),
            format!("must be the current terms version {TERMS_VERSION}"),
        );
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    let user = create_account(state.store.as_ref(), &state.keys, &email, &password, &terms).await?;
    Ok((StatusCode::CREATED, Json(RegisterResponse { id: user.id })))
}

/// Signs in: answers the tokens and sets them as cookies. After too many
/// failures the account is locked for a while (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Wrong email or password", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts or the account is locked; see Retry-After",
            body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> AppResult<(
    AppendHeaders<Vec<(HeaderName, HeaderValue)>>,
    Json<TokenResponse>,
)> {
    auth_limit(&state, &ip).await?;
    let req: LoginRequest = json_body(body)?;
    let mut fields = BTreeMap::new();
    let email = required(&mut fields, "email", req.email);
    let password = required(&mut fields, "password", req.password);
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    let bad = || AppError::Unauthenticated(BAD_CREDENTIALS.to_owned());
    let Some(user) = state
        .store
        .user_by_email_hash(&state.keys.email_hash(&email))
        .await?
    else {
        verify_password(password, None).await?;
        return Err(bad());
    };
    let now = Utc::now();
    let lock_until = now
        + chrono::Duration::from_std(state.config.login_lock)
            .unwrap_or(chrono::Duration::minutes(15));
    // The attempt is counted (and the lock decided) before the password is
    // checked, in one atomic step: parallel guesses get at most
    // `login_max_failures` checks, and none while the account is locked.
    let attempt = match state
        .store
        .claim_login_attempt(user.id, now, state.config.login_max_failures, lock_until)
        .await?
    {
        LoginClaim::Claimed { attempt, locked } => (attempt, locked),
        LoginClaim::Locked { until } => {
            let wait = (until - now).to_std().unwrap_or(Duration::from_secs(1));
            return Err(AppError::RateLimited(wait));
        }
        LoginClaim::NoUser => {
            verify_password(password, None).await?;
            return Err(bad());
        }
    };
    if !verify_password(password, Some(user.password_hash.clone())).await? {
        let (count, locked) = attempt;
        audit(
            state.store.as_ref(),
            AuditAction::LoginFailed,
            Some(user.audit_subject),
            serde_json::json!({"failures": count, "locked": locked}),
        )
        .await?;
        return Err(bad());
    }
    state.store.clear_login_failures(user.id).await?;
    let session = start_session(&state, &user, Uuid::new_v4(), now).await?;
    audit(
        state.store.as_ref(),
        AuditAction::Login,
        Some(user.audit_subject),
        Value::Null,
    )
    .await?;
    Ok(token_response(&state, session))
}

/// Trades a refresh token (body or cookie) for a new pair. Each refresh
/// token works once: presenting a used one revokes every token of its
/// login. With the cookie, `X-CSRF-Token` must repeat the CSRF cookie.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body(content = RefreshRequest, description = "Optional: without it the `auravest_refresh` cookie is used"),
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Unknown, expired or reused token", body = crate::error::ErrorBody),
        (status = 403, description = "Cookie without the CSRF header", body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(
    AppendHeaders<Vec<(HeaderName, HeaderValue)>>,
    Json<TokenResponse>,
)> {
    auth_limit(&state, &ip).await?;
    let old = presented_refresh(&headers, &body)?;
    let now = Utc::now();
    let new = random_token();
    // The store fills in the owner and family from the old token.
    let record = RefreshRecord {
        token_hash: token_hash(&new),
        user_id: Uuid::nil(),
        family: Uuid::nil(),
        expires_at: now + refresh_ttl(&state),
    };
    let invalid =
        || AppError::Unauthenticated("the refresh token is invalid or has expired".to_owned());
    match state
        .store
        .rotate_refresh(&token_hash(&old), &record, now)
        .await?
    {
        Rotation::Rotated { user_id } => {
            let user = state.store.user(user_id).await?.ok_or_else(invalid)?;
            let session = Session {
                access: state
                    .keys
                    .issue_access(user.id, user.role, state.config.access_ttl, now),
                refresh: new,
                csrf: random_token(),
            };
            Ok(token_response(&state, session))
        }
        Rotation::Reused => Err(AppError::Unauthenticated(
            "the refresh token was already used; every session of that login is now signed out"
                .to_owned(),
        )),
        Rotation::Invalid => Err(invalid()),
    }
}

/// The refresh token from the body, else from the cookie (which needs the CSRF header).
pub(super) fn presented_refresh(headers: &HeaderMap, body: &[u8]) -> AppResult<String> {
    let req: RefreshRequest = bytes_body(body)?;
    match req.refresh_token.filter(|t| !t.is_empty()) {
        Some(t) => Ok(t),
        None => {
            let t = cookie(headers, REFRESH_COOKIE)
                .ok_or_else(|| AppError::Unauthenticated("no refresh token was sent".to_owned()))?;
            check_csrf(headers)?;
            Ok(t)
        }
    }
}

/// Signs out: revokes the presented refresh token (body or cookie) and
/// clears the cookies.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body(content = RefreshRequest, description = "Optional: without it the `auravest_refresh` cookie is used"),
    responses((status = 204, description = "Signed out"), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, AppendHeaders<[(HeaderName, HeaderValue); 3]>)> {
    let req: RefreshRequest = bytes_body(&body)?;
    let token = req
        .refresh_token
        .filter(|t| !t.is_empty())
        .or_else(|| cookie(&headers, REFRESH_COOKIE));
    let revoked = match token {
        Some(t) => state.store.revoke_refresh(&token_hash(&t)).await?,
        None => false,
    };
    audit(
        state.store.as_ref(),
        AuditAction::Logout,
        Some(user.audit_subject),
        serde_json::json!({"revoked": revoked}),
    )
    .await?;
    Ok((
        StatusCode::NO_CONTENT,
        clear_cookies(state.config.secure_cookies),
    ))
}

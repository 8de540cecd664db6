//! Accounts and sessions: registration with the password policy, login
//! with lockout, refresh-token rotation with reuse detection, logout, and
//! the [`AuthUser`] extractor every protected handler takes.
//!
//! A client authenticates with `Authorization: Bearer <access token>` or
//! with the `auravest_access` cookie; with the cookie, every unsafe method
//! must echo the `auravest_csrf` cookie in the `X-CSRF-Token` header.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::AppendHeaders;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use rand::{Rng as _, RngCore as _};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::crypto::{Keys, normalise_email, random_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{
    AuditAction, AuditEntry, LoginClaim, RefreshRecord, Role, Rotation, Store, StoreError,
    UserRecord,
};

/// The version of the terms a user must accept to register (served by
/// `GET /legal`).
pub const TERMS_VERSION: &str = "2026-11-01";

/// The access-token cookie (HttpOnly, `Path=/`).
pub const ACCESS_COOKIE: &str = "auravest_access";
/// The refresh-token cookie (HttpOnly, `Path=/api/v1/auth`).
pub const REFRESH_COOKIE: &str = "auravest_refresh";
/// The CSRF cookie, readable by scripts, echoed in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "auravest_csrf";
/// The header that must repeat the CSRF cookie on unsafe cookie-authenticated requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Fewest characters in a password.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Most characters in a password.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Longest email address accepted (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// The message for every failed login, whatever the cause.
const BAD_CREDENTIALS: &str = "the email or password is wrong";

/// The bundled list of common passwords (lowercase), loaded once.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// A hash of a password nobody has, verified when the email is unknown so
/// the answer takes as long as for a real account.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(b"no account has this password", &salt)
        .expect("argon2 hashes with default parameters")
        .to_string()
});

// --- validation ---------------------------------------------------------

/// Checks the password policy: 12 to 128 characters (counted as
/// characters, not bytes), not in the bundled list of common passwords
/// (compared case-insensitively), and hard to guess by the zxcvbn strength
/// estimator (score 3 of 4 or more: over 10^10 guesses), which also sees
/// through keyboard walks, repeats, sequences, dates, dictionary words with
/// digits or symbols added, and the `user_inputs` (the email, the product's
/// name).
///
/// # Errors
/// Why the password is refused.
pub fn check_password(password: &str, user_inputs: &[&str]) -> Result<(), String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(format!(
            "must be at least {PASSWORD_MIN_CHARS} characters, got {n}"
        ));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(format!(
            "must be at most {PASSWORD_MAX_CHARS} characters, got {n}"
        ));
    }
    if COMMON_PASSWORDS.contains(password.to_lowercase().as_str()) {
        return Err("is one of the most common passwords; choose another".to_owned());
    }
    let mut inputs: Vec<&str> = vec!["auravest"];
    for input in user_inputs {
        inputs.push(input);
        // The parts of an email are guesses too.
        inputs.extend(
            input
                .split(['@', '.', '_', '-', '+'])
                .filter(|p| p.len() >= 3),
        );
    }
    // The estimator's cost grows fast with length; the first 64 characters
    // decide (a longer password is at least as strong).
    let head: String = password.chars().take(64).collect();
    let estimate = zxcvbn::zxcvbn(&head, &inputs);
    if estimate.score() < zxcvbn::Score::Three {
        let mut reason = "is too easy to guess".to_owned();
        if let Some(feedback) = estimate.feedback() {
            if let Some(warning) = feedback.warning() {
                reason.push_str(&format!(" ({})", warning.to_string().trim_end_matches('.')));
            }
            if let Some(tip) = feedback.suggestions().first() {
                reason.push_str(&format!(
                    "; {}",
                    tip.to_string().to_lowercase().trim_end_matches('.')
                ));
            }
        }
        reason.push_str("; a few unrelated words work well");
        return Err(reason);
    }
    Ok(())
}

/// Checks the shape of an email address and returns it normalised
/// (trimmed, lowercased).
///
/// # Errors
/// Why the address is refused.
pub fn check_email(email: &str) -> Result<String, String> {
    let email = normalise_email(email);
    if email.is_empty() {
        return Err("is required".to_owned());
    }
    if email.len() > EMAIL_MAX_LEN {
        return Err(format!("must be at most {EMAIL_MAX_LEN} bytes"));
    }
    let shape = "must look like name@example.org";
    let Some((local, domain)) = email.split_once('@') else {
        return Err(shape.to_owned());
    };
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c);
    if local.is_empty()
        || local.len() > 64
        || local.chars().any(bad_char)
        || domain.chars().any(bad_char)
        || !domain.contains('.')
        || domain.split('.').any(str::is_empty)
    {
        return Err(shape.to_owned());
    }
    Ok(email)
}

/// Turns a JSON body into `T`, naming the offending field on failure.
///
/// Request types give every field as an `Option` and deny unknown fields,
/// so that a field that fails on its own can be found and named.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &Value) -> AppResult<T> {
    let Value::Object(map) = body else {
        return Err(AppError::field("body", "must be a JSON object"));
    };
    match T::deserialize(body) {
        Ok(t) => Ok(t),
        Err(e) => {
            for (k, v) in map {
                let one = Value::Object([(k.clone(), v.clone())].into_iter().collect());
                if let Err(e) = T::deserialize(&one) {
                    let reason = if e.to_string().starts_with("unknown field") {
                        "is not a known field".to_owned()
                    } else {
                        e.to_string()
                    };
                    return Err(AppError::field(k.clone(), reason));
                }
            }
            Err(AppError::field("body", e.to_string()))
        }
    }
}

/// [`parse_json`] over axum's JSON extractor result.
pub(crate) fn json_body<T: DeserializeOwned>(
    body: Result<Json<Value>, JsonRejection>,
) -> AppResult<T> {
    let Json(v) = body.map_err(|e| AppError::field("body", e.body_text()))?;
    parse_json(&v)
}

/// [`parse_json`] over raw bytes; an empty body is `T::default()`.
fn bytes_body<T: DeserializeOwned + Default>(bytes: &[u8]) -> AppResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::field("body", format!("not valid JSON: {e}")))?;
    parse_json(&v)
}

fn required(fields: &mut BTreeMap<String, String>, name: &str, v: Option<String>) -> String {
    match v {
        Some(v) if !v.is_empty() => v,
        _ => {
            fields.insert(name.to_owned(), "is required".to_owned());
            String::new()
        }
    }
}

// --- passwords ----------------------------------------------------------

/// Password hashes computed at once: argon2id takes 19 MiB and tens of
/// milliseconds of a core per hash, so a burst of logins or registrations
/// queues here instead of taking every core and a burst of memory.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    tokio::sync::Semaphore::new(cores.max(1))
});

/// Runs argon2 work on a blocking thread, a bounded number at a time.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let _turn = HASHING.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)?
}

/// Hashes a password with argon2id (default parameters) on a blocking thread.
///
/// # Errors
/// [`AppError::Internal`] when hashing fails.
pub async fn hash_password(password: String) -> AppResult<String> {
    hashing(move || {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
}

/// Checks a password against a PHC hash on a blocking thread; with no hash
/// (unknown account) it checks against a dummy hash and answers false, so
/// both cases cost the same.
///
/// # Errors
/// [`AppError::Internal`] when the stored hash cannot be read.
pub async fn verify_password(password: String, phc: Option<String>) -> AppResult<bool> {
    hashing(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&phc).map_err(AppError::internal)?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
}

// --- cookies and headers ------------------------------------------------

/// The value of a cookie in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The token of an `Authorization: Bearer` header; `Err` when the header
/// is present but is not a bearer token.
fn bearer(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().unwrap_or_default();
    match v.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <access token>`".to_owned(),
        )),
    }
}

/// The double-submit check: the `X-CSRF-Token` header must equal the CSRF cookie.
fn check_csrf(headers: &HeaderMap) -> AppResult<()> {
    let forbidden = || {
        AppError::Forbidden(format!(
            "cookie-authenticated requests must repeat the {CSRF_COOKIE} cookie in the X-CSRF-Token header"
        ))
    };
    let expected = cookie(headers, CSRF_COOKIE).ok_or_else(forbidden)?;
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(forbidden)?;
    if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

fn is_unsafe(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; Max-Age={max_age}; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::try_from(c).expect("cookie values are base64url")
}

/// `Set-Cookie` headers for a new session.
fn session_cookies(state: &AppState, s: &Session) -> Vec<(HeaderName, HeaderValue)> {
    let secure = state.config.secure_cookies;
    let refresh_age = state.config.refresh_ttl.as_secs();
    vec![
        (
            header::SET_COOKIE,
            set_cookie(
                ACCESS_COOKIE,
                &s.access,
                "/",
                state.config.access_ttl.as_secs(),
                true,
                secure,
            ),
        ),
        (
            header::SET_COOKIE,
            set_cookie(
                REFRESH_COOKIE,
                &s.refresh,
                "/api/v1/auth",
                refresh_age,
                true,
                secure,
            ),
        ),
        (
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &s.csrf, "/", refresh_age, false, secure),
        ),
    ]
}

/// `Set-Cookie` headers that remove the session cookies.
pub fn clear_cookies(secure: bool) -> AppendHeaders<[(HeaderName, HeaderValue); 3]> {
    AppendHeaders([
        (
            header::SET_COOKIE,
            set_cookie(ACCESS_COOKIE, "", "/", 0, true, secure),
        ),
        (
            header::SET_COOKIE,
            set_cookie(REFRESH_COOKIE, "", "/api/v1/auth", 0, true, secure),
        ),
        (
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, "", "/", 0, false, secure),
        ),
    ])
}

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

async fn auth_limit(state: &AppState, ip: &ClientIp) -> AppResult<()> {
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

async fn audit(
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

// --- accounts -----------------------------------------------------------

/// A fresh public alias: `investor-` and six random letters and digits.
fn new_alias() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..6)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect();
    format!("investor-{tail}")
}

/// Creates an account: checks the email and password, hashes the
/// password, picks a free alias, stores the user with its consent, and
/// audits `register` and `consent` under the opaque subject.
///
/// # Errors
/// Validation errors naming `email` or `password`; [`AppError::Conflict`]
/// when the email is taken.
pub async fn create_account(
    store: &dyn Store,
    keys: &Keys,
    email: &str,
    password: &str,
    terms_version: &str,
) -> AppResult<UserRecord> {
    let mut fields = BTreeMap::new();
    let email = check_email(email).unwrap_or_else(|reason| {
        fields.insert("email".to_owned(), reason);
        String::new()
    });
    if let Err(reason) = check_password(password, &[&email]) {
        fields.insert("password".to_owned(), reason);
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    let email_hash = keys.email_hash(&email);
    let taken = || AppError::Conflict("an account with this email already exists".to_owned());
    if store.user_by_email_hash(&email_hash).await?.is_some() {
        return Err(taken());
    }
    let now = Utc::now();
    let mut user = UserRecord {
        id: Uuid::new_v4(),
        email_hash,
        email_enc: keys.encrypt_email(&email),
        password_hash: hash_password(password.to_owned()).await?,
        role: Role::User,
        alias: new_alias(),
        display_mode: "percent".to_owned(),
        share_performance: false,
        count_holdings: false,
        dashboard: crate::store::DEFAULT_DASHBOARD
            .iter()
            .map(|w| (*w).to_owned())
            .collect(),
        terms_version: terms_version.to_owned(),
        terms_accepted_at: now,
        failed_logins: 0,
        locked_until: None,
        audit_subject: Uuid::new_v4(),
        created_at: now,
    };
    let mut tries = 0;
    loop {
        match store.create_user(&user).await {
            Ok(()) => break,
            Err(StoreError::Conflict("alias")) if tries < 8 => {
                tries += 1;
                user.alias = new_alias();
            }
            Err(StoreError::Conflict("email")) => return Err(taken()),
            Err(e) => return Err(e.into()),
        }
    }
    audit(
        store,
        AuditAction::Register,
        Some(user.audit_subject),
        Value::Null,
    )
    .await?;
    audit(
        store,
        AuditAction::Consent,
        Some(user.audit_subject),
        serde_json::json!({"terms_version": terms_version}),
    )
    .await?;
    Ok(user)
}

/// Gives the account with this email a role (the `grant-role` admin
/// command) and audits it.
///
/// # Errors
/// [`AppError::NotFound`] when no account has this email.
pub async fn grant_role(
    store: &dyn Store,
    keys: &Keys,
    email: &str,
    role: Role,
) -> AppResult<Uuid> {
    let user = store
        .user_by_email_hash(&keys.email_hash(email))
        .await?
        .ok_or_else(|| AppError::not_found("account with this email"))?;
    if !store.set_role(user.id, role).await? {
        return Err(AppError::not_found("account with this email"));
    }
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            action: AuditAction::Admin,
            subject: None,
            object: Some(keys.object_hash(user.id)),
            detail: serde_json::json!({"grant_role": role.as_str()}),
        })
        .await?;
    Ok(user.id)
}

// --- sessions -----------------------------------------------------------

struct Session {
    access: String,
    refresh: String,
    csrf: String,
}

/// Issues an access token and stores a new refresh token in `family`.
async fn start_session(
    state: &AppState,
    user: &UserRecord,
    family: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Session> {
    let refresh = random_token();
    state
        .store
        .insert_refresh(&RefreshRecord {
            token_hash: token_hash(&refresh),
            user_id: user.id,
            family,
            expires_at: now + refresh_ttl(state),
        })
        .await?;
    Ok(Session {
        access: state
            .keys
            .issue_access(user.id, user.role, state.config.access_ttl, now),
        refresh,
        csrf: random_token(),
    })
}

fn refresh_ttl(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.config.refresh_ttl).unwrap_or(chrono::Duration::days(30))
}

fn token_response(
    state: &AppState,
    s: Session,
) -> (
    AppendHeaders<Vec<(HeaderName, HeaderValue)>>,
    Json<TokenResponse>,
) {
    let cookies = session_cookies(state, &s);
    (
        AppendHeaders(cookies),
        Json(TokenResponse {
            access_token: s.access,
            refresh_token: s.refresh,
            token_type: "Bearer",
            expires_in: state.config.access_ttl.as_secs(),
        }),
    )
}

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
fn presented_refresh(headers: &HeaderMap, body: &[u8]) -> AppResult<String> {
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

/// `/auth/...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_counts_characters_and_refuses_common_ones() {
        let check = |p: &str| check_password(p, &["someone@example.com"]);
        assert!(check("plum-kettle-harbour-47").is_ok());
        assert!(check("short-pw").unwrap_err().contains("at least 12"));
        // Twelve characters but more than twelve bytes.
        assert!(check("é-kettle-rôt").is_ok());
        assert!(check("é-kettle-rô").unwrap_err().contains("at least 12"));
        assert!(check(&"x".repeat(129)).unwrap_err().contains("at most 128"));
        assert!(check("1qaz2wsx3edc").unwrap_err().contains("common"));
        assert!(check("QWERTY123456").unwrap_err().contains("common"));
        // Guessable though not on the list: the strength estimator.
        for weak in [
            "password1234",
            "Password123!",
            "qwertyuiopas",
            "aaaaaaaaaaaa",
            "xyxyxyxyxyxyxyxyxy",
            "abcdefghijklmnop",
            "auravest2026!",
            "december-2025",
        ] {
            let refused = check(weak).expect_err(weak);
            assert!(
                refused.contains("too easy to guess") || refused.contains("common"),
                "{weak}: {refused}"
            );
        }
        assert!(
            check("demo-garden-lantern-2026").is_ok(),
            "the demo password"
        );
        assert!(COMMON_PASSWORDS.len() >= 9_000);
        assert!(COMMON_PASSWORDS.contains("password"));
    }

    #[test]
    fn emails_are_normalised_and_checked_for_shape() {
        assert_eq!(
            check_email("  Ana@Example.ORG ").unwrap(),
            "ana@example.org"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "ana@@example.org",
            "a na@x.org",
            "ana@x..org",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_email(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; auravest_csrf=xyz"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("auravest_access=tok"),
        );
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, ACCESS_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, REFRESH_COOKIE), None);
        assert!(check_csrf(&h).is_err());
        h.insert(CSRF_HEADER, HeaderValue::from_static("xyz"));
        assert!(check_csrf(&h).is_ok());
        h.insert(CSRF_HEADER, HeaderValue::from_static("xyy"));
        assert!(check_csrf(&h).is_err());
    }

    #[test]
    fn bodies_name_the_bad_field() {
        let e = parse_json::<RegisterRequest>(&serde_json::json!({"email": 5, "password": "x"}))
            .unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref fields, .. } if fields.contains_key("email")),
            "{e}"
        );
        let e = parse_json::<RegisterRequest>(&serde_json::json!({"nickname": "x"})).unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref fields, .. } if fields.contains_key("nickname")),
            "{e}"
        );
        let e = parse_json::<RegisterRequest>(&serde_json::json!([1])).unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref fields, .. } if fields.contains_key("body")),
            "{e}"
        );
        assert!(
            bytes_body::<RefreshRequest>(b"")
                .unwrap()
                .refresh_token
                .is_none()
        );
    }

    #[test]
    fn request_schemas_mark_the_required_fields() {
        let schema =
            serde_json::to_value(<RegisterRequest as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["required"],
            serde_json::json!(["email", "password", "accepted_terms_version"])
        );
        assert_eq!(schema["properties"]["email"]["type"], "string");
    }

    #[tokio::test]
    async fn passwords_hash_and_verify_and_unknown_accounts_never_match() {
        let h = hash_password("plum-kettle-harbour-47".to_owned())
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("plum-kettle-harbour-47".to_owned(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("plum-kettle-harbour-48".to_owned(), Some(h))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("no account has this password".to_owned(), None)
                .await
                .unwrap()
        );
    }
}

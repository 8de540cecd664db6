//! Accounts and sessions.

#[allow(clippy::wildcard_imports)]
use super::*;
use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderName, HeaderValue};
use axum::response::AppendHeaders;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::crypto::{Keys, random_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry, RefreshRecord, Role, Store, StoreError, UserRecord};

// --- accounts -----------------------------------------------------------

/// A fresh public alias: `investor-` and six random letters and digits.
pub(super) fn new_alias() -> String {
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
        theme: crate::store::DEFAULT_THEME.to_owned(),
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

/// Puts the account with this email on a plan (the `admin tier` command)
/// and audits it.
///
/// # Errors
/// [`AppError::NotFound`] when no account has this email.
pub async fn set_tier(
    store: &dyn Store,
    keys: &Keys,
    email: &str,
    tier: crate::plans::Tier,
) -> AppResult<Uuid> {
    let user = store
        .user_by_email_hash(&keys.email_hash(email))
        .await?
        .ok_or_else(|| AppError::not_found("account with this email"))?;
    let now = Utc::now();
    store.set_tier(user.id, tier.as_str(), now).await?;
    store
        .audit(&AuditEntry {
            at: now,
            action: AuditAction::Admin,
            subject: None,
            object: Some(keys.object_hash(user.id)),
            detail: serde_json::json!({"set_tier": tier.as_str()}),
        })
        .await?;
    Ok(user.id)
}

// --- sessions -----------------------------------------------------------

pub(super) struct Session {
    pub(super) access: String,
    pub(super) refresh: String,
    pub(super) csrf: String,
}

/// Issues an access token and stores a new refresh token in `family`.
pub(super) async fn start_session(
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

pub(super) fn refresh_ttl(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.config.refresh_ttl).unwrap_or(chrono::Duration::days(30))
}

pub(super) fn token_response(
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

//! The risk questionnaire and the user's risk profile (with its history).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry, RiskRecord};
use auravest_core::DISCLAIMER;

/// The stored profile and when it was stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoredProfile {
    // Both are sent as stored (the SDK's JSON when they were written), never
    // read back into its types, so a row an older version wrote still shows.
    /// The scored profile.
    #[schema(value_type = auravest_risk::RiskProfile)]
    pub profile: Value,
    /// The answers it was scored from.
    #[schema(value_type = auravest_risk::Answers)]
    pub answers: Value,
    /// When it was stored (RFC 3339).
    pub created_at: String,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// The current profile with every earlier one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileHistory {
    /// The current profile, if the questionnaire was taken.
    pub current: Option<StoredProfile>,
    /// Every profile, oldest first.
    pub history: Vec<StoredProfile>,
}

fn stored(r: RiskRecord) -> StoredProfile {
    StoredProfile {
        profile: r.profile,
        answers: r.answers,
        created_at: r.created_at.to_rfc3339(),
        disclaimer: DISCLAIMER,
    }
}

/// The current questionnaire.
#[utoipa::path(get, path = "/api/v1/risk/questionnaire", tag = "risk",
    responses((status = 200, body = auravest_risk::Questionnaire)),
    security(("bearer" = [])))]
pub async fn questionnaire(_user: AuthUser) -> Json<&'static auravest_risk::Questionnaire> {
    Json(auravest_risk::Questionnaire::current())
}

/// Scores answers and stores the profile; earlier profiles stay in the history.
#[utoipa::path(post, path = "/api/v1/risk/answers", tag = "risk",
    request_body(content = auravest_risk::Answers, description = "`{\"version\": \"...\", \"answers\": {\"<question id>\": <option index>}}`"),
    responses((status = 201, body = StoredProfile), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn answer(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<StoredProfile>)> {
    let Json(raw) = body.map_err(|r| crate::routes::json_rejection(&r))?;
    let answers: auravest_risk::Answers = serde_json::from_value(raw).map_err(|e| {
        // What serde says may quote the input: never more than a line of it.
        let why: String = e.to_string().chars().take(160).collect();
        AppError::field(
            "answers",
            format!("expected {{\"version\": \"...\", \"answers\": {{\"<question id>\": <option index>}}}}: {why}"),
        )
    })?;
    let profile = auravest_risk::score(&answers).map_err(|e| {
        use auravest_risk::Error as E;
        let path = match &e {
            E::UnknownQuestion { id, .. }
            | E::MissingAnswer { id }
            | E::OptionOutOfRange { id, .. } => {
                format!("answers.{id}")
            }
            other => other.field().unwrap_or("answers").to_owned(),
        };
        AppError::field(path, e.to_string())
    })?;
    let record = RiskRecord {
        id: Uuid::new_v4(),
        user_id: user.id,
        // The answers as the SDK read them, never the body as sent: nothing
        // unknown is stored or echoed.
        answers: serde_json::to_value(&answers).map_err(AppError::internal)?,
        profile: serde_json::to_value(&profile).map_err(AppError::internal)?,
        created_at: Utc::now(),
    };
    state.store.insert_risk(&record).await?;
    state
        .store
        .audit(&AuditEntry {
            at: record.created_at,
            action: AuditAction::RiskProfileChanged,
            subject: Some(user.audit_subject),
            object: None,
            detail: serde_json::json!({"category": profile.category.to_string(), "score": profile.score}),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(stored(record))))
}

/// The current profile and its history.
#[utoipa::path(get, path = "/api/v1/risk/profile", tag = "risk",
    responses((status = 200, body = ProfileHistory)),
    security(("bearer" = [])))]
pub async fn profile(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<ProfileHistory>> {
    let history: Vec<StoredProfile> = state
        .store
        .risk_history(user.id)
        .await?
        .into_iter()
        .map(stored)
        .collect();
    let current = state.store.latest_risk(user.id).await?.map(stored);
    Ok(Json(ProfileHistory { current, history }))
}

/// `/risk/...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/risk/questionnaire", get(questionnaire))
        .route("/risk/answers", post(answer))
        .route("/risk/profile", get(profile))
}

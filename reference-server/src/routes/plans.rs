//! The plans, the caller's, and "notify me" for AuraVest Plus.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Serialize;

use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::plans::{Plan, Tier, plan, tier_of};
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry};

/// Every plan and the caller's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlansView {
    /// The plans, free first.
    pub plans: Vec<Plan>,
    /// The caller's tier.
    pub current: Tier,
    /// The caller asked to hear when Plus opens.
    pub notify_me: bool,
}

/// The plans and the caller's.
#[utoipa::path(get, path = "/api/v1/plans", tag = "me",
    responses((status = 200, body = PlansView)),
    security(("bearer" = [])))]
pub async fn plans(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<PlansView>> {
    Ok(Json(PlansView {
        plans: Tier::ALL
            .into_iter()
            .map(|t| plan(t, &state.config))
            .collect(),
        current: tier_of(&state, user.id).await?,
        notify_me: state.store.plus_interest(user.id).await?.is_some(),
    }))
}

/// Asks to hear when AuraVest Plus opens (asking twice changes nothing;
/// there is no payment).
#[utoipa::path(post, path = "/api/v1/plans/plus/notify", tag = "me",
    responses((status = 200, body = PlansView)),
    security(("bearer" = [])))]
pub async fn notify_me(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<(StatusCode, Json<PlansView>)> {
    let now = Utc::now();
    if state.store.note_plus_interest(user.id, now).await? {
        state
            .store
            .audit(&AuditEntry {
                at: now,
                action: AuditAction::Consent,
                subject: Some(user.audit_subject),
                object: None,
                detail: serde_json::json!({ "notify_me": "plus" }),
            })
            .await?;
    }
    let view = plans(State(state), user).await?;
    Ok((StatusCode::OK, view))
}

/// `/plans`, `/plans/plus/notify`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans", get(plans))
        .route("/plans/plus/notify", post(notify_me))
}

//! Feedback from members to the moderators, its queue, and bans. Every
//! moderator action is audited twice: in the community's moderation log
//! (with the reason) and in our audit log (codes and keyed hashes only).

#[allow(clippy::wildcard_imports)]
use super::*;

use auravest_social::{FEEDBACK_PER_HOUR, FeedbackCategory, ModAction};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::social_store::FeedbackRow;
use crate::state::AppState;
use crate::store::Role;

/// Feedback to the moderators.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackIn {
    /// `safety`, `bug`, `idea` or `other`.
    pub category: String,
    /// What happened or what you suggest (1–1000 characters).
    pub text: String,
}

/// Feedback as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackView {
    /// Id.
    pub id: String,
    /// Who sent it (their alias).
    pub from: String,
    /// Its category.
    pub category: String,
    /// The text.
    pub text: String,
    /// When (RFC 3339).
    pub sent_at: String,
    /// Resolved by a moderator.
    pub resolved: bool,
}

/// A ban.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BanView {
    /// The community's audit entry.
    pub audit: String,
    /// The member banned.
    pub member: String,
}

fn iso(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339()
}

/// Sends feedback to the moderators (five an hour). A suspended or banned
/// member can still write to them: it is how they appeal.
#[utoipa::path(post, path = "/api/v1/community/feedback", tag = "community",
    request_body = FeedbackIn,
    responses((status = 201, body = FeedbackView),
        (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_feedback(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<FeedbackIn>,
) -> AppResult<(StatusCode, Json<FeedbackView>)> {
    let category = FeedbackCategory::parse(&body.category).map_err(|e| social_error(&e))?;
    let text = auravest_social::message_text(&body.text).map_err(|e| social_error(&e))?;
    // Counted and stored under the community's lock: one step on every replica.
    let view = with_member(&state, &user, Access::Write, async move |c, me| {
        let now = Utc::now();
        if c.store()
            .feedback_sent_since(me, now - chrono::Duration::hours(1))
            .await?
            >= FEEDBACK_PER_HOUR
        {
            return Ok(Err(AppError::RateLimited(std::time::Duration::from_secs(
                3600,
            ))));
        }
        let row = FeedbackRow {
            id: Uuid::new_v4().to_string(),
            member: crate::live::member_key(me),
            category: category.as_str().to_owned(),
            body: text,
            created_ns: now.timestamp_nanos_opt().unwrap_or(i64::MAX),
            resolved_ns: None,
        };
        c.store().insert_feedback(&row).await?;
        let from = member_record(&c, me).await?.alias.as_str().to_owned();
        Ok(Ok(FeedbackView {
            id: row.id,
            from,
            category: row.category,
            text: row.body,
            sent_at: iso(row.created_ns),
            resolved: false,
        }))
    })
    .await??;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Open feedback, oldest first (moderators).
#[utoipa::path(get, path = "/api/v1/community/moderation/feedback", tag = "community",
    responses((status = 200, body = Vec<FeedbackView>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn feedback_queue(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<FeedbackView>>> {
    user.require(Role::Moderator)?;
    let out = with_member(&state, &user, Access::Read, async move |c, _me| {
        let mut out = Vec::new();
        for f in c.store().open_feedback(200).await? {
            let from = alias_of(&c, f.member).await?;
            out.push(FeedbackView {
                id: f.id,
                from,
                category: f.category,
                text: f.body,
                sent_at: iso(f.created_ns),
                resolved: f.resolved_ns.is_some(),
            });
        }
        Ok(out)
    })
    .await?;
    Ok(Json(out))
}

/// Resolves feedback (moderators; audited).
#[utoipa::path(post, path = "/api/v1/community/moderation/feedback/{id}/resolve", tag = "community",
    params(("id" = String, Path, description = "Feedback id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, description = "Unknown, or resolved already", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve_feedback(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let entry = QueueEntry {
        id_error: "is not a feedback id",
        missing: "feedback",
        action: "resolve_feedback",
    };
    resolve_entry(&state, &user, &id, entry, async move |c, me, key| {
        c.store().resolve_feedback(&key, me, Utc::now()).await
    })
    .await
}

/// Bans a member (moderators; audited, with the reason in the community's
/// moderation log; the member is told).
#[utoipa::path(post, path = "/api/v1/community/moderation/members/{alias}/ban", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    request_body = ReasonIn,
    responses((status = 200, body = BanView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn ban_member(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> AppResult<Json<BanView>> {
    user.require(Role::Moderator)?;
    let reason = body.reason;
    let (audit, member) = with_member(&state, &user, Access::Write, async move |mut c, me| {
        let target = member_by_alias(&c, &alias).await?;
        let audit = c
            .moderate(me, ModAction::Ban { user: target }, &reason, Utc::now())
            .await?;
        Ok((
            audit,
            member_record(&c, target).await?.alias.as_str().to_owned(),
        ))
    })
    .await?;
    audit_moderation(
        &state,
        &user,
        None,
        serde_json::json!({ "action": "ban", "community_audit": audit.get() }),
    )
    .await?;
    Ok(Json(BanView {
        audit: audit.to_string(),
        member,
    }))
}

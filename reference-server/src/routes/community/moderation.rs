//! Notifications and moderation.

#[allow(clippy::wildcard_imports)]
use super::*;
use std::str::FromStr;

use auravest_social::{ModAction, NotificationId, PostId, QueueItem, Store};
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::state::AppState;
use crate::store::Role;

// --- notifications -------------------------------------------------------------

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/community/notifications", tag = "community",
    params(NotificationParams),
    responses((status = 200, body = NotificationsView),
        (status = 422, description = "`unread` not true or false", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn notifications(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<NotificationParams>,
) -> AppResult<Json<NotificationsView>> {
    let unread_only = match params.unread.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(AppError::field(
                "unread",
                format!("{other:?} is not true or false"),
            ));
        }
    };
    let view = with_member(&state, &user, Access::Read, async move |c, me| {
        Ok(NotificationsView {
            items: c.notifications(me, unread_only).await?,
            unread: c.unread_count(me).await?,
        })
    })
    .await?;
    Ok(Json(view))
}

/// Marks notifications read: the ones listed in `ids`, or `all`.
#[utoipa::path(post, path = "/api/v1/community/notifications/read", tag = "community",
    request_body = MarkReadIn,
    responses((status = 200, body = MarkedView),
        (status = 422, description = "An id is malformed (`ids[i]`)", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<MarkReadIn>,
) -> AppResult<Json<MarkedView>> {
    let ids = body
        .ids
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            NotificationId::from_str(raw)
                .map_err(|_| AppError::field(format!("ids[{i}]"), "expected an id like n3"))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let all = body.all;
    let marked = with_member(&state, &user, Access::Write, async move |mut c, me| {
        if all {
            c.mark_all_read(me).await
        } else {
            c.mark_read(me, &ids).await
        }
    })
    .await?;
    Ok(Json(MarkedView { marked }))
}

// --- moderation -------------------------------------------------------------------

/// Posts with open flags, most flagged first (moderators).
#[utoipa::path(get, path = "/api/v1/community/moderation/flags", tag = "community",
    responses((status = 200, body = Vec<QueueItem>),
        (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn moderation_queue(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<QueueItem>>> {
    user.require(Role::Moderator)?;
    let queue = with_member(&state, &user, Access::Read, async move |c, me| {
        c.review_queue(me, Utc::now()).await
    })
    .await?;
    Ok(Json(queue))
}

/// Takes a post down (moderators).
#[utoipa::path(post, path = "/api/v1/community/moderation/posts/{id}/remove", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)")),
    request_body = ReasonIn,
    responses((status = 200, body = ModerationView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`reason` empty or too long", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_post(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> AppResult<Json<ModerationView>> {
    moderate(&state, &user, &id, body.reason, true).await
}

/// Puts a hidden or removed post back, closing its flags (moderators).
#[utoipa::path(post, path = "/api/v1/community/moderation/posts/{id}/restore", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)")),
    request_body = ReasonIn,
    responses((status = 200, body = ModerationView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`reason` empty or too long", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn restore_post(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> AppResult<Json<ModerationView>> {
    moderate(&state, &user, &id, body.reason, false).await
}

/// A post's id as our audit log's object: a UUID made from the number, hashed.
fn post_object(state: &AppState, post: PostId) -> String {
    // "social" in ASCII, so post objects never collide with our own UUIDs' hashes.
    state
        .keys
        .object_hash(Uuid::from_u64_pair(0x736f_6369_616c, post.get()))
}

async fn moderate(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    reason: String,
    remove: bool,
) -> AppResult<Json<ModerationView>> {
    user.require(Role::Moderator)?;
    let post = post_id(id)?;
    let action = if remove {
        ModAction::RemovePost { post }
    } else {
        ModAction::RestorePost { post }
    };
    // Named as the community's own log names it.
    let name = action.name();
    let live = state.live.clone();
    let (audit, status) = with_member(state, user, Access::Write, async move |mut c, me| {
        let audit = c.moderate(me, action, &reason, Utc::now()).await?;
        let status = c.store().post(post).await?.map(|p| p.status);
        if remove {
            announce_removed(&live, post).await;
        }
        Ok((audit, status))
    })
    .await?;
    audit_moderation(
        state,
        user,
        Some(post_object(state, post)),
        serde_json::json!({
            "action": name,
            "community_audit": audit.get(),
        }),
    )
    .await?;
    Ok(Json(ModerationView {
        audit: audit.to_string(),
        post: post.to_string(),
        status,
    }))
}

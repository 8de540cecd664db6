//! Posts, comments, likes, helpful marks and flags.

#[allow(clippy::wildcard_imports)]
use super::*;

use auravest_social::{CommentOrder, FlagOutcome, FlagReason, Page, PostView};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::state::AppState;

// --- posts -----------------------------------------------------------------

/// Publishes a post. Money amounts in the text need `confirm_amounts`.
#[utoipa::path(post, path = "/api/v1/community/posts", tag = "community",
    request_body = DraftIn,
    responses(
        (status = 201, description = "The post", body = PostView),
        (status = 422, description = "`text` empty, too long, with unconfirmed amounts or spam; \
            `sentiment` unknown", body = crate::error::ErrorBody),
        (status = 429, description = "Posting too fast", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_post(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<DraftIn>,
) -> AppResult<(StatusCode, Json<PostView>)> {
    let live = state.live.clone();
    let view = with_member(&state, &user, Access::Write, async move |mut c, me| {
        let id = c.post(me, draft(body), Utc::now()).await?;
        announce_post(&live, &c, id).await;
        c.view_post(Some(me), id).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One post (hidden and removed ones only for their author).
#[utoipa::path(get, path = "/api/v1/community/posts/{id}", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)")),
    responses((status = 200, body = PostView),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_post(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<PostView>> {
    let id = post_id(&id)?;
    let view = with_member(&state, &user, Access::Read, async move |c, me| {
        c.view_post(Some(me), id).await
    })
    .await?;
    Ok(Json(view))
}

/// Deletes one of the caller's posts; another member's post answers 404.
#[utoipa::path(delete, path = "/api/v1/community/posts/{id}", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such post, or not the caller's", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_post(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id = post_id(&id)?;
    let live = state.live.clone();
    with_member(&state, &user, Access::Write, async move |mut c, me| {
        c.delete_post(me, id).await?;
        announce_removed(&live, id).await;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Comments on a post, or replies to a comment.
#[utoipa::path(post, path = "/api/v1/community/posts/{id}/comments", tag = "community",
    params(("id" = String, Path, description = "Post or comment id (`p42`)")),
    request_body = DraftIn,
    responses(
        (status = 201, description = "The comment", body = PostView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_comment(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DraftIn>,
) -> AppResult<(StatusCode, Json<PostView>)> {
    let on = post_id(&id)?;
    let live = state.live.clone();
    let view = with_member(&state, &user, Access::Write, async move |mut c, me| {
        let id = c.comment(me, on, draft(body), Utc::now()).await?;
        announce_post(&live, &c, id).await;
        c.view_post(Some(me), id).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Every member's posts: the newest first, or the trending ones. The first
/// page of `latest` carries the pinned welcome message.
#[utoipa::path(get, path = "/api/v1/community/posts", tag = "community",
    params(PostsParams),
    responses((status = 200, body = Page<PostView>),
        (status = 422, description = "`sort`, `cursor` or `limit` invalid",
            body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_posts(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<PostsParams>,
) -> AppResult<Json<Page<PostView>>> {
    let trending = match params.sort.as_deref() {
        None | Some("latest") => false,
        Some("trending") => true,
        Some(other) => {
            return Err(AppError::field(
                "sort",
                format!("{other:?} is not one of latest, trending"),
            ));
        }
    };
    let req = page(params.cursor.as_deref(), params.limit.as_deref())?;
    let page = with_member(&state, &user, Access::Read, async move |c, me| {
        if trending {
            c.trending_feed(Some(me), &req, Utc::now()).await
        } else {
            c.public_feed(Some(me), &req, Utc::now()).await
        }
    })
    .await?;
    Ok(Json(page))
}

/// A post's comments, oldest or best first, a page at a time.
#[utoipa::path(get, path = "/api/v1/community/posts/{id}/comments", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)"), CommentParams),
    responses((status = 200, body = Page<PostView>),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_comments(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(params): Query<CommentParams>,
) -> AppResult<Json<Page<PostView>>> {
    let id = post_id(&id)?;
    let req = page(params.cursor.as_deref(), params.limit.as_deref())?;
    let order = match params.order.as_deref() {
        None | Some("oldest") => CommentOrder::Oldest,
        Some("best") => CommentOrder::Best,
        Some(other) => {
            return Err(AppError::field(
                "order",
                format!("{other:?} is not one of oldest, best"),
            ));
        }
    };
    let page = with_member(&state, &user, Access::Read, async move |c, me| {
        c.comments(id, order, Some(me), &req, Utc::now()).await
    })
    .await?;
    Ok(Json(page))
}

/// Likes a post (liking twice changes nothing).
#[utoipa::path(put, path = "/api/v1/community/posts/{id}/like", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)")),
    responses((status = 200, description = "The post with its like count", body = PostView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "Own post", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn like(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<PostView>> {
    let id = post_id(&id)?;
    let live = state.live.clone();
    let view = with_member(&state, &user, Access::Write, async move |mut c, me| {
        c.like(me, id, Utc::now()).await?;
        let view = c.view_post(Some(me), id).await?;
        announce_likes(&live, id, view.likes).await;
        Ok(view)
    })
    .await?;
    Ok(Json(view))
}

/// Withdraws a like.
#[utoipa::path(delete, path = "/api/v1/community/posts/{id}/like", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)")),
    responses((status = 200, description = "The post with its like count", body = PostView),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn unlike(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<PostView>> {
    let id = post_id(&id)?;
    let live = state.live.clone();
    let view = with_member(&state, &user, Access::Write, async move |mut c, me| {
        c.unlike(me, id, Utc::now()).await?;
        let view = c.view_post(Some(me), id).await?;
        announce_likes(&live, id, view.likes).await;
        Ok(view)
    })
    .await?;
    Ok(Json(view))
}

/// Marks a comment in the caller's thread helpful (it then counts as an
/// answer on the contributors board).
#[utoipa::path(put, path = "/api/v1/community/posts/{id}/helpful", tag = "community",
    params(("id" = String, Path, description = "Comment id (`p42`)")),
    responses((status = 200, description = "The comment", body = PostView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "Not a comment, not in the caller's thread, or the \
            caller's own comment", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn mark_helpful(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<PostView>> {
    set_helpful(&state, &user, &id, true).await
}

/// Withdraws the helpful mark of a comment in the caller's thread.
#[utoipa::path(delete, path = "/api/v1/community/posts/{id}/helpful", tag = "community",
    params(("id" = String, Path, description = "Comment id (`p42`)")),
    responses((status = 200, description = "The comment", body = PostView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn unmark_helpful(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<PostView>> {
    set_helpful(&state, &user, &id, false).await
}

async fn set_helpful(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    helpful: bool,
) -> AppResult<Json<PostView>> {
    let id = post_id(id)?;
    let view = with_member(state, user, Access::Write, async move |mut c, me| {
        c.mark_helpful(me, id, helpful, Utc::now()).await?;
        c.view_post(Some(me), id).await
    })
    .await?;
    Ok(Json(view))
}

/// Flags a post; enough distinct flags hide it until a moderator reviews it.
#[utoipa::path(post, path = "/api/v1/community/posts/{id}/flags", tag = "community",
    params(("id" = String, Path, description = "Post id (`p42`)")),
    request_body = FlagIn,
    responses((status = 200, body = FlagOutcome),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`reason` unknown, `note` missing or too long",
            body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn flag(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FlagIn>,
) -> AppResult<Json<FlagOutcome>> {
    let id = post_id(&id)?;
    let reason = match body.reason.as_str() {
        "spam" => FlagReason::Spam,
        "harassment" => FlagReason::Harassment,
        "personal_information" => FlagReason::PersonalInformation,
        "manipulation" => FlagReason::Manipulation,
        "misinformation" => FlagReason::Misinformation,
        "off_topic" => FlagReason::OffTopic,
        "other" => FlagReason::Other {
            note: body
                .note
                .ok_or_else(|| AppError::field("note", "is required for `other`"))?,
        },
        other => {
            return Err(AppError::field(
                "reason",
                format!(
                    "{other:?} is not one of spam, harassment, personal_information, \
                     manipulation, misinformation, off_topic, other"
                ),
            ));
        }
    };
    let live = state.live.clone();
    let outcome = with_member(&state, &user, Access::Write, async move |mut c, me| {
        let outcome = c.flag(me, id, reason, Utc::now()).await?;
        if outcome.hidden {
            announce_removed(&live, id).await;
        }
        Ok(outcome)
    })
    .await?;
    Ok(Json(outcome))
}

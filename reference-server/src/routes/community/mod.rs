//! The community under `/api/v1/community`: posts with cashtags, comments,
//! likes, the home feed, ticker streams, trending tickers, follows, member
//! profiles, performance shares (a portfolio's return over a month or a
//! year, in percent only), the top performers and contributors, flags,
//! notifications and moderation.
//!
//! Every rule is `auravest_social::Community`'s; its data lives in the
//! server's database through [`SqlSocialStore`], on the store's own pool.
//! Every handler reaches the community through [`with_community`] /
//! `with_member`, which map its errors and take the community's lock for
//! changes.
//!
//! Our users act through community members, created on their first
//! community request and mapped in `social_accounts`. At each request the
//! member is brought in step with our account: its role (our role is the
//! authority, already audited when granted), its `share_performance`
//! setting, its holdings (the tickers held now, kept only while the user's
//! `count_holdings` is on, and counted only in "most held"), and its alias
//! (ours with `-` read as `_`; changed through the community's alias
//! change, so its cooldown applies and a change refused by the cooldown is
//! retried on later requests; an alias the community's rules refuse leaves
//! the member's alias as it was).

use std::str::FromStr;

use auravest_social::{Cursor, Draft, NotificationView, PageRequest, Period, PostId, PostStatus};
use axum::Router;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[allow(clippy::wildcard_imports)]
use crate::services::community::*;

mod feedback;
mod feeds;
mod messages;
mod moderation;
mod posts;
pub use feedback::*;
pub use feeds::*;
pub use messages::*;
pub use moderation::*;
pub use posts::*;

/// `POST /community/posts` and `POST /community/posts/{id}/comments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftIn {
    /// The text (posts at most 1000 characters, comments 500), with
    /// `$TICKER` cashtags and `@alias` mentions.
    pub text: String,
    /// `bullish` or `bearish`.
    pub sentiment: Option<SentimentIn>,
    /// Post without showing the alias.
    #[serde(default)]
    pub anonymous: bool,
    /// The author saw the money amounts the text mentions and posts anyway
    /// (without it such a text is refused with 422 on `text`).
    #[serde(default)]
    pub confirm_amounts: bool,
}

/// A sentiment tag.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SentimentIn {
    /// Expects the price to rise.
    Bullish,
    /// Expects the price to fall.
    Bearish,
}

/// `POST /community/posts/{id}/flags`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagIn {
    /// `spam`, `harassment`, `personal_information`, `manipulation`,
    /// `misinformation`, `off_topic` or `other`.
    pub reason: String,
    /// What is wrong (required for `other`, 1–500 characters).
    pub note: Option<String>,
}

/// `POST /community/notifications/read`: `ids`, or `all`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadIn {
    /// Notification ids (`n3`).
    #[serde(default)]
    pub ids: Vec<String>,
    /// Mark every notification read.
    #[serde(default)]
    pub all: bool,
}

/// A moderator's reason.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonIn {
    /// Why (1–500 characters; kept in the community's moderation audit,
    /// never in our audit log).
    pub reason: String,
}

/// `POST /community/performance`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformanceIn {
    /// One of the caller's portfolios.
    pub portfolio_id: Uuid,
    /// `YYYY-MM` (a month) or `YYYY` (a year) that is over.
    pub period: String,
    /// Post without the alias; the figure is then not put on the profile.
    #[serde(default)]
    pub anonymous: bool,
    /// Name the risk band of the caller's risk profile (default true).
    #[serde(default = "yes")]
    pub include_risk: bool,
}

fn yes() -> bool {
    true
}

/// `?period=&limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PerformersParams {
    /// `YYYY-MM` (a month) or `YYYY` (a year).
    pub period: Option<String>,
    /// Entries, 1–100 (default 20).
    pub limit: Option<String>,
}

/// `?days=&limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ContributorsParams {
    /// The window, in days up to now: 1–365 (default 30).
    pub days: Option<String>,
    /// Entries, 1–100 (default 20).
    pub limit: Option<String>,
}

/// `?cursor=&limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// The previous page's `next`.
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<String>,
}

/// `?limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LimitParams {
    /// Entries, 1–100 (default 20).
    pub limit: Option<String>,
}

/// `?sort=&cursor=&limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PostsParams {
    /// `latest` (default: newest first) or `trending` (ranked by likes and age).
    pub sort: Option<String>,
    /// The previous page's `next`.
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<String>,
}

/// `?cursor=&limit=&order=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CommentParams {
    /// The previous page's `next`.
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<String>,
    /// `oldest` (default) or `best`.
    pub order: Option<String>,
}

/// `?unread=true`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NotificationParams {
    /// Only unread notifications (`true` or `false`).
    pub unread: Option<String>,
}

/// Whether the caller follows a member now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowView {
    /// Following after the request.
    pub following: bool,
    /// Whether the request changed anything.
    pub changed: bool,
}

/// Notifications, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationsView {
    /// The notifications.
    pub items: Vec<NotificationView>,
    /// Unread notifications in all.
    pub unread: usize,
}

/// How many notifications changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedView {
    /// Notifications marked read.
    pub marked: usize,
}

/// A moderator action taken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModerationView {
    /// The community's audit entry (`a1`).
    pub audit: String,
    /// The post (`p42`).
    pub post: String,
    /// Its status now (`visible`, `hidden`, `removed`, `deleted`); null
    /// when the post is gone.
    pub status: Option<PostStatus>,
}

// --- input -----------------------------------------------------------------

fn post_id(raw: &str) -> AppResult<PostId> {
    PostId::from_str(raw).map_err(|_| AppError::field("id", "expected a post id like p42"))
}

/// A whole-number query parameter in `1..=max`, `default` when absent.
fn bounded(field: &str, raw: Option<&str>, max: usize, default: usize) -> AppResult<usize> {
    match raw {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| AppError::field(field, format!("must be 1-{max}"))),
    }
}

/// `?limit=`: 1 to the community's page size, by default its default.
fn limit(raw: Option<&str>) -> AppResult<usize> {
    bounded(
        "limit",
        raw,
        auravest_social::MAX_PAGE_SIZE,
        auravest_social::DEFAULT_PAGE_SIZE,
    )
}

/// `YYYY-MM` or `YYYY`.
fn period(raw: &str) -> AppResult<Period> {
    Period::from_str(raw.trim()).map_err(|e| social_error(&e))
}

fn page(cursor: Option<&str>, limit_raw: Option<&str>) -> AppResult<PageRequest> {
    let limit = limit(limit_raw)?;
    let cursor = cursor
        .map(Cursor::from_str)
        .transpose()
        .map_err(|e| AppError::field("cursor", e.to_string()))?;
    Ok(PageRequest { cursor, limit })
}

/// Records a moderator's action in our audit log: the action's code, the
/// community's own audit id when it has one, and keyed hashes only.
async fn audit_moderation(
    state: &AppState,
    user: &crate::auth::AuthUser,
    object: Option<String>,
    detail: serde_json::Value,
) -> AppResult<()> {
    state
        .store
        .audit(&crate::store::AuditEntry {
            at: chrono::Utc::now(),
            action: crate::store::AuditAction::Moderation,
            subject: Some(user.audit_subject),
            object,
            detail,
        })
        .await?;
    Ok(())
}

/// What a moderation-queue entry is called: in the error for a bad id, in
/// the 404, and the audited action's code.
struct QueueEntry {
    id_error: &'static str,
    missing: &'static str,
    action: &'static str,
}

/// Closes one moderation-queue entry (moderators only): `id` must be a
/// UUID, `resolve` says whether the entry was open (else 404), and the
/// action is audited with the entry's keyed hash.
async fn resolve_entry<F>(
    state: &AppState,
    user: &crate::auth::AuthUser,
    id: &str,
    entry: QueueEntry,
    resolve: F,
) -> AppResult<axum::http::StatusCode>
where
    F: AsyncFnOnce(
        ServerCommunity,
        auravest_social::UserId,
        String,
    ) -> Result<bool, auravest_social::Error>,
{
    user.require(crate::store::Role::Moderator)?;
    let parsed = Uuid::parse_str(id.trim()).map_err(|_| AppError::field("id", entry.id_error))?;
    let key = parsed.to_string();
    let done = with_member(state, user, Access::Write, async move |c, me| {
        resolve(c, me, key).await
    })
    .await?;
    if !done {
        return Err(AppError::not_found(entry.missing));
    }
    audit_moderation(
        state,
        user,
        Some(state.keys.object_hash(parsed)),
        serde_json::json!({ "action": entry.action }),
    )
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

fn draft(body: DraftIn) -> Draft {
    Draft {
        text: body.text,
        sentiment: body.sentiment.map(|s| match s {
            SentimentIn::Bullish => auravest_social::Sentiment::Bullish,
            SentimentIn::Bearish => auravest_social::Sentiment::Bearish,
        }),
        anonymous: body.anonymous,
        confirm_amounts: body.confirm_amounts,
    }
}

/// The community routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/community/posts", post(create_post).get(list_posts))
        .route("/community/posts/{id}", get(get_post).delete(delete_post))
        .route(
            "/community/posts/{id}/comments",
            post(create_comment).get(list_comments),
        )
        .route("/community/posts/{id}/like", put(like).delete(unlike))
        .route(
            "/community/posts/{id}/helpful",
            put(mark_helpful).delete(unmark_helpful),
        )
        .route("/community/posts/{id}/flags", post(flag))
        .route("/community/feed", get(feed))
        .route("/community/symbols/{symbol}/posts", get(symbol_posts))
        .route(
            "/community/symbols/{symbol}/sentiment",
            get(symbol_sentiment),
        )
        .route("/community/trending/tickers", get(trending_tickers))
        .route("/community/performance", post(share_performance))
        .route("/community/most-held", get(most_held))
        .route("/community/leaderboards/performers", get(top_performers))
        .route(
            "/community/leaderboards/contributors",
            get(top_contributors),
        )
        .route("/community/members/{alias}", get(profile))
        .route("/community/members/{alias}/posts", get(member_posts))
        .route(
            "/community/members/{alias}/follow",
            put(follow).delete(unfollow),
        )
        .route("/community/notifications", get(notifications))
        .route("/community/notifications/read", post(mark_read))
        .route("/community/messages", get(conversations))
        .route("/community/messages/settings", put(message_settings))
        .route(
            "/community/messages/with/{alias}",
            get(thread).post(send_message),
        )
        .route(
            "/community/messages/blocks/{alias}",
            put(block).delete(unblock),
        )
        .route("/community/messages/{id}/report", post(report_message))
        .route("/community/moderation/messages", get(reported_messages))
        .route(
            "/community/moderation/messages/{id}/resolve",
            post(resolve_report),
        )
        .route("/community/feedback", post(send_feedback))
        .route("/community/moderation/feedback", get(feedback_queue))
        .route(
            "/community/moderation/feedback/{id}/resolve",
            post(resolve_feedback),
        )
        .route(
            "/community/moderation/members/{alias}/ban",
            post(ban_member),
        )
        .route("/community/moderation/flags", get(moderation_queue))
        .route("/community/moderation/posts/{id}/remove", post(remove_post))
        .route(
            "/community/moderation/posts/{id}/restore",
            post(restore_post),
        )
}

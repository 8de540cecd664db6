//! The community under `/api/v1/community`: posts with cashtags, comments,
//! likes, the home feed, ticker streams, trending tickers, follows, member
//! profiles, performance shares (a portfolio's return over a month or a
//! year, in percent only), the top performers and contributors, flags,
//! notifications and moderation.
//!
//! Every rule is `auravest_social::Community`'s; its data lives in the
//! server's database through [`SqlSocialStore`]. That store blocks on the
//! runtime, so every handler reaches the community through
//! [`with_community`] / `with_member`, which run it in `spawn_blocking`.
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

use auravest_social::{
    Alias, AliasPolicy, CommentOrder, Community, Config, ContributorEntry, Cursor, Decimal, Draft,
    Error, FlagOutcome, FlagReason, HeldSymbol, ModAction, NotificationId, NotificationView, Page,
    PageRequest, PerformanceShare, PerformerEntry, Period, PostId, PostStatus, PostView,
    PrivacySettings, ProfileView, QueueItem, Store, Symbol, TrendingTicker, UserId,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::{ApiJson, portfolios};
use crate::social_store::{PostsChoice, SqlSocialStore};
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry, Role};

/// The community over the server's database.
pub type ServerCommunity = Community<SqlSocialStore>;

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

// --- running the community --------------------------------------------------

/// Runs `f` on the community in `spawn_blocking` (the store blocks on the
/// runtime, see [`SqlSocialStore`]) and maps its errors. Every use of the
/// community goes through here.
///
/// # Errors
/// The community's errors as [`AppError`]s (see `social_error`); the
/// database's as internal errors.
pub async fn with_community<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut ServerCommunity) -> Result<T, Error> + Send + 'static,
{
    let store = SqlSocialStore::open(state).await?;
    let mut community = Community::new(store, Config::default());
    tokio::task::spawn_blocking(move || f(&mut community))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| social_error(&e))
}

/// What the member of a user is kept in step with.
struct Account {
    user: Uuid,
    alias: String,
    role: Role,
    share_performance: bool,
    /// The held tickers when the user lets the community count them.
    holdings: Option<Vec<Symbol>>,
}

/// The name of the lock every change to the community takes
/// ([`crate::store::Store::lock`]): the community's rules read what they
/// then change (a member's recent posts for the posting limits, a post's
/// open flags for the hiding threshold, its likes for the milestones, a
/// member's record for its settings), so changes run one at a time across
/// every replica. Reads take no lock.
pub const COMMUNITY_LOCK: &str = "community";

/// As [`with_community`], holding [`COMMUNITY_LOCK`].
///
/// # Errors
/// As [`with_community`]; a lock not free in time is a 503.
pub async fn with_community_locked<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut ServerCommunity) -> Result<T, Error> + Send + 'static,
{
    let _held = state.store.lock(COMMUNITY_LOCK).await?;
    with_community(state, f).await
}

/// Whether a community call only reads ([`Access::Read`]) or may change
/// something ([`Access::Write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// The account as the community should see it, read now.
async fn account_of(state: &AppState, user: &AuthUser) -> AppResult<Account> {
    let record = state
        .store
        .user(user.id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the account no longer exists".to_owned()))?;
    let holdings = if record.count_holdings {
        Some(portfolios::held_now(state, user.id).await?)
    } else {
        None
    };
    Ok(Account {
        user: user.id,
        alias: record.alias,
        role: record.role,
        share_performance: record.share_performance,
        holdings,
    })
}

/// As [`with_community`], with the caller's member (created on first use
/// and brought in step with the account). A [`Access::Write`] call runs
/// under [`COMMUNITY_LOCK`]; a read takes it only when the member must be
/// created or brought in step. The account is read under the lock, so a
/// member is never created for an account being deleted.
async fn with_member<T, F>(state: &AppState, user: &AuthUser, access: Access, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut ServerCommunity, UserId) -> Result<T, Error> + Send + 'static,
{
    if access == Access::Read {
        let account = account_of(state, user).await?;
        let ready = with_community(state, move |c| in_step(c, &account)).await?;
        if let Some(me) = ready {
            return with_community(state, move |c| f(c, me)).await;
        }
    }
    let _held = state.store.lock(COMMUNITY_LOCK).await?;
    let account = account_of(state, user).await?;
    let now = Utc::now();
    let seed: u64 = rand::random();
    with_community(state, move |c| {
        let me = member(c, &account, now, seed)?;
        f(c, me)
    })
    .await
}

/// The account's member when it exists and is in step with the account
/// (nothing for [`member`] to write); `None` otherwise.
fn in_step(c: &mut ServerCommunity, account: &Account) -> Result<Option<UserId>, Error> {
    let Some((id, synced)) = c.store().account(account.user)? else {
        return Ok(None);
    };
    let record = member_record(c, id)?;
    let settings = PrivacySettings {
        share_performance: account.share_performance,
        count_holdings_in_aggregates: account.holdings.is_some(),
    };
    let holdings = account.holdings.as_deref().unwrap_or_default();
    let ready = record.role == account.role
        && record.settings == settings
        && record.holdings == holdings
        && synced == account.alias;
    Ok(ready.then_some(id))
}

/// Our alias as a community alias: `-` read as `_`, cut to the community's
/// length; `None` when the community's rules refuse it.
fn community_alias(ours: &str, policy: &AliasPolicy) -> Option<Alias> {
    let candidate: String = ours
        .chars()
        .map(|c| if c == '-' { '_' } else { c })
        .take(auravest_social::MAX_ALIAS_LEN)
        .collect();
    policy.check(&candidate).ok()
}

/// The account's member, created when missing, then brought in step.
fn member(
    c: &mut ServerCommunity,
    account: &Account,
    now: DateTime<Utc>,
    seed: u64,
) -> Result<UserId, Error> {
    let mut store = c.store().clone();
    let (id, synced) = match store.account(account.user)? {
        Some(found) => found,
        None => {
            let created = match community_alias(&account.alias, &c.config().alias) {
                Some(alias) => match store.insert_user(auravest_social::NewUser {
                    alias,
                    role: account.role,
                    joined_at: now,
                }) {
                    Ok(user) => Some(user.id),
                    Err(Error::AliasTaken { .. }) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let id = match created {
                Some(id) => id,
                None => {
                    c.register_with_role(account.role, now, &mut auravest_social::seeded_rng(seed))?
                }
            };
            if store.link(account.user, id, &account.alias)? {
                (id, account.alias.clone())
            } else {
                // A concurrent first request linked another member: use that one.
                store.discard_member(id)?;
                store.account(account.user)?.ok_or_else(|| Error::Storage {
                    backend: "sql",
                    detail: "the member mapping vanished".to_owned(),
                })?
            }
        }
    };
    let mut record = member_record(c, id)?;
    if record.role != account.role {
        record.role = account.role;
        store.update_user(&record)?;
    }
    let settings = PrivacySettings {
        share_performance: account.share_performance,
        count_holdings_in_aggregates: account.holdings.is_some(),
    };
    if record.settings != settings {
        c.update_settings(id, settings)?;
    }
    // Holdings are kept only while the user lets them be counted.
    let holdings = account.holdings.as_deref().unwrap_or_default();
    if record.holdings != holdings {
        c.set_holdings(id, holdings)?;
    }
    if synced != account.alias {
        match community_alias(&account.alias, &c.config().alias) {
            Some(alias) if alias.key() == record.alias.key() => {
                store.set_synced_alias(account.user, &account.alias)?;
            }
            Some(alias) => match c.change_alias(id, alias.as_str(), now) {
                Ok(_) | Err(Error::InvalidAlias { .. } | Error::AliasTaken { .. }) => {
                    store.set_synced_alias(account.user, &account.alias)?;
                }
                // The cooldown or a suspension: try again on a later request.
                Err(Error::RateLimited { .. } | Error::AccountRestricted { .. }) => {}
                Err(e) => return Err(e),
            },
            None => store.set_synced_alias(account.user, &account.alias)?,
        }
    }
    Ok(id)
}

/// A member as stored.
fn member_record(c: &ServerCommunity, id: UserId) -> Result<auravest_social::User, Error> {
    c.store().user(id)?.ok_or_else(|| Error::NotFound {
        entity: auravest_social::Entity::User,
        id: id.to_string(),
    })
}

/// The community's errors as ours: rule violations on a field are 422s
/// naming it, `not found` 404, role and restriction refusals 403, rate
/// limits 429, taken aliases 409, storage failures 500.
fn social_error(e: &Error) -> AppError {
    match e {
        Error::NotFound { entity, .. } => AppError::NotFound(format!("no such {entity}")),
        Error::Forbidden { .. } | Error::AccountRestricted { .. } => {
            AppError::Forbidden(e.to_string())
        }
        Error::PerformanceSharingOff => AppError::Forbidden(e.to_string()),
        Error::RateLimited { retry_after, .. } => AppError::RateLimited(
            retry_after
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(1)),
        ),
        Error::AliasTaken { .. } => AppError::Conflict(e.to_string()),
        Error::SelfAction { .. } => AppError::field("id", e.to_string()),
        Error::Core(_) => AppError::field("symbol", e.to_string()),
        Error::Storage { .. } | Error::AliasSpaceExhausted => AppError::internal(e),
        _ => match e.field() {
            Some(field) => AppError::field(field, e.to_string()),
            None => AppError::internal(e),
        },
    }
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
    let view = with_member(&state, &user, Access::Write, move |c, me| {
        let id = c.post(me, draft(body), Utc::now())?;
        c.view_post(Some(me), id)
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
    let view = with_member(&state, &user, Access::Read, move |c, me| {
        c.view_post(Some(me), id)
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
    with_member(&state, &user, Access::Write, move |c, me| {
        c.delete_post(me, id)
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
    let view = with_member(&state, &user, Access::Write, move |c, me| {
        let id = c.comment(me, on, draft(body), Utc::now())?;
        c.view_post(Some(me), id)
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
    let page = with_member(&state, &user, Access::Read, move |c, me| {
        if trending {
            c.trending_feed(Some(me), &req, Utc::now())
        } else {
            c.public_feed(Some(me), &req, Utc::now())
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
    let page = with_member(&state, &user, Access::Read, move |c, me| {
        c.comments(id, order, Some(me), &req, Utc::now())
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
    let view = with_member(&state, &user, Access::Write, move |c, me| {
        c.like(me, id, Utc::now())?;
        c.view_post(Some(me), id)
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
    let view = with_member(&state, &user, Access::Write, move |c, me| {
        c.unlike(me, id, Utc::now())?;
        c.view_post(Some(me), id)
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
    let view = with_member(state, user, Access::Write, move |c, me| {
        c.mark_helpful(me, id, helpful, Utc::now())?;
        c.view_post(Some(me), id)
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
    let outcome = with_member(&state, &user, Access::Write, move |c, me| {
        c.flag(me, id, reason, Utc::now())
    })
    .await?;
    Ok(Json(outcome))
}

// --- feeds -------------------------------------------------------------------

/// The home feed: posts of the members the caller follows, newest first.
#[utoipa::path(get, path = "/api/v1/community/feed", tag = "community",
    params(PageParams),
    responses((status = 200, body = Page<PostView>),
        (status = 422, description = "`cursor` or `limit` invalid", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn feed(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<PageParams>,
) -> AppResult<Json<Page<PostView>>> {
    let req = page(params.cursor.as_deref(), params.limit.as_deref())?;
    let page = with_member(&state, &user, Access::Read, move |c, me| {
        c.following_feed(me, &req, Utc::now())
    })
    .await?;
    Ok(Json(page))
}

/// Posts that tag a ticker, newest first.
#[utoipa::path(get, path = "/api/v1/community/symbols/{symbol}/posts", tag = "community",
    params(("symbol" = String, Path, description = "Ticker (`AAPL`)"), PageParams),
    responses((status = 200, body = Page<PostView>),
        (status = 422, description = "`symbol`, `cursor` or `limit` invalid",
            body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn symbol_posts(
    State(state): State<AppState>,
    user: AuthUser,
    Path(symbol): Path<String>,
    Query(params): Query<PageParams>,
) -> AppResult<Json<Page<PostView>>> {
    let symbol = Symbol::new(&symbol).map_err(|e| AppError::field("symbol", e.to_string()))?;
    let req = page(params.cursor.as_deref(), params.limit.as_deref())?;
    let page = with_member(&state, &user, Access::Read, move |c, me| {
        c.symbol_feed(&symbol, Some(me), &req, Utc::now())
    })
    .await?;
    Ok(Json(page))
}

/// Tickers talked about unusually often today.
#[utoipa::path(get, path = "/api/v1/community/trending/tickers", tag = "community",
    responses((status = 200, body = Vec<TrendingTicker>)),
    security(("bearer" = [])))]
pub async fn trending_tickers(
    State(state): State<AppState>,
    _user: AuthUser,
) -> AppResult<Json<Vec<TrendingTicker>>> {
    let list = with_community(&state, |c| c.trending_tickers(Utc::now())).await?;
    Ok(Json(list))
}

// --- performance ---------------------------------------------------------------

/// Posts the time-weighted return of one of the caller's portfolios over a
/// month or a year that is over, in percent only (rounded to 0.1), with the
/// band of the caller's risk profile unless `include_risk` is false. Under
/// the alias it needs `share_performance` on and also puts the figure on the
/// caller's profile and in the top performers; an anonymous share does
/// neither, and is refused when the same figure is already on the profile.
#[utoipa::path(post, path = "/api/v1/community/performance", tag = "community",
    request_body = PerformanceIn,
    responses(
        (status = 201, description = "The post", body = PostView),
        (status = 403, description = "`share_performance` is off (and the share is not anonymous)",
            body = crate::error::ErrorBody),
        (status = 404, description = "No such portfolio of the caller's", body = crate::error::ErrorBody),
        (status = 422, description = "`period` malformed, not over, not priced or before the \
            portfolio; `portfolio_id` without transactions; `anonymous` for a figure on the profile",
            body = crate::error::ErrorBody),
        (status = 429, description = "Posting too fast", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn share_performance(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<PerformanceIn>,
) -> AppResult<(StatusCode, Json<PostView>)> {
    let period = period(&body.period)?;
    let first = period.first_day().map_err(|e| social_error(&e))?;
    let last = period.last_day().map_err(|e| social_error(&e))?;
    let twr = portfolios::period_return(&state, user.id, body.portfolio_id, first, last).await?;
    let return_pct = Decimal::from_f64_retain(twr * 100.0).ok_or_else(|| {
        AppError::field(
            "period",
            "the portfolio's return over the period is not a number",
        )
    })?;
    let risk = if body.include_risk {
        portfolios::risk_profile_of(&state, user.id)
            .await?
            .map(|p| p.category)
    } else {
        None
    };
    let share = PerformanceShare::new(period, return_pct, risk).map_err(|e| social_error(&e))?;
    let anonymous = body.anonymous;
    let view = with_member(&state, &user, Access::Write, move |c, me| {
        let id = c.share_performance(me, &share, anonymous, Utc::now())?;
        if !anonymous {
            c.record_return(me, share.period, share.return_pct)?;
        }
        c.view_post(Some(me), id)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The members who share their performance, by their return over a period
/// (percent only), highest first.
#[utoipa::path(get, path = "/api/v1/community/leaderboards/performers", tag = "community",
    params(PerformersParams),
    responses((status = 200, body = Vec<PerformerEntry>),
        (status = 422, description = "`period` missing or malformed, `limit` invalid",
            body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn top_performers(
    State(state): State<AppState>,
    _user: AuthUser,
    Query(params): Query<PerformersParams>,
) -> AppResult<Json<Vec<PerformerEntry>>> {
    let raw = params
        .period
        .ok_or_else(|| AppError::field("period", "is required: YYYY-MM or YYYY"))?;
    let period = period(&raw)?;
    let limit = limit(params.limit.as_deref())?;
    let list = with_community(&state, move |c| c.top_performers(period, limit)).await?;
    Ok(Json(list))
}

/// The most helpful members over the last `days`: likes received plus
/// answers marked helpful (anonymous posts never count; wealth plays no part).
#[utoipa::path(get, path = "/api/v1/community/leaderboards/contributors", tag = "community",
    params(ContributorsParams),
    responses((status = 200, body = Vec<ContributorEntry>),
        (status = 422, description = "`days` or `limit` invalid", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn top_contributors(
    State(state): State<AppState>,
    _user: AuthUser,
    Query(params): Query<ContributorsParams>,
) -> AppResult<Json<Vec<ContributorEntry>>> {
    let days = bounded("days", params.days.as_deref(), 365, 30)?;
    let limit = limit(params.limit.as_deref())?;
    let now = Utc::now();
    let since = now - chrono::Duration::days(i64::try_from(days).map_err(AppError::internal)?);
    let list = with_community(&state, move |c| c.top_contributors(since, now, limit)).await?;
    Ok(Json(list))
}

/// The tickers most held by members who let their holdings be counted
/// (a ticker needs three such holders; never who holds what).
#[utoipa::path(get, path = "/api/v1/community/most-held", tag = "community",
    params(LimitParams),
    responses((status = 200, body = Vec<HeldSymbol>),
        (status = 422, description = "`limit` invalid", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn most_held(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<LimitParams>,
) -> AppResult<Json<Vec<HeldSymbol>>> {
    let limit = limit(params.limit.as_deref())?;
    let list = with_member(&state, &user, Access::Read, move |c, _me| {
        c.most_held(limit)
    })
    .await?;
    Ok(Json(list))
}

// --- members -------------------------------------------------------------------

/// A member's profile: alias, counts, and percentage returns only when the
/// member shares them. Never an amount of money.
#[utoipa::path(get, path = "/api/v1/community/members/{alias}", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    responses((status = 200, body = ProfileView),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn profile(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
) -> AppResult<Json<ProfileView>> {
    let view = with_member(&state, &user, Access::Read, move |c, me| {
        c.profile_by_alias(Some(me), &alias)
    })
    .await?;
    Ok(Json(view))
}

/// A member's top-level posts, newest first (their anonymous ones only
/// for themselves).
#[utoipa::path(get, path = "/api/v1/community/members/{alias}/posts", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias"), PageParams),
    responses((status = 200, body = Page<PostView>),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`cursor` or `limit` invalid", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn member_posts(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
    Query(params): Query<PageParams>,
) -> AppResult<Json<Page<PostView>>> {
    let req = page(params.cursor.as_deref(), params.limit.as_deref())?;
    let page = with_member(&state, &user, Access::Read, move |c, me| {
        let author = member_by_alias(c, &alias)?;
        c.author_feed(author, Some(me), &req, Utc::now())
    })
    .await?;
    Ok(Json(page))
}

fn member_by_alias(c: &ServerCommunity, alias: &str) -> Result<UserId, Error> {
    c.store()
        .user_by_alias(alias)?
        .map(|u| u.id)
        .ok_or_else(|| Error::NotFound {
            entity: auravest_social::Entity::User,
            id: alias.to_owned(),
        })
}

/// Follows a member.
#[utoipa::path(put, path = "/api/v1/community/members/{alias}/follow", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    responses((status = 200, body = FollowView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "Oneself", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn follow(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
) -> AppResult<Json<FollowView>> {
    let changed = with_member(&state, &user, Access::Write, move |c, me| {
        let target = member_by_alias(c, &alias)?;
        c.follow(me, target, Utc::now())
    })
    .await?;
    Ok(Json(FollowView {
        following: true,
        changed,
    }))
}

/// Stops following a member.
#[utoipa::path(delete, path = "/api/v1/community/members/{alias}/follow", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    responses((status = 200, body = FollowView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn unfollow(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
) -> AppResult<Json<FollowView>> {
    let changed = with_member(&state, &user, Access::Write, move |c, me| {
        let target = member_by_alias(c, &alias)?;
        c.unfollow(me, target)
    })
    .await?;
    Ok(Json(FollowView {
        following: false,
        changed,
    }))
}

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
    let view = with_member(&state, &user, Access::Read, move |c, me| {
        Ok(NotificationsView {
            items: c.notifications(me, unread_only)?,
            unread: c.unread_count(me)?,
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
    let marked = with_member(&state, &user, Access::Write, move |c, me| {
        if all {
            c.mark_all_read(me)
        } else {
            c.mark_read(me, &ids)
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
    let queue = with_member(&state, &user, Access::Read, move |c, me| {
        c.review_queue(me, Utc::now())
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
    let (audit, status) = with_member(state, user, Access::Write, move |c, me| {
        let audit = c.moderate(me, action, &reason, Utc::now())?;
        let status = c.store().post(post)?.map(|p| p.status);
        Ok((audit, status))
    })
    .await?;
    state
        .store
        .audit(&AuditEntry {
            at: Utc::now(),
            action: AuditAction::Moderation,
            subject: Some(user.audit_subject),
            object: Some(post_object(state, post)),
            detail: serde_json::json!({
                "action": if remove { "remove_post" } else { "restore_post" },
                "community_audit": audit.get(),
            }),
        })
        .await?;
    Ok(Json(ModerationView {
        audit: audit.to_string(),
        post: post.to_string(),
        status,
    }))
}

// --- account deletion --------------------------------------------------------------

/// Removes the user's community member before the account is deleted:
/// their posts and comments deleted (text erased) or anonymised (kept,
/// shown as anonymous, linked to no one), and their likes, flags, follows,
/// notifications and member mapping removed. Nothing to do for a user who
/// never used the community. The crate has no rule for leaving members, so
/// this is the server's (`SqlSocialStore::erase_member`).
///
/// # Errors
/// Database failures, as internal errors.
pub async fn delete_member(state: &AppState, user: Uuid, posts: PostsChoice) -> AppResult<()> {
    with_community(state, move |c| c.store().erase_member(user, posts)).await?;
    Ok(())
}

/// Everything the community holds about a user, for the data export;
/// `None` when they never took part (no member is created for asking).
///
/// # Errors
/// The database's, as internal errors.
pub async fn member_export(
    state: &AppState,
    user: Uuid,
) -> AppResult<Option<auravest_social::MemberExport>> {
    with_community(state, move |c| match c.store().account(user)? {
        Some((id, _)) => c.export_member(id).map(Some),
        None => Ok(None),
    })
    .await
}

/// Whether the user wrote any post or comment (any status, anonymous ones
/// included), for the first-post badge; no member is created for asking.
///
/// # Errors
/// The database's, as internal errors.
pub async fn has_posted(state: &AppState, user: Uuid) -> AppResult<bool> {
    with_community(state, move |c| {
        let Some((id, _)) = c.store().account(user)? else {
            return Ok(false);
        };
        let mut query = auravest_social::PostQuery::new(auravest_social::Scope::Authors(vec![id]));
        query.limit = Some(1);
        Ok(!c.store().query_posts(&query)?.is_empty())
    })
    .await
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
        .route("/community/moderation/flags", get(moderation_queue))
        .route("/community/moderation/posts/{id}/remove", post(remove_post))
        .route(
            "/community/moderation/posts/{id}/restore",
            post(restore_post),
        )
}

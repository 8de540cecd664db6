//! Feeds, ticker streams, trending tickers, performance shares, the leaderboards and member profiles.

#[allow(clippy::wildcard_imports)]
use super::*;

use auravest_social::{
    ContributorEntry, Decimal, Error, HeldSymbol, Page, PerformanceShare, PerformerEntry, PostView,
    ProfileView, Store, Symbol, TrendingTicker, UserId,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::services::portfolio as portfolios;
use crate::state::AppState;

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
    let page = with_member(&state, &user, Access::Read, async move |c, me| {
        c.following_feed(me, &req, Utc::now()).await
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
    let page = with_member(&state, &user, Access::Read, async move |c, me| {
        c.symbol_feed(&symbol, Some(me), &req, Utc::now()).await
    })
    .await?;
    Ok(Json(page))
}

/// `?days=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SentimentParams {
    /// The window in days up to now, 1–90 (default 7).
    pub days: Option<String>,
}

/// How members lean on a ticker: bullish and bearish members over the
/// window, each counted once by their latest tagged post.
#[utoipa::path(get, path = "/api/v1/community/symbols/{symbol}/sentiment", tag = "community",
    params(("symbol" = String, Path, description = "Ticker (`AAPL`)"), SentimentParams),
    responses((status = 200, body = auravest_social::TickerSentiment),
        (status = 422, description = "`symbol` or `days` invalid", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn symbol_sentiment(
    State(state): State<AppState>,
    user: AuthUser,
    Path(symbol): Path<String>,
    Query(params): Query<SentimentParams>,
) -> AppResult<Json<auravest_social::TickerSentiment>> {
    let symbol = Symbol::new(&symbol).map_err(|e| AppError::field("symbol", e.to_string()))?;
    let days = match params.days.as_deref().map(str::trim) {
        None | Some("") => 7,
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| AppError::field("days", format!("{v:?} is not a number of days")))?,
    };
    let view = with_member(&state, &user, Access::Read, async move |c, _me| {
        c.ticker_sentiment(&symbol, days, Utc::now()).await
    })
    .await?;
    Ok(Json(view))
}

/// Tickers talked about unusually often today.
#[utoipa::path(get, path = "/api/v1/community/trending/tickers", tag = "community",
    responses((status = 200, body = Vec<TrendingTicker>)),
    security(("bearer" = [])))]
pub async fn trending_tickers(
    State(state): State<AppState>,
    _user: AuthUser,
) -> AppResult<Json<Vec<TrendingTicker>>> {
    let list = with_community(&state, async move |c| c.trending_tickers(Utc::now()).await).await?;
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
    let live = state.live.clone();
    let view = with_member(&state, &user, Access::Write, async move |mut c, me| {
        let id = c
            .share_performance(me, &share, anonymous, Utc::now())
            .await?;
        if !anonymous {
            c.record_return(me, share.period, share.return_pct).await?;
        }
        announce_post(&live, &c, id).await;
        c.view_post(Some(me), id).await
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
    let list = with_community(&state, async move |c| c.top_performers(period, limit).await).await?;
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
    let list = with_community(&state, async move |c| {
        c.top_contributors(since, now, limit).await
    })
    .await?;
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
    let list = with_member(&state, &user, Access::Read, async move |c, _me| {
        c.most_held(limit).await
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
    let view = with_member(&state, &user, Access::Read, async move |c, me| {
        c.profile_by_alias(Some(me), &alias).await
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
    let page = with_member(&state, &user, Access::Read, async move |c, me| {
        let author = member_by_alias(&c, &alias).await?;
        c.author_feed(author, Some(me), &req, Utc::now()).await
    })
    .await?;
    Ok(Json(page))
}

pub(super) async fn member_by_alias(c: &ServerCommunity, alias: &str) -> Result<UserId, Error> {
    c.store()
        .user_by_alias(alias)
        .await?
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
    let live = state.live.clone();
    let changed = with_member(&state, &user, Access::Write, async move |mut c, me| {
        let target = member_by_alias(&c, &alias).await?;
        let changed = c.follow(me, target, Utc::now()).await?;
        if changed {
            announce_follows(&live, me).await;
        }
        Ok(changed)
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
    let live = state.live.clone();
    let changed = with_member(&state, &user, Access::Write, async move |mut c, me| {
        let target = member_by_alias(&c, &alias).await?;
        let changed = c.unfollow(me, target).await?;
        if changed {
            announce_follows(&live, me).await;
        }
        Ok(changed)
    })
    .await?;
    Ok(Json(FollowView {
        following: false,
        changed,
    }))
}

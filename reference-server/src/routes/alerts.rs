//! Watchlists and price alerts. Watched and alerted symbols are refreshed
//! by the price refresher with the held ones; after each refresh the rules
//! are checked (`services::alerts`) and what fires arrives as a
//! notification that names the quote's source and age.

use std::collections::BTreeMap;

use auravest_social::{AlertCondition, AlertRule, Symbol};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::Utc;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::services::alerts::{AlertView, alert_view};
use crate::state::AppState;
use crate::store::{AlertRow, WatchRow};

/// A watched symbol with its last stored price.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WatchView {
    /// Ticker.
    pub symbol: String,
    /// When it was added (RFC 3339).
    pub added_at: String,
    /// The last stored price (decimal string), when one is known.
    pub price: Option<String>,
    /// The day of that price.
    pub as_of: Option<String>,
    /// Where it came from.
    pub source: Option<String>,
}

/// The watchlist.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WatchlistView {
    /// The symbols, in symbol order.
    pub items: Vec<WatchView>,
    /// The most it may hold on the caller's plan.
    pub limit: usize,
}

/// A new alert rule.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    /// Ticker.
    pub symbol: String,
    /// `above` or `below` (a price), or `moved` (a percentage in a day,
    /// negative for a fall).
    pub kind: String,
    /// The price (`above`, `below`) or the percentage (`moved`), as a
    /// decimal string.
    pub value: String,
}

fn symbol(text: &str, field: &str) -> AppResult<Symbol> {
    Symbol::new(text.trim()).map_err(|e| AppError::field(field, e.to_string()))
}

/// The caller's watchlist with the last stored prices.
#[utoipa::path(get, path = "/api/v1/watchlist", tag = "alerts",
    responses((status = 200, body = WatchlistView)),
    security(("bearer" = [])))]
pub async fn watchlist(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<WatchlistView>> {
    let plan = crate::plans::plan_of(&state, user.id).await?;
    watchlist_of(&state, user.id, plan.watchlist_symbols).await
}

/// The user's watchlist with the last stored prices, under `limit`.
async fn watchlist_of(
    state: &AppState,
    user: Uuid,
    limit: usize,
) -> AppResult<Json<WatchlistView>> {
    let rows = state.store.watchlist(user).await?;
    let symbols: Vec<String> = rows.iter().map(|r| r.symbol.clone()).collect();
    let prices: BTreeMap<String, crate::store::LastPrice> = state
        .store
        .last_prices(&symbols)
        .await?
        .into_iter()
        .map(|p| (p.symbol.clone(), p))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| {
            let p = prices.get(&r.symbol);
            WatchView {
                added_at: r.added_at.to_rfc3339(),
                price: p.map(|p| p.price.clone()),
                as_of: p.map(|p| p.as_of.to_string()),
                source: p.map(|p| p.source.clone()),
                symbol: r.symbol,
            }
        })
        .collect();
    Ok(Json(WatchlistView { items, limit }))
}

/// Adds a symbol to the watchlist (adding it twice changes nothing); its
/// price is fetched now when none is stored.
#[utoipa::path(put, path = "/api/v1/watchlist/{symbol}", tag = "alerts",
    params(("symbol" = String, Path, description = "Ticker")),
    responses((status = 200, body = WatchlistView),
        (status = 409, description = "The watchlist is full", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn watch(
    State(state): State<AppState>,
    user: AuthUser,
    Path(text): Path<String>,
) -> AppResult<Json<WatchlistView>> {
    let symbol = symbol(&text, "symbol")?;
    let row = WatchRow {
        symbol: symbol.to_string(),
        added_at: Utc::now(),
    };
    let plan = crate::plans::plan_of(&state, user.id).await?;
    if !state
        .store
        .watch_capped(user.id, &row, plan.watchlist_symbols)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "your plan ({}) holds at most {} symbols on the watchlist",
            plan.name, plan.watchlist_symbols
        )));
    }
    if state
        .store
        .last_prices(std::slice::from_ref(&row.symbol))
        .await?
        .is_empty()
    {
        state.prices.refresh_missing(&[row.symbol]).await;
    }
    watchlist_of(&state, user.id, plan.watchlist_symbols).await
}

/// Takes a symbol off the watchlist.
#[utoipa::path(delete, path = "/api/v1/watchlist/{symbol}", tag = "alerts",
    params(("symbol" = String, Path, description = "Ticker")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn unwatch(
    State(state): State<AppState>,
    user: AuthUser,
    Path(text): Path<String>,
) -> AppResult<StatusCode> {
    let symbol = symbol(&text, "symbol")?;
    if !state.store.unwatch(user.id, symbol.as_str()).await? {
        return Err(AppError::not_found("symbol on the watchlist"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's alert rules, oldest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    responses((status = 200, body = Vec<AlertView>)),
    security(("bearer" = [])))]
pub async fn alerts(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<AlertView>>> {
    let rows = state.store.alerts(user.id).await?;
    Ok(Json(rows.iter().filter_map(alert_view).collect()))
}

/// Sets an alert rule: it fires once when the condition becomes true at a
/// refreshed quote, then again only after the condition was false.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = AlertBody,
    responses((status = 201, body = AlertView),
        (status = 403, description = "Alerts on a day's move are not on the caller's plan", body = crate::error::ErrorBody),
        (status = 409, description = "Too many rules for the caller's plan", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_alert(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<AlertBody>,
) -> AppResult<(StatusCode, Json<AlertView>)> {
    let symbol = symbol(&body.symbol, "symbol")?;
    let value: Decimal = body
        .value
        .trim()
        .parse()
        .map_err(|_| AppError::field("value", format!("{:?} is not a number", body.value)))?;
    let condition = match body.kind.as_str() {
        "above" => AlertCondition::Above { threshold: value },
        "below" => AlertCondition::Below { threshold: value },
        "moved" => AlertCondition::Moved { percent: value },
        other => {
            return Err(AppError::field(
                "kind",
                format!("{other:?} is not one of above, below, moved"),
            ));
        }
    };
    // The SDK's rule decides what is acceptable; its field is ours `value`.
    let rule =
        AlertRule::new(symbol, condition).map_err(|e| AppError::field("value", e.to_string()))?;
    let plan = crate::plans::plan_of(&state, user.id).await?;
    if matches!(rule.condition, AlertCondition::Moved { .. })
        && !plan.allows(crate::plans::Feature::DailyMoveAlerts)
    {
        return Err(AppError::Forbidden(format!(
            "alerts on a day's move are part of AuraVest Plus; your plan ({}) has alerts on price levels",
            plan.name
        )));
    }
    let row = AlertRow {
        id: Uuid::new_v4(),
        user_id: user.id,
        symbol: rule.symbol.to_string(),
        condition: serde_json::to_string(&rule.condition).map_err(AppError::internal)?,
        armed: true,
        created_at: Utc::now(),
        fired_at: None,
    };
    if !state
        .store
        .create_alert_capped(&row, plan.alert_rules)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "your plan ({}) has at most {} alert rules",
            plan.name, plan.alert_rules
        )));
    }
    if state
        .store
        .last_prices(std::slice::from_ref(&row.symbol))
        .await?
        .is_empty()
    {
        state
            .prices
            .refresh_missing(std::slice::from_ref(&row.symbol))
            .await;
    }
    let view =
        alert_view(&row).ok_or_else(|| AppError::internal("a rule just stored does not read"))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Deletes one of the caller's alert rules.
#[utoipa::path(delete, path = "/api/v1/alerts/{id}", tag = "alerts",
    params(("id" = Uuid, Path, description = "Rule id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_alert(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    if !state.store.delete_alert(user.id, id).await? {
        return Err(AppError::not_found("alert rule"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `/watchlist`, `/watchlist/{symbol}`, `/alerts`, `/alerts/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/watchlist", get(watchlist))
        .route("/watchlist/{symbol}", put(watch).delete(unwatch))
        .route("/alerts", get(alerts).post(create_alert))
        .route("/alerts/{id}", axum::routing::delete(delete_alert))
}

//! Valuation, performance, insights and the manual refresh.

#[allow(clippy::wildcard_imports)]
use super::*;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The portfolio valued at the latest prices.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/valuation", tag = "portfolios",
    responses((status = 200, body = ValuationView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn valuation(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<ValuationView>> {
    let loaded = load(&state, user.id, id).await?;
    Ok(Json(valuation_of(&state, &loaded).await?))
}

/// All the caller's portfolios added up: the net worth in the first
/// portfolio's currency with its allocations, each portfolio's line, and
/// the growth over a range against the benchmark. A portfolio that cannot
/// be valued is listed with the reason, never failing the page.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "portfolios",
    params(RangeParams),
    responses((status = 200, body = OverviewView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn dashboard(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<RangeParams>,
) -> AppResult<Json<OverviewView>> {
    let range = range_of(params.range.as_deref())?;
    Ok(Json(overview_of(&state, user.id, range).await?))
}

/// Value series, TWR and MWR over a range, against the benchmark.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/performance", tag = "portfolios",
    params(RangeParams),
    responses((status = 200, body = PerformanceView), (status = 422, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn performance(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(params): Query<RangeParams>,
) -> AppResult<Json<PerformanceView>> {
    // Checked before touching the store.
    let range = range_of(params.range.as_deref())?;
    let loaded = load(&state, user.id, id).await?;
    let Some(first) = loaded
        .ledger
        .portfolio
        .transactions()
        .first()
        .map(|t| t.date)
    else {
        return Err(AppError::field(
            "transactions",
            "the portfolio has no transactions yet",
        ));
    };
    let mut symbols = symbols_of(&loaded.ledger.portfolio);
    symbols.push(BENCHMARK.to_owned());
    symbols.sort();
    symbols.dedup();
    let lookback = auravest_core::history_days(first, Utc::now().date_naive());
    let priced = prices_for(&state, &symbols, lookback, Some(&loaded)).await?;
    let end = priced.as_of;
    let start = range.start_within(end, first);
    let series = loaded
        .ledger
        .portfolio
        .value_series(&priced.frame, start, end)
        .map_err(|e| match e {
            auravest_core::Error::InvalidPeriod { .. } => AppError::field("range", format!("{e}")),
            e => priced_error(&e),
        })?;
    let twr = series.time_weighted_return();
    let mwr = series
        .money_weighted_return()
        .ok()
        .filter(|x| x.is_finite());
    let from = series.points.first().map_or(start, |p| p.date);
    let benchmark = priced
        .frame
        .price_change(BENCHMARK, from, end)
        .map(|c| BenchmarkView {
            symbol: BENCHMARK.to_owned(),
            total_return: c.total_return(),
        });
    let dates: Vec<_> = series.points.iter().map(|p| p.date).collect();
    let bench = priced.frame.growth_on(BENCHMARK, &dates);
    let daily = series.daily_returns();
    let drawdowns: Vec<DrawdownPointView> = daily
        .dates()
        .iter()
        .zip(auravest_core::stats::drawdown_series(&daily))
        .map(|(d, dd)| DrawdownPointView {
            date: d.to_string(),
            drawdown: dd,
        })
        .collect();
    Ok(Json(PerformanceView {
        period: range.phrase(),
        basis: PERFORMANCE_BASIS,
        monthly_returns: auravest_core::stats::monthly_returns(&daily),
        max_drawdown: auravest_core::stats::max_drawdown(&daily).value,
        drawdowns,
        range: range.to_string(),
        from: from.to_string(),
        to: end.to_string(),
        twr,
        mwr,
        benchmark,
        values: series
            .points
            .iter()
            .zip(series.growth())
            .enumerate()
            .map(|(i, (p, growth))| ValuePointView {
                date: p.date.to_string(),
                value: p.value.round_dp(2).to_string(),
                growth,
                benchmark: bench.as_ref().and_then(|b| b.get(i).copied().flatten()),
            })
            .collect(),
    }))
}

/// The open positions' daily closes as CSV (`date`, then one column per
/// symbol, empty where a symbol has no close), aligned by date over the
/// history the recommendation uses: the table the web UI's what-if panel
/// hands to the WebAssembly optimiser (`PriceTable.fromCsv`).
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/prices.csv", tag = "portfolios",
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn prices_csv(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<([(header::HeaderName, &'static str); 1], String)> {
    let loaded = load(&state, user.id, id).await?;
    let frame = open_prices_of(&state, &loaded).await?;
    let mut csv = Vec::new();
    frame.to_csv(&mut csv).map_err(AppError::internal)?;
    let csv = String::from_utf8(csv).map_err(AppError::internal)?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}

/// Nudges, the recommended allocation for the user's risk profile and a
/// rebalancing suggestion in shares, each with the disclaimer.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/insights", tag = "portfolios",
    responses((status = 200, body = InsightsView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn insights(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<InsightsView>> {
    let loaded = load(&state, user.id, id).await?;
    Ok(Json(insights_of(&state, &user, &loaded).await?))
}

/// What a manual refresh did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefreshView {
    /// The refresh report.
    pub report: RefreshReportView,
}

/// What the price refresh did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefreshReportView {
    /// Symbols whose last price was stored.
    pub refreshed: Vec<String>,
    /// Symbols that failed, each as `[symbol, reason]`.
    #[schema(value_type = Vec<Vec<String>>)]
    pub failed: Vec<(String, String)>,
    /// Daily closes stored.
    pub closes: usize,
}

impl From<crate::prices::RefreshReport> for RefreshReportView {
    fn from(r: crate::prices::RefreshReport) -> Self {
        Self {
            refreshed: r.refreshed,
            failed: r.failed,
            closes: r.closes,
        }
    }
}

/// Refreshes the portfolio's prices now (rate-limited per user).
#[utoipa::path(post, path = "/api/v1/portfolios/{id}/refresh", tag = "portfolios",
    responses((status = 200, body = RefreshView), (status = 429, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn refresh(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<RefreshView>> {
    let loaded = load(&state, user.id, id).await?;
    state
        .limiter
        .hit(
            &format!("refresh:{}", user.id),
            state.config.rate_limits.refresh_per_minute,
            std::time::Duration::from_secs(60),
        )
        .await
        .map_err(AppError::RateLimited)?;
    let report = state
        .prices
        .refresh(&symbols_of(&loaded.ledger.portfolio))
        .await;
    Ok(Json(RefreshView {
        report: report.into(),
    }))
}

/// A price the user stated for a symbol no market source knows.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnPriceView {
    /// Ticker.
    pub symbol: String,
    /// The day the price is for (`YYYY-MM-DD`).
    pub date: String,
    /// Price of one share in the symbol's currency (decimal string).
    pub price: String,
}

/// `PUT /portfolios/{id}/prices/{symbol}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnPriceIn {
    /// The day the price is for (`YYYY-MM-DD`, not after today).
    pub date: String,
    /// Price of one share (a positive decimal string, at most 8 decimals).
    pub price: String,
}

/// The prices the user stated for the portfolio's symbols that no market
/// source knows.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/prices", tag = "portfolios",
    responses((status = 200, body = Vec<OwnPriceView>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn own_prices(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Vec<OwnPriceView>>> {
    record_of(&state, user.id, id).await?;
    Ok(Json(
        own_prices_of(&state, id)
            .await?
            .into_iter()
            .map(|m| OwnPriceView {
                symbol: m.symbol.to_string(),
                date: m.date.to_string(),
                price: m.price.normalize().to_string(),
            })
            .collect(),
    ))
}

/// Sets the price of a symbol the portfolio holds that no market source
/// knows (a private share, an unlisted fund): it values the holding from
/// its date on, beside the trade prices, until set again. Refused for a
/// symbol the portfolio never traded or one the market prices.
#[utoipa::path(put, path = "/api/v1/portfolios/{id}/prices/{symbol}", tag = "portfolios",
    params(("id" = Uuid, Path, description = "Portfolio id"),
        ("symbol" = String, Path, description = "Ticker")),
    request_body = OwnPriceIn,
    responses((status = 200, body = OwnPriceView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_own_price(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, symbol)): Path<(Uuid, String)>,
    ApiJson(body): ApiJson<OwnPriceIn>,
) -> AppResult<Json<OwnPriceView>> {
    let field = |name: &'static str| {
        move |e: auravest_core::Error| match e {
            auravest_core::Error::InvalidField { reason, .. } => AppError::field(name, reason),
            e => AppError::field(name, e.to_string()),
        }
    };
    let symbol = auravest_core::Symbol::new(&symbol).map_err(field("symbol"))?;
    let date = auravest_core::parse_date("date", &body.date).map_err(field("date"))?;
    let price: auravest_core::Decimal = body
        .price
        .trim()
        .parse()
        .map_err(|_| AppError::field("price", "not a decimal number"))?;
    let today = Utc::now().date_naive();
    let mark = auravest_core::OwnPrice::new(symbol, date, price, today).map_err(|e| match e {
        auravest_core::Error::InvalidField { field, reason } => AppError::field(field, reason),
        e => AppError::field("date", e.to_string()),
    })?;
    let loaded = load(&state, user.id, id).await?;
    if first_use(&loaded.ledger.portfolio, mark.symbol.as_str()).is_none() {
        return Err(AppError::field(
            "symbol",
            format!("the portfolio has no trade of {}", mark.symbol),
        ));
    }
    let name = [mark.symbol.to_string()];
    let market = prices_for(&state, &name, 14, None).await?;
    if market
        .frame
        .column(mark.symbol.as_str())
        .is_some_and(|c| c.iter().any(Option::is_some))
    {
        return Err(AppError::field(
            "symbol",
            format!(
                "market sources price {}: your own price is only for symbols none of them knows",
                mark.symbol
            ),
        ));
    }
    let row = crate::store::OwnPriceRow {
        symbol: mark.symbol.to_string(),
        date: mark.date,
        price: mark.price.normalize().to_string(),
    };
    state.store.put_own_price(id, &row).await?;
    Ok(Json(OwnPriceView {
        symbol: row.symbol,
        date: row.date.to_string(),
        price: row.price,
    }))
}

/// Removes the user's own price of a symbol (its trade prices value it again).
#[utoipa::path(delete, path = "/api/v1/portfolios/{id}/prices/{symbol}", tag = "portfolios",
    params(("id" = Uuid, Path, description = "Portfolio id"),
        ("symbol" = String, Path, description = "Ticker")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_own_price(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, symbol)): Path<(Uuid, String)>,
) -> AppResult<StatusCode> {
    record_of(&state, user.id, id).await?;
    let symbol = auravest_core::Symbol::new(&symbol).map_err(|e| match e {
        auravest_core::Error::InvalidField { reason, .. } => AppError::field("symbol", reason),
        e => AppError::field("symbol", e.to_string()),
    })?;
    if state.store.delete_own_price(id, symbol.as_str()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("own price"))
    }
}

//! Valuation, performance, insights and the manual refresh.

#[allow(clippy::wildcard_imports)]
use super::*;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use chrono::Utc;
use serde::Serialize;
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
    // Checked before touching the store; core's one vocabulary of windows.
    let range = match params.range.as_deref() {
        None => auravest_core::Range::Y1,
        Some(text) => text.parse::<auravest_core::Range>().map_err(|e| match e {
            auravest_core::Error::InvalidField { reason, .. } => AppError::field("range", reason),
            e => AppError::field("range", e.to_string()),
        })?,
    };
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
    let priced = prices_for(&state, &symbols, lookback, Some(&loaded.ledger.portfolio)).await?;
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
    Ok(Json(PerformanceView {
        range: range.to_string(),
        from: from.to_string(),
        to: end.to_string(),
        twr,
        mwr,
        benchmark,
        values: series
            .points
            .iter()
            .map(|p| ValuePointView {
                date: p.date.to_string(),
                value: p.value.round_dp(2).to_string(),
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

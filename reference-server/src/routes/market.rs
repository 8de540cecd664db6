//! Delayed quotes and daily history through the market crate's chain,
//! cache and fallback.

use auravest_core::Symbol;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration as Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Most symbols per quotes request.
pub const MAX_SYMBOLS: usize = 25;
/// Longest history one request may ask for, in days.
pub const MAX_HISTORY_DAYS: i64 = 366 * 20;

/// `?symbols=AAPL,MSFT`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QuotesParams {
    /// Comma-separated tickers (at most 25).
    pub symbols: Option<String>,
}

/// `?from=&to=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryParams {
    /// First day (`YYYY-MM-DD`); default a year before `to`.
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`); default today.
    pub to: Option<String>,
}

/// A delayed quote.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuoteView {
    /// Ticker.
    pub symbol: String,
    /// Last price (decimal string).
    pub price: String,
    /// Currency, when the source says.
    pub currency: Option<String>,
    /// Market time of the price (RFC 3339).
    pub market_time: String,
    /// Source.
    pub source: String,
    /// Not real time.
    pub delayed: bool,
    /// Older than the staleness window, or served from an expired cache entry.
    pub stale: bool,
    /// Seconds since the market time.
    pub age_seconds: i64,
}

/// A symbol no source could price.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuoteError {
    /// Ticker.
    pub symbol: String,
    /// `not_found` or `unavailable`.
    pub code: &'static str,
    /// What the sources said.
    pub reason: String,
}

/// Quotes and the symbols that failed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuotesView {
    /// Priced symbols, in the order asked.
    pub quotes: Vec<QuoteView>,
    /// Symbols no source could price.
    pub errors: Vec<QuoteError>,
}

/// One daily bar.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BarView {
    /// Day.
    pub date: String,
    /// Close (decimal string).
    pub close: String,
    /// Adjusted close (decimal string), when the source gives it.
    pub adj_close: Option<String>,
    /// Volume.
    pub volume: Option<u64>,
}

/// Daily history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    /// Ticker.
    pub symbol: String,
    /// Source.
    pub source: String,
    /// Currency, when the source says.
    pub currency: Option<String>,
    /// First day asked.
    pub from: String,
    /// Last day asked.
    pub to: String,
    /// Bars, oldest first.
    pub bars: Vec<BarView>,
}

/// An f64 price as a decimal string without float noise.
pub fn price_text(p: f64) -> String {
    rust_decimal::Decimal::from_f64_retain(p)
        .map(|d| d.round_dp(6).normalize().to_string())
        .unwrap_or_else(|| p.to_string())
}

fn symbols(raw: Option<&str>) -> AppResult<Vec<Symbol>> {
    let raw = raw.unwrap_or("").trim();
    if raw.is_empty() {
        return Err(AppError::field(
            "symbols",
            "give at least one ticker, e.g. ?symbols=AAPL,MSFT",
        ));
    }
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    if parts.len() > MAX_SYMBOLS {
        return Err(AppError::field(
            "symbols",
            format!("{} tickers; at most {MAX_SYMBOLS}", parts.len()),
        ));
    }
    let mut out: Vec<Symbol> = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let s =
            Symbol::new(p).map_err(|e| AppError::field(format!("symbols[{i}]"), e.to_string()))?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// A market error for a client: its `Display` (which never carries paths,
/// URLs or keys); the detail goes to the log.
fn market_error(symbol: &str, e: &auravest_market::Error) -> AppError {
    if e.is_not_found() {
        AppError::NotFound(format!("{symbol}: {e}"))
    } else if e.is_no_data() {
        AppError::NotFound(format!(
            "{symbol}: no source has prices for it in that range"
        ))
    } else if matches!(e.class(), auravest_market::ErrorClass::Stop) {
        AppError::field("symbol", e.to_string())
    } else {
        tracing::warn!(%symbol, detail = %e.diagnostic(), "market data unavailable");
        AppError::Unavailable(format!("{symbol}: no data source answered: {e}"))
    }
}

/// Delayed quotes.
#[utoipa::path(get, path = "/api/v1/quotes", tag = "market", params(QuotesParams),
    responses((status = 200, body = QuotesView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn quotes(
    State(state): State<AppState>,
    _user: AuthUser,
    Query(params): Query<QuotesParams>,
) -> AppResult<Json<QuotesView>> {
    let symbols = symbols(params.symbols.as_deref())?;
    let now = Utc::now();
    let mut out = QuotesView {
        quotes: Vec::new(),
        errors: Vec::new(),
    };
    for (symbol, result) in state.prices.quotes(&symbols).await {
        match result {
            Ok(q) => out.quotes.push(QuoteView {
                symbol: symbol.to_string(),
                price: price_text(q.price),
                currency: q.currency.map(|c| c.to_string()),
                market_time: q.market_time.to_rfc3339(),
                source: q.source,
                delayed: q.delayed,
                stale: q.stale,
                age_seconds: (now - q.market_time).num_seconds().max(0),
            }),
            Err(e) => out.errors.push(QuoteError {
                symbol: symbol.to_string(),
                code: if e.is_not_found() {
                    "not_found"
                } else {
                    "unavailable"
                },
                reason: e.to_string(),
            }),
        }
    }
    Ok(Json(out))
}

/// A date in the query: `YYYY-MM-DD` within the supported range.
fn date(path: &'static str, v: &str) -> AppResult<NaiveDate> {
    auravest_core::parse_date(path, v).map_err(|e| AppError::field(path, e.to_string()))
}

/// Daily history.
#[utoipa::path(get, path = "/api/v1/symbols/{symbol}/history", tag = "market", params(HistoryParams),
    responses((status = 200, body = HistoryView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    _user: AuthUser,
    Path(symbol): Path<String>,
    Query(params): Query<HistoryParams>,
) -> AppResult<Json<HistoryView>> {
    let sym = Symbol::new(&symbol).map_err(|e| AppError::field("symbol", e.to_string()))?;
    let to = params
        .to
        .as_deref()
        .map(|v| date("to", v))
        .transpose()?
        .unwrap_or_else(|| Utc::now().date_naive());
    let from = params
        .from
        .as_deref()
        .map(|v| date("from", v))
        .transpose()?
        .unwrap_or_else(|| to.checked_sub_signed(Days::days(365)).unwrap_or(to));
    if from > to {
        return Err(AppError::field(
            "from",
            format!("{from} is after to ({to})"),
        ));
    }
    if (to - from).num_days() > MAX_HISTORY_DAYS {
        return Err(AppError::field(
            "from",
            format!("at most {MAX_HISTORY_DAYS} days per request"),
        ));
    }
    let h = state
        .prices
        .history(&sym, from, to)
        .await
        .map_err(|e| market_error(sym.as_str(), &e))?;
    Ok(Json(HistoryView {
        symbol: sym.to_string(),
        source: h.source,
        currency: h.currency.map(|c| c.to_string()),
        from: from.to_string(),
        to: to.to_string(),
        bars: h
            .bars
            .iter()
            .map(|b| BarView {
                date: b.date.to_string(),
                close: price_text(b.close),
                adj_close: b.adj_close.map(price_text),
                volume: b.volume,
            })
            .collect(),
    }))
}

/// What the prices the server shows are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarketStatusView {
    /// The benchmark's latest stored price date (`YYYY-MM-DD`).
    pub as_of: String,
    /// Set when the prices are the shipped sample data (a past period):
    /// pages say so and keep their date fields inside it.
    pub sample_data: Option<crate::prices::SampleData>,
}

/// Whether prices are live or the shipped sample data, and how recent.
#[utoipa::path(get, path = "/api/v1/market/status", tag = "market",
    responses((status = 200, body = MarketStatusView)),
    security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    _user: AuthUser,
) -> AppResult<Json<MarketStatusView>> {
    let benchmark = [crate::services::portfolio::BENCHMARK.to_owned()];
    let priced = crate::services::portfolio::prices_for(&state, &benchmark, 14, None).await?;
    Ok(Json(MarketStatusView {
        as_of: priced.as_of.to_string(),
        sample_data: crate::prices::sample_note(&state.config, priced.as_of),
    }))
}

/// Longest symbol search text.
pub const MAX_SEARCH_CHARS: usize = 40;
/// Most suggestions one search answers.
pub const MAX_SUGGESTIONS: usize = 20;

/// `?q=&limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// What was typed: a symbol or part of a name (at most 40 characters).
    pub q: Option<String>,
    /// Most suggestions (1 to 20, default 8).
    pub limit: Option<String>,
}

/// A symbol suggestion.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SymbolSuggestion {
    /// Ticker.
    pub symbol: String,
    /// Name, when listed.
    pub name: Option<String>,
    /// Asset class.
    pub asset_class: String,
    /// Sector, when listed.
    pub sector: Option<String>,
    /// Trading currency.
    pub currency: String,
}

/// Symbols the server describes that match what was typed (the symbol,
/// its start, or part of the name), for the symbol box's suggestions.
#[utoipa::path(get, path = "/api/v1/symbols", tag = "market",
    params(SearchParams),
    responses((status = 200, body = Vec<SymbolSuggestion>), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    _user: AuthUser,
    Query(params): Query<SearchParams>,
) -> AppResult<Json<Vec<SymbolSuggestion>>> {
    let q = params.q.unwrap_or_default();
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::field(
            "q",
            format!("at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let limit = match params.limit.as_deref() {
        None => 8,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_SUGGESTIONS).contains(n))
            .ok_or_else(|| {
                AppError::field(
                    "limit",
                    format!("a whole number from 1 to {MAX_SUGGESTIONS}"),
                )
            })?,
    };
    Ok(Json(
        crate::prices::instruments()
            .search(&q, limit)
            .into_iter()
            .map(|i| SymbolSuggestion {
                symbol: i.symbol.to_string(),
                name: i.name.clone(),
                asset_class: i.asset_class.as_str().to_owned(),
                sector: i.sector.clone(),
                currency: i.currency.to_string(),
            })
            .collect(),
    ))
}

/// `?days=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NewsParams {
    /// The window in days up to now, 1–30 (default 7).
    pub days: Option<String>,
}

/// A symbol's headlines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewsView {
    /// The symbol.
    pub symbol: String,
    /// Headlines of the window, newest first (at most 50).
    pub items: Vec<crate::services::news::HeadlineView>,
    /// Whether any news feed is configured on this server.
    pub feeds: bool,
    /// How each headline's lean is scored, in words.
    pub method: &'static str,
}

/// A symbol's news headlines from the configured RSS/Atom feeds (Yahoo
/// Finance's by default), each with its lean by a finance word list; the
/// feeds are asked at most every 30 minutes per symbol.
#[utoipa::path(get, path = "/api/v1/symbols/{symbol}/news", tag = "market",
    params(("symbol" = String, Path, description = "Ticker"), NewsParams),
    responses((status = 200, body = NewsView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn news(
    State(state): State<AppState>,
    _user: AuthUser,
    Path(symbol): Path<String>,
    Query(params): Query<NewsParams>,
) -> AppResult<Json<NewsView>> {
    let symbol =
        Symbol::new(symbol.trim()).map_err(|e| AppError::field("symbol", e.to_string()))?;
    let days = match params.days.as_deref().map(str::trim) {
        None | Some("") => 7,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=crate::services::news::MAX_NEWS_DAYS).contains(d))
            .ok_or_else(|| {
                AppError::field(
                    "days",
                    format!(
                        "{v:?} is not 1 to {} days",
                        crate::services::news::MAX_NEWS_DAYS
                    ),
                )
            })?,
    };
    let items = crate::services::news::headlines(&state, symbol.as_str(), days).await?;
    Ok(Json(NewsView {
        symbol: symbol.to_string(),
        items,
        feeds: state.news.is_some(),
        method: "word count against finance word lists: (positive - negative) / (positive + negative); not advice",
    }))
}

/// `/market/status`, `/symbols`, `/quotes`, `/symbols/{symbol}/history`, `/symbols/{symbol}/news`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/market/status", get(status))
        .route("/symbols/{symbol}/news", get(news))
        .route("/symbols", get(search))
        .route("/quotes", get(quotes))
        .route("/symbols/{symbol}/history", get(history))
}

//! What the server computes for a portfolio, shared by the routes: loading
//! the ledger, prices for its symbols, valuation, the period return, the
//! analysis and the insights. Route modules call these; they do not call
//! each other.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use auravest_core::{Currency, Portfolio, PriceFrame, Symbol};
use chrono::{Duration as Days, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::ledger::{self, Built, Ledger};
use crate::state::AppState;
use crate::store::{PortfolioRecord, TransactionRow};

/// Longest portfolio name.
pub const MAX_NAME_CHARS: usize = 80;
/// Most portfolios one account may hold.
pub const MAX_PORTFOLIOS: usize = 20;
/// Most transactions one import may carry.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// The benchmark performance and insights compare against.
pub const BENCHMARK: &str = "SPY";

/// A transaction: the foundation's CSV row as JSON plus its id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TransactionView {
    /// Id.
    pub id: Uuid,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// buy, sell, dividend, split, deposit, withdrawal or fee.
    #[serde(rename = "type")]
    pub kind: String,
    /// Ticker.
    pub symbol: Option<String>,
    /// Shares or split ratio (decimal string).
    pub quantity: Option<String>,
    /// Price or amount (decimal string).
    pub price: Option<String>,
    /// Fee (decimal string).
    pub fee: Option<String>,
    /// ISO 4217.
    pub currency: String,
}

impl From<TransactionRow> for TransactionView {
    fn from(r: TransactionRow) -> Self {
        let t = r.record;
        Self {
            id: r.id,
            date: t.date,
            kind: t.kind,
            symbol: t.symbol,
            quantity: t.quantity,
            price: t.price,
            fee: t.fee,
            currency: t.currency,
        }
    }
}

// --- loading ------------------------------------------------------------

/// A portfolio with its valid ledger.
pub(crate) struct Loaded {
    pub(crate) record: PortfolioRecord,
    pub(crate) ledger: Arc<Ledger>,
}

pub(crate) fn currency(code: &str, path: &str) -> AppResult<Currency> {
    Currency::new(code).map_err(|e| AppError::field(path, e.to_string()))
}

/// One of the user's portfolios (404 when it is not theirs).
pub(crate) async fn record_of(
    state: &AppState,
    user: Uuid,
    id: Uuid,
) -> AppResult<PortfolioRecord> {
    state
        .store
        .portfolio(user, id)
        .await?
        .ok_or_else(|| AppError::not_found("portfolio"))
}

/// The portfolio's ledger at the record's version: kept, or read and built.
pub(crate) async fn built(state: &AppState, record: &PortfolioRecord) -> AppResult<Built> {
    if let Some(b) = state.ledgers.get(record.id, record.version) {
        return Ok(b);
    }
    let rows = state.store.transactions(record.id).await?;
    let b = ledger::build(base_of(record)?, rows).await?;
    state.ledgers.put(record.id, record.version, b.clone());
    Ok(b)
}

/// Loads one of the user's portfolios (404 when it is not theirs; 409 when
/// its stored transactions no longer form a valid ledger).
pub(crate) async fn load(state: &AppState, user: Uuid, id: Uuid) -> AppResult<Loaded> {
    let record = record_of(state, user, id).await?;
    match built(state, &record).await? {
        Ok(ledger) => Ok(Loaded { record, ledger }),
        Err(broken) => Err(broken.conflict()),
    }
}

/// The tickers the user holds now across their portfolios, sorted.
pub(crate) async fn held_now(state: &AppState, user: Uuid) -> AppResult<Vec<Symbol>> {
    let mut out = BTreeSet::new();
    for p in state.store.portfolios(user).await? {
        // A portfolio deleted meanwhile, or one whose ledger needs repair,
        // holds nothing the community can count.
        let loaded = match load(state, user, p.id).await {
            Ok(l) => l,
            Err(AppError::NotFound(_) | AppError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        };
        out.extend(
            loaded
                .ledger
                .portfolio
                .holdings()
                .open_positions()
                .map(|pos| pos.symbol().clone()),
        );
    }
    Ok(out.into_iter().collect())
}

/// A `range` parameter in core's one vocabulary of windows (`1y` when
/// absent); a 422 on `range` otherwise.
pub(crate) fn range_of(text: Option<&str>) -> AppResult<auravest_core::Range> {
    match text {
        None => Ok(auravest_core::Range::Y1),
        Some(text) => text.parse().map_err(|e| match e {
            auravest_core::Error::InvalidField { reason, .. } => AppError::field("range", reason),
            e => AppError::field("range", e.to_string()),
        }),
    }
}

/// Every symbol the ledger ever held.
pub(crate) fn symbols_of(p: &Portfolio) -> Vec<String> {
    let set: BTreeSet<String> = p
        .holdings()
        .positions()
        .map(|pos| pos.symbol().to_string())
        .collect();
    set.into_iter().collect()
}

/// The open positions' daily closes, aligned by date over the history the
/// recommendation optimises on (`None` where a symbol has no close).
pub(crate) async fn open_prices_of(state: &AppState, loaded: &Loaded) -> AppResult<PriceFrame> {
    let portfolio = &loaded.ledger.portfolio;
    let open: Vec<Symbol> = portfolio
        .holdings()
        .open_positions()
        .map(|p| p.symbol().clone())
        .collect();
    let names: Vec<String> = open.iter().map(ToString::to_string).collect();
    let priced = prices_for(state, &names, portfolio.history_days(), Some(loaded)).await?;
    Ok(priced.frame.select(&open))
}

/// Prices for `symbols` from `from` on, from the store, fetching (and
/// storing) symbols the store has never priced. Returns the frame and, per
/// symbol, the source and when it was fetched.
pub(crate) async fn prices_for(
    state: &AppState,
    symbols: &[String],
    lookback_days: i64,
    of: Option<&Loaded>,
) -> AppResult<Priced> {
    let since = of.map(|l| &l.ledger.portfolio);
    let known = state.store.last_prices(symbols).await?;
    let have: BTreeSet<&str> = known.iter().map(|p| p.symbol.as_str()).collect();
    let missing: Vec<String> = symbols
        .iter()
        .filter(|s| !have.contains(s.as_str()))
        .cloned()
        .collect();
    let mut last = known;
    if !missing.is_empty() {
        state.prices.refresh_missing(&missing).await;
        last = state.store.last_prices(symbols).await?;
    }
    let as_of = last
        .iter()
        .map(|p| p.as_of)
        .max()
        .unwrap_or_else(|| Utc::now().date_naive());
    let from = as_of
        .checked_sub_signed(Days::days(lookback_days))
        .unwrap_or(NaiveDate::MIN);
    let mut series = state.prices.stored_series(symbols).await?;
    // The refresher keeps about a year; older ranges are fetched once and stored.
    let ledger_start = since
        .and_then(|p| p.transactions().first())
        .map_or(from, |t| t.date.max(from));
    let mut backfill = Vec::new();
    for sym in symbols {
        let need = since
            .and_then(|p| first_use(p, sym))
            .map_or(ledger_start, |d| d.max(from));
        let have = series.get(sym).and_then(|s| s.first()).map(|(d, _)| *d);
        let slack = need
            .checked_add_signed(Days::days(BACKFILL_SLACK_DAYS))
            .unwrap_or(need);
        if have.is_none_or(|d| d > slack) && need < as_of {
            backfill.push((sym.clone(), need));
        }
    }
    if !backfill.is_empty() && state.prices.backfill(&backfill, as_of).await? {
        series = state.prices.stored_series(symbols).await?;
    }
    let mut dates: BTreeSet<NaiveDate> = BTreeSet::new();
    let mut by_symbol: BTreeMap<&str, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for (sym, s) in &series {
        let in_range = s.iter().filter(|(d, _)| *d >= from && *d <= as_of);
        let col = by_symbol.entry(sym.as_str()).or_default();
        for (d, v) in in_range {
            dates.insert(*d);
            col.insert(*d, *v);
        }
    }
    let dates: Vec<NaiveDate> = dates.into_iter().collect();
    let mut columns = Vec::new();
    for (sym, series) in &by_symbol {
        let symbol = Symbol::new(sym).map_err(AppError::internal)?;
        columns.push((
            symbol,
            dates.iter().map(|d| series.get(d).copied()).collect(),
        ));
    }
    let frame = PriceFrame::new(dates, columns).map_err(AppError::internal)?;
    let mut sources: BTreeMap<String, PriceSource> = last
        .into_iter()
        .map(|p| {
            (
                p.symbol.clone(),
                PriceSource {
                    source: p.source,
                    as_of: p.as_of.to_string(),
                    fetched_at: p.fetched_at.to_rfc3339(),
                    age_seconds: (Utc::now() - p.fetched_at).num_seconds().max(0),
                    stale: false,
                },
            )
        })
        .collect();
    // A symbol no source knows is valued at the user's own last trade
    // price (the SDK's rule), marked as such and stale, so the rest of the
    // portfolio keeps working.
    let frame = match of {
        Some(loaded) => {
            let portfolio = &loaded.ledger.portfolio;
            let marks = own_prices_of(state, loaded.record.id).await?;
            let (frame, own) = portfolio
                .with_own_prices(frame, &marks)
                .map_err(AppError::internal)?;
            for symbol in own {
                let traded = portfolio
                    .transactions()
                    .iter()
                    .rev()
                    .find(|t| t.symbol() == Some(&symbol) && t.date <= as_of)
                    .map(|t| t.date);
                let marked = marks
                    .iter()
                    .find(|m| m.symbol == symbol && m.date <= as_of)
                    .map(|m| m.date);
                // The later of the two is the price shown (the user's own
                // price on a tie, as the SDK values it).
                let (source, day) = match (traded, marked) {
                    (t, Some(m)) if t.is_none_or(|t| m >= t) => (OWN_PRICE_SOURCE, m),
                    (Some(t), _) => (TRADE_PRICE_SOURCE, t),
                    _ => continue,
                };
                sources.insert(
                    symbol.to_string(),
                    PriceSource {
                        source: source.to_owned(),
                        as_of: day.to_string(),
                        fetched_at: day.and_time(chrono::NaiveTime::MIN).and_utc().to_rfc3339(),
                        age_seconds: (as_of - day).num_seconds().max(0),
                        stale: true,
                    },
                );
            }
            frame
        }
        None => frame,
    };
    Ok(Priced {
        frame,
        as_of,
        sources,
    })
}

/// Stored closes may start this many days after the day asked for
/// (weekends and holidays) before the range is fetched again.
pub(crate) const BACKFILL_SLACK_DAYS: i64 = 7;

/// The first day the ledger mentions `symbol`.
pub(crate) fn first_use(p: &Portfolio, symbol: &str) -> Option<NaiveDate> {
    p.transactions()
        .iter()
        .find(|t| t.symbol().is_some_and(|s| s.as_str() == symbol))
        .map(|t| t.date)
}

/// Prices and where they came from.
pub(crate) struct Priced {
    pub(crate) frame: PriceFrame,
    pub(crate) as_of: NaiveDate,
    pub(crate) sources: BTreeMap<String, PriceSource>,
}

/// The user's own prices of the portfolio's symbols, as the SDK takes them
/// (a stored row that no longer reads is skipped: it was checked when set).
pub(crate) async fn own_prices_of(
    state: &AppState,
    portfolio_id: Uuid,
) -> AppResult<Vec<auravest_core::OwnPrice>> {
    Ok(state
        .store
        .own_prices(portfolio_id)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(auravest_core::OwnPrice {
                symbol: Symbol::new(&row.symbol).ok()?,
                date: row.date,
                price: row.price.parse().ok()?,
            })
        })
        .collect())
}

/// The `source` of a price no market source had that the user stated
/// (`PUT /portfolios/{id}/prices/{symbol}`).
pub const OWN_PRICE_SOURCE: &str = "your own price (no market source knows this symbol)";

/// The `source` of a price no market source had: the user's own last buy
/// or sell price for the symbol.
pub const TRADE_PRICE_SOURCE: &str = "your last trade price (no market source knows this symbol)";

/// Where a symbol's price came from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceSource {
    /// Source name ([`TRADE_PRICE_SOURCE`] for the user's own trade price).
    pub source: String,
    /// The trading day of the last price.
    pub as_of: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// Seconds since it was fetched.
    pub age_seconds: i64,
    /// True when the price is not a market price of the as-of date (the
    /// user's own last trade price).
    pub stale: bool,
}

/// A valuation error from the SDK, said plainly.
pub(crate) fn priced_error(e: &auravest_core::Error) -> AppError {
    match e {
        auravest_core::Error::MissingPrice { .. } | auravest_core::Error::MissingFx { .. } => {
            AppError::Unavailable(format!("{e}; no data source had it"))
        }
        _ => AppError::internal(e),
    }
}

mod overview;
mod report;
pub use overview::*;
pub use report::*;

/// Stored goals as the SDK's goals.
pub(crate) fn sdk_goals(
    records: &[crate::store::GoalRecord],
) -> AppResult<Vec<auravest_bias::Goal>> {
    records
        .iter()
        .map(|g| {
            Ok(auravest_bias::Goal {
                name: g.name.clone(),
                target: goal_decimal("target", &g.target)?,
                by: g.by,
                monthly_contribution: g
                    .monthly_contribution
                    .as_deref()
                    .map(|m| goal_decimal("monthly_contribution", m))
                    .transpose()?
                    .unwrap_or_default(),
                expected_return: g.expected_return,
            })
        })
        .collect()
}

/// A decimal field of a goal, or a 422 naming it.
pub(crate) fn goal_decimal(path: &'static str, v: &str) -> AppResult<auravest_core::Decimal> {
    auravest_core::parse_decimal(path, v).map_err(|e| AppError::field(path, e.to_string()))
}

/// The base currency stored with a portfolio (a bad one is our fault).
pub(crate) fn base_of(record: &PortfolioRecord) -> AppResult<Currency> {
    Currency::new(&record.currency)
        .map_err(|e| AppError::Internal(format!("portfolio {} has a bad currency: {e}", record.id)))
}

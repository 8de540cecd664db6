//! Portfolios, their transactions and what the SDK computes from them:
//! valuation, performance, insights (nudges, the recommended allocation,
//! a rebalancing suggestion) and a manual price refresh.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use auravest_core::{
    Currency, InstrumentTable, Portfolio, PriceFrame, RowError, Symbol, Transaction,
    TransactionRecord,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{Duration as Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Broken, Built, Ledger, MAX_LEDGER_ROWS};
use crate::routes::legal::DISCLAIMER;
use crate::routes::{ApiJson, goals};
use crate::state::AppState;
use crate::store::{
    AuditAction, AuditEntry, LedgerClaim, LedgerLock, PortfolioRecord, TransactionRow, sort_rows,
};

/// Longest portfolio name.
pub const MAX_NAME_CHARS: usize = 80;
/// Most portfolios one account may hold.
pub const MAX_PORTFOLIOS: usize = 20;
/// Most transactions one import may carry.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// The benchmark performance and insights compare against.
pub const BENCHMARK: &str = "SPY";

/// A new portfolio.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPortfolio {
    /// Name, unique among the user's portfolios.
    pub name: String,
    /// Base currency (ISO 4217); default USD.
    #[serde(default)]
    pub currency: Option<String>,
}

/// A rename.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortfolioPatch {
    /// New name.
    pub name: String,
}

/// A portfolio.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PortfolioView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Base currency.
    pub currency: String,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<PortfolioRecord> for PortfolioView {
    fn from(p: PortfolioRecord) -> Self {
        Self {
            id: p.id,
            name: p.name,
            currency: p.currency,
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

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

/// The import's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Rows stored.
    pub imported: usize,
    /// Rows refused, with the line (1 is the header) and field.
    pub errors: Vec<ImportError>,
}

/// One refused row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportError {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// Column.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// `?skip_invalid=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// Store the good rows and list the bad ones (default false: all or nothing).
    #[serde(default)]
    pub skip_invalid: bool,
}

/// `?range=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RangeParams {
    /// `1m`, `3m`, `6m`, `ytd`, `1y`, `3y`, `5y` or `max` (default `1y`):
    /// [`auravest_core::Range`].
    pub range: Option<String>,
}

// --- loading ------------------------------------------------------------

/// A portfolio with its valid ledger.
pub(crate) struct Loaded {
    pub(crate) record: PortfolioRecord,
    pub(crate) ledger: Arc<Ledger>,
}

fn currency(code: &str, path: &str) -> AppResult<Currency> {
    Currency::new(code).map_err(|e| AppError::field(path, e.to_string()))
}

/// One of the user's portfolios (404 when it is not theirs).
async fn record_of(state: &AppState, user: Uuid, id: Uuid) -> AppResult<PortfolioRecord> {
    state
        .store
        .portfolio(user, id)
        .await?
        .ok_or_else(|| AppError::not_found("portfolio"))
}

/// The portfolio's ledger at the record's version: kept, or read and built.
async fn built(state: &AppState, record: &PortfolioRecord) -> AppResult<Built> {
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

/// Every symbol the ledger ever held.
pub(crate) fn symbols_of(p: &Portfolio) -> Vec<String> {
    let set: BTreeSet<String> = p
        .holdings()
        .positions()
        .map(|pos| pos.symbol().to_string())
        .collect();
    set.into_iter().collect()
}

/// Prices for `symbols` from `from` on, from the store, fetching (and
/// storing) symbols the store has never priced. Returns the frame and, per
/// symbol, the source and when it was fetched.
pub(crate) async fn prices_for(
    state: &AppState,
    symbols: &[String],
    lookback_days: i64,
    since: Option<&Portfolio>,
) -> AppResult<Priced> {
    let known = state.store.last_prices(symbols).await?;
    let have: BTreeSet<&str> = known.iter().map(|p| p.symbol.as_str()).collect();
    let missing: Vec<String> = symbols
        .iter()
        .filter(|s| !have.contains(s.as_str()))
        .cloned()
        .collect();
    let mut last = known;
    if !missing.is_empty() {
        state.prices.refresh(&missing).await;
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
    let frame = match since {
        Some(portfolio) => {
            let (frame, own) = portfolio
                .with_trade_prices(frame)
                .map_err(AppError::internal)?;
            for symbol in own {
                let traded = portfolio
                    .transactions()
                    .iter()
                    .rev()
                    .find(|t| t.symbol() == Some(&symbol) && t.date <= as_of)
                    .map(|t| t.date);
                let Some(traded) = traded else { continue };
                sources.insert(
                    symbol.to_string(),
                    PriceSource {
                        source: TRADE_PRICE_SOURCE.to_owned(),
                        as_of: traded.to_string(),
                        fetched_at: traded
                            .and_time(chrono::NaiveTime::MIN)
                            .and_utc()
                            .to_rfc3339(),
                        age_seconds: (as_of - traded).num_seconds().max(0),
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
const BACKFILL_SLACK_DAYS: i64 = 7;

/// The first day the ledger mentions `symbol`.
fn first_use(p: &Portfolio, symbol: &str) -> Option<NaiveDate> {
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
fn priced_error(e: &auravest_core::Error) -> AppError {
    match e {
        auravest_core::Error::MissingPrice { .. } | auravest_core::Error::MissingFx { .. } => {
            AppError::Unavailable(format!("{e}; no data source had it"))
        }
        _ => AppError::internal(e),
    }
}

// --- portfolios -------------------------------------------------------------

/// The user's portfolios.
#[utoipa::path(get, path = "/api/v1/portfolios", tag = "portfolios",
    responses((status = 200, body = [PortfolioView])), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<PortfolioView>>> {
    let list = state.store.portfolios(user.id).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field("name", "is empty"));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(AppError::field(
            "name",
            format!("is {n} characters; at most {MAX_NAME_CHARS}"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::field("name", "contains control characters"));
    }
    Ok(name.to_owned())
}

/// Creates a portfolio.
#[utoipa::path(post, path = "/api/v1/portfolios", tag = "portfolios", request_body = NewPortfolio,
    responses((status = 201, body = PortfolioView), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewPortfolio>,
) -> AppResult<(StatusCode, Json<PortfolioView>)> {
    let name = check_name(&body.name)?;
    let code = body.currency.as_deref().unwrap_or("USD");
    let currency = currency(code, "currency")?;
    let record = PortfolioRecord {
        id: Uuid::new_v4(),
        user_id: user.id,
        name,
        currency: currency.to_string(),
        created_at: Utc::now(),
        version: 0,
    };
    if !state
        .store
        .create_portfolio_capped(&record, MAX_PORTFOLIOS)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "at most {MAX_PORTFOLIOS} portfolios per account"
        )));
    }
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// One portfolio.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}", tag = "portfolios",
    responses((status = 200, body = PortfolioView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<PortfolioView>> {
    let p = state
        .store
        .portfolio(user.id, id)
        .await?
        .ok_or_else(|| AppError::not_found("portfolio"))?;
    Ok(Json(p.into()))
}

/// Renames a portfolio.
#[utoipa::path(patch, path = "/api/v1/portfolios/{id}", tag = "portfolios", request_body = PortfolioPatch,
    responses((status = 200, body = PortfolioView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn rename(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<PortfolioPatch>,
) -> AppResult<Json<PortfolioView>> {
    let name = check_name(&body.name)?;
    let p = state
        .store
        .rename_portfolio(user.id, id, &name)
        .await?
        .ok_or_else(|| AppError::not_found("portfolio"))?;
    Ok(Json(p.into()))
}

/// Deletes a portfolio and its transactions.
#[utoipa::path(delete, path = "/api/v1/portfolios/{id}", tag = "portfolios",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    if state.store.delete_portfolio(user.id, id).await? {
        state.ledgers.forget(id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("portfolio"))
    }
}

// --- transactions -------------------------------------------------------------

/// A transaction as sent: the CSV row's fields (numbers may be strings or JSON numbers).
pub type TransactionInput = TransactionRecord;

/// Most transactions one page of `GET …/transactions` holds.
pub const MAX_PAGE: usize = 1_000;

/// `?limit=&offset=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Rows to return (1 to 1,000; default 1,000).
    pub limit: Option<usize>,
    /// Rows to skip (default 0).
    pub offset: Option<usize>,
}

/// The portfolio's transactions by date, a page at a time: `X-Total-Count`
/// gives how many there are and `Link` (`rel="next"`) the next page. A
/// portfolio whose ledger needs repair lists its rows too.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/transactions", tag = "transactions",
    params(PageParams),
    responses((status = 200, body = [TransactionView],
            headers(("x-total-count" = u64, description = "Transactions in the portfolio"),
                ("link" = String, description = "The next page, `rel=\"next\"`, when there is one"))),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn transactions(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> AppResult<(HeaderMap, Json<Vec<TransactionView>>)> {
    let limit = page.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("must be 1 to {MAX_PAGE}, got {limit}"),
        ));
    }
    let offset = page.offset.unwrap_or(0);
    let record = record_of(&state, user.id, id).await?;
    let built = built(&state, &record).await?;
    let rows = match &built {
        Ok(l) => &l.rows,
        Err(b) => &b.rows,
    };
    let total = rows.len();
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", total.into());
    let end = offset.saturating_add(limit).min(total);
    if end < total
        && let Ok(link) = header::HeaderValue::from_str(&format!(
            "</api/v1/portfolios/{id}/transactions?limit={limit}&offset={end}>; rel=\"next\""
        ))
    {
        headers.insert(header::LINK, link);
    }
    let page = rows
        .get(offset.min(total)..end)
        .unwrap_or_default()
        .iter()
        .cloned()
        .map(Into::into)
        .collect();
    Ok((headers, Json(page)))
}

/// Most transactions one page of `GET …/transactions.csv` holds.
pub const MAX_CSV_PAGE: usize = 10_000;

/// The portfolio's transactions as CSV (`date,type,symbol,quantity,price,fee,currency`,
/// ready to import), a page at a time like the JSON list (up to 10,000 rows;
/// `X-Total-Count`, `Link: rel="next"`). The export links here for
/// portfolios too large to carry whole.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/transactions.csv", tag = "transactions",
    params(PageParams),
    responses((status = 200, content_type = "text/csv", body = String,
            headers(("x-total-count" = u64, description = "Transactions in the portfolio"),
                ("link" = String, description = "The next page, `rel=\"next\"`, when there is one"))),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn transactions_csv(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> AppResult<(HeaderMap, String)> {
    let limit = page.limit.unwrap_or(MAX_CSV_PAGE);
    if !(1..=MAX_CSV_PAGE).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("must be 1 to {MAX_CSV_PAGE}, got {limit}"),
        ));
    }
    let offset = page.offset.unwrap_or(0);
    let record = record_of(&state, user.id, id).await?;
    let built = built(&state, &record).await?;
    let rows = match &built {
        Ok(l) => &l.rows,
        Err(b) => &b.rows,
    };
    let total = rows.len();
    let end = offset.saturating_add(limit).min(total);
    // The rows as stored, so a ledger in need of repair exports whole.
    let page: Vec<TransactionRecord> = rows
        .get(offset.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|r| r.record.clone())
        .collect();
    let mut csv = Vec::new();
    auravest_core::io::write_records_csv(&mut csv, &page).map_err(AppError::internal)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert("x-total-count", total.into());
    if end < total
        && let Ok(link) = header::HeaderValue::from_str(&format!(
            "</api/v1/portfolios/{id}/transactions.csv?limit={limit}&offset={end}>; rel=\"next\""
        ))
    {
        headers.insert(header::LINK, link);
    }
    Ok((headers, String::from_utf8(csv).map_err(AppError::internal)?))
}

fn row_fields(errors: &[RowError], prefix: &str) -> AppError {
    let fields = errors
        .iter()
        .map(|e| (format!("{prefix}{}", e.field), e.reason.clone()))
        .collect();
    AppError::fields(fields)
}

fn parse_record(body: Value) -> AppResult<TransactionRecord> {
    if !body.is_object() {
        return Err(AppError::field("$", "expected a JSON object"));
    }
    if let Some(obj) = body.as_object() {
        for k in obj.keys() {
            if !auravest_core::io::TRANSACTION_COLUMNS.contains(&k.as_str()) {
                return Err(AppError::field(
                    k.clone(),
                    format!(
                        "unknown field; expected {}",
                        auravest_core::io::TRANSACTION_COLUMNS.join(", ")
                    ),
                ));
            }
        }
    }
    serde_json::from_value(body).map_err(|e| {
        let msg = e.to_string();
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("missing field"))
            .unwrap_or("$")
            .to_owned();
        AppError::field(field, msg)
    })
}

/// Checks a record on its own and returns it as the SDK writes it
/// (normalised: `2017-1-5` is stored as `2017-01-05`, symbols upper-cased).
fn normalised(record: &TransactionRecord) -> AppResult<(TransactionRecord, Transaction)> {
    match Transaction::try_from(record) {
        Ok(tx) => Ok((TransactionRecord::from(&tx), tx)),
        Err(errors) => Err(AppError::fields(
            errors
                .iter()
                .map(|e| (e.field().unwrap_or("$").to_owned(), e.to_string()))
                .collect(),
        )),
    }
}

/// Refuses a ledger that would hold more than [`MAX_LEDGER_ROWS`] rows.
fn check_size(rows: usize) -> AppResult<()> {
    if rows > MAX_LEDGER_ROWS {
        return Err(AppError::field(
            "transactions",
            format!("the portfolio would hold {rows} transactions; at most {MAX_LEDGER_ROWS}"),
        ));
    }
    Ok(())
}

/// How many times a change is checked again when another replica changed
/// the portfolio between the check and the write.
const CHANGE_ATTEMPTS: usize = 3;

/// The answer when every attempt found the portfolio changed.
fn changed_meanwhile() -> AppError {
    AppError::Conflict(
        "the portfolio changed while this change was being checked; try again".to_owned(),
    )
}

/// The stored rows of a built ledger, valid or not.
fn rows_of(built: &Built) -> &[TransactionRow] {
    match built {
        Ok(l) => &l.rows,
        Err(b) => &b.rows,
    }
}

/// The base currency stored with a portfolio (a bad one is our fault).
fn base_of(record: &PortfolioRecord) -> AppResult<Currency> {
    Currency::new(&record.currency)
        .map_err(|e| AppError::Internal(format!("portfolio {} has a bad currency: {e}", record.id)))
}

/// Takes the portfolio's lock for a write, if it is still at `version`:
/// `None` when it changed meanwhile (check again).
async fn claim(
    state: &AppState,
    user: Uuid,
    id: Uuid,
    version: i64,
) -> AppResult<Option<Box<dyn LedgerLock>>> {
    match state.store.lock_ledger(user, id, version).await? {
        LedgerClaim::Locked(lock) => Ok(Some(lock)),
        LedgerClaim::Changed => Ok(None),
        LedgerClaim::Missing => Err(AppError::not_found("portfolio")),
    }
}

/// Commits a locked change and keeps the ledger it made.
async fn commit(
    state: &AppState,
    lock: Box<dyn LedgerLock>,
    mut rows: Vec<TransactionRow>,
    portfolio: Result<Portfolio, Vec<RowError>>,
) -> AppResult<()> {
    let (id, version) = (lock.portfolio().id, lock.portfolio().version);
    lock.commit().await?;
    sort_rows(&mut rows);
    let built = match portfolio {
        Ok(portfolio) => Ok(Arc::new(Ledger { rows, portfolio })),
        Err(errors) => Err(Arc::new(Broken { rows, errors })),
    };
    state.ledgers.put(id, version, built);
    Ok(())
}

/// Adds a transaction; the whole ledger is checked (e.g. no selling shares
/// not held) and nothing is stored when it fails. Changes to one portfolio
/// are checked and written one after the other: in this process in turn,
/// across replicas through the portfolio's version, so a change is only
/// ever written over the rows it was checked against.
#[utoipa::path(post, path = "/api/v1/portfolios/{id}/transactions", tag = "transactions",
    request_body(content = Object, description = "`{date, type, symbol?, quantity?, price?, fee?, currency}`"),
    responses((status = 201, body = TransactionView), (status = 422, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_transaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<(StatusCode, Json<TransactionView>)> {
    let (record, tx) = normalised(&parse_record(body)?)?;
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let base = built(&state, &p).await?.map_err(|b| b.conflict())?;
        check_size(base.rows.len() + 1)?;
        let (from, tx) = (Arc::clone(&base), tx.clone());
        let today = Utc::now().date_naive();
        let candidate = ledger::blocking(move || {
            let mut p = from.portfolio.clone().with_today(today);
            p.import([(0, Ok(tx))], false).map(|_| p)
        })
        .await?;
        let portfolio = match candidate {
            Ok(p) => p,
            Err(auravest_core::Error::Import { errors }) => return Err(row_fields(&errors, "")),
            Err(e) => return Err(AppError::field("$", e.to_string())),
        };
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        let stored = lock.insert(std::slice::from_ref(&record)).await?;
        let row = stored
            .first()
            .cloned()
            .ok_or_else(|| AppError::Internal("insert returned no row".to_owned()))?;
        let mut rows = base.rows.clone();
        rows.extend(stored);
        commit(&state, lock, rows, Ok(portfolio)).await?;
        return Ok((StatusCode::CREATED, Json(row.into())));
    }
    Err(changed_meanwhile())
}

/// Rows as they would be after replacing or deleting one, checked: `Ok` when
/// the change is allowed. A valid ledger must stay valid; a ledger that
/// needs repair may change as long as it has no more bad rows than before.
async fn changed(
    base: &Built,
    currency: Currency,
    rows: Vec<TransactionRow>,
) -> AppResult<(Vec<TransactionRow>, Result<Portfolio, Vec<RowError>>, bool)> {
    let bad_before = match base {
        Ok(_) => 0,
        Err(b) => b.errors.len(),
    };
    let (rows, result) = ledger::blocking(move || {
        let mut rows = rows;
        sort_rows(&mut rows);
        let result = ledger::check(currency, rows.iter().map(|r| &r.record));
        (rows, result)
    })
    .await?;
    let allowed = match &result {
        Ok(_) => true,
        Err(errors) => bad_before > 0 && errors.len() <= bad_before,
    };
    Ok((rows, result, allowed))
}

/// Replaces a transaction (checked against the whole ledger). On a
/// portfolio whose ledger needs repair, any edit that does not add bad rows
/// is accepted.
#[utoipa::path(put, path = "/api/v1/portfolios/{id}/transactions/{tx}", tag = "transactions",
    request_body(content = Object, description = "`{date, type, symbol?, quantity?, price?, fee?, currency}`"),
    responses((status = 200, body = TransactionView), (status = 422, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_transaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, tx)): Path<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<Json<TransactionView>> {
    let (record, _) = normalised(&parse_record(body)?)?;
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let built = built(&state, &p).await?;
        let mut rows = rows_of(&built).to_vec();
        let Some(row) = rows.iter_mut().find(|r| r.id == tx) else {
            return Err(AppError::not_found("transaction"));
        };
        row.record = record.clone();
        let (rows, result, allowed) = changed(&built, base_of(&p)?, rows).await?;
        if !allowed {
            let errors = result.err().unwrap_or_default();
            return Err(row_fields(&errors, ""));
        }
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        let row = lock
            .update(tx, &record)
            .await?
            .ok_or_else(|| AppError::not_found("transaction"))?;
        commit(&state, lock, rows, result).await?;
        return Ok(Json(row.into()));
    }
    Err(changed_meanwhile())
}

/// Deletes a transaction, unless the rest would no longer be valid (e.g.
/// deleting a buy that a later sale needs). On a portfolio whose ledger
/// needs repair, any deletion that does not add bad rows is accepted.
#[utoipa::path(delete, path = "/api/v1/portfolios/{id}/transactions/{tx}", tag = "transactions",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_transaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, tx)): Path<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let built = built(&state, &p).await?;
        if !rows_of(&built).iter().any(|r| r.id == tx) {
            return Err(AppError::not_found("transaction"));
        }
        let rest: Vec<TransactionRow> = rows_of(&built)
            .iter()
            .filter(|r| r.id != tx)
            .cloned()
            .collect();
        let (rows, result, allowed) = changed(&built, base_of(&p)?, rest).await?;
        if !allowed {
            let errors = result.err().unwrap_or_default();
            return Err(AppError::Conflict(format!(
                "deleting it would leave the ledger invalid: {}",
                errors.first().map(ToString::to_string).unwrap_or_default()
            )));
        }
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        if !lock.delete(tx).await? {
            return Err(AppError::not_found("transaction"));
        }
        commit(&state, lock, rows, result).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    Err(changed_meanwhile())
}

/// Imports a transactions CSV (`date,type,symbol,quantity,price,fee,currency`),
/// at most [`MAX_IMPORT_ROWS`] rows, into a portfolio that then holds at
/// most [`MAX_LEDGER_ROWS`]. Without `skip_invalid`, one bad row refuses
/// the whole file (422 with every bad row); with it, the good rows are
/// stored and the bad ones listed.
#[utoipa::path(post, path = "/api/v1/portfolios/{id}/transactions/import", tag = "transactions",
    params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 422, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Json<ImportResult>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("text/csv") {
        return Err(AppError::field("content-type", "must be text/csv"));
    }
    // Parsing is CPU work too: off the async workers.
    let parsed = ledger::blocking(move || auravest_core::io::read_transactions_csv(&body[..]))
        .await?
        .map_err(|e| AppError::field("csv", e.to_string()))?;
    if parsed.len() > MAX_IMPORT_ROWS {
        return Err(AppError::field(
            "csv",
            format!(
                "{} rows; at most {MAX_IMPORT_ROWS} per import",
                parsed.len()
            ),
        ));
    }
    // Records to store, in file order, keyed by their line.
    let mut lines: BTreeMap<usize, TransactionRecord> = BTreeMap::new();
    for (line, r) in &parsed {
        if let Ok(tx) = r {
            lines.insert(*line, TransactionRecord::from(tx));
        }
    }
    let parsed = Arc::new(parsed);
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let base = built(&state, &p).await?.map_err(|b| b.conflict())?;
        let (from, rows) = (Arc::clone(&base), Arc::clone(&parsed));
        let skip = params.skip_invalid;
        let today = Utc::now().date_naive();
        let outcome = ledger::blocking(move || {
            let mut work = from.portfolio.clone().with_today(today);
            work.import(rows.iter().cloned(), skip)
                .map(|report| (work, report))
        })
        .await?;
        let (portfolio, report) = match outcome {
            Ok(r) => r,
            Err(auravest_core::Error::Import { errors }) => {
                let fields = errors
                    .iter()
                    .map(|e| (format!("line {}.{}", e.line, e.field), e.reason.clone()))
                    .collect();
                return Err(AppError::fields(fields));
            }
            Err(e) => return Err(AppError::field("csv", e.to_string())),
        };
        let refused: BTreeSet<usize> = report.skipped.iter().map(|e| e.line).collect();
        let good: Vec<TransactionRecord> = lines
            .iter()
            .filter(|(line, _)| !refused.contains(line))
            .map(|(_, r)| r.clone())
            .collect();
        check_size(base.rows.len() + good.len())?;
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        let stored = lock.insert(&good).await?;
        let mut all = base.rows.clone();
        all.extend(stored);
        commit(&state, lock, all, Ok(portfolio)).await?;
        return Ok(Json(ImportResult {
            imported: good.len(),
            errors: report
                .skipped
                .into_iter()
                .map(|e| ImportError {
                    line: e.line,
                    field: e.field,
                    reason: e.reason,
                })
                .collect(),
        }));
    }
    Err(changed_meanwhile())
}

// --- valuation --------------------------------------------------------------

/// A position in the valuation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PositionView {
    /// Ticker.
    pub symbol: String,
    /// Asset class, when the instrument is known.
    pub asset_class: Option<String>,
    /// Shares (decimal string).
    pub quantity: String,
    /// Average cost per share (decimal string).
    pub avg_cost: String,
    /// Price used (decimal string).
    pub price: String,
    /// Day of that price.
    pub price_date: String,
    /// Value in the base currency (decimal string).
    pub value: String,
    /// Fraction of the portfolio.
    pub weight: f64,
    /// Change since the previous close in the base currency (decimal string).
    pub day_change: Option<String>,
    /// Unrealised gain (decimal string).
    pub unrealized_pnl: String,
    /// Realised gain (decimal string).
    pub realized_pnl: String,
}

/// A valuation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValuationView {
    /// Portfolio.
    pub portfolio_id: Uuid,
    /// The price date valued at.
    pub as_of: String,
    /// Base currency.
    pub currency: String,
    /// Total value, cash included (decimal string).
    pub value: String,
    /// Cash (decimal string).
    pub cash: String,
    /// Change since the previous close (decimal string).
    pub day_change: String,
    /// Value plus withdrawals less deposits: gain since the start (decimal string).
    pub total_return: String,
    /// Total return over net deposits, as a fraction (null without deposits).
    pub total_return_pct: Option<f64>,
    /// Positions.
    pub positions: Vec<PositionView>,
    /// Fraction by holding (and `CASH`).
    pub allocation_by_holding: BTreeMap<String, f64>,
    /// Fraction by asset class.
    pub allocation_by_asset_class: BTreeMap<String, f64>,
    /// Where each price came from and how old it is.
    pub prices: BTreeMap<String, PriceSource>,
}

/// Values the portfolio at the latest prices.
pub(crate) async fn valuation_of(state: &AppState, loaded: &Loaded) -> AppResult<ValuationView> {
    let symbols = symbols_of(&loaded.ledger.portfolio);
    let priced = prices_for(state, &symbols, 14, Some(&loaded.ledger.portfolio)).await?;
    // The SDK computes the page: day change, allocations, net deposits and
    // the total return; unlisted symbols stay unclassified.
    let report = loaded
        .ledger
        .portfolio
        .valuation_report(&priced.frame, priced.as_of, crate::prices::instruments())
        .map_err(|e| match e {
            auravest_core::Error::InvalidField { .. } => {
                AppError::field("transactions", e.to_string())
            }
            e => priced_error(&e),
        })?;
    let v = &report.valuation;
    let positions = v
        .positions
        .iter()
        .zip(&report.day_changes)
        .zip(&report.asset_classes)
        .map(|((p, day_change), class)| PositionView {
            symbol: p.symbol.to_string(),
            asset_class: class.map(|c| c.as_str().to_owned()),
            quantity: p.quantity.normalize().to_string(),
            avg_cost: p.avg_cost.round_dp(4).normalize().to_string(),
            price: p.price.normalize().to_string(),
            price_date: p.price_date.to_string(),
            value: p.value.round_dp(2).to_string(),
            weight: p.weight,
            day_change: day_change.map(|d| d.round_dp(2).to_string()),
            unrealized_pnl: p.unrealized_pnl.round_dp(2).to_string(),
            realized_pnl: p.realized_pnl.round_dp(2).to_string(),
        })
        .collect();
    Ok(ValuationView {
        portfolio_id: loaded.record.id,
        as_of: v.as_of.to_string(),
        currency: v.base_currency.to_string(),
        value: v.value.round_dp(2).to_string(),
        cash: v.cash.round_dp(2).to_string(),
        day_change: report.day_change.round_dp(2).to_string(),
        total_return: report.total_return.round_dp(2).to_string(),
        total_return_pct: report.total_return_pct,
        positions,
        allocation_by_holding: report.allocation_by_holding,
        allocation_by_asset_class: report.allocation_by_asset_class,
        prices: priced
            .sources
            .into_iter()
            .filter(|(s, _)| symbols.contains(s))
            .collect(),
    })
}

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

// --- performance ------------------------------------------------------------

/// Performance over a range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PerformanceView {
    /// The window (`1m`, `3m`, `6m`, `ytd`, `1y`, `3y`, `5y` or `max`).
    pub range: String,
    /// First day.
    pub from: String,
    /// Last day (the latest price date).
    pub to: String,
    /// Time-weighted return (fraction).
    pub twr: f64,
    /// Money-weighted return (annualised IRR, fraction); null when it has no solution.
    pub mwr: Option<f64>,
    /// The benchmark's return over the same days (fraction), when priced.
    pub benchmark: Option<BenchmarkView>,
    /// Daily values.
    pub values: Vec<ValuePointView>,
}

/// A benchmark's return.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BenchmarkView {
    /// Ticker.
    pub symbol: String,
    /// Return over the range (fraction).
    pub total_return: f64,
}

/// One day's value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValuePointView {
    /// Day.
    pub date: String,
    /// Value (decimal string).
    pub value: String,
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
    let lookback = (Utc::now().date_naive() - first).num_days() + 14;
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

/// Stored prices may end this many days before a period's last day (a
/// weekend and a holiday) and still price its close.
const PERIOD_END_SLACK_DAYS: i64 = 4;

/// The time-weighted return (a fraction) of one of the user's portfolios
/// from the close before `first` (or its first transaction, when later) to
/// the close on or before `last`.
///
/// # Errors
/// 404 when the portfolio is not the user's; 422 on `period` when it is
/// not over, ends before the portfolio's first transaction or after the
/// stored prices, and on `portfolio_id` when there are no transactions.
pub(crate) async fn period_return(
    state: &AppState,
    user: Uuid,
    id: Uuid,
    first: NaiveDate,
    last: NaiveDate,
) -> AppResult<f64> {
    let today = Utc::now().date_naive();
    if last >= today {
        return Err(AppError::field(
            "period",
            format!("it ends on {last}, which is not over yet"),
        ));
    }
    let loaded = load(state, user, id).await?;
    let Some(opened) = loaded
        .ledger
        .portfolio
        .transactions()
        .first()
        .map(|t| t.date)
    else {
        return Err(AppError::field(
            "portfolio_id",
            "the portfolio has no transactions yet",
        ));
    };
    if opened > last {
        return Err(AppError::field(
            "period",
            format!("it ends on {last}, before the portfolio's first transaction ({opened})"),
        ));
    }
    let start = first
        .checked_sub_signed(Days::days(1))
        .unwrap_or(first)
        .max(opened);
    let symbols = symbols_of(&loaded.ledger.portfolio);
    let lookback = (today - start).num_days() + 14;
    let priced = prices_for(state, &symbols, lookback, Some(&loaded.ledger.portfolio)).await?;
    if !symbols.is_empty()
        && priced
            .as_of
            .checked_add_signed(Days::days(PERIOD_END_SLACK_DAYS))
            .is_some_and(|d| d < last)
    {
        return Err(AppError::field(
            "period",
            format!(
                "prices run only to {}; the period ends on {last}",
                priced.as_of
            ),
        ));
    }
    let series = loaded
        .ledger
        .portfolio
        .value_series(&priced.frame, start, last)
        .map_err(|e| match e {
            auravest_core::Error::InvalidPeriod { .. } => AppError::field("period", format!("{e}")),
            e => priced_error(&e),
        })?;
    Ok(series.time_weighted_return())
}

// --- insights ---------------------------------------------------------------

/// Nudges, the recommended allocation and a rebalancing suggestion.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InsightsView {
    /// The price date.
    pub as_of: String,
    /// Today's nudges, most severe first.
    pub nudges: Vec<NudgeView>,
    /// Progress of each goal.
    pub goals: Vec<auravest_bias::GoalProgress>,
    /// The recommended allocation for the user's risk profile; null until
    /// the questionnaire is taken (see `recommendation_note`).
    pub recommendation: Option<RecommendationView>,
    /// Why there is no recommendation, when there is none.
    pub recommendation_note: Option<String>,
    /// Shares to buy (+) or sell (-) to move toward the recommendation.
    pub rebalancing: Option<RebalancingView>,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// A nudge with the disclaimer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NudgeView {
    /// The nudge.
    #[serde(flatten)]
    pub nudge: auravest_bias::Nudge,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// The stock/bond/cash split of a risk category.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SplitView {
    /// Share in stocks.
    pub stocks: f64,
    /// Share in bonds.
    pub bonds: f64,
    /// Share in cash.
    pub cash: f64,
}

/// Something the recommendation could not fill, and what would fill it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GapView {
    /// `bonds` or `international`.
    pub kind: String,
    /// Share of the portfolio affected.
    pub weight: f64,
    /// A sentence for the user.
    pub text: String,
}

/// A recommended allocation (`auravest_optimize::Recommendation`), built
/// under the same limits as the nudges.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecommendationView {
    /// The risk category.
    pub category: String,
    /// The category's split.
    pub split: SplitView,
    /// Weight by symbol, `CASH` included.
    pub weights: BTreeMap<String, f64>,
    /// The estimated expected return a year (show it with the range).
    pub expected_return: f64,
    /// Low end of the expected-return range (estimate minus one standard error).
    pub expected_return_low: f64,
    /// High end of the expected-return range.
    pub expected_return_high: f64,
    /// Expected volatility a year.
    pub volatility: f64,
    /// Method and period of the estimates ("based on past prices").
    pub basis: String,
    /// What the priced universe lacks.
    pub gaps: Vec<GapView>,
    /// Plain-language reasons.
    pub reasoning: Vec<String>,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// Whole-share trades toward the recommendation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RebalancingView {
    /// Shares to buy (+) or sell (-), by symbol.
    pub trades: BTreeMap<String, i64>,
    /// Cash left after the trades.
    pub target_cash: f64,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

impl RecommendationView {
    fn from_sdk(rec: &auravest_optimize::Recommendation) -> Self {
        Self {
            category: rec.category.to_string(),
            split: SplitView {
                stocks: rec.allocation.stocks,
                bonds: rec.allocation.bonds,
                cash: rec.allocation.cash,
            },
            weights: rec.weights.clone(),
            expected_return: rec.performance.expected_return,
            expected_return_low: rec.expected_return_range.0,
            expected_return_high: rec.expected_return_range.1,
            volatility: rec.performance.volatility,
            basis: rec.basis.clone(),
            gaps: rec
                .gaps
                .iter()
                .map(|g| GapView {
                    kind: match g.kind {
                        auravest_optimize::GapKind::Bonds => "bonds",
                        auravest_optimize::GapKind::International => "international",
                    }
                    .to_owned(),
                    weight: g.weight,
                    text: g.text.clone(),
                })
                .collect(),
            reasoning: rec.reasoning.clone(),
            disclaimer: DISCLAIMER,
        }
    }
}

/// The nudges' thresholds; the recommendation is built under the same ones.
fn nudge_config() -> auravest_bias::Config {
    auravest_bias::Config::default()
}

/// The user's current risk profile, if any.
pub(crate) async fn risk_profile_of(
    state: &AppState,
    user: Uuid,
) -> AppResult<Option<auravest_risk::RiskProfile>> {
    let Some(r) = state.store.latest_risk(user).await? else {
        return Ok(None);
    };
    serde_json::from_value(r.profile)
        .map(Some)
        .map_err(AppError::internal)
}

/// The recommendation over the open positions plus the benchmark fund,
/// under the nudges' limits.
fn recommendation(
    profile: &auravest_risk::RiskProfile,
    frame: &PriceFrame,
    held: &[String],
    instruments: &InstrumentTable,
) -> Result<auravest_optimize::Recommendation, String> {
    let cols: Vec<(Symbol, Vec<Option<f64>>)> = held
        .iter()
        .map(String::as_str)
        .chain([BENCHMARK])
        .filter_map(|s| {
            let col = frame.column(s)?;
            Some((Symbol::new(s).ok()?, col.to_vec()))
        })
        .collect();
    if cols.is_empty() {
        return Err("no priced holdings to optimise".to_owned());
    }
    let universe = PriceFrame::new(frame.dates().to_vec(), cols).map_err(|e| e.to_string())?;
    let options = auravest_optimize::AdviceOptions {
        limits: nudge_config(),
        ..auravest_optimize::AdviceOptions::default()
    };
    auravest_optimize::recommend(profile.category, &universe, instruments, &options)
        .map_err(|e| e.to_string())
}

/// The bias crate's analysis of a portfolio over its whole history of
/// prices (nudges, goals, badges, checklist), and the prices it used.
pub(crate) async fn analysis_of(
    state: &AppState,
    user: Uuid,
    loaded: &Loaded,
) -> AppResult<(auravest_bias::Analysis, Priced)> {
    let mut symbols = symbols_of(&loaded.ledger.portfolio);
    symbols.push(BENCHMARK.to_owned());
    symbols.sort();
    symbols.dedup();
    // The detectors look back over the whole ledger (sales, drawdowns held).
    let lookback = loaded
        .ledger
        .portfolio
        .transactions()
        .first()
        .map_or(400, |t| (Utc::now().date_naive() - t.date).num_days() + 14);
    let priced = prices_for(state, &symbols, lookback, Some(&loaded.ledger.portfolio)).await?;
    let profile = risk_profile_of(state, user).await?;
    let goals = goals::sdk_goals(&state.store.goals(user).await?)?;
    let benchmark = priced.frame.column_index(BENCHMARK).map(|_| BENCHMARK);
    let input = auravest_bias::AnalysisInput {
        instruments: Some(crate::prices::instruments()),
        risk_profile: profile.as_ref(),
        goals: &goals,
        benchmark,
        ..auravest_bias::AnalysisInput::new(&loaded.ledger.portfolio, &priced.frame, priced.as_of)
    };
    let analysis = auravest_bias::analyze(&input, &nudge_config()).map_err(|e| match e {
        auravest_bias::Error::Core(e) => priced_error(&e),
        e => AppError::internal(e),
    })?;
    Ok((analysis, priced))
}

/// Builds the insights (also used by the summary).
pub(crate) async fn insights_of(
    state: &AppState,
    user: &AuthUser,
    loaded: &Loaded,
) -> AppResult<InsightsView> {
    let (analysis, priced) = analysis_of(state, user.id, loaded).await?;
    let profile = risk_profile_of(state, user.id).await?;
    let instruments = crate::prices::instruments();
    let open: Vec<String> = loaded
        .ledger
        .portfolio
        .holdings()
        .open_positions()
        .map(|p| p.symbol().to_string())
        .collect();
    let (recommendation_json, note, rebalancing) = match &profile {
        None => (
            None,
            Some("take the risk questionnaire to get a recommended allocation".to_owned()),
            None,
        ),
        Some(profile) => match recommendation(profile, &priced.frame, &open, instruments) {
            Err(reason) => (None, Some(format!("no recommendation: {reason}")), None),
            Ok(rec) => {
                let rebalancing = auravest_optimize::rebalance_toward(
                    &rec,
                    &priced.frame,
                    &analysis.valuation,
                    &auravest_optimize::allocation::RebalanceOptions::default(),
                )
                .ok()
                .map(|plan| RebalancingView {
                    trades: plan.trades,
                    target_cash: plan.target_cash,
                    disclaimer: DISCLAIMER,
                });
                (Some(RecommendationView::from_sdk(&rec)), None, rebalancing)
            }
        },
    };
    let now = Utc::now();
    let object = Some(state.keys.object_hash(loaded.record.id));
    state
        .store
        .audit(&AuditEntry {
            at: now,
            action: AuditAction::NudgesShown,
            subject: Some(user.audit_subject),
            object: object.clone(),
            detail: json!({"nudges": analysis.nudges.len(),
                "kinds": analysis.nudges.iter().map(|n| n.kind.to_string()).collect::<Vec<_>>()}),
        })
        .await?;
    if recommendation_json.is_some() {
        state
            .store
            .audit(&AuditEntry {
                at: now,
                action: AuditAction::RecommendationShown,
                subject: Some(user.audit_subject),
                object,
                detail: json!({"category": profile.as_ref().map(|p| p.category.to_string())}),
            })
            .await?;
    }
    Ok(InsightsView {
        as_of: priced.as_of.to_string(),
        nudges: analysis
            .nudges
            .into_iter()
            .map(|nudge| NudgeView {
                nudge,
                disclaimer: DISCLAIMER,
            })
            .collect(),
        goals: analysis.goals,
        recommendation: recommendation_json,
        recommendation_note: note,
        rebalancing,
        disclaimer: DISCLAIMER,
    })
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

/// `/portfolios/...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portfolios", get(list).post(create))
        .route(
            "/portfolios/{id}",
            get(get_one).patch(rename).delete(delete),
        )
        .route("/portfolios/{id}/transactions.csv", get(transactions_csv))
        .route(
            "/portfolios/{id}/transactions",
            get(transactions).post(add_transaction),
        )
        .route("/portfolios/{id}/transactions/import", post(import))
        .route(
            "/portfolios/{id}/transactions/{tx}",
            put(edit_transaction).delete(delete_transaction),
        )
        .route("/portfolios/{id}/valuation", get(valuation))
        .route("/portfolios/{id}/performance", get(performance))
        .route("/portfolios/{id}/insights", get(insights))
        .route("/portfolios/{id}/refresh", post(refresh))
}

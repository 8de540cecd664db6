//! The portfolio: a validated transaction log, positions with FIFO lots,
//! valuation and performance. Money and quantities are decimal text.

use std::sync::{Arc, PoisonError, RwLock};

use auravest_core::{Currency, PerformanceOptions, Portfolio as Ledger, TransactionRecord, io};

use crate::errors::{AuraError, Outcome, RowIssue, count};
use crate::prices::{PriceTable, date};

/// A transaction in its record form: every value as text, as a CSV row
/// holds it (`type` is `buy`, `sell`, `deposit`, `withdrawal`, `dividend`,
/// `fee`, `split`, ...; the SDK checks each field).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TransactionInput {
    /// ISO date.
    pub date: String,
    /// The transaction type.
    pub kind: String,
    /// The symbol, for trades, dividends and splits.
    #[uniffi(default = None)]
    pub symbol: Option<String>,
    /// Quantity (decimal text).
    #[uniffi(default = None)]
    pub quantity: Option<String>,
    /// Price or amount (decimal text).
    #[uniffi(default = None)]
    pub price: Option<String>,
    /// Fee (decimal text).
    #[uniffi(default = None)]
    pub fee: Option<String>,
    /// ISO 4217 currency.
    pub currency: String,
}

impl From<TransactionInput> for TransactionRecord {
    fn from(t: TransactionInput) -> Self {
        Self {
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

impl From<TransactionRecord> for TransactionInput {
    fn from(t: TransactionRecord) -> Self {
        Self {
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

/// An amount of money in a currency.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Amount {
    /// Decimal text.
    pub amount: String,
    /// ISO 4217 currency.
    pub currency: String,
}

/// A FIFO lot still held.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Lot {
    /// ISO date bought.
    pub date: String,
    /// Quantity left (decimal text).
    pub quantity: String,
    /// Its cost, fees included (decimal text).
    pub cost: String,
}

/// A position with its lots.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Position {
    /// The symbol.
    pub symbol: String,
    /// Its trading currency.
    pub currency: String,
    /// Quantity held.
    pub quantity: String,
    /// Cost of the lots held.
    pub cost_basis: String,
    /// Average cost per share (`null` when nothing is held).
    pub avg_cost: Option<String>,
    /// Realised profit and loss.
    pub realized_pnl: String,
    /// Dividends received.
    pub dividends: String,
    /// The FIFO lots, oldest first.
    pub lots: Vec<Lot>,
}

/// One position valued.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PositionValue {
    /// The symbol.
    pub symbol: String,
    /// Its trading currency.
    pub currency: String,
    /// Quantity held.
    pub quantity: String,
    /// Average cost per share.
    pub avg_cost: String,
    /// The price used.
    pub price: String,
    /// ISO date of that price.
    pub price_date: String,
    /// Value in the base currency.
    pub value: String,
    /// Share of the portfolio's value.
    pub weight: f64,
    /// Unrealised profit and loss.
    pub unrealized_pnl: String,
    /// Realised profit and loss.
    pub realized_pnl: String,
}

/// The portfolio valued on a date.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Valuation {
    /// ISO date.
    pub as_of: String,
    /// The reporting currency.
    pub base_currency: String,
    /// Total value.
    pub value: String,
    /// Cash, in the base currency.
    pub cash: String,
    /// Each open position.
    pub positions: Vec<PositionValue>,
}

impl From<auravest_core::Valuation> for Valuation {
    fn from(v: auravest_core::Valuation) -> Self {
        Self {
            as_of: v.as_of.to_string(),
            base_currency: v.base_currency.to_string(),
            value: v.value.to_string(),
            cash: v.cash.to_string(),
            positions: v
                .positions
                .into_iter()
                .map(|p| PositionValue {
                    symbol: p.symbol.to_string(),
                    currency: p.currency.to_string(),
                    quantity: p.quantity.to_string(),
                    avg_cost: p.avg_cost.to_string(),
                    price: p.price.to_string(),
                    price_date: p.price_date.to_string(),
                    value: p.value.to_string(),
                    weight: p.weight,
                    unrealized_pnl: p.unrealized_pnl.to_string(),
                    realized_pnl: p.realized_pnl.to_string(),
                })
                .collect(),
        }
    }
}

/// What a performance report measures.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PerformanceRequest {
    /// First ISO date (the first transaction's when `null`).
    #[uniffi(default = None)]
    pub start: Option<String>,
    /// Last ISO date (the prices' last when `null`).
    #[uniffi(default = None)]
    pub end: Option<String>,
    /// Annual risk-free rate (the SDK's default when `null`).
    #[uniffi(default = None)]
    pub risk_free_rate: Option<f64>,
    /// A price column to compare with.
    #[uniffi(default = None)]
    pub benchmark: Option<String>,
}

/// The statistics of a performance report (empyrical definitions).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Statistics {
    /// Total return.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: f64,
    /// Annual volatility.
    pub volatility: f64,
    /// Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Sortino ratio.
    pub sortino: Option<f64>,
    /// Maximum drawdown (negative).
    pub max_drawdown: f64,
    /// Calmar ratio.
    pub calmar: Option<f64>,
    /// Daily value at risk, 95%.
    pub var95: f64,
    /// Daily conditional value at risk, 95%.
    pub cvar95: f64,
    /// Beta against the benchmark.
    pub beta: Option<f64>,
}

/// One day of the portfolio's value.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ValuePoint {
    /// ISO date.
    pub date: String,
    /// Value at the close.
    pub value: String,
    /// External money in.
    pub inflow: String,
    /// External money out.
    pub outflow: String,
}

/// Performance over a period.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Performance {
    /// First ISO date.
    pub start: String,
    /// Last ISO date.
    pub end: String,
    /// The reporting currency.
    pub base_currency: String,
    /// Time-weighted return.
    pub time_weighted_return: f64,
    /// Money-weighted return (annual IRR).
    pub money_weighted_return: f64,
    /// The statistics.
    pub stats: Statistics,
    /// The benchmark's total return over the period, if one was asked for.
    pub benchmark_return: Option<f64>,
    /// How the figures were computed.
    pub basis: String,
    /// The daily values.
    pub series: Vec<ValuePoint>,
}

impl From<auravest_core::PerformanceStats> for Statistics {
    fn from(s: auravest_core::PerformanceStats) -> Self {
        Self {
            total_return: s.total_return,
            cagr: s.cagr,
            volatility: s.volatility,
            sharpe: s.sharpe,
            sortino: s.sortino,
            max_drawdown: s.max_drawdown,
            calmar: s.calmar,
            var95: s.var_95,
            cvar95: s.cvar_95,
            beta: s.beta,
        }
    }
}

/// What the values of a [`Series`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SeriesKind {
    /// Daily closes.
    Prices,
    /// Daily simple returns.
    Returns,
}

/// A dated series of prices or returns, oldest first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Series {
    /// ISO dates.
    pub dates: Vec<String>,
    /// One value per date.
    pub values: Vec<f64>,
}

fn series(field: &'static str, s: Series) -> Outcome<auravest_core::DatedSeries> {
    Ok(auravest_core::DatedSeries {
        dates: crate::prices::dates(field, &s.dates)?,
        values: s.values,
    })
}

/// The statistics of a standalone series.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SeriesStatistics {
    /// The statistics (beta against the benchmark, when one was given).
    pub stats: Statistics,
    /// Jensen's alpha against the benchmark, annualised.
    pub alpha: Option<f64>,
    /// How many returns they were computed from.
    pub periods: u32,
}

/// The statistics (empyrical's definitions) of a standalone price or
/// return series, with beta and alpha against `benchmark` (a series of the
/// same kind; price series are first restricted to their common dates).
#[uniffi::export(default(benchmark = None, risk_free_rate = None))]
pub fn series_statistics(
    series: Series,
    kind: SeriesKind,
    benchmark: Option<Series>,
    risk_free_rate: Option<f64>,
) -> Outcome<SeriesStatistics> {
    let main = self::series("series", series)?;
    let bench = benchmark
        .map(|b| self::series("benchmark", b))
        .transpose()?;
    let kind = match kind {
        SeriesKind::Prices => auravest_core::SeriesKind::Prices,
        SeriesKind::Returns => auravest_core::SeriesKind::Returns,
    };
    let out = auravest_core::series_stats(&main, bench.as_ref(), kind, risk_free_rate)?;
    Ok(SeriesStatistics {
        alpha: out.stats.alpha,
        stats: out.stats.into(),
        periods: count(out.periods),
    })
}

impl From<auravest_core::PerformanceReport> for Performance {
    fn from(r: auravest_core::PerformanceReport) -> Self {
        let s = r.stats;
        Self {
            start: r.start.to_string(),
            end: r.end.to_string(),
            base_currency: r.base_currency.to_string(),
            time_weighted_return: r.time_weighted_return,
            money_weighted_return: r.money_weighted_return,
            stats: s.into(),
            benchmark_return: r.benchmark.map(|b| b.total_return),
            basis: r.basis.to_owned(),
            series: r
                .series
                .points
                .into_iter()
                .map(|p| ValuePoint {
                    date: p.date.to_string(),
                    value: p.value.to_string(),
                    inflow: p.inflow.to_string(),
                    outflow: p.outflow.to_string(),
                })
                .collect(),
        }
    }
}

/// A portfolio: a validated transaction log and the holdings derived from
/// it. A change is checked against the whole log and kept only when the SDK
/// accepts it. Call `close()` (Kotlin) when done; Swift frees it on deinit.
#[derive(Debug, uniffi::Object)]
pub struct Portfolio {
    inner: RwLock<Arc<Ledger>>,
}

impl Portfolio {
    /// The ledger as it is now (a cheap shared copy).
    pub(crate) fn ledger(&self) -> Arc<Ledger> {
        Arc::clone(&self.inner.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The SDK's valuation on `prices` at `as_of` (ISO; default the
    /// prices' last date).
    pub(crate) fn sdk_valuation(
        &self,
        prices: &PriceTable,
        as_of: Option<&str>,
    ) -> Outcome<auravest_core::Valuation> {
        let ledger = self.ledger();
        Ok(match date("as_of", as_of)? {
            Some(d) => ledger.valuation(&prices.frame, d)?,
            None => ledger.valuation_latest(&prices.frame)?,
        })
    }

    /// Applies `f` to a copy of the ledger and keeps the copy when it succeeds.
    fn change<T>(&self, f: impl FnOnce(&mut Ledger) -> Outcome<T>) -> Outcome<T> {
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = (**guard).clone();
        let out = f(&mut next)?;
        *guard = Arc::new(next);
        Ok(out)
    }

    fn import(&self, rows: Vec<io::ParsedRow>, skip_invalid: bool) -> Outcome<Vec<RowIssue>> {
        let report = self.change(|p| Ok(p.import(rows, skip_invalid)?))?;
        Ok(report.skipped.iter().map(RowIssue::from).collect())
    }
}

fn decimal(d: auravest_core::Decimal) -> String {
    d.to_string()
}

#[uniffi::export]
impl Portfolio {
    /// An empty portfolio reporting in `base_currency` (the SDK's default
    /// when `null`) that refuses transactions dated after `today` (ISO).
    #[uniffi::constructor(default(base_currency = None))]
    pub fn new(today: String, base_currency: Option<String>) -> Outcome<Arc<Self>> {
        let today = date("today", Some(&today))?.unwrap_or_default();
        let currency = match base_currency {
            Some(c) => c.parse::<Currency>()?,
            None => Currency::default(),
        };
        Ok(Arc::new(Self {
            inner: RwLock::new(Arc::new(Ledger::new(currency, today))),
        }))
    }

    /// Imports a transactions CSV (`date,type,symbol,quantity,price,fee,currency`):
    /// all or nothing unless `skip_invalid`; returns the rows skipped.
    #[uniffi::method(default(skip_invalid = false))]
    pub fn import_csv(&self, text: String, skip_invalid: bool) -> Outcome<Vec<RowIssue>> {
        let rows = io::read_transactions_csv(text.as_bytes())?;
        self.import(rows, skip_invalid)
    }

    /// Imports records (numbered from 1 as their lines): all or nothing
    /// unless `skip_invalid`; returns the records skipped.
    #[uniffi::method(default(skip_invalid = false))]
    pub fn import_records(
        &self,
        records: Vec<TransactionInput>,
        skip_invalid: bool,
    ) -> Outcome<Vec<RowIssue>> {
        let rows = records
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, TransactionRecord::from(r).validate()))
            .collect();
        self.import(rows, skip_invalid)
    }

    /// Adds one transaction, checked against the whole log.
    pub fn insert(&self, record: TransactionInput) -> Outcome<()> {
        let tx = TransactionRecord::from(record).check(1)?;
        self.change(|p| Ok(p.insert(tx)?))
    }

    /// Removes the transaction at `index` (log order) and returns it.
    pub fn remove(&self, index: u32) -> Outcome<TransactionInput> {
        let index = usize::try_from(index).map_err(|e| AuraError::argument("index", e))?;
        let removed = self.change(|p| Ok(p.remove(index)?))?;
        Ok(removed.to_record().into())
    }

    /// The log as records, in date order.
    pub fn records(&self) -> Vec<TransactionInput> {
        self.ledger()
            .transactions()
            .iter()
            .map(|t| t.to_record().into())
            .collect()
    }

    /// Number of transactions.
    pub fn transaction_count(&self) -> u32 {
        count(self.ledger().transactions().len())
    }

    /// The reporting currency.
    pub fn base_currency(&self) -> String {
        self.ledger().base_currency().to_string()
    }

    /// The ISO date after which transactions are refused.
    pub fn today(&self) -> String {
        self.ledger().today().to_string()
    }

    /// Positions (open ones unless `include_closed`) with their FIFO lots.
    #[uniffi::method(default(include_closed = false))]
    pub fn positions(&self, include_closed: bool) -> Vec<Position> {
        self.ledger()
            .holdings()
            .positions()
            .filter(|p| include_closed || p.is_open())
            .map(|p| Position {
                symbol: p.symbol().to_string(),
                currency: p.currency().to_string(),
                quantity: decimal(p.quantity()),
                cost_basis: decimal(p.cost_basis()),
                avg_cost: p.avg_cost().map(decimal),
                realized_pnl: decimal(p.realized_pnl()),
                dividends: decimal(p.dividends()),
                lots: p
                    .lots()
                    .map(|l| Lot {
                        date: l.date.to_string(),
                        quantity: decimal(l.quantity),
                        cost: decimal(l.cost),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Cash by currency.
    pub fn cash(&self) -> Vec<Amount> {
        self.ledger()
            .holdings()
            .cash()
            .map(|m| Amount {
                amount: decimal(m.amount()),
                currency: m.currency().to_string(),
            })
            .collect()
    }

    /// Values the portfolio at the end of `as_of` (ISO; the latest prices
    /// when `null`).
    #[uniffi::method(default(as_of = None))]
    pub fn valuation(&self, prices: Arc<PriceTable>, as_of: Option<String>) -> Outcome<Valuation> {
        Ok(self.sdk_valuation(&prices, as_of.as_deref())?.into())
    }

    /// Performance over a period: time- and money-weighted returns, the
    /// statistics, the benchmark and the daily values.
    pub fn performance(
        &self,
        prices: Arc<PriceTable>,
        request: PerformanceRequest,
    ) -> Outcome<Performance> {
        let defaults = PerformanceOptions::default();
        let options = PerformanceOptions {
            start: date("start", request.start.as_deref())?,
            end: date("end", request.end.as_deref())?,
            risk_free_rate: request.risk_free_rate.unwrap_or(defaults.risk_free_rate),
            benchmark: request.benchmark.as_deref(),
        };
        Ok(self.ledger().performance(&prices.frame, options)?.into())
    }
}

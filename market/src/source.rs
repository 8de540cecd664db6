//! The source trait, what a source declares about itself, and [`MemorySource`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auravest_core::{Currency, NaiveDate, Symbol};
use chrono::{TimeZone, Utc};

use crate::error::{Error, Result};
use crate::types::{Fundamentals, History, HistoryRequest, Interval, Quote, RawBar, SearchHit};

/// A boxed, `Send` future: how the object-safe [`QuoteSource`] returns async results.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which kinds of symbol a source serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolKinds {
    /// Shares and funds.
    pub equities: bool,
    /// Indices (`^GSPC`).
    pub indices: bool,
    /// Exchange rates (`EURUSD=X`).
    pub fx: bool,
    /// Crypto pairs (`BTC-USD`).
    pub crypto: bool,
}

impl SymbolKinds {
    /// Every kind.
    pub const ALL: Self = Self {
        equities: true,
        indices: true,
        fx: true,
        crypto: true,
    };
    /// Shares and funds only.
    pub const EQUITIES: Self = Self {
        equities: true,
        indices: false,
        fx: false,
        crypto: false,
    };

    /// Whether `symbol` is of a kind this source serves (judged by its shape:
    /// `^` indices, `=X` exchange rates, `-USD`/`-EUR`/`-BTC` crypto pairs).
    pub fn serves(&self, symbol: &Symbol) -> bool {
        let s = symbol.as_str();
        if s.starts_with('^') {
            self.indices
        } else if s.ends_with("=X") {
            self.fx
        } else if ["-USD", "-EUR", "-BTC", "-USDT"]
            .iter()
            .any(|x| s.ends_with(x))
        {
            self.crypto
        } else {
            self.equities
        }
    }
}

/// What a source can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Latest delayed price.
    pub quote: bool,
    /// Price history, at these intervals.
    pub history: Vec<Interval>,
    /// Splits and dividends with the history.
    pub events: bool,
    /// Adjusted closes with the history.
    pub adjusted: bool,
    /// Fundamentals.
    pub fundamentals: bool,
    /// Search by name.
    pub search: bool,
    /// Kinds of symbol served.
    pub symbols: SymbolKinds,
}

/// A source's published limits. The chain enforces them locally so a source
/// is not asked more often than it allows; `None` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimits {
    /// Calls per second.
    pub per_second: Option<u32>,
    /// Calls per minute.
    pub per_minute: Option<u32>,
    /// Calls per UTC day.
    pub per_day: Option<u32>,
    /// Calls in flight at once.
    pub concurrency: Option<u32>,
}

/// What a source declares about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Short name reported with every result (`yahoo`, `alphavantage`, `stooq`, `file`).
    pub name: String,
    /// Lower is tried first.
    pub priority: u32,
    /// What it can do.
    pub capabilities: Capabilities,
    /// How often it may be asked.
    pub limits: RateLimits,
}

/// A source of market data. Object safe: the chain holds `Arc<dyn QuoteSource>`.
///
/// Methods a source does not support return [`Error::Unsupported`] (the
/// default for fundamentals and search).
pub trait QuoteSource: Send + Sync {
    /// Name, priority, capabilities and limits.
    fn info(&self) -> &SourceInfo;

    /// The symbol in the source's own format (`aapl.us` for Stooq).
    ///
    /// # Errors
    /// [`Error::BadSymbol`] or [`Error::Unsupported`] when the source cannot
    /// express the symbol.
    fn map_symbol(&self, symbol: &Symbol) -> Result<String> {
        if self.info().capabilities.symbols.serves(symbol) {
            Ok(symbol.as_str().to_owned())
        } else {
            Err(Error::unsupported(
                &self.info().name,
                format!("symbols like {symbol}"),
            ))
        }
    }

    /// The latest delayed price.
    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>>;

    /// Validated history for the request.
    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>>;

    /// Fundamentals.
    fn fundamentals<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Fundamentals>> {
        let _ = symbol;
        let err = Error::unsupported(&self.info().name, "fundamentals");
        Box::pin(async move { Err(err) })
    }

    /// Search by name.
    fn search<'a>(&'a self, query: &'a str) -> BoxFuture<'a, Result<Vec<SearchHit>>> {
        let _ = query;
        let err = Error::unsupported(&self.info().name, "search");
        Box::pin(async move { Err(err) })
    }
}

/// An in-memory source: fixed prices and daily closes, an optional scripted
/// failure and delay, and a count of upstream calls. For tests, examples,
/// benches and wasm, where there is no network.
///
/// ```
/// use auravest_market::{MemorySource, QuoteSource};
/// let src = MemorySource::new("memory", 0).with_closes("AAPL", &[("2024-01-02", 185.6)]);
/// let sym = "AAPL".parse().unwrap();
/// let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// let q = rt.block_on(src.quote(&sym)).unwrap();
/// assert_eq!(q.source, "memory");
/// assert_eq!(src.calls(), 1);
/// ```
#[derive(Debug)]
pub struct MemorySource {
    info: SourceInfo,
    rows: HashMap<Symbol, Vec<RawBar>>,
    currency: Option<Currency>,
    fundamentals: HashMap<Symbol, Fundamentals>,
    failure: Mutex<Option<Error>>,
    delay: Duration,
    calls: AtomicUsize,
}

impl MemorySource {
    /// An empty source with this name and priority that serves every kind of symbol.
    pub fn new(name: &str, priority: u32) -> Self {
        Self {
            info: SourceInfo {
                name: name.to_owned(),
                priority,
                capabilities: Capabilities {
                    quote: true,
                    history: vec![Interval::Daily],
                    events: false,
                    adjusted: false,
                    fundamentals: true,
                    search: false,
                    symbols: SymbolKinds::ALL,
                },
                limits: RateLimits::default(),
            },
            rows: HashMap::new(),
            currency: None,
            fundamentals: HashMap::new(),
            failure: Mutex::new(None),
            delay: Duration::ZERO,
            calls: AtomicUsize::new(0),
        }
    }

    /// Adds daily closes for `symbol` (`("YYYY-MM-DD", close)`); bad dates or
    /// symbols are kept as rows without a date so validation reports them.
    pub fn with_closes(self, symbol: &str, closes: &[(&str, f64)]) -> Self {
        let rows = closes
            .iter()
            .map(|(d, c)| RawBar {
                date: d.parse().ok(),
                close: Some(*c),
                ..RawBar::default()
            })
            .collect();
        self.with_rows(symbol, rows)
    }

    /// Adds raw rows for `symbol`.
    ///
    /// # Panics
    /// When `symbol` is not a valid symbol (a programming error in the caller).
    pub fn with_rows(mut self, symbol: &str, rows: Vec<RawBar>) -> Self {
        let symbol = Symbol::new(symbol).expect("MemorySource::with_rows: invalid symbol");
        self.rows.insert(symbol, rows);
        self
    }

    /// Sets the currency reported with every quote and history.
    pub fn with_currency(mut self, currency: Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// Adds fundamentals for a symbol.
    pub fn with_fundamentals(mut self, fundamentals: Fundamentals) -> Self {
        if let Some(s) = fundamentals.symbol.clone() {
            self.fundamentals.insert(s, fundamentals);
        }
        self
    }

    /// Makes every call wait this long before answering (to hold requests in flight).
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets the declared limits.
    pub fn with_limits(mut self, limits: RateLimits) -> Self {
        self.info.limits = limits;
        self
    }

    /// Makes every call fail with `error` until [`clear_failure`](Self::clear_failure).
    pub fn fail_with(&self, error: Error) {
        *self
            .failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error);
    }

    /// Stops failing.
    pub fn clear_failure(&self) {
        *self
            .failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// How many calls reached this source.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn enter(&self) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let failure = self
            .failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        failure.map_or(Ok(()), Err)
    }

    fn rows_of(&self, symbol: &Symbol) -> Result<&Vec<RawBar>> {
        self.rows.get(symbol).ok_or_else(|| Error::NotFound {
            source_name: self.info.name.clone(),
            symbol: symbol.to_string(),
            reason: "not in memory".to_owned(),
        })
    }
}

fn date_time(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

impl QuoteSource for MemorySource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>> {
        Box::pin(async move {
            self.enter().await?;
            let rows = self.rows_of(symbol)?;
            let (date, close) = rows
                .iter()
                .rev()
                .find_map(|r| Some((r.date?, r.close.filter(|c| c.is_finite() && *c > 0.0)?)))
                .ok_or_else(|| Error::NoData {
                    source_name: self.info.name.clone(),
                    symbol: symbol.to_string(),
                })?;
            Ok(Quote {
                symbol: symbol.clone(),
                price: close,
                currency: self.currency,
                market_time: date_time(date),
                fetched_at: Utc::now(),
                source: self.info.name.clone(),
                delayed: true,
                stale: false,
                attempts: Vec::new(),
            })
        })
    }

    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>> {
        Box::pin(async move {
            self.enter().await?;
            if request.interval != Interval::Daily {
                return Err(Error::unsupported(
                    &self.info.name,
                    format!("interval {}", request.interval),
                ));
            }
            let rows = self.rows_of(&request.symbol)?.clone();
            Ok(History::from_raw(
                request,
                &self.info.name,
                self.currency,
                rows,
                Utc::now(),
            ))
        })
    }

    fn fundamentals<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Fundamentals>> {
        Box::pin(async move {
            self.enter().await?;
            self.fundamentals
                .get(symbol)
                .cloned()
                .ok_or_else(|| Error::NotFound {
                    source_name: self.info.name.clone(),
                    symbol: symbol.to_string(),
                    reason: "no fundamentals in memory".to_owned(),
                })
        })
    }
}

pub(crate) fn midnight_utc(date: NaiveDate) -> chrono::DateTime<Utc> {
    date_time(date)
}

/// The quote of a source that has daily closes only: the last row that
/// passes validation, at 00:00 UTC of its date. `shown` is the symbol as the
/// source spells it, for the error when no row is usable.
pub(crate) fn last_close_quote(
    source: &str,
    symbol: &Symbol,
    shown: &str,
    rows: Vec<RawBar>,
) -> Result<Quote> {
    let report = crate::validate_rows(rows);
    let last = report.bars.last().ok_or_else(|| Error::NoData {
        source_name: source.to_owned(),
        symbol: shown.to_owned(),
    })?;
    Ok(Quote {
        symbol: symbol.clone(),
        price: last.close,
        currency: None,
        market_time: midnight_utc(last.date),
        fetched_at: Utc::now(),
        source: source.to_owned(),
        delayed: true,
        stale: false,
        attempts: Vec::new(),
    })
}

/// `price` when it is a finite, positive number; otherwise the source's
/// answer is invalid. Every quote passes this, in the source that reads it
/// and again in the chain (for sources outside this crate).
pub(crate) fn positive_price(source: &str, price: f64) -> Result<f64> {
    if price.is_finite() && price > 0.0 {
        Ok(price)
    } else {
        Err(Error::invalid(
            source,
            format!("price {price} is not a positive number"),
        ))
    }
}

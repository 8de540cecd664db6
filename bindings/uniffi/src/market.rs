//! Market data through the SDK's fallback chain, with its quote cache, on
//! the binding's runtime. Every call is `suspend` in Kotlin and `async` in
//! Swift, and cancelling it closes its connection (see [`crate::runtime`]).

use std::collections::HashMap;
use std::sync::Arc;

use auravest_core::price_decimal;
use auravest_market::{Chain, HistoryRequest, HttpConfig, Interval, Market, SourceSpec};

use crate::errors::{AuraError, Outcome};
use crate::prices::{PriceTable, date, symbol};
use crate::runtime::spawn;

/// One source the chain tried before the answer, and why it was passed over.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SourceAttempt {
    /// The source's name.
    pub source: String,
    /// What it answered.
    pub error: String,
}

fn attempts(list: &[auravest_market::Attempt]) -> Vec<SourceAttempt> {
    list.iter()
        .map(|a| SourceAttempt {
            source: a.source.clone(),
            error: a.error.to_string(),
        })
        .collect()
}

/// The latest (delayed) price of a symbol.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Quote {
    /// The symbol.
    pub symbol: String,
    /// The price (decimal text).
    pub price: String,
    /// Its currency, when the source says.
    pub currency: Option<String>,
    /// When the market set it (RFC 3339).
    pub market_time: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// The source that answered.
    pub source: String,
    /// Whether the source delays its quotes.
    pub delayed: bool,
    /// Whether it is an expired cache entry served because sources failed.
    pub stale: bool,
    /// The sources tried before this one.
    pub attempts: Vec<SourceAttempt>,
}

fn quote(q: auravest_market::Quote) -> Outcome<Quote> {
    Ok(Quote {
        price: price_decimal(&q.symbol, q.price)?.to_string(),
        symbol: q.symbol.to_string(),
        currency: q.currency.map(|c| c.to_string()),
        market_time: q.market_time.to_rfc3339(),
        fetched_at: q.fetched_at.to_rfc3339(),
        source: q.source,
        delayed: q.delayed,
        stale: q.stale,
        attempts: attempts(&q.attempts),
    })
}

/// Why one symbol of [`MarketClient::quotes`] has no quote: what a
/// thrown [`AuraError`] would carry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuoteFailure {
    /// The SDK error's kind (`not_found`, `no_data`, `exhausted`, ...).
    pub kind: String,
    /// What went wrong, in words (the SDK error's message).
    pub message: String,
    /// The symbol asked for.
    pub symbol: String,
}

/// A symbol's quote, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuoteResult {
    /// The symbol asked for.
    pub symbol: String,
    /// The quote, when one came.
    pub quote: Option<Quote>,
    /// Why not, otherwise.
    pub error: Option<QuoteFailure>,
}

/// One validated bar. Price series are floats, as in the SDK's price tables.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Bar {
    /// ISO date.
    pub date: String,
    /// Open.
    pub open: Option<f64>,
    /// High.
    pub high: Option<f64>,
    /// Low.
    pub low: Option<f64>,
    /// Close.
    pub close: f64,
    /// Close adjusted for splits and dividends.
    pub adj_close: Option<f64>,
    /// Volume.
    pub volume: Option<u64>,
}

/// A row validation dropped or flagged.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RowNote {
    /// ISO date, when the row had one.
    pub date: Option<String>,
    /// Why.
    pub reason: String,
}

/// Validated bars of one symbol, with what validation set aside.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct History {
    /// The symbol.
    pub symbol: String,
    /// The source that answered.
    pub source: String,
    /// Its currency, when the source says.
    pub currency: Option<String>,
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
    /// Rows dropped.
    pub dropped: Vec<RowNote>,
    /// Rows kept but flagged.
    pub flagged: Vec<RowNote>,
    /// Whether the source delays its data.
    pub delayed: bool,
    /// Whether it is an expired cache entry.
    pub stale: bool,
    /// The sources tried before this one.
    pub attempts: Vec<SourceAttempt>,
}

/// Bar spacing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum BarInterval {
    /// One bar a trading day.
    Daily,
    /// One a week.
    Weekly,
    /// One a month.
    Monthly,
}

/// Market data through a chain of sources with circuit breakers, quotas,
/// fallbacks and an in-memory quote cache.
#[derive(Debug, uniffi::Object)]
pub struct MarketClient {
    market: Arc<Market>,
    sources: String,
}

impl MarketClient {
    pub(crate) fn market(&self) -> Arc<Market> {
        Arc::clone(&self.market)
    }
}

#[uniffi::export]
impl MarketClient {
    /// A client over a source list (`network`, `yahoo`, `alphavantage`,
    /// `stooq`, `file:DIR`, comma-separated, tried in order). `settings`
    /// holds the HTTP settings by their `AURAVEST_*` names (API keys, base
    /// URLs, timeouts); the SDK's defaults fill the rest.
    #[uniffi::constructor]
    pub fn new(sources: String, settings: HashMap<String, String>) -> Outcome<Arc<Self>> {
        let config = HttpConfig::from_lookup(|k| settings.get(k).cloned())?;
        let specs = SourceSpec::parse_list("sources", &sources)?;
        let list = SourceSpec::build_all(&specs, &config, None)?;
        Ok(Arc::new(Self {
            market: Arc::new(Market::new(Arc::new(Chain::new(list)))),
            sources,
        }))
    }

    /// The source list this client was built with.
    pub fn sources(&self) -> String {
        self.sources.clone()
    }

    /// The latest (delayed) quote of `symbol`: the cache while fresh, else
    /// the first source that answers.
    pub async fn quote(&self, symbol: String) -> Outcome<Quote> {
        let s = self::symbol(&symbol)?;
        let m = self.market();
        spawn(async move { quote(m.quote(&s).await?) }).await
    }

    /// Quotes of several symbols, each with its quote or its error.
    pub async fn quotes(&self, symbols: Vec<String>) -> Outcome<Vec<QuoteResult>> {
        let syms = symbols
            .iter()
            .map(|s| symbol(s))
            .collect::<Outcome<Vec<_>>>()?;
        let m = self.market();
        spawn(async move {
            let answers = m.quotes(&syms).await;
            Ok(syms
                .iter()
                .zip(answers)
                .map(|(s, a)| {
                    let (quote, error) = match a.map_err(AuraError::from).and_then(quote) {
                        Ok(q) => (Some(q), None),
                        Err(e) => {
                            let detail = e.into_detail();
                            let failure = QuoteFailure {
                                kind: detail.kind,
                                message: detail.reason,
                                symbol: s.to_string(),
                            };
                            (None, Some(failure))
                        }
                    };
                    QuoteResult {
                        symbol: s.to_string(),
                        quote,
                        error,
                    }
                })
                .collect())
        })
        .await
    }

    /// Validated bars of `symbol` from `start` to `end` (ISO dates).
    pub async fn history(
        &self,
        symbol: String,
        start: String,
        end: String,
        interval: BarInterval,
    ) -> Outcome<History> {
        let s = self::symbol(&symbol)?;
        let (from, to) = (required("start", &start)?, required("end", &end)?);
        let interval = match interval {
            BarInterval::Daily => Interval::Daily,
            BarInterval::Weekly => Interval::Weekly,
            BarInterval::Monthly => Interval::Monthly,
        };
        let request = HistoryRequest::new(s, from, to, interval)?;
        let m = self.market();
        spawn(async move {
            let h = m.history(&request).await?;
            Ok(History {
                symbol: h.symbol.to_string(),
                source: h.source,
                currency: h.currency.map(|c| c.to_string()),
                bars: h
                    .bars
                    .iter()
                    .map(|b| Bar {
                        date: b.date.to_string(),
                        open: b.open,
                        high: b.high,
                        low: b.low,
                        close: b.close,
                        adj_close: b.adj_close,
                        volume: b.volume,
                    })
                    .collect(),
                dropped: h
                    .dropped
                    .iter()
                    .map(|d| RowNote {
                        date: d.date.map(|x| x.to_string()),
                        reason: d.reason.clone(),
                    })
                    .collect(),
                flagged: h
                    .flagged
                    .iter()
                    .map(|f| RowNote {
                        date: Some(f.date.to_string()),
                        reason: f.reason.clone(),
                    })
                    .collect(),
                delayed: h.delayed,
                stale: h.stale,
                attempts: attempts(&h.attempts),
            })
        })
        .await
    }

    /// Daily closes of several symbols from `start` to `end`, aligned on
    /// their dates, all or nothing (`adjusted`: split- and
    /// dividend-adjusted closes).
    pub async fn prices(
        &self,
        symbols: Vec<String>,
        start: String,
        end: String,
        adjusted: bool,
    ) -> Outcome<Arc<PriceTable>> {
        let syms = symbols
            .iter()
            .map(|s| symbol(s))
            .collect::<Outcome<Vec<_>>>()?;
        let (from, to) = (required("start", &start)?, required("end", &end)?);
        let m = self.market();
        spawn(async move {
            let aligned = m.aligned_prices(&syms, from, to, adjusted).await?;
            Ok(PriceTable::wrap(aligned.to_price_frame()?))
        })
        .await
    }
}

fn required(field: &'static str, text: &str) -> Outcome<auravest_core::NaiveDate> {
    date(field, Some(text))?.ok_or_else(|| AuraError::argument(field, "a date is required"))
}

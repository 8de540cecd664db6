//! Quotes, histories and refreshes through the market crate, with a quote
//! cache shared by every replica when Redis is configured.
//!
//! The market behind the service keeps its quotes in the shared cache
//! ([`crate::quote_cache::RedisQuoteCache`]) when Redis is configured, so
//! replicas share quotes and make one upstream call per missing quote; the
//! freshness and stale rules are the market's.

mod sources;

use std::sync::Arc;
use std::time::{Duration, Instant};

use auravest_core::{NaiveDate, Symbol};
use auravest_market::{History, HistoryRequest, Market, Origin, Quote, QuoteSource, RawBar};
use chrono::Utc;
use futures_util::StreamExt as _;
use serde::Serialize;

use crate::metrics::Metrics;
use crate::store::{DailyClose, LastPrice, Store};

pub use sources::{
    SampleData, SourcesError, instruments, market_from_config, sample_note, sample_range,
    uses_sample, write_sample,
};

/// How long a quote stays fresh, in the shared cache and in the market's.
pub const QUOTE_TTL: Duration = Duration::from_secs(60);

/// How long the readiness `PING` may take (a Redis that is reconnecting
/// would otherwise hold the probe).
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Distinct symbols fetched at once by [`PriceService::quotes`] and
/// [`PriceService::refresh`].
const CONCURRENCY: usize = 4;

/// Days of history fetched for a symbol with no stored closes, counted back
/// from its latest quote.
const FIRST_HISTORY_DAYS: i64 = 366;

/// Slack (days) allowed at either end when deciding whether stored closes
/// cover a range: weekends and holidays have no close.
const COVER_SLACK_DAYS: i64 = 4;

/// What the shared cache said to `PING`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheHealth {
    /// No Redis configured.
    NotConfigured,
    /// Redis answered.
    Ok,
    /// Redis failed; the reason.
    Failed(String),
}

/// What [`PriceService::refresh`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Symbols whose last price was stored.
    pub refreshed: Vec<String>,
    /// Symbols that failed, with the reason.
    pub failed: Vec<(String, String)>,
    /// Daily closes stored.
    pub closes: usize,
    /// The quotes stored, by symbol (for the price alerts).
    #[serde(skip)]
    pub quotes: std::collections::BTreeMap<String, RefreshedQuote>,
}

/// One symbol's refresh: the closes stored and the quote, or why not.
type Refreshed = Result<(usize, RefreshedQuote), String>;

/// A quote a refresh stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshedQuote {
    /// The price, as stored (decimal string).
    pub price: String,
    /// When the market printed it.
    pub market_time: chrono::DateTime<Utc>,
    /// Which source gave it.
    pub source: String,
}

/// Quotes, histories and refreshes; cheap to clone.
#[derive(Clone)]
pub struct PriceService {
    market: Arc<Market>,
    store: Arc<dyn Store>,
    redis: Option<redis::aio::ConnectionManager>,
    metrics: Metrics,
    /// The first wait before a failed backfill is tried again.
    backfill_retry: Duration,
    /// Per symbol, the earliest day a backfill was already tried from, so
    /// a source without older data is not asked again on every request.
    /// Held for a whole backfill, so a request that finds its symbols being
    /// backfilled waits for the closes instead of reading too few.
    backfilled: Arc<tokio::sync::Mutex<std::collections::HashMap<String, Backfilled>>>,
    /// Each symbol's stored closes, read once and kept for [`SERIES_TTL`]
    /// (dropped at once when this process stores new closes).
    series: Arc<std::sync::Mutex<SeriesCache>>,
    /// Per symbol that no source could price on a request, its failures in
    /// a row and when it may be tried again, so a portfolio holding symbols
    /// no source knows does not ask every source for them on every page.
    missed: Arc<std::sync::Mutex<std::collections::HashMap<String, (u32, Instant)>>>,
}

/// What the last backfill of a symbol did.
#[derive(Debug, Clone)]
struct Backfilled {
    /// The day it was asked from.
    from: NaiveDate,
    /// It stored closes.
    ok: bool,
    /// Failures in a row.
    failures: u32,
    /// When a failed backfill may be tried again.
    retry_at: Instant,
}

/// The first wait before a failed backfill is tried again.
pub const BACKFILL_RETRY_FIRST: Duration = Duration::from_secs(30);
/// The longest wait before a failed backfill is tried again.
pub const BACKFILL_RETRY_MAX: Duration = Duration::from_secs(3600);
/// Most symbols whose backfill outcome is remembered.
const BACKFILL_MEMORY: usize = 10_000;

/// The wait after `failures` failures in a row (none after a success),
/// doubling from `first`.
fn backoff(failures: u32, first: Duration) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let doublings = failures.saturating_sub(1).min(16);
    first.saturating_mul(1 << doublings).min(BACKFILL_RETRY_MAX)
}

/// Symbol → when its closes were read, and the closes.
type SeriesCache = std::collections::HashMap<String, (Instant, Arc<Series>)>;

/// A symbol's stored daily closes, oldest first.
pub type Series = Vec<(NaiveDate, f64)>;

/// How long a symbol's stored closes are served from memory before they are
/// read again (another replica's refresher may have added some).
pub const SERIES_TTL: Duration = Duration::from_secs(60);

impl std::fmt::Debug for PriceService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PriceService")
            .field("market", &self.market)
            .field("redis", &self.redis.is_some())
            .finish_non_exhaustive()
    }
}

/// A Redis call bounded by [`crate::limits::REDIS_CALL_TIMEOUT`]: a Redis
/// that hangs costs a request a fraction of a second, not its whole life.
impl PriceService {
    /// A service over `market`, storing refreshed prices in `store`, sharing
    /// quotes through `redis` when given, and counting cache hits in `metrics`.
    pub fn new(
        market: Arc<Market>,
        store: Arc<dyn Store>,
        redis: Option<redis::aio::ConnectionManager>,
        metrics: Metrics,
    ) -> Self {
        Self {
            market,
            store,
            redis,
            metrics,
            backfill_retry: BACKFILL_RETRY_FIRST,
            backfilled: Arc::default(),
            series: Arc::default(),
            missed: Arc::default(),
        }
    }

    /// Refreshes the symbols a request found without any stored price,
    /// skipping those that failed recently: a symbol no source priced is
    /// tried again after [`BACKFILL_RETRY_FIRST`], then doubling up to
    /// [`BACKFILL_RETRY_MAX`] (the background refresher keeps trying every
    /// held symbol on its own schedule). Returns the refresh's report of the
    /// symbols it tried.
    pub async fn refresh_missing(&self, symbols: &[String]) -> RefreshReport {
        let now = Instant::now();
        let due: Vec<String> = {
            let missed = self.missed.lock().unwrap_or_else(|e| e.into_inner());
            symbols
                .iter()
                .filter(|s| missed.get(s.as_str()).is_none_or(|(_, at)| now >= *at))
                .cloned()
                .collect()
        };
        if due.is_empty() {
            return RefreshReport::default();
        }
        let report = self.refresh(&due).await;
        let mut missed = self.missed.lock().unwrap_or_else(|e| e.into_inner());
        for s in &report.refreshed {
            missed.remove(s);
        }
        if missed.len() + report.failed.len() > BACKFILL_MEMORY {
            missed.clear();
        }
        for (s, _) in &report.failed {
            let failures = missed.get(s).map_or(0, |(n, _)| *n).saturating_add(1);
            missed.insert(
                s.clone(),
                (failures, now + backoff(failures, self.backfill_retry)),
            );
        }
        report
    }

    /// The stored closes of each symbol (symbols without any are absent),
    /// from memory when read in the last [`SERIES_TTL`].
    ///
    /// # Errors
    /// The store failing.
    pub async fn stored_series(
        &self,
        symbols: &[String],
    ) -> Result<std::collections::BTreeMap<String, Arc<Series>>, crate::store::StoreError> {
        let mut out = std::collections::BTreeMap::new();
        let mut missing = Vec::new();
        {
            let cache = self
                .series
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for sym in symbols {
                match cache.get(sym) {
                    Some((at, s)) if at.elapsed() < SERIES_TTL => {
                        out.insert(sym.clone(), Arc::clone(s));
                    }
                    _ => missing.push(sym.clone()),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let mut read: std::collections::BTreeMap<String, Series> =
            std::collections::BTreeMap::new();
        for c in self.store.closes(&missing, None, None).await? {
            match c.close.parse::<f64>() {
                Ok(v) if v.is_finite() => read.entry(c.symbol).or_default().push((c.date, v)),
                _ => {
                    tracing::warn!(symbol = %c.symbol, date = %c.date, "stored close is not a number; skipped")
                }
            }
        }
        let now = Instant::now();
        let mut cache = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (sym, mut s) in read {
            s.sort_by_key(|(d, _)| *d);
            let s = Arc::new(s);
            cache.insert(sym.clone(), (now, Arc::clone(&s)));
            out.insert(sym, s);
        }
        Ok(out)
    }

    /// Forgets the cached closes of these symbols (after storing new ones).
    fn forget_series(&self, symbols: impl IntoIterator<Item = String>) {
        let mut cache = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in symbols {
            cache.remove(&s);
        }
    }

    /// Fetches and stores the daily closes of each `(symbol, from)` from
    /// `from` to `to`, skipping symbols already backfilled from that day or
    /// earlier. A backfill that failed (the source was down, or had nothing)
    /// is tried again after a back-off that doubles from
    /// [`BACKFILL_RETRY_FIRST`] to [`BACKFILL_RETRY_MAX`], so an outage
    /// (or a breaker a burst of bad requests opened) heals by itself.
    /// Backfills run one at a time: a caller whose symbols another caller is
    /// backfilling waits for it. Returns whether the stored closes of
    /// `wanted` may have changed since the caller read them: closes were
    /// stored now, or a symbol was skipped because it was backfilled earlier
    /// (perhaps while the caller was reading).
    ///
    /// # Errors
    /// The store refusing the closes (the symbols may then be tried again);
    /// a source failing only skips its symbol.
    pub async fn backfill(
        &self,
        wanted: &[(String, NaiveDate)],
        to: NaiveDate,
    ) -> Result<bool, crate::store::StoreError> {
        let mut tried = self.backfilled.lock().await;
        let now = Instant::now();
        let mut todo = Vec::new();
        let mut skipped = false;
        for (sym, from) in wanted {
            let due = match tried.get(sym) {
                None => true,
                Some(t) if *from < t.from => true,
                Some(t) => !t.ok && now >= t.retry_at,
            };
            if due {
                todo.push((sym.clone(), *from, tried.get(sym).cloned()));
            } else {
                skipped = true;
            }
        }
        let mut closes = Vec::new();
        let mut outcomes = Vec::new();
        for (sym, from, before) in &todo {
            let fetched = match sym.parse::<Symbol>() {
                Ok(symbol) => match HistoryRequest::daily(symbol, *from, to) {
                    Ok(request) => self
                        .market
                        .history(&request)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            let ok = match fetched {
                Ok(h) if !h.bars.is_empty() => {
                    closes.extend(h.bars.iter().map(|b| DailyClose {
                        symbol: sym.clone(),
                        date: b.date,
                        close: b.close.to_string(),
                    }));
                    true
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(symbol = %sym, error = %e, "backfill failed");
                    false
                }
            };
            let failures = if ok {
                0
            } else {
                before.as_ref().map_or(0, |b| b.failures).saturating_add(1)
            };
            outcomes.push((
                sym.clone(),
                Backfilled {
                    from: *from,
                    ok,
                    failures,
                    retry_at: now + backoff(failures, self.backfill_retry),
                },
            ));
        }
        if !closes.is_empty()
            && let Err(e) = self.store.upsert_closes(&closes).await
        {
            // Nothing was kept: every symbol may be tried again at once.
            return Err(e);
        }
        if tried.len() + outcomes.len() > BACKFILL_MEMORY {
            // Bounded memory: forget the symbols that had data (they are
            // stored) before the failures (which carry a back-off).
            tried.retain(|_, t| !t.ok);
            if tried.len() + outcomes.len() > BACKFILL_MEMORY {
                tried.clear();
            }
        }
        for (sym, outcome) in outcomes {
            tried.insert(sym, outcome);
        }
        if closes.is_empty() {
            return Ok(skipped);
        }
        self.forget_series(todo.into_iter().map(|(s, _, _)| s));
        Ok(true)
    }

    /// Tries failed backfills again after `first` (doubling, at most
    /// [`BACKFILL_RETRY_MAX`]) instead of [`BACKFILL_RETRY_FIRST`].
    #[must_use]
    pub fn with_backfill_retry(mut self, first: Duration) -> Self {
        self.backfill_retry = first;
        self
    }

    /// The market behind the service.
    pub fn market(&self) -> &Arc<Market> {
        &self.market
    }

    /// True when quotes are shared through Redis.
    pub fn has_shared_cache(&self) -> bool {
        self.redis.is_some()
    }

    /// `PING`s the shared cache (at most two seconds).
    pub async fn ping_cache(&self) -> CacheHealth {
        let Some(conn) = &self.redis else {
            return CacheHealth::NotConfigured;
        };
        let mut conn = conn.clone();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        match tokio::time::timeout(PING_TIMEOUT, ping).await {
            Ok(Ok(_)) => CacheHealth::Ok,
            Ok(Err(e)) => CacheHealth::Failed(e.to_string()),
            Err(_) => CacheHealth::Failed(format!("no answer within {PING_TIMEOUT:?}")),
        }
    }

    /// Quotes in argument order (each distinct symbol fetched once).
    pub async fn quotes(
        &self,
        symbols: &[Symbol],
    ) -> Vec<(Symbol, Result<Quote, auravest_market::Error>)> {
        let mut unique: Vec<Symbol> = symbols.to_vec();
        unique.sort();
        unique.dedup();
        let answers: std::collections::HashMap<Symbol, Result<Quote, auravest_market::Error>> =
            futures_util::stream::iter(unique.into_iter().map(|s| async move {
                let q = self.quote(&s).await;
                (s, q)
            }))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        symbols
            .iter()
            .map(|s| {
                let answer = answers.get(s).cloned().unwrap_or_else(|| {
                    Err(auravest_market::Error::InvalidRequest {
                        field: "symbols",
                        reason: format!("{s} lost in the batch"),
                    })
                });
                (s.clone(), answer)
            })
            .collect()
    }

    /// One quote through the market (its cache shared by every replica
    /// when Redis is configured), counted as a cache hit or miss.
    ///
    /// # Errors
    /// The market's error, unless a cached quote can be served stale.
    pub async fn quote(&self, symbol: &Symbol) -> Result<Quote, auravest_market::Error> {
        let (quote, origin) = self.market.quote_with_origin(symbol).await?;
        match origin {
            Origin::Cache => self.metrics.cache_hit(),
            Origin::Source | Origin::Stale => self.metrics.cache_miss(),
        }
        Ok(quote)
    }

    /// Daily history between the dates: the stored closes when they cover
    /// the range (within a few days at either end, for weekends and
    /// holidays), else the market.
    ///
    /// # Errors
    /// An invalid range, or the market's error.
    pub async fn history(
        &self,
        symbol: &Symbol,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<History, auravest_market::Error> {
        let request = HistoryRequest::daily(symbol.clone(), from, to)?;
        if let Some(h) = self.stored_history(&request).await {
            return Ok(h);
        }
        self.market.history(&request).await
    }

    async fn stored_history(&self, request: &HistoryRequest) -> Option<History> {
        let sym = vec![request.symbol.to_string()];
        let closes = match self
            .store
            .closes(&sym, Some(request.from), Some(request.to))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "stored closes unreadable; asking the market");
                return None;
            }
        };
        let slack = chrono::Duration::days(COVER_SLACK_DAYS);
        let end = request.to.min(Utc::now().date_naive());
        let (first, last) = (closes.first()?.date, closes.last()?.date);
        if first > request.from + slack || last + slack < end {
            return None;
        }
        let currency = self
            .store
            .last_prices(&sym)
            .await
            .ok()
            .and_then(|p| p.into_iter().next())
            .and_then(|p| p.currency.parse().ok());
        let rows = closes
            .iter()
            .map(|c| RawBar {
                date: Some(c.date),
                close: Some(c.close.parse().unwrap_or(f64::NAN)),
                ..RawBar::default()
            })
            .collect();
        Some(History::from_raw(
            request,
            "store",
            currency,
            rows,
            Utc::now(),
        ))
    }

    /// Fetches each distinct symbol once, upstream (past the caches), and
    /// stores its last price and its daily closes since the last stored one
    /// (a year back for a new symbol). The fresh quote is also published to
    /// the shared cache. Bad symbols and failing sources are reported, never
    /// a panic; `price_refreshes_total{source,outcome}` counts each symbol.
    pub async fn refresh(&self, symbols: &[String]) -> RefreshReport {
        let mut unique: Vec<String> = symbols.to_vec();
        unique.sort();
        unique.dedup();
        let results: Vec<(String, Refreshed)> =
            futures_util::stream::iter(unique.into_iter().map(|s| async move {
                let out = self.refresh_one(&s).await;
                (s, out)
            }))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut report = RefreshReport::default();
        for (symbol, result) in results {
            match result {
                Ok((n, quote)) => {
                    report.closes += n;
                    report.quotes.insert(symbol.clone(), quote);
                    report.refreshed.push(symbol);
                }
                Err(reason) => report.failed.push((symbol, reason)),
            }
        }
        report.refreshed.sort();
        report.failed.sort();
        report
    }

    async fn refresh_one(&self, text: &str) -> Result<(usize, RefreshedQuote), String> {
        let symbol: Symbol = match text.parse() {
            Ok(s) => s,
            Err(e) => {
                self.metrics.price_refresh("none", "error");
                return Err(e.to_string());
            }
        };
        let source = self.market.source();
        let quote = match source.quote(&symbol).await {
            Ok(q) => q,
            Err(e) => {
                self.metrics
                    .price_refresh(e.source_name().unwrap_or("chain"), "error");
                return Err(e.to_string());
            }
        };
        let label = quote.source.clone();
        let out = self.store_refresh(source.as_ref(), &symbol, &quote).await;
        self.metrics
            .price_refresh(&label, if out.is_ok() { "ok" } else { "error" });
        let facts = RefreshedQuote {
            price: quote.price.to_string(),
            market_time: quote.market_time,
            source: quote.source.clone(),
        };
        if out.is_ok() {
            // Shared with every replica; a cache that cannot store only
            // costs a later source call.
            let _ = self.market.remember_quote(quote).await;
        }
        out.map(|n| (n, facts))
    }

    async fn store_refresh(
        &self,
        source: &dyn QuoteSource,
        symbol: &Symbol,
        quote: &Quote,
    ) -> Result<usize, String> {
        let as_of = quote.market_time.date_naive();
        let key = vec![symbol.to_string()];
        let last_stored = self
            .store
            .closes(
                &key,
                Some(as_of - chrono::Duration::days(FIRST_HISTORY_DAYS)),
                None,
            )
            .await
            .map_err(|e| e.to_string())?
            .last()
            .map(|c| c.date);
        let from = last_stored.unwrap_or(as_of - chrono::Duration::days(FIRST_HISTORY_DAYS));
        let to = Utc::now().date_naive().max(as_of);
        // A failed history still leaves the last price stored.
        let history = match HistoryRequest::daily(symbol.clone(), from, to) {
            Ok(req) => source.history(&req).await,
            Err(e) => Err(e),
        };
        let currency = quote
            .currency
            .or_else(|| history.as_ref().ok().and_then(|h| h.currency))
            // The file sources do not say; the shipped sample is US-listed.
            .map_or_else(|| "USD".to_owned(), |c| c.to_string());
        self.store
            .upsert_last_prices(&[LastPrice {
                symbol: symbol.to_string(),
                price: quote.price.to_string(),
                currency,
                as_of,
                source: quote.source.clone(),
                fetched_at: quote.fetched_at,
            }])
            .await
            .map_err(|e| e.to_string())?;
        let history = history.map_err(|e| format!("history: {e}"))?;
        let closes: Vec<DailyClose> = history
            .bars
            .iter()
            .map(|b| DailyClose {
                symbol: symbol.to_string(),
                date: b.date,
                close: b.close.to_string(),
            })
            .collect();
        self.store
            .upsert_closes(&closes)
            .await
            .map_err(|e| e.to_string())?;
        self.forget_series([symbol.to_string()]);
        Ok(closes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_backfills_back_off_to_an_hour() {
        let first = BACKFILL_RETRY_FIRST;
        assert_eq!(backoff(0, first), Duration::ZERO);
        assert_eq!(backoff(1, first), first);
        assert_eq!(backoff(2, first), first * 2);
        assert_eq!(backoff(40, first), BACKFILL_RETRY_MAX);
    }
}

//! Quotes, histories and refreshes through the market crate, with a quote
//! cache shared by every replica when Redis is configured.
//!
//! # The shared quote cache
//! A quote is stored as JSON under `auravest:quote:<SYMBOL>` with the
//! instant it stops being fresh ([`QUOTE_TTL`] after it was fetched, as the
//! market's own cache does). Redis keeps the entry for [`STALE_KEEP`], so
//! when every source fails an expired quote is served marked stale, as
//! [`Market`] does with its in-process cache.
//!
//! Concurrent misses for one symbol across replicas make one upstream call:
//! the replica that wins `SET auravest:quote-lock:<SYMBOL> NX PX` fetches and
//! publishes; the others poll the cache until the entry appears or the lock
//! goes away (then they fetch themselves). Within a replica the market
//! already coalesces. A Redis failure is logged and the market is asked
//! directly: the cache makes the API cheaper, never unavailable.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auravest_core::{NaiveDate, Symbol};
use auravest_market::{
    Chain, ErrorClass, History, HistoryRequest, HttpConfig, Market, MarketOptions,
    MemoryQuoteCache, Quote, QuoteSource, RawBar, SourceSpec,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use redis::AsyncCommands as _;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::{DailyClose, LastPrice, Store};

/// How long a quote stays fresh, in the shared cache and in the market's.
pub const QUOTE_TTL: Duration = Duration::from_secs(60);

/// How long Redis keeps a quote after it was fetched (to serve it stale).
pub const STALE_KEEP: Duration = Duration::from_secs(24 * 3600);

/// How long a replica may hold the fetch lock for one symbol.
const LOCK_TTL: Duration = Duration::from_secs(10);

/// How long the readiness `PING` may take (a Redis that is reconnecting
/// would otherwise hold the probe).
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a waiting replica looks at the cache.
const POLL_EVERY: Duration = Duration::from_millis(25);

/// Distinct symbols fetched at once by [`PriceService::quotes`] and
/// [`PriceService::refresh`].
const CONCURRENCY: usize = 4;

/// Days of history fetched for a symbol with no stored closes, counted back
/// from its latest quote.
const FIRST_HISTORY_DAYS: i64 = 366;

/// Slack (days) allowed at either end when deciding whether stored closes
/// cover a range: weekends and holidays have no close.
const COVER_SLACK_DAYS: i64 = 4;

/// The prices the project ships (`examples/data/prices.csv`): daily adjusted
/// closes of seven US tickers, 2015-01-02 to 2018-04-11.
const SAMPLE_PRICES: &str = include_str!("../../examples/data/prices.csv");

/// Metadata (asset class, sector, country) of the sample's tickers, shipped
/// with the prices (`examples/data/instruments.csv`).
const SAMPLE_INSTRUMENTS: &str = include_str!("../../examples/data/instruments.csv");

/// What the server knows about instruments: the SDK's shipped table of
/// common ETFs overlaid with the sample's tickers. A symbol in neither is
/// unclassified everywhere (valuation, nudges, recommendations), never
/// guessed.
pub fn instruments() -> &'static auravest_core::InstrumentTable {
    static TABLE: std::sync::LazyLock<auravest_core::InstrumentTable> =
        std::sync::LazyLock::new(|| {
            let shipped = auravest_core::InstrumentTable::shipped();
            shipped
                .clone()
                .with_mapping_csv(SAMPLE_INSTRUMENTS.as_bytes())
                .unwrap_or(shipped)
        });
    &TABLE
}

/// Why the market sources could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// The HTTP sources' settings or client.
    #[error("network sources: {0}")]
    Network(#[from] auravest_market::Error),
    /// The sample prices could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// No source is configured.
    #[error("AURAVEST_MARKET_SOURCES lists no source")]
    Empty,
}

/// The market chain from `config.market_sources`, with the HTTP sources'
/// settings (`AURAVEST_YAHOO_BASE_URL`, ...) as the configuration read them:
///
/// - `network`: the market crate's HTTP chain (Yahoo, Alpha Vantage with a
///   key, Stooq; priorities 10–30);
/// - `sample`: the prices the project ships, written to
///   `<data dir>/sample-prices/prices.csv`;
/// - `file:DIR`: the CSV files in `DIR`.
///
/// File sources listed before `network` are tried before it; those after it
/// (the default, `network,sample`) are the offline fallback. Quotes stay
/// fresh for [`QUOTE_TTL`].
///
/// # Errors
/// A bad `AURAVEST_*_BASE_URL`, an HTTP client that cannot be built, or a
/// data folder the sample prices cannot be written to.
pub fn market_from_config(config: &Config) -> Result<Arc<Market>, SourcesError> {
    let http = HttpConfig::from_lookup(|k| config.market_vars.get(k))?;
    let sample = if uses_sample(config) {
        Some(write_sample(&config.data_dir)?)
    } else {
        None
    };
    let sources = SourceSpec::build_all(&config.market_sources, &http, sample.as_deref())?;
    if sources.is_empty() {
        return Err(SourcesError::Empty);
    }
    let options = MarketOptions {
        quote_ttl: chrono::Duration::seconds(i64::try_from(QUOTE_TTL.as_secs()).unwrap_or(60)),
        ..MarketOptions::default()
    };
    Ok(Arc::new(Market::with_cache(
        Arc::new(Chain::new(sources)),
        Arc::new(MemoryQuoteCache::new()),
        options,
    )))
}

/// True when the configuration includes the shipped sample prices (so `main`
/// can say that quotes may come from 2018 when the network is unreachable).
pub fn uses_sample(config: &Config) -> bool {
    config.market_sources.contains(&SourceSpec::Sample)
}

/// Writes the shipped prices to `<data_dir>/sample-prices/prices.csv` (the
/// wide `date,<SYMBOL>,...` layout [`auravest_market::FileSource`] reads from a folder) and
/// returns the folder. The file is replaced atomically, so concurrent
/// start-ups never read half a file.
///
/// # Errors
/// The folder or file cannot be written.
pub fn write_sample(data_dir: &Path) -> Result<PathBuf, SourcesError> {
    let dir = data_dir.join("sample-prices");
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| SourcesError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let file = dir.join("prices.csv");
    if std::fs::read_to_string(&file).is_ok_and(|t| t == SAMPLE_PRICES) {
        return Ok(dir);
    }
    let tmp = dir.join(format!("prices.csv.{}.tmp", uuid::Uuid::new_v4()));
    std::fs::write(&tmp, SAMPLE_PRICES).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &file).map_err(io(&file))?;
    Ok(dir)
}

/// Connects to Redis with bounded timeouts and retries, so a missing Redis
/// fails start-up in seconds, and a Redis that goes away later makes calls
/// fail fast (and the cache is bypassed) instead of hanging requests.
///
/// # Errors
/// A bad URL or an unreachable server.
pub async fn connect_redis(url: &str) -> redis::RedisResult<redis::aio::ConnectionManager> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_max_delay(200)
        .set_connection_timeout(Duration::from_secs(1))
        .set_response_timeout(Duration::from_millis(500));
    redis::aio::ConnectionManager::new_with_config(client, config).await
}

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
}

/// A quote as the shared cache holds it.
#[derive(Debug, Serialize, Deserialize)]
struct CachedQuote {
    symbol: String,
    price: f64,
    currency: Option<String>,
    market_time: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
    source: String,
    delayed: bool,
    stale: bool,
    expires_at: DateTime<Utc>,
}

impl CachedQuote {
    fn new(q: &Quote, expires_at: DateTime<Utc>) -> Self {
        Self {
            symbol: q.symbol.to_string(),
            price: q.price,
            currency: q.currency.map(|c| c.to_string()),
            market_time: q.market_time,
            fetched_at: q.fetched_at,
            source: q.source.clone(),
            delayed: q.delayed,
            stale: q.stale,
            expires_at,
        }
    }

    fn quote(&self) -> Option<Quote> {
        Some(Quote {
            symbol: self.symbol.parse().ok()?,
            price: self.price,
            currency: match &self.currency {
                Some(c) => Some(c.parse().ok()?),
                None => None,
            },
            market_time: self.market_time,
            fetched_at: self.fetched_at,
            source: self.source.clone(),
            delayed: self.delayed,
            stale: self.stale,
            attempts: Vec::new(),
        })
    }

    fn is_fresh(&self) -> bool {
        Utc::now() < self.expires_at
    }
}

/// Quotes, histories and refreshes; cheap to clone.
#[derive(Clone)]
pub struct PriceService {
    market: Arc<Market>,
    store: Arc<dyn Store>,
    redis: Option<redis::aio::ConnectionManager>,
    metrics: Metrics,
    namespace: String,
    /// Keeps calls off Redis for a while after it failed (shared with the
    /// limiter).
    breaker: crate::limits::RedisBreaker,
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
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// A Redis call bounded by [`crate::limits::REDIS_CALL_TIMEOUT`]: a Redis
/// that hangs costs a request a fraction of a second, not its whole life.
async fn within<T>(call: impl Future<Output = redis::RedisResult<T>>) -> redis::RedisResult<T> {
    tokio::time::timeout(crate::limits::REDIS_CALL_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "redis did not answer in time",
            )))
        })
}

fn chrono_ttl(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

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
            namespace: "auravest".to_owned(),
            breaker: crate::limits::RedisBreaker::default(),
            backfill_retry: BACKFILL_RETRY_FIRST,
            backfilled: Arc::default(),
            series: Arc::default(),
        }
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

    /// Shares `breaker` with the limiter, so one Redis outage is noticed once.
    #[must_use]
    pub fn with_breaker(mut self, breaker: crate::limits::RedisBreaker) -> Self {
        self.breaker = breaker;
        self
    }

    /// Uses `<namespace>:quote:<SYMBOL>` keys instead of `auravest:…`
    /// (tests use one namespace each).
    #[must_use]
    pub fn with_namespace(mut self, namespace: &str) -> Self {
        namespace.clone_into(&mut self.namespace);
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

    fn quote_key(&self, symbol: &Symbol) -> String {
        format!("{}:quote:{symbol}", self.namespace)
    }

    fn lock_key(&self, symbol: &Symbol) -> String {
        format!("{}:quote-lock:{symbol}", self.namespace)
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

    /// One quote: the shared cache, else the market (one replica fetching).
    ///
    /// # Errors
    /// The market's error, unless a cached quote can be served stale.
    pub async fn quote(&self, symbol: &Symbol) -> Result<Quote, auravest_market::Error> {
        let Some(conn) = self.redis.as_ref().filter(|_| self.breaker.allow()) else {
            // No Redis, or Redis failed a moment ago: the market's own cache
            // (a quote fetched before this call began came from it).
            let started = Utc::now();
            let q = self.market.quote(symbol).await;
            match &q {
                Ok(q) if q.fetched_at < started => self.metrics.cache_hit(),
                _ => self.metrics.cache_miss(),
            }
            return q;
        };
        let mut conn = conn.clone();
        let key = self.quote_key(symbol);
        let cached = match self.cache_get(&mut conn, &key).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "quote cache: redis failed; asking the market");
                self.breaker.failure();
                self.metrics.cache_miss();
                return self.market.quote(symbol).await;
            }
        };
        if let Some(q) = cached
            .as_ref()
            .filter(|c| c.is_fresh())
            .and_then(CachedQuote::quote)
        {
            self.metrics.cache_hit();
            return Ok(q);
        }
        let lock = self.lock_key(symbol);
        let token = uuid::Uuid::new_v4().to_string();
        let won: redis::RedisResult<Option<String>> = within(
            redis::cmd("SET")
                .arg(&lock)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(millis(LOCK_TTL))
                .query_async(&mut conn),
        )
        .await;
        match won {
            Ok(Some(_)) => {
                let out = self.fetch_and_publish(&mut conn, symbol, cached).await;
                self.unlock(&mut conn, &lock, &token).await;
                out
            }
            Ok(None) => {
                if let Some(q) = self.wait_for(&mut conn, &key, &lock).await {
                    self.metrics.cache_hit();
                    return Ok(q);
                }
                let cached = self.cache_get(&mut conn, &key).await.ok().flatten();
                self.fetch_and_publish(&mut conn, symbol, cached).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "quote cache: redis failed; asking the market");
                self.breaker.failure();
                self.metrics.cache_miss();
                self.market.quote(symbol).await
            }
        }
    }

    async fn cache_get(
        &self,
        conn: &mut redis::aio::ConnectionManager,
        key: &str,
    ) -> redis::RedisResult<Option<CachedQuote>> {
        let raw: Option<String> = within(conn.get(key)).await?;
        Ok(raw.and_then(|r| {
            serde_json::from_str(&r)
                .inspect_err(|e| tracing::warn!(error = %e, "quote cache: unreadable entry"))
                .ok()
        }))
    }

    /// Asks the market and publishes a good answer; on failure serves the
    /// expired cache entry, marked stale, when the error allows it.
    async fn fetch_and_publish(
        &self,
        conn: &mut redis::aio::ConnectionManager,
        symbol: &Symbol,
        cached: Option<CachedQuote>,
    ) -> Result<Quote, auravest_market::Error> {
        self.metrics.cache_miss();
        match self.market.quote(symbol).await {
            Ok(q) => {
                self.publish(conn, &q).await;
                Ok(q)
            }
            Err(e) => match cached.and_then(|c| c.quote()) {
                Some(mut q) if e.class() != ErrorClass::Stop => {
                    q.stale = true;
                    Ok(q)
                }
                _ => Err(e),
            },
        }
    }

    async fn publish(&self, conn: &mut redis::aio::ConnectionManager, q: &Quote) {
        let entry = CachedQuote::new(q, q.fetched_at + chrono_ttl(QUOTE_TTL));
        let Ok(json) = serde_json::to_string(&entry) else {
            return;
        };
        let set: redis::RedisResult<()> =
            within(conn.pset_ex(self.quote_key(&q.symbol), json, millis(STALE_KEEP))).await;
        if let Err(e) = set {
            tracing::warn!(error = %e, "quote cache: could not store a quote");
            self.breaker.failure();
        }
    }

    /// Deletes the lock only if it is still ours.
    async fn unlock(&self, conn: &mut redis::aio::ConnectionManager, lock: &str, token: &str) {
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
        );
        let done: redis::RedisResult<i64> =
            within(script.key(lock).arg(token).invoke_async(conn)).await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "quote cache: could not release a fetch lock");
        }
    }

    /// Polls until a fresh entry appears (`Some`) or the lock holder is gone
    /// or too slow (`None`).
    async fn wait_for(
        &self,
        conn: &mut redis::aio::ConnectionManager,
        key: &str,
        lock: &str,
    ) -> Option<Quote> {
        let deadline = Instant::now() + LOCK_TTL;
        while Instant::now() < deadline {
            tokio::time::sleep(POLL_EVERY).await;
            if let Some(q) = self
                .cache_get(conn, key)
                .await
                .ok()
                .flatten()
                .filter(CachedQuote::is_fresh)
                .and_then(|c| c.quote())
            {
                return Some(q);
            }
            let held: redis::RedisResult<bool> = within(conn.exists(lock)).await;
            if !held.unwrap_or(false) {
                // One last look: the holder may have published just now.
                return self
                    .cache_get(conn, key)
                    .await
                    .ok()
                    .flatten()
                    .filter(CachedQuote::is_fresh)
                    .and_then(|c| c.quote());
            }
        }
        None
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
        let results: Vec<(String, Result<usize, String>)> =
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
                Ok(n) => {
                    report.closes += n;
                    report.refreshed.push(symbol);
                }
                Err(reason) => report.failed.push((symbol, reason)),
            }
        }
        report.refreshed.sort();
        report.failed.sort();
        report
    }

    async fn refresh_one(&self, text: &str) -> Result<usize, String> {
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
        if out.is_ok()
            && let Some(conn) = &self.redis
        {
            self.publish(&mut conn.clone(), &quote).await;
        }
        out
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
    use auravest_market::FileSource;

    use super::*;

    #[test]
    fn the_sample_is_written_in_the_layout_the_file_source_reads() {
        let dir = tempfile::tempdir().unwrap();
        let folder = write_sample(dir.path()).unwrap();
        let text = std::fs::read_to_string(folder.join("prices.csv")).unwrap();
        assert!(text.starts_with("date,AAPL,"));
        // Written again without change.
        write_sample(dir.path()).unwrap();
        let names: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary files left behind");
    }

    #[tokio::test]
    async fn the_sample_source_answers_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let folder = write_sample(dir.path()).unwrap();
        let source = FileSource::new(folder);
        let q = source.quote(&"AAPL".parse().unwrap()).await.unwrap();
        assert_eq!(q.market_time.date_naive().to_string(), "2018-04-11");
        assert!((q.price - 172.440_002).abs() < 1e-9);
    }

    #[test]
    fn failed_backfills_back_off_to_an_hour() {
        let first = BACKFILL_RETRY_FIRST;
        assert_eq!(backoff(0, first), Duration::ZERO);
        assert_eq!(backoff(1, first), first);
        assert_eq!(backoff(2, first), first * 2);
        assert_eq!(backoff(40, first), BACKFILL_RETRY_MAX);
    }

    #[test]
    fn cached_quotes_round_trip() {
        let q = Quote {
            symbol: "VOD.L".parse().unwrap(),
            price: 0.7234,
            currency: Some("GBP".parse().unwrap()),
            market_time: Utc::now(),
            fetched_at: Utc::now(),
            source: "yahoo".to_owned(),
            delayed: true,
            stale: false,
            attempts: Vec::new(),
        };
        let c = CachedQuote::new(&q, Utc::now() + chrono::Duration::seconds(60));
        let back: CachedQuote = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert!(back.is_fresh());
        assert_eq!(back.quote(), Some(q));
    }
}

//! [`Market`]: one source (usually a [`Chain`](crate::Chain)) behind a cache,
//! with request coalescing and batch requests.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use auravest_core::{NaiveDate, Symbol};
use chrono::{Duration, Utc};
use futures_util::StreamExt;
use tokio::sync::OnceCell;

use crate::cache::{
    CacheResult, Cached, FetchClaim, MemoryQuoteCache, QuoteCache, next_close_after,
};
use crate::error::{Error, ErrorClass, Result};
use crate::frame::AlignedPrices;
use crate::source::QuoteSource;
use crate::types::{Fundamentals, History, HistoryRequest, Interval, Quote, SearchHit};

/// Cache and batch settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketOptions {
    /// How long a quote stays fresh.
    pub quote_ttl: Duration,
    /// A quote whose market time is older than this when fetched is marked stale
    /// (four days covers a weekend and a holiday).
    pub stale_after: Duration,
    /// Serve an expired cache entry, marked stale, when every source fails.
    pub serve_stale_on_error: bool,
    /// Distinct symbols fetched at once by the batch calls.
    pub batch_concurrency: usize,
    /// How long one process may hold a shared cache's claim to fetch a quote
    /// ([`QuoteCache::claim_quote`]); the others wait at most this long.
    pub claim_ttl: std::time::Duration,
    /// How often a waiting process looks at the shared cache.
    pub claim_poll: std::time::Duration,
}

impl Default for MarketOptions {
    fn default() -> Self {
        Self {
            quote_ttl: Duration::minutes(5),
            stale_after: Duration::days(4),
            serve_stale_on_error: true,
            batch_concurrency: 4,
            claim_ttl: std::time::Duration::from_secs(10),
            claim_poll: std::time::Duration::from_millis(25),
        }
    }
}

type Inflight<K, V> = Mutex<HashMap<K, Arc<OnceCell<Result<V>>>>>;

/// Market data with caching and coalescing over one [`QuoteSource`].
///
/// Concurrent requests for the same symbol (or the same history request)
/// share one upstream call; later ones are answered from the cache while it
/// is fresh (quotes for [`MarketOptions::quote_ttl`], daily history until the
/// [next close](crate::next_close_after)).
pub struct Market {
    source: Arc<dyn QuoteSource>,
    cache: Arc<dyn QuoteCache>,
    options: MarketOptions,
    quotes_inflight: Inflight<Symbol, (Quote, Origin)>,
    histories_inflight: Inflight<HistoryRequest, History>,
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("source", &self.source.info().name)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Runs `fetch` once for concurrent callers with the same key; the value,
/// and whether this caller is the one that ran it.
async fn coalesce<K, V, F, Fut>(map: &Inflight<K, V>, key: &K, fetch: F) -> (Result<V>, bool)
where
    K: Eq + Hash + Clone,
    V: Clone,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<V>>,
{
    let cell = Arc::clone(
        map.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_insert_with(|| Arc::new(OnceCell::new())),
    );
    let mut ran = false;
    let out = cell
        .get_or_init(|| {
            ran = true;
            fetch()
        })
        .await
        .clone();
    let mut m = map.lock().unwrap_or_else(PoisonError::into_inner);
    if m.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
        m.remove(key);
    }
    (out, ran)
}

/// A won fetch claim: given back by [`HeldClaim::release`], or, when the
/// call holding it is dropped (a request timeout, a client gone), by a task
/// on the current tokio runtime, so the other markets do not wait out its
/// time to live. Without a runtime it expires on its own.
struct HeldClaim {
    cache: Arc<dyn QuoteCache>,
    symbol: Symbol,
    token: Option<String>,
}

impl HeldClaim {
    async fn release(mut self) {
        if let Some(token) = self.token.take() {
            // A claim not given back expires on its own.
            let _ = self.cache.release_quote(&self.symbol, &token).await;
        }
    }
}

impl Drop for HeldClaim {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (cache, symbol) = (Arc::clone(&self.cache), self.symbol.clone());
            runtime.spawn(async move {
                let _ = cache.release_quote(&symbol, &token).await;
            });
        }
    }
}

/// Where a [`Market::quote_with_origin`] answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The cache: a fresh entry, another market's fetch it waited for, or a
    /// fetch in flight in this market that it shared.
    Cache,
    /// The source, asked for this call.
    Source,
    /// An expired cache entry, served marked stale because the source failed.
    Stale,
}

impl Market {
    /// A market over `source` with an in-memory cache and default options.
    pub fn new(source: Arc<dyn QuoteSource>) -> Self {
        Self::with_cache(
            source,
            Arc::new(MemoryQuoteCache::new()),
            MarketOptions::default(),
        )
    }

    /// A market with an explicit cache and options.
    pub fn with_cache(
        source: Arc<dyn QuoteSource>,
        cache: Arc<dyn QuoteCache>,
        options: MarketOptions,
    ) -> Self {
        Self {
            source,
            cache,
            options,
            quotes_inflight: Mutex::new(HashMap::new()),
            histories_inflight: Mutex::new(HashMap::new()),
        }
    }

    /// The underlying source.
    pub fn source(&self) -> &Arc<dyn QuoteSource> {
        &self.source
    }

    /// The latest delayed price of `symbol`: the cache while its entry is
    /// fresh, else the source. Concurrent misses share one source call in
    /// this process; across processes sharing the cache, the one that wins
    /// [`QuoteCache::claim_quote`] fetches and the others wait for its entry
    /// (at most [`MarketOptions::claim_ttl`], then they fetch themselves).
    /// A cache that fails is treated as empty.
    ///
    /// # Errors
    /// The source's error ([`Error::NotFound`], or [`Error::Exhausted`] from a
    /// chain), unless an expired cached quote can be served as stale.
    pub async fn quote(&self, symbol: &Symbol) -> Result<Quote> {
        self.quote_with_origin(symbol).await.map(|(q, _)| q)
    }

    /// As [`Market::quote`], saying where the answer came from (for cache
    /// metrics).
    ///
    /// # Errors
    /// As [`Market::quote`].
    pub async fn quote_with_origin(&self, symbol: &Symbol) -> Result<(Quote, Origin)> {
        if let Some(c) = self.cached_quote(symbol).await
            && c.is_fresh(Utc::now())
        {
            return Ok((c.value, Origin::Cache));
        }
        let (out, ran) = coalesce(&self.quotes_inflight, symbol, || async {
            // Checked again: an earlier flight may have filled it meanwhile.
            let cached = self.cached_quote(symbol).await;
            if let Some(c) = &cached
                && c.is_fresh(Utc::now())
            {
                return Ok((c.value.clone(), Origin::Cache));
            }
            match self.cache.claim_quote(symbol, self.options.claim_ttl).await {
                Ok(FetchClaim::Won(token)) => {
                    let claim = HeldClaim {
                        cache: Arc::clone(&self.cache),
                        symbol: symbol.clone(),
                        token: Some(token),
                    };
                    // Another market may have stored it between our look
                    // and our claim (its claim just ended).
                    let cached = match self.cached_quote(symbol).await {
                        Some(c) if c.is_fresh(Utc::now()) => {
                            claim.release().await;
                            return Ok((c.value, Origin::Cache));
                        }
                        again => again.or(cached),
                    };
                    let out = self.fetch_quote(symbol, cached).await;
                    claim.release().await;
                    out
                }
                Ok(FetchClaim::Held) => match self.wait_for_quote(symbol).await {
                    Some(q) => Ok((q, Origin::Cache)),
                    None => {
                        let cached = self.cached_quote(symbol).await;
                        self.fetch_quote(symbol, cached).await
                    }
                },
                Err(_) => self.fetch_quote(symbol, cached).await,
            }
        })
        .await;
        // A caller that shared another's flight did not ask the source.
        out.map(|(q, origin)| (q, if ran { origin } else { Origin::Cache }))
    }

    /// Stores a quote obtained outside [`Market::quote`] (a scheduled
    /// refresh asking the source directly) in the cache, fresh for
    /// [`MarketOptions::quote_ttl`] from when it was fetched.
    ///
    /// # Errors
    /// The cache's.
    pub async fn remember_quote(&self, quote: Quote) -> CacheResult<()> {
        let expires_at = quote.fetched_at + self.options.quote_ttl;
        self.cache.put_quote(quote, expires_at).await
    }

    /// The cache's entry for `symbol`; a failing cache has none.
    async fn cached_quote(&self, symbol: &Symbol) -> Option<Cached<Quote>> {
        self.cache.get_quote(symbol).await.ok().flatten()
    }

    /// Asks the source and caches a good answer; on failure serves the
    /// expired entry, marked stale, when the error allows it.
    async fn fetch_quote(
        &self,
        symbol: &Symbol,
        cached: Option<Cached<Quote>>,
    ) -> Result<(Quote, Origin)> {
        match self.source.quote(symbol).await {
            Ok(mut q) => {
                q.stale = q.fetched_at - q.market_time > self.options.stale_after;
                // A cache that cannot store only costs a later source call.
                let _ = self
                    .cache
                    .put_quote(q.clone(), q.fetched_at + self.options.quote_ttl)
                    .await;
                Ok((q, Origin::Source))
            }
            Err(e) => self
                .stale_or(e, cached.map(|c| c.value), |q| q.stale = true)
                .map(|q| (q, Origin::Stale)),
        }
    }

    /// Waits for another process's fetch: the fresh entry once it appears,
    /// `None` when the claim is gone without one or the wait is too long.
    async fn wait_for_quote(&self, symbol: &Symbol) -> Option<Quote> {
        let fresh = |c: &Cached<Quote>| c.is_fresh(Utc::now());
        let deadline = std::time::Instant::now() + self.options.claim_ttl;
        while std::time::Instant::now() < deadline {
            tokio::time::sleep(self.options.claim_poll).await;
            if let Some(c) = self.cached_quote(symbol).await.filter(fresh) {
                return Some(c.value);
            }
            if !self.cache.is_claimed(symbol).await.unwrap_or(false) {
                // One last look: the holder may have stored it just now.
                return self
                    .cached_quote(symbol)
                    .await
                    .filter(fresh)
                    .map(|c| c.value);
            }
        }
        None
    }

    fn stale_or<T>(&self, e: Error, cached: Option<T>, mark: impl FnOnce(&mut T)) -> Result<T> {
        match cached {
            Some(mut v) if self.options.serve_stale_on_error && e.class() != ErrorClass::Stop => {
                mark(&mut v);
                Ok(v)
            }
            _ => Err(e),
        }
    }

    /// Quotes for several symbols, in argument order; each symbol is fetched
    /// once however often it is listed.
    pub async fn quotes(&self, symbols: &[Symbol]) -> Vec<Result<Quote>> {
        let unique = dedup(symbols);
        let answers: HashMap<Symbol, Result<Quote>> =
            futures_util::stream::iter(unique.into_iter().map(|s| async move {
                let q = self.quote(&s).await;
                (s, q)
            }))
            .buffer_unordered(self.options.batch_concurrency.max(1))
            .collect()
            .await;
        symbols
            .iter()
            .map(|s| {
                answers
                    .get(s)
                    .cloned()
                    .unwrap_or_else(|| Err(Error::invalid("market", "symbol lost in batch")))
            })
            .collect()
    }

    /// Validated history for the request.
    ///
    /// # Errors
    /// The source's error, unless an expired cached history can be served as stale.
    pub async fn history(&self, request: &HistoryRequest) -> Result<History> {
        if let Some(c) = self.cached_history(request).await
            && c.is_fresh(Utc::now())
        {
            return Ok(c.value);
        }
        let (out, _) = coalesce(&self.histories_inflight, request, || async {
            let cached = self.cached_history(request).await;
            if let Some(c) = &cached
                && c.is_fresh(Utc::now())
            {
                return Ok(c.value.clone());
            }
            match self.source.history(request).await {
                Ok(h) => {
                    let _ = self
                        .cache
                        .put_history(request.clone(), h.clone(), next_close_after(h.fetched_at))
                        .await;
                    Ok(h)
                }
                Err(e) => self.stale_or(e, cached.map(|c| c.value), |h| h.stale = true),
            }
        })
        .await;
        out
    }

    /// The cache's entry for `request`; a failing cache has none.
    async fn cached_history(&self, request: &HistoryRequest) -> Option<Cached<History>> {
        self.cache.get_history(request).await.ok().flatten()
    }

    /// Histories of several symbols over the same dates, in argument order
    /// (each symbol fetched once). `progress(done, total)` is called as each
    /// distinct symbol finishes.
    pub async fn histories(
        &self,
        symbols: &[Symbol],
        from: NaiveDate,
        to: NaiveDate,
        interval: Interval,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Vec<Result<History>> {
        let unique = dedup(symbols);
        let total = unique.len();
        let mut done = 0;
        let mut answers = HashMap::with_capacity(total);
        let mut stream = futures_util::stream::iter(unique.into_iter().map(|s| async move {
            let h = match HistoryRequest::new(s.clone(), from, to, interval) {
                Ok(req) => self.history(&req).await,
                Err(e) => Err(e),
            };
            (s, h)
        }))
        .buffer_unordered(self.options.batch_concurrency.max(1));
        while let Some((s, h)) = stream.next().await {
            done += 1;
            progress(done, total);
            answers.insert(s, h);
        }
        symbols
            .iter()
            .map(|s| {
                answers
                    .get(s)
                    .cloned()
                    .unwrap_or_else(|| Err(Error::invalid("market", "symbol lost in batch")))
            })
            .collect()
    }

    /// The aligned close matrix of several symbols (outer join on date).
    ///
    /// # Errors
    /// The first symbol's error, in argument order, if any symbol fails:
    /// the matrix is all or nothing.
    pub async fn aligned_prices(
        &self,
        symbols: &[Symbol],
        from: NaiveDate,
        to: NaiveDate,
        adjusted: bool,
    ) -> Result<AlignedPrices> {
        let histories = self
            .histories(symbols, from, to, Interval::Daily, &|_, _| {})
            .await
            .into_iter()
            .collect::<Result<Vec<_>>>()?;
        Ok(AlignedPrices::from_histories(&histories, adjusted))
    }

    /// Fundamentals (not cached).
    ///
    /// # Errors
    /// The source's error.
    pub async fn fundamentals(&self, symbol: &Symbol) -> Result<Fundamentals> {
        self.source.fundamentals(symbol).await
    }

    /// Search by name (not cached).
    ///
    /// # Errors
    /// The source's error.
    pub async fn search(&self, query: &str) -> Result<Vec<SearchHit>> {
        self.source.search(query).await
    }
}

fn dedup(symbols: &[Symbol]) -> Vec<Symbol> {
    let mut seen = std::collections::HashSet::new();
    symbols
        .iter()
        .filter(|s| seen.insert((*s).clone()))
        .cloned()
        .collect()
}

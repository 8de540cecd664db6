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

use crate::cache::{MemoryQuoteCache, QuoteCache, next_close_after};
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
}

impl Default for MarketOptions {
    fn default() -> Self {
        Self {
            quote_ttl: Duration::minutes(5),
            stale_after: Duration::days(4),
            serve_stale_on_error: true,
            batch_concurrency: 4,
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
    quotes_inflight: Inflight<Symbol, Quote>,
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

async fn coalesce<K, V, F, Fut>(map: &Inflight<K, V>, key: &K, fetch: F) -> Result<V>
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
    let out = cell.get_or_init(fetch).await.clone();
    let mut m = map.lock().unwrap_or_else(PoisonError::into_inner);
    if m.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
        m.remove(key);
    }
    out
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

    /// The latest delayed price of `symbol`.
    ///
    /// # Errors
    /// The source's error ([`Error::NotFound`], or [`Error::Exhausted`] from a
    /// chain), unless an expired cached quote can be served as stale.
    pub async fn quote(&self, symbol: &Symbol) -> Result<Quote> {
        if let Some(c) = self.cache.get_quote(symbol)
            && c.is_fresh(Utc::now())
        {
            return Ok(c.value);
        }
        coalesce(&self.quotes_inflight, symbol, || async {
            // Checked again: an earlier flight may have filled it meanwhile.
            let cached = self.cache.get_quote(symbol);
            if let Some(c) = &cached
                && c.is_fresh(Utc::now())
            {
                return Ok(c.value.clone());
            }
            match self.source.quote(symbol).await {
                Ok(mut q) => {
                    q.stale = q.fetched_at - q.market_time > self.options.stale_after;
                    self.cache
                        .put_quote(q.clone(), q.fetched_at + self.options.quote_ttl);
                    Ok(q)
                }
                Err(e) => self.stale_or(e, cached.map(|c| c.value), |q| q.stale = true),
            }
        })
        .await
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
        if let Some(c) = self.cache.get_history(request)
            && c.is_fresh(Utc::now())
        {
            return Ok(c.value);
        }
        coalesce(&self.histories_inflight, request, || async {
            let cached = self.cache.get_history(request);
            if let Some(c) = &cached
                && c.is_fresh(Utc::now())
            {
                return Ok(c.value.clone());
            }
            match self.source.history(request).await {
                Ok(h) => {
                    self.cache.put_history(
                        request.clone(),
                        h.clone(),
                        next_close_after(h.fetched_at),
                    );
                    Ok(h)
                }
                Err(e) => self.stale_or(e, cached.map(|c| c.value), |h| h.stale = true),
            }
        })
        .await
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

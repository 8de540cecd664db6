//! The quote cache: the conformance suite on the in-memory cache, and the
//! market's rules over caches that are shared or failing.

use std::sync::Arc;
use std::time::Duration;

use auravest_market::{
    CacheError, CacheResult, Cached, FetchClaim, History, HistoryRequest, Market, MarketOptions,
    MemoryQuoteCache, MemorySource, Origin, Quote, QuoteCache, QuoteSource, conformance,
};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use crate::support::{close_to, sym};

#[tokio::test]
async fn memory_cache_quotes() {
    conformance::quotes(&MemoryQuoteCache::new()).await;
}

#[tokio::test]
async fn memory_cache_histories() {
    conformance::histories(&MemoryQuoteCache::new()).await;
}

#[tokio::test]
async fn memory_cache_claims() {
    conformance::claims(&MemoryQuoteCache::new()).await;
}

fn slow_source() -> Arc<MemorySource> {
    Arc::new(
        MemorySource::new("slow", 1)
            .with_closes("AAPL", &[("2024-07-01", 190.0), ("2024-07-02", 191.0)])
            .with_delay(Duration::from_millis(150)),
    )
}

/// Two markets (two replicas, say) over one shared cache: concurrent misses
/// on both make one source call; the loser waits for the winner's entry.
#[tokio::test]
async fn markets_sharing_a_cache_fetch_a_missing_quote_once() {
    let source = slow_source();
    let cache: Arc<MemoryQuoteCache> = Arc::new(MemoryQuoteCache::new());
    let market = |source: &Arc<MemorySource>| {
        let source: Arc<dyn QuoteSource> = source.clone();
        Market::with_cache(source, cache.clone(), MarketOptions::default())
    };
    let (a, b) = (market(&source), market(&source));
    let aapl = sym("AAPL");
    let (qa, qb) = tokio::join!(a.quote_with_origin(&aapl), b.quote_with_origin(&aapl));
    let ((qa, oa), (qb, ob)) = (qa.expect("quote"), qb.expect("quote"));
    assert_eq!(source.calls(), 1, "one source call for both markets");
    assert!(close_to(qa.price, qb.price));
    let mut origins = [oa, ob];
    origins.sort_by_key(|o| *o == Origin::Source);
    assert_eq!(
        origins,
        [Origin::Cache, Origin::Source],
        "one fetched, one waited"
    );
    assert_eq!(a.quote_with_origin(&aapl).await.unwrap().1, Origin::Cache);
    assert!(
        !cache.is_claimed(&aapl).await.unwrap(),
        "the claim was given back"
    );
}

/// A cache that fails every call.
struct BrokenCache;

fn broken<T>() -> BoxFuture<'static, CacheResult<T>> {
    Box::pin(async {
        Err(CacheError {
            backend: "broken",
            detail: "connection refused".to_owned(),
        })
    })
}

impl QuoteCache for BrokenCache {
    fn get_quote<'a>(
        &'a self,
        _: &'a auravest_core::Symbol,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<Quote>>>> {
        broken()
    }
    fn put_quote(&self, _: Quote, _: DateTime<Utc>) -> BoxFuture<'_, CacheResult<()>> {
        broken()
    }
    fn get_history<'a>(
        &'a self,
        _: &'a HistoryRequest,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<History>>>> {
        broken()
    }
    fn put_history(
        &self,
        _: HistoryRequest,
        _: History,
        _: DateTime<Utc>,
    ) -> BoxFuture<'_, CacheResult<()>> {
        broken()
    }
    fn claim_quote<'a>(
        &'a self,
        _: &'a auravest_core::Symbol,
        _: Duration,
    ) -> BoxFuture<'a, CacheResult<FetchClaim>> {
        broken()
    }
    fn is_claimed<'a>(&'a self, _: &'a auravest_core::Symbol) -> BoxFuture<'a, CacheResult<bool>> {
        broken()
    }
    fn release_quote<'a>(
        &'a self,
        _: &'a auravest_core::Symbol,
        _: &'a str,
    ) -> BoxFuture<'a, CacheResult<()>> {
        broken()
    }
}

/// A cache that fails makes market data dearer, never unavailable.
#[tokio::test]
async fn a_failing_cache_is_a_miss_not_an_outage() {
    let source = slow_source();
    let market = Market::with_cache(
        source.clone(),
        Arc::new(BrokenCache),
        MarketOptions::default(),
    );
    let aapl = sym("AAPL");
    assert!(close_to(
        market.quote(&aapl).await.expect("quote").price,
        191.0
    ));
    assert!(close_to(
        market.quote(&aapl).await.expect("quote").price,
        191.0
    ));
    assert_eq!(source.calls(), 2, "nothing could be cached");
    let request = HistoryRequest::daily(
        aapl,
        "2024-07-01".parse().unwrap(),
        "2024-07-02".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(
        market.history(&request).await.expect("history").bars.len(),
        2
    );
}

/// A quote call dropped mid-fetch (a request timeout) gives its fetch claim
/// back at once, so markets sharing the cache do not wait out its time to
/// live.
#[tokio::test]
async fn a_dropped_call_gives_its_claim_back() {
    let source = slow_source();
    let cache = Arc::new(MemoryQuoteCache::new());
    let market = Market::with_cache(source.clone(), cache.clone(), MarketOptions::default());
    let aapl = sym("AAPL");
    let dropped = tokio::time::timeout(Duration::from_millis(50), market.quote(&aapl)).await;
    assert!(dropped.is_err(), "the source takes 150 ms");
    for _ in 0..50 {
        if !cache.is_claimed(&aapl).await.unwrap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !cache.is_claimed(&aapl).await.unwrap(),
        "the claim was given back"
    );
}

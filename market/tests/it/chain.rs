//! The chain, the cache and coalescing, against in-memory sources.

use std::sync::Arc;
use std::time::Duration;

use auravest_market::{
    BreakerState, Chain, ChainOptions, Error, HistoryRequest, Market, MarketOptions,
    MemoryQuoteCache, MemorySource, QuoteSource, RateLimits,
};

use crate::support::{date, sym};

fn closes() -> Vec<(&'static str, f64)> {
    vec![
        ("2024-01-02", 100.0),
        ("2024-01-03", 101.0),
        ("2024-01-04", 102.0),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_quotes_make_one_upstream_call() {
    let src = Arc::new(
        MemorySource::new("counting", 0)
            .with_closes("AAPL", &closes())
            .with_delay(Duration::from_millis(50)),
    );
    let market = Arc::new(Market::new(src.clone()));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let m = Arc::clone(&market);
        tasks.push(tokio::spawn(async move { m.quote(&sym("AAPL")).await }));
    }
    for t in tasks {
        let q = t.await.unwrap().unwrap();
        assert_eq!(q.source, "counting");
        assert!((q.price - 102.0).abs() < 1e-12);
    }
    assert_eq!(src.calls(), 1);
    // And a later ask is a cache hit.
    market.quote(&sym("AAPL")).await.unwrap();
    assert_eq!(src.calls(), 1);
}

#[tokio::test]
async fn concurrent_history_requests_coalesce() {
    let src = Arc::new(
        MemorySource::new("counting", 0)
            .with_closes("AAPL", &closes())
            .with_delay(Duration::from_millis(20)),
    );
    let market = Market::new(src.clone());
    let req = HistoryRequest::daily(sym("AAPL"), date("2024-01-01"), date("2024-01-31")).unwrap();
    let futs = (0..100).map(|_| market.history(&req));
    let all = futures_util::future::join_all(futs).await;
    assert!(all.iter().all(|h| h.as_ref().unwrap().bars.len() == 3));
    assert_eq!(src.calls(), 1);
}

#[tokio::test]
async fn batch_quotes_deduplicate_and_keep_argument_order() {
    let src = Arc::new(
        MemorySource::new("m", 0)
            .with_closes("AAPL", &[("2024-01-02", 10.0)])
            .with_closes("MSFT", &[("2024-01-02", 20.0)]),
    );
    let market = Market::new(src.clone());
    let asked = [
        sym("MSFT"),
        sym("AAPL"),
        sym("MSFT"),
        sym("NOPE"),
        sym("MSFT"),
    ];
    let out = market.quotes(&asked).await;
    let prices: Vec<Option<f64>> = out
        .iter()
        .map(|r| r.as_ref().ok().map(|q| q.price))
        .collect();
    assert_eq!(
        prices,
        [Some(20.0), Some(10.0), Some(20.0), None, Some(20.0)]
    );
    assert!(out[3].as_ref().unwrap_err().is_not_found());
    assert_eq!(src.calls(), 3, "MSFT, AAPL and NOPE once each");
}

#[tokio::test]
async fn all_rows_invalid_moves_to_the_next_source() {
    let bad = MemorySource::new("bad", 1).with_closes(
        "AAPL",
        &[
            ("2024-01-02", 0.0),
            ("2024-01-03", -5.0),
            ("2024-01-04", f64::NAN),
        ],
    );
    let good = MemorySource::new("good", 2).with_closes("AAPL", &closes());
    let chain = Chain::new(vec![Arc::new(bad), Arc::new(good)]);
    let req = HistoryRequest::daily(sym("AAPL"), date("2024-01-01"), date("2024-01-31")).unwrap();
    let h = chain.history(&req).await.unwrap();
    assert_eq!(h.source, "good");
    assert_eq!(h.bars.len(), 3);
    assert_eq!(h.attempts.len(), 1);
    assert!(matches!(
        h.attempts[0].error,
        Error::AllRowsInvalid { dropped: 3, .. }
    ));
}

#[tokio::test]
async fn not_found_stops_the_chain() {
    let first = Arc::new(MemorySource::new("first", 1));
    let second = Arc::new(MemorySource::new("second", 2).with_closes("AAPL", &closes()));
    let chain = Chain::new(vec![first.clone(), second.clone()]);
    let e = chain.quote(&sym("AAPL")).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { ref source_name, .. } if source_name == "first"));
    assert_eq!(second.calls(), 0);
}

#[tokio::test]
async fn breaker_opens_after_repeated_failures_and_skips_the_source() {
    let flaky = Arc::new(MemorySource::new("flaky", 1).with_closes("AAPL", &closes()));
    flaky.fail_with(Error::Unavailable {
        source_name: "flaky".to_owned(),
        reason: "HTTP 503".to_owned(),
        detail: String::new(),
    });
    let backup = Arc::new(MemorySource::new("backup", 2).with_closes("AAPL", &closes()));
    let chain = Chain::with_options(
        vec![backup.clone(), flaky.clone()],
        ChainOptions {
            failure_threshold: 2,
            cooldown: Duration::from_secs(3600),
            ..ChainOptions::default()
        },
    );
    assert_eq!(
        chain.source_names(),
        ["flaky", "backup"],
        "sorted by priority"
    );
    for _ in 0..2 {
        let q = chain.quote(&sym("AAPL")).await.unwrap();
        assert_eq!(q.source, "backup");
        assert!(matches!(q.attempts[0].error, Error::Unavailable { .. }));
    }
    assert_eq!(chain.breaker_state("flaky"), Some(BreakerState::Open));
    flaky.clear_failure();
    let q = chain.quote(&sym("AAPL")).await.unwrap();
    assert_eq!(q.source, "backup");
    assert!(matches!(q.attempts[0].error, Error::CircuitOpen { .. }));
    assert_eq!(flaky.calls(), 2, "skipped while open");
}

#[tokio::test]
async fn breaker_half_opens_and_closes_on_success() {
    let flaky = Arc::new(MemorySource::new("flaky", 1).with_closes("AAPL", &closes()));
    flaky.fail_with(Error::Unavailable {
        source_name: "flaky".to_owned(),
        reason: "down".to_owned(),
        detail: String::new(),
    });
    let chain = Chain::with_options(
        vec![flaky.clone()],
        ChainOptions {
            failure_threshold: 1,
            cooldown: Duration::from_millis(30),
            ..ChainOptions::default()
        },
    );
    assert!(matches!(
        chain.quote(&sym("AAPL")).await,
        Err(Error::Exhausted { .. })
    ));
    assert_eq!(chain.breaker_state("flaky"), Some(BreakerState::Open));
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert_eq!(chain.breaker_state("flaky"), Some(BreakerState::HalfOpen));
    flaky.clear_failure();
    assert_eq!(chain.quote(&sym("AAPL")).await.unwrap().source, "flaky");
    assert_eq!(chain.breaker_state("flaky"), Some(BreakerState::Closed));
}

#[tokio::test]
async fn local_daily_quota_skips_the_source() {
    let limited = Arc::new(
        MemorySource::new("limited", 1)
            .with_closes("AAPL", &closes())
            .with_limits(RateLimits {
                per_day: Some(1),
                ..RateLimits::default()
            }),
    );
    let other = Arc::new(MemorySource::new("other", 2).with_closes("AAPL", &closes()));
    let chain = Chain::new(vec![limited.clone(), other]);
    assert_eq!(chain.quote(&sym("AAPL")).await.unwrap().source, "limited");
    let q = chain.quote(&sym("AAPL")).await.unwrap();
    assert_eq!(q.source, "other");
    assert!(matches!(q.attempts[0].error, Error::RateLimited { .. }));
    assert_eq!(limited.calls(), 1);
}

#[tokio::test]
async fn expired_quote_is_served_stale_when_every_source_fails() {
    let src = Arc::new(MemorySource::new("m", 0).with_closes("AAPL", &closes()));
    let market = Market::with_cache(
        src.clone(),
        Arc::new(MemoryQuoteCache::new()),
        MarketOptions {
            quote_ttl: chrono::Duration::zero(),
            stale_after: chrono::Duration::days(100_000),
            ..MarketOptions::default()
        },
    );
    let fresh = market.quote(&sym("AAPL")).await.unwrap();
    assert!(!fresh.stale);
    src.fail_with(Error::Unavailable {
        source_name: "m".to_owned(),
        reason: "down".to_owned(),
        detail: String::new(),
    });
    let stale = market.quote(&sym("AAPL")).await.unwrap();
    assert!(stale.stale);
    assert!((stale.price - fresh.price).abs() < 1e-12);
    assert_eq!(src.calls(), 2, "the expired entry was refetched first");
}

#[tokio::test]
async fn old_market_time_is_flagged_stale() {
    // The closes are from 2024: far older than four days when fetched.
    let market = Market::new(Arc::new(
        MemorySource::new("m", 0).with_closes("AAPL", &closes()),
    ));
    let q = market.quote(&sym("AAPL")).await.unwrap();
    assert!(q.stale);
    assert!(q.delayed);
    assert!(q.fetched_at > q.market_time);
}

#[tokio::test]
async fn validation_reports_dropped_and_flagged_rows() {
    let src = MemorySource::new("m", 0).with_closes(
        "VOD.L",
        &[
            ("2024-01-02", 0.70),
            ("2024-01-03", 70.1),
            ("2024-01-03", 0.71),
            ("2024-01-04", 0.0),
        ],
    );
    let req = HistoryRequest::daily(sym("VOD.L"), date("2024-01-01"), date("2024-01-31")).unwrap();
    let h = src.history(&req).await.unwrap();
    assert_eq!(h.bars.len(), 2);
    assert_eq!(h.flagged.len(), 1, "the 100x move is flagged");
    assert_eq!(h.flagged[0].date, date("2024-01-03"));
    let reasons: Vec<_> = h.dropped.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "date does not come after 2024-01-03",
            "close must be positive, got 0"
        ]
    );
}

/// A request the user made up must never count against a source: whatever
/// is asked, the breaker only opens on the source's own faults.
#[tokio::test]
async fn made_up_symbols_and_refused_requests_never_open_the_breaker() {
    let picky = Arc::new(MemorySource::new("picky", 1).with_closes("AAPL", &closes()));
    let backup = Arc::new(MemorySource::new("backup", 2).with_closes("ZZZZ", &closes()));
    let chain = Chain::with_options(
        vec![picky.clone(), backup.clone()],
        ChainOptions {
            failure_threshold: 2,
            cooldown: Duration::from_secs(3600),
            ..ChainOptions::default()
        },
    );
    // Unknown symbols: not found, over and over.
    for _ in 0..10 {
        let e = chain.quote(&sym("NOPE")).await.unwrap_err();
        assert!(e.is_not_found(), "{e:?}");
    }
    assert_eq!(chain.breaker_state("picky"), Some(BreakerState::Closed));
    // A request the source refuses (an HTTP 400 about the symbol): the next
    // source answers, the refusing one stays in service.
    picky.fail_with(Error::Refused {
        source_name: "picky".to_owned(),
        request: "ZZZZ".to_owned(),
        status: 400,
        reason: "Bad Request".to_owned(),
    });
    for _ in 0..10 {
        let q = chain.quote(&sym("ZZZZ")).await.unwrap();
        assert_eq!(q.source, "backup");
        assert!(matches!(q.attempts[0].error, Error::Refused { .. }));
    }
    assert_eq!(chain.breaker_state("picky"), Some(BreakerState::Closed));
    // One symbol's unreadable file: the same.
    picky.fail_with(Error::File {
        symbol: Some("ZZZZ".to_owned()),
        reason: "cannot be read (permission denied)".to_owned(),
        path: "/srv/data/ZZZZ.csv".to_owned(),
    });
    for _ in 0..10 {
        assert_eq!(chain.quote(&sym("ZZZZ")).await.unwrap().source, "backup");
    }
    assert_eq!(chain.breaker_state("picky"), Some(BreakerState::Closed));
    // A real fault still opens it.
    picky.fail_with(Error::Unavailable {
        source_name: "picky".to_owned(),
        reason: "connection refused".to_owned(),
        detail: String::new(),
    });
    for _ in 0..2 {
        chain.quote(&sym("ZZZZ")).await.unwrap();
    }
    assert_eq!(chain.breaker_state("picky"), Some(BreakerState::Open));
}

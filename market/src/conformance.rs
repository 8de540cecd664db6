//! The quote cache conformance suite: checks any [`QuoteCache`] against the
//! contract [`Market`](crate::Market) relies on. Each check takes a fresh,
//! empty cache and panics on the first broken promise; the checks are
//! `async` (run them on the runtime the cache needs; the claim check sleeps
//! with tokio's timer).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! use auravest_market::{MemoryQuoteCache, conformance};
//! conformance::quotes(&MemoryQuoteCache::new()).await;
//! conformance::histories(&MemoryQuoteCache::new()).await;
//! conformance::claims(&MemoryQuoteCache::new()).await;
//! # });
//! ```

#![allow(
    clippy::float_cmp,
    reason = "a cache returns exactly the price it stored"
)]

use std::time::Duration;

use auravest_core::Symbol;
use chrono::{DateTime, NaiveDate, Utc};

use crate::cache::{FetchClaim, QuoteCache};
use crate::types::{Bar, History, HistoryRequest, Interval, Quote};

/// Every check of the suite, by name.
pub const CHECKS: [&str; 3] = ["quotes", "histories", "claims"];

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_720_000_000 + secs, 0).expect("valid time")
}

fn symbol(s: &str) -> Symbol {
    Symbol::new(s).expect("valid symbol")
}

fn quote(s: &str, price: f64, at: i64) -> Quote {
    Quote {
        symbol: symbol(s),
        price,
        currency: Some("USD".parse().expect("currency")),
        market_time: t(at - 900),
        fetched_at: t(at),
        source: "test".to_owned(),
        delayed: true,
        stale: false,
        attempts: Vec::new(),
    }
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 7, d).expect("valid date")
}

fn request(s: &str, from: u32, to: u32) -> HistoryRequest {
    HistoryRequest::new(symbol(s), date(from), date(to), Interval::Daily).expect("valid request")
}

fn history(s: &str, closes: &[f64]) -> History {
    History {
        symbol: symbol(s),
        source: "test".to_owned(),
        currency: None,
        bars: closes
            .iter()
            .zip(1..)
            .map(|(close, day)| Bar {
                date: date(day),
                open: None,
                high: None,
                low: None,
                close: *close,
                adj_close: Some(*close),
                volume: Some(1000),
            })
            .collect(),
        dropped: Vec::new(),
        flagged: Vec::new(),
        splits: Vec::new(),
        dividends: Vec::new(),
        fetched_at: t(0),
        delayed: true,
        stale: false,
        attempts: Vec::new(),
    }
}

/// Quotes: none before a put; a put is read back with its expiry exactly;
/// a later put replaces it; an expired entry is still returned (the market
/// serves it as stale when every source fails); symbols do not mix.
pub async fn quotes<C: QuoteCache + ?Sized>(cache: &C) {
    let aapl = symbol("AAPL");
    assert_eq!(cache.get_quote(&aapl).await.expect("get"), None, "empty");
    cache
        .put_quote(quote("AAPL", 190.5, 0), t(60))
        .await
        .expect("put");
    let got = cache.get_quote(&aapl).await.expect("get").expect("stored");
    assert_eq!(got.value, quote("AAPL", 190.5, 0));
    assert_eq!(got.expires_at, t(60));
    assert!(got.is_fresh(t(59)) && !got.is_fresh(t(60)));

    cache
        .put_quote(quote("AAPL", 191.25, 30), t(90))
        .await
        .expect("put");
    let got = cache.get_quote(&aapl).await.expect("get").expect("stored");
    assert_eq!(
        (got.value.price, got.expires_at),
        (191.25, t(90)),
        "replaced"
    );

    // Expired when stored: still there, to be served stale.
    cache
        .put_quote(quote("MSFT", 420.0, -600), t(-540))
        .await
        .expect("put");
    let got = cache
        .get_quote(&symbol("MSFT"))
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(got.value.price, 420.0);
    assert!(!got.is_fresh(t(0)));

    assert_eq!(
        cache.get_quote(&symbol("AAP")).await.expect("get"),
        None,
        "no prefix match"
    );
    assert_eq!(
        cache
            .get_quote(&aapl)
            .await
            .expect("get")
            .expect("kept")
            .value
            .price,
        191.25
    );
}

/// The entry a check just stored.
async fn stored_history<C: QuoteCache + ?Sized>(
    cache: &C,
    request: &HistoryRequest,
) -> crate::cache::Cached<History> {
    cache
        .get_history(request)
        .await
        .expect("get")
        .expect("stored")
}

/// Histories: keyed by the exact request (symbol, both dates, interval);
/// read back as stored; replaced by a later put.
pub async fn histories<C: QuoteCache + ?Sized>(cache: &C) {
    let week = request("VTI", 1, 5);
    assert_eq!(cache.get_history(&week).await.expect("get"), None, "empty");
    cache
        .put_history(
            week.clone(),
            history("VTI", &[270.0, 271.5, 269.25]),
            t(3600),
        )
        .await
        .expect("put");
    let got = stored_history(cache, &week).await;
    assert_eq!(got.value, history("VTI", &[270.0, 271.5, 269.25]));
    assert_eq!(got.expires_at, t(3600));

    for other in [
        request("VTI", 1, 4),
        request("VTI", 2, 5),
        request("VXUS", 1, 5),
        HistoryRequest::new(symbol("VTI"), date(1), date(5), Interval::Weekly).expect("valid"),
    ] {
        assert_eq!(
            cache.get_history(&other).await.expect("get"),
            None,
            "{other:?}"
        );
    }

    cache
        .put_history(week.clone(), history("VTI", &[280.0]), t(7200))
        .await
        .expect("put");
    let got = stored_history(cache, &week).await;
    assert_eq!(
        (got.value.bars.len(), got.expires_at),
        (1, t(7200)),
        "replaced"
    );
}

/// Fetch claims: one winner at a time per symbol; the others see it held;
/// only the winner's token releases it; symbols are independent; a claim
/// that is never released expires after its time to live.
pub async fn claims<C: QuoteCache + ?Sized>(cache: &C) {
    let (aapl, msft) = (symbol("AAPL"), symbol("MSFT"));
    let long = Duration::from_secs(30);
    assert!(!cache.is_claimed(&aapl).await.expect("is_claimed"));
    let FetchClaim::Won(token) = cache.claim_quote(&aapl, long).await.expect("claim") else {
        panic!("the first claim wins");
    };
    assert!(cache.is_claimed(&aapl).await.expect("is_claimed"));
    assert_eq!(
        cache.claim_quote(&aapl, long).await.expect("claim"),
        FetchClaim::Held
    );
    assert!(
        matches!(
            cache.claim_quote(&msft, long).await.expect("claim"),
            FetchClaim::Won(_)
        ),
        "another symbol is claimed on its own"
    );

    cache
        .release_quote(&aapl, "not-the-token")
        .await
        .expect("release");
    assert!(
        cache.is_claimed(&aapl).await.expect("is_claimed"),
        "a wrong token frees nothing"
    );
    cache.release_quote(&aapl, &token).await.expect("release");
    assert!(
        !cache.is_claimed(&aapl).await.expect("is_claimed"),
        "released"
    );
    let FetchClaim::Won(again) = cache.claim_quote(&aapl, long).await.expect("claim") else {
        panic!("a released claim can be won again");
    };
    assert_ne!(again, token, "tokens are not reused");
    cache.release_quote(&aapl, &token).await.expect("release");
    assert!(
        cache.is_claimed(&aapl).await.expect("is_claimed"),
        "an old token frees nothing"
    );

    let vti = symbol("VTI");
    let FetchClaim::Won(_) = cache
        .claim_quote(&vti, Duration::from_millis(200))
        .await
        .expect("claim")
    else {
        panic!("the first claim wins");
    };
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(
        !cache.is_claimed(&vti).await.expect("is_claimed"),
        "expired"
    );
    assert!(
        matches!(
            cache.claim_quote(&vti, long).await.expect("claim"),
            FetchClaim::Won(_)
        ),
        "an expired claim can be won"
    );
}

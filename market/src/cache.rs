//! The cache trait, [`MemoryQuoteCache`], and the TTL rules.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use auravest_core::Symbol;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use futures_util::future::BoxFuture;

use crate::types::{History, HistoryRequest, Quote};

/// A cached value and when it stops being fresh. Expired entries may still be
/// returned: the market serves them, marked stale, when every source fails.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached<T> {
    /// The value.
    pub value: T,
    /// When it stops being fresh.
    pub expires_at: DateTime<Utc>,
}

impl<T> Cached<T> {
    /// True while `now` is before the expiry.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// Why a cache could not answer. [`Market`](crate::Market) treats it as a
/// miss (and a failed write as nothing stored): a cache makes market data
/// cheaper, never unavailable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quote cache ({backend}): {detail}")]
pub struct CacheError {
    /// Which cache (`memory`, `redis`, ...).
    pub backend: &'static str,
    /// What went wrong.
    pub detail: String,
}

/// What a cache's outcome is.
pub type CacheResult<T> = Result<T, CacheError>;

/// Who fetches a quote that is missing or expired, when several processes
/// share one cache ([`QuoteCache::claim_quote`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchClaim {
    /// The caller fetches, then gives the claim back with
    /// [`QuoteCache::release_quote`] and this token.
    Won(String),
    /// Another process is fetching: wait for its entry.
    Held,
}

/// Storage for quotes and histories, possibly shared by several processes
/// (the reference server keeps quotes in Redis). Implementations must be
/// cheap to call from many tasks at once; every future is `Send`.
///
/// A cache stores and returns entries; the rules (how long an entry is
/// fresh, when an expired one is served as stale, who fetches) are
/// [`Market`](crate::Market)'s. Fetch claims let one of several markets
/// sharing a cache fetch a missing quote while the others wait for its entry.
///
/// The conformance suite (`conformance` module, feature `testing`) checks
/// every method, claims included.
pub trait QuoteCache: Send + Sync {
    /// The cached quote for `symbol`, fresh or not.
    fn get_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<Quote>>>>;
    /// Stores a quote until `expires_at`, replacing any earlier one. The
    /// quote's `attempts` need not be kept.
    fn put_quote(&self, quote: Quote, expires_at: DateTime<Utc>) -> BoxFuture<'_, CacheResult<()>>;
    /// The cached history for exactly this request, fresh or not.
    fn get_history<'a>(
        &'a self,
        request: &'a HistoryRequest,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<History>>>>;
    /// Stores a history until `expires_at`, replacing any earlier one.
    fn put_history(
        &self,
        request: HistoryRequest,
        history: History,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'_, CacheResult<()>>;

    /// Claims the fetch of `symbol`'s quote for at most `ttl`: [`FetchClaim::Won`]
    /// for one caller at a time among everyone sharing the cache,
    /// [`FetchClaim::Held`] for the others until the winner releases the
    /// claim or `ttl` passes.
    fn claim_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, CacheResult<FetchClaim>>;

    /// Whether a claim on `symbol` is held now.
    fn is_claimed<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, CacheResult<bool>>;

    /// Gives a won claim back; a token that no longer holds the claim (it
    /// expired and someone else won) changes nothing.
    fn release_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
        token: &'a str,
    ) -> BoxFuture<'a, CacheResult<()>>;
}

/// An in-memory [`QuoteCache`]. Entries are replaced, never evicted: it is
/// meant for one process's session (a CLI run, a test, a bench). Markets
/// that share one (`Arc`) share its entries and its fetch claims.
#[derive(Debug, Default)]
pub struct MemoryQuoteCache {
    quotes: Mutex<HashMap<Symbol, Cached<Quote>>>,
    histories: Mutex<HashMap<HistoryRequest, Cached<History>>>,
    /// Held claims: token and expiry.
    claims: Mutex<HashMap<Symbol, (String, DateTime<Utc>)>>,
    /// Numbers the claims' tokens.
    next_token: std::sync::atomic::AtomicU64,
}

impl MemoryQuoteCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }
}

impl QuoteCache for MemoryQuoteCache {
    fn get_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<Quote>>>> {
        let found = self
            .quotes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(symbol)
            .cloned();
        Box::pin(async move { Ok(found) })
    }

    fn put_quote(&self, quote: Quote, expires_at: DateTime<Utc>) -> BoxFuture<'_, CacheResult<()>> {
        self.quotes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                quote.symbol.clone(),
                Cached {
                    value: quote,
                    expires_at,
                },
            );
        Box::pin(async { Ok(()) })
    }

    fn get_history<'a>(
        &'a self,
        request: &'a HistoryRequest,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<History>>>> {
        let found = self
            .histories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(request)
            .cloned();
        Box::pin(async move { Ok(found) })
    }

    fn put_history(
        &self,
        request: HistoryRequest,
        history: History,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'_, CacheResult<()>> {
        self.histories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                request,
                Cached {
                    value: history,
                    expires_at,
                },
            );
        Box::pin(async { Ok(()) })
    }

    fn claim_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, CacheResult<FetchClaim>> {
        let now = Utc::now();
        let mut claims = self.claims.lock().unwrap_or_else(PoisonError::into_inner);
        let claim = match claims.get(symbol) {
            Some((_, until)) if *until > now => FetchClaim::Held,
            _ => {
                let n = self
                    .next_token
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let token = format!("claim-{n}");
                let ttl = Duration::from_std(ttl).unwrap_or(Duration::MAX);
                let until = now
                    .checked_add_signed(ttl)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC);
                claims.insert(symbol.clone(), (token.clone(), until));
                FetchClaim::Won(token)
            }
        };
        Box::pin(async move { Ok(claim) })
    }

    fn is_claimed<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, CacheResult<bool>> {
        let now = Utc::now();
        let held = self
            .claims
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(symbol)
            .is_some_and(|(_, until)| *until > now);
        Box::pin(async move { Ok(held) })
    }

    fn release_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
        token: &'a str,
    ) -> BoxFuture<'a, CacheResult<()>> {
        let mut claims = self.claims.lock().unwrap_or_else(PoisonError::into_inner);
        if claims.get(symbol).is_some_and(|(held, _)| held == token) {
            claims.remove(symbol);
        }
        Box::pin(async { Ok(()) })
    }
}

/// The hour (UTC) after which a trading day's close is treated as final: 21:00
/// UTC is one hour after the New York close in summer and the close itself in
/// winter, and after the close of the European and Asian markets.
pub const DAILY_CLOSE_HOUR_UTC: u32 = 21;

/// The next daily close strictly after `now`: 21:00 UTC on the next weekday
/// (today's if it has not passed). Daily history cached at `now` stays fresh
/// until then, since no new daily bar can appear before it.
pub fn next_close_after(now: DateTime<Utc>) -> DateTime<Utc> {
    let close_time = NaiveTime::from_hms_opt(DAILY_CLOSE_HOUR_UTC, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut day = now.date_naive();
    loop {
        let at = day.and_time(close_time).and_utc();
        if at > now && !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            return at;
        }
        day += Duration::days(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn history_fresh_until_next_weekday_close() {
        // Wednesday before the close: today's close.
        assert_eq!(
            next_close_after(t("2024-01-03T15:00:00Z")),
            t("2024-01-03T21:00:00Z")
        );
        // Wednesday after the close: Thursday's.
        assert_eq!(
            next_close_after(t("2024-01-03T22:00:00Z")),
            t("2024-01-04T21:00:00Z")
        );
        // Friday evening: Monday's.
        assert_eq!(
            next_close_after(t("2024-01-05T21:00:00Z")),
            t("2024-01-08T21:00:00Z")
        );
    }
}

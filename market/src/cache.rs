//! The cache trait, [`MemoryQuoteCache`], and the TTL rules.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use auravest_core::Symbol;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};

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

/// Storage for quotes and histories. Implementations must be cheap to call
/// from many tasks at once; [`MemoryQuoteCache`] is a mutex-guarded map.
pub trait QuoteCache: Send + Sync {
    /// The cached quote for `symbol`, fresh or not.
    fn get_quote(&self, symbol: &Symbol) -> Option<Cached<Quote>>;
    /// Stores a quote until `expires_at`.
    fn put_quote(&self, quote: Quote, expires_at: DateTime<Utc>);
    /// The cached history for exactly this request, fresh or not.
    fn get_history(&self, request: &HistoryRequest) -> Option<Cached<History>>;
    /// Stores a history until `expires_at`.
    fn put_history(&self, request: HistoryRequest, history: History, expires_at: DateTime<Utc>);
}

/// An in-memory [`QuoteCache`]. Entries are replaced, never evicted: it is
/// meant for one process's session (a CLI run, a test, a bench).
#[derive(Debug, Default)]
pub struct MemoryQuoteCache {
    quotes: Mutex<HashMap<Symbol, Cached<Quote>>>,
    histories: Mutex<HashMap<HistoryRequest, Cached<History>>>,
}

impl MemoryQuoteCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }
}

impl QuoteCache for MemoryQuoteCache {
    fn get_quote(&self, symbol: &Symbol) -> Option<Cached<Quote>> {
        self.quotes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(symbol)
            .cloned()
    }

    fn put_quote(&self, quote: Quote, expires_at: DateTime<Utc>) {
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
    }

    fn get_history(&self, request: &HistoryRequest) -> Option<Cached<History>> {
        self.histories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(request)
            .cloned()
    }

    fn put_history(&self, request: HistoryRequest, history: History, expires_at: DateTime<Utc>) {
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

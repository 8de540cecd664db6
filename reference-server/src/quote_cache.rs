//! The quote cache every replica shares: [`RedisQuoteCache`] implements
//! [`auravest_market::QuoteCache`] on Redis, so the market's own rules
//! (freshness, stale serving, one fetch per missing quote across replicas)
//! run unchanged over it. It passes the market crate's conformance suite.
//!
//! A quote is stored as JSON under `<namespace>:quote:<SYMBOL>` with the
//! instant it stops being fresh; Redis keeps it for [`STALE_KEEP`], so an
//! expired quote can still be served, marked stale, when every source fails.
//! A fetch claim is `SET <namespace>:quote-lock:<SYMBOL> <token> NX PX`,
//! given back by a compare-and-delete script. Histories stay in each
//! replica's memory: the server keeps daily closes in its database.
//!
//! Every call is bounded by [`crate::limits::REDIS_CALL_TIMEOUT`]. Reads,
//! writes and claims go through the [`RedisBreaker`]: a failure is logged and
//! opens it. Each quote is also kept in the replica's memory, which answers
//! while Redis fails or the breaker is open, so an outage costs sharing, not
//! upstream calls. Giving a claim back and asking whether one is held skip
//! the breaker (only the timeout bounds them): a claim left behind would make
//! the other replicas wait out its time to live.

use std::future::Future;
use std::time::Duration;

use auravest_core::Symbol;
use auravest_market::{
    CacheError, CacheResult, Cached, FetchClaim, History, HistoryRequest, MemoryQuoteCache, Quote,
    QuoteCache,
};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use redis::AsyncCommands as _;
use serde::{Deserialize, Serialize};

use crate::limits::RedisBreaker;

/// How long Redis keeps a quote after it was stored (to serve it stale).
pub const STALE_KEEP: Duration = Duration::from_secs(24 * 3600);

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

/// A quote as the shared cache holds it (the sources' failed attempts are
/// not kept).
#[derive(Debug, Serialize, Deserialize)]
struct StoredQuote {
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

impl StoredQuote {
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

    /// The cached quote; `None` for an entry no longer valid (a symbol or
    /// currency the current rules refuse).
    fn cached(&self) -> Option<Cached<Quote>> {
        Some(Cached {
            value: Quote {
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
            },
            expires_at: self.expires_at,
        })
    }
}

/// The market's quote cache on Redis (see the module documentation).
#[derive(Clone)]
pub struct RedisQuoteCache {
    conn: redis::aio::ConnectionManager,
    namespace: String,
    breaker: RedisBreaker,
    /// Quotes (a copy of each, for when Redis fails) and histories.
    local: std::sync::Arc<MemoryQuoteCache>,
}

impl std::fmt::Debug for RedisQuoteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQuoteCache")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl RedisQuoteCache {
    /// A cache on `conn` with keys under `namespace`, skipping Redis while
    /// `breaker` is open.
    pub fn new(
        conn: redis::aio::ConnectionManager,
        namespace: &str,
        breaker: RedisBreaker,
    ) -> Self {
        Self {
            conn,
            namespace: namespace.to_owned(),
            breaker,
            local: std::sync::Arc::default(),
        }
    }

    fn quote_key(&self, symbol: &Symbol) -> String {
        format!("{}:quote:{symbol}", self.namespace)
    }

    fn lock_key(&self, symbol: &Symbol) -> String {
        format!("{}:quote-lock:{symbol}", self.namespace)
    }

    /// Runs one Redis call within the time limit, through the breaker.
    async fn call<T>(
        &self,
        what: &str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> CacheResult<T> {
        if !self.breaker.allow() {
            return Err(CacheError {
                backend: "redis",
                detail: "failed a moment ago; bypassed".to_owned(),
            });
        }
        self.call_unguarded(what, call).await
    }

    /// Runs one Redis call within the time limit, even while the breaker is
    /// open; a failure still opens it.
    async fn call_unguarded<T>(
        &self,
        what: &str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> CacheResult<T> {
        let out = tokio::time::timeout(crate::limits::REDIS_CALL_TIMEOUT, call)
            .await
            .unwrap_or_else(|_| {
                Err(redis::RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "redis did not answer in time",
                )))
            });
        out.map_err(|e| {
            tracing::warn!(error = %e, "quote cache: {what} failed; asking the market");
            self.breaker.failure();
            CacheError {
                backend: "redis",
                detail: format!("{what}: {e}"),
            }
        })
    }
}

impl QuoteCache for RedisQuoteCache {
    fn get_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<Quote>>>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let raw: Option<String> =
                match self.call("read", conn.get(self.quote_key(symbol))).await {
                    Ok(raw) => raw,
                    // Redis failed: this replica's copy.
                    Err(_) => return self.local.get_quote(symbol).await,
                };
            let shared = raw.and_then(|r| {
                serde_json::from_str::<StoredQuote>(&r)
                    .inspect_err(|e| tracing::warn!(error = %e, "quote cache: unreadable entry"))
                    .ok()
                    .and_then(|stored| stored.cached())
            });
            match shared {
                Some(c) => Ok(Some(c)),
                None => self.local.get_quote(symbol).await,
            }
        })
    }

    fn put_quote(&self, quote: Quote, expires_at: DateTime<Utc>) -> BoxFuture<'_, CacheResult<()>> {
        Box::pin(async move {
            let json =
                serde_json::to_string(&StoredQuote::new(&quote, expires_at)).map_err(|e| {
                    CacheError {
                        backend: "redis",
                        detail: e.to_string(),
                    }
                })?;
            let mut conn = self.conn.clone();
            let key = self.quote_key(&quote.symbol);
            self.call(
                "write",
                conn.pset_ex::<_, _, ()>(key, json, millis(STALE_KEEP)),
            )
            .await
        })
    }

    fn get_history<'a>(
        &'a self,
        request: &'a HistoryRequest,
    ) -> BoxFuture<'a, CacheResult<Option<Cached<History>>>> {
        self.local.get_history(request)
    }

    fn put_history(
        &self,
        request: HistoryRequest,
        history: History,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'_, CacheResult<()>> {
        self.local.put_history(request, history, expires_at)
    }

    fn claim_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
        ttl: Duration,
    ) -> BoxFuture<'a, CacheResult<FetchClaim>> {
        Box::pin(async move {
            let token = uuid::Uuid::new_v4().to_string();
            let mut conn = self.conn.clone();
            let won: Option<String> = self
                .call(
                    "claim",
                    redis::cmd("SET")
                        .arg(self.lock_key(symbol))
                        .arg(&token)
                        .arg("NX")
                        .arg("PX")
                        .arg(millis(ttl).max(1))
                        .query_async(&mut conn),
                )
                .await?;
            Ok(match won {
                Some(_) => FetchClaim::Won(token),
                None => FetchClaim::Held,
            })
        })
    }

    fn is_claimed<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, CacheResult<bool>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            self.call("claim check", conn.exists(self.lock_key(symbol)))
                .await
        })
    }

    fn release_quote<'a>(
        &'a self,
        symbol: &'a Symbol,
        token: &'a str,
    ) -> BoxFuture<'a, CacheResult<()>> {
        Box::pin(async move {
            let script = redis::Script::new(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                 return redis.call('DEL', KEYS[1]) else return 0 end",
            );
            let mut conn = self.conn.clone();
            let mut invocation = script.key(self.lock_key(symbol));
            invocation.arg(token);
            self.call_unguarded("release", invocation.invoke_async::<i64>(&mut conn))
                .await
                .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_quotes_round_trip() {
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
        let at = Utc::now() + chrono::Duration::seconds(60);
        let c = StoredQuote::new(&q, at);
        let back: StoredQuote = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(
            back.cached(),
            Some(Cached {
                value: q,
                expires_at: at
            })
        );
    }
}

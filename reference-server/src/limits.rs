//! Request budgets: a [`Limiter`] counts hits per key in fixed windows,
//! in memory ([`MemoryLimiter`], one process) or in Redis ([`RedisLimiter`],
//! shared by every replica), and [`per_ip`] applies the per-IP budget to
//! every request.
//!
//! Both limiters use fixed windows: the first hit on a key opens a window
//! of the given length, and up to `limit` hits pass until it ends. A burst
//! of up to twice the limit can straddle two windows; for abuse control that
//! is an acceptable trade for one counter per key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::error::AppError;
use crate::state::AppState;

/// Counts hits per key.
#[async_trait::async_trait]
pub trait Limiter: Send + Sync {
    /// Counts one hit on `key`, allowing `limit` hits per `window`.
    ///
    /// # Errors
    /// The budget is used up: how long until the window ends (the
    /// `Retry-After`).
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Duration>;
}

/// The per-IP window.
const IP_WINDOW: Duration = Duration::from_secs(60);

/// Counts every request against `rate_limits.ip_per_minute` for the
/// client's IP, answering 429 with `Retry-After` when it is used up.
///
/// The IP is the TCP peer (`ConnectInfo<SocketAddr>`, which `main` installs
/// with `into_make_service_with_connect_info`); without it (tests calling the
/// router directly) every request counts against the key `local`.
/// `X-Forwarded-For` is not trusted: behind a proxy, every client shares the
/// proxy's budget, so set the limit for that deployment.
pub async fn per_ip(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "local".to_owned(), |c| c.0.ip().to_string());
    let key = format!("ip:{ip}");
    match state
        .limiter
        .hit(&key, state.config.rate_limits.ip_per_minute, IP_WINDOW)
        .await
    {
        Ok(()) => next.run(req).await,
        Err(retry_after) => AppError::RateLimited(retry_after).into_response(),
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    ends: Instant,
    hits: u32,
}

/// Fixed-window counters in this process. Memory stays bounded: whenever
/// the map has doubled since the last sweep, the windows that have ended
/// are dropped.
#[derive(Debug)]
pub struct MemoryLimiter {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug)]
struct MemoryInner {
    windows: HashMap<String, Window>,
    sweep_at: usize,
}

/// The map size below which no sweep happens.
const MIN_SWEEP: usize = 1024;

impl Default for MemoryLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(MemoryInner {
                windows: HashMap::new(),
                sweep_at: MIN_SWEEP,
            }),
        }
    }

    /// Counts a hit at `now` (the clock is a parameter for the tests).
    fn hit_at(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.windows.len() >= inner.sweep_at {
            inner.windows.retain(|_, w| w.ends > now);
            inner.sweep_at = (inner.windows.len() * 2).max(MIN_SWEEP);
        }
        let w = inner.windows.entry(key.to_owned()).or_insert(Window {
            ends: now + window,
            hits: 0,
        });
        if w.ends <= now {
            *w = Window {
                ends: now + window,
                hits: 0,
            };
        }
        if w.hits >= limit {
            return Err(w.ends - now);
        }
        w.hits += 1;
        Ok(())
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .windows
            .len()
    }

    /// True when no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl Limiter for MemoryLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Duration> {
        self.hit_at(key, limit, window, Instant::now())
    }
}

/// How long Redis is left alone after a failure: an outage costs one short
/// timeout per period instead of one per request.
pub const REDIS_BREAK: Duration = Duration::from_secs(5);

/// The longest one limiter call may wait for Redis.
pub const REDIS_CALL_TIMEOUT: Duration = Duration::from_millis(300);

/// A circuit breaker for Redis, shared by everything that uses it: after a
/// failure or a timeout, [`RedisBreaker::allow`] says no for [`REDIS_BREAK`]
/// and callers use their in-process fallback at once.
#[derive(Debug, Clone)]
pub struct RedisBreaker {
    start: Instant,
    /// Milliseconds after `start` until which Redis is not asked.
    open_until: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RedisBreaker {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            open_until: std::sync::Arc::default(),
        }
    }
}

impl RedisBreaker {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether Redis may be asked now.
    pub fn allow(&self) -> bool {
        self.now_ms() >= self.open_until.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records a failure: Redis is left alone for [`REDIS_BREAK`].
    pub fn failure(&self) {
        let until = self
            .now_ms()
            .saturating_add(u64::try_from(REDIS_BREAK.as_millis()).unwrap_or(u64::MAX));
        self.open_until
            .store(until, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Increments the counter, opens the window on the first hit (and repairs a
/// key that lost its expiry), and answers the count and the milliseconds
/// left in the window, in one atomic step.
const HIT_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

/// Fixed-window counters in Redis, shared by every replica: one Lua script
/// per hit (`INCR`, `PEXPIRE` on the first hit, `PTTL`), so the count and its
/// expiry can never part. Keys are `auravest:rl:<key>`.
///
/// When Redis fails or is slow (over [`REDIS_CALL_TIMEOUT`]), the hit is
/// counted by an in-process [`MemoryLimiter`] instead, and the shared
/// [`RedisBreaker`] keeps later calls off Redis for a while: limits stay
/// enforced (per replica) and requests stay fast during an outage; they
/// never fail open.
#[derive(Clone)]
pub struct RedisLimiter {
    conn: redis::aio::ConnectionManager,
    prefix: String,
    script: redis::Script,
    breaker: RedisBreaker,
    fallback: std::sync::Arc<MemoryLimiter>,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// A limiter over this connection with the prefix `auravest:rl:`.
    pub fn new(conn: redis::aio::ConnectionManager) -> Self {
        Self::with_prefix(conn, "auravest:rl:")
    }

    /// A limiter with another key prefix (tests use one each).
    pub fn with_prefix(conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: prefix.to_owned(),
            script: redis::Script::new(HIT_SCRIPT),
            breaker: RedisBreaker::default(),
            fallback: std::sync::Arc::new(MemoryLimiter::new()),
        }
    }

    /// Shares `breaker` (with the quote cache, say).
    #[must_use]
    pub fn with_breaker(mut self, breaker: RedisBreaker) -> Self {
        self.breaker = breaker;
        self
    }
}

#[async_trait::async_trait]
impl Limiter for RedisLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Duration> {
        if !self.breaker.allow() {
            return self.fallback.hit(key, limit, window).await;
        }
        let mut conn = self.conn.clone();
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let key_name = format!("{}{key}", self.prefix);
        let mut invocation = self.script.key(key_name);
        invocation.arg(window_ms);
        let answer: Result<redis::RedisResult<(i64, i64)>, _> =
            tokio::time::timeout(REDIS_CALL_TIMEOUT, invocation.invoke_async(&mut conn)).await;
        match answer {
            Ok(Ok((hits, ttl_ms))) if hits > i64::from(limit) => {
                let ms = u64::try_from(ttl_ms).unwrap_or(window_ms);
                Err(Duration::from_millis(ms))
            }
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "rate limiter: redis failed; counting in this process");
                self.breaker.failure();
                self.fallback.hit(key, limit, window).await
            }
            Err(_) => {
                tracing::warn!(
                    "rate limiter: redis did not answer in time; counting in this process"
                );
                self.breaker.failure();
                self.fallback.hit(key, limit, window).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_limiter_counts_per_key_and_reopens_after_the_window() {
        let l = MemoryLimiter::new();
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(l.hit_at("a", 3, w, t0), Ok(()));
        }
        let wait = l
            .hit_at("a", 3, w, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert_eq!(
            l.hit_at("b", 3, w, t0),
            Ok(()),
            "another key has its own budget"
        );
        assert_eq!(l.hit_at("a", 3, w, t0 + w), Ok(()), "a new window");
    }

    #[test]
    fn memory_limiter_drops_ended_windows() {
        let l = MemoryLimiter::new();
        let t0 = Instant::now();
        let w = Duration::from_secs(1);
        for i in 0..5000 {
            l.hit_at(&format!("k{i}"), 1, w, t0).unwrap();
        }
        assert_eq!(l.len(), 5000, "live windows are kept");
        let later = t0 + Duration::from_secs(2);
        for i in 0..4000 {
            l.hit_at(&format!("n{i}"), 1, w, later).unwrap();
        }
        assert_eq!(l.len(), 4000, "the ended windows were swept");
    }

    /// Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`); `None` (a
    /// skip) when it is unreachable, except under `CI=true`.
    async fn redis() -> Option<redis::aio::ConnectionManager> {
        let url = std::env::var("REDIS_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
        let conn = async {
            let client = redis::Client::open(url.as_str())?;
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_number_of_retries(1)
                .set_connection_timeout(Duration::from_secs(2))
                .set_response_timeout(Duration::from_secs(2));
            redis::aio::ConnectionManager::new_with_config(client, config).await
        }
        .await;
        match conn {
            Ok(c) => Some(c),
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("Redis at {url} is unreachable under CI: {e}")
            }
            Err(e) => {
                eprintln!("skipped: Redis at {url} is unreachable: {e}");
                None
            }
        }
    }

    #[tokio::test]
    async fn redis_limiter_counts_across_handles_and_reports_the_window() {
        let Some(conn) = redis().await else { return };
        let prefix = format!("auravest-test:{}:rl:", uuid::Uuid::new_v4());
        let a = RedisLimiter::with_prefix(conn.clone(), &prefix);
        let b = RedisLimiter::with_prefix(conn, &prefix);
        let w = Duration::from_secs(30);
        assert_eq!(a.hit("k", 3, w).await, Ok(()));
        assert_eq!(b.hit("k", 3, w).await, Ok(()));
        assert_eq!(a.hit("k", 3, w).await, Ok(()));
        let wait = b.hit("k", 3, w).await.unwrap_err();
        assert!(wait > Duration::from_secs(25) && wait <= w, "{wait:?}");
        assert_eq!(a.hit("other", 3, w).await, Ok(()));
    }

    #[tokio::test]
    async fn redis_limiter_window_expires() {
        let Some(conn) = redis().await else { return };
        let prefix = format!("auravest-test:{}:rl:", uuid::Uuid::new_v4());
        let l = RedisLimiter::with_prefix(conn, &prefix);
        let w = Duration::from_millis(300);
        assert_eq!(l.hit("k", 1, w).await, Ok(()));
        assert!(l.hit("k", 1, w).await.is_err());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(l.hit("k", 1, w).await, Ok(()));
    }
}

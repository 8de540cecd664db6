//! The fallback chain: sources by priority, each behind a circuit breaker and
//! its declared rate limits.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use auravest_core::{NaiveDate, Symbol};
use chrono::Utc;
use tokio::sync::Semaphore;

use crate::error::{Attempt, Error, ErrorClass, Result};
use crate::source::{
    BoxFuture, Capabilities, QuoteSource, RateLimits, SourceInfo, SymbolKinds, positive_price,
};
use crate::types::{Fundamentals, History, HistoryRequest, Quote, SearchHit};

/// How the chain treats failing and busy sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainOptions {
    /// Consecutive penalised failures that open a source's circuit.
    pub failure_threshold: u32,
    /// How long an open circuit stays open before one trial call is let through.
    pub cooldown: Duration,
    /// Longest the chain waits for a per-second or per-minute slot before it
    /// skips the source as rate limited.
    pub max_wait: Duration,
    /// Longest a source's own `retry_after` keeps its circuit open.
    pub max_retry_after: Duration,
}

impl Default for ChainOptions {
    fn default() -> Self {
        Self {
            failure_threshold: 3,
            cooldown: Duration::from_secs(60),
            max_wait: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

/// A circuit breaker's state as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are skipped until the cooldown ends.
    Open,
    /// The cooldown ended: the next call is a trial.
    HalfOpen,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    fn state(&self, now: Instant) -> BreakerState {
        match self.open_until {
            Some(t) if now < t => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
            None => BreakerState::Closed,
        }
    }

    fn success(&mut self) {
        self.failures = 0;
        self.open_until = None;
    }

    fn failure(&mut self, now: Instant, options: &ChainOptions, retry_after: Option<Duration>) {
        self.failures += 1;
        if let Some(wait) = retry_after {
            let wait = wait.min(options.max_retry_after).max(options.cooldown);
            self.open_until = Some(now + wait);
        } else if self.failures >= options.failure_threshold {
            self.open_until = Some(now + options.cooldown);
        }
    }
}

#[derive(Debug, Default)]
struct Windows {
    second: VecDeque<Instant>,
    minute: VecDeque<Instant>,
    day: Option<(NaiveDate, u32)>,
}

/// Enforces a source's declared [`RateLimits`] on our side.
#[derive(Debug)]
struct Limiter {
    limits: RateLimits,
    windows: Mutex<Windows>,
    concurrency: Option<Arc<Semaphore>>,
}

impl Limiter {
    fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: Mutex::new(Windows::default()),
            concurrency: limits
                .concurrency
                .map(|n| Arc::new(Semaphore::new(n.max(1) as usize))),
        }
    }

    /// Takes a slot now, or says how long until one frees up.
    fn try_take(&self, now: Instant) -> std::result::Result<(), (Duration, bool)> {
        let mut w = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let today = Utc::now().date_naive();
        let used_today = match w.day {
            Some((d, n)) if d == today => n,
            _ => 0,
        };
        if let Some(max) = self.limits.per_day
            && used_today >= max
        {
            let midnight = today
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc());
            let left = midnight
                .and_then(|m| (m - Utc::now()).to_std().ok())
                .unwrap_or(Duration::from_secs(3600));
            return Err((left, true));
        }
        let w = &mut *w;
        for (window, span, max) in [
            (
                &mut w.second,
                Duration::from_secs(1),
                self.limits.per_second,
            ),
            (
                &mut w.minute,
                Duration::from_secs(60),
                self.limits.per_minute,
            ),
        ] {
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= span)
            {
                window.pop_front();
            }
            if let Some(max) = max
                && window.len() >= max as usize
            {
                let oldest = window.front().copied().unwrap_or(now);
                return Err((span.saturating_sub(now.duration_since(oldest)), false));
            }
        }
        w.second.push_back(now);
        w.minute.push_back(now);
        w.day = Some((today, used_today + 1));
        Ok(())
    }

    async fn acquire(
        &self,
        source: &str,
        max_wait: Duration,
    ) -> Result<Option<tokio::sync::OwnedSemaphorePermit>> {
        loop {
            match self.try_take(Instant::now()) {
                Ok(()) => break,
                Err((wait, daily)) if daily || wait > max_wait => {
                    return Err(Error::RateLimited {
                        source_name: source.to_owned(),
                        retry_after: Some(wait),
                    });
                }
                Err((wait, _)) => tokio::time::sleep(wait.max(Duration::from_millis(1))).await,
            }
        }
        match &self.concurrency {
            Some(sem) => {
                Ok(Some(Arc::clone(sem).acquire_owned().await.map_err(
                    |_| Error::unavailable(source, "limiter closed"),
                )?))
            }
            None => Ok(None),
        }
    }
}

struct Member {
    source: Arc<dyn QuoteSource>,
    breaker: Mutex<Breaker>,
    limiter: Limiter,
}

enum Op<'r> {
    Quote(&'r Symbol),
    History(&'r HistoryRequest),
    Fundamentals(&'r Symbol),
    Search(&'r str),
}

enum Answer {
    Quote(Quote),
    History(History),
    Fundamentals(Fundamentals),
    Search(Vec<SearchHit>),
}

impl Op<'_> {
    fn symbol(&self) -> Option<&Symbol> {
        match self {
            Self::Quote(s) | Self::Fundamentals(s) => Some(s),
            Self::History(r) => Some(&r.symbol),
            Self::Search(_) => None,
        }
    }

    fn supported_by(&self, caps: &Capabilities) -> Option<String> {
        let ok = match self {
            Self::Quote(_) => caps.quote,
            Self::History(r) => caps.history.contains(&r.interval),
            Self::Fundamentals(_) => caps.fundamentals,
            Self::Search(_) => caps.search,
        };
        if ok {
            return None;
        }
        Some(match self {
            Self::Quote(_) => "quotes".to_owned(),
            Self::History(r) => format!("history at interval {}", r.interval),
            Self::Fundamentals(_) => "fundamentals".to_owned(),
            Self::Search(_) => "search".to_owned(),
        })
    }
}

/// Sources composed into one: tried by priority (lowest first); a source
/// whose circuit is open, whose quota is used up, or that lacks the
/// capability is skipped. Not found stops the chain; rate-limited,
/// unavailable, unauthorized and unreadable answers count against the
/// source's circuit breaker and move on; no data, or history whose every row
/// failed validation, moves on without a penalty. Every answer names the
/// source that gave it and lists the sources tried before it.
pub struct Chain {
    info: SourceInfo,
    members: Vec<Member>,
    options: ChainOptions,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field(
                "sources",
                &self
                    .members
                    .iter()
                    .map(|m| m.source.info().name.clone())
                    .collect::<Vec<_>>(),
            )
            .field("options", &self.options)
            .finish()
    }
}

impl Chain {
    /// A chain over `sources` with default options.
    pub fn new(sources: Vec<Arc<dyn QuoteSource>>) -> Self {
        Self::with_options(sources, ChainOptions::default())
    }

    /// A chain with explicit options.
    pub fn with_options(mut sources: Vec<Arc<dyn QuoteSource>>, options: ChainOptions) -> Self {
        sources.sort_by_key(|s| s.info().priority);
        let mut caps = Capabilities {
            quote: false,
            history: Vec::new(),
            events: false,
            adjusted: false,
            fundamentals: false,
            search: false,
            symbols: SymbolKinds {
                equities: false,
                indices: false,
                fx: false,
                crypto: false,
            },
        };
        for s in &sources {
            let c = &s.info().capabilities;
            caps.quote |= c.quote;
            for i in &c.history {
                if !caps.history.contains(i) {
                    caps.history.push(*i);
                }
            }
            caps.events |= c.events;
            caps.adjusted |= c.adjusted;
            caps.fundamentals |= c.fundamentals;
            caps.search |= c.search;
            caps.symbols.equities |= c.symbols.equities;
            caps.symbols.indices |= c.symbols.indices;
            caps.symbols.fx |= c.symbols.fx;
            caps.symbols.crypto |= c.symbols.crypto;
        }
        let info = SourceInfo {
            name: "chain".to_owned(),
            priority: sources.first().map_or(0, |s| s.info().priority),
            capabilities: caps,
            limits: RateLimits::default(),
        };
        let members = sources
            .into_iter()
            .map(|source| Member {
                limiter: Limiter::new(source.info().limits),
                source,
                breaker: Mutex::new(Breaker::default()),
            })
            .collect();
        Self {
            info,
            members,
            options,
        }
    }

    /// Names of the sources, in the order they are tried.
    pub fn source_names(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| m.source.info().name.clone())
            .collect()
    }

    /// The circuit state of the named source.
    pub fn breaker_state(&self, source: &str) -> Option<BreakerState> {
        self.members
            .iter()
            .find(|m| m.source.info().name == source)
            .map(|m| {
                m.breaker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .state(Instant::now())
            })
    }

    async fn call(source: &dyn QuoteSource, op: &Op<'_>) -> Result<Answer> {
        let name = &source.info().name;
        match op {
            Op::Quote(s) => {
                let q = source.quote(s).await?;
                positive_price(name, q.price)?;
                Ok(Answer::Quote(q))
            }
            Op::History(r) => {
                let h = source.history(r).await?;
                if h.bars.is_empty() {
                    return Err(if h.dropped.is_empty() {
                        Error::NoData {
                            source_name: name.clone(),
                            symbol: r.symbol.to_string(),
                        }
                    } else {
                        Error::AllRowsInvalid {
                            source_name: name.clone(),
                            symbol: r.symbol.to_string(),
                            dropped: h.dropped.len(),
                        }
                    });
                }
                Ok(Answer::History(h))
            }
            Op::Fundamentals(s) => source.fundamentals(s).await.map(Answer::Fundamentals),
            Op::Search(q) => source.search(q).await.map(Answer::Search),
        }
    }

    async fn run(&self, op: Op<'_>) -> Result<Answer> {
        let mut attempts = Vec::new();
        for m in &self.members {
            let info = m.source.info();
            let skip = |attempts: &mut Vec<Attempt>, error: Error| {
                attempts.push(Attempt {
                    source: info.name.clone(),
                    error,
                });
            };
            if let Some(cap) = op.supported_by(&info.capabilities) {
                skip(&mut attempts, Error::unsupported(&info.name, cap));
                continue;
            }
            if let Some(symbol) = op.symbol()
                && let Err(e) = m.source.map_symbol(symbol)
            {
                if e.class() == ErrorClass::Stop {
                    return Err(e);
                }
                skip(&mut attempts, e);
                continue;
            }
            let state = m
                .breaker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .state(Instant::now());
            if state == BreakerState::Open {
                skip(
                    &mut attempts,
                    Error::CircuitOpen {
                        source_name: info.name.clone(),
                    },
                );
                continue;
            }
            let permit = match m.limiter.acquire(&info.name, self.options.max_wait).await {
                Ok(p) => p,
                Err(e) => {
                    skip(&mut attempts, e);
                    continue;
                }
            };
            let result = Self::call(m.source.as_ref(), &op).await;
            drop(permit);
            match result {
                Ok(mut answer) => {
                    m.breaker
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .success();
                    match &mut answer {
                        Answer::Quote(q) => q.attempts = attempts,
                        Answer::History(h) => h.attempts = attempts,
                        Answer::Fundamentals(_) | Answer::Search(_) => {}
                    }
                    return Ok(answer);
                }
                Err(e) => match e.class() {
                    ErrorClass::Stop => return Err(e),
                    ErrorClass::Penalise => {
                        let retry_after = match &e {
                            Error::RateLimited { retry_after, .. } => *retry_after,
                            _ => None,
                        };
                        m.breaker
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .failure(Instant::now(), &self.options, retry_after);
                        skip(&mut attempts, e);
                    }
                    ErrorClass::Next => skip(&mut attempts, e),
                },
            }
        }
        Err(Error::Exhausted { attempts })
    }
}

fn mismatch() -> Error {
    Error::invalid("chain", "a source answered a different kind of request")
}

impl QuoteSource for Chain {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn map_symbol(&self, symbol: &Symbol) -> Result<String> {
        Ok(symbol.as_str().to_owned())
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>> {
        Box::pin(async move {
            match self.run(Op::Quote(symbol)).await? {
                Answer::Quote(q) => Ok(q),
                _ => Err(mismatch()),
            }
        })
    }

    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>> {
        Box::pin(async move {
            match self.run(Op::History(request)).await? {
                Answer::History(h) => Ok(h),
                _ => Err(mismatch()),
            }
        })
    }

    fn fundamentals<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Fundamentals>> {
        Box::pin(async move {
            match self.run(Op::Fundamentals(symbol)).await? {
                Answer::Fundamentals(f) => Ok(f),
                _ => Err(mismatch()),
            }
        })
    }

    fn search<'a>(&'a self, query: &'a str) -> BoxFuture<'a, Result<Vec<SearchHit>>> {
        Box::pin(async move {
            match self.run(Op::Search(query)).await? {
                Answer::Search(s) => Ok(s),
                _ => Err(mismatch()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_per_minute_and_day() {
        let l = Limiter::new(RateLimits {
            per_minute: Some(2),
            per_day: Some(3),
            ..RateLimits::default()
        });
        let t0 = Instant::now();
        assert!(l.try_take(t0).is_ok());
        assert!(l.try_take(t0).is_ok());
        let (wait, daily) = l.try_take(t0).unwrap_err();
        assert!(!daily && wait <= Duration::from_secs(60) && wait > Duration::from_secs(59));
        let later = t0 + Duration::from_secs(61);
        assert!(l.try_take(later).is_ok());
        let (_, daily) = l.try_take(later + Duration::from_secs(61)).unwrap_err();
        assert!(daily, "the fourth call of the day is refused");
    }

    #[test]
    fn breaker_opens_after_threshold_and_half_opens() {
        let o = ChainOptions {
            failure_threshold: 2,
            cooldown: Duration::from_secs(10),
            ..ChainOptions::default()
        };
        let mut b = Breaker::default();
        let t = Instant::now();
        b.failure(t, &o, None);
        assert_eq!(b.state(t), BreakerState::Closed);
        b.failure(t, &o, None);
        assert_eq!(b.state(t), BreakerState::Open);
        assert_eq!(b.state(t + Duration::from_secs(11)), BreakerState::HalfOpen);
        b.success();
        assert_eq!(b.state(t), BreakerState::Closed);
        b.failure(t, &o, Some(Duration::from_secs(30)));
        assert_eq!(b.state(t + Duration::from_secs(20)), BreakerState::Open);
    }
}

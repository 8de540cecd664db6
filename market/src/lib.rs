//! # auravest-market
//!
//! Delayed quotes, daily history and fundamentals for AuraVest, from Yahoo
//! Finance, Alpha Vantage, Stooq and local files, composed into a validated,
//! cached fallback chain.
//!
//! - [`QuoteSource`] is the I/O boundary: quotes, history, fundamentals and
//!   search as capabilities, with a priority, rate limits and symbol mapping.
//!   [`MemorySource`] and [`FileSource`] need no network; [`YahooSource`],
//!   [`AlphaVantageSource`] and [`StooqSource`] (feature `http`) point at the
//!   hosts in [`HttpConfig`] (`AURAVEST_*_BASE_URL`).
//! - [`SourceSpec`] is the one vocabulary for naming sources (`network`,
//!   `yahoo`, `alphavantage`, `stooq`, `sample`, `file:DIR`) that every
//!   shell parses and (feature `http`) builds the same way.
//! - [`Chain`] tries sources by priority behind circuit breakers and local
//!   rate limiters; [`Error::class`] decides whether it stops or moves on.
//! - Every history is validated ([`validate_rows`]): bad rows are dropped and
//!   reported in [`History::dropped`], 100x jumps flagged in [`History::flagged`].
//! - [`Market`] adds a [`QuoteCache`] ([`MemoryQuoteCache`]) with TTLs,
//!   coalesces concurrent requests for the same symbol into one upstream
//!   call, and deduplicates batches.
//! - [`AlignedPrices`] joins several histories on date and converts to core's
//!   [`PriceFrame`](auravest_core::PriceFrame) or (feature `polars`) a DataFrame.
//!
//! ```
//! use std::sync::Arc;
//! use auravest_market::{Chain, Error, HistoryRequest, Market, MemorySource, QuoteSource};
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
//! # rt.block_on(async {
//! // A primary source that is throttled, and an offline fallback.
//! let primary = MemorySource::new("primary", 10);
//! primary.fail_with(Error::RateLimited { source_name: "primary".into(), retry_after: None });
//! let fallback = MemorySource::new("fallback", 20)
//!     .with_closes("AAPL", &[("2024-01-02", 185.64), ("2024-01-03", 0.0), ("2024-01-04", 181.91)]);
//! let sources: Vec<Arc<dyn QuoteSource>> = vec![Arc::new(primary), Arc::new(fallback)];
//! let market = Market::new(Arc::new(Chain::new(sources)));
//!
//! let aapl = "AAPL".parse()?;
//! let quote = market.quote(&aapl).await?;
//! assert_eq!((quote.source.as_str(), quote.price), ("fallback", 181.91));
//! assert_eq!(quote.attempts[0].source, "primary"); // tried first, rate limited
//!
//! let req = HistoryRequest::daily(aapl, "2024-01-01".parse()?, "2024-01-31".parse()?)?;
//! let history = market.history(&req).await?;
//! assert_eq!(history.bars.len(), 2);
//! assert_eq!(history.dropped[0].reason, "close must be positive, got 0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod cache;
mod chain;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod conformance;
mod error;
mod file;
mod frame;
#[cfg(feature = "http")]
mod http;
mod market;
#[cfg(feature = "news")]
pub mod news;
mod source;
mod spec;
mod types;
mod validate;

pub use cache::{
    CacheError, CacheResult, Cached, DAILY_CLOSE_HOUR_UTC, FetchClaim, MemoryQuoteCache,
    QuoteCache, next_close_after,
};
pub use chain::{BreakerState, Chain, ChainOptions};
pub use error::{Attempt, Error, ErrorClass, Result};
pub use file::FileSource;
pub use frame::AlignedPrices;
#[cfg(feature = "http")]
pub use http::CRUMB_TTL;
/// Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): each
/// reads raw bytes as one source's answer and asserts what must hold.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use http::fuzzing;
#[cfg(feature = "http")]
pub use http::{AlphaVantageSource, HttpConfig, StooqSource, YahooSource};
pub use market::{Market, MarketOptions, Origin};
pub use source::{
    BoxFuture, Capabilities, MemorySource, QuoteSource, RateLimits, SourceInfo, SymbolKinds,
};
pub use spec::{MAX_SOURCES, SOURCE_VOCABULARY, SourceSpec};
pub use types::{
    Bar, Dividend, Fundamentals, History, HistoryRequest, Interval, Quote, RawBar, SearchHit,
    Split, country_code, currency_and_factor,
};
pub use validate::{DroppedRow, FlaggedRow, JUMP_FACTOR, ValidationReport, validate_rows};

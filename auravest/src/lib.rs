//! # AuraVest
//!
//! An embeddable SDK for AI-assisted personal investing. This crate is the
//! front door: it re-exports the AuraVest crates behind features, so one
//! dependency gives an app the whole product, or just the parts it needs.
//!
//! | module | crate | feature | what it holds |
//! | --- | --- | --- | --- |
//! | [`core`] | `auravest-core` | always | symbols, exact money, transactions, the portfolio ledger, valuation, returns, statistics |
//! | `risk` | `auravest-risk` | `risk` (default) | the risk questionnaire, scoring, categories and model allocations |
//! | `optimize` | `auravest-optimize` | `optimize` (default) | expected returns, risk models, mean-variance, HRP, Black-Litterman, CVaR, the recommendation |
//! | `bias` | `auravest-bias` | `bias` (default) | behavioural nudges with evidence, goals, badges, the advice guard |
//! | `social` | `auravest-social` | `social` | the community's rules: aliases, posts, feeds, moderation, privacy |
//! | `market` | `auravest-market` | `market` | delayed quotes and daily history from HTTP sources and files |
//! | `ai` | `auravest-ai` | `ai` (`ai-models` for the local models) | the grounded assistant |
//!
//! The default features are the pure crates: no network, no clock, no file
//! system, and they build for `wasm32-unknown-unknown`. `full` turns on
//! everything.
//!
//! ## A tour, in the order a user meets the product
//!
//! **1. A portfolio entered by hand, valued at prices.** Dates are
//! parameters, money is exact:
//!
//! ```
//! use auravest::core::{Currency, NaiveDate, Portfolio, PriceFrame, io};
//!
//! let today: NaiveDate = "2024-01-10".parse()?;
//! let mut portfolio = Portfolio::new(Currency::USD, today);
//! let csv = "date,type,symbol,quantity,price,fee,currency\n\
//!            2024-01-02,deposit,,,10000,0,USD\n\
//!            2024-01-02,buy,VTI,20,230,0,USD\n\
//!            2024-01-02,buy,AAPL,10,185,1,USD\n";
//! portfolio.import(io::read_transactions_csv(csv.as_bytes())?, false)?;
//! let prices = PriceFrame::from_csv(
//!     "date,VTI,AAPL\n2024-01-02,230,185\n2024-01-09,234,186\n".as_bytes(),
//! )?;
//! let valuation = portfolio.valuation(&prices, today)?;
//! assert_eq!(valuation.positions.len(), 2);
//! assert!(valuation.cash > auravest::core::Decimal::ZERO);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **2. A risk profile** from the questionnaire's answers sets the
//! stock/bond/cash split:
//!
//! ```
//! # #[cfg(feature = "risk")] {
//! use auravest::risk::RiskCategory;
//!
//! let split = RiskCategory::Moderate.allocation();
//! assert!((split.stocks + split.bonds + split.cash - 1.0).abs() < 1e-12);
//! # }
//! ```
//!
//! **3. A recommendation and the nudges agree.** The recommendation is
//! built under the nudges' own limits (`auravest::bias::Config`), so it never
//! proposes what a nudge would flag:
//!
//! ```
//! # #[cfg(all(feature = "optimize", feature = "bias"))] {
//! use auravest::core::{InstrumentTable, PriceFrame};
//! use auravest::optimize::{AdviceOptions, recommend};
//! use auravest::risk::RiskCategory;
//!
//! // Daily closes of two single stocks and a broad fund.
//! let mut csv = String::from("date,AAPL,XOM,VTI\n");
//! let mut day = auravest::core::NaiveDate::from_ymd_opt(2023, 1, 2).unwrap();
//! for i in 0..300 {
//!     let t = i as f64;
//!     csv.push_str(&format!(
//!         "{day},{:.4},{:.4},{:.4}\n",
//!         150.0 + 10.0 * (t / 9.0).sin() + 0.05 * t,
//!         100.0 + 6.0 * (t / 7.0).cos() + 0.02 * t,
//!         200.0 + 4.0 * (t / 11.0).sin() + 0.04 * t,
//!     ));
//!     day = day.succ_opt().unwrap();
//! }
//! let prices = PriceFrame::from_csv(csv.as_bytes()).unwrap();
//! let options = AdviceOptions::default();
//! let rec = recommend(RiskCategory::Growth, &prices, &InstrumentTable::shipped(), &options).unwrap();
//! let limit = options.limits.concentration.single_holding;
//! assert!(rec.weights.get("AAPL").copied().unwrap_or(0.0) < limit);
//! let (low, high) = rec.expected_return_range;
//! assert!(low < high && rec.basis.contains("past prices"));
//! # }
//! ```
//!
//! **4. Market data** (feature `market`): `auravest::market::SourceSpec`
//! builds the fallback chain of Yahoo, Alpha Vantage, Stooq and local files,
//! with validation, caching and circuit breakers.
//!
//! **5. The assistant** (feature `ai`): answers from a versioned knowledge
//! base and read-only tools, with citations, guardrails, metering and audit.
//!
//! **6. The community** (feature `social`): pseudonymous posts where
//! performance is shared only in percentages.
//!
//! Each module's own documentation starts with a quickstart of its own.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[doc(inline)]
pub use auravest_core as core;

#[cfg(feature = "risk")]
#[doc(inline)]
pub use auravest_risk as risk;

#[cfg(feature = "optimize")]
#[doc(inline)]
pub use auravest_optimize as optimize;

#[cfg(feature = "bias")]
#[doc(inline)]
pub use auravest_bias as bias;

#[cfg(feature = "social")]
#[doc(inline)]
pub use auravest_social as social;

#[cfg(feature = "market")]
#[doc(inline)]
pub use auravest_market as market;

#[cfg(feature = "ai")]
#[doc(inline)]
pub use auravest_ai as ai;

/// The crate's version, for an embedding app's about screen.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

//! # auravest-core
//!
//! The domain model of AuraVest: validated [`Symbol`]s and [`Currency`]
//! codes, exact [`Money`], [`Transaction`]s, the [`Portfolio`] ledger (FIFO
//! lots, realised and unrealised P&L, cash), [`Valuation`] at given prices,
//! daily [`ValueSeries`] with time- and money-weighted returns, daily price
//! data ([`PriceFrame`]) and [`PerformanceStats`] that match empyrical.
//!
//! Money and quantities are [`rust_decimal::Decimal`]; statistics are `f64`.
//! This crate does no I/O: readers and writers take any `Read`/`Write`.
//!
//! ```
//! use auravest_core::{io, Currency, Portfolio, PriceFrame};
//!
//! let tx = "date,type,symbol,quantity,price,fee,currency\n\
//!           2024-01-02,deposit,,,2000,0,USD\n\
//!           2024-01-02,buy,AAPL,10,100,0,USD\n";
//! let prices = PriceFrame::from_csv("date,AAPL\n2024-01-02,100\n2024-01-03,110\n".as_bytes())?;
//!
//! // Trades dated after `today` are refused; the caller owns the clock.
//! let today = "2024-01-03".parse().unwrap();
//! let mut portfolio = Portfolio::new(Currency::USD, today);
//! portfolio.import(io::read_transactions_csv(tx.as_bytes())?, false)?;
//!
//! let valuation = portfolio.valuation(&prices, "2024-01-03".parse().unwrap())?;
//! assert_eq!(valuation.value.to_string(), "2100"); // 10 x 110 + 1000 cash
//! assert_eq!(valuation.positions[0].unrealized_pnl.to_string(), "100");
//!
//! let twr = portfolio.time_weighted_return(&prices, "2024-01-02".parse().unwrap(), "2024-01-03".parse().unwrap())?;
//! assert!((twr - 0.05).abs() < 1e-12);
//! # Ok::<(), auravest_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod change;
mod currency;
mod dates;
mod error;
mod instrument;
pub mod io;
mod money;
mod net_worth;
mod performance;
mod portfolio;
mod prices;
mod range;
mod report;
pub mod stats;
#[cfg(feature = "proptest")]
pub mod strategies;
mod symbol;
mod trade_prices;
mod transaction;
mod valuation;

pub use change::PriceChange;
pub use currency::Currency;
pub use dates::{HISTORY_SLACK_DAYS, MAX_DATE, MIN_DATE, check_date, history_days, parse_date};
pub use error::{Error, Result, RowError, shown};
pub use instrument::{AssetClass, Classification, Instrument, InstrumentTable};
pub use money::{
    MAX_INPUT, MAX_POSITION_QUANTITY, MAX_SCALE, MAX_SPLIT_RATIO, MIN_SPLIT_RATIO, Money, Price,
    Quantity, checked_mul, parse_decimal,
};
pub use net_worth::NetWorth;
pub use performance::{
    BenchmarkReturn, PERFORMANCE_BASIS, PerformanceOptions, PerformanceReport, ValuePoint,
    ValueSeries, xirr,
};
pub use portfolio::{
    CashFlow, DEFAULT_HISTORY_DAYS, Holdings, ImportReport, Lot, MAX_IMPORT_RESTARTS, Portfolio,
    Position,
};
pub use prices::{PriceFrame, PriceSeries};
pub use range::Range;
pub use report::{CASH_KEY, UNCLASSIFIED, ValuationReport};
pub use stats::{
    DatedSeries, Drawdown, PerformanceStats, Returns, SeriesKind, SeriesStats, StatsOptions,
    series_stats,
};
pub use symbol::{MAX_SYMBOL_LEN, Symbol};
pub use trade_prices::OwnPrice;
pub use transaction::{Transaction, TransactionKind, TransactionRecord, TransactionType};
pub use valuation::{PositionValue, Valuation, price_decimal, value_holdings};

/// Re-exported so callers use the same date type.
pub use chrono::NaiveDate;

/// The notice every insight and recommendation carries.
pub const DISCLAIMER: &str = "AuraVest is not a registered investment adviser; the information is for education only and is not financial advice.";

/// The short form of [`DISCLAIMER`] that ends every generated answer (the
/// full notice sits beside it on every screen that shows one). Both live
/// here so they cannot drift apart.
pub const AI_DISCLAIMER: &str = "AI-generated, for education only, not financial advice.";
/// Re-exported so callers use the same decimal type.
pub use rust_decimal::Decimal;

//! # auravest-optimize
//!
//! Portfolio optimisation for AuraVest, matching PyPortfolioOpt where it is
//! right and going past it where its users build things by hand.
//!
//! * [`returns`]: the return matrix from a price frame, with missing data kept
//!   as such ([`MissingData`] policy).
//! * [`expected_returns`]: mean historical (geometric, arithmetic), EMA, CAPM.
//! * [`risk_models`]: sample, semi-, exponentially weighted covariance,
//!   Ledoit-Wolf (three targets), OAS, fixed shrinkage, PSD check and repair.
//! * [`hrp`]: hierarchical risk parity (SciPy-compatible clustering, four
//!   linkages), inverse volatility, equal weight.
//! * [`black_litterman`]: market-implied prior and risk aversion, views,
//!   Idzorek confidences, posterior returns and covariance.
//! * [`allocation`]: whole shares for a cash amount (greedy and exact),
//!   rebalancing with a fee per trade.
//! * [`mean_variance`]: minimum volatility, maximum Sharpe, efficient risk
//!   and return, quadratic utility and the frontier, with bounds, sector and
//!   linear constraints, long-short, L2, turnover costs and cardinality; an
//!   exact active-set method for long-only problems, Clarabel for the rest.
//! * [`tail_risk`]: CVaR and CDaR linear programmes.
//! * [`objectives`]: the objective terms evaluated at given weights.
//! * [`risk_parity`](mod@risk_parity): risk budgeting, risk contributions, maximum diversification.
//! * [`request`]: one typed request for every objective ([`OptimizeRequest`]),
//!   with PyPortfolioOpt's compatibility rules in one place.
//! * [`profile`]: the recommendation pipeline (prices → James-Stein means and
//!   Ledoit-Wolf covariance → the risk category's split, each sleeve on the
//!   frontier within the nudges' diversification limits) and the trades
//!   toward it.
//!
//! ```
//! use auravest_core::PriceFrame;
//! use auravest_optimize::{MeanVariance, MissingData, ReturnMatrix};
//! use auravest_optimize::{expected_returns::mean_historical, risk_models::sample_cov};
//!
//! let csv = "date,A,B,C\n2024-01-02,10,20,30\n2024-01-03,10.2,19.8,30.3\n\
//!            2024-01-04,10.1,20.4,30.1\n2024-01-05,10.4,20.1,30.6\n2024-01-08,10.6,20.5,30.2\n";
//! let returns = ReturnMatrix::from_prices(&PriceFrame::from_csv(csv.as_bytes())?)?;
//! let mu = mean_historical(&returns, true)?;
//! let cov = sample_cov(&returns, MissingData::Pairwise)?;
//! let best = MeanVariance::new(mu, cov)?.max_sharpe(0.02)?;
//! assert!((best.weights.values().sum() - 1.0).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Pure: no I/O and no global state. The large matrix products (the
//! covariance estimators' `X'X`, the definiteness test's trailing updates)
//! share their work over up to [`max_threads`] scoped threads, joined
//! before the call returns, and only when there is enough work to pay for
//! them; the result is the same to the bit on any thread count.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod allocation;
pub mod black_litterman;
mod conic;
mod critical_line;
mod error;
pub mod expected_returns;
pub mod hrp;
mod linalg;
pub mod mean_variance;
pub mod objectives;
pub mod profile;
mod qp;
pub mod request;
pub mod returns;
pub mod risk_models;
pub mod risk_parity;
pub mod tail_risk;
mod types;

pub use allocation::Allocation;
pub use black_litterman::{BlackLitterman, Views};
pub use error::{Error, Result};
pub use hrp::{Hrp, Linkage};
pub use linalg::max_threads;
pub use mean_variance::{LinearConstraint, MAX_FRONTIER_POINTS, MeanVariance, Relation, Solution};
pub use profile::{
    AdviceOptions, CASH, Gap, GapKind, RebalancePlan, Recommendation, ReturnEstimate,
    rebalance_toward, recommend,
};
pub use request::{Objective, OptimizeRequest, Optimized};
pub use returns::{MissingData, ReturnMatrix};
pub use risk_parity::{
    diversification_ratio, max_diversification, risk_budgeting, risk_contributions, risk_parity,
};
pub use tail_risk::{TailMeasure, TailRiskSolution, min_tail_risk};
pub use types::{CovarianceMatrix, ExpectedReturns, Performance, Weights, portfolio_performance};

/// Periods a year used to annualise daily figures.
pub const PERIODS_PER_YEAR: f64 = 252.0;

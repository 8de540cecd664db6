//! The one error type of `auravest-optimize`.
//!
//! Every variant says what to change: an infeasible target names the highest
//! reachable one, bounds that cannot sum to 1 give their sums, and so on.

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in estimation or optimisation.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A ticker has fewer observations than the estimator needs.
    #[error("{ticker} has {got} return observations; at least {needed} are needed")]
    InsufficientHistory {
        /// The ticker.
        ticker: String,
        /// Observations needed.
        needed: usize,
        /// Observations available.
        got: usize,
    },
    /// Fewer observations than assets: the sample covariance is singular.
    #[error(
        "{observations} observations for {assets} assets: the covariance is singular; use more history, fewer assets, or a shrinkage estimator (ledoit-wolf, oas)"
    )]
    TooFewObservations {
        /// Rows of returns used.
        observations: usize,
        /// Number of assets.
        assets: usize,
    },
    /// A matrix or vector holds NaN or infinity.
    #[error("{what} contains a non-finite value at {index}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Where (row, column as text).
        index: String,
    },
    /// The covariance matrix is not symmetric positive semidefinite.
    #[error(
        "the covariance matrix is not positive semidefinite (smallest eigenvalue {min_eigenvalue:e}); repair it with fix_psd (spectral or nearest-correlation) or use a shrinkage estimator"
    )]
    NotPositiveSemiDefinite {
        /// The smallest eigenvalue found.
        min_eigenvalue: f64,
    },
    /// The covariance matrix is not symmetric.
    #[error("the covariance matrix is not symmetric at ({row}, {col})")]
    NotSymmetric {
        /// Row of the first asymmetric entry.
        row: usize,
        /// Column of the first asymmetric entry.
        col: usize,
    },
    /// Inputs of different sizes or tickers were combined.
    #[error("dimension mismatch: {what}")]
    DimensionMismatch {
        /// What did not match.
        what: String,
    },
    /// A ticker was named that the inputs do not hold.
    #[error("unknown ticker {0:?}")]
    UnknownTicker(String),
    /// Per-asset bounds cannot add up to 1 (or to the required net exposure).
    #[error(
        "weight bounds cannot sum to {target}: the lower bounds sum to {sum_lower} and the upper bounds to {sum_upper}; widen the bounds"
    )]
    InfeasibleBounds {
        /// Sum of lower bounds.
        sum_lower: f64,
        /// Sum of upper bounds.
        sum_upper: f64,
        /// The required sum of weights.
        target: f64,
    },
    /// A target return above what any portfolio within the constraints reaches.
    #[error(
        "target return {target} is not reachable: the highest return within the constraints is {max}; choose a target at or below it"
    )]
    TargetReturnUnreachable {
        /// The requested target.
        target: f64,
        /// The highest reachable return.
        max: f64,
    },
    /// A target volatility below the minimum-volatility portfolio's.
    #[error(
        "target volatility {target} is not reachable: the minimum volatility within the constraints is {min}; choose a target at or above it"
    )]
    TargetVolatilityUnreachable {
        /// The requested target.
        target: f64,
        /// The lowest reachable volatility.
        min: f64,
    },
    /// Maximum Sharpe needs an asset whose expected return beats the risk-free rate.
    #[error(
        "maximum Sharpe is undefined: every expected return (the highest is {max_return}) is at or below the risk-free rate {risk_free_rate}; lower the risk-free rate or use min-volatility"
    )]
    NoReturnAboveRiskFree {
        /// The highest expected return.
        max_return: f64,
        /// The risk-free rate.
        risk_free_rate: f64,
    },
    /// The constraints admit no portfolio.
    #[error("the constraints admit no portfolio: {reason}")]
    Infeasible {
        /// Which constraints conflict.
        reason: String,
    },
    /// The diversification limits cannot be met with the series given.
    #[error("cannot respect the diversification limits: {reason}")]
    Undiversifiable {
        /// What is missing, naming what to add.
        reason: String,
    },
    /// A parameter is out of its range.
    #[error("{name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The numerical solver did not converge.
    #[error(
        "the solver stopped without a solution ({status}); try --clean inputs, a shrinkage covariance, or looser constraints"
    )]
    Solver {
        /// The solver's status.
        status: String,
    },
    /// An error from the price data.
    #[error(transparent)]
    Core(#[from] auravest_core::Error),
}

impl Error {
    /// The variant's name in snake_case (`invalid_field`, `oversold`, ...):
    /// a stable code for bindings and clients to branch on.
    /// A wrapped `auravest-core` error answers with its own kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InsufficientHistory { .. } => "insufficient_history",
            Self::TooFewObservations { .. } => "too_few_observations",
            Self::NonFinite { .. } => "non_finite",
            Self::NotPositiveSemiDefinite { .. } => "not_positive_semi_definite",
            Self::NotSymmetric { .. } => "not_symmetric",
            Self::DimensionMismatch { .. } => "dimension_mismatch",
            Self::UnknownTicker(..) => "unknown_ticker",
            Self::InfeasibleBounds { .. } => "infeasible_bounds",
            Self::TargetReturnUnreachable { .. } => "target_return_unreachable",
            Self::TargetVolatilityUnreachable { .. } => "target_volatility_unreachable",
            Self::NoReturnAboveRiskFree { .. } => "no_return_above_risk_free",
            Self::Infeasible { .. } => "infeasible",
            Self::Undiversifiable { .. } => "undiversifiable",
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::Solver { .. } => "solver",
            Self::Core(e) => e.kind(),
        }
    }

    /// The input this error is about, when it names one: the parameter out
    /// of range, `ticker` for an unknown ticker, or the price data's field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidParameter { name, .. } => Some(name),
            Self::UnknownTicker(_) => Some("ticker"),
            Self::Core(e) => e.field(),
            _ => None,
        }
    }
}

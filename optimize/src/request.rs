//! One typed request for every optimiser: estimates from prices, the
//! objective, and the weights with their performance.
//!
//! ```
//! use auravest_core::PriceFrame;
//! use auravest_optimize::request::{Objective, OptimizeRequest};
//!
//! let csv = "date,A,B,C\n2024-01-02,10,20,30\n2024-01-03,10.2,19.8,30.3\n\
//!            2024-01-04,10.1,20.4,30.1\n2024-01-05,10.4,20.1,30.6\n2024-01-08,10.6,20.5,30.2\n";
//! let prices = PriceFrame::from_csv(csv.as_bytes())?;
//! let out = OptimizeRequest::new(Objective::MinVolatility).solve(&prices)?;
//! assert!((out.weights.values().sum() - 1.0).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The command line's `auravest optimize` and `frontier`, the server and the
//! bindings all go through [`OptimizeRequest::solve`] and
//! [`OptimizeRequest::frontier`], so an objective means the same everywhere.
//!
//! # PyPortfolioOpt compatibility
//!
//! [`Compat::PyPortfolioOpt`] reproduces PyPortfolioOpt 1.6 exactly, warts
//! included: missing returns are zero-filled in the shrinkage estimators
//! ([`MissingData::PyPortfolioOpt`]), CAPM uses a zero risk-free rate
//! whatever the Sharpe rate is, and HRP reports HRPOpt's own arithmetic
//! performance figures. [`Compat::Native`] (the default) keeps missing data
//! pairwise and uses one risk-free rate throughout.

use auravest_core::PriceFrame;

use crate::expected_returns::ExpectedReturnsMethod;
use crate::hrp::{Hrp, Linkage, equal_weight, inverse_volatility};
use crate::risk_models::Estimator;
use crate::{
    CovarianceMatrix, Error, ExpectedReturns, MeanVariance, MissingData, Performance, Result,
    ReturnMatrix, Solution, TailMeasure, Weights, min_tail_risk, portfolio_performance,
    risk_parity,
};

/// What to optimise.
///
/// With serde, a unit variant is its snake-case name (`"max_sharpe"`) and a
/// variant with parameters a one-key map
/// (`{"efficient_risk": {"target_volatility": 0.2}}`); `target_return` of
/// the tail-risk objectives may be left out.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Objective {
    /// Highest Sharpe ratio.
    MaxSharpe,
    /// Lowest volatility.
    MinVolatility,
    /// Highest return at this annual volatility.
    EfficientRisk {
        /// Target annual volatility.
        target_volatility: f64,
    },
    /// Lowest volatility at this annual return.
    EfficientReturn {
        /// Target annual return.
        target_return: f64,
    },
    /// Highest `w·μ − δ/2 · w'Σw`.
    MaxUtility {
        /// Risk aversion δ (PyPortfolioOpt's default is 1).
        risk_aversion: f64,
    },
    /// Hierarchical risk parity (single linkage, as PyPortfolioOpt).
    Hrp,
    /// Equal risk contributions.
    RiskParity,
    /// Weights proportional to 1 / volatility.
    InverseVolatility,
    /// 1/n each.
    EqualWeight,
    /// Lowest conditional value at risk (95%), optionally at a target return.
    MinCvar {
        /// Target annual return, if any.
        #[serde(default)]
        target_return: Option<f64>,
    },
    /// Lowest conditional drawdown at risk (95%), optionally at a target return.
    MinCdar {
        /// Target annual return, if any.
        #[serde(default)]
        target_return: Option<f64>,
    },
}

impl Objective {
    /// Whether the objective runs on the mean-variance optimiser (and so
    /// honours [`OptimizeRequest::max_holdings`]).
    pub fn is_mean_variance(&self) -> bool {
        matches!(
            self,
            Self::MaxSharpe
                | Self::MinVolatility
                | Self::EfficientRisk { .. }
                | Self::EfficientReturn { .. }
                | Self::MaxUtility { .. }
        )
    }
}

/// Which behaviour to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// AuraVest's own rules (pairwise missing data, one risk-free rate).
    #[default]
    Native,
    /// PyPortfolioOpt 1.6, exactly (see the module docs).
    PyPortfolioOpt,
}

/// How to tidy the weights afterwards (PyPortfolioOpt's `clean_weights`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clean {
    /// Weights below this (in absolute value) become 0. Default 1e-4.
    pub cutoff: f64,
    /// Decimals kept. Default 5.
    pub decimals: i32,
}

impl Default for Clean {
    fn default() -> Self {
        Self {
            cutoff: 1e-4,
            decimals: 5,
        }
    }
}

/// An optimisation: the estimators, the constraints and the objective.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeRequest {
    /// What to optimise.
    pub objective: Objective,
    /// Expected-returns model. Default: mean historical (geometric).
    pub returns: ExpectedReturnsMethod,
    /// Risk model. Default: sample covariance.
    pub risk_model: Estimator,
    /// Annual risk-free rate for Sharpe ratios (and CAPM). Default 0.02.
    pub risk_free_rate: f64,
    /// Weight bounds per asset `(low, high)`. Default `(0, 1)`; a negative
    /// low allows shorts.
    pub bounds: (f64, f64),
    /// Hold at most this many assets (mean-variance objectives only).
    pub max_holdings: Option<usize>,
    /// Tidy the weights afterwards. Default none.
    pub clean: Option<Clean>,
    /// Which behaviour to match. Default native.
    pub compat: Compat,
}

impl OptimizeRequest {
    /// A request for `objective` with every other setting at its default.
    pub fn new(objective: Objective) -> Self {
        Self {
            objective,
            returns: ExpectedReturnsMethod::default(),
            risk_model: Estimator::default(),
            risk_free_rate: 0.02,
            bounds: (0.0, 1.0),
            max_holdings: None,
            clean: None,
            compat: Compat::default(),
        }
    }

    fn check(&self) -> Result<()> {
        let rf = self.risk_free_rate;
        if !rf.is_finite() {
            return Err(Error::InvalidParameter {
                name: "risk_free_rate",
                reason: format!("must be a finite number, got {rf}"),
            });
        }
        let (lo, hi) = self.bounds;
        if !(lo.is_finite() && hi.is_finite()) || lo > hi {
            return Err(Error::InvalidParameter {
                name: "bounds",
                reason: format!(
                    "low must not exceed high and both must be finite, got ({lo}, {hi})"
                ),
            });
        }
        if self.max_holdings.is_some() && !self.objective.is_mean_variance() {
            return Err(Error::InvalidParameter {
                name: "max_holdings",
                reason: "applies to the mean-variance objectives only".to_owned(),
            });
        }
        Ok(())
    }

    /// The estimates this request uses, from daily closes.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite risk-free rate or bad
    /// bounds; the estimators' errors.
    pub fn estimates(&self, prices: &PriceFrame) -> Result<Estimates> {
        self.check()?;
        let policy = match self.compat {
            Compat::PyPortfolioOpt => MissingData::PyPortfolioOpt,
            Compat::Native => MissingData::Pairwise,
        };
        let returns = ReturnMatrix::from_prices(prices)?;
        let capm_rf = match self.compat {
            Compat::PyPortfolioOpt => 0.0,
            Compat::Native => self.risk_free_rate,
        };
        let mu = self.returns.estimate(&returns, None, capm_rf)?;
        let cov = self.risk_model.estimate(&returns, policy)?;
        let sample = if self.risk_model == Estimator::Sample {
            cov.clone()
        } else {
            Estimator::Sample.estimate(&returns, policy)?
        };
        Ok(Estimates {
            returns,
            mu,
            cov,
            sample,
            policy,
        })
    }

    fn mean_variance(&self, e: &Estimates) -> Result<MeanVariance> {
        let mut mv =
            MeanVariance::new(e.mu.clone(), e.cov.clone())?.bounds(self.bounds.0, self.bounds.1)?;
        if let Some(k) = self.max_holdings {
            mv = mv.max_holdings(k)?;
        }
        Ok(mv)
    }

    /// Solves the request on daily closes.
    ///
    /// Performance is reported under the request's expected returns and the
    /// sample covariance for the objectives that do not optimise a
    /// covariance of their own (risk parity, HRP, inverse volatility, equal
    /// weight, CVaR, CDaR), as PyPortfolioOpt does.
    ///
    /// # Errors
    /// As [`OptimizeRequest::estimates`], and the optimiser's errors
    /// (unreachable targets, infeasible bounds, ...).
    pub fn solve(&self, prices: &PriceFrame) -> Result<Optimized> {
        let e = self.estimates(prices)?;
        self.solve_with(&e)
    }

    /// Solves the request on estimates already made (see
    /// [`OptimizeRequest::estimates`]).
    ///
    /// # Errors
    /// As [`OptimizeRequest::solve`].
    pub fn solve_with(&self, e: &Estimates) -> Result<Optimized> {
        self.check()?;
        let rf = self.risk_free_rate;
        let mut tail_risk = None;
        let from = |s: Solution| (s.weights, s.performance, s.method);
        let (weights, performance, method) = match self.objective {
            Objective::MaxSharpe => from(self.mean_variance(e)?.max_sharpe(rf)?),
            Objective::MinVolatility => from(self.mean_variance(e)?.min_volatility(rf)?),
            Objective::EfficientRisk { target_volatility } => from(
                self.mean_variance(e)?
                    .efficient_risk(target_volatility, rf)?,
            ),
            Objective::EfficientReturn { target_return } => {
                from(self.mean_variance(e)?.efficient_return(target_return, rf)?)
            }
            Objective::MaxUtility { risk_aversion } => from(
                self.mean_variance(e)?
                    .max_quadratic_utility(risk_aversion, rf)?,
            ),
            Objective::RiskParity => {
                let w = risk_parity(&e.cov)?;
                let p = portfolio_performance(&w, &e.mu, &e.sample, rf)?;
                (w, p, "risk-parity")
            }
            Objective::Hrp => {
                let hrp = Hrp::from_returns(&e.returns, Linkage::Single)?;
                let p = if self.compat == Compat::PyPortfolioOpt {
                    hrp.performance(rf)?
                } else {
                    portfolio_performance(hrp.weights(), &e.mu, &e.sample, rf)?
                };
                (hrp.weights().clone(), p, "hrp")
            }
            Objective::InverseVolatility => {
                let w = inverse_volatility(&e.cov)?;
                let p = portfolio_performance(&w, &e.mu, &e.sample, rf)?;
                (w, p, "inverse-volatility")
            }
            Objective::EqualWeight => {
                let w = equal_weight(e.mu.tickers())?;
                let p = portfolio_performance(&w, &e.mu, &e.sample, rf)?;
                (w, p, "equal-weight")
            }
            Objective::MinCvar { target_return } | Objective::MinCdar { target_return } => {
                let measure = if matches!(self.objective, Objective::MinCvar { .. }) {
                    TailMeasure::Cvar
                } else {
                    TailMeasure::Cdar
                };
                let s =
                    min_tail_risk(measure, &e.returns, &e.mu, 0.95, self.bounds, target_return)?;
                tail_risk = Some((measure, s.risk));
                let p = portfolio_performance(&s.weights, &e.mu, &e.sample, rf)?;
                (s.weights, p, "tail-risk")
            }
        };
        let weights = match self.clean {
            Some(c) => weights.cleaned(c.cutoff, c.decimals),
            None => weights,
        };
        Ok(Optimized {
            weights,
            performance,
            tail_risk,
            method,
        })
    }

    /// `points` portfolios along the efficient frontier (mean-variance,
    /// within the request's bounds), from minimum volatility to maximum
    /// return.
    ///
    /// # Errors
    /// As [`OptimizeRequest::estimates`]; [`Error::InvalidParameter`] for
    /// fewer than 2 points.
    pub fn frontier(&self, prices: &PriceFrame, points: usize) -> Result<Vec<Solution>> {
        let e = self.estimates(prices)?;
        self.mean_variance(&e)?
            .frontier(points, self.risk_free_rate)
    }
}

/// The estimates of a request (see [`OptimizeRequest::estimates`]).
#[derive(Debug, Clone)]
pub struct Estimates {
    /// Daily returns.
    pub returns: ReturnMatrix,
    /// Expected annual returns.
    pub mu: ExpectedReturns,
    /// The request's covariance.
    pub cov: CovarianceMatrix,
    /// The sample covariance (for reported performance).
    pub sample: CovarianceMatrix,
    /// The missing-data policy used.
    pub policy: MissingData,
}

/// A solved request.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimized {
    /// The weights, in ticker order.
    pub weights: Weights,
    /// Expected return, volatility and Sharpe (see [`OptimizeRequest::solve`]).
    pub performance: Performance,
    /// CVaR or CDaR of the tail-risk objectives.
    pub tail_risk: Option<(TailMeasure, f64)>,
    /// Which path solved it.
    pub method: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_read_from_names_and_maps() {
        let read = |s: &str| serde_json::from_str::<Objective>(s);
        assert_eq!(read(r#""max_sharpe""#).unwrap(), Objective::MaxSharpe);
        assert_eq!(read(r#""hrp""#).unwrap(), Objective::Hrp);
        assert_eq!(
            read(r#"{"efficient_risk": {"target_volatility": 0.2}}"#).unwrap(),
            Objective::EfficientRisk {
                target_volatility: 0.2
            }
        );
        assert_eq!(
            read(r#"{"min_cvar": {}}"#).unwrap(),
            Objective::MinCvar {
                target_return: None
            }
        );
        assert!(read(r#"{"efficient_return": {}}"#).is_err());
        assert!(read(r#""efficient_return""#).is_err());
        assert!(read(r#""sharpest""#).is_err());
        let back = serde_json::to_string(&Objective::MaxUtility { risk_aversion: 2.0 }).unwrap();
        assert_eq!(back, r#"{"max_utility":{"risk_aversion":2.0}}"#);
    }
}

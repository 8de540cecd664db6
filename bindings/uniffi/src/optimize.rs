//! The optimiser: one typed request for every objective, the efficient
//! frontier, and whole-share allocation.

use std::str::FromStr;
use std::sync::Arc;

use auravest_core::{Decimal, Symbol, price_decimal};
use auravest_optimize::allocation::{self, Method};
use auravest_optimize::request::{Clean, Compat};
use auravest_optimize::{OptimizeRequest, Weights};

use crate::errors::{AuraError, Outcome};
use crate::prices::{PriceTable, symbol};

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Enum)]
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
        /// Risk aversion δ.
        risk_aversion: f64,
    },
    /// Hierarchical risk parity.
    Hrp,
    /// Equal risk contributions.
    RiskParity,
    /// Weights proportional to 1 / volatility.
    InverseVolatility,
    /// 1/n each.
    EqualWeight,
    /// Lowest conditional value at risk (95%).
    MinCvar {
        /// Target annual return, if any.
        target_return: Option<f64>,
    },
    /// Lowest conditional drawdown at risk (95%).
    MinCdar {
        /// Target annual return, if any.
        target_return: Option<f64>,
    },
}

impl From<Objective> for auravest_optimize::Objective {
    fn from(o: Objective) -> Self {
        use Objective as O;
        match o {
            O::MaxSharpe => Self::MaxSharpe,
            O::MinVolatility => Self::MinVolatility,
            O::EfficientRisk { target_volatility } => Self::EfficientRisk { target_volatility },
            O::EfficientReturn { target_return } => Self::EfficientReturn { target_return },
            O::MaxUtility { risk_aversion } => Self::MaxUtility { risk_aversion },
            O::Hrp => Self::Hrp,
            O::RiskParity => Self::RiskParity,
            O::InverseVolatility => Self::InverseVolatility,
            O::EqualWeight => Self::EqualWeight,
            O::MinCvar { target_return } => Self::MinCvar { target_return },
            O::MinCdar { target_return } => Self::MinCdar { target_return },
        }
    }
}

/// Which behaviour to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CompatMode {
    /// AuraVest's own rules.
    Native,
    /// PyPortfolioOpt 1.6, exactly.
    PyPortfolioOpt,
}

/// Lowest and highest weight per asset (a negative low allows shorts).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct WeightBounds {
    /// Lowest weight.
    pub low: f64,
    /// Highest weight.
    pub high: f64,
}

/// An optimisation request; every `null` takes the SDK's default.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OptimizeOptions {
    /// What to optimise.
    pub objective: Objective,
    /// Expected-returns model by name (`mean`, `mean-arithmetic`, `ema`, `capm`).
    #[uniffi(default = None)]
    pub returns_model: Option<String>,
    /// Risk model by name (`sample`, `ledoit-wolf`, `oas`, `exp-cov`, ...).
    #[uniffi(default = None)]
    pub risk_model: Option<String>,
    /// Annual risk-free rate.
    #[uniffi(default = None)]
    pub risk_free_rate: Option<f64>,
    /// Weight bounds per asset.
    #[uniffi(default = None)]
    pub bounds: Option<WeightBounds>,
    /// Hold at most this many assets (mean-variance objectives).
    #[uniffi(default = None)]
    pub max_holdings: Option<u32>,
    /// Tidy the weights afterwards (PyPortfolioOpt's `clean_weights`).
    #[uniffi(default = false)]
    pub clean: bool,
    /// Which behaviour to match.
    #[uniffi(default = None)]
    pub compat: Option<CompatMode>,
}

/// The SDK's request for `o`.
fn request(o: OptimizeOptions) -> Outcome<OptimizeRequest> {
    let mut r = OptimizeRequest::new(o.objective.into());
    if let Some(name) = o.returns_model {
        r.returns = FromStr::from_str(&name).map_err(AuraError::from)?;
    }
    if let Some(name) = o.risk_model {
        r.risk_model = FromStr::from_str(&name).map_err(AuraError::from)?;
    }
    if let Some(rf) = o.risk_free_rate {
        r.risk_free_rate = rf;
    }
    if let Some(b) = o.bounds {
        r.bounds = (b.low, b.high);
    }
    if let Some(k) = o.max_holdings {
        r.max_holdings =
            Some(usize::try_from(k).map_err(|e| AuraError::argument("max_holdings", e))?);
    }
    if o.clean {
        r.clean = Some(Clean::default());
    }
    if let Some(c) = o.compat {
        r.compat = match c {
            CompatMode::Native => Compat::Native,
            CompatMode::PyPortfolioOpt => Compat::PyPortfolioOpt,
        };
    }
    Ok(r)
}

/// One asset's weight.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Weight {
    /// The symbol.
    pub symbol: String,
    /// Its weight.
    pub weight: f64,
}

/// Expected return, volatility and Sharpe ratio (annual).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct PortfolioPerformance {
    /// Expected annual return.
    pub expected_return: f64,
    /// Annual volatility.
    pub volatility: f64,
    /// Sharpe ratio.
    pub sharpe: Option<f64>,
}

impl From<auravest_optimize::Performance> for PortfolioPerformance {
    fn from(p: auravest_optimize::Performance) -> Self {
        Self {
            expected_return: p.expected_return,
            volatility: p.volatility,
            sharpe: p.sharpe,
        }
    }
}

/// An optimised portfolio.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Optimized {
    /// The weights, in the prices' column order.
    pub weights: Vec<Weight>,
    /// Its performance.
    pub performance: PortfolioPerformance,
    /// CVaR or CDaR of the tail-risk objectives.
    pub tail_risk: Option<f64>,
    /// Which path solved it.
    pub method: String,
}

fn weights_out(w: &Weights) -> Vec<Weight> {
    w.tickers()
        .iter()
        .zip(w.values().iter())
        .map(|(s, v)| Weight {
            symbol: s.to_string(),
            weight: *v,
        })
        .collect()
}

/// Optimises the portfolio of the prices' symbols.
#[uniffi::export]
pub fn optimize(prices: Arc<PriceTable>, options: OptimizeOptions) -> Outcome<Optimized> {
    let out = request(options)?.solve(&prices.frame)?;
    Ok(Optimized {
        weights: weights_out(&out.weights),
        performance: out.performance.into(),
        tail_risk: out.tail_risk.map(|(_, r)| r),
        method: out.method.to_owned(),
    })
}

/// One portfolio on the efficient frontier.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FrontierPoint {
    /// The weights.
    pub weights: Vec<Weight>,
    /// Its performance.
    pub performance: PortfolioPerformance,
}

/// `points` portfolios along the efficient frontier (within the request's
/// bounds), from minimum volatility to maximum return.
#[uniffi::export]
pub fn frontier(
    prices: Arc<PriceTable>,
    options: OptimizeOptions,
    points: u32,
) -> Outcome<Vec<FrontierPoint>> {
    let points = usize::try_from(points).map_err(|e| AuraError::argument("points", e))?;
    Ok(request(options)?
        .frontier(&prices.frame, points)?
        .into_iter()
        .map(|s| FrontierPoint {
            weights: weights_out(&s.weights),
            performance: s.performance.into(),
        })
        .collect())
}

/// How whole shares are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AllocationMethod {
    /// PyPortfolioOpt's greedy rounding.
    Greedy,
    /// The closest allocation (integer programme).
    Exact,
}

/// Whole shares of one symbol.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Shares {
    /// The symbol.
    pub symbol: String,
    /// Number of shares.
    pub shares: i64,
}

/// Whole shares to buy and the cash left.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ShareAllocation {
    /// Shares per symbol.
    pub shares: Vec<Shares>,
    /// Cash left over (decimal text).
    pub leftover: String,
}

/// Turns `weights` into whole shares at the prices' latest closes with
/// `cash` (decimal text) to spend.
#[uniffi::export]
pub fn allocate(
    weights: Vec<Weight>,
    prices: Arc<PriceTable>,
    cash: String,
    method: AllocationMethod,
) -> Outcome<ShareAllocation> {
    let (tickers, values): (Vec<Symbol>, Vec<f64>) = weights
        .into_iter()
        .map(|w| Ok((symbol(&w.symbol)?, w.weight)))
        .collect::<Outcome<Vec<_>>>()?
        .into_iter()
        .unzip();
    let weights = Weights::new(tickers, values)?;
    let cash = auravest_core::parse_decimal("cash", &cash)?;
    let cash: f64 = decimal_to_f64(&cash)
        .ok_or_else(|| AuraError::argument("cash", format!("{cash} is out of range")))?;
    let method = match method {
        AllocationMethod::Greedy => Method::Greedy,
        AllocationMethod::Exact => Method::Exact,
    };
    let latest = allocation::latest_prices(&prices.frame);
    let a = allocation::allocate(&weights, &latest, cash, method)?;
    let cash_symbol = symbol(auravest_core::CASH_KEY)?;
    Ok(ShareAllocation {
        shares: a
            .shares
            .into_iter()
            .map(|(s, n)| Shares {
                symbol: s.to_string(),
                shares: n,
            })
            .collect(),
        leftover: price_decimal(&cash_symbol, a.leftover)?.to_string(),
    })
}

fn decimal_to_f64(d: &Decimal) -> Option<f64> {
    f64::from_str(&d.to_string()).ok()
}

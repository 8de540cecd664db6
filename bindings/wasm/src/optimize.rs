//! The optimiser: one typed request for every objective, and the efficient
//! frontier.

use std::str::FromStr;

use auravest_optimize::request::{Clean, Compat};
use auravest_optimize::{OptimizeRequest, Weights};
use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::convert::{read, write};
use crate::errors::{Failure, Outcome};
use crate::prices::PriceTable;

/// What to optimise: `{ kind: "maxSharpe" }`, `{ kind: "efficientRisk",
/// targetVolatility: 0.15 }`, ...
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Tsify)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
// The unit-like variants are empty struct variants: serde lets an internally
// tagged unit variant carry any other key, which would hide a typo.
pub enum Objective {
    /// Highest Sharpe ratio.
    MaxSharpe {},
    /// Lowest volatility.
    MinVolatility {},
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
    Hrp {},
    /// Equal risk contributions.
    RiskParity {},
    /// Weights proportional to 1 / volatility.
    InverseVolatility {},
    /// 1/n each.
    EqualWeight {},
    /// Lowest conditional value at risk (95%).
    MinCvar {
        /// Target annual return, if any.
        #[serde(default)]
        #[tsify(optional)]
        target_return: Option<f64>,
    },
    /// Lowest conditional drawdown at risk (95%).
    MinCdar {
        /// Target annual return, if any.
        #[serde(default)]
        #[tsify(optional)]
        target_return: Option<f64>,
    },
}

impl From<Objective> for auravest_optimize::Objective {
    fn from(o: Objective) -> Self {
        use Objective as O;
        match o {
            O::MaxSharpe {} => Self::MaxSharpe,
            O::MinVolatility {} => Self::MinVolatility,
            O::EfficientRisk { target_volatility } => Self::EfficientRisk { target_volatility },
            O::EfficientReturn { target_return } => Self::EfficientReturn { target_return },
            O::MaxUtility { risk_aversion } => Self::MaxUtility { risk_aversion },
            O::Hrp {} => Self::Hrp,
            O::RiskParity {} => Self::RiskParity,
            O::InverseVolatility {} => Self::InverseVolatility,
            O::EqualWeight {} => Self::EqualWeight,
            O::MinCvar { target_return } => Self::MinCvar { target_return },
            O::MinCdar { target_return } => Self::MinCdar { target_return },
        }
    }
}

/// Which behaviour to match: AuraVest's own rules, or PyPortfolioOpt 1.6
/// exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub enum CompatMode {
    /// AuraVest's own rules.
    Native,
    /// PyPortfolioOpt 1.6.
    PyPortfolioOpt,
}

/// Lowest and highest weight per asset (a negative low allows shorts).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeightBounds {
    /// Lowest weight.
    pub low: f64,
    /// Highest weight.
    pub high: f64,
}

/// An optimisation request; an omitted field takes the SDK's default.
#[derive(Debug, Clone, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptimizeOptions {
    /// What to optimise.
    pub objective: Objective,
    /// Expected-returns model by name (`mean`, `mean-arithmetic`, `ema`, `capm`).
    #[serde(default)]
    #[tsify(optional)]
    pub returns_model: Option<String>,
    /// Risk model by name (`sample`, `ledoit-wolf`, `oas`, `exp-cov`, ...).
    #[serde(default)]
    #[tsify(optional)]
    pub risk_model: Option<String>,
    /// Annual risk-free rate.
    #[serde(default)]
    #[tsify(optional)]
    pub risk_free_rate: Option<f64>,
    /// Weight bounds per asset (a per-holding cap is `{ low: 0, high: cap }`).
    #[serde(default)]
    #[tsify(optional)]
    pub bounds: Option<WeightBounds>,
    /// Hold at most this many assets (mean-variance objectives).
    #[serde(default)]
    #[tsify(optional)]
    pub max_holdings: Option<usize>,
    /// Tidy the weights afterwards (PyPortfolioOpt's `clean_weights`).
    #[serde(default)]
    #[tsify(optional)]
    pub clean: Option<bool>,
    /// Which behaviour to match.
    #[serde(default)]
    #[tsify(optional)]
    pub compat: Option<CompatMode>,
}

/// The SDK's request for `o`.
fn request(o: OptimizeOptions) -> Outcome<OptimizeRequest> {
    let mut r = OptimizeRequest::new(o.objective.into());
    if let Some(name) = o.returns_model {
        r.returns = FromStr::from_str(&name).map_err(Failure::from)?;
    }
    if let Some(name) = o.risk_model {
        r.risk_model = FromStr::from_str(&name).map_err(Failure::from)?;
    }
    if let Some(rf) = o.risk_free_rate {
        r.risk_free_rate = rf;
    }
    if let Some(b) = o.bounds {
        r.bounds = (b.low, b.high);
    }
    r.max_holdings = o.max_holdings;
    if o.clean == Some(true) {
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
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Weight {
    /// The symbol.
    pub symbol: String,
    /// Its weight.
    pub weight: f64,
}

/// Expected return, volatility and Sharpe ratio (annual).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
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

/// One portfolio on the efficient frontier.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct FrontierPoint {
    /// The weights.
    pub weights: Vec<Weight>,
    /// Its performance.
    pub performance: PortfolioPerformance,
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
///
/// # Errors
/// `InvalidArgument` for options of the wrong shape (the path named);
/// the SDK's `InvalidParameter` (its field), `InfeasibleBounds`,
/// `TargetVolatilityUnreachable`, `InsufficientHistory` (its symbol), ...
#[wasm_bindgen(unchecked_return_type = "Optimized")]
pub fn optimize(
    prices: &PriceTable,
    #[wasm_bindgen(unchecked_param_type = "OptimizeOptions")] options: JsValue,
) -> Outcome<JsValue> {
    let out = request(read("options", options)?)?.solve(&prices.frame)?;
    write(&Optimized {
        weights: weights_out(&out.weights),
        performance: out.performance.into(),
        tail_risk: out.tail_risk.map(|(_, r)| r),
        method: out.method.to_owned(),
    })
}

/// `points` portfolios along the efficient frontier (within the request's
/// bounds), from minimum volatility to maximum return.
///
/// # Errors
/// As [`optimize`].
#[wasm_bindgen(unchecked_return_type = "FrontierPoint[]")]
pub fn frontier(
    prices: &PriceTable,
    #[wasm_bindgen(unchecked_param_type = "OptimizeOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] points: JsValue,
) -> Outcome<JsValue> {
    let points = read::<usize>("points", points)?;
    let points: Vec<FrontierPoint> = request(read("options", options)?)?
        .frontier(&prices.frame, points)?
        .into_iter()
        .map(|s| FrontierPoint {
            weights: weights_out(&s.weights),
            performance: s.performance.into(),
        })
        .collect();
    write(&points)
}

//! The optimiser: one typed request for every objective, the efficient
//! frontier, and whole-share allocation.

use std::str::FromStr;
use std::sync::Arc;

use auravest_core::{Decimal, InstrumentTable, Symbol, price_decimal};
use auravest_optimize::allocation::{self, Method, RebalanceOptions};
use auravest_optimize::black_litterman as bl;
use auravest_optimize::request::{Clean, Compat};
use auravest_optimize::{AdviceOptions, GapKind, OptimizeRequest, Weights, rebalance_toward};

use crate::errors::{AuraError, Outcome};
use crate::portfolio::Portfolio;
use crate::prices::{PriceTable, symbol};
use crate::risk::{Allocation, Category};

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

impl From<AllocationMethod> for Method {
    fn from(m: AllocationMethod) -> Self {
        match m {
            AllocationMethod::Greedy => Self::Greedy,
            AllocationMethod::Exact => Self::Exact,
        }
    }
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
    let cash = money_f64("cash", &cash)?;
    let latest = allocation::latest_prices(&prices.frame);
    let a = allocation::allocate(&weights, &latest, cash, method.into())?;
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

/// A money argument (decimal text, read by the SDK) as the float the
/// share allocation works in.
fn money_f64(field: &'static str, text: &str) -> Outcome<f64> {
    let d: Decimal = auravest_core::parse_decimal(field, text)?;
    f64::from_str(&d.to_string())
        .map_err(|_| AuraError::argument(field, format!("{d} is out of range")))
}

/// Settings of [`recommend`]; every `null` takes the SDK's default.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct RecommendOptions {
    /// Annual risk-free rate for Sharpe ratios.
    #[uniffi(default = None)]
    pub risk_free_rate: Option<f64>,
    /// Daily returns a series needs to be considered.
    #[uniffi(default = None)]
    pub min_observations: Option<u32>,
    /// Instrument metadata (the SDK's mapping CSV: symbol, class, sector,
    /// country, ...) over the table the SDK ships.
    #[uniffi(default = None)]
    pub instruments_csv: Option<String>,
}

/// Something the profile calls for that the priced universe lacks.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecommendationGap {
    /// What is missing (`bonds`, `international`).
    pub kind: String,
    /// The share of the portfolio affected.
    pub weight: f64,
    /// A sentence for the user, naming what to add.
    pub text: String,
}

/// A series the recommendation did not use, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeftOutSeries {
    /// The symbol.
    pub symbol: String,
    /// Why.
    pub reason: String,
}

/// A recommended portfolio for a risk category, with the reasons for it
/// (the SDK's `Recommendation`). Call `close()` (Kotlin) when done.
#[derive(Debug, uniffi::Object)]
pub struct Recommendation {
    inner: auravest_optimize::Recommendation,
}

/// The trades that move a portfolio toward a recommendation.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RebalancePlan {
    /// Shares to trade by symbol (negative: sell); unchanged ones left out.
    pub trades: Vec<Shares>,
    /// Cash after the trades (decimal text).
    pub target_cash: String,
    /// What the trades cost in fees (decimal text).
    pub fees: String,
}

/// Settings of [`Recommendation::rebalance`]; every `null` takes the
/// SDK's default.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RebalanceSettings {
    /// ISO valuation date (default: the prices' last date).
    #[uniffi(default = None)]
    pub as_of: Option<String>,
    /// How whole shares are chosen.
    #[uniffi(default = None)]
    pub method: Option<AllocationMethod>,
    /// The fee of one trade (decimal text).
    #[uniffi(default = None)]
    pub fee_per_trade: Option<String>,
}

/// The recommended portfolio for `category` from daily closes (the SDK's
/// `recommend`: James-Stein means, Ledoit-Wolf covariance, the category's
/// split, each sleeve within the nudges' limits).
#[uniffi::export]
pub fn recommend(
    category: Category,
    prices: Arc<PriceTable>,
    options: RecommendOptions,
) -> Outcome<Arc<Recommendation>> {
    let mut advice = AdviceOptions::default();
    if let Some(rf) = options.risk_free_rate {
        advice.risk_free_rate = rf;
    }
    if let Some(n) = options.min_observations {
        advice.min_observations =
            usize::try_from(n).map_err(|e| AuraError::argument("min_observations", e))?;
    }
    let table = match options.instruments_csv {
        Some(csv) => InstrumentTable::shipped().with_mapping_csv(csv.as_bytes())?,
        None => InstrumentTable::shipped(),
    };
    let inner = auravest_optimize::recommend(category.into(), &prices.frame, &table, &advice)?;
    Ok(Arc::new(Recommendation { inner }))
}

#[uniffi::export]
impl Recommendation {
    /// The category it was built for.
    pub fn category(&self) -> Category {
        self.inner.category.into()
    }

    /// Weight by symbol (cash included, zero weights left out).
    pub fn weights(&self) -> Vec<Weight> {
        self.inner
            .weights
            .iter()
            .map(|(s, w)| Weight {
                symbol: s.to_string(),
                weight: *w,
            })
            .collect()
    }

    /// The split of stocks, bonds and cash that was applied.
    pub fn allocation(&self) -> Allocation {
        self.inner.allocation.into()
    }

    /// Expected return (the estimate), volatility and Sharpe.
    pub fn performance(&self) -> PortfolioPerformance {
        self.inner.performance.into()
    }

    /// The estimate minus and plus one standard error of a mean.
    pub fn expected_return_range(&self) -> Vec<f64> {
        let (low, high) = self.inner.expected_return_range;
        vec![low, high]
    }

    /// Method and period, for display next to any figure.
    pub fn basis(&self) -> String {
        self.inner.basis.clone()
    }

    /// How much the means were pulled together (`null`: raw means).
    pub fn shrinkage(&self) -> Option<f64> {
        self.inner.shrinkage
    }

    /// What the universe lacks.
    pub fn gaps(&self) -> Vec<RecommendationGap> {
        self.inner
            .gaps
            .iter()
            .map(|g| RecommendationGap {
                kind: match g.kind {
                    GapKind::Bonds => "bonds",
                    GapKind::International => "international",
                }
                .to_owned(),
                weight: g.weight,
                text: g.text.clone(),
            })
            .collect()
    }

    /// Series not used, and why.
    pub fn left_out(&self) -> Vec<LeftOutSeries> {
        self.inner
            .left_out
            .iter()
            .map(|l| LeftOutSeries {
                symbol: l.ticker.to_string(),
                reason: l.reason.clone(),
            })
            .collect()
    }

    /// Plain-language reasons, one per decision.
    pub fn reasoning(&self) -> Vec<String> {
        self.inner.reasoning.clone()
    }

    /// The whole-share trades that move `portfolio` toward this
    /// recommendation (the SDK's `rebalance_toward`), valued on `prices`.
    pub fn rebalance(
        &self,
        portfolio: Arc<Portfolio>,
        prices: Arc<PriceTable>,
        settings: RebalanceSettings,
    ) -> Outcome<RebalancePlan> {
        let valuation = portfolio.sdk_valuation(&prices, settings.as_of.as_deref())?;
        let mut options = RebalanceOptions::default();
        if let Some(m) = settings.method {
            options.method = m.into();
        }
        if let Some(fee) = settings.fee_per_trade {
            options.fee_per_trade = money_f64("fee_per_trade", &fee)?;
        }
        let plan = rebalance_toward(&self.inner, &prices.frame, &valuation, &options)?;
        let cash = symbol(auravest_core::CASH_KEY)?;
        Ok(RebalancePlan {
            trades: plan
                .trades
                .into_iter()
                .map(|(s, n)| Shares {
                    symbol: s.to_string(),
                    shares: n,
                })
                .collect(),
            target_cash: price_decimal(&cash, plan.target_cash)?.to_string(),
            fees: price_decimal(&cash, plan.fees)?.to_string(),
        })
    }
}

/// One symbol's market capitalisation.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MarketCap {
    /// The symbol.
    pub symbol: String,
    /// Its market capitalisation.
    pub cap: f64,
}

/// Settings of [`black_litterman`]; every `null` takes the SDK's default.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct BlackLittermanSettings {
    /// Idzorek confidences in [0, 1], one per view (default: uncertainty
    /// proportional to the prior's).
    #[uniffi(default = None)]
    pub confidences: Option<Vec<f64>>,
    /// Risk aversion of the prior and the weights.
    #[uniffi(default = None)]
    pub risk_aversion: Option<f64>,
    /// The weight-on-views scalar tau.
    #[uniffi(default = None)]
    pub tau: Option<f64>,
    /// Annual risk-free rate added to the prior.
    #[uniffi(default = None)]
    pub risk_free_rate: Option<f64>,
    /// Risk model by name (`sample`, `ledoit-wolf`, ...).
    #[uniffi(default = None)]
    pub risk_model: Option<String>,
}

/// One symbol's expected annual return.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ExpectedReturn {
    /// The symbol.
    pub symbol: String,
    /// Its expected annual return.
    pub expected_return: f64,
}

fn returns_out(r: &auravest_optimize::ExpectedReturns) -> Vec<ExpectedReturn> {
    r.tickers()
        .iter()
        .zip(r.values().iter())
        .map(|(s, v)| ExpectedReturn {
            symbol: s.to_string(),
            expected_return: *v,
        })
        .collect()
}

/// A Black-Litterman posterior and its weights.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BlackLittermanResult {
    /// The market-implied prior returns.
    pub prior: Vec<ExpectedReturn>,
    /// The posterior returns under the views.
    pub posterior: Vec<ExpectedReturn>,
    /// The posterior's weights (unconstrained: shorts allowed).
    pub weights: Vec<Weight>,
}

/// Black-Litterman on daily closes (the SDK's
/// `black_litterman::from_prices`): the market-implied prior from the caps,
/// the absolute views, the posterior and its weights.
#[uniffi::export]
pub fn black_litterman(
    prices: Arc<PriceTable>,
    market_caps: Vec<MarketCap>,
    views: Vec<ExpectedReturn>,
    settings: BlackLittermanSettings,
) -> Outcome<BlackLittermanResult> {
    let caps = market_caps
        .iter()
        .map(|c| Ok((symbol(&c.symbol)?, c.cap)))
        .collect::<Outcome<_>>()?;
    let views = views
        .iter()
        .map(|v| Ok((symbol(&v.symbol)?, v.expected_return)))
        .collect::<Outcome<_>>()?;
    let mut request = bl::PriceRequest::new(caps, views);
    request.confidences = settings.confidences;
    if let Some(d) = settings.risk_aversion {
        request.risk_aversion = d;
    }
    if let Some(t) = settings.tau {
        request.tau = t;
    }
    if let Some(rf) = settings.risk_free_rate {
        request.risk_free_rate = rf;
    }
    if let Some(name) = settings.risk_model {
        request.risk_model = FromStr::from_str(&name).map_err(AuraError::from)?;
    }
    let answer = bl::from_prices(&prices.frame, &request)?;
    Ok(BlackLittermanResult {
        prior: returns_out(&answer.prior),
        posterior: returns_out(&answer.posterior),
        weights: weights_out(&answer.weights),
    })
}

//! From a risk profile and prices to a recommended portfolio, and the trades
//! that move a valuation toward it.
//!
//! [`recommend`] is the whole pipeline in one call: prices → daily returns →
//! robust estimates → an optimisation bounded by the nudges' own limits →
//! weights with the reasons for them. [`rebalance_toward`] turns the result
//! into whole shares to buy and sell.
//!
//! # Advice that holds together
//!
//! The recommendation is built under the same [`auravest_bias::Config`] the
//! nudges use ([`AdviceOptions::limits`]), so it never proposes a mix a nudge
//! would then flag:
//!
//! * **the profile's split is kept exactly**: stocks, bonds and cash at the
//!   category's model allocation, so the drift nudge has nothing to say;
//!   each sleeve is fully invested (no cash hidden inside a sleeve);
//! * **single holdings** (anything that is not a diversified fund, as
//!   [`auravest_bias::is_diversified_fund`] decides) stay below the
//!   single-holding limit and below `1 / min_effective_holdings`, so the
//!   Herfindahl check holds too;
//! * **the 5/10/40 rule**: single stocks together stay below
//!   `large_holdings_total`, and single bonds below `large_holding` each;
//! * **sectors** of single equities stay below the sector limit;
//! * **home bias**: when the universe holds foreign equity, the stock sleeve
//!   keeps at least [`auravest_bias::min_foreign_share`] of it abroad, by the
//!   same rule as the home-bias nudge ([`auravest_bias::equity_foreign_share`]);
//! * commodities, crypto, multi-asset and money-market funds are left out
//!   (the recommendation holds stocks, bonds and cash).
//!
//! What the universe cannot provide is reported, never papered over: without
//! a priced bond series the bond share waits in cash, and without a priced
//! foreign equity the home-bias floor cannot be met; each is a [`Gap`] with a
//! sentence for the user. Without any diversified fund the single-holding
//! limits may leave the stock share unfillable: that is
//! [`Error::Undiversifiable`], which names a broad fund to add.
//!
//! # Estimates
//!
//! Expected returns are James-Stein shrunk historical means
//! ([`crate::expected_returns::james_stein`]) by default, each sleeve toward
//! its own grand mean (bonds are never promised the stocks' average): a few
//! years of prices cannot tell a 45%-a-year stock from a lucky one. Covariance is
//! Ledoit-Wolf (constant variance target). The expected return is reported as
//! a range, the estimate plus and minus one standard error of a mean over the
//! years of prices used ([`Recommendation::expected_return_range`]), with the
//! method and period in [`Recommendation::basis`].
//!
//! # Volatility bands
//!
//! Inside the stock sleeve the optimiser takes the efficient mix at its
//! category's target volatility; when the limits make that target unreachable
//! it takes the nearest reachable mix and says so.
//!
//! | category | stock sleeve volatility band | target |
//! |---|---|---|
//! | Conservative | 8% – 12% | 10% |
//! | Moderately conservative | 11% – 15% | 13% |
//! | Moderate | 14% – 18% | 16% |
//! | Growth | 17% – 21% | 19% |
//! | Aggressive | 20% – 26% | 23% |
//!
//! The bond sleeve targets [`BOND_TARGET_VOLATILITY`]. The bands are our own
//! choice, to tune with users.

use std::collections::BTreeMap;

use auravest_bias::{Config as Limits, EquityShare};
use auravest_core::{
    AssetClass, Classification, Currency, Decimal, InstrumentTable, PositionValue, PriceFrame,
    Symbol, Valuation,
};
use auravest_risk::{ModelAllocation, RiskCategory};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::allocation::{RebalanceOptions, latest_prices};
use crate::expected_returns::{james_stein, mean_historical};
use crate::risk_models::{ShrinkageTarget, ledoit_wolf};
use crate::{
    CovarianceMatrix, Error, ExpectedReturns, MeanVariance, MissingData, PERIODS_PER_YEAR,
    Performance, Result, ReturnMatrix, Weights, portfolio_performance,
};

/// The ticker of the cash line in recommendations.
pub const CASH: &str = "CASH";

/// [`CASH`] as a symbol (it is a valid one).
fn cash_symbol() -> Result<Symbol> {
    Symbol::new(CASH).map_err(|e| invalid("CASH", e.to_string()))
}

/// The stock sleeve's volatility band `(low, target, high)` for a category.
pub fn stock_volatility_band(category: RiskCategory) -> (f64, f64, f64) {
    match category {
        RiskCategory::Conservative => (0.08, 0.10, 0.12),
        RiskCategory::ModeratelyConservative => (0.11, 0.13, 0.15),
        RiskCategory::Moderate => (0.14, 0.16, 0.18),
        RiskCategory::Growth => (0.17, 0.19, 0.21),
        _ => (0.20, 0.23, 0.26),
    }
}

/// The bond sleeve's target volatility.
pub const BOND_TARGET_VOLATILITY: f64 = 0.04;

/// How far inside each limit the optimiser stays, so that rounding never
/// puts a weight exactly on a nudge's threshold.
const LIMIT_MARGIN: f64 = 1e-4;

/// Weights below this are dropped into cash.
const DUST: f64 = 1e-5;

/// How expected returns are estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnEstimate {
    /// James-Stein shrunk arithmetic means (the default; see
    /// [`crate::expected_returns::james_stein`]).
    #[default]
    JamesStein,
    /// Raw compound annual growth rates: noisy, kept for comparison.
    Historical,
}

/// Settings of [`recommend`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdviceOptions {
    /// The nudges' thresholds; pass the same value to `auravest_bias::analyze`
    /// so the recommendation and the nudges agree.
    pub limits: Limits,
    /// Annual risk-free rate for Sharpe ratios. Default 0.02.
    pub risk_free_rate: f64,
    /// Expected-return estimator. Default James-Stein.
    pub returns: ReturnEstimate,
    /// A series needs at least this many daily returns to be considered.
    /// Default 60 (about three months).
    pub min_observations: usize,
    /// The bond sleeve's target volatility. Default [`BOND_TARGET_VOLATILITY`].
    pub bond_target_volatility: f64,
}

impl Default for AdviceOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            risk_free_rate: 0.02,
            returns: ReturnEstimate::default(),
            min_observations: 60,
            bond_target_volatility: BOND_TARGET_VOLATILITY,
        }
    }
}

/// What the universe could not provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// No priced bond series: the bond share is held in cash.
    Bonds,
    /// No priced foreign equity: the stock sleeve is all domestic.
    International,
}

/// Something the profile calls for that the priced universe lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// What is missing.
    pub kind: GapKind,
    /// The share of the portfolio affected.
    pub weight: f64,
    /// A sentence for the user, naming what to add.
    pub text: String,
}

/// A series the recommendation did not use, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    /// The ticker.
    pub ticker: Symbol,
    /// Why.
    pub reason: String,
}

/// A recommended portfolio with the reasons for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The category it was built for.
    pub category: RiskCategory,
    /// Weight by ticker, [`CASH`] included; zero weights left out.
    pub weights: BTreeMap<Symbol, f64>,
    /// The split that was applied.
    pub allocation: ModelAllocation,
    /// Expected return (the estimate), volatility and Sharpe of the whole
    /// portfolio.
    pub performance: Performance,
    /// The estimate plus and minus one standard error of a mean over the
    /// period of prices used (about two chances in three of containing the
    /// true mean, if the past is a guide at all).
    pub expected_return_range: (f64, f64),
    /// Method and period, for display next to any figure.
    pub basis: String,
    /// How much the James-Stein estimator pulled the stock means together (0:
    /// not at all, 1: all equal); `None` for raw historical means.
    pub shrinkage: Option<f64>,
    /// What the universe lacks.
    pub gaps: Vec<Gap>,
    /// Series not used.
    pub left_out: Vec<LeftOut>,
    /// Plain-language reasons, one per decision.
    pub reasoning: Vec<String>,
}

impl Recommendation {
    /// The weights as [`Weights`] (for [`crate::allocation`]).
    ///
    /// # Errors
    /// None in practice (the weights are finite).
    pub fn to_weights(&self) -> Result<Weights> {
        Weights::new(
            self.weights.keys().cloned().collect(),
            self.weights.values().copied().collect(),
        )
    }
}

/// The role of one series in the recommendation.
#[derive(Debug, Clone)]
struct Member {
    ticker: Symbol,
    /// A diversified fund (exempt from the single-holding limits).
    fund: bool,
    /// Sector of a single equity.
    sector: Option<String>,
    /// Foreign share for the home-bias rule (0 when unknown).
    foreign: f64,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Builds the recommended portfolio for `category` from the daily closes in
/// `prices` (each column a candidate: the holdings plus any funds the caller
/// offers, such as a broad index fund), classified by `instruments`.
///
/// # Errors
/// [`Error::InvalidParameter`] for out-of-range options or a universe with no
/// usable stock series; [`Error::Undiversifiable`] when the limits cannot be
/// met with the series given; estimator and optimiser errors.
pub fn recommend(
    category: RiskCategory,
    prices: &PriceFrame,
    instruments: &InstrumentTable,
    options: &AdviceOptions,
) -> Result<Recommendation> {
    options
        .limits
        .validate()
        .map_err(|e| invalid("limits", e.to_string()))?;
    let rf = options.risk_free_rate;
    if !(rf.is_finite() && (-0.5..=0.5).contains(&rf)) {
        return Err(invalid(
            "risk_free_rate",
            format!("{rf} is not in [-0.5, 0.5]"),
        ));
    }
    let bond_target = options.bond_target_volatility;
    if !(bond_target.is_finite() && bond_target > 0.0 && bond_target < 1.0) {
        return Err(invalid(
            "bond_target_volatility",
            format!("{bond_target} is not in (0, 1)"),
        ));
    }
    let all = ReturnMatrix::from_prices(prices)?;
    let shipped = InstrumentTable::shipped();
    let limits = &options.limits;
    let min_foreign = auravest_bias::min_foreign_share(&limits.home_bias);
    let mut left_out = Vec::new();
    let mut stocks: Vec<(usize, Member)> = Vec::new();
    let mut bonds: Vec<(usize, Member)> = Vec::new();
    for (j, ticker) in all.tickers().iter().enumerate() {
        let leave = |reason: String| LeftOut {
            ticker: ticker.clone(),
            reason,
        };
        let n = all.count(j);
        if n < options.min_observations.max(2) {
            left_out.push(leave(format!(
                "only {n} daily returns; at least {} are needed",
                options.min_observations
            )));
            continue;
        }
        let symbol = ticker.clone();
        let known = match instruments.classify(&symbol) {
            Classification::Known(i) => Some(i),
            Classification::Unclassified => None,
        };
        let class = known.map(|i| i.asset_class);
        let member = Member {
            ticker: ticker.clone(),
            fund: auravest_bias::is_diversified_fund(&symbol, &shipped, &limits.concentration),
            sector: known.and_then(|i| i.sector.clone()),
            foreign: match auravest_bias::equity_foreign_share(
                &symbol,
                instruments,
                &limits.home_bias,
            ) {
                EquityShare::Foreign(f) => f,
                EquityShare::NotEquity | EquityShare::Unknown => 0.0,
            },
        };
        match class {
            None | Some(AssetClass::Equity) => stocks.push((j, member)),
            Some(AssetClass::Bond) => bonds.push((j, member)),
            Some(c) => left_out.push(leave(format!(
                "a {} holding; the recommendation holds stocks, bonds and cash only",
                c.as_str()
            ))),
        }
    }
    if stocks.is_empty() {
        return Err(invalid(
            "prices",
            "no stock series with enough history to build a recommendation",
        ));
    }
    let used: Vec<usize> = stocks.iter().chain(&bonds).map(|(j, _)| *j).collect();
    let returns = select(&all, &used)?;
    // Each sleeve's means shrink toward their own grand mean: pulling bonds
    // toward the stocks' average would promise bonds equity returns.
    let n_stocks = stocks.len();
    let mut means = Vec::with_capacity(used.len());
    let mut shrinkage = None;
    for part in [0..n_stocks, n_stocks..used.len()] {
        if part.is_empty() {
            continue;
        }
        let sub = select(&returns, &part.collect::<Vec<_>>())?;
        let m = match options.returns {
            ReturnEstimate::JamesStein => {
                let (m, c) = james_stein(&sub)?;
                // The stock sleeve's intensity is the one reported.
                shrinkage.get_or_insert(c);
                m
            }
            ReturnEstimate::Historical => mean_historical(&sub, true)?,
        };
        means.extend(m.values().iter().copied());
    }
    let mu = ExpectedReturns::new(returns.tickers().to_vec(), means)?;
    let (cov, _) = ledoit_wolf(&returns, ShrinkageTarget::default(), MissingData::default())?;

    let split = category.allocation();
    let (lo, target, hi) = stock_volatility_band(category);
    let mut reasoning = vec![format!(
        "Your {} profile sets {:.0}% stocks, {:.0}% bonds and {:.0}% cash; the stock part aims at {:.0}% volatility (band {:.0}% to {:.0}%).",
        category.label(),
        split.stocks * 100.0,
        split.bonds * 100.0,
        split.cash * 100.0,
        target * 100.0,
        lo * 100.0,
        hi * 100.0
    )];
    let c = &limits.concentration;
    let single_cap = c.single_holding.min(1.0 / c.min_effective_holdings);
    reasoning.push(format!(
        "It follows the same limits as your nudges: no single company above {}, single companies together below {}, no sector above {}; broad funds count as diversified.",
        pct(single_cap),
        pct(c.large_holdings_total),
        pct(c.sector)
    ));
    let mut weights: BTreeMap<Symbol, f64> = BTreeMap::new();
    let mut cash = split.cash;
    let mut gaps = Vec::new();
    if split.stocks > 0.0 {
        let members: Vec<&Member> = stocks.iter().map(|(_, m)| m).collect();
        let idx: Vec<usize> = (0..n_stocks).collect();
        let abroad = members.iter().any(|m| m.foreign > min_foreign + 1e-9);
        let caps = SleeveCaps {
            share: split.stocks,
            single: single_cap,
            singles_total: Some(c.large_holdings_total),
            sector: Some(c.sector),
            min_foreign: abroad.then_some(min_foreign),
        };
        let (w, text) = sleeve("stock", &mu, &cov, &idx, &members, &caps, target, rf)?;
        for (k, m) in members.iter().enumerate() {
            add(&mut weights, &m.ticker, split.stocks * w[k]);
        }
        reasoning.push(text);
        if !abroad {
            gaps.push(Gap {
                kind: GapKind::International,
                weight: split.stocks,
                text: format!(
                    "None of these stocks is foreign, so the stock part is all {}; a broad international fund (for example VXUS) would bring at least {} of it abroad.",
                    limits.home_bias.home_country,
                    pct(min_foreign)
                ),
            });
        }
    }
    if split.bonds > 0.0 {
        if bonds.is_empty() {
            cash += split.bonds;
            gaps.push(Gap {
                kind: GapKind::Bonds,
                weight: split.bonds,
                text: format!(
                    "No bond series is priced, so the {:.0}% bond share waits in cash; a broad bond fund (for example BND) would fill it.",
                    split.bonds * 100.0
                ),
            });
        } else {
            let members: Vec<&Member> = bonds.iter().map(|(_, m)| m).collect();
            let idx: Vec<usize> = (n_stocks..n_stocks + bonds.len()).collect();
            let caps = SleeveCaps {
                share: split.bonds,
                single: c.large_holding.min(single_cap),
                singles_total: None,
                sector: None,
                min_foreign: None,
            };
            let (w, text) = sleeve("bond", &mu, &cov, &idx, &members, &caps, bond_target, rf)?;
            for (k, m) in members.iter().enumerate() {
                add(&mut weights, &m.ticker, split.bonds * w[k]);
            }
            reasoning.push(text);
        }
    }
    // Dust goes to cash, so no line reads "0.0%".
    weights.retain(|_, w| {
        if *w < DUST {
            cash += *w;
            false
        } else {
            true
        }
    });
    let performance = whole_performance(&weights, cash, &mu, &cov, rf)?;
    let years = returns.dates().len() as f64 / PERIODS_PER_YEAR;
    let se = performance.volatility / years.max(1.0 / PERIODS_PER_YEAR).sqrt();
    let range = (
        performance.expected_return - se,
        performance.expected_return + se,
    );
    let (first, last) = (
        returns.dates().first().copied(),
        returns.dates().last().copied(),
    );
    let method = match options.returns {
        ReturnEstimate::JamesStein => "James-Stein shrunk historical means",
        ReturnEstimate::Historical => "historical compound growth rates",
    };
    let basis = format!(
        "{method} and Ledoit-Wolf covariance of daily prices from {} to {} ({years:.1} years); the range is the estimate plus and minus one standard error. Based on past prices, not a forecast.",
        first.map(|d| d.to_string()).unwrap_or_default(),
        last.map(|d| d.to_string()).unwrap_or_default()
    );
    if cash >= DUST {
        weights.insert(cash_symbol()?, cash);
    } else if let Some(w) = weights.values_mut().max_by(|a, b| a.total_cmp(b)) {
        // Solver noise, not a cash line: it joins the largest weight (whose
        // limits keep a margin far above it).
        *w += cash;
    }
    reasoning.push(format!(
        "Together: expected return between {} and {} a year (estimate {}), volatility {}, {:.0}% in cash. Based on past prices; this is education, not financial advice.",
        pct(range.0),
        pct(range.1),
        pct(performance.expected_return),
        pct(performance.volatility),
        cash * 100.0
    ));
    Ok(Recommendation {
        category,
        weights,
        allocation: split,
        performance,
        expected_return_range: range,
        basis,
        shrinkage,
        gaps,
        left_out,
        reasoning,
    })
}

fn add(weights: &mut BTreeMap<Symbol, f64>, ticker: &Symbol, w: f64) {
    *weights.entry(ticker.clone()).or_insert(0.0) += w;
}

/// The columns `idx` of `returns`.
fn select(returns: &ReturnMatrix, idx: &[usize]) -> Result<ReturnMatrix> {
    let v = returns.values();
    let values = DMatrix::from_fn(v.nrows(), idx.len(), |r, c| v[(r, idx[c])]);
    ReturnMatrix::new(
        idx.iter().map(|&j| returns.tickers()[j].clone()).collect(),
        returns.dates().to_vec(),
        values,
    )
}

/// Limits of one sleeve, as shares of the whole portfolio.
struct SleeveCaps {
    /// The sleeve's share of the portfolio.
    share: f64,
    /// Highest weight of one single holding.
    single: f64,
    /// Highest total of single holdings.
    singles_total: Option<f64>,
    /// Highest weight of one sector (single equities).
    sector: Option<f64>,
    /// Lowest foreign share of the sleeve.
    min_foreign: Option<f64>,
}

/// A limit on the whole portfolio as a limit inside a sleeve of `share`.
fn in_sleeve(limit: f64, share: f64) -> f64 {
    ((limit - LIMIT_MARGIN) / share).clamp(0.0, 1.0)
}

/// Solves one fully invested sleeve near `target` volatility; returns its
/// weights (in `members` order) and a sentence about it.
#[allow(clippy::too_many_arguments)]
fn sleeve(
    name: &str,
    mu: &ExpectedReturns,
    cov: &CovarianceMatrix,
    idx: &[usize],
    members: &[&Member],
    caps: &SleeveCaps,
    target: f64,
    rf: f64,
) -> Result<(Vec<f64>, String)> {
    let tickers: Vec<Symbol> = members.iter().map(|m| m.ticker.clone()).collect();
    let m = ExpectedReturns::new(
        tickers.clone(),
        idx.iter().map(|&i| mu.values()[i]).collect(),
    )?;
    let s = CovarianceMatrix::new(
        tickers,
        DMatrix::from_fn(idx.len(), idx.len(), |a, b| cov.matrix()[(idx[a], idx[b])]),
    )?;
    let single = in_sleeve(caps.single, caps.share);
    let bounds: Vec<(f64, f64)> = members
        .iter()
        .map(|m| (0.0, if m.fund { 1.0 } else { single }))
        .collect();
    let room: f64 = bounds.iter().map(|b| b.1).sum();
    let singles: Vec<&str> = members
        .iter()
        .filter(|m| !m.fund)
        .map(|m| m.ticker.as_str())
        .collect();
    let singles_room = caps.singles_total.map_or(1.0, |t| in_sleeve(t, caps.share));
    let has_fund = members.iter().any(|m| m.fund);
    if room < 1.0 - 1e-9 || (!has_fund && singles_room < 1.0 - 1e-9) {
        return Err(Error::Undiversifiable {
            reason: format!(
                "the {name} part is {} of the portfolio, but single holdings may hold at most {} each{} and none of the series is a diversified fund; add a broad fund (for example SPY or VTI for stocks, BND for bonds) to the prices",
                pct(caps.share),
                pct(caps.single),
                caps.singles_total
                    .map(|t| format!(" and {} together", pct(t)))
                    .unwrap_or_default()
            ),
        });
    }
    if members.len() == 1 {
        let text = format!(
            "The {name} part holds {} alone (the only series it can use).",
            members[0].ticker
        );
        return Ok((vec![1.0], text));
    }
    let mut mv = MeanVariance::new(m, s)?.asset_bounds(&bounds)?;
    if singles_room < 1.0 && !singles.is_empty() {
        mv = mv.group("single holdings", &singles, 0.0, singles_room)?;
    }
    if let Some(limit) = caps.sector {
        let mut by_sector: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for m in members.iter().filter(|m| !m.fund) {
            if let Some(s) = m.sector.as_deref() {
                by_sector.entry(s).or_default().push(m.ticker.as_str());
            }
        }
        let cap = in_sleeve(limit, caps.share);
        for (sector, names) in by_sector {
            if cap < 1.0 {
                mv = mv.group(sector, &names, 0.0, cap)?;
            }
        }
    }
    if let Some(floor) = caps.min_foreign {
        mv = mv.linear_constraint(crate::LinearConstraint {
            coefficients: members.iter().map(|m| m.foreign - floor).collect(),
            relation: crate::Relation::GreaterEq,
            rhs: LIMIT_MARGIN,
        })?;
    }
    let lowest = mv.min_volatility(rf)?;
    let (sol, note) = if lowest.performance.volatility >= target {
        let note = format!(
            "the least volatile mix within the limits has {} volatility, at or above the {:.0}% target, so it takes that mix",
            pct(lowest.performance.volatility),
            target * 100.0
        );
        (lowest, note)
    } else {
        let best = mv.efficient_return(mv.max_return()?, rf)?;
        if best.performance.volatility <= target {
            let note = format!(
                "its highest-return mix within the limits has {} volatility, below the {:.0}% target, so it takes that mix",
                pct(best.performance.volatility),
                target * 100.0
            );
            (best, note)
        } else {
            let s = mv.efficient_risk(target, rf)?;
            let note = format!(
                "it takes the efficient mix at {} volatility (the target)",
                pct(s.performance.volatility)
            );
            (s, note)
        }
    };
    let text = format!(
        "The {name} part: {note}, with an estimated return of {} a year.",
        pct(sol.performance.expected_return)
    );
    Ok((
        sol.weights.values().iter().map(|w| w.max(0.0)).collect(),
        text,
    ))
}

/// Performance of the whole portfolio (cash earns `rf` with no risk).
fn whole_performance(
    weights: &BTreeMap<Symbol, f64>,
    cash: f64,
    mu: &ExpectedReturns,
    cov: &CovarianceMatrix,
    rf: f64,
) -> Result<Performance> {
    let n = mu.len();
    let mut w: Vec<f64> = mu
        .tickers()
        .iter()
        .map(|t| weights.get(t).copied().unwrap_or(0.0))
        .collect();
    w.push(cash);
    let mut tickers = mu.tickers().to_vec();
    tickers.push(cash_symbol()?);
    let mut m: Vec<f64> = mu.values().iter().copied().collect();
    m.push(rf);
    let s = DMatrix::from_fn(n + 1, n + 1, |i, j| {
        if i < n && j < n {
            cov.matrix()[(i, j)]
        } else {
            0.0
        }
    });
    portfolio_performance(
        &Weights::new(tickers.clone(), w)?,
        &ExpectedReturns::new(tickers.clone(), m)?,
        &CovarianceMatrix::new(tickers, s)?,
        rf,
    )
}

/// Whole shares to buy (+) or sell (−) to move a valuation toward a
/// recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RebalancePlan {
    /// Shares by ticker; tickers left unchanged are not listed.
    pub trades: BTreeMap<Symbol, i64>,
    /// Cash after the trades, in the valuation's base currency.
    pub target_cash: f64,
    /// Fees the trades cost.
    pub fees: f64,
}

/// The trades that move `valuation` toward `recommendation`.
///
/// Held positions are priced at their own valuation price (so a holding no
/// source knows, valued at its last trade price, is still sold or kept at
/// that price); other tickers at their last close in `prices`. Fractional
/// shares held are kept out of the trades (only whole shares move), and a
/// buy never takes a holding past its recommended weight (whole shares
/// would otherwise overshoot by up to one share): the rest stays in cash.
///
/// # Errors
/// [`Error::InvalidParameter`] for a recommended ticker without a price, or
/// a valuation worth nothing; errors of [`crate::allocation::rebalance`].
pub fn rebalance_toward(
    recommendation: &Recommendation,
    prices: &PriceFrame,
    valuation: &Valuation,
    options: &RebalanceOptions,
) -> Result<RebalancePlan> {
    let mut last = latest_prices(prices);
    last.insert(cash_symbol()?, 1.0);
    let mut holdings = BTreeMap::new();
    for p in &valuation.positions {
        let Ok(q) = i64::try_from(p.quantity.trunc()) else {
            continue;
        };
        if q == 0 || p.quantity <= Decimal::ZERO {
            continue;
        }
        let per_share = f64::try_from(p.value / p.quantity).unwrap_or(f64::NAN);
        if per_share.is_finite() && per_share > 0.0 {
            last.insert(p.symbol.clone(), per_share);
            holdings.insert(p.symbol.clone(), q);
        }
    }
    let cash = f64::try_from(valuation.cash).unwrap_or(0.0).max(0.0);
    let plan = crate::allocation::rebalance(
        &recommendation.to_weights()?,
        &last,
        &holdings,
        cash,
        options,
    )?;
    let total = cash
        + holdings
            .iter()
            .map(|(t, q)| *q as f64 * last.get(t).copied().unwrap_or(0.0))
            .sum::<f64>();
    // Whole shares can overshoot a weight by up to one share, up or down:
    // no holding ends above its recommended weight (which sits inside the
    // nudges' limits); what rounding leaves over stays in cash.
    let mut trades = BTreeMap::new();
    let tickers: std::collections::BTreeSet<&Symbol> =
        holdings.keys().chain(plan.trades.keys()).collect();
    for t in tickers {
        if t.as_str() == CASH {
            continue;
        }
        let held = holdings.get(t).copied().unwrap_or(0);
        let mut target = held + plan.trades.get(t).copied().unwrap_or(0);
        let price = last.get(t).copied().unwrap_or(0.0);
        if price > 0.0 {
            let weight = recommendation.weights.get(t).copied().unwrap_or(0.0);
            let most = (weight * total / price).floor() as i64;
            target = target.min(most.max(0));
        }
        if target != held {
            trades.insert(t.clone(), target - held);
        }
    }
    let fees = trades.len() as f64 * options.fee_per_trade;
    let spent: f64 = trades
        .iter()
        .map(|(t, n)| *n as f64 * last.get(t).copied().unwrap_or(0.0))
        .sum();
    Ok(RebalancePlan {
        trades,
        target_cash: cash - spent - fees,
        fees,
    })
}

/// A valuation holding `recommendation` exactly (worth `value` in
/// `currency`, priced at 1 per share), for checking it with the nudges'
/// detectors.
///
/// # Errors
/// [`Error::InvalidParameter`] when a ticker is not a valid symbol or the
/// value does not fit a decimal.
pub fn as_valuation(
    recommendation: &Recommendation,
    value: f64,
    currency: Currency,
    as_of: auravest_core::NaiveDate,
) -> Result<Valuation> {
    let dec = |x: f64| {
        Decimal::try_from(x)
            .map(|d| d.round_dp(2))
            .map_err(|e| invalid("value", e.to_string()))
    };
    let mut positions = Vec::new();
    let mut cash = 0.0;
    for (t, &w) in &recommendation.weights {
        if t.as_str() == CASH {
            cash += w * value;
            continue;
        }
        let symbol = t.clone();
        let v = dec(w * value)?;
        positions.push(PositionValue {
            symbol,
            currency,
            quantity: v,
            avg_cost: Decimal::ONE,
            price: Decimal::ONE,
            price_date: as_of,
            value: v,
            weight: w,
            unrealized_pnl: Decimal::ZERO,
            realized_pnl: Decimal::ZERO,
        });
    }
    Ok(Valuation {
        as_of,
        base_currency: currency,
        value: dec(value)?,
        cash: dec(cash)?,
        positions,
    })
}

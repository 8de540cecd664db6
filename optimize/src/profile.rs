//! From a risk profile to a portfolio.
//!
//! The `risk` category fixes the stock/bond/cash split. Inside each sleeve
//! (stocks; bonds when the universe has bond series) a cash asset paying the
//! risk-free rate joins the sleeve's assets, so every volatility is reachable
//! (twenty large US stocks alone never go below about 16% volatility). The
//! sleeve takes the efficient-frontier point (maximum expected return) at the
//! target volatility of its category's band:
//!
//! | category | stock sleeve volatility band | target |
//! |---|---|---|
//! | Conservative | 8% – 12% | 10% |
//! | Moderately conservative | 11% – 15% | 13% |
//! | Moderate | 14% – 18% | 16% |
//! | Growth | 17% – 21% | 19% |
//! | Aggressive | 20% – 26% | 23% |
//!
//! The bond sleeve targets 4% volatility in every category (bonds are there to
//! steady the portfolio, not to reach for return). If a target lies above the
//! sleeve's highest-return portfolio, that portfolio is taken; the reasoning
//! says so. Without bond series the bond share is held in cash, and the
//! reasoning says that too. The bands are our own choice, to tune with users.

use auravest_risk::{ModelAllocation, RiskCategory};
use nalgebra::{DMatrix, DVector};

use crate::{
    CovarianceMatrix, Error, ExpectedReturns, MeanVariance, Performance, Result, Weights,
    portfolio_performance,
};

/// The ticker of the risk-free cash asset in recommendations.
pub const CASH: &str = "CASH";

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

/// A recommended portfolio with the reasons for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Weights over the universe's tickers plus [`CASH`].
    pub weights: Weights,
    /// The split that was applied.
    pub allocation: ModelAllocation,
    /// Expected return, volatility and Sharpe of the whole portfolio.
    pub performance: Performance,
    /// Plain-language reasons, one per decision.
    pub reasoning: Vec<String>,
}

fn with_cash(
    mu: &ExpectedReturns,
    cov: &CovarianceMatrix,
    members: &[usize],
    rf: f64,
) -> Result<(ExpectedReturns, CovarianceMatrix)> {
    let k = members.len();
    let mut tickers: Vec<String> = members.iter().map(|&i| mu.tickers()[i].clone()).collect();
    tickers.push(CASH.to_owned());
    let mut m: Vec<f64> = members.iter().map(|&i| mu.values()[i]).collect();
    m.push(rf);
    let s = DMatrix::from_fn(k + 1, k + 1, |i, j| {
        if i < k && j < k {
            cov.matrix()[(members[i], members[j])]
        } else {
            0.0
        }
    });
    Ok((
        ExpectedReturns::new(tickers.clone(), m)?,
        CovarianceMatrix::new(tickers, s)?,
    ))
}

/// Solves one sleeve at `target` volatility; returns its weights (last = cash)
/// and a sentence about it.
fn sleeve(
    name: &str,
    mu: &ExpectedReturns,
    cov: &CovarianceMatrix,
    members: &[usize],
    rf: f64,
    target: f64,
) -> Result<(DVector<f64>, String)> {
    let (m, s) = with_cash(mu, cov, members, rf)?;
    let mv = MeanVariance::new(m, s)?;
    let top = mv.max_sharpe(rf).ok();
    let max_ret = mv.max_return()?;
    let best = mv.efficient_return(max_ret, rf)?;
    let (sol, note) = if best.performance.volatility <= target {
        let note = format!(
            "its highest-return mix has {:.1}% volatility, below the {:.0}% target, so it takes that mix",
            best.performance.volatility * 100.0,
            target * 100.0
        );
        (best, note)
    } else {
        let s = mv.efficient_risk(target, rf)?;
        let note = format!(
            "it takes the efficient mix at {:.1}% volatility (the target)",
            s.performance.volatility * 100.0
        );
        (s, note)
    };
    let cash = sol.weights.values()[members.len()];
    let text = format!(
        "{name} sleeve: {note}, expected return {:.1}%, with {:.0}% of the sleeve in cash{}.",
        sol.performance.expected_return * 100.0,
        cash * 100.0,
        top.map(|t| format!(
            " (the sleeve's maximum-Sharpe mix has {:.1}% volatility)",
            t.performance.volatility * 100.0
        ))
        .unwrap_or_default()
    );
    Ok((sol.weights.values().clone(), text))
}

/// Builds the recommended portfolio for `category` from a universe's
/// estimates; `bonds` names the bond series (all other tickers are stocks).
///
/// # Errors
/// [`Error::UnknownTicker`] for a bond ticker not in the universe;
/// [`Error::InvalidParameter`] when the universe has no stock series or
/// `risk_free_rate` is not finite; errors of the optimiser.
pub fn recommend(
    category: RiskCategory,
    mu: &ExpectedReturns,
    cov: &CovarianceMatrix,
    bonds: &[&str],
    risk_free_rate: f64,
) -> Result<Recommendation> {
    cov.check_matches(mu)?;
    if !risk_free_rate.is_finite() {
        return Err(Error::InvalidParameter {
            name: "risk_free_rate",
            reason: "must be finite".to_owned(),
        });
    }
    for b in bonds {
        if !mu.tickers().iter().any(|t| t == b) {
            return Err(Error::UnknownTicker((*b).to_owned()));
        }
    }
    let n = mu.len();
    let stock_idx: Vec<usize> = (0..n)
        .filter(|&i| !bonds.contains(&mu.tickers()[i].as_str()))
        .collect();
    let bond_idx: Vec<usize> = (0..n)
        .filter(|&i| bonds.contains(&mu.tickers()[i].as_str()))
        .collect();
    if stock_idx.is_empty() {
        return Err(Error::InvalidParameter {
            name: "universe",
            reason: "needs at least one stock series".to_owned(),
        });
    }
    let split = category.allocation();
    let (lo, target, hi) = stock_volatility_band(category);
    let mut reasoning = vec![format!(
        "Your {} profile sets {:.0}% stocks, {:.0}% bonds and {:.0}% cash; the stock sleeve aims at {:.0}% volatility (band {:.0}% to {:.0}%).",
        category.label(),
        split.stocks * 100.0,
        split.bonds * 100.0,
        split.cash * 100.0,
        target * 100.0,
        lo * 100.0,
        hi * 100.0
    )];
    let mut w = vec![0.0; n + 1];
    let mut cash = split.cash;
    if split.stocks > 0.0 {
        let (sw, text) = sleeve("Stock", mu, cov, &stock_idx, risk_free_rate, target)?;
        for (k, &i) in stock_idx.iter().enumerate() {
            w[i] = split.stocks * sw[k];
        }
        cash += split.stocks * sw[stock_idx.len()];
        reasoning.push(text);
    }
    if split.bonds > 0.0 {
        if bond_idx.is_empty() {
            cash += split.bonds;
            reasoning.push(format!(
                "The universe has no bond series, so the {:.0}% bond share is held as cash until one is added.",
                split.bonds * 100.0
            ));
        } else {
            let (bw, text) = sleeve(
                "Bond",
                mu,
                cov,
                &bond_idx,
                risk_free_rate,
                BOND_TARGET_VOLATILITY,
            )?;
            for (k, &i) in bond_idx.iter().enumerate() {
                w[i] = split.bonds * bw[k];
            }
            cash += split.bonds * bw[bond_idx.len()];
            reasoning.push(text);
        }
    }
    w[n] = cash;
    let (full_mu, full_cov) = with_cash(mu, cov, &(0..n).collect::<Vec<_>>(), risk_free_rate)?;
    let weights = Weights::new(full_mu.tickers().to_vec(), w)?;
    let performance = portfolio_performance(&weights, &full_mu, &full_cov, risk_free_rate)?;
    reasoning.push(format!(
        "Together: expected return {:.1}%, volatility {:.1}%, {:.0}% in cash. This is education, not financial advice.",
        performance.expected_return * 100.0,
        performance.volatility * 100.0,
        cash * 100.0
    ));
    Ok(Recommendation {
        weights,
        allocation: split,
        performance,
        reasoning,
    })
}

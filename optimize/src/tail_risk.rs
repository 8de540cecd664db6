//! Conditional value at risk (CVaR) and conditional drawdown at risk (CDaR)
//! optimisation, as linear programmes on historical scenarios (Rockafellar and
//! Uryasev; Chekhlov, Uryasev and Zabarankin), solved by Clarabel.
//!
//! With scenario returns `r_t` (rows of complete returns, T of them), weights
//! `w` and confidence `β`:
//!
//! * **CVaR**: minimise `α + 1/(T(1-β)) Σ u_t` subject to `u_t ≥ -r_t·w - α`,
//!   `u_t ≥ 0`. At the optimum `α` is the value at risk and the objective the
//!   CVaR of the portfolio's daily loss.
//! * **CDaR**: with the uncompounded drawdown path `d_0 = 0`,
//!   `d_t ≥ d_{t-1} - r_t·w`, `d_t ≥ 0`, minimise `α + 1/(T(1-β)) Σ z_t`
//!   subject to `z_t ≥ d_t - α`, `z_t ≥ 0`.
//!
//! Both keep `Σw = 1` and per-asset bounds, and optionally require an
//! expected return of at least a target.

use nalgebra::DVector;

use crate::conic::ConicProblem;
use crate::{Error, ExpectedReturns, Result, ReturnMatrix, Weights};

/// Which tail measure to minimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailMeasure {
    /// Conditional value at risk of daily losses.
    Cvar,
    /// Conditional drawdown at risk of the (uncompounded) cumulative return path.
    Cdar,
}

/// A tail-risk-optimal portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct TailRiskSolution {
    /// The weights.
    pub weights: Weights,
    /// `w · mu`.
    pub expected_return: f64,
    /// The minimised CVaR or CDaR (a positive loss fraction).
    pub risk: f64,
}

/// Minimises CVaR or CDaR at confidence `beta` over the complete rows of
/// `returns`, with bounds `lower..=upper` for every asset and, optionally, an
/// expected return of at least `target_return`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < beta < 1`; [`Error::InsufficientHistory`]
/// with fewer than 2 complete rows; [`Error::DimensionMismatch`] when `mu`
/// names other tickers; [`Error::InfeasibleBounds`]; [`Error::TargetReturnUnreachable`];
/// [`Error::Solver`].
pub fn min_tail_risk(
    measure: TailMeasure,
    returns: &ReturnMatrix,
    mu: &ExpectedReturns,
    beta: f64,
    bounds: (f64, f64),
    target_return: Option<f64>,
) -> Result<TailRiskSolution> {
    if !(beta > 0.0 && beta < 1.0) {
        return Err(Error::InvalidParameter {
            name: "beta",
            reason: format!("must be strictly between 0 and 1, got {beta}"),
        });
    }
    if mu.tickers() != returns.tickers() {
        return Err(Error::DimensionMismatch {
            what: "expected returns and scenario returns name different tickers".to_owned(),
        });
    }
    let r = returns.complete_rows();
    let (t, n) = (r.values().nrows(), r.values().ncols());
    if t < 2 {
        return Err(Error::InsufficientHistory {
            ticker: "all assets together".to_owned(),
            needed: 2,
            got: t,
        });
    }
    let (lo, hi) = bounds;
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return Err(Error::InvalidParameter {
            name: "bounds",
            reason: format!("lower {lo} and upper {hi} must be finite with lower <= upper"),
        });
    }
    if lo * n as f64 > 1.0 || hi * (n as f64) < 1.0 {
        return Err(Error::InfeasibleBounds {
            sum_lower: lo * n as f64,
            sum_upper: hi * n as f64,
            target: 1.0,
        });
    }
    let m = mu.values();
    if let Some(target) = target_return {
        // The best reachable return with these bounds: fill the best assets first.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| m[b].total_cmp(&m[a]));
        let mut left = 1.0 - lo * n as f64;
        let mut best = lo * m.sum();
        for i in order {
            let add = left.min(hi - lo).max(0.0);
            best += add * m[i];
            left -= add;
        }
        if target > best + 1e-12 {
            return Err(Error::TargetReturnUnreachable { target, max: best });
        }
    }
    let scale = 1.0 / (t as f64 * (1.0 - beta));
    let x = r.values();
    // Variables: w (n), α (1), then the scenario variables.
    let alpha = n;
    let (vars, first) = match measure {
        TailMeasure::Cvar => (n + 1 + t, n + 1),
        TailMeasure::Cdar => (n + 1 + 2 * t, n + 1),
    };
    let mut p = ConicProblem::new(vars);
    p.eq((0..n).map(|i| (i, 1.0)).collect(), 1.0);
    for i in 0..n {
        p.le(vec![(i, 1.0)], hi);
        p.le(vec![(i, -1.0)], -lo);
    }
    if let Some(target) = target_return {
        p.le((0..n).map(|i| (i, -m[i])).collect(), -target);
    }
    p.linear(alpha, 1.0);
    match measure {
        TailMeasure::Cvar => {
            for s in 0..t {
                let u = first + s;
                p.linear(u, scale);
                // -r_s·w - α - u ≤ 0
                let mut row: Vec<(usize, f64)> = (0..n).map(|i| (i, -x[(s, i)])).collect();
                row.push((alpha, -1.0));
                row.push((u, -1.0));
                p.le(row, 0.0);
                p.le(vec![(u, -1.0)], 0.0);
            }
        }
        TailMeasure::Cdar => {
            let d = |s: usize| first + s; // drawdown d_{s+1}
            let z = |s: usize| first + t + s;
            for s in 0..t {
                p.linear(z(s), scale);
                // d_s - d_{s-1} + r_s·w ≥ 0  →  -d_s + d_{s-1} - r_s·w ≤ 0
                let mut row: Vec<(usize, f64)> = (0..n).map(|i| (i, -x[(s, i)])).collect();
                row.push((d(s), -1.0));
                if s > 0 {
                    row.push((d(s - 1), 1.0));
                }
                p.le(row, 0.0);
                p.le(vec![(d(s), -1.0)], 0.0);
                // z_s ≥ d_s - α
                p.le(vec![(d(s), 1.0), (alpha, -1.0), (z(s), -1.0)], 0.0);
                p.le(vec![(z(s), -1.0)], 0.0);
            }
        }
    }
    let sol = p.solve()?;
    let w = DVector::from_fn(n, |i, _| sol[i].clamp(lo, hi));
    let risk = match measure {
        TailMeasure::Cvar => {
            let a = sol[alpha];
            a + scale
                * (0..t)
                    .map(|s| (-(x.row(s) * &w)[0] - a).max(0.0))
                    .sum::<f64>()
        }
        TailMeasure::Cdar => {
            let a = sol[alpha];
            let mut dd = 0.0f64;
            let mut sum = 0.0;
            for s in 0..t {
                dd = (dd - (x.row(s) * &w)[0]).max(0.0);
                sum += (dd - a).max(0.0);
            }
            a + scale * sum
        }
    };
    Ok(TailRiskSolution {
        expected_return: w.dot(m),
        weights: Weights::from_vector(returns.tickers().to_vec(), w),
        risk,
    })
}

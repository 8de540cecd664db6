//! Risk parity and risk budgeting, risk contributions, and maximum
//! diversification.
//!
//! **Risk budgeting** (long-only): find `w` with each asset's share of risk
//! `w_i (Sw)_i / w'Sw` equal to its budget `b_i`. The unique solution is
//! `w = x / Σx` where `x` minimises the strictly convex
//! `½ x'Sx - Σ b_i ln x_i` over `x > 0` (Spinu's formulation), solved here by
//! Newton's method with a step that keeps `x` positive. Risk parity is the
//! equal-budget case.
//!
//! **Maximum diversification**: maximise `w'σ / √(w'Sw)`, the ratio of the
//! weighted average volatility to the portfolio volatility; it is the
//! maximum-Sharpe problem with `σ` in place of expected returns and no
//! risk-free rate.

use nalgebra::DVector;

use crate::{CovarianceMatrix, Error, ExpectedReturns, MeanVariance, Result, Weights};

/// Each asset's contribution to portfolio volatility, `w_i (Sw)_i / σ_p`;
/// they add up to `σ_p`.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the tickers differ; [`Error::InvalidParameter`]
/// when the portfolio has no risk.
pub fn risk_contributions(weights: &Weights, cov: &CovarianceMatrix) -> Result<Vec<f64>> {
    if weights.tickers() != cov.tickers() {
        return Err(Error::DimensionMismatch {
            what: "weights and covariance name different tickers".to_owned(),
        });
    }
    let w = weights.values();
    let sw = cov.matrix() * w;
    let vol = w.dot(&sw).max(0.0).sqrt();
    if vol <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "weights",
            reason: "the portfolio has zero volatility, so risk contributions are undefined"
                .to_owned(),
        });
    }
    Ok((0..w.len()).map(|i| w[i] * sw[i] / vol).collect())
}

/// The long-only portfolio whose risk shares equal `budgets` (normalised to sum to 1).
///
/// # Errors
/// [`Error::InvalidParameter`] for a budget that is not positive and finite, or
/// when an asset has zero variance; [`Error::DimensionMismatch`];
/// [`Error::Solver`] if Newton's method does not converge.
pub fn risk_budgeting(cov: &CovarianceMatrix, budgets: &[f64]) -> Result<Weights> {
    let n = cov.len();
    if budgets.len() != n {
        return Err(Error::DimensionMismatch {
            what: format!("{} budgets for {n} assets", budgets.len()),
        });
    }
    if let Some(b) = budgets.iter().find(|b| !(b.is_finite() && **b > 0.0)) {
        return Err(Error::InvalidParameter {
            name: "budgets",
            reason: format!("every risk budget must be positive and finite, got {b}"),
        });
    }
    let s = cov.matrix();
    if let Some(i) = (0..n).find(|&i| s[(i, i)] <= 0.0) {
        return Err(Error::InvalidParameter {
            name: "covariance",
            reason: format!(
                "{} has zero variance, so it cannot carry a risk budget",
                cov.tickers()[i]
            ),
        });
    }
    let total: f64 = budgets.iter().sum();
    let b = DVector::from_iterator(n, budgets.iter().map(|v| v / total));
    // Start from inverse volatility, scaled so the objective is well conditioned.
    let mut x = DVector::from_fn(n, |i, _| 1.0 / s[(i, i)].sqrt());
    let f = |x: &DVector<f64>| 0.5 * (s * x).dot(x) - (0..n).map(|i| b[i] * x[i].ln()).sum::<f64>();
    for _ in 0..200 {
        let sx = s * &x;
        let g = DVector::from_fn(n, |i, _| sx[i] - b[i] / x[i]);
        if g.amax() < 1e-14 * (1.0 + sx.amax()) {
            let w = &x / x.sum();
            return Weights::new(cov.tickers().to_vec(), w.iter().copied().collect());
        }
        let mut h = s.clone();
        for i in 0..n {
            h[(i, i)] += b[i] / (x[i] * x[i]);
        }
        let Some(ch) = h.cholesky() else {
            return Err(Error::Solver {
                status: "risk budgeting: the Newton system is not positive definite".to_owned(),
            });
        };
        let step = -ch.solve(&g);
        // Keep x positive, then backtrack on the objective.
        let mut t = 1.0f64;
        for i in 0..n {
            if step[i] < 0.0 {
                t = t.min(-0.99 * x[i] / step[i]);
            }
        }
        let f0 = f(&x);
        let slope = g.dot(&step);
        let mut next = &x + &step * t;
        while f(&next) > f0 + 1e-4 * t * slope && t > 1e-16 {
            t *= 0.5;
            next = &x + &step * t;
        }
        if (&next - &x).amax() <= 1e-16 * x.amax() {
            x = next;
            break;
        }
        x = next;
    }
    let sx = s * &x;
    let worst = (0..n)
        .map(|i| (sx[i] - b[i] / x[i]).abs())
        .fold(0.0, f64::max);
    if worst < 1e-9 * (1.0 + sx.amax()) {
        let w = &x / x.sum();
        return Weights::new(cov.tickers().to_vec(), w.iter().copied().collect());
    }
    Err(Error::Solver {
        status: format!("risk budgeting did not converge (gradient {worst:e})"),
    })
}

/// Equal risk contributions.
///
/// # Errors
/// As [`risk_budgeting`].
pub fn risk_parity(cov: &CovarianceMatrix) -> Result<Weights> {
    risk_budgeting(cov, &vec![1.0; cov.len()])
}

/// The long-only maximum-diversification portfolio.
///
/// # Errors
/// As [`MeanVariance::max_sharpe`].
pub fn max_diversification(cov: &CovarianceMatrix) -> Result<Weights> {
    let vols: Vec<f64> = (0..cov.len())
        .map(|i| cov.matrix()[(i, i)].max(0.0).sqrt())
        .collect();
    let mu = ExpectedReturns::new(cov.tickers().to_vec(), vols)?;
    Ok(MeanVariance::new(mu, cov.clone())?.max_sharpe(0.0)?.weights)
}

/// The diversification ratio `w'σ / √(w'Sw)` of a portfolio.
///
/// # Errors
/// As [`risk_contributions`].
pub fn diversification_ratio(weights: &Weights, cov: &CovarianceMatrix) -> Result<f64> {
    let rc = risk_contributions(weights, cov)?;
    let vol: f64 = rc.iter().sum();
    let w = weights.values();
    let avg: f64 = (0..w.len())
        .map(|i| w[i] * cov.matrix()[(i, i)].max(0.0).sqrt())
        .sum();
    Ok(avg / vol)
}

#[cfg(test)]
mod tests {
    use nalgebra::DMatrix;

    use super::*;

    fn cov3() -> CovarianceMatrix {
        let t = vec![
            "A".parse().unwrap(),
            "B".parse().unwrap(),
            "C".parse().unwrap(),
        ];
        CovarianceMatrix::new(
            t,
            DMatrix::from_row_slice(
                3,
                3,
                &[0.04, 0.006, 0.0, 0.006, 0.09, 0.01, 0.0, 0.01, 0.01],
            ),
        )
        .unwrap()
    }

    #[test]
    fn parity_equalises_risk_contributions() {
        let w = risk_parity(&cov3()).unwrap();
        let rc = risk_contributions(&w, &cov3()).unwrap();
        let vol: f64 = rc.iter().sum();
        for r in &rc {
            assert!((r / vol - 1.0 / 3.0).abs() < 1e-10, "{rc:?}");
        }
        assert!((w.values().sum() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn budgets_are_met() {
        let w = risk_budgeting(&cov3(), &[0.5, 0.3, 0.2]).unwrap();
        let rc = risk_contributions(&w, &cov3()).unwrap();
        let vol: f64 = rc.iter().sum();
        for (r, b) in rc.iter().zip([0.5, 0.3, 0.2]) {
            assert!((r / vol - b).abs() < 1e-10);
        }
        assert!(risk_budgeting(&cov3(), &[1.0, 0.0, 1.0]).is_err());
        assert!(risk_budgeting(&cov3(), &[1.0, 1.0]).is_err());
    }

    #[test]
    fn uncorrelated_parity_is_inverse_volatility_and_max_div_is_proportional() {
        let t = vec!["A".parse().unwrap(), "B".parse().unwrap()];
        let c = CovarianceMatrix::new(t, DMatrix::from_row_slice(2, 2, &[0.04, 0.0, 0.0, 0.01]))
            .unwrap();
        let w = risk_parity(&c).unwrap();
        assert!((w.values()[0] - 1.0 / 3.0).abs() < 1e-12);
        let md = max_diversification(&c).unwrap();
        assert!((md.values()[0] - 1.0 / 3.0).abs() < 1e-9);
        assert!(diversification_ratio(&md, &c).unwrap() > 1.0);
    }
}

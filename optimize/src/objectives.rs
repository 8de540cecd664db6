//! The objective terms of the optimisers, evaluated at given weights
//! (PyPortfolioOpt's `objective_functions` on numbers).
//!
//! Weights, expected returns and benchmarks are plain slices in one ticker
//! order; matrices are `n x n` (covariance) or `T x n` (returns).
//!
//! | function | value |
//! | --- | --- |
//! | [`portfolio_variance`] | `w'Sw` |
//! | [`portfolio_return`] | `w·mu` |
//! | [`sharpe_ratio`] | `(w·mu - rf) / sqrt(w'Sw)` |
//! | [`l2_regularisation`] | `gamma ‖w‖²` |
//! | [`quadratic_utility`] | `w·mu - (delta/2) w'Sw` |
//! | [`transaction_cost`] | `k Σ|w - w_prev|` |
//! | [`ex_ante_tracking_error`] | `(w - b)' S (w - b)` |
//! | [`ex_post_tracking_error`] | variance (ddof 1) of `R w - r_b` |

use nalgebra::{DMatrix, DVector};

use crate::{Error, Result};

fn check(what: &str, len: usize, n: usize) -> Result<()> {
    if len != n {
        return Err(Error::DimensionMismatch {
            what: format!("{len} {what} for {n} weights"),
        });
    }
    Ok(())
}

fn quad(w: &[f64], cov: &DMatrix<f64>) -> Result<f64> {
    check("covariance rows", cov.nrows(), w.len())?;
    check("covariance columns", cov.ncols(), w.len())?;
    let v = DVector::from_column_slice(w);
    Ok((cov * &v).dot(&v))
}

/// `w'Sw`.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the shapes disagree.
pub fn portfolio_variance(w: &[f64], cov: &DMatrix<f64>) -> Result<f64> {
    quad(w, cov)
}

/// `w·mu`.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the lengths differ.
pub fn portfolio_return(w: &[f64], mu: &[f64]) -> Result<f64> {
    check("expected returns", mu.len(), w.len())?;
    Ok(w.iter().zip(mu).map(|(a, b)| a * b).sum())
}

/// `(w·mu - rf) / sqrt(w'Sw)` (infinite or NaN for a riskless portfolio).
///
/// # Errors
/// [`Error::DimensionMismatch`] when the shapes disagree.
pub fn sharpe_ratio(w: &[f64], mu: &[f64], cov: &DMatrix<f64>, risk_free_rate: f64) -> Result<f64> {
    Ok((portfolio_return(w, mu)? - risk_free_rate) / quad(w, cov)?.sqrt())
}

/// `gamma ‖w‖²`.
pub fn l2_regularisation(w: &[f64], gamma: f64) -> f64 {
    gamma * w.iter().map(|x| x * x).sum::<f64>()
}

/// `w·mu - (delta/2) w'Sw`.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the shapes disagree.
pub fn quadratic_utility(
    w: &[f64],
    mu: &[f64],
    cov: &DMatrix<f64>,
    risk_aversion: f64,
) -> Result<f64> {
    Ok(portfolio_return(w, mu)? - 0.5 * risk_aversion * quad(w, cov)?)
}

/// `k Σ|w - w_prev|`.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the lengths differ.
pub fn transaction_cost(w: &[f64], w_prev: &[f64], k: f64) -> Result<f64> {
    check("previous weights", w_prev.len(), w.len())?;
    Ok(k * w
        .iter()
        .zip(w_prev)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>())
}

/// `(w - b)' S (w - b)`: the squared tracking error predicted by `S`.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the shapes disagree.
pub fn ex_ante_tracking_error(w: &[f64], cov: &DMatrix<f64>, benchmark: &[f64]) -> Result<f64> {
    check("benchmark weights", benchmark.len(), w.len())?;
    let d: Vec<f64> = w.iter().zip(benchmark).map(|(a, b)| a - b).collect();
    quad(&d, cov)
}

/// The sample variance (divisor `T - 1`) of the portfolio's returns `R w`
/// minus the benchmark's `r_b`: the squared realised tracking error.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the shapes disagree;
/// [`Error::InsufficientHistory`] with fewer than 2 rows.
pub fn ex_post_tracking_error(w: &[f64], returns: &DMatrix<f64>, benchmark: &[f64]) -> Result<f64> {
    check("return columns", returns.ncols(), w.len())?;
    check("benchmark returns", benchmark.len(), returns.nrows())?;
    let t = returns.nrows();
    if t < 2 {
        return Err(Error::InsufficientHistory {
            ticker: "portfolio".to_owned(),
            needed: 2,
            got: t,
        });
    }
    let active = returns * DVector::from_column_slice(w) - DVector::from_column_slice(benchmark);
    let mean = active.mean();
    Ok(active.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (t as f64 - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_at_known_points() {
        let s = DMatrix::from_row_slice(2, 2, &[0.04, 0.01, 0.01, 0.09]);
        let w = [0.25, 0.75];
        let var = 0.0625 * 0.04 + 2.0 * 0.25 * 0.75 * 0.01 + 0.5625 * 0.09;
        assert!((portfolio_variance(&w, &s).unwrap() - var).abs() < 1e-15);
        assert!((portfolio_return(&w, &[0.1, 0.2]).unwrap() - 0.175).abs() < 1e-15);
        let sr = sharpe_ratio(&w, &[0.1, 0.2], &s, 0.02).unwrap();
        assert!((sr - 0.155 / var.sqrt()).abs() < 1e-14);
        assert!((l2_regularisation(&w, 2.0) - 1.25).abs() < 1e-15);
        let u = quadratic_utility(&w, &[0.1, 0.2], &s, 2.0).unwrap();
        assert!((u - (0.175 - var)).abs() < 1e-15);
        assert!((transaction_cost(&w, &[0.5, 0.5], 0.01).unwrap() - 0.005).abs() < 1e-15);
        let te = ex_ante_tracking_error(&w, &s, &[0.5, 0.5]).unwrap();
        assert!((te - (0.0625 * 0.04 - 2.0 * 0.0625 * 0.01 + 0.0625 * 0.09)).abs() < 1e-15);
        let r = DMatrix::from_row_slice(3, 2, &[0.01, 0.02, -0.01, 0.0, 0.03, 0.01]);
        let active = [0.0175 - 0.01, -0.0025, 0.015 - 0.02];
        let m = active.iter().sum::<f64>() / 3.0;
        let v = active.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 2.0;
        let got = ex_post_tracking_error(&w, &r, &[0.01, 0.0, 0.02]).unwrap();
        assert!((got - v).abs() < 1e-15);
        assert!(portfolio_return(&w, &[0.1]).is_err());
    }
}

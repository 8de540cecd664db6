//! Named vectors and matrices: expected returns, covariance, weights.

use std::collections::BTreeMap;

use auravest_core::Symbol;

use nalgebra::{DMatrix, DVector};

use crate::{Error, Result};

fn check_finite(what: &'static str, values: impl Iterator<Item = f64>) -> Result<()> {
    for (i, v) in values.enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                what,
                index: i.to_string(),
            });
        }
    }
    Ok(())
}

/// Annual expected returns, one per ticker.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedReturns {
    tickers: Vec<Symbol>,
    values: DVector<f64>,
}

impl ExpectedReturns {
    /// Builds named expected returns.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when lengths differ, [`Error::NonFinite`]
    /// for NaN or infinite values.
    pub fn new(tickers: Vec<Symbol>, values: Vec<f64>) -> Result<Self> {
        if tickers.len() != values.len() {
            return Err(Error::DimensionMismatch {
                what: format!(
                    "{} tickers, {} expected returns",
                    tickers.len(),
                    values.len()
                ),
            });
        }
        check_finite("expected returns", values.iter().copied())?;
        Ok(Self {
            tickers,
            values: DVector::from_vec(values),
        })
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Symbol] {
        &self.tickers
    }

    /// The values, in ticker order.
    pub fn values(&self) -> &DVector<f64> {
        &self.values
    }

    /// The value for one ticker, named in any case (symbols are upper case).
    pub fn get(&self, ticker: &str) -> Option<f64> {
        self.tickers
            .iter()
            .position(|t| t.as_str().eq_ignore_ascii_case(ticker))
            .map(|i| self.values[i])
    }

    /// Number of assets.
    pub fn len(&self) -> usize {
        self.tickers.len()
    }

    /// Whether there are no assets.
    pub fn is_empty(&self) -> bool {
        self.tickers.is_empty()
    }

    /// As a map from ticker to value.
    pub fn to_map(&self) -> BTreeMap<Symbol, f64> {
        self.tickers
            .iter()
            .cloned()
            .zip(self.values.iter().copied())
            .collect()
    }
}

/// An annual covariance matrix with its tickers: square, finite, symmetric.
/// Positive semidefiniteness is checked where an optimiser needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct CovarianceMatrix {
    tickers: Vec<Symbol>,
    matrix: DMatrix<f64>,
}

impl CovarianceMatrix {
    /// Builds a named covariance matrix.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] unless square with one ticker per row,
    /// [`Error::NonFinite`], or [`Error::NotSymmetric`] beyond a relative 1e-10.
    pub fn new(tickers: Vec<Symbol>, matrix: DMatrix<f64>) -> Result<Self> {
        let n = tickers.len();
        if matrix.nrows() != n || matrix.ncols() != n {
            return Err(Error::DimensionMismatch {
                what: format!(
                    "{n} tickers, a {}x{} covariance",
                    matrix.nrows(),
                    matrix.ncols()
                ),
            });
        }
        // One pass in storage order for finiteness, then each entry below the
        // diagonal (contiguous down its column) against its mirror.
        if let Some(pos) = matrix.as_slice().iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "covariance",
                index: format!("({}, {})", pos % n, pos / n),
            });
        }
        for j in 0..n {
            let column = matrix.column(j);
            for i in (j + 1)..n {
                let (v, w) = (column[i], matrix[(j, i)]);
                if (v - w).abs() > 1e-10 * v.abs().max(w.abs()).max(1e-300) {
                    return Err(Error::NotSymmetric { row: j, col: i });
                }
            }
        }
        Ok(Self { tickers, matrix })
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Symbol] {
        &self.tickers
    }

    /// The matrix.
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.matrix
    }

    /// Number of assets.
    pub fn len(&self) -> usize {
        self.tickers.len()
    }

    /// Whether there are no assets.
    pub fn is_empty(&self) -> bool {
        self.tickers.is_empty()
    }

    /// Checks that `mu` names the same tickers in the same order.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`].
    pub fn check_matches(&self, mu: &ExpectedReturns) -> Result<()> {
        if self.tickers != mu.tickers() {
            return Err(Error::DimensionMismatch {
                what: "expected returns and covariance name different tickers".to_owned(),
            });
        }
        Ok(())
    }
}

/// Portfolio weights, one per ticker (fractions; negative for short positions).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    tickers: Vec<Symbol>,
    values: DVector<f64>,
}

impl Weights {
    /// Builds named weights.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] or [`Error::NonFinite`].
    pub fn new(tickers: Vec<Symbol>, values: Vec<f64>) -> Result<Self> {
        if tickers.len() != values.len() {
            return Err(Error::DimensionMismatch {
                what: format!("{} tickers, {} weights", tickers.len(), values.len()),
            });
        }
        check_finite("weights", values.iter().copied())?;
        Ok(Self {
            tickers,
            values: DVector::from_vec(values),
        })
    }

    pub(crate) fn from_vector(tickers: Vec<Symbol>, values: DVector<f64>) -> Self {
        Self { tickers, values }
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Symbol] {
        &self.tickers
    }

    /// The weights, in ticker order.
    pub fn values(&self) -> &DVector<f64> {
        &self.values
    }

    /// The weight of one ticker, named in any case (symbols are upper case).
    pub fn get(&self, ticker: &str) -> Option<f64> {
        self.tickers
            .iter()
            .position(|t| t.as_str().eq_ignore_ascii_case(ticker))
            .map(|i| self.values[i])
    }

    /// Weights below `cutoff` in absolute value set to 0, the rest rounded to
    /// `decimals` (PyPortfolioOpt's `clean_weights(cutoff=1e-4, rounding=5)`).
    #[must_use]
    pub fn cleaned(&self, cutoff: f64, decimals: i32) -> Self {
        let scale = 10f64.powi(decimals);
        let values = self.values.map(|w| {
            if w.abs() < cutoff {
                0.0
            } else {
                (w * scale).round() / scale
            }
        });
        Self::from_vector(self.tickers.clone(), values)
    }

    /// As a map from ticker to weight.
    pub fn to_map(&self) -> BTreeMap<Symbol, f64> {
        self.tickers
            .iter()
            .cloned()
            .zip(self.values.iter().copied())
            .collect()
    }
}

/// Expected annual return, volatility and Sharpe ratio of a portfolio.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Performance {
    /// `w · mu`.
    pub expected_return: f64,
    /// `sqrt(w' S w)`.
    pub volatility: f64,
    /// `(w · mu - rf) / volatility` (infinite volatility-free portfolios give NaN → `None`).
    pub sharpe: Option<f64>,
}

/// Performance of `weights` under `mu` and `cov` at `risk_free_rate`.
///
/// # Errors
/// [`Error::DimensionMismatch`] when the tickers differ.
pub fn portfolio_performance(
    weights: &Weights,
    mu: &ExpectedReturns,
    cov: &CovarianceMatrix,
    risk_free_rate: f64,
) -> Result<Performance> {
    cov.check_matches(mu)?;
    if weights.tickers() != mu.tickers() {
        return Err(Error::DimensionMismatch {
            what: "weights and expected returns name different tickers".to_owned(),
        });
    }
    let w = weights.values();
    let ret = w.dot(mu.values());
    let var = (cov.matrix() * w).dot(w).max(0.0);
    let vol = var.sqrt();
    let sharpe = (vol > 0.0).then(|| (ret - risk_free_rate) / vol);
    Ok(Performance {
        expected_return: ret,
        volatility: vol,
        sharpe,
    })
}

//! The matrix of simple returns, with missing data kept as missing.
//!
//! `r[t, i] = p[t, i] / p[t-1, i] - 1`, missing (NaN) when either price is
//! missing; rows where every asset is missing are dropped. Late-listed assets
//! therefore start with missing rows, as in the shared price file.

use auravest_core::Symbol;
use auravest_core::{NaiveDate, PriceFrame};
use nalgebra::DMatrix;

use crate::{Error, Result};

/// How estimators treat missing returns (late listings, gaps).
///
/// Every estimator in this crate applies the policy the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingData {
    /// The default, and the statistically sound choice: each mean uses the
    /// asset's own observations, and each covariance entry uses the dates both
    /// assets were observed (pairwise-complete), with shrinkage estimators
    /// computing their targets and intensities from the same pairwise moments.
    #[default]
    Pairwise,
    /// Reproduces PyPortfolioOpt 1.6 exactly: like `Pairwise` for means and the
    /// sample covariance, but shrinkage estimators (Ledoit-Wolf, OAS) replace
    /// missing returns with 0 first, which makes late-listed assets look calm.
    PyPortfolioOpt,
}

/// Simple returns: rows are dates, columns tickers, NaN for missing.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnMatrix {
    tickers: Vec<Symbol>,
    dates: Vec<NaiveDate>,
    values: DMatrix<f64>,
}

impl ReturnMatrix {
    /// Returns of every column of `prices`.
    ///
    /// # Errors
    /// [`Error::InsufficientHistory`] when the frame has fewer than two dates.
    pub fn from_prices(prices: &PriceFrame) -> Result<Self> {
        let n = prices.columns().len();
        let t = prices.len();
        if t < 2 {
            return Err(Error::InsufficientHistory {
                ticker: prices
                    .columns()
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                needed: 2,
                got: t,
            });
        }
        let mut rows: Vec<usize> = Vec::with_capacity(t - 1);
        let mut data = DMatrix::from_element(t - 1, n, f64::NAN);
        for j in 0..n {
            let col = prices.column_at(j).unwrap_or(&[]);
            for i in 1..t {
                if let (Some(a), Some(b)) = (col[i - 1], col[i]) {
                    data[(i - 1, j)] = b / a - 1.0;
                }
            }
        }
        for i in 0..t - 1 {
            if (0..n).any(|j| !data[(i, j)].is_nan()) {
                rows.push(i);
            }
        }
        let values = DMatrix::from_fn(rows.len(), n, |r, c| data[(rows[r], c)]);
        Ok(Self {
            tickers: prices.columns().to_vec(),
            dates: rows.iter().map(|r| prices.dates()[r + 1]).collect(),
            values,
        })
    }

    /// Builds a return matrix directly (NaN = missing).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when shapes disagree; [`Error::NonFinite`]
    /// for infinite values.
    pub fn new(tickers: Vec<Symbol>, dates: Vec<NaiveDate>, values: DMatrix<f64>) -> Result<Self> {
        if values.ncols() != tickers.len() || values.nrows() != dates.len() {
            return Err(Error::DimensionMismatch {
                what: format!(
                    "{} tickers and {} dates for a {}x{} matrix",
                    tickers.len(),
                    dates.len(),
                    values.nrows(),
                    values.ncols()
                ),
            });
        }
        if let Some(i) = values.iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFinite {
                what: "returns",
                index: i.to_string(),
            });
        }
        Ok(Self {
            tickers,
            dates,
            values,
        })
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Symbol] {
        &self.tickers
    }

    /// The return dates.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The returns (NaN = missing).
    pub fn values(&self) -> &DMatrix<f64> {
        &self.values
    }

    /// Number of observed (non-missing) returns of column `j`.
    pub fn count(&self, j: usize) -> usize {
        self.values.column(j).iter().filter(|v| !v.is_nan()).count()
    }

    /// Only the rows where every asset has a return (listwise deletion).
    #[must_use]
    pub fn complete_rows(&self) -> Self {
        let rows: Vec<usize> = (0..self.values.nrows())
            .filter(|&r| self.values.row(r).iter().all(|v| !v.is_nan()))
            .collect();
        Self {
            tickers: self.tickers.clone(),
            dates: rows.iter().map(|&r| self.dates[r]).collect(),
            values: DMatrix::from_fn(rows.len(), self.values.ncols(), |r, c| {
                self.values[(rows[r], c)]
            }),
        }
    }
}

//! The matrix of simple returns, with missing data kept as missing.
//!
//! `r[t, i] = p[t, i] / p[t-1, i] - 1`, missing (NaN) when either price is
//! missing; rows where every asset is missing are dropped. Late-listed assets
//! therefore start with missing rows, as in the shared price file.

use auravest_core::Symbol;
use auravest_core::{NaiveDate, PriceFrame};
use nalgebra::DMatrix;

use crate::{Error, PERIODS_PER_YEAR, Result};

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
    periods_per_year: f64,
}

impl ReturnMatrix {
    /// Returns of every column of `prices`.
    ///
    /// # Errors
    /// [`Error::InsufficientHistory`] when the frame has fewer than two dates.
    pub fn from_prices(prices: &PriceFrame) -> Result<Self> {
        Self::from_price_columns(prices.columns(), prices.dates(), |j| {
            prices.column_at(j).unwrap_or(&[]).iter().copied()
        })
    }

    /// Returns of a dense price table: `prices` holds one column per ticker
    /// one after the other (column-major, `dates.len()` values each), NaN
    /// for a missing price. The same result as [`ReturnMatrix::from_prices`]
    /// on the equivalent frame, without building one; the table is checked
    /// by the frame's rules ([`PriceFrame::check_dense`]).
    ///
    /// # Errors
    /// [`Error::Core`] for a table [`PriceFrame::new`] would refuse;
    /// [`Error::InsufficientHistory`] for fewer than two dates.
    pub fn from_dense_prices(
        tickers: &[Symbol],
        dates: &[NaiveDate],
        prices: &[f64],
    ) -> Result<Self> {
        PriceFrame::check_dense(dates, tickers, prices)?;
        let t = dates.len();
        Self::from_price_columns(tickers, dates, |j| {
            prices[j * t..(j + 1) * t]
                .iter()
                .map(|v| (!v.is_nan()).then_some(*v))
        })
    }

    /// Returns of validated price columns (`column(j)` yields ticker j's
    /// prices on `dates`, `None` when missing).
    fn from_price_columns<I>(
        tickers: &[Symbol],
        dates: &[NaiveDate],
        column: impl Fn(usize) -> I,
    ) -> Result<Self>
    where
        I: Iterator<Item = Option<f64>>,
    {
        let n = tickers.len();
        let t = dates.len();
        if t < 2 {
            return Err(Error::InsufficientHistory {
                ticker: tickers.first().map(ToString::to_string).unwrap_or_default(),
                needed: 2,
                got: t,
            });
        }
        // Column by column, into the column-major buffer of the matrix.
        let len = t - 1;
        let mut data = vec![f64::NAN; len * n];
        let mut observed = vec![false; len];
        for (j, out) in data.chunks_exact_mut(len).enumerate() {
            let mut prev = None;
            for (k, price) in column(j).take(t).enumerate() {
                if k > 0
                    && let (Some(a), Some(b)) = (prev, price)
                {
                    let r = b / a - 1.0;
                    out[k - 1] = r;
                    observed[k - 1] |= !r.is_nan();
                }
                prev = price;
            }
        }
        let rows: Vec<usize> = (0..len).filter(|&i| observed[i]).collect();
        let values = if rows.len() == len {
            DMatrix::from_vec(len, n, data)
        } else {
            let mut kept = Vec::with_capacity(rows.len() * n);
            for col in data.chunks_exact(len) {
                kept.extend(rows.iter().map(|&r| col[r]));
            }
            DMatrix::from_vec(rows.len(), n, kept)
        };
        Ok(Self {
            tickers: tickers.to_vec(),
            dates: rows.iter().map(|r| dates[r + 1]).collect(),
            values,
            periods_per_year: PERIODS_PER_YEAR,
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
        if let Some(i) = values.as_slice().iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFinite {
                what: "returns",
                index: i.to_string(),
            });
        }
        Ok(Self {
            tickers,
            dates,
            values,
            periods_per_year: PERIODS_PER_YEAR,
        })
    }

    /// The same returns, annualised by the estimators at `periods` a year
    /// instead of [`PERIODS_PER_YEAR`] (52 for weekly returns, 12 for
    /// monthly: PyPortfolioOpt's `frequency`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `periods` is finite and positive.
    pub fn with_periods_per_year(mut self, periods: f64) -> Result<Self> {
        if !(periods.is_finite() && periods > 0.0) {
            return Err(Error::InvalidParameter {
                name: "frequency",
                reason: format!("periods a year must be finite and positive, got {periods}"),
            });
        }
        self.periods_per_year = periods;
        Ok(self)
    }

    /// Periods a year the estimators annualise by ([`PERIODS_PER_YEAR`]
    /// unless set with [`ReturnMatrix::with_periods_per_year`]).
    pub fn periods_per_year(&self) -> f64 {
        self.periods_per_year
    }

    /// Log returns `ln(1 + r)` on the same rows (missing stays missing):
    /// PyPortfolioOpt's `log_returns=True`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a return of -100% or below (no logarithm).
    pub fn to_log(&self) -> Result<Self> {
        if let Some(i) = self.values.iter().position(|r| *r <= -1.0) {
            let (t, _) = self.values.shape();
            let date = self
                .dates
                .get(i % t.max(1))
                .map_or_else(|| i.to_string(), ToString::to_string);
            return Err(Error::NonFinite {
                what: "log returns",
                index: format!("({date}, {})", self.tickers[i / t.max(1)]),
            });
        }
        Ok(Self {
            values: self.values.map(f64::ln_1p),
            ..self.clone()
        })
    }

    /// The growth of one unit along the returns, one column per ticker:
    /// 1 on the first row, then `index[t] = index[t-1] · (1 + r[t])` (with
    /// `log`, `· exp(r[t])`); a missing return leaves a missing value and
    /// does not move the index (PyPortfolioOpt's `prices_from_returns`).
    pub fn growth_index(&self, log: bool) -> DMatrix<f64> {
        let (t, n) = self.values.shape();
        let mut out = DMatrix::from_element(t, n, f64::NAN);
        for j in 0..n {
            let mut level = 1.0;
            for i in 0..t {
                let r = self.values[(i, j)];
                if i == 0 {
                    out[(i, j)] = 1.0;
                } else if !r.is_nan() {
                    level *= if log { r.exp() } else { 1.0 + r };
                    out[(i, j)] = level;
                }
            }
        }
        out
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
            periods_per_year: self.periods_per_year,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expected_returns::mean_historical;
    use crate::risk_models::sample_cov;

    fn matrix() -> ReturnMatrix {
        let tickers = vec!["A".parse().unwrap(), "B".parse().unwrap()];
        let day = |d| NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
        let values = DMatrix::from_row_slice(
            4,
            2,
            &[0.01, f64::NAN, -0.02, 0.03, 0.015, -0.01, 0.005, 0.02],
        );
        ReturnMatrix::new(tickers, vec![day(2), day(3), day(4), day(5)], values).unwrap()
    }

    /// A dense table gives exactly the frame's returns (gaps, a late
    /// listing, a date with no price at all), and is refused by the frame's
    /// rules with the frame's line and column.
    #[test]
    fn dense_prices_give_the_frames_returns() {
        let csv = "date,A,B,C\n2024-01-02,10,,5\n2024-01-03,10.5,20,\n2024-01-04,,,\n\
                   2024-01-05,11,20.5,5.25\n2024-01-08,11.2,,\n";
        let frame = PriceFrame::from_csv(csv.as_bytes()).unwrap();
        let mut dense = Vec::new();
        for j in 0..3 {
            dense.extend(
                frame
                    .column_at(j)
                    .unwrap()
                    .iter()
                    .map(|v| v.unwrap_or(f64::NAN)),
            );
        }
        let from_frame = ReturnMatrix::from_prices(&frame).unwrap();
        let from_dense =
            ReturnMatrix::from_dense_prices(frame.columns(), frame.dates(), &dense).unwrap();
        assert_eq!(from_dense.tickers(), from_frame.tickers());
        assert_eq!(from_dense.dates(), from_frame.dates());
        let (a, b) = (from_dense.values(), from_frame.values());
        assert_eq!(a.shape(), b.shape());
        assert!(
            a.iter()
                .zip(b.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits())
        );

        dense[6] = -1.0; // B on 2024-01-03
        let err =
            ReturnMatrix::from_dense_prices(frame.columns(), frame.dates(), &dense).unwrap_err();
        let Error::Core(auravest_core::Error::InvalidPrices { errors }) = err else {
            panic!("expected invalid prices, got {err:?}");
        };
        assert_eq!((errors[0].line, errors[0].field.as_str()), (3, "B"));
        let short = ReturnMatrix::from_dense_prices(frame.columns(), frame.dates(), &dense[1..]);
        assert!(matches!(short, Err(Error::Core(_))));
    }

    #[test]
    fn frequency_scales_the_annual_figures() {
        let daily = matrix();
        let weekly = daily.clone().with_periods_per_year(52.0).unwrap();
        assert!((weekly.periods_per_year() - 52.0).abs() < f64::EPSILON);
        let (m1, m2) = (
            mean_historical(&daily, false).unwrap(),
            mean_historical(&weekly, false).unwrap(),
        );
        assert!((m2.values()[0] - m1.values()[0] * 52.0 / 252.0).abs() < 1e-15);
        let (s1, s2) = (
            sample_cov(&daily, MissingData::Pairwise).unwrap(),
            sample_cov(&weekly, MissingData::Pairwise).unwrap(),
        );
        assert!((s2.matrix()[(0, 1)] - s1.matrix()[(0, 1)] * 52.0 / 252.0).abs() < 1e-15);
        // Geometric: (1.01 * 0.98 * 1.015 * 1.005)^(52/4) - 1.
        let g = mean_historical(&weekly, true).unwrap().values()[0];
        let expected = (1.01f64 * 0.98 * 1.015 * 1.005).powf(13.0) - 1.0;
        assert!((g - expected).abs() < 1e-12);
        assert!(matches!(
            daily.with_periods_per_year(0.0),
            Err(Error::InvalidParameter {
                name: "frequency",
                ..
            })
        ));
    }

    #[test]
    fn log_returns_and_growth_index() {
        let m = matrix();
        let log = m.to_log().unwrap();
        assert!((log.values()[(1, 0)] - (0.98f64).ln()).abs() < 1e-15);
        assert!(log.values()[(0, 1)].is_nan());
        let idx = m.growth_index(false);
        assert!((idx[(0, 0)] - 1.0).abs() < f64::EPSILON);
        assert!((idx[(3, 0)] - 0.98 * 1.015 * 1.005).abs() < 1e-15);
        assert!((idx[(0, 1)] - 1.0).abs() < f64::EPSILON);
        assert!((idx[(2, 1)] - 1.03 * 0.99).abs() < 1e-15);
        let back = log.growth_index(true);
        assert!((back[(3, 0)] - idx[(3, 0)]).abs() < 1e-14);
        let crash = ReturnMatrix::new(
            m.tickers().to_vec(),
            m.dates()[..1].to_vec(),
            DMatrix::from_row_slice(1, 2, &[-1.0, 0.0]),
        )
        .unwrap();
        assert!(matches!(crash.to_log(), Err(Error::NonFinite { .. })));
    }
}

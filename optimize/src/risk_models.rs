//! Risk models: annualised covariance matrices from a [`ReturnMatrix`].
//!
//! | function | PyPortfolioOpt 1.6 | default parameter |
//! | --- | --- | --- |
//! | [`sample_cov`] | `risk_models.sample_cov` | |
//! | [`semicovariance`] | `risk_models.semicovariance` | benchmark [`DEFAULT_SEMICOVARIANCE_BENCHMARK`] = 0.000079 a day |
//! | [`exp_cov`] | `risk_models.exp_cov` | span [`DEFAULT_EXP_COV_SPAN`] = 180 |
//! | [`ledoit_wolf`] | `CovarianceShrinkage.ledoit_wolf` (three targets) | |
//! | [`oracle_approximating`] | `CovarianceShrinkage.oracle_approximating` | |
//! | [`shrunk_covariance`] | `CovarianceShrinkage.shrunk_covariance` | delta [`DEFAULT_SHRINKAGE`] = 0.2 |
//!
//! Every figure is daily and multiplied by the return matrix's periods a
//! year at the end ([`crate::PERIODS_PER_YEAR`] = 252 unless set with
//! [`ReturnMatrix::with_periods_per_year`], PyPortfolioOpt's `frequency`). [`Estimator`] names them all for a command line.
//!
//! # Missing data
//!
//! Returns are NaN where a ticker has no price (late listings, gaps). Rows
//! where every ticker is missing carry nothing and are ignored. Every
//! estimator then follows the same [`MissingData`] policy:
//!
//! * Each ticker needs at least 2 observed returns, and in every estimator each
//!   pair of tickers needs at least 2 dates on which both are observed;
//!   otherwise [`Error::InsufficientHistory`] names the ticker or the pair.
//!   [`sample_cov`], [`semicovariance`] and [`exp_cov`] are singular with no
//!   more dates than tickers and return [`Error::TooFewObservations`]; the
//!   shrinkage estimators stay usable there.
//! * [`MissingData::Pairwise`] (the default): every moment of a pair (i, j)
//!   is taken over `O_ij`, the `n_ij` dates on which both are observed, with
//!   the means of i and j over those same dates (`O_ii` is i's own dates).
//!   Nothing is filled in.
//! * [`MissingData::PyPortfolioOpt`]: exactly what PyPortfolioOpt does, which
//!   differs per estimator: the sample covariance and [`shrunk_covariance`]
//!   are pairwise as above (pandas `DataFrame.cov`); [`exp_cov`] centres each
//!   ticker on its own full-history mean; [`semicovariance`], Ledoit-Wolf and
//!   OAS replace missing returns with 0 and divide by the number of rows, so a
//!   late-listed ticker looks calm; constant-correlation Ledoit-Wolf mixes the
//!   pairwise covariance with zero-filled fourth moments.
//!
//! On data with no missing value both policies run the same code and return
//! identical matrices and shrinkage intensities.
//!
//! ## Pairwise formulas
//!
//! With `x~` the returns centred over `O_ij` and `m~` the market centred the
//! same way:
//!
//! ```text
//! s_ij  = (1/n_ij) Σ x~_i x~_j                 biased covariance
//! S_ij  = (1/(n_ij - 1)) Σ x~_i x~_j           sample covariance (ddof 1)
//! pi_ij = (1/n_ij) Σ x~_i² x~_j² - s_ij²       asymptotic variance of s_ij
//! ```
//!
//! Each Ledoit-Wolf intensity is the original estimator with every entry's
//! error term divided by that entry's own `n_ij` (with no missing data every
//! `n_ij` is the number of rows `T` and the formulas are PyPortfolioOpt's /
//! scikit-learn's). The intensity is clipped to [0, 1].
//!
//! * Constant variance (Ledoit-Wolf 2004, as scikit-learn): target `mu I`,
//!   `mu = tr(s)/N`; `b = (1/N) Σ_ij pi_ij / n_ij`,
//!   `d = (1/N) ||s - mu I||²`; `delta = min(b, d) / d`; result
//!   `(1 - delta) s + delta mu I`.
//! * Single factor (Ledoit-Wolf 2001, as PyPortfolioOpt): the market `m_t` is
//!   the equal-weight mean of the returns observed on date t;
//!   `beta_i = (1/n_ii) Σ_{O_ii} x~_i m~`, `var_m` its variance over all rows
//!   (1/T); target `f_ij = beta_i beta_j / var_m`, `f_ii = s_ii`. With
//!   `v_ij = (1/n_ij) Σ x~_i² x~_j m~ - beta_i s_ij` and
//!   `w_ij = (1/n_ij) Σ x~_i x~_j m~² - var_m s_ij`,
//!   `rho_ij = (beta_j v_ij + beta_i v_ji) / var_m - beta_i beta_j w_ij / var_m²`;
//!   `delta = Σ_{i≠j} (pi_ij - rho_ij) / n_ij / ||f - s||²`; result
//!   `delta f + (1 - delta) s`.
//! * Constant correlation (Ledoit-Wolf 2003, as PyPortfolioOpt, which uses the
//!   ddof-1 `S` for the target): `r = mean_{i≠j} S_ij / sqrt(S_ii S_jj)`,
//!   `F_ij = r sqrt(S_ii S_jj)`, `F_ii = S_ii`;
//!   `pi_ij = (1/n_ij) Σ x~_i² x~_j² - 2 s_ij S_ij + S_ij²`,
//!   `theta_ij = (1/n_ij) Σ x~_i³ x~_j - h_ij S_ij - s_ij S_ii + S_ii S_ij` with
//!   `h_ij = (1/n_ij) Σ x~_i²`, `rho_ij = r sqrt(S_jj / S_ii) theta_ij`;
//!   `delta = Σ_{i≠j} (pi_ij - rho_ij) / n_ij / ||S - F||²`; result
//!   `delta F + (1 - delta) S`.
//! * OAS (Chen et al. 2010, as scikit-learn):
//!   `delta = min(1, Σ_ij (s_ij² + s_ii s_jj) / (n_ij + 1) / (||s||² - tr(s)²/N))`;
//!   result `(1 - delta) s + delta (tr(s)/N) I`.
//! * [`shrunk_covariance`]: `(1 - delta) S + delta (tr(S)/N) I` in both modes.
//! * [`semicovariance`]: `(1/n_ij) Σ min(r_i - B, 0) min(r_j - B, 0)` over `O_ij`.
//! * [`exp_cov`]: `Σ w_t x~_i x~_j / Σ w_t` over `O_ij` with
//!   `w_t = (1 - alpha)^(t_last - t)`, `alpha = 2/(span + 1)`, counted in rows
//!   so that a gap still decays older data (pandas `ewm(span)` with
//!   `adjust=True, ignore_na=False`).
//!
//! ## Positive semidefiniteness
//!
//! Every estimator finishes as PyPortfolioOpt does: if a Cholesky factorisation
//! of `S + 1e-16 I` fails, negative eigenvalues are set to 0 ([`fix_psd`] with
//! [`PsdRepair::Spectral`]). In `Pairwise` mode that clean-up is applied only
//! when the negative eigenvalues are rounding noise (at least
//! `-PSD_TOLERANCE * trace`); a pairwise estimate that is really indefinite is
//! returned unchanged, so [`is_psd`] reports it and the optimisers refuse it
//! with [`Error::NotPositiveSemiDefinite`] instead of silently changing it.
//!
//! Sums run over all rows with matrix products when nothing is missing, so a
//! 1,000 x 500 sample covariance costs one matrix product; missing data falls
//! back to loops over pairs.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use auravest_core::Symbol;

use nalgebra::{DMatrix, DVector, Dyn, SymmetricEigen};

use crate::linalg::sym_gram;
use crate::{CovarianceMatrix, Error, MissingData, Result, ReturnMatrix};

/// PyPortfolioOpt's default semicovariance benchmark: a daily return of
/// 0.000079, about the daily equivalent of 2% a year (`1.02^(1/252) - 1`).
pub const DEFAULT_SEMICOVARIANCE_BENCHMARK: f64 = 0.000079;

/// PyPortfolioOpt's default span (in rows) of the exponentially weighted
/// covariance.
pub const DEFAULT_EXP_COV_SPAN: usize = 180;

/// PyPortfolioOpt's default fixed shrinkage intensity.
pub const DEFAULT_SHRINKAGE: f64 = 0.2;

/// Relative tolerance of [`is_psd`]: the smallest eigenvalue may be as low as
/// `-PSD_TOLERANCE * trace`.
pub const PSD_TOLERANCE: f64 = 1e-10;

/// Minimum observations per ticker and per pair of tickers.
const MIN_OBSERVATIONS: usize = 2;

/// Iteration cap of the symmetric eigendecomposition (per dimension).
const EIGEN_ITERATIONS_PER_DIM: usize = 1_000;

/// Iteration cap and tolerance of the nearest-correlation projections.
const NEAREST_CORRELATION_MAX_ITER: usize = 1_000;
const NEAREST_CORRELATION_TOL: f64 = 1e-10;

/// The structured target a Ledoit-Wolf estimate shrinks towards. Its
/// names (serde, snake case): `constant_variance`, `single_factor`,
/// `constant_correlation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShrinkageTarget {
    /// The average variance times the identity (scikit-learn's `ledoit_wolf`).
    #[default]
    ConstantVariance,
    /// Sharpe's single-factor model on the equal-weight market.
    SingleFactor,
    /// Every pair at the average correlation, each ticker at its own variance.
    ConstantCorrelation,
}

/// How [`fix_psd`] repairs a matrix that is not positive semidefinite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PsdRepair {
    /// Set negative eigenvalues to 0 and rebuild (PyPortfolioOpt's `spectral`).
    #[default]
    Spectral,
    /// Higham's (2002) nearest correlation matrix by alternating projections
    /// with Dykstra's correction, rescaled by the original variances: the
    /// diagonal is kept.
    NearestCorrelation,
    /// Raise every variance by 1.1 times the magnitude of the most negative
    /// eigenvalue, leaving the covariances as they are (PyPortfolioOpt's
    /// `diag`).
    Diagonal,
}

/// A risk model, as the `--risk-model` option names it.
///
/// | name | variant |
/// | --- | --- |
/// | `sample` | [`Estimator::Sample`] |
/// | `semicovariance` | [`Estimator::Semicovariance`] at [`DEFAULT_SEMICOVARIANCE_BENCHMARK`] |
/// | `exp-cov` | [`Estimator::ExpCov`] at [`DEFAULT_EXP_COV_SPAN`] |
/// | `ledoit-wolf` | [`ShrinkageTarget::ConstantVariance`] |
/// | `ledoit-wolf-single-factor` | [`ShrinkageTarget::SingleFactor`] |
/// | `ledoit-wolf-constant-correlation` | [`ShrinkageTarget::ConstantCorrelation`] |
/// | `oas` | [`Estimator::Oas`] |
/// | `shrunk` | [`Estimator::Shrunk`] at [`DEFAULT_SHRINKAGE`] |
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Estimator {
    /// [`sample_cov`].
    #[default]
    Sample,
    /// [`semicovariance`] below a daily benchmark return.
    Semicovariance {
        /// Daily benchmark return.
        benchmark: f64,
    },
    /// [`exp_cov`] with a span in rows.
    ExpCov {
        /// Span of the exponential weights.
        span: usize,
    },
    /// [`ledoit_wolf`] towards a target.
    LedoitWolf {
        /// The shrinkage target.
        target: ShrinkageTarget,
    },
    /// [`oracle_approximating`].
    Oas,
    /// [`shrunk_covariance`] with a fixed intensity.
    Shrunk {
        /// Shrinkage intensity in [0, 1].
        delta: f64,
    },
}

impl Estimator {
    /// Every name [`FromStr`] accepts.
    pub const NAMES: [&'static str; 8] = [
        "sample",
        "semicovariance",
        "exp-cov",
        "ledoit-wolf",
        "ledoit-wolf-single-factor",
        "ledoit-wolf-constant-correlation",
        "oas",
        "shrunk",
    ];

    /// Estimates the annual covariance matrix.
    ///
    /// # Errors
    /// Those of the function the variant names.
    pub fn estimate(
        &self,
        returns: &ReturnMatrix,
        policy: MissingData,
    ) -> Result<CovarianceMatrix> {
        match *self {
            Self::Sample => sample_cov(returns, policy),
            Self::Semicovariance { benchmark } => semicovariance(returns, benchmark, policy),
            Self::ExpCov { span } => exp_cov(returns, span, policy),
            Self::LedoitWolf { target } => ledoit_wolf(returns, target, policy).map(|(c, _)| c),
            Self::Oas => oracle_approximating(returns, policy).map(|(c, _)| c),
            Self::Shrunk { delta } => shrunk_covariance(returns, delta, policy),
        }
    }

    /// The option name of the variant (parameters are not part of it).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Sample => "sample",
            Self::Semicovariance { .. } => "semicovariance",
            Self::ExpCov { .. } => "exp-cov",
            Self::LedoitWolf {
                target: ShrinkageTarget::ConstantVariance,
            } => "ledoit-wolf",
            Self::LedoitWolf {
                target: ShrinkageTarget::SingleFactor,
            } => "ledoit-wolf-single-factor",
            Self::LedoitWolf {
                target: ShrinkageTarget::ConstantCorrelation,
            } => "ledoit-wolf-constant-correlation",
            Self::Oas => "oas",
            Self::Shrunk { .. } => "shrunk",
        }
    }
}

impl fmt::Display for Estimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Estimator {
    type Err = Error;

    /// Parses an option name, with PyPortfolioOpt's default parameters.
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "sample" => Self::Sample,
            "semicovariance" => Self::Semicovariance {
                benchmark: DEFAULT_SEMICOVARIANCE_BENCHMARK,
            },
            "exp-cov" => Self::ExpCov {
                span: DEFAULT_EXP_COV_SPAN,
            },
            "ledoit-wolf" => Self::LedoitWolf {
                target: ShrinkageTarget::ConstantVariance,
            },
            "ledoit-wolf-single-factor" => Self::LedoitWolf {
                target: ShrinkageTarget::SingleFactor,
            },
            "ledoit-wolf-constant-correlation" => Self::LedoitWolf {
                target: ShrinkageTarget::ConstantCorrelation,
            },
            "oas" => Self::Oas,
            "shrunk" => Self::Shrunk {
                delta: DEFAULT_SHRINKAGE,
            },
            other => {
                return Err(Error::InvalidParameter {
                    name: "risk model",
                    reason: format!(
                        "unknown risk model {other:?}; use one of {}",
                        Self::NAMES.join(", ")
                    ),
                });
            }
        })
    }
}

// ---------------------------------------------------------------- input checks

/// Returns validated for estimation: finite or NaN, rows with at least one
/// observation, enough observations per ticker.
pub(crate) struct Prepared<'a> {
    pub(crate) tickers: &'a [Symbol],
    /// The returns (NaN = missing), rows where everything is missing removed.
    pub(crate) x: Cow<'a, DMatrix<f64>>,
    /// Original row of each kept row, when rows were removed.
    pub(crate) kept: Option<Vec<usize>>,
    /// No NaN anywhere.
    pub(crate) complete: bool,
    /// Periods a year to annualise by (the return matrix's).
    pub(crate) periods: f64,
}

impl Prepared<'_> {
    pub(crate) fn rows(&self) -> usize {
        self.x.nrows()
    }

    pub(crate) fn cols(&self) -> usize {
        self.x.ncols()
    }

    /// Column `j` as a contiguous slice (nalgebra stores column-major).
    pub(crate) fn col(&self, j: usize) -> &[f64] {
        let t = self.x.nrows();
        &self.x.as_slice()[j * t..(j + 1) * t]
    }
}

/// Checks `returns` and drops rows where every ticker is missing.
///
/// Errors: no ticker, an infinite value, or a ticker with fewer than
/// `min_obs` observations.
pub(crate) fn prepare(returns: &ReturnMatrix, min_obs: usize) -> Result<Prepared<'_>> {
    let v = returns.values();
    let (t, n) = v.shape();
    let tickers = returns.tickers();
    if n == 0 {
        return Err(Error::InvalidParameter {
            name: "returns",
            reason: "the return matrix has no tickers".to_owned(),
        });
    }
    // One pass that vectorises (no early exit) tells whether anything is
    // infinite or missing; the position is looked up only for the error.
    let data = v.as_slice();
    let (any_infinite, any_missing) = data.iter().fold((false, false), |(inf, nan), x| {
        (inf | x.is_infinite(), nan | x.is_nan())
    });
    if let Some(pos) = any_infinite
        .then(|| data.iter().position(|x| x.is_infinite()))
        .flatten()
    {
        let (row, col) = (pos % t, pos / t);
        let date = returns
            .dates()
            .get(row)
            .map_or_else(|| format!("row {row}"), ToString::to_string);
        return Err(Error::NonFinite {
            what: "returns",
            index: format!("({date}, {})", tickers.get(col).map_or("?", Symbol::as_str)),
        });
    }
    // Column by column (the storage order): rows where every ticker is
    // missing, and whether anything is missing at all.
    let nothing_missing = !any_missing;
    let keep: Option<Vec<usize>> = if nothing_missing {
        None
    } else {
        let mut observed = vec![false; t];
        for col in data.chunks_exact(t) {
            for (o, x) in observed.iter_mut().zip(col) {
                *o |= !x.is_nan();
            }
        }
        let keep: Vec<usize> = (0..t).filter(|&i| observed[i]).collect();
        (keep.len() < t).then_some(keep)
    };
    let (x, kept) = match keep {
        None => (Cow::Borrowed(v), None),
        Some(keep) => {
            let mut out = Vec::with_capacity(keep.len() * n);
            for col in data.chunks_exact(t) {
                out.extend(keep.iter().map(|&r| col[r]));
            }
            (
                Cow::Owned(DMatrix::from_vec(keep.len(), n, out)),
                Some(keep),
            )
        }
    };
    let prepared = Prepared {
        tickers,
        periods: returns.periods_per_year(),
        complete: nothing_missing || !x.as_slice().iter().any(|v| v.is_nan()),
        x,
        kept,
    };
    for (j, ticker) in tickers.iter().enumerate() {
        let got = if prepared.complete {
            prepared.rows()
        } else {
            prepared.col(j).iter().filter(|v| !v.is_nan()).count()
        };
        if got < min_obs {
            return Err(Error::InsufficientHistory {
                ticker: ticker.to_string(),
                needed: min_obs,
                got,
            });
        }
    }
    Ok(prepared)
}

/// Checks that every pair is observed together on at least `min` dates.
fn check_pairs(p: &Prepared<'_>, min: usize) -> Result<()> {
    if p.complete {
        return Ok(());
    }
    let mask = p.x.map(|v| if v.is_nan() { 0.0 } else { 1.0 });
    let counts = mask.transpose() * &mask;
    let n = p.cols();
    for j in 0..n {
        for i in 0..j {
            // Counts are exact integers in f64 (sums of 0/1 far below 2^53).
            let got = counts[(i, j)] as usize;
            if got < min {
                return Err(Error::InsufficientHistory {
                    ticker: format!(
                        "{}/{} (dates both are observed)",
                        p.tickers[i], p.tickers[j]
                    ),
                    needed: min,
                    got,
                });
            }
        }
    }
    Ok(())
}

/// The sample-type estimators are singular without more dates than tickers.
fn check_observations(p: &Prepared<'_>) -> Result<()> {
    if p.rows() <= p.cols() {
        return Err(Error::TooFewObservations {
            observations: p.rows(),
            assets: p.cols(),
        });
    }
    Ok(())
}

/// pandas' decay factor `1 - alpha` for a span (`com = (span - 1)/2`,
/// `alpha = 1/(1 + com)`).
pub(crate) fn decay_factor(span: usize) -> Result<f64> {
    if span == 0 {
        return Err(Error::InvalidParameter {
            name: "span",
            reason: "the span of exponential weights must be at least 1".to_owned(),
        });
    }
    let com = (span as f64 - 1.0) / 2.0;
    Ok(1.0 - 1.0 / (1.0 + com))
}

/// Whether a series whose largest absolute value is `scale` and whose
/// variance is `var` is constant up to rounding.
pub(crate) fn is_constant(var: f64, scale: f64) -> bool {
    var.is_nan() || var.max(0.0).sqrt() <= 1e-14 * scale
}

/// Largest absolute observed value of a column.
fn max_abs(values: &[f64]) -> f64 {
    values
        .iter()
        .filter(|v| !v.is_nan())
        .fold(0.0, |acc, v| acc.max(v.abs()))
}

/// `factor^d` for `d` in `0..len`.
pub(crate) fn powers(factor: f64, len: usize) -> Vec<f64> {
    (0..len).map(|d| factor.powf(d as f64)).collect()
}

// ---------------------------------------------------------------- kernels

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Columns minus their means (complete data).
fn centred(x: &DMatrix<f64>) -> DMatrix<f64> {
    let (t, n) = x.shape();
    let mut out = Vec::with_capacity(t * n);
    if t > 0 {
        for col in x.as_slice().chunks_exact(t) {
            let m = col.iter().sum::<f64>() / t as f64;
            out.extend(col.iter().map(|v| v - m));
        }
    }
    DMatrix::from_vec(t, n, out)
}

/// Makes `m` exactly symmetric by averaging mirrored entries.
fn symmetrize(m: &mut DMatrix<f64>) {
    let n = m.nrows();
    for j in 0..n {
        for i in 0..j {
            let v = 0.5 * (m[(i, j)] + m[(j, i)]);
            m[(i, j)] = v;
            m[(j, i)] = v;
        }
    }
}

/// Fills `out[(i, j)]` and `out[(j, i)]` with `f(i, j)` for `i <= j`.
fn fill_symmetric(n: usize, mut f: impl FnMut(usize, usize) -> f64) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(n, n);
    for j in 0..n {
        for i in 0..=j {
            let v = f(i, j);
            out[(i, j)] = v;
            out[(j, i)] = v;
        }
    }
    out
}

/// Values of columns i and j on the dates both are observed, with their rows.
fn gather_pair(xi: &[f64], xj: &[f64], rows: &mut Vec<usize>, a: &mut Vec<f64>, b: &mut Vec<f64>) {
    rows.clear();
    a.clear();
    b.clear();
    for (k, (&u, &v)) in xi.iter().zip(xj).enumerate() {
        if !u.is_nan() && !v.is_nan() {
            rows.push(k);
            a.push(u);
            b.push(v);
        }
    }
}

/// Covariance with divisor `n - ddof`: one matrix product on complete data,
/// pairwise-complete (pandas `DataFrame.cov`) otherwise.
fn covariance(p: &Prepared<'_>, ddof: f64) -> DMatrix<f64> {
    if p.complete {
        let mut g = sym_gram(&centred(&p.x));
        g /= p.rows() as f64 - ddof;
        return g;
    }
    let (mut rows, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    fill_symmetric(p.cols(), |i, j| {
        gather_pair(p.col(i), p.col(j), &mut rows, &mut a, &mut b);
        let (ma, mb) = (mean(&a), mean(&b));
        let sum: f64 = a.iter().zip(&b).map(|(u, v)| (u - ma) * (v - mb)).sum();
        sum / (a.len() as f64 - ddof)
    })
}

/// Annualises, applies the PSD rule of the policy, names the matrix.
fn finish(
    mut daily: DMatrix<f64>,
    p: &Prepared<'_>,
    policy: MissingData,
) -> Result<CovarianceMatrix> {
    daily *= p.periods;
    symmetrize(&mut daily);
    let matrix = if daily.iter().all(|v| v.is_finite()) && !cholesky_ok(&daily) {
        let eig = eigen(&daily)?;
        let min = eig.eigenvalues.min();
        let rounding = min >= -PSD_TOLERANCE * daily.trace().max(0.0);
        match policy {
            MissingData::PyPortfolioOpt => clip_eigenvalues(&eig),
            MissingData::Pairwise if rounding => clip_eigenvalues(&eig),
            MissingData::Pairwise => daily,
        }
    } else {
        daily
    };
    CovarianceMatrix::new(p.tickers.to_vec(), matrix)
}

/// PyPortfolioOpt's test: does `m + 1e-16 I` have a Cholesky factor?
fn cholesky_ok(m: &DMatrix<f64>) -> bool {
    crate::linalg::has_cholesky(m, 1e-16)
}

fn eigen(m: &DMatrix<f64>) -> Result<SymmetricEigen<f64, Dyn>> {
    let max_iter = EIGEN_ITERATIONS_PER_DIM * m.nrows().max(1);
    SymmetricEigen::try_new(m.clone(), f64::EPSILON, max_iter).ok_or_else(|| Error::Solver {
        status: "the symmetric eigendecomposition did not converge".to_owned(),
    })
}

/// `V max(L, 0) V'`, symmetrised.
fn clip_eigenvalues(eig: &SymmetricEigen<f64, Dyn>) -> DMatrix<f64> {
    let v = &eig.eigenvectors;
    let mut scaled = v.clone();
    for (mut col, &l) in scaled.column_iter_mut().zip(eig.eigenvalues.iter()) {
        col *= l.max(0.0);
    }
    let mut out = scaled * v.transpose();
    symmetrize(&mut out);
    out
}

// ---------------------------------------------------------------- estimators

/// The annualised sample covariance: pairwise-complete, divisor `n - 1`
/// (pandas `DataFrame.cov() * 252`), identical in both policies apart from
/// the PSD rule (see the module docs).
///
/// # Errors
/// [`Error::InsufficientHistory`] for a ticker or pair with fewer than 2
/// observations, [`Error::TooFewObservations`] with no more dates than
/// tickers, [`Error::NonFinite`] for infinite returns,
/// [`Error::InvalidParameter`] for an empty matrix.
pub fn sample_cov(returns: &ReturnMatrix, policy: MissingData) -> Result<CovarianceMatrix> {
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    check_pairs(&p, MIN_OBSERVATIONS)?;
    check_observations(&p)?;
    finish(covariance(&p, 1.0), &p, policy)
}

/// The annualised semicovariance below a daily `benchmark` return:
/// `mean(min(r_i - B, 0) min(r_j - B, 0)) * 252`.
///
/// `Pairwise` averages over the dates both tickers are observed;
/// `PyPortfolioOpt` counts a missing return as no shortfall and divides by
/// every row. PyPortfolioOpt's default benchmark is
/// [`DEFAULT_SEMICOVARIANCE_BENCHMARK`].
///
/// # Errors
/// As [`sample_cov`], and [`Error::InvalidParameter`] for a non-finite
/// benchmark.
pub fn semicovariance(
    returns: &ReturnMatrix,
    benchmark: f64,
    policy: MissingData,
) -> Result<CovarianceMatrix> {
    if !benchmark.is_finite() {
        return Err(Error::InvalidParameter {
            name: "benchmark",
            reason: format!("the benchmark return must be finite, got {benchmark}"),
        });
    }
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    check_pairs(&p, MIN_OBSERVATIONS)?;
    check_observations(&p)?;
    let drops = p.x.map(|v| {
        if v.is_nan() {
            v
        } else {
            (v - benchmark).min(0.0)
        }
    });
    let daily = if p.complete || policy == MissingData::PyPortfolioOpt {
        let filled = drops.map(|v| if v.is_nan() { 0.0 } else { v });
        sym_gram(&filled) / p.rows() as f64
    } else {
        let t = p.rows();
        let col = |j: usize| &drops.as_slice()[j * t..(j + 1) * t];
        let (mut rows, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        fill_symmetric(p.cols(), |i, j| {
            gather_pair(col(i), col(j), &mut rows, &mut a, &mut b);
            a.iter().zip(&b).map(|(u, v)| u * v).sum::<f64>() / a.len() as f64
        })
    };
    finish(daily, &p, policy)
}

/// The annualised exponentially weighted covariance with a `span` in rows
/// (PyPortfolioOpt's `exp_cov`: pandas `ewm(span).mean()` of the products of
/// centred returns, last value). PyPortfolioOpt's default span is
/// [`DEFAULT_EXP_COV_SPAN`].
///
/// `Pairwise` centres each pair on its means over the dates both are
/// observed; `PyPortfolioOpt` on each ticker's own full-history mean.
///
/// # Errors
/// As [`sample_cov`], and [`Error::InvalidParameter`] for a span of 0.
pub fn exp_cov(
    returns: &ReturnMatrix,
    span: usize,
    policy: MissingData,
) -> Result<CovarianceMatrix> {
    let factor = decay_factor(span)?;
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    check_pairs(&p, MIN_OBSERVATIONS)?;
    check_observations(&p)?;
    let t = p.rows();
    let pw = powers(factor, t);
    let daily = if p.complete {
        let xc = centred(&p.x);
        let weighted = DMatrix::from_fn(t, p.cols(), |r, c| xc[(r, c)] * pw[t - 1 - r]);
        let mut g = weighted.transpose() * &xc;
        symmetrize(&mut g);
        g / pw.iter().sum::<f64>()
    } else {
        let own_means: Vec<f64> = (0..p.cols())
            .map(|j| {
                let obs: Vec<f64> = p.col(j).iter().copied().filter(|v| !v.is_nan()).collect();
                mean(&obs)
            })
            .collect();
        let (mut rows, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        fill_symmetric(p.cols(), |i, j| {
            gather_pair(p.col(i), p.col(j), &mut rows, &mut a, &mut b);
            let (ma, mb) = match policy {
                MissingData::Pairwise => (mean(&a), mean(&b)),
                MissingData::PyPortfolioOpt => (own_means[i], own_means[j]),
            };
            let last = rows.last().copied().unwrap_or(0);
            let (mut num, mut den) = (0.0, 0.0);
            for ((&k, &u), &v) in rows.iter().zip(&a).zip(&b) {
                let w = pw[last - k];
                num += w * (u - ma) * (v - mb);
                den += w;
            }
            num / den
        })
    };
    finish(daily, &p, policy)
}

/// A fixed shrinkage of the sample covariance towards its average variance:
/// `(1 - delta) S + delta (tr(S)/N) I`, annualised (PyPortfolioOpt's
/// `shrunk_covariance`, whose default intensity is [`DEFAULT_SHRINKAGE`]).
/// `S` is the pairwise sample covariance in both policies.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 <= delta <= 1`; otherwise as
/// [`sample_cov`] except that fewer dates than tickers are allowed.
pub fn shrunk_covariance(
    returns: &ReturnMatrix,
    delta: f64,
    policy: MissingData,
) -> Result<CovarianceMatrix> {
    if !(0.0..=1.0).contains(&delta) {
        return Err(Error::InvalidParameter {
            name: "delta",
            reason: format!("the shrinkage intensity must be between 0 and 1, got {delta}"),
        });
    }
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    check_pairs(&p, MIN_OBSERVATIONS)?;
    let s = covariance(&p, 1.0);
    let mu = s.trace() / p.cols() as f64;
    let mut out = s * (1.0 - delta);
    for i in 0..p.cols() {
        out[(i, i)] += delta * mu;
    }
    finish(out, &p, policy)
}

/// The Ledoit-Wolf shrinkage estimate towards `target`, annualised, with its
/// shrinkage intensity in [0, 1]. The formulas of each policy are in the
/// module docs.
///
/// # Errors
/// [`Error::InsufficientHistory`] for a ticker or pair with fewer than 2
/// observations, [`Error::NonFinite`] for infinite returns,
/// [`Error::InvalidParameter`] for an empty matrix, a ticker with zero
/// variance (constant correlation) or a market with zero variance (single
/// factor).
pub fn ledoit_wolf(
    returns: &ReturnMatrix,
    target: ShrinkageTarget,
    policy: MissingData,
) -> Result<(CovarianceMatrix, f64)> {
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    check_pairs(&p, MIN_OBSERVATIONS)?;
    let need = Need::for_target(target);
    let (daily, delta) = match (p.complete, policy) {
        (true, _) => {
            let m = moments_complete(&p.x, need);
            shrink(target, &m, None, &p)?
        }
        (false, MissingData::PyPortfolioOpt) => {
            let filled = p.x.map(|v| if v.is_nan() { 0.0 } else { v });
            let m = moments_complete(&filled, need);
            let pairwise_s =
                (target == ShrinkageTarget::ConstantCorrelation).then(|| covariance(&p, 1.0));
            shrink(target, &m, pairwise_s.as_ref(), &p)?
        }
        (false, MissingData::Pairwise) => {
            let m = moments_pairwise(&p, need);
            shrink(target, &m, None, &p)?
        }
    };
    Ok((finish(daily, &p, policy)?, delta))
}

/// The Oracle Approximating Shrinkage estimate (Chen et al. 2010, as
/// scikit-learn's `oas`), annualised, with its intensity in [0, 1].
///
/// # Errors
/// As [`ledoit_wolf`].
pub fn oracle_approximating(
    returns: &ReturnMatrix,
    policy: MissingData,
) -> Result<(CovarianceMatrix, f64)> {
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    check_pairs(&p, MIN_OBSERVATIONS)?;
    let need = Need::default();
    let m = match (p.complete, policy) {
        (true, _) => moments_complete(&p.x, need),
        (false, MissingData::PyPortfolioOpt) => {
            moments_complete(&p.x.map(|v| if v.is_nan() { 0.0 } else { v }), need)
        }
        (false, MissingData::Pairwise) => moments_pairwise(&p, need),
    };
    let (daily, delta) = shrink_oas(&m);
    Ok((finish(daily, &p, policy)?, delta))
}

// ---------------------------------------------------------------- shrinkage moments

/// Which optional moments a target needs.
#[derive(Debug, Clone, Copy, Default)]
struct Need {
    single_factor: bool,
    constant_correlation: bool,
    /// Every `q_ij`, not only their sum (complete data).
    pair_fourth: bool,
}

impl Need {
    fn for_target(target: ShrinkageTarget) -> Self {
        Self {
            single_factor: target == ShrinkageTarget::SingleFactor,
            constant_correlation: target == ShrinkageTarget::ConstantCorrelation,
            pair_fourth: target != ShrinkageTarget::ConstantVariance,
        }
    }
}

/// Centred moments of every pair over its common dates (see the module docs).
struct Moments {
    /// `n_ij`.
    n: DMatrix<f64>,
    /// Biased covariance `s`.
    s: DMatrix<f64>,
    /// Sample covariance `S` (divisor `n - 1`).
    big_s: DMatrix<f64>,
    /// `(1/n) Σ x~_i² x~_j²`; empty for complete data unless a target needs
    /// every entry (see `q_sum`).
    q: DMatrix<f64>,
    /// `Σ_ij q_ij`, set for complete data only: `(1/T) Σ_t (x~_t . x~_t)²`,
    /// `O(N T)` instead of a second `N x N x T` product.
    q_sum: f64,
    /// Single factor: `beta_i`, `var_m`, `(1/n) Σ x~_i² x~_j m~`, `(1/n) Σ x~_i x~_j m~²`.
    beta: DVector<f64>,
    var_m: f64,
    /// Largest absolute market return (to tell a constant market).
    market_scale: f64,
    v: DMatrix<f64>,
    w: DMatrix<f64>,
    /// Constant correlation: `(1/n) Σ x~_i³ x~_j` and `h_ij = (1/n) Σ x~_i²`.
    t3: DMatrix<f64>,
    h: DMatrix<f64>,
}

/// Moments of complete data, by matrix products.
fn moments_complete(x: &DMatrix<f64>, need: Need) -> Moments {
    let (t, n) = x.shape();
    let tf = t as f64;
    let xc = centred(x);
    let g = sym_gram(&xc);
    let x2 = xc.component_mul(&xc);
    let mut m = Moments {
        n: DMatrix::from_element(n, n, tf),
        s: &g / tf,
        big_s: &g / (tf - 1.0),
        q: if need.pair_fourth {
            sym_gram(&x2) / tf
        } else {
            DMatrix::zeros(0, 0)
        },
        q_sum: {
            let mut norms = vec![0.0; t];
            for col in x2.column_iter() {
                norms.iter_mut().zip(col.iter()).for_each(|(a, v)| *a += v);
            }
            norms.iter().map(|v| v * v).sum::<f64>() / tf
        },
        beta: DVector::zeros(0),
        var_m: 0.0,
        market_scale: 0.0,
        v: DMatrix::zeros(0, 0),
        w: DMatrix::zeros(0, 0),
        t3: DMatrix::zeros(0, 0),
        h: DMatrix::zeros(0, 0),
    };
    if need.single_factor {
        let raw = DVector::from_fn(t, |r, _| x.row(r).sum() / n as f64);
        let mut mkt = DVector::from_fn(t, |r, _| xc.row(r).sum() / n as f64);
        let mm = mkt.mean();
        mkt.add_scalar_mut(-mm);
        m.beta = xc.tr_mul(&mkt) / tf;
        m.var_m = mkt.dot(&mkt) / tf;
        m.market_scale = raw.amax();
        let z = DMatrix::from_fn(t, n, |r, c| xc[(r, c)] * mkt[r]);
        m.v = x2.transpose() * &z / tf;
        m.w = sym_gram(&z) / tf;
    }
    if need.constant_correlation {
        let x3 = x2.component_mul(&xc);
        m.t3 = x3.transpose() * &xc / tf;
        m.h = DMatrix::from_fn(n, n, |i, _| m.s[(i, i)]);
    }
    m
}

/// Pairwise-complete moments: each pair centred over its common dates.
fn moments_pairwise(p: &Prepared<'_>, need: Need) -> Moments {
    let (t, n) = (p.rows(), p.cols());
    // Equal-weight market of the returns observed on each date.
    let market: Vec<f64> = (0..t)
        .map(|r| {
            let (sum, cnt) =
                p.x.row(r)
                    .iter()
                    .filter(|v| !v.is_nan())
                    .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
            sum / cnt.max(1) as f64
        })
        .collect();
    let sized = |on: bool| {
        if on {
            DMatrix::zeros(n, n)
        } else {
            DMatrix::zeros(0, 0)
        }
    };
    let mut m = Moments {
        n: DMatrix::zeros(n, n),
        s: DMatrix::zeros(n, n),
        big_s: DMatrix::zeros(n, n),
        q: DMatrix::zeros(n, n),
        q_sum: f64::NAN,
        beta: DVector::zeros(if need.single_factor { n } else { 0 }),
        var_m: 0.0,
        market_scale: max_abs(&market),
        v: sized(need.single_factor),
        w: sized(need.single_factor),
        t3: sized(need.constant_correlation),
        h: sized(need.constant_correlation),
    };
    if need.single_factor {
        let mm = mean(&market);
        m.var_m = market.iter().map(|v| (v - mm) * (v - mm)).sum::<f64>() / t as f64;
    }
    let (mut rows, mut a, mut b, mut mk) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..=j {
            gather_pair(p.col(i), p.col(j), &mut rows, &mut a, &mut b);
            let cnt = a.len() as f64;
            let (ma, mb) = (mean(&a), mean(&b));
            a.iter_mut().for_each(|u| *u -= ma);
            b.iter_mut().for_each(|v| *v -= mb);
            let sum_ab: f64 = a.iter().zip(&b).map(|(u, v)| u * v).sum();
            let sum_q: f64 = a.iter().zip(&b).map(|(u, v)| u * u * v * v).sum();
            set_sym(&mut m.n, i, j, cnt);
            set_sym(&mut m.s, i, j, sum_ab / cnt);
            set_sym(&mut m.big_s, i, j, sum_ab / (cnt - 1.0));
            set_sym(&mut m.q, i, j, sum_q / cnt);
            if need.single_factor {
                mk.clear();
                mk.extend(rows.iter().map(|&k| market[k]));
                let mm = mean(&mk);
                mk.iter_mut().for_each(|v| *v -= mm);
                let (mut vij, mut vji, mut wij, mut beta) = (0.0, 0.0, 0.0, 0.0);
                for ((u, v), w) in a.iter().zip(&b).zip(&mk) {
                    vij += u * u * v * w;
                    vji += v * v * u * w;
                    wij += u * v * w * w;
                    beta += u * w;
                }
                m.v[(i, j)] = vij / cnt;
                m.v[(j, i)] = vji / cnt;
                set_sym(&mut m.w, i, j, wij / cnt);
                if i == j {
                    m.beta[i] = beta / cnt;
                }
            }
            if need.constant_correlation {
                let (mut tij, mut tji, mut hi, mut hj) = (0.0, 0.0, 0.0, 0.0);
                for (u, v) in a.iter().zip(&b) {
                    tij += u * u * u * v;
                    tji += v * v * v * u;
                    hi += u * u;
                    hj += v * v;
                }
                m.t3[(i, j)] = tij / cnt;
                m.t3[(j, i)] = tji / cnt;
                m.h[(i, j)] = hi / cnt;
                m.h[(j, i)] = hj / cnt;
            }
        }
    }
    m
}

fn set_sym(m: &mut DMatrix<f64>, i: usize, j: usize, v: f64) {
    m[(i, j)] = v;
    m[(j, i)] = v;
}

/// Dispatches to the target's formula; `big_s` overrides the moments' `S`.
fn shrink(
    target: ShrinkageTarget,
    m: &Moments,
    big_s: Option<&DMatrix<f64>>,
    p: &Prepared<'_>,
) -> Result<(DMatrix<f64>, f64)> {
    match target {
        ShrinkageTarget::ConstantVariance => Ok(shrink_constant_variance(m)),
        ShrinkageTarget::SingleFactor => shrink_single_factor(m),
        ShrinkageTarget::ConstantCorrelation => {
            shrink_constant_correlation(m, big_s.unwrap_or(&m.big_s), p)
        }
    }
}

fn shrink_constant_variance(m: &Moments) -> (DMatrix<f64>, f64) {
    let n = m.s.nrows();
    if n == 1 {
        return (m.s.clone(), 0.0);
    }
    let nf = n as f64;
    let mu = m.s.trace() / nf;
    let (mut b, mut d) = (0.0, 0.0);
    let pairwise = !m.q.is_empty();
    for j in 0..n {
        for i in 0..n {
            let s = m.s[(i, j)];
            if pairwise {
                b += (m.q[(i, j)] - s * s) / m.n[(i, j)];
            }
            let e = if i == j { s - mu } else { s };
            d += e * e;
        }
    }
    if !pairwise {
        // Complete data: every n_ij is T, so the sum splits into
        // Σ q_ij - ||s||_F² (see `Moments::q_sum`).
        let frob: f64 = m.s.iter().map(|s| s * s).sum();
        b = (m.q_sum - frob) / m.n[(0, 0)];
    }
    b /= nf;
    d /= nf;
    let delta = if d > 0.0 {
        (b.min(d) / d).max(0.0)
    } else {
        0.0
    };
    let mut out = &m.s * (1.0 - delta);
    for i in 0..n {
        out[(i, i)] += delta * mu;
    }
    (out, delta)
}

fn shrink_oas(m: &Moments) -> (DMatrix<f64>, f64) {
    let n = m.s.nrows();
    if n == 1 {
        return (m.s.clone(), 0.0);
    }
    let nf = n as f64;
    let tr = m.s.trace();
    let mu = tr / nf;
    let (mut num, mut frob) = (0.0, 0.0);
    for j in 0..n {
        for i in 0..n {
            let s = m.s[(i, j)];
            num += (s * s + m.s[(i, i)] * m.s[(j, j)]) / (m.n[(i, j)] + 1.0);
            frob += s * s;
        }
    }
    let den = frob - tr * tr / nf;
    let delta = if den > 0.0 {
        (num / den).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let mut out = &m.s * (1.0 - delta);
    for i in 0..n {
        out[(i, i)] += delta * mu;
    }
    (out, delta)
}

fn shrink_single_factor(m: &Moments) -> Result<(DMatrix<f64>, f64)> {
    let n = m.s.nrows();
    let var_m = m.var_m;
    if is_constant(var_m, m.market_scale) {
        return Err(Error::InvalidParameter {
            name: "returns",
            reason:
                "the equal-weight market has zero variance: the single-factor target is undefined"
                    .to_owned(),
        });
    }
    let beta = &m.beta;
    let f = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            m.s[(i, i)]
        } else {
            beta[i] * beta[j] / var_m
        }
    });
    let (mut gamma, mut num) = (0.0, 0.0);
    for j in 0..n {
        for i in 0..n {
            let s = m.s[(i, j)];
            gamma += (f[(i, j)] - s) * (f[(i, j)] - s);
            if i != j {
                let pi = m.q[(i, j)] - s * s;
                let v_ij = m.v[(i, j)] - beta[i] * s;
                let v_ji = m.v[(j, i)] - beta[j] * s;
                let w_ij = m.w[(i, j)] - var_m * s;
                let rho = (beta[j] * v_ij + beta[i] * v_ji) / var_m
                    - beta[i] * beta[j] * w_ij / (var_m * var_m);
                num += (pi - rho) / m.n[(i, j)];
            }
        }
    }
    let delta = if gamma > 0.0 {
        (num / gamma).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Ok((f * delta + &m.s * (1.0 - delta), delta))
}

fn shrink_constant_correlation(
    m: &Moments,
    big_s: &DMatrix<f64>,
    p: &Prepared<'_>,
) -> Result<(DMatrix<f64>, f64)> {
    let n = big_s.nrows();
    if n == 1 {
        return Ok((big_s.clone(), 0.0));
    }
    let nf = n as f64;
    let mut sd = Vec::with_capacity(n);
    for (i, ticker) in p.tickers.iter().enumerate().take(n) {
        let var = big_s[(i, i)];
        if is_constant(var, max_abs(p.col(i))) {
            return Err(Error::InvalidParameter {
                name: "returns",
                reason: format!(
                    "{ticker} has zero variance: its correlation, and so the constant-correlation target, is undefined"
                ),
            });
        }
        sd.push(var.sqrt());
    }
    let mut corr_sum = 0.0;
    for j in 0..n {
        for i in 0..n {
            if i != j {
                corr_sum += big_s[(i, j)] / (sd[i] * sd[j]);
            }
        }
    }
    let r_bar = corr_sum / (nf * (nf - 1.0));
    let f = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            big_s[(i, i)]
        } else {
            r_bar * sd[i] * sd[j]
        }
    });
    let (mut gamma, mut num) = (0.0, 0.0);
    for j in 0..n {
        for i in 0..n {
            let big = big_s[(i, j)];
            gamma += (big - f[(i, j)]) * (big - f[(i, j)]);
            if i != j {
                let s = m.s[(i, j)];
                let pi = m.q[(i, j)] - 2.0 * s * big + big * big;
                let var_i = big_s[(i, i)];
                let theta = m.t3[(i, j)] - m.h[(i, j)] * big - s * var_i + var_i * big;
                let rho = r_bar * sd[j] / sd[i] * theta;
                num += (pi - rho) / m.n[(i, j)];
            }
        }
    }
    let delta = if gamma > 0.0 {
        (num / gamma).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Ok((f * delta + big_s * (1.0 - delta), delta))
}

// ---------------------------------------------------------------- PSD check and repair

/// The smallest eigenvalue of `cov`.
///
/// # Errors
/// [`Error::Solver`] if the eigendecomposition does not converge (it does for
/// every finite symmetric matrix in practice).
pub fn min_eigenvalue(cov: &CovarianceMatrix) -> Result<f64> {
    if cov.is_empty() {
        return Ok(0.0);
    }
    Ok(eigen(cov.matrix())?.eigenvalues.min())
}

/// Whether `cov` is positive semidefinite: its smallest eigenvalue is at least
/// `-PSD_TOLERANCE * trace` (see [`PSD_TOLERANCE`]).
pub fn is_psd(cov: &CovarianceMatrix) -> bool {
    let tol = PSD_TOLERANCE * cov.matrix().trace().max(0.0);
    min_eigenvalue(cov).is_ok_and(|min| min >= -tol)
}

/// Repairs `cov` into a positive semidefinite matrix (a PSD input comes back
/// as is, up to rounding).
///
/// * [`PsdRepair::Spectral`]: negative eigenvalues set to 0.
/// * [`PsdRepair::NearestCorrelation`]: the correlation matrix is replaced by
///   the nearest (Frobenius) correlation matrix (Higham 2002: alternating
///   projections onto the PSD cone and the unit diagonal with Dykstra's
///   correction, until the relative change is below 1e-10 or after 1,000
///   iterations), made exactly unit-diagonal, and
///   rescaled by the original standard deviations, so every variance is kept.
///   A ticker with zero variance keeps zero covariances.
/// * [`PsdRepair::Diagonal`]: every variance raised by 1.1 times the
///   magnitude of the most negative eigenvalue.
///
/// # Errors
/// [`Error::InvalidParameter`] when nearest-correlation meets a negative
/// variance (no PSD matrix has that diagonal; use spectral);
/// [`Error::Solver`] if an eigendecomposition does not converge.
pub fn fix_psd(cov: &CovarianceMatrix, repair: PsdRepair) -> Result<CovarianceMatrix> {
    let matrix = match repair {
        PsdRepair::Spectral => clip_eigenvalues(&eigen(cov.matrix())?),
        PsdRepair::NearestCorrelation => nearest_correlation(cov)?,
        PsdRepair::Diagonal => {
            let min = min_eigenvalue(cov)?;
            let mut m = cov.matrix().clone();
            if min < 0.0 {
                for i in 0..m.nrows() {
                    m[(i, i)] -= 1.1 * min;
                }
            }
            m
        }
    };
    CovarianceMatrix::new(cov.tickers().to_vec(), matrix)
}

/// The correlation matrix of `cov`: `S_ij / (σ_i σ_j)` (PyPortfolioOpt's
/// `cov_to_corr`; a zero variance gives NaN, as there).
pub fn cov_to_corr(cov: &CovarianceMatrix) -> DMatrix<f64> {
    let s = cov.matrix();
    let sd: Vec<f64> = s.diagonal().iter().map(|v| v.max(0.0).sqrt()).collect();
    DMatrix::from_fn(s.nrows(), s.ncols(), |i, j| s[(i, j)] / sd[i] / sd[j])
}

/// The covariance `ρ_ij σ_i σ_j` of a correlation matrix and standard
/// deviations (PyPortfolioOpt's `corr_to_cov`).
///
/// # Errors
/// As [`CovarianceMatrix::new`] (a square, finite, symmetric matrix with one
/// ticker and one deviation per row).
pub fn corr_to_cov(
    tickers: Vec<Symbol>,
    correlation: &DMatrix<f64>,
    std_devs: &[f64],
) -> Result<CovarianceMatrix> {
    if std_devs.len() != correlation.nrows() {
        return Err(Error::DimensionMismatch {
            what: format!(
                "{} standard deviations for a {}x{} correlation",
                std_devs.len(),
                correlation.nrows(),
                correlation.ncols()
            ),
        });
    }
    let m = DMatrix::from_fn(correlation.nrows(), correlation.ncols(), |i, j| {
        correlation[(i, j)] * std_devs[i] * std_devs.get(j).copied().unwrap_or(f64::NAN)
    });
    CovarianceMatrix::new(tickers, m)
}

fn nearest_correlation(cov: &CovarianceMatrix) -> Result<DMatrix<f64>> {
    let a = cov.matrix();
    let n = a.nrows();
    let var: Vec<f64> = a.diagonal().iter().copied().collect();
    if let Some((i, &v)) = var.iter().enumerate().find(|(_, v)| **v < 0.0) {
        return Err(Error::InvalidParameter {
            name: "covariance",
            reason: format!(
                "{} has a negative variance ({v}); nearest-correlation repair keeps the variances, use spectral repair",
                cov.tickers()[i]
            ),
        });
    }
    let sd: Vec<f64> = var.iter().map(|v| v.sqrt()).collect();
    let corr = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            1.0
        } else if sd[i] > 0.0 && sd[j] > 0.0 {
            a[(i, j)] / (sd[i] * sd[j])
        } else {
            0.0
        }
    });
    let mut y = corr.clone();
    let mut x = corr;
    let mut correction = DMatrix::zeros(n, n);
    for _ in 0..NEAREST_CORRELATION_MAX_ITER {
        let r = &y - &correction;
        x = clip_eigenvalues(&eigen(&r)?);
        correction = &x - &r;
        let mut y_next = x.clone();
        y_next.fill_diagonal(1.0);
        let change = (&y_next - &y).norm() / y_next.norm().max(1.0);
        y = y_next;
        if change < NEAREST_CORRELATION_TOL {
            break;
        }
    }
    // `x` is PSD; a congruence makes its diagonal exactly 1 and keeps it PSD.
    let dx: Vec<f64> = x.diagonal().iter().map(|d| d.max(0.0).sqrt()).collect();
    let mut out = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            var[i]
        } else if dx[i] > 0.0 && dx[j] > 0.0 {
            x[(i, j)] / (dx[i] * dx[j]) * sd[i] * sd[j]
        } else {
            0.0
        }
    });
    symmetrize(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PERIODS_PER_YEAR;

    /// A deterministic pseudo-random complete return matrix.
    fn synthetic(t: usize, n: usize, seed: u64) -> DMatrix<f64> {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let common: Vec<f64> = (0..t).map(|_| next() * 0.02).collect();
        DMatrix::from_fn(t, n, |r, c| {
            common[r] * (0.5 + c as f64 * 0.1) + next() * 0.03
        })
    }

    fn prepared<'a>(x: &DMatrix<f64>, tickers: &'a [Symbol], complete: bool) -> Prepared<'a> {
        Prepared {
            tickers,
            x: Cow::Owned(x.clone()),
            kept: None,
            complete,
            periods: PERIODS_PER_YEAR,
        }
    }

    fn close(a: &DMatrix<f64>, b: &DMatrix<f64>, rel: f64) -> bool {
        a.shape() == b.shape()
            && a.iter()
                .zip(b.iter())
                .all(|(x, y)| (x - y).abs() <= rel * x.abs().max(y.abs()).max(1e-12))
    }

    /// The blocked upper-triangle product equals the full one, over block
    /// edges and the small-matrix path (last blocks of 9 and 2 columns).
    #[test]
    fn sym_gram_matches_the_full_product() {
        for (t, n) in [(150, 137), (90, 130), (7, 3), (40, 1)] {
            let a = synthetic(t, n, 3);
            let full = a.transpose() * &a;
            let g = sym_gram(&a);
            assert!(close(&g, &full, 1e-12), "{t}x{n}");
            assert_eq!(g, g.transpose(), "{t}x{n}");
        }
    }

    /// The pairwise formulas reduce to the complete-data ones when nothing is
    /// missing: forcing the pairwise path on complete data changes only rounding.
    #[test]
    fn pairwise_formulas_reduce_to_complete_ones() {
        let x = synthetic(120, 6, 7);
        let tickers: Vec<Symbol> = (0..6).map(|i| format!("A{i}").parse().unwrap()).collect();
        let p = prepared(&x, &tickers, false);
        let need = Need {
            single_factor: true,
            constant_correlation: true,
            pair_fourth: true,
        };
        let pair = moments_pairwise(&p, need);
        let full = moments_complete(&x, need);
        // The O(N T) sum of q behind the constant-variance intensity.
        let lean = moments_complete(&x, Need::default());
        assert!(lean.q.is_empty());
        assert!((lean.q_sum - full.q.sum()).abs() <= 1e-12 * full.q.sum());
        let (a, da) = shrink_constant_variance(&lean);
        let (b, db) = shrink_constant_variance(&full);
        assert!(
            close(&a, &b, 1e-10) && (da - db).abs() <= 1e-10,
            "{da} vs {db}"
        );
        for (name, a, b) in [
            ("s", &pair.s, &full.s),
            ("S", &pair.big_s, &full.big_s),
            ("q", &pair.q, &full.q),
            ("v", &pair.v, &full.v),
            ("w", &pair.w, &full.w),
            ("t3", &pair.t3, &full.t3),
            ("h", &pair.h, &full.h),
        ] {
            assert!(close(a, b, 1e-10), "{name}: {a} vs {b}");
        }
        assert!(close(
            &DMatrix::from_column_slice(6, 1, pair.beta.as_slice()),
            &DMatrix::from_column_slice(6, 1, full.beta.as_slice()),
            1e-10
        ));
        assert!((pair.var_m - full.var_m).abs() <= 1e-12 * full.var_m);
        for target in [
            ShrinkageTarget::ConstantVariance,
            ShrinkageTarget::SingleFactor,
            ShrinkageTarget::ConstantCorrelation,
        ] {
            let (a, da) = shrink(target, &pair, None, &p).expect("pairwise shrink");
            let (b, db) = shrink(target, &full, None, &p).expect("complete shrink");
            assert!(close(&a, &b, 1e-10), "{target:?}");
            assert!((da - db).abs() <= 1e-10, "{target:?}: {da} vs {db}");
            assert!(
                da > 0.0 && da < 1.0,
                "{target:?}: intensity {da} should be interior"
            );
        }
        let (a, da) = shrink_oas(&pair);
        let (b, db) = shrink_oas(&full);
        assert!(close(&a, &b, 1e-10) && (da - db).abs() <= 1e-10);
        assert!(close(
            &covariance(&p, 1.0),
            &covariance(&prepared(&x, &tickers, true), 1.0),
            1e-10
        ));
    }

    #[test]
    fn exp_cov_and_semicovariance_pairwise_paths_match_complete_path() {
        let x = synthetic(80, 4, 11);
        let tickers: Vec<Symbol> = (0..4).map(|i| format!("B{i}").parse().unwrap()).collect();
        let dates: Vec<_> = (0..80)
            .map(|d| {
                auravest_core::NaiveDate::from_num_days_from_ce_opt(737_000 + d).expect("date")
            })
            .collect();
        // One NaN far back makes the matrix "incomplete" without moving any
        // pair's last common date; compare its pairwise path with the
        // complete path on the same data with that row removed.
        let mut holed = x.clone();
        holed[(0, 0)] = f64::NAN;
        let full = ReturnMatrix::new(tickers.clone(), dates.clone(), x.clone()).expect("returns");
        let with_hole = ReturnMatrix::new(tickers, dates, holed).expect("returns");
        let span = 30;
        let a = exp_cov(&full, span, MissingData::Pairwise).expect("exp cov");
        let b = exp_cov(&with_hole, span, MissingData::Pairwise).expect("exp cov");
        // Entries not involving column 0 are unchanged.
        for j in 1..4 {
            for i in 1..4 {
                let (u, v) = (a.matrix()[(i, j)], b.matrix()[(i, j)]);
                assert!(
                    (u - v).abs() <= 1e-12 * u.abs().max(1e-12),
                    "({i}, {j}) {u} vs {v}"
                );
            }
        }
        let sa = semicovariance(&full, 0.0, MissingData::Pairwise).expect("semicov");
        let sb = semicovariance(&with_hole, 0.0, MissingData::Pairwise).expect("semicov");
        for j in 1..4 {
            for i in 1..4 {
                let (u, v) = (sa.matrix()[(i, j)], sb.matrix()[(i, j)]);
                assert!((u - v).abs() <= 1e-12 * u.abs().max(1e-12));
            }
        }
        // Column 0 uses one observation fewer in the pairwise path: the
        // semivariance is the mean over the remaining 79 dates.
        let d0: Vec<f64> = x.column(0).iter().skip(1).map(|v| v.min(0.0)).collect();
        let expected = d0.iter().map(|d| d * d).sum::<f64>() / 79.0 * PERIODS_PER_YEAR;
        assert!((sb.matrix()[(0, 0)] - expected).abs() <= 1e-12 * expected);
    }

    #[test]
    fn psd_rule_differs_by_policy_only_beyond_rounding() {
        let m = DMatrix::from_row_slice(3, 3, &[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0]);
        let tickers: Vec<Symbol> = ["A", "B", "C"]
            .iter()
            .map(|s| (*s).parse().unwrap())
            .collect();
        let p = prepared(&DMatrix::zeros(4, 3), &tickers, true);
        let compat = finish(
            m.clone() / PERIODS_PER_YEAR,
            &p,
            MissingData::PyPortfolioOpt,
        )
        .expect("compat");
        let pairwise =
            finish(m.clone() / PERIODS_PER_YEAR, &p, MissingData::Pairwise).expect("pairwise");
        assert!(is_psd(&compat));
        assert!(!is_psd(&pairwise));
        assert!(close(pairwise.matrix(), &m, 1e-15));
    }
}

#[cfg(test)]
mod repair_tests {
    use super::*;

    fn named(m: DMatrix<f64>) -> CovarianceMatrix {
        let t = (0..m.nrows())
            .map(|i| format!("A{i}").parse().unwrap())
            .collect();
        CovarianceMatrix::new(t, m).unwrap()
    }

    #[test]
    fn diagonal_repair_raises_the_variances_only() {
        let bad = named(DMatrix::from_row_slice(
            2,
            2,
            &[0.03818144, 0.04182824, 0.04182824, 0.04149209],
        ));
        assert!(!is_psd(&bad));
        let min = min_eigenvalue(&bad).unwrap();
        let fixed = fix_psd(&bad, PsdRepair::Diagonal).unwrap();
        assert!(is_psd(&fixed));
        assert!((fixed.matrix()[(0, 1)] - bad.matrix()[(0, 1)]).abs() < f64::EPSILON);
        assert!((fixed.matrix()[(0, 0)] - (0.03818144 - 1.1 * min)).abs() < 1e-15);
        let good = named(DMatrix::from_row_slice(2, 2, &[0.04, 0.01, 0.01, 0.09]));
        assert_eq!(fix_psd(&good, PsdRepair::Diagonal).unwrap(), good);
    }

    #[test]
    fn correlation_round_trip() {
        let cov = named(DMatrix::from_row_slice(2, 2, &[0.04, 0.012, 0.012, 0.09]));
        let corr = cov_to_corr(&cov);
        assert!((corr[(0, 1)] - 0.2).abs() < 1e-15);
        assert!((corr[(1, 1)] - 1.0).abs() < f64::EPSILON);
        let back = corr_to_cov(cov.tickers().to_vec(), &corr, &[0.2, 0.3]).unwrap();
        assert!((back.matrix() - cov.matrix()).amax() < 1e-15);
        assert!(corr_to_cov(cov.tickers().to_vec(), &corr, &[0.2]).is_err());
    }
}

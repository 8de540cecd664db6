//! Expected returns: annual estimates from a [`ReturnMatrix`].
//!
//! | function | PyPortfolioOpt 1.6 |
//! | --- | --- |
//! | [`mean_historical`] | `expected_returns.mean_historical_return` |
//! | [`ema_historical`] | `expected_returns.ema_historical_return` (default span [`DEFAULT_EMA_SPAN`] = 500) |
//! | [`capm`] | `expected_returns.capm_return` (market given or equal-weight) |
//!
//! [`ExpectedReturnsMethod`] names them for a command line.
//!
//! "252" below stands for the return matrix's periods a year
//! ([`crate::PERIODS_PER_YEAR`] unless set with
//! [`ReturnMatrix::with_periods_per_year`], PyPortfolioOpt's `frequency`).
//!
//! # Missing data
//!
//! These estimators already follow the crate's pairwise policy
//! ([`MissingData::Pairwise`](crate::MissingData::Pairwise)), and
//! PyPortfolioOpt does the same, so they take no policy:
//!
//! * each ticker's mean uses its own observed returns, and needs at least 2;
//! * the EMA runs over each ticker's observations, with rows (not
//!   observations) as the unit of decay, so a gap still ages older data
//!   (pandas `ewm(span, adjust=True, ignore_na=False)`): the estimate is
//!   `Σ w_t r_t / Σ w_t` over observed `t`, `w_t = (1 - alpha)^(T - 1 - t)`,
//!   `alpha = 2/(span + 1)`;
//! * a CAPM beta is the covariance with the market over the dates both are
//!   observed divided by the market's variance over all its dates (both with
//!   divisor `n - 1`); the equal-weight market is the mean of the returns
//!   observed on each date.
//!
//! Rows where every ticker is missing are ignored.

use std::fmt;
use std::str::FromStr;

use auravest_core::{PriceFrame, PriceSeries};

use crate::risk_models::{Prepared, decay_factor, is_constant, powers, prepare};
use crate::{Error, ExpectedReturns, Result, ReturnMatrix};

/// PyPortfolioOpt's default EMA span, in rows.
pub const DEFAULT_EMA_SPAN: usize = 500;

/// Minimum observed returns per ticker.
const MIN_OBSERVATIONS: usize = 2;

/// `prod(1 + r)^(252/n) - 1` (geometric) or `mean(r) * 252` (arithmetic) over
/// the observed values of `values`.
///
/// Four independent running products and sums (a missing value multiplies
/// by 1 and adds 0), so the loop has no branch and no single dependency
/// chain: the result differs from a left-to-right product by rounding only.
fn annualise_mean(values: &[f64], compounding: bool, periods: f64) -> f64 {
    const LANES: usize = 4;
    let (mut prod, mut sum, mut count) = ([1.0f64; LANES], [0.0f64; LANES], [0usize; LANES]);
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for k in 0..LANES {
            let r = chunk[k];
            let seen = !r.is_nan();
            prod[k] *= if seen { 1.0 + r } else { 1.0 };
            sum[k] += if seen { r } else { 0.0 };
            count[k] += usize::from(seen);
        }
    }
    for &r in chunks.remainder().iter().filter(|v| !v.is_nan()) {
        prod[0] *= 1.0 + r;
        sum[0] += r;
        count[0] += 1;
    }
    let prod = (prod[0] * prod[1]) * (prod[2] * prod[3]);
    let sum = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    let count = count.iter().sum::<usize>();
    if compounding {
        prod.powf(periods / count as f64) - 1.0
    } else {
        sum / count as f64 * periods
    }
}

fn named(p: &Prepared<'_>, values: Vec<f64>) -> Result<ExpectedReturns> {
    ExpectedReturns::new(p.tickers.to_vec(), values)
}

/// The annualised mean historical return of each ticker over its own observed
/// returns: the compound annual growth rate `prod(1 + r)^(252/n) - 1` when
/// `compounding` (PyPortfolioOpt's default), else `mean(r) * 252`.
///
/// # Errors
/// [`Error::InsufficientHistory`] for a ticker with fewer than 2 observed
/// returns, [`Error::NonFinite`] for infinite returns (or returns below -100%
/// under compounding), [`Error::InvalidParameter`] for an empty matrix.
pub fn mean_historical(returns: &ReturnMatrix, compounding: bool) -> Result<ExpectedReturns> {
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    let values = (0..p.cols())
        .map(|j| annualise_mean(p.col(j), compounding, p.periods))
        .collect();
    named(&p, values)
}

/// The exponentially weighted mean daily return of each ticker (span in rows,
/// pandas `ewm(span=span).mean()` at the last row), annualised as
/// `(1 + m)^252 - 1` when `compounding` (PyPortfolioOpt's default), else
/// `m * 252`. PyPortfolioOpt's default span is [`DEFAULT_EMA_SPAN`].
///
/// # Errors
/// As [`mean_historical`], and [`Error::InvalidParameter`] for a span of 0.
pub fn ema_historical(
    returns: &ReturnMatrix,
    span: usize,
    compounding: bool,
) -> Result<ExpectedReturns> {
    let factor = decay_factor(span)?;
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    let t = p.rows();
    let pw = powers(factor, t);
    let values = (0..p.cols())
        .map(|j| {
            let col = p.col(j);
            // Weights relative to the last observation (the common factor
            // cancels), so long histories cannot underflow to 0/0.
            let last = col.iter().rposition(|v| !v.is_nan()).unwrap_or(0);
            let (mut num, mut den) = (0.0, 0.0);
            for (k, r) in col.iter().enumerate().take(last + 1) {
                if !r.is_nan() {
                    num += pw[last - k] * r;
                    den += pw[last - k];
                }
            }
            let m = num / den;
            if compounding {
                (1.0 + m).powf(p.periods) - 1.0
            } else {
                m * p.periods
            }
        })
        .collect();
    named(&p, values)
}

/// CAPM expected returns `rf + beta_i (E[R_m] - rf)`.
///
/// `market` holds the market's returns on the rows of `returns` (NaN where
/// missing; build them with [`returns_with_market`]); `None` uses the
/// equal-weight market, the mean of the returns observed on each date, as
/// PyPortfolioOpt does. `beta_i = cov(r_i, r_m) / var(r_m)` (see the module
/// docs for the dates each uses); `E[R_m]` is the market's annualised mean
/// return, geometric when `compounding`. `risk_free_rate` is annual;
/// PyPortfolioOpt's `capm_return` defaults to 0.
///
/// # Errors
/// [`Error::DimensionMismatch`] when `market` has a different length than
/// `returns` has rows; [`Error::NonFinite`] for an infinite market return;
/// [`Error::InsufficientHistory`] for a ticker with fewer than 2 returns
/// observed together with the market, or a market with fewer than 2;
/// [`Error::InvalidParameter`] for a market with zero variance or a
/// non-finite risk-free rate; otherwise as [`mean_historical`].
pub fn capm(
    returns: &ReturnMatrix,
    market: Option<&[f64]>,
    risk_free_rate: f64,
    compounding: bool,
) -> Result<ExpectedReturns> {
    if !risk_free_rate.is_finite() {
        return Err(Error::InvalidParameter {
            name: "risk_free_rate",
            reason: format!("the risk-free rate must be finite, got {risk_free_rate}"),
        });
    }
    if let Some(m) = market {
        if m.len() != returns.values().nrows() {
            return Err(Error::DimensionMismatch {
                what: format!(
                    "{} market returns for {} rows of returns",
                    m.len(),
                    returns.values().nrows()
                ),
            });
        }
        if let Some(i) = m.iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFinite {
                what: "market returns",
                index: returns
                    .dates()
                    .get(i)
                    .map_or_else(|| i.to_string(), ToString::to_string),
            });
        }
    }
    let p = prepare(returns, MIN_OBSERVATIONS)?;
    let mkt: Vec<f64> = match market {
        Some(m) => match &p.kept {
            Some(rows) => rows.iter().map(|&r| m[r]).collect(),
            None => m.to_vec(),
        },
        None => (0..p.rows())
            .map(|r| {
                let (sum, cnt) =
                    p.x.row(r)
                        .iter()
                        .filter(|v| !v.is_nan())
                        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
                sum / cnt as f64
            })
            .collect(),
    };
    let observed: Vec<f64> = mkt.iter().copied().filter(|v| !v.is_nan()).collect();
    if observed.len() < MIN_OBSERVATIONS {
        return Err(Error::InsufficientHistory {
            ticker: "market".to_owned(),
            needed: MIN_OBSERVATIONS,
            got: observed.len(),
        });
    }
    let mm = observed.iter().sum::<f64>() / observed.len() as f64;
    let var_m =
        observed.iter().map(|v| (v - mm) * (v - mm)).sum::<f64>() / (observed.len() as f64 - 1.0);
    let scale = observed.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
    if is_constant(var_m, scale) {
        return Err(Error::InvalidParameter {
            name: "market",
            reason: "the market returns have zero variance, so CAPM betas are undefined; use another market series".to_owned(),
        });
    }
    let market_return = annualise_mean(&mkt, compounding, p.periods);
    let mut values = Vec::with_capacity(p.cols());
    for (j, ticker) in p.tickers.iter().enumerate() {
        let pairs: Vec<(f64, f64)> = p
            .col(j)
            .iter()
            .zip(&mkt)
            .filter(|(a, b)| !a.is_nan() && !b.is_nan())
            .map(|(a, b)| (*a, *b))
            .collect();
        if pairs.len() < MIN_OBSERVATIONS {
            return Err(Error::InsufficientHistory {
                ticker: format!("{ticker} (dates the market is also observed)"),
                needed: MIN_OBSERVATIONS,
                got: pairs.len(),
            });
        }
        let n = pairs.len() as f64;
        let ma = pairs.iter().map(|(a, _)| a).sum::<f64>() / n;
        let mb = pairs.iter().map(|(_, b)| b).sum::<f64>() / n;
        let cov = pairs.iter().map(|(a, b)| (a - ma) * (b - mb)).sum::<f64>() / (n - 1.0);
        let beta = cov / var_m;
        values.push(risk_free_rate + beta * (market_return - risk_free_rate));
    }
    named(&p, values)
}

/// The returns of `prices` and of `market` on the dates both have prices, for
/// [`capm`] against a benchmark (PyPortfolioOpt's usage: prices restricted to
/// the dates the market series has, returns computed on those dates).
///
/// Returns the return matrix of the restricted prices and the market's
/// returns on its rows.
///
/// # Errors
/// [`Error::InsufficientHistory`] (naming the market) with fewer than 2
/// common dates; errors of [`PriceFrame::new`] and
/// [`ReturnMatrix::from_prices`].
pub fn returns_with_market(
    prices: &PriceFrame,
    market: &PriceSeries,
) -> Result<(ReturnMatrix, Vec<f64>)> {
    // Merge the two sorted date lists.
    let (pd, md) = (prices.dates(), market.dates());
    let (mut i, mut j) = (0, 0);
    let mut common: Vec<(usize, usize)> = Vec::new();
    while i < pd.len() && j < md.len() {
        match pd[i].cmp(&md[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common.push((i, j));
                i += 1;
                j += 1;
            }
        }
    }
    if common.len() < MIN_OBSERVATIONS {
        return Err(Error::InsufficientHistory {
            ticker: market.name().to_owned(),
            needed: MIN_OBSERVATIONS,
            got: common.len(),
        });
    }
    let dates = common.iter().map(|&(i, _)| pd[i]).collect();
    let columns = prices
        .columns()
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let col = prices.column_at(c).unwrap_or(&[]);
            let values = common
                .iter()
                .map(|&(i, _)| col.get(i).copied().flatten())
                .collect();
            (name.clone(), values)
        })
        .collect();
    let restricted = PriceFrame::new(dates, columns)?;
    let returns = ReturnMatrix::from_prices(&restricted)?;
    // Market return on each kept date, from its price on the previous common date.
    let mv = market.values();
    let mut mkt = Vec::with_capacity(returns.dates().len());
    let mut k = 1;
    for d in returns.dates() {
        while k < common.len() && pd[common[k].0] < *d {
            k += 1;
        }
        let r = match common.get(k) {
            Some(&(pi, mi)) if pd[pi] == *d => mv[mi] / mv[common[k - 1].1] - 1.0,
            _ => f64::NAN,
        };
        mkt.push(r);
    }
    Ok((returns, mkt))
}

/// An expected-returns model, as the `--returns` option names it.
///
/// | name | variant | PyPortfolioOpt |
/// | --- | --- | --- |
/// | `mean` | [`ExpectedReturnsMethod::MeanGeometric`] | `mean_historical_return()` |
/// | `mean-arithmetic` | [`ExpectedReturnsMethod::MeanArithmetic`] | `mean_historical_return(compounding=False)` |
/// | `ema` | [`ExpectedReturnsMethod::Ema`] at [`DEFAULT_EMA_SPAN`] | `ema_historical_return()` |
/// | `capm` | [`ExpectedReturnsMethod::Capm`] | `capm_return()` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpectedReturnsMethod {
    /// Compound annual growth rate ([`mean_historical`] with compounding).
    #[default]
    MeanGeometric,
    /// Arithmetic mean times 252.
    MeanArithmetic,
    /// [`ema_historical`] with compounding.
    Ema {
        /// Span in rows.
        span: usize,
    },
    /// [`capm`] with compounding.
    Capm,
}

impl ExpectedReturnsMethod {
    /// Every name [`FromStr`] accepts.
    pub const NAMES: [&'static str; 4] = ["mean", "mean-arithmetic", "ema", "capm"];

    /// Estimates annual expected returns. `market` and `risk_free_rate` are
    /// used by [`ExpectedReturnsMethod::Capm`] only (see [`capm`]; pass 0 for
    /// PyPortfolioOpt's default).
    ///
    /// # Errors
    /// Those of the function the variant names.
    pub fn estimate(
        &self,
        returns: &ReturnMatrix,
        market: Option<&[f64]>,
        risk_free_rate: f64,
    ) -> Result<ExpectedReturns> {
        match *self {
            Self::MeanGeometric => mean_historical(returns, true),
            Self::MeanArithmetic => mean_historical(returns, false),
            Self::Ema { span } => ema_historical(returns, span, true),
            Self::Capm => capm(returns, market, risk_free_rate, true),
        }
    }

    /// The option name of the variant.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::MeanGeometric => "mean",
            Self::MeanArithmetic => "mean-arithmetic",
            Self::Ema { .. } => "ema",
            Self::Capm => "capm",
        }
    }
}

impl fmt::Display for ExpectedReturnsMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExpectedReturnsMethod {
    type Err = Error;

    /// Parses an option name, with PyPortfolioOpt's default parameters.
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "mean" => Self::MeanGeometric,
            "mean-arithmetic" => Self::MeanArithmetic,
            "ema" => Self::Ema {
                span: DEFAULT_EMA_SPAN,
            },
            "capm" => Self::Capm,
            other => {
                return Err(Error::InvalidParameter {
                    name: "returns",
                    reason: format!(
                        "unknown expected-returns model {other:?}; use one of {}",
                        Self::NAMES.join(", ")
                    ),
                });
            }
        })
    }
}

/// Historical means shrunk toward their grand mean (positive-part
/// James-Stein, Efron and Morris 1973), with the shrinkage intensity used.
///
/// Each ticker's arithmetic annual mean `m_i = mean(r) · 252` is noisy: its
/// sampling variance is `v_i = 252 · σ_i² / n_i` (σ_i² the annualised
/// variance of its daily returns, `n_i` its observations). With `k` tickers,
/// grand mean `m̄` and `v̄` the average of the `v_i`, the estimate is
///
/// `m̄ + (1 − c) (m_i − m̄)`, `c = min(1, (k − 3) · v̄ / Σ (m_i − m̄)²)`.
///
/// A few years of prices cannot tell a 45%-a-year stock from a lucky one,
/// and `c` says how much of the spread between the means is noise. With
/// fewer than 4 tickers the spread cannot be judged and every ticker takes
/// the grand mean (`c = 1`).
///
/// # Errors
/// As [`mean_historical`].
pub fn james_stein(returns: &ReturnMatrix) -> Result<(ExpectedReturns, f64)> {
    let means = mean_historical(returns, false)?;
    let periods = returns.periods_per_year();
    let k = means.len();
    let values = returns.values();
    let mut noise = 0.0;
    for j in 0..k {
        let col: Vec<f64> = values
            .column(j)
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect();
        let n = col.len() as f64;
        let mean = col.iter().sum::<f64>() / n;
        let var = col.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        // Annualised variance over observations, in annual-mean units.
        noise += var * periods * periods / n;
    }
    let noise = noise / k as f64;
    let grand = means.values().mean();
    let spread: f64 = means.values().iter().map(|m| (m - grand).powi(2)).sum();
    let c = if k < 4 || spread <= 0.0 {
        1.0
    } else {
        ((k as f64 - 3.0) * noise / spread).min(1.0)
    };
    let shrunk = means
        .values()
        .iter()
        .map(|m| grand + (1.0 - c) * (m - grand));
    Ok((
        ExpectedReturns::new(means.tickers().to_vec(), shrunk.collect())?,
        c,
    ))
}

//! Performance statistics over a return series, following empyrical's
//! definitions so results match it to floating-point precision.
//!
//! With `r` the daily simple returns (n of them), `rf` the daily risk-free rate
//! (the annual rate divided by 252) and `A = 252` periods a year:
//!
//! | statistic | formula |
//! |---|---|
//! | total return | `Π(1 + r) - 1` |
//! | CAGR | `Π(1 + r)^(A / n) - 1` |
//! | volatility | `std(r, ddof = 1) · √A` |
//! | Sharpe | `mean(r - rf) / std(r - rf, ddof = 1) · √A` (undefined when the deviation is 0) |
//! | Sortino | `mean(r - rf) · A / (√mean(min(r - rf, 0)²) · √A)` (undefined without downside) |
//! | max drawdown | `min(W / cummax(W) - 1)` over wealth `W` starting at 1 before the first return |
//! | Calmar | `CAGR / |max drawdown|` (undefined without a drawdown) |
//! | VaR 95% | the 5th percentile of `r`, linearly interpolated |
//! | CVaR 95% | mean of the `k + 1` smallest returns, `k = floor((n - 1) · 0.05)` |
//! | beta | `mean(x̃ · (r - rf)) / mean(x̃²)`, `x̃ = (b - rf) - mean(b - rf)` for benchmark returns `b` |
//! | alpha | `(mean((r - rf) - β(b - rf)) + 1)^A - 1` |
//! | monthly returns | `Π(1 + r) - 1` over the returns dated in each calendar month |
//!
//! The drawdown's peak is the last date at the running maximum before the
//! trough (the series' start date when the maximum is the starting wealth); its
//! recovery is the first date after the trough at or above the peak, if any.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::{Error, Result};

/// Trading days a year used to annualise daily figures.
pub const PERIODS_PER_YEAR: f64 = 252.0;

/// Daily simple returns, each dated at the end of its period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Returns {
    start: Option<NaiveDate>,
    dates: Vec<NaiveDate>,
    values: Vec<f64>,
}

impl Returns {
    /// Builds a series from the date before the first return, the return dates
    /// and the returns. Lengths must match and dates increase.
    ///
    /// # Errors
    /// [`Error::InvalidField`] on `returns` when lengths differ, a return is not
    /// finite or at most -100%, or dates do not increase.
    pub fn new(start: Option<NaiveDate>, dates: Vec<NaiveDate>, values: Vec<f64>) -> Result<Self> {
        if dates.len() != values.len() {
            return Err(Error::field_error(
                "returns",
                format!("{} returns for {} dates", values.len(), dates.len()),
            ));
        }
        if let Some(bad) = values.iter().find(|r| !r.is_finite() || **r < -1.0) {
            return Err(Error::field_error(
                "returns",
                format!("{bad} is not a valid simple return"),
            ));
        }
        let ordered = start
            .iter()
            .chain(&dates)
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| w[0] < w[1]);
        if !ordered {
            return Err(Error::field_error(
                "returns",
                "dates must be strictly increasing",
            ));
        }
        Ok(Self::from_parts(start, dates, values))
    }

    pub(crate) fn from_parts(
        start: Option<NaiveDate>,
        dates: Vec<NaiveDate>,
        values: Vec<f64>,
    ) -> Self {
        Self {
            start,
            dates,
            values,
        }
    }

    /// The date the first return starts from.
    pub fn start(&self) -> Option<NaiveDate> {
        self.start
    }

    /// Return dates.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The returns.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of returns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no returns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The deepest fall from a peak, with its dates.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Drawdown {
    /// The fall as a negative fraction (0 when the series never fell).
    pub value: f64,
    /// Date of the peak before the fall.
    pub peak: NaiveDate,
    /// Date of the lowest point.
    pub trough: NaiveDate,
    /// First date back at the peak, if it happened.
    pub recovery: Option<NaiveDate>,
}

/// What the values of a [`DatedSeries`] are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// Prices (daily closes); the returns are their day-to-day changes.
    #[default]
    Prices,
    /// Daily simple returns, as they are.
    Returns,
}

impl std::str::FromStr for SeriesKind {
    type Err = Error;

    /// `prices` or `returns`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "prices" => Ok(Self::Prices),
            "returns" => Ok(Self::Returns),
            other => Err(Error::field_error(
                "kind",
                format!(
                    "expected \"prices\" or \"returns\", got {:?}",
                    crate::shown(other)
                ),
            )),
        }
    }
}

/// A dated series of prices or returns (see [`SeriesKind`]), oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatedSeries {
    /// The dates.
    pub dates: Vec<NaiveDate>,
    /// One value per date.
    pub values: Vec<f64>,
}

/// [`series_stats`]' answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesStats {
    /// Every statistic.
    pub stats: PerformanceStats,
    /// How many returns they were computed from.
    pub periods: usize,
}

/// Every statistic of a standalone series (empyrical's definitions, see the
/// module docs), with beta and alpha against `benchmark` (a series of the
/// same kind) when one is given. Price series are first restricted to their
/// common dates; return series must share theirs. `risk_free_rate` is
/// annual ([`StatsOptions`]' default, 0, when `None`).
///
/// ```
/// use auravest_core::{DatedSeries, SeriesKind, series_stats};
/// let day = |d| auravest_core::NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
/// let prices = DatedSeries { dates: vec![day(2), day(3), day(4)], values: vec![100.0, 110.0, 99.0] };
/// let s = series_stats(&prices, None, SeriesKind::Prices, None)?;
/// assert_eq!(s.periods, 2);
/// assert!((s.stats.total_return - -0.01).abs() < 1e-12);
/// # Ok::<(), auravest_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidField`] for dates out of order or values that are not
/// prices (on `series` or `benchmark`), return series on different dates,
/// a non-finite risk-free rate; [`Error::InsufficientData`] with fewer than
/// two returns.
pub fn series_stats(
    series: &DatedSeries,
    benchmark: Option<&DatedSeries>,
    kind: SeriesKind,
    risk_free_rate: Option<f64>,
) -> Result<SeriesStats> {
    let prices = |s: &DatedSeries, name: &str| {
        crate::PriceSeries::new(name, s.dates.clone(), s.values.clone())
    };
    let (returns, bench) = match (kind, benchmark) {
        (SeriesKind::Prices, Some(b)) => {
            let (a, b) = prices(series, "series")?.align(&prices(b, "benchmark")?);
            (a.returns(), Some(b.returns()))
        }
        (SeriesKind::Prices, None) => (prices(series, "series")?.returns(), None),
        (SeriesKind::Returns, b) => (
            Returns::new(None, series.dates.clone(), series.values.clone())?,
            b.map(|b| Returns::new(None, b.dates.clone(), b.values.clone()))
                .transpose()?,
        ),
    };
    let defaults = StatsOptions::default();
    let stats = PerformanceStats::compute(
        &returns,
        StatsOptions {
            risk_free_rate: risk_free_rate.unwrap_or(defaults.risk_free_rate),
            benchmark: bench.as_ref(),
        },
    )?;
    Ok(SeriesStats {
        stats,
        periods: returns.len(),
    })
}

/// Options for [`PerformanceStats::compute`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StatsOptions<'a> {
    /// Annual risk-free rate as a fraction, applied daily as `rate / 252`.
    pub risk_free_rate: f64,
    /// Benchmark returns on the same dates, for beta and alpha.
    pub benchmark: Option<&'a Returns>,
}

/// The standard performance figures of a return series. Ratios that are
/// undefined for the data (a zero deviation, no downside, no drawdown) are `None`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PerformanceStats {
    /// Compounded return over the whole series.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: f64,
    /// Annualised volatility.
    pub volatility: f64,
    /// Annualised Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio.
    pub sortino: Option<f64>,
    /// Maximum drawdown (a negative fraction, or 0).
    pub max_drawdown: f64,
    /// Date of the peak before the maximum drawdown.
    pub max_drawdown_peak: NaiveDate,
    /// Date of the maximum drawdown's lowest point.
    pub max_drawdown_trough: NaiveDate,
    /// First date back at the peak, or `None` if not recovered.
    pub max_drawdown_recovery: Option<NaiveDate>,
    /// CAGR over the absolute maximum drawdown.
    pub calmar: Option<f64>,
    /// Historical one-day value at risk at 95% (a negative daily fraction).
    pub var_95: f64,
    /// Historical one-day conditional value at risk at 95%.
    pub cvar_95: f64,
    /// Compounded return of each calendar month, keyed `YYYY-MM`.
    pub monthly_returns: BTreeMap<String, f64>,
    /// Beta against the benchmark, when one was given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub beta: Option<f64>,
    /// Annualised alpha against the benchmark, when one was given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alpha: Option<f64>,
}

impl PerformanceStats {
    /// Computes every statistic. The benchmark, if any, must have the same dates.
    ///
    /// # Errors
    /// [`Error::InsufficientData`] with fewer than two returns;
    /// [`Error::InvalidField`] on `benchmark` when its dates differ from the series';
    /// [`Error::InvalidField`] on `risk_free_rate` when it is not finite.
    pub fn compute(returns: &Returns, options: StatsOptions<'_>) -> Result<Self> {
        let r = returns.values();
        if r.len() < 2 {
            return Err(Error::InsufficientData {
                what: "performance statistics",
                needed: 2,
                got: r.len(),
            });
        }
        if !options.risk_free_rate.is_finite() {
            return Err(Error::field_error(
                "risk_free_rate",
                "must be a finite number",
            ));
        }
        let rf = options.risk_free_rate / PERIODS_PER_YEAR;
        let (beta, alpha) = match options.benchmark {
            Some(b) => {
                if b.dates() != returns.dates() {
                    return Err(Error::field_error(
                        "benchmark",
                        "benchmark returns must be on the same dates as the series (align the prices first)",
                    ));
                }
                let beta = beta(r, b.values(), rf);
                (beta, beta.map(|beta| alpha(r, b.values(), rf, beta)))
            }
            None => (None, None),
        };
        let dd = max_drawdown(returns);
        let cagr = cagr(r);
        Ok(Self {
            total_return: total_return(r),
            cagr,
            volatility: volatility(r),
            sharpe: sharpe(r, rf),
            sortino: sortino(r, rf),
            max_drawdown: dd.value,
            max_drawdown_peak: dd.peak,
            max_drawdown_trough: dd.trough,
            max_drawdown_recovery: dd.recovery,
            calmar: (dd.value < 0.0)
                .then(|| cagr / dd.value.abs())
                .filter(|c| c.is_finite()),
            var_95: value_at_risk(r, 0.05),
            cvar_95: conditional_value_at_risk(r, 0.05),
            monthly_returns: monthly_returns(returns),
            beta,
            alpha,
        })
    }
}

/// Arithmetic mean.
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Standard deviation with `ddof` degrees of freedom removed (two-pass).
pub fn std_dev(x: &[f64], ddof: usize) -> f64 {
    let m = mean(x);
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (x.len() - ddof) as f64).sqrt()
}

/// `Π(1 + r) - 1`.
pub fn total_return(r: &[f64]) -> f64 {
    r.iter().fold(1.0, |acc, x| acc * (1.0 + x)) - 1.0
}

/// Compound annual growth rate over `r.len() / 252` years.
pub fn cagr(r: &[f64]) -> f64 {
    let years = r.len() as f64 / PERIODS_PER_YEAR;
    (total_return(r) + 1.0).powf(1.0 / years) - 1.0
}

/// Annualised sample volatility.
pub fn volatility(r: &[f64]) -> f64 {
    std_dev(r, 1) * PERIODS_PER_YEAR.sqrt()
}

/// Annualised Sharpe ratio at daily risk-free rate `rf`.
pub fn sharpe(r: &[f64], rf: f64) -> Option<f64> {
    let adj: Vec<f64> = r.iter().map(|x| x - rf).collect();
    // empyrical's `_zero_dispersion_std`: identical values (max == min) have a
    // zero deviation even when the rounded mean leaves a ~1e-18 residue.
    let (lo, hi) = adj
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        });
    let constant = lo >= hi;
    let sd = std_dev(&adj, 1);
    (!constant && sd > 0.0).then(|| mean(&adj) / sd * PERIODS_PER_YEAR.sqrt())
}

/// Annualised Sortino ratio at daily required return `rf`.
pub fn sortino(r: &[f64], rf: f64) -> Option<f64> {
    let adj: Vec<f64> = r.iter().map(|x| x - rf).collect();
    let downside: Vec<f64> = adj.iter().map(|x| x.min(0.0).powi(2)).collect();
    let risk = mean(&downside).sqrt() * PERIODS_PER_YEAR.sqrt();
    (risk > 0.0).then(|| mean(&adj) * PERIODS_PER_YEAR / risk)
}

/// The maximum drawdown of wealth compounded from `returns`.
///
/// An empty series gives a zero drawdown dated at its start (or
/// `NaiveDate::MIN` without one).
pub fn max_drawdown(returns: &Returns) -> Drawdown {
    let start = returns
        .start()
        .or_else(|| returns.dates().first().copied())
        .unwrap_or(NaiveDate::MIN);
    let mut wealth = 1.0;
    let (mut peak_w, mut peak_d) = (1.0, start);
    let mut worst = Drawdown {
        value: 0.0,
        peak: start,
        trough: start,
        recovery: None,
    };
    let mut worst_peak_w = 1.0;
    let mut trough_i = None;
    for (i, (d, r)) in returns.dates().iter().zip(returns.values()).enumerate() {
        wealth *= 1.0 + r;
        if wealth >= peak_w {
            peak_w = wealth;
            peak_d = *d;
        }
        let dd = wealth / peak_w - 1.0;
        if dd < worst.value {
            worst = Drawdown {
                value: dd,
                peak: peak_d,
                trough: *d,
                recovery: None,
            };
            worst_peak_w = peak_w;
            trough_i = Some(i);
        }
    }
    if let Some(t) = trough_i {
        let mut w = returns.values()[..=t]
            .iter()
            .fold(1.0, |a, r| a * (1.0 + r));
        for (d, r) in returns.dates().iter().zip(returns.values()).skip(t + 1) {
            w *= 1.0 + r;
            if w >= worst_peak_w {
                worst.recovery = Some(*d);
                break;
            }
        }
    }
    worst
}

/// The drawdown after each return: wealth compounded from `returns` over
/// its running peak, less one (0 at a new high, -0.2 twenty per cent below
/// it). Its minimum is [`max_drawdown`]'s value.
pub fn drawdown_series(returns: &Returns) -> Vec<f64> {
    let (mut wealth, mut peak) = (1.0_f64, 1.0_f64);
    returns
        .values()
        .iter()
        .map(|r| {
            wealth *= 1.0 + r;
            peak = peak.max(wealth);
            wealth / peak - 1.0
        })
        .collect()
}

/// Historical value at risk: the `cutoff` quantile, linearly interpolated.
pub fn value_at_risk(r: &[f64], cutoff: f64) -> f64 {
    let mut s = r.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = (s.len() - 1) as f64 * cutoff;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    let frac = pos - lo as f64;
    s[lo] + (s[hi] - s[lo]) * frac
}

/// Historical conditional value at risk: the mean of the worst `floor((n-1)·cutoff) + 1` returns.
pub fn conditional_value_at_risk(r: &[f64], cutoff: f64) -> f64 {
    let mut s = r.to_vec();
    s.sort_by(f64::total_cmp);
    let k = ((s.len() - 1) as f64 * cutoff) as usize;
    mean(&s[..=k])
}

/// Beta of `r` against benchmark `b` (same length), at daily risk-free rate `rf`.
pub fn beta(r: &[f64], b: &[f64], rf: f64) -> Option<f64> {
    let x: Vec<f64> = b.iter().map(|v| v - rf).collect();
    let mx = mean(&x);
    let res: Vec<f64> = x.iter().map(|v| v - mx).collect();
    let cov = mean(
        &res.iter()
            .zip(r)
            .map(|(a, y)| a * (y - rf))
            .collect::<Vec<_>>(),
    );
    let var = mean(&res.iter().map(|a| a * a).collect::<Vec<_>>());
    (var >= 1e-30).then(|| cov / var)
}

/// Annualised alpha of `r` against `b` given `beta`.
pub fn alpha(r: &[f64], b: &[f64], rf: f64, beta: f64) -> f64 {
    let s: Vec<f64> = r
        .iter()
        .zip(b)
        .map(|(y, x)| (y - rf) - beta * (x - rf))
        .collect();
    (mean(&s) + 1.0).powf(PERIODS_PER_YEAR) - 1.0
}

/// Compounded returns per calendar month, keyed `YYYY-MM`.
pub fn monthly_returns(returns: &Returns) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<(i32, u32), f64> = BTreeMap::new();
    for (d, r) in returns.dates().iter().zip(returns.values()) {
        let g = out.entry((d.year(), d.month())).or_insert(1.0);
        *g *= 1.0 + r;
    }
    out.into_iter()
        .map(|((y, m), g)| (format!("{y:04}-{m:02}"), g - 1.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn drawdown_series_bottoms_at_the_maximum_drawdown() {
        // wealth: 1 -> 1.1 -> 0.88 -> 0.99 -> 1.1 -> 1.21
        let r = Returns::new(
            None,
            [
                "2024-01-01",
                "2024-01-02",
                "2024-01-03",
                "2024-01-04",
                "2024-01-05",
            ]
            .map(d)
            .to_vec(),
            vec![0.1, -0.2, 0.125, 1.1 / 0.99 - 1.0, 0.1],
        )
        .unwrap();
        let dd = drawdown_series(&r);
        let want = [0.0, -0.2, 0.99 / 1.1 - 1.0, 0.0, 0.0];
        for (got, want) in dd.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{dd:?}");
        }
        let worst = dd.iter().copied().fold(0.0, f64::min);
        assert!((worst - max_drawdown(&r).value).abs() < 1e-12);
        assert!(drawdown_series(&Returns::new(None, vec![], vec![]).unwrap()).is_empty());
    }

    #[test]
    fn drawdown_dates_and_recovery() {
        // wealth: 1 -> 1.1 -> 0.88 -> 0.99 -> 1.1 -> 1.21
        let r = Returns::new(
            Some(d("2024-01-01")),
            vec![
                d("2024-01-02"),
                d("2024-01-03"),
                d("2024-01-04"),
                d("2024-01-05"),
                d("2024-01-08"),
            ],
            vec![0.1, -0.2, 0.125, 1.1 / 0.99 - 1.0, 0.1],
        )
        .unwrap();
        let dd = max_drawdown(&r);
        assert!((dd.value + 0.2).abs() < 1e-12);
        assert_eq!(
            (dd.peak, dd.trough, dd.recovery),
            (d("2024-01-02"), d("2024-01-03"), Some(d("2024-01-05")))
        );
    }

    #[test]
    fn drawdown_from_the_start_is_dated_at_the_start() {
        let r = Returns::new(
            Some(d("2024-01-01")),
            vec![d("2024-01-02"), d("2024-01-03")],
            vec![-0.5, 0.1],
        )
        .unwrap();
        let dd = max_drawdown(&r);
        assert_eq!(
            (dd.peak, dd.trough, dd.recovery),
            (d("2024-01-01"), d("2024-01-02"), None)
        );
    }

    #[test]
    fn undefined_ratios_are_none() {
        let dates = vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")];
        let flat = Returns::new(None, dates, vec![0.01, 0.01, 0.01]).unwrap();
        let s = PerformanceStats::compute(&flat, StatsOptions::default()).unwrap();
        assert_eq!((s.sharpe, s.sortino, s.calmar), (None, None, None));
        assert!(
            s.max_drawdown.abs() < f64::MIN_POSITIVE,
            "{}",
            s.max_drawdown
        );
        let one = Returns::new(None, vec![d("2024-01-02")], vec![0.01]).unwrap();
        assert!(matches!(
            PerformanceStats::compute(&one, StatsOptions::default()),
            Err(Error::InsufficientData {
                needed: 2,
                got: 1,
                ..
            })
        ));
    }

    #[test]
    fn rejects_bad_inputs() {
        assert!(Returns::new(None, vec![d("2024-01-02")], vec![f64::NAN]).is_err());
        assert!(Returns::new(None, vec![d("2024-01-02")], vec![-1.5]).is_err());
        assert!(
            Returns::new(None, vec![d("2024-01-03"), d("2024-01-02")], vec![0.0, 0.0]).is_err()
        );
        assert!(Returns::new(None, vec![d("2024-01-03")], vec![]).is_err());
        let dates = vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")];
        let r = Returns::new(None, dates.clone(), vec![0.01, -0.02, 0.03]).unwrap();
        let other = Returns::new(None, dates[..2].to_vec(), vec![0.0, 0.0]).unwrap();
        let opts = StatsOptions {
            risk_free_rate: 0.0,
            benchmark: Some(&other),
        };
        assert_eq!(
            PerformanceStats::compute(&r, opts).unwrap_err().field(),
            Some("benchmark")
        );
        let opts = StatsOptions {
            risk_free_rate: f64::NAN,
            benchmark: None,
        };
        assert_eq!(
            PerformanceStats::compute(&r, opts).unwrap_err().field(),
            Some("risk_free_rate")
        );
    }

    #[test]
    fn quantiles_interpolate() {
        let r: Vec<f64> = (0..21).map(|i| i as f64 / 100.0).collect();
        assert!((value_at_risk(&r, 0.05) - 0.01).abs() < 1e-15);
        assert!((conditional_value_at_risk(&r, 0.05) - 0.005).abs() < 1e-15);
    }
}

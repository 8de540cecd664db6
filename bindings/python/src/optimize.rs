//! `auravest.optimize` and `auravest.compat.pypfopt`: the optimiser crate.
//!
//! Vectors cross as Python lists (or any `float64` buffer) in ticker order,
//! square matrices as row-major `float64` buffers with their ticker list,
//! and return matrices as a [`ReturnTable`]. Every function forwards to one
//! function of `auravest_optimize`; `None` stands for the SDK's default,
//! and every check is the SDK's. Solvers and estimators run off the GIL and
//! answer Ctrl-C ([`interruptible`]).

// pyo3 extracts Python lists into owned vectors; a slice cannot be extracted.
#![allow(clippy::needless_pass_by_value)]

use std::collections::BTreeMap;
use std::sync::Arc;

use auravest_core::{InstrumentTable, Symbol};
use auravest_optimize::black_litterman::{self as bl, BlackLittermanOptions, Omega};
use auravest_optimize::expected_returns::{self as er, ExpectedReturnsMethod};
use auravest_optimize::hrp::{self, Hrp, Linkage};
use auravest_optimize::objectives;
use auravest_optimize::request::{Clean, Compat, Objective, OptimizeRequest};
use auravest_optimize::risk_models::{self as rm, Estimator, PsdRepair, ShrinkageTarget};
use auravest_optimize::{
    AdviceOptions, CovarianceMatrix, ExpectedReturns, LinearConstraint, MeanVariance, MissingData,
    Relation, ReturnMatrix, Solution, TailMeasure, Weights, allocation, min_tail_risk,
    portfolio_performance, risk_parity,
};
use nalgebra::{DMatrix, DVector};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::de::DeserializeOwned;

use crate::convert::{from_py, to_py};
use crate::errors::{Failure, Outcome, raise};
use crate::frame::{PriceTable, date_from_days, days, read_buffer, table_buffers};
use crate::run::{detached, interruptible, sized};

// ------------------------------------------------------------------ conversions

/// Ticker names as symbols.
fn symbols(names: &[String]) -> Outcome<Vec<Symbol>> {
    names
        .iter()
        .map(|n| n.parse::<Symbol>().map_err(Failure::from))
        .collect()
}

fn names_of(symbols: &[Symbol]) -> Vec<String> {
    symbols.iter().map(ToString::to_string).collect()
}

/// A snake-case SDK enum from its name (`"pairwise"`, `"ward"`, ...).
fn parse_name<T: DeserializeOwned>(field: &str, name: &str) -> Outcome<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|e| Failure::argument(field, e))
}

fn policy(name: Option<&str>) -> Outcome<MissingData> {
    name.map_or_else(
        || Ok(MissingData::default()),
        |n| parse_name("missing_data", n),
    )
}

fn floats(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<f64>> {
    if let Ok(v) = obj.extract::<Vec<f64>>() {
        return Ok(v);
    }
    read_buffer::<f64>(obj, field)
}

fn expected(names: &[String], values: Vec<f64>) -> Outcome<ExpectedReturns> {
    Ok(ExpectedReturns::new(symbols(names)?, values)?)
}

/// A square matrix from its row-major values.
fn square(field: &str, n: usize, values: &[f64]) -> Outcome<DMatrix<f64>> {
    if values.len() != n * n {
        return Err(Failure::argument(
            field,
            format!("{} values for a {n}x{n} matrix", values.len()),
        ));
    }
    Ok(DMatrix::from_row_slice(n, n, values))
}

fn covariance(names: &[String], values: &[f64]) -> Outcome<CovarianceMatrix> {
    let m = square("cov_matrix", names.len(), values)?;
    Ok(CovarianceMatrix::new(symbols(names)?, m)?)
}

fn weights(names: &[String], values: Vec<f64>) -> Outcome<Weights> {
    Ok(Weights::new(symbols(names)?, values)?)
}

/// A matrix as row-major little-endian `float64` bytes.
fn matrix_bytes<'py>(py: Python<'py>, m: &DMatrix<f64>) -> PyResult<Bound<'py, PyBytes>> {
    float_bytes(py, m.transpose().as_slice())
}

/// A matrix as column-major little-endian `float64` bytes.
fn column_bytes<'py>(py: Python<'py>, m: &DMatrix<f64>) -> PyResult<Bound<'py, PyBytes>> {
    float_bytes(py, m.as_slice())
}

/// Values as little-endian `float64` bytes, written straight into the
/// Python object.
fn float_bytes<'py>(py: Python<'py>, values: &[f64]) -> PyResult<Bound<'py, PyBytes>> {
    let fill = |buf: &mut [u8]| {
        for (out, v) in buf.chunks_exact_mut(8).zip(values) {
            out.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    };
    PyBytes::new_with(py, values.len() * 8, fill)
}

type Vector = (Vec<String>, Vec<f64>);
type Matrix<'py> = (Vec<String>, Bound<'py, PyBytes>);

fn vector(mu: &ExpectedReturns) -> Vector {
    (
        names_of(mu.tickers()),
        mu.values().iter().copied().collect(),
    )
}

fn cov_out<'py>(py: Python<'py>, cov: &CovarianceMatrix) -> PyResult<Matrix<'py>> {
    Ok((names_of(cov.tickers()), matrix_bytes(py, cov.matrix())?))
}

/// A solution: weights, expected return, volatility, Sharpe, solver path.
type SolutionTuple = (Vec<f64>, f64, f64, Option<f64>, &'static str);

fn solution(s: &Solution) -> SolutionTuple {
    (
        s.weights.values().iter().copied().collect(),
        s.performance.expected_return,
        s.performance.volatility,
        s.performance.sharpe,
        s.method,
    )
}

fn weight_values(w: &Weights) -> Vec<f64> {
    w.values().iter().copied().collect()
}

/// Floating-point work of an estimate over `r`: `T N` for means, `T N²`
/// for covariances (see [`sized`]).
fn work(r: &ReturnMatrix, per_pair: bool) -> usize {
    let (t, n) = r.values().shape();
    let n2 = if per_pair { n.saturating_mul(n) } else { n };
    t.saturating_mul(n2)
}

/// Runs a risk-model estimate on a return table under the named
/// missing-data policy: on the calling thread when `cheap` and small (see
/// [`sized`]), else on a thread of its own.
fn estimate<T, F>(
    py: Python<'_>,
    returns: &ReturnTable,
    missing_data: Option<String>,
    cheap: bool,
    f: F,
) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce(&ReturnMatrix, MissingData) -> auravest_optimize::Result<T> + Send + 'static,
{
    let r = Arc::clone(&returns.inner);
    let flops = if cheap { work(&r, true) } else { usize::MAX };
    sized(py, flops, move || {
        Ok(f(&r, policy(missing_data.as_deref())?)?)
    })
}

// ------------------------------------------------------------------ returns

/// Simple returns, one column per ticker (NaN = missing), with the periods a
/// year the estimators annualise by.
#[pyclass(module = "auravest._native", frozen, name = "ReturnTable")]
#[derive(Clone)]
pub(crate) struct ReturnTable {
    inner: Arc<ReturnMatrix>,
}

impl ReturnTable {
    fn wrap(inner: ReturnMatrix) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

#[pymethods]
impl ReturnTable {
    /// Builds a table from day numbers (`int32`, days since 1970-01-01),
    /// names and column-major `float64` returns (NaN = missing); `frequency`
    /// is the periods a year (the SDK's default when None).
    #[new]
    #[pyo3(signature = (dates, names, values, frequency=None))]
    fn new(
        py: Python<'_>,
        dates: &Bound<'_, PyAny>,
        names: Vec<String>,
        values: &Bound<'_, PyAny>,
        frequency: Option<f64>,
    ) -> PyResult<Self> {
        let (dates, values) = table_buffers(dates, values)?;
        detached(py, move || {
            let (t, n) = (dates.len(), names.len());
            if values.len() != t * n {
                return Err(Failure::argument(
                    "values",
                    format!("{} returns for {t} dates and {n} columns", values.len()),
                ));
            }
            let m = ReturnMatrix::new(
                symbols(&names)?,
                dates
                    .iter()
                    .map(|&d| date_from_days("dates", d))
                    .collect::<Outcome<Vec<_>>>()?,
                DMatrix::from_column_slice(t, n, &values),
            )?;
            let m = match frequency {
                Some(f) => m.with_periods_per_year(f)?,
                None => m,
            };
            Ok(Self::wrap(m))
        })
    }

    /// The returns of every column of a price table.
    #[staticmethod]
    fn from_prices(py: Python<'_>, prices: &PriceTable) -> PyResult<Self> {
        let frame = Arc::clone(&prices.frame);
        detached(py, move || {
            Ok(Self::wrap(ReturnMatrix::from_prices(&frame)?))
        })
    }

    /// The returns of a dense price table without building a `PriceTable`:
    /// day numbers (`int32`), names and column-major `float64` prices (NaN =
    /// missing), checked by the price table's rules.
    #[staticmethod]
    fn from_price_values(
        py: Python<'_>,
        dates: &Bound<'_, PyAny>,
        names: Vec<String>,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let (dates, values) = table_buffers(dates, values)?;
        detached(py, move || {
            let dates = dates
                .iter()
                .map(|&d| date_from_days("date", d))
                .collect::<Outcome<Vec<_>>>()?;
            Ok(Self::wrap(ReturnMatrix::from_dense_prices(
                &symbols(&names)?,
                &dates,
                &values,
            )?))
        })
    }

    /// The same returns annualised at `frequency` periods a year.
    fn with_frequency(&self, frequency: f64) -> PyResult<Self> {
        let m = (*self.inner).clone().with_periods_per_year(frequency);
        Ok(Self::wrap(m.map_err(Failure::from)?))
    }

    /// Log returns `ln(1 + r)`.
    fn log(&self) -> PyResult<Self> {
        Ok(Self::wrap(self.inner.to_log().map_err(Failure::from)?))
    }

    /// Only the rows where every ticker has a return.
    fn complete_rows(&self) -> Self {
        Self::wrap(self.inner.complete_rows())
    }

    /// The growth of one unit along the returns (column-major `float64`
    /// bytes); `log` when the returns are log returns.
    fn growth_index<'py>(&self, py: Python<'py>, log: bool) -> PyResult<Bound<'py, PyBytes>> {
        column_bytes(py, &self.inner.growth_index(log))
    }

    /// The tickers, in column order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        names_of(self.inner.tickers())
    }

    /// Periods a year the estimators annualise by.
    #[getter]
    fn frequency(&self) -> f64 {
        self.inner.periods_per_year()
    }

    /// Number of rows.
    fn __len__(&self) -> usize {
        self.inner.dates().len()
    }

    /// The dates as `int32` day numbers (little-endian bytes).
    fn date_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes: Vec<u8> = self
            .inner
            .dates()
            .iter()
            .flat_map(|d| days(*d).to_le_bytes())
            .collect();
        PyBytes::new(py, &bytes)
    }

    /// The returns as column-major `float64` (little-endian bytes), NaN for missing.
    fn value_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        column_bytes(py, self.inner.values())
    }

    /// Pickles as the pieces it was built from.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let this = slf.get();
        let args = (
            this.date_bytes(py),
            this.columns(),
            this.value_bytes(py)?,
            this.frequency(),
        );
        Ok((
            py.get_type::<Self>().into_any(),
            args.into_pyobject(py)?.into_any(),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "ReturnTable({} rows, {} columns, {} periods a year)",
            self.inner.dates().len(),
            self.inner.tickers().len(),
            self.inner.periods_per_year()
        )
    }
}

/// The returns of `prices` and of the first column of `market` on the dates
/// both have prices (for CAPM against a benchmark).
#[pyfunction]
fn opt_returns_with_market(
    py: Python<'_>,
    prices: &PriceTable,
    market: &PriceTable,
) -> PyResult<(ReturnTable, Vec<f64>)> {
    let (frame, market) = (Arc::clone(&prices.frame), Arc::clone(&market.frame));
    interruptible(py, move || {
        let name = market
            .columns()
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let series = market.series(&name)?;
        let (returns, mkt) = er::returns_with_market(&frame, &series)?;
        Ok((ReturnTable::wrap(returns), mkt))
    })
}

// ------------------------------------------------------------------ expected returns

/// `expected_returns::mean_historical`.
#[pyfunction]
fn opt_mean_historical(
    py: Python<'_>,
    returns: &ReturnTable,
    compounding: bool,
) -> PyResult<Vector> {
    let r = Arc::clone(&returns.inner);
    sized(py, work(&r, false), move || {
        Ok(vector(&er::mean_historical(&r, compounding)?))
    })
}

/// `expected_returns::ema_historical` (span: the SDK's default when None).
#[pyfunction]
#[pyo3(signature = (returns, span, compounding))]
fn opt_ema_historical(
    py: Python<'_>,
    returns: &ReturnTable,
    span: Option<usize>,
    compounding: bool,
) -> PyResult<Vector> {
    let r = Arc::clone(&returns.inner);
    let span = span.unwrap_or(er::DEFAULT_EMA_SPAN);
    interruptible(py, move || {
        Ok(vector(&er::ema_historical(&r, span, compounding)?))
    })
}

/// `expected_returns::capm`; `market` holds the market's returns on the rows
/// of `returns` (None: the equal-weight market).
#[pyfunction]
#[pyo3(signature = (returns, market, risk_free_rate, compounding))]
fn opt_capm(
    py: Python<'_>,
    returns: &ReturnTable,
    market: Option<Vec<f64>>,
    risk_free_rate: f64,
    compounding: bool,
) -> PyResult<Vector> {
    let r = Arc::clone(&returns.inner);
    interruptible(py, move || {
        Ok(vector(&er::capm(
            &r,
            market.as_deref(),
            risk_free_rate,
            compounding,
        )?))
    })
}

/// `expected_returns::james_stein`: the shrunk means and the intensity.
#[pyfunction]
fn opt_james_stein(
    py: Python<'_>,
    returns: &ReturnTable,
) -> PyResult<(Vec<String>, Vec<f64>, f64)> {
    let r = Arc::clone(&returns.inner);
    interruptible(py, move || {
        let (mu, c) = er::james_stein(&r)?;
        let (names, values) = vector(&mu);
        Ok((names, values, c))
    })
}

/// An expected-returns model by its option name (`mean`, `mean-arithmetic`,
/// `ema`, `capm`; the SDK's default when None).
#[pyfunction]
#[pyo3(signature = (returns, method, risk_free_rate))]
fn opt_expected_returns(
    py: Python<'_>,
    returns: &ReturnTable,
    method: Option<String>,
    risk_free_rate: f64,
) -> PyResult<Vector> {
    let r = Arc::clone(&returns.inner);
    interruptible(py, move || {
        let method = match method {
            Some(m) => m.parse::<ExpectedReturnsMethod>()?,
            None => ExpectedReturnsMethod::default(),
        };
        Ok(vector(&method.estimate(&r, None, risk_free_rate)?))
    })
}

// ------------------------------------------------------------------ risk models

/// A risk model by its option name (`sample`, `semicovariance`, `exp-cov`,
/// `ledoit-wolf`, ..., the SDK's default when None).
#[pyfunction]
#[pyo3(signature = (returns, method, missing_data=None))]
fn opt_risk_model<'py>(
    py: Python<'py>,
    returns: &ReturnTable,
    method: Option<String>,
    missing_data: Option<String>,
) -> PyResult<Matrix<'py>> {
    let r = Arc::clone(&returns.inner);
    let cov = interruptible(py, move || {
        let est = match method {
            Some(m) => m.parse::<Estimator>()?,
            None => Estimator::default(),
        };
        Ok(est.estimate(&r, policy(missing_data.as_deref())?)?)
    })?;
    cov_out(py, &cov)
}

/// `risk_models::sample_cov`.
#[pyfunction]
#[pyo3(signature = (returns, missing_data=None))]
fn opt_sample_cov<'py>(
    py: Python<'py>,
    returns: &ReturnTable,
    missing_data: Option<String>,
) -> PyResult<Matrix<'py>> {
    let cov = estimate(py, returns, missing_data, true, rm::sample_cov)?;
    cov_out(py, &cov)
}

/// `risk_models::semicovariance` (benchmark: the SDK's default when None).
#[pyfunction]
#[pyo3(signature = (returns, benchmark=None, missing_data=None))]
fn opt_semicovariance<'py>(
    py: Python<'py>,
    returns: &ReturnTable,
    benchmark: Option<f64>,
    missing_data: Option<String>,
) -> PyResult<Matrix<'py>> {
    let b = benchmark.unwrap_or(rm::DEFAULT_SEMICOVARIANCE_BENCHMARK);
    let cov = estimate(py, returns, missing_data, false, move |r, p| {
        rm::semicovariance(r, b, p)
    })?;
    cov_out(py, &cov)
}

/// `risk_models::exp_cov` (span: the SDK's default when None).
#[pyfunction]
#[pyo3(signature = (returns, span=None, missing_data=None))]
fn opt_exp_cov<'py>(
    py: Python<'py>,
    returns: &ReturnTable,
    span: Option<usize>,
    missing_data: Option<String>,
) -> PyResult<Matrix<'py>> {
    let span = span.unwrap_or(rm::DEFAULT_EXP_COV_SPAN);
    let cov = estimate(py, returns, missing_data, false, move |r, p| {
        rm::exp_cov(r, span, p)
    })?;
    cov_out(py, &cov)
}

/// `risk_models::shrunk_covariance` (delta: the SDK's default when None).
#[pyfunction]
#[pyo3(signature = (returns, delta=None, missing_data=None))]
fn opt_shrunk_covariance<'py>(
    py: Python<'py>,
    returns: &ReturnTable,
    delta: Option<f64>,
    missing_data: Option<String>,
) -> PyResult<Matrix<'py>> {
    let delta = delta.unwrap_or(rm::DEFAULT_SHRINKAGE);
    let cov = estimate(py, returns, missing_data, false, move |r, p| {
        rm::shrunk_covariance(r, delta, p)
    })?;
    cov_out(py, &cov)
}

/// `risk_models::ledoit_wolf` with its target (`constant_variance`,
/// `single_factor`, `constant_correlation`; the SDK's default when None):
/// the matrix and the shrinkage intensity.
#[pyfunction]
#[pyo3(signature = (returns, target=None, missing_data=None))]
fn opt_ledoit_wolf<'py>(
    py: Python<'py>,
    returns: &ReturnTable,
    target: Option<String>,
    missing_data: Option<String>,
) -> PyResult<(Vec<String>, Bound<'py, PyBytes>, f64)> {
    let target: ShrinkageTarget = match target.as_deref() {
        Some(name) => raise(py, parse_name("shrinkage_target", name))?,
        None => ShrinkageTarget::default(),
    };
    let (cov, delta) = estimate(py, returns, missing_data, true, move |r, p| {
        rm::ledoit_wolf(r, target, p)
    })?;
    let (names, bytes) = cov_out(py, &cov)?;
    Ok((names, bytes, delta))
}

/// `risk_models::oracle_approximating`: the matrix and the shrinkage intensity.
#[pyfunction]
#[pyo3(signature = (returns, missing_data=None))]
fn opt_oracle_approximating<'py>(
    py: Python<'py>,
    returns: &ReturnTable,
    missing_data: Option<String>,
) -> PyResult<(Vec<String>, Bound<'py, PyBytes>, f64)> {
    let (cov, delta) = estimate(py, returns, missing_data, false, rm::oracle_approximating)?;
    let (names, bytes) = cov_out(py, &cov)?;
    Ok((names, bytes, delta))
}

/// `risk_models::fix_psd` (`spectral` or `nearest_correlation`; the SDK's
/// default when None).
#[pyfunction]
#[pyo3(signature = (names, matrix, repair=None))]
fn opt_fix_psd<'py>(
    py: Python<'py>,
    names: Vec<String>,
    matrix: &Bound<'py, PyAny>,
    repair: Option<String>,
) -> PyResult<Matrix<'py>> {
    let values = floats(matrix, "cov_matrix")?;
    let cov = interruptible(py, move || {
        let repair = match repair.as_deref() {
            None => PsdRepair::default(),
            Some("spectral") => PsdRepair::Spectral,
            Some("nearest_correlation") => PsdRepair::NearestCorrelation,
            Some("diagonal") => PsdRepair::Diagonal,
            Some(other) => {
                return Err(Failure::argument(
                    "fix_method",
                    format!(
                        "unknown repair {other:?}; use spectral, nearest_correlation or diagonal"
                    ),
                ));
            }
        };
        Ok(rm::fix_psd(&covariance(&names, &values)?, repair)?)
    })?;
    cov_out(py, &cov)
}

/// `risk_models::cov_to_corr` (row-major bytes).
#[pyfunction]
fn opt_cov_to_corr<'py>(
    py: Python<'py>,
    names: Vec<String>,
    matrix: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let values = floats(matrix, "cov_matrix")?;
    let corr = detached(py, move || {
        Ok(rm::cov_to_corr(&covariance(&names, &values)?))
    })?;
    matrix_bytes(py, &corr)
}

/// `risk_models::corr_to_cov` (row-major bytes).
#[pyfunction]
fn opt_corr_to_cov<'py>(
    py: Python<'py>,
    names: Vec<String>,
    matrix: &Bound<'py, PyAny>,
    std_devs: Vec<f64>,
) -> PyResult<Matrix<'py>> {
    let values = floats(matrix, "corr_matrix")?;
    let cov = detached(py, move || {
        let corr = square("corr_matrix", names.len(), &values)?;
        Ok(rm::corr_to_cov(symbols(&names)?, &corr, &std_devs)?)
    })?;
    cov_out(py, &cov)
}

/// `risk_models::is_psd`.
#[pyfunction]
fn opt_is_psd(py: Python<'_>, names: Vec<String>, matrix: &Bound<'_, PyAny>) -> PyResult<bool> {
    let values = floats(matrix, "cov_matrix")?;
    interruptible(py, move || Ok(rm::is_psd(&covariance(&names, &values)?)))
}

// ------------------------------------------------------------------ mean-variance

/// A mean-variance problem: expected returns, covariance and constraints
/// (the SDK's `MeanVariance`). Each `with_*` returns a new problem.
#[pyclass(module = "auravest._native", frozen, name = "MeanVarianceProblem")]
#[derive(Clone)]
pub(crate) struct MeanVarianceProblem {
    inner: Arc<MeanVariance>,
}

impl MeanVarianceProblem {
    fn map(
        &self,
        f: impl FnOnce(MeanVariance) -> auravest_optimize::Result<MeanVariance>,
    ) -> PyResult<Self> {
        let mv = f((*self.inner).clone()).map_err(Failure::from)?;
        Ok(Self {
            inner: Arc::new(mv),
        })
    }

    fn run<T: Send + 'static>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&MeanVariance) -> auravest_optimize::Result<T> + Send + 'static,
    ) -> PyResult<T> {
        let mv = Arc::clone(&self.inner);
        let n = mv.tickers().len();
        sized(py, n.saturating_mul(n).saturating_mul(n), move || {
            Ok(f(&mv)?)
        })
    }
}

#[pymethods]
impl MeanVarianceProblem {
    /// A long-only problem on `tickers` with expected returns `mu` and the
    /// row-major covariance `cov`.
    #[new]
    fn new(
        py: Python<'_>,
        tickers: Vec<String>,
        mu: &Bound<'_, PyAny>,
        cov: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let mu = floats(mu, "expected_returns")?;
        let cov = floats(cov, "cov_matrix")?;
        let n = tickers.len();
        sized(py, n.saturating_mul(n).saturating_mul(n), move || {
            let mv = MeanVariance::new(expected(&tickers, mu)?, covariance(&tickers, &cov)?)?;
            Ok(Self {
                inner: Arc::new(mv),
            })
        })
    }

    /// Bounds per asset.
    fn with_bounds(&self, lower: Vec<f64>, upper: Vec<f64>) -> PyResult<Self> {
        if lower.len() != upper.len() {
            return Err(Failure::argument("weight_bounds", "as many lower as upper bounds").into());
        }
        let b: Vec<(f64, f64)> = lower.into_iter().zip(upper).collect();
        self.map(|mv| mv.asset_bounds(&b))
    }

    /// Weights sum to 0.
    fn with_market_neutral(&self) -> PyResult<Self> {
        self.map(MeanVariance::market_neutral)
    }

    /// Total weight of `members` within `lower..=upper`.
    fn with_group(
        &self,
        name: &str,
        members: Vec<String>,
        lower: f64,
        upper: f64,
    ) -> PyResult<Self> {
        let m: Vec<&str> = members.iter().map(String::as_str).collect();
        self.map(|mv| mv.group(name, &m, lower, upper))
    }

    /// `coefficients · w (<= | == | >=) rhs`.
    fn with_linear_constraint(
        &self,
        coefficients: Vec<f64>,
        relation: &str,
        rhs: f64,
    ) -> PyResult<Self> {
        let relation = match relation {
            "<=" => Relation::LessEq,
            "==" => Relation::Equal,
            ">=" => Relation::GreaterEq,
            other => {
                return Err(Failure::argument(
                    "relation",
                    format!("unknown relation {other:?}; use <=, == or >="),
                )
                .into());
            }
        };
        self.map(|mv| {
            mv.linear_constraint(LinearConstraint {
                coefficients,
                relation,
                rhs,
            })
        })
    }

    /// Adds `gamma ‖w‖²` to the objective.
    fn with_l2_regularisation(&self, gamma: f64) -> PyResult<Self> {
        self.map(|mv| mv.l2_regularisation(gamma))
    }

    /// Adds `cost · Σ|w - current|` to the objective.
    fn with_transaction_cost(&self, current: Vec<f64>, cost: f64) -> PyResult<Self> {
        let current =
            Weights::new(self.inner.tickers().to_vec(), current).map_err(Failure::from)?;
        self.map(|mv| mv.transaction_cost(&current, cost))
    }

    /// Holds at most `k` assets.
    fn with_max_holdings(&self, k: usize) -> PyResult<Self> {
        self.map(|mv| mv.max_holdings(k))
    }

    /// Every asset held has at least `size`.
    fn with_min_position(&self, size: f64) -> PyResult<Self> {
        self.map(|mv| mv.min_position(size))
    }

    /// The tickers.
    #[getter]
    fn tickers(&self) -> Vec<String> {
        names_of(self.inner.tickers())
    }

    /// Minimum volatility.
    fn min_volatility(&self, py: Python<'_>, risk_free_rate: f64) -> PyResult<SolutionTuple> {
        self.run(py, move |mv| {
            mv.min_volatility(risk_free_rate).map(|s| solution(&s))
        })
    }

    /// Maximum Sharpe ratio.
    fn max_sharpe(&self, py: Python<'_>, risk_free_rate: f64) -> PyResult<SolutionTuple> {
        self.run(py, move |mv| {
            mv.max_sharpe(risk_free_rate).map(|s| solution(&s))
        })
    }

    /// Highest return at volatility `target`.
    fn efficient_risk(
        &self,
        py: Python<'_>,
        target: f64,
        risk_free_rate: f64,
    ) -> PyResult<SolutionTuple> {
        self.run(py, move |mv| {
            mv.efficient_risk(target, risk_free_rate)
                .map(|s| solution(&s))
        })
    }

    /// Lowest volatility at return `target`.
    fn efficient_return(
        &self,
        py: Python<'_>,
        target: f64,
        risk_free_rate: f64,
    ) -> PyResult<SolutionTuple> {
        self.run(py, move |mv| {
            mv.efficient_return(target, risk_free_rate)
                .map(|s| solution(&s))
        })
    }

    /// Highest `w·μ − δ/2 w'Σw`.
    fn max_quadratic_utility(
        &self,
        py: Python<'_>,
        risk_aversion: f64,
        risk_free_rate: f64,
    ) -> PyResult<SolutionTuple> {
        self.run(py, move |mv| {
            mv.max_quadratic_utility(risk_aversion, risk_free_rate)
                .map(|s| solution(&s))
        })
    }

    /// The highest reachable expected return.
    fn max_return(&self, py: Python<'_>) -> PyResult<f64> {
        self.run(py, MeanVariance::max_return)
    }

    /// `points` frontier portfolios from minimum volatility to maximum return.
    fn frontier(
        &self,
        py: Python<'_>,
        points: usize,
        risk_free_rate: f64,
    ) -> PyResult<Vec<SolutionTuple>> {
        self.run(py, move |mv| {
            mv.frontier(points, risk_free_rate)
                .map(|v| v.iter().map(solution).collect())
        })
    }
}

/// `Weights::cleaned`: weights below `cutoff` in absolute value set to 0,
/// the rest rounded to `decimals` (the SDK's defaults when None).
#[pyfunction]
#[pyo3(signature = (tickers, weights_, cutoff=None, decimals=None))]
fn opt_clean_weights(
    tickers: Vec<String>,
    weights_: Vec<f64>,
    cutoff: Option<f64>,
    decimals: Option<i32>,
) -> PyResult<Vec<f64>> {
    let d = Clean::default();
    let w = weights(&tickers, weights_)?;
    Ok(weight_values(&w.cleaned(
        cutoff.unwrap_or(d.cutoff),
        decimals.unwrap_or(d.decimals),
    )))
}

/// `portfolio_performance`: expected return, volatility, Sharpe.
#[pyfunction]
fn opt_portfolio_performance(
    py: Python<'_>,
    tickers: Vec<String>,
    weights_: Vec<f64>,
    mu: Vec<f64>,
    cov: &Bound<'_, PyAny>,
    risk_free_rate: f64,
) -> PyResult<(f64, f64, Option<f64>)> {
    let cov = floats(cov, "cov_matrix")?;
    detached(py, move || {
        let p = portfolio_performance(
            &weights(&tickers, weights_)?,
            &expected(&tickers, mu)?,
            &covariance(&tickers, &cov)?,
            risk_free_rate,
        )?;
        Ok((p.expected_return, p.volatility, p.sharpe))
    })
}

// ------------------------------------------------------------------ objective terms

fn sq(field: &str, n: usize, obj: &Bound<'_, PyAny>) -> PyResult<DMatrix<f64>> {
    Ok(square(field, n, &floats(obj, field)?)?)
}

/// `objectives::portfolio_variance`.
#[pyfunction]
fn opt_portfolio_variance(w: Vec<f64>, cov: &Bound<'_, PyAny>) -> PyResult<f64> {
    let s = sq("cov_matrix", w.len(), cov)?;
    Ok(objectives::portfolio_variance(&w, &s).map_err(Failure::from)?)
}

/// `objectives::portfolio_return`.
#[pyfunction]
fn opt_portfolio_return(w: Vec<f64>, mu: Vec<f64>) -> PyResult<f64> {
    Ok(objectives::portfolio_return(&w, &mu).map_err(Failure::from)?)
}

/// `objectives::sharpe_ratio`.
#[pyfunction]
fn opt_sharpe_ratio(
    w: Vec<f64>,
    mu: Vec<f64>,
    cov: &Bound<'_, PyAny>,
    risk_free_rate: f64,
) -> PyResult<f64> {
    let s = sq("cov_matrix", w.len(), cov)?;
    Ok(objectives::sharpe_ratio(&w, &mu, &s, risk_free_rate).map_err(Failure::from)?)
}

/// `objectives::l2_regularisation`.
#[pyfunction]
fn opt_l2_regularisation(w: Vec<f64>, gamma: f64) -> f64 {
    objectives::l2_regularisation(&w, gamma)
}

/// `objectives::quadratic_utility`.
#[pyfunction]
fn opt_quadratic_utility(
    w: Vec<f64>,
    mu: Vec<f64>,
    cov: &Bound<'_, PyAny>,
    risk_aversion: f64,
) -> PyResult<f64> {
    let s = sq("cov_matrix", w.len(), cov)?;
    Ok(objectives::quadratic_utility(&w, &mu, &s, risk_aversion).map_err(Failure::from)?)
}

/// `objectives::transaction_cost`.
#[pyfunction]
fn opt_transaction_cost(w: Vec<f64>, w_prev: Vec<f64>, k: f64) -> PyResult<f64> {
    Ok(objectives::transaction_cost(&w, &w_prev, k).map_err(Failure::from)?)
}

/// `objectives::ex_ante_tracking_error`.
#[pyfunction]
fn opt_ex_ante_tracking_error(
    w: Vec<f64>,
    cov: &Bound<'_, PyAny>,
    benchmark: Vec<f64>,
) -> PyResult<f64> {
    let s = sq("cov_matrix", w.len(), cov)?;
    Ok(objectives::ex_ante_tracking_error(&w, &s, &benchmark).map_err(Failure::from)?)
}

/// `objectives::ex_post_tracking_error`; `returns` row-major `T x n`.
#[pyfunction]
fn opt_ex_post_tracking_error(
    w: Vec<f64>,
    returns: &Bound<'_, PyAny>,
    benchmark: Vec<f64>,
) -> PyResult<f64> {
    let values = floats(returns, "historic_returns")?;
    let (t, n) = (benchmark.len(), w.len());
    if values.len() != t * n {
        return Err(Failure::argument(
            "historic_returns",
            format!("{} returns for {t} rows and {n} assets", values.len()),
        )
        .into());
    }
    let r = DMatrix::from_row_slice(t, n, &values);
    Ok(objectives::ex_post_tracking_error(&w, &r, &benchmark).map_err(Failure::from)?)
}

// ------------------------------------------------------------------ risk parity, HRP

/// `risk_parity`: equal risk contributions.
#[pyfunction]
fn opt_risk_parity(
    py: Python<'_>,
    tickers: Vec<String>,
    cov: &Bound<'_, PyAny>,
) -> PyResult<Vec<f64>> {
    let cov = floats(cov, "cov_matrix")?;
    interruptible(py, move || {
        Ok(weight_values(&risk_parity(&covariance(&tickers, &cov)?)?))
    })
}

/// `risk_budgeting`: risk contributions proportional to `budgets`.
#[pyfunction]
fn opt_risk_budgeting(
    py: Python<'_>,
    tickers: Vec<String>,
    cov: &Bound<'_, PyAny>,
    budgets: Vec<f64>,
) -> PyResult<Vec<f64>> {
    let cov = floats(cov, "cov_matrix")?;
    interruptible(py, move || {
        let w = auravest_optimize::risk_budgeting(&covariance(&tickers, &cov)?, &budgets)?;
        Ok(weight_values(&w))
    })
}

/// `max_diversification`.
#[pyfunction]
fn opt_max_diversification(
    py: Python<'_>,
    tickers: Vec<String>,
    cov: &Bound<'_, PyAny>,
) -> PyResult<Vec<f64>> {
    let cov = floats(cov, "cov_matrix")?;
    interruptible(py, move || {
        let w = auravest_optimize::max_diversification(&covariance(&tickers, &cov)?)?;
        Ok(weight_values(&w))
    })
}

/// `risk_contributions` of `weights`.
#[pyfunction]
fn opt_risk_contributions(
    py: Python<'_>,
    tickers: Vec<String>,
    weights_: Vec<f64>,
    cov: &Bound<'_, PyAny>,
) -> PyResult<Vec<f64>> {
    let cov = floats(cov, "cov_matrix")?;
    detached(py, move || {
        Ok(auravest_optimize::risk_contributions(
            &weights(&tickers, weights_)?,
            &covariance(&tickers, &cov)?,
        )?)
    })
}

/// `hrp::inverse_volatility`.
#[pyfunction]
fn opt_inverse_volatility(
    py: Python<'_>,
    tickers: Vec<String>,
    cov: &Bound<'_, PyAny>,
) -> PyResult<Vec<f64>> {
    let cov = floats(cov, "cov_matrix")?;
    detached(py, move || {
        Ok(weight_values(&hrp::inverse_volatility(&covariance(
            &tickers, &cov,
        )?)?))
    })
}

/// `hrp::equal_weight`.
#[pyfunction]
fn opt_equal_weight(tickers: Vec<String>) -> PyResult<Vec<f64>> {
    let s = symbols(&tickers)?;
    Ok(weight_values(
        &hrp::equal_weight(&s).map_err(Failure::from)?,
    ))
}

/// A hierarchical-risk-parity portfolio with its clustering (the SDK's `Hrp`).
#[pyclass(module = "auravest._native", frozen, name = "HrpPortfolio")]
pub(crate) struct HrpPortfolio {
    inner: Hrp,
}

fn linkage(name: Option<&str>) -> Outcome<Linkage> {
    name.map_or_else(
        || Ok(Linkage::default()),
        |n| parse_name("linkage_method", n),
    )
}

#[pymethods]
impl HrpPortfolio {
    /// HRP from daily returns (`single`, `complete`, `average`, `ward`; the
    /// SDK's default when None).
    #[staticmethod]
    #[pyo3(signature = (returns, linkage_method=None))]
    fn from_returns(
        py: Python<'_>,
        returns: &ReturnTable,
        linkage_method: Option<String>,
    ) -> PyResult<Self> {
        let r = Arc::clone(&returns.inner);
        interruptible(py, move || {
            Ok(Self {
                inner: Hrp::from_returns(&r, linkage(linkage_method.as_deref())?)?,
            })
        })
    }

    /// HRP from a covariance matrix.
    #[staticmethod]
    #[pyo3(signature = (tickers, cov, linkage_method=None))]
    fn from_covariance(
        py: Python<'_>,
        tickers: Vec<String>,
        cov: &Bound<'_, PyAny>,
        linkage_method: Option<String>,
    ) -> PyResult<Self> {
        let cov = floats(cov, "cov_matrix")?;
        interruptible(py, move || {
            Ok(Self {
                inner: Hrp::from_covariance(
                    &covariance(&tickers, &cov)?,
                    linkage(linkage_method.as_deref())?,
                )?,
            })
        })
    }

    /// The weights, in ticker order.
    #[getter]
    fn weights(&self) -> Vec<f64> {
        weight_values(self.inner.weights())
    }

    /// The tickers.
    #[getter]
    fn tickers(&self) -> Vec<String> {
        names_of(self.inner.weights().tickers())
    }

    /// The quasi-diagonal order, as indices into the tickers.
    #[getter]
    fn order(&self) -> Vec<usize> {
        self.inner.leaf_order().to_vec()
    }

    /// The merges `(left, right, distance, size)`, SciPy's linkage matrix.
    #[getter]
    fn merges(&self) -> Vec<(usize, usize, f64, usize)> {
        self.inner
            .dendrogram()
            .merges()
            .iter()
            .map(|m| (m.left, m.right, m.distance, m.size))
            .collect()
    }

    /// The covariance the bisection used (row-major bytes).
    fn covariance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        matrix_bytes(py, self.inner.covariance())
    }

    /// HRPOpt's own performance figures (arithmetic means).
    fn performance(&self, risk_free_rate: f64) -> PyResult<(f64, f64, Option<f64>)> {
        let p = self
            .inner
            .performance(risk_free_rate)
            .map_err(Failure::from)?;
        Ok((p.expected_return, p.volatility, p.sharpe))
    }
}

// ------------------------------------------------------------------ tail risk

/// `min_tail_risk`: `cvar` or `cdar` at confidence `beta` over the complete
/// rows of `returns`: weights, expected return, risk.
#[pyfunction]
#[pyo3(signature = (measure, returns, mu, beta, bounds, target_return=None))]
fn opt_min_tail_risk(
    py: Python<'_>,
    measure: &str,
    returns: &ReturnTable,
    mu: Vec<f64>,
    beta: f64,
    bounds: (f64, f64),
    target_return: Option<f64>,
) -> PyResult<(Vec<f64>, f64, f64)> {
    let measure = match measure {
        "cvar" => TailMeasure::Cvar,
        "cdar" => TailMeasure::Cdar,
        other => {
            return Err(Failure::argument(
                "measure",
                format!("unknown measure {other:?}; use cvar or cdar"),
            )
            .into());
        }
    };
    let r = Arc::clone(&returns.inner);
    interruptible(py, move || {
        let mu = ExpectedReturns::new(r.tickers().to_vec(), mu)?;
        let s = min_tail_risk(measure, &r, &mu, beta, bounds, target_return)?;
        Ok((weight_values(&s.weights), s.expected_return, s.risk))
    })
}

// ------------------------------------------------------------------ Black-Litterman

/// `black_litterman::market_implied_risk_aversion` from market prices.
#[pyfunction]
fn opt_market_implied_risk_aversion(
    py: Python<'_>,
    market_prices: &Bound<'_, PyAny>,
    frequency: f64,
    risk_free_rate: f64,
) -> PyResult<f64> {
    let prices = floats(market_prices, "market_prices")?;
    detached(py, move || {
        Ok(bl::market_implied_risk_aversion(
            &prices,
            frequency,
            risk_free_rate,
        )?)
    })
}

/// `black_litterman::market_implied_prior_returns`.
#[pyfunction]
fn opt_market_implied_prior_returns(
    py: Python<'_>,
    market_caps: Vec<(String, f64)>,
    risk_aversion: f64,
    tickers: Vec<String>,
    cov: &Bound<'_, PyAny>,
    risk_free_rate: f64,
) -> PyResult<Vec<f64>> {
    let cov = floats(cov, "cov_matrix")?;
    detached(py, move || {
        let caps = market_caps
            .iter()
            .map(|(t, v)| Ok((t.parse::<Symbol>().map_err(Failure::from)?, *v)))
            .collect::<Outcome<BTreeMap<_, _>>>()?;
        let prior = bl::market_implied_prior_returns(
            &caps,
            risk_aversion,
            &covariance(&tickers, &cov)?,
            risk_free_rate,
        )?;
        Ok(prior.values().iter().copied().collect())
    })
}

/// A Black-Litterman posterior (the SDK's `BlackLitterman`).
#[pyclass(module = "auravest._native", frozen, name = "BlackLittermanPosterior")]
pub(crate) struct BlackLittermanPosterior {
    inner: bl::BlackLitterman,
}

#[pymethods]
impl BlackLittermanPosterior {
    /// The posterior of `prior` under the views: either `absolute`
    /// (`[(ticker, return)]`) or a row-major `K x N` picking matrix `p` with
    /// `q`. `tau` is the SDK's default when None; the view uncertainty is
    /// Idzorek's with `confidences`, the given `K x K` `omega`, or else
    /// proportional to the prior.
    #[new]
    #[pyo3(signature = (tickers, cov, prior, absolute=None, p=None, q=None, tau=None, confidences=None, omega=None))]
    #[allow(clippy::too_many_arguments)] // one argument per model input, as the Python model takes them
    fn new(
        py: Python<'_>,
        tickers: Vec<String>,
        cov: &Bound<'_, PyAny>,
        prior: Vec<f64>,
        absolute: Option<Vec<(String, f64)>>,
        p: Option<Vec<f64>>,
        q: Option<Vec<f64>>,
        tau: Option<f64>,
        confidences: Option<Vec<f64>>,
        omega: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let cov = floats(cov, "cov_matrix")?;
        interruptible(py, move || {
            let cov = covariance(&tickers, &cov)?;
            let prior = expected(&tickers, prior)?;
            let views = match (absolute, p, q) {
                (Some(a), _, _) => {
                    let a = a
                        .into_iter()
                        .map(|(t, v)| Ok((t.parse::<Symbol>().map_err(Failure::from)?, v)))
                        .collect::<Outcome<Vec<_>>>()?;
                    bl::Views::from_absolute(cov.tickers(), &a)?
                }
                (None, Some(p), Some(q)) => {
                    let n = tickers.len();
                    let k = q.len();
                    if p.len() != k * n {
                        return Err(Failure::argument(
                            "P",
                            format!("{} picks for {k} views on {n} assets", p.len()),
                        ));
                    }
                    bl::Views::from_matrices(
                        cov.tickers(),
                        &DMatrix::from_row_slice(k, n, &p),
                        &DVector::from_vec(q),
                    )?
                }
                _ => bl::Views::new(cov.tickers()),
            };
            let mut options = BlackLittermanOptions::default();
            if let Some(t) = tau {
                options.tau = t;
            }
            if let Some(c) = confidences {
                options.omega = Omega::Idzorek(c);
            } else if let Some(o) = omega {
                options.omega = Omega::Matrix(square("omega", views.len(), &o)?);
            }
            Ok(Self {
                inner: bl::BlackLitterman::new(&cov, &prior, &views, &options)?,
            })
        })
    }

    /// Posterior expected returns.
    fn posterior_returns(&self) -> Vec<f64> {
        self.inner
            .posterior_returns()
            .values()
            .iter()
            .copied()
            .collect()
    }

    /// Posterior covariance (row-major bytes).
    fn posterior_covariance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        matrix_bytes(py, self.inner.posterior_covariance().matrix())
    }

    /// The view uncertainty Ω used (row-major bytes).
    fn omega<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        matrix_bytes(py, self.inner.omega())
    }

    /// The posterior-implied weights at `risk_aversion`.
    fn weights(&self, risk_aversion: f64) -> PyResult<Vec<f64>> {
        Ok(weight_values(
            &self.inner.weights(risk_aversion).map_err(Failure::from)?,
        ))
    }
}

// ------------------------------------------------------------------ allocation

fn price_map(prices: Vec<(String, f64)>) -> Outcome<BTreeMap<Symbol, f64>> {
    prices
        .into_iter()
        .map(|(t, p)| Ok((t.parse::<Symbol>().map_err(Failure::from)?, p)))
        .collect()
}

/// Whole shares for `cash` (`greedy` or `exact`; the SDK's default when
/// None): the SDK's `Allocation` as a dict.
#[pyfunction]
#[pyo3(signature = (tickers, weights_, prices, cash, method=None))]
fn opt_allocate<'py>(
    py: Python<'py>,
    tickers: Vec<String>,
    weights_: Vec<f64>,
    prices: Vec<(String, f64)>,
    cash: f64,
    method: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = interruptible(py, move || {
        let method = match method.as_deref() {
            Some(m) => parse_name("method", m)?,
            None => allocation::Method::default(),
        };
        Ok(allocation::allocate(
            &weights(&tickers, weights_)?,
            &price_map(prices)?,
            cash,
            method,
        )?)
    })?;
    to_py(py, &a)
}

/// The allocation's root-mean-square weight error.
#[pyfunction]
fn opt_allocation_rmse(
    tickers: Vec<String>,
    weights_: Vec<f64>,
    prices: Vec<(String, f64)>,
    shares: Vec<(String, i64)>,
) -> PyResult<f64> {
    let run = || -> Outcome<f64> {
        let shares = shares
            .into_iter()
            .map(|(t, n)| Ok((t.parse::<Symbol>().map_err(Failure::from)?, n)))
            .collect::<Outcome<BTreeMap<_, _>>>()?;
        Ok(allocation::allocation_rmse(
            &weights(&tickers, weights_)?,
            &price_map(prices)?,
            &shares,
        )?)
    };
    Ok(run()?)
}

/// The last known price of every column (columns with none left out).
#[pyfunction]
fn opt_latest_prices(prices: &PriceTable) -> Vec<(String, f64)> {
    allocation::latest_prices(&prices.frame)
        .into_iter()
        .map(|(t, p)| (t.to_string(), p))
        .collect()
}

// ------------------------------------------------------------------ requests

/// An `OptimizeRequest`: `None` keeps the SDK's default of each setting.
#[allow(clippy::too_many_arguments)] // the request's settings, one each
fn request(
    objective: Objective,
    returns: Option<&str>,
    risk_model: Option<&str>,
    risk_free_rate: Option<f64>,
    bounds: Option<(f64, f64)>,
    max_holdings: Option<usize>,
    clean: Option<(Option<f64>, Option<i32>)>,
    compat: Option<&str>,
) -> Outcome<OptimizeRequest> {
    let mut r = OptimizeRequest::new(objective);
    if let Some(m) = returns {
        r.returns = m.parse()?;
    }
    if let Some(m) = risk_model {
        r.risk_model = m.parse()?;
    }
    if let Some(rf) = risk_free_rate {
        r.risk_free_rate = rf;
    }
    if let Some(b) = bounds {
        r.bounds = b;
    }
    r.max_holdings = max_holdings;
    if let Some((cutoff, decimals)) = clean {
        let d = Clean::default();
        r.clean = Some(Clean {
            cutoff: cutoff.unwrap_or(d.cutoff),
            decimals: decimals.unwrap_or(d.decimals),
        });
    }
    r.compat = match compat {
        None | Some("native") => Compat::Native,
        Some("pypfopt") => Compat::PyPortfolioOpt,
        Some(other) => {
            return Err(Failure::argument(
                "compat",
                format!("unknown behaviour {other:?}; use native or pypfopt"),
            ));
        }
    };
    Ok(r)
}

/// Solves one request on a price table: weights, expected return,
/// volatility, Sharpe, tail risk `(measure, value)` and the solver path.
#[pyfunction]
#[pyo3(signature = (prices, objective, returns=None, risk_model=None, risk_free_rate=None, bounds=None, max_holdings=None, clean=None, compat=None))]
#[allow(clippy::too_many_arguments)] // the request's settings, one each
#[allow(clippy::type_complexity)]
fn opt_solve(
    py: Python<'_>,
    prices: &PriceTable,
    objective: &Bound<'_, PyAny>,
    returns: Option<String>,
    risk_model: Option<String>,
    risk_free_rate: Option<f64>,
    bounds: Option<(f64, f64)>,
    max_holdings: Option<usize>,
    clean: Option<(Option<f64>, Option<i32>)>,
    compat: Option<String>,
) -> PyResult<(
    Vec<String>,
    Vec<f64>,
    f64,
    f64,
    Option<f64>,
    Option<(&'static str, f64)>,
    &'static str,
)> {
    let objective: Objective = from_py(objective, "objective")?;
    let frame = Arc::clone(&prices.frame);
    interruptible(py, move || {
        let r = request(
            objective,
            returns.as_deref(),
            risk_model.as_deref(),
            risk_free_rate,
            bounds,
            max_holdings,
            clean,
            compat.as_deref(),
        )?;
        let out = r.solve(&frame)?;
        let tail = out.tail_risk.map(|(m, v)| {
            (
                match m {
                    TailMeasure::Cvar => "cvar",
                    TailMeasure::Cdar => "cdar",
                },
                v,
            )
        });
        Ok((
            names_of(out.weights.tickers()),
            weight_values(&out.weights),
            out.performance.expected_return,
            out.performance.volatility,
            out.performance.sharpe,
            tail,
            out.method,
        ))
    })
}

/// `points` frontier portfolios of a request (its estimators and bounds).
#[pyfunction]
#[pyo3(signature = (prices, points, returns=None, risk_model=None, risk_free_rate=None, bounds=None, compat=None))]
#[allow(clippy::too_many_arguments)] // the request's settings, one each
fn opt_frontier(
    py: Python<'_>,
    prices: &PriceTable,
    points: usize,
    returns: Option<String>,
    risk_model: Option<String>,
    risk_free_rate: Option<f64>,
    bounds: Option<(f64, f64)>,
    compat: Option<String>,
) -> PyResult<(Vec<String>, Vec<SolutionTuple>)> {
    let frame = Arc::clone(&prices.frame);
    interruptible(py, move || {
        let r = request(
            Objective::MinVolatility,
            returns.as_deref(),
            risk_model.as_deref(),
            risk_free_rate,
            bounds,
            None,
            None,
            compat.as_deref(),
        )?;
        let points = r.frontier(&frame, points)?;
        let names = points
            .first()
            .map(|s| names_of(s.weights.tickers()))
            .unwrap_or_default();
        Ok((names, points.iter().map(solution).collect()))
    })
}

/// The recommended portfolio for a risk category (snake case, as
/// `"moderate"`) from daily closes: the SDK's `Recommendation` as a dict.
/// `instruments` is a mapping CSV over the shipped table; `options` the
/// fields of `AdviceOptions` to change.
#[pyfunction]
#[pyo3(signature = (category, prices, instruments=None, options=None))]
fn opt_recommend<'py>(
    py: Python<'py>,
    category: &Bound<'py, PyAny>,
    prices: &PriceTable,
    instruments: Option<String>,
    options: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let category: auravest_risk::RiskCategory = from_py(category, "category")?;
    let options: AdviceOptions = match options {
        Some(o) => from_py(o, "options")?,
        None => AdviceOptions::default(),
    };
    let frame = Arc::clone(&prices.frame);
    let rec = interruptible(py, move || {
        let table = match instruments {
            Some(csv) => InstrumentTable::shipped().with_mapping_csv(csv.as_bytes())?,
            None => InstrumentTable::shipped(),
        };
        Ok(auravest_optimize::recommend(
            category, &frame, &table, &options,
        )?)
    })?;
    to_py(py, &rec)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ReturnTable>()?;
    m.add_class::<MeanVarianceProblem>()?;
    m.add_class::<HrpPortfolio>()?;
    m.add_class::<BlackLittermanPosterior>()?;
    m.add("OPT_PERIODS_PER_YEAR", auravest_optimize::PERIODS_PER_YEAR)?;
    m.add("OPT_DEFAULT_EMA_SPAN", er::DEFAULT_EMA_SPAN)?;
    m.add("OPT_DEFAULT_EXP_COV_SPAN", rm::DEFAULT_EXP_COV_SPAN)?;
    m.add(
        "OPT_DEFAULT_SEMICOVARIANCE_BENCHMARK",
        rm::DEFAULT_SEMICOVARIANCE_BENCHMARK,
    )?;
    m.add("OPT_DEFAULT_SHRINKAGE", rm::DEFAULT_SHRINKAGE)?;
    m.add("OPT_DEFAULT_TAU", bl::DEFAULT_TAU)?;
    m.add("OPT_DEFAULT_CLEAN_CUTOFF", Clean::default().cutoff)?;
    m.add("OPT_DEFAULT_CLEAN_DECIMALS", Clean::default().decimals)?;
    m.add(
        "OPT_DEFAULT_RISK_FREE_RATE",
        OptimizeRequest::new(Objective::MaxSharpe).risk_free_rate,
    )?;
    m.add_function(wrap_pyfunction!(opt_returns_with_market, m)?)?;
    m.add_function(wrap_pyfunction!(opt_mean_historical, m)?)?;
    m.add_function(wrap_pyfunction!(opt_ema_historical, m)?)?;
    m.add_function(wrap_pyfunction!(opt_capm, m)?)?;
    m.add_function(wrap_pyfunction!(opt_james_stein, m)?)?;
    m.add_function(wrap_pyfunction!(opt_expected_returns, m)?)?;
    m.add_function(wrap_pyfunction!(opt_risk_model, m)?)?;
    m.add_function(wrap_pyfunction!(opt_sample_cov, m)?)?;
    m.add_function(wrap_pyfunction!(opt_semicovariance, m)?)?;
    m.add_function(wrap_pyfunction!(opt_exp_cov, m)?)?;
    m.add_function(wrap_pyfunction!(opt_shrunk_covariance, m)?)?;
    m.add_function(wrap_pyfunction!(opt_ledoit_wolf, m)?)?;
    m.add_function(wrap_pyfunction!(opt_oracle_approximating, m)?)?;
    m.add_function(wrap_pyfunction!(opt_fix_psd, m)?)?;
    m.add_function(wrap_pyfunction!(opt_is_psd, m)?)?;
    m.add_function(wrap_pyfunction!(opt_cov_to_corr, m)?)?;
    m.add_function(wrap_pyfunction!(opt_corr_to_cov, m)?)?;
    m.add_function(wrap_pyfunction!(opt_portfolio_performance, m)?)?;
    m.add_function(wrap_pyfunction!(opt_clean_weights, m)?)?;
    m.add_function(wrap_pyfunction!(opt_portfolio_variance, m)?)?;
    m.add_function(wrap_pyfunction!(opt_portfolio_return, m)?)?;
    m.add_function(wrap_pyfunction!(opt_sharpe_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(opt_l2_regularisation, m)?)?;
    m.add_function(wrap_pyfunction!(opt_quadratic_utility, m)?)?;
    m.add_function(wrap_pyfunction!(opt_transaction_cost, m)?)?;
    m.add_function(wrap_pyfunction!(opt_ex_ante_tracking_error, m)?)?;
    m.add_function(wrap_pyfunction!(opt_ex_post_tracking_error, m)?)?;
    m.add_function(wrap_pyfunction!(opt_risk_parity, m)?)?;
    m.add_function(wrap_pyfunction!(opt_risk_budgeting, m)?)?;
    m.add_function(wrap_pyfunction!(opt_max_diversification, m)?)?;
    m.add_function(wrap_pyfunction!(opt_risk_contributions, m)?)?;
    m.add_function(wrap_pyfunction!(opt_inverse_volatility, m)?)?;
    m.add_function(wrap_pyfunction!(opt_equal_weight, m)?)?;
    m.add_function(wrap_pyfunction!(opt_min_tail_risk, m)?)?;
    m.add_function(wrap_pyfunction!(opt_market_implied_risk_aversion, m)?)?;
    m.add_function(wrap_pyfunction!(opt_market_implied_prior_returns, m)?)?;
    m.add_function(wrap_pyfunction!(opt_allocate, m)?)?;
    m.add_function(wrap_pyfunction!(opt_allocation_rmse, m)?)?;
    m.add_function(wrap_pyfunction!(opt_latest_prices, m)?)?;
    m.add_function(wrap_pyfunction!(opt_solve, m)?)?;
    m.add_function(wrap_pyfunction!(opt_frontier, m)?)?;
    m.add_function(wrap_pyfunction!(opt_recommend, m)?)?;
    Ok(())
}

//! `auravest.stats`: empyrical's statistics on a price or returns series.

use auravest_core::{DatedSeries, Returns, SeriesKind, SeriesStats, series_stats, stats};
use pyo3::prelude::*;

use crate::convert::to_py;
use crate::errors::{Failure, Outcome, raise};
use crate::frame::{date_from_days, read_buffer};
use crate::run::detached;

/// A series as it crosses the boundary: day numbers and values.
fn series(
    dates: &Bound<'_, PyAny>,
    values: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<DatedSeries> {
    let days = read_buffer::<i32>(dates, what)?;
    let values = read_buffer::<f64>(values, what)?;
    let dates = days
        .iter()
        .map(|&d| date_from_days(what, d))
        .collect::<Outcome<Vec<_>>>()?;
    Ok(DatedSeries { dates, values })
}

/// Every statistic of a series, with beta and alpha against a benchmark
/// when one is given (price series are first restricted to their common
/// dates; return series must share their dates).
#[pyfunction]
#[pyo3(signature = (dates, values, kind, benchmark_dates=None, benchmark_values=None, risk_free_rate=None))]
#[allow(clippy::too_many_arguments)]
fn stats_summary<'py>(
    py: Python<'py>,
    dates: &Bound<'py, PyAny>,
    values: &Bound<'py, PyAny>,
    kind: &str,
    benchmark_dates: Option<&Bound<'py, PyAny>>,
    benchmark_values: Option<&Bound<'py, PyAny>>,
    risk_free_rate: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let main = series(dates, values, "series")?;
    let bench = match (benchmark_dates, benchmark_values) {
        (Some(d), Some(v)) => Some(series(d, v, "benchmark")?),
        _ => None,
    };
    let kind: SeriesKind = raise(py, kind.parse().map_err(Failure::from))?;
    let out = detached(py, move || {
        Ok(series_stats(&main, bench.as_ref(), kind, risk_free_rate)?)
    })?;
    let SeriesStats { stats, periods } = out;
    let mut value = serde_json::to_value(&stats)
        .map_err(|e| Failure::new("AuraVestError", "internal", e.to_string()))?;
    value["periods"] = serde_json::json!(periods);
    to_py(py, &value)
}

/// One statistic of plain per-period returns, as empyrical defines it
/// (`risk_free` per period, `cutoff` for VaR/CVaR, `benchmark` returns for
/// beta/alpha). None where the statistic is undefined.
#[pyfunction]
#[pyo3(signature = (name, returns, risk_free=0.0, cutoff=0.05, benchmark=None))]
fn stats_metric(
    py: Python<'_>,
    name: &str,
    returns: &Bound<'_, PyAny>,
    risk_free: f64,
    cutoff: f64,
    benchmark: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<f64>> {
    let r = read_buffer::<f64>(returns, "returns")?;
    // The SDK's own checks on returns (finite, above -100%), on undated
    // returns: consecutive day numbers stand in for the dates no statistic
    // here reports.
    let dates = (0..r.len())
        .map(|i| date_from_days("returns", i32::try_from(i).unwrap_or(i32::MAX)))
        .collect::<Outcome<Vec<_>>>();
    let checked = raise(
        py,
        dates.and_then(|d| Ok(Returns::new(None, d, r.clone())?)),
    )?;
    let b = benchmark
        .map(|b| read_buffer::<f64>(b, "benchmark"))
        .transpose()?;
    let need_benchmark = || -> Outcome<&[f64]> {
        let b = b.as_deref().ok_or_else(|| {
            Failure::argument("benchmark", format!("{name} needs benchmark returns"))
        })?;
        if b.len() != r.len() {
            return Err(Failure::argument(
                "benchmark",
                format!("{} benchmark returns for {} returns", b.len(), r.len()),
            ));
        }
        Ok(b)
    };
    let value = match name {
        "total_return" => Some(stats::total_return(&r)),
        "cagr" => Some(stats::cagr(&r)),
        "volatility" => Some(stats::volatility(&r)),
        "sharpe" => stats::sharpe(&r, risk_free),
        "sortino" => stats::sortino(&r, risk_free),
        "value_at_risk" => Some(stats::value_at_risk(&r, cutoff)),
        "conditional_value_at_risk" => Some(stats::conditional_value_at_risk(&r, cutoff)),
        "beta" => stats::beta(&r, raise(py, need_benchmark())?, risk_free),
        "alpha" => {
            let b = raise(py, need_benchmark())?;
            stats::beta(&r, b, risk_free).map(|beta| stats::alpha(&r, b, risk_free, beta))
        }
        "max_drawdown" => Some(stats::max_drawdown(&checked).value),
        other => {
            return Err(Failure::argument("name", format!("unknown statistic {other:?}")).into());
        }
    };
    Ok(value)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(stats_summary, m)?)?;
    m.add_function(wrap_pyfunction!(stats_metric, m)?)?;
    Ok(())
}

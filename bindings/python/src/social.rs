//! `auravest.social`: the community's text rules a client needs before it
//! posts (aliases, amounts, cashtags, mentions, links, safe rendering).

use auravest_social::{
    AliasPolicy, Decimal, Format, GUIDELINES, PerformanceShare, Period, compound_percent_text,
    entities, render_html, wealth_warnings,
};
use pyo3::prelude::*;

use crate::convert::{from_py, to_py};
use crate::errors::{Failure, raise};

/// Checks an alias a member picks; returns it as accepted (raises
/// InvalidInput naming the rule broken). `generated=True` checks an alias
/// the system hands out (default-shaped aliases allowed).
#[pyfunction]
#[pyo3(signature = (alias, generated=false))]
fn social_check_alias(py: Python<'_>, alias: &str, generated: bool) -> PyResult<String> {
    let policy = AliasPolicy::default();
    let checked = if generated {
        policy.check(alias)
    } else {
        policy.check_choice(alias)
    };
    Ok(raise(py, checked.map_err(Failure::from))?
        .as_str()
        .to_owned())
}

/// Amounts of money that would disclose wealth, with the cue that found
/// each, its span (byte offsets into the UTF-8 text) and the message to
/// show beside it.
#[pyfunction]
fn social_wealth_warnings<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let out: Vec<_> = wealth_warnings(text)
        .into_iter()
        .map(|w| {
            let message = w.message();
            serde_json::json!({"warning": w, "message": message})
        })
        .collect();
    to_py(py, &out)
}

/// Cashtags, mentions and links with their spans.
#[pyfunction]
fn social_entities<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &entities(text))
}

/// The text as safe HTML (`markdown`, the default, or `plain_text`).
#[pyfunction]
#[pyo3(signature = (text, format=None))]
fn social_render_html(
    py: Python<'_>,
    text: &str,
    format: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let format: Format = match format {
        Some(f) => raise(py, from_py(f, "format"))?,
        None => Format::default(),
    };
    Ok(render_html(text, format))
}

/// A performance share as the community shows it (percent only): checks
/// the period and the return's range.
#[pyfunction]
#[pyo3(signature = (period, return_pct, risk=None))]
fn social_performance_share<'py>(
    py: Python<'py>,
    period: &Bound<'py, PyAny>,
    return_pct: &str,
    risk: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let period: Period = raise(py, from_py(period, "period"))?;
    let pct: Decimal = raise(
        py,
        return_pct
            .trim()
            .parse()
            .map_err(|e| Failure::argument("return_pct", format!("not a decimal number: {e}"))),
    )?;
    let risk = match risk.filter(|r| !r.is_none()) {
        Some(r) => Some(raise(py, from_py(r, "risk"))?),
        None => None,
    };
    let share = raise(
        py,
        PerformanceShare::new(period, pct, risk).map_err(Failure::from),
    )?;
    to_py(py, &share)
}

/// Compounds period returns given in percent (`["1.5", "-0.4"]`); None
/// when the result overflows.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 hands over an owned list
fn social_compound_percent(py: Python<'_>, returns_pct: Vec<String>) -> PyResult<Option<String>> {
    let out = raise(
        py,
        compound_percent_text(&returns_pct).map_err(Failure::from),
    )?;
    Ok(out.map(|d| d.to_string()))
}

/// The community guidelines, in order.
#[pyfunction]
fn social_guidelines(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, GUIDELINES)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(social_check_alias, m)?)?;
    m.add_function(wrap_pyfunction!(social_wealth_warnings, m)?)?;
    m.add_function(wrap_pyfunction!(social_entities, m)?)?;
    m.add_function(wrap_pyfunction!(social_render_html, m)?)?;
    m.add_function(wrap_pyfunction!(social_performance_share, m)?)?;
    m.add_function(wrap_pyfunction!(social_compound_percent, m)?)?;
    m.add_function(wrap_pyfunction!(social_guidelines, m)?)?;
    Ok(())
}

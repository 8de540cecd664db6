//! `auravest.bias`: nudges with evidence, goals, badges and the checklist.

use std::collections::BTreeSet;
use std::sync::Arc;

use auravest_bias::{
    AnalysisInput, Config, Goal, ShownNudge, TargetAllocation, analyze, default_as_of,
};
use auravest_core::{InstrumentTable, NaiveDate};
use auravest_risk::RiskProfile;
use pyo3::prelude::*;

use crate::convert::{from_py, to_py};
use crate::errors::{Failure, Outcome, raise};
use crate::frame::PriceTable;
use crate::portfolio::{Ledger, date_arg};
use crate::run::interruptible;

/// An optional Python argument read as the serde type `T`.
fn optional<T: serde::de::DeserializeOwned>(
    value: Option<&Bound<'_, PyAny>>,
    field: &str,
) -> Outcome<Option<T>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| from_py(v, field))
        .transpose()
}

/// An instruments table: the shipped one, overlaid with a mapping CSV.
pub(crate) fn instruments(mapping_csv: Option<&str>) -> Outcome<InstrumentTable> {
    let shipped = InstrumentTable::shipped();
    Ok(match mapping_csv {
        Some(text) => shipped.with_mapping_csv(text.as_bytes())?,
        None => shipped,
    })
}

/// Runs every detector and returns today's nudges, every finding, goal
/// progress, badges and the learning checklist.
#[pyfunction]
#[pyo3(signature = (
    ledger, prices, *, as_of=None, profile=None, goals=None, benchmark=None, last_visit=None,
    target=None, history=None, completed_lessons=None, community_posts=0, instruments_csv=None,
    volumes=None, config=None
))]
#[allow(clippy::too_many_arguments)]
fn bias_analyze<'py>(
    py: Python<'py>,
    ledger: &Ledger,
    prices: &PriceTable,
    as_of: Option<&str>,
    profile: Option<&Bound<'py, PyAny>>,
    goals: Option<&Bound<'py, PyAny>>,
    benchmark: Option<String>,
    last_visit: Option<&str>,
    target: Option<&Bound<'py, PyAny>>,
    history: Option<&Bound<'py, PyAny>>,
    completed_lessons: Option<Vec<String>>,
    community_posts: u32,
    instruments_csv: Option<String>,
    volumes: Option<&PriceTable>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let as_of: Option<NaiveDate> = raise(py, date_arg("as_of", as_of))?;
    let last_visit = raise(py, date_arg("last_visit", last_visit))?;
    let profile: Option<RiskProfile> = raise(py, optional(profile, "profile"))?;
    let goals: Vec<Goal> = raise(py, optional(goals, "goals"))?.unwrap_or_default();
    let target: Option<TargetAllocation> = raise(py, optional(target, "target"))?;
    let history: Vec<ShownNudge> = raise(py, optional(history, "history"))?.unwrap_or_default();
    let config: Config = raise(py, optional(config, "config"))?.unwrap_or_default();
    let lessons: Option<BTreeSet<String>> = completed_lessons.map(|l| l.into_iter().collect());
    let (ledger, frame) = (Arc::clone(&ledger.inner), Arc::clone(&prices.frame));
    let volumes = volumes.map(|v| Arc::clone(&v.frame));
    let analysis = interruptible(py, move || {
        let table = instruments(instruments_csv.as_deref())?;
        let input = AnalysisInput {
            last_visit,
            instruments: Some(&table),
            risk_profile: profile.as_ref(),
            target: target.as_ref(),
            goals: &goals,
            benchmark: benchmark.as_deref(),
            volumes: volumes.as_deref(),
            history: &history,
            community_posts,
            completed_lessons: lessons.as_ref(),
            ..AnalysisInput::new(
                &ledger,
                &frame,
                as_of.unwrap_or_else(|| default_as_of(&ledger, &frame)),
            )
        };
        analyze(&input, &config).map_err(Failure::from)
    })?;
    to_py(py, &analysis)
}

/// The SDK's default nudge configuration (thresholds and limits), as a dict
/// that `bias_analyze(config=...)` accepts back.
#[pyfunction]
fn bias_default_config(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &Config::default())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bias_analyze, m)?)?;
    m.add_function(wrap_pyfunction!(bias_default_config, m)?)?;
    Ok(())
}

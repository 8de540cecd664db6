//! `auravest.risk`: the questionnaire and its scoring.

use std::collections::BTreeMap;

use auravest_risk::{Answers, Questionnaire, RiskCategory};
use pyo3::prelude::*;

use crate::convert::{from_py, to_py};
use crate::errors::{Failure, raise};

/// The questionnaire of `version` (the current one when None): its version
/// and its questions with their options, in order.
#[pyfunction]
#[pyo3(signature = (version=None))]
fn risk_questionnaire<'py>(py: Python<'py>, version: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    let q = match version {
        Some(v) => raise(py, Questionnaire::by_version(v).map_err(Failure::from))?,
        None => Questionnaire::current(),
    };
    to_py(py, q)
}

/// Every questionnaire version the SDK can score, oldest first.
#[pyfunction]
fn risk_versions() -> Vec<&'static str> {
    Questionnaire::versions().to_vec()
}

/// Scores answers (question id to chosen option index) given to `version`
/// (the current questionnaire when None).
#[pyfunction]
#[pyo3(signature = (answers, version=None))]
fn risk_score<'py>(
    py: Python<'py>,
    answers: &Bound<'py, PyAny>,
    version: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let answers: BTreeMap<String, usize> = raise(py, from_py(answers, "answers"))?;
    let answers = Answers {
        version: version.unwrap_or_else(|| Questionnaire::current().version().to_owned()),
        answers,
    };
    let profile = raise(py, auravest_risk::score(&answers).map_err(Failure::from))?;
    to_py(py, &profile)
}

/// The five categories, most cautious first: name, label, score band and
/// model allocation.
#[pyfunction]
fn risk_categories(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyAny>>> {
    RiskCategory::ALL
        .iter()
        .map(|c| {
            let band = c.score_band();
            let entry = serde_json::json!({
                "name": c,
                "label": c.label(),
                "score_band": [band.start(), band.end()],
                "allocation": c.allocation(),
            });
            to_py(py, &entry)
        })
        .collect()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(risk_questionnaire, m)?)?;
    m.add_function(wrap_pyfunction!(risk_versions, m)?)?;
    m.add_function(wrap_pyfunction!(risk_score, m)?)?;
    m.add_function(wrap_pyfunction!(risk_categories, m)?)?;
    Ok(())
}

//! serde values to and from Python objects (through `pythonize`).

use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::errors::{Failure, Outcome};

/// A serde value as Python dicts, lists, strings and numbers.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("cannot convert a result: {e}"))
    })
}

/// A Python value read as the serde type `T`; a mismatch names `field`.
pub(crate) fn from_py<T: DeserializeOwned>(value: &Bound<'_, PyAny>, field: &str) -> Outcome<T> {
    pythonize::depythonize(value).map_err(|e| Failure::argument(field, e))
}

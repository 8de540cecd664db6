//! The SDK's errors as the exceptions of `auravest.exceptions`.
//!
//! The classes are defined in Python (`auravest/exceptions.py`) so they have
//! real constructors, docstrings and pickle support; this module only picks
//! the class for each SDK error and fills in its details. The message is the
//! SDK error's `Display`; `field`, `line` and `kind` (the SDK's `Error::kind()`,
//! the variant in snake_case) are what the SDK says.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// An SDK error on its way to Python: the exception class and its details
/// (boxed: errors travel through every `Result` of the binding).
#[derive(Debug, Clone)]
pub(crate) struct Failure(Box<Detail>);

#[derive(Debug, Clone)]
struct Detail {
    class: &'static str,
    message: String,
    kind: String,
    field: Option<String>,
    line: Option<usize>,
    rows: Vec<auravest_core::RowError>,
}

impl Failure {
    pub(crate) fn new(
        class: &'static str,
        kind: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self(Box::new(Detail {
            class,
            message: message.into(),
            kind: kind.into(),
            field: None,
            line: None,
            rows: Vec::new(),
        }))
    }

    pub(crate) fn field(mut self, field: Option<&str>) -> Self {
        self.0.field = field.map(ToOwned::to_owned);
        self
    }

    pub(crate) fn line(mut self, line: Option<usize>) -> Self {
        self.0.line = line;
        self
    }

    /// An argument the caller passed that the binding could not read.
    pub(crate) fn argument(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            "InvalidInput",
            "invalid_argument",
            format!("{field}: {reason}"),
        )
        .field(Some(field))
    }

    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let d = *self.0;
        let build = || -> PyResult<PyErr> {
            let class = py.import("auravest.exceptions")?.getattr(d.class)?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("kind", &d.kind)?;
            kwargs.set_item("field", d.field.as_deref())?;
            kwargs.set_item("line", d.line)?;
            if !d.rows.is_empty() {
                let rows = PyList::empty(py);
                for r in &d.rows {
                    rows.append((r.line, r.field.as_str(), r.reason.as_str()))?;
                }
                kwargs.set_item("rows", rows)?;
            }
            let value = class.call((d.message.as_str(),), Some(&kwargs))?;
            Ok(PyErr::from_value(value))
        };
        build().unwrap_or_else(|e| {
            PyRuntimeError::new_err(format!("{} ({} while raising it)", d.message, e))
        })
    }
}

/// `Result` of the binding's Rust side, before it meets Python.
pub(crate) type Outcome<T> = Result<T, Failure>;

/// Turns an [`Outcome`] into a Python result.
pub(crate) fn raise<T>(py: Python<'_>, r: Outcome<T>) -> PyResult<T> {
    r.map_err(|f| f.into_pyerr(py))
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> Self {
        Python::attach(|py| f.into_pyerr(py))
    }
}

impl From<auravest_core::Error> for Failure {
    fn from(e: auravest_core::Error) -> Self {
        use auravest_core::Error as E;
        let kind = e.kind().to_owned();
        let class = match &e {
            E::MissingPrice { .. } | E::MissingFx { .. } | E::InsufficientData { .. } => {
                "DataUnavailable"
            }
            E::NoIrr(_) => "Infeasible",
            E::Oversold { .. }
            | E::InsufficientCash { .. }
            | E::UnknownPosition { .. }
            | E::CurrencyMismatch { .. }
            | E::NoSuchTransaction { .. } => "LedgerError",
            _ => "InvalidInput",
        };
        let mut rows = Vec::new();
        let mut line = None;
        let mut field = e.field().map(ToOwned::to_owned);
        if let E::Import { errors } | E::InvalidPrices { errors } = &e {
            if let Some(first) = errors.first() {
                line = Some(first.line);
                field = Some(first.field.clone());
            }
            rows.clone_from(errors);
        }
        Self(Box::new(Detail {
            class,
            message: e.to_string(),
            kind,
            field,
            line,
            rows,
        }))
    }
}

impl From<auravest_risk::Error> for Failure {
    fn from(e: auravest_risk::Error) -> Self {
        Self::new("InvalidInput", e.kind(), e.to_string()).field(e.field())
    }
}

impl From<auravest_optimize::Error> for Failure {
    fn from(e: auravest_optimize::Error) -> Self {
        use auravest_optimize::Error as E;
        if let E::Core(core) = e {
            return core.into();
        }
        let (class, field) = match &e {
            E::InsufficientHistory { .. } | E::TooFewObservations { .. } => {
                ("DataUnavailable", None)
            }
            E::InfeasibleBounds { .. }
            | E::TargetReturnUnreachable { .. }
            | E::TargetVolatilityUnreachable { .. }
            | E::NoReturnAboveRiskFree { .. }
            | E::Infeasible { .. }
            | E::Undiversifiable { .. } => ("Infeasible", None),
            E::Solver { .. } => ("SolverError", None),
            E::InvalidParameter { name, .. } => ("InvalidInput", Some(*name)),
            E::UnknownTicker(_) => ("InvalidInput", Some("ticker")),
            _ => ("InvalidInput", None),
        };
        Self::new(class, e.kind(), e.to_string()).field(field)
    }
}

impl From<auravest_bias::Error> for Failure {
    fn from(e: auravest_bias::Error) -> Self {
        if let auravest_bias::Error::Core(core) = e {
            return core.into();
        }
        let line = e.position();
        Self::new("InvalidInput", e.kind(), e.to_string())
            .field(e.field())
            .line(line)
    }
}

impl From<auravest_market::Error> for Failure {
    fn from(e: auravest_market::Error) -> Self {
        use auravest_market::Error as E;
        if let E::Core(core) = e {
            return core.into();
        }
        let class = match &e {
            E::InvalidRequest { .. } | E::BadSymbol { .. } | E::Unsupported { .. } => {
                "InvalidInput"
            }
            _ if e.is_no_data() => "DataUnavailable",
            _ => "SourceError",
        };
        Self::new(class, e.kind(), e.to_string())
    }
}

impl From<auravest_ai::Error> for Failure {
    fn from(e: auravest_ai::Error) -> Self {
        use auravest_ai::Error as E;
        let (class, field) = match &e {
            E::Invalid { field, .. } => ("InvalidInput", Some(field.to_string())),
            E::LimitReached { .. } => ("LimitReached", None),
            E::Model { .. } | E::Backend { .. } => ("ModelUnavailable", None),
            _ => ("AuraVestError", None),
        };
        Self::new(class, e.kind(), e.to_string()).field(field.as_deref())
    }
}

impl From<auravest_social::Error> for Failure {
    fn from(e: auravest_social::Error) -> Self {
        if let auravest_social::Error::Core(core) = e {
            return core.into();
        }
        Self::new("InvalidInput", e.kind(), e.to_string())
            .field(e.field())
            .line(e.position())
    }
}

impl From<pythonize::PythonizeError> for Failure {
    fn from(e: pythonize::PythonizeError) -> Self {
        Self::new("InvalidInput", "invalid_argument", e.to_string())
    }
}

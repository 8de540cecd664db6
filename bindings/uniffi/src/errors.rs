//! The SDK's errors as one flat error enum, mapped in one place.
//!
//! Every exported call fails with [`AuraError`]; in Kotlin it is the sealed
//! class `AuraException` (catch `AuraException.InvalidInput` and so on), in
//! Swift an `enum AuraError: Error`. Each variant carries the same
//! [`ErrorDetail`]: the SDK error's kind (`kind`, its variant in snake_case), its message
//! (`reason`, the Rust `Display`), and, when the SDK says so, the input
//! `field`, the `line` (1-based row of an import or position in a list), the
//! `symbol`, and every bad row of an import (`rows`). The variant is what an
//! app branches on; nothing here decides whether an input is valid: that is
//! the SDK's call.

/// One bad row of an import: where and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RowIssue {
    /// 1-based line (CSV) or record number.
    pub line: u32,
    /// The column or field at fault.
    pub field: String,
    /// Why it was refused.
    pub reason: String,
}

impl From<&auravest_core::RowError> for RowIssue {
    fn from(r: &auravest_core::RowError) -> Self {
        Self {
            line: count(r.line),
            field: r.field.clone(),
            reason: r.reason.clone(),
        }
    }
}

/// A `usize` count or position as the `u32` the bindings carry.
pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What the SDK said about a failure.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorDetail {
    /// The SDK error's kind: its variant in snake_case (`invalid_field`,
    /// `oversold`, `not_found`, ...), or the binding's own
    /// (`invalid_argument`, `runtime`, `task`).
    pub kind: String,
    /// What went wrong, in words (the SDK error's message).
    pub reason: String,
    /// The input field at fault, when known.
    pub field: Option<String>,
    /// The 1-based line or position at fault, when known.
    pub line: Option<u32>,
    /// The symbol at fault, when known.
    pub symbol: Option<String>,
    /// Every bad row of an import (empty otherwise).
    pub rows: Vec<RowIssue>,
}

/// Why a call failed: one flat set of variants to branch on, each with the
/// same [`ErrorDetail`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum AuraError {
    /// An argument, a row or a setting the SDK refused (a bad date, symbol,
    /// currency, decimal, questionnaire answer, alias, parameter, ...).
    #[error("{}", detail.reason)]
    InvalidInput {
        /// What the SDK said.
        detail: ErrorDetail,
    },
    /// A transaction the ledger cannot accept (selling more than is held,
    /// withdrawing more cash than there is, a currency mismatch, ...).
    #[error("{}", detail.reason)]
    Ledger {
        /// What the SDK said.
        detail: ErrorDetail,
    },
    /// The data needed is missing: too little history, a symbol no source
    /// knows, a price the valuation needs.
    #[error("{}", detail.reason)]
    DataUnavailable {
        /// What the SDK said.
        detail: ErrorDetail,
    },
    /// The constraints admit no answer (bounds, an unreachable target,
    /// limits that cannot all hold).
    #[error("{}", detail.reason)]
    Infeasible {
        /// What the SDK said.
        detail: ErrorDetail,
    },
    /// No market data source answered (network failures, rate limits,
    /// invalid responses); `reason` lists each source tried.
    #[error("{}", detail.reason)]
    Source {
        /// What the SDK said.
        detail: ErrorDetail,
    },
    /// The assistant's question allowance for the day is used up.
    #[error("{}", detail.reason)]
    LimitReached {
        /// What the SDK said.
        detail: ErrorDetail,
    },
    /// The language model could not be loaded or answer.
    #[error("{}", detail.reason)]
    ModelUnavailable {
        /// What the SDK said.
        detail: ErrorDetail,
    },
    /// Something failed inside the library (the solver stopped without a
    /// solution, the async runtime could not start, a task failed).
    #[error("{}", detail.reason)]
    Internal {
        /// What the SDK said.
        detail: ErrorDetail,
    },
}

/// Which variant of [`AuraError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    InvalidInput,
    Ledger,
    DataUnavailable,
    Infeasible,
    Source,
    LimitReached,
    ModelUnavailable,
    Internal,
}

/// An [`AuraError`] under construction.
#[derive(Debug, Clone)]
pub(crate) struct Detail {
    class: Class,
    detail: ErrorDetail,
}

impl Detail {
    pub(crate) fn new(class: Class, kind: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            class,
            detail: ErrorDetail {
                kind: kind.into(),
                reason: reason.into(),
                field: None,
                line: None,
                symbol: None,
                rows: Vec::new(),
            },
        }
    }

    pub(crate) fn field(mut self, field: Option<&str>) -> Self {
        self.detail.field = field.map(ToOwned::to_owned);
        self
    }

    pub(crate) fn line(mut self, line: Option<usize>) -> Self {
        self.detail.line = line.map(count);
        self
    }

    pub(crate) fn symbol(mut self, symbol: Option<&str>) -> Self {
        self.detail.symbol = symbol.map(ToOwned::to_owned);
        self
    }

    pub(crate) fn build(self) -> AuraError {
        let detail = self.detail;
        match self.class {
            Class::InvalidInput => AuraError::InvalidInput { detail },
            Class::Ledger => AuraError::Ledger { detail },
            Class::DataUnavailable => AuraError::DataUnavailable { detail },
            Class::Infeasible => AuraError::Infeasible { detail },
            Class::Source => AuraError::Source { detail },
            Class::LimitReached => AuraError::LimitReached { detail },
            Class::ModelUnavailable => AuraError::ModelUnavailable { detail },
            Class::Internal => AuraError::Internal { detail },
        }
    }
}

impl AuraError {
    /// An argument the binding could not read (a decimal or date text, a
    /// name from the SDK's vocabulary), naming the field.
    pub(crate) fn argument(field: &str, reason: impl std::fmt::Display) -> Self {
        Detail::new(
            Class::InvalidInput,
            "invalid_argument",
            format!("{field}: {reason}"),
        )
        .field(Some(field))
        .build()
    }

    /// What the SDK said, whichever the variant.
    pub(crate) fn into_detail(self) -> ErrorDetail {
        match self {
            Self::InvalidInput { detail }
            | Self::Ledger { detail }
            | Self::DataUnavailable { detail }
            | Self::Infeasible { detail }
            | Self::Source { detail }
            | Self::LimitReached { detail }
            | Self::ModelUnavailable { detail }
            | Self::Internal { detail } => detail,
        }
    }

    /// A failure of the binding's own machinery (the runtime, a task).
    pub(crate) fn internal(kind: &str, reason: impl std::fmt::Display) -> Self {
        Detail::new(Class::Internal, kind, reason.to_string()).build()
    }
}

/// `Result` of every exported call.
pub type Outcome<T> = Result<T, AuraError>;

/// A detail of `class` from an SDK error: its kind (the SDK's
/// `Error::kind()`, the variant's name in snake_case) and its message.
fn sdk(class: Class, kind: &str, e: &impl std::fmt::Display) -> Detail {
    Detail::new(class, kind, e.to_string())
}

impl From<auravest_core::Error> for AuraError {
    fn from(e: auravest_core::Error) -> Self {
        use auravest_core::Error as E;
        let class = match &e {
            E::MissingPrice { .. } | E::MissingFx { .. } | E::InsufficientData { .. } => {
                Class::DataUnavailable
            }
            E::NoIrr(_) => Class::Infeasible,
            E::Oversold { .. }
            | E::InsufficientCash { .. }
            | E::UnknownPosition { .. }
            | E::CurrencyMismatch { .. }
            | E::NoSuchTransaction { .. } => Class::Ledger,
            _ => Class::InvalidInput,
        };
        let symbol = match &e {
            E::Oversold { symbol, .. }
            | E::UnknownPosition { symbol, .. }
            | E::MissingPrice { symbol, .. }
            | E::PositionTooLarge { symbol, .. } => Some(symbol.to_string()),
            E::CurrencyMismatch { symbol, .. } => symbol.as_ref().map(ToString::to_string),
            E::InvalidSymbol { value, .. } => Some(value.clone()),
            _ => None,
        };
        let mut detail = sdk(class, e.kind(), &e)
            .field(e.field())
            .symbol(symbol.as_deref());
        if let E::Import { errors } | E::InvalidPrices { errors } = &e {
            if let Some(first) = errors.first() {
                detail = detail.line(Some(first.line)).field(Some(&first.field));
            }
            detail.detail.rows = errors.iter().map(RowIssue::from).collect();
        }
        detail.build()
    }
}

impl From<auravest_risk::Error> for AuraError {
    fn from(e: auravest_risk::Error) -> Self {
        sdk(Class::InvalidInput, e.kind(), &e)
            .field(e.field())
            .build()
    }
}

impl From<auravest_optimize::Error> for AuraError {
    fn from(e: auravest_optimize::Error) -> Self {
        use auravest_optimize::Error as E;
        if let E::Core(core) = e {
            return core.into();
        }
        let (class, field, symbol) = match &e {
            E::InsufficientHistory { ticker, .. } => {
                (Class::DataUnavailable, None, Some(ticker.as_str()))
            }
            E::TooFewObservations { .. } => (Class::DataUnavailable, None, None),
            E::InfeasibleBounds { .. }
            | E::TargetReturnUnreachable { .. }
            | E::TargetVolatilityUnreachable { .. }
            | E::NoReturnAboveRiskFree { .. }
            | E::Infeasible { .. }
            | E::Undiversifiable { .. } => (Class::Infeasible, None, None),
            E::Solver { .. } => (Class::Internal, None, None),
            E::InvalidParameter { name, .. } => (Class::InvalidInput, Some(*name), None),
            E::UnknownTicker(t) => (Class::InvalidInput, Some("ticker"), Some(t.as_str())),
            _ => (Class::InvalidInput, None, None),
        };
        sdk(class, e.kind(), &e).field(field).symbol(symbol).build()
    }
}

impl From<auravest_bias::Error> for AuraError {
    fn from(e: auravest_bias::Error) -> Self {
        if let auravest_bias::Error::Core(core) = e {
            return core.into();
        }
        let symbol = match &e {
            auravest_bias::Error::UnknownSymbol { symbol }
            | auravest_bias::Error::NotHeld { symbol } => Some(symbol.to_string()),
            _ => None,
        };
        sdk(Class::InvalidInput, e.kind(), &e)
            .field(e.field())
            .line(e.position())
            .symbol(symbol.as_deref())
            .build()
    }
}

impl From<auravest_market::Error> for AuraError {
    fn from(e: auravest_market::Error) -> Self {
        use auravest_market::Error as E;
        if let E::Core(core) = e {
            return core.into();
        }
        let class = match &e {
            E::InvalidRequest { .. } | E::BadSymbol { .. } | E::Unsupported { .. } => {
                Class::InvalidInput
            }
            _ if e.is_no_data() => Class::DataUnavailable,
            _ => Class::Source,
        };
        let symbol = match &e {
            E::NotFound { symbol, .. }
            | E::NoData { symbol, .. }
            | E::BadSymbol { symbol, .. }
            | E::AllRowsInvalid { symbol, .. } => Some(symbol.as_str()),
            _ => None,
        };
        let field = match &e {
            E::BadSymbol { .. } => Some("symbol"),
            E::InvalidRequest { field, .. } => Some(*field),
            _ => None,
        };
        sdk(class, e.kind(), &e).field(field).symbol(symbol).build()
    }
}

impl From<auravest_ai::Error> for AuraError {
    fn from(e: auravest_ai::Error) -> Self {
        use auravest_ai::Error as E;
        let (class, field) = match &e {
            E::Invalid { field, .. } => (Class::InvalidInput, Some(field.to_string())),
            E::Article { path, .. } => (Class::InvalidInput, Some(path.clone())),
            E::LimitReached { .. } => (Class::LimitReached, None),
            E::Model { .. } | E::Backend { .. } => (Class::ModelUnavailable, None),
            E::Io { .. } => (Class::DataUnavailable, None),
            _ => (Class::Internal, None),
        };
        let line = match &e {
            E::Article { line, .. } => Some(*line),
            _ => None,
        };
        sdk(class, e.kind(), &e)
            .field(field.as_deref())
            .line(line)
            .build()
    }
}

impl From<auravest_social::Error> for AuraError {
    fn from(e: auravest_social::Error) -> Self {
        if let auravest_social::Error::Core(core) = e {
            return core.into();
        }
        sdk(Class::InvalidInput, e.kind(), &e)
            .field(e.field())
            .line(e.position())
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solver_failure_is_internal_and_keeps_its_detail() {
        let e = AuraError::from(auravest_optimize::Error::Solver {
            status: "MaxIterations".to_owned(),
        });
        let AuraError::Internal { detail } = e else {
            panic!("expected Internal, got {e:?}");
        };
        assert_eq!(detail.kind, "solver");
        assert!(detail.reason.contains("MaxIterations"), "{}", detail.reason);
    }

    #[test]
    fn an_import_error_names_its_first_row_and_lists_every_row() {
        let row = |line, field: &str| auravest_core::RowError {
            line,
            field: field.to_owned(),
            reason: "bad".to_owned(),
        };
        let e = AuraError::from(auravest_core::Error::Import {
            errors: vec![row(3, "quantity"), row(5, "date")],
        });
        let AuraError::InvalidInput { detail: d } = e else {
            panic!("expected InvalidInput, got {e:?}");
        };
        assert_eq!((d.line, d.field.as_deref()), (Some(3), Some("quantity")));
        assert_eq!(d.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5]);
    }

    /// Each SDK error that names a field, a symbol or a line keeps it.
    #[test]
    fn field_symbol_and_line_survive_the_mapping() {
        let symbol: auravest_core::Symbol = "ACME".parse().unwrap();
        let e = AuraError::from(auravest_market::Error::InvalidRequest {
            field: "from",
            reason: "after to".to_owned(),
        });
        let AuraError::InvalidInput { detail: d } = e else {
            panic!("expected InvalidInput, got {e:?}");
        };
        assert_eq!(d.field.as_deref(), Some("from"));

        let e = AuraError::from(auravest_bias::Error::NotHeld { symbol });
        let AuraError::InvalidInput { detail: d } = e else {
            panic!("expected InvalidInput, got {e:?}");
        };
        assert_eq!(
            (d.field.as_deref(), d.symbol.as_deref()),
            (Some("symbol"), Some("ACME"))
        );

        let e = AuraError::from(auravest_optimize::Error::InsufficientHistory {
            ticker: "ACME".to_owned(),
            needed: 2,
            got: 1,
        });
        let AuraError::DataUnavailable { detail: d } = e else {
            panic!("expected DataUnavailable, got {e:?}");
        };
        assert_eq!(d.symbol.as_deref(), Some("ACME"));

        let e = AuraError::from(auravest_ai::Error::Article {
            path: "kb/fees.md".to_owned(),
            line: 7,
            reason: "no title".to_owned(),
        });
        let AuraError::InvalidInput { detail: d } = e else {
            panic!("expected InvalidInput, got {e:?}");
        };
        assert_eq!((d.field.as_deref(), d.line), (Some("kb/fees.md"), Some(7)));
    }

    /// The kind is the SDK's `kind()`: the variant in snake_case, a
    /// wrapped core error answering with its own.
    #[test]
    fn the_kind_is_the_sdks_snake_case_variant() {
        let core = auravest_core::Error::InsufficientData {
            what: "statistics",
            needed: 2,
            got: 1,
        };
        assert_eq!(core.kind(), "insufficient_data");
        let wrapped = auravest_optimize::Error::Core(core);
        assert_eq!(wrapped.kind(), "insufficient_data");
        let AuraError::DataUnavailable { detail } = AuraError::from(wrapped) else {
            panic!("expected DataUnavailable");
        };
        assert_eq!(detail.kind, "insufficient_data");
        let e = auravest_risk::Error::MissingAnswer {
            id: "age".to_owned(),
        };
        assert_eq!(AuraError::from(e).into_detail().kind, "missing_answer");
        let e = auravest_market::Error::CircuitOpen {
            source_name: "yahoo".to_owned(),
        };
        assert_eq!(e.kind(), "circuit_open");
        assert_eq!(auravest_ai::Error::Cancelled.kind(), "cancelled");
        assert_eq!(
            auravest_social::Error::AliasSpaceExhausted.kind(),
            "alias_space_exhausted"
        );
        assert_eq!(
            AuraError::argument("cash", "bad").into_detail().kind,
            "invalid_argument"
        );
    }

    /// Decimal arguments follow the SDK's rule (exponents allowed, a
    /// number that would need rounding refused, the field named).
    #[test]
    fn decimal_arguments_are_read_by_the_sdk() {
        let ok = crate::social::decimal("return_pct", " 1e1 ").unwrap();
        assert_eq!(ok.to_string(), "10");
        let e = crate::social::decimal("return_pct", "ten").unwrap_err();
        let AuraError::InvalidInput { detail: d } = e else {
            panic!("expected InvalidInput, got {e:?}");
        };
        assert_eq!(d.field.as_deref(), Some("return_pct"));
    }
}

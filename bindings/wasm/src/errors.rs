//! The SDK's errors as one thrown JavaScript `Error`, mapped in one place.
//!
//! Every exported call that can fail throws an `Error` whose `name` is
//! `"AuraError"`, with `kind` (the SDK error's `kind()`, its variant in
//! snake_case: `invalid_field`, `oversold`, `infeasible_bounds`, ... or
//! `invalid_argument` for an argument whose shape could not be read), `message` (the SDK's words), and, when
//! the SDK says so, the input `field`, the 1-based `line` (a row of an
//! import, a position in a list) and the `symbol` at fault. Nothing here
//! decides whether an input is valid: that is the SDK's call.

use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::strict::Loose;

#[wasm_bindgen(typescript_custom_section)]
const AURA_ERROR_TS: &str = r#"
/** What every fallible call throws: an `Error` named `"AuraError"`. */
export interface AuraError extends Error {
  name: "AuraError";
  /** The SDK error's variant in snake_case (`invalid_field`, `oversold`, `infeasible_bounds`, ...), or `invalid_argument` for an argument of the wrong shape. */
  kind: string;
  /** The input field at fault, when known (`answers.horizon`, `riskFreeRate`, ...). */
  field?: string;
  /** The 1-based line or position at fault, when known. */
  line?: number;
  /** The symbol at fault, when known. */
  symbol?: string;
}
"#;

/// Why a call failed: thrown to JavaScript as an `AuraError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The SDK error's variant.
    pub kind: String,
    /// What went wrong, in words.
    pub message: String,
    /// The input field at fault.
    pub field: Option<String>,
    /// The 1-based line or position at fault.
    pub line: Option<usize>,
    /// The symbol at fault.
    pub symbol: Option<String>,
}

/// `Result` of every fallible export.
pub type Outcome<T> = Result<T, Failure>;

impl Failure {
    /// A failure of `kind` saying `message`.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
            field: None,
            line: None,
            symbol: None,
        }
    }

    /// An argument the binding could not read into the SDK's types, naming
    /// where in it.
    pub fn argument(field: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        let field = field.into();
        Self {
            message: format!("{field}: {reason}"),
            field: Some(field),
            ..Self::new("invalid_argument", String::new())
        }
    }

    pub(crate) fn field(mut self, field: Option<&str>) -> Self {
        self.field = field.map(ToOwned::to_owned);
        self
    }

    pub(crate) fn line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    fn symbol(mut self, symbol: Option<String>) -> Self {
        self.symbol = symbol;
        self
    }

    /// From an SDK error: its kind (the SDK's `Error::kind()`) and its
    /// message.
    fn sdk(kind: &str, e: &impl std::fmt::Display) -> Self {
        Self::new(kind, e.to_string())
    }
}

impl From<Failure> for JsValue {
    fn from(f: Failure) -> Self {
        let error = js_sys::Error::new(&f.message);
        error.set_name("AuraError");
        let set = |key: &str, value: JsValue| {
            // Setting a property on a fresh ordinary object cannot fail.
            let _ = js_sys::Reflect::set(&error, &JsValue::from_str(key), &value);
        };
        set("kind", JsValue::from_str(&f.kind));
        if let Some(field) = &f.field {
            set("field", JsValue::from_str(field));
        }
        if let Some(line) = f.line {
            set("line", JsValue::from_f64(line as f64));
        }
        if let Some(symbol) = &f.symbol {
            set("symbol", JsValue::from_str(symbol));
        }
        error.into()
    }
}

/// Reads a JavaScript argument into a binding type; a value of the wrong
/// shape names its path from `field` (`options.bounds.high`), and so does a
/// key the type does not declare (`options.bound`): the argument is first
/// read with every key it has ([`Loose`]), so `deny_unknown_fields` holds.
pub(crate) fn read<T: DeserializeOwned>(field: &str, value: JsValue) -> Outcome<T> {
    let loose: Loose = serde_wasm_bindgen::from_value(value)
        .map_err(|e| Failure::argument(field, e.to_string()))?;
    serde_path_to_error::deserialize(loose).map_err(|e| {
        let mut path = e.path().to_string();
        let reason = e.into_inner().to_string();
        // Inside a tagged enum serde names an unknown key only in its message.
        if let Some(key) = reason
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
            && path.rsplit('.').next() != Some(key)
        {
            path = if path == "." {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
        }
        let at = if path == "." {
            field.to_owned()
        } else {
            format!("{field}.{path}")
        };
        Failure::argument(at, reason)
    })
}

impl From<auravest_core::Error> for Failure {
    fn from(e: auravest_core::Error) -> Self {
        use auravest_core::Error as E;
        let symbol = match &e {
            E::Oversold { symbol, .. }
            | E::UnknownPosition { symbol, .. }
            | E::MissingPrice { symbol, .. }
            | E::PositionTooLarge { symbol, .. } => Some(symbol.to_string()),
            E::CurrencyMismatch { symbol, .. } => symbol.as_ref().map(ToString::to_string),
            E::InvalidSymbol { value, .. } => Some(value.clone()),
            _ => None,
        };
        let mut failure = Self::sdk(e.kind(), &e).field(e.field()).symbol(symbol);
        if let E::Import { errors } | E::InvalidPrices { errors } = &e
            && let Some(first) = errors.first()
        {
            failure = failure.line(Some(first.line)).field(Some(&first.field));
        }
        failure
    }
}

impl From<auravest_risk::Error> for Failure {
    fn from(e: auravest_risk::Error) -> Self {
        Self::sdk(e.kind(), &e).field(e.field())
    }
}

impl From<auravest_social::Error> for Failure {
    fn from(e: auravest_social::Error) -> Self {
        if let auravest_social::Error::Core(core) = e {
            return core.into();
        }
        Self::sdk(e.kind(), &e).field(e.field())
    }
}

#[cfg(feature = "full")]
impl From<auravest_optimize::Error> for Failure {
    fn from(e: auravest_optimize::Error) -> Self {
        use auravest_optimize::Error as E;
        if let E::Core(core) = e {
            return core.into();
        }
        let symbol = match &e {
            E::InsufficientHistory { ticker, .. } | E::UnknownTicker(ticker) => {
                Some(ticker.clone())
            }
            _ => None,
        };
        Self::sdk(e.kind(), &e).field(e.field()).symbol(symbol)
    }
}

#[cfg(feature = "full")]
impl From<auravest_bias::Error> for Failure {
    fn from(e: auravest_bias::Error) -> Self {
        if let auravest_bias::Error::Core(core) = e {
            return core.into();
        }
        let symbol = match &e {
            auravest_bias::Error::UnknownSymbol { symbol }
            | auravest_bias::Error::NotHeld { symbol } => Some(symbol.to_string()),
            _ => None,
        };
        Self::sdk(e.kind(), &e)
            .field(e.field())
            .line(e.position())
            .symbol(symbol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_error_names_its_first_row() {
        let row = |line, field: &str| auravest_core::RowError {
            line,
            field: field.to_owned(),
            reason: "bad".to_owned(),
        };
        let f = Failure::from(auravest_core::Error::Import {
            errors: vec![row(3, "quantity"), row(5, "date")],
        });
        assert_eq!(f.kind, "import");
        assert_eq!((f.line, f.field.as_deref()), (Some(3), Some("quantity")));
    }

    #[test]
    fn a_risk_error_keeps_its_field_and_kind() {
        let e = auravest_risk::score(&auravest_risk::Answers {
            version: "no-such-version".to_owned(),
            answers: Default::default(),
        })
        .unwrap_err();
        let f = Failure::from(e);
        assert_eq!(f.kind, "unknown_version", "{f:?}");
        assert_eq!(f.field.as_deref(), Some("version"));
        assert!(f.message.contains("no-such-version"), "{f:?}");
    }

    #[test]
    fn an_argument_names_its_path() {
        let f = Failure::argument("options.bounds.high", "expected f64");
        assert_eq!(f.kind, "invalid_argument");
        assert_eq!(f.field.as_deref(), Some("options.bounds.high"));
        assert_eq!(f.message, "options.bounds.high: expected f64");
    }
}

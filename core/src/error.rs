//! The one error type of `auravest-core`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::{Currency, Symbol, TransactionType};

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem found in one row of an imported file.
///
/// `line` is the 1-based line of the file (the header is line 1), or the
/// 1-based position in a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    /// 1-based line (CSV) or element position (JSON).
    pub line: usize,
    /// The column or field at fault.
    pub field: String,
    /// What is wrong, in plain words.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// Everything that can go wrong in `auravest-core`.
///
/// Every variant that concerns one field of a transaction says which through
/// [`Error::field`], so user interfaces can point at the input.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A ticker symbol failed validation.
    #[error("invalid symbol {value:?}: {reason}")]
    InvalidSymbol {
        /// The text that was given.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A currency code is not an ISO 4217 code.
    #[error("invalid currency {value:?}: {reason}")]
    InvalidCurrency {
        /// The text that was given.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A value of a named field is not acceptable.
    #[error("{field}: {reason}")]
    InvalidField {
        /// The field at fault (`date`, `type`, `symbol`, `quantity`, `price`, `fee`, `currency`, ...).
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// Two amounts in different currencies were combined, or a trade's currency
    /// differs from the currency of the position it touches.
    #[error("currency: expected {expected}, found {found}{}", symbol.as_ref().map(|s| format!(" for {s}")).unwrap_or_default())]
    CurrencyMismatch {
        /// The position the trade touches, if any.
        symbol: Option<Symbol>,
        /// The currency already in use.
        expected: Currency,
        /// The currency that was given.
        found: Currency,
    },
    /// A sale of more shares than are held on that date.
    #[error("quantity: cannot sell {requested} {symbol} on {date}: only {held} held")]
    Oversold {
        /// The position.
        symbol: Symbol,
        /// The trade date.
        date: NaiveDate,
        /// Shares the sale asks for.
        requested: Decimal,
        /// Shares held at that point.
        held: Decimal,
    },
    /// A withdrawal of more cash than the portfolio holds on that date.
    #[error("price: cannot withdraw {requested} {currency} on {date}: only {available} in cash")]
    InsufficientCash {
        /// The cash currency.
        currency: Currency,
        /// The withdrawal date.
        date: NaiveDate,
        /// Amount asked for, fee included.
        requested: Decimal,
        /// Cash available at that point.
        available: Decimal,
    },
    /// A dividend or split for a symbol the portfolio never held.
    #[error("symbol: no position in {symbol} on {date}")]
    UnknownPosition {
        /// The symbol.
        symbol: Symbol,
        /// The transaction date.
        date: NaiveDate,
    },
    /// A transaction dated after today.
    #[error("date: {date} is in the future (today is {today})")]
    FutureDate {
        /// The transaction date.
        date: NaiveDate,
        /// The date the check was made against.
        today: NaiveDate,
    },
    /// No transaction at that position of the log.
    #[error("no transaction at index {index} (the log holds {len})")]
    NoSuchTransaction {
        /// The index asked for.
        index: usize,
        /// How many transactions the log holds.
        len: usize,
    },
    /// One or more rows of an imported file are invalid; nothing was imported.
    #[error("{} invalid row(s); first: {}", errors.len(), errors.first().map(ToString::to_string).unwrap_or_default())]
    Import {
        /// Every bad row, in file order.
        errors: Vec<RowError>,
    },
    /// A price file or frame is malformed.
    #[error("prices: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidPrices {
        /// Every problem found, with its line and column.
        errors: Vec<RowError>,
    },
    /// No price for a held symbol on or before the valuation date.
    #[error("no price for {symbol} on or before {date}")]
    MissingPrice {
        /// The symbol without a price.
        symbol: Symbol,
        /// The valuation date.
        date: NaiveDate,
    },
    /// No exchange rate to convert a currency into the base currency.
    #[error(
        "no exchange rate from {from} to {to} on or before {date} (expected a {from}{to}=X or {to}{from}=X price column)"
    )]
    MissingFx {
        /// The currency to convert.
        from: Currency,
        /// The base currency.
        to: Currency,
        /// The valuation date.
        date: NaiveDate,
    },
    /// A price column that was asked for does not exist.
    #[error("no price column named {name:?}; columns are: {}", available.join(", "))]
    UnknownColumn {
        /// The missing column.
        name: String,
        /// The columns that exist.
        available: Vec<String>,
    },
    /// A statistic needs more observations than the series has.
    #[error("{what} needs at least {needed} observations, got {got}")]
    InsufficientData {
        /// What was being computed.
        what: &'static str,
        /// Observations needed.
        needed: usize,
        /// Observations available.
        got: usize,
    },
    /// A period whose start is after its end, or that holds no data.
    #[error("invalid period {start} .. {end}: {reason}")]
    InvalidPeriod {
        /// Start of the period.
        start: NaiveDate,
        /// End of the period.
        end: NaiveDate,
        /// Why it is unusable.
        reason: &'static str,
    },
    /// The money-weighted return has no solution for these cash flows.
    #[error("money-weighted return: {0}")]
    NoIrr(&'static str),
    /// A date outside the supported range [`crate::MIN_DATE`] ..= [`crate::MAX_DATE`].
    #[error(
        "{field}: {date} is outside the supported range {} to {}",
        crate::MIN_DATE,
        crate::MAX_DATE
    )]
    DateOutOfRange {
        /// The field at fault (`date`, or the CSV column).
        field: &'static str,
        /// The date that was given.
        date: NaiveDate,
    },
    /// A buy or split would make a position hold more than
    /// [`crate::MAX_POSITION_QUANTITY`] shares.
    #[error(
        "quantity: the {kind} of {symbol} on {date} would make the position larger than {max} shares"
    )]
    PositionTooLarge {
        /// The position.
        symbol: Symbol,
        /// The transaction's date.
        date: NaiveDate,
        /// The transaction's kind (`buy` or `split`).
        kind: TransactionType,
        /// The largest position allowed.
        max: Decimal,
    },
    /// An amount grew beyond what an exact decimal can hold (about 7.9e28).
    #[error("{what} is too large to compute exactly")]
    Overflow {
        /// What overflowed, e.g. `value of AAPL`.
        what: String,
    },
    /// Reading or writing a file format failed outside any one row.
    #[error("{format}: {reason}")]
    Format {
        /// `csv` or `json`.
        format: &'static str,
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    /// The variant's name in snake_case (`invalid_field`, `oversold`, ...):
    /// a stable code for bindings and clients to branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidSymbol { .. } => "invalid_symbol",
            Self::InvalidCurrency { .. } => "invalid_currency",
            Self::InvalidField { .. } => "invalid_field",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::Oversold { .. } => "oversold",
            Self::InsufficientCash { .. } => "insufficient_cash",
            Self::UnknownPosition { .. } => "unknown_position",
            Self::FutureDate { .. } => "future_date",
            Self::NoSuchTransaction { .. } => "no_such_transaction",
            Self::Import { .. } => "import",
            Self::InvalidPrices { .. } => "invalid_prices",
            Self::MissingPrice { .. } => "missing_price",
            Self::MissingFx { .. } => "missing_fx",
            Self::UnknownColumn { .. } => "unknown_column",
            Self::InsufficientData { .. } => "insufficient_data",
            Self::InvalidPeriod { .. } => "invalid_period",
            Self::NoIrr(..) => "no_irr",
            Self::DateOutOfRange { .. } => "date_out_of_range",
            Self::PositionTooLarge { .. } => "position_too_large",
            Self::Overflow { .. } => "overflow",
            Self::Format { .. } => "format",
        }
    }

    /// The input field this error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidField { field, .. } => Some(field),
            Self::InvalidSymbol { .. } | Self::UnknownPosition { .. } => Some("symbol"),
            Self::InvalidCurrency { .. } | Self::CurrencyMismatch { .. } => Some("currency"),
            Self::Oversold { .. } => Some("quantity"),
            Self::InsufficientCash { .. } => Some("price"),
            Self::FutureDate { .. } => Some("date"),
            Self::DateOutOfRange { field, .. } => Some(field),
            Self::PositionTooLarge { .. } => Some("quantity"),
            _ => None,
        }
    }

    /// The reason without the field prefix, for `FILE:LINE: field: reason` reports.
    pub fn reason(&self) -> String {
        let text = self.to_string();
        match self.field() {
            Some(field) => text
                .strip_prefix(field)
                .and_then(|rest| rest.strip_prefix(": "))
                .map_or_else(|| text.clone(), ToOwned::to_owned),
            None => text,
        }
    }

    pub(crate) fn overflow(what: impl Into<String>) -> Self {
        Self::Overflow { what: what.into() }
    }

    pub(crate) fn field_error(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}

/// The longest piece of user text an error message repeats, in characters.
const SHOWN_CHARS: usize = 40;

/// `text` as an error message repeats it: at most 40 characters, with `…`
/// when cut, so a huge input never makes a huge message (every crate's
/// errors quote input through it).
///
/// ```
/// assert_eq!(auravest_core::shown(&"x".repeat(50)), format!("{}…", "x".repeat(40)));
/// ```
pub fn shown(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(SHOWN_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

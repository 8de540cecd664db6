//! Price tables: daily closes by date, one column per symbol.

use std::sync::Arc;

use auravest_core::{NaiveDate, PriceFrame, Symbol, parse_date};

use crate::errors::{AuraError, Outcome, count};

/// One column of a price table: a symbol and its closes, `null` where the
/// symbol has no price on a date.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PriceColumn {
    /// The ticker (or an `EURUSD=X` exchange-rate column).
    pub symbol: String,
    /// One close per date of the table.
    pub closes: Vec<Option<f64>>,
}

/// A validated price table: dates in order and one column of closes per
/// symbol (the SDK's `PriceFrame`). Immutable; share it freely.
#[derive(Debug, uniffi::Object)]
pub struct PriceTable {
    pub(crate) frame: Arc<PriceFrame>,
}

/// Dates as ISO text, read by the SDK's own parser (errors name `field`).
pub(crate) fn dates(field: &'static str, texts: &[String]) -> Outcome<Vec<NaiveDate>> {
    texts
        .iter()
        .map(|t| parse_date(field, t).map_err(AuraError::from))
        .collect()
}

/// An optional date as ISO text.
pub(crate) fn date(field: &'static str, text: Option<&str>) -> Outcome<Option<NaiveDate>> {
    text.map(|t| parse_date(field, t).map_err(AuraError::from))
        .transpose()
}

/// A symbol as the SDK reads it.
pub(crate) fn symbol(text: &str) -> Outcome<Symbol> {
    text.parse::<Symbol>().map_err(AuraError::from)
}

impl PriceTable {
    pub(crate) fn wrap(frame: PriceFrame) -> Arc<Self> {
        Arc::new(Self {
            frame: Arc::new(frame),
        })
    }
}

#[uniffi::export]
impl PriceTable {
    /// A table from ISO dates and columns of closes; the SDK checks the
    /// dates' order, duplicate symbols and that prices are finite and
    /// positive, naming the row and column at fault.
    #[uniffi::constructor]
    pub fn new(dates: Vec<String>, columns: Vec<PriceColumn>) -> Outcome<Arc<Self>> {
        let dates = self::dates("date", &dates)?;
        let columns = columns
            .into_iter()
            .map(|c| Ok((symbol(&c.symbol)?, c.closes)))
            .collect::<Outcome<Vec<_>>>()?;
        Ok(Self::wrap(PriceFrame::new(dates, columns)?))
    }

    /// A table from CSV text: a `date` column then one column per symbol.
    #[uniffi::constructor]
    pub fn from_csv(text: String) -> Outcome<Arc<Self>> {
        Ok(Self::wrap(PriceFrame::from_csv(text.as_bytes())?))
    }

    /// The dates, oldest first, as ISO text.
    pub fn dates(&self) -> Vec<String> {
        self.frame.dates().iter().map(ToString::to_string).collect()
    }

    /// The symbols, in column order.
    pub fn symbols(&self) -> Vec<String> {
        self.frame
            .columns()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Number of dates.
    pub fn row_count(&self) -> u32 {
        count(self.frame.len())
    }

    /// The closes of `symbol`, one per date.
    pub fn column(&self, symbol: String) -> Outcome<Vec<Option<f64>>> {
        match self.frame.column(&symbol) {
            Some(c) => Ok(c.to_vec()),
            None => Err(AuraError::from(auravest_core::Error::UnknownColumn {
                name: symbol,
                available: self.symbols(),
            })),
        }
    }

    /// The table as CSV text (the form [`PriceTable::from_csv`] reads).
    pub fn to_csv(&self) -> Outcome<String> {
        let mut out = Vec::new();
        self.frame.to_csv(&mut out)?;
        String::from_utf8(out).map_err(|e| AuraError::internal("utf8", e))
    }
}

//! Price tables: daily closes by date, one column per symbol.

use std::sync::Arc;

use auravest_core::{PriceFrame, Symbol, parse_date};
use serde::Deserialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::convert::{read, string, strings, write};
use crate::errors::{Failure, Outcome};

/// One column of a price table: a symbol and its closes, `null` where the
/// symbol has no price on a date.
#[derive(Debug, Clone, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct PriceColumn {
    /// The ticker (or an `EURUSD=X` exchange-rate column).
    pub symbol: String,
    /// One close per date of the table.
    #[tsify(type = "(number | null)[]")]
    pub closes: Vec<Option<f64>>,
}

/// A validated price table: dates in order and one column of closes per
/// symbol (the SDK's `PriceFrame`). Immutable.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct PriceTable {
    pub(crate) frame: Arc<PriceFrame>,
}

#[wasm_bindgen]
impl PriceTable {
    /// A table from ISO dates and columns of closes; the SDK checks the
    /// dates' order, duplicate symbols and that prices are finite and
    /// positive, naming the row and column at fault.
    ///
    /// # Errors
    /// `InvalidArgument` for arguments of the wrong shape, or the SDK's
    /// `InvalidDate`, `InvalidSymbol`, `InvalidPrices`, ...
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string[]")] dates: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PriceColumn[]")] columns: JsValue,
    ) -> Outcome<PriceTable> {
        let dates = strings("dates", &dates)?
            .iter()
            .enumerate()
            .map(|(i, t)| {
                parse_date("date", t).map_err(|e| {
                    let mut f = Failure::from(e);
                    f.line = Some(i + 1);
                    f
                })
            })
            .collect::<Outcome<Vec<_>>>()?;
        let columns = read::<Vec<PriceColumn>>("columns", columns)?
            .into_iter()
            .map(|c| Ok((c.symbol.parse::<Symbol>()?, c.closes)))
            .collect::<Outcome<Vec<_>>>()?;
        Ok(Self {
            frame: Arc::new(PriceFrame::new(dates, columns)?),
        })
    }

    /// A table from CSV text: a `date` column then one column per symbol.
    ///
    /// # Errors
    /// The SDK's CSV errors, naming the line and column at fault.
    #[wasm_bindgen(js_name = fromCsv)]
    pub fn from_csv(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> Outcome<PriceTable> {
        Ok(Self {
            frame: Arc::new(PriceFrame::from_csv(string("text", &text)?.as_bytes())?),
        })
    }

    /// The dates, oldest first, as ISO strings.
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

    /// The closes of `symbol`, one per date (`null` where missing).
    ///
    /// # Errors
    /// `UnknownColumn` (field `column`) for a symbol the table lacks.
    #[wasm_bindgen(unchecked_return_type = "(number | null)[]")]
    pub fn column(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] symbol: JsValue,
    ) -> Outcome<JsValue> {
        let symbol = &string("symbol", &symbol)?;
        match self.frame.column(symbol) {
            Some(c) => write(&c),
            None => Err(Failure::from(auravest_core::Error::UnknownColumn {
                name: symbol.to_owned(),
                available: self.symbols(),
            })),
        }
    }
}

//! The portfolio: a validated transaction log, positions, valuation,
//! performance and its statistics. Money and quantities are decimal strings.

use auravest_core::{
    Currency, Decimal, NaiveDate, PerformanceOptions, Portfolio as Ledger, Symbol,
    TransactionRecord, io, parse_date,
};
use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::convert::{optional_string, read, string, write};
use crate::errors::Outcome;
use crate::prices::PriceTable;

#[wasm_bindgen(typescript_custom_section)]
const PORTFOLIO_TS: &str = r#"
/** What a transaction does, as files name it. */
export type TransactionType = "buy" | "sell" | "dividend" | "split" | "deposit" | "withdrawal" | "fee";
/** A transaction in its record form, as a CSV row holds it; the SDK checks every field. */
export interface TransactionInput {
  /** ISO date. */
  date: string;
  type: TransactionType;
  symbol?: string | null;
  /** Decimal string (a number is read through its text). */
  quantity?: string | number | null;
  /** Price or amount: decimal string. */
  price?: string | number | null;
  /** Decimal string. */
  fee?: string | number | null;
  /** ISO 4217 currency. */
  currency: string;
}
"#;

/// One bad row of an import: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RowIssue {
    /// 1-based line (CSV) or record number.
    pub line: usize,
    /// The column or field at fault.
    pub field: String,
    /// Why it was refused.
    pub reason: String,
}

/// One position valued.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct PositionValue {
    /// The symbol.
    #[tsify(type = "string")]
    pub symbol: Symbol,
    /// Its trading currency.
    #[tsify(type = "string")]
    pub currency: Currency,
    /// Quantity held (decimal string).
    #[tsify(type = "string")]
    pub quantity: Decimal,
    /// Average cost per share (decimal string).
    #[tsify(type = "string")]
    pub avg_cost: Decimal,
    /// The price used (decimal string).
    #[tsify(type = "string")]
    pub price: Decimal,
    /// ISO date of that price.
    #[tsify(type = "string")]
    pub price_date: NaiveDate,
    /// Value in the base currency (decimal string).
    #[tsify(type = "string")]
    pub value: Decimal,
    /// Share of the portfolio's value.
    pub weight: f64,
    /// Unrealised profit and loss (decimal string).
    #[tsify(type = "string")]
    pub unrealized_pnl: Decimal,
    /// Realised profit and loss (decimal string).
    #[tsify(type = "string")]
    pub realized_pnl: Decimal,
}

/// The portfolio valued on a date.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Valuation {
    /// ISO date.
    #[tsify(type = "string")]
    pub as_of: NaiveDate,
    /// The reporting currency.
    #[tsify(type = "string")]
    pub base_currency: Currency,
    /// Total value (decimal string).
    #[tsify(type = "string")]
    pub value: Decimal,
    /// Cash in the base currency (decimal string).
    #[tsify(type = "string")]
    pub cash: Decimal,
    /// Each open position.
    pub positions: Vec<PositionValue>,
}

impl From<auravest_core::Valuation> for Valuation {
    fn from(v: auravest_core::Valuation) -> Self {
        let position = |p: auravest_core::PositionValue| PositionValue {
            symbol: p.symbol,
            currency: p.currency,
            quantity: p.quantity,
            avg_cost: p.avg_cost,
            price: p.price,
            price_date: p.price_date,
            value: p.value,
            weight: p.weight,
            unrealized_pnl: p.unrealized_pnl,
            realized_pnl: p.realized_pnl,
        };
        Self {
            as_of: v.as_of,
            base_currency: v.base_currency,
            value: v.value,
            cash: v.cash,
            positions: v.positions.into_iter().map(position).collect(),
        }
    }
}

/// What a performance report measures; an omitted field takes the SDK's
/// default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PerformanceRequest {
    /// First ISO date (the first transaction's).
    #[tsify(optional)]
    pub start: Option<String>,
    /// Last ISO date (the prices' last).
    #[tsify(optional)]
    pub end: Option<String>,
    /// Annual risk-free rate.
    #[tsify(optional)]
    pub risk_free_rate: Option<f64>,
    /// A price column to compare with.
    #[tsify(optional)]
    pub benchmark: Option<String>,
}

/// The statistics of a period (empyrical definitions).
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Total return.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: f64,
    /// Annual volatility.
    pub volatility: f64,
    /// Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Sortino ratio.
    pub sortino: Option<f64>,
    /// Maximum drawdown (negative).
    pub max_drawdown: f64,
    /// Calmar ratio.
    pub calmar: Option<f64>,
    /// Daily value at risk, 95%.
    pub var95: f64,
    /// Daily conditional value at risk, 95%.
    pub cvar95: f64,
    /// Beta against the benchmark.
    pub beta: Option<f64>,
}

/// Performance over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Performance {
    /// First ISO date.
    #[tsify(type = "string")]
    pub start: NaiveDate,
    /// Last ISO date.
    #[tsify(type = "string")]
    pub end: NaiveDate,
    /// Time-weighted return.
    pub time_weighted_return: f64,
    /// Money-weighted return (annual IRR).
    pub money_weighted_return: f64,
    /// The statistics.
    pub stats: Statistics,
    /// The benchmark's total return over the period, if one was asked for.
    pub benchmark_return: Option<f64>,
    /// How the figures were computed.
    pub basis: String,
}

impl From<auravest_core::PerformanceReport> for Performance {
    fn from(r: auravest_core::PerformanceReport) -> Self {
        let s = r.stats;
        Self {
            start: r.start,
            end: r.end,
            time_weighted_return: r.time_weighted_return,
            money_weighted_return: r.money_weighted_return,
            stats: Statistics {
                total_return: s.total_return,
                cagr: s.cagr,
                volatility: s.volatility,
                sharpe: s.sharpe,
                sortino: s.sortino,
                max_drawdown: s.max_drawdown,
                calmar: s.calmar,
                var95: s.var_95,
                cvar95: s.cvar_95,
                beta: s.beta,
            },
            benchmark_return: r.benchmark.map(|b| b.total_return),
            basis: r.basis.to_owned(),
        }
    }
}

/// An optional ISO date, read by the SDK's parser.
pub(crate) fn date(field: &'static str, text: Option<&str>) -> Outcome<Option<NaiveDate>> {
    Ok(text.map(|t| parse_date(field, t)).transpose()?)
}

/// A portfolio: a validated transaction log and the holdings derived from
/// it. A change is checked against the whole log and kept only when the SDK
/// accepts it.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct Portfolio {
    pub(crate) inner: Ledger,
}

impl Portfolio {
    fn import(&mut self, rows: Vec<io::ParsedRow>, skip_invalid: bool) -> Outcome<JsValue> {
        let report = self.inner.import(rows, skip_invalid)?;
        let skipped: Vec<RowIssue> = report
            .skipped
            .iter()
            .map(|r| RowIssue {
                line: r.line,
                field: r.field.clone(),
                reason: r.reason.clone(),
            })
            .collect();
        write(&skipped)
    }
}

#[wasm_bindgen]
impl Portfolio {
    /// An empty portfolio reporting in `baseCurrency` (the SDK's default
    /// when omitted) that refuses transactions dated after `today` (ISO).
    ///
    /// # Errors
    /// `InvalidDate` (field `today`), `InvalidCurrency`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] today: JsValue,
        #[wasm_bindgen(js_name = baseCurrency, unchecked_optional_param_type = "string")]
        base_currency: Option<JsValue>,
    ) -> Outcome<Portfolio> {
        let today = parse_date("today", &string("today", &today)?)?;
        let currency = match optional_string("baseCurrency", base_currency)? {
            Some(c) => c.parse::<Currency>()?,
            None => Currency::default(),
        };
        Ok(Self {
            inner: Ledger::new(currency, today),
        })
    }

    /// Imports a transactions CSV (`date,type,symbol,quantity,price,fee,currency`):
    /// all or nothing unless `skipInvalid`; returns the rows skipped.
    ///
    /// # Errors
    /// `Import` with the first bad row's line and field, or a ledger error
    /// (`Oversold`, `InsufficientCash`, ...).
    #[wasm_bindgen(js_name = importCsv, unchecked_return_type = "RowIssue[]")]
    pub fn import_csv(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] csv: JsValue,
        #[wasm_bindgen(js_name = skipInvalid)] skip_invalid: Option<bool>,
    ) -> Outcome<JsValue> {
        let rows = io::read_transactions_csv(string("csv", &csv)?.as_bytes())?;
        self.import(rows, skip_invalid.unwrap_or(false))
    }

    /// Imports records (numbered from 1 as their lines): all or nothing
    /// unless `skipInvalid`; returns the records skipped.
    ///
    /// # Errors
    /// As [`Portfolio::import_csv`]; `InvalidArgument` for records of the
    /// wrong shape.
    #[wasm_bindgen(js_name = importRecords, unchecked_return_type = "RowIssue[]")]
    pub fn import_records(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TransactionInput[]")] records: JsValue,
        #[wasm_bindgen(js_name = skipInvalid)] skip_invalid: Option<bool>,
    ) -> Outcome<JsValue> {
        let rows = read::<Vec<TransactionRecord>>("records", records)?
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r.validate()))
            .collect();
        self.import(rows, skip_invalid.unwrap_or(false))
    }

    /// Number of transactions.
    #[wasm_bindgen(getter, js_name = transactionCount)]
    pub fn transaction_count(&self) -> usize {
        self.inner.transactions().len()
    }

    /// The reporting currency.
    #[wasm_bindgen(getter, js_name = baseCurrency)]
    pub fn base_currency(&self) -> String {
        self.inner.base_currency().to_string()
    }

    /// Values the portfolio at the end of `asOf` (ISO; the latest prices
    /// when omitted).
    ///
    /// # Errors
    /// `InvalidDate` (field `as_of`), `MissingPrice` naming the symbol.
    #[wasm_bindgen(unchecked_return_type = "Valuation")]
    pub fn valuation(
        &self,
        prices: &PriceTable,
        #[wasm_bindgen(js_name = asOf, unchecked_optional_param_type = "string")] as_of: Option<
            JsValue,
        >,
    ) -> Outcome<JsValue> {
        let as_of = optional_string("asOf", as_of)?;
        let v = match date("as_of", as_of.as_deref())? {
            Some(d) => self.inner.valuation(&prices.frame, d)?,
            None => self.inner.valuation_latest(&prices.frame)?,
        };
        write(&Valuation::from(v))
    }

    /// Performance over a period: time- and money-weighted returns, the
    /// statistics and the benchmark's return.
    ///
    /// # Errors
    /// `InvalidArgument` for a request of the wrong shape; the SDK's date,
    /// price and statistics errors.
    #[wasm_bindgen(unchecked_return_type = "Performance")]
    pub fn performance(
        &self,
        prices: &PriceTable,
        #[wasm_bindgen(unchecked_param_type = "PerformanceRequest")] request: Option<JsValue>,
    ) -> Outcome<JsValue> {
        let request: PerformanceRequest = match request {
            Some(r) => read("request", r)?,
            None => PerformanceRequest::default(),
        };
        let defaults = PerformanceOptions::default();
        let options = PerformanceOptions {
            start: date("start", request.start.as_deref())?,
            end: date("end", request.end.as_deref())?,
            risk_free_rate: request.risk_free_rate.unwrap_or(defaults.risk_free_rate),
            benchmark: request.benchmark.as_deref(),
        };
        write(&Performance::from(
            self.inner.performance(&prices.frame, options)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_declared_transaction_types_are_the_sdks() {
        let names: std::collections::BTreeSet<String> = auravest_core::TransactionType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        assert_eq!(
            crate::ts_union(include_str!("portfolio.rs"), "TransactionType"),
            names
        );
    }
}

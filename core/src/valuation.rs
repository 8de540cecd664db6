//! Valuing holdings at given prices, in the portfolio's base currency.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::{Currency, Error, Holdings, Portfolio, PriceFrame, Result, Symbol, checked_mul};

/// A price as an exact decimal: the shortest decimal that reads back as the
/// same `f64` (so the CSV text `1019.969971` becomes exactly that decimal).
///
/// Prices almost always have few decimals, so the fast path looks for the
/// smallest scale `s <= 9` with `round(v * 10^s) / 10^s == v`; both operands
/// are exact in `f64`, so the division is correctly rounded and the test is
/// the same one a decimal parser would make. Anything else goes through the
/// shortest round-trip text. The bindings use it to hand prices (quotes,
/// bars) to apps as decimal text, never as floats.
///
/// # Errors
/// [`Error::InvalidPrices`] naming `symbol` when `v` does not fit a decimal
/// (not finite, or beyond its range).
#[allow(clippy::float_cmp)] // the exact comparison is the point: it is the round-trip test
pub fn price_decimal(symbol: &Symbol, v: f64) -> Result<Decimal> {
    const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    for (scale, p) in POW10.iter().enumerate() {
        let m = (v * p).round();
        if m.abs() >= 9_007_199_254_740_992.0 {
            break;
        }
        if m / p == v {
            return Ok(Decimal::new(m as i64, scale as u32));
        }
    }
    use std::str::FromStr as _;
    Decimal::from_str(&v.to_string()).map_err(|_| Error::InvalidPrices {
        errors: vec![crate::RowError {
            line: 0,
            field: symbol.to_string(),
            reason: format!("{v} does not fit a decimal"),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_that_is_no_decimal_is_an_error_naming_its_symbol() {
        let s = Symbol::new("X").unwrap();
        for v in [f64::NAN, f64::INFINITY, 1e300] {
            let e = price_decimal(&s, v).expect_err("not a decimal");
            assert!(
                matches!(&e, Error::InvalidPrices { errors } if errors[0].field == "X"),
                "{v}: {e:?}"
            );
        }
    }

    #[test]
    fn price_decimal_is_the_shortest_round_trip_form() {
        let s = Symbol::new("X").unwrap();
        for text in [
            "1019.969971",
            "0.117203",
            "3.3",
            "100",
            "227.64700299999998",
            "1e-12",
            "123456789.123",
            "0.1",
        ] {
            let v: f64 = text.parse().unwrap();
            let d = price_decimal(&s, v).unwrap();
            assert_eq!(d.to_string(), v.to_string(), "{text}");
        }
    }
}

/// Converts amounts into one base currency from `XXXBBB=X` price columns
/// (units of BBB per XXX), or from the inverse `BBBXXX=X` column.
#[derive(Debug)]
pub(crate) struct FxTable<'a> {
    prices: &'a PriceFrame,
    base: Currency,
}

impl<'a> FxTable<'a> {
    pub(crate) fn new(prices: &'a PriceFrame, base: Currency) -> Self {
        Self { prices, base }
    }

    /// Units of base currency per unit of `from`, on or before `date`.
    pub(crate) fn rate(&self, from: Currency, date: NaiveDate) -> Result<Decimal> {
        if from == self.base {
            return Ok(Decimal::ONE);
        }
        let direct = format!("{from}{}=X", self.base);
        let inverse = format!("{}{from}=X", self.base);
        let lookup = |name: &str| {
            self.prices
                .column_index(name)
                .and_then(|i| self.prices.last_price(i, date))
                .map(|(_, v)| v)
        };
        let missing = || Error::MissingFx {
            from,
            to: self.base,
            date,
        };
        if let Some(v) = lookup(&direct) {
            let sym = Symbol::new(&direct)?;
            return price_decimal(&sym, v);
        }
        if let Some(v) = lookup(&inverse) {
            let sym = Symbol::new(&inverse)?;
            let d = price_decimal(&sym, v)?;
            return Decimal::ONE.checked_div(d).ok_or_else(missing);
        }
        Err(missing())
    }
}

/// One open position valued at a date.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PositionValue {
    /// The instrument.
    pub symbol: Symbol,
    /// The instrument's trading currency (of `avg_cost` and `price`).
    pub currency: Currency,
    /// Shares held.
    pub quantity: Decimal,
    /// FIFO cost per share held, fees included, in the trading currency.
    pub avg_cost: Decimal,
    /// The price used, in the trading currency.
    pub price: Decimal,
    /// Date of that price (the last on or before the valuation date).
    pub price_date: NaiveDate,
    /// Market value in the base currency.
    pub value: Decimal,
    /// Share of the portfolio's total value (cash included).
    pub weight: f64,
    /// Market value less cost basis, in the base currency.
    pub unrealized_pnl: Decimal,
    /// Realised gains and losses of sales, in the base currency.
    pub realized_pnl: Decimal,
}

/// A portfolio valued at a date.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Valuation {
    /// The valuation date.
    pub as_of: NaiveDate,
    /// The currency of `value`, `cash` and the positions' money figures.
    pub base_currency: Currency,
    /// Positions plus cash.
    pub value: Decimal,
    /// Cash in all currencies, converted.
    pub cash: Decimal,
    /// Open positions, by symbol.
    pub positions: Vec<PositionValue>,
}

impl Valuation {
    /// The same valuation with its money amounts (value, cash, and each
    /// position's value and realised and unrealised P&L) rounded to the base
    /// currency's minor units, for showing money as money (`81149.66`, not
    /// `81149.66035`). Quantities, prices, average costs per share and
    /// weights keep their precision.
    #[must_use]
    pub fn money_rounded(&self) -> Self {
        let dp = self.base_currency.minor_units();
        let mut v = self.clone();
        v.value = v.value.round_dp(dp);
        v.cash = v.cash.round_dp(dp);
        for p in &mut v.positions {
            p.value = p.value.round_dp(dp);
            p.unrealized_pnl = p.unrealized_pnl.round_dp(dp);
            p.realized_pnl = p.realized_pnl.round_dp(dp);
        }
        v
    }
}

/// Values `holdings` at the last prices on or before `as_of`.
///
/// Amounts in other currencies convert at `XXXBASE=X` columns of `prices`.
/// Realised P&L of positions traded in another currency converts at the
/// valuation date's rate.
///
/// # Errors
/// [`Error::MissingPrice`] for a held symbol without a price on or before
/// `as_of`; [`Error::MissingFx`] for a currency without a rate;
/// [`Error::Overflow`] for an amount that does not fit an exact decimal.
pub fn value_holdings(
    holdings: &Holdings,
    prices: &PriceFrame,
    as_of: NaiveDate,
    base: Currency,
) -> Result<Valuation> {
    let fx = FxTable::new(prices, base);
    let mut cash = Decimal::ZERO;
    for m in holdings.cash() {
        if !m.amount().is_zero() {
            let what = || format!("cash in {}", m.currency());
            let converted = checked_mul(m.amount(), fx.rate(m.currency(), as_of)?, what)?;
            cash = cash
                .checked_add(converted)
                .ok_or_else(|| Error::Overflow { what: what() })?;
        }
    }
    let mut positions = Vec::new();
    for p in holdings.open_positions() {
        let (price_date, price) = prices
            .column_index(p.symbol().as_str())
            .and_then(|i| prices.last_price(i, as_of))
            .ok_or_else(|| Error::MissingPrice {
                symbol: p.symbol().clone(),
                date: as_of,
            })?;
        let price = price_decimal(p.symbol(), price)?;
        let rate = fx.rate(p.currency(), as_of)?;
        let quantity = p.quantity();
        let what = || format!("value of {}", p.symbol());
        let value = checked_mul(checked_mul(quantity, price, what)?, rate, what)?;
        let cost = checked_mul(p.cost_basis(), rate, what)?;
        let avg_cost = match p.avg_cost() {
            Some(avg) => avg,
            None if quantity.is_zero() => Decimal::ZERO,
            None => {
                return Err(Error::Overflow {
                    what: format!("cost per share of {}", p.symbol()),
                });
            }
        };
        let unrealized = value
            .checked_sub(cost)
            .ok_or_else(|| Error::Overflow { what: what() })?;
        positions.push(PositionValue {
            symbol: p.symbol().clone(),
            currency: p.currency(),
            quantity: quantity.normalize(),
            avg_cost: avg_cost.round_dp(8).normalize(),
            price: price.normalize(),
            price_date,
            value: value.normalize(),
            weight: 0.0,
            unrealized_pnl: unrealized.normalize(),
            realized_pnl: checked_mul(p.realized_pnl(), rate, what)?.normalize(),
        });
    }
    let total = positions
        .iter()
        .try_fold(cash, |acc, p| acc.checked_add(p.value))
        .ok_or_else(|| Error::Overflow {
            what: "portfolio value".to_owned(),
        })?;
    let total_f = total.to_f64().unwrap_or(0.0);
    for p in &mut positions {
        p.weight = if total_f > 0.0 {
            p.value.to_f64().unwrap_or(0.0) / total_f
        } else {
            0.0
        };
    }
    Ok(Valuation {
        as_of,
        base_currency: base,
        value: total.normalize(),
        cash: cash.normalize(),
        positions,
    })
}

impl Portfolio {
    /// Values the portfolio as it stood at the end of `as_of`.
    ///
    /// # Errors
    /// As [`value_holdings`].
    pub fn valuation(&self, prices: &PriceFrame, as_of: NaiveDate) -> Result<Valuation> {
        value_holdings(
            &self.holdings_at(as_of)?,
            prices,
            as_of,
            self.base_currency(),
        )
    }

    /// Values the portfolio at the latest prices: as of the last date of
    /// `prices`, or as of the portfolio's today when `prices` has no rows.
    ///
    /// # Errors
    /// As [`value_holdings`].
    pub fn valuation_latest(&self, prices: &PriceFrame) -> Result<Valuation> {
        let as_of = prices.dates().last().copied().unwrap_or(self.today());
        self.valuation(prices, as_of)
    }
}

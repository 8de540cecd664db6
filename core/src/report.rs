//! A valuation with what a dashboard shows beside it: the day's change,
//! allocation by holding and by asset class, net deposits and the total
//! return. One computation for the server, the CLI and every binding.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use crate::{
    AssetClass, Classification, Error, InstrumentTable, NaiveDate, Portfolio, PriceFrame, Result,
    Valuation,
};

/// The key of cash in the allocations.
pub const CASH_KEY: &str = "CASH";
/// The asset-class key of holdings the instrument table does not list:
/// they are shown as unclassified, never guessed (the nudges say the same).
pub const UNCLASSIFIED: &str = "unclassified";

/// A [`Valuation`] with its day change, allocations and total return.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuationReport {
    /// The valuation itself.
    pub valuation: Valuation,
    /// The last price date before the valuation's, the day changes are
    /// measured from (`None` when the prices hold no earlier date).
    pub previous_date: Option<NaiveDate>,
    /// Per position, in the valuation's order: the change in value since
    /// the previous close in the base currency (at the position's own
    /// exchange rate), rounded to cents; `None` without a previous close.
    pub day_changes: Vec<Option<Decimal>>,
    /// The sum of the day changes that could be measured.
    pub day_change: Decimal,
    /// Per position, in the valuation's order: its asset class, `None`
    /// when the instrument table does not list it.
    pub asset_classes: Vec<Option<AssetClass>>,
    /// Weight by symbol, with cash under [`CASH_KEY`] when there is any.
    pub allocation_by_holding: BTreeMap<String, f64>,
    /// Weight by asset class (`equity`, `bond`, ..., [`UNCLASSIFIED`] and
    /// `cash`).
    pub allocation_by_asset_class: BTreeMap<String, f64>,
    /// Weight by sector as the instrument table lists it, [`UNCLASSIFIED`]
    /// for holdings it gives no sector (funds, unlisted symbols), and `cash`.
    pub allocation_by_sector: BTreeMap<String, f64>,
    /// Weight by the currency each holding trades in (ISO 4217); cash counts
    /// in the base currency it is valued in.
    pub allocation_by_currency: BTreeMap<String, f64>,
    /// Money paid in less money taken out, in the base currency (flows in
    /// other currencies are left out: they reach the value only through the
    /// cash balance).
    pub net_deposits: Decimal,
    /// Value less net deposits: the gain since the start.
    pub total_return: Decimal,
    /// [`Self::total_return`] over the net deposits, as a fraction; `None`
    /// without positive net deposits.
    pub total_return_pct: Option<f64>,
}

impl AssetClass {
    /// The lower-case name (`equity`, `bond`, `cash`, `commodity`,
    /// `crypto`, `fund`), as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equity => "equity",
            Self::Bond => "bond",
            Self::Cash => "cash",
            Self::Commodity => "commodity",
            Self::Crypto => "crypto",
            Self::Fund => "fund",
        }
    }
}

impl Portfolio {
    /// Values the portfolio on `as_of` and adds what a dashboard shows
    /// beside the value (see [`ValuationReport`]); asset classes come from
    /// `instruments`.
    ///
    /// ```
    /// use auravest_core::{io, Currency, Decimal, InstrumentTable, Portfolio, PriceFrame};
    /// let log = "date,type,symbol,quantity,price,fee,currency\n\
    ///            2024-01-02,deposit,,,2000,0,USD\n\
    ///            2024-01-02,buy,AAPL,10,100,0,USD\n";
    /// let mut p = Portfolio::new(Currency::USD, "2024-12-31".parse().unwrap());
    /// p.import(io::read_transactions_csv(log.as_bytes())?, false)?;
    /// let prices = PriceFrame::from_csv("date,AAPL\n2024-01-02,100\n2024-01-03,110\n".as_bytes())?;
    /// // The shipped table lists common ETFs; an app adds what it knows.
    /// let known = InstrumentTable::shipped().with_mapping_csv("symbol,asset_class\nAAPL,equity\n".as_bytes())?;
    /// let r = p.valuation_report(&prices, "2024-01-03".parse().unwrap(), &known)?;
    /// assert_eq!(r.day_change, Decimal::from(100)); // 10 x (110 - 100)
    /// assert_eq!(r.total_return, Decimal::from(100)); // 2100 - 2000 paid in
    /// assert_eq!(r.total_return_pct, Some(0.05));
    /// assert!((r.allocation_by_asset_class["equity"] - 1100.0 / 2100.0).abs() < 1e-12);
    /// # Ok::<(), auravest_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Portfolio::valuation`]; [`Error::InvalidField`] on
    /// `transactions` when the deposits or the return overflow.
    pub fn valuation_report(
        &self,
        prices: &PriceFrame,
        as_of: NaiveDate,
        instruments: &InstrumentTable,
    ) -> Result<ValuationReport> {
        let valuation = self.valuation(prices, as_of)?;
        let previous_date = prices
            .dates()
            .iter()
            .rev()
            .find(|d| **d < valuation.as_of)
            .copied();
        let mut day_changes = Vec::with_capacity(valuation.positions.len());
        let mut asset_classes = Vec::with_capacity(valuation.positions.len());
        let mut by_holding = BTreeMap::new();
        let mut by_class: BTreeMap<String, f64> = BTreeMap::new();
        let mut by_sector: BTreeMap<String, f64> = BTreeMap::new();
        let mut by_currency: BTreeMap<String, f64> = BTreeMap::new();
        let mut day_change = Decimal::ZERO;
        for p in &valuation.positions {
            let (class, sector) = match instruments.classify(&p.symbol) {
                Classification::Known(i) => (Some(i.asset_class), i.sector.as_deref()),
                Classification::Unclassified => (None, None),
            };
            asset_classes.push(class);
            *by_class
                .entry(class.map_or(UNCLASSIFIED, AssetClass::as_str).to_owned())
                .or_default() += p.weight;
            *by_sector
                .entry(sector.unwrap_or(UNCLASSIFIED).to_owned())
                .or_default() += p.weight;
            *by_currency.entry(p.currency.to_string()).or_default() += p.weight;
            by_holding.insert(p.symbol.to_string(), p.weight);
            // Only a position with a close after the previous date moved today.
            let change = previous_date.filter(|d| p.price_date > *d).and_then(|d| {
                let idx = prices.column_index(p.symbol.as_str())?;
                let (_, prev) = prices.last_price(idx, d)?;
                let prev = Decimal::try_from(prev).ok()?;
                let change = p.price.checked_sub(prev)?.checked_mul(p.quantity)?;
                // At the position's own value / local value ratio (FX included).
                let fx = if p.price.is_zero() {
                    Decimal::ONE
                } else {
                    p.value.checked_div(p.price.checked_mul(p.quantity)?)?
                };
                Some(change.checked_mul(fx)?.round_dp(2))
            });
            if let Some(c) = change {
                day_change = day_change.checked_add(c).unwrap_or(day_change);
            }
            day_changes.push(change);
        }
        if !valuation.cash.is_zero() {
            let cash_weight = if valuation.value.is_zero() {
                0.0
            } else {
                valuation
                    .cash
                    .checked_div(valuation.value)
                    .and_then(|w| w.to_f64())
                    .unwrap_or(0.0)
            };
            by_holding.insert(CASH_KEY.to_owned(), cash_weight);
            for map in [&mut by_class, &mut by_sector] {
                *map.entry(AssetClass::Cash.as_str().to_owned()).or_default() += cash_weight;
            }
            *by_currency
                .entry(valuation.base_currency.to_string())
                .or_default() += cash_weight;
        }
        let base = self.base_currency();
        let overflow = |what: &str| Error::InvalidField {
            field: "transactions",
            reason: format!("the {what} is out of range"),
        };
        let net_deposits = self
            .holdings()
            .flows()
            .iter()
            .filter(|f| f.amount.currency() == base)
            .try_fold(Decimal::ZERO, |sum, f| sum.checked_add(f.amount.amount()))
            .ok_or_else(|| overflow("sum of the deposits"))?;
        let total_return = valuation
            .value
            .checked_sub(net_deposits)
            .ok_or_else(|| overflow("portfolio's return"))?;
        let total_return_pct = (net_deposits > Decimal::ZERO)
            .then(|| total_return.checked_div(net_deposits)?.to_f64())
            .flatten();
        Ok(ValuationReport {
            valuation,
            previous_date,
            day_changes,
            day_change,
            asset_classes,
            allocation_by_holding: by_holding,
            allocation_by_asset_class: by_class,
            allocation_by_sector: by_sector,
            allocation_by_currency: by_currency,
            net_deposits,
            total_return,
            total_return_pct,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Currency, io};

    #[test]
    fn unlisted_symbols_are_unclassified_and_cash_is_its_own_class() {
        let log = "date,type,symbol,quantity,price,fee,currency\n\
                   2024-01-02,deposit,,,3000,0,USD\n\
                   2024-01-02,buy,AAPL,10,100,0,USD\n\
                   2024-01-02,buy,ZZZQ,10,100,0,USD\n\
                   2024-01-04,withdrawal,,,500,0,USD\n";
        let mut p = Portfolio::new(Currency::USD, "2024-12-31".parse().unwrap());
        p.import(io::read_transactions_csv(log.as_bytes()).unwrap(), false)
            .unwrap();
        let prices = PriceFrame::from_csv(
            "date,AAPL,ZZZQ\n2024-01-02,100,100\n2024-01-03,,90\n2024-01-04,120,\n".as_bytes(),
        )
        .unwrap();
        let r = p
            .valuation_report(
                &prices,
                "2024-01-04".parse().unwrap(),
                &InstrumentTable::shipped()
                    .with_mapping_csv("symbol,asset_class\nAAPL,equity\n".as_bytes())
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(r.asset_classes, vec![Some(AssetClass::Equity), None]);
        let classes: Vec<&str> = r
            .allocation_by_asset_class
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(classes, ["cash", "equity", UNCLASSIFIED]);
        let total: f64 = r.allocation_by_holding.values().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        // Day changes from the last earlier close of each: AAPL 100 -> 120;
        // ZZZQ has no close on the 4th, so no change is made up for it.
        assert_eq!(r.previous_date, "2024-01-03".parse().ok());
        assert_eq!(r.day_changes, vec![Some(Decimal::from(200)), None]);
        assert_eq!(r.day_change, Decimal::from(200));
        // Net deposits 3000 - 500; value 1200 + 900 (last ZZZQ close) + 500 cash.
        assert_eq!(r.net_deposits, Decimal::from(2500));
        assert_eq!(r.valuation.value, Decimal::from(2600));
        assert_eq!(r.total_return, Decimal::from(100));
        assert_eq!(r.total_return_pct, Some(0.04));
    }

    #[test]
    fn sectors_and_currencies_sum_to_one_with_cash_and_unlisted_named() {
        let log = "date,type,symbol,quantity,price,fee,currency\n\
                   2024-01-02,deposit,,,3000,0,USD\n\
                   2024-01-02,buy,AAPL,10,100,0,USD\n\
                   2024-01-02,buy,ZZZQ,10,100,0,USD\n";
        let mut p = Portfolio::new(Currency::USD, "2024-12-31".parse().unwrap());
        p.import(io::read_transactions_csv(log.as_bytes()).unwrap(), false)
            .unwrap();
        let prices =
            PriceFrame::from_csv("date,AAPL,ZZZQ\n2024-01-02,100,100\n".as_bytes()).unwrap();
        let known = InstrumentTable::shipped()
            .with_mapping_csv(
                "symbol,asset_class,sector\nAAPL,equity,Information Technology\n".as_bytes(),
            )
            .unwrap();
        let r = p
            .valuation_report(&prices, "2024-01-02".parse().unwrap(), &known)
            .unwrap();
        let third = 1.0 / 3.0;
        let sectors: Vec<(&str, f64)> = r
            .allocation_by_sector
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(sectors.len(), 3, "{sectors:?}");
        for (name, w) in &sectors {
            assert!(
                ["cash", "Information Technology", UNCLASSIFIED].contains(name),
                "{name}"
            );
            assert!((w - third).abs() < 1e-12, "{name}: {w}");
        }
        assert_eq!(r.allocation_by_currency.len(), 1);
        assert!((r.allocation_by_currency["USD"] - 1.0).abs() < 1e-12);
    }
}

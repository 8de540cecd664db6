//! Several portfolios in one base currency seen as one: the net worth a
//! dashboard shows, its allocations, its value through time and the
//! growth lines a chart draws against a benchmark.
//!
//! Portfolios are combined by their results, never by merging their
//! ledgers: a split or a sale recorded in one portfolio must not touch the
//! shares another holds.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use crate::{Currency, Error, PriceFrame, Result, ValuationReport, ValuePoint, ValueSeries};

/// What several portfolios in one currency add up to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NetWorth {
    /// The currency every amount is in.
    pub base_currency: Currency,
    /// The latest price date among the valuations that hold positions
    /// (a portfolio of cash alone is valued on any day), or among all of
    /// them when none does.
    pub as_of: NaiveDate,
    /// How many portfolios were added up.
    pub portfolios: usize,
    /// Positions plus cash.
    pub value: Decimal,
    /// Cash.
    pub cash: Decimal,
    /// The sum of the day changes.
    pub day_change: Decimal,
    /// Money paid in less money taken out.
    pub net_deposits: Decimal,
    /// Value less net deposits.
    pub total_return: Decimal,
    /// [`Self::total_return`] over the net deposits; `None` without
    /// positive net deposits.
    pub total_return_pct: Option<f64>,
    /// Weight by symbol (cash under [`crate::CASH_KEY`]).
    pub allocation_by_holding: BTreeMap<String, f64>,
    /// Weight by asset class.
    pub allocation_by_asset_class: BTreeMap<String, f64>,
    /// Weight by sector.
    pub allocation_by_sector: BTreeMap<String, f64>,
    /// Weight by trading currency.
    pub allocation_by_currency: BTreeMap<String, f64>,
}

fn overflow(what: &str) -> Error {
    Error::Overflow {
        what: what.to_owned(),
    }
}

fn mixed(found: Currency, expected: Currency) -> Error {
    Error::InvalidField {
        field: "base_currency",
        reason: format!(
            "a portfolio reports in {found}, another in {expected}: only portfolios in one \
             currency add up (no exchange rate is assumed)"
        ),
    }
}

impl NetWorth {
    /// Adds up valuation reports of portfolios in one base currency; each
    /// allocation is the value-weighted mix of theirs. `None` for no reports.
    ///
    /// ```
    /// use auravest_core::{io, Currency, Decimal, InstrumentTable, NetWorth, Portfolio, PriceFrame};
    /// let prices = PriceFrame::from_csv("date,AAPL,MSFT\n2024-01-02,100,50\n".as_bytes())?;
    /// let day = "2024-01-02".parse()?;
    /// let report = |csv: &str| -> auravest_core::Result<_> {
    ///     let mut p = Portfolio::new(Currency::USD, day);
    ///     p.import(io::read_transactions_csv(csv.as_bytes())?, false)?;
    ///     p.valuation_report(&prices, day, &InstrumentTable::shipped())
    /// };
    /// let head = "date,type,symbol,quantity,price,fee,currency\n";
    /// let a = report(&format!("{head}2024-01-02,buy,AAPL,3,100,0,USD\n"))?;
    /// let b = report(&format!("{head}2024-01-02,buy,MSFT,2,50,0,USD\n"))?;
    /// let all = NetWorth::of(&[&a, &b])?.unwrap();
    /// assert_eq!(all.value, Decimal::from(400));
    /// assert_eq!(all.allocation_by_holding["AAPL"], 0.75);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidField`] on `base_currency` when the reports are in
    /// different currencies; [`Error::Overflow`] when a sum overflows.
    pub fn of(reports: &[&ValuationReport]) -> Result<Option<Self>> {
        let Some(first) = reports.first() else {
            return Ok(None);
        };
        let base = first.valuation.base_currency;
        let sum = |get: fn(&ValuationReport) -> Decimal, what: &str| {
            reports
                .iter()
                .try_fold(Decimal::ZERO, |acc, r| acc.checked_add(get(r)))
                .ok_or_else(|| overflow(what))
        };
        if let Some(r) = reports.iter().find(|r| r.valuation.base_currency != base) {
            return Err(mixed(r.valuation.base_currency, base));
        }
        let value = sum(|r| r.valuation.value, "net worth")?;
        let net_deposits = sum(|r| r.net_deposits, "sum of the deposits")?;
        let total_return = value
            .checked_sub(net_deposits)
            .ok_or_else(|| overflow("total return"))?;
        let total = value.to_f64().unwrap_or(0.0);
        let mix = |get: fn(&ValuationReport) -> &BTreeMap<String, f64>| {
            let mut out: BTreeMap<String, f64> = BTreeMap::new();
            if total == 0.0 {
                return out;
            }
            for r in reports {
                let share = r.valuation.value.to_f64().unwrap_or(0.0) / total;
                for (k, w) in get(r) {
                    *out.entry(k.clone()).or_default() += w * share;
                }
            }
            out
        };
        Ok(Some(Self {
            base_currency: base,
            as_of: reports
                .iter()
                .filter(|r| !r.valuation.positions.is_empty())
                .map(|r| r.valuation.as_of)
                .max()
                .or_else(|| reports.iter().map(|r| r.valuation.as_of).max())
                .unwrap_or(first.valuation.as_of),
            portfolios: reports.len(),
            value,
            cash: sum(|r| r.valuation.cash, "cash")?,
            day_change: sum(|r| r.day_change, "day change")?,
            net_deposits,
            total_return,
            total_return_pct: (net_deposits > Decimal::ZERO)
                .then(|| total_return.checked_div(net_deposits)?.to_f64())
                .flatten(),
            allocation_by_holding: mix(|r| &r.allocation_by_holding),
            allocation_by_asset_class: mix(|r| &r.allocation_by_asset_class),
            allocation_by_sector: mix(|r| &r.allocation_by_sector),
            allocation_by_currency: mix(|r| &r.allocation_by_currency),
        }))
    }
}

impl ValueSeries {
    /// Several portfolios' value series over one period as one series: on
    /// every day any of them has a point, the values of those already
    /// holding something (carried from their last point on days they have
    /// none, as a valuation at the last close would) and the flows of that
    /// day. A portfolio's first point counts its flows as paid in, so one
    /// opened mid-period adds money, not performance.
    ///
    /// No series gives an empty series in `fallback`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] on `base_currency` for series in different
    /// currencies; [`Error::Overflow`] when a sum overflows.
    pub fn combine(parts: &[ValueSeries], fallback: Currency) -> Result<ValueSeries> {
        let base = parts.first().map_or(fallback, |s| s.base_currency);
        if let Some(s) = parts.iter().find(|s| s.base_currency != base) {
            return Err(mixed(s.base_currency, base));
        }
        let mut days: BTreeMap<NaiveDate, bool> = BTreeMap::new();
        for s in parts {
            for p in &s.points {
                *days.entry(p.date).or_default() |= p.price_date;
            }
        }
        let mut cursors = vec![0usize; parts.len()];
        let mut points = Vec::with_capacity(days.len());
        let add = |a: Decimal, b: Decimal, day: NaiveDate| {
            a.checked_add(b)
                .ok_or_else(|| overflow(&format!("net worth on {day}")))
        };
        for (day, price_date) in days {
            let (mut value, mut inflow, mut outflow) =
                (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            for (s, at) in parts.iter().zip(cursors.iter_mut()) {
                while *at < s.points.len() && s.points[*at].date < day {
                    *at += 1;
                }
                match s.points.get(*at) {
                    Some(p) if p.date == day => {
                        value = add(value, p.value, day)?;
                        inflow = add(inflow, p.inflow, day)?;
                        outflow = add(outflow, p.outflow, day)?;
                    }
                    // Between two of its points: the last value stands.
                    _ if *at > 0 => value = add(value, s.points[*at - 1].value, day)?,
                    // Not started yet.
                    _ => {}
                }
            }
            points.push(ValuePoint {
                date: day,
                value,
                inflow,
                outflow,
                price_date,
            });
        }
        Ok(ValueSeries {
            base_currency: base,
            points,
        })
    }

    /// The time-weighted return from the first point to each point (0 at
    /// the first): the line a chart of "growth" draws, flows taken out.
    pub fn growth(&self) -> Vec<f64> {
        let mut g = 1.0;
        let mut out = Vec::with_capacity(self.points.len());
        if !self.points.is_empty() {
            out.push(0.0);
        }
        for r in self.sub_period_returns() {
            g *= 1.0 + r;
            out.push(g - 1.0);
        }
        out
    }
}

impl PriceFrame {
    /// Column `name`'s move from its first usable close on or after
    /// `dates[0]` (as [`crate::PriceChange`] measures a benchmark) to the
    /// last close on or before each date: the benchmark's line beside
    /// [`ValueSeries::growth`]. `None` for an unknown column; `None` at
    /// dates before the starting close.
    pub fn growth_on(&self, name: &str, dates: &[NaiveDate]) -> Option<Vec<Option<f64>>> {
        let index = self.column_index(name)?;
        let first = *dates.first()?;
        let usable = |p: &(NaiveDate, f64)| p.1.is_finite() && p.1 > 0.0;
        let start = self
            .dates()
            .iter()
            .zip(self.column(name)?)
            .filter_map(|(d, c)| c.map(|c| (*d, c)))
            .filter(usable)
            .find(|(d, _)| *d >= first)?;
        Some(
            dates
                .iter()
                .map(|d| {
                    if *d < start.0 {
                        return None;
                    }
                    self.last_price(index, *d)
                        .filter(usable)
                        .map(|(_, p)| p / start.1 - 1.0)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InstrumentTable, Portfolio, io};

    fn portfolio(csv: &str) -> Portfolio {
        let mut p = Portfolio::new(Currency::USD, "2024-12-31".parse().unwrap());
        let rows = format!("date,type,symbol,quantity,price,fee,currency\n{csv}");
        p.import(io::read_transactions_csv(rows.as_bytes()).unwrap(), false)
            .unwrap();
        p
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const PRICES: &str = "date,AAPL,MSFT,SPY\n\
                          2024-01-02,100,50,400\n\
                          2024-01-03,110,50,404\n\
                          2024-01-04,121,55,\n\
                          2024-01-05,121,60,412\n";

    #[test]
    fn combined_series_counts_a_late_portfolio_as_money_in_not_growth() {
        let prices = PriceFrame::from_csv(PRICES.as_bytes()).unwrap();
        let a = portfolio("2024-01-02,deposit,,,1000,0,USD\n2024-01-02,buy,AAPL,10,100,0,USD\n");
        let b = portfolio("2024-01-04,deposit,,,550,0,USD\n2024-01-04,buy,MSFT,10,55,0,USD\n");
        let (start, end) = (d("2024-01-02"), d("2024-01-05"));
        let sa = a.value_series(&prices, start, end).unwrap();
        let sb = b.value_series(&prices, start, end).unwrap();
        let all = ValueSeries::combine(&[sa.clone(), sb], Currency::USD).unwrap();
        let values: Vec<Decimal> = all.points.iter().map(|p| p.value).collect();
        assert_eq!(
            values,
            [1000, 1100, 1210 + 550, 1210 + 600].map(Decimal::from)
        );
        // b's 550 arrives as money paid in on the 4th.
        assert_eq!(all.points[2].inflow, Decimal::from(550));
        // The combined growth links the days: b's money arrives at the
        // start of the 4th, so that day is 1760 / (1100 + 550).
        let g = all.growth();
        assert!((g[1] - 0.1).abs() < 1e-12, "{g:?}");
        let fourth = 1.1 * 1760.0 / 1650.0;
        assert!((g[2] - (fourth - 1.0)).abs() < 1e-12, "{g:?}");
        assert!(
            (g[3] - (fourth * 1810.0 / 1760.0 - 1.0)).abs() < 1e-12,
            "{g:?}"
        );
        assert!((all.time_weighted_return() - g[3]).abs() < 1e-12);
        // One series alone is itself.
        assert_eq!(
            ValueSeries::combine(std::slice::from_ref(&sa), Currency::USD).unwrap(),
            sa
        );
        assert!(
            ValueSeries::combine(&[], Currency::EUR)
                .unwrap()
                .points
                .is_empty()
        );
    }

    #[test]
    fn portfolios_in_different_currencies_do_not_add_up() {
        let prices = PriceFrame::from_csv(PRICES.as_bytes()).unwrap();
        let a = portfolio("2024-01-02,deposit,,,1000,0,USD\n");
        let mut b = Portfolio::new(Currency::EUR, d("2024-12-31"));
        b.import(
            io::read_transactions_csv(
                "date,type,symbol,quantity,price,fee,currency\n2024-01-02,deposit,,,10,0,EUR\n"
                    .as_bytes(),
            )
            .unwrap(),
            false,
        )
        .unwrap();
        let table = InstrumentTable::shipped();
        let ra = a
            .valuation_report(&prices, d("2024-01-05"), &table)
            .unwrap();
        let rb = b
            .valuation_report(&prices, d("2024-01-05"), &table)
            .unwrap();
        let e = NetWorth::of(&[&ra, &rb]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidField {
                    field: "base_currency",
                    ..
                }
            ),
            "{e}"
        );
        assert!(NetWorth::of(&[]).unwrap().is_none());
        let sa = a
            .value_series(&prices, d("2024-01-02"), d("2024-01-05"))
            .unwrap();
        let sb = b
            .value_series(&prices, d("2024-01-02"), d("2024-01-05"))
            .unwrap();
        assert!(ValueSeries::combine(&[sa, sb], Currency::USD).is_err());
    }

    #[test]
    fn net_worth_adds_values_and_weights_allocations_by_value() {
        let prices = PriceFrame::from_csv(PRICES.as_bytes()).unwrap();
        let table = InstrumentTable::shipped();
        let a = portfolio("2024-01-02,deposit,,,1000,0,USD\n2024-01-02,buy,AAPL,10,100,0,USD\n");
        let b = portfolio("2024-01-02,deposit,,,1000,0,USD\n2024-01-02,buy,MSFT,10,50,0,USD\n");
        let ra = a
            .valuation_report(&prices, d("2024-01-05"), &table)
            .unwrap();
        let rb = b
            .valuation_report(&prices, d("2024-01-05"), &table)
            .unwrap();
        let all = NetWorth::of(&[&ra, &rb]).unwrap().unwrap();
        // 1210 + (600 + 500 cash).
        assert_eq!(all.value, Decimal::from(2310));
        assert_eq!(all.cash, Decimal::from(500));
        assert_eq!(all.net_deposits, Decimal::from(2000));
        assert_eq!(all.total_return, Decimal::from(310));
        assert_eq!(all.total_return_pct, Some(0.155));
        assert_eq!(all.day_change, ra.day_change + rb.day_change);
        for map in [
            &all.allocation_by_holding,
            &all.allocation_by_asset_class,
            &all.allocation_by_sector,
            &all.allocation_by_currency,
        ] {
            let total: f64 = map.values().sum();
            assert!((total - 1.0).abs() < 1e-12, "{map:?}");
        }
        assert!((all.allocation_by_holding["AAPL"] - 1210.0 / 2310.0).abs() < 1e-12);
        assert_eq!(all.portfolios, 2);
        // A portfolio of cash alone, valued on a later day, does not move
        // the price date.
        let cash = portfolio("2024-01-02,deposit,,,100,0,USD\n");
        let rc = cash
            .valuation_report(&prices, d("2024-03-01"), &table)
            .unwrap();
        let all = NetWorth::of(&[&ra, &rc]).unwrap().unwrap();
        assert_eq!(all.as_of, d("2024-01-05"));
        assert_eq!(
            NetWorth::of(&[&rc]).unwrap().unwrap().as_of,
            d("2024-03-01")
        );
    }

    #[test]
    fn benchmark_growth_starts_at_its_first_close_and_carries_gaps() {
        let prices = PriceFrame::from_csv(PRICES.as_bytes()).unwrap();
        let dates = [
            d("2024-01-01"),
            d("2024-01-02"),
            d("2024-01-04"),
            d("2024-01-05"),
        ];
        let g = prices.growth_on("SPY", &dates).unwrap();
        assert_eq!(g[0], None);
        assert_eq!(g[1], Some(0.0));
        // No close on the 4th: the 3rd's stands.
        assert!((g[2].unwrap() - 0.01).abs() < 1e-12);
        assert!((g[3].unwrap() - 0.03).abs() < 1e-12);
        // The last point agrees with the benchmark's price change.
        let change = prices
            .price_change("SPY", d("2024-01-02"), d("2024-01-05"))
            .unwrap();
        assert!((g[3].unwrap() - change.total_return()).abs() < 1e-12);
        assert!(prices.growth_on("QQQ", &dates).is_none());
        assert!(prices.growth_on("SPY", &[]).is_none());
    }
}

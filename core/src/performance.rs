//! A portfolio's value through time, time-weighted return (TWR) and
//! money-weighted return (XIRR).
//!
//! **Value series.** The portfolio is valued (positions at the last close on
//! or before each date, plus cash) on every price date in the period, on every
//! transaction date in it, and on the period's first date, so that cash flows
//! on days without prices are valued where they happen.
//!
//! **TWR.** Each sub-period between two valuation points links as
//! `(V_t + O_t) / (V_{t-1} + I_t) - 1`, where `I_t` is the money paid in on
//! day `t` (deposits, implicit deposits; treated as arriving at the start of
//! the day) and `O_t` the money taken out (withdrawals; at the end of the day).
//! Neither denominator nor numerator can turn negative, so TWR stays right
//! when a position is sold out and bought again and when everything is
//! withdrawn and later re-deposited: a sub-period that starts and ends with
//! nothing invested counts as 0%, never as -100%.
//!
//! **XIRR.** The annual rate `r` solving `Σ c_i (1 + r)^(-days_i / 365) = 0`,
//! with the starting value as an outflow on the first date, external flows
//! with the investor's sign, and the ending value as an inflow on the last date.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::valuation::{FxTable, price_decimal};
use crate::{Currency, Error, Holdings, Portfolio, PriceFrame, Result, Returns, checked_mul};

/// The portfolio's value at the end of one day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValuePoint {
    /// The day.
    pub date: NaiveDate,
    /// Positions plus cash, in the base currency.
    pub value: Decimal,
    /// Money paid in that day (explicit and implicit deposits).
    pub inflow: Decimal,
    /// Money taken out that day (withdrawals), as a positive amount.
    pub outflow: Decimal,
    /// Whether the day has a row in the price data (as opposed to a cash-flow day).
    pub price_date: bool,
}

/// A portfolio's daily values over a period, with its external flows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValueSeries {
    /// The currency of every amount.
    pub base_currency: Currency,
    /// Valuation points in date order. The first point's flows are part of
    /// the starting value.
    pub points: Vec<ValuePoint>,
}

fn checked_add(a: Decimal, b: Decimal, day: NaiveDate) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| Error::Overflow {
        what: format!("portfolio value on {day}"),
    })
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

impl ValueSeries {
    /// The linked return of each sub-period after the first point.
    pub fn sub_period_returns(&self) -> Vec<f64> {
        self.points
            .windows(2)
            .map(|w| {
                let denom = f(w[0].value) + f(w[1].inflow);
                let numer = f(w[1].value) + f(w[1].outflow);
                if denom > 0.0 {
                    numer / denom - 1.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The time-weighted return over the whole series.
    pub fn time_weighted_return(&self) -> f64 {
        self.sub_period_returns()
            .iter()
            .fold(1.0, |g, r| g * (1.0 + r))
            - 1.0
    }

    /// Flow-adjusted daily returns on price dates, for [`crate::PerformanceStats`].
    /// Sub-periods ending on cash-flow days without prices are compounded into
    /// the next price date's return; those after the last price date into the
    /// last price date's return (or, without one, a return dated on the last
    /// point), so the returns always compound to
    /// [`ValueSeries::time_weighted_return`].
    pub fn daily_returns(&self) -> Returns {
        let mut dates = Vec::new();
        let mut values = Vec::new();
        let mut growth = 1.0;
        let mut pending = false;
        for (p, r) in self.points.iter().skip(1).zip(self.sub_period_returns()) {
            growth *= 1.0 + r;
            pending = true;
            if p.price_date {
                dates.push(p.date);
                values.push(growth - 1.0);
                growth = 1.0;
                pending = false;
            }
        }
        if pending {
            match values.last_mut() {
                Some(last) => *last = (1.0 + *last) * growth - 1.0,
                None => {
                    dates.extend(self.points.last().map(|p| p.date));
                    values.push(growth - 1.0);
                }
            }
        }
        Returns::from_parts(self.points.first().map(|p| p.date), dates, values)
    }

    /// The money-weighted return (XIRR), annualised on a 365-day year.
    ///
    /// # Errors
    /// [`Error::NoIrr`] when the series spans no time or the flows admit no rate.
    pub fn money_weighted_return(&self) -> Result<f64> {
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return Err(Error::NoIrr("the period holds no valuation"));
        };
        let mut flows = vec![(first.date, -f(first.value))];
        for p in &self.points[1..] {
            let net = f(p.inflow) - f(p.outflow);
            if net != 0.0 {
                flows.push((p.date, -net));
            }
        }
        flows.push((last.date, f(last.value)));
        xirr(&flows)
    }
}

/// Solves `Σ amount_i (1 + r)^(-days_i / 365) = 0` for `r`, days counted from
/// the first flow: Newton's method, then bisection if Newton fails.
///
/// # Errors
/// [`Error::NoIrr`] when all flows fall on one day or share one sign.
pub fn xirr(flows: &[(NaiveDate, f64)]) -> Result<f64> {
    let Some(t0) = flows.iter().map(|(d, _)| *d).min() else {
        return Err(Error::NoIrr("no cash flows"));
    };
    let ts: Vec<(f64, f64)> = flows
        .iter()
        .map(|(d, a)| ((*d - t0).num_days() as f64 / 365.0, *a))
        .collect();
    if ts.iter().all(|(t, _)| *t == 0.0) {
        return Err(Error::NoIrr("the cash flows span no time"));
    }
    if !(ts.iter().any(|(_, a)| *a > 0.0) && ts.iter().any(|(_, a)| *a < 0.0)) {
        return Err(Error::NoIrr(
            "the cash flows must include money both in and out",
        ));
    }
    let npv = |r: f64| ts.iter().map(|(t, a)| a * (1.0 + r).powf(-t)).sum::<f64>();
    let dnpv = |r: f64| {
        ts.iter()
            .map(|(t, a)| -t * a * (1.0 + r).powf(-t - 1.0))
            .sum::<f64>()
    };
    let mut r = 0.1;
    for _ in 0..100 {
        let (v, dv) = (npv(r), dnpv(r));
        if !v.is_finite() || !dv.is_finite() || dv == 0.0 {
            break;
        }
        let next = r - v / dv;
        if next <= -1.0 || !next.is_finite() {
            break;
        }
        if (next - r).abs() < 1e-12 {
            return Ok(next);
        }
        r = next;
    }
    // Bisection: NPV is finite on (-1, ∞); find a bracket, then halve it.
    let mut lo = -0.999_999_999;
    let mut hi = 1.0;
    while npv(lo).signum() == npv(hi).signum() {
        hi *= 10.0;
        if hi > 1e12 {
            return Err(Error::NoIrr("no rate sets the cash flows' value to zero"));
        }
    }
    for _ in 0..300 {
        let mid = 0.5 * (lo + hi);
        if npv(mid).signum() == npv(lo).signum() {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-14 {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// What [`Portfolio::performance`] measures against, and how.
#[derive(Debug, Clone, Copy, Default)]
pub struct PerformanceOptions<'a> {
    /// First day of the period; default the first transaction's date.
    pub start: Option<NaiveDate>,
    /// Last day of the period; default the last date of the prices.
    pub end: Option<NaiveDate>,
    /// Annual risk-free rate for the Sharpe and Sortino ratios. Default 0.
    pub risk_free_rate: f64,
    /// A column of the prices to compare with (an index fund, say).
    pub benchmark: Option<&'a str>,
}

/// The benchmark's side of a [`PerformanceReport`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchmarkReturn {
    /// The benchmark's column.
    pub name: String,
    /// Its total return over the same days as the portfolio's returns.
    pub total_return: f64,
}

/// A portfolio's performance over a period (see [`Portfolio::performance`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PerformanceReport {
    /// First day with a value.
    pub start: NaiveDate,
    /// Last day with a value.
    pub end: NaiveDate,
    /// The currency of every amount.
    pub base_currency: Currency,
    /// Time-weighted return over the period (not annualised).
    pub time_weighted_return: f64,
    /// Money-weighted return (XIRR), annual.
    pub money_weighted_return: f64,
    /// Statistics of the daily returns (beta and alpha against the benchmark).
    pub stats: crate::PerformanceStats,
    /// The benchmark's return over the same days, when one was named.
    pub benchmark: Option<BenchmarkReturn>,
    /// How the figures were computed, for display beside them.
    pub basis: &'static str,
    /// The daily values behind the figures.
    pub series: ValueSeries,
}

/// The basis every [`PerformanceReport`] states.
pub const PERFORMANCE_BASIS: &str = "Based on past prices: daily closing prices; time-weighted return links the daily sub-period returns; money-weighted return is the annual internal rate of return of the external cash flows; statistics use 252 trading days a year.";

impl Portfolio {
    /// Performance from `start` to `end`: the daily value series, its
    /// time- and money-weighted returns, the statistics of its daily
    /// returns and, when a benchmark column is named, the benchmark's return
    /// over the same days with beta and alpha against it.
    ///
    /// # Errors
    /// [`Error::InvalidPeriod`] for an empty ledger, no price rows or a bad
    /// period; as [`Portfolio::value_series`], [`PriceFrame::returns_like`]
    /// (an unknown benchmark column), [`crate::PerformanceStats::compute`]
    /// and [`ValueSeries::money_weighted_return`].
    pub fn performance(
        &self,
        prices: &PriceFrame,
        options: PerformanceOptions<'_>,
    ) -> Result<PerformanceReport> {
        let first = self.transactions().first().map(|t| t.date);
        let last = prices.dates().last().copied();
        let (Some(start), Some(end)) = (options.start.or(first), options.end.or(last)) else {
            let day = options
                .start
                .or(options.end)
                .or(first)
                .unwrap_or(self.today());
            return Err(Error::InvalidPeriod {
                start: day,
                end: day,
                reason: if first.is_none() {
                    "the portfolio has no transactions"
                } else {
                    "there are no price rows"
                },
            });
        };
        let series = self.value_series(prices, start, end)?;
        let returns = series.daily_returns();
        let bench = options
            .benchmark
            .map(|name| prices.returns_like(name, &returns).map(|r| (name, r)))
            .transpose()?;
        let stats = crate::PerformanceStats::compute(
            &returns,
            crate::StatsOptions {
                risk_free_rate: options.risk_free_rate,
                benchmark: bench.as_ref().map(|(_, r)| r),
            },
        )?;
        let benchmark = bench.map(|(name, r)| {
            let finite: Vec<f64> = r
                .values()
                .iter()
                .copied()
                .filter(|x| x.is_finite())
                .collect();
            BenchmarkReturn {
                name: name.to_owned(),
                total_return: crate::stats::total_return(&finite),
            }
        });
        let (Some(first_point), Some(last_point)) = (series.points.first(), series.points.last())
        else {
            return Err(Error::InvalidPeriod {
                start,
                end,
                reason: "nothing is held in the period",
            });
        };
        Ok(PerformanceReport {
            start: first_point.date,
            end: last_point.date,
            base_currency: series.base_currency,
            time_weighted_return: series.time_weighted_return(),
            money_weighted_return: series.money_weighted_return()?,
            stats,
            benchmark,
            basis: PERFORMANCE_BASIS,
            series,
        })
    }
}

impl Portfolio {
    /// The portfolio's value on each price date and cash-flow date from
    /// `start` to `end` (both inclusive), starting at the first day it holds
    /// anything.
    ///
    /// # Errors
    /// [`Error::InvalidPeriod`] when `start > end` or nothing is held in the
    /// period; [`Error::MissingPrice`] / [`Error::MissingFx`] for a held symbol
    /// or currency without a price on or before a valuation date.
    pub fn value_series(
        &self,
        prices: &PriceFrame,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<ValueSeries> {
        if start > end {
            return Err(Error::InvalidPeriod {
                start,
                end,
                reason: "start is after end",
            });
        }
        let price_days: BTreeSet<NaiveDate> = prices
            .dates()
            .iter()
            .copied()
            .filter(|d| (start..=end).contains(d))
            .collect();
        let mut days: BTreeSet<NaiveDate> = price_days.clone();
        days.insert(start);
        days.extend(
            self.transactions()
                .iter()
                .map(|t| t.date)
                .filter(|d| (start..=end).contains(d)),
        );
        let fx = FxTable::new(prices, self.base_currency());
        let mut columns: HashMap<crate::Symbol, Option<usize>> = HashMap::new();
        let mut holdings = Holdings::default();
        let log = self.transactions();
        let (mut next_tx, mut seen_flows) = (0, 0);
        let mut points: Vec<ValuePoint> = Vec::with_capacity(days.len());
        for day in days {
            while next_tx < log.len() && log[next_tx].date <= day {
                holdings.apply(&log[next_tx])?;
                next_tx += 1;
            }
            let (mut inflow, mut outflow) = (Decimal::ZERO, Decimal::ZERO);
            for flow in &holdings.flows()[seen_flows..] {
                let amount = checked_mul(
                    flow.amount.amount(),
                    fx.rate(flow.amount.currency(), day)?,
                    || format!("cash flow on {day}"),
                )?;
                if amount > Decimal::ZERO {
                    inflow = checked_add(inflow, amount, day)?;
                } else {
                    outflow = checked_add(outflow, -amount, day)?;
                }
            }
            seen_flows = holdings.flows().len();
            let mut value = Decimal::ZERO;
            for m in holdings.cash() {
                if !m.amount().is_zero() {
                    let cash = checked_mul(m.amount(), fx.rate(m.currency(), day)?, || {
                        format!("cash in {} on {day}", m.currency())
                    })?;
                    value = checked_add(value, cash, day)?;
                }
            }
            for p in holdings.open_positions() {
                let col = match columns.get(p.symbol()) {
                    Some(c) => *c,
                    None => {
                        let c = prices.column_index(p.symbol().as_str());
                        columns.insert(p.symbol().clone(), c);
                        c
                    }
                };
                let (_, px) = col.and_then(|i| prices.last_price(i, day)).ok_or_else(|| {
                    Error::MissingPrice {
                        symbol: p.symbol().clone(),
                        date: day,
                    }
                })?;
                let what = || format!("value of {} on {day}", p.symbol());
                let local = checked_mul(p.quantity(), price_decimal(p.symbol(), px)?, what)?;
                value = checked_add(
                    value,
                    checked_mul(local, fx.rate(p.currency(), day)?, what)?,
                    day,
                )?;
            }
            if points.is_empty() && value.is_zero() {
                continue;
            }
            points.push(ValuePoint {
                date: day,
                value,
                inflow,
                outflow,
                price_date: price_days.contains(&day),
            });
        }
        if points.is_empty() {
            return Err(Error::InvalidPeriod {
                start,
                end,
                reason: "the portfolio holds nothing in this period",
            });
        }
        Ok(ValueSeries {
            base_currency: self.base_currency(),
            points,
        })
    }

    /// Time-weighted return from `start` to `end`; see the module docs.
    ///
    /// # Errors
    /// As [`Portfolio::value_series`].
    pub fn time_weighted_return(
        &self,
        prices: &PriceFrame,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<f64> {
        Ok(self
            .value_series(prices, start, end)?
            .time_weighted_return())
    }

    /// Money-weighted return (XIRR) from `start` to `end`; see the module docs.
    ///
    /// # Errors
    /// As [`Portfolio::value_series`], and [`Error::NoIrr`].
    pub fn money_weighted_return(
        &self,
        prices: &PriceFrame,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<f64> {
        self.value_series(prices, start, end)?
            .money_weighted_return()
    }
}

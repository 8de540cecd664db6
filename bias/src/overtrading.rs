//! Overtrading: annualised turnover in the manner of Barber & Odean (2000,
//! "Trading Is Hazardous to Your Wealth") and the cost it drags behind it.

use auravest_core::{
    Decimal, Holdings, NaiveDate, Portfolio, PositionValue, PriceFrame, Symbol, Transaction,
    TransactionKind, Valuation, checked_mul, value_holdings,
};
use serde::Serialize;
use serde_json::json;

use crate::Result;
use crate::config::OvertradingConfig;
use crate::dates::{add_days, days_between};
use crate::market::{add, f, money, to_base};
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};

/// Turnover and trading costs over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turnover {
    /// First day of the period (the later of a year before the analysis date
    /// and the first transaction).
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// Sum over trade days of purchases (less those paid with new money) over
    /// the portfolio's value after the day's trades.
    pub purchase_turnover: f64,
    /// Sum over trade days of sales over the portfolio's value before them.
    pub sale_turnover: f64,
    /// `(purchase + sale) / 2`, scaled to 365 days.
    pub annual_turnover: f64,
    /// Value of every purchase and sale in the period, base currency.
    pub traded_value: Decimal,
    /// Fees paid on those trades, base currency.
    pub fees: Decimal,
    /// Average daily value of the portfolio over the period.
    pub average_value: Decimal,
    /// Fees plus estimated spread costs as a yearly share of the average value.
    pub cost_drag: f64,
}

fn trade(tx: &Transaction) -> Option<(&Symbol, Decimal, bool)> {
    match &tx.kind {
        TransactionKind::Buy {
            symbol, quantity, ..
        } => Some((symbol, quantity.get(), true)),
        TransactionKind::Sell {
            symbol, quantity, ..
        } => Some((symbol, quantity.get(), false)),
        _ => None,
    }
}

fn per_share(v: &Valuation, symbol: &Symbol) -> Option<Decimal> {
    v.positions
        .iter()
        .find(|p: &&PositionValue| &p.symbol == symbol)
        .filter(|p| !p.quantity.is_zero())
        .and_then(|p| p.value.checked_div(p.quantity))
}

/// Measures turnover over the `lookback_days` up to `as_of` (or since the
/// first transaction when later); `None` when that is shorter than
/// `min_history_days`.
///
/// Each trade is valued at the day's closes in the base currency (sales at
/// the value per share before the day's trades, purchases after). Sales count
/// against the portfolio's value before the day's trades, purchases against
/// its value after them, as Barber & Odean do with beginning- and
/// end-of-month values. Purchases paid with money newly put in (cash held at
/// the start, deposits, and the implicit deposits of unfunded buys) are
/// investing, not trading, and do not count; money from sales does. A trade
/// of a position opened and closed on the same day has no closing value and
/// is left out.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] for a bad `config`; `auravest_core`
/// errors when a held symbol or currency has no price on a trade day.
pub fn turnover(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    as_of: NaiveDate,
    config: &OvertradingConfig,
) -> Result<Option<Turnover>> {
    config.validate()?;
    let base = portfolio.base_currency();
    let log: Vec<&Transaction> = portfolio
        .transactions()
        .iter()
        .filter(|t| t.date <= as_of)
        .collect();
    let Some(first) = log.first().map(|t| t.date) else {
        return Ok(None);
    };
    let from = add_days(as_of, -i64::from(config.lookback_days)).max(first);
    let days = days_between(from, as_of);
    if days < i64::from(config.min_history_days) {
        return Ok(None);
    }
    let mut holdings = Holdings::default();
    let mut i = 0;
    while i < log.len() && log[i].date <= from {
        holdings.apply(log[i])?;
        i += 1;
    }
    let mut pool = value_holdings(&holdings, prices, from, base)?.cash;
    let mut seen_flows = holdings.flows().len();
    let (mut purchase_turnover, mut sale_turnover) = (0.0, 0.0);
    let (mut traded_value, mut fees) = (Decimal::ZERO, Decimal::ZERO);
    while i < log.len() {
        let date = log[i].date;
        let j = i + log[i..].iter().take_while(|t| t.date == date).count();
        let day = &log[i..j];
        i = j;
        let before = holdings.clone();
        for tx in day {
            holdings.apply(tx)?;
        }
        for flow in &holdings.flows()[seen_flows..] {
            let amount = to_base(
                flow.amount.amount(),
                flow.amount.currency(),
                date,
                prices,
                base,
            )?;
            pool = add(pool, amount, || format!("new money on {date}"))?.max(Decimal::ZERO);
        }
        seen_flows = holdings.flows().len();
        if !day.iter().any(|t| trade(t).is_some()) {
            continue;
        }
        let value_before = value_holdings(&before, prices, date, base)?;
        let value_after = value_holdings(&holdings, prices, date, base)?;
        let (mut bought, mut sold) = (Decimal::ZERO, Decimal::ZERO);
        for tx in day {
            let Some((symbol, quantity, buy)) = trade(tx) else {
                continue;
            };
            let unit = if buy {
                per_share(&value_after, symbol)
            } else {
                per_share(&value_before, symbol)
            };
            let what = || format!("the value traded on {date}");
            let value = match unit {
                Some(u) => checked_mul(u, quantity, what)?,
                None => Decimal::ZERO,
            };
            if buy {
                bought = add(bought, value, what)?;
            } else {
                sold = add(sold, value, what)?;
            }
            let fee = to_base(tx.fee, tx.currency, date, prices, base)?;
            fees = add(fees, fee, || format!("the fees paid by {date}"))?;
        }
        let day_total = add(bought, sold, || format!("the value traded on {date}"))?;
        traded_value = add(traded_value, day_total, || {
            format!("the value traded by {date}")
        })?;
        let new_money = pool.min(bought);
        pool -= new_money;
        if value_after.value > Decimal::ZERO {
            purchase_turnover += f(bought - new_money) / f(value_after.value);
        }
        if value_before.value > Decimal::ZERO {
            sale_turnover += f(sold) / f(value_before.value);
        }
    }
    let year = 365.0 / days as f64;
    let annual_turnover = (purchase_turnover + sale_turnover) / 2.0 * year;
    let series = portfolio.value_series(prices, from, as_of);
    let average = match &series {
        Ok(s) if !s.points.is_empty() => {
            s.points.iter().map(|p| f(p.value)).sum::<f64>() / s.points.len() as f64
        }
        _ => 0.0,
    };
    let cost_drag = if average > 0.0 {
        (f(fees) + f(traded_value) * config.spread_cost) / average * year
    } else {
        0.0
    };
    Ok(Some(Turnover {
        from,
        to: as_of,
        purchase_turnover,
        sale_turnover,
        annual_turnover,
        traded_value: traded_value.round_dp(2).normalize(),
        fees: fees.round_dp(2).normalize(),
        average_value: money(average),
        cost_drag,
    }))
}

/// Flags annualised turnover (see [`turnover`]) above `max_turnover` (100%
/// a year); critical from `critical_turnover` (300%). One nudge, subject
/// `null`, with the cost drag: fees actually paid plus `spread_cost` (0.1%)
/// of every trade's value, as a yearly share of the average portfolio value.
///
/// # Errors
/// As [`turnover`].
pub fn overtrading(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    as_of: NaiveDate,
    config: &OvertradingConfig,
) -> Result<Vec<Nudge>> {
    let Some(t) = turnover(portfolio, prices, as_of, config)? else {
        return Ok(Vec::new());
    };
    if t.annual_turnover <= config.max_turnover {
        return Ok(Vec::new());
    }
    let severity = if t.annual_turnover >= config.critical_turnover {
        Severity::Critical
    } else {
        Severity::Warning
    };
    Ok(vec![Nudge::new(
        NudgeKind::Overtrading,
        severity,
        None,
        format!(
            "You turn over {} of your portfolio a year",
            pct(t.annual_turnover)
        ),
        format!(
            "From {} to {} you traded {} worth of holdings: at this pace you replace {} of \
             your portfolio every year. Each trade costs fees and the gap between buying and \
             selling prices, about {} of your portfolio a year here, and that cost is certain \
             while the benefit of the trade is not. Barber and Odean (2000) followed 66,000 US \
             households: the average one turned over about 75% a year, and the fifth that \
             traded most earned 11.4% a year after costs against 17.9% for the market. \
             Frequent trading tends to come from overconfidence, not from better information.",
            t.from,
            t.to,
            t.traded_value,
            pct(t.annual_turnover),
            pct(t.cost_drag)
        ),
        "Write down a reason and an exit plan before each trade, trade on a schedule (for \
         example monthly or when rebalancing) rather than on news, and prefer holding broad \
         funds for years.",
        json!({
            "from": t.from,
            "to": t.to,
            "annual_turnover": r6(t.annual_turnover),
            "purchase_turnover": r6(t.purchase_turnover),
            "sale_turnover": r6(t.sale_turnover),
            "traded_value": t.traded_value,
            "fees": t.fees,
            "average_value": t.average_value,
            "cost_drag": r6(t.cost_drag),
            "spread_cost": config.spread_cost,
            "max_turnover": config.max_turnover,
        }),
    )])
}

//! Panic selling: a large sale within days after the holding, or the market,
//! fell sharply.

use std::collections::BTreeMap;

use auravest_core::{
    Decimal, NaiveDate, Portfolio, PriceFrame, Symbol, Transaction, TransactionKind,
};
use serde_json::json;

use crate::config::PanicConfig;
use crate::dates::add_days;
use crate::market::{Fall, add, f, fall_completed, filled_closes};
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};
use crate::{Error, Result};

/// One sale that followed a fall.
#[derive(Debug, Clone)]
struct Episode {
    sale_date: NaiveDate,
    sold: Decimal,
    fraction: f64,
    remaining: Decimal,
    fall: Fall,
    fall_day: usize,
    trading_days_after: usize,
    series: String,
}

/// The column index of `benchmark`, or a typed error naming the columns.
pub(crate) fn benchmark_column(
    prices: &PriceFrame,
    benchmark: Option<&str>,
) -> Result<Option<usize>> {
    benchmark
        .map(|name| {
            prices
                .column_index(name)
                .ok_or_else(|| Error::UnknownBenchmark {
                    name: name.to_owned(),
                    available: prices.columns().iter().map(ToString::to_string).collect(),
                })
        })
        .transpose()
}

/// A sale's symbol and shares.
pub(crate) fn sale(tx: &Transaction) -> Option<(&Symbol, Decimal)> {
    match &tx.kind {
        TransactionKind::Sell {
            symbol, quantity, ..
        } => Some((symbol, quantity.get())),
        _ => None,
    }
}

/// Finds sales of at least `min_sold` of a position made within
/// `within_trading_days` trading days after the position's price, or the
/// `benchmark` column's, fell: closed, for the first time in a run of such
/// days, `min_fall` or more below its highest close of the
/// `fall_lookback_trading_days` up to that day (defaults: 30%, 5 days, 10%,
/// 20 days). Only sales dated in the `lookback_days` up to `as_of` are checked.
///
/// Trading days are the dates of `prices`; a missing close takes the last one
/// before it. The share sold is every sale of the symbol from the day of the
/// fall to the sale, over those shares plus the shares still held after it.
/// One nudge per symbol (subject: the symbol), for its latest such sale;
/// warning, or critical when the sale closed the position. A history with no
/// sales never produces one.
///
/// # Errors
/// [`Error::InvalidThreshold`] for a bad `config`; [`Error::UnknownBenchmark`]
/// when `benchmark` is not a column of `prices`.
pub fn panic_selling(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    benchmark: Option<&str>,
    as_of: NaiveDate,
    config: &PanicConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    let bench_col = benchmark_column(prices, benchmark)?;
    let bench = bench_col.map(|c| filled_closes(prices, c));
    let bench_name = bench_col.map(|c| prices.columns()[c].to_string());
    let start = add_days(as_of, -i64::from(config.lookback_days));
    let log: Vec<&Transaction> = portfolio
        .transactions()
        .iter()
        .filter(|t| t.date <= as_of)
        .collect();
    let lookback = config.fall_lookback_trading_days as usize;
    let within = config.within_trading_days as usize;
    let mut closes: BTreeMap<&Symbol, Option<Vec<Option<f64>>>> = BTreeMap::new();
    let mut latest: BTreeMap<&Symbol, (Episode, usize)> = BTreeMap::new();
    for tx in log.iter().filter(|t| t.date > start) {
        let Some((symbol, _)) = sale(tx) else {
            continue;
        };
        let Some(s) = prices.index_on_or_before(tx.date) else {
            continue;
        };
        let own = closes.entry(symbol).or_insert_with(|| {
            prices
                .column_index(symbol.as_str())
                .map(|c| filled_closes(prices, c))
        });
        let mut found = None;
        for t in s.saturating_sub(within)..=s {
            let own_fall = own
                .as_deref()
                .and_then(|c| fall_completed(c, t, lookback, config.min_fall));
            let bench_fall = bench
                .as_deref()
                .and_then(|c| fall_completed(c, t, lookback, config.min_fall));
            if let Some(fall) = own_fall {
                found = Some((t, fall, symbol.to_string()));
            } else if let (Some(fall), Some(name)) = (bench_fall, &bench_name) {
                found = Some((t, fall, name.clone()));
            }
            if found.is_some() {
                break;
            }
        }
        let Some((t, fall, series)) = found else {
            continue;
        };
        let from = prices.dates()[t];
        let what = || format!("the {symbol} sold from {from} to {}", tx.date);
        let sold = log
            .iter()
            .filter(|x| x.date >= from && x.date <= tx.date)
            .filter_map(|x| sale(x).filter(|(sym, _)| *sym == symbol).map(|(_, q)| q))
            .try_fold(Decimal::ZERO, |sum, q| add(sum, q, what))?;
        let remaining = portfolio
            .holdings_at(tx.date)?
            .position(symbol)
            .map_or(Decimal::ZERO, |p| p.quantity());
        let fraction = f(sold) / f(add(sold, remaining, what)?);
        if fraction < config.min_sold {
            continue;
        }
        let episode = Episode {
            sale_date: tx.date,
            sold,
            fraction,
            remaining,
            fall,
            fall_day: t,
            trading_days_after: s - t,
            series,
        };
        let count = latest.get(symbol).map_or(0, |(_, n)| *n) + 1;
        latest.insert(symbol, (episode, count));
    }
    Ok(latest
        .into_iter()
        .map(|(symbol, (e, count))| nudge(symbol, &e, count, prices, config))
        .collect())
}

fn nudge(
    symbol: &Symbol,
    e: &Episode,
    count: usize,
    prices: &PriceFrame,
    config: &PanicConfig,
) -> Nudge {
    let s = symbol.as_str();
    let what = if e.series == s {
        format!("{s} had fallen {}", pct(e.fall.size))
    } else {
        format!("the market ({}) had fallen {}", e.series, pct(e.fall.size))
    };
    let closed = e.remaining.is_zero();
    let severity = if closed {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let days = match e.trading_days_after {
        0 => "the same day".to_owned(),
        1 => "one trading day later".to_owned(),
        n => format!("{n} trading days later"),
    };
    Nudge::new(
        NudgeKind::PanicSelling,
        severity,
        Some(s.to_owned()),
        format!("You sold {} of {s} right after a drop", pct(e.fraction)),
        format!(
            "On {} you sold {} of your {s} position ({} shares), {days} after {what} from its \
             recent high. Selling right after a sharp fall often comes from loss aversion: a loss \
             hurts roughly twice as much as an equal gain pleases, so the urge to stop the pain \
             wins over the plan. The sale turns a paper loss into a real one and risks missing \
             the rebound; a study of US brokerage accounts (Elkind, Kaminski, Lo, Siah & Wong, \
             2022) found that 9% of households sold out in a panic at least once between 2003 \
             and 2015, and about 31% of them never went back into the market.",
            e.sale_date,
            pct(e.fraction),
            e.sold,
        ),
        "Before selling after a drop, pause for a day and check whether the reason you bought \
         still holds and whether the sale fits your long-term plan. A falling market is often \
         a time to rebalance, not to leave.",
        json!({
            "symbol": s,
            "sale_date": e.sale_date,
            "shares_sold": e.sold,
            "sold_fraction": r6(e.fraction),
            "shares_remaining": e.remaining,
            "fall": r6(e.fall.size),
            "fall_series": e.series,
            "fall_peak_date": prices.dates()[e.fall.peak],
            "fall_date": prices.dates()[e.fall_day],
            "trading_days_after_fall": e.trading_days_after,
            "episodes": count,
            "min_fall": config.min_fall,
            "min_sold": config.min_sold,
            "within_trading_days": config.within_trading_days,
        }),
    )
}

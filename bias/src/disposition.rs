//! The disposition effect: realising gains more readily than losses
//! (Odean 1998, "Are Investors Reluctant to Realize Their Losses?").

use std::collections::BTreeMap;

use auravest_core::{
    Decimal, Holdings, NaiveDate, Portfolio, PriceFrame, Symbol, TransactionKind, checked_mul,
};
use serde::Serialize;
use serde_json::json;

use crate::Result;
use crate::config::DispositionConfig;
use crate::market::{add, f};
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};

/// Odean's counts over every day with a sale.
///
/// On each such day, every position held at the start of the day is one
/// observation: a *realised* gain or loss when it is sold that day (average
/// sale price against average cost per share, fees included), otherwise a
/// *paper* gain or loss (that day's close against average cost). Equal prices
/// count as neither; positions without a close are counted as `unpriced`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DispositionCounts {
    /// Days with at least one sale.
    pub sell_days: usize,
    /// Positions sold at a gain.
    pub realized_gains: usize,
    /// Positions sold at a loss.
    pub realized_losses: usize,
    /// Positions held at a gain, not sold.
    pub paper_gains: usize,
    /// Positions held at a loss, not sold.
    pub paper_losses: usize,
    /// Positions held on a sale day without a close to compare.
    pub unpriced: usize,
}

impl DispositionCounts {
    /// Proportion of gains realised, `RG / (RG + PG)`; `None` without gains.
    pub fn pgr(&self) -> Option<f64> {
        ratio(self.realized_gains, self.paper_gains)
    }

    /// Proportion of losses realised, `RL / (RL + PL)`; `None` without losses.
    pub fn plr(&self) -> Option<f64> {
        ratio(self.realized_losses, self.paper_losses)
    }

    /// `PGR − PLR`: above 0 means gains are realised more readily than losses.
    pub fn difference(&self) -> Option<f64> {
        Some(self.pgr()? - self.plr()?)
    }
}

fn ratio(realized: usize, paper: usize) -> Option<f64> {
    let n = realized + paper;
    (n > 0).then(|| realized as f64 / n as f64)
}

/// Counts realised and paper gains and losses on every sale day up to `as_of`.
///
/// # Errors
/// None in practice: the portfolio's log was validated when it was built.
pub fn disposition_counts(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    as_of: NaiveDate,
) -> Result<DispositionCounts> {
    let log: Vec<_> = portfolio
        .transactions()
        .iter()
        .filter(|t| t.date <= as_of)
        .collect();
    let mut counts = DispositionCounts::default();
    let mut holdings = Holdings::default();
    let mut i = 0;
    while i < log.len() {
        let date = log[i].date;
        let j = i + log[i..].iter().take_while(|t| t.date == date).count();
        let mut sold: BTreeMap<&Symbol, (Decimal, Decimal)> = BTreeMap::new();
        for tx in &log[i..j] {
            if let TransactionKind::Sell {
                symbol,
                quantity,
                price,
            } = &tx.kind
            {
                let what = || format!("the {symbol} sold on {date}");
                let e = sold.entry(symbol).or_default();
                e.0 = add(e.0, quantity.get(), what)?;
                e.1 = add(e.1, checked_mul(quantity.get(), price.get(), what)?, what)?;
            }
        }
        if !sold.is_empty() {
            counts.sell_days += 1;
            for p in holdings.open_positions() {
                let Some(cost) = p.avg_cost() else {
                    continue;
                };
                if let Some((q, value)) = sold.get(p.symbol()) {
                    let Some(price) = value.checked_div(*q) else {
                        continue;
                    };
                    if price > cost {
                        counts.realized_gains += 1;
                    } else if price < cost {
                        counts.realized_losses += 1;
                    }
                    continue;
                }
                let close = prices
                    .column_index(p.symbol().as_str())
                    .and_then(|c| prices.last_price(c, date));
                match close {
                    Some((_, close)) if close > f(cost) => counts.paper_gains += 1,
                    Some((_, close)) if close < f(cost) => counts.paper_losses += 1,
                    Some(_) => {}
                    None => counts.unpriced += 1,
                }
            }
        }
        for tx in &log[i..j] {
            holdings.apply(tx)?;
        }
        i = j;
    }
    Ok(counts)
}

/// Flags the disposition effect: `PGR − PLR` above `min_difference` (0.05)
/// over at least `min_sell_days` (10) sale days, from the whole history up to
/// `as_of` (see [`DispositionCounts`]). Silent while either ratio is
/// undefined. One warning nudge, subject `null`. A history with no sales has
/// no sale days and never produces one.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] for a bad `config`.
pub fn disposition_effect(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    as_of: NaiveDate,
    config: &DispositionConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    let c = disposition_counts(portfolio, prices, as_of)?;
    let (Some(pgr), Some(plr)) = (c.pgr(), c.plr()) else {
        return Ok(Vec::new());
    };
    let de = pgr - plr;
    if c.sell_days < config.min_sell_days as usize || de <= config.min_difference {
        return Ok(Vec::new());
    }
    Ok(vec![Nudge::new(
        NudgeKind::DispositionEffect,
        Severity::Warning,
        None,
        "You tend to sell winners and keep losers",
        format!(
            "On the {} days you sold something, you cashed in {} of the gains you could have \
             taken but only {} of the losses (PGR − PLR = {de:.2}). This is the disposition \
             effect, first measured by Terrance Odean in 1998: selling a winner feels like \
             proof you were right, while selling a loser means admitting a mistake, so losers \
             are held hoping to get even. Whether a position is up or down since you bought it \
             says nothing about where it goes next, and realising gains early while keeping \
             losses can raise your tax bill.",
            c.sell_days,
            pct(pgr),
            pct(plr)
        ),
        "Before each sale, ask whether you would buy this holding today at today's price; \
         decide by your plan and target weights, not by your purchase price.",
        json!({
            "pgr": r6(pgr),
            "plr": r6(plr),
            "difference": r6(de),
            "sell_days": c.sell_days,
            "realized_gains": c.realized_gains,
            "realized_losses": c.realized_losses,
            "paper_gains": c.paper_gains,
            "paper_losses": c.paper_losses,
            "unpriced": c.unpriced,
            "min_difference": config.min_difference,
            "min_sell_days": config.min_sell_days,
        }),
    )])
}

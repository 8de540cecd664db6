//! Falls of the whole portfolio: the check-in after a drop since the last
//! visit, and whether the investor held on through the deepest drawdown.

use auravest_core::{
    Error as CoreError, NaiveDate, Portfolio, PriceFrame, TransactionKind, ValueSeries, stats,
};
use serde::Serialize;
use serde_json::json;

use crate::config::DrawdownConfig;
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};
use crate::{Error, Result};

/// The portfolio's value series, or `None` when it holds nothing in the period.
fn series(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<ValueSeries>> {
    match portfolio.value_series(prices, from, to) {
        Ok(s) => Ok(Some(s)),
        Err(CoreError::InvalidPeriod { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Flags a time-weighted return from `last_visit` to `as_of` of `−min_fall`
/// (−10%) or worse, so deposits and withdrawals never count as a fall.
/// Warning; critical at twice `min_fall`. One nudge, subject `null`: stick
/// to the long-term plan, consider rebalancing.
///
/// # Errors
/// [`Error::LastVisitAfterAsOf`]; [`crate::Error::InvalidThreshold`] for a
/// bad `config`; `auravest_core` errors for held symbols without prices.
pub fn drawdown_checkin(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    last_visit: NaiveDate,
    as_of: NaiveDate,
    config: &DrawdownConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    if last_visit > as_of {
        return Err(Error::LastVisitAfterAsOf { last_visit, as_of });
    }
    let Some(s) = series(portfolio, prices, last_visit, as_of)? else {
        return Ok(Vec::new());
    };
    let twr = s.time_weighted_return();
    if twr > -config.min_fall {
        return Ok(Vec::new());
    }
    let severity = if twr <= -2.0 * config.min_fall {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let (first, last) = (&s.points[0], &s.points[s.points.len() - 1]);
    Ok(vec![Nudge::new(
        NudgeKind::DrawdownCheckin,
        severity,
        None,
        format!("Your portfolio is down {} since your last visit", pct(-twr)),
        format!(
            "Since {} your investments have lost {} (not counting money you added or took \
             out). Falls of 10% or more are a normal, recurring part of owning shares, and \
             broad markets have always recovered from them in the past, though never on a \
             schedule. What hurts long-term results most is usually not the fall itself but \
             selling during it and missing the recovery.",
            first.date,
            pct(-twr)
        ),
        "Stick to your long-term plan. If the fall has pushed your mix outside its band, \
         consider rebalancing toward your target instead of selling; if you will need the \
         money soon, revisit your plan calmly rather than in the moment.",
        json!({
            "from": first.date,
            "to": last.date,
            "return": r6(twr),
            "value_then": first.value,
            "value_now": last.value,
            "min_fall": config.min_fall,
        }),
    )])
}

/// The deepest drawdown of the portfolio, when the investor sold nothing
/// from its peak until its recovery (or `as_of`, if not yet recovered).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeldDrawdown {
    /// The fall, as a positive fraction.
    pub depth: f64,
    /// The peak before it.
    pub peak: NaiveDate,
    /// The lowest point.
    pub trough: NaiveDate,
    /// First day back at the peak, if reached by `as_of`.
    pub recovery: Option<NaiveDate>,
}

/// Whether the portfolio went through a time-weighted drawdown of at least
/// `min_fall` (10%) with no sale between its peak and its recovery (or
/// `as_of`). Only the deepest drawdown since the first transaction is
/// examined.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] for a bad `config`; `auravest_core`
/// errors for held symbols without prices.
pub fn held_through_drawdown(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    as_of: NaiveDate,
    config: &DrawdownConfig,
) -> Result<Option<HeldDrawdown>> {
    config.validate()?;
    let Some(first) = portfolio.transactions().first().map(|t| t.date) else {
        return Ok(None);
    };
    if first > as_of {
        return Ok(None);
    }
    let Some(s) = series(portfolio, prices, first, as_of)? else {
        return Ok(None);
    };
    let dd = stats::max_drawdown(&s.daily_returns());
    if dd.value > -config.min_fall {
        return Ok(None);
    }
    let end = dd.recovery.unwrap_or(as_of);
    let sold = portfolio.transactions().iter().any(|t| {
        matches!(t.kind, TransactionKind::Sell { .. }) && t.date > dd.peak && t.date <= end
    });
    Ok((!sold).then_some(HeldDrawdown {
        depth: -dd.value,
        peak: dd.peak,
        trough: dd.trough,
        recovery: dd.recovery,
    }))
}

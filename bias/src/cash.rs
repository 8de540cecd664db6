//! Cash drag: more idle cash than the plan calls for.

use auravest_core::Valuation;
use serde_json::json;

use crate::Result;
use crate::config::CashConfig;
use crate::drift::TargetAllocation;
use crate::market::{f, money};
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};

/// Flags cash (uninvested money, not money-market funds) above the target's
/// cash share (0 without a target) plus `margin` (10 points). Info; warning
/// when the cash share exceeds that limit by `warning_excess` (25 points) or
/// more. The evidence estimates the yearly cost as the excess over the
/// target times `expected_return − cash_return` (5% − 0%). One nudge, subject
/// `null`.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] for a bad `config`.
pub fn cash_drag(
    valuation: &Valuation,
    target: Option<&TargetAllocation>,
    config: &CashConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    let total = f(valuation.value);
    if total <= 0.0 {
        return Ok(Vec::new());
    }
    let cash = f(valuation.cash);
    let weight = cash / total;
    let target_cash = target.map_or(0.0, TargetAllocation::cash_share);
    let limit = target_cash + config.margin;
    if weight <= limit {
        return Ok(Vec::new());
    }
    let excess = (weight - target_cash) * total;
    let yearly_cost = excess * (config.expected_return - config.cash_return);
    let severity = if weight - limit >= config.warning_excess {
        Severity::Warning
    } else {
        Severity::Info
    };
    Ok(vec![Nudge::new(
        NudgeKind::CashDrag,
        severity,
        None,
        format!("{} of your portfolio is sitting in cash", pct(weight)),
        format!(
            "You hold {} {} in cash, {} of the portfolio, against {} your plan keeps in cash. \
             Cash feels safe, but over years it tends to earn less than inflation, and money \
             waiting for the perfect moment often misses the market's best days. If the extra \
             {} were invested at an assumed {} a year instead of earning {}, it could earn \
             about {} more a year. This drag adds up quietly through compounding.",
            valuation.cash.round_dp(2),
            valuation.base_currency,
            pct(weight),
            pct(target_cash),
            money(excess),
            pct(config.expected_return),
            pct(config.cash_return),
            money(yearly_cost)
        ),
        "Decide what the cash is for: keep an emergency fund and money needed soon aside, \
         and consider investing the rest per your target allocation, at once or in a few \
         scheduled steps.",
        json!({
            "cash": valuation.cash,
            "cash_weight": r6(weight),
            "target_cash": r6(target_cash),
            "limit": r6(limit),
            "excess": money(excess),
            "estimated_yearly_cost": money(yearly_cost),
            "expected_return": config.expected_return,
            "cash_return": config.cash_return,
        }),
    )])
}

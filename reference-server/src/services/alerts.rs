//! Price alerts: after each refresh the rules on the refreshed symbols are
//! checked against the new quotes by the SDK's rule
//! (`auravest_social::AlertRule::step`). A rule that fires is disarmed in
//! one conditional update before its notification is sent, so it fires once
//! even when two refreshers check it together; it is re-armed once its
//! condition is false again.

use std::collections::BTreeMap;
use std::str::FromStr as _;

use auravest_social::{AlertCondition, AlertQuote, AlertRule, AlertStep, Symbol};
use chrono::{DateTime, Duration as Days, Utc};
use rust_decimal::Decimal;

use serde::Serialize;
use uuid::Uuid;

use crate::error::AppResult;
use crate::prices::RefreshedQuote;
use crate::state::AppState;
use crate::store::AlertRow;

/// What a check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertsChecked {
    /// Rules checked.
    pub checked: usize,
    /// Alerts delivered.
    pub fired: usize,
    /// Rules armed again.
    pub rearmed: usize,
}

/// An alert rule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    /// Id.
    pub id: Uuid,
    /// Ticker.
    pub symbol: String,
    /// The condition.
    pub condition: AlertCondition,
    /// What it waits for, in words.
    pub description: String,
    /// Whether it can fire now (false once it fired, until the condition
    /// resets).
    pub armed: bool,
    /// When it was set (RFC 3339).
    pub created_at: String,
    /// When it last fired (RFC 3339).
    pub fired_at: Option<String>,
}

/// A stored rule as sent (`None` for a row that no longer reads).
pub fn alert_view(row: &AlertRow) -> Option<AlertView> {
    let rule = rule_of(row)?;
    Some(AlertView {
        id: row.id,
        description: rule.description(),
        symbol: row.symbol.clone(),
        condition: rule.condition,
        armed: row.armed,
        created_at: row.created_at.to_rfc3339(),
        fired_at: row.fired_at.map(|t| t.to_rfc3339()),
    })
}

/// A stored rule as the SDK's rule (`None` for a row that no longer reads;
/// it was checked when it was set).
pub fn rule_of(row: &AlertRow) -> Option<AlertRule> {
    let condition: AlertCondition = serde_json::from_str(&row.condition).ok()?;
    Some(AlertRule {
        symbol: Symbol::new(&row.symbol).ok()?,
        condition,
    })
}

/// The last stored close before `day`, for daily moves.
async fn previous_close(
    state: &AppState,
    symbol: &str,
    day: chrono::NaiveDate,
) -> AppResult<Option<Decimal>> {
    let from = day - Days::days(10);
    let to = day - Days::days(1);
    let closes = state
        .store
        .closes(&[symbol.to_owned()], Some(from), Some(to))
        .await?;
    Ok(closes.last().and_then(|c| Decimal::from_str(&c.close).ok()))
}

/// Checks the rules on the symbols of `quotes` and delivers what fires.
///
/// # Errors
/// The store failing; a delivery that fails re-arms its rule, so the
/// alert is tried again on the next refresh.
pub async fn check(
    state: &AppState,
    quotes: &BTreeMap<String, RefreshedQuote>,
    now: DateTime<Utc>,
) -> AppResult<AlertsChecked> {
    let mut out = AlertsChecked::default();
    if quotes.is_empty() {
        return Ok(out);
    }
    let symbols: Vec<String> = quotes.keys().cloned().collect();
    let rows = state.store.alerts_on(&symbols).await?;
    let mut previous: BTreeMap<String, Option<Decimal>> = BTreeMap::new();
    // Each user's plan decides which of their rules run: a plan without
    // daily moves pauses those, and only the plan's number of rules (the
    // oldest) run, so a user moved to a smaller plan keeps their rules but
    // only the plan's share fires.
    let mut allowed: BTreeMap<Uuid, (crate::plans::Plan, std::collections::HashSet<Uuid>)> =
        BTreeMap::new();
    for row in rows {
        let (Some(rule), Some(q)) = (rule_of(&row), quotes.get(&row.symbol)) else {
            continue;
        };
        if let std::collections::btree_map::Entry::Vacant(slot) = allowed.entry(row.user_id) {
            let plan = crate::plans::plan_of(state, row.user_id).await?;
            let first: std::collections::HashSet<Uuid> = state
                .store
                .alerts(row.user_id)
                .await?
                .iter()
                .take(plan.alert_rules)
                .map(|r| r.id)
                .collect();
            slot.insert((plan, first));
        }
        let Some((plan, first)) = allowed.get(&row.user_id) else {
            continue;
        };
        let paused = !first.contains(&row.id)
            || (matches!(rule.condition, AlertCondition::Moved { .. })
                && !plan.allows(crate::plans::Feature::DailyMoveAlerts));
        if paused {
            continue;
        }
        let Ok(price) = Decimal::from_str(&q.price) else {
            continue;
        };
        let previous_close = match previous.get(&row.symbol) {
            Some(p) => *p,
            None => {
                let p = previous_close(state, &row.symbol, q.market_time.date_naive()).await?;
                previous.insert(row.symbol.clone(), p);
                p
            }
        };
        let quote = AlertQuote {
            price,
            previous_close,
            source: q.source.clone(),
            as_of: q.market_time,
        };
        out.checked += 1;
        match rule.step(row.armed, &quote, now) {
            AlertStep::Fire(alert) => {
                // Claimed first: only the caller that disarms it delivers.
                if !state
                    .store
                    .set_alert_armed(row.id, true, false, None)
                    .await?
                {
                    continue;
                }
                match crate::services::community::notify_price_alert(state, row.user_id, alert, now)
                    .await
                {
                    Ok(()) => {
                        // Marked fired once it was delivered.
                        state
                            .store
                            .set_alert_armed(row.id, false, false, Some(now))
                            .await?;
                        out.fired += 1;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, rule = %row.id, "price alert not delivered; re-armed");
                        state
                            .store
                            .set_alert_armed(row.id, false, true, None)
                            .await?;
                    }
                }
            }
            AlertStep::Rearm => {
                if state
                    .store
                    .set_alert_armed(row.id, false, true, None)
                    .await?
                {
                    out.rearmed += 1;
                }
            }
            AlertStep::Stay => {}
        }
    }
    Ok(out)
}

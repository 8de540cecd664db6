//! Price alert rules: "tell me when $AAPL rises above 200", "... falls
//! below 150", "... moves 5% in a day". A rule is checked against each new
//! delayed quote; it fires once when its condition becomes true, then stays
//! quiet until the condition is false again (re-armed), so a price that
//! hovers above a threshold is one alert, not one per refresh.
//!
//! The rule is pure: the embedder keeps each rule's `armed` flag and
//! stores the new one in the same step as it delivers the alert (the
//! reference server claims it with one conditional update, so two
//! refreshers cannot both deliver it).

use auravest_core::Decimal;
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::notification::{AlertCondition, PriceAlert};
use auravest_core::Symbol;

/// The largest daily move a rule may ask for, in percent either way.
pub const MAX_MOVE_PERCENT: i64 = 100;

/// A quote as an alert rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertQuote {
    /// The last price.
    pub price: Decimal,
    /// The previous session's close, for daily moves (`None` when the
    /// source did not say: a move rule is then not checked).
    pub previous_close: Option<Decimal>,
    /// Where the quote came from (`yahoo`, `stooq`, `sample`, ...).
    pub source: String,
    /// When the market printed it (quotes are delayed).
    pub as_of: DateTime<Utc>,
}

impl AlertQuote {
    /// The move since the previous close, in percent.
    pub fn day_move_percent(&self) -> Option<Decimal> {
        let prev = self.previous_close.filter(|p| !p.is_zero())?;
        Some((self.price - prev) / prev * Decimal::ONE_HUNDRED)
    }
}

/// A rule on one symbol.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlertRule {
    /// The ticker.
    pub symbol: Symbol,
    /// When it fires.
    pub condition: AlertCondition,
}

/// What checking a rule against a quote decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertStep {
    /// The condition became true while armed: deliver this alert and
    /// disarm the rule.
    Fire(PriceAlert),
    /// The condition is false again: arm the rule.
    Rearm,
    /// Nothing changes (armed and not met, disarmed and still met, or a
    /// move rule without a previous close).
    Stay,
}

impl AlertRule {
    /// A rule, checked: thresholds above zero; a daily move other than
    /// zero and within ±[`MAX_MOVE_PERCENT`]%.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `threshold` or `percent`.
    pub fn new(symbol: Symbol, condition: AlertCondition) -> Result<Self> {
        match condition {
            AlertCondition::Above { threshold } | AlertCondition::Below { threshold } => {
                if threshold <= Decimal::ZERO {
                    return Err(Error::invalid(
                        "threshold",
                        format!("must be above zero, got {threshold}"),
                    ));
                }
            }
            AlertCondition::Moved { percent } => {
                if percent.is_zero() || percent.abs() > Decimal::from(MAX_MOVE_PERCENT) {
                    return Err(Error::invalid(
                        "percent",
                        format!(
                            "must be a move other than 0 within ±{MAX_MOVE_PERCENT}%, got {percent}"
                        ),
                    ));
                }
            }
        }
        Ok(Self { symbol, condition })
    }

    /// What the rule waits for, in words: `$AAPL rises above 200`, `$AAPL
    /// falls 5% or more in a day`.
    pub fn description(&self) -> String {
        let s = &self.symbol;
        match self.condition {
            AlertCondition::Above { threshold } => format!("${s} rises above {threshold}"),
            AlertCondition::Below { threshold } => format!("${s} falls below {threshold}"),
            AlertCondition::Moved { percent } if percent.is_sign_negative() => {
                format!("${s} falls {}% or more in a day", percent.abs())
            }
            AlertCondition::Moved { percent } => {
                format!("${s} rises {percent}% or more in a day")
            }
        }
    }

    /// Is the condition true at `quote`? `None` for a move rule when the
    /// quote has no previous close.
    pub fn met(&self, quote: &AlertQuote) -> Option<bool> {
        Some(match self.condition {
            AlertCondition::Above { threshold } => quote.price > threshold,
            AlertCondition::Below { threshold } => quote.price < threshold,
            AlertCondition::Moved { percent } => {
                let moved = quote.day_move_percent()?;
                if percent.is_sign_negative() {
                    moved <= percent
                } else {
                    moved >= percent
                }
            }
        })
    }

    /// What to do with a rule that is `armed` (or not) at `quote`, checked
    /// at `now` (the alert says how old the quote was).
    pub fn step(&self, armed: bool, quote: &AlertQuote, now: DateTime<Utc>) -> AlertStep {
        match (self.met(quote), armed) {
            (Some(true), true) => AlertStep::Fire(PriceAlert {
                symbol: self.symbol.clone(),
                condition: self.condition,
                price: quote.price,
                source: Some(quote.source.clone()),
                as_of: Some(quote.as_of),
                age_seconds: Some((now - quote.as_of).num_seconds().max(0)),
            }),
            (Some(false), false) => AlertStep::Rearm,
            _ => AlertStep::Stay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(price: i64, prev: Option<i64>) -> AlertQuote {
        AlertQuote {
            price: Decimal::from(price),
            previous_close: prev.map(Decimal::from),
            source: "yahoo".to_owned(),
            as_of: "2026-12-07T14:30:00Z".parse().unwrap(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-07T14:45:00Z".parse().unwrap()
    }

    #[test]
    fn an_alert_says_where_its_price_came_from_and_how_old_it_was() {
        let r = rule(AlertCondition::Above {
            threshold: Decimal::from(200),
        });
        let AlertStep::Fire(alert) = r.step(true, &quote(201, None), now()) else {
            panic!("fires");
        };
        assert_eq!(alert.age_seconds, Some(900));
        let text = crate::NotificationKind::PriceAlert { alert }.sentence();
        assert_eq!(
            text,
            "$AAPL rose above 200 (now 201; yahoo quote of 2026-12-07 14:30 UTC, 15 minutes old)"
        );
    }

    fn rule(condition: AlertCondition) -> AlertRule {
        AlertRule::new(Symbol::new("AAPL").unwrap(), condition).unwrap()
    }

    /// Runs a rule over prices from armed; returns the prices it fired at.
    fn fired_at(r: &AlertRule, prices: &[(i64, Option<i64>)]) -> Vec<i64> {
        let mut armed = true;
        let mut out = Vec::new();
        for &(p, prev) in prices {
            match r.step(armed, &quote(p, prev), now()) {
                AlertStep::Fire(a) => {
                    assert_eq!(a.price, Decimal::from(p));
                    assert_eq!(a.source.as_deref(), Some("yahoo"));
                    armed = false;
                    out.push(p);
                }
                AlertStep::Rearm => armed = true,
                AlertStep::Stay => {}
            }
        }
        out
    }

    #[test]
    fn fires_once_per_crossing_and_rearms_when_it_resets() {
        let above = rule(AlertCondition::Above {
            threshold: Decimal::from(200),
        });
        let prices = [190, 201, 205, 203, 199, 198, 202, 200, 210].map(|p| (p, None));
        assert_eq!(
            fired_at(&above, &prices),
            [201, 202, 210],
            "200 is not above 200: re-armed"
        );
        let below = rule(AlertCondition::Below {
            threshold: Decimal::from(150),
        });
        let prices = [160, 149, 140, 151, 148].map(|p| (p, None));
        assert_eq!(fired_at(&below, &prices), [149, 148]);
        // At the threshold exactly: not above, not below.
        assert_eq!(above.met(&quote(200, None)), Some(false));
        assert_eq!(below.met(&quote(150, None)), Some(false));
    }

    #[test]
    fn daily_moves_need_a_previous_close_and_keep_their_sign() {
        let up = rule(AlertCondition::Moved {
            percent: Decimal::from(5),
        });
        let down = rule(AlertCondition::Moved {
            percent: Decimal::from(-5),
        });
        assert_eq!(up.met(&quote(105, Some(100))), Some(true));
        assert_eq!(up.met(&quote(104, Some(100))), Some(false));
        assert_eq!(
            up.met(&quote(90, Some(100))),
            Some(false),
            "a fall is not a rise"
        );
        assert_eq!(down.met(&quote(95, Some(100))), Some(true));
        assert_eq!(down.met(&quote(110, Some(100))), Some(false));
        assert_eq!(up.met(&quote(105, None)), None);
        assert_eq!(up.step(true, &quote(105, None), now()), AlertStep::Stay);
        assert_eq!(up.met(&quote(105, Some(0))), None);
        // Day after day: fires on each day's move, once.
        let days = [
            (106, Some(100)),
            (107, Some(100)),
            (100, Some(107)),
            (112, Some(100)),
        ];
        assert_eq!(fired_at(&up, &days), [106, 112]);
    }

    #[test]
    fn rules_read_in_words() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        let words = |c| rule(c).description();
        assert_eq!(
            words(AlertCondition::Above {
                threshold: d("200")
            }),
            "$AAPL rises above 200"
        );
        assert_eq!(
            words(AlertCondition::Below {
                threshold: d("150.5")
            }),
            "$AAPL falls below 150.5"
        );
        assert_eq!(
            words(AlertCondition::Moved { percent: d("-5") }),
            "$AAPL falls 5% or more in a day"
        );
        assert_eq!(
            words(AlertCondition::Moved { percent: d("2.5") }),
            "$AAPL rises 2.5% or more in a day"
        );
    }

    #[test]
    fn bad_rules_name_their_field() {
        let sym = || Symbol::new("AAPL").unwrap();
        for (c, field) in [
            (
                AlertCondition::Above {
                    threshold: Decimal::ZERO,
                },
                "threshold",
            ),
            (
                AlertCondition::Below {
                    threshold: Decimal::from(-3),
                },
                "threshold",
            ),
            (
                AlertCondition::Moved {
                    percent: Decimal::ZERO,
                },
                "percent",
            ),
            (
                AlertCondition::Moved {
                    percent: Decimal::from(101),
                },
                "percent",
            ),
            (
                AlertCondition::Moved {
                    percent: Decimal::from(-150),
                },
                "percent",
            ),
        ] {
            let e = AlertRule::new(sym(), c).unwrap_err();
            assert_eq!(e.field(), Some(field), "{e}");
        }
    }
}

//! Goals: a target amount by a date, or a target portfolio value; progress,
//! an on-track projection, and the nudge to set one.

use auravest_core::{Decimal, MAX_INPUT, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::GoalsConfig;
use crate::dates::{add_days, days_between};
use crate::market::{f, money};
use crate::nudge::{Nudge, NudgeKind, Severity};
use crate::{Error, Result};

/// Average days in a month (365.25 / 12).
const DAYS_PER_MONTH: f64 = 30.4375;

/// The longest horizon an undated goal is projected over: 100 years.
pub const MAX_PROJECTION_MONTHS: u32 = 1200;

/// The longest goal name, in characters.
pub const MAX_GOAL_NAME_CHARS: usize = 80;

/// The expected annual returns a goal may assume: -50% to +50% a year. A
/// planning figure outside it is a typo or a promise no portfolio keeps, and
/// the projection built on it would mislead.
pub const GOAL_RETURN_RANGE: std::ops::RangeInclusive<f64> = -0.5..=0.5;

/// One goal, measured against the whole portfolio's value.
///
/// JSON (an array of these is the goals file):
/// `{"name": "House deposit", "target": "60000", "by": "2030-06-30",
/// "monthly_contribution": "500", "expected_return": 0.04}`. `target` and
/// `monthly_contribution` are decimal strings (numbers are accepted too);
/// without `by` the goal is a target portfolio value with no deadline;
/// `monthly_contribution` defaults to 0 and `expected_return` (annual) to
/// [`GoalsConfig::expected_return`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Goal {
    /// What the money is for.
    pub name: String,
    /// The amount to reach, in the portfolio's base currency.
    pub target: Decimal,
    /// The date to reach it by; `None` for a target value without a deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<NaiveDate>,
    /// Money the investor plans to add each month.
    #[serde(default)]
    pub monthly_contribution: Decimal,
    /// Annual return assumed for this goal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_return: Option<f64>,
}

/// A goal as text, the way a form, a file or a binding holds it: the
/// amounts and the date as strings, `None` for a field left out. Read it
/// with [`Goal::parse`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GoalText<'a> {
    /// What the money is for.
    pub name: &'a str,
    /// The amount to reach (a decimal).
    pub target: &'a str,
    /// The date to reach it by (`YYYY-MM-DD`); `None` for a target value.
    pub by: Option<&'a str>,
    /// Money added each month (a decimal); `None` for 0.
    pub monthly_contribution: Option<&'a str>,
    /// Annual return assumed; `None` for [`GoalsConfig::expected_return`].
    pub expected_return: Option<f64>,
}

/// The two kinds of goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GoalKind {
    /// A target amount by a date.
    AmountByDate,
    /// A target portfolio value, no deadline.
    PortfolioValue,
}

impl Goal {
    /// Which kind of goal this is.
    pub fn kind(&self) -> GoalKind {
        if self.by.is_some() {
            GoalKind::AmountByDate
        } else {
            GoalKind::PortfolioValue
        }
    }

    /// Reads a goal from its text as entry `position` (1-based) of a list:
    /// the name trimmed, the amounts by `auravest_core::parse_decimal`
    /// (exponents allowed, nothing rounded), the date by
    /// `auravest_core::parse_date`. The goal's rules (a positive target, a
    /// date after today, ...) are [`Goal::validate`]'s, which needs today.
    ///
    /// # Errors
    /// [`Error::InvalidGoal`] naming the goal's position and the field that
    /// cannot be read (`target`, `by` or `monthly_contribution`).
    pub fn parse(position: usize, text: GoalText<'_>) -> Result<Self> {
        let name = text.name.trim();
        let invalid = |e: auravest_core::Error| Error::InvalidGoal {
            position,
            goal: name.to_owned(),
            field: e.field().unwrap_or("goal"),
            reason: e.reason(),
        };
        let decimal = |field, value| auravest_core::parse_decimal(field, value).map_err(invalid);
        Ok(Self {
            name: name.to_owned(),
            target: decimal("target", text.target)?,
            by: text
                .by
                .map(|by| auravest_core::parse_date("by", by).map_err(invalid))
                .transpose()?,
            monthly_contribution: text
                .monthly_contribution
                .map(|m| decimal("monthly_contribution", m))
                .transpose()?
                .unwrap_or_default(),
            expected_return: text.expected_return,
        })
    }

    /// Checks the goal as entry `position` (1-based) of a list, on `today`.
    ///
    /// # Errors
    /// [`Error::GoalTargetNotPositive`]; [`Error::GoalDateNotInFuture`] when
    /// `by` is today or earlier; [`Error::InvalidGoal`] for an empty name or
    /// one over [`MAX_GOAL_NAME_CHARS`], a target or contribution above
    /// `auravest_core::MAX_INPUT`, a negative contribution, or an expected
    /// return outside [`GOAL_RETURN_RANGE`].
    pub fn validate(&self, position: usize, today: NaiveDate) -> Result<()> {
        let invalid = |field, reason: String| Error::InvalidGoal {
            position,
            goal: self.name.clone(),
            field,
            reason,
        };
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty".to_owned()));
        }
        if self.name.chars().count() > MAX_GOAL_NAME_CHARS {
            return Err(invalid(
                "name",
                format!("must be at most {MAX_GOAL_NAME_CHARS} characters"),
            ));
        }
        if self.target <= Decimal::ZERO {
            return Err(Error::GoalTargetNotPositive {
                position,
                goal: self.name.clone(),
                target: self.target,
            });
        }
        if self.target > MAX_INPUT {
            return Err(invalid(
                "target",
                format!("must be at most {MAX_INPUT}, got {}", self.target),
            ));
        }
        if let Some(by) = self.by.filter(|by| *by <= today) {
            return Err(Error::GoalDateNotInFuture {
                position,
                goal: self.name.clone(),
                by,
                today,
            });
        }
        if self.monthly_contribution < Decimal::ZERO || self.monthly_contribution > MAX_INPUT {
            return Err(invalid(
                "monthly_contribution",
                format!(
                    "must be between 0 and {MAX_INPUT}, got {}",
                    self.monthly_contribution
                ),
            ));
        }
        if let Some(r) = self
            .expected_return
            .filter(|r| !(r.is_finite() && GOAL_RETURN_RANGE.contains(r)))
        {
            return Err(invalid(
                "expected_return",
                format!(
                    "must be an annual return between {} and {}, got {r}",
                    GOAL_RETURN_RANGE.start(),
                    GOAL_RETURN_RANGE.end()
                ),
            ));
        }
        Ok(())
    }

    /// Progress and projection given the portfolio's `current` value.
    ///
    /// Growth compounds monthly at `(1 + r)^(1/12) − 1` with contributions at
    /// each month's end: after `n` months (fractional for dated goals)
    /// `FV = V·(1+i)^n + c·((1+i)^n − 1)/i` (`V + c·n` when `i = 0`). A dated
    /// goal is on track when `FV` at its date reaches the target, and reports
    /// the monthly contribution that would get it there; an undated goal
    /// reports the first month-end it is reached within
    /// [`MAX_PROJECTION_MONTHS`] and is on track when there is one.
    ///
    /// # Errors
    /// As [`Goal::validate`] (as entry 1).
    pub fn progress(
        &self,
        current: Decimal,
        today: NaiveDate,
        config: &GoalsConfig,
    ) -> Result<GoalProgress> {
        self.validate(1, today)?;
        config.validate()?;
        Ok(self.project(current, today, config))
    }

    fn project(&self, current: Decimal, today: NaiveDate, config: &GoalsConfig) -> GoalProgress {
        let r = self.expected_return.unwrap_or(config.expected_return);
        let i = (1.0 + r).powf(1.0 / 12.0) - 1.0;
        let v = f(current).max(0.0);
        let c = f(self.monthly_contribution);
        let target = f(self.target);
        let future = |n: f64| {
            let g = (1.0 + i).powf(n);
            if i.abs() < 1e-12 {
                v + c * n
            } else {
                v * g + c * (g - 1.0) / i
            }
        };
        let (projected, required, projected_date, on_track) = match self.by {
            Some(by) => {
                let n = days_between(today, by) as f64 / DAYS_PER_MONTH;
                let fv = future(n);
                let g = (1.0 + i).powf(n);
                let need = if i.abs() < 1e-12 {
                    (target - v) / n
                } else {
                    (target - v * g) * i / (g - 1.0)
                };
                (
                    Some(money(fv)),
                    Some(money(need.max(0.0))),
                    None,
                    fv >= target,
                )
            }
            None => {
                let months = if v >= target {
                    Some(0)
                } else {
                    (1..=MAX_PROJECTION_MONTHS).find(|m| future(f64::from(*m)) >= target)
                };
                let date =
                    months.map(|m| add_days(today, (f64::from(m) * DAYS_PER_MONTH).round() as i64));
                (None, None, date, date.is_some())
            }
        };
        GoalProgress {
            name: self.name.clone(),
            kind: self.kind(),
            target: self.target,
            by: self.by,
            current,
            progress: if target > 0.0 {
                (v / target).min(1.0)
            } else {
                0.0
            },
            monthly_contribution: self.monthly_contribution,
            expected_return: r,
            on_track,
            projected_value: projected,
            required_monthly_contribution: required,
            projected_date,
        }
    }
}

/// Where a goal stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalProgress {
    /// The goal's name.
    pub name: String,
    /// Amount by a date, or portfolio value.
    pub kind: GoalKind,
    /// The target.
    pub target: Decimal,
    /// The deadline, if any.
    pub by: Option<NaiveDate>,
    /// The portfolio's value today.
    pub current: Decimal,
    /// `current / target`, capped at 1 (1 = reached).
    pub progress: f64,
    /// The planned monthly contribution.
    pub monthly_contribution: Decimal,
    /// The annual return assumed.
    pub expected_return: f64,
    /// Dated goals: whether the projected value at `by` reaches the target.
    /// Undated goals: whether the target is reached within 100 years.
    pub on_track: bool,
    /// Dated goals: the projected value at `by`.
    pub projected_value: Option<Decimal>,
    /// Dated goals: the monthly contribution that would reach the target on time.
    pub required_monthly_contribution: Option<Decimal>,
    /// Undated goals: the month-end the target is projected to be reached.
    pub projected_date: Option<NaiveDate>,
}

/// Validates every goal (positions 1, 2, ...) and projects each against the
/// portfolio's `current` value.
///
/// # Errors
/// The first goal error, with its position; [`Error::InvalidThreshold`] for a
/// bad `config`.
pub fn evaluate_goals(
    goals: &[Goal],
    current: Decimal,
    today: NaiveDate,
    config: &GoalsConfig,
) -> Result<Vec<GoalProgress>> {
    config.validate()?;
    for (i, g) in goals.iter().enumerate() {
        g.validate(i + 1, today)?;
    }
    Ok(goals
        .iter()
        .map(|g| g.project(current, today, config))
        .collect())
}

/// An info nudge (subject `null`) when no goal is set; nothing otherwise.
pub fn set_goal(goals: &[Goal]) -> Vec<Nudge> {
    if !goals.is_empty() {
        return Vec::new();
    }
    vec![Nudge::new(
        NudgeKind::SetGoal,
        Severity::Info,
        None,
        "Set a goal for your investments",
        "You have not set a goal yet. A goal, such as an amount by a date, turns investing \
         from watching prices into working toward something: it tells you how much to save \
         each month, how much risk you need to take, and whether a bad month actually \
         matters for your plan.",
        "Set a goal with a target amount and, if it has one, a date; we will show your \
         progress and whether your contributions keep you on track.",
        json!({"goals": 0}),
    )]
}

//! The one error type of `auravest-bias`.

use auravest_core::{Decimal, NaiveDate, Symbol};

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `auravest-bias`.
///
/// Variants about one field of an input say which through [`Error::field`];
/// goal errors also give the goal's 1-based position in its list through
/// [`Error::position`], so a user interface can point at the input.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A threshold of the configuration is outside its allowed range.
    #[error("{name}: {value} is out of range: expected {expected}")]
    InvalidThreshold {
        /// The setting, as a dotted path such as `concentration.single_holding`.
        name: &'static str,
        /// The value that was given.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// A non-numeric setting of the configuration is unacceptable.
    #[error("{name}: {reason}")]
    InvalidSetting {
        /// The setting, as a dotted path such as `home_bias.home_country`.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A goal's target amount is zero or negative.
    #[error("target: goal {goal:?} needs a target greater than zero, got {target}")]
    GoalTargetNotPositive {
        /// 1-based position of the goal in its list.
        position: usize,
        /// The goal's name.
        goal: String,
        /// The target that was given.
        target: Decimal,
    },
    /// A goal's date is today or already past.
    #[error("by: goal {goal:?} is due on {by}, which is not after today ({today})")]
    GoalDateNotInFuture {
        /// 1-based position of the goal in its list.
        position: usize,
        /// The goal's name.
        goal: String,
        /// The date that was given.
        by: NaiveDate,
        /// The date the check was made against.
        today: NaiveDate,
    },
    /// Any other field of a goal is unacceptable.
    #[error("{field}: goal {goal:?}: {reason}")]
    InvalidGoal {
        /// 1-based position of the goal in its list.
        position: usize,
        /// The goal's name (may be empty when the name is what is wrong).
        goal: String,
        /// The field at fault: `name`, `target`, `by` (a date [`crate::Goal::parse`]
        /// cannot read), `monthly_contribution` or `expected_return`.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The advice guard was asked about a symbol it knows nothing about: not
    /// held, without prices and not in the instrument table.
    #[error("symbol: {symbol} is not held, has no prices and is not a known instrument")]
    UnknownSymbol {
        /// The symbol of the suggestion.
        symbol: Symbol,
    },
    /// The advice guard was asked to check the sale of a symbol that is not held.
    #[error("symbol: cannot check a sale of {symbol}: it is not held")]
    NotHeld {
        /// The symbol of the suggestion.
        symbol: Symbol,
    },
    /// A suggested trade amount is zero or negative.
    #[error("amount: a suggested trade needs an amount greater than zero, got {amount}")]
    InvalidAmount {
        /// The amount that was given.
        amount: Decimal,
    },
    /// A target allocation's weights are not fractions that sum to at most 1.
    #[error("target: {reason}")]
    InvalidTarget {
        /// What is wrong with the weights.
        reason: String,
    },
    /// The named benchmark is not a column of the price data.
    #[error("benchmark: no price column named {name:?}; columns are: {}", available.join(", "))]
    UnknownBenchmark {
        /// The column that was asked for.
        name: String,
        /// The columns that exist.
        available: Vec<String>,
    },
    /// The last visit is after the analysis date.
    #[error("last_visit: {last_visit} is after the analysis date {as_of}")]
    LastVisitAfterAsOf {
        /// The last visit.
        last_visit: NaiveDate,
        /// The analysis date.
        as_of: NaiveDate,
    },
    /// A portfolio or price computation of `auravest-core` failed (for
    /// example a held symbol without a price on a date a detector needs).
    #[error(transparent)]
    Core(#[from] auravest_core::Error),
}

impl Error {
    /// The variant's name in snake_case (`invalid_field`, `oversold`, ...):
    /// a stable code for bindings and clients to branch on.
    /// A wrapped `auravest-core` error answers with its own kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidThreshold { .. } => "invalid_threshold",
            Self::InvalidSetting { .. } => "invalid_setting",
            Self::GoalTargetNotPositive { .. } => "goal_target_not_positive",
            Self::GoalDateNotInFuture { .. } => "goal_date_not_in_future",
            Self::InvalidGoal { .. } => "invalid_goal",
            Self::UnknownSymbol { .. } => "unknown_symbol",
            Self::NotHeld { .. } => "not_held",
            Self::InvalidAmount { .. } => "invalid_amount",
            Self::InvalidTarget { .. } => "invalid_target",
            Self::UnknownBenchmark { .. } => "unknown_benchmark",
            Self::LastVisitAfterAsOf { .. } => "last_visit_after_as_of",
            Self::Core(e) => e.kind(),
        }
    }

    /// The input field this error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidThreshold { name, .. } | Self::InvalidSetting { name, .. } => Some(name),
            Self::GoalTargetNotPositive { .. } => Some("target"),
            Self::GoalDateNotInFuture { .. } => Some("by"),
            Self::InvalidGoal { field, .. } => Some(field),
            Self::UnknownSymbol { .. } | Self::NotHeld { .. } => Some("symbol"),
            Self::InvalidAmount { .. } => Some("amount"),
            Self::InvalidTarget { .. } => Some("target"),
            Self::UnknownBenchmark { .. } => Some("benchmark"),
            Self::LastVisitAfterAsOf { .. } => Some("last_visit"),
            Self::Core(e) => e.field(),
        }
    }

    /// The 1-based position of the goal at fault, for goal errors.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::GoalTargetNotPositive { position, .. }
            | Self::GoalDateNotInFuture { position, .. }
            | Self::InvalidGoal { position, .. } => Some(*position),
            _ => None,
        }
    }

    /// The message without its leading `field: ` prefix, for
    /// `FILE:LINE: field: reason` reports.
    pub fn reason(&self) -> String {
        let text = self.to_string();
        match self.field() {
            Some(field) => text
                .strip_prefix(field)
                .and_then(|rest| rest.strip_prefix(": "))
                .map_or_else(|| text.clone(), ToOwned::to_owned),
            None => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_strips_the_field_prefix() {
        let e = Error::GoalTargetNotPositive {
            position: 2,
            goal: "house".to_owned(),
            target: Decimal::from(-5),
        };
        assert_eq!(e.field(), Some("target"));
        assert_eq!(e.position(), Some(2));
        assert_eq!(
            e.reason(),
            "goal \"house\" needs a target greater than zero, got -5"
        );
        let t = Error::InvalidThreshold {
            name: "panic.min_fall",
            value: 2.0,
            expected: "a fraction in (0, 1)",
        };
        assert_eq!(
            t.reason(),
            "2 is out of range: expected a fraction in (0, 1)"
        );
    }
}

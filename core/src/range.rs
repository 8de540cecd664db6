//! Trailing windows ending at an as-of date (`1m`, `ytd`, `1y`, `max`, ...):
//! the one vocabulary the performance page, the benchmark comparison and
//! the assistant's tools share.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike as _, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A window ending at an as-of date.
///
/// ```
/// use auravest_core::{NaiveDate, Range};
/// let as_of: NaiveDate = "2024-03-31".parse().unwrap();
/// let opened: NaiveDate = "2023-11-15".parse().unwrap();
/// let r: Range = "1y".parse()?;
/// assert_eq!(r.start(as_of), "2023-03-31".parse().ok());
/// // Never before the first trade: the window is cut to the history there is.
/// assert_eq!(r.start_within(as_of, opened), opened);
/// assert_eq!(Range::Ytd.start_within(as_of, opened).to_string(), "2024-01-01");
/// assert!("2w".parse::<Range>().is_err());
/// # Ok::<(), auravest_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Range {
    /// One month.
    #[serde(rename = "1m")]
    M1,
    /// Three months.
    #[serde(rename = "3m")]
    M3,
    /// Six months.
    #[serde(rename = "6m")]
    M6,
    /// Since 1 January of the as-of date's year.
    #[serde(rename = "ytd")]
    Ytd,
    /// One year.
    #[serde(rename = "1y")]
    Y1,
    /// Three years.
    #[serde(rename = "3y")]
    Y3,
    /// Five years.
    #[serde(rename = "5y")]
    Y5,
    /// All the history there is.
    #[serde(rename = "max")]
    Max,
}

impl Range {
    /// Every window, shortest first.
    pub const ALL: [Self; 8] = [
        Self::M1,
        Self::M3,
        Self::M6,
        Self::Ytd,
        Self::Y1,
        Self::Y3,
        Self::Y5,
        Self::Max,
    ];

    /// The wire name (`1m`, `ytd`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M3 => "3m",
            Self::M6 => "6m",
            Self::Ytd => "ytd",
            Self::Y1 => "1y",
            Self::Y3 => "3y",
            Self::Y5 => "5y",
            Self::Max => "max",
        }
    }

    /// The first day of the window ending at `as_of`; `None` for
    /// [`Range::Max`] (it starts wherever the history does).
    pub fn start(self, as_of: NaiveDate) -> Option<NaiveDate> {
        let months = |m| as_of.checked_sub_months(Months::new(m));
        match self {
            Self::M1 => months(1),
            Self::M3 => months(3),
            Self::M6 => months(6),
            Self::Ytd => NaiveDate::from_ymd_opt(as_of.year(), 1, 1),
            Self::Y1 => months(12),
            Self::Y3 => months(36),
            Self::Y5 => months(60),
            Self::Max => None,
        }
    }

    /// The first day of the window, cut to a history that begins on
    /// `first`: a window reaching further back starts at `first`.
    pub fn start_within(self, as_of: NaiveDate, first: NaiveDate) -> NaiveDate {
        self.start(as_of).unwrap_or(first).max(first)
    }

    /// Words for sentences ("over the last month").
    pub fn phrase(self) -> &'static str {
        match self {
            Self::M1 => "over the last month",
            Self::M3 => "over the last 3 months",
            Self::M6 => "over the last 6 months",
            Self::Ytd => "so far this year",
            Self::Y1 => "over the last year",
            Self::Y3 => "over the last 3 years",
            Self::Y5 => "over the last 5 years",
            Self::Max => "over all the available history",
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Range {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::InvalidField {
                field: "range",
                reason: format!(
                    "{:?} is not one of 1m, 3m, 6m, ytd, 1y, 3y, 5y, max",
                    wanted.chars().take(16).collect::<String>()
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn names_round_trip_through_text_and_json() {
        for r in Range::ALL {
            assert_eq!(r.as_str().parse::<Range>().unwrap(), r);
            assert_eq!(r.to_string().to_uppercase().parse::<Range>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Range>(&json).unwrap(), r);
        }
        let e = "10y".parse::<Range>().unwrap_err().to_string();
        assert!(e.starts_with("range: \"10y\" is not one of"), "{e}");
    }

    #[test]
    fn windows_end_at_the_as_of_date_and_stay_within_the_history() {
        let as_of = d("2024-05-31");
        assert_eq!(Range::M1.start(as_of), Some(d("2024-04-30")));
        assert_eq!(Range::M3.start(as_of), Some(d("2024-02-29")));
        assert_eq!(Range::Y5.start(as_of), Some(d("2019-05-31")));
        assert_eq!(Range::Max.start(as_of), None);
        let first = d("2022-01-10");
        assert_eq!(Range::Y3.start_within(as_of, first), first);
        assert_eq!(Range::Max.start_within(as_of, first), first);
        assert_eq!(Range::Ytd.start_within(as_of, first), d("2024-01-01"));
        // Near the smallest date chrono knows, the window is cut, not a panic.
        let early = NaiveDate::MIN;
        assert_eq!(Range::Y5.start_within(early, early), early);
    }
}

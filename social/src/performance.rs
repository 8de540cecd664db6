//! Performance shares built from percentages only.
//!
//! A [`PerformanceShare`] holds a period, a percentage return and an optional
//! risk band, and nothing else: there is no field an amount could go in.
//! Returns follow eToro's convention of percentages only; monthly figures
//! compound into a yearly one with [`compound_percent`].

use std::fmt;

use std::str::FromStr;

use auravest_core::Decimal;
use chrono::{Month, NaiveDate};

use crate::{Error, Result};

/// The lowest return that can be shared: everything lost.
pub const MIN_RETURN_PCT: i64 = -100;
/// The highest return that can be shared (a hundredfold gain, +9 900%).
pub const MAX_RETURN_PCT: i64 = 9_900;

use auravest_risk::RiskCategory;

/// The period a return covers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Period {
    /// A calendar month; `month` is 1–12.
    Month {
        /// The year.
        year: i32,
        /// The month, 1–12.
        month: u32,
    },
    /// A calendar year.
    Year {
        /// The year.
        year: i32,
    },
}

impl Period {
    /// Checks the month and the year (1900–2200).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on field `period` when the month is not 1–12 or
    /// the year is out of range.
    pub fn validate(self) -> Result<Self> {
        let year = match self {
            Self::Month { year, month } => {
                if !(1..=12).contains(&month) {
                    return Err(Error::invalid(
                        "period",
                        format!("month {month} is not 1-12"),
                    ));
                }
                year
            }
            Self::Year { year } => year,
        };
        if !(1900..=2200).contains(&year) {
            return Err(Error::invalid(
                "period",
                format!("year {year} is out of range"),
            ));
        }
        Ok(self)
    }
}

impl Period {
    /// The first day of the period.
    ///
    /// # Errors
    /// As [`Period::validate`].
    pub fn first_day(self) -> Result<NaiveDate> {
        let (year, month) = match self.validate()? {
            Self::Month { year, month } => (year, month),
            Self::Year { year } => (year, 1),
        };
        NaiveDate::from_ymd_opt(year, month, 1)
            .ok_or_else(|| Error::invalid("period", format!("{self} has no first day")))
    }

    /// The last day of the period.
    ///
    /// # Errors
    /// As [`Period::validate`].
    pub fn last_day(self) -> Result<NaiveDate> {
        let next = match self.validate()? {
            Self::Month { year, month: 12 } | Self::Year { year } => {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            }
            Self::Month { year, month } => NaiveDate::from_ymd_opt(year, month + 1, 1),
        };
        next.and_then(|d| d.pred_opt())
            .ok_or_else(|| Error::invalid("period", format!("{self} has no last day")))
    }
}

impl FromStr for Period {
    type Err = Error;

    /// `2024-07` (a month) or `2024` (a year), validated.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "period",
                format!("{s:?} is not a month (YYYY-MM) or a year (YYYY)"),
            )
        };
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        let period = match s.split_once('-') {
            Some((y, m)) if digits(y, 4) && digits(m, 2) => Self::Month {
                year: y.parse().map_err(|_| bad())?,
                month: m.parse().map_err(|_| bad())?,
            },
            None if digits(s, 4) => Self::Year {
                year: s.parse().map_err(|_| bad())?,
            },
            _ => return Err(bad()),
        };
        period.validate()
    }
}

impl fmt::Display for Period {
    /// `July 2024` or `2024`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month { year, month } => {
                let name = u8::try_from(*month)
                    .ok()
                    .and_then(|m| Month::try_from(m).ok())
                    .map_or("?", |m| m.name());
                write!(f, "{name} {year}")
            }
            Self::Year { year } => write!(f, "{year}"),
        }
    }
}

/// A return to share: a period, a percentage and optionally the risk band of
/// the portfolio that earned it.
///
/// ```
/// use auravest_social::{Decimal, Period, PerformanceShare, RiskCategory};
/// let share = PerformanceShare::new(
///     Period::Month { year: 2024, month: 7 },
///     Decimal::new(32, 1), // 3.2 (%)
///     Some(RiskCategory::Moderate),
/// )?;
/// assert_eq!(share.text(), "+3.2% in July 2024 with a Moderate risk portfolio");
/// # Ok::<(), auravest_social::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PerformanceShare {
    /// The period.
    pub period: Period,
    /// The return in percent, rounded to one decimal place.
    pub return_pct: Decimal,
    /// The risk band of the portfolio, when the member adds it.
    pub risk: Option<RiskCategory>,
}

/// Checks a percentage return and rounds it to one decimal place.
pub(crate) fn checked_percent(return_pct: Decimal) -> Result<Decimal> {
    if return_pct < Decimal::from(MIN_RETURN_PCT) || return_pct > Decimal::from(MAX_RETURN_PCT) {
        return Err(Error::invalid(
            "return_pct",
            format!("{return_pct}% is outside {MIN_RETURN_PCT}%..{MAX_RETURN_PCT}%"),
        ));
    }
    // Halves round away from zero (-12.05 gives -12.1), as people round by hand.
    let tenths = return_pct * Decimal::TEN;
    let whole = tenths.trunc();
    let step = if (tenths - whole).abs() >= Decimal::new(5, 1) {
        if tenths.is_sign_negative() {
            -Decimal::ONE
        } else {
            Decimal::ONE
        }
    } else {
        Decimal::ZERO
    };
    let rounded = ((whole + step) / Decimal::TEN).round_dp(1);
    Ok(if rounded.is_zero() {
        Decimal::ZERO
    } else {
        rounded
    })
}

/// `+3.2%`, `-0.4%`, `+0.0%`.
pub(crate) fn format_percent(pct: Decimal) -> String {
    let sign = if pct.is_sign_negative() && !pct.is_zero() {
        ""
    } else {
        "+"
    };
    format!("{sign}{pct:.1}%")
}

impl PerformanceShare {
    /// Makes a share; the return is rounded to one decimal place.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the period is invalid or the return is
    /// outside [`MIN_RETURN_PCT`]..=[`MAX_RETURN_PCT`].
    pub fn new(period: Period, return_pct: Decimal, risk: Option<RiskCategory>) -> Result<Self> {
        Ok(Self {
            period: period.validate()?,
            return_pct: checked_percent(return_pct)?,
            risk,
        })
    }

    /// The sentence posted for this share:
    /// `+3.2% in July 2024 with a Moderate risk portfolio`.
    pub fn text(&self) -> String {
        let mut text = format!("{} in {}", format_percent(self.return_pct), self.period);
        if let Some(risk) = self.risk {
            let article = if risk == RiskCategory::Aggressive {
                "an"
            } else {
                "a"
            };
            text.push_str(&format!(" with {article} {} risk portfolio", risk.label()));
        }
        text
    }
}

/// Compounds percentage returns: `(Π(1 + rᵢ/100) − 1) × 100`, so twelve
/// monthly figures give the year's figure (eToro's yearly returns are the
/// monthly ones compounded). `None` when the product overflows a decimal.
///
/// ```
/// use auravest_social::{compound_percent, Decimal};
/// let year = compound_percent(&[Decimal::from(10), Decimal::from(-10)]);
/// assert_eq!(year, Some(Decimal::from(-1))); // 1.1 × 0.9 = 0.99
/// assert_eq!(compound_percent(&[]), Some(Decimal::ZERO));
/// ```
pub fn compound_percent(returns_pct: &[Decimal]) -> Option<Decimal> {
    let hundred = Decimal::ONE_HUNDRED;
    let growth = returns_pct.iter().try_fold(Decimal::ONE, |acc, r| {
        let factor = Decimal::ONE.checked_add(r.checked_div(hundred)?)?;
        acc.checked_mul(factor)
    })?;
    Some(
        growth
            .checked_sub(Decimal::ONE)?
            .checked_mul(hundred)?
            .normalize(),
    )
}

/// [`compound_percent`] of percentages given as text (`["1.5", "-0.4"]`),
/// each read by `auravest_core::parse_decimal` (exponents allowed, nothing
/// rounded). `Ok(None)` when the product overflows a decimal.
///
/// ```
/// use auravest_social::{compound_percent_text, Decimal, Error};
/// assert_eq!(compound_percent_text(&["10", "-10"]), Ok(Some(Decimal::from(-1))));
/// let e = compound_percent_text(&["10", "ten"]).unwrap_err();
/// assert!(matches!(e, Error::InvalidEntry { index: 1, ref value, .. } if value == "ten"));
/// ```
///
/// # Errors
/// [`Error::InvalidEntry`] for the first entry that is not a decimal,
/// naming the list (`returns_pct`), its index and its text.
pub fn compound_percent_text<S: AsRef<str>>(returns_pct: &[S]) -> Result<Option<Decimal>> {
    let values = returns_pct
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let text = text.as_ref();
            auravest_core::parse_decimal("returns_pct", text).map_err(|e| Error::InvalidEntry {
                field: "returns_pct",
                index,
                value: auravest_core::shown(text),
                reason: e.reason(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(compound_percent(&values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_formatting() {
        assert_eq!(format_percent(Decimal::new(32, 1)), "+3.2%");
        assert_eq!(format_percent(Decimal::new(-4, 1)), "-0.4%");
        assert_eq!(format_percent(Decimal::ZERO), "+0.0%");
        assert_eq!(format_percent(Decimal::from(12)), "+12.0%");
        assert_eq!(checked_percent(Decimal::new(-4, 2)).unwrap(), Decimal::ZERO);
        assert_eq!(
            format_percent(checked_percent(Decimal::new(-4, 2)).unwrap()),
            "+0.0%"
        );
        assert_eq!(
            checked_percent(Decimal::new(1205, 2)).unwrap(),
            Decimal::new(121, 1)
        );
        assert_eq!(
            checked_percent(Decimal::new(-1205, 2)).unwrap(),
            Decimal::new(-121, 1)
        );
        assert_eq!(
            checked_percent(Decimal::new(1204, 2)).unwrap(),
            Decimal::new(120, 1)
        );
    }

    #[test]
    fn period_names() {
        assert_eq!(
            Period::Month {
                year: 2024,
                month: 12
            }
            .to_string(),
            "December 2024"
        );
        assert_eq!(Period::Year { year: 2023 }.to_string(), "2023");
    }

    #[test]
    fn periods_parse_and_know_their_days() {
        let july: Period = "2024-07".parse().unwrap();
        assert_eq!(
            july,
            Period::Month {
                year: 2024,
                month: 7
            }
        );
        assert_eq!(july.first_day().unwrap().to_string(), "2024-07-01");
        assert_eq!(july.last_day().unwrap().to_string(), "2024-07-31");
        let feb: Period = "2024-02".parse().unwrap();
        assert_eq!(feb.last_day().unwrap().to_string(), "2024-02-29");
        let dec: Period = "2023-12".parse().unwrap();
        assert_eq!(dec.last_day().unwrap().to_string(), "2023-12-31");
        let year: Period = "2023".parse().unwrap();
        assert_eq!(year, Period::Year { year: 2023 });
        assert_eq!(year.first_day().unwrap().to_string(), "2023-01-01");
        assert_eq!(year.last_day().unwrap().to_string(), "2023-12-31");
        for bad in [
            "",
            "2024-7",
            "2024-13",
            "2024-00",
            "24-07",
            "2024/07",
            "1800",
            "2024-07-01",
            "２０２４",
        ] {
            let err = bad.parse::<Period>().unwrap_err();
            assert_eq!(err.field(), Some("period"), "{bad:?}: {err}");
        }
        let invalid = Period::Month {
            year: 2024,
            month: 13,
        };
        assert!(invalid.first_day().is_err());
        assert!(invalid.last_day().is_err());
    }
}

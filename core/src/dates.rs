//! The range of dates the SDK accepts, and the one reader of `YYYY-MM-DD` text.
//!
//! chrono reads years far outside any investing history (`%Y` accepts
//! `-262143`), and date arithmetic near [`NaiveDate::MIN`]/[`NaiveDate::MAX`]
//! panics. Every date that enters the SDK from outside (transaction rows,
//! price files, market data rows, anything inserted into a
//! [`Portfolio`](crate::Portfolio)) must lie in [`MIN_DATE`] ..= [`MAX_DATE`],
//! so adding or subtracting any realistic span (centuries) never leaves
//! chrono's range.

use chrono::NaiveDate;

use crate::error::shown;
use crate::{Error, Result};

const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("not a calendar date"),
    }
}

/// The earliest date the SDK accepts: 1900-01-01.
pub const MIN_DATE: NaiveDate = ymd(1900, 1, 1);

/// The latest date the SDK accepts: 2200-12-31.
pub const MAX_DATE: NaiveDate = ymd(2200, 12, 31);

/// `date` when it lies in [`MIN_DATE`] ..= [`MAX_DATE`].
///
/// # Errors
/// [`Error::DateOutOfRange`] naming `field` otherwise.
///
/// ```
/// use auravest_core::{check_date, Error, NaiveDate};
/// let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
/// assert_eq!(check_date("date", d)?, d);
/// let old = NaiveDate::from_ymd_opt(1899, 12, 31).unwrap();
/// assert!(matches!(check_date("date", old), Err(Error::DateOutOfRange { field: "date", .. })));
/// # Ok::<(), Error>(())
/// ```
pub fn check_date(field: &'static str, date: NaiveDate) -> Result<NaiveDate> {
    if (MIN_DATE..=MAX_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(Error::DateOutOfRange { field, date })
    }
}

/// Reads a `YYYY-MM-DD` date (surrounding spaces ignored): a four-digit year,
/// then a month and a day of one or two digits (`2017-1-5` reads as
/// 2017-01-05), a real calendar day, in the supported range.
///
/// # Errors
/// [`Error::InvalidField`] naming `field` when `text` is not such a date
/// (the message repeats at most 40 characters of it);
/// [`Error::DateOutOfRange`] when it is one outside [`MIN_DATE`] ..= [`MAX_DATE`].
///
/// ```
/// use auravest_core::{parse_date, Error};
/// assert_eq!(parse_date("date", "2017-1-5")?.to_string(), "2017-01-05");
/// assert!(matches!(parse_date("date", "-262143-01-01"), Err(Error::InvalidField { field: "date", .. })));
/// assert!(matches!(parse_date("date", "2201-01-01"), Err(Error::DateOutOfRange { .. })));
/// # Ok::<(), Error>(())
/// ```
pub fn parse_date(field: &'static str, text: &str) -> Result<NaiveDate> {
    let t = text.trim();
    let bad = || {
        Error::field_error(
            field,
            format!("{:?} is not a real date in YYYY-MM-DD form", shown(text)),
        )
    };
    let mut parts = t.split('-');
    let shape_ok = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) => {
            let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
                n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
            };
            digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2)
        }
        _ => false,
    };
    if !shape_ok {
        return Err(bad());
    }
    let date = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())?;
    check_date(field, date)
}

/// Calendar days a price history reaches back before the first date it must
/// cover, so that date has an earlier close to measure a return from (two
/// weeks outlast any run of market holidays).
pub const HISTORY_SLACK_DAYS: i64 = 14;

/// Calendar days of prices to read on `today` so that `from` is covered with
/// [`HISTORY_SLACK_DAYS`] before it; `from` after `today` needs only the
/// slack.
pub fn history_days(from: NaiveDate, today: NaiveDate) -> i64 {
    (today - from).num_days().max(0) + HISTORY_SLACK_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_1900_to_2200() {
        assert_eq!(MIN_DATE.to_string(), "1900-01-01");
        assert_eq!(MAX_DATE.to_string(), "2200-12-31");
        // Any realistic span added to or taken from a supported date stays in chrono's range.
        let span = chrono::TimeDelta::days(366 * 1000);
        assert!(MIN_DATE.checked_sub_signed(span).is_some());
        assert!(MAX_DATE.checked_add_signed(span).is_some());
    }

    #[test]
    fn parses_padded_and_unpadded_dates_in_range() {
        for (text, want) in [
            ("2024-01-02", "2024-01-02"),
            (" 2017-1-5 ", "2017-01-05"),
            ("1900-01-01", "1900-01-01"),
            ("2200-12-31", "2200-12-31"),
        ] {
            assert_eq!(parse_date("date", text).unwrap().to_string(), want);
        }
    }

    #[test]
    fn refuses_odd_and_out_of_range_dates() {
        for bad in [
            "-262143-01-01",
            "+2024-01-01",
            "262143-01-01",
            "99999-01-01",
            "24-01-01",
            "2024-02-30",
            "2024-001-01",
            "2024/01/02",
            "2024-01-02T00:00",
            "",
            "date",
        ] {
            let err = parse_date("date", bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidField { field: "date", .. }),
                "{bad}: {err:?}"
            );
        }
        for out in ["1899-12-31", "2201-01-01", "0001-01-01", "9999-12-31"] {
            let err = parse_date("when", out).unwrap_err();
            assert!(
                matches!(err, Error::DateOutOfRange { field: "when", .. }),
                "{out}: {err:?}"
            );
            assert_eq!(err.field(), Some("when"));
        }
        let huge = "9".repeat(10_000);
        assert!(parse_date("date", &huge).unwrap_err().to_string().len() < 200);
    }
}

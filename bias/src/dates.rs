//! Calendar arithmetic on `NaiveDate` through day counts (this crate takes no
//! date library of its own; `auravest-core` re-exports the date type).

use auravest_core::NaiveDate;

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub(crate) fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    to.signed_duration_since(from).num_days()
}

/// `date` moved by `days` (negative moves back), saturating at the
/// representable range.
pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let day_one = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN);
    let ce = (days_between(day_one, date) + 1).saturating_add(days);
    let ce = i32::try_from(ce).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX });
    NaiveDate::from_num_days_from_ce_opt(ce).unwrap_or(if days < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn moves_across_months_and_leap_days() {
        assert_eq!(add_days(d("2024-02-28"), 1), d("2024-02-29"));
        assert_eq!(add_days(d("2024-03-01"), -1), d("2024-02-29"));
        assert_eq!(add_days(d("2018-04-11"), -30), d("2018-03-12"));
        assert_eq!(days_between(d("2024-01-01"), d("2025-01-01")), 366);
        assert_eq!(add_days(d("2024-01-01"), i64::MAX), NaiveDate::MAX);
        assert_eq!(add_days(d("2024-01-01"), i64::MIN), NaiveDate::MIN);
    }
}

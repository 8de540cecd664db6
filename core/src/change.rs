//! A price's move over a period, measured one way everywhere: the benchmark
//! line on the performance page, the assistant's comparison, a report.

use chrono::NaiveDate;
use serde::Serialize;

use crate::PriceFrame;

/// How a price moved between two closes.
///
/// The start is the first close on or after the period's first day and the
/// end the last close on or before its last day: the same days a portfolio's
/// value series and time-weighted return cover over that period, so the two
/// compare like for like. Closes that are missing, non-finite or not
/// positive are skipped. The dates actually used are part of the answer, so
/// a caller can say "from 224.14 on 2017-04-11".
///
/// ```
/// use auravest_core::{NaiveDate, PriceChange};
/// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
/// let closes = [(d("2024-01-02"), 100.0), (d("2024-01-05"), 104.0), (d("2024-01-08"), 110.0)];
/// let c = PriceChange::between(&closes, d("2024-01-02"), d("2024-01-07")).unwrap();
/// assert_eq!((c.start, c.end), (d("2024-01-02"), d("2024-01-05")));
/// assert!((c.total_return() - 0.04).abs() < 1e-12);
/// // A period starting on a day without a close starts at the next close.
/// let c = PriceChange::between(&closes, d("2024-01-03"), d("2024-01-08")).unwrap();
/// assert_eq!((c.start, c.end), (d("2024-01-05"), d("2024-01-08")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PriceChange {
    /// Date of the starting close.
    pub start: NaiveDate,
    /// The starting close.
    pub start_price: f64,
    /// Date of the ending close.
    pub end: NaiveDate,
    /// The ending close.
    pub end_price: f64,
}

impl PriceChange {
    /// The simple return, `end_price / start_price − 1`.
    pub fn total_return(&self) -> f64 {
        self.end_price / self.start_price - 1.0
    }

    /// The move over `from..=to` in closes given in date order; `None` when
    /// fewer than two usable closes fall in the period (or `from` is after
    /// `to`).
    pub fn between(closes: &[(NaiveDate, f64)], from: NaiveDate, to: NaiveDate) -> Option<Self> {
        Self::from_points(closes.iter().copied(), from, to)
    }

    fn from_points(
        points: impl Iterator<Item = (NaiveDate, f64)>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Option<Self> {
        if from > to {
            return None;
        }
        let mut start: Option<(NaiveDate, f64)> = None;
        let mut end: Option<(NaiveDate, f64)> = None;
        for (date, price) in points.filter(|(_, p)| p.is_finite() && *p > 0.0) {
            if date > to {
                break;
            }
            if date < from {
                continue;
            }
            start.get_or_insert((date, price));
            end = Some((date, price));
        }
        let ((start, start_price), (end, end_price)) = (start?, end?);
        (start < end).then_some(Self {
            start,
            start_price,
            end,
            end_price,
        })
    }
}

impl PriceFrame {
    /// How column `name` moved over `from..=to` (see [`PriceChange`]);
    /// `None` for an unknown column or too few closes.
    pub fn price_change(&self, name: &str, from: NaiveDate, to: NaiveDate) -> Option<PriceChange> {
        let column = self.column(name)?;
        PriceChange::from_points(
            self.dates()
                .iter()
                .zip(column)
                .filter_map(|(d, c)| c.map(|c| (*d, c))),
            from,
            to,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn starts_on_the_periods_first_close_and_ends_on_its_last() {
        let closes = [
            (d("2024-01-01"), 90.0),
            (d("2024-01-02"), 100.0),
            (d("2024-01-03"), f64::NAN),
            (d("2024-01-04"), 0.0),
            (d("2024-01-05"), 120.0),
            (d("2024-01-09"), 130.0),
        ];
        // The 3rd is not a usable close, nor the 4th: the period starts on the 5th.
        let c = PriceChange::between(&closes, d("2024-01-02"), d("2024-01-09")).unwrap();
        assert_eq!((c.start, c.start_price), (d("2024-01-02"), 100.0));
        assert_eq!((c.end, c.end_price), (d("2024-01-09"), 130.0));
        assert!((c.total_return() - 0.3).abs() < 1e-12);
        let c = PriceChange::between(&closes, d("2024-01-03"), d("2024-01-09")).unwrap();
        assert_eq!((c.start, c.start_price), (d("2024-01-05"), 120.0));
        // The history begins inside the period: its first close is the start.
        let c = PriceChange::between(&closes[4..], d("2023-01-01"), d("2024-12-31")).unwrap();
        assert_eq!((c.start, c.end), (d("2024-01-05"), d("2024-01-09")));
    }

    #[test]
    fn too_little_history_or_a_reversed_period_is_none() {
        let closes = [(d("2024-01-02"), 100.0), (d("2024-01-05"), 120.0)];
        assert!(PriceChange::between(&closes, d("2024-01-03"), d("2024-01-04")).is_none());
        assert!(PriceChange::between(&closes, d("2024-01-03"), d("2024-01-06")).is_none());
        assert!(PriceChange::between(&closes, d("2024-01-06"), d("2024-01-01")).is_none());
        assert!(PriceChange::between(&[], d("2024-01-01"), d("2024-01-09")).is_none());
    }

    #[test]
    fn a_frame_column_is_read_the_same_way() {
        let frame = PriceFrame::from_csv(
            "date,SPY,X\n2024-01-02,100,\n2024-01-03,,5\n2024-01-05,110,6\n".as_bytes(),
        )
        .unwrap();
        let c = frame
            .price_change("spy", d("2024-01-02"), d("2024-01-05"))
            .unwrap();
        assert_eq!((c.start, c.end), (d("2024-01-02"), d("2024-01-05")));
        assert!(
            frame
                .price_change("SPY", d("2024-01-03"), d("2024-01-05"))
                .is_none()
        );
        assert!(
            frame
                .price_change("NONE", d("2024-01-01"), d("2024-01-05"))
                .is_none()
        );
    }
}

//! Row validation: bad rows are dropped and reported, never silently kept.

use auravest_core::{NaiveDate, check_date};

use crate::types::{Bar, RawBar};

/// A move between consecutive closes by this factor or more (either way) is
/// flagged: it is the signature of a minor-unit mix-up (pence vs pounds, 100x)
/// or a missing split adjustment.
pub const JUMP_FACTOR: f64 = 50.0;

/// A row that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedRow {
    /// The row's date, when it had one.
    pub date: Option<NaiveDate>,
    /// Why it was dropped.
    pub reason: String,
}

/// A row kept but flagged for a person to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlaggedRow {
    /// The row's date.
    pub date: NaiveDate,
    /// What looks wrong.
    pub reason: String,
}

/// What validation kept, dropped and flagged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationReport {
    /// Rows that passed, dates strictly increasing.
    pub bars: Vec<Bar>,
    /// Rows dropped, with reasons, in input order.
    pub dropped: Vec<DroppedRow>,
    /// Rows kept but flagged.
    pub flagged: Vec<FlaggedRow>,
}

fn check_price(name: &str, v: Option<f64>) -> Result<Option<f64>, String> {
    match v {
        None => Ok(None),
        Some(x) if x.is_nan() => Err(format!("{name} is NaN")),
        Some(x) if !x.is_finite() => Err(format!("{name} is not finite")),
        Some(x) if !(x > 0.0) => Err(format!("{name} must be positive, got {x}")),
        Some(x) => Ok(Some(x)),
    }
}

fn check_row(raw: &RawBar, date: NaiveDate) -> Result<Bar, String> {
    let close = check_price("close", raw.close)?.ok_or_else(|| "close is missing".to_owned())?;
    let open = check_price("open", raw.open)?;
    let high = check_price("high", raw.high)?;
    let low = check_price("low", raw.low)?;
    let adj_close = check_price("adj_close", raw.adj_close)?;
    if let (Some(h), Some(l)) = (high, low)
        && h < l
    {
        return Err(format!("high {h} is below low {l}"));
    }
    let volume = match raw.volume {
        None => None,
        Some(v) if v.is_finite() && v >= 0.0 && v <= u64::MAX as f64 => Some(v.round() as u64),
        Some(v) => return Err(format!("volume must be a non-negative number, got {v}")),
    };
    Ok(Bar {
        date,
        open,
        high,
        low,
        close,
        adj_close,
        volume,
    })
}

/// Validates rows in order: the date must lie in core's supported range
/// ([`MIN_DATE`](auravest_core::MIN_DATE) ..= [`MAX_DATE`](auravest_core::MAX_DATE)),
/// every price present must be finite and positive,
/// the close must be present, high must be at least low, volume must be a
/// non-negative number, and dates must be strictly increasing (a row whose
/// date does not come after the last kept row is dropped). A close that moves
/// by [`JUMP_FACTOR`] or more against the previous kept close is kept and flagged.
pub fn validate_rows(rows: Vec<RawBar>) -> ValidationReport {
    let mut report = ValidationReport::default();
    for raw in rows {
        let Some(date) = raw.date else {
            report.dropped.push(DroppedRow {
                date: None,
                reason: "date is missing".to_owned(),
            });
            continue;
        };
        if let Err(e) = check_date("date", date) {
            report.dropped.push(DroppedRow {
                date: Some(date),
                reason: e.reason(),
            });
            continue;
        }
        let bar = match check_row(&raw, date) {
            Ok(bar) => bar,
            Err(reason) => {
                report.dropped.push(DroppedRow {
                    date: Some(date),
                    reason,
                });
                continue;
            }
        };
        if let Some(prev) = report.bars.last() {
            if date <= prev.date {
                report.dropped.push(DroppedRow {
                    date: Some(date),
                    reason: format!("date does not come after {}", prev.date),
                });
                continue;
            }
            let ratio = bar.close / prev.close;
            if ratio >= JUMP_FACTOR || ratio <= 1.0 / JUMP_FACTOR {
                report.flagged.push(FlaggedRow {
                    date,
                    reason: format!(
                        "close moved {ratio:.4}x from {} on {} to {}",
                        prev.close, prev.date, bar.close
                    ),
                });
            }
        }
        report.bars.push(bar);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        Some(s.parse().unwrap())
    }

    fn row(date: &str, close: Option<f64>) -> RawBar {
        RawBar {
            date: d(date),
            close,
            ..RawBar::default()
        }
    }

    #[test]
    fn drops_and_reports_bad_rows() {
        let rows = vec![
            row("2024-01-02", Some(100.0)),
            row("2024-01-03", None),
            row("2024-01-04", Some(0.0)),
            row("2024-01-05", Some(-1.0)),
            row("2024-01-08", Some(f64::NAN)),
            RawBar {
                date: d("2024-01-09"),
                high: Some(9.0),
                low: Some(10.0),
                close: Some(9.5),
                ..RawBar::default()
            },
            row("2024-01-02", Some(101.0)),
            row("2024-01-10", Some(102.0)),
            RawBar {
                date: None,
                close: Some(1.0),
                ..RawBar::default()
            },
        ];
        let r = validate_rows(rows);
        assert_eq!(r.bars.len(), 2);
        let reasons: Vec<_> = r.dropped.iter().map(|x| x.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "close is missing",
                "close must be positive, got 0",
                "close must be positive, got -1",
                "close is NaN",
                "high 9 is below low 10",
                "date does not come after 2024-01-02",
                "date is missing",
            ]
        );
        assert!(r.flagged.is_empty());
    }

    #[test]
    fn rows_outside_the_supported_dates_are_dropped() {
        let far = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1);
        let rows = vec![
            RawBar {
                date: far(-262_143),
                close: Some(1.0),
                ..RawBar::default()
            },
            row("2024-01-02", Some(100.0)),
            RawBar {
                date: far(262_142),
                close: Some(2.0),
                ..RawBar::default()
            },
        ];
        let r = validate_rows(rows);
        assert_eq!(r.bars.len(), 1);
        assert_eq!(r.dropped.len(), 2);
        assert!(
            r.dropped[0].reason.contains("outside the supported range"),
            "{}",
            r.dropped[0].reason
        );
    }

    #[test]
    fn flags_hundredfold_jumps_but_keeps_them() {
        let r = validate_rows(vec![
            row("2024-01-02", Some(1.5)),
            row("2024-01-03", Some(150.0)),
            row("2024-01-04", Some(151.0)),
            row("2024-01-05", Some(1.51)),
        ]);
        assert_eq!(r.bars.len(), 4);
        let dates: Vec<_> = r.flagged.iter().map(|f| f.date.to_string()).collect();
        assert_eq!(dates, ["2024-01-03", "2024-01-05"]);
    }
}

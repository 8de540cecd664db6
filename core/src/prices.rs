//! Daily price data: [`PriceFrame`] (dates by symbols, gaps allowed) and
//! [`PriceSeries`] (one symbol, no gaps).
//!
//! The prices CSV has a header `date,<SYMBOL>,<SYMBOL>,...`, dates
//! `YYYY-MM-DD` strictly increasing, one close per cell, and an empty cell for
//! a missing price.

use std::io::{Read, Write};

use chrono::NaiveDate;

use crate::{Error, Result, Returns, RowError, Symbol, check_date, parse_date};

/// How many problems a reader collects before it stops.
const MAX_REPORTED: usize = 100;

/// Daily closes for several symbols on shared dates; `None` is a missing price.
///
/// Prices are `f64` statistics inputs; valuation turns them into exact decimals
/// through their shortest decimal form, so `1019.969971` values as exactly that.
///
/// ```
/// use auravest_core::PriceFrame;
/// let csv = "date,AAPL,MSFT\n2024-01-02,185.64,\n2024-01-03,184.25,370.6\n";
/// let frame = PriceFrame::from_csv(csv.as_bytes())?;
/// assert_eq!(frame.len(), 2);
/// assert_eq!(frame.column("MSFT").unwrap(), &[None, Some(370.6)]);
/// # Ok::<(), auravest_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PriceFrame {
    dates: Vec<NaiveDate>,
    columns: Vec<Symbol>,
    values: Vec<Vec<Option<f64>>>,
}

fn invalid(line: usize, field: &str, reason: impl Into<String>) -> RowError {
    RowError {
        line,
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn check_price(v: f64) -> std::result::Result<f64, String> {
    if !v.is_finite() {
        Err(format!("{v} is not a finite price"))
    } else if v <= 0.0 {
        Err(format!("price must be greater than zero, got {v}"))
    } else {
        Ok(v)
    }
}

/// Dates in range and strictly increasing ("lines" count data rows from 2).
fn check_dates(dates: &[NaiveDate], errors: &mut Vec<RowError>) {
    for (i, d) in dates.iter().enumerate() {
        if let Err(e) = check_date("date", *d) {
            errors.push(invalid(i + 2, "date", e.reason()));
        }
    }
    check_increasing(dates, errors);
}

/// Dates strictly increasing.
fn check_increasing(dates: &[NaiveDate], errors: &mut Vec<RowError>) {
    for (i, w) in dates.windows(2).enumerate() {
        if w[1] <= w[0] {
            errors.push(invalid(
                i + 3,
                "date",
                format!("{} does not come after {}", w[1], w[0]),
            ));
        }
    }
}

/// A column name not already among `earlier`.
fn check_name(earlier: &[Symbol], name: &Symbol, errors: &mut Vec<RowError>) {
    if earlier.contains(name) {
        errors.push(invalid(1, name.as_str(), "column appears twice"));
    }
}

/// Every present price finite and positive.
fn check_column(name: &Symbol, col: impl Iterator<Item = Option<f64>>, errors: &mut Vec<RowError>) {
    for (i, v) in col.enumerate() {
        if let Some(Err(reason)) = v.map(check_price) {
            errors.push(invalid(i + 2, name.as_str(), reason));
        }
    }
}

fn finish_checks(mut errors: Vec<RowError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        errors.truncate(MAX_REPORTED);
        Err(Error::InvalidPrices { errors })
    }
}

impl PriceFrame {
    /// Builds a frame from dates and named columns of equal length.
    ///
    /// # Errors
    /// [`Error::InvalidPrices`] when dates are not strictly increasing or
    /// outside [`MIN_DATE`](crate::MIN_DATE) ..= [`MAX_DATE`](crate::MAX_DATE),
    /// a column name repeats, a column's length differs from the dates', or a
    /// price is not finite and positive. "Line" numbers count data rows from
    /// 2, as in the CSV.
    pub fn new(dates: Vec<NaiveDate>, columns: Vec<(Symbol, Vec<Option<f64>>)>) -> Result<Self> {
        let mut errors = Vec::new();
        check_dates(&dates, &mut errors);
        let mut names = Vec::with_capacity(columns.len());
        let mut values = Vec::with_capacity(columns.len());
        for (name, col) in columns {
            check_name(&names, &name, &mut errors);
            if col.len() != dates.len() {
                errors.push(invalid(
                    1,
                    name.as_str(),
                    format!("has {} values for {} dates", col.len(), dates.len()),
                ));
            }
            check_column(&name, col.iter().copied(), &mut errors);
            names.push(name);
            values.push(col);
        }
        finish_checks(errors)?;
        Ok(Self {
            dates,
            columns: names,
            values,
        })
    }

    /// Checks a dense price table by the rules of [`PriceFrame::new`]
    /// without building a frame: `values` holds the columns one after the
    /// other (column-major, `dates.len()` values each), NaN for a missing
    /// price. For callers that keep prices in a matrix (the optimiser's
    /// returns, the bindings' arrays).
    ///
    /// # Errors
    /// As [`PriceFrame::new`]; also when `values` does not hold
    /// `dates.len() * columns.len()` prices.
    pub fn check_dense(dates: &[NaiveDate], columns: &[Symbol], values: &[f64]) -> Result<()> {
        let mut errors = Vec::new();
        check_dates(dates, &mut errors);
        let rows = dates.len();
        if values.len() != rows.saturating_mul(columns.len()) {
            errors.push(invalid(
                1,
                "prices",
                format!(
                    "{} prices for {rows} dates and {} columns",
                    values.len(),
                    columns.len()
                ),
            ));
            return finish_checks(errors);
        }
        for (j, name) in columns.iter().enumerate() {
            check_name(&columns[..j], name, &mut errors);
            let col = &values[j * rows..(j + 1) * rows];
            check_column(
                name,
                col.iter().map(|v| (!v.is_nan()).then_some(*v)),
                &mut errors,
            );
        }
        finish_checks(errors)
    }

    /// Reads the prices CSV. Dates are `YYYY-MM-DD` in
    /// [`MIN_DATE`](crate::MIN_DATE) ..= [`MAX_DATE`](crate::MAX_DATE).
    ///
    /// # Errors
    /// [`Error::InvalidPrices`] listing every bad header, date or cell with its
    /// line and column (up to 100), or [`Error::Format`] for unreadable CSV.
    pub fn from_csv<R: Read>(reader: R) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let fmt = |e: csv::Error| Error::Format {
            format: "csv",
            reason: e.to_string(),
        };
        let headers = rdr.headers().map_err(fmt)?.clone();
        let mut errors = Vec::new();
        if headers.get(0).map(str::to_ascii_lowercase).as_deref() != Some("date") {
            errors.push(invalid(1, "date", "the first column must be named date"));
        }
        let mut names = Vec::new();
        for h in headers.iter().skip(1) {
            match Symbol::new(h) {
                Ok(s) if names.contains(&s) => errors.push(invalid(1, h, "column appears twice")),
                Ok(s) => names.push(s),
                Err(e) => errors.push(invalid(1, &crate::error::shown(h), e.to_string())),
            }
        }
        if names.is_empty() && errors.is_empty() {
            errors.push(invalid(1, "header", "no price columns"));
        }
        if !errors.is_empty() {
            return Err(Error::InvalidPrices { errors });
        }
        let mut dates: Vec<NaiveDate> = Vec::new();
        let mut values = vec![Vec::new(); names.len()];
        for record in rdr.records() {
            let record = record.map_err(fmt)?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.iter().all(str::is_empty) {
                continue;
            }
            if record.len() != headers.len() {
                errors.push(invalid(
                    line,
                    "row",
                    format!("expected {} fields, got {}", headers.len(), record.len()),
                ));
                continue;
            }
            let raw_date = record.get(0).unwrap_or("");
            match parse_date("date", raw_date) {
                Ok(d) => {
                    if let Some(prev) = dates.last().filter(|p| **p >= d) {
                        errors.push(invalid(
                            line,
                            "date",
                            format!("{d} does not come after {prev}"),
                        ));
                    }
                    dates.push(d);
                }
                Err(e) => {
                    errors.push(invalid(line, "date", e.reason()));
                    continue;
                }
            }
            for (j, cell) in record.iter().skip(1).enumerate() {
                let v = if cell.is_empty() {
                    None
                } else {
                    match cell
                        .parse::<f64>()
                        .map_err(|_| format!("{cell:?} is not a number"))
                        .and_then(check_price)
                    {
                        Ok(v) => Some(v),
                        Err(reason) => {
                            errors.push(invalid(line, names[j].as_str(), reason));
                            None
                        }
                    }
                };
                values[j].push(v);
            }
            if errors.len() >= MAX_REPORTED {
                break;
            }
        }
        if !errors.is_empty() {
            errors.truncate(MAX_REPORTED);
            return Err(Error::InvalidPrices { errors });
        }
        Ok(Self {
            dates,
            columns: names,
            values,
        })
    }

    /// Writes the prices CSV (empty cells for missing prices).
    ///
    /// # Errors
    /// [`Error::Format`] when the writer fails.
    pub fn to_csv<W: Write>(&self, writer: W) -> Result<()> {
        let fmt = |e: csv::Error| Error::Format {
            format: "csv",
            reason: e.to_string(),
        };
        let mut w = csv::Writer::from_writer(writer);
        let mut header = vec!["date".to_owned()];
        header.extend(self.columns.iter().map(ToString::to_string));
        w.write_record(&header).map_err(fmt)?;
        for (i, d) in self.dates.iter().enumerate() {
            let mut row = vec![d.format("%Y-%m-%d").to_string()];
            row.extend(
                self.values
                    .iter()
                    .map(|c| c[i].map(|v| v.to_string()).unwrap_or_default()),
            );
            w.write_record(&row).map_err(fmt)?;
        }
        w.flush().map_err(|e| Error::Format {
            format: "csv",
            reason: e.to_string(),
        })
    }

    /// The dates, strictly increasing.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The column names.
    pub fn columns(&self) -> &[Symbol] {
        &self.columns
    }

    /// Number of dates.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether the frame has no dates.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Position of a column (names compare case-insensitively).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.as_str().eq_ignore_ascii_case(name))
    }

    /// A column's values.
    pub fn column(&self, name: &str) -> Option<&[Option<f64>]> {
        self.column_index(name).map(|i| self.values[i].as_slice())
    }

    /// The columns named by `symbols`, in that order, over the same dates;
    /// names the frame lacks, and repeats, are left out.
    #[must_use]
    pub fn select(&self, symbols: &[Symbol]) -> Self {
        let mut columns: Vec<Symbol> = Vec::with_capacity(symbols.len());
        let mut values = Vec::with_capacity(symbols.len());
        for s in symbols {
            if let Some(i) = self.column_index(s.as_str())
                && !columns.contains(&self.columns[i])
            {
                columns.push(self.columns[i].clone());
                values.push(self.values[i].clone());
            }
        }
        Self {
            dates: self.dates.clone(),
            columns,
            values,
        }
    }

    /// The column at `index`.
    pub fn column_at(&self, index: usize) -> Option<&[Option<f64>]> {
        self.values.get(index).map(Vec::as_slice)
    }

    /// Index of the last date on or before `date`.
    pub fn index_on_or_before(&self, date: NaiveDate) -> Option<usize> {
        self.dates.partition_point(|d| *d <= date).checked_sub(1)
    }

    /// The last known price of column `index` on or before `date`, with its date.
    pub fn last_price(&self, index: usize, date: NaiveDate) -> Option<(NaiveDate, f64)> {
        let col = self.values.get(index)?;
        let end = self.index_on_or_before(date)?;
        (0..=end)
            .rev()
            .find_map(|i| col[i].map(|v| (self.dates[i], v)))
    }

    /// Returns of column `name` over the same periods as `like` (for example a
    /// portfolio's daily returns), from the last price on or before each date.
    ///
    /// # Errors
    /// [`Error::UnknownColumn`]; [`Error::InsufficientData`] when the column
    /// has no price on or before the start of `like`.
    pub fn returns_like(&self, name: &str, like: &Returns) -> Result<Returns> {
        let i = self
            .column_index(name)
            .ok_or_else(|| Error::UnknownColumn {
                name: name.to_owned(),
                available: self.columns.iter().map(ToString::to_string).collect(),
            })?;
        let Some(start) = like.start().or_else(|| like.dates().first().copied()) else {
            return Ok(Returns::from_parts(None, Vec::new(), Vec::new()));
        };
        let missing = || Error::InsufficientData {
            what: "benchmark prices on the series' dates",
            needed: like.len() + 1,
            got: 0,
        };
        let mut prev = self.last_price(i, start).ok_or_else(missing)?.1;
        let mut values = Vec::with_capacity(like.len());
        for d in like.dates() {
            let p = self.last_price(i, *d).ok_or_else(missing)?.1;
            values.push(p / prev - 1.0);
            prev = p;
        }
        Ok(Returns::from_parts(
            like.start(),
            like.dates().to_vec(),
            values,
        ))
    }

    /// One column without its missing values.
    ///
    /// # Errors
    /// [`Error::UnknownColumn`] when there is no such column.
    pub fn series(&self, name: &str) -> Result<PriceSeries> {
        let i = self
            .column_index(name)
            .ok_or_else(|| Error::UnknownColumn {
                name: name.to_owned(),
                available: self.columns.iter().map(ToString::to_string).collect(),
            })?;
        let (dates, values) = self
            .dates
            .iter()
            .zip(&self.values[i])
            .filter_map(|(d, v)| v.map(|v| (*d, v)))
            .unzip();
        Ok(PriceSeries {
            name: self.columns[i].to_string(),
            dates,
            values,
        })
    }
}

/// One gap-free price (or value) series.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceSeries {
    name: String,
    dates: Vec<NaiveDate>,
    values: Vec<f64>,
}

impl PriceSeries {
    /// Builds a series.
    ///
    /// # Errors
    /// [`Error::InvalidPrices`] when lengths differ, dates are not strictly
    /// increasing, or a value is not finite and positive.
    pub fn new(name: impl Into<String>, dates: Vec<NaiveDate>, values: Vec<f64>) -> Result<Self> {
        let name = name.into();
        let mut errors = Vec::new();
        if dates.len() != values.len() {
            errors.push(invalid(
                1,
                &name,
                format!("{} values for {} dates", values.len(), dates.len()),
            ));
        }
        check_increasing(&dates, &mut errors);
        for (i, v) in values.iter().enumerate() {
            if let Err(reason) = check_price(*v) {
                errors.push(invalid(i + 2, &name, reason));
            }
        }
        if errors.is_empty() {
            Ok(Self {
                name,
                dates,
                values,
            })
        } else {
            errors.truncate(MAX_REPORTED);
            Err(Error::InvalidPrices { errors })
        }
    }

    /// The series name (the column it came from).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dates.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether the series is empty.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Simple returns `p[t] / p[t-1] - 1`, dated at `t`.
    pub fn returns(&self) -> Returns {
        let values = self.values.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        Returns::from_parts(
            self.dates.first().copied(),
            self.dates.iter().skip(1).copied().collect(),
            values,
        )
    }

    /// Both series restricted to the dates they share.
    pub fn align(&self, other: &Self) -> (Self, Self) {
        let (mut i, mut j) = (0, 0);
        let (mut a, mut b) = (self.empty_like(), other.empty_like());
        while i < self.dates.len() && j < other.dates.len() {
            match self.dates[i].cmp(&other.dates[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    a.dates.push(self.dates[i]);
                    a.values.push(self.values[i]);
                    b.dates.push(other.dates[j]);
                    b.values.push(other.values[j]);
                    i += 1;
                    j += 1;
                }
            }
        }
        (a, b)
    }

    fn empty_like(&self) -> Self {
        Self {
            name: self.name.clone(),
            dates: Vec::new(),
            values: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(e: Error) -> Vec<(usize, String)> {
        match e {
            Error::InvalidPrices { errors } => {
                errors.into_iter().map(|r| (r.line, r.field)).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_ragged_columns_and_round_trips() {
        let csv = "date,AAPL,GOOG\n2024-01-02,1.5,\n2024-01-03,1.25,100\n";
        let f = PriceFrame::from_csv(csv.as_bytes()).unwrap();
        assert_eq!(f.column("goog").unwrap(), &[None, Some(100.0)]);
        let mut out = Vec::new();
        f.to_csv(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), csv);
        assert_eq!(f.series("GOOG").unwrap().len(), 1);
        assert!(matches!(f.series("MSFT"), Err(Error::UnknownColumn { .. })));
    }

    #[test]
    fn reports_every_bad_cell_with_its_line() {
        let csv = "date,AAPL,GOOG\n2024-01-02,x,1\n2024-01-02,1,0\n2024-13-01,1,1\n2024-01-05,1\n2024-01-06,-1,inf\n";
        let got = lines(PriceFrame::from_csv(csv.as_bytes()).unwrap_err());
        assert_eq!(
            got,
            [
                (2, "AAPL".into()),
                (3, "date".into()),
                (3, "GOOG".into()),
                (4, "date".into()),
                (5, "row".into()),
                (6, "AAPL".into()),
                (6, "GOOG".into()),
            ]
        );
    }

    #[test]
    fn dates_outside_the_supported_range_are_bad_rows() {
        let csv = "date,A\n-262143-01-01,1\n1899-12-31,1\n2024-01-02,1\n2201-01-01,1\n";
        let got = lines(PriceFrame::from_csv(csv.as_bytes()).unwrap_err());
        assert_eq!(
            got,
            [(2, "date".into()), (3, "date".into()), (5, "date".into())]
        );
        let far = NaiveDate::from_ymd_opt(9999, 1, 1).unwrap();
        let col = (Symbol::new("A").unwrap(), vec![Some(1.0)]);
        let got = lines(PriceFrame::new(vec![far], vec![col]).unwrap_err());
        assert_eq!(got, [(2, "date".into())]);
    }

    #[test]
    fn select_keeps_the_named_columns_in_order_over_the_same_dates() {
        let csv = "date,AAPL,GOOG,MSFT\n2024-01-02,1.5,,3\n2024-01-03,1.25,100,4\n";
        let f = PriceFrame::from_csv(csv.as_bytes()).unwrap();
        let pick: Vec<Symbol> = ["msft", "NOPE", "AAPL", "MSFT"]
            .iter()
            .map(|s| Symbol::new(s).unwrap())
            .collect();
        let got = f.select(&pick);
        assert_eq!(got.dates(), f.dates());
        let names: Vec<&str> = got.columns().iter().map(Symbol::as_str).collect();
        assert_eq!(names, ["MSFT", "AAPL"]);
        assert_eq!(got.column("MSFT").unwrap(), f.column("MSFT").unwrap());
        assert_eq!(got.column("AAPL").unwrap(), &[Some(1.5), Some(1.25)]);
        assert!(got.column("GOOG").is_none());
        assert!(f.select(&[]).columns().is_empty());
    }

    #[test]
    fn rejects_bad_headers() {
        for csv in ["day,AAPL\n", "date,AA PL\n", "date,AAPL,aapl\n", "date\n"] {
            assert!(
                matches!(
                    PriceFrame::from_csv(csv.as_bytes()),
                    Err(Error::InvalidPrices { .. })
                ),
                "{csv}"
            );
        }
    }

    #[test]
    fn last_price_carries_forward() {
        let csv = "date,A\n2024-01-02,1\n2024-01-03,\n2024-01-05,3\n";
        let f = PriceFrame::from_csv(csv.as_bytes()).unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            f.last_price(0, d("2024-01-04")),
            Some((d("2024-01-02"), 1.0))
        );
        assert_eq!(f.last_price(0, d("2024-01-01")), None);
        assert_eq!(
            f.last_price(0, d("2030-01-01")),
            Some((d("2024-01-05"), 3.0))
        );
    }

    #[test]
    fn align_keeps_common_dates() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let a = PriceSeries::new(
            "A",
            vec![d("2024-01-01"), d("2024-01-02"), d("2024-01-04")],
            vec![1.0, 2.0, 3.0],
        )
        .unwrap();
        let b = PriceSeries::new(
            "B",
            vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
            vec![5.0, 6.0, 7.0],
        )
        .unwrap();
        let (x, y) = a.align(&b);
        assert_eq!(x.values(), &[2.0, 3.0]);
        assert_eq!(y.values(), &[5.0, 7.0]);
        assert!(
            PriceSeries::new("A", vec![d("2024-01-02"), d("2024-01-01")], vec![1.0, 1.0]).is_err()
        );
    }
}

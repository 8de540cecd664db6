//! Price tables across the boundary, as flat buffers.
//!
//! Python hands over a table as three pieces it builds with vectorised
//! numpy/polars calls (no Python loop): the dates as days since 1970-01-01
//! (`int32`), the column names, and the prices as one `float64` buffer in
//! column-major order with NaN for a missing price. The SDK's
//! [`PriceFrame::new`] validates it (order of dates, duplicate names, prices
//! that are not finite and positive), and its errors name the row and column.

use std::sync::Arc;

use auravest_core::{NaiveDate, PriceFrame, Symbol};
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{Failure, Outcome, raise};

/// 1970-01-01, day 0 of the dates' encoding.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// A date from its day number.
pub(crate) fn date_from_days(field: &str, days: i32) -> Outcome<NaiveDate> {
    epoch()
        .checked_add_signed(chrono::TimeDelta::days(i64::from(days)))
        .ok_or_else(|| Failure::argument(field, format!("day {days} is out of range")))
}

/// The day number of a date.
pub(crate) fn days(date: NaiveDate) -> i32 {
    i32::try_from((date - epoch()).num_days()).unwrap_or(i32::MAX)
}

/// A number that crosses the boundary in a buffer.
pub(crate) trait Number: pyo3::buffer::Element + Copy {
    /// Width in bytes.
    const WIDTH: usize;
    /// From little-endian bytes of exactly [`Self::WIDTH`].
    fn from_le(bytes: &[u8]) -> Self;
}

impl Number for i32 {
    const WIDTH: usize = 4;
    fn from_le(bytes: &[u8]) -> Self {
        let mut a = [0u8; 4];
        a.copy_from_slice(bytes);
        Self::from_le_bytes(a)
    }
}

impl Number for f64 {
    const WIDTH: usize = 8;
    fn from_le(bytes: &[u8]) -> Self {
        let mut a = [0u8; 8];
        a.copy_from_slice(bytes);
        Self::from_le_bytes(a)
    }
}

/// Reads a typed buffer (a numpy array, an `array.array`) or raw
/// little-endian `bytes` (what a pickled table holds) into a vector.
pub(crate) fn read_buffer<T: Number>(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<T>> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        let raw = bytes.as_bytes();
        if raw.len() % T::WIDTH != 0 {
            return Err(
                Failure::argument(field, "byte length is not a whole number of values").into(),
            );
        }
        return Ok(raw.chunks_exact(T::WIDTH).map(T::from_le).collect());
    }
    let buf = PyBuffer::<T>::get(obj).map_err(|e| {
        PyErr::from(Failure::argument(
            field,
            format!("expected a contiguous typed buffer: {e}"),
        ))
    })?;
    buf.to_vec(obj.py())
}

/// The day numbers (`int32`) and column-major `float64` values of a table.
pub(crate) fn table_buffers(
    dates: &Bound<'_, PyAny>,
    values: &Bound<'_, PyAny>,
) -> PyResult<(Vec<i32>, Vec<f64>)> {
    Ok((
        read_buffer::<i32>(dates, "dates")?,
        read_buffer::<f64>(values, "values")?,
    ))
}

/// Builds the SDK's frame from the three pieces.
pub(crate) fn build_frame(
    dates: &[i32],
    names: Vec<String>,
    values: &[f64],
) -> Outcome<PriceFrame> {
    let rows = dates.len();
    if values.len() != rows.saturating_mul(names.len()) {
        return Err(Failure::argument(
            "values",
            format!(
                "{} prices for {} dates and {} columns",
                values.len(),
                rows,
                names.len()
            ),
        ));
    }
    let dates = dates
        .iter()
        .map(|&d| date_from_days("date", d))
        .collect::<Outcome<Vec<_>>>()?;
    let mut columns = Vec::with_capacity(names.len());
    for (j, name) in names.into_iter().enumerate() {
        let symbol: Symbol = name.parse().map_err(Failure::from)?;
        let column = values[j * rows..(j + 1) * rows]
            .iter()
            .map(|v| (!v.is_nan()).then_some(*v))
            .collect();
        columns.push((symbol, column));
    }
    Ok(PriceFrame::new(dates, columns)?)
}

/// A validated price table: dates and one column of closes per ticker.
///
/// Build it with `auravest.prices_from(df)`; every function that takes
/// prices also takes a polars or pandas DataFrame directly.
#[pyclass(module = "auravest._native", frozen, name = "PriceTable")]
#[derive(Clone)]
pub(crate) struct PriceTable {
    pub(crate) frame: Arc<PriceFrame>,
}

#[pymethods]
impl PriceTable {
    /// Builds a table from day numbers (`int32`, days since 1970-01-01),
    /// column names and column-major `float64` prices (NaN = missing).
    #[new]
    fn new(
        py: Python<'_>,
        dates: &Bound<'_, PyAny>,
        names: Vec<String>,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let (dates, values) = table_buffers(dates, values)?;
        let frame = raise(py, py.detach(|| build_frame(&dates, names, &values)))?;
        Ok(Self {
            frame: Arc::new(frame),
        })
    }

    /// The tickers, in column order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.frame
            .columns()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Number of dates.
    fn __len__(&self) -> usize {
        self.frame.len()
    }

    /// The dates as `int32` day numbers (little-endian bytes).
    fn date_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes: Vec<u8> = self
            .frame
            .dates()
            .iter()
            .flat_map(|d| days(*d).to_le_bytes())
            .collect();
        PyBytes::new(py, &bytes)
    }

    /// The prices as column-major `float64` (little-endian bytes), NaN for missing.
    fn value_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let mut bytes = Vec::with_capacity(self.frame.len() * self.frame.columns().len() * 8);
        for j in 0..self.frame.columns().len() {
            for v in self.frame.column_at(j).unwrap_or_default() {
                bytes.extend_from_slice(&v.unwrap_or(f64::NAN).to_le_bytes());
            }
        }
        PyBytes::new(py, &bytes)
    }

    /// Pickles as the three pieces it was built from.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let this = slf.get();
        let args = (this.date_bytes(py), this.columns(), this.value_bytes(py));
        Ok((
            py.get_type::<Self>().into_any(),
            args.into_pyobject(py)?.into_any(),
        ))
    }

    fn __repr__(&self) -> String {
        let dates = self.frame.dates();
        match (dates.first(), dates.last()) {
            (Some(a), Some(b)) => format!(
                "PriceTable({} dates from {a} to {b}, {} columns)",
                dates.len(),
                self.frame.columns().len()
            ),
            _ => format!(
                "PriceTable(0 dates, {} columns)",
                self.frame.columns().len()
            ),
        }
    }
}

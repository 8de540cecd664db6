//! Several histories as one aligned price matrix, and polars conversions.

use std::collections::BTreeSet;

use auravest_core::{NaiveDate, PriceFrame, Symbol};

use crate::error::Result;
use crate::types::History;

/// Closes of several symbols on the union of their dates (an outer join on
/// date): a symbol that starts later, ends earlier or skips a day has `None`
/// there, never a filled value.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedPrices {
    /// Every date any symbol traded, increasing.
    pub dates: Vec<NaiveDate>,
    /// One column per symbol, in input order, parallel to `dates`.
    pub columns: Vec<(Symbol, Vec<Option<f64>>)>,
    /// The source of each column.
    pub sources: Vec<(Symbol, String)>,
    /// Symbols whose source gave no adjusted close for some rows, when adjusted
    /// closes were asked for: those rows use the unadjusted close.
    pub unadjusted: Vec<Symbol>,
}

impl AlignedPrices {
    /// Aligns `histories` (one per symbol; a repeated symbol keeps its first
    /// history). With `adjusted`, uses adjusted closes where the source gives them.
    pub fn from_histories(histories: &[History], adjusted: bool) -> Self {
        let mut seen = BTreeSet::new();
        let histories: Vec<&History> = histories
            .iter()
            .filter(|h| seen.insert(h.symbol.clone()))
            .collect();
        let dates: Vec<NaiveDate> = histories
            .iter()
            .flat_map(|h| h.bars.iter().map(|b| b.date))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut columns = Vec::with_capacity(histories.len());
        let mut sources = Vec::with_capacity(histories.len());
        let mut unadjusted = Vec::new();
        for h in histories {
            let mut col = vec![None; dates.len()];
            for (date, price) in h.closes(adjusted) {
                if let Ok(i) = dates.binary_search(&date) {
                    col[i] = Some(price);
                }
            }
            if adjusted && h.lacks_adjusted() {
                unadjusted.push(h.symbol.clone());
            }
            columns.push((h.symbol.clone(), col));
            sources.push((h.symbol.clone(), h.source.clone()));
        }
        Self {
            dates,
            columns,
            sources,
            unadjusted,
        }
    }

    /// The core price frame (the prices CSV layout `optimize` reads).
    ///
    /// # Errors
    /// [`Error::Core`](crate::Error::Core) if core rejects the frame; validated
    /// histories always pass.
    pub fn to_price_frame(&self) -> Result<PriceFrame> {
        Ok(PriceFrame::new(self.dates.clone(), self.columns.clone())?)
    }

    /// A polars DataFrame: a `date` column (Date) and one Float64 column per symbol.
    ///
    /// # Errors
    /// A polars error if the columns cannot be assembled.
    #[cfg(feature = "polars")]
    pub fn to_dataframe(&self) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
        use polars::prelude::*;
        let mut cols = vec![date_column(&self.dates)?];
        for (sym, values) in &self.columns {
            cols.push(Column::new(sym.as_str().into(), values.as_slice()));
        }
        DataFrame::new(self.dates.len(), cols)
    }
}

#[cfg(feature = "polars")]
fn date_column(dates: &[NaiveDate]) -> polars::prelude::PolarsResult<polars::prelude::Column> {
    use polars::prelude::*;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let days: Vec<i32> = dates
        .iter()
        .map(|d| i32::try_from((*d - epoch).num_days()).unwrap_or(i32::MAX))
        .collect();
    Ok(Series::new("date".into(), days)
        .cast(&DataType::Date)?
        .into_column())
}

#[cfg(feature = "polars")]
impl History {
    /// The history as a polars DataFrame with columns `date` (Date), `open`,
    /// `high`, `low`, `close`, `adj_close` (Float64, null where the source
    /// gave none) and `volume` (UInt64, nullable).
    ///
    /// # Errors
    /// A polars error if the columns cannot be assembled.
    pub fn to_dataframe(&self) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
        use polars::prelude::*;
        let dates: Vec<NaiveDate> = self.bars.iter().map(|b| b.date).collect();
        let f = |name: &str, get: fn(&crate::types::Bar) -> Option<f64>| {
            let v: Vec<Option<f64>> = self.bars.iter().map(get).collect();
            Column::new(name.into(), v.as_slice())
        };
        let volume: Vec<Option<u64>> = self.bars.iter().map(|b| b.volume).collect();
        DataFrame::new(
            dates.len(),
            vec![
                date_column(&dates)?,
                f("open", |b| b.open),
                f("high", |b| b.high),
                f("low", |b| b.low),
                f("close", |b| Some(b.close)),
                f("adj_close", |b| b.adj_close),
                Column::new("volume".into(), volume.as_slice()),
            ],
        )
    }
}

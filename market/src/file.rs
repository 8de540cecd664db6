//! [`FileSource`]: daily prices from local CSV files, for offline use, demos and tests.

use std::path::{Path, PathBuf};

use auravest_core::{NaiveDate, PriceFrame, Symbol};
use chrono::Utc;

use crate::error::{Error, Result};
use crate::source::{
    BoxFuture, Capabilities, QuoteSource, RateLimits, SourceInfo, SymbolKinds, midnight_utc,
};
use crate::types::{History, HistoryRequest, Interval, Quote, RawBar};

/// Daily prices from files. Given a directory, it reads `DIR/<SYMBOL>.csv` or
/// `DIR/<SYMBOL>.parquet` (`date,open,high,low,close,adj_close,volume`; only
/// `date` and `close` are required, extra columns are ignored, names are
/// matched without regard to case) and, for symbols without their own file,
/// the column `<SYMBOL>` of `DIR/prices.csv` in core's prices layout. Given a
/// file, it reads that prices CSV. Parquet needs the `parquet` feature (on by
/// default); a date column may be a Parquet date or `YYYY-MM-DD` text, and
/// numbers any integer or float type. Files are read on each call; put a
/// [`Market`](crate::Market) in front for caching.
#[derive(Debug, Clone)]
pub struct FileSource {
    info: SourceInfo,
    path: PathBuf,
}

const NAME: &str = "file";

impl FileSource {
    /// A file source over a directory or one prices CSV, with priority 40
    /// (after the network sources: an offline fallback).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            info: SourceInfo {
                name: NAME.to_owned(),
                priority: 40,
                capabilities: Capabilities {
                    quote: true,
                    history: vec![Interval::Daily],
                    events: false,
                    adjusted: true,
                    fundamentals: false,
                    search: false,
                    symbols: SymbolKinds::ALL,
                },
                limits: RateLimits::default(),
            },
            path: path.into(),
        }
    }

    /// Changes the priority (lower is tried first).
    pub fn with_priority(mut self, priority: u32) -> Self {
        self.info.priority = priority;
        self
    }

    fn not_found(symbol: &Symbol, reason: String) -> Error {
        Error::NotFound {
            source_name: NAME.to_owned(),
            symbol: symbol.to_string(),
            reason,
        }
    }

    fn read(path: &Path) -> Result<Vec<u8>> {
        std::fs::read(path).map_err(|e| Error::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Every row for `symbol`, unvalidated.
    fn rows(&self, symbol: &Symbol) -> Result<Vec<RawBar>> {
        if self.path.is_dir() {
            for name in [
                symbol.as_str().to_owned(),
                symbol.as_str().to_ascii_lowercase(),
            ] {
                let p = self.path.join(format!("{name}.csv"));
                if p.is_file() {
                    return parse_ohlcv(&Self::read(&p)?, &p);
                }
                let p = self.path.join(format!("{name}.parquet"));
                if p.is_file() {
                    return parse_parquet(&p);
                }
            }
            let p = self.path.join("prices.csv");
            if p.is_file() {
                return self.prices_column(&p, symbol);
            }
            Err(Self::not_found(
                symbol,
                format!(
                    "no {symbol}.csv, {symbol}.parquet or prices.csv in {}",
                    self.path.display()
                ),
            ))
        } else {
            self.prices_column(&self.path, symbol)
        }
    }

    fn prices_column(&self, path: &Path, symbol: &Symbol) -> Result<Vec<RawBar>> {
        let frame =
            PriceFrame::from_csv(Self::read(path)?.as_slice()).map_err(|e| Error::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        let column = frame.column(symbol.as_str()).ok_or_else(|| {
            Self::not_found(symbol, format!("no column {symbol} in {}", path.display()))
        })?;
        Ok(frame
            .dates()
            .iter()
            .zip(column)
            .filter_map(|(d, c)| {
                c.map(|close| RawBar {
                    date: Some(*d),
                    close: Some(close),
                    ..RawBar::default()
                })
            })
            .collect())
    }
}

fn parse_ohlcv(bytes: &[u8], path: &Path) -> Result<Vec<RawBar>> {
    let file_err = |reason: String| Error::File {
        path: path.display().to_string(),
        reason,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| file_err(e.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase().replace([' ', '-'], "_"))
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let date = col(&["date"]).ok_or_else(|| file_err("header has no date column".to_owned()))?;
    let close = col(&["close"]).ok_or_else(|| file_err("header has no close column".to_owned()))?;
    let (open, high, low) = (col(&["open"]), col(&["high"]), col(&["low"]));
    let adj = col(&["adj_close", "adjclose", "adjusted_close"]);
    let volume = col(&["volume"]);
    let mut rows = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| file_err(e.to_string()))?;
        let num = |i: Option<usize>| -> Option<f64> {
            let s = record.get(i?)?;
            // An unreadable number becomes NaN so validation reports the row.
            (!s.is_empty()).then(|| s.parse().unwrap_or(f64::NAN))
        };
        rows.push(RawBar {
            date: record
                .get(date)
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
            open: num(open),
            high: num(high),
            low: num(low),
            close: num(Some(close)),
            adj_close: num(adj),
            volume: num(volume),
        });
    }
    Ok(rows)
}

/// Reads a per-symbol Parquet file into raw bars.
#[cfg(feature = "parquet")]
fn parse_parquet(path: &Path) -> Result<Vec<RawBar>> {
    use polars::prelude::{Column, DataType};
    use polars_io::SerReader as _;
    use polars_io::parquet::read::ParquetReader;

    let file_err = |reason: String| Error::File {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| file_err(e.to_string()))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| file_err(format!("not a readable Parquet file: {e}")))?;
    let find = |names: &[&str]| -> Option<&Column> {
        df.columns().iter().find(|c| {
            let n = c
                .name()
                .as_str()
                .to_ascii_lowercase()
                .replace([' ', '-'], "_");
            names.contains(&n.as_str())
        })
    };
    let numbers = |names: &[&str]| -> Result<Option<Vec<Option<f64>>>> {
        let Some(col) = find(names) else {
            return Ok(None);
        };
        let cast = col.cast(&DataType::Float64).map_err(|_| {
            file_err(format!(
                "column {} has type {}, expected a number",
                col.name(),
                col.dtype()
            ))
        })?;
        let values = cast
            .f64()
            .map_err(|e| file_err(e.to_string()))?
            .iter()
            .collect();
        Ok(Some(values))
    };
    let date_col = find(&["date"]).ok_or_else(|| file_err("no date column".to_owned()))?;
    let dates: Vec<Option<NaiveDate>> = match date_col.dtype() {
        DataType::Date => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
                .ok_or_else(|| file_err("calendar error".to_owned()))?;
            date_col
                .cast(&DataType::Int32)
                .map_err(|e| file_err(e.to_string()))?
                .i32()
                .map_err(|e| file_err(e.to_string()))?
                .iter()
                .map(|d| d.and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d.into()))))
                .collect()
        }
        DataType::String => date_col
            .str()
            .map_err(|e| file_err(e.to_string()))?
            .iter()
            .map(|s| s.and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()))
            .collect(),
        other => {
            return Err(file_err(format!(
                "column {} has type {other}, expected a date or YYYY-MM-DD text",
                date_col.name()
            )));
        }
    };
    let close = numbers(&["close"])?.ok_or_else(|| file_err("no close column".to_owned()))?;
    let open = numbers(&["open"])?;
    let high = numbers(&["high"])?;
    let low = numbers(&["low"])?;
    let adj = numbers(&["adj_close", "adjclose", "adjusted_close"])?;
    let volume = numbers(&["volume"])?;
    let at = |v: &Option<Vec<Option<f64>>>, i: usize| v.as_ref().and_then(|v| v[i]);
    Ok(dates
        .into_iter()
        .enumerate()
        .map(|(i, date)| RawBar {
            date,
            open: at(&open, i),
            high: at(&high, i),
            low: at(&low, i),
            close: close[i],
            adj_close: at(&adj, i),
            volume: at(&volume, i),
        })
        .collect())
}

/// Without the `parquet` feature a Parquet file is a typed error, not a skip.
#[cfg(not(feature = "parquet"))]
fn parse_parquet(path: &Path) -> Result<Vec<RawBar>> {
    Err(Error::File {
        path: path.display().to_string(),
        reason: "this build has no Parquet support (enable the `parquet` feature)".to_owned(),
    })
}

impl QuoteSource for FileSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>> {
        Box::pin(async move {
            let rows = self.rows(symbol)?;
            let report = crate::validate_rows(rows);
            let last = report.bars.last().ok_or_else(|| Error::NoData {
                source_name: NAME.to_owned(),
                symbol: symbol.to_string(),
            })?;
            Ok(Quote {
                symbol: symbol.clone(),
                price: last.close,
                currency: None,
                market_time: midnight_utc(last.date),
                fetched_at: Utc::now(),
                source: NAME.to_owned(),
                delayed: true,
                stale: false,
                attempts: Vec::new(),
            })
        })
    }

    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>> {
        Box::pin(async move {
            let rows = self.rows(&request.symbol)?;
            Ok(History::from_raw(request, NAME, None, rows, Utc::now()))
        })
    }
}

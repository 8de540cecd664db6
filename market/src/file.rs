//! [`FileSource`]: daily prices from local CSV files, for offline use, demos and tests.

use std::path::{Component, Path, PathBuf};

#[cfg(feature = "parquet")]
use auravest_core::NaiveDate;
use auravest_core::{PriceFrame, Symbol};
use chrono::Utc;

use crate::error::{Error, Result};
use crate::source::{
    BoxFuture, Capabilities, QuoteSource, RateLimits, SourceInfo, SymbolKinds, last_close_quote,
};
use crate::types::{History, HistoryRequest, Interval, Quote, RawBar};

/// Daily prices from files. Given a directory, it reads `DIR/<SYMBOL>.csv` or
/// `DIR/<SYMBOL>.parquet` (`date,open,high,low,close,adj_close,volume`; only
/// `date` and `close` are required, extra columns are ignored, names are
/// matched without regard to case) and, for symbols without their own file,
/// the column `<SYMBOL>` of `DIR/prices.csv` in core's prices layout. Given a
/// file, it reads that prices CSV. The prices layout holds one price a day,
/// read as adjusted closes (what returns, statistics and the optimisers
/// need; the shipped sample is adjusted) and served as both the close and
/// the adjusted close; a per-symbol file states its `adj_close` itself. Parquet needs the `parquet` feature (on by
/// default); a date column may be a Parquet date or `YYYY-MM-DD` text, and
/// numbers any integer or float type. Files are read on each call; put a
/// [`Market`](crate::Market) in front for caching.
///
/// Only files inside the directory are read: the file name is the symbol
/// (one safe path segment by [`Symbol`]'s grammar) plus an extension, joined
/// as a single path component, and a file that is a symbolic link resolving
/// outside the directory is refused. Errors never name the directory.
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

    /// Every row for `symbol`, unvalidated.
    fn rows(&self, symbol: &Symbol) -> Result<Vec<RawBar>> {
        if self.path.is_dir() {
            let folder = self.path.canonicalize().map_err(|e| Error::File {
                symbol: None,
                reason: format!("the data folder cannot be read ({})", e.kind()),
                path: self.path.display().to_string(),
            })?;
            for name in [
                symbol.as_str().to_owned(),
                symbol.as_str().to_ascii_lowercase(),
            ] {
                for ext in ["csv", "parquet"] {
                    let file = format!("{name}.{ext}");
                    let found = confined(&folder, &file).map_err(|reason| Error::File {
                        symbol: Some(symbol.to_string()),
                        reason,
                        path: folder.join(&file).display().to_string(),
                    })?;
                    if let Some(p) = found {
                        return if ext == "csv" {
                            parse_ohlcv(&read(&p, Some(symbol))?, &p, symbol)
                        } else {
                            parse_parquet(&p, symbol)
                        };
                    }
                }
            }
            let shared = confined(&folder, "prices.csv").map_err(|reason| Error::File {
                symbol: None,
                reason,
                path: folder.join("prices.csv").display().to_string(),
            })?;
            if let Some(p) = shared {
                return self.prices_column(&p, symbol);
            }
            Err(Self::not_found(
                symbol,
                format!("no {symbol}.csv, {symbol}.parquet or prices.csv in the data folder"),
            ))
        } else {
            self.prices_column(&self.path, symbol)
        }
    }

    fn prices_column(&self, path: &Path, symbol: &Symbol) -> Result<Vec<RawBar>> {
        let frame =
            PriceFrame::from_csv(read(path, None)?.as_slice()).map_err(|e| Error::File {
                symbol: None,
                reason: e.to_string(),
                path: path.display().to_string(),
            })?;
        let column = frame.column(symbol.as_str()).ok_or_else(|| {
            Self::not_found(symbol, format!("no column {symbol} in the prices file"))
        })?;
        Ok(frame
            .dates()
            .iter()
            .zip(column)
            .filter_map(|(d, c)| {
                // The prices layout holds one price a day, the series the
                // project's returns, statistics and optimisers read: adjusted
                // closes (the shipped sample is adjusted). It serves as both.
                c.map(|close| RawBar {
                    date: Some(*d),
                    close: Some(close),
                    adj_close: Some(close),
                    ..RawBar::default()
                })
            })
            .collect())
    }
}

/// Reads a file whole; `symbol` is set when it is that symbol's own file.
fn read(path: &Path, symbol: Option<&Symbol>) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::File {
        symbol: symbol.map(ToString::to_string),
        reason: format!("cannot be read ({})", e.kind()),
        path: path.display().to_string(),
    })
}

/// The regular file `name` inside `folder` (a canonical path), or `None`
/// when there is no such file.
///
/// `name` must be one plain path component (no separator, no `.` or `..`):
/// the path is the folder joined with that one name, never anything above
/// it. A file that resolves, through symbolic links, to a place outside the
/// folder is refused; the path returned is the resolved one, so a link
/// changed after the check is not followed.
///
/// # Errors
/// Why the file is refused, without its path.
fn confined(folder: &Path, name: &str) -> std::result::Result<Option<PathBuf>, String> {
    let mut parts = Path::new(name).components();
    if !matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    ) || name.contains(['/', '\\'])
    {
        return Err("refused: not a plain file name".to_owned());
    }
    let candidate = folder.join(name);
    match candidate.symlink_metadata() {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read ({})", e.kind())),
    }
    let real = candidate
        .canonicalize()
        .map_err(|e| format!("cannot be read ({})", e.kind()))?;
    if !real.starts_with(folder) {
        return Err("refused: it links to a file outside the data folder".to_owned());
    }
    Ok(real.is_file().then_some(real))
}

fn parse_ohlcv(bytes: &[u8], path: &Path, symbol: &Symbol) -> Result<Vec<RawBar>> {
    let file_err = |reason: String| Error::File {
        symbol: Some(symbol.to_string()),
        reason,
        path: path.display().to_string(),
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
                .and_then(|s| auravest_core::parse_date("date", s).ok()),
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
fn parse_parquet(path: &Path, symbol: &Symbol) -> Result<Vec<RawBar>> {
    use polars::prelude::{Column, DataType};
    use polars_io::SerReader as _;
    use polars_io::parquet::read::ParquetReader;

    let file_err = |reason: String| Error::File {
        symbol: Some(symbol.to_string()),
        reason,
        path: path.display().to_string(),
    };
    let file = std::fs::File::open(path)
        .map_err(|e| file_err(format!("cannot be read ({})", e.kind())))?;
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
            .map(|s| s.and_then(|s| auravest_core::parse_date("date", s).ok()))
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
fn parse_parquet(path: &Path, symbol: &Symbol) -> Result<Vec<RawBar>> {
    Err(Error::File {
        symbol: Some(symbol.to_string()),
        reason: "this build has no Parquet support (enable the `parquet` feature)".to_owned(),
        path: path.display().to_string(),
    })
}

impl QuoteSource for FileSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>> {
        Box::pin(async move {
            let shown = symbol.to_string();
            last_close_quote(NAME, symbol, &shown, self.rows(symbol)?)
        })
    }

    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>> {
        Box::pin(async move {
            let rows = self.rows(&request.symbol)?;
            Ok(History::from_raw(request, NAME, None, rows, Utc::now()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_folder_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().canonicalize().unwrap();
        std::fs::write(folder.join("ABC.csv"), "date,close\n").unwrap();
        std::fs::create_dir(folder.join("sub")).unwrap();
        std::fs::write(folder.join("sub").join("X.csv"), "date,close\n").unwrap();
        assert_eq!(
            confined(&folder, "ABC.csv").unwrap(),
            Some(folder.join("ABC.csv"))
        );
        assert_eq!(confined(&folder, "NOPE.csv").unwrap(), None);
        // A directory is not a data file.
        assert_eq!(confined(&folder, "sub").unwrap(), None);
        for attack in [
            "../ABC.csv",
            "..",
            ".",
            "sub/X.csv",
            "/etc/passwd",
            "sub\\X.csv",
            "",
        ] {
            let refused = confined(&folder, attack);
            assert!(refused.is_err(), "{attack:?} gave {refused:?}");
            let reason = refused.unwrap_err();
            assert!(!reason.contains(&*folder.to_string_lossy()), "{reason}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_folder_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.csv");
        std::fs::write(&secret, "date,close\n2024-01-02,1\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(&secret, folder.join("EVIL.csv")).unwrap();
        std::os::unix::fs::symlink(outside.path(), folder.join("up")).unwrap();
        std::fs::write(folder.join("real.csv"), "date,close\n").unwrap();
        std::os::unix::fs::symlink(folder.join("real.csv"), folder.join("ALIAS.csv")).unwrap();
        std::os::unix::fs::symlink(folder.join("gone.csv"), folder.join("DANGLING.csv")).unwrap();
        assert!(confined(&folder, "EVIL.csv").is_err());
        assert!(confined(&folder, "up").is_err());
        assert!(confined(&folder, "DANGLING.csv").is_err());
        assert_eq!(
            confined(&folder, "ALIAS.csv").unwrap(),
            Some(folder.join("real.csv"))
        );
    }
}

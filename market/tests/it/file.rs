//! The file source: per-symbol OHLCV files and core's prices layout.

use std::io::Write as _;
use std::sync::Arc;

use auravest_market::{
    BreakerState, Chain, Error, FileSource, HistoryRequest, MemorySource, QuoteSource,
};

use crate::support::{close_to, date, examples_prices, sym};

#[tokio::test]
async fn reads_a_column_of_the_prices_csv() {
    let src = FileSource::new(examples_prices());
    let req = HistoryRequest::daily(sym("AAPL"), date("2015-01-02"), date("2015-01-09")).unwrap();
    let h = src.history(&req).await.unwrap();
    assert_eq!(h.source, "file");
    assert_eq!(h.bars.len(), 6);
    assert!(close_to(h.bars[0].close, 103.074188));
    assert!(h.dropped.is_empty());
    let e = src.quote(&sym("NOPE")).await.unwrap_err();
    assert!(e.is_not_found());
}

#[tokio::test]
async fn reads_symbol_files_in_a_directory_and_reports_bad_rows() {
    let dir = std::env::temp_dir().join(format!("auravest-market-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut f = std::fs::File::create(dir.join("ABC.csv")).unwrap();
    writeln!(
        f,
        "date,open,high,low,close,adj_close,volume\n\
         2024-01-02,10,11,9,10.5,10.4,1000\n\
         2024-01-03,10,9,11,10.6,10.5,1000\n\
         2024-01-04,10,11,9,abc,10.5,1000\n\
         2024-01-05,10,11,9,10.7,,1200"
    )
    .unwrap();
    drop(f);
    let src = FileSource::new(&dir);
    let req = HistoryRequest::daily(sym("ABC"), date("2024-01-01"), date("2024-01-31")).unwrap();
    let h = src.history(&req).await.unwrap();
    assert_eq!(h.bars.len(), 2);
    assert_eq!(h.bars[0].adj_close, Some(10.4));
    assert_eq!(h.bars[1].adj_close, None);
    assert_eq!(h.bars[1].volume, Some(1200));
    let reasons: Vec<_> = h.dropped.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(reasons, ["high 9 is below low 11", "close is NaN"]);
    let q = src.quote(&sym("ABC")).await.unwrap();
    assert!(close_to(q.price, 10.7));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn file_source_is_the_offline_fallback() {
    let down = MemorySource::new("network", 10);
    down.fail_with(Error::Unavailable {
        source_name: "network".to_owned(),
        reason: "offline".to_owned(),
        detail: String::new(),
    });
    let chain = Chain::new(vec![
        Arc::new(FileSource::new(examples_prices())),
        Arc::new(down),
    ]);
    let q = chain.quote(&sym("SPY")).await.unwrap();
    assert_eq!(q.source, "file");
    assert_eq!(q.attempts[0].source, "network");
}

/// A folder with one good file, one corrupt per-symbol file and no prices.csv.
fn folder_with_a_corrupt_file() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("GOOD.csv"),
        "date,close\n2024-01-02,10\n2024-01-03,11\n",
    )
    .unwrap();
    // No date column: unreadable as an OHLCV file.
    std::fs::write(dir.path().join("BROKEN.csv"), "when,close\n2024-01-02,1\n").unwrap();
    dir
}

#[tokio::test]
async fn file_errors_never_show_the_folder() {
    let dir = folder_with_a_corrupt_file();
    let src = FileSource::new(dir.path());
    let folder = dir.path().canonicalize().unwrap();
    let shown_paths = [
        folder.to_string_lossy().into_owned(),
        dir.path().to_string_lossy().into_owned(),
    ];
    for symbol in ["BROKEN", "MISSING"] {
        let e = src.quote(&sym(symbol)).await.unwrap_err();
        let text = e.to_string();
        for p in &shown_paths {
            assert!(!text.contains(p.as_str()), "{text}");
        }
        assert!(text.contains(symbol), "{text}");
    }
    // Operators get the path through the diagnostic.
    let e = src.quote(&sym("BROKEN")).await.unwrap_err();
    assert!(e.diagnostic().contains("BROKEN.csv"), "{}", e.diagnostic());
    // A prices file given directly: its path is not shown either.
    let src = FileSource::new(dir.path().join("GOOD.csv"));
    let e = src.quote(&sym("GOOD")).await.unwrap_err();
    assert!(!e.to_string().contains(&*shown_paths[1]), "{e}");
}

#[tokio::test]
async fn a_corrupt_per_symbol_file_never_opens_the_breaker() {
    let dir = folder_with_a_corrupt_file();
    let backup = MemorySource::new("backup", 50).with_closes("BROKEN", &[("2024-01-02", 42.0)]);
    let chain = Chain::new(vec![
        Arc::new(FileSource::new(dir.path())),
        Arc::new(backup),
    ]);
    for _ in 0..10 {
        let q = chain.quote(&sym("BROKEN")).await.unwrap();
        assert_eq!(q.source, "backup");
        assert_eq!(q.attempts[0].source, "file");
    }
    assert_eq!(chain.breaker_state("file"), Some(BreakerState::Closed));
    // The file source still serves everyone else.
    assert_eq!(chain.quote(&sym("GOOD")).await.unwrap().source, "file");
    // A corrupt shared prices file is the source's fault: it counts.
    std::fs::write(dir.path().join("prices.csv"), "date,OTHER\nnot-a-date,1\n").unwrap();
    for _ in 0..3 {
        let _ = chain.quote(&sym("OTHER")).await;
    }
    assert_eq!(chain.breaker_state("file"), Some(BreakerState::Open));
}

#[cfg(unix)]
#[tokio::test]
async fn a_symbol_file_linking_out_of_the_folder_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.csv");
    std::fs::write(&secret, "date,close\n2024-01-02,123.45\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("LEAK.csv")).unwrap();
    let src = FileSource::new(dir.path());
    let e = src.quote(&sym("LEAK")).await.unwrap_err();
    assert!(matches!(e, Error::File { .. }), "{e:?}");
    assert!(!e.to_string().contains("secret"), "{e}");
    let req = HistoryRequest::daily(sym("LEAK"), date("2024-01-01"), date("2024-01-31")).unwrap();
    assert!(src.history(&req).await.is_err());
}

#[tokio::test]
async fn rows_outside_the_supported_dates_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("FAR.csv"),
        "date,close\n-262143-01-01,1\n2024-01-02,10\n+262142-12-31,99\n1899-12-31,5\n",
    )
    .unwrap();
    let src = FileSource::new(dir.path());
    let q = src.quote(&sym("FAR")).await.unwrap();
    assert!(close_to(q.price, 10.0), "{}", q.price);
    assert_eq!(q.market_time.date_naive(), date("2024-01-02"));
}

#[cfg(feature = "parquet")]
mod parquet {
    use auravest_market::{Chain, Error, FileSource, HistoryRequest, MemorySource, QuoteSource};
    use polars::prelude::*;
    use polars_io::parquet::write::{ParquetCompression, ParquetWriter};
    use std::sync::Arc;

    use crate::support::{close_to, date, sym};

    fn write(dir: &std::path::Path, name: &str, df: &mut DataFrame, c: ParquetCompression) {
        let file = std::fs::File::create(dir.join(name)).unwrap();
        ParquetWriter::new(file)
            .with_compression(c)
            .finish(df)
            .unwrap();
    }

    fn days(dates: &[&str]) -> Column {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let d: Vec<i32> = dates
            .iter()
            .map(|s| (date(s) - epoch).num_days() as i32)
            .collect();
        Series::new("date".into(), d)
            .cast(&DataType::Date)
            .unwrap()
            .into_column()
    }

    #[tokio::test]
    async fn reads_ohlcv_parquet_with_date_and_text_dates() {
        let dir = tempfile::tempdir().unwrap();
        // Date-typed dates, zstd, integer volume, mixed-case headers.
        let mut a = DataFrame::new(
            3,
            vec![
                days(&["2024-01-02", "2024-01-03", "2024-01-04"]),
                Column::new("Open".into(), [10.0, 10.5, 10.9]),
                Column::new("High".into(), [11.0, 11.0, 11.5]),
                Column::new("Low".into(), [9.5, 10.1, 10.6]),
                Column::new("Close".into(), [10.5, 10.9, 11.2]),
                Column::new("Adj Close".into(), [10.4, 10.8, 11.1]),
                Column::new("Volume".into(), [1000_i64, 1500, 900]),
            ],
        )
        .unwrap();
        write(
            dir.path(),
            "ABC.parquet",
            &mut a,
            ParquetCompression::Zstd(None),
        );
        // Text dates, snappy, f32 closes, a null close and an inverted bar.
        let mut b = DataFrame::new(
            4,
            vec![
                Column::new(
                    "date".into(),
                    ["2024-02-01", "2024-02-02", "2024-02-05", "2024-02-06"],
                ),
                Column::new(
                    "high".into(),
                    [Some(5.0_f32), Some(4.0), Some(5.2), Some(5.3)],
                ),
                Column::new(
                    "low".into(),
                    [Some(4.5_f32), Some(4.9), Some(4.8), Some(4.9)],
                ),
                Column::new(
                    "close".into(),
                    [Some(4.75_f32), Some(4.5), None, Some(5.25)],
                ),
            ],
        )
        .unwrap();
        write(
            dir.path(),
            "xyz.parquet",
            &mut b,
            ParquetCompression::Snappy,
        );

        let src = FileSource::new(dir.path());
        let req =
            HistoryRequest::daily(sym("ABC"), date("2024-01-01"), date("2024-01-31")).unwrap();
        let h = src.history(&req).await.unwrap();
        assert_eq!(h.source, "file");
        let closes: Vec<f64> = h.bars.iter().map(|b| b.close).collect();
        assert_eq!(closes, [10.5, 10.9, 11.2]);
        assert_eq!(h.bars[1].date, date("2024-01-03"));
        assert_eq!(h.bars[2].adj_close, Some(11.1));
        assert_eq!(h.bars[1].volume, Some(1500));
        assert!(h.dropped.is_empty());

        // Lower-case file name found for an upper-case symbol.
        let req =
            HistoryRequest::daily(sym("XYZ"), date("2024-02-01"), date("2024-02-29")).unwrap();
        let h = src.history(&req).await.unwrap();
        let dates: Vec<_> = h.bars.iter().map(|b| b.date).collect();
        assert_eq!(dates, [date("2024-02-01"), date("2024-02-06")]);
        assert_eq!(h.dropped.len(), 2);
        assert_eq!(h.dropped[0].date, Some(date("2024-02-02")));
        assert!(
            h.dropped[0].reason.contains("below low"),
            "{}",
            h.dropped[0].reason
        );
        assert_eq!(h.dropped[1].date, Some(date("2024-02-05")));
        let q = src.quote(&sym("XYZ")).await.unwrap();
        assert!(close_to(q.price, 5.25));
    }

    #[tokio::test]
    async fn bad_parquet_files_are_typed_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("BAD.parquet"), b"PAR1 but not really").unwrap();
        let mut no_close = DataFrame::new(
            1,
            vec![days(&["2024-01-02"]), Column::new("open".into(), [1.0])],
        )
        .unwrap();
        write(
            dir.path(),
            "NOCLOSE.parquet",
            &mut no_close,
            ParquetCompression::Uncompressed,
        );
        let mut int_dates = DataFrame::new(
            1,
            vec![
                Column::new("date".into(), [20240102_i64]),
                Column::new("close".into(), [1.0]),
            ],
        )
        .unwrap();
        write(
            dir.path(),
            "INTDATE.parquet",
            &mut int_dates,
            ParquetCompression::Lz4Raw,
        );
        let mut text_close = DataFrame::new(
            2,
            vec![
                days(&["2024-01-02", "2024-01-03"]),
                Column::new("close".into(), ["1.5", "abc"]),
            ],
        )
        .unwrap();
        write(
            dir.path(),
            "TEXT.parquet",
            &mut text_close,
            ParquetCompression::Uncompressed,
        );

        let src = FileSource::new(dir.path());
        let cases = [
            ("BAD", "not a readable Parquet file"),
            ("NOCLOSE", "no close column"),
            ("INTDATE", "expected a date or YYYY-MM-DD text"),
        ];
        for (symbol, needle) in cases {
            let e = src.quote(&sym(symbol)).await.unwrap_err();
            match &e {
                Error::File { path, reason, .. } => {
                    assert!(path.ends_with(&format!("{symbol}.parquet")), "{path}");
                    assert!(reason.contains(needle), "{symbol}: {reason}");
                }
                other => panic!("{symbol}: expected a file error, got {other:?}"),
            }
            // What clients see names the symbol, never the folder.
            let shown = e.to_string();
            assert!(shown.starts_with(&format!("file: {symbol}: ")), "{shown}");
            let folder = dir.path().canonicalize().unwrap();
            assert!(!shown.contains(&*folder.to_string_lossy()), "{shown}");
            assert!(!shown.contains(&*dir.path().to_string_lossy()), "{shown}");
        }

        // Numbers written as text are read like the CSV reader reads them; a
        // row whose close is not a number is dropped and reported.
        let req =
            HistoryRequest::daily(sym("TEXT"), date("2024-01-01"), date("2024-01-31")).unwrap();
        let h = src.history(&req).await.unwrap();
        assert_eq!(h.bars.len(), 1);
        assert!(close_to(h.bars[0].close, 1.5));
        assert_eq!(h.dropped.len(), 1);
        assert_eq!(h.dropped[0].date, Some(date("2024-01-03")));

        // A broken file moves the chain on to the next source.
        let backup = MemorySource::new("backup", 50).with_closes("BAD", &[("2024-01-02", 42.0)]);
        let chain = Chain::new(vec![
            Arc::new(FileSource::new(dir.path())),
            Arc::new(backup),
        ]);
        let q = chain.quote(&sym("BAD")).await.unwrap();
        assert_eq!(q.source, "backup");
        assert_eq!(q.attempts[0].source, "file");
    }
}

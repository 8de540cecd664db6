//! The file source: per-symbol OHLCV files and core's prices layout.

use std::io::Write as _;
use std::sync::Arc;

use auravest_market::{Chain, Error, FileSource, HistoryRequest, MemorySource, QuoteSource};

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
    });
    let chain = Chain::new(vec![
        Arc::new(FileSource::new(examples_prices())),
        Arc::new(down),
    ]);
    let q = chain.quote(&sym("SPY")).await.unwrap();
    assert_eq!(q.source, "file");
    assert_eq!(q.attempts[0].source, "network");
}

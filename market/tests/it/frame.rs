//! Aligned price frames: outer join, ragged starts, core and polars conversions.

use std::sync::Arc;

use auravest_market::{Market, MemorySource};

use crate::support::{date, sym};

fn market() -> Market {
    Market::new(Arc::new(
        MemorySource::new("m", 0)
            .with_closes(
                "OLD",
                &[
                    ("2024-01-02", 10.0),
                    ("2024-01-03", 11.0),
                    ("2024-01-04", 12.0),
                ],
            )
            .with_closes("NEW", &[("2024-01-03", 50.0), ("2024-01-05", 51.0)]),
    ))
}

#[tokio::test]
async fn outer_join_keeps_ragged_starts_as_missing() {
    let m = market();
    let a = m
        .aligned_prices(
            &[sym("OLD"), sym("NEW")],
            date("2024-01-01"),
            date("2024-01-31"),
            true,
        )
        .await
        .unwrap();
    let dates: Vec<String> = a.dates.iter().map(ToString::to_string).collect();
    assert_eq!(
        dates,
        ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    );
    assert_eq!(a.columns[0].1, [Some(10.0), Some(11.0), Some(12.0), None]);
    assert_eq!(a.columns[1].1, [None, Some(50.0), None, Some(51.0)]);
    assert_eq!(
        a.unadjusted,
        [sym("OLD"), sym("NEW")],
        "memory closes are unadjusted"
    );
    let frame = a.to_price_frame().unwrap();
    let mut csv = Vec::new();
    frame.to_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("date,OLD,NEW\n2024-01-02,10,\n"), "{text}");
    // optimize reads this layout back.
    let back = auravest_core::PriceFrame::from_csv(text.as_bytes()).unwrap();
    assert_eq!(back, frame);
}

#[tokio::test]
async fn a_failing_symbol_fails_the_whole_matrix() {
    let e = market()
        .aligned_prices(
            &[sym("OLD"), sym("NOPE")],
            date("2024-01-01"),
            date("2024-01-31"),
            false,
        )
        .await
        .unwrap_err();
    assert!(e.is_not_found());
}

#[cfg(feature = "polars")]
#[tokio::test]
async fn histories_and_matrices_become_dataframes() {
    use polars::prelude::DataType;
    let m = market();
    let req =
        auravest_market::HistoryRequest::daily(sym("OLD"), date("2024-01-01"), date("2024-01-31"))
            .unwrap();
    let h = m.history(&req).await.unwrap();
    let df = h.to_dataframe().unwrap();
    assert_eq!(df.shape(), (3, 7));
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "date",
            "open",
            "high",
            "low",
            "close",
            "adj_close",
            "volume"
        ]
    );
    assert_eq!(df.column("date").unwrap().dtype(), &DataType::Date);
    assert_eq!(
        df.column("close").unwrap().f64().unwrap().get(2),
        Some(12.0)
    );
    assert_eq!(df.column("open").unwrap().null_count(), 3);

    let histories = vec![
        h,
        m.history(
            &auravest_market::HistoryRequest::daily(
                sym("NEW"),
                date("2024-01-01"),
                date("2024-01-31"),
            )
            .unwrap(),
        )
        .await
        .unwrap(),
    ];
    let a = auravest_market::AlignedPrices::from_histories(&histories, false);
    let df = a.to_dataframe().unwrap();
    assert_eq!(df.shape(), (4, 3));
    assert_eq!(df.column("NEW").unwrap().null_count(), 2);
    assert_eq!(df.column("OLD").unwrap().f64().unwrap().get(3), None);
}

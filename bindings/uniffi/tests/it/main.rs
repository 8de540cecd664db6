//! The binding forwards: with every option left `None` it answers exactly
//! what the SDK answers with its own defaults, so no default of its own
//! hides in the shell. (The Kotlin program in `tests/kotlin` tests the
//! surface from the JVM; this also makes the workspace's test build produce
//! the library that `scripts/ci.sh` generates the bindings from.)

use auravest_core::PriceFrame;
use auravest_ffi::optimize::{Objective, OptimizeOptions, optimize};
use auravest_ffi::portfolio::{PerformanceRequest, Portfolio};
use auravest_ffi::prices::PriceTable;

const PRICES: &str = "date,A,B,C\n2024-01-02,10,20,30\n2024-01-03,10.2,19.8,30.3\n\
    2024-01-04,10.1,20.4,30.1\n2024-01-05,10.4,20.1,30.6\n2024-01-08,10.6,20.5,30.2\n\
    2024-01-09,10.5,20.9,30.5\n2024-01-10,10.9,20.7,30.9\n";

#[test]
fn unset_options_are_the_sdks_defaults() {
    let table = PriceTable::from_csv(PRICES.to_owned()).expect("a valid table");
    let frame = PriceFrame::from_csv(PRICES.as_bytes()).expect("a valid frame");
    let options = OptimizeOptions {
        objective: Objective::MinVolatility,
        returns_model: None,
        risk_model: None,
        risk_free_rate: None,
        bounds: None,
        max_holdings: None,
        clean: false,
        compat: None,
    };
    let got = optimize(table, options).expect("solved");
    let sdk = auravest_optimize::OptimizeRequest::new(auravest_optimize::Objective::MinVolatility)
        .solve(&frame)
        .expect("solved");
    let want: Vec<(String, f64)> = sdk
        .weights
        .tickers()
        .iter()
        .map(ToString::to_string)
        .zip(sdk.weights.values().iter().copied())
        .collect();
    let got_pairs: Vec<(String, f64)> = got
        .weights
        .into_iter()
        .map(|w| (w.symbol, w.weight))
        .collect();
    assert_eq!(got_pairs, want);
    assert_eq!(
        got.performance.sharpe.map(f64::to_bits),
        sdk.performance.sharpe.map(f64::to_bits)
    );
}

#[test]
fn performance_without_options_is_the_sdks() {
    let csv = "date,type,symbol,quantity,price,fee,currency\n\
        2024-01-02,deposit,,,1000,0,USD\n2024-01-02,buy,A,10,10,0,USD\n";
    let table = PriceTable::from_csv(PRICES.to_owned()).expect("a valid table");
    let p = Portfolio::new("2024-01-10".to_owned(), None).expect("a portfolio");
    assert!(
        p.import_csv(csv.to_owned(), false)
            .expect("imported")
            .is_empty()
    );
    let got = p
        .performance(
            table,
            PerformanceRequest {
                start: None,
                end: None,
                risk_free_rate: None,
                benchmark: None,
            },
        )
        .expect("a report");
    let mut ledger = auravest_core::Portfolio::new(
        auravest_core::Currency::default(),
        "2024-01-10".parse().expect("a date"),
    );
    let rows = auravest_core::io::read_transactions_csv(csv.as_bytes()).expect("rows");
    ledger.import(rows, false).expect("imported");
    let frame = PriceFrame::from_csv(PRICES.as_bytes()).expect("a valid frame");
    let sdk = ledger
        .performance(&frame, auravest_core::PerformanceOptions::default())
        .expect("a report");
    assert_eq!(
        got.stats.sharpe.map(f64::to_bits),
        sdk.stats.sharpe.map(f64::to_bits)
    );
    // Bit for bit: the same computation, not merely a close one.
    assert_eq!(
        got.time_weighted_return.to_bits(),
        sdk.time_weighted_return.to_bits()
    );
    assert_eq!(got.start, sdk.start.to_string());
}

//! `Portfolio::performance` and `Portfolio::valuation_latest`: the figures a
//! shell shows, computed once.

use auravest_core::{
    Currency, Error, NaiveDate, PERFORMANCE_BASIS, PerformanceOptions, PerformanceStats, Portfolio,
    PriceFrame, StatsOptions, io,
};

const TX: &str = "date,type,symbol,quantity,price,fee,currency
2024-01-02,deposit,,,10000,0,USD
2024-01-02,buy,AAPL,10,100,1,USD
2024-02-01,buy,AAPL,10,120,1,USD
2024-02-15,withdrawal,,,500,0,USD
";
const PRICES: &str = "date,AAPL,SPY
2024-01-02,100,400
2024-01-15,110,404
2024-02-01,120,410
2024-02-15,118,415
2024-03-01,130,420
";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn setup() -> (Portfolio, PriceFrame) {
    let mut p = Portfolio::new(Currency::USD, day("2024-06-30"));
    p.import(io::read_transactions_csv(TX.as_bytes()).unwrap(), false)
        .unwrap();
    (p, PriceFrame::from_csv(PRICES.as_bytes()).unwrap())
}

#[test]
fn performance_is_the_composition_of_the_parts() {
    let (p, prices) = setup();
    let report = p
        .performance(
            &prices,
            PerformanceOptions {
                risk_free_rate: 0.01,
                benchmark: Some("SPY"),
                ..PerformanceOptions::default()
            },
        )
        .unwrap();
    assert_eq!(
        (report.start, report.end),
        (day("2024-01-02"), day("2024-03-01"))
    );
    let series = p
        .value_series(&prices, day("2024-01-02"), day("2024-03-01"))
        .unwrap();
    assert_eq!(report.series, series);
    // The same computation, so the same bits.
    assert_eq!(
        report.time_weighted_return.to_bits(),
        series.time_weighted_return().to_bits()
    );
    assert_eq!(
        report.money_weighted_return.to_bits(),
        series.money_weighted_return().unwrap().to_bits()
    );
    let returns = series.daily_returns();
    let bench = prices.returns_like("SPY", &returns).unwrap();
    let stats = PerformanceStats::compute(
        &returns,
        StatsOptions {
            risk_free_rate: 0.01,
            benchmark: Some(&bench),
        },
    )
    .unwrap();
    assert_eq!(report.stats, stats);
    let b = report.benchmark.unwrap();
    assert_eq!(b.name, "SPY");
    assert!((b.total_return - (420.0 / 400.0 - 1.0)).abs() < 1e-12);
    assert_eq!(report.basis, PERFORMANCE_BASIS);
    assert!(report.basis.starts_with("Based on past prices"));
}

#[test]
fn performance_errors_name_the_problem() {
    let (p, prices) = setup();
    let unknown = p.performance(
        &prices,
        PerformanceOptions {
            benchmark: Some("QQQ"),
            ..PerformanceOptions::default()
        },
    );
    assert!(
        matches!(unknown, Err(Error::UnknownColumn { .. })),
        "{unknown:?}"
    );
    let empty = Portfolio::new(Currency::USD, day("2024-06-30"));
    let err = empty
        .performance(&prices, PerformanceOptions::default())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidPeriod { reason, .. } if reason.contains("no transactions"))
    );
    let no_rows = PriceFrame::new(Vec::new(), Vec::new()).unwrap();
    let err = p
        .performance(&no_rows, PerformanceOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPeriod { reason, .. } if reason.contains("no price rows")));
    let backwards = p.performance(
        &prices,
        PerformanceOptions {
            start: Some(day("2024-03-01")),
            end: Some(day("2024-01-02")),
            ..PerformanceOptions::default()
        },
    );
    assert!(matches!(backwards, Err(Error::InvalidPeriod { .. })));
}

#[test]
fn valuation_latest_values_at_the_last_price_date_or_today() {
    let (p, prices) = setup();
    assert_eq!(
        p.valuation_latest(&prices).unwrap(),
        p.valuation(&prices, day("2024-03-01")).unwrap()
    );
    let no_rows = PriceFrame::new(Vec::new(), Vec::new()).unwrap();
    let empty = Portfolio::new(Currency::default(), day("2024-06-30"));
    let v = empty.valuation_latest(&no_rows).unwrap();
    assert_eq!(v.as_of, day("2024-06-30"));
    assert_eq!(v.base_currency, Currency::USD);
    assert_eq!(p.today(), day("2024-06-30"));
}

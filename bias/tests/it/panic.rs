//! Panic selling: a large sale within days after a fall of the holding or
//! the benchmark.

use auravest_bias::config::PanicConfig;
use auravest_bias::{Error, Nudge, NudgeKind, Severity, panic_selling};

use crate::support::{close, day, flat, frame, log, num};

/// AAA closes at 100 for 25 days (2024-01-01 ..), then at `after` from day 25.
fn closes(after: f64) -> Vec<f64> {
    let mut v = flat(25, 100.0);
    v.extend(flat(16, after));
    v
}

fn sells(sales: &[(usize, u32)]) -> String {
    let mut rows = "2024-01-02,buy,AAA,100,100,0,USD\n".to_owned();
    for (d, q) in sales {
        rows.push_str(&format!(
            "{},sell,AAA,{q},90,0,USD\n",
            day("2024-01-01", *d)
        ));
    }
    rows
}

fn run(
    aaa: Vec<f64>,
    spy: Vec<f64>,
    sales: &[(usize, u32)],
    benchmark: Option<&str>,
) -> Vec<Nudge> {
    let prices = frame("2024-01-01", &[("AAA", aaa), ("SPY", spy)]);
    panic_selling(
        &log(&sells(sales)),
        &prices,
        benchmark,
        day("2024-01-01", 40),
        &PanicConfig::default(),
    )
    .unwrap()
}

#[test]
fn selling_forty_percent_two_days_after_a_twelve_percent_fall_fires() {
    let out = run(closes(88.0), flat(41, 100.0), &[(27, 40)], None);
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!(
        (n.kind, n.severity),
        (NudgeKind::PanicSelling, Severity::Warning)
    );
    assert_eq!(n.subject.as_deref(), Some("AAA"));
    assert!(close(num(n, "sold_fraction"), 0.4, 1e-12));
    assert!(close(num(n, "fall"), 0.12, 1e-9));
    assert_eq!(n.evidence["trading_days_after_fall"], 2);
    assert_eq!(n.evidence["fall_series"], "AAA");
    assert_eq!(n.evidence["fall_date"], "2024-01-26");
    assert_eq!(n.evidence["sale_date"], "2024-01-28");
    assert!(n.explanation.contains("loss aversion"));
}

#[test]
fn a_nine_percent_fall_is_silent() {
    assert!(run(closes(91.0), flat(41, 100.0), &[(27, 40)], None).is_empty());
}

#[test]
fn selling_a_quarter_is_silent_and_thirty_percent_fires() {
    assert!(run(closes(88.0), flat(41, 100.0), &[(27, 25)], None).is_empty());
    assert_eq!(
        run(closes(88.0), flat(41, 100.0), &[(27, 30)], None).len(),
        1
    );
}

#[test]
fn five_trading_days_after_the_fall_fires_and_six_is_silent() {
    let five = run(closes(88.0), flat(41, 100.0), &[(30, 40)], None);
    assert_eq!(five[0].evidence["trading_days_after_fall"], 5);
    assert!(run(closes(88.0), flat(41, 100.0), &[(31, 40)], None).is_empty());
}

#[test]
fn selling_everything_is_critical() {
    let out = run(closes(88.0), flat(41, 100.0), &[(26, 100)], None);
    assert_eq!(out[0].severity, Severity::Critical);
    assert_eq!(out[0].evidence["shares_remaining"], "0");
}

#[test]
fn sales_spread_over_the_window_add_up() {
    // 20% then another 20% of the original position.
    let out = run(closes(88.0), flat(41, 100.0), &[(26, 20), (28, 20)], None);
    assert_eq!(out.len(), 1);
    assert!(close(num(&out[0], "sold_fraction"), 0.4, 1e-12));
    assert_eq!(out[0].evidence["episodes"], 1);
    // Either sale alone is below 30%.
    assert!(run(closes(88.0), flat(41, 100.0), &[(26, 20)], None).is_empty());
}

#[test]
fn a_market_fall_counts_when_a_benchmark_is_named() {
    let with = run(flat(41, 100.0), closes(88.0), &[(27, 40)], Some("SPY"));
    assert_eq!(with.len(), 1);
    assert_eq!(with[0].evidence["fall_series"], "SPY");
    assert!(with[0].explanation.contains("the market (SPY)"));
    assert!(run(flat(41, 100.0), closes(88.0), &[(27, 40)], None).is_empty());
    assert!(run(flat(41, 100.0), closes(91.0), &[(27, 40)], Some("SPY")).is_empty());
}

#[test]
fn old_sales_are_outside_the_lookback() {
    let prices = frame("2024-01-01", &[("AAA", closes(88.0))]);
    let late = day("2024-01-01", 27 + 91);
    let out = panic_selling(
        &log(&sells(&[(27, 40)])),
        &prices,
        None,
        late,
        &PanicConfig::default(),
    )
    .unwrap();
    assert!(out.is_empty());
}

#[test]
fn an_unknown_benchmark_is_a_typed_error() {
    let prices = frame("2024-01-01", &[("AAA", closes(88.0))]);
    let err = panic_selling(
        &log(&sells(&[])),
        &prices,
        Some("QQQ"),
        day("2024-01-01", 40),
        &PanicConfig::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::UnknownBenchmark { ref name, .. } if name == "QQQ"),
        "{err}"
    );
}

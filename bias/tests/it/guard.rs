//! The advice guard: suggestions annotated with their conflicts.

use auravest_bias::{Config, ConflictKind, Error, GuardInput, Severity, Side, Suggestion, guard};
use auravest_core::{InstrumentTable, PriceFrame, Valuation};
use auravest_risk::RiskProfile;

use crate::support::{book, day, flat, frame, log, table};

fn profile(category: &str) -> RiskProfile {
    let (stocks, bonds, cash) = match category {
        "moderate" => (0.6, 0.4, 0.0),
        _ => (1.0, 0.0, 0.0),
    };
    serde_json::from_value(serde_json::json!({
        "version": "2026.1", "score": 50, "capacity_score": 50, "capped_by": [],
        "category": category, "allocation": {"stocks": stocks, "bonds": bonds, "cash": cash},
        "rationale": "test"
    }))
    .unwrap()
}

fn instruments() -> InstrumentTable {
    table(&[
        "AAPL,equity,Technology,US",
        "MSFT,equity,Technology,US",
        "XOM,equity,Energy,US",
        "BTC-USD,crypto,,",
    ])
}

fn suggest(symbol: &str, side: Side, amount: Option<&str>) -> Suggestion {
    Suggestion {
        symbol: symbol.parse().unwrap(),
        side,
        amount: amount.map(|a| a.parse().unwrap()),
    }
}

fn check(
    s: &Suggestion,
    v: &Valuation,
    prices: &PriceFrame,
    profile: Option<&RiskProfile>,
) -> Result<Vec<auravest_bias::Conflict>, Error> {
    let t = instruments();
    let input = GuardInput {
        valuation: v,
        prices,
        instruments: &t,
        risk_profile: profile,
        benchmark: None,
    };
    guard(s, &input, &Config::default())
}

fn kinds(c: &[auravest_bias::Conflict]) -> Vec<ConflictKind> {
    c.iter().map(|c| c.kind).collect()
}

#[test]
fn more_aapl_with_45_percent_in_technology_conflicts() {
    let (_, prices, v) = book(&[("AAPL", 4000), ("MSFT", 500), ("BND", 4000)], 1500);
    let out = check(&suggest("AAPL", Side::Buy, None), &v, &prices, None).unwrap();
    assert_eq!(
        kinds(&out),
        [ConflictKind::Concentration, ConflictKind::Sector]
    );
    assert_eq!(
        out[1].message,
        "The suggestion adds AAPL, but you already hold 45% in Technology (limit 30%)."
    );
    assert!(out[0].message.contains("you already hold 40%"));
}

#[test]
fn a_small_buy_in_a_diversified_portfolio_passes() {
    let (_, prices, v) = book(&[("XOM", 500), ("VTI", 5500), ("BND", 4000)], 0);
    let moderate = profile("moderate");
    let out = check(
        &suggest("XOM", Side::Buy, Some("200")),
        &v,
        &prices,
        Some(&moderate),
    )
    .unwrap();
    assert!(out.is_empty(), "{out:?}");
    // A larger buy pushes XOM past 10% and stocks past 65% (8000 of 12000).
    let out = check(
        &suggest("XOM", Side::Buy, Some("2000")),
        &v,
        &prices,
        Some(&moderate),
    )
    .unwrap();
    assert_eq!(
        kinds(&out),
        [ConflictKind::Concentration, ConflictKind::Allocation]
    );
    assert!(
        out[0]
            .message
            .starts_with("Buying 2000.00 of XOM would make it 20.8%"),
        "{}",
        out[0].message
    );
    assert!(out[1].message.contains("Moderate profile"));
}

#[test]
fn crypto_beyond_ten_percent_is_flagged() {
    let (_, prices, v) = book(&[("VTI", 9500), ("BTC-USD", 500)], 0);
    let out = check(
        &suggest("BTC-USD", Side::Buy, Some("100")),
        &v,
        &prices,
        None,
    )
    .unwrap();
    assert!(out.is_empty(), "{out:?}");
    let out = check(
        &suggest("BTC-USD", Side::Buy, Some("700")),
        &v,
        &prices,
        None,
    )
    .unwrap();
    assert_eq!(
        kinds(&out),
        [ConflictKind::Concentration, ConflictKind::Alternatives]
    );
}

#[test]
fn selling_right_after_a_fall_is_flagged_and_calm_sales_are_not() {
    let mut closes = flat(25, 100.0);
    closes.extend(flat(3, 85.0));
    let prices = frame("2024-01-01", &[("XOM", closes), ("VTI", flat(28, 100.0))]);
    let p = log("2024-01-01,buy,XOM,10,100,0,USD\n2024-01-01,buy,VTI,100,100,0,USD");
    let v = p.valuation(&prices, day("2024-01-01", 27)).unwrap();
    let out = check(&suggest("XOM", Side::Sell, None), &v, &prices, None).unwrap();
    assert_eq!(kinds(&out), [ConflictKind::PanicSelling]);
    assert!(out[0].message.contains("XOM has just fallen 15%"));
    let calm = check(&suggest("VTI", Side::Sell, Some("100")), &v, &prices, None).unwrap();
    assert!(calm.is_empty(), "{calm:?}");
}

#[test]
fn selling_bonds_below_the_profile_band_is_flagged() {
    let (_, prices, v) = book(&[("VTI", 6000), ("BND", 4000)], 0);
    let moderate = profile("moderate");
    let out = check(
        &suggest("BND", Side::Sell, Some("1000")),
        &v,
        &prices,
        Some(&moderate),
    )
    .unwrap();
    assert_eq!(kinds(&out), [ConflictKind::Allocation]);
    assert!(out[0].message.contains("below"));
    let small = check(
        &suggest("BND", Side::Sell, Some("300")),
        &v,
        &prices,
        Some(&moderate),
    )
    .unwrap();
    assert!(small.is_empty());
}

#[test]
fn unclassified_tickers_are_noted() {
    let (_, prices, v) = book(&[("VTI", 9000), ("ZZZ", 500)], 500);
    let out = check(&suggest("ZZZ", Side::Buy, Some("100")), &v, &prices, None).unwrap();
    assert_eq!(kinds(&out), [ConflictKind::Unclassified]);
    assert_eq!(out[0].severity, Severity::Info);
}

#[test]
fn bad_suggestions_are_typed_errors() {
    let (_, prices, v) = book(&[("VTI", 9000)], 1000);
    let err = check(&suggest("NOPE", Side::Buy, None), &v, &prices, None).unwrap_err();
    assert!(matches!(err, Error::UnknownSymbol { ref symbol } if symbol.as_str() == "NOPE"));
    assert_eq!(err.field(), Some("symbol"));
    // Known from the instrument table, but not held: cannot be sold.
    let err = check(&suggest("AAPL", Side::Sell, None), &v, &prices, None).unwrap_err();
    assert!(matches!(err, Error::NotHeld { .. }), "{err}");
    let err = check(&suggest("VTI", Side::Buy, Some("-5")), &v, &prices, None).unwrap_err();
    assert!(matches!(err, Error::InvalidAmount { .. }), "{err}");
    let err = check(&suggest("VTI", Side::Buy, Some("0")), &v, &prices, None).unwrap_err();
    assert!(matches!(err, Error::InvalidAmount { .. }), "{err}");
    let t = instruments();
    let input = GuardInput {
        valuation: &v,
        prices: &prices,
        instruments: &t,
        risk_profile: None,
        benchmark: Some("SPY"),
    };
    let err = guard(&suggest("VTI", Side::Buy, None), &input, &Config::default()).unwrap_err();
    assert!(matches!(err, Error::UnknownBenchmark { .. }), "{err}");
}

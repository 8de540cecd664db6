//! CVaR and CDaR parity with PyPortfolioOpt (the `cvar_cdar` anchors) and errors.

use auravest_core::PriceFrame;
use auravest_optimize::{Error, ExpectedReturns, ReturnMatrix, TailMeasure, min_tail_risk};
use serde_json::Value;

fn load() -> (ReturnMatrix, ExpectedReturns, Value) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared");
    let prices = std::fs::read(format!("{root}/data/stock_prices.csv"))
        .unwrap_or_else(|e| panic!("the shared price data is required at {root}/data: {e}"));
    let frame = PriceFrame::from_csv(prices.as_slice()).unwrap();
    // Complete rows of prices, then returns (PyPortfolioOpt: prices.dropna(how='any')).
    let keep: Vec<usize> = (0..frame.len())
        .filter(|&i| (0..frame.columns().len()).all(|j| frame.column_at(j).unwrap()[i].is_some()))
        .collect();
    let dates: Vec<_> = keep.iter().map(|&i| frame.dates()[i]).collect();
    let cols = (0..frame.columns().len())
        .map(|j| {
            (
                frame.columns()[j].clone(),
                keep.iter()
                    .map(|&i| frame.column_at(j).unwrap()[i])
                    .collect(),
            )
        })
        .collect();
    let complete = PriceFrame::new(dates, cols).unwrap();
    let r = ReturnMatrix::from_prices(&complete).unwrap();
    let n = r.values().ncols();
    let t = r.values().nrows() as f64;
    let mu: Vec<f64> = (0..n)
        .map(|j| {
            r.values()
                .column(j)
                .iter()
                .fold(1.0, |g, x| g * (1.0 + x))
                .powf(252.0 / t)
                - 1.0
        })
        .collect();
    let mu = ExpectedReturns::new(r.tickers().to_vec(), mu).unwrap();
    let a: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/anchors/pypfopt_reference.json")).unwrap(),
    )
    .unwrap();
    (r, mu, a)
}

fn check(name: &str, got: &auravest_optimize::TailRiskSolution, want: &Value, perf_key: &str) {
    for (t, w) in got
        .weights
        .tickers()
        .iter()
        .zip(got.weights.values().iter())
    {
        let e = want["weights"][t.as_str()].as_f64().unwrap();
        assert!((w - e).abs() <= 1e-4, "{name} {t}: {w} vs {e}");
    }
    let perf = want[perf_key].as_array().unwrap();
    let (r, risk) = (perf[0].as_f64().unwrap(), perf[1].as_f64().unwrap());
    assert!(
        (got.expected_return - r).abs() <= 1e-6,
        "{name} return {} vs {r}",
        got.expected_return
    );
    assert!(
        (got.risk - risk).abs() <= 1e-6,
        "{name} risk {} vs {risk}",
        got.risk
    );
}

#[test]
fn cvar_and_cdar_match_pyportfolioopt() {
    let (r, mu, a) = load();
    assert_eq!(r.complete_rows().values().nrows(), 895);
    let cvar = min_tail_risk(TailMeasure::Cvar, &r, &mu, 0.95, (0.0, 1.0), None).unwrap();
    check(
        "min_cvar",
        &cvar,
        &a["cvar_cdar"]["min_cvar"],
        "performance_return_cvar",
    );
    let cdar = min_tail_risk(TailMeasure::Cdar, &r, &mu, 0.95, (0.0, 1.0), None).unwrap();
    check(
        "min_cdar",
        &cdar,
        &a["cvar_cdar"]["min_cdar"],
        "performance_return_cdar",
    );
    // A return target raises both return and risk.
    let target = cvar.expected_return + 0.1;
    let higher = min_tail_risk(TailMeasure::Cvar, &r, &mu, 0.95, (0.0, 1.0), Some(target)).unwrap();
    assert!(higher.expected_return >= target - 1e-7 && higher.risk >= cvar.risk - 1e-9);
}

#[test]
fn tail_risk_errors() {
    let (r, mu, _) = load();
    assert!(matches!(
        min_tail_risk(TailMeasure::Cvar, &r, &mu, 1.0, (0.0, 1.0), None),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        min_tail_risk(TailMeasure::Cdar, &r, &mu, 0.95, (0.0, 0.01), None),
        Err(Error::InfeasibleBounds { .. })
    ));
    assert!(matches!(
        min_tail_risk(TailMeasure::Cvar, &r, &mu, 0.95, (0.0, 1.0), Some(5.0)),
        Err(Error::TargetReturnUnreachable { .. })
    ));
}

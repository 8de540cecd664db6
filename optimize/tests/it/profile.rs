//! From risk category to portfolio: every band reachable thanks to the cash asset.

use auravest_optimize::profile::{BOND_TARGET_VOLATILITY, stock_volatility_band};
use auravest_optimize::{CASH, CovarianceMatrix, Error, ExpectedReturns, recommend};
use auravest_risk::RiskCategory;
use nalgebra::DMatrix;
use serde_json::Value;

fn universe() -> (ExpectedReturns, CovarianceMatrix) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/anchors/pypfopt_reference.json"
    );
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("anchors present")).unwrap();
    let t: Vec<String> = a["meta"]["data"]["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect();
    let mu = t
        .iter()
        .map(|k| {
            a["expected_returns"]["mean_historical_return"][k]
                .as_f64()
                .unwrap()
        })
        .collect();
    let rows = a["risk_models"]["sample_cov"]["values"].as_array().unwrap();
    let n = t.len();
    let s = DMatrix::from_fn(n, n, |i, j| rows[i][j].as_f64().unwrap());
    (
        ExpectedReturns::new(t.clone(), mu).unwrap(),
        CovarianceMatrix::new(t, s).unwrap(),
    )
}

const CATEGORIES: [RiskCategory; 5] = [
    RiskCategory::Conservative,
    RiskCategory::ModeratelyConservative,
    RiskCategory::Moderate,
    RiskCategory::Growth,
    RiskCategory::Aggressive,
];

#[test]
fn every_category_hits_its_stock_band() {
    let (mu, cov) = universe();
    let mut last_vol = 0.0;
    for c in CATEGORIES {
        let r = recommend(c, &mu, &cov, &[], 0.02).unwrap();
        let w = r.weights.values();
        assert!((w.sum() - 1.0).abs() < 1e-9, "{c:?}");
        assert!(w.iter().all(|x| *x >= -1e-12));
        assert_eq!(r.weights.tickers().last().map(String::as_str), Some(CASH));
        // Stock sleeve volatility = portfolio volatility / stock share (cash and
        // the missing bond series carry no risk).
        let (_, target, _) = stock_volatility_band(c);
        let sleeve_vol = r.performance.volatility / r.allocation.stocks;
        assert!(
            (sleeve_vol - target).abs() < 1e-6,
            "{c:?}: sleeve volatility {sleeve_vol}"
        );
        assert!(r.performance.volatility > last_vol);
        last_vol = r.performance.volatility;
        // The bond share sits in cash without bond series, and the reasoning says so.
        let cash = w[w.len() - 1];
        assert!(cash >= r.allocation.cash + r.allocation.bonds - 1e-9);
        if r.allocation.bonds > 0.0 {
            assert!(
                r.reasoning.iter().any(|s| s.contains("no bond series")),
                "{:?}",
                r.reasoning
            );
        }
        assert!(r.reasoning.last().unwrap().contains("not financial advice"));
    }
}

#[test]
fn bond_series_fill_the_bond_sleeve() {
    let (mu, cov) = universe();
    let mut t = mu.tickers().to_vec();
    t.push("AGG".to_owned());
    let mut m: Vec<f64> = mu.values().iter().copied().collect();
    m.push(0.035);
    let n = t.len();
    let s = DMatrix::from_fn(n, n, |i, j| {
        if i < n - 1 && j < n - 1 {
            cov.matrix()[(i, j)]
        } else if i == j {
            0.05f64.powi(2)
        } else {
            0.0
        }
    });
    let mu2 = ExpectedReturns::new(t.clone(), m).unwrap();
    let cov2 = CovarianceMatrix::new(t, s).unwrap();
    let r = recommend(RiskCategory::Moderate, &mu2, &cov2, &["AGG"], 0.02).unwrap();
    let agg = r.weights.get("AGG").unwrap();
    // Bond sleeve at 4% volatility with a 5%-volatility bond: 80% of the sleeve in AGG.
    assert!(
        (agg - r.allocation.bonds * BOND_TARGET_VOLATILITY / 0.05).abs() < 1e-6,
        "{agg}"
    );
    assert!(matches!(
        recommend(RiskCategory::Moderate, &mu2, &cov2, &["NOPE"], 0.02),
        Err(Error::UnknownTicker(_))
    ));
}

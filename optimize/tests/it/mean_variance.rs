//! Mean-variance parity with PyPortfolioOpt 1.6 (the `mean_variance` block of
//! the shared anchors), error cases and invariants.

use auravest_core::Symbol;
use std::collections::BTreeMap;

use auravest_optimize::mean_variance::Solution;
use auravest_optimize::{
    CovarianceMatrix, Error, ExpectedReturns, LinearConstraint, MeanVariance, Relation, Weights,
};
use nalgebra::DMatrix;
use proptest::prelude::*;
use serde_json::Value;

fn anchors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/anchors/pypfopt_reference.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the parity anchors are required at {path}: {e}"));
    serde_json::from_str(&text).expect("anchors are JSON")
}

fn tickers(a: &Value) -> Vec<Symbol> {
    a["meta"]["data"]["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect()
}

fn mu(a: &Value) -> ExpectedReturns {
    let t = tickers(a);
    let m = &a["expected_returns"]["mean_historical_return"];
    let v = t.iter().map(|k| m[k.as_str()].as_f64().unwrap()).collect();
    ExpectedReturns::new(t, v).unwrap()
}

fn cov(a: &Value, key: &str) -> CovarianceMatrix {
    let t = tickers(a);
    let block = &a["risk_models"][key];
    let order: Vec<Symbol> = block["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(order, t);
    let rows = block["values"].as_array().unwrap();
    let n = t.len();
    let m = DMatrix::from_fn(n, n, |i, j| rows[i][j].as_f64().unwrap());
    CovarianceMatrix::new(t, m).unwrap()
}

fn check(name: &str, got: &Solution, want: &Value) {
    let w = &want["weights"];
    for (t, v) in got
        .weights
        .tickers()
        .iter()
        .zip(got.weights.values().iter())
    {
        let expected = w[t.as_str()].as_f64().unwrap();
        assert!(
            (v - expected).abs() <= 1e-4,
            "{name}: weight {t}: got {v}, want {expected}"
        );
    }
    let p = &want["performance_rf_0.02"];
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    assert!(
        close(
            got.performance.expected_return,
            p["expected_return"].as_f64().unwrap()
        ),
        "{name}: return {:?} vs {p}",
        got.performance
    );
    assert!(
        close(
            got.performance.volatility,
            p["volatility"].as_f64().unwrap()
        ),
        "{name}: volatility {:?} vs {p}",
        got.performance
    );
    assert!(
        close(
            got.performance.sharpe.unwrap(),
            p["sharpe"].as_f64().unwrap()
        ),
        "{name}: sharpe {:?} vs {p}",
        got.performance
    );
    let sum: f64 = got.weights.values().sum();
    assert!((sum - 1.0).abs() < 1e-9, "{name}: weights sum to {sum}");
}

#[test]
fn parity_with_pyportfolioopt() {
    let a = anchors();
    let mv = &a["mean_variance"];
    let base = || MeanVariance::new(mu(&a), cov(&a, "sample_cov")).unwrap();
    check(
        "max_sharpe",
        &base().max_sharpe(0.02).unwrap(),
        &mv["max_sharpe_rf_0.02"],
    );
    check(
        "min_volatility",
        &base().min_volatility(0.02).unwrap(),
        &mv["min_volatility"],
    );
    check(
        "efficient_risk_0.25",
        &base().efficient_risk(0.25, 0.02).unwrap(),
        &mv["efficient_risk_0.25"],
    );
    check(
        "efficient_risk_0.19",
        &base().efficient_risk(0.19, 0.02).unwrap(),
        &mv["efficient_risk_0.19"],
    );
    check(
        "efficient_return_0.2",
        &base().efficient_return(0.2, 0.02).unwrap(),
        &mv["efficient_return_0.2"],
    );
    check(
        "efficient_return_0.25",
        &base().efficient_return(0.25, 0.02).unwrap(),
        &mv["efficient_return_0.25"],
    );
    check(
        "max_quadratic_utility",
        &base().max_quadratic_utility(1.0, 0.02).unwrap(),
        &mv["max_quadratic_utility_ra_1"],
    );
    check(
        "min_volatility_L2",
        &base()
            .l2_regularisation(1.0)
            .unwrap()
            .min_volatility(0.02)
            .unwrap(),
        &mv["min_volatility_L2_gamma_1"],
    );
    check(
        "max_sharpe_max_weight",
        &base().bounds(0.0, 0.10).unwrap().max_sharpe(0.02).unwrap(),
        &mv["max_sharpe_max_weight_0.10"],
    );
    let sc = &mv["max_sharpe_sector_constraints"];
    let mut sectors: BTreeMap<String, Vec<Symbol>> = BTreeMap::new();
    for (t, s) in sc["sector_mapper"].as_object().unwrap() {
        sectors
            .entry(s.as_str().unwrap().to_owned())
            .or_default()
            .push(t.parse().unwrap());
    }
    let mut ef = base();
    for (sector, members) in &sectors {
        let lo = sc["sector_lower"][sector.as_str()].as_f64().unwrap_or(0.0);
        let hi = sc["sector_upper"][sector.as_str()].as_f64().unwrap_or(1.0);
        let m: Vec<&str> = members.iter().map(Symbol::as_str).collect();
        ef = ef.group(sector, &m, lo, hi).unwrap();
    }
    check("max_sharpe_sector", &ef.max_sharpe(0.02).unwrap(), sc);
    check(
        "max_sharpe_long_short",
        &base().bounds(-1.0, 1.0).unwrap().max_sharpe(0.02).unwrap(),
        &mv["max_sharpe_long_short_bounds_-1_1"],
    );
    let lw = || MeanVariance::new(mu(&a), cov(&a, "ledoit_wolf_constant_variance")).unwrap();
    check(
        "max_sharpe_lw",
        &lw().max_sharpe(0.02).unwrap(),
        &mv["max_sharpe_rf_0.02_ledoit_wolf_cov"],
    );
    check(
        "min_volatility_lw",
        &lw().min_volatility(0.02).unwrap(),
        &mv["min_volatility_ledoit_wolf_cov"],
    );
}

#[test]
fn active_set_and_clarabel_agree() {
    let a = anchors();
    let base = MeanVariance::new(mu(&a), cov(&a, "sample_cov")).unwrap();
    // An inactive linear constraint forces the conic path without changing the answer.
    let loose = LinearConstraint {
        coefficients: vec![1.0; 20],
        relation: Relation::LessEq,
        rhs: 5.0,
    };
    let conic = base.clone().linear_constraint(loose).unwrap();
    for (x, y) in [
        (
            base.min_volatility(0.02).unwrap(),
            conic.min_volatility(0.02).unwrap(),
        ),
        (
            base.max_sharpe(0.02).unwrap(),
            conic.max_sharpe(0.02).unwrap(),
        ),
        (
            base.efficient_return(0.3, 0.02).unwrap(),
            conic.efficient_return(0.3, 0.02).unwrap(),
        ),
        (
            base.efficient_risk(0.2, 0.02).unwrap(),
            conic.efficient_risk(0.2, 0.02).unwrap(),
        ),
        (
            base.max_quadratic_utility(2.0, 0.02).unwrap(),
            conic.max_quadratic_utility(2.0, 0.02).unwrap(),
        ),
    ] {
        assert_eq!((x.method, y.method), ("active-set", "clarabel"));
        let d = (x.weights.values() - y.weights.values()).amax();
        assert!(d < 1e-5, "{d}");
    }
}

#[test]
fn failures_are_typed_errors_that_say_what_to_change() {
    let a = anchors();
    let base = || MeanVariance::new(mu(&a), cov(&a, "sample_cov")).unwrap();
    let max = base().max_return().unwrap();
    match base().efficient_return(max + 0.1, 0.02) {
        Err(Error::TargetReturnUnreachable { max: m, .. }) => assert!((m - max).abs() < 1e-12),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        base().efficient_risk(0.05, 0.02),
        Err(Error::TargetVolatilityUnreachable { .. })
    ));
    assert!(matches!(
        base().max_sharpe(0.5),
        Err(Error::NoReturnAboveRiskFree { .. })
    ));
    assert!(matches!(
        base().bounds(0.0, 0.04),
        Err(Error::InfeasibleBounds { .. })
    ));
    assert!(matches!(
        base().bounds(0.1, 1.0),
        Err(Error::InfeasibleBounds { .. })
    ));
    assert!(matches!(
        base().bounds(0.5, 0.1),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        base().max_quadratic_utility(-1.0, 0.02),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        base().group("X", &["NOPE"], 0.0, 1.0),
        Err(Error::UnknownTicker(_))
    ));
    let t = vec!["A".parse().unwrap(), "B".parse().unwrap()];
    let m = ExpectedReturns::new(t.clone(), vec![0.1, 0.2]).unwrap();
    let bad = CovarianceMatrix::new(
        t.clone(),
        DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]),
    )
    .unwrap();
    assert!(matches!(
        MeanVariance::new(m, bad),
        Err(Error::NotPositiveSemiDefinite { .. })
    ));
    assert!(matches!(
        CovarianceMatrix::new(
            t.clone(),
            DMatrix::from_row_slice(2, 2, &[1.0, f64::NAN, f64::NAN, 1.0])
        ),
        Err(Error::NonFinite { .. })
    ));
    // Infeasible group constraints: the solver proves it.
    let g = base()
        .group("all", &["AAPL", "GOOG"], 0.9, 1.0)
        .unwrap()
        .group("also", &["AAPL", "GOOG"], 0.0, 0.5)
        .unwrap();
    assert!(matches!(
        g.min_volatility(0.02),
        Err(Error::Infeasible { .. })
    ));
    let _ = Weights::new(t, vec![0.5, 0.5]).unwrap();
}

#[test]
fn market_neutral_and_turnover_and_cardinality() {
    let a = anchors();
    let base = || MeanVariance::new(mu(&a), cov(&a, "sample_cov")).unwrap();
    let neutral = base()
        .bounds(-1.0, 1.0)
        .unwrap()
        .market_neutral()
        .unwrap()
        .efficient_risk(0.2, 0.02)
        .unwrap();
    assert!(neutral.weights.values().sum().abs() < 1e-7);
    assert!((neutral.performance.volatility - 0.2).abs() < 1e-6);

    // A huge turnover cost keeps the current weights.
    let minvol = base().min_volatility(0.02).unwrap();
    let current = Weights::new(tickers(&a), vec![0.05; 20]).unwrap();
    let stay = base()
        .transaction_cost(&current, 10.0)
        .unwrap()
        .min_volatility(0.02)
        .unwrap();
    assert!((stay.weights.values() - current.values()).amax() < 1e-5);
    let free = base()
        .transaction_cost(&current, 0.0)
        .unwrap()
        .min_volatility(0.02)
        .unwrap();
    assert!((free.weights.values() - minvol.weights.values()).amax() < 1e-5);

    // At most 4 holdings, each at least 10%: exact, and never better than the relaxed optimum.
    let k4 = base()
        .max_holdings(4)
        .unwrap()
        .min_position(0.1)
        .unwrap()
        .min_volatility(0.02)
        .unwrap();
    let held: Vec<f64> = k4
        .weights
        .values()
        .iter()
        .copied()
        .filter(|w| *w > 1e-9)
        .collect();
    assert!(
        held.len() <= 4 && held.iter().all(|w| *w >= 0.1 - 1e-9),
        "{held:?}"
    );
    assert!(k4.performance.volatility >= minvol.performance.volatility - 1e-12);
    assert_eq!(k4.method, "branch-and-bound");
    let ms3 = base().max_holdings(3).unwrap().max_sharpe(0.02).unwrap();
    assert!(ms3.weights.values().iter().filter(|w| **w > 1e-9).count() <= 3);
}

#[test]
fn frontier_rises_and_starts_at_min_volatility() {
    let a = anchors();
    let ef = MeanVariance::new(mu(&a), cov(&a, "sample_cov")).unwrap();
    let pts = ef.frontier(25, 0.02).unwrap();
    assert_eq!(pts.len(), 25);
    let minvol = ef.min_volatility(0.02).unwrap();
    assert!((pts[0].performance.volatility - minvol.performance.volatility).abs() < 1e-12);
    for w in pts.windows(2) {
        assert!(w[1].performance.expected_return > w[0].performance.expected_return);
        assert!(w[1].performance.volatility >= w[0].performance.volatility - 1e-12);
    }
    assert!((pts[24].performance.expected_return - ef.max_return().unwrap()).abs() < 1e-9);
}

fn random_problem() -> impl Strategy<Value = (Vec<f64>, DMatrix<f64>)> {
    (3usize..9).prop_flat_map(|n| {
        (
            proptest::collection::vec(-0.05f64..0.3, n),
            proptest::collection::vec(-1.0f64..1.0, n * (n + 2)),
        )
            .prop_map(move |(mu, f)| {
                let x = DMatrix::from_row_slice(n + 2, n, &f);
                let s = x.transpose() * &x * 0.02 + DMatrix::identity(n, n) * 1e-3;
                (mu, s)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn weights_sum_to_one_and_respect_bounds((m, s) in random_problem(), hi in 0.35f64..1.0) {
        let n = m.len();
        let t: Vec<Symbol> = (0..n).map(|i| format!("A{i}").parse().unwrap()).collect();
        let mu = ExpectedReturns::new(t.clone(), m).unwrap();
        let cov = CovarianceMatrix::new(t, s).unwrap();
        let ef = MeanVariance::new(mu, cov).unwrap().bounds(0.0, hi).unwrap();
        let minvol = ef.min_volatility(0.0).unwrap();
        let mut sols = vec![minvol.clone(), ef.max_quadratic_utility(3.0, 0.0).unwrap()];
        if let Ok(s) = ef.max_sharpe(0.0) { sols.push(s); }
        if let Ok(s) = ef.efficient_risk(minvol.performance.volatility * 1.2, 0.0) { sols.push(s); }
        for s in &sols {
            let w = s.weights.values();
            prop_assert!((w.sum() - 1.0).abs() < 1e-8);
            prop_assert!(w.iter().all(|x| *x >= -1e-12 && *x <= hi + 1e-12));
            prop_assert!(s.performance.volatility >= minvol.performance.volatility - 1e-9);
        }
    }
}

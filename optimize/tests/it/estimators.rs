//! Estimators: parity with PyPortfolioOpt's reference outputs, the missing-data
//! policy, errors, PSD check and repair, and invariants on random data.

use auravest_core::Symbol;
use std::path::PathBuf;

use auravest_core::{NaiveDate, PriceFrame};
use auravest_optimize::expected_returns::{
    DEFAULT_EMA_SPAN, ExpectedReturnsMethod, capm, ema_historical, mean_historical,
    returns_with_market,
};
use auravest_optimize::risk_models::{
    DEFAULT_EXP_COV_SPAN, DEFAULT_SEMICOVARIANCE_BENCHMARK, Estimator, PsdRepair, ShrinkageTarget,
    exp_cov, fix_psd, is_psd, ledoit_wolf, min_eigenvalue, oracle_approximating, sample_cov,
    semicovariance, shrunk_covariance,
};
use auravest_optimize::{CovarianceMatrix, Error, ExpectedReturns, MissingData, ReturnMatrix};
use nalgebra::DMatrix;
use proptest::prelude::*;
use serde_json::Value;

/// Parity tolerance: relative, with an absolute floor.
const REL_TOL: f64 = 1e-9;
const ABS_FLOOR: f64 = 1e-12;

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(path)
}

fn read_shared(path: &str) -> String {
    let full = shared(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): the parity tests need the shared anchors and price data beside the repository",
            full.display()
        )
    })
}

fn anchors() -> Value {
    serde_json::from_str(&read_shared("anchors/pypfopt_reference.json"))
        .unwrap_or_else(|e| panic!("pypfopt_reference.json is not valid JSON: {e}"))
}

fn prices(file: &str) -> PriceFrame {
    PriceFrame::from_csv(read_shared(file).as_bytes())
        .unwrap_or_else(|e| panic!("cannot parse {file}: {e}"))
}

fn stock_returns() -> ReturnMatrix {
    ReturnMatrix::from_prices(&prices("data/stock_prices.csv"))
        .expect("returns of the shared prices")
}

fn anchor<'a>(root: &'a Value, block: &str, key: &str) -> &'a Value {
    root.get(block)
        .and_then(|b| b.get(key))
        .unwrap_or_else(|| panic!("the anchors have no {block}.{key}"))
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

/// Relative error with the absolute floor.
fn rel_err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(ABS_FLOOR / REL_TOL)
}

/// Checks a ticker -> value map; returns the worst relative error.
fn check_series(name: &str, got: &ExpectedReturns, want: &Value) -> f64 {
    let map = want
        .as_object()
        .unwrap_or_else(|| panic!("{name}: the anchor is not an object"));
    assert_eq!(map.len(), got.len(), "{name}: number of tickers");
    let mut worst: f64 = 0.0;
    for (ticker, v) in map {
        let g = got
            .get(ticker)
            .unwrap_or_else(|| panic!("{name}: no value for {ticker}"));
        let w = num(v, ticker);
        let e = rel_err(g, w);
        assert!(
            (g - w).abs() <= (REL_TOL * w.abs()).max(ABS_FLOOR),
            "{name} {ticker}: got {g:e}, want {w:e} (relative error {e:e})"
        );
        worst = worst.max(e);
    }
    eprintln!("parity {name}: worst relative error {worst:.3e}");
    worst
}

/// Checks a covariance matrix against `{"tickers", "values"}`; returns the
/// worst relative error.
fn check_matrix(name: &str, got: &CovarianceMatrix, want: &Value) -> f64 {
    let tickers: Vec<Symbol> = want["tickers"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no tickers"))
        .iter()
        .map(|t| t.as_str().unwrap_or_default().parse().unwrap())
        .collect();
    assert_eq!(got.tickers(), tickers.as_slice(), "{name}: ticker order");
    let rows = want["values"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no values"));
    assert_eq!(rows.len(), got.len(), "{name}: size");
    let mut worst: f64 = 0.0;
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_array().unwrap_or_else(|| panic!("{name}: row {i}"));
        assert_eq!(row.len(), got.len(), "{name}: row {i} length");
        for (j, v) in row.iter().enumerate() {
            let w = num(v, name);
            let g = got.matrix()[(i, j)];
            let e = rel_err(g, w);
            assert!(
                (g - w).abs() <= (REL_TOL * w.abs()).max(ABS_FLOOR),
                "{name} ({}, {}): got {g:e}, want {w:e} (relative error {e:e})",
                tickers[i],
                tickers[j]
            );
            worst = worst.max(e);
        }
    }
    eprintln!("parity {name}: worst relative error {worst:.3e}");
    worst
}

fn check_shrinkage(name: &str, got: f64, want: &Value) {
    let w = num(&want["shrinkage"], name);
    let e = rel_err(got, w);
    assert!(
        (got - w).abs() <= (REL_TOL * w.abs()).max(ABS_FLOOR),
        "{name} shrinkage: got {got:e}, want {w:e}"
    );
    eprintln!("parity {name} shrinkage: relative error {e:.3e}");
}

const COMPAT: MissingData = MissingData::PyPortfolioOpt;

// ---------------------------------------------------------------- parity: expected returns

#[test]
fn parity_mean_historical_return() {
    let a = anchors();
    let r = stock_returns();
    let got = mean_historical(&r, true).expect("geometric mean");
    check_series(
        "mean_historical_return",
        &got,
        anchor(&a, "expected_returns", "mean_historical_return"),
    );
    let got = mean_historical(&r, false).expect("arithmetic mean");
    check_series(
        "mean_historical_return_arithmetic",
        &got,
        anchor(&a, "expected_returns", "mean_historical_return_arithmetic"),
    );
}

#[test]
fn parity_ema_historical_return() {
    let a = anchors();
    let got = ema_historical(&stock_returns(), 500, true).expect("ema");
    check_series(
        "ema_historical_return_span500",
        &got,
        anchor(&a, "expected_returns", "ema_historical_return_span500"),
    );
    let via_method = ExpectedReturnsMethod::Ema {
        span: DEFAULT_EMA_SPAN,
    }
    .estimate(&stock_returns(), None, 0.0)
    .expect("ema via method");
    assert_eq!(via_method, got);
}

#[test]
fn parity_capm_equal_weight_market() {
    let a = anchors();
    let got = capm(&stock_returns(), None, 0.0, true).expect("capm");
    check_series(
        "capm_return_equal_weight_market",
        &got,
        anchor(&a, "expected_returns", "capm_return_equal_weight_market"),
    );
}

#[test]
fn parity_capm_spy_market_on_common_dates() {
    let a = anchors();
    let spy = prices("data/spy_prices.csv")
        .series("SPY")
        .expect("SPY column");
    let (returns, market) =
        returns_with_market(&prices("data/stock_prices.csv"), &spy).expect("aligned");
    assert_eq!(returns.dates().len(), market.len());
    assert_eq!(
        returns.dates().first().copied(),
        NaiveDate::from_ymd_opt(1993, 2, 1),
        "first return date after the first common date 1993-01-29"
    );
    assert!(market.iter().all(|v| v.is_finite()));
    let got = capm(&returns, Some(&market), 0.0, true).expect("capm spy");
    check_series(
        "capm_return_spy_market_common_dates",
        &got,
        &anchor(
            &a,
            "expected_returns",
            "capm_return_spy_market_common_dates",
        )["values"],
    );
}

// ---------------------------------------------------------------- parity: risk models

#[test]
fn parity_sample_cov() {
    let a = anchors();
    let r = stock_returns();
    let got = sample_cov(&r, COMPAT).expect("sample cov");
    check_matrix("sample_cov", &got, anchor(&a, "risk_models", "sample_cov"));
    // PyPortfolioOpt did not repair it; the Pairwise estimate (never repaired
    // beyond rounding) is the same matrix and PSD.
    let was_fixed = anchor(&a, "risk_models", "sample_cov_was_psd_fixed")
        .as_bool()
        .expect("boolean");
    let pairwise = sample_cov(&r, MissingData::Pairwise).expect("pairwise sample cov");
    assert_eq!(is_psd(&pairwise), !was_fixed);
    assert_eq!(pairwise, got);
}

#[test]
fn parity_ledoit_wolf_three_targets() {
    let a = anchors();
    let r = stock_returns();
    for (key, target) in [
        (
            "ledoit_wolf_constant_variance",
            ShrinkageTarget::ConstantVariance,
        ),
        ("ledoit_wolf_single_factor", ShrinkageTarget::SingleFactor),
        (
            "ledoit_wolf_constant_correlation",
            ShrinkageTarget::ConstantCorrelation,
        ),
    ] {
        let (cov, delta) = ledoit_wolf(&r, target, COMPAT).expect(key);
        let want = anchor(&a, "risk_models", key);
        check_matrix(key, &cov, want);
        check_shrinkage(key, delta, want);
    }
}

#[test]
fn parity_oracle_approximating() {
    let a = anchors();
    let (cov, delta) = oracle_approximating(&stock_returns(), COMPAT).expect("oas");
    let want = anchor(&a, "risk_models", "oracle_approximating");
    check_matrix("oracle_approximating", &cov, want);
    check_shrinkage("oracle_approximating", delta, want);
}

#[test]
fn parity_shrunk_covariance() {
    let a = anchors();
    let cov = shrunk_covariance(&stock_returns(), 0.2, COMPAT).expect("shrunk");
    check_matrix(
        "shrunk_covariance_delta_0.2",
        &cov,
        anchor(&a, "risk_models", "shrunk_covariance_delta_0.2"),
    );
}

#[test]
fn parity_semicovariance() {
    let a = anchors();
    let cov = semicovariance(&stock_returns(), DEFAULT_SEMICOVARIANCE_BENCHMARK, COMPAT)
        .expect("semicov");
    check_matrix(
        "semicovariance_benchmark_0.000079",
        &cov,
        anchor(&a, "risk_models", "semicovariance_benchmark_0.000079"),
    );
}

#[test]
fn parity_exp_cov() {
    let a = anchors();
    let cov = exp_cov(&stock_returns(), DEFAULT_EXP_COV_SPAN, COMPAT).expect("exp cov");
    check_matrix(
        "exp_cov_span180",
        &cov,
        anchor(&a, "risk_models", "exp_cov_span180"),
    );
}

#[test]
fn estimator_names_map_to_pypfopt_defaults() {
    let a = anchors();
    let r = stock_returns();
    for name in Estimator::NAMES {
        let e: Estimator = name.parse().expect("known name");
        assert_eq!(e.name(), name);
        assert_eq!(e.to_string(), name);
    }
    let semi: Estimator = "semicovariance".parse().expect("semicovariance");
    check_matrix(
        "Estimator semicovariance",
        &semi.estimate(&r, COMPAT).expect("estimate"),
        anchor(&a, "risk_models", "semicovariance_benchmark_0.000079"),
    );
    let exp: Estimator = "exp-cov".parse().expect("exp-cov");
    check_matrix(
        "Estimator exp-cov",
        &exp.estimate(&r, COMPAT).expect("estimate"),
        anchor(&a, "risk_models", "exp_cov_span180"),
    );
    assert!(matches!(
        "ledoit".parse::<Estimator>(),
        Err(Error::InvalidParameter { .. })
    ));
    for name in ExpectedReturnsMethod::NAMES {
        let m: ExpectedReturnsMethod = name.parse().expect("known name");
        assert_eq!(m.to_string(), name);
    }
    assert_eq!(
        ExpectedReturnsMethod::default(),
        ExpectedReturnsMethod::MeanGeometric
    );
    assert!("median".parse::<ExpectedReturnsMethod>().is_err());
}

// ---------------------------------------------------------------- missing-data policy

fn all_estimators() -> Vec<Estimator> {
    vec![
        Estimator::Sample,
        Estimator::Semicovariance {
            benchmark: DEFAULT_SEMICOVARIANCE_BENCHMARK,
        },
        Estimator::ExpCov { span: 30 },
        Estimator::LedoitWolf {
            target: ShrinkageTarget::ConstantVariance,
        },
        Estimator::LedoitWolf {
            target: ShrinkageTarget::SingleFactor,
        },
        Estimator::LedoitWolf {
            target: ShrinkageTarget::ConstantCorrelation,
        },
        Estimator::Oas,
        Estimator::Shrunk { delta: 0.3 },
    ]
}

#[test]
fn both_policies_agree_exactly_without_missing_data() {
    let complete = stock_returns().complete_rows();
    assert_eq!(complete.dates().len(), 895);
    for e in all_estimators() {
        let a = e
            .estimate(&complete, MissingData::Pairwise)
            .expect("pairwise");
        let b = e
            .estimate(&complete, MissingData::PyPortfolioOpt)
            .expect("compat");
        assert_eq!(a, b, "{e:?}");
    }
    for target in [
        ShrinkageTarget::ConstantVariance,
        ShrinkageTarget::SingleFactor,
        ShrinkageTarget::ConstantCorrelation,
    ] {
        let (_, da) = ledoit_wolf(&complete, target, MissingData::Pairwise).expect("pairwise");
        let (_, db) = ledoit_wolf(&complete, target, COMPAT).expect("compat");
        assert!((da - db).abs() <= 0.0, "{target:?}: {da} vs {db}");
    }
    let (_, da) = oracle_approximating(&complete, MissingData::Pairwise).expect("pairwise");
    let (_, db) = oracle_approximating(&complete, COMPAT).expect("compat");
    assert!((da - db).abs() <= 0.0);
}

/// Zero-filling makes late-listed tickers look calm; the default policy does not.
#[test]
fn pairwise_shrinkage_keeps_late_listed_tickers_volatile() {
    let r = stock_returns();
    let sample = sample_cov(&r, MissingData::Pairwise).expect("sample");
    let baba = r.tickers().iter().position(|t| t == "BABA").expect("BABA");
    let sample_var = sample.matrix()[(baba, baba)];
    for target in [
        ShrinkageTarget::ConstantVariance,
        ShrinkageTarget::SingleFactor,
        ShrinkageTarget::ConstantCorrelation,
    ] {
        let (pairwise, delta) = ledoit_wolf(&r, target, MissingData::Pairwise).expect("pairwise");
        assert!((0.0..=1.0).contains(&delta));
        let var = pairwise.matrix()[(baba, baba)];
        // Shrinkage moves a variance towards the target, not towards 0.
        assert!(
            var > 0.5 * sample_var,
            "{target:?}: BABA variance {var} vs sample {sample_var}"
        );
        assert!(is_psd(&pairwise), "{target:?}");
    }
    let (compat, _) = ledoit_wolf(&r, ShrinkageTarget::ConstantVariance, COMPAT).expect("compat");
    assert!(compat.matrix()[(baba, baba)] < 0.4 * sample_var);
    let (oas, delta) = oracle_approximating(&r, MissingData::Pairwise).expect("oas");
    assert!((0.0..=1.0).contains(&delta));
    assert!(oas.matrix()[(baba, baba)] > 0.5 * sample_var);
    // Pairwise semicovariance of a late-listed ticker is averaged over its own dates.
    let semi_pairwise = semicovariance(&r, 0.0, MissingData::Pairwise).expect("semi");
    let semi_compat = semicovariance(&r, 0.0, COMPAT).expect("semi");
    let ratio = semi_pairwise.matrix()[(baba, baba)] / semi_compat.matrix()[(baba, baba)];
    let expected = 7125.0 / 895.0;
    assert!(
        (ratio - expected).abs() <= 1e-9 * expected,
        "{ratio} vs {expected}"
    );
}

// ---------------------------------------------------------------- errors

fn dates(n: usize) -> Vec<NaiveDate> {
    (0..n)
        .map(|d| NaiveDate::from_num_days_from_ce_opt(737_000 + d as i32).expect("date"))
        .collect()
}

fn matrix(tickers: &[&str], rows: usize, f: impl Fn(usize, usize) -> f64) -> ReturnMatrix {
    let values = DMatrix::from_fn(rows, tickers.len(), f);
    ReturnMatrix::new(
        tickers.iter().map(|t| (*t).parse().unwrap()).collect(),
        dates(rows),
        values,
    )
    .expect("return matrix")
}

fn wave(r: usize, c: usize) -> f64 {
    ((r * 7 + c * 3) % 11) as f64 * 0.004 - 0.02 + (r as f64 * 0.37 + c as f64).sin() * 0.01
}

fn insufficient(e: Error, want_ticker: &str) {
    match e {
        Error::InsufficientHistory { ticker, needed, .. } => {
            assert!(
                ticker.contains(want_ticker),
                "{ticker} should name {want_ticker}"
            );
            assert_eq!(needed, 2);
        }
        other => panic!("expected InsufficientHistory naming {want_ticker}, got {other:?}"),
    }
}

#[test]
fn too_short_history_names_the_ticker() {
    // SHORT has a single return, on the last row.
    let r = matrix(&["A", "B", "SHORT"], 30, |r, c| {
        if c == 2 && r < 29 {
            f64::NAN
        } else {
            wave(r, c)
        }
    });
    insufficient(mean_historical(&r, true).expect_err("mean"), "SHORT");
    insufficient(ema_historical(&r, 10, true).expect_err("ema"), "SHORT");
    insufficient(capm(&r, None, 0.0, true).expect_err("capm"), "SHORT");
    for e in all_estimators() {
        for policy in [MissingData::Pairwise, COMPAT] {
            insufficient(e.estimate(&r, policy).expect_err("estimator"), "SHORT");
        }
    }
}

#[test]
fn all_nan_column_is_insufficient_history() {
    let r = matrix(&["A", "EMPTY", "B"], 20, |r, c| {
        if c == 1 { f64::NAN } else { wave(r, c) }
    });
    match sample_cov(&r, MissingData::Pairwise).expect_err("all NaN") {
        Error::InsufficientHistory { ticker, got, .. } => {
            assert_eq!(ticker, "EMPTY");
            assert_eq!(got, 0);
        }
        other => panic!("{other:?}"),
    }
    insufficient(mean_historical(&r, false).expect_err("mean"), "EMPTY");
    insufficient(
        ledoit_wolf(&r, ShrinkageTarget::SingleFactor, COMPAT).expect_err("lw"),
        "EMPTY",
    );
}

#[test]
fn pairs_without_common_history_are_named() {
    // OLD trades on the first 10 rows, NEW on the last 10: they never overlap.
    let r = matrix(&["OLD", "NEW", "ALL"], 20, |r, c| match c {
        0 if r >= 10 => f64::NAN,
        1 if r < 10 => f64::NAN,
        _ => wave(r, c),
    });
    for e in all_estimators() {
        let err = e
            .estimate(&r, MissingData::Pairwise)
            .expect_err("no overlap");
        insufficient(err, "OLD/NEW");
    }
    // Expected returns need each ticker's own history only.
    assert!(mean_historical(&r, true).is_ok());
}

#[test]
fn non_finite_inputs_are_rejected() {
    let mut values = DMatrix::from_fn(10, 2, wave);
    values[(3, 1)] = f64::INFINITY;
    let err = ReturnMatrix::new(
        vec!["A".parse().unwrap(), "B".parse().unwrap()],
        dates(10),
        values,
    );
    assert!(matches!(err, Err(Error::NonFinite { .. })));

    let r = matrix(&["A", "B"], 10, wave);
    let mut market: Vec<f64> = (0..10).map(|i| wave(i, 5)).collect();
    market[4] = f64::NEG_INFINITY;
    assert!(matches!(
        capm(&r, Some(&market), 0.0, true),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        capm(&r, Some(&market[..9]), 0.0, true),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        capm(&r, None, f64::NAN, true),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        semicovariance(&r, f64::NAN, MissingData::Pairwise),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        exp_cov(&r, 0, MissingData::Pairwise),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        ema_historical(&r, 0, true),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        shrunk_covariance(&r, 1.5, MissingData::Pairwise),
        Err(Error::InvalidParameter { .. })
    ));
    let flat = vec![0.001; 10];
    assert!(matches!(
        capm(&r, Some(&flat), 0.0, true),
        Err(Error::InvalidParameter { .. })
    ));
    // Two tickers that always offset each other: the equal-weight market is flat.
    let hedged = matrix(&["A", "B"], 10, |r, c| {
        if c == 0 {
            wave(r, 0)
        } else {
            0.002 - wave(r, 0)
        }
    });
    for policy in [MissingData::Pairwise, COMPAT] {
        assert!(matches!(
            ledoit_wolf(&hedged, ShrinkageTarget::SingleFactor, policy),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            capm(&hedged, None, 0.0, true),
            Err(Error::InvalidParameter { .. })
        ));
    }
    // A ticker whose price never moves has no correlation.
    let flat_ticker = matrix(
        &["A", "FLAT"],
        10,
        |r, c| if c == 0 { wave(r, 0) } else { 0.0005 },
    );
    match ledoit_wolf(
        &flat_ticker,
        ShrinkageTarget::ConstantCorrelation,
        MissingData::Pairwise,
    ) {
        Err(Error::InvalidParameter { reason, .. }) => assert!(reason.contains("FLAT"), "{reason}"),
        other => panic!("expected InvalidParameter naming FLAT, got {other:?}"),
    }
    let empty = ReturnMatrix::new(Vec::new(), dates(3), DMatrix::zeros(3, 0)).expect("empty");
    assert!(matches!(
        sample_cov(&empty, MissingData::Pairwise),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn too_few_observations_for_sample_covariance_but_shrinkage_works() {
    // 5 dates, 8 tickers.
    let names = ["A", "B", "C", "D", "E", "F", "G", "H"];
    let r = matrix(&names, 5, wave);
    for e in [
        Estimator::Sample,
        Estimator::Semicovariance { benchmark: 0.0 },
        Estimator::ExpCov { span: 10 },
    ] {
        assert!(
            matches!(
                e.estimate(&r, MissingData::Pairwise),
                Err(Error::TooFewObservations {
                    observations: 5,
                    assets: 8
                })
            ),
            "{e:?}"
        );
    }
    for e in all_estimators().into_iter().skip(3) {
        for policy in [MissingData::Pairwise, COMPAT] {
            let cov = e.estimate(&r, policy).expect("shrinkage with T < N");
            assert!(is_psd(&cov), "{e:?}");
        }
    }
}

#[test]
fn capm_market_helper_aligns_on_common_dates() {
    let stocks = PriceFrame::from_csv(
        "date,A,B\n2024-01-01,10,\n2024-01-02,11,20\n2024-01-03,12,21\n2024-01-04,11,22\n2024-01-05,12,23\n".as_bytes(),
    )
    .expect("stocks");
    // The market has no price on 2024-01-03 and one extra date.
    let market = PriceFrame::from_csv(
        "date,M\n2023-12-29,99\n2024-01-02,100\n2024-01-04,104\n2024-01-05,102\n".as_bytes(),
    )
    .expect("market")
    .series("M")
    .expect("series");
    let (r, m) = returns_with_market(&stocks, &market).expect("aligned");
    assert_eq!(r.dates(), &dates_of(&["2024-01-04", "2024-01-05"]));
    assert_eq!(m.len(), 2);
    assert!((m[0] - 0.04).abs() <= 1e-15 && (m[1] - (102.0 / 104.0 - 1.0)).abs() <= 1e-15);
    assert!((r.values()[(0, 0)] - (11.0 / 11.0 - 1.0)).abs() <= 1e-15);
    assert!((r.values()[(0, 1)] - (22.0 / 20.0 - 1.0)).abs() <= 1e-15);
    let short = PriceFrame::from_csv("date,M\n2030-01-01,1\n".as_bytes())
        .expect("short")
        .series("M")
        .expect("series");
    insufficient(
        returns_with_market(&stocks, &short).expect_err("no common dates"),
        "M",
    );
}

fn dates_of(s: &[&str]) -> Vec<NaiveDate> {
    s.iter()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date"))
        .collect()
}

#[test]
fn expected_returns_follow_their_formulas_on_small_data() {
    let r = matrix(&["A", "B"], 4, |r, c| {
        [[0.01, f64::NAN], [-0.02, 0.03], [0.04, -0.01], [0.0, 0.02]][r][c]
    });
    let geo = mean_historical(&r, true).expect("geo");
    let want_a = (1.01f64 * 0.98 * 1.04 * 1.0).powf(252.0 / 4.0) - 1.0;
    let want_b = (1.03f64 * 0.99 * 1.02).powf(252.0 / 3.0) - 1.0;
    assert!(rel_err(geo.get("A").expect("A"), want_a) < 1e-13);
    assert!(rel_err(geo.get("B").expect("B"), want_b) < 1e-13);
    // EMA with span 3 (alpha 0.5): weights 1, 1/2, 1/4, 1/8 from the last row.
    let ema = ema_historical(&r, 3, false).expect("ema");
    let want =
        (0.0 + 0.5 * 0.04 + 0.25 * -0.02 + 0.125 * 0.01) / (1.0 + 0.5 + 0.25 + 0.125) * 252.0;
    assert!(rel_err(ema.get("A").expect("A"), want) < 1e-13);
    let want = (0.02 + 0.5 * -0.01 + 0.25 * 0.03) / (1.0 + 0.5 + 0.25) * 252.0;
    assert!(rel_err(ema.get("B").expect("B"), want) < 1e-13);
    // CAPM against A as the market: A's beta is 1, so it earns the market's return.
    let market: Vec<f64> = (0..4).map(|i| r.values()[(i, 0)]).collect();
    let c = capm(&r, Some(&market), 0.02, true).expect("capm");
    assert!(rel_err(c.get("A").expect("A"), want_a) < 1e-13);
}

// ---------------------------------------------------------------- PSD

fn cov(values: &[f64], n: usize) -> CovarianceMatrix {
    let names = (0..n).map(|i| format!("X{i}").parse().unwrap()).collect();
    CovarianceMatrix::new(names, DMatrix::from_row_slice(n, n, values)).expect("covariance")
}

fn assert_symmetric(c: &CovarianceMatrix) {
    let m = c.matrix();
    for i in 0..m.nrows() {
        for j in 0..i {
            assert!(
                (m[(i, j)] - m[(j, i)]).abs() <= 0.0,
                "asymmetric at ({i}, {j})"
            );
        }
    }
}

#[test]
fn psd_check_and_both_repairs() {
    let sd = [0.2, 0.3, 0.5];
    let corr = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
    let values: Vec<f64> = (0..9).map(|k| corr[k] * sd[k / 3] * sd[k % 3]).collect();
    let bad = cov(&values, 3);
    assert!(!is_psd(&bad));
    assert!(min_eigenvalue(&bad).expect("eigen") < -1e-3);

    let spectral = fix_psd(&bad, PsdRepair::Spectral).expect("spectral");
    assert!(is_psd(&spectral));
    assert_symmetric(&spectral);
    assert!(min_eigenvalue(&spectral).expect("eigen") >= -1e-15);

    let nearest = fix_psd(&bad, PsdRepair::NearestCorrelation).expect("nearest");
    assert!(is_psd(&nearest));
    assert_symmetric(&nearest);
    for (i, s) in sd.iter().enumerate() {
        let v = nearest.matrix()[(i, i)];
        assert!((v - s * s).abs() <= 1e-15 * s * s, "variance {i}: {v}");
    }
    // A PSD matrix is left as it is.
    let good = cov(&[0.04, 0.01, 0.01, 0.09], 2);
    assert!(is_psd(&good));
    for repair in [PsdRepair::Spectral, PsdRepair::NearestCorrelation] {
        let fixed = fix_psd(&good, repair).expect("repair");
        for (a, b) in fixed.matrix().iter().zip(good.matrix().iter()) {
            assert!((a - b).abs() <= 1e-12, "{repair:?}");
        }
    }
    // Higham (2002), section 4: the nearest correlation matrix to
    // [[1, 1, 0], [1, 1, 1], [0, 1, 1]].
    let higham = fix_psd(
        &cov(&[1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0], 3),
        PsdRepair::NearestCorrelation,
    )
    .expect("higham");
    let want = [
        1.0, 0.7607, 0.1573, 0.7607, 1.0, 0.7607, 0.1573, 0.7607, 1.0,
    ];
    for (got, want) in higham.matrix().transpose().iter().zip(want) {
        assert!((got - want).abs() <= 1e-4, "{got} vs {want}");
    }
    // A negative variance cannot keep its diagonal.
    let negative = cov(&[-0.01, 0.0, 0.0, 0.04], 2);
    assert!(matches!(
        fix_psd(&negative, PsdRepair::NearestCorrelation),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(is_psd(
        &fix_psd(&negative, PsdRepair::Spectral).expect("spectral")
    ));
}

// ---------------------------------------------------------------- properties

fn complete_returns() -> impl Strategy<Value = ReturnMatrix> {
    (2usize..7).prop_flat_map(|n| {
        (n + 2..n + 40).prop_flat_map(move |t| {
            (
                proptest::collection::vec(-0.05f64..0.05, t * n),
                proptest::collection::vec(-0.03f64..0.03, t),
            )
                .prop_map(move |(noise, common)| {
                    let values = DMatrix::from_fn(t, n, |r, c| {
                        noise[r * n + c] + common[r] * (c as f64 * 0.3)
                    });
                    ReturnMatrix::new(
                        (0..n).map(|i| format!("T{i}").parse().unwrap()).collect(),
                        dates(t),
                        values,
                    )
                    .expect("random returns")
                })
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_estimator_is_symmetric_psd_on_complete_data(r in complete_returns()) {
        for e in all_estimators() {
            for policy in [MissingData::Pairwise, MissingData::PyPortfolioOpt] {
                let c = e
                    .estimate(&r, policy)
                    .map_err(|err| TestCaseError::fail(format!("{e:?}: {err}")))?;
                let m = c.matrix();
                for i in 0..m.nrows() {
                    for j in 0..i {
                        prop_assert!((m[(i, j)] - m[(j, i)]).abs() <= 0.0);
                    }
                }
                let min = min_eigenvalue(&c).map_err(|err| TestCaseError::fail(err.to_string()))?;
                prop_assert!(
                    min >= -1e-10 * m.trace(),
                    "{:?} {:?}: min eigenvalue {} trace {}",
                    e,
                    policy,
                    min,
                    m.trace()
                );
            }
        }
        for method in [
            ExpectedReturnsMethod::MeanGeometric,
            ExpectedReturnsMethod::MeanArithmetic,
            ExpectedReturnsMethod::Ema { span: 5 },
            ExpectedReturnsMethod::Capm,
        ] {
            let mu = method.estimate(&r, None, 0.0).map_err(|err| TestCaseError::fail(err.to_string()))?;
            prop_assert_eq!(mu.len(), r.tickers().len());
        }
    }
}

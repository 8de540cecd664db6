//! Hierarchical risk parity: parity with PyPortfolioOpt 1.6 / SciPy 1.17 (the
//! `hrp` anchor block and extra references computed with the same versions),
//! errors, and invariants on random inputs.

use auravest_core::Symbol;
use std::collections::BTreeSet;

use auravest_core::{NaiveDate, PriceFrame};
use auravest_optimize::hrp::{
    Dendrogram, Hrp, Linkage, PairwiseMoments, equal_weight, inverse_volatility, linkage,
};
use auravest_optimize::{
    CovarianceMatrix, Error, ExpectedReturns, ReturnMatrix, Weights, portfolio_performance,
};
use nalgebra::DMatrix;
use proptest::prelude::*;
use serde_json::Value;

fn shared(path: &str) -> String {
    let full = format!("{}/../../shared/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| {
        panic!(
            "the HRP parity tests need {full} (shared anchors and data beside the repository): {e}"
        )
    })
}

fn anchors() -> Value {
    serde_json::from_str(&shared("anchors/pypfopt_reference.json")).expect("anchors are JSON")
}

fn returns() -> ReturnMatrix {
    let frame = PriceFrame::from_csv(shared("data/stock_prices.csv").as_bytes()).expect("prices");
    ReturnMatrix::from_prices(&frame).expect("returns")
}

fn tickers(a: &Value) -> Vec<Symbol> {
    a["meta"]["data"]["tickers"]
        .as_array()
        .expect("tickers")
        .iter()
        .map(|t| t.as_str().expect("ticker").parse().unwrap())
        .collect()
}

fn anchor_matrix(v: &Value) -> CovarianceMatrix {
    let t: Vec<Symbol> = v["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().parse().unwrap())
        .collect();
    let rows = v["values"].as_array().unwrap();
    let n = t.len();
    let m = DMatrix::from_fn(n, n, |i, j| rows[i][j].as_f64().unwrap());
    CovarianceMatrix::new(t, m).unwrap()
}

fn rel_err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-300)
}

/// Largest absolute weight error against `(ticker, weight)` pairs.
fn max_weight_err(w: &Weights, want: impl IntoIterator<Item = (String, f64)>) -> f64 {
    want.into_iter()
        .map(|(t, v)| (w.get(&t).unwrap_or_else(|| panic!("no weight for {t}")) - v).abs())
        .fold(0.0, f64::max)
}

#[test]
fn single_linkage_matches_the_anchor_weights_order_and_performance() {
    let a = anchors();
    let h = &a["hrp"];
    let hrp = Hrp::from_returns(&returns(), Linkage::default()).unwrap();

    let order: Vec<&str> = h["leaf_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(hrp.ordered_tickers(), order);

    let want = h["weights"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.parse().unwrap(), v.as_f64().unwrap()));
    let err = max_weight_err(hrp.weights(), want);
    assert!(
        err < 1e-12,
        "HRP weights differ from PyPortfolioOpt by {err:e}"
    );
    assert!((hrp.weights().values().sum() - 1.0).abs() < 1e-14);

    let own = hrp.performance(0.02).unwrap();
    let p = &h["performance_own_rf_0.02"];
    for (got, key) in [
        (own.expected_return, "expected_return"),
        (own.volatility, "volatility"),
        (own.sharpe.unwrap(), "sharpe"),
    ] {
        let e = rel_err(got, p[key].as_f64().unwrap());
        assert!(e < 1e-12, "own performance {key}: relative error {e:e}");
    }

    // With the geometric mean and PyPortfolioOpt's sample covariance.
    let t = tickers(&a);
    let mu_v = &a["expected_returns"]["mean_historical_return"];
    let mu = ExpectedReturns::new(
        t.clone(),
        t.iter()
            .map(|k| mu_v[k.as_str()].as_f64().unwrap())
            .collect(),
    )
    .unwrap();
    let cov = anchor_matrix(&a["risk_models"]["sample_cov"]);
    let perf = portfolio_performance(hrp.weights(), &mu, &cov, 0.02).unwrap();
    let p = &h["performance_with_mu_geometric_and_sample_cov_rf_0.02"];
    for (got, key) in [
        (perf.expected_return, "expected_return"),
        (perf.volatility, "volatility"),
        (perf.sharpe.unwrap(), "sharpe"),
    ] {
        let e = rel_err(got, p[key].as_f64().unwrap());
        assert!(e < 1e-12, "performance {key}: relative error {e:e}");
    }
}

#[test]
fn pairwise_moments_match_pandas_sample_cov() {
    let a = anchors();
    assert_eq!(
        a["risk_models"]["sample_cov_was_psd_fixed"].as_bool(),
        Some(false)
    );
    let want = anchor_matrix(&a["risk_models"]["sample_cov"]);
    let m = PairwiseMoments::new(&returns()).unwrap();
    assert_eq!(m.tickers(), want.tickers());
    let got = m.covariance() * 252.0;
    let worst = got
        .iter()
        .zip(want.matrix().iter())
        .map(|(g, w)| (g - w).abs() / w.abs().max(1e-6))
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-12,
        "pairwise covariance differs from pandas by {worst:e}"
    );
    // Counts: the diagonal is each ticker's own count, a pair the overlap.
    let counts = &a["meta"]["data"]["return_count_per_ticker"];
    for (i, t) in m.tickers().iter().enumerate() {
        assert!(
            (m.counts()[(i, i)] - counts[t.as_str()].as_f64().unwrap()).abs() < 0.5,
            "{t}"
        );
    }
    let (fb, baba) = (2, 3);
    assert!((m.counts()[(fb, baba)] - 895.0).abs() < 0.5);
    assert!((m.correlation()[(fb, fb)] - 1.0).abs() < 1e-15);
}

// Reference values for the HRP tests, computed with PyPortfolioOpt 1.6.0 and
// SciPy 1.17.1 (the anchor generator's versions) on the shared prices:
// `HRPOpt(returns).optimize(method)`, `HRPOpt(cov_matrix=sample_cov(prices))`,
// and `scipy.cluster.hierarchy.linkage` of the tie-heavy 12 x 12 matrix
// `d(a, b) = (7a + 13b) mod 5 + 1`, `a < b`.

const TIES_SINGLE: [(usize, usize, f64, usize); 11] = [
    (0, 5, 1.0, 2),
    (10, 12, 1.0, 3),
    (2, 7, 1.0, 2),
    (3, 8, 1.0, 2),
    (1, 6, 1.0, 2),
    (11, 16, 1.0, 3),
    (4, 9, 1.0, 2),
    (13, 14, 2.0, 5),
    (15, 19, 2.0, 7),
    (17, 20, 2.0, 10),
    (18, 21, 2.0, 12),
];
const TIES_COMPLETE: [(usize, usize, f64, usize); 11] = [
    (0, 5, 1.0, 2),
    (1, 6, 1.0, 2),
    (2, 7, 1.0, 2),
    (3, 8, 1.0, 2),
    (4, 9, 1.0, 2),
    (10, 12, 1.0, 3),
    (11, 13, 1.0, 3),
    (14, 15, 4.0, 4),
    (16, 17, 4.0, 5),
    (19, 20, 5.0, 9),
    (18, 21, 5.0, 12),
];
const TIES_AVERAGE: [(usize, usize, f64, usize); 11] = [
    (0, 5, 1.0, 2),
    (1, 6, 1.0, 2),
    (2, 7, 1.0, 2),
    (3, 8, 1.0, 2),
    (4, 9, 1.0, 2),
    (10, 12, 1.0, 3),
    (11, 13, 1.0, 3),
    (14, 16, 2.75, 4),
    (15, 17, 3.5, 5),
    (18, 19, 3.5, 7),
    (20, 21, 3.6000000000000005, 12),
];
const TIES_WARD: [(usize, usize, f64, usize); 11] = [
    (0, 5, 1.0, 2),
    (1, 6, 1.0, 2),
    (2, 7, 1.0, 2),
    (3, 8, 1.0, 2),
    (4, 9, 1.0, 2),
    (10, 12, 1.0, 3),
    (11, 13, 1.0, 3),
    (14, 16, 4.183300132670378, 4),
    (15, 19, 5.552777082985894, 6),
    (17, 20, 6.073622386096198, 9),
    (18, 21, 6.15990620419211, 12),
];
const LEAVES_COMPLETE: [&str; 20] = [
    "AMZN", "FB", "BABA", "RRC", "T", "XOM", "WMT", "PFE", "AMD", "AAPL", "GOOG", "MA", "GM", "GE",
    "BAC", "JPM", "UAA", "SBUX", "SHLD", "BBY",
];
const LEAVES_AVERAGE: [&str; 20] = [
    "RRC", "SHLD", "BBY", "AMD", "FB", "BABA", "AMZN", "AAPL", "GOOG", "MA", "WMT", "PFE", "UAA",
    "SBUX", "T", "XOM", "GM", "GE", "BAC", "JPM",
];
const LEAVES_WARD: [&str; 20] = [
    "AAPL", "GOOG", "MA", "AMZN", "FB", "BABA", "UAA", "SBUX", "SHLD", "BBY", "AMD", "RRC", "BAC",
    "JPM", "GE", "GM", "T", "XOM", "WMT", "PFE",
];
const LEAVES_FROM_COV: [&str; 20] = [
    "FB", "BBY", "AMD", "BABA", "AMZN", "SHLD", "AAPL", "SBUX", "PFE", "T", "RRC", "WMT", "GM",
    "GOOG", "UAA", "XOM", "GE", "MA", "BAC", "JPM",
];
const WEIGHTS_WARD: [(&str, f64); 20] = [
    ("AAPL", 0.031029982871964436),
    ("AMD", 0.02102074166568818),
    ("AMZN", 0.01543625186730815),
    ("BABA", 0.0794510847176229),
    ("BAC", 0.03426186563536977),
    ("BBY", 0.021354172913878446),
    ("FB", 0.04223490181283086),
    ("GE", 0.04895225431673259),
    ("GM", 0.08685128477038258),
    ("GOOG", 0.06908902572629577),
    ("JPM", 0.02769623997060016),
    ("MA", 0.055100883090590934),
    ("PFE", 0.054682675333268455),
    ("RRC", 0.030159826800642428),
    ("SBUX", 0.046426653269319905),
    ("SHLD", 0.01792238565335656),
    ("T", 0.1061340424448211),
    ("UAA", 0.032669849370591926),
    ("WMT", 0.06767026512879484),
    ("XOM", 0.11185561263994004),
];
const WEIGHTS_FROM_COV: [(&str, f64); 20] = [
    ("AAPL", 0.04475237731261092),
    ("AMD", 0.020764159307684),
    ("AMZN", 0.018946417043802254),
    ("BABA", 0.07044868917626107),
    ("BAC", 0.012529822361735542),
    ("BBY", 0.034154333536453384),
    ("FB", 0.06710044130001747),
    ("GE", 0.055719328587238805),
    ("GM", 0.0723037651889838),
    ("GOOG", 0.04817255005074871),
    ("JPM", 0.015370259965803814),
    ("MA", 0.03218378811200553),
    ("PFE", 0.0809052490314971),
    ("RRC", 0.026486837833575513),
    ("SBUX", 0.057959829435335036),
    ("SHLD", 0.02891926134753145),
    ("T", 0.10551465576802724),
    ("UAA", 0.018288293382077703),
    ("WMT", 0.10436123612661637),
    ("XOM", 0.08511870513199431),
];
const VOL_FROM_COV: f64 = 0.17918523818386234;

#[test]
fn other_linkages_match_scipy_leaf_orders() {
    let r = returns();
    for (method, want) in [
        (Linkage::Complete, LEAVES_COMPLETE),
        (Linkage::Average, LEAVES_AVERAGE),
        (Linkage::Ward, LEAVES_WARD),
    ] {
        let hrp = Hrp::from_returns(&r, method).unwrap();
        assert_eq!(hrp.ordered_tickers(), want.to_vec(), "{method:?}");
        let w = hrp.weights().values();
        assert!(w.iter().all(|v| *v > 0.0) && (w.sum() - 1.0).abs() < 1e-14);
    }
    let ward = Hrp::from_returns(&r, Linkage::Ward).unwrap();
    let err = max_weight_err(
        ward.weights(),
        WEIGHTS_WARD.iter().map(|(t, v)| ((*t).to_owned(), *v)),
    );
    assert!(
        err < 1e-12,
        "ward weights differ from PyPortfolioOpt by {err:e}"
    );
}

#[test]
fn from_covariance_matches_hrpopt_with_cov_matrix() {
    let a = anchors();
    let cov = anchor_matrix(&a["risk_models"]["sample_cov"]);
    let hrp = Hrp::from_covariance(&cov, Linkage::Single).unwrap();
    assert_eq!(hrp.ordered_tickers(), LEAVES_FROM_COV.to_vec());
    let err = max_weight_err(
        hrp.weights(),
        WEIGHTS_FROM_COV.iter().map(|(t, v)| ((*t).to_owned(), *v)),
    );
    assert!(err < 1e-12, "weights from a covariance differ by {err:e}");
    let w = hrp.weights().values();
    let vol = (cov.matrix() * w).dot(w).sqrt();
    assert!(rel_err(vol, VOL_FROM_COV) < 1e-12);
    assert!(matches!(
        hrp.performance(0.02),
        Err(Error::InvalidParameter {
            name: "expected_returns",
            ..
        })
    ));
}

fn tie_matrix() -> DMatrix<f64> {
    DMatrix::from_fn(12, 12, |i, j| {
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        if a == b {
            0.0
        } else {
            ((a * 7 + b * 13) % 5 + 1) as f64
        }
    })
}

#[test]
fn tied_distances_merge_exactly_as_scipy() {
    let d = tie_matrix();
    for (method, want) in [
        (Linkage::Single, TIES_SINGLE),
        (Linkage::Complete, TIES_COMPLETE),
        (Linkage::Average, TIES_AVERAGE),
        (Linkage::Ward, TIES_WARD),
    ] {
        let z = linkage(&d, method).unwrap();
        assert_eq!(z.len(), 12);
        for (k, (m, w)) in z.merges().iter().zip(want.iter()).enumerate() {
            assert_eq!(
                (m.left, m.right, m.size),
                (w.0, w.1, w.3),
                "{method:?} merge {k}"
            );
            assert!(
                (m.distance - w.2).abs() <= 1e-15 * w.2,
                "{method:?} merge {k} height"
            );
        }
        let leaves = z.leaves();
        let sorted: BTreeSet<usize> = leaves.iter().copied().collect();
        assert_eq!(sorted.len(), 12);
    }
    assert_eq!(
        linkage(&d, Linkage::Single).unwrap().leaves(),
        vec![4, 9, 11, 1, 6, 3, 8, 10, 0, 5, 2, 7]
    );
    assert_eq!(
        linkage(&d, Linkage::Ward).unwrap().leaves(),
        vec![11, 1, 6, 10, 0, 5, 3, 8, 2, 7, 4, 9]
    );
}

#[test]
fn inverse_volatility_and_equal_weight() {
    let a = anchors();
    let cov = anchor_matrix(&a["risk_models"]["sample_cov"]);
    let w = inverse_volatility(&cov).unwrap();
    let inv: Vec<f64> = (0..cov.len())
        .map(|i| 1.0 / cov.matrix()[(i, i)].sqrt())
        .collect();
    let total: f64 = inv.iter().sum();
    for (i, v) in w.values().iter().enumerate() {
        assert!((v - inv[i] / total).abs() < 1e-15);
    }
    assert_eq!(w.tickers(), cov.tickers());
    let e = equal_weight(cov.tickers()).unwrap();
    assert!(e.values().iter().all(|v| (v - 0.05).abs() < 1e-15));
}

fn day(i: usize) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(730_000 + i as i32).expect("a valid date")
}

fn matrix_returns(values: DMatrix<f64>) -> ReturnMatrix {
    let n = values.ncols();
    let t = values.nrows();
    let tickers = (0..n).map(|j| format!("A{j}").parse().unwrap()).collect();
    let dates = (0..t).map(day).collect();
    ReturnMatrix::new(tickers, dates, values).unwrap()
}

#[test]
fn bad_inputs_give_typed_errors() {
    // No assets.
    let empty = matrix_returns(DMatrix::zeros(5, 0));
    assert!(matches!(
        Hrp::from_returns(&empty, Linkage::Single),
        Err(Error::InvalidParameter { .. })
    ));
    // An asset with a single observation.
    let mut v = DMatrix::from_fn(6, 3, |r, c| ((r * 3 + c) as f64).sin() * 0.01);
    for r in 0..5 {
        v[(r, 2)] = f64::NAN;
    }
    match Hrp::from_returns(&matrix_returns(v), Linkage::Single) {
        Err(Error::InsufficientHistory {
            ticker,
            needed: 2,
            got: 1,
        }) => assert_eq!(ticker, "A2"),
        other => panic!("expected InsufficientHistory, got {other:?}"),
    }
    // Two assets that never overlap.
    let mut v = DMatrix::from_fn(8, 2, |r, c| ((r * 5 + c) as f64).cos() * 0.01);
    for r in 0..4 {
        v[(r, 0)] = f64::NAN;
        v[(r + 4, 1)] = f64::NAN;
    }
    assert!(matches!(
        Hrp::from_returns(&matrix_returns(v), Linkage::Single),
        Err(Error::InsufficientHistory {
            needed: 2,
            got: 0,
            ..
        })
    ));
    // A constant asset.
    let mut v = DMatrix::from_fn(8, 3, |r, c| ((r * 5 + c) as f64).cos() * 0.01);
    for r in 0..8 {
        v[(r, 1)] = 0.001;
    }
    assert!(matches!(
        Hrp::from_returns(&matrix_returns(v), Linkage::Single),
        Err(Error::InvalidParameter {
            name: "returns",
            ..
        })
    ));
    // A zero variance in a covariance.
    let t = vec!["A".parse().unwrap(), "B".parse().unwrap()];
    let zero =
        CovarianceMatrix::new(t, DMatrix::from_row_slice(2, 2, &[0.04, 0.0, 0.0, 0.0])).unwrap();
    assert!(matches!(
        Hrp::from_covariance(&zero, Linkage::Single),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        inverse_volatility(&zero),
        Err(Error::InvalidParameter { .. })
    ));
    // Not positive semidefinite: a cluster with negative variance.
    let bad = CovarianceMatrix::new(
        (0..4).map(|i| format!("A{i}").parse().unwrap()).collect(),
        DMatrix::from_fn(4, 4, |i, j| if i == j { 1.0 } else { -2.0 }),
    )
    .unwrap();
    assert!(matches!(
        Hrp::from_covariance(&bad, Linkage::Single),
        Err(Error::NotPositiveSemiDefinite { .. })
    ));
    // Linkage inputs.
    assert!(matches!(
        linkage(&DMatrix::zeros(0, 0), Linkage::Single),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        linkage(&DMatrix::zeros(2, 3), Linkage::Single),
        Err(Error::DimensionMismatch { .. })
    ));
    let mut d = tie_matrix();
    d[(0, 3)] = f64::NAN;
    assert!(matches!(
        linkage(&d, Linkage::Average),
        Err(Error::NonFinite { .. })
    ));
    let mut d = tie_matrix();
    d[(1, 2)] = -1.0;
    d[(2, 1)] = -1.0;
    assert!(matches!(
        linkage(&d, Linkage::Ward),
        Err(Error::InvalidParameter { .. })
    ));
    let mut d = tie_matrix();
    d[(4, 1)] = 9.0;
    assert!(matches!(
        linkage(&d, Linkage::Complete),
        Err(Error::NotSymmetric { row: 1, col: 4 })
    ));
    // Weight helpers.
    assert!(matches!(
        equal_weight(&[]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        equal_weight(&["A".parse().unwrap(), "A".parse().unwrap()]),
        Err(Error::InvalidParameter { .. })
    ));
    let one = linkage(&DMatrix::zeros(1, 1), Linkage::Single).unwrap();
    assert_eq!(
        (one.len(), one.merges().len(), one.leaves()),
        (1, 0, vec![0])
    );
}

/// Leaves under each merge, as an unordered pair of sorted sets, by merge.
fn memberships(z: &Dendrogram) -> Vec<(Vec<usize>, Vec<usize>)> {
    let n = z.len();
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut out = Vec::new();
    for m in z.merges() {
        let (a, b) = (members[m.left].clone(), members[m.right].clone());
        let mut all = [a.clone(), b.clone()].concat();
        all.sort_unstable();
        members.push(all);
        let (mut a, mut b) = (a, b);
        a.sort_unstable();
        b.sort_unstable();
        out.push(if a < b { (a, b) } else { (b, a) });
    }
    out
}

/// Naive agglomerative clustering: merge the globally closest pair, update by
/// Lance-Williams. Returns (left members, right members, height) per merge.
fn naive(d: &DMatrix<f64>, method: Linkage) -> Vec<(Vec<usize>, Vec<usize>, f64)> {
    let n = d.nrows();
    let mut clusters: Vec<Option<Vec<usize>>> = (0..n).map(|i| Some(vec![i])).collect();
    let mut dist = d.clone();
    let mut out = Vec::new();
    for _ in 0..n - 1 {
        let mut best = (0, 0, f64::INFINITY);
        for i in 0..n {
            for j in i + 1..n {
                if clusters[i].is_some() && clusters[j].is_some() && dist[(i, j)] < best.2 {
                    best = (i, j, dist[(i, j)]);
                }
            }
        }
        let (x, y, h) = best;
        let cx = clusters[x].take().unwrap();
        let cy = clusters[y].take().unwrap();
        let (nx, ny) = (cx.len() as f64, cy.len() as f64);
        for i in 0..n {
            if let Some(ci) = &clusters[i] {
                let ni = ci.len() as f64;
                let (a, b) = (dist[(i, x)], dist[(i, y)]);
                let v = match method {
                    Linkage::Single => a.min(b),
                    Linkage::Complete => a.max(b),
                    Linkage::Average => (nx * a + ny * b) / (nx + ny),
                    Linkage::Ward => (((ni + nx) * a * a + (ni + ny) * b * b - ni * h * h)
                        / (nx + ny + ni))
                        .sqrt(),
                    other => panic!("the naive reference has no {other:?} linkage"),
                };
                dist[(i, y)] = v;
                dist[(y, i)] = v;
            }
        }
        let mut all = [cx.clone(), cy.clone()].concat();
        all.sort_unstable();
        clusters[y] = Some(all);
        let (mut a, mut b) = (cx, cy);
        a.sort_unstable();
        b.sort_unstable();
        out.push(if a < b { (a, b, h) } else { (b, a, h) });
    }
    out.sort_by(|p, q| p.2.partial_cmp(&q.2).unwrap());
    out
}

fn random_psd(n: usize, seed: &[f64]) -> DMatrix<f64> {
    let k = 3;
    let b = DMatrix::from_fn(n, k, |i, j| seed[(i * k + j) % seed.len()] - 0.5);
    let d = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            0.01 + seed[(i * 7 + 3) % seed.len()]
        } else {
            0.0
        }
    });
    &b * b.transpose() * 0.1 + d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn linkage_agrees_with_naive_clustering(
        n in 2usize..12,
        raw in prop::collection::vec(0.01f64..1.0, 66),
        which in 0usize..4,
    ) {
        let method = [Linkage::Single, Linkage::Complete, Linkage::Average, Linkage::Ward][which];
        let d = DMatrix::from_fn(n, n, |i, j| {
            let (a, b) = if i < j { (i, j) } else { (j, i) };
            if a == b { 0.0 } else { raw[a * n - a * (a + 1) / 2 + (b - a - 1)] + 1e-9 * (a * 13 + b) as f64 }
        });
        let z = linkage(&d, method).unwrap();
        let heights: Vec<f64> = z.merges().iter().map(|m| m.distance).collect();
        prop_assert!(heights.windows(2).all(|w| w[0] <= w[1]));
        let want = naive(&d, method);
        let got = memberships(&z);
        for (k, ((ga, gb), (wa, wb, wh))) in got.iter().zip(want.iter()).enumerate() {
            prop_assert_eq!((ga, gb), (wa, wb), "merge {}", k);
            prop_assert!((heights[k] - wh).abs() <= 1e-12 * wh.max(1.0));
        }
        let leaves: BTreeSet<usize> = z.leaves().into_iter().collect();
        prop_assert_eq!(leaves.len(), n);
        prop_assert_eq!(z.merges().last().map(|m| m.size), Some(n));
    }

    #[test]
    fn hrp_weights_are_positive_and_sum_to_one_for_random_psd(
        n in 1usize..30,
        seed in prop::collection::vec(0.0f64..1.0, 97),
        which in 0usize..4,
    ) {
        let method = [Linkage::Single, Linkage::Complete, Linkage::Average, Linkage::Ward][which];
        let t: Vec<Symbol> = (0..n).map(|i| format!("T{i}").parse().unwrap()).collect();
        let cov = CovarianceMatrix::new(t, random_psd(n, &seed)).unwrap();
        let hrp = Hrp::from_covariance(&cov, method).unwrap();
        let w = hrp.weights().values();
        prop_assert!(w.iter().all(|v| *v > 0.0));
        prop_assert!((w.sum() - 1.0).abs() < 1e-12);
        let order: BTreeSet<usize> = hrp.leaf_order().iter().copied().collect();
        prop_assert_eq!(order.len(), n);
        let iv = inverse_volatility(&cov).unwrap();
        prop_assert!((iv.values().sum() - 1.0).abs() < 1e-12 && iv.values().iter().all(|v| *v > 0.0));
    }

    #[test]
    fn pairwise_moments_equal_a_per_pair_two_pass_loop(
        t in 12usize..40,
        n in 2usize..7,
        seed in prop::collection::vec(-0.05f64..0.05, 280),
        starts in prop::collection::vec(0usize..8, 7),
        hole in 0usize..40,
    ) {
        let mut v = DMatrix::from_fn(t, n, |r, c| seed[(r * n + c) % seed.len()] + 0.001 * ((r * (c + 2)) % 7) as f64);
        for c in 0..n {
            for r in 0..starts[c] {
                v[(r, c)] = f64::NAN;
            }
        }
        if hole < t && n > 2 {
            v[(hole, 1)] = f64::NAN;
        }
        let m = PairwiseMoments::new(&matrix_returns(v.clone())).unwrap();
        for i in 0..n {
            for j in 0..n {
                let rows: Vec<usize> = (0..t).filter(|&r| !v[(r, i)].is_nan() && !v[(r, j)].is_nan()).collect();
                let k = rows.len() as f64;
                let mx = rows.iter().map(|&r| v[(r, i)]).sum::<f64>() / k;
                let my = rows.iter().map(|&r| v[(r, j)]).sum::<f64>() / k;
                let sxy: f64 = rows.iter().map(|&r| (v[(r, i)] - mx) * (v[(r, j)] - my)).sum();
                let sxx: f64 = rows.iter().map(|&r| (v[(r, i)] - mx).powi(2)).sum();
                let syy: f64 = rows.iter().map(|&r| (v[(r, j)] - my).powi(2)).sum();
                let cov = sxy / (k - 1.0);
                let corr = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
                prop_assert!((m.covariance()[(i, j)] - cov).abs() < 1e-15 + 1e-10 * cov.abs());
                prop_assert!((m.correlation()[(i, j)] - corr).abs() < 1e-10);
                prop_assert!((m.counts()[(i, j)] - k).abs() < 0.5);
            }
        }
        // Pairwise-complete covariances need not be positive semidefinite
        // (each entry uses its own dates): HRP either allocates, or refuses
        // with the typed error when the matrix really has a negative eigenvalue.
        match Hrp::from_returns(&matrix_returns(v), Linkage::Single) {
            Ok(hrp) => {
                prop_assert!(hrp.weights().values().iter().all(|w| *w > 0.0));
                prop_assert!((hrp.weights().values().sum() - 1.0).abs() < 1e-12);
            }
            Err(Error::NotPositiveSemiDefinite { min_eigenvalue }) => {
                prop_assert!(min_eigenvalue < 0.0);
                let least = m.covariance().clone().symmetric_eigenvalues().min();
                prop_assert!(least < 0.0, "refused a semidefinite matrix (least eigenvalue {least})");
            }
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    }
}

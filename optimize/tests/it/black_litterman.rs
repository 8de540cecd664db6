//! Black-Litterman: parity with PyPortfolioOpt 1.6 (the `black_litterman`
//! anchor block, plus Idzorek and relative-view references computed with the
//! same version on the same inputs), errors, and invariants.

use auravest_core::Symbol;
use std::collections::BTreeMap;

use auravest_core::PriceFrame;
use auravest_optimize::black_litterman::{
    BlackLitterman, BlackLittermanOptions, DEFAULT_TAU, Omega, Views, market_implied_prior_returns,
    market_implied_risk_aversion,
};
use auravest_optimize::{CovarianceMatrix, Error, ExpectedReturns};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use serde_json::Value;

fn shared(path: &str) -> String {
    let full = format!("{}/../../shared/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| {
        panic!("the Black-Litterman parity tests need {full} (shared anchors and data beside the repository): {e}")
    })
}

fn anchors() -> Value {
    serde_json::from_str(&shared("anchors/pypfopt_reference.json")).expect("anchors are JSON")
}

fn spy() -> Vec<f64> {
    let frame = PriceFrame::from_csv(shared("data/spy_prices.csv").as_bytes()).expect("SPY prices");
    frame
        .column("SPY")
        .expect("a SPY column")
        .iter()
        .map(|p| p.expect("no gaps in SPY"))
        .collect()
}

/// The anchors' Ledoit-Wolf (constant variance) covariance.
fn lw_cov(a: &Value) -> CovarianceMatrix {
    let v = &a["risk_models"]["ledoit_wolf_constant_variance"];
    let t: Vec<Symbol> = v["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().parse().unwrap())
        .collect();
    let rows = v["values"].as_array().unwrap();
    let n = t.len();
    CovarianceMatrix::new(
        t,
        DMatrix::from_fn(n, n, |i, j| rows[i][j].as_f64().unwrap()),
    )
    .unwrap()
}

fn caps(a: &Value) -> BTreeMap<Symbol, f64> {
    a["black_litterman"]["inputs"]["market_caps"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.parse().unwrap(), v.as_f64().unwrap()))
        .collect()
}

/// The anchors' absolute views, in the generator's order.
fn absolute_views() -> Vec<(Symbol, f64)> {
    [
        ("AAPL", 0.10),
        ("BBY", -0.05),
        ("BAC", 0.15),
        ("SBUX", 0.07),
    ]
    .iter()
    .map(|(t, q)| ((*t).parse().unwrap(), *q))
    .collect()
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-12)
}

fn assert_series(what: &str, got: &[f64], want: &[f64], tol: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let worst = got
        .iter()
        .zip(want)
        .map(|(g, w)| rel(*g, *w))
        .fold(0.0, f64::max);
    assert!(worst < tol, "{what}: worst relative error {worst:e}");
    worst
}

fn prior(a: &Value, cov: &CovarianceMatrix) -> ExpectedReturns {
    let delta = market_implied_risk_aversion(&spy(), 252.0, 0.02).unwrap();
    market_implied_prior_returns(&caps(a), delta, cov, 0.02).unwrap()
}

#[test]
fn anchor_block_matches() {
    let a = anchors();
    let bl_a = &a["black_litterman"];
    let cov = lw_cov(&a);
    let t = cov.tickers().to_vec();

    let delta = market_implied_risk_aversion(&spy(), 252.0, 0.02).unwrap();
    let want_delta = bl_a["market_implied_risk_aversion_spy"].as_f64().unwrap();
    assert!(
        rel(delta, want_delta) < 1e-12,
        "delta {delta} vs {want_delta}"
    );

    let pi = market_implied_prior_returns(&caps(&a), delta, &cov, 0.02).unwrap();
    let want: Vec<f64> = t
        .iter()
        .map(|k| bl_a["prior"][k.as_str()].as_f64().unwrap())
        .collect();
    assert_series("prior", pi.values().as_slice(), &want, 1e-12);

    let views = Views::from_absolute(&t, &absolute_views()).unwrap();
    assert_eq!(views.len(), 4);
    let bl = BlackLitterman::new(&cov, &pi, &views, &BlackLittermanOptions::default()).unwrap();
    let want: Vec<f64> = t
        .iter()
        .map(|k| bl_a["posterior_returns"][k.as_str()].as_f64().unwrap())
        .collect();
    assert_series(
        "posterior returns",
        bl.posterior_returns().values().as_slice(),
        &want,
        1e-12,
    );

    let rows = bl_a["posterior_cov"]["values"].as_array().unwrap();
    let mut worst = 0.0f64;
    for (i, row) in rows.iter().enumerate() {
        for (j, w) in row.as_array().unwrap().iter().enumerate() {
            let w = w.as_f64().unwrap();
            worst = worst
                .max((bl.posterior_covariance().matrix()[(i, j)] - w).abs() / w.abs().max(1e-6));
        }
    }
    assert!(
        worst < 1e-12,
        "posterior covariance: worst relative error {worst:e}"
    );

    let w = bl.weights(delta).unwrap();
    let want: Vec<f64> = t
        .iter()
        .map(|k| {
            bl_a["bl_weights_unconstrained"][k.as_str()]
                .as_f64()
                .unwrap()
        })
        .collect();
    let abs = w
        .values()
        .iter()
        .zip(&want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max);
    assert!(abs < 1e-12, "BL weights: worst absolute error {abs:e}");
    assert!((w.values().sum() - 1.0).abs() < 1e-12);
    // The default omega is diag(tau P S P').
    for (k, (tk, _)) in absolute_views().iter().enumerate() {
        let i = t.iter().position(|x| x == tk).unwrap();
        assert!(rel(bl.omega()[(k, k)], DEFAULT_TAU * cov.matrix()[(i, i)]) < 1e-14);
    }
}

// References: PyPortfolioOpt 1.6.0, the anchors' prior and Ledoit-Wolf
// covariance, `BlackLittermanModel(S, pi=prior, ...)`:
// IDZOREK_*: absolute_views as the anchors, omega="idzorek",
//   view_confidences=[0.6, 0.3, 0.9, 0.0]; weights = bl_weights(delta).
// RELATIVE_*: Q=[0.02, 0.10, -0.03], P rows GOOG - FB, AAPL,
//   0.5 XOM + 0.5 RRC - JPM; default omega; weights = bl_weights(delta) and
//   bl_weights(1.0).
// RELATIVE_IDZOREK_*: the same views, omega="idzorek",
//   view_confidences=[1.0, 0.5, 0.25], tau=0.1.
const IDZOREK_OMEGA: [f64; 4] = [
    0.006901248440792795,
    0.031342814003773006,
    0.0009992652906668012,
    1000000.0,
];
const IDZOREK_POSTERIOR: [f64; 20] = [
    0.07310006434757835,
    0.13368285237717045,
    0.0376810812679781,
    0.02991736881937241,
    0.1789848277297426,
    0.09143860619926873,
    0.12645236313378452,
    0.06744971715422318,
    0.1470536399333279,
    0.035845496009932414,
    0.06228237996068252,
    0.07401671989416762,
    0.06623882035010621,
    0.06634143096295247,
    0.07669391995147481,
    0.0598439369236704,
    0.06869699861182044,
    0.070154114334258,
    0.13324878948976973,
    0.09016174556668818,
];
const IDZOREK_WEIGHTS: [f64; 20] = [
    0.0943512931044247,
    0.050916241943484035,
    0.12509688228045407,
    0.2705222714658703,
    0.06751311014459936,
    0.011811077731895669,
    -0.0017204318330555678,
    0.05572862942696151,
    0.0397636764140794,
    0.12163195435917791,
    0.032872126003349565,
    0.0023797330987326273,
    0.0019640810303656006,
    0.044893802978323905,
    0.0005824378493633942,
    -0.031563514131258553,
    0.04354103962321455,
    0.02997534172995392,
    0.0282589868010316,
    0.011481259979032052,
];
const IDZOREK_COV_ROW_AAPL: [f64; 20] = [
    0.02246542240701677,
    0.21107787338287315,
    0.004398827442834822,
    0.0029987161646481534,
    0.059131593818530295,
    0.038570912208969146,
    0.08542810270839798,
    0.026805881607226453,
    0.046057002589700954,
    0.005847030885361843,
    0.020084950141324477,
    0.0208777471432129,
    0.022375501232082366,
    0.020494308434277655,
    0.029552153120242772,
    0.049259734255042306,
    0.01981528380102535,
    0.021586749763437628,
    0.047208375952020064,
    0.04035840854494791,
];
const RELATIVE_OMEGA: [f64; 3] = [
    0.0030991613545416873,
    0.010351872661189192,
    0.008647803057698486,
];
const RELATIVE_POSTERIOR: [f64; 20] = [
    0.06777767128346318,
    0.14109476473747234,
    0.04044380437055032,
    0.030009733625549064,
    0.1805524789185375,
    0.08726071413042591,
    0.12757958557931703,
    0.06847352500901809,
    0.12328363769726537,
    0.035036911643750716,
    0.05983870027754981,
    0.07154665227619876,
    0.0650970623215084,
    0.06557890192761402,
    0.08276499197379104,
    0.09761101524658294,
    0.06499512807446331,
    0.06819018655439023,
    0.11724393104907019,
    0.08968062223432,
];
const RELATIVE_WEIGHTS: [f64; 20] = [
    0.07068542508887214,
    0.05881685093758283,
    0.14572116387658665,
    0.26677278999673465,
    0.06657736775991799,
    0.011647374326455838,
    -0.0016965863757407256,
    0.05495622180889565,
    0.011354417361822394,
    0.11994611623408287,
    0.032416513137788455,
    0.0023467496215984446,
    0.001936858556639763,
    0.051412462653052805,
    0.007715260053198791,
    0.001985931186820262,
    0.04293755392745453,
    0.029559878752586255,
    0.013585523005347253,
    0.011322128090303217,
];
const RELATIVE_WEIGHTS_RA1: [f64; 20] = [
    0.07068542508887216,
    0.05881685093758277,
    0.14572116387658665,
    0.2667727899967346,
    0.06657736775991797,
    0.011647374326455866,
    -0.0016965863757407219,
    0.05495622180889561,
    0.01135441736182241,
    0.1199461162340828,
    0.03241651313778846,
    0.002346749621598431,
    0.0019368585566397563,
    0.051412462653052826,
    0.007715260053198775,
    0.001985931186820265,
    0.04293755392745452,
    0.029559878752586224,
    0.01358552300534722,
    0.011322128090303215,
];
const RELATIVE_COV_ROW_JPM: [f64; 20] = [
    0.023944898980802393,
    0.047751429625011235,
    0.004139543750728456,
    0.002769357242259211,
    0.055197407696989054,
    0.0613329043712301,
    0.07209681069267353,
    0.03420882631132158,
    0.1203899513931527,
    0.010585917002608667,
    0.036466284233464825,
    0.03621875182532771,
    0.034286348727499215,
    0.031650926310053944,
    0.04145774925864978,
    0.05793418461151085,
    0.03037682929297862,
    0.0359059345644204,
    0.15199263016749953,
    0.04647616612818373,
];
const RELATIVE_IDZOREK_OMEGA: [f64; 3] = [0.0, 0.020703745322378383, 0.051886818346190924];
const RELATIVE_IDZOREK_POSTERIOR: [f64; 20] = [
    0.06331804953010124,
    0.14042847298634417,
    0.043318049530101245,
    0.03003664438424338,
    0.17957999735357952,
    0.08702842891776476,
    0.12708733549482124,
    0.06841499153092859,
    0.12370740181793743,
    0.034862539462858756,
    0.05927996867628685,
    0.07069912099202452,
    0.06388565566496479,
    0.06360042062851835,
    0.0769017853207295,
    0.09748132128388712,
    0.06364077583798584,
    0.06776306732514434,
    0.1193735126836145,
    0.08897920178849704,
];
const RELATIVE_IDZOREK_COV_ROW_XOM: [f64; 20] = [
    0.013956732453229868,
    0.021127245289166135,
    0.002809412442970152,
    0.0019145595918986446,
    0.02111570450505344,
    0.028102617271477136,
    0.030194002495316462,
    0.018558894984626192,
    0.03501630314085779,
    0.006390720948497349,
    0.023936495634587412,
    0.01702845204494319,
    0.017324840411680913,
    0.0600466877236158,
    0.04328989534469527,
    0.01888604562187763,
    0.01622045115701141,
    0.024518398029983048,
    0.032822973828197745,
    0.023031075110811084,
];

fn relative_views(t: &[Symbol]) -> Views {
    let mut v = Views::new(t);
    v.relative("GOOG", "FB", 0.02)
        .unwrap()
        .absolute("AAPL", 0.10)
        .unwrap()
        .portfolio(&[("XOM", 0.5), ("RRC", 0.5), ("JPM", -1.0)], -0.03)
        .unwrap();
    v
}

#[test]
fn idzorek_confidences_match_pypfopt() {
    let a = anchors();
    let cov = lw_cov(&a);
    let pi = prior(&a, &cov);
    let views = Views::from_absolute(cov.tickers(), &absolute_views()).unwrap();
    let options = BlackLittermanOptions {
        tau: DEFAULT_TAU,
        omega: Omega::Idzorek(vec![0.6, 0.3, 0.9, 0.0]),
    };
    let bl = BlackLitterman::new(&cov, &pi, &views, &options).unwrap();
    assert_series(
        "Idzorek omega",
        bl.omega().diagonal().as_slice(),
        &IDZOREK_OMEGA,
        1e-13,
    );
    assert_series(
        "Idzorek posterior",
        bl.posterior_returns().values().as_slice(),
        &IDZOREK_POSTERIOR,
        1e-12,
    );
    let row: Vec<f64> = bl
        .posterior_covariance()
        .matrix()
        .row(1)
        .iter()
        .copied()
        .collect();
    assert_series(
        "Idzorek posterior cov (AAPL row)",
        &row,
        &IDZOREK_COV_ROW_AAPL,
        1e-12,
    );
    let delta = market_implied_risk_aversion(&spy(), 252.0, 0.02).unwrap();
    let w = bl.weights(delta).unwrap();
    let abs = w
        .values()
        .iter()
        .zip(IDZOREK_WEIGHTS)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max);
    assert!(abs < 1e-12, "Idzorek weights: {abs:e}");
}

#[test]
fn relative_views_match_pypfopt() {
    let a = anchors();
    let cov = lw_cov(&a);
    let pi = prior(&a, &cov);
    let views = relative_views(cov.tickers());
    let p = views.p();
    assert_eq!((p.nrows(), p.ncols()), (3, 20));
    assert_eq!(views.q().as_slice(), &[0.02, 0.10, -0.03]);
    let via_matrices = Views::from_matrices(cov.tickers(), &p, &views.q()).unwrap();
    assert_eq!(via_matrices, views);

    let bl = BlackLitterman::new(&cov, &pi, &views, &BlackLittermanOptions::default()).unwrap();
    assert_series(
        "relative omega",
        bl.omega().diagonal().as_slice(),
        &RELATIVE_OMEGA,
        1e-13,
    );
    assert_series(
        "relative posterior",
        bl.posterior_returns().values().as_slice(),
        &RELATIVE_POSTERIOR,
        1e-12,
    );
    let row: Vec<f64> = bl
        .posterior_covariance()
        .matrix()
        .row(18)
        .iter()
        .copied()
        .collect();
    assert_series(
        "relative posterior cov (JPM row)",
        &row,
        &RELATIVE_COV_ROW_JPM,
        1e-12,
    );
    let delta = market_implied_risk_aversion(&spy(), 252.0, 0.02).unwrap();
    for (ra, want) in [(delta, RELATIVE_WEIGHTS), (1.0, RELATIVE_WEIGHTS_RA1)] {
        let w = bl.weights(ra).unwrap();
        let abs = w
            .values()
            .iter()
            .zip(want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0, f64::max);
        assert!(abs < 1e-12, "relative-view weights at delta {ra}: {abs:e}");
    }

    let options = BlackLittermanOptions {
        tau: 0.1,
        omega: Omega::Idzorek(vec![1.0, 0.5, 0.25]),
    };
    let bl = BlackLitterman::new(&cov, &pi, &views, &options).unwrap();
    assert!(
        bl.omega()[(0, 0)].abs() < 1e-300,
        "full confidence gives zero uncertainty"
    );
    assert_series(
        "relative Idzorek omega",
        &bl.omega().diagonal().as_slice()[1..],
        &RELATIVE_IDZOREK_OMEGA[1..],
        1e-13,
    );
    let post = bl.posterior_returns().values();
    assert_series(
        "relative Idzorek posterior",
        post.as_slice(),
        &RELATIVE_IDZOREK_POSTERIOR,
        1e-12,
    );
    let row: Vec<f64> = bl
        .posterior_covariance()
        .matrix()
        .row(13)
        .iter()
        .copied()
        .collect();
    assert_series(
        "relative Idzorek posterior cov (XOM row)",
        &row,
        &RELATIVE_IDZOREK_COV_ROW_XOM,
        1e-12,
    );
    // Full confidence: the posterior satisfies the view exactly.
    let goog_minus_fb = post[0] - post[2];
    assert!((goog_minus_fb - 0.02).abs() < 1e-12);
}

#[test]
fn a_custom_omega_equal_to_the_default_gives_the_same_posterior() {
    let a = anchors();
    let cov = lw_cov(&a);
    let pi = prior(&a, &cov);
    let views = relative_views(cov.tickers());
    let default =
        BlackLitterman::new(&cov, &pi, &views, &BlackLittermanOptions::default()).unwrap();
    let custom = BlackLittermanOptions {
        tau: DEFAULT_TAU,
        omega: Omega::Matrix(default.omega().clone()),
    };
    let again = BlackLitterman::new(&cov, &pi, &views, &custom).unwrap();
    assert_eq!(again.posterior_returns(), default.posterior_returns());
    // No views: the posterior is the prior, the covariance (1 + tau) S.
    let none = BlackLitterman::new(
        &cov,
        &pi,
        &Views::new(cov.tickers()),
        &BlackLittermanOptions::default(),
    )
    .unwrap();
    assert_eq!(none.posterior_returns(), &pi);
    let s = none.posterior_covariance().matrix() - cov.matrix() * (1.0 + DEFAULT_TAU);
    assert!(s.amax() < 1e-15);
}

#[test]
fn bad_inputs_give_typed_errors() {
    let a = anchors();
    let cov = lw_cov(&a);
    let pi = prior(&a, &cov);
    let t = cov.tickers().to_vec();
    // Risk aversion.
    assert!(matches!(
        market_implied_risk_aversion(&[100.0, 101.0], 252.0, 0.0),
        Err(Error::InsufficientHistory {
            needed: 3,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        market_implied_risk_aversion(&[100.0, -1.0, 101.0], 252.0, 0.0),
        Err(Error::InvalidParameter {
            name: "market_prices",
            ..
        })
    ));
    assert!(matches!(
        market_implied_risk_aversion(&[100.0, f64::NAN, 101.0], 252.0, 0.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        market_implied_risk_aversion(&[100.0, 100.0, 100.0], 252.0, 0.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        market_implied_risk_aversion(&[100.0, 99.0, 97.0, 98.0], 252.0, 0.0),
        Err(Error::InvalidParameter {
            name: "market_prices",
            ..
        })
    ));
    assert!(matches!(
        market_implied_risk_aversion(&spy(), 0.0, 0.02),
        Err(Error::InvalidParameter {
            name: "frequency",
            ..
        })
    ));
    // A market whose return is below the risk-free rate.
    assert!(matches!(
        market_implied_risk_aversion(&spy(), 252.0, 0.5),
        Err(Error::InvalidParameter { .. })
    ));
    // Prior.
    let mut caps = caps(&a);
    assert!(matches!(
        market_implied_prior_returns(&caps, 0.0, &cov, 0.02),
        Err(Error::InvalidParameter {
            name: "risk_aversion",
            ..
        })
    ));
    caps.insert("ZZZ".parse().unwrap(), 1.0);
    assert!(
        matches!(market_implied_prior_returns(&caps, 2.0, &cov, 0.02), Err(Error::UnknownTicker(t)) if t == "ZZZ")
    );
    caps.remove("ZZZ");
    caps.remove("GOOG");
    assert!(matches!(
        market_implied_prior_returns(&caps, 2.0, &cov, 0.02),
        Err(Error::InvalidParameter {
            name: "market_caps",
            ..
        })
    ));
    caps.insert("GOOG".parse().unwrap(), -1.0);
    assert!(matches!(
        market_implied_prior_returns(&caps, 2.0, &cov, 0.02),
        Err(Error::InvalidParameter {
            name: "market_caps",
            ..
        })
    ));
    let zeros: BTreeMap<Symbol, f64> = t.iter().map(|k| (k.clone(), 0.0)).collect();
    assert!(matches!(
        market_implied_prior_returns(&zeros, 2.0, &cov, 0.02),
        Err(Error::InvalidParameter {
            name: "market_caps",
            ..
        })
    ));
    // Views.
    let mut v = Views::new(&t);
    assert!(matches!(
        v.absolute("NOPE", 0.1),
        Err(Error::UnknownTicker(_))
    ));
    assert!(matches!(
        v.relative("AAPL", "AAPL", 0.1),
        Err(Error::InvalidParameter { name: "views", .. })
    ));
    assert!(matches!(
        v.absolute("AAPL", f64::INFINITY),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        v.portfolio(&[("AAPL", 1.0), ("AAPL", -1.0)], 0.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(v.is_empty());
    assert!(matches!(
        Views::from_matrices(&t, &DMatrix::zeros(2, 19), &DVector::zeros(2)),
        Err(Error::DimensionMismatch { .. })
    ));
    // Model.
    let views = Views::from_absolute(&t, &absolute_views()).unwrap();
    for tau in [0.0, -0.1, 1.5, f64::NAN] {
        let o = BlackLittermanOptions {
            tau,
            omega: Omega::Proportional,
        };
        assert!(matches!(
            BlackLitterman::new(&cov, &pi, &views, &o),
            Err(Error::InvalidParameter { name: "tau", .. })
        ));
    }
    for conf in [
        vec![0.5; 3],
        vec![0.5, 0.5, 1.2, 0.5],
        vec![0.5, -0.1, 0.5, 0.5],
    ] {
        let o = BlackLittermanOptions {
            tau: 0.05,
            omega: Omega::Idzorek(conf),
        };
        assert!(matches!(
            BlackLitterman::new(&cov, &pi, &views, &o),
            Err(Error::InvalidParameter {
                name: "view_confidences",
                ..
            })
        ));
    }
    let o = BlackLittermanOptions {
        tau: 0.05,
        omega: Omega::Matrix(DMatrix::identity(3, 3)),
    };
    assert!(matches!(
        BlackLitterman::new(&cov, &pi, &views, &o),
        Err(Error::DimensionMismatch { .. })
    ));
    let o = BlackLittermanOptions {
        tau: 0.05,
        omega: Omega::Matrix(-DMatrix::identity(4, 4)),
    };
    assert!(matches!(
        BlackLitterman::new(&cov, &pi, &views, &o),
        Err(Error::InvalidParameter { name: "omega", .. })
    ));
    let short =
        ExpectedReturns::new(t[..19].to_vec(), pi.values().as_slice()[..19].to_vec()).unwrap();
    assert!(matches!(
        BlackLitterman::new(&cov, &short, &views, &BlackLittermanOptions::default()),
        Err(Error::DimensionMismatch { .. })
    ));
    let other = Views::new(&t[..19]);
    assert!(matches!(
        BlackLitterman::new(&cov, &pi, &other, &BlackLittermanOptions::default()),
        Err(Error::DimensionMismatch { .. })
    ));
    let bl = BlackLitterman::new(&cov, &pi, &views, &BlackLittermanOptions::default()).unwrap();
    assert!(matches!(
        bl.weights(0.0),
        Err(Error::InvalidParameter {
            name: "risk_aversion",
            ..
        })
    ));
    assert!(matches!(
        bl.weights(f64::NAN),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn redundant_certain_views_fall_back_to_least_squares() {
    // Two identical views held with 100% confidence make A singular.
    let a = anchors();
    let cov = lw_cov(&a);
    let pi = prior(&a, &cov);
    let mut v = Views::new(cov.tickers());
    v.absolute("AAPL", 0.1)
        .unwrap()
        .absolute("AAPL", 0.1)
        .unwrap();
    let o = BlackLittermanOptions {
        tau: 0.05,
        omega: Omega::Idzorek(vec![1.0, 1.0]),
    };
    let bl = BlackLitterman::new(&cov, &pi, &v, &o).unwrap();
    assert!((bl.posterior_returns().get("AAPL").unwrap() - 0.1).abs() < 1e-10);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn certain_views_hold_exactly_and_the_posterior_is_psd(
        picks in prop::collection::vec((0usize..20, -1.0f64..1.0, 0usize..20), 1..5),
        qs in prop::collection::vec(-0.2f64..0.3, 5),
        tau in 0.01f64..1.0,
    ) {
        let a = anchors();
        let cov = lw_cov(&a);
        let pi = prior(&a, &cov);
        let t = cov.tickers().to_vec();
        let mut views = Views::new(&t);
        for (k, (i, c, j)) in picks.iter().enumerate() {
            let _ = views.portfolio(&[(t[*i].as_str(), 1.0), (t[*j].as_str(), *c)], qs[k]);
        }
        prop_assume!(!views.is_empty());
        let p = views.p();
        prop_assume!(p.clone().svd(false, false).singular_values.min() > 1e-3);
        let certain = BlackLittermanOptions { tau, omega: Omega::Idzorek(vec![1.0; views.len()]) };
        let bl = BlackLitterman::new(&cov, &pi, &views, &certain).unwrap();
        let implied = &p * bl.posterior_returns().values();
        for k in 0..views.len() {
            prop_assert!((implied[k] - views.q()[k]).abs() < 1e-9);
        }
        let default = BlackLitterman::new(&cov, &pi, &views, &BlackLittermanOptions { tau, omega: Omega::Proportional }).unwrap();
        let eig = default.posterior_covariance().matrix().clone().symmetric_eigenvalues();
        prop_assert!(eig.min() > 0.0);
        // Zero confidence barely moves the prior.
        let unsure = BlackLitterman::new(&cov, &pi, &views, &BlackLittermanOptions { tau, omega: Omega::Idzorek(vec![0.0; views.len()]) }).unwrap();
        let moved = (unsure.posterior_returns().values() - pi.values()).amax();
        prop_assert!(moved < 1e-5);
    }
}

/// `from_prices` is the documented chain: the sample covariance, the
/// market-implied prior, absolute views, the posterior and its weights.
#[test]
fn from_prices_is_the_documented_chain() {
    use auravest_optimize::black_litterman::{PriceRequest, from_prices};
    use auravest_optimize::{MissingData, ReturnMatrix, risk_models::Estimator};
    let frame = PriceFrame::from_csv(shared("data/stock_prices.csv").as_bytes()).expect("prices");
    let tickers: Vec<Symbol> = frame.columns().to_vec();
    let caps: BTreeMap<Symbol, f64> = tickers
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), 1e9 * (i + 1) as f64))
        .collect();
    let views = vec![(tickers[0].clone(), 0.10), (tickers[1].clone(), -0.05)];
    let mut request = PriceRequest::new(caps.clone(), views.clone());
    request.confidences = Some(vec![0.6, 0.3]);
    let answer = from_prices(&frame, &request).unwrap();

    let returns = ReturnMatrix::from_prices(&frame).unwrap();
    let cov = Estimator::Sample
        .estimate(&returns, MissingData::Pairwise)
        .unwrap();
    let prior = market_implied_prior_returns(&caps, 1.0, &cov, 0.0).unwrap();
    let model = BlackLitterman::new(
        &cov,
        &prior,
        &Views::from_absolute(cov.tickers(), &views).unwrap(),
        &BlackLittermanOptions {
            tau: DEFAULT_TAU,
            omega: Omega::Idzorek(vec![0.6, 0.3]),
        },
    )
    .unwrap();
    assert_eq!(answer.prior, prior);
    assert_eq!(&answer.posterior, model.posterior_returns());
    assert_eq!(answer.weights, model.weights(1.0).unwrap());
    assert!((answer.weights.values().iter().sum::<f64>() - 1.0).abs() < 1e-9);

    request.views = vec![("NOPE".parse().unwrap(), 0.1)];
    assert!(matches!(
        from_prices(&frame, &request),
        Err(Error::UnknownTicker(_) | Error::InvalidParameter { .. })
    ));
}

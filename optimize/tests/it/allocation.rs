//! Share allocation: parity with PyPortfolioOpt 1.6's `DiscreteAllocation`
//! (the `discrete_allocation` anchor block, plus references computed with the
//! same version on the same prices), errors, and invariants.

use auravest_core::Symbol;
use std::collections::BTreeMap;

use auravest_core::PriceFrame;
use auravest_optimize::allocation::{
    Method, RebalanceOptions, allocate, allocation_rmse, exact, greedy, latest_prices, rebalance,
};
use auravest_optimize::{Allocation, Error, Weights};
use proptest::prelude::*;
use serde_json::Value;

fn shared(path: &str) -> String {
    let full = format!("{}/../../shared/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| {
        panic!("the allocation parity tests need {full} (shared anchors and data beside the repository): {e}")
    })
}

fn anchors() -> Value {
    serde_json::from_str(&shared("anchors/pypfopt_reference.json")).expect("anchors are JSON")
}

fn tickers(a: &Value) -> Vec<Symbol> {
    a["meta"]["data"]["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect()
}

fn prices(a: &Value) -> BTreeMap<Symbol, f64> {
    a["discrete_allocation"]["latest_prices"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.parse().unwrap(), v.as_f64().unwrap()))
        .collect()
}

/// Weights in the price file's ticker order (PyPortfolioOpt's dict order).
fn weights_from(a: &Value, block: &Value) -> Weights {
    let t = tickers(a);
    let v = t
        .iter()
        .map(|k| block[k.as_str()].as_f64().unwrap())
        .collect();
    Weights::new(t, v).unwrap()
}

fn max_sharpe(a: &Value) -> Weights {
    weights_from(a, &a["mean_variance"]["max_sharpe_rf_0.02"]["weights"])
}

fn shares_of(list: &[(&str, i64)]) -> BTreeMap<Symbol, i64> {
    list.iter()
        .map(|(t, n)| ((*t).parse().unwrap(), *n))
        .collect()
}

fn json_shares(v: &Value) -> BTreeMap<Symbol, i64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.parse().unwrap(), n.as_i64().unwrap()))
        .collect()
}

fn spend(shares: &BTreeMap<Symbol, i64>, p: &BTreeMap<Symbol, f64>) -> f64 {
    shares.iter().map(|(t, n)| *n as f64 * p[t]).sum()
}

/// PyPortfolioOpt's `lp_portfolio` objective `Σ |w V - x p| + (V - Σ x p)`.
fn lp_objective(
    w: &Weights,
    p: &BTreeMap<Symbol, f64>,
    cash: f64,
    shares: &BTreeMap<Symbol, i64>,
) -> f64 {
    let mut obj = cash - spend(shares, p);
    for (t, wt) in w.tickers().iter().zip(w.values().iter()) {
        let x = shares.get(t).copied().unwrap_or(0) as f64;
        obj += (wt * cash - x * p[t]).abs();
    }
    obj
}

/// The total shortfall below target, `Σ max(0, w V - x p)`.
fn shortfall(w: &[f64], p: &[f64], cash: f64, x: &[i64]) -> f64 {
    w.iter()
        .zip(p)
        .zip(x)
        .map(|((w, p), x)| (w * cash - *x as f64 * p).max(0.0))
        .sum()
}

#[test]
fn latest_prices_are_the_last_known_prices() {
    let a = anchors();
    let frame = PriceFrame::from_csv(shared("data/stock_prices.csv").as_bytes()).unwrap();
    assert_eq!(latest_prices(&frame), prices(&a));
    let ragged =
        PriceFrame::from_csv("date,A,B,C\n2024-01-02,1.5,,\n2024-01-03,,2.5,\n".as_bytes())
            .unwrap();
    let got = latest_prices(&ragged);
    assert_eq!(got.len(), 2);
    assert!((got["A"] - 1.5).abs() < 1e-15 && (got["B"] - 2.5).abs() < 1e-15);
}

#[test]
fn greedy_matches_the_anchor() {
    let a = anchors();
    let g = &a["discrete_allocation"]["greedy_10000"];
    let (w, p) = (max_sharpe(&a), prices(&a));
    let alloc = greedy(&w, &p, 10_000.0).unwrap();
    assert_eq!(alloc.shares, json_shares(&g["allocation"]));
    assert_eq!(alloc.trades, alloc.shares);
    assert!(alloc.fees.abs() < 1e-300);
    let want = g["leftover"].as_f64().unwrap();
    assert_eq!(
        alloc.leftover.to_bits(),
        want.to_bits(),
        "leftover {} vs {want}",
        alloc.leftover
    );
    let rmse = allocation_rmse(&w, &p, &alloc.shares).unwrap();
    let want = g["rmse"].as_f64().unwrap();
    assert!((rmse - want).abs() < 1e-15, "rmse {rmse} vs {want}");
}

#[test]
fn exact_matches_the_anchor() {
    let a = anchors();
    let lp = &a["discrete_allocation"]["lp_10000"];
    let (w, p) = (max_sharpe(&a), prices(&a));
    let start = std::time::Instant::now();
    let alloc = exact(&w, &p, 10_000.0).unwrap();
    let took = start.elapsed();
    assert_eq!(alloc.shares, json_shares(&lp["allocation"]));
    let want = lp["leftover"].as_f64().unwrap();
    assert!(
        (alloc.leftover - want).abs() < 1e-9,
        "leftover {} vs {want}",
        alloc.leftover
    );
    let rmse = allocation_rmse(&w, &p, &alloc.shares).unwrap();
    assert!((rmse - lp["rmse"].as_f64().unwrap()).abs() < 1e-15);
    println!("exact allocation of 20 assets: {took:?}");
    let via = allocate(&w, &p, 10_000.0, Method::Exact).unwrap();
    assert_eq!(via, alloc);
}

/// Each allocation's JSON is the CLI's `{"shares", "trades", "fees", "leftover"}`.
#[test]
fn allocation_serialises_as_the_cli_json() {
    let mut a = Allocation::default();
    a.shares.insert("AAPL".parse().unwrap(), 3);
    a.trades.insert("AAPL".parse().unwrap(), -2);
    a.fees = 1.5;
    a.leftover = 12.25;
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"shares": {"AAPL": 3}, "trades": {"AAPL": -2}, "fees": 1.5, "leftover": 12.25})
    );
    let back: Allocation = serde_json::from_value(v).unwrap();
    assert_eq!(back, a);
}

/// Shares by ticker, as a constant.
type Shares = &'static [(&'static str, i64)];

// References: PyPortfolioOpt 1.6.0 (HiGHS 1.16 through cvxpy 1.9.3 for
// `lp_portfolio(solver="HIGHS")`), `DiscreteAllocation(weights,
// get_latest_prices(prices), total_portfolio_value=cash)` on the shared prices.
/// (cash, greedy shares, greedy leftover) on the anchors' max-Sharpe weights.
const GREEDY_MAX_SHARPE: [(f64, Shares, f64); 5] = [
    (
        1000.0,
        &[
            ("BABA", 1),
            ("BBY", 1),
            ("FB", 1),
            ("MA", 2),
            ("PFE", 5),
            ("SBUX", 1),
        ],
        4.319982999999958,
    ),
    (
        2500.0,
        &[
            ("AAPL", 1),
            ("BABA", 1),
            ("BBY", 1),
            ("FB", 3),
            ("MA", 5),
            ("PFE", 13),
            ("SBUX", 1),
        ],
        195.83995600000011,
    ),
    (
        3333.33,
        &[
            ("AAPL", 2),
            ("BABA", 2),
            ("BBY", 1),
            ("FB", 4),
            ("MA", 6),
            ("PFE", 18),
            ("SBUX", 1),
        ],
        163.7399399999997,
    ),
    (
        25000.0,
        &[
            ("AAPL", 9),
            ("AMZN", 1),
            ("BABA", 10),
            ("BBY", 5),
            ("FB", 30),
            ("GOOG", 1),
            ("MA", 51),
            ("PFE", 136),
            ("SBUX", 4),
        ],
        7.789543000001075,
    ),
    (
        100000.0,
        &[
            ("AAPL", 39),
            ("AMZN", 3),
            ("BABA", 41),
            ("BBY", 18),
            ("FB", 123),
            ("GOOG", 4),
            ("MA", 205),
            ("PFE", 547),
            ("SBUX", 18),
        ],
        9.818200999997622,
    ),
];
/// (cash, exact shares) on the anchors' max-Sharpe weights (HiGHS through cvxpy).
const LP_MAX_SHARPE: [(f64, Shares); 5] = [
    (
        1000.0,
        &[("BABA", 1), ("BBY", 1), ("FB", 1), ("MA", 2), ("PFE", 6)],
    ),
    (
        2500.0,
        &[
            ("AAPL", 1),
            ("BABA", 1),
            ("BBY", 3),
            ("FB", 3),
            ("MA", 5),
            ("PFE", 14),
            ("SBUX", 1),
        ],
    ),
    (
        3333.33,
        &[
            ("AAPL", 2),
            ("BABA", 2),
            ("BBY", 1),
            ("FB", 4),
            ("MA", 7),
            ("PFE", 19),
        ],
    ),
    (
        25000.0,
        &[
            ("AAPL", 10),
            ("AMZN", 1),
            ("BABA", 10),
            ("BBY", 4),
            ("FB", 30),
            ("GOOG", 1),
            ("MA", 51),
            ("PFE", 135),
            ("SBUX", 3),
        ],
    ),
    (
        100000.0,
        &[
            ("AAPL", 40),
            ("AMZN", 3),
            ("BABA", 41),
            ("BBY", 17),
            ("FB", 123),
            ("GOOG", 4),
            ("MA", 205),
            ("PFE", 546),
            ("SBUX", 17),
        ],
    ),
];
/// (cash, greedy shares, greedy leftover, exact shares) on the anchors' HRP weights.
const HRP_REFS: [(f64, Shares, f64, Shares); 3] = [
    (
        2000.0,
        &[
            ("AAPL", 1),
            ("AMD", 4),
            ("BABA", 1),
            ("BBY", 1),
            ("FB", 1),
            ("GE", 8),
            ("GM", 3),
            ("MA", 1),
            ("PFE", 4),
            ("RRC", 4),
            ("SBUX", 1),
            ("SHLD", 16),
            ("T", 6),
            ("UAA", 3),
            ("WMT", 2),
            ("XOM", 3),
        ],
        1.3999749999997562,
        &[
            ("AMD", 5),
            ("BABA", 1),
            ("BAC", 1),
            ("BBY", 1),
            ("FB", 1),
            ("GE", 9),
            ("GM", 3),
            ("MA", 1),
            ("PFE", 5),
            ("RRC", 4),
            ("SBUX", 1),
            ("SHLD", 15),
            ("T", 6),
            ("UAA", 3),
            ("WMT", 3),
            ("XOM", 3),
        ],
    ),
    (
        10000.0,
        &[
            ("AAPL", 1),
            ("AMD", 22),
            ("BABA", 4),
            ("BAC", 5),
            ("BBY", 5),
            ("FB", 4),
            ("GE", 42),
            ("GM", 14),
            ("GOOG", 1),
            ("JPM", 1),
            ("MA", 2),
            ("PFE", 21),
            ("RRC", 21),
            ("SBUX", 6),
            ("SHLD", 82),
            ("T", 31),
            ("UAA", 16),
            ("WMT", 12),
            ("XOM", 14),
        ],
        5.669913000000143,
        &[
            ("AAPL", 1),
            ("AMD", 22),
            ("BABA", 4),
            ("BAC", 5),
            ("BBY", 5),
            ("FB", 4),
            ("GE", 42),
            ("GM", 14),
            ("GOOG", 1),
            ("JPM", 1),
            ("MA", 2),
            ("PFE", 21),
            ("RRC", 21),
            ("SBUX", 6),
            ("SHLD", 83),
            ("T", 31),
            ("UAA", 16),
            ("WMT", 12),
            ("XOM", 14),
        ],
    ),
    (
        50000.0,
        &[
            ("AAPL", 6),
            ("AMD", 113),
            ("AMZN", 1),
            ("BABA", 23),
            ("BAC", 24),
            ("BBY", 24),
            ("FB", 19),
            ("GE", 213),
            ("GM", 71),
            ("GOOG", 2),
            ("JPM", 8),
            ("MA", 11),
            ("PFE", 108),
            ("RRC", 105),
            ("SBUX", 33),
            ("SHLD", 410),
            ("T", 157),
            ("UAA", 81),
            ("WMT", 61),
            ("XOM", 72),
        ],
        4.589424000004593,
        &[
            ("AAPL", 6),
            ("AMD", 113),
            ("AMZN", 1),
            ("BABA", 23),
            ("BAC", 24),
            ("BBY", 24),
            ("FB", 19),
            ("GE", 211),
            ("GM", 71),
            ("GOOG", 2),
            ("JPM", 8),
            ("MA", 11),
            ("PFE", 108),
            ("RRC", 105),
            ("SBUX", 33),
            ("SHLD", 408),
            ("T", 158),
            ("UAA", 81),
            ("WMT", 61),
            ("XOM", 72),
        ],
    ),
];
const LONG_SHORT_GREEDY: (Shares, f64) = (
    &[
        ("AAPL", 4),
        ("AMD", -138),
        ("BABA", 5),
        ("BAC", -93),
        ("BBY", 6),
        ("FB", 7),
        ("GE", -42),
        ("GM", -27),
        ("GOOG", 1),
        ("MA", 19),
        ("PFE", 42),
        ("RRC", -54),
        ("SBUX", 8),
        ("SHLD", -381),
        ("T", -14),
        ("UAA", -22),
        ("WMT", 3),
        ("XOM", 4),
    ],
    2.954581674119132,
);
const LONG_SHORT_LP: (Shares, f64) = (
    &[
        ("AAPL", 4),
        ("AMD", -138),
        ("BABA", 5),
        ("BAC", -93),
        ("BBY", 6),
        ("FB", 7),
        ("GE", -42),
        ("GM", -27),
        ("GOOG", 1),
        ("MA", 19),
        ("PFE", 42),
        ("RRC", -54),
        ("SBUX", 8),
        ("SHLD", -381),
        ("T", -14),
        ("UAA", -22),
        ("WMT", 3),
        ("XOM", 4),
    ],
    2.954581674119254,
);
/// The true optimum at 50,000 on the HRP weights (HiGHS with
/// `mip_rel_gap=1e-12`): objective 1399.6399363918317, where PyPortfolioOpt's
/// default run stops at 1402.1999363918294 (`HRP_REFS[2].3`).
const HRP_50000_OPTIMUM: Shares = &[
    ("AAPL", 6),
    ("AMD", 113),
    ("AMZN", 1),
    ("BABA", 23),
    ("BAC", 24),
    ("BBY", 24),
    ("FB", 19),
    ("GE", 212),
    ("GM", 71),
    ("GOOG", 2),
    ("JPM", 8),
    ("MA", 11),
    ("PFE", 108),
    ("RRC", 104),
    ("SBUX", 33),
    ("SHLD", 409),
    ("T", 158),
    ("UAA", 81),
    ("WMT", 61),
    ("XOM", 72),
];

#[test]
fn greedy_matches_pypfopt_at_other_amounts_and_weights() {
    let a = anchors();
    let (w, p) = (max_sharpe(&a), prices(&a));
    for (cash, shares, leftover) in GREEDY_MAX_SHARPE {
        let g = greedy(&w, &p, cash).unwrap();
        assert_eq!(g.shares, shares_of(shares), "greedy at {cash}");
        assert!(
            (g.leftover - leftover).abs() < 1e-9,
            "leftover at {cash}: {} vs {leftover}",
            g.leftover
        );
    }
    let hrp = weights_from(&a, &a["hrp"]["weights"]);
    for (cash, shares, leftover, _) in HRP_REFS {
        let g = greedy(&hrp, &p, cash).unwrap();
        assert_eq!(g.shares, shares_of(shares), "greedy HRP at {cash}");
        assert!((g.leftover - leftover).abs() < 1e-9);
    }
}

#[test]
fn exact_matches_pypfopt_where_its_solver_converges_and_beats_it_where_not() {
    let a = anchors();
    let (w, p) = (max_sharpe(&a), prices(&a));
    for (cash, shares) in LP_MAX_SHARPE {
        let e = exact(&w, &p, cash).unwrap();
        let reference = shares_of(shares);
        let (mine, theirs) = (
            lp_objective(&w, &p, cash, &e.shares),
            lp_objective(&w, &p, cash, &reference),
        );
        assert!(
            (mine - theirs).abs() < 1e-9,
            "objective at {cash}: {mine} vs {theirs}"
        );
        if (cash - 2500.0).abs() < 1e-9 {
            // A tie: HiGHS buys 2 BBY shares past the target, which leaves the
            // objective unchanged; we buy none past it.
            let mut expected = reference.clone();
            expected.insert("BBY".parse().unwrap(), 1);
            assert_eq!(e.shares, expected);
        } else {
            assert_eq!(e.shares, reference, "exact at {cash}");
        }
        assert!(e.leftover >= 0.0 && (spend(&e.shares, &p) + e.leftover - cash).abs() < 1e-9);
    }
    let hrp = weights_from(&a, &a["hrp"]["weights"]);
    for (cash, _, _, lp) in HRP_REFS {
        let e = exact(&hrp, &p, cash).unwrap();
        if cash < 20_000.0 {
            assert_eq!(e.shares, shares_of(lp), "exact HRP at {cash}");
        } else {
            assert_eq!(e.shares, shares_of(HRP_50000_OPTIMUM));
            let (mine, theirs) = (
                lp_objective(&hrp, &p, cash, &e.shares),
                lp_objective(&hrp, &p, cash, &shares_of(lp)),
            );
            assert!(
                (mine - 1399.6399363918317).abs() < 1e-8 && mine < theirs - 2.5,
                "{mine} vs {theirs}"
            );
        }
    }
}

#[test]
fn exact_is_quick_for_twenty_assets() {
    let a = anchors();
    let p = prices(&a);
    let hrp = weights_from(&a, &a["hrp"]["weights"]);
    let start = std::time::Instant::now();
    let mut worst = std::time::Duration::ZERO;
    for k in 1..=40 {
        let cash = 1_000.0 * f64::from(k) + 37.5;
        let t = std::time::Instant::now();
        let e = exact(&hrp, &p, cash).unwrap();
        worst = worst.max(t.elapsed());
        let g = greedy(&hrp, &p, cash).unwrap();
        assert!(e.leftover >= 0.0);
        assert!(
            lp_objective(&hrp, &p, cash, &e.shares)
                <= lp_objective(&hrp, &p, cash, &g.shares) + 1e-9
        );
    }
    println!(
        "exact, 20 HRP-weighted assets, 40 cash amounts: {:?} in all, slowest {worst:?}",
        start.elapsed()
    );
}

#[test]
fn long_short_weights_split_books_as_pypfopt() {
    let a = anchors();
    let p = prices(&a);
    let w = weights_from(
        &a,
        &a["mean_variance"]["max_sharpe_long_short_bounds_-1_1"]["weights"],
    );
    let g = greedy(&w, &p, 10_000.0).unwrap();
    assert_eq!(g.shares, shares_of(LONG_SHORT_GREEDY.0));
    assert!((g.leftover - LONG_SHORT_GREEDY.1).abs() < 1e-9);
    let e = exact(&w, &p, 10_000.0).unwrap();
    assert_eq!(e.shares, shares_of(LONG_SHORT_LP.0));
    assert!((e.leftover - LONG_SHORT_LP.1).abs() < 1e-9);
    for (t, n) in &g.shares {
        assert_eq!(*n < 0, w.get(t.as_str()).unwrap() < 0.0, "{t}");
    }
}

fn two(wa: f64, wb: f64) -> (Weights, BTreeMap<Symbol, f64>) {
    let w = Weights::new(
        vec!["A".parse().unwrap(), "B".parse().unwrap()],
        vec![wa, wb],
    )
    .unwrap();
    let p = [
        ("A".parse().unwrap(), 100.0),
        ("B".parse().unwrap(), 50.0),
        ("C".parse().unwrap(), 20.0),
    ]
    .into_iter()
    .collect();
    (w, p)
}

#[test]
fn rebalance_follows_the_documented_rules() {
    let (w, p) = two(0.5, 0.5);
    let exact_fee = |fee| RebalanceOptions {
        method: Method::Exact,
        fee_per_trade: fee,
    };
    // All in A, no cash: sell 5 A, buy B. The first plan (A 5, B 10) cannot pay
    // its two fees, so the targets are recomputed on 998: A 5, B 9.
    let held: BTreeMap<Symbol, i64> = [("A".parse().unwrap(), 10)].into_iter().collect();
    let r = rebalance(&w, &p, &held, 0.0, &exact_fee(1.0)).unwrap();
    assert_eq!(
        r.shares,
        [("A".parse().unwrap(), 5), ("B".parse().unwrap(), 9)]
            .into_iter()
            .collect()
    );
    assert_eq!(
        r.trades,
        [("A".parse().unwrap(), -5), ("B".parse().unwrap(), 9)]
            .into_iter()
            .collect()
    );
    assert!(
        (r.fees - 2.0).abs() < 1e-12 && (r.leftover - 48.0).abs() < 1e-9,
        "{r:?}"
    );
    // Near target: the exact plan adds 2 B (benefit 98), made at fee 10,
    // skipped at fee 100.
    let held: BTreeMap<Symbol, i64> = [("A".parse().unwrap(), 5), ("B".parse().unwrap(), 9)]
        .into_iter()
        .collect();
    let r = rebalance(&w, &p, &held, 148.0, &exact_fee(10.0)).unwrap();
    assert_eq!(r.trades, [("B".parse().unwrap(), 2)].into_iter().collect());
    assert!((r.leftover - 38.0).abs() < 1e-9 && (r.fees - 10.0).abs() < 1e-12);
    let r = rebalance(&w, &p, &held, 148.0, &exact_fee(100.0)).unwrap();
    assert!(r.trades.is_empty() && r.fees.abs() < 1e-300);
    assert_eq!(r.shares, held);
    assert!((r.leftover - 148.0).abs() < 1e-12);
    // A holding outside the weights is sold.
    let held: BTreeMap<Symbol, i64> = [
        ("A".parse().unwrap(), 5),
        ("B".parse().unwrap(), 9),
        ("C".parse().unwrap(), 3),
    ]
    .into_iter()
    .collect();
    let r = rebalance(
        &w,
        &p,
        &held,
        0.0,
        &RebalanceOptions {
            method: Method::Greedy,
            fee_per_trade: 1.0,
        },
    )
    .unwrap();
    assert_eq!(r.trades.get("C"), Some(&-3));
    assert!(!r.shares.contains_key("C") && r.leftover >= 0.0);
    // From nothing, without fees, the rebalance is the allocation (the greedy
    // one buys a GOOG share that overshoots its target: made, since free).
    let a = anchors();
    let (w, p) = (max_sharpe(&a), prices(&a));
    for method in [Method::Greedy, Method::Exact] {
        let r = rebalance(
            &w,
            &p,
            &BTreeMap::new(),
            10_000.0,
            &RebalanceOptions {
                method,
                fee_per_trade: 0.0,
            },
        )
        .unwrap();
        let g = allocate(&w, &p, 10_000.0, method).unwrap();
        assert_eq!(r.shares, g.shares);
        assert_eq!(r.trades, g.shares);
        assert!((r.leftover - g.leftover).abs() < 1e-9 && r.fees.abs() < 1e-300);
    }
    // With a fee, that GOOG share (benefit 383.5 - 636.5 < 0) is not bought.
    let r = rebalance(
        &w,
        &p,
        &BTreeMap::new(),
        10_000.0,
        &RebalanceOptions {
            method: Method::Greedy,
            fee_per_trade: 0.01,
        },
    )
    .unwrap();
    assert!(
        !r.shares.contains_key("GOOG") && r.trades.len() == 7,
        "{r:?}"
    );
}

#[test]
fn bad_inputs_give_typed_errors() {
    let (w, p) = two(0.5, 0.5);
    for cash in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            greedy(&w, &p, cash),
            Err(Error::InvalidParameter { name: "cash", .. })
        ));
        assert!(matches!(
            exact(&w, &p, cash),
            Err(Error::InvalidParameter { name: "cash", .. })
        ));
    }
    let mut missing = p.clone();
    missing.remove("B");
    assert!(matches!(
        greedy(&w, &missing, 1000.0),
        Err(Error::InvalidParameter { name: "prices", .. })
    ));
    for bad in [0.0, -1.0, f64::NAN] {
        let mut q = p.clone();
        q.insert("A".parse().unwrap(), bad);
        assert!(matches!(
            exact(&w, &q, 1000.0),
            Err(Error::InvalidParameter { name: "prices", .. })
        ));
    }
    // A zero weight needs no price.
    let (z, _) = two(1.0, 0.0);
    assert!(greedy(&z, &missing, 1000.0).is_ok());
    let (w9, _) = two(0.5, 0.4);
    assert!(matches!(
        greedy(&w9, &p, 1000.0),
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    let (neutral, _) = two(0.5, -0.5);
    assert!(matches!(
        exact(&neutral, &p, 1000.0),
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    let dup = Weights::new(
        vec!["A".parse().unwrap(), "A".parse().unwrap()],
        vec![0.5, 0.5],
    )
    .unwrap();
    assert!(matches!(
        greedy(&dup, &p, 1000.0),
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    let empty = Weights::new(vec![], vec![]).unwrap();
    assert!(matches!(
        greedy(&empty, &p, 1000.0),
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    // Rebalance.
    let none = BTreeMap::new();
    let opts = RebalanceOptions::default();
    assert!(matches!(
        rebalance(&w, &p, &none, -1.0, &opts),
        Err(Error::InvalidParameter { name: "cash", .. })
    ));
    assert!(matches!(
        rebalance(&w, &p, &none, 0.0, &opts),
        Err(Error::InvalidParameter { name: "cash", .. })
    ));
    let neg_fee = RebalanceOptions {
        method: Method::Greedy,
        fee_per_trade: -1.0,
    };
    assert!(matches!(
        rebalance(&w, &p, &none, 100.0, &neg_fee),
        Err(Error::InvalidParameter {
            name: "fee_per_trade",
            ..
        })
    ));
    let unpriced: BTreeMap<Symbol, i64> = [("ZZZ".parse().unwrap(), 4)].into_iter().collect();
    assert!(matches!(
        rebalance(&w, &p, &unpriced, 100.0, &opts),
        Err(Error::InvalidParameter { name: "prices", .. })
    ));
    // RMSE of an empty allocation.
    assert!(matches!(
        allocation_rmse(&w, &p, &BTreeMap::new()),
        Err(Error::InvalidParameter { .. })
    ));
}

/// Random long-only problems: `n` weights, prices and a cash amount.
fn problem() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, f64)> {
    (2usize..=10)
        .prop_flat_map(|n| {
            (
                prop::collection::vec(0.0f64..1.0, n),
                prop::collection::vec(1.0f64..800.0, n),
                200.0f64..50_000.0,
            )
        })
        .prop_filter("some weight", |(w, _, _)| w.iter().sum::<f64>() > 0.1)
        .prop_map(|(w, p, cash)| {
            let total: f64 = w.iter().sum();
            (w.iter().map(|v| v / total).collect(), p, cash)
        })
}

fn named(w: &[f64], p: &[f64]) -> (Weights, BTreeMap<Symbol, f64>, Vec<Symbol>) {
    let t: Vec<Symbol> = (0..w.len())
        .map(|i| format!("T{i}").parse().unwrap())
        .collect();
    let prices = t.iter().cloned().zip(p.iter().copied()).collect();
    (Weights::new(t.clone(), w.to_vec()).unwrap(), prices, t)
}

fn vector(shares: &BTreeMap<Symbol, i64>, t: &[Symbol]) -> Vec<i64> {
    t.iter()
        .map(|k| shares.get(k).copied().unwrap_or(0))
        .collect()
}

/// The least shortfall over every `x_i ≤ ⌈t_i / p_i⌉` within the cash.
fn brute_force(w: &[f64], p: &[f64], cash: f64) -> f64 {
    let caps: Vec<i64> = w
        .iter()
        .zip(p)
        .map(|(w, p)| (w * cash / p).ceil() as i64)
        .collect();
    let mut x = vec![0i64; w.len()];
    let mut best = f64::INFINITY;
    loop {
        let cost: f64 = x.iter().zip(p).map(|(x, p)| *x as f64 * p).sum();
        if cost <= cash {
            best = best.min(shortfall(w, p, cash, &x));
        }
        let mut i = 0;
        while i < x.len() && x[i] == caps[i] {
            x[i] = 0;
            i += 1;
        }
        if i == x.len() {
            return best;
        }
        x[i] += 1;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Greedy never overspends, and (with at most 10 assets, so its 10-skip
    /// cap cannot bind) it stops only when every asset still below its
    /// target weight costs more than the cash left.
    #[test]
    fn greedy_spends_within_the_cash((w, p, cash) in problem()) {
        let (weights, prices, t) = named(&w, &p);
        let g = greedy(&weights, &prices, cash).unwrap();
        prop_assert!(g.leftover >= 0.0);
        prop_assert!((spend(&g.shares, &prices) + g.leftover - cash).abs() <= 1e-9 * cash);
        let x = vector(&g.shares, &t);
        prop_assert!(x.iter().all(|n| *n >= 0));
        let held: f64 = x.iter().zip(&p).map(|(x, p)| *x as f64 * p).sum();
        for i in 0..w.len() {
            let held_w = if held > 0.0 { x[i] as f64 * p[i] / held } else { 0.0 };
            if w[i] - held_w > 1e-12 {
                prop_assert!(p[i] > g.leftover, "asset {} (price {}) is below target with {} left", i, p[i], g.leftover);
            }
        }
    }

    /// Exact never overspends, buys nothing past a target, is never worse than
    /// greedy, and equals brute force on small problems (within its tolerance).
    #[test]
    fn exact_is_optimal((w, p, cash) in problem()) {
        let (weights, prices, t) = named(&w, &p);
        let e = exact(&weights, &prices, cash).unwrap();
        prop_assert!(e.leftover >= 0.0);
        prop_assert!(spend(&e.shares, &prices) <= cash * (1.0 + 1e-12));
        let x = vector(&e.shares, &t);
        for i in 0..w.len() {
            prop_assert!(x[i] >= 0 && x[i] as f64 <= (w[i] * cash / p[i]).ceil());
        }
        let g = greedy(&weights, &prices, cash).unwrap();
        let mine = shortfall(&w, &p, cash, &x);
        prop_assert!(mine <= shortfall(&w, &p, cash, &vector(&g.shares, &t)) + 1e-9 * cash);
        let combos: f64 = w.iter().zip(&p).map(|(w, p)| (w * cash / p).ceil() + 1.0).product();
        if combos < 60_000.0 {
            let best = brute_force(&w, &p, cash);
            prop_assert!((mine - best).abs() <= 2e-8 * cash, "exact {} vs brute force {}", mine, best);
        }
    }

    /// Rebalancing: cash never goes negative, holdings plus trades are the
    /// new shares, fees are the fee per trade, and every trade earns its fee.
    #[test]
    fn rebalance_keeps_its_books(
        (w, p, cash) in problem(),
        held in prop::collection::vec(0i64..60, 10),
        fee in prop_oneof![Just(0.0), 0.0f64..25.0],
        exact_method in any::<bool>(),
    ) {
        let (weights, prices, t) = named(&w, &p);
        let holdings: BTreeMap<Symbol, i64> = t.iter().cloned().zip(held.iter().copied()).collect();
        let method = if exact_method { Method::Exact } else { Method::Greedy };
        let r = rebalance(&weights, &prices, &holdings, cash, &RebalanceOptions { method, fee_per_trade: fee }).unwrap();
        prop_assert!(r.leftover >= 0.0);
        prop_assert!((r.fees - fee * r.trades.len() as f64).abs() < 1e-9);
        let value = cash + spend(&holdings, &prices);
        for k in &t {
            let before = holdings.get(k).copied().unwrap_or(0);
            let trade = r.trades.get(k).copied().unwrap_or(0);
            prop_assert_eq!(r.shares.get(k).copied().unwrap_or(0), before + trade);
            if trade != 0 && fee > 0.0 {
                // The benefit is judged against the targets of the budget the
                // plan used: the value, or the value less m fees (second pass).
                let i: usize = k.as_str()[1..].parse().unwrap();
                let after = (before + trade) as f64 * p[i];
                let earns = (0..=t.len()).any(|m| {
                    let goal = w[i] * (value - fee * m as f64);
                    (goal - before as f64 * p[i]).abs() - (goal - after).abs() >= fee - 1e-9
                });
                prop_assert!(earns, "trade {} {} does not earn its fee {}", k, trade, fee);
            }
        }
        if fee == 0.0 {
            prop_assert_eq!(&r.shares, &allocate(&weights, &prices, value, method).unwrap().shares);
        }
        let cash_after = cash - spend(&r.trades, &prices) - r.fees;
        prop_assert!((cash_after - r.leftover).abs() <= 1e-9 * value);
    }
}

/// A fixed pseudo-random generator, so the stress cases are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// Random universes of 20 to 60 assets, prices from 1 to 3,000 (6 decimals),
/// cash from 1,000 to 1,000,000: the exact method finishes within its node
/// budget and is never worse than greedy.
#[test]
fn exact_handles_larger_universes() {
    let mut rng = Lcg(42);
    let start = std::time::Instant::now();
    for case in 0..60 {
        let n = 20 + (rng.uniform() * 41.0) as usize;
        let raw: Vec<f64> = (0..n)
            .map(|_| {
                if rng.uniform() < 0.2 {
                    0.0
                } else {
                    rng.uniform()
                }
            })
            .collect();
        let total: f64 = raw.iter().sum();
        let w: Vec<f64> = raw.iter().map(|v| v / total).collect();
        let p: Vec<f64> = (0..n)
            .map(|_| (3000f64.powf(rng.uniform()) * 1e6).round() / 1e6)
            .collect();
        let cash = 1000.0 * 1000f64.powf(rng.uniform());
        let (weights, prices, t) = named(&w, &p);
        let e = exact(&weights, &prices, cash)
            .unwrap_or_else(|err| panic!("case {case} (n {n}, cash {cash}): {err}"));
        let g = greedy(&weights, &prices, cash).unwrap();
        assert!(e.leftover >= 0.0);
        let (mine, theirs) = (
            shortfall(&w, &p, cash, &vector(&e.shares, &t)),
            shortfall(&w, &p, cash, &vector(&g.shares, &t)),
        );
        assert!(
            mine <= theirs + 1e-9 * cash,
            "case {case}: exact {mine} vs greedy {theirs}"
        );
    }
    println!(
        "exact on 60 random universes of 20-60 assets: {:?}",
        start.elapsed()
    );
}

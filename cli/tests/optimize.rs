//! End-to-end tests of `auravest optimize`, `frontier` and `allocate`.

mod support;

use serde_json::Value;
use support::{json, run, shared, stderr, temp};

fn anchors() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(shared("anchors/pypfopt_reference.json")).unwrap(),
    )
    .unwrap()
}

#[test]
fn optimize_matches_pyportfolioopt_in_compat_mode() {
    let prices = shared("data/stock_prices.csv");
    let a = anchors();
    for (objective, key, extra) in [
        ("max-sharpe", "max_sharpe_rf_0.02", vec![]),
        ("min-volatility", "min_volatility", vec![]),
        (
            "efficient-risk",
            "efficient_risk_0.25",
            vec!["--target-volatility", "0.25"],
        ),
        (
            "efficient-return",
            "efficient_return_0.2",
            vec!["--target-return", "0.2"],
        ),
        (
            "max-utility",
            "max_quadratic_utility_ra_1",
            vec!["--risk-aversion", "1"],
        ),
    ] {
        let mut args = vec![
            "optimize",
            "--prices",
            &prices,
            "--objective",
            objective,
            "--compat",
            "pypfopt",
            "--format",
            "json",
        ];
        args.extend(extra);
        let v = json(&run(&args));
        let want = &a["mean_variance"][key];
        for (t, w) in v["weights"].as_object().unwrap() {
            let e = want["weights"][t].as_f64().unwrap();
            assert!((w.as_f64().unwrap() - e).abs() < 1e-4, "{objective} {t}");
        }
        let perf = &want["performance_rf_0.02"];
        for k in ["expected_return", "volatility", "sharpe"] {
            assert!(
                (v[k].as_f64().unwrap() - perf[k].as_f64().unwrap()).abs() < 1e-6,
                "{objective} {k}"
            );
        }
    }
}

#[test]
fn clean_and_long_short_bounds() {
    let prices = shared("data/stock_prices.csv");
    let v = json(&run(&[
        "optimize",
        "--prices",
        &prices,
        "--objective",
        "max-sharpe",
        "--clean",
        "--format",
        "json",
    ]));
    for w in v["weights"].as_object().unwrap().values() {
        let w = w.as_f64().unwrap();
        assert!(w == 0.0 || w >= 1e-4);
        assert!(((w * 1e5).round() / 1e5 - w).abs() < 1e-12);
    }
    let v = json(&run(&[
        "optimize",
        "--prices",
        &prices,
        "--objective",
        "max-sharpe",
        "--bounds=-1,1",
        "--format",
        "json",
    ]));
    assert!(
        v["weights"]
            .as_object()
            .unwrap()
            .values()
            .any(|w| w.as_f64().unwrap() < -1e-4)
    );
}

#[test]
fn the_default_missing_data_policy_differs_from_compat_on_ledoit_wolf() {
    let prices = shared("data/stock_prices.csv");
    let lw = |compat: bool| {
        let mut args = vec![
            "optimize",
            "--prices",
            prices.as_str(),
            "--objective",
            "min-volatility",
            "--risk-model",
            "ledoit-wolf",
            "--format",
            "json",
        ];
        if compat {
            args.extend(["--compat", "pypfopt"]);
        }
        json(&run(&args))["volatility"].as_f64().unwrap()
    };
    let (ours, theirs) = (lw(false), lw(true));
    assert!((theirs - 0.085).abs() < 0.005, "{theirs}");
    assert!((ours - 0.159).abs() < 0.005, "{ours}");
}

#[test]
fn optimize_other_objectives() {
    let prices = shared("data/stock_prices.csv");
    for objective in [
        "risk-parity",
        "min-cvar",
        "min-cdar",
        "hrp",
        "inverse-volatility",
        "equal-weight",
    ] {
        let v = json(&run(&[
            "optimize",
            "--prices",
            &prices,
            "--objective",
            objective,
            "--format",
            "json",
        ]));
        let sum: f64 = v["weights"]
            .as_object()
            .unwrap()
            .values()
            .map(|w| w.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-6, "{objective}: {sum}");
        assert!(v["volatility"].as_f64().unwrap() > 0.0, "{objective}");
    }
    let k = json(&run(&[
        "optimize",
        "--prices",
        &prices,
        "--objective",
        "min-volatility",
        "--max-holdings",
        "5",
        "--format",
        "json",
    ]));
    assert!(
        k["weights"]
            .as_object()
            .unwrap()
            .values()
            .filter(|w| w.as_f64().unwrap() > 1e-9)
            .count()
            <= 5
    );
}

#[test]
fn optimize_bad_input_says_what_to_change() {
    let prices = shared("data/stock_prices.csv");
    let cases: [(&[&str], &str); 7] = [
        (
            &["--objective", "efficient-return", "--target-return", "5"],
            "--target-return: ",
        ),
        (
            &[
                "--objective",
                "efficient-risk",
                "--target-volatility",
                "0.01",
            ],
            "--target-volatility: ",
        ),
        (
            &["--objective", "efficient-risk"],
            "--target-volatility: required",
        ),
        (
            &["--objective", "max-sharpe", "--risk-free-rate", "0.9"],
            "--risk-free-rate: ",
        ),
        (
            &["--objective", "max-sharpe", "--bounds", "0,0.01"],
            "--bounds: ",
        ),
        (
            &["--objective", "max-sharpe", "--bounds", "1,0"],
            "--bounds: ",
        ),
        (
            &["--objective", "max-sharpe", "--risk-model", "magic"],
            "--risk-model: ",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["optimize", "--prices", prices.as_str()];
        args.extend(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{extra:?}: {}", stderr(&out));
    }
    let short = temp("date,A,B\n2024-01-02,1,2\n2024-01-03,1.1,2.1\n", ".csv");
    let out = run(&[
        "optimize",
        "--prices",
        short.path().to_str().unwrap(),
        "--objective",
        "min-volatility",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn frontier_json_and_svg() {
    let prices = shared("data/stock_prices.csv");
    let svg = tempfile::Builder::new().suffix(".svg").tempfile().unwrap();
    let out = run(&[
        "frontier",
        "--prices",
        &prices,
        "--points",
        "15",
        "--format",
        "json",
        "--svg",
        svg.path().to_str().unwrap(),
    ]);
    // The chart is announced on stderr (stdout stays valid JSON).
    assert!(
        stderr(&out).contains("wrote the frontier chart (15 points)"),
        "{}",
        stderr(&out)
    );
    let v = json(&out);
    let pts = v["points"].as_array().unwrap();
    assert_eq!(pts.len(), 15);
    for w in pts.windows(2) {
        assert!(
            w[1]["expected_return"].as_f64().unwrap() > w[0]["expected_return"].as_f64().unwrap()
        );
        assert!(
            w[1]["volatility"].as_f64().unwrap() >= w[0]["volatility"].as_f64().unwrap() - 1e-12
        );
    }
    let text = std::fs::read_to_string(svg.path()).unwrap();
    assert!(
        text.starts_with("<svg")
            && text.contains("<polyline")
            && text.matches("<circle").count() == 15
    );
    let out = run(&["frontier", "--prices", &prices, "--points", "1"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn allocate_greedy_matches_pyportfolioopt_and_rebalances() {
    let prices = shared("data/stock_prices.csv");
    let a = anchors();
    let raw = a["mean_variance"]["max_sharpe_rf_0.02"]["weights"].to_string();
    let weights = temp(&raw, ".json");
    let v = json(&run(&[
        "allocate",
        "--format",
        "json",
        "--prices",
        &prices,
        "--weights",
        weights.path().to_str().unwrap(),
        "--cash",
        "10000",
    ]));
    let want = &a["discrete_allocation"]["greedy_10000"];
    let got: std::collections::BTreeMap<String, i64> =
        serde_json::from_value(v["shares"].clone()).unwrap();
    let expected: std::collections::BTreeMap<String, i64> =
        serde_json::from_value(want["allocation"].clone()).unwrap();
    assert_eq!(got, expected);
    // Money is a decimal string at cent precision.
    let money = |x: &Value| -> f64 {
        let s = x.as_str().unwrap_or_else(|| panic!("{x} is not a string"));
        assert!(s.split_once('.').is_some_and(|(_, c)| c.len() == 2), "{s}");
        s.parse().unwrap()
    };
    assert!((money(&v["leftover"]) - want["leftover"].as_f64().unwrap()).abs() <= 0.005);
    assert_eq!(v["fees"], "0.00");
    assert_eq!(v["trades"], v["shares"]);

    // The optimiser's own JSON is accepted too, and the exact method never spends more than the cash.
    let out = run(&[
        "optimize",
        "--prices",
        &prices,
        "--objective",
        "max-sharpe",
        "--format",
        "json",
    ]);
    let opt = temp(&String::from_utf8_lossy(&out.stdout), ".json");
    let v = json(&run(&[
        "allocate",
        "--format",
        "json",
        "--prices",
        &prices,
        "--weights",
        opt.path().to_str().unwrap(),
        "--cash",
        "10000",
        "--method",
        "exact",
    ]));
    assert!(money(&v["leftover"]) >= 0.0);

    // Rebalancing from holdings with a fee per trade.
    let holdings = temp(r#"{"AAPL": 30, "XOM": 20}"#, ".json");
    let v = json(&run(&[
        "allocate",
        "--format",
        "json",
        "--prices",
        &prices,
        "--weights",
        weights.path().to_str().unwrap(),
        "--cash",
        "1000",
        "--holdings",
        holdings.path().to_str().unwrap(),
        "--fee-per-trade",
        "5",
    ]));
    let trades = v["trades"].as_object().unwrap();
    assert_eq!(
        trades["XOM"].as_i64(),
        Some(-20),
        "XOM has no target weight: sell it all"
    );
    assert!((money(&v["fees"]) - 5.0 * trades.len() as f64).abs() < 1e-9);
    assert!(money(&v["leftover"]) >= 0.0);

    // People get a table by default, with money at cent precision.
    let out = run(&[
        "allocate",
        "--prices",
        &prices,
        "--weights",
        weights.path().to_str().unwrap(),
        "--cash",
        "10000",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ticker") && text.contains("shares"), "{text}");
    let leftover = text.lines().find(|l| l.starts_with("leftover")).unwrap();
    let amount = leftover.split_whitespace().last().unwrap();
    assert_eq!(
        amount.split_once('.').map(|(_, c)| c.len()),
        Some(2),
        "{text}"
    );
}

#[test]
fn allocate_bad_input() {
    let prices = shared("data/stock_prices.csv");
    let weights = temp(r#"{"AAPL": 0.5, "NOPE": 0.5}"#, ".json");
    let out = run(&[
        "allocate",
        "--format",
        "json",
        "--prices",
        &prices,
        "--weights",
        weights.path().to_str().unwrap(),
        "--cash",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let good = temp(r#"{"AAPL": 1.0}"#, ".json");
    for cash in ["-5", "-500", "nan"] {
        let out = run(&[
            "allocate",
            "--prices",
            &prices,
            "--weights",
            good.path().to_str().unwrap(),
            "--cash",
            cash,
        ]);
        assert_ne!(out.status.code(), Some(0), "{cash}");
        // The amount's own error, naming the flag: not a parse of "-500" as a flag.
        let err = stderr(&out);
        assert!(
            err.contains("--cash: must be a finite amount >= 0")
                && !err.contains("unexpected argument"),
            "{cash}: {err}"
        );
    }
    let bad_json = temp("{not json", ".json");
    let out = run(&[
        "allocate",
        "--format",
        "json",
        "--prices",
        &prices,
        "--weights",
        bad_json.path().to_str().unwrap(),
        "--cash",
        "100",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let holdings = temp(r#"{"AAPL": 1.5}"#, ".json");
    let out = run(&[
        "allocate",
        "--format",
        "json",
        "--prices",
        &prices,
        "--weights",
        good.path().to_str().unwrap(),
        "--cash",
        "100",
        "--holdings",
        holdings.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("holdings.AAPL"), "{}", stderr(&out));
}

#[test]
fn recommend_stays_within_the_nudges_limits_and_sells_what_they_flag() {
    let prices = support::data("prices.csv");
    let instruments = support::data("instruments.csv");
    let transactions = support::data("transactions.csv");
    let v = json(&run(&[
        "recommend",
        "--prices",
        &prices,
        "--instruments",
        &instruments,
        "--category",
        "growth",
        "--transactions",
        &transactions,
        "--format",
        "json",
    ]));
    let rec = &v["recommendation"];
    let weights = rec["weights"].as_object().unwrap();
    let total: f64 = weights.values().map(|w| w.as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-6, "{rec}");
    for (t, w) in weights {
        if t != "SPY" && t != "CASH" {
            assert!(w.as_f64().unwrap() < 0.10, "{t} {w}");
        }
    }
    let range = rec["expected_return_range"].as_array().unwrap();
    assert!(range[0].as_f64().unwrap() < range[1].as_f64().unwrap());
    assert!(
        v["rebalancing"]["trades"]["AMZN"].as_i64().unwrap() < 0,
        "{v}"
    );

    // A table for people, with the range and its basis.
    let out = run(&[
        "recommend",
        "--prices",
        &prices,
        "--instruments",
        &instruments,
        "--category",
        "moderate",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Expected return: between") && text.contains("past prices"),
        "{text}"
    );
    assert!(text.contains("note: No bond series is priced"), "{text}");

    // Neither a profile nor a category: a usage error naming what is missing.
    let out = run(&["recommend", "--prices", &prices]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--risk-profile"), "{}", stderr(&out));
    // A misspelt setting is refused, naming the file.
    let bad = temp(
        r#"{"limits": {"concentration": {"single_holdin": 0.1}}}"#,
        ".json",
    );
    let out = run(&[
        "recommend",
        "--prices",
        &prices,
        "--category",
        "moderate",
        "--options",
        bad.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("single_holdin"), "{}", stderr(&out));
}

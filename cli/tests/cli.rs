//! End-to-end tests of the `auravest` binary: output shapes, exit codes and
//! error lines.

mod support;

use serde_json::Value;
use support::{data, json, run, run_stdin, stderr, temp};

#[test]
fn help_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["risk", "--help"],
        vec!["risk", "questions", "--help"],
        vec!["risk", "score", "--help"],
        vec!["portfolio", "--help"],
        vec!["portfolio", "show", "--help"],
        vec!["portfolio", "performance", "--help"],
        vec!["stats", "--help"],
        vec!["analyze", "--help"],
        vec!["optimize", "--help"],
        vec!["frontier", "--help"],
        vec!["allocate", "--help"],
        vec!["recommend", "--help"],
    ] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["risk", "score"]).status.code(), Some(2));
    assert_eq!(run(&["nonsense"]).status.code(), Some(2));
    assert_eq!(
        run(&["stats", "--prices", "x.csv", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn risk_questions_json_shape() {
    let v = json(&run(&["risk", "questions", "--format", "json"]));
    assert!(v["version"].is_string());
    let qs = v["questions"].as_array().unwrap();
    assert!((8..=12).contains(&qs.len()));
    for q in qs {
        let keys: Vec<_> = q.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "options", "text"]);
        for o in q["options"].as_array().unwrap() {
            assert_eq!(o.as_object().unwrap().keys().collect::<Vec<_>>(), ["text"]);
        }
    }
}

#[test]
fn risk_score_from_file_and_stdin() {
    let v = json(&run(&[
        "risk",
        "score",
        "--answers",
        &data("answers.json"),
        "--format",
        "json",
    ]));
    for key in [
        "version",
        "score",
        "capacity_score",
        "capped_by",
        "category",
        "allocation",
        "rationale",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let a = &v["allocation"];
    let sum =
        a["stocks"].as_f64().unwrap() + a["bonds"].as_f64().unwrap() + a["cash"].as_f64().unwrap();
    assert!((sum - 1.0).abs() < 1e-12);
    let answers = std::fs::read_to_string(data("answers.json")).unwrap();
    let from_stdin = json(&run_stdin(
        &["risk", "score", "--answers", "-", "--format", "json"],
        &answers,
    ));
    assert_eq!(from_stdin, v);
    let table = run(&["risk", "score", "--answers", &data("answers.json")]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("category"));
}

#[test]
fn risk_score_bad_answers_name_the_question() {
    let cases = [
        (
            r#"{"version":"2026.1","answers":{"risk_attitude":9}}"#,
            "answers.risk_attitude",
        ),
        (r#"{"version":"1999","answers":{}}"#, "version"),
        (
            r#"{"version":"2026.1","answers":{"nope":1}}"#,
            "answers.nope",
        ),
        (
            r#"{"version":"2026.1","answers":{"risk_attitude":-1}}"#,
            "answers",
        ),
        ("not json", "answers"),
    ];
    for (input, field) in cases {
        let out = run_stdin(&["risk", "score", "--answers", "-"], input);
        assert_eq!(out.status.code(), Some(1), "{input}");
        assert!(
            stderr(&out).contains(&format!("-: {field}"))
                || stderr(&out).contains(&format!(": {field}")),
            "{input}: {}",
            stderr(&out)
        );
    }
    let missing = json(&run(&["risk", "questions", "--format", "json"]));
    let first = missing["questions"][0]["id"].as_str().unwrap().to_owned();
    let out = run_stdin(
        &["risk", "score", "--answers", "-"],
        r#"{"version":"2026.1","answers":{}}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("answers.{first}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn portfolio_show_json_shape() {
    let v = json(&run(&[
        "portfolio",
        "show",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        &data("prices.csv"),
        "--format",
        "json",
    ]));
    assert_eq!(v["as_of"], "2018-04-11");
    assert_eq!(v["base_currency"], "USD");
    assert!(v["value"].is_string() && v["cash"].is_string());
    let positions = v["positions"].as_array().unwrap();
    assert!(!positions.is_empty());
    let mut weights = 0.0;
    for p in positions {
        for key in [
            "symbol",
            "quantity",
            "avg_cost",
            "price",
            "value",
            "unrealized_pnl",
            "realized_pnl",
        ] {
            assert!(p[key].is_string(), "{key} should be a decimal string");
        }
        weights += p["weight"].as_f64().unwrap();
    }
    let value: f64 = v["value"].as_str().unwrap().parse().unwrap();
    let cash: f64 = v["cash"].as_str().unwrap().parse().unwrap();
    // Value and cash are rounded to cents; the weights are exact.
    assert!((weights + cash / value - 1.0).abs() < 1e-6);
    // XOM was sold out in 2016: it is not held.
    assert!(positions.iter().all(|p| p["symbol"] != "XOM"));
    // Money is shown at the currency's precision; prices keep theirs.
    let cents = |s: &str| s.split_once('.').is_none_or(|(_, d)| d.len() <= 2);
    assert!(cents(v["value"].as_str().unwrap()), "{}", v["value"]);
    for p in positions {
        for key in ["value", "unrealized_pnl", "realized_pnl"] {
            assert!(cents(p[key].as_str().unwrap()), "{key}: {}", p[key]);
        }
    }
}

#[test]
fn portfolio_show_as_of_and_missing_price() {
    let v = json(&run(&[
        "portfolio",
        "show",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        &data("prices.csv"),
        "--as-of",
        "2015-01-05",
        "--format",
        "json",
    ]));
    let syms: Vec<_> = v["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["symbol"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(syms, ["AAPL", "JPM", "XOM"]);
    // Before the first transaction: an empty portfolio, and a note saying why.
    let out = run(&[
        "portfolio",
        "show",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        &data("prices.csv"),
        "--as-of",
        "2014-06-02",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("before the first transaction (2015-01-02)"),
        "{text}"
    );
    let prices = temp("date,AAPL\n2015-01-05,100\n", ".csv");
    let out = run(&[
        "portfolio",
        "show",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        prices.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("no price for"), "{}", stderr(&out));
}

#[test]
fn portfolio_show_fx_from_price_columns() {
    let tx = temp(
        "date,type,symbol,quantity,price,fee,currency\n2024-01-02,buy,SAP.DE,10,100,0,EUR\n2024-01-02,buy,AAPL,1,50,0,USD\n",
        ".csv",
    );
    let prices = temp(
        "date,SAP.DE,AAPL,EURUSD=X\n2024-01-02,100,50,1.1\n2024-01-03,110,55,1.2\n",
        ".csv",
    );
    let v = json(&run(&[
        "portfolio",
        "show",
        "--transactions",
        tx.path().to_str().unwrap(),
        "--prices",
        prices.path().to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(v["value"], "1375"); // 10 * 110 * 1.2 + 55
    let no_fx = temp("date,SAP.DE,AAPL\n2024-01-02,100,50\n", ".csv");
    let out = run(&[
        "portfolio",
        "show",
        "--transactions",
        tx.path().to_str().unwrap(),
        "--prices",
        no_fx.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("EUR"), "{}", stderr(&out));
}

#[test]
fn portfolio_import_errors_are_file_line_field_reason() {
    let tx = temp(
        "date,type,symbol,quantity,price,fee,currency\n\
         2024-01-02,buy,AAPL,10,100,0,USD\n\
         2024-01-03,buy,AAPL,0,100,0,USD\n\
         2024-02-30,buy,AAPL,1,100,0,USD\n\
         2024-01-04,sell,AAPL,50,100,0,USD\n\
         2024-01-05,split,AAPL,0,,0,USD\n",
        ".csv",
    );
    let path = tx.path().to_str().unwrap().to_owned();
    let prices = temp("date,AAPL\n2024-01-02,100\n", ".csv");
    let out = run(&[
        "portfolio",
        "show",
        "--transactions",
        &path,
        "--prices",
        prices.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<_> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[0].starts_with(&format!("{path}:3: quantity: ")),
        "{err}"
    );
    assert!(lines[1].starts_with(&format!("{path}:4: date: ")), "{err}");
    assert!(
        lines[2].starts_with(&format!("{path}:5: quantity: ")),
        "{err}"
    );
    assert!(
        lines[3].starts_with(&format!("{path}:6: quantity: ")) && lines[3].contains("split ratio"),
        "{err}"
    );

    let out = run(&[
        "portfolio",
        "show",
        "--transactions",
        &path,
        "--prices",
        prices.path().to_str().unwrap(),
        "--skip-invalid",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 4);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["positions"][0]["quantity"], "10");
}

#[test]
fn portfolio_future_date_and_missing_file() {
    let tx = temp(
        "date,type,symbol,quantity,price,fee,currency\n2999-01-01,deposit,,,5,0,USD\n",
        ".csv",
    );
    let out = run(&[
        "portfolio",
        "show",
        "--transactions",
        tx.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(":2: date: "), "{}", stderr(&out));
    let out = run(&["portfolio", "show", "--transactions", "/nonexistent/t.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"));
}

#[test]
fn portfolio_performance_json() {
    let v = json(&run(&[
        "portfolio",
        "performance",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        &data("prices.csv"),
        "--benchmark",
        "SPY",
        "--format",
        "json",
    ]));
    let twr = v["twr"].as_f64().unwrap();
    let mwr = v["mwr"].as_f64().unwrap();
    assert!(twr > 0.0 && twr < 2.0, "{twr}");
    assert!(mwr > -1.0 && mwr < 1.0, "{mwr}");
    assert!(v["stats"]["beta"].is_f64());
    assert!(v["values"].as_array().unwrap().len() > 800);
    // The table names the benchmark and shows its return, beta and alpha.
    let out = run(&[
        "portfolio",
        "performance",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        &data("prices.csv"),
        "--benchmark",
        "SPY",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "benchmark SPY",
        "beta vs SPY",
        "alpha (annual)",
        "past prices",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
}

#[test]
fn stats_json_keys_and_column_rules() {
    let v = json(&run(&[
        "stats",
        "--prices",
        &data("prices.csv"),
        "--column",
        "AAPL",
        "--benchmark",
        &data("prices.csv"),
        "--benchmark-column",
        "SPY",
        "--risk-free-rate",
        "0.02",
        "--format",
        "json",
    ]));
    for key in [
        "total_return",
        "cagr",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "max_drawdown_peak",
        "max_drawdown_trough",
        "max_drawdown_recovery",
        "calmar",
        "var_95",
        "cvar_95",
        "monthly_returns",
        "beta",
        "alpha",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert!(v["max_drawdown"].as_f64().unwrap() < 0.0);
    assert!(v["var_95"].as_f64().unwrap() < 0.0);
    assert!(v["monthly_returns"]["2016-01"].is_f64());
    let no_bench = json(&run(&[
        "stats",
        "--prices",
        &data("prices.csv"),
        "--column",
        "SPY",
        "--format",
        "json",
    ]));
    assert!(no_bench.get("beta").is_none());

    let out = run(&["stats", "--prices", &data("prices.csv")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--column: required"),
        "{}",
        stderr(&out)
    );
    let out = run(&["stats", "--prices", &data("prices.csv"), "--column", "NOPE"]);
    assert_eq!(out.status.code(), Some(1));
    let short = temp("date,A\n2024-01-02,1\n2024-01-03,2\n", ".csv");
    let out = run(&["stats", "--prices", short.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let bad = temp("date,A\n2024-01-02,1\n2024-01-02,x\n", ".csv");
    let out = run(&["stats", "--prices", bad.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(":3: date: ") && stderr(&out).contains(":3: A: "),
        "{}",
        stderr(&out)
    );
}

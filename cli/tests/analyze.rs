//! End-to-end tests of `auravest analyze`: output shape, crafted nudges,
//! goals, exit codes and error lines.

use std::io::Write as _;
use std::path::Path;
use std::process::Output;

mod support;

use serde_json::Value;
use support::{data, json, run, stderr};

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(contents.as_bytes())
        .unwrap();
    path.to_string_lossy().into_owned()
}

/// Writes the sample answers' risk profile, as `risk score --format json` prints it.
fn profile(dir: &Path) -> String {
    let out = run(&[
        "risk",
        "score",
        "--answers",
        &data("answers.json"),
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    write(dir, "profile.json", &String::from_utf8_lossy(&out.stdout))
}

fn analyze(extra: &[&str]) -> Output {
    let tx = data("transactions.csv");
    let prices = data("prices.csv");
    let mut args = vec![
        "analyze",
        "--transactions",
        tx.as_str(),
        "--prices",
        prices.as_str(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn kinds(v: &Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

const KINDS: [&str; 10] = [
    "concentration",
    "panic_selling",
    "disposition_effect",
    "overtrading",
    "performance_chasing",
    "home_bias",
    "cash_drag",
    "allocation_drift",
    "drawdown_checkin",
    "set_goal",
];

#[test]
fn help_lists_every_flag() {
    let out = run(&["analyze", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--transactions",
        "--prices",
        "--instruments",
        "--risk-profile",
        "--goals",
        "--benchmark",
        "--as-of",
        "--last-visit",
        "--format",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
}

#[test]
fn json_on_the_sample_data_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile(dir.path());
    let v = json(&analyze(&[
        "--risk-profile",
        &profile,
        "--benchmark",
        "SPY",
        "--format",
        "json",
    ]));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "valuation",
        "nudges",
        "findings",
        "goals",
        "badges",
        "checklist",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    // "valuation" is exactly what `portfolio show --format json` prints.
    let show = json(&run(&[
        "portfolio",
        "show",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        &data("prices.csv"),
        "--format",
        "json",
    ]));
    assert_eq!(v["valuation"], show);
    assert_eq!(v["valuation"]["as_of"], "2018-04-11");

    let nudges = v["nudges"].as_array().unwrap();
    assert!(!nudges.is_empty() && nudges.len() <= 3);
    let rank = |s: &Value| match s.as_str().unwrap() {
        "critical" => 2,
        "warning" => 1,
        "info" => 0,
        other => panic!("severity {other}"),
    };
    for n in v["findings"].as_array().unwrap() {
        let keys: Vec<&str> = n.as_object().unwrap().keys().map(String::as_str).collect();
        for key in [
            "kind",
            "severity",
            "subject",
            "title",
            "explanation",
            "action",
            "evidence",
        ] {
            assert!(keys.contains(&key), "{key} in {n}");
        }
        assert!(KINDS.contains(&n["kind"].as_str().unwrap()), "{n}");
        assert!(n["evidence"].is_object());
        rank(&n["severity"]);
    }
    assert!(
        nudges
            .windows(2)
            .all(|w| rank(&w[0]["severity"]) >= rank(&w[1]["severity"]))
    );
    assert!(kinds(&v, "findings").contains(&"set_goal".to_owned()));
    let amzn = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["subject"] == "AMZN")
        .unwrap();
    assert_eq!(amzn["kind"], "concentration");
    assert!(amzn["evidence"]["weight"].as_f64().unwrap() > 0.3);

    let badges = v["badges"].as_array().unwrap();
    assert_eq!(badges.len(), 6);
    let quiz = badges
        .iter()
        .find(|b| b["id"] == "risk_quiz_completed")
        .unwrap();
    assert_eq!(quiz["earned"], true);
    assert_eq!(v["checklist"].as_array().unwrap().len(), 5);
}

#[test]
fn the_table_is_the_default() {
    let out = analyze(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "Analysis as of 2018-04-11 (USD)",
        "Nudges for today",
        "Action:",
        "Evidence:",
        "Badges",
        "Learning checklist",
    ] {
        assert!(text.contains(part), "{part} in\n{text}");
    }
}

/// 30 days of prices from 2024-01-01: AAA flat at 100, SPY at 100 then 88
/// from day 20 (2024-01-21).
fn crafted_prices(dir: &Path) -> String {
    let mut csv = "date,AAA,SPY\n".to_owned();
    for i in 0..30u32 {
        let spy = if i < 20 { 100 } else { 88 };
        csv.push_str(&format!("2024-01-{:02},100,{spy}\n", i + 1));
    }
    write(dir, "prices.csv", &csv)
}

#[test]
fn a_sale_after_a_market_fall_is_panic_selling_with_a_benchmark() {
    let dir = tempfile::tempdir().unwrap();
    let prices = crafted_prices(dir.path());
    let tx = write(
        dir.path(),
        "tx.csv",
        "date,type,symbol,quantity,price,fee,currency\n\
         2024-01-02,buy,AAA,100,100,0,USD\n\
         2024-01-22,sell,AAA,50,100,0,USD\n",
    );
    let base = [
        "analyze",
        "--transactions",
        &tx,
        "--prices",
        &prices,
        "--format",
        "json",
    ];
    let with: Vec<&str> = base.iter().copied().chain(["--benchmark", "SPY"]).collect();
    let v = json(&run(&with));
    let panic = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "panic_selling")
        .expect("panic selling");
    assert_eq!(panic["subject"], "AAA");
    assert_eq!(panic["evidence"]["fall_series"], "SPY");
    assert!((panic["evidence"]["sold_fraction"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    // Without the benchmark, AAA itself never fell.
    let v = json(&run(&base));
    assert!(!kinds(&v, "findings").contains(&"panic_selling".to_owned()));
}

#[test]
fn a_fall_since_the_last_visit_asks_for_a_check_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = "date,AAA\n".to_owned();
    for i in 0..30u32 {
        let p = if i < 20 { 100 } else { 85 };
        csv.push_str(&format!("2024-01-{:02},{p}\n", i + 1));
    }
    let prices = write(dir.path(), "prices.csv", &csv);
    let tx = write(
        dir.path(),
        "tx.csv",
        "date,type,symbol,quantity,price,fee,currency\n2024-01-02,buy,AAA,10,100,0,USD\n",
    );
    let run_with = |visit: &str| {
        json(&run(&[
            "analyze",
            "--transactions",
            &tx,
            "--prices",
            &prices,
            "--last-visit",
            visit,
            "--format",
            "json",
        ]))
    };
    let v = run_with("2024-01-10");
    let n = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "drawdown_checkin")
        .expect("check-in");
    assert!((n["evidence"]["return"].as_f64().unwrap() + 0.15).abs() < 1e-9);
    let v = run_with("2024-01-25");
    assert!(!kinds(&v, "findings").contains(&"drawdown_checkin".to_owned()));
}

#[test]
fn goals_and_instruments_shape_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let goals = write(
        dir.path(),
        "goals.json",
        r#"[{"name": "Retire", "target": "1000000", "by": "2040-01-01", "monthly_contribution": "1000"},
            {"name": "Cushion", "target": "50000"}]"#,
    );
    let instruments = write(
        dir.path(),
        "instruments.csv",
        "symbol,name,asset_class,sector,country,currency\n\
         AAPL,Apple,equity,Technology,US,USD\nGOOG,Alphabet,equity,Technology,US,USD\n\
         AMZN,Amazon,equity,Consumer Discretionary,US,USD\nJPM,JPMorgan,equity,Financials,US,USD\n\
         PFE,Pfizer,equity,Health Care,US,USD\nXOM,Exxon,equity,Energy,US,USD\n",
    );
    let v = json(&analyze(&[
        "--goals",
        &goals,
        "--instruments",
        &instruments,
        "--format",
        "json",
    ]));
    assert!(!kinds(&v, "findings").contains(&"set_goal".to_owned()));
    let g = v["goals"].as_array().unwrap();
    assert_eq!(g.len(), 2);
    assert_eq!(g[0]["kind"], "amount_by_date");
    assert!(g[0]["projected_value"].is_string());
    assert_eq!(g[1]["kind"], "portfolio_value");
    assert_eq!(g[1]["progress"], 1.0);
    let subjects: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["subject"].as_str())
        .collect();
    assert!(
        subjects.contains(&"sector:Consumer Discretionary"),
        "{subjects:?}"
    );
    assert!(!subjects.contains(&"unclassified"), "{subjects:?}");
    // Every equity is US: home bias.
    let hb = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "home_bias")
        .unwrap();
    assert_eq!(hb["evidence"]["home_bias"], 1.0);
}

#[test]
fn bad_goals_are_reported_by_file_position_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let negative = write(
        dir.path(),
        "neg.json",
        r#"[{"name": "Ok", "target": "10"}, {"name": "Debt", "target": "-5"}]"#,
    );
    let out = analyze(&["--goals", &negative]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        format!("{negative}:2: target: goal \"Debt\" needs a target greater than zero, got -5")
    );
    let past = write(
        dir.path(),
        "past.json",
        r#"[{"name": "Late", "target": "10", "by": "2018-01-01"}]"#,
    );
    let out = analyze(&["--goals", &past]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(&format!("{past}:1: by: goal \"Late\" is due on 2018-01-01")),
        "{}",
        stderr(&out)
    );
    let broken = write(dir.path(), "broken.json", "[\n{\"name\": \"x\"}\n]");
    let out = analyze(&["--goals", &broken]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(&format!("{broken}:2: goals: expected a JSON array")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_inputs_exit_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write(dir.path(), "p.json", "{\"score\": 50}");
    let out = analyze(&["--risk-profile", &profile]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(&format!("{profile}:1: risk_profile: expected the output")),
        "{}",
        stderr(&out)
    );

    let out = analyze(&["--benchmark", "QQQ"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--benchmark: no column \"QQQ\""));

    let out = analyze(&["--as-of", "2018-01-02", "--last-visit", "2018-02-01"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("--last-visit: 2018-02-01 is after the analysis date"),
        "{}",
        stderr(&out)
    );

    let instruments = write(dir.path(), "i.csv", "symbol,asset_class\nAAPL,stock\n");
    let out = analyze(&["--instruments", &instruments]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(&format!("{instruments}:2: asset_class:")));

    // A held symbol without a price: data unavailable.
    let prices = write(dir.path(), "prices.csv", "date,AAPL\n2018-01-02,170\n");
    let out = run(&[
        "analyze",
        "--transactions",
        &data("transactions.csv"),
        "--prices",
        &prices,
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    assert_eq!(
        run(&["analyze", "--prices", &prices]).status.code(),
        Some(2)
    );
    assert_eq!(analyze(&["--format", "xml"]).status.code(), Some(2));
    assert_eq!(analyze(&["--as-of", "yesterday"]).status.code(), Some(2));
}

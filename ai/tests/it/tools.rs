//! The read-only tools on the file source over the sample data at a fixed date.

use auravest_ai::{ToolCall, ToolContext, ToolName};
use auravest_core::NaiveDate;
use serde_json::json;

use crate::support::{kb, market, portfolio};

fn as_of() -> NaiveDate {
    "2018-04-11".parse().unwrap()
}

fn call(name: ToolName, args: serde_json::Value) -> ToolCall {
    ToolCall { name, args }
}

fn provenance(r: &serde_json::Value) {
    for k in ["source", "as_of", "stale"] {
        assert!(r.get(k).is_some(), "no {k} in {r}");
    }
}

#[tokio::test]
async fn market_tools_give_figures_with_provenance() {
    let (kb, m, p) = (kb(), market(), portfolio());
    let ctx = ToolContext {
        market: Some(&m),
        portfolio: Some(&p),
        kb: &kb,
        as_of: Some(as_of()),
    };

    let q = ctx
        .run(&call(ToolName::GetStockPrice, json!({"symbol": "AAPL"})))
        .await;
    assert!(q.ok);
    provenance(&q.result);
    assert_eq!(q.result["as_of"], "2018-04-11");
    assert_eq!(q.result["source"], "file");
    assert!(q.facts[0].contains("172.44"), "{:?}", q.facts);

    let h = ctx
        .run(&call(
            ToolName::GetPriceHistory,
            json!({"symbol": "AMZN", "range": "1y"}),
        ))
        .await;
    assert!(h.ok, "{:?}", h.result);
    provenance(&h.result);
    assert_eq!(h.result["from"], "2017-04-11");
    assert_eq!(h.result["change_pct"], 58.15);
    assert!(h.facts[0].contains("rose 58.15%"), "{:?}", h.facts);

    let ytd = ctx
        .run(&call(
            ToolName::GetPriceHistory,
            json!({"symbol": "GOOG", "range": "ytd"}),
        ))
        .await;
    assert_eq!(ytd.result["from"], "2018-01-02");
    assert!(ytd.facts[0].contains("fell 4.23%"), "{:?}", ytd.facts);

    let none = ctx
        .run(&call(ToolName::GetStockPrice, json!({"symbol": "ZZZZ"})))
        .await;
    assert!(!none.ok);
    provenance(&none.result);
    assert!(none.facts[0].contains("No price is available for ZZZZ"));

    let f = ctx
        .run(&call(ToolName::GetFundamentals, json!({"symbol": "AAPL"})))
        .await;
    assert!(!f.ok, "the file source has no fundamentals");
    assert!(f.facts[0].contains("not available"), "{:?}", f.facts);

    let bad = ctx
        .run(&call(
            ToolName::GetStockPrice,
            json!({"symbol": "not a symbol!"}),
        ))
        .await;
    assert!(!bad.ok);
    let missing = ctx.run(&call(ToolName::GetStockPrice, json!({}))).await;
    assert!(!missing.ok);
}

#[tokio::test]
async fn portfolio_tools_value_and_compare_the_sample_portfolio() {
    let (kb, m, p) = (kb(), market(), portfolio());
    let ctx = ToolContext {
        market: Some(&m),
        portfolio: Some(&p),
        kb: &kb,
        as_of: Some(as_of()),
    };
    let s = ctx
        .run(&call(ToolName::GetPortfolioSummary, json!({})))
        .await;
    assert!(s.ok, "{:?}", s.result);
    provenance(&s.result);
    let v = p.portfolio.valuation(&p.prices, as_of()).unwrap();
    assert_eq!(s.result["value"], v.value.round_dp(2).to_string());
    let weights: f64 = s.result["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["weight"].as_f64().unwrap())
        .sum();
    let cash_share = (v.cash / v.value).to_string().parse::<f64>().unwrap();
    assert!((weights + cash_share - 1.0).abs() < 1e-9);

    let c = ctx
        .run(&call(
            ToolName::CompareToBenchmark,
            json!({"range": "1y", "benchmark": "SPY"}),
        ))
        .await;
    assert!(c.ok, "{:?}", c.result);
    assert_eq!(c.result["benchmark_return_pct"], 14.35);
    let twr = p
        .portfolio
        .time_weighted_return(&p.prices, "2017-04-11".parse().unwrap(), as_of())
        .unwrap();
    assert_eq!(
        c.result["portfolio_return_pct"],
        (twr * 10_000.0).round() / 100.0
    );
    assert!(c.facts[0].contains("14.35%"), "{:?}", c.facts);

    // Without a portfolio, the tools say what is missing.
    let bare = ToolContext {
        portfolio: None,
        ..ctx
    };
    let s = bare
        .run(&call(ToolName::GetPortfolioSummary, json!({})))
        .await;
    assert!(!s.ok && s.facts[0].contains("I need your portfolio"));
    let no_market = ToolContext {
        market: None,
        ..ctx
    };
    assert!(
        !no_market
            .run(&call(ToolName::GetStockPrice, json!({"symbol": "AAPL"})))
            .await
            .ok
    );
}

#[tokio::test]
async fn explain_metric_knows_its_metrics_and_their_articles() {
    let kb = kb();
    let ctx = ToolContext {
        market: None,
        portfolio: None,
        kb: &kb,
        as_of: None,
    };
    let e = ctx
        .run(&call(ToolName::ExplainMetric, json!({"name": "Sharpe"})))
        .await;
    assert!(e.ok);
    assert_eq!(e.result["article"], "sharpe-ratio");
    assert!(e.facts[0].contains("risk-free rate"));
    for m in auravest_ai::tools::METRICS {
        assert!(
            kb.article(m.article).is_some(),
            "{} points at a missing article",
            m.name
        );
    }
    let u = ctx
        .run(&call(ToolName::ExplainMetric, json!({"name": "vibes"})))
        .await;
    assert!(!u.ok);
    assert!(
        ToolName::ALL.iter().all(|t| !t.writes()),
        "every tool is read-only"
    );
}

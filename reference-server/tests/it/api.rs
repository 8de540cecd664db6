//! The product routes: portfolios, transactions, import, valuation,
//! performance, insights, risk, goals, badges, market data, the assistant,
//! the legal texts and the OpenAPI document.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    TestApp, TestOptions, TestUser, app, app_with, portfolio, sample_portfolio, take_questionnaire,
};

fn field(b: &Value) -> Vec<String> {
    b["error"]["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn portfolio_crud_and_name_rules() {
    let app = app().await;
    let u = app.user("crud@example.com").await;
    let id = portfolio(&app, &u, "Retirement").await;
    let (s, b) = app
        .json("GET", "/api/v1/portfolios", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b.as_array().unwrap().len(), 1);
    assert_eq!(b[0]["currency"], "USD");
    // Same name again: conflict, nothing new stored.
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/portfolios",
            Some(&u.access),
            json!({"name": "Retirement"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "conflict");
    for (body, name) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(81)}), "name"),
        (json!({"name": "ok", "currency": "usdollars"}), "currency"),
        (json!({"nmae": "typo"}), "nmae"),
        (json!({"name": 7}), "name"),
    ] {
        let (s, b) = app
            .json("POST", "/api/v1/portfolios", Some(&u.access), body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(b["error"]["code"], "validation_failed");
        assert_eq!(field(&b), vec![name.to_owned()], "{body}: {b}");
    }
    let (s, b) = app
        .json("GET", "/api/v1/portfolios", Some(&u.access), Value::Null)
        .await;
    assert_eq!((s, b.as_array().unwrap().len()), (StatusCode::OK, 1));
    let (s, b) = app
        .json(
            "PATCH",
            &format!("/api/v1/portfolios/{id}"),
            Some(&u.access),
            json!({"name": "Pension"}),
        )
        .await;
    assert_eq!((s, b["name"].as_str()), (StatusCode::OK, Some("Pension")));
    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/portfolios/{id}"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, _) = app
        .json(
            "GET",
            "/api/v1/portfolios/not-a-uuid",
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert!(s.is_client_error());
}

#[tokio::test]
async fn transactions_are_checked_against_the_whole_ledger() {
    let app = app().await;
    let u = app.user("tx@example.com").await;
    let id = portfolio(&app, &u, "Main").await;
    let path = format!("/api/v1/portfolios/{id}/transactions");
    let deposit =
        json!({"date": "2017-01-03", "type": "deposit", "price": "10000", "currency": "USD"});
    let (s, dep) = app.json("POST", &path, Some(&u.access), deposit).await;
    assert_eq!(s, StatusCode::CREATED, "{dep}");
    let buy = json!({"date": "2017-01-04", "type": "buy", "symbol": "AAPL", "quantity": "10", "price": 116.5, "fee": "1", "currency": "USD"});
    let (s, b) = app.json("POST", &path, Some(&u.access), buy).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["price"], "116.5");
    let buy_id = b["id"].as_str().unwrap().to_owned();
    // Bad rows: each names its field, and nothing is stored.
    for (row, name) in [
        (
            json!({"date": "2017-02-30", "type": "buy", "symbol": "AAPL", "quantity": "1", "price": "1", "currency": "USD"}),
            "date",
        ),
        (
            json!({"date": "2017-02-01", "type": "purchase", "symbol": "AAPL", "quantity": "1", "price": "1", "currency": "USD"}),
            "type",
        ),
        (
            json!({"date": "2017-02-01", "type": "buy", "symbol": "AAPL", "quantity": "-1", "price": "1", "currency": "USD"}),
            "quantity",
        ),
        (
            json!({"date": "2017-02-01", "type": "buy", "symbol": "AAPL", "quantity": "1", "price": "abc", "currency": "USD"}),
            "price",
        ),
        (
            json!({"date": "2017-02-01", "type": "sell", "symbol": "AAPL", "quantity": "11", "price": "120", "currency": "USD"}),
            "quantity",
        ),
        (
            json!({"date": "2017-02-01", "type": "buy", "symbol": "AAPL", "quantity": "1", "price": "1", "currency": "USD", "note": "x"}),
            "note",
        ),
        (
            json!({"type": "buy", "symbol": "AAPL", "quantity": "1", "price": "1", "currency": "USD"}),
            "date",
        ),
    ] {
        let (s, b) = app.json("POST", &path, Some(&u.access), row.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{row}: {b}");
        assert!(
            field(&b).contains(&name.to_owned()),
            "{row}: expected {name}: {b}"
        );
    }
    let (_, list) = app.json("GET", &path, Some(&u.access), Value::Null).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    // Deleting the buy is fine; deleting the deposit the buy needs is not
    // (the buy would be unfunded) only if the ledger refuses it.
    let (s, b) = app
        .json(
            "PUT",
            &format!("{path}/{buy_id}"),
            Some(&u.access),
            json!({"date": "2017-01-04", "type": "buy", "symbol": "AAPL", "quantity": "12", "price": "116.5", "currency": "USD"}),
        )
        .await;
    assert_eq!(
        (s, b["quantity"].as_str()),
        (StatusCode::OK, Some("12")),
        "{b}"
    );
    let sell = json!({"date": "2017-03-01", "type": "sell", "symbol": "AAPL", "quantity": "12", "price": "139", "currency": "USD"});
    let (s, _) = app.json("POST", &path, Some(&u.access), sell).await;
    assert_eq!(s, StatusCode::CREATED);
    // The sale needs the buy: deleting the buy is refused and nothing changes.
    let (s, b) = app
        .json(
            "DELETE",
            &format!("{path}/{buy_id}"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    // Editing the buy down below the sale is refused too.
    let (s, b) = app
        .json(
            "PUT",
            &format!("{path}/{buy_id}"),
            Some(&u.access),
            json!({"date": "2017-01-04", "type": "buy", "symbol": "AAPL", "quantity": "5", "price": "116.5", "currency": "USD"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (_, list) = app.json("GET", &path, Some(&u.access), Value::Null).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[1]["quantity"], "12");
    let (s, _) = app
        .json(
            "DELETE",
            &format!("{path}/{}", uuid::Uuid::new_v4()),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn import_is_all_or_nothing_unless_told_to_skip() {
    let app = app().await;
    let u = app.user("import@example.com").await;
    let id = portfolio(&app, &u, "Imported").await;
    let path = format!("/api/v1/portfolios/{id}/transactions/import");
    let csv = "date,type,symbol,quantity,price,fee,currency\n\
               2016-01-04,deposit,,,20000,0,USD\n\
               2016-01-05,buy,AAPL,10,102.5,1,USD\n\
               2016-13-05,buy,JPM,10,60,1,USD\n\
               2016-01-06,buy,XOM,ten,75,1,USD\n";
    let (s, b) = app.csv(&path, &u.access, csv).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let fields = field(&b);
    assert!(fields.iter().any(|f| f.starts_with("line 4.")), "{b}");
    assert!(fields.iter().any(|f| f.starts_with("line 5.")), "{b}");
    let (_, list) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/transactions"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing stored");
    let (s, b) = app
        .csv(&format!("{path}?skip_invalid=true"), &u.access, csv)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["imported"], 2);
    let lines: Vec<u64> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 5]);
    assert_eq!(b["errors"][0]["field"], "date");
    assert_eq!(b["errors"][1]["field"], "quantity");
    // A file without the required columns, and a body that is not CSV.
    let (s, b) = app.csv(&path, &u.access, "when,what\n2016-01-01,x\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&b), vec!["csv".to_owned()]);
    let (s, b) = app
        .json("POST", &path, Some(&u.access), json!({"rows": []}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(field(&b), vec!["content-type".to_owned()]);
}

#[tokio::test]
async fn valuation_performance_and_insights_of_the_sample_portfolio() {
    let app = app().await;
    let u = app.user("value@example.com").await;
    let id = sample_portfolio(&app, &u).await;
    let (s, v) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/valuation"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["as_of"], "2018-04-11");
    let positions = v["positions"].as_array().unwrap();
    let syms: Vec<&str> = positions
        .iter()
        .map(|p| p["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(syms, ["AAPL", "AMZN", "GOOG", "JPM", "PFE"]);
    // AAPL: 100 + 40 - 60 = 80 shares at the last sample close 172.440002.
    let aapl = &positions[0];
    assert_eq!(aapl["quantity"], "80");
    assert_eq!(aapl["price"], "172.440002");
    assert_eq!(aapl["value"], "13795.20");
    // FIFO: the open lots hold the 80 shares.
    let lots: f64 = aapl["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["quantity"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((lots - 80.0).abs() < 1e-9, "{aapl}");
    let total: f64 = v["allocation_by_holding"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    assert!(v["allocation_by_asset_class"]["equity"].as_f64().unwrap() > 0.5);
    assert!(
        v["prices"]["AAPL"]["source"]
            .as_str()
            .unwrap()
            .contains("file"),
        "{v}"
    );
    assert!(v["day_change"].as_str().is_some());
    // value - net deposits (50000 - 500 + 5000 = 54500)
    let value: f64 = v["value"].as_str().unwrap().parse().unwrap();
    let tr: f64 = v["total_return"].as_str().unwrap().parse().unwrap();
    assert!((value - 54_500.0 - tr).abs() < 0.01, "{value} {tr}");

    // Every window of core's Range, the assistant's vocabulary too.
    for range in ["1m", "3m", "6m", "ytd", "1y", "3y", "5y", "max"] {
        let (s, p) = app
            .json(
                "GET",
                &format!("/api/v1/portfolios/{id}/performance?range={range}"),
                Some(&u.access),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{range}: {p}");
        assert_eq!(p["to"], "2018-04-11");
        assert!(p["twr"].as_f64().unwrap().is_finite());
        assert!(p["benchmark"]["total_return"].as_f64().is_some(), "{p}");
        assert!(p["values"].as_array().unwrap().len() > 10, "{range}");
        assert_eq!(p["range"], range);
        // Returns explained: the period in words, the basis, the months
        // and the drawdowns, whose floor is the maximum drawdown.
        assert!(p["period"].as_str().unwrap().starts_with("over") || range == "ytd");
        assert!(p["basis"].as_str().unwrap().contains("annualised"));
        assert!(!p["monthly_returns"].as_object().unwrap().is_empty());
        let floor = p["drawdowns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["drawdown"].as_f64().unwrap())
            .fold(0.0, f64::min);
        assert!(
            (floor - p["max_drawdown"].as_f64().unwrap()).abs() < 1e-12,
            "{range}"
        );
        // The chart's lines end where the headline figures say.
        let last = p["values"].as_array().unwrap().last().unwrap().clone();
        assert!((last["growth"].as_f64().unwrap() - p["twr"].as_f64().unwrap()).abs() < 1e-9);
        let bench = p["benchmark"]["total_return"].as_f64().unwrap();
        assert!(
            (last["benchmark"].as_f64().unwrap() - bench).abs() < 1e-9,
            "{range}"
        );
    }
    let (s, p) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/performance?range=ytd"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(
        (s, p["from"].as_str()),
        (StatusCode::OK, Some("2018-01-01")),
        "{p}"
    );
    let (s, b) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/performance?range=2y"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(
        (s, field(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["range".to_owned()])
    );
    assert!(
        b.to_string()
            .contains("is not one of 1m, 3m, 6m, ytd, 1y, 3y, 5y, max"),
        "{b}"
    );

    // Insights without a risk profile: nudges, no recommendation, a note.
    let (s, i) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/insights"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{i}");
    assert!(i["recommendation"].is_null());
    assert!(
        i["recommendation_note"]
            .as_str()
            .unwrap()
            .contains("questionnaire")
    );
    assert!(
        i["disclaimer"]
            .as_str()
            .unwrap()
            .contains("not a registered investment adviser")
    );
    for n in i["nudges"].as_array().unwrap() {
        assert!(n["disclaimer"].as_str().is_some(), "{n}");
    }
    // With a profile: the category's split and a rebalancing plan in shares.
    take_questionnaire(&app, &u, 2).await;
    let (s, i) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/insights"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{i}");
    let rec = &i["recommendation"];
    assert!(rec["category"].as_str().is_some(), "{i}");
    let w: f64 = rec["weights"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((w - 1.0).abs() < 1e-6, "{rec}");
    assert!(rec["disclaimer"].as_str().is_some());
    assert!(i["rebalancing"]["trades"].is_object(), "{i}");
    // A range based on past prices, never one bold figure.
    let (lo, hi) = (
        rec["expected_return_low"].as_f64().unwrap(),
        rec["expected_return_high"].as_f64().unwrap(),
    );
    assert!(
        lo < rec["expected_return"].as_f64().unwrap() && lo < hi,
        "{rec}"
    );
    assert!(
        rec["basis"].as_str().unwrap().contains("past prices"),
        "{rec}"
    );
    // What a concentration nudge flags is neither recommended above its
    // limit nor bought by the rebalancing.
    for n in i["nudges"].as_array().unwrap() {
        if n["kind"] != "concentration" {
            continue;
        }
        let (Some(symbol), Some(limit)) = (
            n["evidence"]["symbol"].as_str(),
            n["evidence"]["limit"].as_f64(),
        ) else {
            continue;
        };
        let w = rec["weights"][symbol].as_f64().unwrap_or(0.0);
        assert!(w < limit, "{symbol} recommended at {w}: {rec}");
        let bought = i["rebalancing"]["trades"][symbol].as_i64().unwrap_or(0);
        assert!(bought <= 0, "{symbol} bought although flagged: {i}");
    }
    // Shown recommendations and nudges are audited, without personal data.
    let rows = app.state.store.audit_rows(100).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.entry.action.as_str()).collect();
    assert!(
        actions.contains(&"recommendation_shown") && actions.contains(&"nudges_shown"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_holding_no_source_knows_is_valued_at_the_users_last_trade_and_marked_stale() {
    let app = app().await;
    let u = app.user("unknown-symbol@example.com").await;
    let id = portfolio(&app, &u, "With a private share").await;
    let path = format!("/api/v1/portfolios/{id}/transactions");
    for row in [
        json!({"date": "2017-01-03", "type": "deposit", "price": "10000", "currency": "USD"}),
        json!({"date": "2017-01-04", "type": "buy", "symbol": "AAPL", "quantity": "10", "price": "116.5", "currency": "USD"}),
        json!({"date": "2017-01-05", "type": "buy", "symbol": "ZZPRIV", "quantity": "20", "price": "25", "currency": "USD"}),
        json!({"date": "2017-06-01", "type": "buy", "symbol": "ZZPRIV", "quantity": "10", "price": "30", "currency": "USD"}),
    ] {
        let (s, b) = app.json("POST", &path, Some(&u.access), row).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, v) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/valuation"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let own = &v["prices"]["ZZPRIV"];
    assert_eq!(own["stale"], true, "{v}");
    assert!(
        own["source"]
            .as_str()
            .unwrap()
            .contains("your last trade price"),
        "{own}"
    );
    assert_eq!(own["as_of"], "2017-06-01");
    assert_eq!(v["prices"]["AAPL"]["stale"], false, "{v}");
    let priv_pos = v["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["symbol"] == "ZZPRIV")
        .unwrap_or_else(|| panic!("no ZZPRIV position: {v}"));
    let value: f64 = priv_pos["value"].as_str().unwrap().parse().unwrap();
    assert!((value - 900.0).abs() < 1e-9, "30 shares at 30: {priv_pos}");
    // Not in the instrument table: unclassified (the nudges' rule), never
    // counted as equity.
    assert_eq!(priv_pos["asset_class"], Value::Null, "{priv_pos}");
    let by_class = &v["allocation_by_asset_class"];
    let unclassified = by_class["unclassified"].as_f64().unwrap();
    let weight = priv_pos["weight"].as_f64().unwrap();
    assert!((unclassified - weight).abs() < 1e-12, "{by_class}");
    // Everything else keeps working around it.
    for page in ["performance?range=max", "insights"] {
        let (s, b) = app
            .json(
                "GET",
                &format!("/api/v1/portfolios/{id}/{page}"),
                Some(&u.access),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}: {b}");
    }
    let (s, g) = app
        .json(
            "POST",
            "/api/v1/goals",
            Some(&u.access),
            json!({"name": "House", "target": "50000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert!(g["progress"]["progress"].as_f64().is_some(), "{g}");

    // The user states a later price for it: it values the holding, said so.
    let put = |symbol: &str, body: Value| {
        let (app, access, path) = (
            &app,
            u.access.clone(),
            format!("/api/v1/portfolios/{id}/prices/{symbol}"),
        );
        async move { app.json("PUT", &path, Some(&access), body).await }
    };
    let (s, b) = put("ZZPRIV", json!({"date": "2017-09-01", "price": "42.5"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["price"], "42.5");
    let (_, v) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/valuation"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    let own = &v["prices"]["ZZPRIV"];
    assert!(
        own["source"].as_str().unwrap().contains("your own price"),
        "{own}"
    );
    assert_eq!(
        (own["as_of"].as_str(), own["stale"].as_bool()),
        (Some("2017-09-01"), Some(true))
    );
    let pos = v["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["symbol"] == "ZZPRIV")
        .unwrap()
        .clone();
    let value: f64 = pos["value"].as_str().unwrap().parse().unwrap();
    assert!((value - 1275.0).abs() < 1e-9, "30 x 42.5: {pos}");
    let (s, list) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/prices"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(
        (s, list.as_array().map(Vec::len)),
        (StatusCode::OK, Some(1)),
        "{list}"
    );
    // Refused, naming the field: bad values, a symbol never traded, one the market prices.
    for (symbol, body, field_name) in [
        (
            "ZZPRIV",
            json!({"date": "2017-09-01", "price": "0"}),
            "price",
        ),
        (
            "ZZPRIV",
            json!({"date": "2017-09-01", "price": "-3"}),
            "price",
        ),
        (
            "ZZPRIV",
            json!({"date": "2017-09-01", "price": "abc"}),
            "price",
        ),
        (
            "ZZPRIV",
            json!({"date": "2999-01-01", "price": "1"}),
            "date",
        ),
        (
            "ZZPRIV",
            json!({"date": "2017-02-30", "price": "1"}),
            "date",
        ),
        (
            "NEVER",
            json!({"date": "2017-09-01", "price": "1"}),
            "symbol",
        ),
        (
            "AAPL",
            json!({"date": "2017-09-01", "price": "1"}),
            "symbol",
        ),
        (
            "..%2F..",
            json!({"date": "2017-09-01", "price": "1"}),
            "symbol",
        ),
    ] {
        let (s, b) = put(symbol, body).await;
        assert_eq!(
            (s, field(&b)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![field_name.to_owned()]
            ),
            "{symbol}: {b}"
        );
    }
    // Removed: the trade price values it again; another user cannot touch it.
    let other = app.user("not-the-owner@example.com").await;
    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/portfolios/{id}/prices/ZZPRIV"),
            Some(&other.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/portfolios/{id}/prices/ZZPRIV"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/valuation"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert!(
        v["prices"]["ZZPRIV"]["source"]
            .as_str()
            .unwrap()
            .contains("your last trade price")
    );
}

#[tokio::test]
async fn risk_profile_history_and_bad_answers() {
    let app = app().await;
    let u = app.user("risk@example.com").await;
    let (s, b) = app
        .json("GET", "/api/v1/risk/profile", Some(&u.access), Value::Null)
        .await;
    assert_eq!((s, b["current"].is_null()), (StatusCode::OK, true));
    let first = take_questionnaire(&app, &u, 0).await;
    let second = take_questionnaire(&app, &u, 3).await;
    assert_ne!(first["profile"]["category"], second["profile"]["category"]);
    let (_, b) = app
        .json("GET", "/api/v1/risk/profile", Some(&u.access), Value::Null)
        .await;
    assert_eq!(b["history"].as_array().unwrap().len(), 2);
    assert_eq!(b["current"]["profile"], second["profile"]);
    let (_, q) = app
        .json(
            "GET",
            "/api/v1/risk/questionnaire",
            Some(&u.access),
            Value::Null,
        )
        .await;
    let first_id = q["questions"][0]["id"].as_str().unwrap().to_owned();
    for (body, name) in [
        (
            json!({"version": "1900-01", "answers": {}}),
            "version".to_owned(),
        ),
        (
            json!({"version": q["version"], "answers": {first_id.clone(): 99}}),
            format!("answers.{first_id}"),
        ),
        (json!({"version": q["version"]}), "answers".to_owned()),
    ] {
        let (s, b) = app
            .json(
                "POST",
                "/api/v1/risk/answers",
                Some(&u.access),
                body.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(field(&b), vec![name.clone()], "{body}: {b}");
    }
    let (_, b) = app
        .json("GET", "/api/v1/risk/profile", Some(&u.access), Value::Null)
        .await;
    assert_eq!(
        b["history"].as_array().unwrap().len(),
        2,
        "bad answers stored nothing"
    );
}

#[tokio::test]
async fn goals_with_progress_and_badges() {
    let app = app().await;
    let u = app.user("goals@example.com").await;
    sample_portfolio(&app, &u).await;
    let (s, g) = app
        .json("POST", "/api/v1/goals", Some(&u.access), json!({"name": "House", "target": "150000", "by": "2040-06-30", "monthly_contribution": "500"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert!(g["progress"]["progress"].as_f64().unwrap() > 0.0, "{g}");
    let id = g["id"].as_str().unwrap().to_owned();
    for (body, name) in [
        (json!({"name": "", "target": "10"}), "name"),
        (json!({"name": "x", "target": "-10"}), "target"),
        (json!({"name": "x", "target": "ten"}), "target"),
        (
            json!({"name": "x", "target": "10", "by": "2001-01-01"}),
            "by",
        ),
        (json!({"name": "x", "target": "10", "by": "soon"}), "by"),
        (
            json!({"name": "x", "target": "10", "monthly_contribution": "-1"}),
            "monthly_contribution",
        ),
        (
            json!({"name": "x", "target": "10", "expected_return": 7.0}),
            "expected_return",
        ),
        // The SDK's goal rules (auravest_bias::Goal::validate), not a
        // second copy: its range, its name length, its amount ceiling.
        (
            json!({"name": "x", "target": "10", "expected_return": 0.51}),
            "expected_return",
        ),
        (json!({"name": "n".repeat(81), "target": "10"}), "name"),
        (
            json!({"name": "x", "target": "100000000000000000000"}),
            "target",
        ),
        (
            json!({"name": "x", "target": "10", "monthly_contribution": "100000000000000000000"}),
            "monthly_contribution",
        ),
        (json!({"name": "x"}), "target"),
    ] {
        let (s, b) = app
            .json("POST", "/api/v1/goals", Some(&u.access), body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(field(&b), vec![name.to_owned()], "{body}: {b}");
    }
    let (s, b) = app
        .json(
            "PUT",
            &format!("/api/v1/goals/{id}"),
            Some(&u.access),
            json!({"name": "Bigger house", "target": "250000"}),
        )
        .await;
    assert_eq!(
        (s, b["name"].as_str()),
        (StatusCode::OK, Some("Bigger house")),
        "{b}"
    );
    let (_, list) = app
        .json("GET", "/api/v1/goals", Some(&u.access), Value::Null)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (s, badges) = app
        .json("GET", "/api/v1/badges", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    let earned: Vec<&str> = badges
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["earned"] == true)
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert!(
        !earned.is_empty(),
        "a portfolio with purchases earns a badge: {badges}"
    );
    assert!(
        badges
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["earned"] == false)
    );
    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/goals/{id}"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/goals/{id}"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn quotes_and_history_from_the_shipped_sample() {
    let app = app().await;
    let u = app.user("market@example.com").await;
    let (s, b) = app
        .json(
            "GET",
            "/api/v1/quotes?symbols=AAPL,SPY,NOPE",
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let quoted: Vec<&str> = b["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(quoted, ["AAPL", "SPY"]);
    assert_eq!(b["quotes"][0]["price"], "172.440002");
    assert_eq!(b["errors"][0]["symbol"], "NOPE");
    for q in [
        "/api/v1/quotes",
        "/api/v1/quotes?symbols=",
        "/api/v1/quotes?symbols=AAPL,bad%20sym",
    ] {
        let (s, b) = app.json("GET", q, Some(&u.access), Value::Null).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {b}");
    }
    let (s, h) = app
        .json(
            "GET",
            "/api/v1/symbols/AAPL/history?from=2018-01-01&to=2018-01-31",
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    let bars = h["bars"].as_array().unwrap();
    assert_eq!(bars.len(), 21, "{h}");
    assert_eq!(bars[0]["date"], "2018-01-02");
    for (q, name) in [
        ("from=2018-02-01&to=2018-01-01", "from"),
        ("from=2018-02-30", "from"),
        ("to=yesterday", "to"),
    ] {
        let (s, b) = app
            .json(
                "GET",
                &format!("/api/v1/symbols/AAPL/history?{q}"),
                Some(&u.access),
                Value::Null,
            )
            .await;
        assert_eq!(
            (s, field(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![name.to_owned()]),
            "{q}: {b}"
        );
    }
    let (s, _) = app
        .json(
            "GET",
            "/api/v1/symbols/NOPE/history?from=2018-01-01&to=2018-01-31",
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_assistant_answers_meters_and_takes_feedback() {
    let app = app_with(
        TestOptions {
            ai: true,
            ..TestOptions::default()
        }
        .var("AURAVEST_AI_DAILY_LIMIT", "2"),
    )
    .await;
    let u = app.user("ask@example.com").await;
    let id = sample_portfolio(&app, &u).await;
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/ask",
            Some(&u.access),
            json!({"question": "What is an expense ratio?"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["used"].as_i64(), b["limit"].as_u64()),
        (Some(1), Some(2))
    );
    let answer = &b["answer"];
    assert!(
        !answer["citations"].as_array().unwrap().is_empty(),
        "{answer}"
    );
    assert!(
        answer["answer"]
            .as_str()
            .unwrap()
            .contains(answer["disclaimer"].as_str().unwrap())
    );
    let answer_id = answer["id"].as_str().unwrap().to_owned();
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/ask",
            Some(&u.access),
            json!({"question": "How concentrated is my portfolio?", "portfolio_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(!b["answer"]["tools"].as_array().unwrap().is_empty(), "{b}");
    // The limit: the third question today is refused with Retry-After.
    let (s, h, b) = app
        .call(crate::support::request(
            "POST",
            "/api/v1/ask",
            Some(&u.access),
            json!({"question": "What is a bond?"}),
        ))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert!(h.get("retry-after").is_some());
    let (_, usage) = app
        .json("GET", "/api/v1/me/usage", Some(&u.access), Value::Null)
        .await;
    assert_eq!(usage["usage"]["ai_questions"]["used"], 2, "{usage}");
    assert_eq!(usage["assistant"], "ready", "{usage}");
    let resets = usage["resets_at"].as_str().unwrap();
    assert!(resets.contains("T00:00:00"), "{resets}");
    // Bad questions are refused before they count.
    let other = app.user("ask2@example.com").await;
    for (body, name) in [
        (json!({"question": ""}), "question"),
        (json!({"question": "x".repeat(5000)}), "question"),
        (
            json!({"question": "hi", "portfolio_id": id}),
            "portfolio_id",
        ),
    ] {
        let (s, b) = app
            .json("POST", "/api/v1/ask", Some(&other.access), body)
            .await;
        assert_eq!(
            (s, field(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![name.to_owned()]),
            "{b}"
        );
    }
    // Feedback: only on one's own answers.
    let path = format!("/api/v1/answers/{answer_id}/feedback");
    let (s, _) = app
        .json("POST", &path, Some(&u.access), json!({"kind": "helpful"}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app
        .json("POST", &path, Some(&u.access), json!({"kind": "great"}))
        .await;
    assert_eq!(
        (s, field(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["kind".to_owned()])
    );
    let (s, _) = app
        .json("POST", &path, Some(&other.access), json!({"kind": "wrong"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The summary is cached per portfolio and day.
    let (s, first) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/summary"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["cached"], false);
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .contains(first["disclaimer"].as_str().unwrap())
    );
    let (_, again) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/summary"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(
        (again["cached"].as_bool(), &again["text"]),
        (Some(true), &first["text"])
    );
    let (s, c) = app
        .json("GET", "/api/v1/checklist", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c.as_array().unwrap().len(), 5, "{c}");
    let rows = app.state.store.audit_rows(100).await.unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.entry.action.as_str() == "ai_answer")
            .count(),
        2
    );
}

/// The ids of the badges `user` has earned.
async fn earned(app: &TestApp, user: &TestUser) -> Vec<String> {
    let (s, badges) = app
        .json("GET", "/api/v1/badges", Some(&user.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{badges}");
    badges
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["earned"] == true)
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checklist_progress_is_kept_and_earns_badges_with_a_first_post() {
    let app = app().await;
    let u = app.user("learner@example.com").await;
    let other = app.user("other-learner@example.com").await;
    let (s, list) = app
        .json("GET", "/api/v1/checklist", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 5);
    assert!(list.as_array().unwrap().iter().all(|i| i["done"] == false));
    let done = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|i| i["done"] == true)
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let path = |id: &str| format!("/api/v1/checklist/{id}");
    for _ in 0..2 {
        let (s, list) = app
            .json("PUT", &path(&ids[0]), Some(&u.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(done(&list), [ids[0].clone()], "marking twice is once");
    }
    for bad in ["not_an_item", "COMPOUNDING", "%20"] {
        let (s, b) = app
            .json("PUT", &path(bad), Some(&u.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}: {b}");
        let (s, _) = app
            .json("DELETE", &path(bad), Some(&u.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
    }
    let (s, _) = app.json("PUT", &path(&ids[1]), None, Value::Null).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, theirs) = app
        .json("GET", "/api/v1/checklist", Some(&other.access), Value::Null)
        .await;
    assert!(done(&theirs).is_empty(), "another user's list is theirs");

    assert!(
        !earned(&app, &u)
            .await
            .contains(&"learning_checklist_finished".to_owned())
    );
    for id in &ids {
        let (s, _) = app
            .json("PUT", &path(id), Some(&u.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    assert!(
        earned(&app, &u)
            .await
            .contains(&"learning_checklist_finished".to_owned())
    );
    let (s, list) = app
        .json("DELETE", &path(&ids[2]), Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(done(&list).len(), 4);
    assert!(!done(&list).contains(&ids[2]));
    assert!(
        !earned(&app, &u)
            .await
            .contains(&"learning_checklist_finished".to_owned())
    );

    assert!(
        !earned(&app, &u)
            .await
            .contains(&"first_community_post".to_owned())
    );
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/community/posts",
            Some(&u.access),
            json!({"text": "Learning about index funds", "anonymous": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert!(
        earned(&app, &u)
            .await
            .contains(&"first_community_post".to_owned())
    );
    assert!(
        !earned(&app, &other)
            .await
            .contains(&"first_community_post".to_owned())
    );
}

#[tokio::test]
async fn the_assistant_can_be_turned_off() {
    let app = app().await;
    let u = app.user("noai@example.com").await;
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/ask",
            Some(&u.access),
            json!({"question": "What is a bond?"}),
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    let (_, usage) = app
        .json("GET", "/api/v1/me/usage", Some(&u.access), Value::Null)
        .await;
    assert_eq!(usage["assistant"], "off", "{usage}");
}

#[tokio::test]
async fn legal_openapi_and_unknown_routes() {
    let app = app().await;
    let (s, b) = app.json("GET", "/api/v1/legal", None, Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    for k in ["terms_version", "terms", "privacy", "about_ai"] {
        assert!(b[k].as_str().is_some_and(|t| !t.is_empty()), "{k}");
    }
    assert!(
        b["terms"]
            .as_str()
            .unwrap()
            .contains("not a registered investment adviser")
    );
    let (s, doc) = app
        .json("GET", "/api/v1/openapi.json", None, Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/me/export",
        "/api/v1/portfolios",
        "/api/v1/portfolios/{id}/valuation",
        "/api/v1/portfolios/{id}/transactions/import",
        "/api/v1/goals",
        "/api/v1/quotes",
        "/api/v1/ask",
        "/api/v1/risk/answers",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    let (s, b) = app.json("GET", "/api/v1/nowhere", None, Value::Null).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, b) = app
        .json("GET", "/api/v1/portfolios", None, Value::Null)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
}

#[tokio::test]
async fn the_dashboard_adds_up_portfolios_in_one_currency_and_lists_the_rest() {
    let app = app().await;
    let u = app.user("dashboard@example.com").await;
    let get = |path: String| {
        let app = &app;
        let access = u.access.clone();
        async move { app.json("GET", &path, Some(&access), Value::Null).await }
    };
    // Nothing yet: an empty overview, not an error.
    let (s, d) = get("/api/v1/dashboard".to_owned()).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert!(d["net_worth"].is_null() && d["growth"].is_null(), "{d}");
    assert_eq!(d["portfolios"].as_array().unwrap().len(), 0);

    let first = sample_portfolio(&app, &u).await;
    let (_, one) = get(format!("/api/v1/portfolios/{first}/valuation")).await;
    // A second USD portfolio with one deposit, and one in EUR.
    let second = portfolio(&app, &u, "Savings").await;
    let (s, b) = app
        .json(
            "POST",
            &format!("/api/v1/portfolios/{second}/transactions"),
            Some(&u.access),
            json!({"date": "2018-03-01", "type": "deposit", "price": "1000", "currency": "USD"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/portfolios",
            Some(&u.access),
            json!({"name": "Euro", "currency": "EUR"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let (s, d) = get("/api/v1/dashboard?range=max".to_owned()).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["currency"], "USD");
    let n = &d["net_worth"];
    assert_eq!(n["portfolios"], 2, "{d}");
    let value: f64 = n["value"].as_str().unwrap().parse().unwrap();
    let first_value: f64 = one["value"].as_str().unwrap().parse().unwrap();
    assert!(
        (value - first_value - 1000.0).abs() < 0.011,
        "{value} {first_value}"
    );
    for key in [
        "allocation_by_holding",
        "allocation_by_asset_class",
        "allocation_by_sector",
        "allocation_by_currency",
    ] {
        let total: f64 = n[key]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_f64().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "{key}: {total}");
    }
    assert!(
        n["allocation_by_sector"]["Information Technology"]
            .as_f64()
            .unwrap()
            > 0.0,
        "{n}"
    );
    let lines = d["portfolios"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["included"], false);
    assert!(lines[2]["note"].as_str().unwrap().contains("EUR"), "{d}");
    // Growth: one point a day, the benchmark beside it, the basis said.
    let g = &d["growth"];
    let points = g["points"].as_array().unwrap();
    assert!(points.len() > 100, "{}", points.len());
    assert_eq!(points[0]["growth"], 0.0);
    assert_eq!(g["to"], "2018-04-11");
    let last = points.last().unwrap();
    assert!((last["growth"].as_f64().unwrap() - g["twr"].as_f64().unwrap()).abs() < 1e-9);
    assert!(
        (last["benchmark"].as_f64().unwrap() - g["benchmark"]["total_return"].as_f64().unwrap())
            .abs()
            < 1e-9,
        "{g}"
    );
    assert!(g["basis"].as_str().unwrap().contains("past prices"));
    // The sample prices are said to be the sample.
    assert_eq!(d["sample_data"]["last"], "2018-04-11", "{d}");
    let (s, m) = get("/api/v1/market/status".to_owned()).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["sample_data"]["first"], "2015-01-02", "{m}");
    // Symbol suggestions: the symbol first, then by name; limits checked.
    let (s, hits) = get("/api/v1/symbols?q=aapl".to_owned()).await;
    assert_eq!(s, StatusCode::OK, "{hits}");
    assert_eq!(hits[0]["symbol"], "AAPL", "{hits}");
    assert_eq!(hits[0]["sector"], "Information Technology");
    let (s, hits) = get("/api/v1/symbols?q=apple".to_owned()).await;
    assert_eq!(
        (s, hits[0]["symbol"].as_str()),
        (StatusCode::OK, Some("AAPL"))
    );
    for bad in [
        "q=".to_owned() + &"x".repeat(41),
        "q=a&limit=0".to_owned(),
        "q=a&limit=21".to_owned(),
        "q=a&limit=x".to_owned(),
    ] {
        let (s, b) = get(format!("/api/v1/symbols?{bad}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
    }

    let (s, b) = get("/api/v1/dashboard?range=2y".to_owned()).await;
    assert_eq!(
        (s, field(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["range".to_owned()])
    );
    let (s, _) = app
        .json("GET", "/api/v1/dashboard", None, Value::Null)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

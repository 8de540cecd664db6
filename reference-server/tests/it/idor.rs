//! The authorisation matrix: user B can never read or change user A's
//! portfolios, transactions, goals, answers, export or usage, on any route.
//! Another user's resource answers 404 exactly as a missing one does.

use axum::http::StatusCode;
use serde_json::{Value, json};

use auravest_reference_server::store::sql::connect_url;

use crate::support::{TestApp, TestDatabase, TestOptions, app_with};

const CSV: &str = "date,type,symbol,quantity,price,fee,currency\n2017-01-03,deposit,,,10000,0,USD\n2017-01-04,buy,AAPL,10,116,1,USD\n";

async fn matrix(app: TestApp) {
    let a = app.user("alice@example.com").await;
    let b = app.user("bob@example.com").await;
    let (_, p) = app
        .json(
            "POST",
            "/api/v1/portfolios",
            Some(&a.access),
            json!({"name": "Alice's"}),
        )
        .await;
    let pid = p["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .csv(
            &format!("/api/v1/portfolios/{pid}/transactions/import"),
            &a.access,
            CSV,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, txs) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{pid}/transactions"),
            Some(&a.access),
            Value::Null,
        )
        .await;
    let tx = txs[1]["id"].as_str().unwrap().to_owned();
    let (_, g) = app
        .json(
            "POST",
            "/api/v1/goals",
            Some(&a.access),
            json!({"name": "Alice's goal", "target": "1000"}),
        )
        .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let (s, ans) = app
        .json(
            "POST",
            "/api/v1/ask",
            Some(&a.access),
            json!({"question": "What is diversification?"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ans}");
    let aid = ans["answer"]["id"].as_str().unwrap().to_owned();

    let row = json!({"date": "2017-01-05", "type": "buy", "symbol": "AAPL", "quantity": "1", "price": "117", "currency": "USD"});
    let cases: Vec<(&str, String, Value)> = vec![
        ("GET", format!("/api/v1/portfolios/{pid}"), Value::Null),
        (
            "PATCH",
            format!("/api/v1/portfolios/{pid}"),
            json!({"name": "Bob's now"}),
        ),
        ("DELETE", format!("/api/v1/portfolios/{pid}"), Value::Null),
        (
            "GET",
            format!("/api/v1/portfolios/{pid}/transactions"),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/portfolios/{pid}/transactions"),
            row.clone(),
        ),
        (
            "PUT",
            format!("/api/v1/portfolios/{pid}/transactions/{tx}"),
            row,
        ),
        (
            "DELETE",
            format!("/api/v1/portfolios/{pid}/transactions/{tx}"),
            Value::Null,
        ),
        (
            "GET",
            format!("/api/v1/portfolios/{pid}/valuation"),
            Value::Null,
        ),
        (
            "GET",
            format!("/api/v1/portfolios/{pid}/performance?range=max"),
            Value::Null,
        ),
        (
            "GET",
            format!("/api/v1/portfolios/{pid}/insights"),
            Value::Null,
        ),
        (
            "GET",
            format!("/api/v1/portfolios/{pid}/prices.csv"),
            Value::Null,
        ),
        (
            "GET",
            format!("/api/v1/portfolios/{pid}/summary"),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/portfolios/{pid}/refresh"),
            Value::Null,
        ),
        ("GET", format!("/api/v1/goals/{gid}"), Value::Null),
        (
            "PUT",
            format!("/api/v1/goals/{gid}"),
            json!({"name": "mine", "target": "5"}),
        ),
        ("DELETE", format!("/api/v1/goals/{gid}"), Value::Null),
        (
            "POST",
            format!("/api/v1/answers/{aid}/feedback"),
            json!({"kind": "wrong"}),
        ),
    ];
    for (method, path, body) in &cases {
        let (s, resp) = app.json(method, path, Some(&b.access), body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "B {method} {path}: {resp}");
        assert_eq!(resp["error"]["code"], "not_found", "{method} {path}");
        // Exactly what a missing id answers.
        let missing = path
            .replace(&pid, &uuid::Uuid::new_v4().to_string())
            .replace(&gid, &uuid::Uuid::new_v4().to_string())
            .replace(&aid, &uuid::Uuid::new_v4().to_string());
        let (s2, resp2) = app
            .json(method, &missing, Some(&b.access), body.clone())
            .await;
        assert_eq!(
            (s2, &resp2["error"]["code"]),
            (s, &resp["error"]["code"]),
            "{method} {missing}"
        );
    }
    let (s, resp) = app
        .csv(
            &format!("/api/v1/portfolios/{pid}/transactions/import"),
            &b.access,
            CSV,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{resp}");
    let (s, resp) = app
        .json(
            "POST",
            "/api/v1/ask",
            Some(&b.access),
            json!({"question": "How is it doing?", "portfolio_id": pid}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");

    // B's lists, export and usage show nothing of A's.
    let (_, list) = app
        .json("GET", "/api/v1/portfolios", Some(&b.access), Value::Null)
        .await;
    assert_eq!(list, json!([]));
    let (_, goals) = app
        .json("GET", "/api/v1/goals", Some(&b.access), Value::Null)
        .await;
    assert_eq!(goals, json!([]));
    let (s, export) = app
        .json("GET", "/api/v1/me/export", Some(&b.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{export}");
    let text = export.to_string();
    for secret in [pid.as_str(), &gid, &tx, &aid, &a.id, &a.email, "Alice's"] {
        assert!(!text.contains(secret), "B's export reveals {secret}");
    }
    let (_, usage) = app
        .json("GET", "/api/v1/me/usage", Some(&b.access), Value::Null)
        .await;
    assert_eq!(usage["usage"]["ai_questions"]["used"], 0, "{usage}");

    // A's data is untouched.
    let (s, p) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{pid}"),
            Some(&a.access),
            Value::Null,
        )
        .await;
    assert_eq!((s, p["name"].as_str()), (StatusCode::OK, Some("Alice's")));
    let (_, txs) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{pid}/transactions"),
            Some(&a.access),
            Value::Null,
        )
        .await;
    assert_eq!(txs.as_array().unwrap().len(), 2);
    let (s, g) = app
        .json(
            "GET",
            &format!("/api/v1/goals/{gid}"),
            Some(&a.access),
            Value::Null,
        )
        .await;
    assert_eq!(
        (s, g["name"].as_str()),
        (StatusCode::OK, Some("Alice's goal"))
    );
    let (_, usage) = app
        .json("GET", "/api/v1/me/usage", Some(&a.access), Value::Null)
        .await;
    assert_eq!(usage["usage"]["ai_questions"]["used"], 1);
    let (s, _) = app
        .json(
            "POST",
            &format!("/api/v1/answers/{aid}/feedback"),
            Some(&a.access),
            json!({"kind": "helpful"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn user_b_cannot_reach_user_a_on_sqlite() {
    matrix(
        app_with(TestOptions {
            ai: true,
            ..TestOptions::default()
        })
        .await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_b_cannot_reach_user_a_on_postgres() {
    let Some(db) = TestDatabase::create("idor").await else {
        return;
    };
    // The whole server on the database: the store and the community both.
    let store = connect_url(&db.url).await.expect("PostgreSQL");
    store.migrate().await.expect("migrate");
    matrix(
        app_with(
            TestOptions {
                ai: true,
                store: Some(store),
                ..TestOptions::default()
            }
            .var("DATABASE_URL", &db.url),
        )
        .await,
    )
    .await;
    drop(db);
}

/// The what-if panel's price table: a token is required, and the owner gets
/// the open positions' aligned closes as CSV the SDK reads back.
#[tokio::test]
async fn prices_csv_needs_a_token_and_serves_the_open_positions() {
    let app = crate::support::app().await;
    let a = app.user("alice@example.com").await;
    let pid = crate::support::sample_portfolio(&app, &a).await;
    let path = format!("/api/v1/portfolios/{pid}/prices.csv");
    let (s, _) = app.json("GET", &path, None, Value::Null).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = app.json("GET", &path, Some(&a.access), Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let text = body.as_str().expect("CSV text");
    assert!(text.starts_with("date,"), "{text}");
    let frame = auravest_core::PriceFrame::from_csv(text.as_bytes()).expect("the SDK reads it");
    assert!(
        !frame.columns().is_empty() && !frame.dates().is_empty(),
        "{text}"
    );
}

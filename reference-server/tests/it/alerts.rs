//! Tests: watchlists and price alerts. Rules are checked by the SDK's rule
//! on each refreshed quote; a rule fires once per crossing (re-armed when
//! the condition resets), even when two refreshers check it together, and
//! its notification names the quote's source and age. Caps hold under
//! parallel requests; everything is in the export and goes with the
//! account. On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use auravest_reference_server::prices::RefreshedQuote;
use auravest_reference_server::services::alerts::check;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::support::{TestApp, TestOptions, on_both_backends};

fn quote(price: &str, at: DateTime<Utc>) -> BTreeMap<String, RefreshedQuote> {
    BTreeMap::from([(
        "AAPL".to_owned(),
        RefreshedQuote {
            price: price.to_owned(),
            market_time: at,
            source: "yahoo".to_owned(),
        },
    )])
}

async fn notifications(app: &TestApp, token: &str) -> Vec<String> {
    let (s, b) = app
        .json(
            "GET",
            "/api/v1/community/notifications",
            Some(token),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn watchlists_and_rules(app: TestApp) {
    let u = app.user("alerts@example.com").await;
    let other = app.user("alerts-other@example.com").await;
    let t = Some(u.access.as_str());
    // The watchlist: the sample's price is fetched when added.
    let (s, b) = app
        .json("PUT", "/api/v1/watchlist/aapl", t, Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["items"][0]["symbol"], "AAPL");
    assert!(b["items"][0]["price"].is_string(), "{b}");
    assert!(b["items"][0]["source"].is_string(), "{b}");
    let (s, b) = app
        .json("PUT", "/api/v1/watchlist/AAPL", t, Value::Null)
        .await;
    assert_eq!(
        (s, b["items"].as_array().unwrap().len()),
        (StatusCode::OK, 1),
        "twice is once"
    );
    for bad in ["..%2Fetc", "A%20B", &"X".repeat(40)] {
        let (s, b) = app
            .json("PUT", &format!("/api/v1/watchlist/{bad}"), t, Value::Null)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        assert!(b["error"]["fields"]["symbol"].is_string(), "{b}");
    }
    // Rules: checked by the SDK, errors name the field.
    for (body, field) in [
        (
            json!({"symbol": "AAPL", "kind": "sideways", "value": "1"}),
            "kind",
        ),
        (
            json!({"symbol": "AAPL", "kind": "above", "value": "lots"}),
            "value",
        ),
        (
            json!({"symbol": "AAPL", "kind": "above", "value": "-5"}),
            "value",
        ),
        (
            json!({"symbol": "AAPL", "kind": "moved", "value": "0"}),
            "value",
        ),
        (
            json!({"symbol": "AAPL", "kind": "moved", "value": "250"}),
            "value",
        ),
        (
            json!({"symbol": "$$$", "kind": "above", "value": "5"}),
            "symbol",
        ),
    ] {
        let (s, b) = app.json("POST", "/api/v1/alerts", t, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert!(b["error"]["fields"][field].is_string(), "{body}: {b}");
    }
    let (s, rule) = app
        .json(
            "POST",
            "/api/v1/alerts",
            t,
            json!({"symbol": "aapl", "kind": "above", "value": "200"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rule}");
    assert_eq!(rule["description"], "$AAPL rises above 200");
    assert_eq!(rule["armed"], true);
    let id = rule["id"].as_str().unwrap().to_owned();
    let (_, list) = app.json("GET", "/api/v1/alerts", t, Value::Null).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Another user's rule is as unknown as a made-up one.
    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/alerts/{id}"),
            Some(&other.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Fires once per crossing: 190 quiet, 201 fires, 205 quiet, 199 re-arms,
    // 202 fires again.
    let t0: DateTime<Utc> = "2026-12-07T14:30:00Z".parse().unwrap();
    let now = t0 + Duration::minutes(15);
    let mut fired = Vec::new();
    for price in ["190", "201", "205", "199", "202"] {
        fired.push(
            check(&app.state, &quote(price, t0), now)
                .await
                .unwrap()
                .fired,
        );
    }
    assert_eq!(fired, [0, 1, 0, 0, 1]);
    let texts = notifications(&app, &u.access).await;
    assert_eq!(
        texts,
        [
            "$AAPL rose above 200 (now 202; yahoo quote of 2026-12-07 14:30 UTC, 15 minutes old)",
            "$AAPL rose above 200 (now 201; yahoo quote of 2026-12-07 14:30 UTC, 15 minutes old)",
        ]
    );
    let (_, list) = app.json("GET", "/api/v1/alerts", t, Value::Null).await;
    assert_eq!(list[0]["armed"], false, "{list}");
    assert!(list[0]["fired_at"].is_string());
    assert!(notifications(&app, &other.access).await.is_empty());

    // Two refreshers checking at once: one alert.
    check(&app.state, &quote("150", t0), now).await.unwrap();
    let high = quote("250", t0);
    let (a, b) = tokio::join!(check(&app.state, &high, now), check(&app.state, &high, now));
    assert_eq!(a.unwrap().fired + b.unwrap().fired, 1);
    assert_eq!(notifications(&app, &u.access).await.len(), 3);

    // In the export; gone with the account.
    let (s, export) = app.json("GET", "/api/v1/me/export", t, Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(export["watchlist"], json!(["AAPL"]));
    assert_eq!(export["alerts"][0]["id"], id.as_str());
    let (s, _) = app
        .json("DELETE", "/api/v1/watchlist/AAPL", t, Value::Null)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .json("DELETE", "/api/v1/watchlist/AAPL", t, Value::Null)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .json("DELETE", "/api/v1/me?posts=delete", t, Value::Null)
        .await;
    assert!(s.is_success(), "{s}");
    let mine = app
        .state
        .store
        .alerts_on(&["AAPL".to_owned()])
        .await
        .unwrap();
    assert!(mine.is_empty(), "{mine:?}");
}

on_both_backends!(
    watchlists_and_rules_on_sqlite,
    watchlists_and_rules_on_postgres,
    watchlists_and_rules,
    TestOptions::default()
);

/// N parallel additions against the plan's caps: never past them; Plus
/// has more, and alerts on a day's move.
async fn caps_hold_in_parallel(app: TestApp) {
    let u = app.user("alerts-caps@example.com").await;
    let (_, plans) = app
        .json("GET", "/api/v1/plans", Some(&u.access), Value::Null)
        .await;
    assert_eq!(plans["current"], "free", "{plans}");
    let free = &plans["plans"][0];
    let (watch_cap, rule_cap) = (
        usize::try_from(free["watchlist_symbols"].as_u64().unwrap()).unwrap(),
        usize::try_from(free["alert_rules"].as_u64().unwrap()).unwrap(),
    );
    let n = watch_cap + 10;
    let watch = futures_util::future::join_all((0..n).map(|i| {
        let (app, token) = (&app, u.access.clone());
        async move {
            app.json(
                "PUT",
                &format!("/api/v1/watchlist/W{i:03}"),
                Some(&token),
                Value::Null,
            )
            .await
        }
    }))
    .await;
    let ok = watch.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let full: Vec<&Value> = watch
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .map(|(_, b)| b)
        .collect();
    assert_eq!((ok, full.len()), (watch_cap, 10), "{watch:?}");
    assert!(
        full[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("your plan"),
        "{}",
        full[0]
    );
    let id: uuid::Uuid = u.id.parse().unwrap();
    assert_eq!(
        app.state.store.watchlist(id).await.unwrap().len(),
        watch_cap
    );
    let rules = futures_util::future::join_all((0..rule_cap + 5).map(|i| {
        let (app, token) = (&app, u.access.clone());
        async move {
            app.json(
                "POST",
                "/api/v1/alerts",
                Some(&token),
                json!({"symbol": "AAPL", "kind": "above", "value": format!("{}", 100 + i)}),
            )
            .await
            .0
        }
    }))
    .await;
    let ok = rules.iter().filter(|s| **s == StatusCode::CREATED).count();
    let full = rules.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((ok, full), (rule_cap, 5), "{rules:?}");
    assert_eq!(app.state.store.alerts(id).await.unwrap().len(), rule_cap);
    // A day's move is a Plus feature.
    let moved = json!({"symbol": "AAPL", "kind": "moved", "value": "-5"});
    let (s, b) = app
        .json("POST", "/api/v1/alerts", Some(&u.access), moved.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AuraVest Plus"),
        "{b}"
    );
    // On Plus: more rules, and moves.
    app.state
        .store
        .set_tier(id, "plus", Utc::now())
        .await
        .unwrap();
    let (_, plans) = app
        .json("GET", "/api/v1/plans", Some(&u.access), Value::Null)
        .await;
    assert_eq!(plans["current"], "plus");
    let (s, b) = app
        .json("POST", "/api/v1/alerts", Some(&u.access), moved)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Back on the free plan the move rule waits; on Plus again it fires.
    let crash = BTreeMap::from([(
        "AAPL".to_owned(),
        RefreshedQuote {
            price: "80".to_owned(),
            market_time: "2018-04-12T15:00:00Z".parse().unwrap(),
            source: "yahoo".to_owned(),
        },
    )]);
    let later: DateTime<Utc> = "2018-04-12T15:10:00Z".parse().unwrap();
    app.state
        .store
        .set_tier(id, "free", Utc::now())
        .await
        .unwrap();
    assert_eq!(check(&app.state, &crash, later).await.unwrap().fired, 0);
    app.state
        .store
        .set_tier(id, "plus", Utc::now())
        .await
        .unwrap();
    assert_eq!(check(&app.state, &crash, later).await.unwrap().fired, 1);
    let (_, usage) = app
        .json("GET", "/api/v1/me/usage", Some(&u.access), Value::Null)
        .await;
    assert_eq!(
        usage["usage"]["ai_questions"]["limit"], plans["plans"][1]["ai_questions_per_day"],
        "{usage}"
    );
    // "Notify me" is kept once, however often it is asked at once.
    let asks = futures_util::future::join_all((0..6).map(|_| {
        app.json(
            "POST",
            "/api/v1/plans/plus/notify",
            Some(&u.access),
            Value::Null,
        )
    }))
    .await;
    assert!(
        asks.iter()
            .all(|(s, b)| *s == StatusCode::OK && b["notify_me"] == true),
        "{asks:?}"
    );
    let audited = app.state.store.audit_rows(500).await.unwrap();
    let noted = audited
        .iter()
        .filter(|a| a.entry.detail.get("notify_me").is_some())
        .count();
    assert_eq!(noted, 1);
}

on_both_backends!(
    alert_caps_hold_in_parallel_on_sqlite,
    alert_caps_hold_in_parallel_on_postgres,
    caps_hold_in_parallel,
    TestOptions::default()
);

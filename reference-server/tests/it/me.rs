//! Tests: me.

use auravest_core::TransactionRecord;
use auravest_reference_server::store::{AuditAction, GoalRecord, PortfolioRecord, RiskRecord};
use axum::http::{StatusCode, header};
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{PASSWORD, TestApp, TestOptions, TestUser, app, on_both_backends, request};

fn field_names(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn tx(
    date: &str,
    kind: &str,
    symbol: Option<&str>,
    quantity: Option<&str>,
    price: &str,
) -> TransactionRecord {
    TransactionRecord {
        date: date.to_owned(),
        kind: kind.to_owned(),
        symbol: symbol.map(str::to_owned),
        quantity: quantity.map(str::to_owned),
        price: Some(price.to_owned()),
        fee: Some("0".to_owned()),
        currency: "USD".to_owned(),
    }
}

/// Stores a portfolio with two transactions, a goal, a risk profile, usage
/// and feedback for the user, all named after `tag`.
async fn seed(t: &TestApp, u: &TestUser, tag: &str) -> Uuid {
    let store = &t.state.store;
    let user_id: Uuid = u.id.parse().unwrap();
    let now = Utc::now();
    let pid = Uuid::new_v4();
    store
        .create_portfolio(&PortfolioRecord {
            id: pid,
            user_id,
            name: format!("{tag}-portfolio"),
            currency: "USD".to_owned(),
            created_at: now,
            version: 0,
        })
        .await
        .unwrap();
    store
        .insert_transactions(
            pid,
            &[
                tx("2024-01-02", "deposit", None, None, "2000"),
                tx("2024-01-03", "buy", Some("AAPL"), Some("10"), "100"),
            ],
        )
        .await
        .unwrap();
    store
        .create_goal(&GoalRecord {
            id: Uuid::new_v4(),
            user_id,
            name: format!("{tag}-goal"),
            target: "10000".to_owned(),
            by: None,
            monthly_contribution: Some("100".to_owned()),
            expected_return: Some(0.05),
            created_at: now,
        })
        .await
        .unwrap();
    store
        .insert_risk(&RiskRecord {
            id: Uuid::new_v4(),
            user_id,
            answers: json!({"tag": tag}),
            profile: json!({"category": "balanced"}),
            created_at: now,
        })
        .await
        .unwrap();
    let answer = Uuid::new_v4();
    assert!(
        store
            .insert_answer(answer, user_id, now, "{}")
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_feedback(&auravest_reference_server::store::FeedbackRow {
                answer_id: answer,
                kind: "helpful".to_owned(),
                note: None,
                at: now,
            })
            .await
            .unwrap()
    );
    store
        .increment_usage(user_id, now.date_naive(), "ai_questions")
        .await
        .unwrap();
    assert!(
        store
            .set_checklist_item(user_id, "compounding", Some(now))
            .await
            .unwrap()
    );
    let (s, b) = t
        .json(
            "POST",
            "/api/v1/community/posts",
            Some(&u.access),
            json!({"text": format!("{tag}-post about $KO")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    pid
}

#[tokio::test]
async fn me_shows_the_profile_with_the_email_decrypted() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let (s, b) = t
        .json("GET", "/api/v1/me", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["id"], u.id.as_str());
    assert_eq!(b["email"], u.email.as_str());
    assert_eq!(b["role"], "user");
    assert_eq!(b["display_mode"], "percent");
    assert_eq!(b["share_performance"], false);
    assert!(b["alias"].as_str().unwrap().starts_with("investor-"));
    assert!(b["dashboard"].as_array().is_some_and(|d| !d.is_empty()));
    assert!(b["terms_version"].is_string() && b["created_at"].is_string());
}

#[tokio::test]
async fn patch_changes_only_the_given_fields() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let (s, b) = t
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&u.access),
            json!({"alias": "ana_invests", "display_mode": "hidden", "dashboard": ["goals", "valuation"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["alias"], "ana_invests");
    assert_eq!(b["display_mode"], "hidden");
    assert_eq!(b["dashboard"], json!(["goals", "valuation"]));
    assert_eq!(b["share_performance"], false);
    let (s, b) = t
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&u.access),
            json!({"share_performance": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["alias"], "ana_invests");
    assert_eq!(b["share_performance"], true);
    let (_, b) = t
        .json("GET", "/api/v1/me", Some(&u.access), Value::Null)
        .await;
    assert_eq!(b["display_mode"], "hidden");
}

#[tokio::test]
async fn bad_patch_fields_are_named() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"alias": "x"}), "alias"),
        (json!({"alias": "9lives"}), "alias"),
        (json!({"alias": "Ana"}), "alias"),
        (json!({"alias": "a".repeat(31)}), "alias"),
        (json!({"display_mode": "absolute"}), "display_mode"),
        (json!({"theme": "neon"}), "theme"),
        (json!({"theme": "Dark"}), "theme"),
        (json!({"theme": 1}), "theme"),
        (json!({"share_performance": "yes"}), "share_performance"),
        (json!({"dashboard": ["goals", "tickers"]}), "dashboard[1]"),
        (json!({"dashboard": ["goals", "goals"]}), "dashboard[1]"),
        (json!({"dashboard": "goals"}), "dashboard"),
        (json!({"email": "new@example.org"}), "email"),
        (json!({"role": "admin"}), "role"),
    ];
    for (body, field) in cases {
        let (s, b) = t
            .json("PATCH", "/api/v1/me", Some(&u.access), body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(field_names(&b), [field], "{body}: {b}");
    }
    let (_, b) = t
        .json("GET", "/api/v1/me", Some(&u.access), Value::Null)
        .await;
    assert_eq!(b["role"], "user");
    assert_eq!(b["email"], "ana@example.org");
}

/// A new account follows the device; the chosen theme is kept, survives
/// other changes, and anything but the three themes is refused by name.
async fn theme_scenario(t: TestApp) {
    let u = t.user("ana@example.org").await;
    let theme = async || {
        let (_, b) = t
            .json("GET", "/api/v1/me", Some(&u.access), Value::Null)
            .await;
        b["theme"].clone()
    };
    assert_eq!(theme().await, "system");
    for theme in ["dark", "light", "system", "dark"] {
        let (s, b) = t
            .json(
                "PATCH",
                "/api/v1/me",
                Some(&u.access),
                json!({"theme": theme}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["theme"], theme);
    }
    let (s, b) = t
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&u.access),
            json!({"share_performance": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["theme"], "dark");
    for bad in [json!("neon"), json!(""), json!(null), json!(["dark"])] {
        let body = json!({"theme": bad, "display_mode": "hidden"});
        let (s, b) = t
            .json("PATCH", "/api/v1/me", Some(&u.access), body.clone())
            .await;
        if bad.is_null() {
            // `null` is "no change", as for every optional field.
            assert_eq!(s, StatusCode::OK, "{body}: {b}");
            continue;
        }
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(field_names(&b), ["theme"], "{body}: {b}");
        assert_eq!(b["error"]["code"], "validation_failed", "{b}");
    }
    assert_eq!(theme().await, "dark");
}

on_both_backends!(
    theme_is_kept_and_checked_on_sqlite,
    theme_is_kept_and_checked_on_postgres,
    theme_scenario,
    TestOptions::default()
);

#[tokio::test]
async fn a_taken_alias_is_a_conflict() {
    let t = app().await;
    let a = t.user("ana@example.org").await;
    let b = t.user("ben@example.org").await;
    let (s, _) = t
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&a.access),
            json!({"alias": "shared-name"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = t
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&b.access),
            json!({"alias": "shared-name"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_holds_everything_of_the_caller_and_nothing_of_others() {
    let t = app().await;
    let a = t.user("ana@example.org").await;
    let b = t.user("ben@example.org").await;
    let pid = seed(&t, &a, "ana").await;
    seed(&t, &b, "ben").await;
    // Ana likes Ben's post: her like is hers to export, his text is not.
    let (_, feed) = t
        .json(
            "GET",
            "/api/v1/community/symbols/KO/posts",
            Some(&a.access),
            Value::Null,
        )
        .await;
    let bens = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["text"] == "ben-post about $KO")
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .expect("Ben's post");
    let (s, _) = t
        .json(
            "PUT",
            &format!("/api/v1/community/posts/{bens}/like"),
            Some(&a.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t
        .json("GET", "/api/v1/me/export", Some(&a.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["account"]["email"], "ana@example.org");
    assert_eq!(e["account"]["id"], a.id.as_str());
    assert!(e["terms_accepted_at"].is_string());
    let portfolios = e["portfolios"].as_array().unwrap();
    assert_eq!(portfolios.len(), 1);
    let p = &portfolios[0];
    assert_eq!(p["id"], pid.to_string());
    assert_eq!(p["name"], "ana-portfolio");
    assert_eq!(p["transactions"].as_array().unwrap().len(), 2);
    assert_eq!(p["transactions"][1]["symbol"], "AAPL");
    assert!(p["transactions"][1]["id"].is_string());
    let csv = p["transactions_csv"].as_str().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,type,symbol,quantity,price,fee,currency");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[2].starts_with("2024-01-03,buy,AAPL,10,100,"), "{csv}");
    // The CSV imports back with the SDK's reader.
    let parsed = auravest_core::io::read_transactions_csv(csv.as_bytes()).unwrap();
    assert!(parsed.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(e["goals"][0]["name"], "ana-goal");
    assert_eq!(e["risk_profiles"][0]["answers"]["tag"], "ana");
    assert_eq!(e["feedback"][0]["kind"], "helpful");
    let today = Utc::now().date_naive().to_string();
    assert_eq!(e["usage"][today.as_str()]["ai_questions"], 1);
    assert!(e["checklist"]["compounding"].is_string(), "{e}");
    let community = &e["community"];
    assert_eq!(
        community["posts"].as_array().unwrap().len(),
        1,
        "{community}"
    );
    assert_eq!(community["posts"][0]["text"], "ana-post about $KO");
    assert!(community["member"]["alias"].is_string(), "{community}");
    assert_eq!(community["likes"], json!([bens]), "{community}");
    assert_eq!(community["flags"], json!([]), "{community}");
    let text = e.to_string();
    for other in [
        "ben-portfolio",
        "ben-post",
        "ben-goal",
        "ben@example.org",
        "\"ben\"",
        &b.id,
    ] {
        assert!(!text.contains(other), "{other} in {text}");
    }
    let rows = format!("{:?}", t.state.store.audit_rows(100).await.unwrap());
    assert!(rows.contains("Export"), "{rows}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_removes_the_account_and_leaves_no_identity_in_the_audit_log() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    seed(&t, &u, "ana").await;
    let (_, me) = t
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&u.access),
            json!({"alias": "ana-unique-alias"}),
        )
        .await;
    assert_eq!(me["alias"], "ana-unique-alias");
    let (s, b) = t
        .json("DELETE", "/api/v1/me", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_names(&b), ["posts"]);
    let (s, b) = t
        .json(
            "DELETE",
            "/api/v1/me?posts=keep",
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_names(&b), ["posts"]);
    let (s, h, _) = t
        .call(request(
            "DELETE",
            "/api/v1/me?posts=anonymize",
            Some(&u.access),
            Value::Null,
        ))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let cleared: Vec<_> = h.get_all(header::SET_COOKIE).iter().collect();
    assert_eq!(cleared.len(), 3);
    let id: Uuid = u.id.parse().unwrap();
    assert!(t.state.store.user_data(id).await.unwrap().is_none());
    assert!(t.state.store.user(id).await.unwrap().is_none());
    let (s, _) = t
        .json("GET", "/api/v1/me", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = t
        .json(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = t
        .json(
            "POST",
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": u.refresh}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let rows = t.state.store.audit_rows(1000).await.unwrap();
    assert!(rows.iter().any(|r| r.entry.action == AuditAction::Deletion
        && r.entry.detail == json!({"posts": "anonymize"})));
    let text = format!("{rows:?}").to_lowercase();
    for secret in ["ana@example.org", "ana-unique-alias", &u.id] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
    // The address can be registered again.
    t.user("ana@example.org").await;
}

#[tokio::test]
async fn usage_shows_todays_counts_and_the_ai_limit() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let (s, b) = t
        .json("GET", "/api/v1/me/usage", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let today = Utc::now().date_naive().to_string();
    assert_eq!(b["day"], today.as_str());
    assert_eq!(b["usage"]["ai_questions"], json!({"used": 0, "limit": 5}));
    let id: Uuid = u.id.parse().unwrap();
    let day = Utc::now().date_naive();
    for kind in ["ai_questions", "ai_questions", "ai_summaries"] {
        t.state.store.increment_usage(id, day, kind).await.unwrap();
    }
    let (_, b) = t
        .json("GET", "/api/v1/me/usage", Some(&u.access), Value::Null)
        .await;
    assert_eq!(b["usage"]["ai_questions"], json!({"used": 2, "limit": 5}));
    assert_eq!(b["usage"]["ai_summaries"], json!({"used": 1}));
}

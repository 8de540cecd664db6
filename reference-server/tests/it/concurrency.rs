//! Every read-check-write path under N parallel requests, on SQLite and on
//! PostgreSQL: the requests are fired at once, then the invariant is
//! checked on what was answered and on what is stored.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::{
    PASSWORD, TestApp, TestOptions, TestUser, on_both_backends, portfolio, request,
};

/// Sends one request to the router; the body as JSON (or `Null`).
async fn send(router: Router, req: Request<Body>) -> (StatusCode, Value) {
    let res = router.oneshot(req).await.expect("infallible");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Fires `n` requests at once, each on its own task, and waits for all.
async fn fire(
    app: &TestApp,
    n: usize,
    make: impl Fn(usize) -> Request<Body>,
) -> Vec<(StatusCode, Value)> {
    let tasks: Vec<_> = (0..n)
        .map(|i| tokio::spawn(send(app.router.clone(), make(i))))
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

fn count(answers: &[(StatusCode, Value)], status: StatusCode) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

/// Every answer is one of `allowed`; the others are listed.
fn only(answers: &[(StatusCode, Value)], allowed: &[StatusCode]) {
    let odd: Vec<_> = answers
        .iter()
        .filter(|(s, _)| !allowed.contains(s))
        .collect();
    assert!(odd.is_empty(), "unexpected answers: {odd:?}");
}

fn limits() -> TestOptions {
    TestOptions::default()
        .var("AURAVEST_RATE_LIMIT_IP_PER_MINUTE", "100000")
        .var("AURAVEST_RATE_LIMIT_USER_PER_MINUTE", "100000")
        .var("AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE", "100000")
}

// --- ledger -------------------------------------------------------------------

const HOLDING: &str = "date,type,symbol,quantity,price,fee,currency\n\
    2017-01-03,deposit,,,10000,0,USD\n\
    2017-01-04,buy,AAPL,10,116,0,USD\n";

async fn holding_portfolio(app: &TestApp, u: &TestUser) -> String {
    let id = portfolio(app, u, "Ten shares").await;
    let (s, b) = app
        .csv(
            &format!("/api/v1/portfolios/{id}/transactions/import"),
            &u.access,
            HOLDING,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    id
}

/// Twenty parallel sales of the same ten shares: exactly one is stored, and
/// the portfolio stays readable and valued.
async fn one_sale_of_the_same_shares(app: TestApp) {
    let u = app.user("seller@example.com").await;
    let id = holding_portfolio(&app, &u).await;
    let path = format!("/api/v1/portfolios/{id}/transactions");
    let answers = fire(&app, 20, |_| {
        request(
            "POST",
            &path,
            Some(&u.access),
            json!({"date": "2017-02-01", "type": "sell", "symbol": "AAPL",
                   "quantity": "10", "price": "120", "currency": "USD"}),
        )
    })
    .await;
    only(
        &answers,
        &[StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY],
    );
    assert_eq!(count(&answers, StatusCode::CREATED), 1, "{answers:?}");
    // Read back from the database, not from the ledger the writes kept.
    app.state
        .ledgers
        .forget(uuid::Uuid::parse_str(&id).unwrap());
    let (s, rows) = app.json("GET", &path, Some(&u.access), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rows.as_array().unwrap().len(), 3, "{rows}");
    let (s, v) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/valuation"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["positions"].as_array().unwrap().len(), 0, "{v}");
}
on_both_backends!(
    parallel_sales_store_one_on_sqlite,
    parallel_sales_store_one_on_postgres,
    one_sale_of_the_same_shares,
    limits()
);

/// Parallel edits, deletions and imports on one portfolio: whatever wins,
/// the stored rows always form a valid ledger.
async fn mixed_ledger_changes_stay_valid(app: TestApp) {
    let u = app.user("mixer@example.com").await;
    let id = holding_portfolio(&app, &u).await;
    let base = format!("/api/v1/portfolios/{id}/transactions");
    let (_, rows) = app.json("GET", &base, Some(&u.access), Value::Null).await;
    let buy = rows[1]["id"].as_str().unwrap().to_owned();
    let sells = "date,type,symbol,quantity,price,fee,currency\n2017-03-01,sell,AAPL,6,120,0,USD\n";
    let answers = fire(&app, 16, |i| match i % 4 {
        // Sell 6 of the 10 (two of these would oversell).
        0 => Request::builder()
            .method("POST")
            .uri(format!("{base}/import"))
            .header(header::CONTENT_TYPE, "text/csv")
            .header(header::AUTHORIZATION, format!("Bearer {}", u.access))
            .body(Body::from(sells))
            .unwrap(),
        // Shrink the buy to 5 shares (then a 6-share sale is an oversale).
        1 => request(
            "PUT",
            &format!("{base}/{buy}"),
            Some(&u.access),
            json!({"date": "2017-01-04", "type": "buy", "symbol": "AAPL",
                   "quantity": "5", "price": "116", "currency": "USD"}),
        ),
        // Delete the buy (refused once a sale needs it).
        2 => request(
            "DELETE",
            &format!("{base}/{buy}"),
            Some(&u.access),
            Value::Null,
        ),
        _ => request(
            "POST",
            &base,
            Some(&u.access),
            json!({"date": "2017-04-01", "type": "sell", "symbol": "AAPL",
                   "quantity": "4", "price": "120", "currency": "USD"}),
        ),
    })
    .await;
    only(
        &answers,
        &[
            StatusCode::OK,
            StatusCode::CREATED,
            StatusCode::NO_CONTENT,
            StatusCode::NOT_FOUND,
            StatusCode::CONFLICT,
            StatusCode::UNPROCESSABLE_ENTITY,
        ],
    );
    // The stored ledger is valid: read back from the database, it values.
    app.state
        .ledgers
        .forget(uuid::Uuid::parse_str(&id).unwrap());
    let (s, v) = app
        .json(
            "GET",
            &format!("/api/v1/portfolios/{id}/valuation"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the ledger must stay valid: {v}");
}
on_both_backends!(
    mixed_ledger_changes_on_sqlite,
    mixed_ledger_changes_on_postgres,
    mixed_ledger_changes_stay_valid,
    limits()
);

// --- login lockout -------------------------------------------------------------

/// Thirty parallel wrong passwords: at most `max_failures` are checked, the
/// account ends locked, and more parallel failures never unlock it.
async fn parallel_guesses_lock(app: TestApp) {
    let u = app.user("target@example.com").await;
    let wrong = |_| {
        request(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"email": u.email, "password": "not-the-password-at-all"}),
        )
    };
    let answers = fire(&app, 30, wrong).await;
    only(
        &answers,
        &[StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS],
    );
    let checked = count(&answers, StatusCode::UNAUTHORIZED);
    assert_eq!(
        checked, 5,
        "{checked} passwords were checked; the limit is 5"
    );
    let right = json!({"email": u.email, "password": PASSWORD});
    let (s, b) = app
        .json("POST", "/api/v1/auth/login", None, right.clone())
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "still locked: {b}");
    // A second burst while locked checks nothing and keeps the lock.
    let answers = fire(&app, 10, wrong).await;
    assert_eq!(
        count(&answers, StatusCode::TOO_MANY_REQUESTS),
        10,
        "{answers:?}"
    );
    let (s, _) = app.json("POST", "/api/v1/auth/login", None, right).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}
on_both_backends!(
    parallel_guesses_lock_on_sqlite,
    parallel_guesses_lock_on_postgres,
    parallel_guesses_lock,
    limits()
);

// --- quotas --------------------------------------------------------------------

/// Fifteen parallel questions with a daily limit of five: five answers.
async fn ask_quota_holds(app: TestApp) {
    let u = app.user("curious@example.com").await;
    let answers = fire(&app, 15, |_| {
        request(
            "POST",
            "/api/v1/ask",
            Some(&u.access),
            json!({"question": "What is diversification?"}),
        )
    })
    .await;
    only(&answers, &[StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
    assert_eq!(count(&answers, StatusCode::OK), 5, "{answers:?}");
    let (s, usage) = app
        .json("GET", "/api/v1/me/usage", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(usage["usage"]["ai_questions"]["used"], 5, "{usage}");
}
on_both_backends!(
    ask_quota_on_sqlite,
    ask_quota_on_postgres,
    ask_quota_holds,
    TestOptions {
        ai: true,
        ..limits().var("AURAVEST_AI_DAILY_LIMIT", "5")
    }
);

/// The server's question meter passes the SDK's `UsageMeter` conformance
/// suite (limit, refunds, independence, twenty parallel consumes against a
/// limit of five) on the real database.
async fn store_usage_conforms(app: TestApp) {
    let a = app.user("meter-a@example.com").await;
    let b = app.user("meter-b@example.com").await;
    let meter = auravest_reference_server::services::metering::StoreUsage::new(
        std::sync::Arc::clone(&app.state.store),
    );
    auravest_ai::store::conformance::usage_meter(
        &meter,
        [&a.id.to_string(), &b.id.to_string()],
        20,
    )
    .await;
}
on_both_backends!(
    store_usage_conforms_on_sqlite,
    store_usage_conforms_on_postgres,
    store_usage_conforms,
    limits()
);

/// The assistant's answer log and feedback store on the database pass the
/// SDK's `AuditLog` and `FeedbackStore` conformance suites.
async fn store_audit_and_feedback_conform(app: TestApp) {
    use auravest_ai::store::AuditLog as _;
    use auravest_reference_server::services::metering::{StoreAudit, StoreFeedback};
    let a = app.user("audit-a@example.com").await;
    let store = std::sync::Arc::clone(&app.state.store);
    let ids = [
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    ];
    let log = StoreAudit::new(std::sync::Arc::clone(&store));
    auravest_ai::store::conformance::audit_log(&log, [&ids[0], &ids[1]], &a.id.to_string()).await;
    // Feedback hangs on recorded answers: record two more.
    let fresh = [
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    ];
    for id in &fresh {
        let mut record = log.get(&ids[0]).await.unwrap().expect("recorded");
        record.answer_id.clone_from(id);
        auravest_ai::store::AuditLog::append(&log, record)
            .await
            .unwrap();
    }
    auravest_ai::store::conformance::feedback_store(
        &StoreFeedback::new(store),
        [&fresh[0], &fresh[1]],
    )
    .await;
}
on_both_backends!(
    store_audit_and_feedback_conform_on_sqlite,
    store_audit_and_feedback_conform_on_postgres,
    store_audit_and_feedback_conform,
    limits()
);

/// Forty ratings of one answer in parallel: the latest twenty are kept.
async fn ratings_per_answer_are_capped(app: TestApp) {
    use auravest_reference_server::store::{FeedbackRow, MAX_RATINGS_PER_ANSWER};
    let u = app.user("rater@example.com").await;
    let user_id = uuid::Uuid::parse_str(&u.id).unwrap();
    let answer = uuid::Uuid::new_v4();
    let store = std::sync::Arc::clone(&app.state.store);
    assert!(
        store
            .insert_answer(answer, user_id, chrono::Utc::now(), "{}")
            .await
            .unwrap()
    );
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .insert_feedback(&FeedbackRow {
                        answer_id: answer,
                        kind: "helpful".to_owned(),
                        note: Some(format!("rating {i}")),
                        at: chrono::Utc::now(),
                    })
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap().unwrap(), "the answer exists");
    }
    let kept = store.feedback(answer).await.unwrap();
    assert_eq!(i64::try_from(kept.len()).unwrap(), MAX_RATINGS_PER_ANSWER);
}
on_both_backends!(
    ratings_capped_on_sqlite,
    ratings_capped_on_postgres,
    ratings_per_answer_are_capped,
    limits()
);

/// Eighty parallel goals against a limit of fifty: fifty stored.
async fn goal_limit_holds(app: TestApp) {
    let u = app.user("planner@example.com").await;
    let answers = fire(&app, 80, |i| {
        request(
            "POST",
            "/api/v1/goals",
            Some(&u.access),
            json!({"name": format!("Goal {i}"), "target": "1000"}),
        )
    })
    .await;
    only(&answers, &[StatusCode::CREATED, StatusCode::CONFLICT]);
    assert_eq!(count(&answers, StatusCode::CREATED), 50);
    let (_, goals) = app
        .json("GET", "/api/v1/goals", Some(&u.access), Value::Null)
        .await;
    assert_eq!(goals.as_array().unwrap().len(), 50);
}
on_both_backends!(
    goal_limit_on_sqlite,
    goal_limit_on_postgres,
    goal_limit_holds,
    limits()
);

/// Thirty parallel portfolios against a limit of twenty: twenty stored.
async fn portfolio_limit_holds(app: TestApp) {
    let u = app.user("collector@example.com").await;
    let answers = fire(&app, 30, |i| {
        request(
            "POST",
            "/api/v1/portfolios",
            Some(&u.access),
            json!({"name": format!("Portfolio {i}")}),
        )
    })
    .await;
    only(&answers, &[StatusCode::CREATED, StatusCode::CONFLICT]);
    assert_eq!(count(&answers, StatusCode::CREATED), 20);
    let (_, list) = app
        .json("GET", "/api/v1/portfolios", Some(&u.access), Value::Null)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 20);
}
on_both_backends!(
    portfolio_limit_on_sqlite,
    portfolio_limit_on_postgres,
    portfolio_limit_holds,
    limits()
);

// --- tokens and aliases ----------------------------------------------------------

/// Ten parallel refreshes of one token: at most one new pair.
async fn one_refresh_per_token(app: TestApp) {
    let u = app.user("tabs@example.com").await;
    let answers = fire(&app, 10, |_| {
        request(
            "POST",
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": u.refresh}),
        )
    })
    .await;
    only(&answers, &[StatusCode::OK, StatusCode::UNAUTHORIZED]);
    assert_eq!(count(&answers, StatusCode::OK), 1, "{answers:?}");
}
on_both_backends!(
    one_refresh_per_token_on_sqlite,
    one_refresh_per_token_on_postgres,
    one_refresh_per_token,
    limits()
);

/// Ten users claim one alias at once: one gets it.
async fn one_alias_claim_wins(app: TestApp) {
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(app.user(&format!("claimant{i}@example.com")).await);
    }
    let answers = fire(&app, 10, |i| {
        request(
            "PATCH",
            "/api/v1/me",
            Some(&users[i].access),
            json!({"alias": "steady_saver"}),
        )
    })
    .await;
    only(&answers, &[StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(count(&answers, StatusCode::OK), 1, "{answers:?}");
}
on_both_backends!(
    one_alias_claim_on_sqlite,
    one_alias_claim_on_postgres,
    one_alias_claim_wins,
    limits()
);

// --- community ------------------------------------------------------------------

async fn post(app: &TestApp, u: &TestUser, text: &str) -> String {
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/community/posts",
            Some(&u.access),
            json!({"text": text}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("post id").to_owned()
}

/// Likes and follows sent twenty times at once count once.
async fn likes_and_follows_count_once(app: TestApp) {
    let author = app.user("author@example.com").await;
    let fan = app.user("fan@example.com").await;
    let id = post(
        &app,
        &author,
        "Rebalancing once a year keeps my costs down.",
    )
    .await;
    let answers = fire(&app, 20, |_| {
        request(
            "PUT",
            &format!("/api/v1/community/posts/{id}/like"),
            Some(&fan.access),
            Value::Null,
        )
    })
    .await;
    only(&answers, &[StatusCode::OK]);
    let (_, view) = app
        .json(
            "GET",
            &format!("/api/v1/community/posts/{id}"),
            Some(&fan.access),
            Value::Null,
        )
        .await;
    assert_eq!(view["likes"], 1, "{view}");
    let (_, me) = app
        .json("GET", "/api/v1/me", Some(&author.access), Value::Null)
        .await;
    let alias = me["alias"].as_str().unwrap().replace('-', "_");
    let answers = fire(&app, 20, |_| {
        request(
            "PUT",
            &format!("/api/v1/community/members/{alias}/follow"),
            Some(&fan.access),
            Value::Null,
        )
    })
    .await;
    only(&answers, &[StatusCode::OK, StatusCode::NO_CONTENT]);
    let (_, profile) = app
        .json(
            "GET",
            &format!("/api/v1/community/members/{alias}"),
            Some(&fan.access),
            Value::Null,
        )
        .await;
    assert_eq!(profile["followers"], 1, "{profile}");
    let (_, notes) = app
        .json(
            "GET",
            "/api/v1/community/notifications",
            Some(&author.access),
            Value::Null,
        )
        .await;
    let follows = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.to_string().to_lowercase().contains("follow"))
        .count();
    assert_eq!(follows, 1, "one follow, one notification: {notes}");
}
on_both_backends!(
    likes_and_follows_on_sqlite,
    likes_and_follows_on_postgres,
    likes_and_follows_count_once,
    limits()
);

/// Ten posts at once from one member: the per-minute limit (three) holds.
async fn posting_limit_holds(app: TestApp) {
    let u = app.user("chatty@example.com").await;
    let answers = fire(&app, 10, |i| {
        request(
            "POST",
            "/api/v1/community/posts",
            Some(&u.access),
            json!({"text": format!("Thought number {i} about index funds and fees.")}),
        )
    })
    .await;
    only(
        &answers,
        &[StatusCode::CREATED, StatusCode::TOO_MANY_REQUESTS],
    );
    assert_eq!(count(&answers, StatusCode::CREATED), 3, "{answers:?}");
}
on_both_backends!(
    posting_limit_on_sqlite,
    posting_limit_on_postgres,
    posting_limit_holds,
    limits()
);

/// Five members flag one post at once: it is hidden, and its author is told
/// once.
async fn flags_hide_once(app: TestApp) {
    let author = app.user("flagged@example.com").await;
    let id = post(&app, &author, "My hot take on dividend stocks this year.").await;
    let mut flaggers = Vec::new();
    for i in 0..5 {
        flaggers.push(app.user(&format!("flagger{i}@example.com")).await);
    }
    let answers = fire(&app, 5, |i| {
        request(
            "POST",
            &format!("/api/v1/community/posts/{id}/flags"),
            Some(&flaggers[i].access),
            json!({"reason": "spam"}),
        )
    })
    .await;
    // Once hidden, the post is no longer there for the later flaggers.
    only(
        &answers,
        &[StatusCode::OK, StatusCode::CREATED, StatusCode::NOT_FOUND],
    );
    let (_, notes) = app
        .json(
            "GET",
            "/api/v1/community/notifications",
            Some(&author.access),
            Value::Null,
        )
        .await;
    let hidden = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.to_string().to_lowercase().contains("hidden"))
        .count();
    assert_eq!(hidden, 1, "told once: {notes}");
}
on_both_backends!(
    flags_hide_once_on_sqlite,
    flags_hide_once_on_postgres,
    flags_hide_once,
    limits()
);

/// An account deleted while its community requests run leaves no member
/// behind: nothing of it can be found afterwards.
async fn deletion_races_member_creation(app: TestApp) {
    let u = app.user("leaver@example.com").await;
    let mut answers = fire(&app, 12, |i| {
        if i == 6 {
            request(
                "DELETE",
                "/api/v1/me?posts=delete",
                Some(&u.access),
                Value::Null,
            )
        } else {
            request(
                "GET",
                "/api/v1/community/feed",
                Some(&u.access),
                Value::Null,
            )
        }
    })
    .await;
    let deleted = answers.remove(6);
    assert_eq!(deleted.0, StatusCode::NO_CONTENT, "{deleted:?}");
    only(&answers, &[StatusCode::OK, StatusCode::UNAUTHORIZED]);
    let uid = uuid::Uuid::parse_str(&u.id).unwrap();
    let linked = auravest_reference_server::services::community::with_community(
        &app.state,
        async move |c| c.store().account(uid).await,
    )
    .await
    .unwrap();
    assert_eq!(linked, None, "no member may outlive its account");
}
on_both_backends!(
    deletion_races_member_on_sqlite,
    deletion_races_member_on_postgres,
    deletion_races_member_creation,
    limits()
);

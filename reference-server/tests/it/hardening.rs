//! What an attacker or an impatient user tries: a ledger left invalid,
//! malformed paths and queries, panics, slow clients, a database or Redis
//! that goes away, erased data read back from the file, and the audit log
//! rewritten by the server's own role.

use std::sync::Arc;
use std::time::{Duration, Instant};

use auravest_core::TransactionRecord;
use auravest_reference_server::Config;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{
    Proxy, TestApp, TestDatabase, TestOptions, app_with, on_both_backends, portfolio, request,
    url_addr, with_database,
};

fn record(date: &str, kind: &str, qty: &str) -> TransactionRecord {
    TransactionRecord {
        date: date.to_owned(),
        kind: kind.to_owned(),
        symbol: Some("AAPL".to_owned()),
        quantity: Some(qty.to_owned()),
        price: Some("100".to_owned()),
        fee: None,
        currency: "USD".to_owned(),
    }
}

// --- a ledger left invalid ------------------------------------------------------

/// Rows that no longer form a valid ledger (written past the API) stay
/// listable, the rest of the product says what to repair (409, not 500),
/// and deleting the offending row repairs it.
async fn broken_ledger_can_be_repaired(app: TestApp) {
    let u = app.user("repair@example.com").await;
    let id = portfolio(&app, &u, "Broken").await;
    let pid = uuid::Uuid::parse_str(&id).unwrap();
    let mut deposit = record("2017-01-02", "deposit", "");
    deposit.symbol = None;
    deposit.quantity = None;
    deposit.price = Some("10000".to_owned());
    app.state
        .store
        .insert_transactions(
            pid,
            &[
                deposit,
                record("2017-01-03", "buy", "10"),
                record("2017-01-04", "sell", "10"),
                record("2017-01-05", "sell", "10"),
            ],
        )
        .await
        .unwrap();
    let base = format!("/api/v1/portfolios/{id}");
    let (s, rows) = app
        .json(
            "GET",
            &format!("{base}/transactions"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let rows = rows.as_array().unwrap().clone();
    assert_eq!(rows.len(), 4);
    let bad = rows[3]["id"].as_str().unwrap().to_owned();
    for route in ["valuation", "performance", "insights"] {
        let (s, b) = app
            .json(
                "GET",
                &format!("{base}/{route}"),
                Some(&u.access),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{route}: {b}");
        assert!(
            b["error"]["message"].as_str().unwrap().contains(&bad),
            "the message names the row to repair: {b}"
        );
    }
    // A new sale cannot be added to a broken ledger.
    let (s, _) = app
        .json(
            "POST",
            &format!("{base}/transactions"),
            Some(&u.access),
            json!({"date": "2017-02-01", "type": "deposit", "price": "1", "currency": "USD"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Deleting the offending row repairs it.
    let (s, b) = app
        .json(
            "DELETE",
            &format!("{base}/transactions/{bad}"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, v) = app
        .json(
            "GET",
            &format!("{base}/valuation"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The community and the badges never broke meanwhile.
    let (s, _) = app
        .json("GET", "/api/v1/badges", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
}
on_both_backends!(
    broken_ledger_repair_on_sqlite,
    broken_ledger_repair_on_postgres,
    broken_ledger_can_be_repaired,
    TestOptions::default()
);

// --- sizes and pages --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_come_in_pages_and_portfolios_have_a_size_limit() {
    let app = app_with(TestOptions::default()).await;
    let u = app.user("pages@example.com").await;
    let id = portfolio(&app, &u, "Big").await;
    let pid = uuid::Uuid::parse_str(&id).unwrap();
    let mut deposit = record("2017-01-02", "deposit", "");
    deposit.symbol = None;
    deposit.quantity = None;
    deposit.price = Some("100000000".to_owned());
    let mut rows = vec![deposit];
    rows.extend(
        (1..auravest_reference_server::ledger::MAX_LEDGER_ROWS)
            .map(|_| record("2017-01-03", "buy", "1")),
    );
    app.state
        .store
        .insert_transactions(pid, &rows)
        .await
        .unwrap();
    let base = format!("/api/v1/portfolios/{id}/transactions");
    // Full: one more row is refused, naming the limit.
    let (s, b) = app
        .json(
            "POST",
            &base,
            Some(&u.access),
            json!({"date": "2017-01-04", "type": "buy", "symbol": "AAPL",
                   "quantity": "1", "price": "100", "currency": "USD"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(
        b["error"]["fields"]["transactions"]
            .as_str()
            .unwrap()
            .contains("50000")
    );
    // Pages: 1,000 at most, the total and the next page in headers.
    let (s, h, page) = app
        .call(request(
            "GET",
            &format!("{base}?limit=1000&offset=49500"),
            Some(&u.access),
            Value::Null,
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page.as_array().unwrap().len(), 500);
    assert_eq!(h["x-total-count"], "50000");
    assert!(h.get(header::LINK).is_none(), "the last page has no next");
    let (_, h, page) = app
        .call(request(
            "GET",
            &format!("{base}?limit=10"),
            Some(&u.access),
            Value::Null,
        ))
        .await;
    assert_eq!(page.as_array().unwrap().len(), 10);
    assert!(
        h[header::LINK].to_str().unwrap().contains("offset=10"),
        "{h:?}"
    );
    let (s, b) = app
        .json(
            "GET",
            &format!("{base}?limit=1001"),
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // An import over the per-import limit is refused whole.
    let other = portfolio(&app, &u, "Other").await;
    let mut csv = String::from("date,type,symbol,quantity,price,fee,currency\n");
    for _ in 0..=auravest_reference_server::services::portfolio::MAX_IMPORT_ROWS {
        csv.push_str("2017-01-02,deposit,,,1,0,USD\n");
    }
    let (s, b) = app
        .csv(
            &format!("/api/v1/portfolios/{other}/transactions/import"),
            &u.access,
            &csv,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
}

/// Big imports run off the async workers: while two of them validate
/// thousands of rows, `/health` still answers at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_imports_do_not_stall_the_server() {
    let app = Arc::new(
        app_with(
            TestOptions::default()
                .var("AURAVEST_RATE_LIMIT_IP_PER_MINUTE", "100000")
                .var("AURAVEST_RATE_LIMIT_USER_PER_MINUTE", "100000"),
        )
        .await,
    );
    let u = app.user("bulk@example.com").await;
    let mut csv = String::from("date,type,symbol,quantity,price,fee,currency\n");
    csv.push_str("2016-01-04,deposit,,,100000000,0,USD\n");
    for i in 0..9_999 {
        let day = 1 + i % 28;
        csv.push_str(&format!("2016-02-{day:02},buy,AAPL,1,100,0,USD\n"));
    }
    let mut imports = Vec::new();
    for n in 0..2 {
        let id = portfolio(&app, &u, &format!("Bulk {n}")).await;
        let (app, token, csv) = (Arc::clone(&app), u.access.clone(), csv.clone());
        imports.push(tokio::spawn(async move {
            let started = Instant::now();
            let (s, b) = app
                .csv(
                    &format!("/api/v1/portfolios/{id}/transactions/import"),
                    &token,
                    &csv,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            started.elapsed()
        }));
    }
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    while imports.iter().any(|t| !t.is_finished()) {
        let t = Instant::now();
        let (s, _) = app.json("GET", "/health", None, Value::Null).await;
        assert_eq!(s, StatusCode::OK);
        slowest = slowest.max(t.elapsed());
        probes += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        probes >= 5,
        "the imports were over before /health was asked ({probes})"
    );
    let mut took = Vec::new();
    for t in imports {
        took.push(t.await.unwrap());
    }
    // Blocked workers would hold /health for the whole validation (tens
    // of seconds in a debug build); a busy two-core machine may still take
    // a moment to schedule it.
    assert!(
        slowest < Duration::from_millis(1500),
        "/health took {slowest:?} while imports ran ({took:?})"
    );
}

// --- errors are JSON ----------------------------------------------------------------

#[tokio::test]
async fn malformed_paths_queries_and_methods_answer_json() {
    let app = app_with(TestOptions::default()).await;
    let u = app.user("typo@example.com").await;
    let id = portfolio(&app, &u, "Main").await;
    for (method, path, status) in [
        (
            "GET",
            "/api/v1/portfolios/not-a-uuid",
            StatusCode::BAD_REQUEST,
        ),
        (
            "DELETE",
            "/api/v1/portfolios/not-a-uuid/transactions/also-not",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            &format!("/api/v1/portfolios/{id}/transactions?limit=ten"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/api/v1/community/posts?limit=1&limit=2",
            StatusCode::BAD_REQUEST,
        ),
        ("PUT", "/api/v1/goals", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/api/v1/nothing-here", StatusCode::NOT_FOUND),
    ] {
        let (s, h, b) = app
            .call(request(method, path, Some(&u.access), Value::Null))
            .await;
        assert_eq!(s, status, "{method} {path}: {b}");
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{method} {path}: {h:?}"
        );
        assert!(b["error"]["code"].is_string(), "{method} {path}: {b}");
        assert!(b["error"]["message"].is_string(), "{method} {path}: {b}");
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert_eq!(b["error"]["code"], "method_not_allowed");
            assert!(h.contains_key(header::ALLOW), "{h:?}");
        }
    }
}

async fn call_router(
    router: &Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let res = router.clone().oneshot(req).await.expect("infallible");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn test_config() -> Config {
    let dir = std::env::temp_dir().join(format!("auravest-layers-{}", uuid::Uuid::new_v4()));
    Config::from_lookup(|k| match k {
        "AURAVEST_DATA_DIR" => Some(dir.display().to_string()),
        "AURAVEST_REQUEST_TIMEOUT_SECS" => Some("1".to_owned()),
        _ => None,
    })
    .expect("config")
}

#[tokio::test]
async fn a_panic_is_a_logged_json_500_with_the_request_id() {
    let router: Router = Router::new()
        .route(
            "/boom",
            get(|| async {
                let v: Vec<u8> = Vec::new();
                // Indexing past the end, as a bug would.
                #[allow(clippy::indexing_slicing)]
                let x = v[usize::from(v.is_empty())];
                x.to_string()
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        );
    let config = test_config();
    let router = auravest_reference_server::security::layers(router, &config);
    let (s, h, b) = call_router(&router, Request::get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(b["error"]["code"], "internal", "{b}");
    assert!(h.contains_key("x-request-id"), "{h:?}");
    // The whole-request limit: a 503 in the same shape.
    let started = Instant::now();
    let (s, _, b) = call_router(&router, Request::get("/slow").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    assert!(b["error"]["message"].is_string(), "{b}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

// --- slow clients --------------------------------------------------------------------

/// Slow clients from one address (connections that never finish their
/// headers) take at most their address's share of connections: the server
/// still answers everyone else at once, and closes them after the header
/// timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_take_the_server() {
    let app = app_with(
        TestOptions::default()
            .var("AURAVEST_MAX_CONNECTIONS", "50")
            .var("AURAVEST_MAX_CONNECTIONS_PER_IP", "20")
            .var("AURAVEST_HEADER_TIMEOUT_SECS", "2"),
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = app.state.config.serve_limits;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(auravest_reference_server::serve::serve(
        listener,
        app.router.clone(),
        None,
        limits,
        async {
            let _ = stop_rx.await;
        },
    ));
    // 300 connections from 127.0.0.2 that send half a request line.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        if let Ok(mut s) = socket.connect(addr).await {
            let _ = s.write_all(b"GET /health HT").await;
            slow.push(s);
        }
    }
    // Everyone else is served at once.
    let started = Instant::now();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(2), conn.read_to_string(&mut answer))
        .await
        .expect("/health answers while slow clients wait")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Past the address's share, the slow ones are closed at once.
    let mut refused = 0;
    for s in &mut slow {
        let mut buf = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(20), s.read(&mut buf)).await
        {
            refused += 1;
        }
    }
    assert!(refused >= 250, "only {refused} of 300 were refused at once");
    // The rest are closed after the header timeout.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let mut open = 0;
    for s in &mut slow {
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {}
            // A 408 before closing is fine too.
            Ok(Ok(n)) if String::from_utf8_lossy(&buf[..n]).contains("408") => {}
            _ => open += 1,
        }
    }
    assert_eq!(
        open, 0,
        "{open} slow connections still open after the header timeout"
    );
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

// --- dependencies that go away ---------------------------------------------------------

/// With Redis hanging, requests stay fast and the login limit still holds
/// (counted in the process instead of failing open).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_redis_keeps_limits_and_speed() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let target = url_addr(&url.replace("redis://", "redis://x@"));
    if tokio::net::TcpStream::connect(target).await.is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Redis at {target} is unreachable under CI"
        );
        eprintln!("skipped: Redis at {target} is unreachable");
        return;
    }
    let proxy = Proxy::start(target).await;
    let app = app_with(
        TestOptions::default()
            .var("REDIS_URL", &format!("redis://{}", proxy.addr))
            .var(
                "AURAVEST_REDIS_NAMESPACE",
                &format!("auravest-test-{}", uuid::Uuid::new_v4()),
            )
            .var("AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE", "10")
            // Only the limiter may refuse: no account lockout in the way.
            .var("AURAVEST_LOGIN_MAX_FAILURES", "1000"),
    )
    .await;
    let u = app.user("redis-down@example.com").await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let mut limited = 0;
    for _ in 0..15 {
        let (s, _) = app
            .json(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"email": u.email, "password": "wrong-password-here"}),
            )
            .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!(
        limited >= 5,
        "the login limit must hold without Redis ({limited} refused)"
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "15 logins took {took:?} with Redis hanging"
    );
    let (s, _) = app
        .json("GET", "/api/v1/portfolios", Some(&u.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// `/ready` answers within a second when the database hangs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_answers_in_a_second_when_the_database_hangs() {
    let Some(db) = TestDatabase::create("ready").await else {
        return;
    };
    let proxy = Proxy::start(url_addr(&db.url)).await;
    let proxied = db
        .url
        .replace(&url_addr(&db.url).to_string(), &proxy.addr.to_string());
    let proxied = with_database(&proxied, db.url.rsplit('/').next().unwrap());
    let store = auravest_reference_server::store::sql::connect_url(&proxied)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let app = app_with(
        TestOptions {
            store: Some(store),
            ..TestOptions::default()
        }
        .var("DATABASE_URL", &proxied),
    )
    .await;
    let (s, _) = app.json("GET", "/ready", None, Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (s, b) = app.json("GET", "/ready", None, Value::Null).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    assert_eq!(b["database"], "error");
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    proxy.restore();
    drop(app);
    drop(db);
}

// --- erased data, file modes, the audit log --------------------------------------------

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_account_cannot_be_read_back_from_the_sqlite_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let app = app_with(TestOptions::default()).await;
    let u = app.user("erase-me@example.com").await;
    let (s, _) = app
        .json(
            "POST",
            "/api/v1/portfolios",
            Some(&u.access),
            json!({"name": "Zanzibar Retirement Pot"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .json(
            "POST",
            "/api/v1/goals",
            Some(&u.access),
            json!({"name": "Kilimanjaro Expedition Fund", "target": "5000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/community/posts",
            Some(&u.access),
            json!({"text": "Quixotic musings about bond ladders and patience"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = app
        .json(
            "DELETE",
            "/api/v1/me?posts=delete",
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let dir = app.state.config.data_dir.clone();
    // The write-ahead log is checkpointed and emptied right after the
    // erasure, in the background: give it a moment.
    for _ in 0..30 {
        let wal = dir.join("auravest.db-wal");
        if std::fs::metadata(&wal).map_or(true, |m| m.len() == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("auravest.db") {
            continue;
        }
        files += 1;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name} is {mode:o}");
        let bytes = std::fs::read(&path).unwrap();
        for secret in [
            "Zanzibar Retirement",
            "Kilimanjaro Expedition",
            "Quixotic musings",
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret:?} is still readable in {name}"
            );
        }
    }
    assert!(files >= 1);
}

/// On PostgreSQL the server runs as a role that may only append to the
/// audit log: the migrations run as the owner, and the server's role can
/// neither rewrite, delete, truncate nor switch the triggers off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_role_cannot_rewrite_the_audit_log() {
    use sqlx::Connection as _;
    let Some(admin) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DATABASE_URL unset under CI"
        );
        eprintln!("skipped: set DATABASE_URL to run the PostgreSQL role test");
        return;
    };
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (owner, server, name) = (
        format!("auravest_owner_{tag}"),
        format!("auravest_app_{tag}"),
        format!("auravest_test_{tag}"),
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    for sql in [
        format!("CREATE ROLE {owner} LOGIN"),
        format!("CREATE ROLE {server} LOGIN"),
        format!("CREATE DATABASE {name} OWNER {owner}"),
    ] {
        sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    }
    let as_role = |role: &str| {
        let base = with_database(&admin, &name);
        let (scheme, rest) = base.split_once("://").unwrap();
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        format!("{scheme}://{role}@{rest}")
    };
    let (owner_url, server_url) = (as_role(&owner), as_role(&server));
    let outcome = async {
        let app = app_with(
            TestOptions::default()
                .var("DATABASE_URL", &server_url)
                .var("AURAVEST_DATABASE_OWNER_URL", &owner_url),
        )
        .await;
        // The product works as the server's role.
        let u = app.user("audited@example.com").await;
        let (s, _) = app
            .json(
                "POST",
                "/api/v1/portfolios",
                Some(&u.access),
                json!({"name": "Main"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert!(!app.state.store.audit_rows(10).await.unwrap().is_empty());
        let mut conn = sqlx::PgConnection::connect(&server_url).await.unwrap();
        for sql in [
            "UPDATE audit_log SET action = 'logout'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
            "DROP TABLE audit_log",
            "INSERT INTO audit_log (id, at, action, detail) \
             SELECT id, at, 'x', detail FROM audit_log LIMIT 1 \
             ON CONFLICT (id) DO UPDATE SET action = 'x'",
        ] {
            let done = sqlx::raw_sql(sql).execute(&mut conn).await;
            assert!(done.is_err(), "the server's role could run {sql:?}");
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(n > 0);
        conn.close().await.ok();
    };
    let result = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(outcome)).await;
    // Clean up whatever happened.
    let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await;
    for role in [&owner, &server] {
        let _ = sqlx::raw_sql(&format!("DROP ROLE IF EXISTS {role}"))
            .execute(&mut conn)
            .await;
    }
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

// --- hostile input ---------------------------------------------------------------------

/// Symbols that would be paths, extreme dates, huge amounts, formula-like
/// tickers, staff aliases and oversized answers: each a 4xx naming the
/// field, none a 500, nothing stored, and no server path in any message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_typed_errors() {
    let app = app_with(TestOptions::default()).await;
    let u = app.user("hostile@example.com").await;
    let data_dir = app.state.config.data_dir.display().to_string();
    let get = |path: String| {
        let token = u.access.clone();
        let app = &app;
        async move { app.json("GET", &path, Some(&token), Value::Null).await }
    };
    // Symbols that would reach the file system or an upstream path.
    for symbol in [
        "%2Ftmp%2Fx%2Fsecret",
        "..%2F..%2F..%2FX",
        "..",
        "%5C..%5Cwindows",
        "=A1",
        "-A1",
    ] {
        let (s, b) = get(format!("/api/v1/symbols/{symbol}/history")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{symbol}: {b}");
        assert!(b["error"]["fields"]["symbol"].is_string(), "{symbol}: {b}");
    }
    // Made-up symbols are not found, and never take the source down: a
    // real one still answers afterwards.
    for n in 0..6 {
        let (s, b) = get(format!(
            "/api/v1/symbols/NOPE{n}/history?from=2017-01-01&to=2017-12-31"
        ))
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
        assert!(
            !b.to_string().contains(&data_dir),
            "a server path leaked: {b}"
        );
    }
    let (s, b) = get("/api/v1/symbols/AAPL/history?from=2017-01-01&to=2017-12-31".to_owned()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Dates outside 1900..=2200.
    for q in [
        "to=-262143-06-01",
        "from=1850-01-01&to=1851-01-01",
        "to=%2B262142-01-01",
    ] {
        let (s, b) = get(format!("/api/v1/symbols/AAPL/history?{q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {b}");
    }
    let id = portfolio(&app, &u, "Hostile").await;
    let tx = format!("/api/v1/portfolios/{id}/transactions");
    let add = |body: Value| {
        let (app, tx, token) = (&app, tx.clone(), u.access.clone());
        async move { app.json("POST", &tx, Some(&token), body).await }
    };
    for (body, field) in [
        (
            json!({"date": "-262143-01-01", "type": "deposit", "price": "100", "currency": "USD"}),
            "date",
        ),
        (
            json!({"date": "2300-01-01", "type": "deposit", "price": "100", "currency": "USD"}),
            "date",
        ),
        (
            json!({"date": "2017-01-03", "type": "deposit", "price": "1e40", "currency": "USD"}),
            "price",
        ),
        (
            json!({"date": "2017-01-03", "type": "buy", "symbol": "=A1", "quantity": "1", "price": "1", "currency": "USD"}),
            "symbol",
        ),
        (
            json!({"date": "2017-01-03", "type": "buy", "symbol": "AAPL", "quantity": "0.00000000000000000001", "price": "1", "currency": "USD"}),
            "quantity",
        ),
    ] {
        let (s, b) = add(body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert!(b["error"]["fields"][field].is_string(), "{body}: {b}");
    }
    // Stacked splits cannot grow a position past its limit.
    let (s, _) = add(json!({"date": "2017-01-02", "type": "deposit", "price": "100000000000", "currency": "USD"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = add(json!({"date": "2017-01-03", "type": "buy", "symbol": "AAPL", "quantity": "100000000", "price": "1", "currency": "USD"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut refused = false;
    for day in 4..=12 {
        let (s, b) = add(json!({"date": format!("2017-01-{day:02}"), "type": "split", "symbol": "AAPL", "quantity": "1000", "currency": "USD"})).await;
        if s == StatusCode::UNPROCESSABLE_ENTITY {
            refused = true;
            break;
        }
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    assert!(refused, "stacked splits must stop at the position limit");
    let (s, v) = get(format!("/api/v1/portfolios/{id}/valuation")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A date as typed is stored as a date.
    let (s, b) =
        add(json!({"date": "2017-2-5", "type": "deposit", "price": "1", "currency": "USD"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["date"], "2017-02-05");
    // Goal dates too.
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/goals",
            Some(&u.access),
            json!({"name": "Far", "target": "100", "by": "2300-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // Staff aliases and look-alikes.
    for alias in ["admin", "adm1n", "support", "auravest", "moderator"] {
        let (s, b) = app
            .json(
                "PATCH",
                "/api/v1/me",
                Some(&u.access),
                json!({"alias": alias}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{alias}: {b}");
    }
    // Risk answers with an unknown, huge field: refused, not stored, not echoed.
    let big = "x".repeat(900 * 1024);
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/risk/answers",
            Some(&u.access),
            json!({"version": "1", "answers": {}, "padding": big}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.to_string().len() < 1000, "the error echoed the input");
    let (s, profile) = get("/api/v1/risk/profile".to_owned()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        profile["current"].is_null(),
        "nothing was stored: {profile}"
    );
    assert_eq!(profile["history"].as_array().unwrap().len(), 0);
}

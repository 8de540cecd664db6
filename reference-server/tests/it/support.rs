//! Test harness: an app over a fresh data folder, and request helpers.

use std::collections::HashMap;
use std::sync::Arc;

use auravest_reference_server::routes::legal::TERMS_VERSION;
use auravest_reference_server::store::Store;
use auravest_reference_server::{AppState, Config, setup};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt as _;

/// A password that passes the policy.
pub(crate) const PASSWORD: &str = "plum-kettle-harbour-47";

/// Settings for [`app_with`].
#[derive(Default)]
pub(crate) struct TestOptions {
    /// Environment-style settings, over the test defaults.
    pub(crate) vars: Vec<(String, String)>,
    /// A store to use instead of a fresh SQLite file.
    pub(crate) store: Option<Arc<dyn Store>>,
    /// Load the assistant (hashing embedder).
    pub(crate) ai: bool,
}

impl TestOptions {
    /// With one more setting.
    pub(crate) fn var(mut self, k: &str, v: &str) -> Self {
        self.vars.push((k.to_owned(), v.to_owned()));
        self
    }
}

/// An app under test.
pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) state: AppState,
    /// Kept so the data folder lives as long as the app.
    pub(crate) _dir: TempDir,
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub(crate) struct TestUser {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) access: String,
    pub(crate) refresh: String,
}

/// An app on a fresh SQLite file with the shipped sample prices.
pub(crate) async fn app() -> TestApp {
    app_with(TestOptions::default()).await
}

/// An app with settings.
pub(crate) async fn app_with(opts: TestOptions) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vars: HashMap<String, String> = HashMap::from([
        (
            "AURAVEST_DATA_DIR".to_owned(),
            dir.path().display().to_string(),
        ),
        ("AURAVEST_MARKET_SOURCES".to_owned(), "sample".to_owned()),
        ("AURAVEST_AI".to_owned(), opts.ai.to_string()),
        ("AURAVEST_AI_EMBEDDER".to_owned(), "hash".to_owned()),
        ("AURAVEST_REFRESHER".to_owned(), "false".to_owned()),
    ]);
    vars.extend(opts.vars);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
    let state = match opts.store {
        Some(store) => setup::state_with_store(config, store).await,
        None => setup::state(config).await,
    }
    .expect("test state");
    TestApp {
        router: auravest_reference_server::app(state.clone()),
        state,
        _dir: dir,
    }
}

impl TestApp {
    /// Sends a request; the body is parsed as JSON when it is JSON, else
    /// given as a string.
    pub(crate) async fn call(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        Self::call_router(&self.router, req).await
    }

    /// As [`TestApp::call`], on another router (an app built over parts of
    /// this one).
    pub(crate) async fn call_router(
        router: &Router,
        req: Request<Body>,
    ) -> (StatusCode, HeaderMap, Value) {
        let res = router
            .clone()
            .oneshot(req)
            .await
            .expect("infallible service");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let body = if bytes.is_empty() {
            Value::Null
        } else if is_json {
            serde_json::from_slice(&bytes).expect("JSON body")
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        (status, headers, body)
    }

    /// A JSON request (no body when `body` is null).
    pub(crate) async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let (s, _, b) = self.call(request(method, path, token, body)).await;
        (s, b)
    }

    /// A `text/csv` POST.
    pub(crate) async fn csv(&self, path: &str, token: &str, text: &str) -> (StatusCode, Value) {
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "text/csv")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(text.to_owned()))
            .expect("request");
        let (s, _, b) = self.call(req).await;
        (s, b)
    }

    /// Registers and logs in a user.
    pub(crate) async fn user(&self, email: &str) -> TestUser {
        let (s, b) = self
            .json(
                "POST",
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "accepted_terms_version": TERMS_VERSION}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "register {email}: {b}");
        let id = b["id"].as_str().expect("id").to_owned();
        let (s, b) = self
            .json(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {email}: {b}");
        TestUser {
            id,
            email: email.to_owned(),
            access: b["access_token"].as_str().expect("access").to_owned(),
            refresh: b["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }
}

/// Builds a request with an optional bearer token and JSON body.
// By value: every caller builds the body with `json!` in the call.
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn request(method: &str, path: &str, token: Option<&str>, body: Value) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_null() {
        b.body(Body::empty()).expect("request")
    } else {
        b.header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    }
}

/// A PostgreSQL database of its own on the server `DATABASE_URL` names,
/// dropped (`WITH (FORCE)`, best effort) on drop, so parallel tests never
/// share state and no run depends on what an earlier one left.
pub(crate) struct TestDatabase {
    admin: String,
    name: String,
    /// The URL of the new database.
    pub(crate) url: String,
}

impl TestDatabase {
    /// `None` (after a note on stderr) without `DATABASE_URL`.
    ///
    /// # Panics
    /// When `DATABASE_URL` is unset under `CI=true` (a skipped check cannot
    /// fail), or the server refuses.
    pub(crate) async fn create(what: &str) -> Option<Self> {
        use sqlx::Connection as _;
        let admin = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but DATABASE_URL is unset: the PostgreSQL {what} tests cannot run \
                     (set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test)"
                );
                eprintln!("skipped: set DATABASE_URL to run the PostgreSQL {what} tests");
                return None;
            }
        };
        let name = format!("auravest_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to DATABASE_URL");
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        conn.close().await.ok();
        let url = with_database(&admin, &name);
        Some(Self { admin, name, url })
    }
}

/// `url` with its database path replaced by `name`.
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let host = base.find("://").map_or(0, |i| i + 3);
    let path = base[host..].find('/').map_or(base.len(), |i| host + i);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..path])
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        use sqlx::Connection as _;
        let admin = std::mem::take(&mut self.admin);
        let name = std::mem::take(&mut self.name);
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        // Drop cannot await, and the test's runtime may be the current
        // thread: the statement runs on a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                let done = sqlx::raw_sql(&sql).execute(&mut conn).await.ok();
                conn.close().await.ok();
                done
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {name}");
        }
    }
}

/// The sample transactions the project ships.
pub(crate) const SAMPLE_CSV: &str = include_str!("../../../examples/data/transactions.csv");

/// Creates an empty portfolio; returns its id.
pub(crate) async fn portfolio(app: &TestApp, user: &TestUser, name: &str) -> String {
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/portfolios",
            Some(&user.access),
            json!({"name": name}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

/// A portfolio holding the sample transactions; returns its id.
pub(crate) async fn sample_portfolio(app: &TestApp, user: &TestUser) -> String {
    let id = portfolio(app, user, "Sample").await;
    let (s, b) = app
        .csv(
            &format!("/api/v1/portfolios/{id}/transactions/import"),
            &user.access,
            SAMPLE_CSV,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["imported"], 15);
    id
}

/// Answers every question with option `option` (or the last one).
pub(crate) async fn take_questionnaire(app: &TestApp, user: &TestUser, option: usize) -> Value {
    let (s, q) = app
        .json(
            "GET",
            "/api/v1/risk/questionnaire",
            Some(&user.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut answers = serde_json::Map::new();
    for question in q["questions"].as_array().unwrap() {
        let n = question["options"].as_array().unwrap().len();
        answers.insert(
            question["id"].as_str().unwrap().to_owned(),
            json!(option.min(n - 1)),
        );
    }
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/risk/answers",
            Some(&user.access),
            json!({"version": q["version"], "answers": answers}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// An app on a PostgreSQL database of its own (store and community both),
/// with these settings; `None` when `DATABASE_URL` is unset outside CI.
pub(crate) async fn pg_app_with(what: &str, opts: TestOptions) -> Option<(TestApp, TestDatabase)> {
    let db = TestDatabase::create(what).await?;
    let store = auravest_reference_server::store::sql::connect_url(&db.url)
        .await
        .expect("PostgreSQL");
    store.migrate().await.expect("migrate");
    let opts = TestOptions {
        store: Some(store),
        ..opts
    }
    .var("DATABASE_URL", &db.url);
    Some((app_with(opts).await, db))
}

/// Writes two tests running one `async fn(TestApp)` scenario, on SQLite
/// and on PostgreSQL, each with the settings `$opts` builds.
macro_rules! on_both_backends {
    ($sqlite:ident, $postgres:ident, $scenario:ident, $opts:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $scenario($crate::support::app_with($opts).await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            let Some((app, db)) = $crate::support::pg_app_with(stringify!($postgres), $opts).await
            else {
                return;
            };
            $scenario(app).await;
            drop(db);
        }
    };
}
pub(crate) use on_both_backends;

/// A TCP proxy on loopback in front of `target`, which a test can cut: after
/// [`Proxy::cut`], open connections are dropped and new ones are accepted
/// but never answered (a dependency that hangs), until [`Proxy::restore`].
pub(crate) struct Proxy {
    pub(crate) addr: std::net::SocketAddr,
    cut: Arc<std::sync::atomic::AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Starts forwarding to `target`.
    pub(crate) async fn start(target: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (c, g) = (Arc::clone(&cut), Arc::clone(&generation));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let (c, g) = (Arc::clone(&c), Arc::clone(&g));
                tokio::spawn(async move {
                    if c.load(Ordering::SeqCst) {
                        // Hang: hold the connection, answer nothing.
                        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                        return;
                    }
                    let born = g.load(Ordering::SeqCst);
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let watch = async {
                        while g.load(Ordering::SeqCst) == born {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! {
                        _ = copy => {}
                        () = watch => {}
                    }
                });
            }
        });
        Self {
            addr,
            cut,
            generation,
            task,
        }
    }

    /// Drops every open connection; new ones hang.
    pub(crate) fn cut(&self) {
        use std::sync::atomic::Ordering;
        self.cut.store(true, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Forwards new connections again.
    pub(crate) fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The address in a `scheme://[user@]host:port/...` URL.
pub(crate) fn url_addr(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host_port = rest.split(['/', '?']).next().unwrap_or(rest);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port.parse().expect("a numeric host:port in the URL")
}

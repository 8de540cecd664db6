//! Tests: shared. Two app instances over one Redis share the rate limit and
//! the quote cache, so a quote asked of both at once makes one upstream call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auravest_reference_server::metrics::Metrics;
use auravest_reference_server::quote_cache::connect_redis;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestOptions, app_with, request};

/// Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`) when it answers
/// `PING`; otherwise `None` (the test is skipped with a note), except under
/// `CI=true`, where it fails.
pub(crate) async fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let ping = async {
        let mut conn = connect_redis(&url).await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match ping.await {
        Ok(_) => Some(url),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("Redis at {url} is unreachable under CI: {e}")
        }
        Err(e) => {
            eprintln!("skipped: Redis at {url} is unreachable: {e}");
            None
        }
    }
}

/// A TCP proxy in front of Redis that the test can close, so the port then
/// refuses connections.
pub(crate) struct Proxy {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub(crate) async fn start(redis_url: &str) -> Self {
        let target = redis_url
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .rsplit('@')
            .next()
            .unwrap_or("127.0.0.1:6379")
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                conns.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { addr, task }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Stops listening and cuts every proxied connection.
    pub(crate) fn close(&self) {
        self.task.abort();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A request from `peer`, as `main`'s `ConnectInfo` would give it.
fn from_peer(peer: SocketAddr, path: &str) -> Request<Body> {
    let mut req = request("GET", path, None, Value::Null);
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

#[tokio::test]
async fn two_app_instances_sharing_one_redis_share_one_rate_limit() {
    let Some(redis) = redis_url().await else {
        return;
    };
    let opts = || {
        TestOptions::default()
            .var("REDIS_URL", &redis)
            .var("AURAVEST_RATE_LIMIT_IP_PER_MINUTE", "5")
    };
    let a = app_with(opts()).await;
    let b = app_with(opts()).await;
    // A client address of its own, so runs and parallel tests never share a key.
    let n = uuid::Uuid::new_v4().as_u128();
    let peer: SocketAddr = format!("[fd00::{:x}:{:x}]:4000", n & 0xffff, (n >> 16) & 0xffff)
        .parse()
        .unwrap();
    for i in 0..5 {
        let app = if i % 2 == 0 { &a } else { &b };
        let (s, _, _) = app.call(from_peer(peer, "/health")).await;
        assert_eq!(s, StatusCode::OK, "request {i}");
    }
    for app in [&a, &b] {
        let (s, h, _) = app.call(from_peer(peer, "/health")).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "the budget is shared");
        assert!(h.contains_key(header::RETRY_AFTER));
    }
    // Another client still has its budget.
    let other: SocketAddr = format!("[fd00::1:{:x}]:4000", (n >> 32) & 0xffff)
        .parse()
        .unwrap();
    assert_eq!(a.call(from_peer(other, "/health")).await.0, StatusCode::OK);
}

fn yahoo_chart() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../market/tests/fixtures/yahoo_chart_daily.json"
    );
    std::fs::read(path).expect("the market crate's Yahoo fixture")
}

/// A Yahoo chart endpoint that answers the fixture after 300 ms, so
/// concurrent callers overlap.
async fn slow_yahoo() -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/v8/finance/chart/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(yahoo_chart(), "application/json")
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&upstream)
        .await;
    upstream
}

/// How many chart requests `upstream` answered.
async fn chart_calls(upstream: &MockServer) -> usize {
    upstream
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/v8/finance/chart/"))
        .count()
}

/// One set of keys for both instances, as replicas share them.
const KEY: &str = "c2hhcmVkLWtleXMtZm9yLXR3by1yZXBsaWNhcy0zMiE=";

#[tokio::test]
async fn two_app_instances_make_one_upstream_call_for_a_quote_asked_of_both_at_once() {
    let Some(redis) = redis_url().await else {
        return;
    };
    let upstream = slow_yahoo().await;
    // Two full app instances over one database and one Redis, with their
    // own markets pointed at the mock; a namespace of their own so nothing
    // an earlier run cached is seen.
    let ns = format!("auravest-test-{}", uuid::Uuid::new_v4().simple());
    let opts = |store: Option<Arc<dyn auravest_reference_server::store::Store>>| {
        TestOptions {
            store,
            ..TestOptions::default()
        }
        .var("REDIS_URL", &redis)
        .var("AURAVEST_REDIS_NAMESPACE", &ns)
        .var("AURAVEST_MARKET_SOURCES", "network")
        .var("AURAVEST_YAHOO_BASE_URL", &upstream.uri())
        .var("AURAVEST_YAHOO_COOKIE_URL", &upstream.uri())
        .var("AURAVEST_STOOQ_BASE_URL", &upstream.uri())
        .var("AURAVEST_JWT_SECRET", KEY)
        .var("AURAVEST_ENCRYPTION_KEY", KEY)
        .var("AURAVEST_HASH_KEY", KEY)
    };
    let a = app_with(opts(None)).await;
    let b = app_with(opts(Some(Arc::clone(&a.state.store)))).await;
    let alice = a.user("quotes-a@example.com").await;
    let ((sa, qa), (sb, qb)) = tokio::join!(
        a.json(
            "GET",
            "/api/v1/quotes?symbols=AAPL",
            Some(&alice.access),
            Value::Null
        ),
        b.json(
            "GET",
            "/api/v1/quotes?symbols=AAPL",
            Some(&alice.access),
            Value::Null
        ),
    );
    assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK), "{qa} {qb}");
    assert_eq!(qa["quotes"][0]["source"], "yahoo", "{qa}");
    assert_eq!(qa["quotes"][0]["price"], "185.56", "{qa}");
    assert_eq!(qb["quotes"][0]["price"], qa["quotes"][0]["price"]);
    let charts = chart_calls(&upstream).await;
    assert_eq!(charts, 1, "one upstream call for both instances");
    let counts = |m: &Metrics| {
        let text = m.render();
        let get = |r: &str| {
            text.lines()
                .find_map(|l| {
                    l.strip_prefix(&format!("quote_cache_requests_total{{result=\"{r}\"}} "))
                })
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap()
        };
        (get("hit"), get("miss"))
    };
    let (ha, ma) = counts(&a.state.metrics);
    let (hb, mb) = counts(&b.state.metrics);
    assert_eq!((ha + hb, ma + mb), (1, 1), "one miss, one hit");
    // Later asks are answered from the shared cache.
    let aapl: auravest_core::Symbol = "AAPL".parse().unwrap();
    let batch = b.state.prices.quotes(&[aapl.clone(), aapl]).await;
    assert_eq!(batch.len(), 2);
    assert!(batch.iter().all(|(_, q)| q.is_ok()));
    assert_eq!(upstream.received_requests().await.unwrap().len(), charts);
}

#[tokio::test]
async fn a_request_waits_for_a_backfill_in_flight_instead_of_reading_too_few_closes() {
    let upstream = slow_yahoo().await;
    let app = app_with(
        TestOptions::default()
            .var("AURAVEST_MARKET_SOURCES", "network")
            .var("AURAVEST_YAHOO_BASE_URL", &upstream.uri())
            .var("AURAVEST_YAHOO_COOKIE_URL", &upstream.uri())
            .var("AURAVEST_STOOQ_BASE_URL", &upstream.uri()),
    )
    .await;
    let prices = &app.state.prices;
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let wanted = [("AAPL".to_owned(), day("2024-01-01"))];
    let to = day("2024-01-31");
    let symbols = ["AAPL".to_owned()];
    // The second caller has read the (empty) stored closes and asks for the
    // backfill while the first one's is still on the wire.
    let (first, (second, seen)) = tokio::join!(prices.backfill(&wanted, to), async {
        let before = prices.stored_series(&symbols).await.unwrap();
        assert!(before.get("AAPL").is_none_or(|s| s.is_empty()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let again = prices.backfill(&wanted, to).await;
        (again, prices.stored_series(&symbols).await.unwrap())
    });
    assert!(first.unwrap(), "the first caller stored closes");
    assert!(second.unwrap(), "the second is told to read again");
    assert_eq!(seen["AAPL"].len(), 5, "and finds every close: {seen:?}");
    let charts = chart_calls(&upstream).await;
    assert_eq!(charts, 1, "one upstream call");
}

/// The Redis quote cache under the market crate's conformance suite, each
/// check in a namespace of its own.
mod redis_quote_cache {
    use auravest_reference_server::limits::RedisBreaker;
    use auravest_reference_server::quote_cache::{RedisQuoteCache, connect_redis};

    async fn cache() -> Option<RedisQuoteCache> {
        let url = super::redis_url().await?;
        let conn = connect_redis(&url).await.expect("Redis");
        let ns = format!("auravest-test-{}", uuid::Uuid::new_v4().simple());
        Some(RedisQuoteCache::new(conn, &ns, RedisBreaker::default()))
    }

    #[tokio::test]
    async fn quotes() {
        if let Some(c) = cache().await {
            auravest_market::conformance::quotes(&c).await;
        }
    }

    #[tokio::test]
    async fn histories() {
        if let Some(c) = cache().await {
            auravest_market::conformance::histories(&c).await;
        }
    }

    #[tokio::test]
    async fn claims() {
        if let Some(c) = cache().await {
            auravest_market::conformance::claims(&c).await;
        }
    }
}

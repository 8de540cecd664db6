//! Tests: ops. Health, readiness, metrics, the security layers and the
//! per-IP limit, through the whole router.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{TestOptions, app, app_with, request};

fn get(path: &str) -> Request<Body> {
    request("GET", path, None, Value::Null)
}

#[tokio::test]
async fn health_is_ok() {
    let app = app().await;
    let (s, _, b) = app.call(get("/health")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_checks_the_database_and_says_the_cache_is_not_configured() {
    let app = app().await;
    let (s, _, b) = app.call(get("/ready")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b,
        json!({"status": "ready", "database": "ok", "cache": "not_configured"})
    );
}

#[tokio::test]
async fn ready_is_503_naming_the_cache_when_redis_goes_away() {
    let Some(redis) = crate::shared::redis_url().await else {
        return;
    };
    // Redis behind a local proxy that the test closes: the port then refuses.
    let proxy = crate::shared::Proxy::start(&redis).await;
    let app = app_with(TestOptions::default().var("REDIS_URL", &proxy.url())).await;
    let (s, _, b) = app.call(get("/ready")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["cache"], "ok");
    proxy.close();
    let (s, _, b) = app.call(get("/ready")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    assert_eq!(
        b,
        json!({"status": "not_ready", "database": "ok", "cache": "error"})
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = app().await;
    for _ in 0..2 {
        assert_eq!(app.call(get("/health")).await.0, StatusCode::OK);
    }
    assert_eq!(
        app.call(get("/no/such/route/12345")).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, h, b) = app.call(get("/metrics")).await;
    assert_eq!(s, StatusCode::OK);
    let ct = h[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = b.as_str().expect("text body");
    for line in [
        r#"http_requests_total{route="/health",method="GET",status="200"} 2"#,
        r#"http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"http_request_duration_seconds_count{route="/health"} 2"#,
        "# TYPE http_request_duration_seconds histogram",
        "# TYPE quote_cache_hit_ratio gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // (The path, not its number: a metric's value may contain any digits.)
    assert!(
        !text.contains("/no/such/route"),
        "raw paths never become labels"
    );
}

#[tokio::test]
async fn metrics_are_404_when_not_public() {
    let app = app_with(TestOptions::default().var("AURAVEST_METRICS_PUBLIC", "false")).await;
    let (s, _, b) = app.call(get("/metrics")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"]["code"], "not_found");
}

#[tokio::test]
async fn security_headers_and_a_request_id_on_every_response_and_no_hsts_without_tls() {
    let app = app().await;
    for path in ["/health", "/no/such/route"] {
        let (_, h, _) = app.call(get(path)).await;
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none());
        assert!(!h["x-request-id"].is_empty());
    }
    let mut req = get("/health");
    req.headers_mut()
        .insert("x-request-id", "req-from-the-proxy".parse().unwrap());
    let (_, h, _) = app.call(req).await;
    assert_eq!(h["x-request-id"], "req-from-the-proxy", "propagated");
}

#[tokio::test]
async fn hsts_is_sent_when_the_server_speaks_tls() {
    let app = app_with(
        TestOptions::default()
            .var("AURAVEST_TLS_CERT", "/nonexistent/cert.pem")
            .var("AURAVEST_TLS_KEY", "/nonexistent/key.pem"),
    )
    .await;
    let (_, h, _) = app.call(get("/health")).await;
    assert!(
        h[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_with_the_json_error() {
    let app = app_with(TestOptions::default().var("AURAVEST_BODY_LIMIT_BYTES", "64")).await;
    let big = json!({"email": "x".repeat(200), "password": "y"}).to_string();
    // Announced by Content-Length: refused before any handler runs.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big.clone()))
        .unwrap();
    let (s, h, b) = app.call(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(b["error"]["code"], "validation_failed", "{b}");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // Streamed without a length: the extractor hits the limit.
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(big.into_bytes())]);
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap();
    let (s, _, b) = app.call(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(b["error"]["code"], "validation_failed", "{b}");
}

fn with_origin(mut req: Request<Body>, origin: &str) -> Request<Body> {
    req.headers_mut()
        .insert(header::ORIGIN, origin.parse().unwrap());
    req
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let app = app().await;
    let (_, h, _) = app
        .call(with_origin(get("/health"), "https://app.example"))
        .await;
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origins_with_credentials() {
    let app = app_with(TestOptions::default().var(
        "AURAVEST_CORS_ORIGINS",
        "https://app.example, https://admin.example",
    ))
    .await;
    let (_, h, _) = app
        .call(with_origin(get("/health"), "https://app.example"))
        .await;
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example"
    );
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    let (_, h, _) = app
        .call(with_origin(get("/health"), "https://evil.example"))
        .await;
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    // A preflight.
    let req = Request::builder()
        .method("OPTIONS")
        .uri("/api/v1/auth/login")
        .header(header::ORIGIN, "https://admin.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap();
    let (s, h, _) = app.call(req).await;
    assert!(s.is_success(), "{s}");
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://admin.example"
    );
    let methods = h[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap();
    assert!(methods.contains("POST"), "{methods}");
}

#[tokio::test]
async fn the_default_per_ip_limit_is_600_a_minute_then_429_with_retry_after() {
    let app = app().await;
    let limit = app.state.config.rate_limits.ip_per_minute;
    assert_eq!(limit, 600, "the documented default");
    for i in 0..limit {
        let (s, _, _) = app.call(get("/health")).await;
        assert_eq!(s, StatusCode::OK, "request {i}");
    }
    let (s, h, b) = app.call(get("/health")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let after: u64 = h[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&after), "{after}");
    assert_eq!(b["error"]["code"], "rate_limited");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

//! The layers every response goes through: request ids, one tracing span per
//! request, security headers, CORS (only when origins are configured) and
//! the request body limit with our JSON 413.
//!
//! The span carries the request id, method, matched route template, status
//! and latency; never the raw path, the query string, headers or bodies,
//! which can hold tokens or personal data.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody as _};
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures_util::StreamExt as _;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::config::Config;
use crate::error::AppError;

/// The Content-Security-Policy: the API serves JSON, so nothing may be
/// loaded, framed or embedded from anywhere else. Scripts come from the
/// server alone; `'wasm-unsafe-eval'` lets them compile the WebAssembly
/// package the server serves (it allows no JavaScript `eval`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

/// Strict-Transport-Security, sent only when the server itself speaks TLS.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Adds the layers to `router` (outermost first): request id, tracing span,
/// security headers, CORS, the 413 mapping and the body limit
/// (`config.body_limit`, for extractors too).
pub fn layers(router: Router, config: &Config) -> Router {
    let limit = config.body_limit;
    // Innermost: the limit for extractors (replacing axum's 2 MB default)
    // and for bodies that announce their length.
    let mut router = router
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(
            move |req: Request<Body>, next: Next| limit_body(limit, req, next),
        ))
        .layer(axum::middleware::map_response(json_413))
        // A whole request, body and answer, within its limit (503 past it).
        .layer(axum::middleware::from_fn({
            let limits = config.serve_limits;
            move |req: Request<Body>, next: Next| within_time(limits, req, next)
        }))
        // A handler that panics answers a logged 500 (with the request id,
        // which the outer layers add) instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        // Every error the layers or extractors answer in plain text (a
        // malformed path or query, a wrong method, the timeout) gets the
        // API's JSON shape.
        .layer(axum::middleware::map_response(json_errors))
        // Responses the client takes compressed are sent so (brotli or
        // gzip, at a level fast enough to run per request); what is already
        // encoded (the WebAssembly package's copies) passes as it is.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(5)),
        );
    if let Some(cors) = cors(&config.cors_origins) {
        router = router.layer(cors);
    }
    let mut router = router
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"));
    if config.tls.is_some() {
        router = router.layer(header_layer(
            header::STRICT_TRANSPORT_SECURITY,
            STRICT_TRANSPORT_SECURITY,
        ));
    }
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_response(on_response),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// A CORS layer allowing exactly `origins` with credentials; `None` when the
/// list is empty (CORS off: browsers then refuse cross-origin reads).
/// Origins that are not valid header values are skipped with a warning.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let values: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| {
            HeaderValue::from_str(o.trim_end_matches('/'))
                .inspect_err(|_| tracing::warn!(origin = %o, "CORS: not a valid origin; skipped"))
                .ok()
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(values))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID])
            .expose_headers([REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// The body limit. A `Content-Length` over it is refused at once; a body
/// without one is counted as it streams, and once it passes the limit the
/// handler's answer, whatever its extractor made of the failed read, is
/// replaced by our 413.
async fn limit_body(limit: usize, req: Request<Body>, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > u64::try_from(limit).unwrap_or(u64::MAX) => {
            return AppError::PayloadTooLarge.into_response();
        }
        // The server stops reading at the announced length.
        Some(_) => return next.run(req).await,
        None if req.body().is_end_stream() => return next.run(req).await,
        None => {}
    }
    let over = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&over);
    let (parts, body) = req.into_parts();
    let mut seen = 0usize;
    let counted = body.into_data_stream().map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > limit {
            flag.store(true, Ordering::Relaxed);
            return Err(axum::Error::new(std::io::Error::other(
                "request body over the limit",
            )));
        }
        Ok(chunk)
    });
    let res = next
        .run(Request::from_parts(parts, Body::from_stream(counted)))
        .await;
    if over.load(Ordering::Relaxed) {
        AppError::PayloadTooLarge.into_response()
    } else {
        res
    }
}

/// Replaces a 413 that is not already ours (tower-http's limit, axum's
/// extractor rejection) with the JSON error body.
async fn json_413(res: Response) -> Response {
    let ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !ours {
        AppError::PayloadTooLarge.into_response()
    } else {
        res
    }
}

fn make_span<B>(req: &Request<B>) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = %route,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

fn on_response<B>(res: &Response<B>, latency: Duration, span: &Span) {
    let status = res.status().as_u16();
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    tracing::info!(status, latency_ms, "answered");
}

/// Answers 503 when a request takes longer than its limit: the assistant's
/// routes (which may wait for a language model) get `ai_request_timeout`,
/// every other route `request_timeout`.
async fn within_time(
    limits: crate::config::ServeLimits,
    req: Request<Body>,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let ai = path == "/api/v1/ask"
        || path == "/api/v1/ask/stream"
        || (path.starts_with("/api/v1/portfolios/") && path.ends_with("/summary"));
    let limit = if ai {
        limits.ai_request_timeout
    } else {
        limits.request_timeout
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => AppError::Unavailable(format!(
            "the request took longer than {} s; try again",
            limit.as_secs()
        ))
        .into_response(),
    }
}

/// The answer to a handler that panicked: logged with the panic message
/// (the request's span, with its id, is the current one), answered as a
/// generic 500.
// The signature is what `CatchPanicLayer::custom` asks for.
#[allow(clippy::needless_pass_by_value)]
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    AppError::Internal(format!("a handler panicked: {what}")).into_response()
}

/// The largest plain-text error body read to be wrapped in JSON.
const PLAIN_ERROR_MAX: usize = 4096;

/// Gives a 4xx/5xx answer that is not JSON the API's error shape, keeping
/// its status and headers (`Allow`, `Retry-After`, ...). The reason is the
/// text axum or a layer gave, cut short.
async fn json_errors(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, PLAIN_ERROR_MAX)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this route does not accept that method".to_owned(),
        StatusCode::SERVICE_UNAVAILABLE if text.is_empty() => {
            "the request took too long; try again".to_owned()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_lowercase(),
        _ => text.chars().take(300).collect(),
    };
    let mut out = AppError::Http { status, message }.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

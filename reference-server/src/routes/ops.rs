//! Operations: `GET /health` (the process answers), `GET /ready` (the
//! database and, when configured, Redis answer) and `GET /metrics`
//! (Prometheus text).
//!
//! `/metrics` is served only when `AURAVEST_METRICS_PUBLIC` is true (the
//! default); otherwise it answers 404 as if it did not exist. Scrapers then
//! reach the metrics another way (a sidecar, or a port the proxy does not
//! expose); there is no admin-authenticated variant.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::error::AppError;
use crate::prices::CacheHealth;
use crate::state::AppState;

/// The Prometheus text format's content type.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `/health`, `/ready` and `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// 200 when the database answers and the cache (when configured) answers
/// `PING`; 503 naming the part that failed. Failures are logged, not sent.
async fn ready(State(state): State<AppState>) -> Response {
    let database = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database failed");
            "error"
        }
    };
    let cache = match state.prices.ping_cache().await {
        CacheHealth::Ok => "ok",
        CacheHealth::NotConfigured if state.config.redis_url.is_none() => "not_configured",
        // Configured but not connected.
        CacheHealth::NotConfigured => "error",
        CacheHealth::Failed(e) => {
            tracing::warn!(error = %e, "readiness: redis failed");
            "error"
        }
    };
    let ok = database == "ok" && cache != "error";
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ok { "ready" } else { "not_ready" },
        "database": database,
        "cache": cache,
    });
    (status, Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    if !state.config.metrics_public {
        return AppError::NotFound("no such route".to_owned()).into_response();
    }
    (
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

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
use serde::Serialize;

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

/// What `/health` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthView {
    /// Always `ok`: the process answers.
    pub status: &'static str,
}

async fn health() -> Json<HealthView> {
    Json(HealthView { status: "ok" })
}

/// What `/ready` answers, with 200 or 503.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadyView {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// `ok` or `error`.
    pub database: &'static str,
    /// `ok`, `error` or `not_configured`.
    pub cache: &'static str,
}

/// How long `/ready` waits for each dependency: a probe must answer within
/// a second even when the database is away.
pub const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

/// 200 when the database and the cache (when configured) answer within
/// [`READY_TIMEOUT`] (asked at the same time); 503 naming the part that
/// failed. Failures are logged, not sent.
async fn ready(State(state): State<AppState>) -> Response {
    let (db, cache) = tokio::join!(
        tokio::time::timeout(READY_TIMEOUT, state.store.ping()),
        tokio::time::timeout(READY_TIMEOUT, state.prices.ping_cache()),
    );
    let database = match db {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database failed");
            "error"
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            "error"
        }
    };
    let cache = cache.unwrap_or_else(|_| CacheHealth::Failed("no answer in time".to_owned()));
    let cache = match cache {
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
    let body = ReadyView {
        status: if ok { "ready" } else { "not_ready" },
        database,
        cache,
    };
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

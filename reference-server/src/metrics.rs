//! Prometheus metrics, held per [`AppState`](crate::AppState) (no global
//! registry, so parallel tests never see each other's counts) and written
//! in the text exposition format (version 0.0.4) by [`Metrics::render`].
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `http_requests_total` | counter | `route`, `method`, `status` |
//! | `http_request_duration_seconds` | histogram | `route` |
//! | `price_refreshes_total` | counter | `source`, `outcome` |
//! | `quote_cache_requests_total` | counter | `result` (`hit`, `miss`) |
//! | `quote_cache_hit_ratio` | gauge | |
//!
//! Routes are the matched route templates (`/api/v1/portfolios/{id}`),
//! never raw paths, and anything unmatched is `unmatched`, so the number of
//! series stays bounded whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// Upper bounds (seconds) of the request-duration buckets.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Per bucket (not cumulative); the last slot is `+Inf`.
    counts: [u64; DURATION_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        let i = DURATION_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(DURATION_BUCKETS.len());
        self.counts[i] += 1;
        self.sum += secs;
        self.count += 1;
    }
}

#[derive(Debug, Default)]
struct Series {
    requests: BTreeMap<(String, &'static str, u16), u64>,
    durations: BTreeMap<String, Histogram>,
    refreshes: BTreeMap<(String, String), u64>,
}

#[derive(Debug, Default)]
struct Registry {
    series: Mutex<Series>,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
}

/// The server's metrics; cheap to clone (one shared registry inside).
#[derive(Debug, Clone, Default)]
pub struct Metrics(Arc<Registry>);

/// The methods counted by name; any other is `other`.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Escapes a label value (`\`, `"` and newlines).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn series(&self) -> std::sync::MutexGuard<'_, Series> {
        self.0.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one answered request and its duration.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut s = self.series();
        *s.requests
            .entry((route.to_owned(), method_label(method), status))
            .or_insert(0) += 1;
        s.durations
            .entry(route.to_owned())
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one symbol refreshed from `source` with `outcome` (`ok` or `error`).
    pub fn price_refresh(&self, source: &str, outcome: &str) {
        *self
            .series()
            .refreshes
            .entry((source.to_owned(), outcome.to_owned()))
            .or_insert(0) += 1;
    }

    /// Counts a quote served from the shared cache.
    pub fn cache_hit(&self) {
        self.0.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a quote that had to be fetched.
    pub fn cache_miss(&self) {
        self.0.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; the results are ignored.
        let s = self.series();
        out.push_str("# HELP http_requests_total HTTP requests answered, by route template, method and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for ((route, method, status), n) in &s.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP http_request_duration_seconds Time to answer HTTP requests, by route template.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (route, h) in &s.durations {
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, n) in DURATION_BUCKETS.iter().zip(h.counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP price_refreshes_total Symbols refreshed by the price refresher, by source and outcome.\n");
        out.push_str("# TYPE price_refreshes_total counter\n");
        for ((source, outcome), n) in &s.refreshes {
            let _ = writeln!(
                out,
                "price_refreshes_total{{source=\"{}\",outcome=\"{}\"}} {n}",
                escape(source),
                escape(outcome)
            );
        }
        drop(s);
        let hits = self.0.cache_hits.load(Ordering::Relaxed);
        let misses = self.0.cache_misses.load(Ordering::Relaxed);
        out.push_str(
            "# HELP quote_cache_requests_total Quote lookups in the shared cache, by result.\n",
        );
        out.push_str("# TYPE quote_cache_requests_total counter\n");
        let _ = writeln!(out, "quote_cache_requests_total{{result=\"hit\"}} {hits}");
        let _ = writeln!(
            out,
            "quote_cache_requests_total{{result=\"miss\"}} {misses}"
        );
        out.push_str("# HELP quote_cache_hit_ratio Share of quote lookups served from the cache (0 before any).\n");
        out.push_str("# TYPE quote_cache_hit_ratio gauge\n");
        let total = hits + misses;
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let ratio = if total == 0 {
            0.0
        } else {
            hits as f64 / total as f64
        };
        let _ = writeln!(out, "quote_cache_hit_ratio {ratio}");
        out
    }
}

/// Counts every request by its matched route template (`unmatched` when no
/// route matched), method and status, and times it.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    let response = next.run(req).await;
    state.metrics.observe_request(
        &route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_counters_cumulative_buckets_and_the_ratio() {
        let m = Metrics::new();
        m.observe_request("/health", "GET", 200, Duration::from_millis(3));
        m.observe_request("/health", "GET", 200, Duration::from_millis(30));
        m.observe_request("/x\"y", "BREW", 418, Duration::from_secs(60));
        m.price_refresh("yahoo", "ok");
        m.cache_hit();
        m.cache_hit();
        m.cache_hit();
        m.cache_miss();
        let text = m.render();
        for line in [
            "# TYPE http_requests_total counter",
            r#"http_requests_total{route="/health",method="GET",status="200"} 2"#,
            r#"http_requests_total{route="/x\"y",method="other",status="418"} 1"#,
            r#"http_request_duration_seconds_bucket{route="/health",le="0.005"} 1"#,
            r#"http_request_duration_seconds_bucket{route="/health",le="0.025"} 1"#,
            r#"http_request_duration_seconds_bucket{route="/health",le="0.05"} 2"#,
            r#"http_request_duration_seconds_bucket{route="/health",le="+Inf"} 2"#,
            r#"http_request_duration_seconds_count{route="/health"} 2"#,
            r#"http_request_duration_seconds_bucket{route="/x\"y",le="10"} 0"#,
            r#"http_request_duration_seconds_bucket{route="/x\"y",le="+Inf"} 1"#,
            r#"price_refreshes_total{source="yahoo",outcome="ok"} 1"#,
            r#"quote_cache_requests_total{result="hit"} 3"#,
            r#"quote_cache_requests_total{result="miss"} 1"#,
            "quote_cache_hit_ratio 0.75",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn the_ratio_is_zero_before_any_lookup() {
        assert!(
            Metrics::new()
                .render()
                .contains("\nquote_cache_hit_ratio 0\n")
        );
    }
}

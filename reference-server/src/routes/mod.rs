//! The HTTP API: JSON under `/api/v1`, with `/health`, `/ready` and
//! `/metrics` at the root.

use axum::Router;
use axum::middleware;

use crate::state::AppState;

pub mod ai;
pub mod alerts;
pub mod community;
pub mod goals;
pub mod legal;
pub mod live;
pub mod market;
pub mod me;
pub mod ops;
pub mod plans;
pub mod portfolios;
pub mod risk;
pub mod web;

/// The whole application: routes, then (outermost last) metrics, the
/// per-IP limit and the security layers.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let api = Router::new()
        .merge(legal::router())
        .merge(crate::auth::router())
        .merge(me::router())
        .merge(risk::router())
        .merge(portfolios::router())
        .merge(goals::router())
        .merge(market::router())
        .merge(ai::router())
        .merge(community::router())
        .merge(live::router())
        .merge(alerts::router())
        .merge(plans::router())
        .route("/openapi.json", axum::routing::get(crate::openapi::serve));
    let router = Router::new()
        .nest("/api/v1", api)
        .merge(ops::router())
        .merge(web::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::limits::per_ip,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .with_state(state);
    crate::security::layers(router, &config)
}

async fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound("no such route".to_owned())
}

/// A JSON body whose rejections answer with our error shape: a 422 naming
/// the field at fault, 413 when too large, 415-style 422 without the JSON
/// content type.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = crate::error::AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(r) => Err(json_rejection(&r)),
        }
    }
}

/// Maps axum's JSON rejection to our error, naming the field when serde
/// says which one.
pub fn json_rejection(r: &axum::extract::rejection::JsonRejection) -> crate::error::AppError {
    use crate::error::AppError;
    use axum::extract::rejection::JsonRejection as J;
    if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    match r {
        J::MissingJsonContentType(_) => AppError::field("content-type", "must be application/json"),
        J::JsonSyntaxError(e) => {
            AppError::field("$", format!("not valid JSON: {}", source_text(e)))
        }
        J::JsonDataError(e) => {
            let text = source_text(e);
            let (path, reason) = split_serde_path(&text);
            AppError::field(path, reason)
        }
        other => AppError::field("$", other.body_text()),
    }
}

fn source_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(s) = inner.source() {
        inner = s;
    }
    inner.to_string()
}

/// serde_path_to_error's `path: reason`, or `missing field `x`` at the root.
fn split_serde_path(text: &str) -> (String, String) {
    let reason_of = |r: &str| r.split(" at line ").next().unwrap_or(r).trim().to_owned();
    if let Some((path, reason)) = text.split_once(": ")
        && !path.contains(' ')
        && path != "."
    {
        let field =
            missing_field(reason).map_or_else(|| path.to_owned(), |f| format!("{path}.{f}"));
        return (field, reason_of(reason));
    }
    let reason = text.split_once(": ").map_or(text, |(_, r)| r);
    let field = missing_field(reason)
        .or_else(|| unknown_field(reason))
        .unwrap_or_else(|| "$".to_owned());
    (field, reason_of(reason))
}

fn missing_field(reason: &str) -> Option<String> {
    reason
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
        .map(str::to_owned)
}

fn unknown_field(reason: &str) -> Option<String> {
    reason
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::split_serde_path;

    #[test]
    fn serde_paths_become_field_names() {
        assert_eq!(
            split_serde_path(
                "name: invalid type: integer `3`, expected a string at line 1 column 10"
            ),
            (
                "name".to_owned(),
                "invalid type: integer `3`, expected a string".to_owned()
            )
        );
        assert_eq!(
            split_serde_path(".: missing field `name` at line 1 column 2").0,
            "name"
        );
        assert_eq!(
            split_serde_path(
                ".: unknown field `nmae`, expected `name` or `currency` at line 1 column 7"
            )
            .0,
            "nmae"
        );
    }
}

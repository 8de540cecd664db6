//! The web UI: `GET /` answers the single page and `GET /assets/{file}` its
//! scripts and styles, all compiled into the binary; `GET
//! /assets/wasm/{file}` the WebAssembly package's web build, read from
//! `AURAVEST_WASM_DIR` (built by `bindings/wasm/scripts/ci.sh`).
//!
//! The page follows the server's Content-Security-Policy (`default-src
//! 'self'`): no inline scripts, styles or handlers; everything it runs or
//! styles with comes from `/assets`. Responses carry a strong `ETag` and
//! `Cache-Control: no-cache`, so browsers keep a copy but revalidate it (a
//! `304` when unchanged), and a new release is picked up at once.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest as _, Sha256};

use crate::error::AppError;
use crate::state::AppState;

/// One file the UI is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The name under `/assets/`.
    pub name: &'static str,
    /// The `Content-Type` it is served with.
    pub content_type: &'static str,
    /// The file's text.
    pub body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The page at `/`.
pub const INDEX_HTML: &str = include_str!("../../web/index.html");

/// Every file served under `/assets/`.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        content_type: CSS,
        body: include_str!("../../web/style.css"),
    },
    Asset {
        name: "app.js",
        content_type: JS,
        body: include_str!("../../web/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: JS,
        body: include_str!("../../web/api.js"),
    },
    Asset {
        name: "dom.js",
        content_type: JS,
        body: include_str!("../../web/dom.js"),
    },
    Asset {
        name: "chart.js",
        content_type: JS,
        body: include_str!("../../web/chart.js"),
    },
    Asset {
        name: "portfolio.js",
        content_type: JS,
        body: include_str!("../../web/portfolio.js"),
    },
    Asset {
        name: "account.js",
        content_type: JS,
        body: include_str!("../../web/account.js"),
    },
    Asset {
        name: "community.js",
        content_type: JS,
        body: include_str!("../../web/community.js"),
    },
    Asset {
        name: "whatif.js",
        content_type: JS,
        body: include_str!("../../web/whatif.js"),
    },
    Asset {
        name: "wasm.js",
        content_type: JS,
        body: include_str!("../../web/wasm.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: SVG,
        body: include_str!("../../web/favicon.svg"),
    },
];

/// The cache policy: keep, but ask again each time (with the `ETag`).
const CACHE_CONTROL: &str = "no-cache";

/// The `ETag` of each asset (index 0 is the page), computed once.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    std::iter::once(INDEX_HTML)
        .chain(ASSETS.iter().map(|a| a.body))
        .map(|body| {
            let digest = Sha256::digest(body.as_bytes());
            let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
            HeaderValue::try_from(format!("\"{hex}\"")).expect("hex is a valid header value")
        })
        .collect()
});

/// `GET /`, `GET /assets/{file}` and `GET /assets/wasm/{file}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{file}", get(asset))
        .route("/assets/wasm/{file}", get(wasm_asset))
}

/// The files of the WebAssembly package's web build the UI loads (the full
/// entry for the portfolio's "what if" panel, the slim one for the
/// questionnaire and the post composer), with their types.
pub const WASM_FILES: &[(&str, &str)] = &[
    ("auravest.js", JS),
    ("auravest_bg.wasm", "application/wasm"),
    ("slim.js", JS),
    ("slim_bg.wasm", "application/wasm"),
];

/// One file of the WebAssembly package, read from `Config::wasm_dir`; a 404
/// when the package was not built (the UI then goes without it).
async fn wasm_asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((name, content_type)) = WASM_FILES.iter().find(|(n, _)| *n == file) else {
        return AppError::not_found("asset").into_response();
    };
    match tokio::fs::read(state.config.wasm_dir.join(name)).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(CACHE_CONTROL),
                ),
            ],
            body,
        )
            .into_response(),
        Err(_) => AppError::not_found("asset").into_response(),
    }
}

/// The asset called `name`, if the UI has one.
pub fn find(name: &str) -> Option<(usize, &'static Asset)> {
    ASSETS.iter().enumerate().find(|(_, a)| a.name == name)
}

async fn index(headers: HeaderMap) -> Response {
    serve(&headers, 0, "text/html; charset=utf-8", INDEX_HTML)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match find(&file) {
        Some((i, a)) => serve(&headers, i + 1, a.content_type, a.body),
        None => AppError::not_found("asset").into_response(),
    }
}

fn serve(
    headers: &HeaderMap,
    etag_index: usize,
    content_type: &'static str,
    body: &'static str,
) -> Response {
    let etag = ETAGS[etag_index].clone();
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag.to_str().unwrap_or_default()
        });
    let cache = [
        (header::ETAG, etag),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
    ];
    if matches {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        StatusCode::OK,
        cache,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of every `attr="..."` in `html`.
    fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
        let needle = format!("{attr}=\"");
        html.match_indices(&needle)
            .filter_map(|(i, _)| {
                let rest = &html[i + needle.len()..];
                rest.split_once('"').map(|(v, _)| v)
            })
            .collect()
    }

    #[test]
    fn the_page_loads_only_assets_the_router_serves() {
        let mut refs = attribute_values(INDEX_HTML, "src");
        refs.extend(attribute_values(INDEX_HTML, "href"));
        assert!(!refs.is_empty());
        for r in refs {
            if r.starts_with('#') {
                continue;
            }
            let name = r
                .strip_prefix("/assets/")
                .unwrap_or_else(|| panic!("{r} is not under /assets/"));
            assert!(find(name).is_some(), "{r} is not served");
        }
    }

    #[test]
    fn the_page_has_no_inline_script_style_or_handler() {
        let lower = INDEX_HTML.to_ascii_lowercase();
        for (i, _) in lower.match_indices("<script") {
            let tag_end = i + lower[i..].find('>').expect("script tag closes");
            assert!(
                lower[..tag_end].rfind("src=").is_some_and(|s| s > i),
                "a <script> without src"
            );
            assert!(
                lower[tag_end + 1..].trim_start().starts_with("</script>"),
                "a <script> with a body"
            );
        }
        assert!(!lower.contains("<style"), "an inline <style>");
        assert!(!lower.contains(" style="), "a style= attribute");
        assert!(!lower.contains("javascript:"), "a javascript: URL");
        for tag in lower.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or_default();
            for word in tag.split_whitespace() {
                assert!(
                    !(word.starts_with("on") && word.contains('=')),
                    "an inline handler: {word}"
                );
            }
        }
    }

    #[test]
    fn every_asset_has_a_distinct_name_and_a_body() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(!a.body.trim().is_empty(), "{} is empty", a.name);
            assert_eq!(find(a.name).map(|(j, _)| j), Some(i), "{} twice", a.name);
        }
        assert_eq!(ETAGS.len(), ASSETS.len() + 1);
    }

    #[test]
    fn scripts_import_only_served_modules() {
        for a in ASSETS.iter().filter(|a| a.content_type == JS) {
            for line in a.body.lines() {
                let line = line.trim();
                if !(line.starts_with("import ") || line.starts_with("} from ")) {
                    continue;
                }
                let Some(spec) = line.split(['\'', '"']).nth(1) else {
                    continue;
                };
                let name = spec.trim_start_matches("./");
                assert!(find(name).is_some(), "{} imports {spec}", a.name);
            }
        }
    }
}

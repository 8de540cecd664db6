//! The web UI: `GET /` answers the single page and `GET /assets/{file}` its
//! scripts and styles, all compiled into the binary; `GET
//! /assets/wasm/{file}` the WebAssembly package's web build, read from
//! `AURAVEST_WASM_DIR` (built by `bindings/wasm/scripts/ci.sh`).
//!
//! The package's files are served as the build compressed them: the
//! brotli (`.br`) or gzip (`.gz`) copy beside each file when the request's
//! `Accept-Encoding` takes it (and the copy is not older than the file),
//! the file itself otherwise, with `Vary: Accept-Encoding` and an `ETag`
//! per encoding. The package is served only when its `package.json` has the
//! server's own version, so the UI never runs rules from another release.
//!
//! The page follows the server's Content-Security-Policy (`default-src
//! 'self'`): no inline scripts, styles or handlers; everything it runs or
//! styles with comes from `/assets`. Responses carry a strong `ETag` and
//! `Cache-Control: no-cache`, so browsers keep a copy but revalidate it (a
//! `304` when unchanged), and a new release is picked up at once.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

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
        name: "components.css",
        content_type: CSS,
        body: include_str!("../../web/components.css"),
    },
    Asset {
        name: "dashboard.js",
        content_type: JS,
        body: include_str!("../../web/dashboard.js"),
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

/// One file of the WebAssembly package, read from `Config::wasm_dir`,
/// compressed as the request accepts; a 404 when the package was not built
/// or is of another version (the UI then goes without it).
async fn wasm_asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((name, content_type)) = WASM_FILES.iter().find(|(n, _)| *n == file) else {
        return AppError::not_found("asset").into_response();
    };
    let dir = state.config.wasm_dir.clone();
    let loaded = tokio::task::spawn_blocking(move || WasmFile::load(&dir, name)).await;
    let file = match loaded {
        Ok(Ok(file)) => file,
        Ok(Err(why)) => {
            tracing::warn!(file = name, "not serving the WebAssembly package: {why}");
            return AppError::not_found("asset").into_response();
        }
        Err(_) => return AppError::not_found("asset").into_response(),
    };
    let (encoding, body) = if let Some(br) = file.br.as_ref().filter(|_| accepts(&headers, "br")) {
        (Some("br"), br.clone())
    } else if let Some(gz) = file.gzip.as_ref().filter(|_| accepts(&headers, "gzip")) {
        (Some("gzip"), gz.clone())
    } else {
        (None, file.identity.clone())
    };
    let tag = match encoding {
        Some(e) => format!("\"{}-{e}\"", file.digest),
        None => format!("\"{}\"", file.digest),
    };
    let Ok(etag) = HeaderValue::try_from(tag) else {
        return AppError::not_found("asset").into_response();
    };
    let cache = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    if none_match(&headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)], cache).into_response();
    }
    let mut response = (
        StatusCode::OK,
        [(header::ETAG, etag)],
        cache,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    if let Some(e) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    response
}

/// A file of the WebAssembly package as served.
struct WasmFile {
    /// When the file was last written, and its length: a change reloads it.
    stamp: (SystemTime, u64),
    /// The first 12 bytes of its SHA-256, in hex: the `ETag`.
    digest: String,
    /// The file.
    identity: axum::body::Bytes,
    /// Its brotli copy (`<name>.br`), when the build wrote one.
    br: Option<axum::body::Bytes>,
    /// Its gzip copy (`<name>.gz`), when the build wrote one.
    gzip: Option<axum::body::Bytes>,
}

/// The files loaded so far, by path; reloaded when they change on disk.
static WASM_CACHE: LazyLock<Mutex<HashMap<PathBuf, Arc<WasmFile>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl WasmFile {
    /// `name` in `dir`, from the cache while it is unchanged on disk; an
    /// error (in words, for the log) when it is missing or the package's
    /// version is not the server's.
    fn load(dir: &FsPath, name: &str) -> Result<Arc<Self>, String> {
        check_package_version(dir)?;
        let path = dir.join(name);
        let stamp = stamp_of(&path).ok_or_else(|| format!("{} is missing", path.display()))?;
        if let Some(hit) = WASM_CACHE
            .lock()
            .ok()
            .and_then(|c| c.get(&path).cloned())
            .filter(|f| f.stamp == stamp)
        {
            return Ok(hit);
        }
        let identity = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let digest = Sha256::digest(&identity);
        // A compressed copy older than the file is from an earlier build.
        let copy = |ext: &str| {
            let p = dir.join(format!("{name}.{ext}"));
            stamp_of(&p)
                .filter(|(t, _)| *t >= stamp.0)
                .and_then(|_| std::fs::read(&p).ok())
                .map(axum::body::Bytes::from)
        };
        let file = Arc::new(Self {
            stamp,
            digest: digest[..12].iter().map(|b| format!("{b:02x}")).collect(),
            br: copy("br"),
            gzip: copy("gz"),
            identity: identity.into(),
        });
        if let Ok(mut c) = WASM_CACHE.lock() {
            c.insert(path, Arc::clone(&file));
        }
        Ok(file)
    }
}

/// The modification time and length of a file.
fn stamp_of(path: &FsPath) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)?;
    Some((m.modified().ok()?, m.len()))
}

/// Whether `dir/package.json` names the server's own version.
fn check_package_version(dir: &FsPath) -> Result<(), String> {
    let path = dir.join("package.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("version").and_then(|v| v.as_str()).map(str::to_owned));
    match version {
        Some(v) if v == env!("CARGO_PKG_VERSION") => Ok(()),
        Some(v) => Err(format!(
            "{} is version {v}, the server {}",
            path.display(),
            env!("CARGO_PKG_VERSION")
        )),
        None => Err(format!("{} names no version", path.display())),
    }
}

/// Whether the request's `Accept-Encoding` takes `coding` (by name or `*`,
/// with a q-value above zero).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
            .unwrap_or(0.0);
        if name.eq_ignore_ascii_case(coding) {
            named = Some(q);
        } else if name == "*" {
            any = Some(q);
        }
    }
    named.or(any).is_some_and(|q| q > 0.0)
}

/// Whether `If-None-Match` names `etag` (weakly compared, or `*`).
fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag.to_str().unwrap_or_default()
        })
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
    let matches = none_match(headers, &etag);
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

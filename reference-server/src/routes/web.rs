//! The web UI: `GET /` answers the single page and `GET /assets/{file}` its
//! scripts, styles and icons, all compiled into the binary; `GET
//! /assets/wasm/{file}` the WebAssembly package's web build, read from
//! `AURAVEST_WASM_DIR` (built by `bindings/wasm/scripts/ci.sh`).
//!
//! The app is installable: `GET /manifest.webmanifest` describes it, and
//! the service worker `GET /sw.js` (at the root, so its scope is the whole
//! site) keeps the app shell for offline use and answers a failed
//! navigation with `GET /offline.html`. The server fills in the worker's
//! cache name (from its version and the shell's contents) and the list of
//! files it keeps, so both follow the files compiled in.
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
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
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

/// A binary file under `/assets/`: the app's PNG icons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    /// The name under `/assets/`.
    pub name: &'static str,
    /// The `Content-Type` it is served with.
    pub content_type: &'static str,
    /// The file's bytes.
    pub body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";
const PNG: &str = "image/png";
const HTML: &str = "text/html; charset=utf-8";

/// The page at `/`.
pub const INDEX_HTML: &str = include_str!("../../web/index.html");

/// Files served at the root of the site (`/{name}`) besides the page and
/// the service worker.
pub const ROOT_FILES: &[Asset] = &[
    Asset {
        name: "manifest.webmanifest",
        content_type: "application/manifest+json",
        body: include_str!("../../web/manifest.webmanifest"),
    },
    Asset {
        name: "offline.html",
        content_type: HTML,
        body: include_str!("../../web/offline.html"),
    },
];

/// The app's icons (drawn by `web/icons/make-icons.py`), under `/assets/`.
pub const IMAGES: &[Image] = &[
    Image {
        name: "icon-192.png",
        content_type: PNG,
        body: include_bytes!("../../web/icons/icon-192.png"),
    },
    Image {
        name: "icon-512.png",
        content_type: PNG,
        body: include_bytes!("../../web/icons/icon-512.png"),
    },
    Image {
        name: "icon-maskable-512.png",
        content_type: PNG,
        body: include_bytes!("../../web/icons/icon-maskable-512.png"),
    },
];

/// The service worker as written, with `__AURAVEST_CACHE__` and
/// `__AURAVEST_SHELL__` for the server to fill in.
const SERVICE_WORKER_SOURCE: &str = include_str!("../../web/sw.js");

/// Every file served under `/assets/`.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        content_type: CSS,
        body: include_str!("../../web/style.css"),
    },
    Asset {
        name: "theme.js",
        content_type: JS,
        body: include_str!("../../web/theme.js"),
    },
    Asset {
        name: "appearance.js",
        content_type: JS,
        body: include_str!("../../web/appearance.js"),
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
        name: "live.js",
        content_type: JS,
        body: include_str!("../../web/live.js"),
    },
    Asset {
        name: "plus.js",
        content_type: JS,
        body: include_str!("../../web/plus.js"),
    },
    Asset {
        name: "moderation.js",
        content_type: JS,
        body: include_str!("../../web/moderation.js"),
    },
    Asset {
        name: "messages.js",
        content_type: JS,
        body: include_str!("../../web/messages.js"),
    },
    Asset {
        name: "watch.js",
        content_type: JS,
        body: include_str!("../../web/watch.js"),
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

/// One file served from the binary, with its `ETag`.
#[derive(Debug)]
struct Served {
    content_type: &'static str,
    body: axum::body::Bytes,
    etag: HeaderValue,
}

impl Served {
    fn new(content_type: &'static str, body: axum::body::Bytes) -> Self {
        let digest = Sha256::digest(&body);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        let etag =
            HeaderValue::try_from(format!("\"{hex}\"")).expect("hex is a valid header value");
        Self {
            content_type,
            body,
            etag,
        }
    }
}

/// The paths of the app shell the service worker keeps: the page, the
/// offline page, the manifest and every file under `/assets/` (not the
/// WebAssembly package, which is large and optional).
pub fn shell_paths() -> Vec<String> {
    let mut paths = vec!["/".to_owned()];
    paths.extend(ROOT_FILES.iter().map(|f| format!("/{}", f.name)));
    paths.extend(ASSETS.iter().map(|a| format!("/assets/{}", a.name)));
    paths.extend(IMAGES.iter().map(|i| format!("/assets/{}", i.name)));
    paths
}

/// The service worker as served: its cache is named after the server's
/// version and a digest of the shell, and it keeps [`shell_paths`].
pub static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    digest.update(INDEX_HTML.as_bytes());
    for f in ROOT_FILES.iter().chain(ASSETS) {
        digest.update(f.name.as_bytes());
        digest.update(f.body.as_bytes());
    }
    for i in IMAGES {
        digest.update(i.name.as_bytes());
        digest.update(i.body);
    }
    let digest = digest.finalize();
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let cache = format!("auravest-{}-{short}", env!("CARGO_PKG_VERSION"));
    let shell = serde_json::to_string(&shell_paths()).expect("a list of strings");
    SERVICE_WORKER_SOURCE
        .replace("__AURAVEST_CACHE__", &cache)
        .replace("__AURAVEST_SHELL__", &shell)
});

/// Every file served from the binary, by its path.
static FILES: LazyLock<HashMap<String, Served>> = LazyLock::new(|| {
    let text = |t: &'static str| axum::body::Bytes::from_static(t.as_bytes());
    let mut files = HashMap::new();
    files.insert("/".to_owned(), Served::new(HTML, text(INDEX_HTML)));
    for f in ROOT_FILES {
        files.insert(
            format!("/{}", f.name),
            Served::new(f.content_type, text(f.body)),
        );
    }
    for a in ASSETS {
        files.insert(
            format!("/assets/{}", a.name),
            Served::new(a.content_type, text(a.body)),
        );
    }
    for i in IMAGES {
        let body = axum::body::Bytes::from_static(i.body);
        files.insert(
            format!("/assets/{}", i.name),
            Served::new(i.content_type, body),
        );
    }
    files.insert(
        "/sw.js".to_owned(),
        Served::new(JS, axum::body::Bytes::from(SERVICE_WORKER.clone())),
    );
    files
});

/// `GET /`, `GET /assets/{file}`, `GET /assets/wasm/{file}`, and the
/// manifest, service worker and offline page at the root.
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(file))
        .route("/sw.js", get(file))
        .route("/assets/{file}", get(file))
        .route("/assets/wasm/{file}", get(wasm_asset));
    for f in ROOT_FILES {
        router = router.route(&format!("/{}", f.name), get(file));
    }
    router
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

/// Whether the site serves `path` from the binary (the page, an asset, an
/// icon, the manifest, the service worker or the offline page).
pub fn serves(path: &str) -> bool {
    FILES.contains_key(path)
}

/// A file compiled into the binary, by the request's path.
async fn file(uri: Uri, headers: HeaderMap) -> Response {
    let Some(f) = FILES.get(uri.path()) else {
        return AppError::not_found("asset").into_response();
    };
    let cache = [
        (header::ETAG, f.etag.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
    ];
    if none_match(&headers, &f.etag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        StatusCode::OK,
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(f.content_type),
        )],
        f.body.clone(),
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

    /// The pages served as HTML: the app and the offline page.
    fn pages() -> [(&'static str, &'static str); 2] {
        let offline = ROOT_FILES
            .iter()
            .find(|f| f.name == "offline.html")
            .expect("the offline page");
        [("index.html", INDEX_HTML), ("offline.html", offline.body)]
    }

    #[test]
    fn the_pages_load_only_files_the_router_serves() {
        for (page, html) in pages() {
            let mut refs = attribute_values(html, "src");
            refs.extend(attribute_values(html, "href"));
            assert!(!refs.is_empty());
            for r in refs {
                if r.starts_with('#') {
                    continue;
                }
                assert!(serves(r), "{page}: {r} is not served");
            }
        }
    }

    #[test]
    fn the_pages_have_no_inline_script_style_or_handler() {
        for (page, html) in pages() {
            let lower = html.to_ascii_lowercase();
            for (i, _) in lower.match_indices("<script") {
                let tag_end = i + lower[i..].find('>').expect("script tag closes");
                assert!(
                    lower[..tag_end].rfind("src=").is_some_and(|s| s > i),
                    "{page}: a <script> without src"
                );
                assert!(
                    lower[tag_end + 1..].trim_start().starts_with("</script>"),
                    "{page}: a <script> with a body"
                );
            }
            assert!(!lower.contains("<style"), "{page}: an inline <style>");
            assert!(!lower.contains(" style="), "{page}: a style= attribute");
            assert!(!lower.contains("javascript:"), "{page}: a javascript: URL");
            for tag in lower.split('<').skip(1) {
                let tag = tag.split('>').next().unwrap_or_default();
                for word in tag.split_whitespace() {
                    assert!(
                        !(word.starts_with("on") && word.contains('=')),
                        "{page}: an inline handler: {word}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_theme_is_set_by_a_classic_script_before_the_stylesheet() {
        for (page, html) in pages() {
            let theme = html
                .find(r#"<script src="/assets/theme.js"></script>"#)
                .unwrap_or_else(|| panic!("{page} loads theme.js as a classic script"));
            let css = html.find("/assets/style.css").expect("the stylesheet");
            assert!(theme < css, "{page}: theme.js comes before the stylesheet");
        }
    }

    #[test]
    fn every_file_has_a_distinct_path_and_a_body() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(!a.body.trim().is_empty(), "{} is empty", a.name);
            assert_eq!(find(a.name).map(|(j, _)| j), Some(i), "{} twice", a.name);
        }
        for i in IMAGES {
            assert!(
                i.body.starts_with(b"\x89PNG\r\n\x1a\n"),
                "{} is a PNG",
                i.name
            );
        }
        // The page, the root files, the assets, the icons and the worker.
        let expected = 1 + ROOT_FILES.len() + ASSETS.len() + IMAGES.len() + 1;
        assert_eq!(FILES.len(), expected, "a path served twice");
        assert!(serves("/sw.js") && serves("/manifest.webmanifest"));
    }

    /// The width and height a PNG's header gives.
    fn png_size(png: &[u8]) -> (u32, u32) {
        let be = |b: &[u8]| u32::from_be_bytes(b.try_into().expect("four bytes"));
        (be(&png[16..20]), be(&png[20..24]))
    }

    #[test]
    fn the_manifest_makes_the_app_installable_with_its_own_icons() {
        let manifest = ROOT_FILES
            .iter()
            .find(|f| f.name == "manifest.webmanifest")
            .expect("the manifest");
        let m: serde_json::Value = serde_json::from_str(manifest.body).expect("JSON");
        assert_eq!(m["name"], "AuraVest");
        assert_eq!(m["start_url"], "/");
        assert_eq!(m["scope"], "/");
        assert_eq!(m["display"], "standalone");
        assert!(m["theme_color"].is_string() && m["background_color"].is_string());
        let icons = m["icons"].as_array().expect("icons");
        let mut purposes = Vec::new();
        for icon in icons {
            let src = icon["src"].as_str().expect("src");
            let name = src.strip_prefix("/assets/").expect("under /assets/");
            let image = IMAGES
                .iter()
                .find(|i| i.name == name)
                .unwrap_or_else(|| panic!("{src} is not one of the icons"));
            assert_eq!(icon["type"], image.content_type);
            let (w, h) = png_size(image.body);
            assert_eq!(icon["sizes"], format!("{w}x{h}"), "{src}");
            purposes.push((w, icon["purpose"].as_str().unwrap_or("any").to_owned()));
        }
        for want in [(192, "any"), (512, "any"), (512, "maskable")] {
            assert!(
                purposes.iter().any(|(w, p)| *w == want.0 && p == want.1),
                "an icon of {want:?}"
            );
        }
    }

    #[test]
    fn the_service_worker_keeps_the_shell_under_a_versioned_cache() {
        let sw = SERVICE_WORKER.as_str();
        assert!(!sw.contains("__AURAVEST"), "every placeholder is filled in");
        let cache = format!("'auravest-{}-", env!("CARGO_PKG_VERSION"));
        assert!(sw.contains(&cache), "the cache is named after the version");
        let paths = shell_paths();
        for p in &paths {
            assert!(serves(p), "{p} is kept but not served");
            assert!(sw.contains(&format!("\"{p}\"")), "{p} is not in the worker");
        }
        for must in ["/", "/offline.html", "/assets/app.js", "/assets/style.css"] {
            assert!(paths.iter().any(|p| p == must), "{must} is kept");
        }
        assert!(!paths.iter().any(|p| p.starts_with("/api/")));
    }

    /// The declarations between `/* {marker}:begin */` and `/* {marker}:end */`
    /// in the stylesheet, trimmed, in order.
    fn css_block(marker: &str) -> Vec<&'static str> {
        let css = find("style.css").expect("the stylesheet").1.body;
        let begin = format!("/* {marker}:begin */");
        let end = format!("/* {marker}:end */");
        let from = css.find(&begin).expect("the block begins") + begin.len();
        let to = css.find(&end).expect("the block ends");
        css[from..to]
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("--") || l.starts_with("color-scheme"))
            .collect()
    }

    #[test]
    fn the_dark_theme_is_the_same_chosen_or_from_the_device() {
        let chosen = css_block("dark");
        assert!(chosen.len() > 20, "{chosen:?}");
        assert_eq!(chosen, css_block("system"));
        // Every colour the light theme sets, the dark one sets too.
        let css = find("style.css").expect("the stylesheet").1.body;
        let root = &css[css.find(":root {").expect(":root")..];
        let root = &root[..root.find('}').expect("the rule ends")];
        for line in root.lines().map(str::trim).filter(|l| l.starts_with("--")) {
            let name = line.split(':').next().unwrap_or_default();
            let is_colour = line.contains('#') || line.contains("rgba(");
            if is_colour {
                assert!(
                    chosen.iter().any(|d| d.starts_with(&format!("{name}:"))),
                    "{name} has no dark value"
                );
            }
        }
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

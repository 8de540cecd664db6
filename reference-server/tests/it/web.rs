//! The web UI's files: `GET /assets/wasm/{file}`, the WebAssembly package
//! served from `AURAVEST_WASM_DIR` with the build's compressed copies, an
//! `ETag` per encoding, and only when its version is the server's; and the
//! installable app's manifest, icons, service worker and offline page.

use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use crate::support::{TestApp, TestOptions, app, app_with};

const WASM: &[u8] = b"\0asm\x01\0\0\0 the module";
const BR: &[u8] = b"brotli copy";
const GZ: &[u8] = b"gzip copy";

/// A package folder: the module, its two copies and a `package.json` of
/// `version`.
fn package(dir: &Path, version: &str) {
    std::fs::write(dir.join("auravest_bg.wasm"), WASM).unwrap();
    std::fs::write(dir.join("auravest_bg.wasm.br"), BR).unwrap();
    std::fs::write(dir.join("auravest_bg.wasm.gz"), GZ).unwrap();
    std::fs::write(dir.join("slim.js"), "export default 1;").unwrap();
    std::fs::write(
        dir.join("package.json"),
        format!(r#"{{ "type": "module", "version": "{version}" }}"#),
    )
    .unwrap();
}

async fn app_serving(dir: &Path) -> TestApp {
    app_with(TestOptions::default().var("AURAVEST_WASM_DIR", &dir.display().to_string())).await
}

async fn get(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

fn value(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn the_module_goes_out_compressed_as_the_browser_accepts() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), env!("CARGO_PKG_VERSION"));
    let app = app_serving(dir.path()).await;
    let url = "/assets/wasm/auravest_bg.wasm";
    let mut etags = Vec::new();
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), BR),
        ("gzip, br;q=0", Some("gzip"), GZ),
        ("br;q=0, gzip;q=0", None, WASM),
        ("identity", None, WASM),
        ("*", Some("br"), BR),
        ("*;q=0, gzip", Some("gzip"), GZ),
    ] {
        let (status, h, got) = get(&app, url, &[("accept-encoding", accept)]).await;
        assert_eq!(status, StatusCode::OK, "{accept}");
        assert_eq!(value(&h, header::CONTENT_ENCODING), encoding, "{accept}");
        assert_eq!(got, body, "{accept}");
        assert_eq!(value(&h, header::CONTENT_TYPE), Some("application/wasm"));
        assert_eq!(value(&h, header::VARY), Some("accept-encoding"));
        assert_eq!(value(&h, header::CACHE_CONTROL), Some("no-cache"));
        etags.push(value(&h, header::ETAG).unwrap().to_owned());
    }
    // No header at all: the file itself.
    let (_, h, got) = get(&app, url, &[]).await;
    assert_eq!(
        (value(&h, header::CONTENT_ENCODING), got.as_slice()),
        (None, WASM)
    );
    // One tag per encoding, each revalidating to a 304 with an empty body.
    let (br, gz, plain) = (&etags[0], &etags[1], &etags[2]);
    assert!(br != gz && gz != plain && br != plain, "{etags:?}");
    assert!(
        br.ends_with("-br\"") && gz.ends_with("-gzip\""),
        "{etags:?}"
    );
    let (status, h, got) = get(
        &app,
        url,
        &[("accept-encoding", "br"), ("if-none-match", br)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(got.is_empty());
    assert_eq!(value(&h, header::ETAG), Some(br.as_str()));
    assert_eq!(value(&h, header::VARY), Some("accept-encoding"));
    // The brotli tag does not validate the plain file.
    let (status, _, got) = get(&app, url, &[("if-none-match", br)]).await;
    assert_eq!((status, got.as_slice()), (StatusCode::OK, WASM));
    // A file without copies is sent as it is, whatever is accepted.
    let (status, h, got) = get(&app, "/assets/wasm/slim.js", &[("accept-encoding", "br")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value(&h, header::CONTENT_ENCODING), None);
    assert_eq!(got, b"export default 1;");
    assert!(
        value(&h, header::CONTENT_TYPE)
            .unwrap()
            .starts_with("text/javascript")
    );
}

#[tokio::test]
async fn a_rebuilt_module_is_picked_up_and_stale_copies_are_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), env!("CARGO_PKG_VERSION"));
    let app = app_serving(dir.path()).await;
    let url = "/assets/wasm/auravest_bg.wasm";
    let (_, first, _) = get(&app, url, &[]).await;
    // A new build of the module, written after its copies: the copies are
    // from the old build and must not stand in for it.
    let module = dir.path().join("auravest_bg.wasm");
    std::fs::write(&module, b"\0asm\x01\0\0\0 a new build, longer").unwrap();
    let later = SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&module)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (status, h, got) = get(&app, url, &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value(&h, header::CONTENT_ENCODING), None);
    assert_eq!(got, b"\0asm\x01\0\0\0 a new build, longer");
    assert_ne!(value(&h, header::ETAG), value(&first, header::ETAG));
}

#[tokio::test]
async fn a_package_of_another_version_or_none_is_not_served() {
    for version in [Some("0.0.0-other"), None] {
        let dir = tempfile::tempdir().unwrap();
        package(dir.path(), "x");
        match version {
            Some(v) => package(dir.path(), v),
            None => std::fs::remove_file(dir.path().join("package.json")).unwrap(),
        }
        let app = app_serving(dir.path()).await;
        let (status, _, _) = get(&app, "/assets/wasm/auravest_bg.wasm", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{version:?}");
    }
    // Names outside the package's list are never read from the folder.
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), env!("CARGO_PKG_VERSION"));
    let app = app_serving(dir.path()).await;
    for name in ["package.json", "auravest_bg.wasm.br", "..%2Fsecrets.toml"] {
        let (status, _, _) = get(&app, &format!("/assets/wasm/{name}"), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
    }
}

#[tokio::test]
async fn pages_assets_and_api_answers_go_out_compressed_when_taken() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), env!("CARGO_PKG_VERSION"));
    let app = app_serving(dir.path()).await;
    let raw = auravest_reference_server::routes::web::ASSETS
        .iter()
        .find(|a| a.name == "app.js")
        .unwrap()
        .body;
    for (accept, encoding) in [("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br")] {
        let (status, headers, body) =
            get(&app, "/assets/app.js", &[("accept-encoding", accept)]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            value(&headers, header::CONTENT_ENCODING),
            Some(encoding),
            "{accept}"
        );
        assert!(
            value(&headers, header::VARY)
                .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
        );
        assert!(
            body.len() < raw.len() / 2,
            "{accept}: {} of {}",
            body.len(),
            raw.len()
        );
    }
    // Without Accept-Encoding: the text itself.
    let (_, headers, body) = get(&app, "/assets/app.js", &[]).await;
    assert_eq!(value(&headers, header::CONTENT_ENCODING), None);
    assert_eq!(body, raw.as_bytes());
    // The package's own brotli copy is sent as built, not compressed again.
    let (_, headers, body) = get(
        &app,
        "/assets/wasm/auravest_bg.wasm",
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(value(&headers, header::CONTENT_ENCODING), Some("br"));
    assert_eq!(body, BR);
}

#[tokio::test]
async fn the_installable_app_is_served_with_its_types_and_the_csp() {
    let app = app().await;
    for (path, content_type) in [
        ("/manifest.webmanifest", "application/manifest+json"),
        ("/sw.js", "text/javascript; charset=utf-8"),
        ("/offline.html", "text/html; charset=utf-8"),
        ("/assets/theme.js", "text/javascript; charset=utf-8"),
        ("/assets/appearance.js", "text/javascript; charset=utf-8"),
        ("/assets/icon-192.png", "image/png"),
        ("/assets/icon-512.png", "image/png"),
        ("/assets/icon-maskable-512.png", "image/png"),
    ] {
        let (status, h, body) = get(&app, path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            value(&h, header::CONTENT_TYPE),
            Some(content_type),
            "{path}"
        );
        assert_eq!(value(&h, header::CACHE_CONTROL), Some("no-cache"), "{path}");
        assert!(
            value(&h, header::CONTENT_SECURITY_POLICY)
                .is_some_and(|c| c.contains("default-src 'self'")),
            "{path}"
        );
        assert!(!body.is_empty(), "{path}");
        if content_type == "image/png" {
            assert!(body.starts_with(b"\x89PNG\r\n\x1a\n"), "{path}");
        }
        // Revalidation answers 304 with the same tag.
        let etag = value(&h, header::ETAG).expect("an ETag").to_owned();
        let (status, again, body) = get(&app, path, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
        assert_eq!(value(&again, header::ETAG), Some(etag.as_str()));
    }
    // The worker names its cache after this server and keeps only files
    // the server has.
    let (_, _, sw) = get(&app, "/sw.js", &[]).await;
    let sw = String::from_utf8(sw).unwrap();
    assert!(sw.contains(&format!("auravest-{}-", env!("CARGO_PKG_VERSION"))));
    assert!(!sw.contains("__AURAVEST"));
    let start = sw.find("const SHELL = ").unwrap() + "const SHELL = ".len();
    let end = start + sw[start..].find(';').unwrap();
    let shell: Vec<String> = serde_json::from_str(&sw[start..end]).unwrap();
    assert!(shell.contains(&"/offline.html".to_owned()));
    for path in &shell {
        let (status, _, _) = get(&app, path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path} is in the shell");
    }
    for path in ["/assets/icon-1024.png", "/sw.js.map", "/manifest.json"] {
        let (status, _, _) = get(&app, path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

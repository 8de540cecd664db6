//! End-to-end tests of the market commands: the binary against a local
//! wiremock server (through the `AURAVEST_*_BASE_URL` variables) replaying the
//! market crate's fixtures, and against a file source built from the sample
//! prices. Nothing here reaches the internet.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const VARS: [&str; 5] = [
    "AURAVEST_YAHOO_BASE_URL",
    "AURAVEST_YAHOO_COOKIE_URL",
    "AURAVEST_ALPHAVANTAGE_BASE_URL",
    "AURAVEST_STOOQ_BASE_URL",
    "AURAVEST_ALPHAVANTAGE_API_KEY",
];

fn fixture(name: &str) -> Vec<u8> {
    let p: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "market",
        "tests",
        "fixtures",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn examples_data() -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "examples", "data"]
        .iter()
        .collect();
    p.to_string_lossy().into_owned()
}

/// A mock server on its own runtime, alive while the test runs the binary.
struct Mocked {
    rt: tokio::runtime::Runtime,
    server: MockServer,
}

impl Mocked {
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(MockServer::start());
        Self { rt, server }
    }

    fn get(&self, p: &str, query: &[(&str, &str)], resp: ResponseTemplate) {
        let mut m = Mock::given(method("GET")).and(path(p.to_owned()));
        for (k, v) in query {
            m = m.and(query_param(*k, *v));
        }
        self.rt.block_on(m.respond_with(resp).mount(&self.server));
    }

    /// Runs the binary with every base URL pointed at the mock server and no API key.
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_auravest"));
        for v in VARS {
            cmd.env_remove(v);
        }
        for v in &VARS[..4] {
            cmd.env(v, self.server.uri());
        }
        cmd.args(args).output().expect("binary runs")
    }
}

fn json_body(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

fn run_offline(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auravest"));
    for v in VARS {
        cmd.env_remove(v);
    }
    // Unroutable on purpose: a test that forgot `--source file:` fails fast.
    for v in &VARS[..4] {
        cmd.env(v, "http://127.0.0.1:9");
    }
    cmd.args(args).output().expect("binary runs")
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn quote_json_in_argument_order_with_a_failure_exits_3() {
    let m = Mocked::start();
    m.get(
        "/v8/finance/chart/AAPL",
        &[("range", "5d")],
        json_body("yahoo_chart_daily.json"),
    );
    m.get(
        "/v8/finance/chart/GONE",
        &[],
        ResponseTemplate::new(404)
            .set_body_raw(fixture("yahoo_chart_404.json"), "application/json"),
    );
    let out = m.run(&["quote", "GONE", "AAPL", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    let v = stdout_json(&out);
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["symbol"], "GONE");
    // The message names the source and the symbol; what the upstream said
    // verbatim stays out of it (errors reach clients of the server too).
    assert_eq!(items[0]["error"], "yahoo: GONE not found");
    let q = &items[1];
    assert_eq!(q["symbol"], "AAPL");
    assert_eq!(q["price"], 185.56);
    assert_eq!(q["currency"], "USD");
    assert_eq!(q["as_of"], "2024-01-08T21:00:00Z");
    assert_eq!(q["source"], "yahoo");
    assert_eq!(q["delayed"], true);
    assert_eq!(q["stale"], true, "a 2024 price is stale now");
    assert!(q["fetched_at"].as_str().unwrap().ends_with('Z'));
    let keys: Vec<&str> = q.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys.len(),
        8,
        "symbol, price, currency, as_of, fetched_at, source, delayed, stale: {keys:?}"
    );
}

#[test]
fn quote_falls_back_to_stooq_when_yahoo_is_rate_limited() {
    let m = Mocked::start();
    m.get(
        "/v8/finance/chart/AAPL",
        &[],
        ResponseTemplate::new(429).set_body_raw(fixture("yahoo_429.txt"), "text/plain"),
    );
    m.get(
        "/q/d/l/",
        &[("s", "aapl.us")],
        ResponseTemplate::new(200).set_body_raw(fixture("stooq_daily.csv"), "text/csv"),
    );
    let out = m.run(&["quote", "AAPL", "AAPL", "--format", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(
        v.as_array().unwrap().len(),
        2,
        "duplicates answered in place"
    );
    assert_eq!(v[0]["source"], "stooq");
    assert_eq!(v[0]["price"], 181.18);
    assert_eq!(v[1]["source"], "stooq");
}

#[test]
fn history_json_lists_rows_and_dropped_rows() {
    let m = Mocked::start();
    m.get(
        "/v8/finance/chart/AAPL",
        &[("interval", "1d")],
        json_body("yahoo_chart_nulls.json"),
    );
    let out = m.run(&[
        "history",
        "AAPL",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-08",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(v["symbol"], "AAPL");
    assert_eq!(v["source"], "yahoo");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["date"], "2024-01-02");
    assert_eq!(rows[0]["close"], 185.64);
    assert_eq!(rows[0]["adj_close"], 184.73);
    assert_eq!(rows[0]["volume"], 82_488_700);
    let dropped = v["dropped"].as_array().unwrap();
    assert_eq!(dropped.len(), 2);
    assert_eq!(dropped[0]["date"], "2024-01-03");
    assert_eq!(dropped[0]["reason"], "close is missing");
}

#[test]
fn history_csv_has_a_source_column_and_reports_drops_on_stderr() {
    let m = Mocked::start();
    m.get(
        "/v8/finance/chart/AAPL",
        &[("interval", "1d")],
        json_body("yahoo_chart_nulls.json"),
    );
    let out = m.run(&[
        "history",
        "AAPL",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-08",
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "date,open,high,low,close,adj_close,volume,source");
    assert_eq!(
        lines[1],
        "2024-01-02,187.15,188.44,183.89,185.64,184.73,82488700,yahoo"
    );
    assert_eq!(lines.len(), 4);
    assert!(stderr(&out).contains("AAPL: 2024-01-05: dropped: close is missing"));
}

#[test]
fn history_from_a_file_source() {
    let src = format!("file:{}", examples_data());
    let out = run_offline(&[
        "history",
        "SPY",
        "--from",
        "2015-01-02",
        "--to",
        "2015-01-06",
        "--source",
        &src,
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "date,open,high,low,close,adj_close,volume,source\n\
         2015-01-02,,,,187.074585,187.074585,,file\n\
         2015-01-05,,,,183.696091,183.696091,,file\n\
         2015-01-06,,,,181.965881,181.965881,,file\n"
    );
}

#[test]
fn prices_writes_the_core_layout_that_optimize_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("p.csv");
    let src = format!("file:{}", examples_data());
    let out = run_offline(&[
        "prices",
        "AAPL",
        "SPY",
        "AAPL",
        "--from",
        "2015-01-02",
        "--to",
        "2015-03-31",
        "--out",
        out_path.to_str().unwrap(),
        "--adjusted",
        "false",
        "--source",
        &src,
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = std::fs::read_to_string(&out_path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("date,AAPL,SPY"));
    assert_eq!(lines.next(), Some("2015-01-02,103.074188,187.074585"));
    let n = text.lines().count() - 1;
    assert!(n > 50 && n < 70, "{n} trading days in Q1 2015");
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote"));
    // optimize reads the file back.
    let opt = run_offline(&[
        "optimize",
        "--prices",
        out_path.to_str().unwrap(),
        "--objective",
        "min-volatility",
        "--format",
        "json",
    ]);
    assert!(opt.status.success(), "stderr: {}", stderr(&opt));
    let w = stdout_json(&opt);
    let sum: f64 = w["weights"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-6);
}

#[test]
fn prices_warns_when_adjusted_closes_are_missing_and_fails_on_unknown_symbols() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("p.csv");
    let src = format!("file:{}", examples_data());
    let p = out_path.to_str().unwrap().to_owned();
    let ok = [
        "prices",
        "AAPL",
        "--from",
        "2015-01-02",
        "--to",
        "2015-01-09",
        "--out",
        &p,
        "--source",
        &src,
    ];
    let out = run_offline(&ok);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    // The prices layout is read as adjusted closes: no warning on the
    // (adjusted) sample.
    assert!(
        !stderr(&out).contains("no adjusted closes"),
        "{}",
        stderr(&out)
    );
    // A per-symbol file without an adj_close column does warn.
    let own = tempfile::tempdir().unwrap();
    std::fs::write(
        own.path().join("AAPL.csv"),
        "date,close\n2015-01-02,109.33\n2015-01-05,106.25\n",
    )
    .unwrap();
    let own_src = format!("file:{}", own.path().display());
    let unadjusted = run_offline(&[
        "prices",
        "AAPL",
        "--from",
        "2015-01-02",
        "--to",
        "2015-01-09",
        "--out",
        &p,
        "--source",
        &own_src,
    ]);
    assert!(
        unadjusted.status.success(),
        "stderr: {}",
        stderr(&unadjusted)
    );
    assert!(
        stderr(&unadjusted).contains("AAPL: warning: the source has no adjusted closes"),
        "{}",
        stderr(&unadjusted)
    );
    // Off a terminal the bar is not drawn unless asked for.
    assert!(!stderr(&out).contains("1/1"), "{}", stderr(&out));

    let bad = [
        "prices",
        "AAPL",
        "NOPE",
        "--from",
        "2015-01-02",
        "--to",
        "2015-01-09",
        "--out",
        &p,
        "--source",
        &src,
    ];
    std::fs::remove_file(&out_path).unwrap();
    let out = run_offline(&bad);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("NOPE"), "{}", stderr(&out));
    assert!(!out_path.exists(), "no partial file");
}

#[test]
fn prices_draws_a_progress_bar_per_symbol_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.csv");
    let src = format!("file:{}", examples_data());
    let out = run_offline(&[
        "prices",
        "AAPL",
        "SPY",
        "JPM",
        "SPY",
        "--from",
        "2015-01-02",
        "--to",
        "2015-01-09",
        "--out",
        p.to_str().unwrap(),
        "--source",
        &src,
        "--progress",
        "always",
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    // Three distinct symbols (SPY asked twice is fetched once): frames 1/3, 2/3, 3/3.
    let frames: Vec<&str> = err
        .split('\r')
        .filter(|f| f.starts_with('['))
        .map(|f| f.lines().next().unwrap_or_default())
        .collect();
    assert_eq!(frames.len(), 3, "{err:?}");
    assert!(
        frames[0].ends_with("] 1/3") && frames[0].contains(&"#".repeat(10)),
        "{err:?}"
    );
    assert!(
        frames[2].ends_with("] 3/3") && frames[2].contains(&"#".repeat(30)),
        "{err:?}"
    );
    assert!(err.contains("3/3\n"), "the bar ends its line: {err:?}");
}

#[test]
fn fundamentals_json_through_the_crumb_handshake() {
    let m = Mocked::start();
    m.get(
        "/",
        &[],
        ResponseTemplate::new(404).insert_header("set-cookie", "A3=d=abc; Path=/; Secure"),
    );
    m.get(
        "/v1/test/getcrumb",
        &[],
        ResponseTemplate::new(200).set_body_string("crumb123"),
    );
    m.get(
        "/v10/finance/quoteSummary/AAPL",
        &[("crumb", "crumb123")],
        json_body("yahoo_quote_summary.json"),
    );
    let out = m.run(&["fundamentals", "AAPL", "--format", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(v["source"], "yahoo");
    assert_eq!(v["trailing_pe"], 30.22);
    assert_eq!(v["eps"], 6.14);
    assert_eq!(v["sector"], "Technology");
    assert_eq!(v["country"], "US");
    assert_eq!(v["instrument"]["asset_class"], "equity");
    assert_eq!(v["instrument"]["currency"], "USD");
}

#[test]
fn search_json() {
    let m = Mocked::start();
    m.get(
        "/v1/finance/search",
        &[("q", "apple")],
        json_body("yahoo_search.json"),
    );
    let out = m.run(&["search", "apple", "--format", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(v[0]["symbol"], "AAPL");
    assert_eq!(v[0]["exchange"], "NASDAQ");
    assert_eq!(v[1]["symbol"], "AAPL.NE");
}

#[test]
fn forced_source_and_bad_input() {
    let m = Mocked::start();
    m.get(
        "/q/d/l/",
        &[("s", "aapl.us")],
        ResponseTemplate::new(200).set_body_raw(fixture("stooq_challenge.html"), "text/html"),
    );
    // Forcing Stooq skips Yahoo entirely (it has no mock): the HTML page is unavailable.
    let out = m.run(&["quote", "AAPL", "--source", "stooq", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let v = stdout_json(&out);
    assert!(
        v[0]["error"]
            .as_str()
            .unwrap()
            .contains("stooq: unavailable: HTML page")
    );

    let out = m.run(&["quote", "AAPL", "--source", "bloomberg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--source"));
    let out = m.run(&["quote", "AA PL"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SYMBOL: AA PL:"), "{}", stderr(&out));
    let out = m.run(&[
        "history",
        "AAPL",
        "--from",
        "2024-02-01",
        "--to",
        "2024-01-01",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

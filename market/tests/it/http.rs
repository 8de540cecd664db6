//! The HTTP sources against a local wiremock server replaying fixtures shaped
//! like Yahoo's, Alpha Vantage's and Stooq's answers. Each test checks which
//! source answered and what the chain did with the others.

use std::sync::Arc;
use std::time::Duration;

use auravest_market::{
    AlphaVantageSource, BreakerState, Chain, Error, FileSource, HistoryRequest, HttpConfig,
    Interval, QuoteSource, StooqSource, YahooSource,
};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{close_to, date, examples_prices, fixture, sym};

const CHART: &str = "/v8/finance/chart";

fn config(server: &MockServer) -> HttpConfig {
    let uri = server.uri();
    HttpConfig::from_lookup(|k| match k {
        "AURAVEST_ALPHAVANTAGE_API_KEY" => Some("TESTKEY".to_owned()),
        k if k.ends_with("_URL") => Some(uri.clone()),
        _ => None,
    })
    .unwrap()
}

/// Yahoo, Alpha Vantage and Stooq, all pointed at the mock server.
fn chain(server: &MockServer) -> Chain {
    Chain::new(config(server).sources().unwrap())
}

fn json(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

async fn mount(server: &MockServer, p: &str, resp: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path(p.to_owned()))
        .respond_with(resp)
        .expect(times)
        .mount(server)
        .await;
}

async fn av(server: &MockServer, function: &str, resp: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", function))
        .and(query_param("apikey", "TESTKEY"))
        .respond_with(resp)
        .expect(times)
        .mount(server)
        .await;
}

fn req(s: &str, from: &str, to: &str) -> HistoryRequest {
    HistoryRequest::daily(sym(s), date(from), date(to)).unwrap()
}

#[tokio::test]
async fn yahoo_daily_chart_gives_history_and_quote() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{CHART}/AAPL")))
        .and(query_param("interval", "1d"))
        .and(query_param("events", "div|split"))
        .respond_with(json("yahoo_chart_daily.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{CHART}/AAPL")))
        .and(query_param("range", "5d"))
        .respond_with(json("yahoo_chart_daily.json"))
        .expect(1)
        .mount(&server)
        .await;
    let chain = chain(&server);
    let h = chain
        .history(&req("AAPL", "2024-01-02", "2024-01-08"))
        .await
        .unwrap();
    assert_eq!(h.source, "yahoo");
    assert!(h.attempts.is_empty());
    assert_eq!(h.currency.map(|c| c.to_string()).as_deref(), Some("USD"));
    let dates: Vec<String> = h.bars.iter().map(|b| b.date.to_string()).collect();
    assert_eq!(
        dates,
        [
            "2024-01-02",
            "2024-01-03",
            "2024-01-04",
            "2024-01-05",
            "2024-01-08"
        ]
    );
    let b = h.bars[0];
    assert!(close_to(b.close, 185.64) && close_to(b.adj_close.unwrap(), 184.73));
    assert!(close_to(b.open.unwrap(), 187.15) && close_to(b.high.unwrap(), 188.44));
    assert_eq!(b.volume, Some(82_488_700));
    assert!(h.dropped.is_empty() && h.flagged.is_empty());
    let q = chain.quote(&sym("AAPL")).await.unwrap();
    assert_eq!(q.source, "yahoo");
    assert!(close_to(q.price, 185.56));
    assert_eq!(q.market_time.to_rfc3339(), "2024-01-08T21:00:00+00:00");
    assert!(q.delayed);
}

#[tokio::test]
async fn yahoo_split_and_dividend_are_parsed() {
    let server = MockServer::start().await;
    mount(
        &server,
        &format!("{CHART}/AAPL"),
        json("yahoo_chart_split_dividend.json"),
        1,
    )
    .await;
    let h = chain(&server)
        .history(&req("AAPL", "2020-08-01", "2020-09-01"))
        .await
        .unwrap();
    assert_eq!(h.source, "yahoo");
    assert_eq!(h.splits.len(), 1);
    assert_eq!(h.splits[0].date, date("2020-08-31"));
    assert!(close_to(h.splits[0].ratio(), 4.0));
    assert_eq!(h.dividends.len(), 1);
    assert_eq!(h.dividends[0].date, date("2020-08-07"));
    assert!(close_to(h.dividends[0].amount, 0.205));
    // Closes are as traded; adjusted closes come from Yahoo's adjclose.
    assert!(close_to(h.bars[2].close, 124.81) && close_to(h.bars[2].adj_close.unwrap(), 121.76));
    // The split-day jump is 1.03x in Yahoo's split-adjusted closes: not flagged.
    assert!(h.flagged.is_empty());
}

#[tokio::test]
async fn yahoo_nulls_inside_arrays_drop_rows_with_reasons() {
    let server = MockServer::start().await;
    mount(
        &server,
        &format!("{CHART}/AAPL"),
        json("yahoo_chart_nulls.json"),
        1,
    )
    .await;
    let h = chain(&server)
        .history(&req("AAPL", "2024-01-02", "2024-01-08"))
        .await
        .unwrap();
    assert_eq!(h.source, "yahoo");
    assert_eq!(h.bars.len(), 3);
    let dropped: Vec<(String, &str)> = h
        .dropped
        .iter()
        .map(|d| (d.date.unwrap().to_string(), d.reason.as_str()))
        .collect();
    assert_eq!(
        dropped,
        [
            ("2024-01-03".to_owned(), "close is missing"),
            ("2024-01-05".to_owned(), "close is missing")
        ]
    );
}

#[tokio::test]
async fn yahoo_empty_range_falls_through_to_alpha_vantage() {
    let server = MockServer::start().await;
    mount(
        &server,
        &format!("{CHART}/IBM"),
        json("yahoo_chart_empty.json"),
        2,
    )
    .await;
    av(
        &server,
        "TIME_SERIES_DAILY",
        json("av_time_series_daily.json"),
        1,
    )
    .await;
    let chain = chain(&server);
    let h = chain
        .history(&req("IBM", "2024-01-02", "2024-01-05"))
        .await
        .unwrap();
    assert_eq!(h.source, "alphavantage");
    assert_eq!(h.attempts.len(), 1);
    assert_eq!(h.attempts[0].source, "yahoo");
    assert!(matches!(h.attempts[0].error, Error::NoData { .. }));
    // Numbers arrived as strings; dates come out in order.
    assert_eq!(h.bars.len(), 4);
    assert_eq!(h.bars[0].date, date("2024-01-02"));
    assert!(close_to(h.bars[3].close, 161.5));
    assert_eq!(h.bars[3].volume, Some(4_119_800));
    assert_eq!(h.bars[3].adj_close, None);
    // The empty chart still has a price in meta, and `currency: null` is accepted.
    let q = chain.quote(&sym("IBM")).await.unwrap();
    assert_eq!(q.source, "yahoo");
    assert_eq!(q.currency, None);
    // Yahoo's empty answer is not a failure: its circuit stays closed.
    assert_eq!(chain.breaker_state("yahoo"), Some(BreakerState::Closed));
}

#[tokio::test]
async fn yahoo_404_delisted_stops_the_chain() {
    let server = MockServer::start().await;
    mount(
        &server,
        &format!("{CHART}/GONE"),
        ResponseTemplate::new(404)
            .set_body_raw(fixture("yahoo_chart_404.json"), "application/json"),
        2,
    )
    .await;
    av(
        &server,
        "TIME_SERIES_DAILY",
        json("av_time_series_daily.json"),
        0,
    )
    .await;
    av(&server, "GLOBAL_QUOTE", json("av_global_quote.json"), 0).await;
    mount(&server, "/q/d/l/", ResponseTemplate::new(200), 0).await;
    let chain = chain(&server);
    let e = chain
        .history(&req("GONE", "2024-01-02", "2024-01-05"))
        .await
        .unwrap_err();
    match &e {
        Error::NotFound {
            source_name,
            reason,
            ..
        } => {
            assert_eq!(source_name, "yahoo");
            assert_eq!(reason, "No data found, symbol may be delisted");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(chain.quote(&sym("GONE")).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn yahoo_429_plain_text_moves_on_and_opens_the_circuit() {
    let server = MockServer::start().await;
    mount(
        &server,
        &format!("{CHART}/IBM"),
        ResponseTemplate::new(429)
            .insert_header("retry-after", "120")
            .set_body_raw(fixture("yahoo_429.txt"), "text/plain"),
        1,
    )
    .await;
    av(&server, "GLOBAL_QUOTE", json("av_global_quote.json"), 2).await;
    let chain = chain(&server);
    let q = chain.quote(&sym("IBM")).await.unwrap();
    assert_eq!(q.source, "alphavantage");
    assert!(close_to(q.price, 161.5));
    assert_eq!(q.market_time.date_naive(), date("2024-01-05"));
    assert_eq!(q.attempts[0].source, "yahoo");
    assert_eq!(
        q.attempts[0].error,
        Error::RateLimited {
            source_name: "yahoo".to_owned(),
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(chain.breaker_state("yahoo"), Some(BreakerState::Open));
    // While open, Yahoo is skipped without a call (the mock expects one).
    let q = chain.quote(&sym("IBM")).await.unwrap();
    assert_eq!(q.source, "alphavantage");
    assert!(matches!(q.attempts[0].error, Error::CircuitOpen { .. }));
}

async fn crumb_handshake(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("set-cookie", "A3=d=AQABBKtest&S=AQAAAtest; Expires=Sat, 01 Feb 2031 00:00:00 GMT; Max-Age=31557600; Domain=.yahoo.com; Path=/; Secure; HttpOnly; SameSite=None")
                .set_body_string("<html>404</html>"),
        )
        .expect(2)
        .mount(server)
        .await;
    // The first crumb goes stale; the handshake after the 401 gets a new one.
    Mock::given(method("GET"))
        .and(path("/v1/test/getcrumb"))
        .and(header("cookie", "A3=d=AQABBKtest&S=AQAAAtest"))
        .respond_with(ResponseTemplate::new(200).set_body_string("old.crumb/1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/test/getcrumb"))
        .and(header("cookie", "A3=d=AQABBKtest&S=AQAAAtest"))
        .respond_with(ResponseTemplate::new(200).set_body_string("newCrumb2"))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn yahoo_invalid_crumb_is_refreshed_once_then_fundamentals_fill_the_instrument() {
    let server = MockServer::start().await;
    crumb_handshake(&server).await;
    Mock::given(method("GET"))
        .and(path("/v10/finance/quoteSummary/AAPL"))
        .and(query_param("crumb", "old.crumb/1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(fixture("yahoo_crumb_invalid.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v10/finance/quoteSummary/AAPL"))
        .and(query_param("crumb", "newCrumb2"))
        .and(query_param(
            "modules",
            "price,summaryDetail,defaultKeyStatistics,assetProfile",
        ))
        .respond_with(json("yahoo_quote_summary.json"))
        .expect(2)
        .mount(&server)
        .await;
    let chain = chain(&server);
    let f = chain.fundamentals(&sym("AAPL")).await.unwrap();
    assert_eq!(f.source, "yahoo");
    assert_eq!(f.trailing_pe, Some(30.22));
    assert_eq!(f.eps, Some(6.14));
    assert_eq!(f.dividend_yield, Some(0.0052));
    assert_eq!(f.market_cap, Some(2_886_000_000_000.0));
    let i = f.to_instrument().unwrap();
    assert_eq!(i.asset_class, auravest_core::AssetClass::Equity);
    assert_eq!(i.sector.as_deref(), Some("Technology"));
    assert_eq!(i.country.as_deref(), Some("US"));
    assert_eq!(i.name.as_deref(), Some("Apple Inc."));
    // The refreshed crumb is cached: no new handshake.
    chain.fundamentals(&sym("AAPL")).await.unwrap();
}

#[tokio::test]
async fn yahoo_crumb_rejected_twice_is_unauthorized() {
    let server = MockServer::start().await;
    crumb_handshake(&server).await;
    Mock::given(method("GET"))
        .and(path("/v10/finance/quoteSummary/AAPL"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(fixture("yahoo_crumb_invalid.json"), "application/json"),
        )
        .expect(2)
        .mount(&server)
        .await;
    let yahoo = YahooSource::new(&config(&server)).unwrap();
    let e = yahoo.fundamentals(&sym("AAPL")).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
}

#[tokio::test]
async fn yahoo_quote_summary_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(404).insert_header("set-cookie", "A3=x; Path=/"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/test/getcrumb"))
        .respond_with(ResponseTemplate::new(200).set_body_string("c"))
        .mount(&server)
        .await;
    mount(
        &server,
        "/v10/finance/quoteSummary/NOPE",
        ResponseTemplate::new(404)
            .set_body_raw(fixture("yahoo_quote_summary_404.json"), "application/json"),
        1,
    )
    .await;
    let e = chain(&server).fundamentals(&sym("NOPE")).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn yahoo_minor_units_become_major_units() {
    let server = MockServer::start().await;
    mount(
        &server,
        &format!("{CHART}/VOD.L"),
        json("yahoo_chart_gbp.json"),
        2,
    )
    .await;
    let chain = chain(&server);
    let q = chain.quote(&sym("VOD.L")).await.unwrap();
    assert_eq!(q.currency.map(|c| c.to_string()).as_deref(), Some("GBP"));
    assert!(close_to(q.price, 0.7012));
    let h = chain
        .history(&req("VOD.L", "2024-01-04", "2024-01-05"))
        .await
        .unwrap();
    assert!(close_to(h.bars[1].close, 0.7012));
    assert!(close_to(h.bars[0].high.unwrap(), 0.703));
}

#[tokio::test]
async fn yahoo_search_finds_symbols_by_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/finance/search"))
        .and(query_param("q", "apple inc"))
        .respond_with(json("yahoo_search.json"))
        .expect(1)
        .mount(&server)
        .await;
    let hits = chain(&server).search("apple inc").await.unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].symbol, "AAPL");
    assert_eq!(hits[0].name.as_deref(), Some("Apple Inc."));
    assert_eq!(hits[0].exchange.as_deref(), Some("NASDAQ"));
    assert_eq!(hits[0].source, "yahoo");
}

async fn yahoo_down(server: &MockServer, symbol: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{CHART}/{symbol}")))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .mount(server)
        .await;
}

async fn stooq(server: &MockServer, resp: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/q/d/l/"))
        .and(query_param("s", "aapl.us"))
        .and(query_param("i", "d"))
        .respond_with(resp)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn alpha_vantage_note_moves_on_to_stooq() {
    let server = MockServer::start().await;
    yahoo_down(&server, "AAPL").await;
    av(&server, "TIME_SERIES_DAILY", json("av_note.json"), 1).await;
    Mock::given(method("GET"))
        .and(path("/q/d/l/"))
        .and(query_param("s", "aapl.us"))
        .and(query_param("d1", "20240102"))
        .and(query_param("d2", "20240105"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("stooq_daily.csv"), "text/csv"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let h = chain(&server)
        .history(&req("AAPL", "2024-01-02", "2024-01-05"))
        .await
        .unwrap();
    assert_eq!(h.source, "stooq");
    let tried: Vec<&str> = h.attempts.iter().map(|a| a.source.as_str()).collect();
    assert_eq!(tried, ["yahoo", "alphavantage"]);
    assert!(matches!(h.attempts[0].error, Error::Unavailable { .. }));
    assert!(matches!(
        h.attempts[1].error,
        Error::RateLimited {
            retry_after: Some(_),
            ..
        }
    ));
    assert_eq!(h.bars.len(), 4);
    assert!(close_to(h.bars[2].close, 181.91));
    assert_eq!(h.bars[2].volume, Some(71_983_570));
}

#[tokio::test]
async fn alpha_vantage_information_daily_limit_is_rate_limited() {
    let server = MockServer::start().await;
    yahoo_down(&server, "AAPL").await;
    av(&server, "GLOBAL_QUOTE", json("av_information.json"), 1).await;
    stooq(
        &server,
        ResponseTemplate::new(200).set_body_raw(fixture("stooq_daily.csv"), "text/csv"),
        1,
    )
    .await;
    let chain = chain(&server);
    let q = chain.quote(&sym("AAPL")).await.unwrap();
    assert_eq!(q.source, "stooq");
    assert!(close_to(q.price, 181.18));
    assert_eq!(q.market_time.date_naive(), date("2024-01-05"));
    assert!(matches!(
        q.attempts[1].error,
        Error::RateLimited {
            ref source_name,
            ..
        } if source_name == "alphavantage"
    ));
}

#[tokio::test]
async fn alpha_vantage_premium_information_is_unauthorized() {
    let server = MockServer::start().await;
    av(
        &server,
        "GLOBAL_QUOTE",
        ResponseTemplate::new(200).set_body_string(
            r#"{"Information": "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints"}"#,
        ),
        1,
    )
    .await;
    let src = AlphaVantageSource::new(&config(&server)).unwrap();
    let e = src.quote(&sym("IBM")).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
}

#[tokio::test]
async fn alpha_vantage_error_message_stops_the_chain() {
    let server = MockServer::start().await;
    yahoo_down(&server, "ZZZZ").await;
    av(
        &server,
        "TIME_SERIES_DAILY",
        json("av_error_message.json"),
        1,
    )
    .await;
    mount(&server, "/q/d/l/", ResponseTemplate::new(200), 0).await;
    let e = chain(&server)
        .history(&req("ZZZZ", "2024-01-02", "2024-01-05"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::NotFound { ref source_name, ref reason, .. }
            if source_name == "alphavantage" && reason.starts_with("Invalid API call")),
        "{e:?}"
    );
}

#[tokio::test]
async fn stooq_no_data_falls_through_to_the_file_source() {
    let server = MockServer::start().await;
    yahoo_down(&server, "AAPL").await;
    av(&server, "TIME_SERIES_DAILY", json("av_note.json"), 1).await;
    stooq(
        &server,
        ResponseTemplate::new(200).set_body_raw(fixture("stooq_no_data.txt"), "text/plain"),
        1,
    )
    .await;
    let mut sources = config(&server).sources().unwrap();
    sources.push(Arc::new(FileSource::new(examples_prices())));
    let h = Chain::new(sources)
        .history(&req("AAPL", "2015-01-02", "2015-01-09"))
        .await
        .unwrap();
    assert_eq!(h.source, "file");
    assert_eq!(h.bars.len(), 6);
    assert!(matches!(
        h.attempts[2].error,
        Error::NoData { ref source_name, .. } if source_name == "stooq"
    ));
}

#[tokio::test]
async fn stooq_html_under_200_is_unavailable_and_the_chain_is_exhausted() {
    let server = MockServer::start().await;
    yahoo_down(&server, "AAPL").await;
    av(&server, "TIME_SERIES_DAILY", json("av_note.json"), 1).await;
    stooq(
        &server,
        ResponseTemplate::new(200)
            .set_body_raw(fixture("stooq_challenge.html"), "text/html; charset=utf-8"),
        1,
    )
    .await;
    let chain = chain(&server);
    let e = chain
        .history(&req("AAPL", "2024-01-02", "2024-01-05"))
        .await
        .unwrap_err();
    let Error::Exhausted { attempts } = e else {
        panic!("expected Exhausted, got {e:?}");
    };
    let tried: Vec<&str> = attempts.iter().map(|a| a.source.as_str()).collect();
    assert_eq!(tried, ["yahoo", "alphavantage", "stooq"]);
    assert!(matches!(attempts[2].error, Error::Unavailable { .. }));
}

#[tokio::test]
async fn stooq_html_without_content_type_is_still_detected() {
    let server = MockServer::start().await;
    stooq(
        &server,
        ResponseTemplate::new(200).set_body_raw(fixture("stooq_challenge.html"), "text/plain"),
        1,
    )
    .await;
    let src = StooqSource::new(&config(&server)).unwrap();
    let e = src
        .history(&req("AAPL", "2024-01-02", "2024-01-05"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
}

#[tokio::test]
async fn unsupported_intervals_and_symbols_skip_sources() {
    let server = MockServer::start().await;
    // Alpha Vantage has no weekly series: the chain goes from Yahoo to Stooq.
    yahoo_down(&server, "AAPL").await;
    Mock::given(method("GET"))
        .and(path("/q/d/l/"))
        .and(query_param("i", "w"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("stooq_daily.csv"), "text/csv"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let chain = chain(&server);
    let weekly = HistoryRequest::new(
        sym("AAPL"),
        date("2024-01-01"),
        date("2024-01-31"),
        Interval::Weekly,
    )
    .unwrap();
    let h = chain.history(&weekly).await.unwrap();
    assert_eq!(h.source, "stooq");
    assert!(matches!(h.attempts[1].error, Error::Unsupported { .. }));
    // An index is served by Yahoo only.
    yahoo_down(&server, "%5EGSPC").await;
    let e = chain.quote(&sym("^GSPC")).await.unwrap_err();
    let Error::Exhausted { attempts } = e else {
        panic!("expected Exhausted");
    };
    assert!(matches!(attempts[1].error, Error::Unsupported { .. }));
    assert!(matches!(attempts[2].error, Error::Unsupported { .. }));
}

#[tokio::test]
async fn without_an_api_key_alpha_vantage_is_left_out() {
    let cfg = HttpConfig::from_lookup(|_| None).unwrap();
    let names = Chain::new(cfg.sources().unwrap()).source_names();
    assert_eq!(names, ["yahoo", "stooq"]);
}

// ---------------------------------------------------------------------------
// Symbols in URL paths
// ---------------------------------------------------------------------------

#[tokio::test]
async fn symbols_arrive_as_one_encoded_path_segment() {
    let server = MockServer::start().await;
    for encoded in ["%5EGSPC", "EURUSD%3DX", "M%26M.NS", "BRK-B", "VOD.L"] {
        mount(
            &server,
            &format!("{CHART}/{encoded}"),
            json("yahoo_chart_daily.json"),
            1,
        )
        .await;
    }
    let yahoo = YahooSource::new(&config(&server)).unwrap();
    for symbol in ["^GSPC", "EURUSD=X", "M&M.NS", "BRK-B", "VOD.L"] {
        let q = yahoo.quote(&sym(symbol)).await;
        assert!(q.is_ok(), "{symbol}: {q:?}");
    }
    // quoteSummary takes the symbol in its path too.
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).insert_header("set-cookie", "A3=x; Path=/"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/test/getcrumb"))
        .respond_with(ResponseTemplate::new(200).set_body_string("c"))
        .mount(&server)
        .await;
    mount(
        &server,
        "/v10/finance/quoteSummary/%5EGSPC",
        json("yahoo_quote_summary.json"),
        1,
    )
    .await;
    assert!(yahoo.fundamentals(&sym("^GSPC")).await.is_ok());
}

// ---------------------------------------------------------------------------
// What errors show: never URLs, keys, crumbs or cookie hosts
// ---------------------------------------------------------------------------

/// Checks that an error's text is fit for a client of the reference server.
#[track_caller]
fn assert_safe(e: &Error, server_uri: &str) {
    let shown = e.to_string();
    let host = server_uri.trim_start_matches("http://");
    for secret in [
        "TESTKEY", "apikey", "crumb=", "http://", host, "/query", "A3=",
    ] {
        assert!(!shown.contains(secret), "{secret:?} in {shown:?}");
    }
    let diagnostic = e.diagnostic();
    for secret in ["TESTKEY", "apikey=T", "A3=", "crumb=c"] {
        assert!(!diagnostic.contains(secret), "{secret:?} in {diagnostic:?}");
    }
}

fn config_at(uri: &str) -> HttpConfig {
    let uri = uri.to_owned();
    HttpConfig::from_lookup(move |k| match k {
        "AURAVEST_ALPHAVANTAGE_API_KEY" => Some("TESTKEY".to_owned()),
        k if k.ends_with("_URL") => Some(uri.clone()),
        _ => None,
    })
    .unwrap()
}

#[tokio::test]
async fn a_closed_port_is_connection_refused_without_the_url_or_key() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let uri = format!("http://127.0.0.1:{port}");
    let av = AlphaVantageSource::new(&config_at(&uri)).unwrap();
    let e = av.quote(&sym("IBM")).await.unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "alphavantage: unavailable: connection refused"
    );
    assert_safe(&e, &uri);
    // The endpoint, without its query, is in the diagnostic for operators.
    assert!(e.diagnostic().contains("/query"), "{}", e.diagnostic());
}

#[tokio::test]
async fn a_dropped_connection_shows_neither_the_url_nor_the_key() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            drop(socket);
        }
    });
    let av = AlphaVantageSource::new(&config_at(&uri)).unwrap();
    let e = av.quote(&sym("IBM")).await.unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    assert_safe(&e, &uri);
}

#[tokio::test]
async fn a_timeout_says_so_and_nothing_more() {
    let server = MockServer::start().await;
    av(
        &server,
        "GLOBAL_QUOTE",
        json("av_global_quote.json").set_delay(Duration::from_secs(5)),
        1,
    )
    .await;
    let mut cfg = config(&server);
    cfg.timeout = Duration::from_millis(200);
    let e = AlphaVantageSource::new(&cfg)
        .unwrap()
        .quote(&sym("IBM"))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "alphavantage: unavailable: timed out");
    assert_safe(&e, &server.uri());
}

#[tokio::test]
async fn upstream_bodies_that_echo_the_request_stay_out_of_errors() {
    let server = MockServer::start().await;
    let echo = format!(
        "Service Unavailable for {}/query?function=GLOBAL_QUOTE&symbol=IBM&apikey=TESTKEY",
        server.uri()
    );
    av(
        &server,
        "GLOBAL_QUOTE",
        ResponseTemplate::new(503).set_body_string(echo.clone()),
        1,
    )
    .await;
    yahoo_down(&server, "IBM").await;
    Mock::given(method("GET"))
        .and(path("/q/d/l/"))
        .respond_with(ResponseTemplate::new(502).set_body_string(echo))
        .mount(&server)
        .await;
    let e = chain(&server).quote(&sym("IBM")).await.unwrap_err();
    let Error::Exhausted { attempts } = &e else {
        panic!("expected Exhausted, got {e:?}");
    };
    assert_eq!(attempts.len(), 3);
    assert_eq!(
        attempts[1].error.to_string(),
        "alphavantage: unavailable: HTTP 503"
    );
    assert_safe(&e, &server.uri());
    // Alpha Vantage's own messages (they hold links) stay in the diagnostic.
    let server = MockServer::start().await;
    av(
        &server,
        "GLOBAL_QUOTE",
        ResponseTemplate::new(200).set_body_string(
            r#"{"Information": "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints"}"#,
        ),
        1,
    )
    .await;
    let e = AlphaVantageSource::new(&config(&server))
        .unwrap()
        .quote(&sym("IBM"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(!e.to_string().contains("alphavantage.co"), "{e}");
    assert!(e.diagnostic().contains("premium"), "{}", e.diagnostic());
}

#[tokio::test]
async fn the_cookie_host_is_not_named() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>404</html>"))
        .mount(&server)
        .await;
    let e = YahooSource::new(&config(&server))
        .unwrap()
        .fundamentals(&sym("AAPL"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "yahoo: unauthorized: no session cookie (HTTP 404)"
    );
    assert_safe(&e, &server.uri());
}

// ---------------------------------------------------------------------------
// Circuit breakers count source faults only
// ---------------------------------------------------------------------------

/// Yahoo, then an offline backup that knows every symbol asked here.
fn yahoo_then_backup(server: &MockServer) -> Chain {
    let backup = auravest_market::MemorySource::new("backup", 50)
        .with_closes("ZZZZ", &[("2024-01-02", 1.0)])
        .with_closes("QQQQ", &[("2024-01-02", 1.0)])
        .with_closes("AAPL", &[("2024-01-02", 1.0)]);
    Chain::new(vec![
        Arc::new(YahooSource::new(&config(server)).unwrap()),
        Arc::new(backup),
    ])
}

#[tokio::test]
async fn yahoo_4xx_about_a_symbol_never_opens_its_breaker() {
    let server = MockServer::start().await;
    mount(
        &server,
        &format!("{CHART}/ZZZZ"),
        ResponseTemplate::new(400).set_body_raw(
            r#"{"chart":{"result":null,"error":{"code":"Bad Request","description":"Invalid input - symbol"}}}"#,
            "application/json",
        ),
        10,
    )
    .await;
    mount(
        &server,
        &format!("{CHART}/QQQQ"),
        ResponseTemplate::new(422).set_body_string("Unprocessable"),
        10,
    )
    .await;
    mount(
        &server,
        &format!("{CHART}/NOPE"),
        ResponseTemplate::new(404).set_body_string("Not Found"),
        10,
    )
    .await;
    let chain = yahoo_then_backup(&server);
    for _ in 0..10 {
        let q = chain.quote(&sym("ZZZZ")).await.unwrap();
        assert_eq!(q.source, "backup");
        assert!(
            matches!(q.attempts[0].error, Error::Refused { status: 400, .. }),
            "{:?}",
            q.attempts[0].error
        );
        assert_eq!(chain.quote(&sym("QQQQ")).await.unwrap().source, "backup");
        assert!(chain.quote(&sym("NOPE")).await.unwrap_err().is_not_found());
    }
    assert_eq!(chain.breaker_state("yahoo"), Some(BreakerState::Closed));
}

#[tokio::test]
async fn yahoo_server_errors_still_open_its_breaker() {
    let server = MockServer::start().await;
    yahoo_down(&server, "AAPL").await;
    let chain = yahoo_then_backup(&server);
    for _ in 0..3 {
        assert_eq!(chain.quote(&sym("AAPL")).await.unwrap().source, "backup");
    }
    assert_eq!(chain.breaker_state("yahoo"), Some(BreakerState::Open));
}

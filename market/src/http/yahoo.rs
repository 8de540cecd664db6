//! Yahoo Finance: the v8 chart API (history and the latest delayed price, no
//! crumb needed), quoteSummary (fundamentals, behind the cookie and crumb
//! handshake) and `/v1/finance/search`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use auravest_core::{NaiveDate, Symbol};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::{Http, HttpConfig, Response};
use crate::error::{Error, Result};
use crate::source::{
    BoxFuture, Capabilities, QuoteSource, RateLimits, SourceInfo, SymbolKinds, positive_price,
};
use crate::types::{
    Dividend, Fundamentals, History, HistoryRequest, Interval, Quote, RawBar, SearchHit, Split,
    currency_and_factor,
};

const NAME: &str = "yahoo";

/// How long a cookie and crumb are reused before a fresh handshake.
pub const CRUMB_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
struct Session {
    cookie: String,
    crumb: String,
    obtained: Instant,
}

/// Yahoo Finance. Priority 10; quotes, daily/weekly/monthly history with
/// splits, dividends and adjusted closes, fundamentals and search; every kind
/// of symbol. Minor-unit listings (GBp, ZAc, ILA) come out in major units.
#[derive(Debug)]
pub struct YahooSource {
    info: SourceInfo,
    http: Http,
    base: String,
    cookie_url: String,
    session: tokio::sync::Mutex<Option<Session>>,
}

// ----- wire shapes -----

#[derive(Deserialize)]
struct ChartEnvelope {
    chart: ChartBody,
}

#[derive(Deserialize)]
struct ChartBody {
    result: Option<Vec<ChartResult>>,
    error: Option<YahooError>,
}

#[derive(Deserialize)]
struct YahooError {
    code: Option<String>,
    description: Option<String>,
}

impl YahooError {
    fn text(&self) -> String {
        format!(
            "{}: {}",
            self.code.as_deref().unwrap_or("error"),
            self.description.as_deref().unwrap_or("")
        )
    }
}

#[derive(Deserialize)]
struct ChartResult {
    meta: Meta,
    timestamp: Option<Vec<Option<i64>>>,
    indicators: Option<Indicators>,
    events: Option<Events>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    currency: Option<String>,
    regular_market_price: Option<f64>,
    regular_market_time: Option<i64>,
    #[serde(rename = "gmtoffset")]
    gmt_offset: Option<i64>,
}

#[derive(Deserialize)]
struct Indicators {
    quote: Option<Vec<QuoteArrays>>,
    adjclose: Option<Vec<AdjClose>>,
}

type Column = Option<Vec<Option<f64>>>;

#[derive(Deserialize, Default)]
struct QuoteArrays {
    open: Column,
    high: Column,
    low: Column,
    close: Column,
    volume: Column,
}

#[derive(Deserialize)]
struct AdjClose {
    adjclose: Column,
}

#[derive(Deserialize)]
struct Events {
    dividends: Option<HashMap<String, DividendEvent>>,
    splits: Option<HashMap<String, SplitEvent>>,
}

#[derive(Deserialize)]
struct DividendEvent {
    amount: f64,
    date: i64,
}

#[derive(Deserialize)]
struct SplitEvent {
    date: i64,
    numerator: f64,
    denominator: f64,
}

#[derive(Deserialize)]
struct SummaryEnvelope {
    #[serde(rename = "quoteSummary")]
    quote_summary: Option<SummaryBody>,
    finance: Option<FinanceBody>,
}

#[derive(Deserialize)]
struct FinanceBody {
    error: Option<YahooError>,
}

#[derive(Deserialize)]
struct SummaryBody {
    result: Option<Vec<SummaryResult>>,
    error: Option<YahooError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SummaryResult {
    summary_detail: Option<SummaryDetail>,
    default_key_statistics: Option<KeyStatistics>,
    asset_profile: Option<AssetProfile>,
    price: Option<PriceModule>,
}

/// Yahoo's `{"raw": 1.2, "fmt": "1.20"}` number (or `{}` when missing).
#[derive(Deserialize, Default)]
struct RawNum {
    raw: Option<f64>,
}

fn raw(v: Option<RawNum>) -> Option<f64> {
    v.and_then(|r| r.raw).filter(|x| x.is_finite())
}

#[derive(Deserialize)]
struct SummaryDetail {
    #[serde(rename = "trailingPE")]
    trailing_pe: Option<RawNum>,
    #[serde(rename = "forwardPE")]
    forward_pe: Option<RawNum>,
    #[serde(rename = "dividendYield")]
    dividend_yield: Option<RawNum>,
    #[serde(rename = "marketCap")]
    market_cap: Option<RawNum>,
    currency: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyStatistics {
    trailing_eps: Option<RawNum>,
}

#[derive(Deserialize)]
struct AssetProfile {
    sector: Option<String>,
    industry: Option<String>,
    country: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PriceModule {
    quote_type: Option<String>,
    long_name: Option<String>,
    short_name: Option<String>,
    currency: Option<String>,
}

#[derive(Deserialize)]
struct SearchEnvelope {
    quotes: Option<Vec<SearchQuote>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchQuote {
    symbol: Option<String>,
    shortname: Option<String>,
    longname: Option<String>,
    exch_disp: Option<String>,
    exchange: Option<String>,
    quote_type: Option<String>,
}

// ----- helpers -----

fn not_found(symbol: &str, reason: String) -> Error {
    Error::NotFound {
        source_name: NAME.to_owned(),
        symbol: symbol.to_owned(),
        reason,
    }
}

fn local_date(ts: i64, offset: i64) -> Option<NaiveDate> {
    Utc.timestamp_opt(ts.checked_add(offset)?, 0)
        .single()
        .map(|t| t.date_naive())
}

fn timestamp(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
}

/// The description (or code) of a Yahoo error object, for logs.
fn words(err: &YahooError) -> String {
    err.description
        .clone()
        .filter(|d| !d.is_empty())
        .or_else(|| err.code.clone())
        .unwrap_or_default()
}

/// The refusals every Yahoo JSON answer shares: what
/// [`Response::common_errors`] catches; a 4xx, with Yahoo's own error
/// (`error` read from the body, secrets masked) or the body's start; an
/// HTML page where `what` JSON was expected.
fn refused(
    resp: &Response,
    symbol: &str,
    what: &str,
    error: impl FnOnce() -> Option<YahooError>,
) -> Result<()> {
    resp.common_errors(NAME)?;
    if resp.is_client_error() {
        let said = error().map_or_else(|| resp.said(), |e| resp.mask(&words(&e)));
        return Err(Error::client(NAME, symbol, resp.status, said));
    }
    if resp.is_html() {
        return Err(Error::unavailable_with(
            NAME,
            format!("HTML page instead of {what} JSON"),
            resp.excerpt.clone(),
        ));
    }
    Ok(())
}

/// Reads a chart response into its first result, mapping Yahoo's failure
/// modes: 429 with a plain-text body; 401/403; 5xx; a 4xx about the request
/// (404 "No data found, symbol may be delisted" is not found, 400 "Bad
/// Request" and the like are refused: neither counts against Yahoo); HTML
/// pages; unreadable JSON.
fn chart_result(resp: &Response, symbol: &str) -> Result<ChartResult> {
    refused(resp, symbol, "chart", || {
        serde_json::from_slice::<ChartEnvelope>(&resp.body)
            .ok()
            .and_then(|env| env.chart.error)
    })?;
    let env: ChartEnvelope = serde_json::from_slice(&resp.body).map_err(|e| {
        Error::invalid_with(
            NAME,
            format!("unreadable chart JSON (HTTP {})", resp.status),
            resp.unreadable(e),
        )
    })?;
    if let Some(err) = env.chart.error {
        let code = err.code.as_deref().unwrap_or_default();
        return Err(if code.eq_ignore_ascii_case("Not Found") {
            not_found(symbol, resp.mask(&words(&err)))
        } else {
            Error::Refused {
                source_name: NAME.to_owned(),
                request: symbol.to_owned(),
                status: resp.status,
                reason: resp.mask(&words(&err)),
            }
        });
    }
    if !(200..300).contains(&resp.status) {
        return Err(Error::invalid_with(
            NAME,
            format!("HTTP {}", resp.status),
            resp.excerpt.clone(),
        ));
    }
    env.chart
        .result
        .and_then(|r| r.into_iter().next())
        .ok_or_else(|| Error::NoData {
            source_name: NAME.to_owned(),
            symbol: symbol.to_owned(),
        })
}

fn col(c: Option<&Vec<Option<f64>>>, i: usize) -> Option<f64> {
    c.and_then(|v| v.get(i).copied().flatten())
}

// ----- from a response to our types (no I/O) -----

/// The latest price in a chart response (`range=5d`): `meta.regularMarketPrice`
/// at `meta.regularMarketTime`, in major units. `symbol` is the symbol as
/// asked, `sym` the same in Yahoo's format.
pub(super) fn chart_quote(resp: &Response, symbol: &Symbol, sym: &str) -> Result<Quote> {
    let r = chart_result(resp, sym)?;
    let (currency, factor) = r
        .meta
        .currency
        .as_deref()
        .and_then(currency_and_factor)
        .map_or((None, 1.0), |(c, f)| (Some(c), f));
    let price = r.meta.regular_market_price.ok_or_else(|| Error::NoData {
        source_name: NAME.to_owned(),
        symbol: sym.to_owned(),
    })?;
    let price = positive_price(NAME, price * factor)?;
    let market_time = to_time(r.meta.regular_market_time)
        .ok_or_else(|| Error::invalid(NAME, "meta.regularMarketTime is missing"))?;
    Ok(Quote {
        symbol: symbol.clone(),
        price,
        currency,
        market_time,
        fetched_at: Utc::now(),
        source: NAME.to_owned(),
        delayed: true,
        stale: false,
        attempts: Vec::new(),
    })
}

/// The validated history in a chart response (`period1`/`period2` with
/// events): bars dated in exchange time, minor units converted, splits and
/// dividends inside the request's range.
pub(super) fn chart_history(
    resp: &Response,
    request: &HistoryRequest,
    sym: &str,
) -> Result<History> {
    let r = chart_result(resp, sym)?;
    let offset = r.meta.gmt_offset.unwrap_or(0);
    let (currency, factor) = r
        .meta
        .currency
        .as_deref()
        .and_then(currency_and_factor)
        .map_or((None, 1.0), |(c, f)| (Some(c), f));
    let stamps = r.timestamp.unwrap_or_default();
    let indicators = r.indicators;
    let q = indicators
        .as_ref()
        .and_then(|i| i.quote.as_ref())
        .and_then(|q| q.first());
    let adj = indicators
        .as_ref()
        .and_then(|i| i.adjclose.as_ref())
        .and_then(|a| a.first())
        .and_then(|a| a.adjclose.as_ref());
    let empty = QuoteArrays::default();
    let q = q.unwrap_or(&empty);
    let scale = |v: Option<f64>| v.map(|x| x * factor);
    let rows = stamps
        .iter()
        .enumerate()
        .map(|(i, ts)| RawBar {
            date: ts.and_then(|t| local_date(t, offset)),
            open: scale(col(q.open.as_ref(), i)),
            high: scale(col(q.high.as_ref(), i)),
            low: scale(col(q.low.as_ref(), i)),
            close: scale(col(q.close.as_ref(), i)),
            adj_close: scale(col(adj, i)),
            volume: col(q.volume.as_ref(), i),
        })
        .collect();
    let mut h = History::from_raw(request, NAME, currency, rows, Utc::now());
    let in_range = |d: &NaiveDate| (request.from..=request.to).contains(d);
    if let Some(ev) = r.events {
        h.dividends = ev
            .dividends
            .unwrap_or_default()
            .into_values()
            .filter_map(|d| {
                Some(Dividend {
                    date: local_date(d.date, offset)?,
                    amount: d.amount * factor,
                })
            })
            .filter(|d| in_range(&d.date))
            .collect();
        h.dividends.sort_by_key(|d| d.date);
        h.splits = ev
            .splits
            .unwrap_or_default()
            .into_values()
            .filter(|s| s.numerator > 0.0 && s.denominator > 0.0)
            .filter_map(|s| {
                Some(Split {
                    date: local_date(s.date, offset)?,
                    numerator: s.numerator,
                    denominator: s.denominator,
                })
            })
            .filter(|s| in_range(&s.date))
            .collect();
        h.splits.sort_by_key(|s| s.date);
    }
    Ok(h)
}

/// The fundamentals in a quoteSummary response (modules `price`,
/// `summaryDetail`, `defaultKeyStatistics`, `assetProfile`). `symbol` is the
/// symbol as asked, `sym` the same in Yahoo's format.
pub(super) fn summary_fundamentals(
    resp: &Response,
    symbol: &Symbol,
    sym: &str,
) -> Result<Fundamentals> {
    refused(resp, sym, "quoteSummary", || {
        serde_json::from_slice::<SummaryEnvelope>(&resp.body)
            .ok()
            .and_then(|env| {
                env.quote_summary
                    .and_then(|b| b.error)
                    .or_else(|| env.finance.and_then(|f| f.error))
            })
    })?;
    let env = serde_json::from_slice::<SummaryEnvelope>(&resp.body).map_err(|e| {
        Error::invalid_with(
            NAME,
            format!("unreadable quoteSummary JSON (HTTP {})", resp.status),
            resp.unreadable(e),
        )
    })?;
    let refused = |err: &YahooError| Error::Refused {
        source_name: NAME.to_owned(),
        request: sym.to_owned(),
        status: resp.status,
        reason: resp.mask(&err.text()),
    };
    if let Some(err) = env.finance.and_then(|f| f.error) {
        return Err(refused(&err));
    }
    let body = env
        .quote_summary
        .ok_or_else(|| Error::invalid(NAME, "no quoteSummary in the response"))?;
    if let Some(err) = body.error {
        return Err(if err.code.as_deref() == Some("Not Found") {
            not_found(sym, resp.mask(&words(&err)))
        } else {
            refused(&err)
        });
    }
    let r = body
        .result
        .and_then(|r| r.into_iter().next())
        .ok_or_else(|| not_found(sym, "empty quoteSummary".to_owned()))?;
    let detail = r.summary_detail;
    let price = r.price;
    let profile = r.asset_profile;
    let currency_code = price
        .as_ref()
        .and_then(|p| p.currency.clone())
        .or_else(|| detail.as_ref().and_then(|d| d.currency.clone()));
    let (name, quote_type) = price.map_or((None, None), |p| {
        (p.long_name.or(p.short_name), p.quote_type)
    });
    let (trailing_pe, forward_pe, dividend_yield, market_cap) =
        detail.map_or((None, None, None, None), |d| {
            (
                raw(d.trailing_pe),
                raw(d.forward_pe),
                raw(d.dividend_yield),
                raw(d.market_cap),
            )
        });
    let (sector, industry, country_name) =
        profile.map_or((None, None, None), |p| (p.sector, p.industry, p.country));
    Ok(Fundamentals {
        symbol: Some(symbol.clone()),
        source: NAME.to_owned(),
        name,
        quote_type,
        trailing_pe,
        forward_pe,
        eps: raw(r.default_key_statistics.and_then(|k| k.trailing_eps)),
        dividend_yield,
        market_cap,
        sector,
        industry,
        country_name,
        currency: currency_code
            .as_deref()
            .and_then(currency_and_factor)
            .map(|(c, _)| c),
    })
}

/// The hits in a `/v1/finance/search` response.
fn search_hits(resp: &Response) -> Result<Vec<SearchHit>> {
    resp.common_errors(NAME)?;
    if resp.is_client_error() {
        return Err(Error::client(NAME, "search", resp.status, resp.said()));
    }
    if resp.is_html() || !(200..300).contains(&resp.status) {
        return Err(Error::unavailable_with(
            NAME,
            format!("search: HTTP {}", resp.status),
            resp.excerpt.clone(),
        ));
    }
    let env: SearchEnvelope = serde_json::from_slice(&resp.body)
        .map_err(|e| Error::invalid_with(NAME, "unreadable search JSON", resp.unreadable(e)))?;
    Ok(env
        .quotes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|q| {
            Some(SearchHit {
                symbol: q.symbol?,
                name: q.longname.or(q.shortname),
                exchange: q.exch_disp.or(q.exchange),
                quote_type: q.quote_type,
                source: NAME.to_owned(),
            })
        })
        .collect())
}

impl YahooSource {
    /// A Yahoo source at the configured hosts.
    ///
    /// # Errors
    /// [`Error::Unavailable`] if the HTTP client cannot be built.
    pub fn new(config: &HttpConfig) -> Result<Self> {
        Ok(Self {
            info: SourceInfo {
                name: NAME.to_owned(),
                priority: 10,
                capabilities: Capabilities {
                    quote: true,
                    history: vec![Interval::Daily, Interval::Weekly, Interval::Monthly],
                    events: true,
                    adjusted: true,
                    fundamentals: true,
                    search: true,
                    symbols: SymbolKinds::ALL,
                },
                limits: RateLimits {
                    per_second: Some(2),
                    per_minute: Some(60),
                    per_day: None,
                    concurrency: Some(4),
                },
            },
            http: Http::new(config, NAME)?,
            base: config.yahoo_base_url.clone(),
            cookie_url: config.yahoo_cookie_url.clone(),
            session: tokio::sync::Mutex::new(None),
        })
    }

    async fn chart(&self, symbol: &str, query: &[(&str, &str)]) -> Result<Response> {
        let url = self
            .http
            .endpoint(&self.base, &["v8", "finance", "chart", symbol])?;
        self.http.get(url, query, None).await
    }

    /// The cookie and crumb, from the cache or a fresh handshake: a GET of the
    /// cookie host for its `Set-Cookie`, then `/v1/test/getcrumb` with that
    /// cookie for the crumb as plain text.
    async fn session(&self, refresh: bool) -> Result<Session> {
        let mut guard = self.session.lock().await;
        if !refresh
            && let Some(s) = guard.as_ref()
            && s.obtained.elapsed() < CRUMB_TTL
        {
            return Ok(s.clone());
        }
        *guard = None;
        let url = self.http.endpoint(&self.cookie_url, &[])?;
        let resp = self.http.get(url, &[], None).await?;
        if resp.status == 429 {
            resp.common_errors(NAME)?;
        }
        if resp.set_cookies.is_empty() {
            return Err(Error::unauthorized(
                NAME,
                format!("no session cookie (HTTP {})", resp.status),
                format!("from the cookie host ({})", resp.excerpt),
            ));
        }
        let cookie = resp.set_cookies.join("; ");
        let url = self
            .http
            .endpoint(&self.base, &["v1", "test", "getcrumb"])?;
        let resp = self.http.get(url, &[], Some(&cookie)).await?;
        if resp.status == 429 || resp.status >= 500 {
            resp.common_errors(NAME)?;
        }
        let crumb = resp.text().trim().to_owned();
        if !(200..300).contains(&resp.status)
            || crumb.is_empty()
            || crumb.len() > 64
            || crumb.contains(|c: char| c.is_whitespace() || c == '<' || c == '{')
        {
            // The body is not repeated: it may be the crumb itself.
            return Err(Error::unauthorized(
                NAME,
                format!("no crumb (HTTP {})", resp.status),
                String::new(),
            ));
        }
        let s = Session {
            cookie,
            crumb,
            obtained: Instant::now(),
        };
        *guard = Some(s.clone());
        Ok(s)
    }

    /// GET with the crumb; on 401 (Yahoo's "Invalid Crumb") the session is
    /// refreshed once and the call repeated.
    async fn get_with_crumb(&self, url: &reqwest::Url, query: &[(&str, &str)]) -> Result<Response> {
        for refresh in [false, true] {
            let s = self.session(refresh).await?;
            let mut q = query.to_vec();
            q.push(("crumb", &s.crumb));
            let resp = self.http.get(url.clone(), &q, Some(&s.cookie)).await?;
            if resp.status != 401 {
                return Ok(resp);
            }
        }
        Err(Error::unauthorized(
            NAME,
            "Invalid Crumb after a fresh handshake",
            String::new(),
        ))
    }
}

fn to_time(ts: Option<i64>) -> Option<DateTime<Utc>> {
    ts.and_then(|t| Utc.timestamp_opt(t, 0).single())
}

impl QuoteSource for YahooSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>> {
        Box::pin(async move {
            let sym = self.map_symbol(symbol)?;
            let resp = self
                .chart(&sym, &[("range", "5d"), ("interval", "1d")])
                .await?;
            chart_quote(&resp, symbol, &sym)
        })
    }

    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>> {
        Box::pin(async move {
            let sym = self.map_symbol(&request.symbol)?;
            // A day of margin each side: bars are stamped at the local open,
            // and dates are taken in exchange time before filtering.
            let p1 = (timestamp(request.from) - 86_400).to_string();
            let p2 = (timestamp(request.to) + 2 * 86_400).to_string();
            let resp = self
                .chart(
                    &sym,
                    &[
                        ("period1", &p1),
                        ("period2", &p2),
                        ("interval", request.interval.as_str()),
                        ("events", "div|split"),
                        ("includeAdjustedClose", "true"),
                    ],
                )
                .await?;
            chart_history(&resp, request, &sym)
        })
    }

    fn fundamentals<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Fundamentals>> {
        Box::pin(async move {
            let sym = self.map_symbol(symbol)?;
            let url = self
                .http
                .endpoint(&self.base, &["v10", "finance", "quoteSummary", &sym])?;
            let resp = self
                .get_with_crumb(
                    &url,
                    &[(
                        "modules",
                        "price,summaryDetail,defaultKeyStatistics,assetProfile",
                    )],
                )
                .await?;
            summary_fundamentals(&resp, symbol, &sym)
        })
    }

    fn search<'a>(&'a self, query: &'a str) -> BoxFuture<'a, Result<Vec<SearchHit>>> {
        Box::pin(async move {
            let url = self
                .http
                .endpoint(&self.base, &["v1", "finance", "search"])?;
            let resp = self
                .http
                .get(
                    url,
                    &[("q", query), ("quotesCount", "10"), ("newsCount", "0")],
                    None,
                )
                .await?;
            search_hits(&resp)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "TESTKEY";

    fn answer(status: u16, body: &str, path: &str) -> Response {
        Response::new(
            status,
            "application/json".to_owned(),
            body.as_bytes().to_vec(),
            &format!("https://query1.finance.yahoo.com{path}/AAPL"),
            &[KEY.to_owned()],
        )
    }

    fn aapl() -> Symbol {
        Symbol::new("AAPL").unwrap()
    }

    #[track_caller]
    fn assert_masked(e: &Error) {
        let d = e.diagnostic();
        assert!(!d.contains(KEY) && !d.contains("crumb=abc"), "{d}");
    }

    #[test]
    fn chart_4xx_words_that_echo_a_secret_are_masked() {
        // Found by the yahoo_chart fuzz target: the words of a 4xx answer
        // went into the diagnostic as they came.
        for body in [
            "TESTKEY",
            r#"{"chart":{"result":null,"error":{"code":"Bad Request","description":"for /AAPL?crumb=abc&apikey=TESTKEY"}}}"#,
            r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"TESTKEY"}}}"#,
        ] {
            let e =
                chart_quote(&answer(400, body, "/v8/finance/chart"), &aapl(), "AAPL").unwrap_err();
            assert!(matches!(e, Error::Refused { status: 400, .. }), "{e:?}");
            assert_masked(&e);
        }
        let e = chart_quote(
            &answer(404, "TESTKEY", "/v8/finance/chart"),
            &aapl(),
            "AAPL",
        )
        .unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
        assert_masked(&e);
    }

    #[test]
    fn summary_words_and_parser_complaints_that_echo_a_secret_are_masked() {
        // Found by the yahoo_quote_summary fuzz target: a `finance.error`
        // that echoes the request, and a parser quoting the body (`"TESTKEY"`
        // is a string where an object was expected), reached the diagnostic.
        let path = "/v10/finance/quoteSummary";
        let echo = r#"{"finance":{"result":null,"error":{"code":"Bad Request","description":"Invalid crumb=abc for apikey=TESTKEY"}}}"#;
        let e = summary_fundamentals(&answer(200, echo, path), &aapl(), "AAPL").unwrap_err();
        assert!(matches!(e, Error::Refused { .. }), "{e:?}");
        assert_masked(&e);
        let e =
            summary_fundamentals(&answer(200, r#""TESTKEY""#, path), &aapl(), "AAPL").unwrap_err();
        assert!(matches!(e, Error::InvalidResponse { .. }), "{e:?}");
        assert_masked(&e);
        let chart = r#"{"chart":{"result":[{"meta":{"currency":"TESTKEY crumb=abc","regularMarketPrice":"TESTKEY"}}],"error":null}}"#;
        let e = chart_quote(&answer(200, chart, "/v8/finance/chart"), &aapl(), "AAPL").unwrap_err();
        assert!(matches!(e, Error::InvalidResponse { .. }), "{e:?}");
        assert_masked(&e);
    }

    #[test]
    fn chart_quote_refuses_a_price_that_is_not_positive() {
        // Found by the yahoo_chart target's invariant (a quote's price is
        // finite and positive) on a hand-made input: the parser passed any
        // `regularMarketPrice` on, and only the chain checked it.
        for price in ["-185.56", "0", "-0.0"] {
            let body = format!(
                r#"{{"chart":{{"result":[{{"meta":{{"currency":"USD","regularMarketPrice":{price},"regularMarketTime":1704747600}}}}],"error":null}}}}"#
            );
            let e =
                chart_quote(&answer(200, &body, "/v8/finance/chart"), &aapl(), "AAPL").unwrap_err();
            assert!(matches!(e, Error::InvalidResponse { .. }), "{price}: {e:?}");
            assert!(e.to_string().contains("is not a positive number"), "{e}");
        }
        let body = r#"{"chart":{"result":[{"meta":{"currency":"GBp","regularMarketPrice":1234.5,"regularMarketTime":1704747600}}],"error":null}}"#;
        let q = chart_quote(&answer(200, body, "/v8/finance/chart"), &aapl(), "AAPL").unwrap();
        assert!((q.price - 12.345).abs() < 1e-12, "{}", q.price);
    }
}

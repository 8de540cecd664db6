//! Stooq's keyless daily CSV (`/q/d/l/?s=aapl.us&i=d&d1=..&d2=..`), best effort.
//!
//! The body is checked before it is trusted: "No data" (or "Brak danych")
//! means no rows; an HTML page under HTTP 200 (a bot challenge) means the
//! source is unavailable; anything without the CSV header is invalid.

use auravest_core::Symbol;
use chrono::{Duration, Utc};

use super::{Http, HttpConfig, Response, snippet};
use crate::error::{Error, Result};
use crate::source::{
    BoxFuture, Capabilities, QuoteSource, RateLimits, SourceInfo, SymbolKinds, last_close_quote,
};
use crate::types::{History, HistoryRequest, Interval, Quote, RawBar};

const NAME: &str = "stooq";

/// Stooq. Priority 30; quotes (the last daily close) and daily, weekly and
/// monthly history of equities; no adjusted closes. One call at a time, at
/// most one a second.
#[derive(Debug)]
pub struct StooqSource {
    info: SourceInfo,
    http: Http,
    base: String,
}

impl StooqSource {
    /// A Stooq source at the configured host.
    ///
    /// # Errors
    /// [`Error::Unavailable`] if the HTTP client cannot be built.
    pub fn new(config: &HttpConfig) -> Result<Self> {
        Ok(Self {
            info: SourceInfo {
                name: NAME.to_owned(),
                priority: 30,
                capabilities: Capabilities {
                    quote: true,
                    history: vec![Interval::Daily, Interval::Weekly, Interval::Monthly],
                    events: false,
                    adjusted: false,
                    fundamentals: false,
                    search: false,
                    symbols: SymbolKinds::EQUITIES,
                },
                limits: RateLimits {
                    per_second: Some(1),
                    per_minute: None,
                    per_day: None,
                    concurrency: Some(1),
                },
            },
            http: Http::new(config, NAME)?,
            base: config.stooq_base_url.clone(),
        })
    }

    async fn fetch(&self, sym: &str, request: &HistoryRequest) -> Result<Response> {
        let i = match request.interval {
            Interval::Daily => "d",
            Interval::Weekly => "w",
            Interval::Monthly => "m",
        };
        let d1 = request.from.format("%Y%m%d").to_string();
        let d2 = request.to.format("%Y%m%d").to_string();
        let mut url = self.http.endpoint(&self.base, &["q", "d", "l"])?;
        // Stooq's path ends with a slash.
        let path = format!("{}/", url.path());
        url.set_path(&path);
        self.http
            .get(url, &[("s", sym), ("i", i), ("d1", &d1), ("d2", &d2)], None)
            .await
    }
}

// ----- from a response to our types (no I/O) -----

/// The rows of a CSV answer about `sym` (in Stooq's format), after the HTTP
/// status, HTML pages and "No data" are checked.
fn csv_rows(resp: &Response, sym: &str) -> Result<Vec<RawBar>> {
    resp.common_errors(NAME)?;
    if resp.is_client_error() {
        return Err(Error::client(NAME, sym, resp.status, resp.said()));
    }
    if resp.is_html() {
        return Err(Error::unavailable_with(
            NAME,
            format!("HTML page under HTTP {} instead of CSV", resp.status),
            resp.excerpt.clone(),
        ));
    }
    if !(200..300).contains(&resp.status) {
        return Err(Error::unavailable_with(
            NAME,
            format!("HTTP {}", resp.status),
            resp.excerpt.clone(),
        ));
    }
    let text = resp.text();
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("No data") || trimmed.eq_ignore_ascii_case("Brak danych") {
        return Err(Error::NoData {
            source_name: NAME.to_owned(),
            symbol: sym.to_owned(),
        });
    }
    parse_csv(resp, trimmed)
}

/// The quote in a CSV answer for the last two weeks: the last valid row's
/// close on its date (at 00:00 UTC). `symbol` is the symbol as asked, `sym`
/// the same in Stooq's format.
pub(super) fn csv_quote(resp: &Response, symbol: &Symbol, sym: &str) -> Result<Quote> {
    last_close_quote(NAME, symbol, sym, csv_rows(resp, sym)?)
}

/// The validated history in a CSV answer. `sym` is the request's symbol in
/// Stooq's format.
pub(super) fn csv_history(resp: &Response, request: &HistoryRequest, sym: &str) -> Result<History> {
    let rows = csv_rows(resp, sym)?;
    Ok(History::from_raw(request, NAME, None, rows, Utc::now()))
}

/// The rows of Stooq's CSV `text`, read from `resp` (whose secrets are
/// masked in the details).
fn parse_csv(resp: &Response, text: &str) -> Result<Vec<RawBar>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::invalid_with(NAME, "unreadable CSV", resp.mask(&e.to_string())))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    if headers.get(..5) != Some(&["date", "open", "high", "low", "close"].map(str::to_owned)[..]) {
        return Err(Error::invalid_with(
            NAME,
            "unexpected CSV header",
            resp.mask(&snippet(text)),
        ));
    }
    let volume = headers.iter().position(|h| h == "volume");
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec
            .map_err(|e| Error::invalid_with(NAME, "unreadable CSV", resp.mask(&e.to_string())))?;
        let num = |i: Option<usize>| -> Option<f64> {
            let s = rec.get(i?)?;
            (!s.is_empty()).then(|| s.parse().unwrap_or(f64::NAN))
        };
        rows.push(RawBar {
            date: rec.get(0).and_then(|d| d.parse().ok()),
            open: num(Some(1)),
            high: num(Some(2)),
            low: num(Some(3)),
            close: num(Some(4)),
            adj_close: None,
            volume: num(volume),
        });
    }
    Ok(rows)
}

impl QuoteSource for StooqSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Yahoo-style symbols in Stooq's format: lower case with a market
    /// suffix; no suffix means a US listing (`AAPL` → `aapl.us`, `BRK-B` →
    /// `brk-b.us`, `BRK.B` → `brk-b.us`), `VOD.L` → `vod.uk`, `SAP.DE` →
    /// `sap.de`, `7203.T` → `7203.jp`, `0700.HK` → `0700.hk`. Other suffixes
    /// are not supported.
    fn map_symbol(&self, symbol: &Symbol) -> Result<String> {
        if !self.info.capabilities.symbols.serves(symbol) {
            return Err(Error::unsupported(NAME, format!("symbols like {symbol}")));
        }
        let s = symbol.as_str().to_ascii_lowercase();
        for (from, to) in [
            (".us", ".us"),
            (".l", ".uk"),
            (".de", ".de"),
            (".t", ".jp"),
            (".hk", ".hk"),
        ] {
            if let Some(stem) = s.strip_suffix(from) {
                return Ok(format!("{stem}{to}"));
            }
        }
        match s.rsplit_once('.') {
            // A one-letter share class (`BRK.B`) is written with a dash.
            Some((stem, class)) if class.len() == 1 => Ok(format!("{stem}-{class}.us")),
            Some(_) => Err(Error::unsupported(NAME, format!("the market of {symbol}"))),
            None => Ok(format!("{s}.us")),
        }
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>> {
        Box::pin(async move {
            let sym = self.map_symbol(symbol)?;
            let today = Utc::now().date_naive();
            let req = HistoryRequest::daily(symbol.clone(), today - Duration::days(14), today)?;
            let resp = self.fetch(&sym, &req).await?;
            csv_quote(&resp, symbol, &sym)
        })
    }

    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>> {
        Box::pin(async move {
            let sym = self.map_symbol(&request.symbol)?;
            let resp = self.fetch(&sym, request).await?;
            csv_history(&resp, request, &sym)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_symbols_to_stooq() {
        let s = StooqSource::new(&HttpConfig::default()).unwrap();
        let m = |x: &str| s.map_symbol(&x.parse().unwrap());
        assert_eq!(m("AAPL").unwrap(), "aapl.us");
        assert_eq!(m("BRK.B").unwrap(), "brk-b.us");
        assert_eq!(m("BRK-B").unwrap(), "brk-b.us");
        assert_eq!(m("VOD.L").unwrap(), "vod.uk");
        assert_eq!(m("7203.T").unwrap(), "7203.jp");
        assert!(m("^GSPC").is_err());
        assert!(m("XYZ.PA").is_err());
    }

    #[test]
    fn csv_words_that_echo_a_secret_are_masked() {
        // Found by the stooq_csv fuzz target: a body without the CSV header
        // went into the diagnostic as it came (here under HTTP 204).
        let secrets = ["TESTKEY".to_owned()];
        let aapl: Symbol = "AAPL".parse().unwrap();
        for (status, body) in [
            (204, "TESTKEY"),
            (
                200,
                "Gateway https://stooq.com/q/d/l/?s=aapl.us&apikey=TESTKEY",
            ),
            (404, "TESTKEY"),
        ] {
            let resp = Response::new(
                status,
                "text/csv".to_owned(),
                body.as_bytes().to_vec(),
                "https://stooq.com/q/d/l/",
                &secrets,
            );
            let e = csv_quote(&resp, &aapl, "aapl.us").unwrap_err();
            let d = e.diagnostic();
            assert!(!d.contains("TESTKEY"), "{d}");
        }
    }
}

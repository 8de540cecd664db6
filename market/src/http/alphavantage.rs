//! Alpha Vantage: `GLOBAL_QUOTE` and `TIME_SERIES_DAILY` (compact).
//!
//! Errors arrive as HTTP 200 with an `Error Message` (bad symbol or
//! function), `Note` (the per-minute throttle) or `Information` (the daily
//! quota, premium-only endpoints, the demo key) key, and every number is a string.

use std::collections::BTreeMap;
use std::time::Duration;

use auravest_core::{NaiveDate, Symbol};
use chrono::Utc;
use serde_json::Value;

use super::{Http, HttpConfig, Response};
use crate::error::{Error, Result};
use crate::source::{
    BoxFuture, Capabilities, QuoteSource, RateLimits, SourceInfo, SymbolKinds, midnight_utc,
    positive_price,
};
use crate::types::{History, HistoryRequest, Interval, Quote, RawBar};

const NAME: &str = "alphavantage";

/// Alpha Vantage. Priority 20; quotes and daily history of equities (no
/// adjusted closes: the adjusted series is premium). Free-tier limits: 5 calls
/// a minute, 25 a day, one at a time.
#[derive(Debug)]
pub struct AlphaVantageSource {
    info: SourceInfo,
    http: Http,
    base: String,
    key: Option<String>,
}

impl AlphaVantageSource {
    /// An Alpha Vantage source at the configured host with the configured key.
    /// Without a key every call fails with [`Error::Unauthorized`].
    ///
    /// # Errors
    /// [`Error::Unavailable`] if the HTTP client cannot be built.
    pub fn new(config: &HttpConfig) -> Result<Self> {
        Ok(Self {
            info: SourceInfo {
                name: NAME.to_owned(),
                priority: 20,
                capabilities: Capabilities {
                    quote: true,
                    history: vec![Interval::Daily],
                    events: false,
                    adjusted: false,
                    fundamentals: false,
                    search: false,
                    symbols: SymbolKinds::EQUITIES,
                },
                limits: RateLimits {
                    per_second: None,
                    per_minute: Some(5),
                    per_day: Some(25),
                    concurrency: Some(1),
                },
            },
            http: Http::new(config, NAME)?,
            base: config.alphavantage_base_url.clone(),
            key: config.alphavantage_api_key.clone(),
        })
    }

    async fn call(&self, function: &str, symbol: &str, extra: &[(&str, &str)]) -> Result<Response> {
        let key = self.key.as_deref().ok_or_else(|| {
            Error::unauthorized(
                NAME,
                "no API key (set AURAVEST_ALPHAVANTAGE_API_KEY)",
                String::new(),
            )
        })?;
        let mut q = vec![("function", function), ("symbol", symbol), ("apikey", key)];
        q.extend_from_slice(extra);
        let url = self.http.endpoint(&self.base, &["query"])?;
        self.http.get(url, &q, None).await
    }
}

// ----- from a response to our types (no I/O) -----

/// The JSON of an answer about `sym` (in Alpha Vantage's format), after the
/// HTTP status, HTML pages and the three error keys are checked. Secrets
/// (the API key) are masked in every detail taken from the body.
fn checked_json(resp: &Response, sym: &str) -> Result<Value> {
    resp.common_errors(NAME)?;
    if resp.is_client_error() {
        return Err(Error::client(NAME, sym, resp.status, resp.said()));
    }
    if resp.is_html() || !(200..300).contains(&resp.status) {
        return Err(Error::unavailable_with(
            NAME,
            if resp.is_html() {
                format!("HTML page under HTTP {} instead of JSON", resp.status)
            } else {
                format!("HTTP {}", resp.status)
            },
            resp.excerpt.clone(),
        ));
    }
    let v: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| Error::invalid_with(NAME, "unreadable JSON", resp.unreadable(e)))?;
    api_error(&v, sym).map_err(|e| match e {
        Error::NotFound {
            source_name,
            symbol,
            reason,
        } => Error::NotFound {
            source_name,
            symbol,
            reason: resp.mask(&reason),
        },
        Error::Unauthorized {
            source_name,
            reason,
            detail,
        } => Error::Unauthorized {
            source_name,
            reason,
            detail: resp.mask(&detail),
        },
        other => other,
    })?;
    Ok(v)
}

/// The quote in a `GLOBAL_QUOTE` response: `05. price` on the `07. latest
/// trading day` (at 00:00 UTC). `symbol` is the symbol as asked, `sym` the
/// same in Alpha Vantage's format.
pub(super) fn global_quote(resp: &Response, symbol: &Symbol, sym: &str) -> Result<Quote> {
    let v = checked_json(resp, sym)?;
    let q = v
        .get("Global Quote")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::invalid(NAME, "no \"Global Quote\" in the response"))?;
    if q.is_empty() {
        return Err(Error::NotFound {
            source_name: NAME.to_owned(),
            symbol: sym.to_owned(),
            reason: "empty Global Quote".to_owned(),
        });
    }
    let price =
        num(q.get("05. price")).ok_or_else(|| Error::invalid(NAME, "\"05. price\" is missing"))?;
    let price = positive_price(NAME, price)?;
    let date: NaiveDate = q
        .get("07. latest trading day")
        .and_then(Value::as_str)
        .and_then(|d| auravest_core::parse_date("date", d).ok())
        .ok_or_else(|| {
            Error::invalid(NAME, "\"07. latest trading day\" is not a supported date")
        })?;
    Ok(Quote {
        symbol: symbol.clone(),
        price,
        currency: None,
        market_time: midnight_utc(date),
        fetched_at: Utc::now(),
        source: NAME.to_owned(),
        delayed: true,
        stale: false,
        attempts: Vec::new(),
    })
}

/// The validated history in a `TIME_SERIES_DAILY` response. `sym` is the
/// request's symbol in Alpha Vantage's format.
pub(super) fn daily_history(
    resp: &Response,
    request: &HistoryRequest,
    sym: &str,
) -> Result<History> {
    let v = checked_json(resp, sym)?;
    let series = v
        .get("Time Series (Daily)")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::invalid(NAME, "no \"Time Series (Daily)\" in the response"))?;
    // Keys are ISO dates: a BTreeMap puts them in date order.
    let sorted: BTreeMap<&str, &Value> = series.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let rows = sorted
        .into_iter()
        .map(|(d, bar)| RawBar {
            date: d.parse().ok(),
            open: num(bar.get("1. open")),
            high: num(bar.get("2. high")),
            low: num(bar.get("3. low")),
            close: num(bar.get("4. close")),
            adj_close: None,
            volume: num(bar.get("5. volume")),
        })
        .collect();
    Ok(History::from_raw(request, NAME, None, rows, Utc::now()))
}

/// The three error keys of an HTTP 200 answer.
fn api_error(v: &Value, symbol: &str) -> Result<()> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(msg) = text("Error Message") {
        return Err(Error::NotFound {
            source_name: NAME.to_owned(),
            symbol: symbol.to_owned(),
            reason: msg,
        });
    }
    if text("Note").is_some() {
        return Err(Error::RateLimited {
            source_name: NAME.to_owned(),
            retry_after: Some(Duration::from_secs(60)),
        });
    }
    if let Some(msg) = text("Information") {
        let lower = msg.to_ascii_lowercase();
        return Err(
            if lower.contains("rate limit")
                || lower.contains("per day")
                || lower.contains("requests per")
            {
                Error::RateLimited {
                    source_name: NAME.to_owned(),
                    retry_after: None,
                }
            } else {
                Error::unauthorized(
                    NAME,
                    "the API key or its plan does not allow this call",
                    msg,
                )
            },
        );
    }
    Ok(())
}

/// A number written as a string; unreadable text becomes NaN so validation
/// reports the row.
fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.trim().trim_end_matches('%').parse().unwrap_or(f64::NAN)),
        Value::Number(n) => n.as_f64(),
        _ => Some(f64::NAN),
    }
}

impl QuoteSource for AlphaVantageSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Yahoo-style symbols in Alpha Vantage's format: `BRK-B` → `BRK.B`,
    /// `VOD.L` → `VOD.LON`, `SHOP.TO` → `SHOP.TRT`, `SAP.DE` → `SAP.DEX`.
    fn map_symbol(&self, symbol: &Symbol) -> Result<String> {
        if !self.info.capabilities.symbols.serves(symbol) {
            return Err(Error::unsupported(NAME, format!("symbols like {symbol}")));
        }
        let s = symbol.as_str();
        for (from, to) in [(".L", ".LON"), (".TO", ".TRT"), (".DE", ".DEX")] {
            if let Some(stem) = s.strip_suffix(from) {
                return Ok(format!("{stem}{to}"));
            }
        }
        Ok(s.replace('-', "."))
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol) -> BoxFuture<'a, Result<Quote>> {
        Box::pin(async move {
            let sym = self.map_symbol(symbol)?;
            let resp = self.call("GLOBAL_QUOTE", &sym, &[]).await?;
            global_quote(&resp, symbol, &sym)
        })
    }

    fn history<'a>(&'a self, request: &'a HistoryRequest) -> BoxFuture<'a, Result<History>> {
        Box::pin(async move {
            let sym = self.map_symbol(&request.symbol)?;
            let resp = self
                .call("TIME_SERIES_DAILY", &sym, &[("outputsize", "compact")])
                .await?;
            daily_history(&resp, request, &sym)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(price: &str) -> Response {
        let body = format!(
            r#"{{"Global Quote":{{"01. symbol":"IBM","05. price":"{price}","07. latest trading day":"2024-01-05"}}}}"#
        );
        Response::new(
            200,
            "application/json".to_owned(),
            body.into_bytes(),
            "https://www.alphavantage.co/query",
            &["TESTKEY".to_owned()],
        )
    }

    #[test]
    fn global_quote_refuses_a_price_that_is_not_positive() {
        // Found by the alphavantage target's invariant (a quote's price is
        // finite and positive) on a hand-made input: `05. price` was passed
        // on whatever it said, and only the chain checked it.
        let ibm: Symbol = "IBM".parse().unwrap();
        for price in ["-1", "0", "0.0000", "NaN", "inf", "1e999", "n/a"] {
            let e = global_quote(&answer(price), &ibm, "IBM").unwrap_err();
            assert!(matches!(e, Error::InvalidResponse { .. }), "{price}: {e:?}");
            assert!(e.to_string().contains("is not a positive number"), "{e}");
        }
        let q = global_quote(&answer("161.5000"), &ibm, "IBM").unwrap();
        assert!((q.price - 161.5).abs() < 1e-12, "{}", q.price);
        assert_eq!(q.market_time.to_rfc3339(), "2024-01-05T00:00:00+00:00");
    }
}

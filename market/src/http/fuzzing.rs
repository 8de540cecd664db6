//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; not a
//! stable API). Each one reads raw bytes as one source's answer, exactly as
//! the source does after its HTTP exchange, for a fixed symbol and date
//! range, and asserts what must hold whatever the bytes:
//!
//! - no panic;
//! - a quote's price is finite and positive;
//! - a history's bars are dated inside the request's range, strictly
//!   increasing (so no date twice), with every price finite and positive and
//!   high at least low; its splits and dividends lie in the range, in order;
//! - an error's `Display` holds neither a URL nor the API key, and its
//!   diagnostic (for logs) never the API key.

use auravest_core::{NaiveDate, Symbol};

use super::{Response, alphavantage, stooq, yahoo};
use crate::error::{Error, Result};
use crate::types::{History, HistoryRequest, Quote};

/// The API key the sources are configured with: it must never show up in an error.
pub const API_KEY: &str = "TESTKEY";

/// The statuses a target picks from with its first byte (see [`split_status`]).
pub const STATUSES: [u16; 14] = [
    200, 201, 204, 301, 400, 401, 403, 404, 410, 422, 429, 500, 502, 503,
];

/// The first byte of `data` as an HTTP status (an index into [`STATUSES`],
/// modulo its length) and the rest as the body; no bytes is a 200 with an
/// empty body.
pub fn split_status(data: &[u8]) -> (u16, &[u8]) {
    match data.split_first() {
        Some((first, body)) => (STATUSES[usize::from(*first) % STATUSES.len()], body),
        None => (200, data),
    }
}

/// The first byte that [`split_status`] reads as `status`, for building seeds.
pub fn status_byte(status: u16) -> Option<u8> {
    STATUSES
        .iter()
        .position(|s| *s == status)
        .and_then(|i| u8::try_from(i).ok())
}

const FROM: (i32, u32, u32) = (2020, 1, 1);
const TO: (i32, u32, u32) = (2024, 12, 31);

fn symbol(s: &str) -> Symbol {
    Symbol::new(s).expect("a valid fixed symbol")
}

fn request(s: &str) -> HistoryRequest {
    let date = |(y, m, d): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, d).expect("a fixed date");
    HistoryRequest::daily(symbol(s), date(FROM), date(TO)).expect("a fixed, valid range")
}

fn response(status: u16, content_type: &str, body: &[u8], endpoint: &str) -> Response {
    Response::new(
        status,
        content_type.to_owned(),
        body.to_vec(),
        endpoint,
        &[API_KEY.to_owned()],
    )
}

/// A Yahoo v8 chart answer, read as a quote of `AAPL` and as its daily
/// history from 2020-01-01 to 2024-12-31.
pub fn yahoo_chart(status: u16, body: &[u8]) {
    let url = "https://query1.finance.yahoo.com/v8/finance/chart/AAPL";
    let resp = response(status, "application/json;charset=utf-8", body, url);
    check_quote(yahoo::chart_quote(&resp, &symbol("AAPL"), "AAPL"), "AAPL");
    let req = request("AAPL");
    check_history(yahoo::chart_history(&resp, &req, "AAPL"), &req);
}

/// A Yahoo quoteSummary answer, read as the fundamentals of `AAPL`.
pub fn yahoo_quote_summary(status: u16, body: &[u8]) {
    let url = "https://query1.finance.yahoo.com/v10/finance/quoteSummary/AAPL";
    let resp = response(status, "application/json;charset=utf-8", body, url);
    match yahoo::summary_fundamentals(&resp, &symbol("AAPL"), "AAPL") {
        Ok(f) => {
            assert_eq!(f.symbol.as_ref().map(Symbol::as_str), Some("AAPL"));
            for v in [
                f.trailing_pe,
                f.forward_pe,
                f.eps,
                f.dividend_yield,
                f.market_cap,
            ]
            .into_iter()
            .flatten()
            {
                assert!(v.is_finite(), "{f:?}");
            }
        }
        Err(e) => check_error(&e),
    }
}

const AV_URL: &str = "https://www.alphavantage.co/query";

/// An Alpha Vantage `GLOBAL_QUOTE` answer for `IBM`.
pub fn alphavantage_quote(status: u16, body: &[u8]) {
    let resp = response(status, "application/json", body, AV_URL);
    check_quote(
        alphavantage::global_quote(&resp, &symbol("IBM"), "IBM"),
        "IBM",
    );
}

/// An Alpha Vantage `TIME_SERIES_DAILY` answer for `IBM`, 2020-01-01 to 2024-12-31.
pub fn alphavantage_daily(status: u16, body: &[u8]) {
    let resp = response(status, "application/json", body, AV_URL);
    let req = request("IBM");
    check_history(alphavantage::daily_history(&resp, &req, "IBM"), &req);
}

/// A Stooq CSV answer for `AAPL` (`aapl.us`), read as a quote and as the
/// daily history from 2020-01-01 to 2024-12-31.
pub fn stooq_csv(status: u16, body: &[u8]) {
    let url = "https://stooq.com/q/d/l/";
    let resp = response(status, "text/csv", body, url);
    check_quote(stooq::csv_quote(&resp, &symbol("AAPL"), "aapl.us"), "AAPL");
    let req = request("AAPL");
    check_history(stooq::csv_history(&resp, &req, "aapl.us"), &req);
}

fn positive(what: &str, v: f64) {
    assert!(
        v.is_finite() && v > 0.0,
        "{what} {v} is not a positive number"
    );
}

fn check_quote(quote: Result<Quote>, asked: &str) {
    match quote {
        Ok(q) => {
            assert_eq!(q.symbol.as_str(), asked);
            positive("price", q.price);
        }
        Err(e) => check_error(&e),
    }
}

fn check_history(history: Result<History>, request: &HistoryRequest) {
    let h = match history {
        Ok(h) => h,
        Err(e) => return check_error(&e),
    };
    assert_eq!(h.symbol, request.symbol);
    let range = request.from..=request.to;
    for pair in h.bars.windows(2) {
        assert!(pair[0].date < pair[1].date, "bars out of order: {pair:?}");
    }
    for b in &h.bars {
        assert!(range.contains(&b.date), "{} is outside {range:?}", b.date);
        positive("close", b.close);
        for (what, v) in [
            ("open", b.open),
            ("high", b.high),
            ("low", b.low),
            ("adj_close", b.adj_close),
        ] {
            if let Some(v) = v {
                positive(what, v);
            }
        }
        if let (Some(h), Some(l)) = (b.high, b.low) {
            assert!(h >= l, "high {h} below low {l}");
        }
    }
    for pair in h.splits.windows(2) {
        assert!(pair[0].date <= pair[1].date, "splits out of order");
    }
    for s in &h.splits {
        assert!(
            range.contains(&s.date),
            "split on {} is outside {range:?}",
            s.date
        );
        positive("split numerator", s.numerator);
        positive("split denominator", s.denominator);
    }
    for pair in h.dividends.windows(2) {
        assert!(pair[0].date <= pair[1].date, "dividends out of order");
    }
    for d in &h.dividends {
        assert!(
            range.contains(&d.date),
            "dividend on {} is outside {range:?}",
            d.date
        );
        assert!(d.amount.is_finite(), "dividend {}", d.amount);
    }
}

/// What an error may show: no URL and no key to anyone, no key in the logs.
fn check_error(e: &Error) {
    let shown = e.to_string();
    let lower = shown.to_ascii_lowercase();
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "a URL in {shown:?}"
    );
    assert!(!shown.contains(API_KEY), "the API key in {shown:?}");
    let diagnostic = e.diagnostic();
    assert!(
        !diagnostic.contains(API_KEY),
        "the API key in the diagnostic {diagnostic:?}"
    );
}

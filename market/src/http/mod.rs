//! The HTTP sources and their configuration (feature `http`).

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::source::QuoteSource;

mod alphavantage;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod stooq;
mod yahoo;

pub use alphavantage::AlphaVantageSource;
pub use stooq::StooqSource;
pub use yahoo::{CRUMB_TTL, YahooSource};

/// Where the HTTP sources live and how to reach them. Base URLs are
/// `scheme://host[:port]`; the sources append the real paths
/// (`/v8/finance/chart/{symbol}`, `/v1/test/getcrumb`, `/query`, `/q/d/l/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Yahoo Finance API host (`AURAVEST_YAHOO_BASE_URL`).
    pub yahoo_base_url: String,
    /// Host that hands out Yahoo's session cookie (`AURAVEST_YAHOO_COOKIE_URL`).
    pub yahoo_cookie_url: String,
    /// Alpha Vantage host (`AURAVEST_ALPHAVANTAGE_BASE_URL`).
    pub alphavantage_base_url: String,
    /// Alpha Vantage API key (`AURAVEST_ALPHAVANTAGE_API_KEY`); without one the
    /// Alpha Vantage source is left out of the default chain.
    pub alphavantage_api_key: Option<String>,
    /// Stooq host (`AURAVEST_STOOQ_BASE_URL`).
    pub stooq_base_url: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// User-Agent sent with every request.
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            yahoo_base_url: "https://query1.finance.yahoo.com".to_owned(),
            yahoo_cookie_url: "https://fc.yahoo.com".to_owned(),
            alphavantage_base_url: "https://www.alphavantage.co".to_owned(),
            alphavantage_api_key: None,
            stooq_base_url: "https://stooq.com".to_owned(),
            timeout: Duration::from_secs(20),
            user_agent: concat!(
                "Mozilla/5.0 (compatible; auravest/",
                env!("CARGO_PKG_VERSION"),
                ")"
            )
            .to_owned(),
        }
    }
}

impl HttpConfig {
    /// The defaults, overridden by the `AURAVEST_*` environment variables.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when a base URL is not `http(s)://host[:port]`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The defaults, overridden by whatever `lookup` returns for each variable name.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when a base URL is not `http(s)://host[:port]`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut c = Self::default();
        for (var, field) in [
            ("AURAVEST_YAHOO_BASE_URL", &mut c.yahoo_base_url),
            ("AURAVEST_YAHOO_COOKIE_URL", &mut c.yahoo_cookie_url),
            (
                "AURAVEST_ALPHAVANTAGE_BASE_URL",
                &mut c.alphavantage_base_url,
            ),
            ("AURAVEST_STOOQ_BASE_URL", &mut c.stooq_base_url),
        ] {
            if let Some(v) = lookup(var).filter(|v| !v.trim().is_empty()) {
                *field = base_url(var, &v)?;
            }
        }
        c.alphavantage_api_key = lookup("AURAVEST_ALPHAVANTAGE_API_KEY")
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        Ok(c)
    }

    /// The default chain's sources: Yahoo (priority 10), Alpha Vantage (20,
    /// only with an API key) and Stooq (30).
    ///
    /// # Errors
    /// [`Error::Unavailable`] if the HTTP client cannot be built.
    pub fn sources(&self) -> Result<Vec<Arc<dyn QuoteSource>>> {
        let mut v: Vec<Arc<dyn QuoteSource>> = vec![Arc::new(YahooSource::new(self)?)];
        if self.alphavantage_api_key.is_some() {
            v.push(Arc::new(AlphaVantageSource::new(self)?));
        }
        v.push(Arc::new(StooqSource::new(self)?));
        Ok(v)
    }
}

fn base_url(var: &'static str, value: &str) -> Result<String> {
    let v = value.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"));
    let parsed = reqwest::Url::parse(v).ok();
    match (rest, parsed) {
        (Some(host), Some(url))
            if !host.is_empty()
                && !host.contains(char::is_whitespace)
                && url.query().is_none()
                && url.fragment().is_none() =>
        {
            Ok(v.to_owned())
        }
        // The value is configuration, possibly with credentials: not repeated.
        _ => Err(Error::InvalidRequest {
            field: var,
            reason: "must be http(s)://host[:port]".to_owned(),
        }),
    }
}

/// A response read whole, with what the sources inspect.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) body: Vec<u8>,
    /// The start of the body with secrets masked, for error details.
    pub(crate) excerpt: String,
    /// Values never to repeat in an error (the API key).
    secrets: Vec<String>,
}

impl Response {
    /// A response read whole from `endpoint` (where it came from, without its
    /// query), with its excerpt: the request, the status and the start of the
    /// body, `secrets` masked.
    pub(crate) fn new(
        status: u16,
        content_type: String,
        body: Vec<u8>,
        endpoint: &str,
        secrets: &[String],
    ) -> Self {
        let excerpt = mask(
            &format!(
                "GET {endpoint}: HTTP {status}: {}",
                snippet(&String::from_utf8_lossy(&body))
            ),
            secrets,
        );
        Self {
            status,
            content_type,
            retry_after: None,
            set_cookies: Vec::new(),
            body,
            excerpt,
            secrets: secrets.to_vec(),
        }
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `text` taken from the body with the secrets and every secret-looking
    /// parameter masked (see [`mask`]): an upstream may echo the request.
    pub(crate) fn mask(&self, text: &str) -> String {
        mask(text, &self.secrets)
    }

    /// The upstream's words: the first line of the body, shortened and
    /// masked, for logs.
    pub(crate) fn said(&self) -> String {
        self.mask(&snippet(&self.text()))
    }

    /// A parser's complaint about the body and the excerpt, masked, for
    /// logs: parsers quote what they could not read.
    pub(crate) fn unreadable(&self, complaint: impl std::fmt::Display) -> String {
        self.mask(&format!("{complaint}; {}", self.excerpt))
    }

    /// An HTML page where data was expected (a consent wall, a bot challenge).
    pub(crate) fn is_html(&self) -> bool {
        self.content_type.contains("html")
            || self
                .body
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'<')
    }

    /// A 4xx that is about the request rather than the source (not 401,
    /// 403 or 429, which [`Response::common_errors`] reports).
    pub(crate) fn is_client_error(&self) -> bool {
        (400..500).contains(&self.status)
    }

    /// The errors every source reads the same way: 429, 401/403 and 5xx.
    pub(crate) fn common_errors(&self, source: &str) -> Result<()> {
        match self.status {
            429 => Err(Error::RateLimited {
                source_name: source.to_owned(),
                retry_after: self.retry_after,
            }),
            401 | 403 => Err(Error::unauthorized(
                source,
                format!("HTTP {}", self.status),
                self.excerpt.clone(),
            )),
            500..=599 => Err(Error::unavailable_with(
                source,
                format!("HTTP {}", self.status),
                self.excerpt.clone(),
            )),
            _ => Ok(()),
        }
    }
}

/// The first line of a body, shortened, for error details.
pub(crate) fn snippet(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default();
    line.chars().take(120).collect()
}

/// Names of query parameters whose values are secrets.
const SECRET_PARAMS: [&str; 5] = ["apikey", "api_key", "crumb", "token", "key"];

/// `text` with every known secret and every value of a secret-looking
/// parameter (`apikey=...`, `crumb=...`) replaced by `***`, so details can
/// be logged even when an upstream echoes our request back.
pub(crate) fn mask(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret.as_str(), "***");
    }
    let lower = out.to_ascii_lowercase();
    let mut masked = String::with_capacity(out.len());
    let mut i = 0;
    while i < out.len() {
        let hit = SECRET_PARAMS.iter().find_map(|p| {
            let key = format!("{p}=");
            let boundary = i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric();
            (boundary && lower[i..].starts_with(&key)).then_some(key.len())
        });
        match hit {
            Some(n) => {
                masked.push_str(&out[i..i + n]);
                masked.push_str("***");
                i += n;
                while i < out.len()
                    && !matches!(out.as_bytes()[i], b'&' | b' ' | b'"' | b'\'' | b'\n')
                {
                    i += 1;
                }
            }
            None => {
                let ch = out[i..].chars().next().unwrap_or(' ');
                masked.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    masked
}

/// `segment` percent-encoded for a URL path: everything but ASCII letters,
/// digits and `- . _ ~` is written as `%XX`, so a symbol is always exactly
/// one path segment (`^GSPC` → `%5EGSPC`, `EURUSD=X` → `EURUSD%3DX`).
pub(crate) fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What went wrong with a request, in a few words and without the URL.
fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        return "timed out";
    }
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused",
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => return "connection dropped",
                std::io::ErrorKind::TimedOut => return "timed out",
                _ => {}
            }
        }
        cause = c.source();
    }
    if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the answer"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "connection dropped"
    }
}

/// A reqwest client with the source's name for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    source: &'static str,
    /// Values never to repeat in an error (the API key).
    secrets: Vec<String>,
}

impl Http {
    pub(crate) fn new(config: &HttpConfig, source: &'static str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| {
                Error::unavailable_with(source, "cannot build an HTTP client", e.to_string())
            })?;
        Ok(Self {
            client,
            source,
            secrets: config.alphavantage_api_key.iter().cloned().collect(),
        })
    }

    /// `base` (`scheme://host[:port]`) with `segments` appended, each
    /// percent-encoded as one path segment.
    pub(crate) fn endpoint(&self, base: &str, segments: &[&str]) -> Result<reqwest::Url> {
        let mut url = reqwest::Url::parse(base)
            .map_err(|_| Error::unavailable(self.source, "the configured base URL is not a URL"))?;
        let mut path = url.path().trim_end_matches('/').to_owned();
        for s in segments {
            // URL parsers drop or climb on these, encoded or not.
            if s.is_empty() || s.trim_matches('.').is_empty() {
                return Err(Error::BadSymbol {
                    symbol: (*s).to_owned(),
                    reason: "cannot be a URL path segment".to_owned(),
                });
            }
            path.push('/');
            path.push_str(&encode_segment(s));
        }
        if path.is_empty() {
            path.push('/');
        }
        url.set_path(&path);
        Ok(url)
    }

    /// `url` without its query, secrets masked: where a request went, for details.
    fn shown(&self, url: &reqwest::Url) -> String {
        let mut u = url.clone();
        u.set_query(None);
        mask(u.as_str(), &self.secrets)
    }

    fn failed(&self, url: &reqwest::Url, e: reqwest::Error) -> Error {
        let reason = describe(&e);
        let e = e.without_url();
        let mut chain = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            chain.push_str(": ");
            chain.push_str(&c.to_string());
            cause = c.source();
        }
        let detail = mask(&format!("GET {}: {chain}", self.shown(url)), &self.secrets);
        Error::unavailable_with(self.source, reason, detail)
    }

    pub(crate) async fn get(
        &self,
        url: reqwest::Url,
        query: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Result<Response> {
        let mut req = self.client.get(url.clone()).query(query);
        if let Some(c) = cookie {
            req = req.header(reqwest::header::COOKIE, c);
        }
        let resp = req.send().await.map_err(|e| self.failed(&url, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers();
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let set_cookies = headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| v.contains('='))
            .collect();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.failed(&url, e))?
            .to_vec();
        Ok(Response {
            retry_after,
            set_cookies,
            ..Response::new(status, content_type, body, &self.shown(&url), &self.secrets)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_overrides_and_rejects_bad_urls() {
        let c = HttpConfig::from_lookup(|k| match k {
            "AURAVEST_YAHOO_BASE_URL" => Some("http://127.0.0.1:9/".to_owned()),
            "AURAVEST_ALPHAVANTAGE_API_KEY" => Some(" KEY ".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.yahoo_base_url, "http://127.0.0.1:9");
        assert_eq!(c.stooq_base_url, "https://stooq.com");
        assert_eq!(c.alphavantage_api_key.as_deref(), Some("KEY"));
        let bad = HttpConfig::from_lookup(|k| {
            (k == "AURAVEST_STOOQ_BASE_URL").then(|| "ftp://x".to_owned())
        });
        assert!(matches!(
            bad,
            Err(Error::InvalidRequest {
                field: "AURAVEST_STOOQ_BASE_URL",
                ..
            })
        ));
        // A refused value, possibly with credentials, is not repeated.
        let bad = HttpConfig::from_lookup(|k| {
            (k == "AURAVEST_YAHOO_BASE_URL").then(|| "https://h/?apikey=SECRET".to_owned())
        })
        .unwrap_err();
        assert!(!bad.to_string().contains("SECRET"), "{bad}");
    }

    #[test]
    fn secrets_are_masked() {
        let secrets = vec!["TESTKEY".to_owned()];
        let text = "GET http://h/query?function=X&apikey=abc&symbol=IBM: TESTKEY crumb=xyz\"";
        let masked = mask(text, &secrets);
        assert!(!masked.contains("abc") && !masked.contains("TESTKEY") && !masked.contains("xyz"));
        assert!(masked.contains("symbol=IBM"), "{masked}");
        assert_eq!(mask("monkey=1", &[]), "monkey=1");
    }

    #[test]
    fn path_segments_are_encoded_whole() {
        assert_eq!(encode_segment("^GSPC"), "%5EGSPC");
        assert_eq!(encode_segment("EURUSD=X"), "EURUSD%3DX");
        assert_eq!(encode_segment("M&M.NS"), "M%26M.NS");
        assert_eq!(encode_segment("../a/b?c#d"), "..%2Fa%2Fb%3Fc%23d");
        let http = Http::new(&HttpConfig::default(), "test").unwrap();
        let url = http
            .endpoint("http://127.0.0.1:9", &["v8", "finance", "chart", "^GSPC"])
            .unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/v8/finance/chart/%5EGSPC");
        assert_eq!(url.path_segments().unwrap().count(), 4);
        let root = http.endpoint("http://127.0.0.1:9", &[]).unwrap();
        assert_eq!(root.as_str(), "http://127.0.0.1:9/");
    }
}

//! The HTTP sources and their configuration (feature `http`).

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::source::QuoteSource;

mod alphavantage;
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
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(v.to_owned()),
        _ => Err(Error::InvalidRequest {
            field: var,
            reason: format!("{value:?} is not http(s)://host[:port]"),
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
}

impl Response {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
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

    /// The errors every source reads the same way: 429, 5xx, other non-2xx.
    pub(crate) fn common_errors(&self, source: &str) -> Result<()> {
        match self.status {
            429 => Err(Error::RateLimited {
                source_name: source.to_owned(),
                retry_after: self.retry_after,
            }),
            401 | 403 => Err(Error::Unauthorized {
                source_name: source.to_owned(),
                reason: format!("HTTP {}: {}", self.status, snippet(&self.text())),
            }),
            500..=599 => Err(Error::unavailable(
                source,
                format!("HTTP {}: {}", self.status, snippet(&self.text())),
            )),
            _ => Ok(()),
        }
    }
}

/// The first line of a body, shortened, for error messages.
pub(crate) fn snippet(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default();
    line.chars().take(120).collect()
}

/// A reqwest client with the source's name for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    source: &'static str,
}

impl Http {
    pub(crate) fn new(config: &HttpConfig, source: &'static str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| Error::unavailable(source, format!("cannot build HTTP client: {e}")))?;
        Ok(Self { client, source })
    }

    pub(crate) async fn get(
        &self,
        url: &str,
        query: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Result<Response> {
        let mut req = self.client.get(url).query(query);
        if let Some(c) = cookie {
            req = req.header(reqwest::header::COOKIE, c);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Error::unavailable(self.source, format!("{url}: {}", error_chain(&e))))?;
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
            .map_err(|e| Error::unavailable(self.source, format!("{url}: {}", error_chain(&e))))?
            .to_vec();
        Ok(Response {
            status,
            content_type,
            retry_after,
            set_cookies,
            body,
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
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
    }
}

//! News headlines per symbol from RSS and Atom feeds (parsed by
//! `feed-rs`): plain-text titles, de-duplicated, newest first, each with a
//! finance-lexicon sentiment score. Fetching with conditional requests
//! (`ETag`, `Last-Modified`) is [`NewsClient`] (feature `http`).
//!
//! The sentiment score is a word count, not a model: each headline word
//! found in [`POSITIVE_WORDS`] adds one, each found in [`NEGATIVE_WORDS`]
//! takes one away (a negation — "not", "no", "without" — just before a
//! word flips it), and the score is `(positive − negative) / (positive +
//! negative)`, 0 when neither appears. `positive` above 0.2, `negative`
//! below −0.2, else `neutral`. The word lists are the project's own, after
//! the idea of finance-specific sentiment dictionaries (general-purpose
//! lists misread words such as "liability" or "share").

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};

/// The feed Yahoo Finance publishes per symbol; `{symbol}` is replaced by
/// the percent-encoded symbol.
pub const DEFAULT_NEWS_FEED: &str =
    "https://feeds.finance.yahoo.com/rss/2.0/headline?s={symbol}&region=US&lang=en-US";

/// Most headlines kept from one feed.
pub const MAX_HEADLINES: usize = 100;

/// Longest title kept, in characters (longer ones are cut at a word).
pub const MAX_TITLE_CHARS: usize = 300;

/// Largest feed read, in bytes.
pub const MAX_FEED_BYTES: usize = 2 * 1024 * 1024;

/// Words that lean a headline positive.
pub const POSITIVE_WORDS: &[&str] = &[
    "beat",
    "beats",
    "surge",
    "surges",
    "surged",
    "soar",
    "soars",
    "soared",
    "jump",
    "jumps",
    "jumped",
    "rally",
    "rallies",
    "rallied",
    "gain",
    "gains",
    "gained",
    "record",
    "upgrade",
    "upgrades",
    "upgraded",
    "outperform",
    "outperforms",
    "growth",
    "grows",
    "grew",
    "profit",
    "profits",
    "profitable",
    "strong",
    "stronger",
    "boost",
    "boosts",
    "raises",
    "raised",
    "expands",
    "expansion",
    "wins",
    "win",
    "approval",
    "approved",
    "buyback",
    "dividend",
    "rebound",
    "rebounds",
    "recovers",
    "recovery",
    "tops",
    "exceeds",
    "optimism",
    "bullish",
];

/// Words that lean a headline negative.
pub const NEGATIVE_WORDS: &[&str] = &[
    "miss",
    "misses",
    "missed",
    "plunge",
    "plunges",
    "plunged",
    "slump",
    "slumps",
    "slumped",
    "fall",
    "falls",
    "fell",
    "drop",
    "drops",
    "dropped",
    "decline",
    "declines",
    "declined",
    "loss",
    "losses",
    "downgrade",
    "downgrades",
    "downgraded",
    "underperform",
    "lawsuit",
    "sued",
    "probe",
    "investigation",
    "fraud",
    "recall",
    "recalls",
    "layoffs",
    "cuts",
    "cut",
    "weak",
    "weaker",
    "warning",
    "warns",
    "bankruptcy",
    "default",
    "delay",
    "delays",
    "halt",
    "halts",
    "fine",
    "fined",
    "crash",
    "crashes",
    "selloff",
    "bearish",
    "slowdown",
    "shortfall",
];

/// Words that flip the word after them.
const NEGATIONS: &[&str] = &["not", "no", "without", "never"];

/// A headline's lean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lean {
    /// Score above 0.2.
    Positive,
    /// Score below −0.2.
    Negative,
    /// Otherwise.
    Neutral,
}

/// A headline's sentiment by the word lists (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadlineSentiment {
    /// `(positive − negative) / (positive + negative)`, in −1 to 1.
    pub score: f64,
    /// The lean.
    pub lean: Lean,
    /// Positive words found.
    pub positive: u32,
    /// Negative words found.
    pub negative: u32,
}

/// Scores a headline with the word lists.
pub fn headline_sentiment(text: &str) -> HeadlineSentiment {
    let pos: HashSet<&str> = POSITIVE_WORDS.iter().copied().collect();
    let neg: HashSet<&str> = NEGATIVE_WORDS.iter().copied().collect();
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let (mut positive, mut negative) = (0u32, 0u32);
    for (i, w) in words.iter().enumerate() {
        let flipped = i > 0 && NEGATIONS.contains(&words[i - 1].as_str());
        let (p, n) = (pos.contains(w.as_str()), neg.contains(w.as_str()));
        match (p, n, flipped) {
            (true, _, false) | (_, true, true) => positive += 1,
            (true, _, true) | (_, true, false) => negative += 1,
            _ => {}
        }
    }
    let total = positive + negative;
    let score = if total == 0 {
        0.0
    } else {
        (f64::from(positive) - f64::from(negative)) / f64::from(total)
    };
    let lean = if score > 0.2 {
        Lean::Positive
    } else if score < -0.2 {
        Lean::Negative
    } else {
        Lean::Neutral
    };
    HeadlineSentiment {
        score,
        lean,
        positive,
        negative,
    }
}

/// One headline about a symbol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    /// The feed's id for it (or its link), unique within the symbol.
    pub id: String,
    /// The symbol it was fetched for.
    pub symbol: String,
    /// The title as plain text (markup removed, entities decoded).
    pub title: String,
    /// Where to read it (`http`/`https` only).
    pub link: Option<String>,
    /// Who published it: the feed's title, or the link's host.
    pub source: String,
    /// When, if the feed says.
    pub published: Option<DateTime<Utc>>,
    /// Its lean by the word lists.
    pub sentiment: HeadlineSentiment,
}

/// Markup removed, the common entities decoded, spaces collapsed, cut to
/// [`MAX_TITLE_CHARS`].
pub fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let collapsed = decoded
        .split_whitespace()
        .filter(|w| !w.chars().all(char::is_control))
        .collect::<Vec<_>>()
        .join(" ");
    if collapsed.chars().count() <= MAX_TITLE_CHARS {
        return collapsed;
    }
    let cut: String = collapsed.chars().take(MAX_TITLE_CHARS).collect();
    match cut.rfind(' ') {
        Some(i) if i > MAX_TITLE_CHARS / 2 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

fn safe_link(href: &str) -> Option<String> {
    let h = href.trim();
    let lower = h.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| h.to_owned())
}

fn host_of(link: &str) -> Option<String> {
    let rest = link.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.trim_start_matches("www.").to_owned())
}

/// The headlines of one RSS or Atom document fetched for `symbol`, newest
/// first (undated ones last), de-duplicated by id and by title, at most
/// [`MAX_HEADLINES`].
///
/// # Errors
/// [`Error::InvalidResponse`] when the document is not a feed, or larger
/// than [`MAX_FEED_BYTES`].
pub fn parse_headlines(feed_name: &str, symbol: &str, body: &[u8]) -> Result<Vec<Headline>> {
    if body.len() > MAX_FEED_BYTES {
        return Err(Error::invalid(
            feed_name,
            format!("the feed is over {MAX_FEED_BYTES} bytes"),
        ));
    }
    let feed = feed_rs::parser::parse(body)
        .map_err(|e| Error::invalid_with(feed_name, "not an RSS or Atom feed", e.to_string()))?;
    let publisher = feed
        .title
        .as_ref()
        .map(|t| plain_text(&t.content))
        .filter(|t| !t.is_empty());
    let mut seen_ids = HashSet::new();
    let mut seen_titles = HashSet::new();
    let mut out = Vec::new();
    for entry in feed.entries {
        let Some(title) = entry
            .title
            .as_ref()
            .map(|t| plain_text(&t.content))
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let link = entry.links.iter().find_map(|l| safe_link(&l.href));
        let id = if entry.id.trim().is_empty() {
            link.clone().unwrap_or_else(|| title.clone())
        } else {
            entry.id.trim().to_owned()
        };
        if !seen_ids.insert(id.clone()) || !seen_titles.insert(title.to_lowercase()) {
            continue;
        }
        let source = publisher
            .clone()
            .or_else(|| link.as_deref().and_then(host_of))
            .unwrap_or_else(|| feed_name.to_owned());
        out.push(Headline {
            sentiment: headline_sentiment(&title),
            id,
            symbol: symbol.to_owned(),
            title,
            link,
            source,
            published: entry.published.or(entry.updated),
        });
    }
    out.sort_by_key(|h| std::cmp::Reverse(h.published));
    out.truncate(MAX_HEADLINES);
    Ok(out)
}

/// The feed URL of `template` for `symbol` (`{symbol}` replaced by the
/// percent-encoded symbol, so it can only ever be one query value).
pub fn feed_url(template: &str, symbol: &str) -> String {
    let mut encoded = String::new();
    for b in symbol.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    template.replace("{symbol}", &encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_lean_by_the_word_lists() {
        let up = headline_sentiment("Apple beats estimates, shares surge to a record");
        assert_eq!((up.positive, up.negative, up.lean), (3, 0, Lean::Positive));
        let down = headline_sentiment("Tesla recalls 2 million cars; shares fall");
        assert_eq!(
            (down.positive, down.negative, down.lean),
            (0, 2, Lean::Negative)
        );
        let mixed = headline_sentiment("Profit jumps but revenue misses");
        assert_eq!(mixed.lean, Lean::Positive, "{mixed:?}");
        let flipped = headline_sentiment("Regulators find no fraud at the bank");
        assert_eq!((flipped.positive, flipped.negative), (1, 0));
        let none = headline_sentiment("Apple to hold its annual meeting in March");
        assert_eq!((none.score, none.lean), (0.0, Lean::Neutral));
    }

    #[test]
    fn titles_become_plain_text() {
        assert_eq!(
            plain_text("<b>Apple</b> &amp; <i>Google</i>  rally"),
            "Apple & Google rally"
        );
        assert_eq!(plain_text("<script>alert(1)</script>Hi"), "alert(1) Hi");
        let long = "word ".repeat(200);
        let cut = plain_text(&long);
        assert!(cut.chars().count() <= MAX_TITLE_CHARS + 1 && cut.ends_with('…'));
    }

    #[test]
    fn symbols_are_one_encoded_query_value() {
        assert_eq!(
            feed_url("https://x.test/rss?s={symbol}&l=en", "BRK.B"),
            "https://x.test/rss?s=BRK.B&l=en"
        );
        assert_eq!(
            feed_url("https://x.test/rss?s={symbol}", "A&B=1/../x"),
            "https://x.test/rss?s=A%26B%3D1%2F..%2Fx"
        );
    }
}

#[cfg(feature = "http")]
pub use client::NewsClient;

#[cfg(feature = "http")]
mod client {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::{Headline, MAX_FEED_BYTES, MAX_HEADLINES, feed_url, parse_headlines};
    use crate::error::{Error, Result};
    use crate::http::HttpConfig;

    /// Feeds remembered (their validators and last headlines) before the
    /// memory is cleared.
    const MAX_REMEMBERED: usize = 10_000;

    /// What a feed last answered, to ask it again conditionally.
    #[derive(Debug, Clone, Default)]
    struct Remembered {
        etag: Option<String>,
        last_modified: Option<String>,
        headlines: Vec<Headline>,
    }

    /// Fetches headlines per symbol from feed URL templates (each with a
    /// `{symbol}` placeholder), politely: each feed is asked again with
    /// `If-None-Match` / `If-Modified-Since`, and a `304 Not Modified`
    /// answers from memory.
    #[derive(Debug)]
    pub struct NewsClient {
        client: reqwest::Client,
        feeds: Vec<String>,
        remembered: Mutex<HashMap<String, Remembered>>,
    }

    impl NewsClient {
        /// A client for `feeds` with the HTTP settings' timeout and
        /// User-Agent.
        ///
        /// # Errors
        /// [`Error::InvalidRequest`] for a template that is not an
        /// `http(s)://` URL with `{symbol}` in it.
        pub fn new(config: &HttpConfig, feeds: Vec<String>) -> Result<Self> {
            for f in &feeds {
                let lower = f.to_ascii_lowercase();
                if !(lower.starts_with("https://") || lower.starts_with("http://"))
                    || !f.contains("{symbol}")
                {
                    return Err(Error::InvalidRequest {
                        field: "feeds",
                        reason: format!("{f:?}: expected an http(s):// URL with {{symbol}} in it"),
                    });
                }
            }
            let client = reqwest::Client::builder()
                .timeout(config.timeout)
                .connect_timeout(config.timeout.min(std::time::Duration::from_secs(10)))
                .user_agent(config.user_agent.clone())
                .build()
                .map_err(|e| {
                    Error::unavailable_with("news", "cannot build an HTTP client", e.to_string())
                })?;
            Ok(Self {
                client,
                feeds,
                remembered: Mutex::new(HashMap::new()),
            })
        }

        /// The feed templates.
        pub fn feeds(&self) -> &[String] {
            &self.feeds
        }

        /// Headlines for `symbol` from every feed, newest first,
        /// de-duplicated. A feed that fails is left out when another
        /// answers.
        ///
        /// # Errors
        /// The first feed's error when none answers.
        pub async fn headlines(&self, symbol: &str) -> Result<Vec<Headline>> {
            let mut all: Vec<Headline> = Vec::new();
            let mut first_error = None;
            let mut answered = false;
            for template in &self.feeds {
                match self.fetch(&feed_url(template, symbol), symbol).await {
                    Ok(items) => {
                        answered = true;
                        for h in items {
                            let dup = all
                                .iter()
                                .any(|x| x.id == h.id || x.title.eq_ignore_ascii_case(&h.title));
                            if !dup {
                                all.push(h);
                            }
                        }
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if !answered && let Some(e) = first_error {
                return Err(e);
            }
            all.sort_by_key(|h| std::cmp::Reverse(h.published));
            all.truncate(MAX_HEADLINES);
            Ok(all)
        }

        fn name(url: &str) -> String {
            url.split_once("://")
                .and_then(|(_, rest)| rest.split(['/', '?']).next())
                .unwrap_or("news")
                .to_owned()
        }

        async fn fetch(&self, url: &str, symbol: &str) -> Result<Vec<Headline>> {
            let name = Self::name(url);
            let known = self
                .remembered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(url)
                .cloned();
            let mut req = self.client.get(url);
            if let Some(k) = &known {
                if let Some(etag) = &k.etag {
                    req = req.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &k.last_modified {
                    req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
                }
            }
            let res = req.send().await.map_err(|e| {
                let why = if e.is_timeout() {
                    "timed out"
                } else {
                    "could not connect"
                };
                Error::unavailable_with(&name, why, e.to_string())
            })?;
            let status = res.status();
            if status == reqwest::StatusCode::NOT_MODIFIED {
                return Ok(known.map(|k| k.headlines).unwrap_or_default());
            }
            if !status.is_success() {
                return Err(Error::unavailable(
                    &name,
                    format!("HTTP {}", status.as_u16()),
                ));
            }
            if res
                .content_length()
                .is_some_and(|n| n > u64::try_from(MAX_FEED_BYTES).unwrap_or(u64::MAX))
            {
                return Err(Error::invalid(
                    &name,
                    format!("the feed is over {MAX_FEED_BYTES} bytes"),
                ));
            }
            let header = |h: reqwest::header::HeaderName| {
                res.headers()
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let etag = header(reqwest::header::ETAG);
            let last_modified = header(reqwest::header::LAST_MODIFIED);
            let body = res.bytes().await.map_err(|e| {
                let why = if e.is_timeout() {
                    "timed out"
                } else {
                    "connection dropped"
                };
                Error::unavailable_with(&name, why, e.to_string())
            })?;
            let headlines = parse_headlines(&name, symbol, &body)?;
            let mut memory = self
                .remembered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if memory.len() >= MAX_REMEMBERED {
                memory.clear();
            }
            memory.insert(
                url.to_owned(),
                Remembered {
                    etag,
                    last_modified,
                    headlines: headlines.clone(),
                },
            );
            Ok(headlines)
        }
    }
}

//! News feeds against a local mock server: RSS and Atom, HTML in titles,
//! duplicates, missing dates, malformed XML, a feed that times out, and
//! conditional requests (a 304 answers from memory).

use std::time::Duration;

use auravest_market::HttpConfig;
use auravest_market::news::{Lean, NewsClient, parse_headlines};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Yahoo Finance: AAPL News</title>
  <item>
    <title><![CDATA[Apple <b>beats</b> estimates &amp; shares surge]]></title>
    <link>https://finance.example/news/apple-beats</link>
    <guid>apple-beats-1</guid>
    <pubDate>Mon, 07 Dec 2026 14:30:00 +0000</pubDate>
  </item>
  <item>
    <title>Apple faces EU probe over app store fees</title>
    <link>https://finance.example/news/apple-probe</link>
    <guid>apple-probe-1</guid>
    <pubDate>Sun, 06 Dec 2026 09:00:00 +0000</pubDate>
  </item>
  <item>
    <title>Apple beats estimates &amp; shares surge</title>
    <link>https://finance.example/news/apple-beats-again</link>
    <guid>apple-beats-copy</guid>
    <pubDate>Mon, 07 Dec 2026 14:35:00 +0000</pubDate>
  </item>
  <item>
    <title>Apple to hold annual meeting</title>
    <link>javascript:alert(1)</link>
    <guid>apple-meeting</guid>
  </item>
  <item>
    <title>Apple faces EU probe over app store fees</title>
    <guid>apple-probe-1</guid>
  </item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Markets Wire</title>
  <id>urn:wire</id><updated>2026-12-07T15:00:00Z</updated>
  <entry>
    <title>Apple shares fall after supplier warning</title>
    <id>urn:wire:1</id>
    <link href="https://wire.example/1"/>
    <updated>2026-12-07T15:00:00Z</updated>
  </entry>
</feed>"#;

fn config(timeout: Duration) -> HttpConfig {
    HttpConfig {
        timeout,
        ..HttpConfig::default()
    }
}

#[test]
fn rss_items_become_plain_deduplicated_dated_headlines() {
    let h = parse_headlines("yahoo", "AAPL", RSS.as_bytes()).unwrap();
    let titles: Vec<&str> = h.iter().map(|x| x.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Apple beats estimates & shares surge",
            "Apple faces EU probe over app store fees",
            "Apple to hold annual meeting",
        ],
        "HTML stripped, the same title and the same id once, undated last"
    );
    assert_eq!(h[0].source, "Yahoo Finance: AAPL News");
    assert_eq!(
        h[0].link.as_deref(),
        Some("https://finance.example/news/apple-beats")
    );
    assert_eq!(h[0].sentiment.lean, Lean::Positive);
    assert_eq!(h[1].sentiment.lean, Lean::Negative);
    assert_eq!(h[2].link, None, "a javascript: link is dropped");
    assert_eq!(h[2].published, None);
    assert!(h.iter().all(|x| x.symbol == "AAPL"));
}

#[test]
fn atom_feeds_read_too_and_bad_xml_is_an_error() {
    let h = parse_headlines("wire", "AAPL", ATOM.as_bytes()).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].source, "Markets Wire");
    assert!(h[0].published.is_some());
    for bad in ["<rss><channel><item><title>x</title>", "not xml at all", ""] {
        let e = parse_headlines("yahoo", "AAPL", bad.as_bytes()).unwrap_err();
        assert!(
            matches!(e, auravest_market::Error::InvalidResponse { .. }),
            "{bad:?}: {e}"
        );
    }
}

#[tokio::test]
async fn feeds_are_asked_politely_and_a_304_answers_from_memory() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rss"))
        .and(query_param("s", "AAPL"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rss"))
        .and(query_param("s", "AAPL"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .set_body_string(RSS),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let client = NewsClient::new(
        &config(Duration::from_secs(5)),
        vec![format!("{}/rss?s={{symbol}}&lang=en", server.uri())],
    )
    .unwrap();
    let first = client.headlines("AAPL").await.unwrap();
    assert_eq!(first.len(), 3);
    let again = client.headlines("AAPL").await.unwrap();
    assert_eq!(again, first, "the 304 is answered from memory");
}

#[tokio::test]
async fn a_feed_that_times_out_or_fails_is_an_error_unless_another_answers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(RSS)
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/atom"))
        .respond_with(ResponseTemplate::new(200).set_body_string(ATOM))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/broken"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<rss><channel>"))
        .mount(&server)
        .await;
    let slow = format!("{}/slow?s={{symbol}}", server.uri());
    let atom = format!("{}/atom?s={{symbol}}", server.uri());
    let broken = format!("{}/broken?s={{symbol}}", server.uri());
    let quick = config(Duration::from_millis(500));
    let alone = NewsClient::new(&quick, vec![slow.clone()]).unwrap();
    let e = alone.headlines("AAPL").await.unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
    let broken_alone = NewsClient::new(&quick, vec![broken.clone()]).unwrap();
    let e = broken_alone.headlines("AAPL").await.unwrap_err();
    assert!(
        matches!(e, auravest_market::Error::InvalidResponse { .. }),
        "{e}"
    );
    let both = NewsClient::new(&quick, vec![slow, broken, atom]).unwrap();
    let h = both.headlines("AAPL").await.unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].source, "Markets Wire");
    // Symbols reach the feed as one encoded value.
    Mock::given(method("GET"))
        .and(path("/q"))
        .and(query_param("s", "A&B"))
        .respond_with(ResponseTemplate::new(200).set_body_string(ATOM))
        .expect(1)
        .mount(&server)
        .await;
    let q = NewsClient::new(&quick, vec![format!("{}/q?s={{symbol}}", server.uri())]).unwrap();
    assert_eq!(q.headlines("A&B").await.unwrap().len(), 1);
    for bad in ["ftp://x/{symbol}", "https://x/rss"] {
        assert!(
            NewsClient::new(&quick, vec![bad.to_owned()]).is_err(),
            "{bad}"
        );
    }
}

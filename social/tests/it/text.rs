//! Cashtags, mentions and links.

use auravest_social::{Span, cashtags, entities, links, mentions};

fn tags(text: &str) -> Vec<String> {
    cashtags(text)
        .into_iter()
        .map(|c| c.symbol.to_string())
        .collect()
}

#[test]
fn cashtags_in_their_vendor_forms() {
    assert_eq!(tags("$AAPL"), ["AAPL"]);
    assert_eq!(
        tags("Long $BRK.B and $VOD.L, short $brk-b."),
        ["BRK.B", "VOD.L", "BRK-B"]
    );
    assert_eq!(tags("($TSLA) $SHOP.TO! $X?"), ["TSLA", "SHOP.TO", "X"]);
    assert_eq!(tags("$AAPL's results; $MSFT."), ["AAPL", "MSFT"]);
    assert_eq!(tags("line\n$NVDA\t$AMD"), ["NVDA", "AMD"]);
    assert_eq!(
        tags("$AAPL.Great quarter"),
        ["AAPL"],
        "a long suffix is not a suffix"
    );
}

#[test]
fn amounts_and_look_alikes_are_not_cashtags() {
    for text in [
        "$5",
        "$100k",
        "$12.50",
        "$1,000",
        "$ AAPL",
        "US$AAPL",
        "a$AAPL",
        "$$AAPL",
        "$A1",
        "$ABCDEFG",
        "$AAPL_X",
        "$ÄPPL",
        "$",
        "$.B",
        "$-",
        "price$TSLA",
    ] {
        assert!(tags(text).is_empty(), "{text:?} gave {:?}", tags(text));
    }
}

#[test]
fn cashtag_spans_cover_the_dollar_and_the_ticker() {
    let text = "€5 for $VOD.L today";
    let found = cashtags(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].span.slice(text), "$VOD.L");
    assert_eq!(found[0].span, Span { start: 9, end: 15 });
}

#[test]
fn distinct_symbols_keep_first_appearance_order() {
    let e = entities("$TSLA $aapl $TSLA $AAPL $F");
    assert_eq!(e.cashtags.len(), 5);
    let symbols: Vec<String> = e.symbols().iter().map(ToString::to_string).collect();
    assert_eq!(symbols, ["TSLA", "AAPL", "F"]);
}

#[test]
fn mentions_are_aliases_after_at() {
    let found: Vec<String> = mentions("Thanks @Dividend_Dan and @ann_lee! cc (@Bob42).")
        .into_iter()
        .map(|m| m.alias)
        .collect();
    assert_eq!(found, ["Dividend_Dan", "ann_lee", "Bob42"]);
    for text in [
        "mail ann@example.com",
        "@ab",
        "@1abc",
        "@_abc",
        "@example.com",
        "x@yyy",
        "@@abcd",
        "@abcdefghijklmnopqrstu",
    ] {
        assert!(mentions(text).is_empty(), "{text:?}");
    }
    let e = entities("@Ann_Lee @ann_lee @ANN_LEE @Bob_Bravo");
    assert_eq!(e.aliases(), ["Ann_Lee", "Bob_Bravo"]);
}

#[test]
fn links_are_http_https_or_www() {
    let urls = |text: &str| links(text).into_iter().map(|l| l.url).collect::<Vec<_>>();
    assert_eq!(
        urls("see https://example.com/a?b=1&c=2#x."),
        ["https://example.com/a?b=1&c=2#x"]
    );
    assert_eq!(
        urls("(http://x.org/wiki/A_(b)) and www.sec.gov/edgar,"),
        ["http://x.org/wiki/A_(b)", "https://www.sec.gov/edgar"]
    );
    assert_eq!(urls("HTTPS://EXAMPLE.COM"), ["HTTPS://EXAMPLE.COM"]);
    assert_eq!(
        urls("https://example.com/<script>"),
        ["https://example.com/"]
    );
    for text in [
        "javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://example.com",
        "https://",
        "https://.../",
        "xhttps://example.com",
        "nowww.example.com",
        "https://exаmple.com",
    ] {
        let found = urls(text);
        assert!(
            found.iter().all(|u| !u.contains('а')),
            "{text:?}: {found:?}"
        );
        if !text.starts_with("https://ex") {
            assert!(found.is_empty(), "{text:?}: {found:?}");
        }
    }
    // The Cyrillic look-alike ends the link before it.
    assert_eq!(urls("https://exаmple.com"), ["https://ex"]);
}

#[test]
fn tags_and_mentions_inside_links_belong_to_the_link() {
    let e = entities("https://example.com/@someone?q=$AAPL then $MSFT @Dividend_Dan");
    assert_eq!(e.links.len(), 1);
    assert_eq!(
        e.symbols()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["MSFT"]
    );
    assert_eq!(e.aliases(), ["Dividend_Dan"]);
}

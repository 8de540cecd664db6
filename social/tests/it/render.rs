//! Rendering: escaping, the markdown subset, and a corpus of XSS payloads.

use auravest_social::{Format, escape_html, render_html};

/// The only tags the renderer may write, and the `a` attribute forms.
const TAGS: &[&str] = &[
    "a",
    "br",
    "p",
    "ul",
    "li",
    "blockquote",
    "strong",
    "em",
    "code",
];
const ENTITIES: &[&str] = &["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];

/// Checks rendered HTML independently of the renderer: every tag is on the
/// list, balanced, and has no attributes except the link forms; every link
/// goes to http(s) or a path of ours; text holds no raw quote or angle
/// bracket, and every `&` starts one of the five escapes.
fn assert_safe(html: &str, input: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = html;
    let mut text = String::new();
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {html:?} from {input:?}"));
        let tag = &after[..close];
        assert!(!tag.contains('<'), "nested tag in {html:?} from {input:?}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop(),
                Some(name),
                "unbalanced </{name}> in {html:?} from {input:?}"
            );
        } else {
            let name = tag.split(' ').next().unwrap_or("");
            assert!(
                TAGS.contains(&name),
                "tag <{tag}> in {html:?} from {input:?}"
            );
            if name == "a" {
                check_link(tag, html, input);
                stack.push("a");
            } else {
                assert_eq!(
                    tag, name,
                    "attributes on <{tag}> in {html:?} from {input:?}"
                );
                if name != "br" {
                    stack.push(name);
                }
            }
        }
        rest = &after[close + 1..];
    }
    text.push_str(rest);
    assert!(
        stack.is_empty(),
        "unclosed {stack:?} in {html:?} from {input:?}"
    );
    assert!(
        !text.contains(['>', '"', '\'']),
        "raw markup characters in text of {html:?} from {input:?}"
    );
    for (i, _) in text.match_indices('&') {
        assert!(
            ENTITIES.iter().any(|e| text[i..].starts_with(e)),
            "bare & in {html:?} from {input:?}"
        );
    }
}

fn check_link(tag: &str, html: &str, input: &str) {
    let external = tag
        .strip_prefix("a href=\"")
        .and_then(|r| r.strip_suffix("\" rel=\"nofollow ugc noopener noreferrer\""));
    let cashtag = tag
        .strip_prefix("a href=\"/symbol/")
        .and_then(|r| r.strip_suffix("\" class=\"cashtag\""));
    let mention = tag
        .strip_prefix("a href=\"/u/")
        .and_then(|r| r.strip_suffix("\" class=\"mention\""));
    match (external, cashtag, mention) {
        (Some(url), None, None) => {
            let lower = url.to_ascii_lowercase();
            assert!(
                lower.starts_with("https://") || lower.starts_with("http://"),
                "href {url:?} in {html:?} from {input:?}"
            );
            assert!(
                url.bytes().all(|b| b.is_ascii_graphic()
                    && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\')),
                "href {url:?} in {html:?} from {input:?}"
            );
        }
        (None, Some(symbol), None) => {
            assert!(
                symbol
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'.' || b == b'-'),
                "{symbol:?}"
            );
        }
        (None, None, Some(alias)) => {
            assert!(
                alias
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{alias:?}"
            );
        }
        _ => panic!("unexpected link tag <{tag}> in {html:?} from {input:?}"),
    }
}

/// The text a plain-text rendering shows, read back: tags dropped, `<br>` as a new line, escapes undone.
fn shown_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html.replace("<br>", "\n");
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('>').expect("closed") + open;
        rest = rest[close + 1..].to_owned();
    }
    out.push_str(&rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// What a reader should see of a text: line breaks as `\n`, control and
/// bidirectional formatting characters gone.
fn expected_text(input: &str) -> String {
    input
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if matches!(c, '\r' | '\u{2028}' | '\u{2029}' | '\u{85}') { '\n' } else { c })
        .filter(|c| {
            !((c.is_control() && *c != '\n' && *c != '\t')
                || matches!(c, '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        })
        .collect()
}

/// Script tags, event handlers, `javascript:`/`data:` URLs, entity tricks,
/// Unicode tricks, broken tags and markdown link abuse.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<body onload=alert('x')>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<iframe src=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></iframe>",
    "\"><script>alert(document.cookie)</script>",
    "'><img src=x onerror=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<object data=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x6A;avascript:alert(1)",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "\u{FF1C}script\u{FF1E}alert(1)\u{FF1C}/script\u{FF1E}",
    "\u{202E}gnp.exe\u{202C} looks like a picture",
    "java\u{0}script:alert(1)",
    "<scr\u{200B}ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)//",
    "<<script>alert(1)//<</script>",
    "<a href='x' onmouseover='alert(1)'",
    "</p></ul><script>alert(1)</script><p>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](https://example.com\" onclick=\"alert(1))",
    "[click](https://example.com'onmouseover='alert(1))",
    "[click](https://example.com/<script>)",
    "[click](//evil.example)",
    "[click]( javascript:alert(1) )",
    "![img](https://example.com/x.png\" onerror=\"alert(1))",
    "[https://bank.example](https://evil.example)",
    "[**bold** <script>](https://example.com)",
    "[a](https://example.com)[b](javascript:alert(1))",
    "**<script>alert(1)</script>**",
    "`<script>alert(1)</script>`",
    "*<img src=x onerror=alert(1)>*",
    "> <script>alert(1)</script>",
    "- <script>alert(1)</script>\n- [x](javascript:alert(1))",
    "https://example.com/\"onmouseover=\"alert(1)",
    "https://example.com/<script>alert(1)</script>",
    "www.example.com/'><script>alert(1)</script>",
    "$AAPL\"><script>alert(1)</script>",
    "@Dividend_Dan<script>alert(1)</script>",
    "\\<script>alert(1)\\</script>",
    "***__<script>__***",
    "[[[[[[[[[[x](javascript:alert(1))",
];

#[test]
fn the_xss_corpus_renders_as_harmless_text() {
    assert!(XSS.len() >= 50);
    for payload in XSS {
        for format in [Format::PlainText, Format::Markdown] {
            let html = render_html(payload, format);
            assert_safe(&html, payload);
            let lower = html.to_ascii_lowercase();
            assert!(
                !lower.contains("<script") && !lower.contains("<img") && !lower.contains("<iframe"),
                "{html}"
            );
            assert!(
                !lower.contains("href=\"javascript") && !lower.contains("href=\"data"),
                "{html}"
            );
        }
        // Plain text shows exactly what was written, controls aside.
        assert_eq!(
            shown_text(&render_html(payload, Format::PlainText)),
            expected_text(payload),
            "{payload:?}"
        );
    }
}

#[test]
fn unicode_tricks_are_neutralised() {
    let html = render_html(
        "\u{202E}gnp.exe\u{202C} and \u{2066}x\u{2069}",
        Format::PlainText,
    );
    assert_eq!(html, "gnp.exe and x");
    assert_eq!(
        render_html("a\u{0}b\u{7}c\u{1B}[31m", Format::PlainText),
        "abc[31m"
    );
    // Joiners inside emoji and scripts stay.
    assert_eq!(
        render_html("👩\u{200D}💻", Format::PlainText),
        "👩\u{200D}💻"
    );
}

#[test]
fn plain_text_links_tags_and_mentions() {
    assert_eq!(
        render_html(
            "Buy $BRK.B? Ask @Dividend_Dan\nhttps://x.org/a?b=1&c=2.",
            Format::PlainText
        ),
        "Buy <a href=\"/symbol/BRK.B\" class=\"cashtag\">$BRK.B</a>? Ask \
         <a href=\"/u/Dividend_Dan\" class=\"mention\">@Dividend_Dan</a><br>\
         <a href=\"https://x.org/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener noreferrer\">https://x.org/a?b=1&amp;c=2</a>."
    );
    assert_eq!(
        render_html("**not bold**", Format::PlainText),
        "**not bold**"
    );
}

#[test]
fn the_markdown_subset() {
    let md = |s: &str| render_html(s, Format::Markdown);
    assert_eq!(
        md("**bold** and *em* and _em_"),
        "<p><strong>bold</strong> and <em>em</em> and <em>em</em></p>"
    );
    assert_eq!(md("`$AAPL <b>`"), "<p><code>$AAPL &lt;b&gt;</code></p>");
    assert_eq!(md("one\ntwo\n\nthree"), "<p>one<br>two</p><p>three</p>");
    assert_eq!(md("- a\n* b"), "<ul><li>a</li><li>b</li></ul>");
    assert_eq!(
        md("> quoted\n> more"),
        "<blockquote>quoted<br>more</blockquote>"
    );
    assert_eq!(
        md("[the filing](https://sec.gov/x)"),
        "<p><a href=\"https://sec.gov/x\" rel=\"nofollow ugc noopener noreferrer\">the filing</a></p>"
    );
    // snake_case, lone markers and escapes stay text.
    assert_eq!(md("snake_case_name"), "<p>snake_case_name</p>");
    assert_eq!(md("2 * 3 * 4"), "<p>2 * 3 * 4</p>");
    assert_eq!(md("\\*literal\\*"), "<p>*literal*</p>");
    assert_eq!(md("**unclosed"), "<p>**unclosed</p>");
    // Headings, images and raw HTML are not part of the subset.
    assert_eq!(md("# title"), "<p># title</p>");
    assert_eq!(
        md("![x](https://e.org/i.png)"),
        "<p>!<a href=\"https://e.org/i.png\" rel=\"nofollow ugc noopener noreferrer\">x</a></p>"
    );
    assert_eq!(md("<b>hi</b>"), "<p>&lt;b&gt;hi&lt;/b&gt;</p>");
    assert_eq!(md(""), "");
}

#[test]
fn a_link_label_cannot_disguise_its_target() {
    let html = render_html(
        "[https://bank.example](https://evil.example)",
        Format::Markdown,
    );
    assert_eq!(
        html,
        "<p><a href=\"https://evil.example\" rel=\"nofollow ugc noopener noreferrer\">https://evil.example</a></p>"
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{}x{}", "*".repeat(200), "*".repeat(200));
    let html = render_html(&deep, Format::Markdown);
    assert_safe(&html, &deep);
    assert!(html.matches("<em>").count() + html.matches("<strong>").count() <= 8);
}

#[test]
fn escaping_covers_the_five_characters() {
    assert_eq!(escape_html("<>&\"'"), "&lt;&gt;&amp;&quot;&#39;");
    assert_eq!(escape_html("plain text ✓"), "plain text ✓");
}

//! Rendering post text to HTML.
//!
//! Text is stored exactly as written and escaped when rendered. The output
//! holds only the tags this module writes itself: `a`, `br`, and with
//! [`Format::Markdown`] also `p`, `ul`, `li`, `blockquote`, `strong`, `em`
//! and `code`. Every character of the input reaches the output escaped, as
//! text; a link's `href` is always `http://`, `https://` (from the text) or a
//! path this crate makes (`/symbol/AAPL`, `/u/Alias`).

use crate::text::{self, is_url_byte};

/// How a text is read before it is rendered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Plain text: links, cashtags and mentions become links; a new line becomes `<br>`.
    PlainText,
    /// A small, safe markdown subset: paragraphs (a blank line), lists (`- ` or
    /// `* ` lines), quotes (`> ` lines), `**strong**`, `*em*` or `_em_`,
    /// `` `code` `` and `[label](https://…)` links; `\` escapes punctuation.
    /// Images, raw HTML, headings and tables are not part of it: they show as text.
    #[default]
    Markdown,
}

/// The `rel` of every link to another site.
const EXTERNAL_REL: &str = "nofollow ugc noopener noreferrer";
/// How deep emphasis and links may nest before the rest is taken as text.
const MAX_DEPTH: u8 = 4;
/// The longest markdown link target accepted.
const MAX_URL_LEN: usize = 2048;

/// Escapes the five characters that are special in HTML text and attribute
/// values: `&`, `<`, `>`, `"` and `'`.
///
/// ```
/// assert_eq!(auravest_social::escape_html(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}

/// Characters dropped before rendering: control characters other than tab and
/// new line, and the bidirectional embedding, override and isolate controls
/// that can make text read differently from how it is stored.
fn is_dropped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The text as it will be shown: line breaks made `\n`, dropped characters removed.
pub(crate) fn visible_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.chars()
        .map(|c| {
            if matches!(c, '\r' | '\u{2028}' | '\u{2029}' | '\u{0085}') {
                '\n'
            } else {
                c
            }
        })
        .filter(|c| !is_dropped(*c))
        .collect()
}

/// Renders a post's text as an HTML fragment.
///
/// ```
/// use auravest_social::{render_html, Format};
/// let html = render_html("**Long** $AAPL <script>alert(1)</script>", Format::Markdown);
/// assert_eq!(
///     html,
///     "<p><strong>Long</strong> <a href=\"/symbol/AAPL\" class=\"cashtag\">$AAPL</a> \
///      &lt;script&gt;alert(1)&lt;/script&gt;</p>"
/// );
/// ```
pub fn render_html(text: &str, format: Format) -> String {
    let text = visible_text(text);
    let mut out = String::with_capacity(text.len() * 2);
    match format {
        Format::PlainText => {
            for (n, line) in text.split('\n').enumerate() {
                if n > 0 {
                    out.push_str("<br>");
                }
                autolink(&mut out, line);
            }
        }
        Format::Markdown => render_blocks(&mut out, &text),
    }
    out
}

fn render_blocks(out: &mut String, text: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
        let block = &lines[start..i];
        fn item(line: &str) -> Option<&str> {
            line.strip_prefix("- ").or_else(|| line.strip_prefix("* "))
        }
        if block.iter().all(|l| item(l).is_some()) {
            out.push_str("<ul>");
            for line in block {
                out.push_str("<li>");
                inline(out, item(line).unwrap_or(line), 0, true);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        } else if block.iter().all(|l| l.starts_with('>')) {
            out.push_str("<blockquote>");
            for (n, line) in block.iter().enumerate() {
                if n > 0 {
                    out.push_str("<br>");
                }
                let body = line[1..].strip_prefix(' ').unwrap_or(&line[1..]);
                inline(out, body, 0, true);
            }
            out.push_str("</blockquote>");
        } else {
            out.push_str("<p>");
            for (n, line) in block.iter().enumerate() {
                if n > 0 {
                    out.push_str("<br>");
                }
                inline(out, line, 0, true);
            }
            out.push_str("</p>");
        }
    }
}

/// Writes `segment` escaped, with its links, cashtags and mentions as links
/// when `links` is set.
fn flush(out: &mut String, segment: &str, links: bool) {
    if links {
        autolink(out, segment);
    } else {
        push_escaped(out, segment);
    }
}

fn inline(out: &mut String, s: &str, depth: u8, links: bool) {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut plain = 0;
    while i < bytes.len() {
        let taken = match bytes[i] {
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                flush(out, &s[plain..i], links);
                push_escaped(out, &s[i + 1..i + 2]);
                Some(2)
            }
            b'`' => s[i + 1..].find('`').filter(|len| *len > 0).map(|len| {
                flush(out, &s[plain..i], links);
                out.push_str("<code>");
                push_escaped(out, &s[i + 1..i + 1 + len]);
                out.push_str("</code>");
                len + 2
            }),
            b'*' | b'_' if depth < MAX_DEPTH => emphasis(out, s, i, plain, depth, links),
            b'[' if links && depth < MAX_DEPTH => link(out, s, i, plain, depth),
            _ => None,
        };
        match taken {
            Some(n) => {
                i += n;
                plain = i;
            }
            None => i += 1,
        }
    }
    flush(out, &s[plain..], links);
}

/// Text that may sit between emphasis markers: not empty, no space at either end.
fn emphasis_body(inner: &str) -> bool {
    !inner.is_empty()
        && !inner.starts_with(char::is_whitespace)
        && !inner.ends_with(char::is_whitespace)
}

fn emphasis(
    out: &mut String,
    s: &str,
    i: usize,
    plain: usize,
    depth: u8,
    links: bool,
) -> Option<usize> {
    let bytes = s.as_bytes();
    let marker = bytes[i];
    // `_` only opens and closes at word edges, so snake_case stays text.
    let word_before = |at: usize| {
        s[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
    };
    let word_after = |at: usize| s[at..].chars().next().is_some_and(char::is_alphanumeric);
    if marker == b'_' && word_before(i) {
        return None;
    }
    let double = bytes.get(i + 1) == Some(&marker);
    let (open, tag) = if double { (2, "strong") } else { (1, "em") };
    let close_marker = if double { &s[i..i + 2] } else { &s[i..i + 1] };
    let rest = &s[i + open..];
    let len = rest.find(close_marker)?;
    let inner = &rest[..len];
    let end = i + open + len + open;
    if !emphasis_body(inner) || (marker == b'_' && word_after(end)) {
        return None;
    }
    flush(out, &s[plain..i], links);
    out.push('<');
    out.push_str(tag);
    out.push('>');
    inline(out, inner, depth + 1, links);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
    Some(end - i)
}

/// Whether `url` may be an `href`: `http://` or `https://`, a host with a
/// letter or digit, only link-safe ASCII, at most [`MAX_URL_LEN`] bytes.
pub(crate) fn is_safe_url(url: &str) -> bool {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    url.len() <= MAX_URL_LEN
        && url.bytes().all(is_url_byte)
        && host.bytes().any(|b| b.is_ascii_alphanumeric())
}

fn link(out: &mut String, s: &str, i: usize, plain: usize, depth: u8) -> Option<usize> {
    let label_len = s[i + 1..].find(']')?;
    let label = &s[i + 1..i + 1 + label_len];
    let after_label = i + 1 + label_len + 1;
    if s.as_bytes().get(after_label) != Some(&b'(') || label.contains('[') {
        return None;
    }
    let url_len = s[after_label + 1..].find(')')?;
    let url = s[after_label + 1..after_label + 1 + url_len].trim();
    if !is_safe_url(url) || label.trim().is_empty() {
        return None;
    }
    flush(out, &s[plain..i], true);
    push_external_link_open(out, url);
    // A label that looks like a link must not hide where the link goes: show the target.
    if text::links(label).is_empty() {
        inline(out, label, depth + 1, false);
    } else {
        push_escaped(out, url);
    }
    out.push_str("</a>");
    Some(after_label + 1 + url_len + 1 - i)
}

fn push_external_link_open(out: &mut String, url: &str) {
    out.push_str("<a href=\"");
    push_escaped(out, url);
    out.push_str("\" rel=\"");
    out.push_str(EXTERNAL_REL);
    out.push_str("\">");
}

/// Writes `segment` escaped, turning links, cashtags and mentions into links.
fn autolink(out: &mut String, segment: &str) {
    let found = text::entities(segment);
    enum Kind<'a> {
        Link(&'a str),
        Cashtag(&'a str),
        Mention(&'a str),
    }
    let mut spans: Vec<(text::Span, Kind<'_>)> = Vec::new();
    spans.extend(found.links.iter().map(|l| (l.span, Kind::Link(&l.url))));
    spans.extend(
        found
            .cashtags
            .iter()
            .map(|c| (c.span, Kind::Cashtag(c.symbol.as_str()))),
    );
    spans.extend(
        found
            .mentions
            .iter()
            .map(|m| (m.span, Kind::Mention(&m.alias))),
    );
    spans.sort_by_key(|(span, _)| span.start);
    let mut at = 0;
    for (span, kind) in spans {
        if span.start < at {
            continue;
        }
        push_escaped(out, &segment[at..span.start]);
        let shown = span.slice(segment);
        match kind {
            Kind::Link(url) if is_safe_url(url) => {
                push_external_link_open(out, url);
                push_escaped(out, shown);
                out.push_str("</a>");
            }
            Kind::Link(_) => push_escaped(out, shown),
            Kind::Cashtag(symbol) => {
                out.push_str("<a href=\"/symbol/");
                push_escaped(out, symbol);
                out.push_str("\" class=\"cashtag\">");
                push_escaped(out, shown);
                out.push_str("</a>");
            }
            Kind::Mention(alias) => {
                out.push_str("<a href=\"/u/");
                push_escaped(out, alias);
                out.push_str("\" class=\"mention\">");
                push_escaped(out, shown);
                out.push_str("</a>");
            }
        }
        at = span.end;
    }
    push_escaped(out, &segment[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_urls() {
        assert!(is_safe_url("https://example.com/a?b=c&d=e#f"));
        assert!(is_safe_url("HTTP://EXAMPLE.COM"));
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://ex\"ample.com",
            "data:text/html,x",
            "//example.com",
            " https://example.com",
            "https://exаmple.com",
        ] {
            assert!(!is_safe_url(bad), "{bad}");
        }
        assert!(!is_safe_url(&format!(
            "https://x.org/{}",
            "a".repeat(MAX_URL_LEN)
        )));
    }

    #[test]
    fn visible_text_normalises_breaks_and_drops_controls() {
        assert_eq!(visible_text("a\r\nb\rc\u{2028}d"), "a\nb\nc\nd");
        assert_eq!(
            visible_text("x\u{202E}y\u{0}z\u{7}\tq\u{200D}"),
            "xyz\tq\u{200D}"
        );
    }
}

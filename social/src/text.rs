//! Scanners for the entities of a post: cashtags, mentions and links.
//!
//! Every scanner reports byte spans into the text it was given, so a user
//! interface can highlight the match (`&text[span.start..span.end]`).

use auravest_core::Symbol;

/// A byte range `start..end` of a text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Span {
    /// First byte of the match.
    pub start: usize,
    /// One past the last byte of the match.
    pub end: usize,
}

impl Span {
    /// The matched part of `text` (the text the span was found in).
    pub fn slice<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// Whether the two spans share at least one byte.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A `$TICKER` found in a text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cashtag {
    /// The ticker, upper-cased (`$brk.b` gives `BRK.B`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub symbol: Symbol,
    /// Where the cashtag is, `$` included.
    pub span: Span,
}

/// An `@alias` found in a text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mention {
    /// The alias as written, without the `@`.
    pub alias: String,
    /// Where the mention is, `@` included.
    pub span: Span,
}

/// A web link found in a text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    /// The link target: the text as written, with `https://` put in front of a
    /// bare `www.` address.
    pub url: String,
    /// Where the link is in the text.
    pub span: Span,
}

/// Everything [`entities`] finds in a text, each list in text order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entities {
    /// Cashtags, outside links.
    pub cashtags: Vec<Cashtag>,
    /// Mentions, outside links.
    pub mentions: Vec<Mention>,
    /// Links.
    pub links: Vec<Link>,
}

impl Entities {
    /// The distinct tickers, in order of first appearance.
    pub fn symbols(&self) -> Vec<Symbol> {
        let mut out: Vec<Symbol> = Vec::new();
        for tag in &self.cashtags {
            if !out.contains(&tag.symbol) {
                out.push(tag.symbol.clone());
            }
        }
        out
    }

    /// The distinct mentioned aliases, compared without case, in order of first appearance.
    pub fn aliases(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in &self.mentions {
            if !out.iter().any(|a| a.eq_ignore_ascii_case(&m.alias)) {
                out.push(m.alias.clone());
            }
        }
        out
    }
}

/// Finds the links, cashtags and mentions of a text. Cashtags and mentions
/// inside a link (`https://example.com/@name?q=$X`) are part of the link.
///
/// ```
/// let e = auravest_social::entities("$AAPL and $brk.b look cheap, says @Investor4821 https://example.com/x");
/// let tickers: Vec<&str> = e.cashtags.iter().map(|c| c.symbol.as_str()).collect();
/// assert_eq!(tickers, ["AAPL", "BRK.B"]);
/// assert_eq!(e.mentions[0].alias, "Investor4821");
/// assert_eq!(e.links[0].url, "https://example.com/x");
/// ```
pub fn entities(text: &str) -> Entities {
    let links = links(text);
    let outside = |span: &Span| !links.iter().any(|l| l.span.overlaps(span));
    Entities {
        cashtags: cashtags(text)
            .into_iter()
            .filter(|c| outside(&c.span))
            .collect(),
        mentions: mentions(text)
            .into_iter()
            .filter(|m| outside(&m.span))
            .collect(),
        links,
    }
}

/// The longest ticker part before an optional suffix (`BRK` of `$BRK.B`).
const MAX_BASE_LEN: usize = 6;
/// The longest exchange or class suffix (`L` of `$VOD.L`, `TO` of `$SHOP.TO`).
const MAX_SUFFIX_LEN: usize = 3;

fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn char_at(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ascii_letters_from(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count()
}

/// Finds cashtags: `$` then 1–6 ASCII letters, optionally `.` or `-` and a
/// 1–3 letter class or exchange suffix (`$AAPL`, `$BRK.B`, `$VOD.L`, `$BRK-B`).
///
/// A cashtag starts after a non-word character (or the start of the text) and
/// ends before one. Amounts are not cashtags: `$5`, `$100k` and `$12.50` start
/// with a digit; `$A1` or `$ABCDEFG` are refused as a whole.
pub fn cashtags(text: &str) -> Vec<Cashtag> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('$') {
        if char_before(text, i).is_some_and(|c| is_word(c) || c == '$') {
            continue;
        }
        let base_start = i + 1;
        let base_len = ascii_letters_from(bytes, base_start);
        if base_len == 0 || base_len > MAX_BASE_LEN {
            continue;
        }
        let mut end = base_start + base_len;
        if char_at(text, end).is_some_and(is_word) {
            continue;
        }
        if matches!(bytes.get(end), Some(b'.' | b'-')) {
            let suffix_len = ascii_letters_from(bytes, end + 1);
            let after = end + 1 + suffix_len;
            if (1..=MAX_SUFFIX_LEN).contains(&suffix_len)
                && !char_at(text, after).is_some_and(is_word)
            {
                end = after;
            }
        }
        if let Ok(symbol) = Symbol::new(&text[base_start..end]) {
            out.push(Cashtag {
                symbol,
                span: Span { start: i, end },
            });
        }
    }
    out
}

/// The alias characters a mention may hold (the alias rules allow no others).
fn is_alias_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Finds mentions: `@` then 3–20 letters, digits or underscores starting with
/// a letter, after a non-word character. E-mail addresses (`ann@example.com`)
/// and `@name.domain` forms are not mentions.
pub fn mentions(text: &str) -> Vec<Mention> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        if char_before(text, i).is_some_and(|c| is_word(c) || matches!(c, '.' | '@' | '-' | '+')) {
            continue;
        }
        let start = i + 1;
        let len = bytes[start..]
            .iter()
            .take_while(|b| is_alias_char(**b))
            .count();
        let end = start + len;
        if !(crate::alias::MIN_ALIAS_LEN..=crate::alias::MAX_ALIAS_LEN).contains(&len)
            || !bytes[start].is_ascii_alphabetic()
            || char_at(text, end).is_some_and(|c| is_word(c) || c == '@')
        {
            continue;
        }
        // `@name.domain` is an address, not a mention; `@name.` ends a sentence.
        if bytes.get(end) == Some(&b'.')
            && bytes.get(end + 1).is_some_and(u8::is_ascii_alphanumeric)
        {
            continue;
        }
        out.push(Mention {
            alias: text[start..end].to_owned(),
            span: Span { start: i, end },
        });
    }
    out
}

/// Bytes a link may hold: printable ASCII except space, quotes, angle
/// brackets, backquote, backslash and braces. Anything else ends the link, so
/// a link never carries markup or non-ASCII look-alike characters.
pub(crate) fn is_url_byte(b: u8) -> bool {
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\' | b'{' | b'}' | b'|' | b'^'
        )
}

fn starts_with_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && haystack[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Finds web links: `http://…`, `https://…` and `www.…` after a non-word
/// character. Trailing sentence punctuation and unbalanced closing brackets
/// are left out; a link needs a host with at least one letter or digit.
/// Other schemes (`javascript:`, `data:`, `ftp:`) are never links.
pub fn links(text: &str) -> Vec<Link> {
    let bytes = text.as_bytes();
    let mut out: Vec<Link> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let prefix = if starts_with_ignore_case(rest, b"https://") {
            8
        } else if starts_with_ignore_case(rest, b"http://") {
            7
        } else if starts_with_ignore_case(rest, b"www.") {
            4
        } else {
            i += 1;
            continue;
        };
        if char_before(text, i).is_some_and(is_word) {
            i += prefix;
            continue;
        }
        let mut end = i + rest.iter().take_while(|b| is_url_byte(**b)).count();
        end = trim_link_end(&bytes[i..end]) + i;
        // Trimming may eat into the prefix itself (`www..`): no link.
        if end <= i + prefix {
            i += prefix;
            continue;
        }
        let host = &bytes[i + prefix..end];
        let host = &host[..host
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(host.len())];
        if end > i + prefix && host.iter().any(u8::is_ascii_alphanumeric) {
            let written = &text[i..end];
            let url = if prefix == 4 {
                format!("https://{written}")
            } else {
                written.to_owned()
            };
            out.push(Link {
                url,
                span: Span { start: i, end },
            });
            i = end;
        } else {
            i += prefix;
        }
    }
    out
}

/// The length of `link` once trailing punctuation and unbalanced closing
/// brackets are dropped.
fn trim_link_end(link: &[u8]) -> usize {
    let mut end = link.len();
    loop {
        let Some(&last) = end.checked_sub(1).and_then(|e| link.get(e)) else {
            return end;
        };
        let drop = match last {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' | b'_' | b'~' => true,
            b')' => count(&link[..end], b'(') < count(&link[..end], b')'),
            b']' => count(&link[..end], b'[') < count(&link[..end], b']'),
            _ => false,
        };
        if !drop {
            return end;
        }
        end -= 1;
    }
}

fn count(bytes: &[u8], b: u8) -> usize {
    bytes.iter().filter(|x| **x == b).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_slice_the_source() {
        let text = "€ then $VOD.L.";
        let tags = cashtags(text);
        assert_eq!(tags[0].span.slice(text), "$VOD.L");
        assert_eq!(Span { start: 0, end: 99 }.slice(text), "");
    }

    #[test]
    fn a_prefix_trimmed_away_is_no_link() {
        // Found by the post_text fuzz target: trailing dots were trimmed
        // into `www.` and the host slice ran backwards.
        for text in ["www..", "see www...", "www.:", "WWW.!?", "x www.."] {
            assert!(links(text).is_empty(), "{text}");
        }
        assert_eq!(links("www.x.org.")[0].url, "https://www.x.org");
    }

    #[test]
    fn link_trimming_keeps_balanced_brackets() {
        assert_eq!(trim_link_end(b"https://x.org/a_(b)"), 19);
        assert_eq!(trim_link_end(b"https://x.org/a)"), 15);
        assert_eq!(trim_link_end(b"https://x.org/a..."), 15);
    }
}

//! Community post text: cashtags, mentions, links, amounts that reveal
//! wealth, and the safe HTML rendering. Never a panic, every span lies on
//! character boundaries inside the text, and the rendering never lets a
//! tag through.
#![no_main]

use auravest_social::{Format, cashtags, entities, links, mentions, render_html, wealth_warnings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let found = entities(text);
    let _ = found.symbols();
    let _ = found.aliases();
    for c in cashtags(text) {
        let _ = c.span.slice(text);
    }
    for m in mentions(text) {
        let _ = m.span.slice(text);
    }
    for l in links(text) {
        let _ = l.span.slice(text);
    }
    let _ = wealth_warnings(text);
    for format in [Format::PlainText, Format::Markdown] {
        let html = render_html(text, format);
        check_html(&html);
    }
});

/// Only the renderer's own tags, and links only to web addresses or our
/// own paths: whatever the text, it cannot smuggle markup or script in.
fn check_html(html: &str) {
    const TAGS: [&str; 11] = [
        "a", "br", "p", "ul", "ol", "li", "blockquote", "strong", "em", "code", "pre",
    ];
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let after = &rest[at + 1..];
        let end = after.find('>').expect("every tag is closed");
        let tag = &after[..end];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(TAGS.contains(&name.as_str()), "tag {name:?} in {html}");
        assert!(!tag.contains('<'), "a tag inside a tag in {html}");
        if let Some(h) = tag.find(" href=\"") {
            let target = tag[h + 7..].to_ascii_lowercase();
            assert!(
                target.starts_with('/') || target.starts_with("https://") || target.starts_with("http://"),
                "link to {target} in {html}"
            );
        }
        rest = &after[end..];
    }
}

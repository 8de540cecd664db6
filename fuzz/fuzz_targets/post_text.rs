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
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
    }
});

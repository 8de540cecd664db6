//! The community's rules a client applies while a member writes: amounts of
//! money that would reveal wealth (the rule the server enforces when a post
//! is made), cashtags, mentions and links, safe HTML, and aliases.
//!
//! Positions in a text are JavaScript string indices (UTF-16 code units), so
//! `text.slice(start, end)` is the match.

use auravest_social::{AliasPolicy, AmountCue, Format, Span, entities, render_html};
use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::convert::{read, string, write};
use crate::errors::Outcome;

#[wasm_bindgen(typescript_custom_section)]
const SOCIAL_TS: &str = r#"
/** What marked a number as money. */
export type AmountCue = "currency_sign" | "currency_code" | "currency_word" | "slang" | "context";
/** How a text is rendered to HTML. */
export type TextFormat = "markdown" | "plain_text";
"#;

/// Where a match is: JavaScript string indices into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TextSpan {
    /// Index of the first UTF-16 code unit.
    pub start: usize,
    /// Index one past the last UTF-16 code unit.
    pub end: usize,
}

impl TextSpan {
    /// The SDK's byte span in `text` as UTF-16 indices.
    fn of(text: &str, span: Span) -> Self {
        let units = |byte: usize| text.get(..byte).map_or(0, |t| t.encode_utf16().count());
        Self {
            start: units(span.start),
            end: units(span.end),
        }
    }
}

/// An amount of money that would disclose wealth, and what to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct WealthWarning {
    /// The amount as written.
    pub text: String,
    /// Where it is.
    pub span: TextSpan,
    /// Its ISO 4217 currency, when written.
    pub currency: Option<String>,
    /// Its value in currency units (decimal string), when it reads cleanly.
    pub value: Option<String>,
    /// What gave it away.
    #[tsify(type = "AmountCue")]
    pub cue: AmountCue,
    /// The message to show beside it.
    pub message: String,
}

/// What kind of entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub enum EntityKind {
    /// `$AAPL`.
    Cashtag,
    /// `@alias`.
    Mention,
    /// A link.
    Link,
}

/// A cashtag, mention or link found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TextEntity {
    /// What it is.
    pub kind: EntityKind,
    /// The symbol, alias or URL.
    pub value: String,
    /// Where it is.
    pub span: TextSpan,
}

/// Amounts of money in `text` that would disclose wealth: the rule the
/// community applies when a post is made (a post with any is refused unless
/// its author confirms them).
#[wasm_bindgen(js_name = wealthWarnings, unchecked_return_type = "WealthWarning[]")]
pub fn wealth_warnings(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Outcome<JsValue> {
    let text = &string("text", &text)?;
    let found: Vec<WealthWarning> = auravest_social::wealth_warnings(text)
        .into_iter()
        .map(|w| WealthWarning {
            message: w.message(),
            span: TextSpan::of(text, w.span),
            cue: w.cue,
            text: w.text,
            currency: w.currency.map(|c| c.to_string()),
            value: w.value.map(|v| v.to_string()),
        })
        .collect();
    write(&found)
}

/// Cashtags, mentions and links in `text`, in that order.
#[wasm_bindgen(js_name = textEntities, unchecked_return_type = "TextEntity[]")]
pub fn text_entities(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Outcome<JsValue> {
    let text = &string("text", &text)?;
    let e = entities(text);
    let entity = |kind, value, span| TextEntity {
        kind,
        value,
        span: TextSpan::of(text, span),
    };
    let tags = e
        .cashtags
        .into_iter()
        .map(|c| entity(EntityKind::Cashtag, c.symbol.to_string(), c.span));
    let mentions = e
        .mentions
        .into_iter()
        .map(|m| entity(EntityKind::Mention, m.alias, m.span));
    let links = e
        .links
        .into_iter()
        .map(|l| entity(EntityKind::Link, l.url, l.span));
    let all: Vec<TextEntity> = tags.chain(mentions).chain(links).collect();
    write(&all)
}

/// `text` as safe HTML, as the community shows it (`format`: `"markdown"`
/// or `"plain_text"`; the SDK's default when omitted).
///
/// # Errors
/// `InvalidArgument` for a format the SDK does not know.
#[wasm_bindgen(js_name = renderHtml)]
pub fn render(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TextFormat")] format: Option<JsValue>,
) -> Outcome<String> {
    let format = match format {
        Some(f) => read::<Format>("format", f)?,
        None => Format::default(),
    };
    Ok(render_html(&string("text", &text)?, format))
}

/// Checks an alias a member picks (`generated`: one the system hands out)
/// and returns it as the community keeps it.
///
/// # Errors
/// The SDK's alias errors (field `alias`).
#[wasm_bindgen(js_name = checkAlias)]
pub fn check_alias(
    #[wasm_bindgen(unchecked_param_type = "string")] alias: JsValue,
    generated: Option<bool>,
) -> Outcome<String> {
    let alias = &string("alias", &alias)?;
    let policy = AliasPolicy::default();
    let checked = if generated.unwrap_or(false) {
        policy.check(alias)
    } else {
        policy.check_choice(alias)
    };
    Ok(checked?.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_count_utf16_units() {
        let text = "caf\u{e9} \u{1f680} $250,000 gone";
        let w = auravest_social::wealth_warnings(text);
        let span = TextSpan::of(text, w[0].span);
        let units: Vec<u16> = text.encode_utf16().collect();
        let found = String::from_utf16(&units[span.start..span.end]).unwrap();
        assert_eq!(found, w[0].text);
    }

    /// Every variant, by an exhaustive match: a variant added to the SDK
    /// fails to compile here until the union above lists it.
    fn every_cue() -> [AmountCue; 5] {
        let all = [
            AmountCue::CurrencySign,
            AmountCue::CurrencyCode,
            AmountCue::CurrencyWord,
            AmountCue::Slang,
            AmountCue::Context,
        ];
        for c in all {
            match c {
                AmountCue::CurrencySign
                | AmountCue::CurrencyCode
                | AmountCue::CurrencyWord
                | AmountCue::Slang
                | AmountCue::Context => {}
            }
        }
        all
    }

    #[test]
    fn the_declared_unions_are_the_sdk_variants() {
        assert_eq!(
            crate::ts_union(include_str!("social.rs"), "AmountCue"),
            crate::serde_names(every_cue())
        );
        let formats = [Format::PlainText, Format::Markdown];
        for f in formats {
            match f {
                Format::PlainText | Format::Markdown => {}
            }
        }
        assert_eq!(
            crate::ts_union(include_str!("social.rs"), "TextFormat"),
            crate::serde_names(formats)
        );
    }
}

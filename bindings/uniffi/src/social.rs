//! The community's rules a client needs before it posts: aliases, amounts
//! that would reveal wealth, cashtags and mentions, safe rendering, and
//! performance shared in percent only.

use std::sync::Arc;

use auravest_social::{
    AliasPolicy, Decimal, Format, GUIDELINES, PerformanceShare, Period, compound_percent_text,
    entities, render_html, wealth_warnings,
};

use crate::errors::{Outcome, count};
use crate::risk::Category;

/// Where a piece of text sits: byte offsets into its UTF-8 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TextSpan {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl From<auravest_social::Span> for TextSpan {
    fn from(s: auravest_social::Span) -> Self {
        Self {
            start: count(s.start),
            end: count(s.end),
        }
    }
}

/// An amount of money that would disclose wealth, and what to show.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WealthWarning {
    /// The amount as written.
    pub text: String,
    /// Where it is.
    pub span: TextSpan,
    /// Its currency, when written.
    pub currency: Option<String>,
    /// Its value (decimal text), when it could be read.
    pub value: Option<String>,
    /// What gave it away (`currency_sign`, `slang`, ...).
    pub cue: String,
    /// The message to show beside it.
    pub message: String,
}

/// What kind of entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EntityKind {
    /// `$AAPL`.
    Cashtag,
    /// `@alias`.
    Mention,
    /// A link.
    Link,
}

/// A cashtag, mention or link found in a text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TextEntity {
    /// What it is.
    pub kind: EntityKind,
    /// The symbol, alias or URL.
    pub value: String,
    /// Where it is.
    pub span: TextSpan,
}

/// How a text is rendered to HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TextFormat {
    /// Markdown, sanitised.
    Markdown,
    /// Plain text, escaped.
    PlainText,
}

/// A period a performance share covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SharePeriod {
    /// One calendar month.
    Month {
        /// The year.
        year: i32,
        /// The month, 1-12.
        month: u32,
    },
    /// One calendar year.
    Year {
        /// The year.
        year: i32,
    },
}

/// A performance share as the community shows it (percent only).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PerformanceShareInfo {
    /// The period.
    pub period: SharePeriod,
    /// The return in percent (decimal text).
    pub return_pct: String,
    /// The sharer's risk category, if shown.
    pub risk: Option<Category>,
}

/// A community guideline.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidelineInfo {
    /// A stable id.
    pub id: String,
    /// A short title.
    pub title: String,
    /// The guideline.
    pub text: String,
}

/// A decimal argument, read by the SDK's own rule.
pub(crate) fn decimal(field: &'static str, text: &str) -> Outcome<Decimal> {
    Ok(auravest_core::parse_decimal(field, text)?)
}

/// The community's rules (the SDK's default alias policy).
#[derive(Debug, uniffi::Object)]
pub struct CommunityRules {
    aliases: AliasPolicy,
}

#[uniffi::export]
impl CommunityRules {
    /// The rules with the SDK's defaults.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            aliases: AliasPolicy::default(),
        })
    }

    /// Checks an alias a member picks and returns it as accepted;
    /// `generated` checks one the system hands out.
    #[uniffi::method(default(generated = false))]
    pub fn check_alias(&self, alias: String, generated: bool) -> Outcome<String> {
        let checked = if generated {
            self.aliases.check(&alias)
        } else {
            self.aliases.check_choice(&alias)
        };
        Ok(checked?.as_str().to_owned())
    }

    /// Amounts of money in `text` that would disclose wealth.
    pub fn wealth_warnings(&self, text: String) -> Vec<WealthWarning> {
        wealth_warnings(&text)
            .into_iter()
            .map(|w| WealthWarning {
                message: w.message(),
                cue: crate::bias::serde_name(&w.cue),
                text: w.text,
                span: w.span.into(),
                currency: w.currency.map(|c| c.to_string()),
                value: w.value.map(|v| v.to_string()),
            })
            .collect()
    }

    /// Cashtags, mentions and links in `text`, in that order.
    pub fn entities(&self, text: String) -> Vec<TextEntity> {
        let e = entities(&text);
        let tags = e.cashtags.into_iter().map(|c| TextEntity {
            kind: EntityKind::Cashtag,
            value: c.symbol.to_string(),
            span: c.span.into(),
        });
        let mentions = e.mentions.into_iter().map(|m| TextEntity {
            kind: EntityKind::Mention,
            value: m.alias,
            span: m.span.into(),
        });
        let links = e.links.into_iter().map(|l| TextEntity {
            kind: EntityKind::Link,
            value: l.url,
            span: l.span.into(),
        });
        tags.chain(mentions).chain(links).collect()
    }

    /// `text` as safe HTML.
    pub fn render_html(&self, text: String, format: TextFormat) -> String {
        let format = match format {
            TextFormat::Markdown => Format::Markdown,
            TextFormat::PlainText => Format::PlainText,
        };
        render_html(&text, format)
    }

    /// A performance share checked as the community checks it: the period
    /// and the return's range.
    #[uniffi::method(default(risk = None))]
    pub fn performance_share(
        &self,
        period: SharePeriod,
        return_pct: String,
        risk: Option<Category>,
    ) -> Outcome<PerformanceShareInfo> {
        let sdk_period = match period {
            SharePeriod::Month { year, month } => Period::Month { year, month },
            SharePeriod::Year { year } => Period::Year { year },
        };
        let pct = decimal("return_pct", &return_pct)?;
        let share = PerformanceShare::new(sdk_period, pct, risk.map(Into::into))?;
        Ok(PerformanceShareInfo {
            period: match share.period {
                Period::Month { year, month } => SharePeriod::Month { year, month },
                Period::Year { year } => SharePeriod::Year { year },
            },
            return_pct: share.return_pct.to_string(),
            risk: share.risk.map(Into::into),
        })
    }

    /// Compounds period returns given in percent; `null` when the result
    /// overflows. A bad entry is `InvalidInput` of kind `invalid_entry`
    /// naming `returns_pct`, the entry's 1-based position (`line`) and its
    /// text (in `reason`).
    pub fn compound_percent(&self, returns_pct: Vec<String>) -> Outcome<Option<String>> {
        Ok(compound_percent_text(&returns_pct)?.map(|d| d.to_string()))
    }

    /// The community guidelines, in order.
    pub fn guidelines(&self) -> Vec<GuidelineInfo> {
        GUIDELINES
            .iter()
            .map(|g| GuidelineInfo {
                id: g.id.to_owned(),
                title: g.title.to_owned(),
                text: g.text.to_owned(),
            })
            .collect()
    }
}

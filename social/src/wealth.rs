//! Wealth privacy: finding money amounts in a draft before it is posted.
//!
//! [`wealth_warnings`] returns every money amount it finds with its span, so a
//! user interface can highlight it and ask before posting; `Community::post`
//! refuses a draft with amounts unless the author confirmed them.

use std::str::FromStr;

use auravest_core::{Currency, Decimal};

use crate::text::Span;

/// What marked a number as money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountCue {
    /// A currency sign before or after it (`$12,500`, `€3000`, `3000€`, `US$5`).
    CurrencySign,
    /// A currency code before or after it (`12.5k USD`, `EUR 400`).
    CurrencyCode,
    /// A currency word after it (`500 dollars`, `20 quid`).
    CurrencyWord,
    /// Money slang (`40 grand`).
    Slang,
    /// A scaled number (`10k`, `2 million`) next to a word about holdings or
    /// gains (`I put 10k into NVDA`, `made 2m`).
    Context,
}

/// One money amount found in a text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WealthWarning {
    /// Where the amount is, currency marks and scale words included.
    pub span: Span,
    /// The matched text.
    pub text: String,
    /// The currency, when the text names one.
    pub currency: Option<Currency>,
    /// The amount in currency units (`12.5k` gives 12500), when the number reads cleanly.
    pub value: Option<Decimal>,
    /// What marked it as money.
    pub cue: AmountCue,
}

impl WealthWarning {
    /// A sentence a user interface can show next to the highlighted span.
    pub fn message(&self) -> String {
        format!(
            "\u{201c}{}\u{201d} looks like a money amount; amounts can reveal your wealth. Share percentages instead?",
            self.text
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Word,
    Sign(char),
    Percent,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

const SIGNS: &[(char, &str)] = &[
    ('$', "USD"),
    ('€', "EUR"),
    ('£', "GBP"),
    ('¥', "JPY"),
    ('₹', "INR"),
    ('₩', "KRW"),
    ('₽', "RUB"),
    ('₺', "TRY"),
    ('₪', "ILS"),
    ('₫', "VND"),
    ('₱', "PHP"),
    ('₦', "NGN"),
];

/// Letters written before `$` that name another dollar (`C$`, `HK$`).
const DOLLAR_PREFIXES: &[(&str, &str)] = &[
    ("us", "USD"),
    ("c", "CAD"),
    ("ca", "CAD"),
    ("a", "AUD"),
    ("au", "AUD"),
    ("hk", "HKD"),
    ("s", "SGD"),
    ("nz", "NZD"),
    ("mx", "MXN"),
    ("r", "BRL"),
];

/// Codes also recognised in lower case; other ISO codes only in capitals, so
/// words like `all`, `top` or `try` are not read as currencies.
const LOWER_CODES: &[&str] = &[
    "usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "inr", "usdt", "usdc",
];

const CURRENCY_WORDS: &[(&str, &str)] = &[
    ("dollar", "USD"),
    ("dollars", "USD"),
    ("buck", "USD"),
    ("bucks", "USD"),
    ("euro", "EUR"),
    ("euros", "EUR"),
    ("pound", "GBP"),
    ("pounds", "GBP"),
    ("quid", "GBP"),
    ("yen", "JPY"),
    ("rupee", "INR"),
    ("rupees", "INR"),
    ("franc", "CHF"),
    ("francs", "CHF"),
];

/// Scale suffixes written on the number (`12.5k`, `3bn`).
const ATTACHED_SCALES: &[(&str, u64)] = &[
    ("k", 1_000),
    ("m", 1_000_000),
    ("mm", 1_000_000),
    ("mn", 1_000_000),
    ("mil", 1_000_000),
    ("b", 1_000_000_000),
    ("bn", 1_000_000_000),
];

/// Scale words written after the number (`40 grand`, `2 million`).
const SCALE_WORDS: &[(&str, u64)] = &[
    ("k", 1_000),
    ("thousand", 1_000),
    ("grand", 1_000),
    ("million", 1_000_000),
    ("mil", 1_000_000),
    ("billion", 1_000_000_000),
    ("bn", 1_000_000_000),
];

/// Words before a bare scaled number that make it money (`made 10k`).
const CONTEXT_BEFORE: &[&str] = &[
    "invested",
    "put",
    "lost",
    "made",
    "deposited",
    "withdrew",
    "saved",
    "owe",
    "owed",
    "borrowed",
    "earned",
    "won",
    "worth",
    "spent",
    "inherited",
    "bet",
    "risked",
    "cashed",
];

/// Words after a bare scaled number that make it money (`10k in TSLA`).
const CONTEXT_AFTER: &[&str] = &[
    "in",
    "into",
    "on",
    "invested",
    "portfolio",
    "account",
    "saved",
    "savings",
    "worth",
    "position",
    "stake",
    "cash",
    "profit",
    "profits",
    "loss",
    "losses",
    "gain",
    "gains",
    "net",
    "deposited",
    "left",
    "down",
    "up",
];

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let kind = if c.is_ascii_digit() {
            // Digits, with `,` or `.` between digit groups.
            let mut end = start + 1;
            while let Some(&(i, d)) = chars.peek() {
                let separator_then_digit = matches!(d, ',' | '.')
                    && text[i + 1..]
                        .chars()
                        .next()
                        .is_some_and(|n| n.is_ascii_digit());
                if d.is_ascii_digit() || separator_then_digit {
                    chars.next();
                    end = i + 1;
                } else {
                    break;
                }
            }
            out.push(Token {
                kind: Kind::Number,
                start,
                end,
            });
            continue;
        } else if c.is_alphabetic() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, l)) = chars.peek() {
                if l.is_alphabetic() {
                    chars.next();
                    end = i + l.len_utf8();
                } else {
                    break;
                }
            }
            out.push(Token {
                kind: Kind::Word,
                start,
                end,
            });
            continue;
        } else if c.is_whitespace() {
            continue;
        } else if SIGNS.iter().any(|(s, _)| *s == c) {
            Kind::Sign(c)
        } else if c == '%' {
            Kind::Percent
        } else {
            Kind::Other
        };
        out.push(Token {
            kind,
            start,
            end: start + c.len_utf8(),
        });
    }
    out
}

/// Parses `12,500`, `12.5`, `1.000.000` or `3.000,50` into a decimal.
fn parse_number(s: &str) -> Option<Decimal> {
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    let groups_of_three = |sep: char| s.split(sep).skip(1).all(|g| g.len() == 3);
    let cleaned = if commas > 0 && dots > 0 {
        let (thousands, decimal) = if s.rfind(',') > s.rfind('.') {
            ('.', ',')
        } else {
            (',', '.')
        };
        if s.matches(decimal).count() > 1 {
            return None;
        }
        s.replace(thousands, "").replace(decimal, ".")
    } else if commas > 0 {
        if groups_of_three(',') {
            s.replace(',', "")
        } else if commas == 1 {
            s.replace(',', ".")
        } else {
            return None;
        }
    } else if dots > 1 {
        if !groups_of_three('.') {
            return None;
        }
        s.replace('.', "")
    } else {
        s.to_owned()
    };
    Decimal::from_str(&cleaned).ok()
}

fn code(word: &str) -> Option<Currency> {
    let is_upper = word.bytes().all(|b| b.is_ascii_uppercase());
    let lower = word.to_ascii_lowercase();
    if (word.len() == 3 && is_upper) || LOWER_CODES.contains(&lower.as_str()) {
        let code = if lower.starts_with("usd") {
            "USD"
        } else {
            word
        };
        Currency::new(code).ok()
    } else {
        None
    }
}

fn currency_word(word: &str) -> Option<Currency> {
    let lower = word.to_lowercase();
    CURRENCY_WORDS
        .iter()
        .find(|(w, _)| *w == lower)
        .and_then(|(_, c)| Currency::new(c).ok())
}

fn sign_currency(sign: char) -> Option<Currency> {
    SIGNS
        .iter()
        .find(|(s, _)| *s == sign)
        .and_then(|(_, c)| Currency::new(c).ok())
}

fn lookup(table: &[(&str, u64)], word: &str) -> Option<u64> {
    let lower = word.to_lowercase();
    table.iter().find(|(w, _)| *w == lower).map(|(_, v)| *v)
}

/// Finds money amounts in a text.
///
/// A number is money when a currency sign, code or word sits next to it
/// (`$12,500`, `12.5k USD`, `€3000`, `500 dollars`), when money slang follows
/// it (`40 grand`), or when it carries a scale (`10k`, `2 million`) and a
/// word about holdings or gains sits next to it (`I put 10k into NVDA`).
/// Percentages (`up 12%`), cashtags (`$AAPL`), multiples (`5x`), ordinals,
/// years and other bare numbers are not money.
///
/// ```
/// let text = "I have 40 grand in $TSLA, up 12%, and $12,500 in cash";
/// let found: Vec<&str> = auravest_social::wealth_warnings(text).iter().map(|w| &text[w.span.start..w.span.end]).collect();
/// assert_eq!(found, ["40 grand", "$12,500"]);
/// ```
pub fn wealth_warnings(text: &str) -> Vec<WealthWarning> {
    let toks = tokens(text);
    let word = |t: &Token| &text[t.start..t.end];
    // No gap, or one space (a no-break space counts).
    let near = |a: &Token, b: &Token| {
        let gap = &text[a.end..b.start];
        gap.is_empty() || gap == " " || gap == "\u{a0}"
    };
    let adjacent = |a: &Token, b: &Token| a.end == b.start;
    let mut out = Vec::new();
    let mut idx = 0;
    while idx < toks.len() {
        let num = toks[idx];
        idx += 1;
        if num.kind != Kind::Number
            || text[..num.start]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        let mut value = parse_number(word(&num));
        let mut scaled = false;
        let mut currency = None;
        let mut cue = None;
        let mut j = idx;
        let mut end = num.end;
        let scale =
            |value: Option<Decimal>, by: u64| value.and_then(|v| v.checked_mul(Decimal::from(by)));

        // Letters written on the number: a scale, a currency code, or something else entirely.
        if let Some(next) = toks
            .get(j)
            .filter(|t| t.kind == Kind::Word && adjacent(&num, t))
        {
            if let Some(by) = lookup(ATTACHED_SCALES, word(next)) {
                value = scale(value, by);
                scaled = true;
            } else if let Some(c) = code(word(next)) {
                currency = Some(c);
                cue = Some(AmountCue::CurrencyCode);
            } else {
                continue;
            }
            end = next.end;
            j += 1;
        }
        // A percentage is never money.
        if let Some(next) = toks.get(j).filter(|t| near(&toks[j - 1], t)) {
            let lower = word(next).to_ascii_lowercase();
            if next.kind == Kind::Percent || matches!(lower.as_str(), "percent" | "pct" | "bps") {
                continue;
            }
        }
        // A sign or code before the number.
        let mut start = num.start;
        if let Some(p) = idx
            .checked_sub(2)
            .map(|p| toks[p])
            .filter(|p| near(p, &num))
        {
            match p.kind {
                Kind::Sign(s) => {
                    start = p.start;
                    currency = currency.or_else(|| sign_currency(s));
                    cue = Some(AmountCue::CurrencySign);
                    if s == '$' {
                        let before = idx
                            .checked_sub(3)
                            .map(|b| toks[b])
                            .filter(|b| b.kind == Kind::Word && adjacent(b, &p));
                        if let Some(b) = before {
                            let lower = word(&b).to_ascii_lowercase();
                            if let Some((_, c)) = DOLLAR_PREFIXES.iter().find(|(w, _)| *w == lower)
                            {
                                start = b.start;
                                currency = Currency::new(c).ok();
                            }
                        }
                    }
                }
                Kind::Word => {
                    if let Some(c) = code(word(&p)).filter(|_| currency.is_none()) {
                        start = p.start;
                        currency = Some(c);
                        cue = Some(AmountCue::CurrencyCode);
                    }
                }
                _ => {}
            }
        }
        // Scale words, then a currency after the number.
        let mut last = toks[j - 1];
        if let Some(next) = toks
            .get(j)
            .filter(|t| t.kind == Kind::Word && near(&last, t))
            && let Some(by) = lookup(SCALE_WORDS, word(next)).filter(|_| !scaled)
        {
            value = scale(value, by);
            scaled = true;
            if word(next).eq_ignore_ascii_case("grand") && cue.is_none() {
                cue = Some(AmountCue::Slang);
            }
            end = next.end;
            last = *next;
            j += 1;
        }
        if currency.is_none()
            && let Some(next) = toks.get(j).filter(|t| near(&last, t))
        {
            let found = match next.kind {
                // `$` followed by letters starts a cashtag, not a trailing sign.
                Kind::Sign(s)
                    if !toks
                        .get(j + 1)
                        .is_some_and(|a| a.kind == Kind::Word && adjacent(next, a)) =>
                {
                    sign_currency(s).map(|c| (c, AmountCue::CurrencySign))
                }
                Kind::Word => code(word(next))
                    .map(|c| (c, AmountCue::CurrencyCode))
                    .or_else(|| currency_word(word(next)).map(|c| (c, AmountCue::CurrencyWord))),
                _ => None,
            };
            if let Some((c, how)) = found {
                currency = Some(c);
                if cue != Some(AmountCue::Slang) {
                    cue = Some(how);
                }
                end = next.end;
                j += 1;
            }
        }
        // A bare scaled number counts when a holdings or gains word sits next to it.
        if cue.is_none() && scaled {
            let before = toks[..idx - 1]
                .last()
                .filter(|t| t.kind == Kind::Word)
                .map(|t| word(t).to_lowercase());
            let after = toks
                .get(j)
                .filter(|t| t.kind == Kind::Word)
                .map(|t| word(t).to_lowercase());
            if before.is_some_and(|w| CONTEXT_BEFORE.contains(&w.as_str()))
                || after.is_some_and(|w| CONTEXT_AFTER.contains(&w.as_str()))
            {
                cue = Some(AmountCue::Context);
            }
        }
        let Some(cue) = cue else { continue };
        out.push(WealthWarning {
            span: Span { start, end },
            text: text[start..end].to_owned(),
            currency,
            value,
            cue,
        });
        idx = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_read_with_either_separator() {
        assert_eq!(parse_number("12,500"), Some(d("12500")));
        assert_eq!(parse_number("12,500.75"), Some(d("12500.75")));
        assert_eq!(parse_number("3.000,50"), Some(d("3000.50")));
        assert_eq!(parse_number("1.000.000"), Some(d("1000000")));
        assert_eq!(parse_number("12,5"), Some(d("12.5")));
        assert_eq!(parse_number("1,22,33"), None);
        assert_eq!(parse_number("1.2.3"), None);
    }

    #[test]
    fn tokens_split_signs_words_and_numbers() {
        let kinds: Vec<Kind> = tokens("US$12,500.5k%!").iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Word,
                Kind::Sign('$'),
                Kind::Number,
                Kind::Word,
                Kind::Percent,
                Kind::Other
            ]
        );
    }
}

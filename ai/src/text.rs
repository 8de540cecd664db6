//! Text helpers shared by the keyword index, the deterministic embedder, the
//! router and the evaluation: word splitting, stop words, light stemming,
//! sentence splitting and number extraction.

/// English function words that carry no topic.
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "done",
    "for", "from", "get", "got", "had", "has", "have", "having", "he", "her", "here", "him", "his",
    "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "mean", "means", "more",
    "most", "much", "my", "no", "not", "of", "off", "on", "one", "or", "our", "out", "over", "own",
    "really", "she", "should", "so", "some", "such", "tell", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "to", "too", "under", "up", "us",
    "very", "was", "way", "we", "were", "what", "whats", "when", "where", "which", "while", "who",
    "whom", "why", "will", "with", "would", "you", "your", "yours", "im", "ive", "dont", "doesnt",
    "isnt", "thing", "things", "explain", "please", "know", "want", "need", "does", "work",
    "works",
];

/// Is `w` (lower case) a stop word?
pub fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.contains(&w)
}

/// Lower-case words: letters and digits, with `/`, `&`, `'` and `.` inside a
/// word dropped so that `P/E` is `pe`, `S&P` is `sp` and `don't` is `dont`.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if matches!(c, '/' | '&' | '\'' | '’' | '.')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        {
            // Joined: P/E, S&P, don't, U.S.
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A light stemmer: plurals first, then `-ing`/`-ed`, so that `ratios` and
/// `ratio`, `earnings` and `earning`, `rebalancing` and `rebalance` meet.
pub fn stem(word: &str) -> String {
    if word.chars().count() <= 3 || word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    let mut w = word.to_owned();
    if let Some(base) = w.strip_suffix("ies") {
        w = format!("{base}y");
    } else if ["xes", "ches", "shes", "sses", "zes"]
        .iter()
        .any(|s| w.ends_with(s))
    {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s') && !["ss", "us", "is"].iter().any(|s| w.ends_with(s)) {
        w.pop();
    }
    for suffix in ["ing", "ed"] {
        if let Some(base) = w.strip_suffix(suffix)
            && base.chars().count() >= 4
        {
            let mut b = base.to_owned();
            if ["anc", "enc", "iz", "ur", "at", "us", "iv"]
                .iter()
                .any(|e| b.ends_with(e))
            {
                b.push('e');
            }
            return b;
        }
    }
    w
}

/// Content terms: words minus stop words, stemmed.
pub fn content_terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stop_word(w))
        .map(|w| stem(&w))
        .collect()
}

/// 64-bit FNV-1a, a stable hash for feature hashing.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Splits prose into sentences at `.`, `!` or `?` followed by white space,
/// keeping decimals (`1.5`) and abbreviations such as `e.g.` together.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        if matches!(c, '.' | '!' | '?') {
            let next = chars.get(i + 1);
            let ends = next.is_none_or(|n| n.is_whitespace());
            let abbrev = c == '.' && {
                let tail: String = cur.chars().rev().take(5).collect::<String>();
                let tail: String = tail.chars().rev().collect();
                ["e.g.", "i.e.", "etc.", "vs.", "U.S.", "approx."]
                    .iter()
                    .any(|a| tail.ends_with(a))
            };
            if ends && !abbrev {
                let s = cur.trim();
                if !s.is_empty() {
                    out.push(s.to_owned());
                }
                cur.clear();
            }
        }
    }
    let s = cur.trim();
    if !s.is_empty() {
        out.push(s.to_owned());
    }
    out
}

/// Every number written in `text`, as it would be compared: thousands
/// separators removed, sign and currency symbols dropped, a trailing `%`
/// ignored. `$1,234.50` gives `1234.50`; `-3.2%` gives `3.2`. Numbers that
/// are part of words or tickers (`S&P 500` keeps `500`) are included.
pub fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut s = String::new();
            let mut j = i;
            while j < chars.len() {
                let c = chars[j];
                if c.is_ascii_digit() {
                    s.push(c);
                } else if (c == ',' || c == '.')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)
                {
                    if c == '.' {
                        s.push('.');
                    }
                } else {
                    break;
                }
                j += 1;
            }
            out.push(s);
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// A number string in canonical form for comparison: no leading zeros in the
/// integer part, no trailing zeros after the decimal point.
pub fn canonical_number(s: &str) -> String {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_ratio_symbols_and_contractions() {
        assert_eq!(
            words("What's a P/E ratio? S&P 500!"),
            ["whats", "a", "pe", "ratio", "sp", "500"]
        );
        assert_eq!(
            words("U.S. stocks, e.g. AAPL"),
            ["us", "stocks", "eg", "aapl"]
        );
    }

    #[test]
    fn stems_meet() {
        for (a, b) in [
            ("ratios", "ratio"),
            ("dividends", "dividend"),
            ("rebalancing", "rebalance"),
            ("companies", "company"),
            ("bonds", "bond"),
            ("earnings", "earning"),
            ("earning", "earn"),
            ("taxes", "tax"),
            ("prices", "price"),
            ("rebalanced", "rebalance"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} {b}");
        }
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("2024s"), "2024s");
    }

    #[test]
    fn sentences_keep_decimals_and_abbreviations() {
        let s = sentences("A P/E of 12.5 is low. Compare peers, e.g. banks. Done!");
        assert_eq!(
            s,
            [
                "A P/E of 12.5 is low.",
                "Compare peers, e.g. banks.",
                "Done!"
            ]
        );
    }

    #[test]
    fn numbers_are_extracted_without_separators_or_signs() {
        assert_eq!(
            numbers("$1,234.50 fell -3.2% in 2018."),
            ["1234.50", "3.2", "2018"]
        );
        assert_eq!(canonical_number("1234.50"), "1234.5");
        assert_eq!(canonical_number("007"), "7");
        assert_eq!(canonical_number("0.10"), "0.1");
        assert_eq!(canonical_number("10"), "10");
    }
}

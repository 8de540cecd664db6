//! Validated ticker symbols.

use std::fmt;
use std::str::FromStr;

use crate::error::shown;
use crate::{Error, Result};

/// The longest symbol accepted, in characters.
pub const MAX_SYMBOL_LEN: usize = 32;

/// A ticker symbol as data vendors write it: `AAPL`, `BRK-B`, `BRK.B`, `VOD.L`,
/// `^GSPC`, `BTC-USD`, `EURUSD=X`, `7203.T`, `M&M.NS`.
///
/// Symbols are stored upper-cased. The grammar, enforced by [`Symbol::new`]
/// (and so by parsing, deserialising and every shell):
///
/// - 1 to [`MAX_SYMBOL_LEN`] characters, each an ASCII letter or digit or one
///   of `. - ^ = _ &` (so never whitespace, control characters, `/` or `\`);
/// - the first character is a letter, a digit or `^` (never `.`, `-`, `=`,
///   `_`, `&`: a symbol can neither be a relative path nor start a
///   spreadsheet formula, since `= + - @` are refused there or everywhere);
/// - no `..` anywhere, and no `.` at the end;
/// - at least one letter or digit.
///
/// A symbol is therefore always one safe file-name or URL-path segment.
///
/// ```
/// use auravest_core::Symbol;
/// let s: Symbol = "brk.b".parse()?;
/// assert_eq!(s.as_str(), "BRK.B");
/// assert!("AA PL".parse::<Symbol>().is_err());
/// assert!("../etc".parse::<Symbol>().is_err());
/// assert!("=1+1".parse::<Symbol>().is_err());
/// # Ok::<(), auravest_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

impl Symbol {
    /// Validates and upper-cases `value` against the grammar above.
    ///
    /// # Errors
    /// [`Error::InvalidSymbol`] when `value` is empty, too long, holds
    /// whitespace, control characters or other unsupported characters, starts
    /// with anything but a letter, a digit or `^`, holds `..` or ends with `.`.
    /// The error shows at most the first 40 characters of `value`.
    pub fn new(value: &str) -> Result<Self> {
        let fail = |reason| {
            Err(Error::InvalidSymbol {
                value: shown(value),
                reason,
            })
        };
        if value.is_empty() {
            return fail("must not be empty");
        }
        if value.chars().count() > MAX_SYMBOL_LEN {
            return fail("longer than 32 characters");
        }
        if value.chars().any(char::is_control) {
            return fail("contains a control character");
        }
        if value.chars().any(char::is_whitespace) {
            return fail("contains whitespace");
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '^' | '=' | '_' | '&'))
        {
            return fail("only letters, digits and . - ^ = _ & are allowed");
        }
        if !value.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '^') {
            return fail("must start with a letter, a digit or ^");
        }
        if value.contains("..") {
            return fail("must not contain ..");
        }
        if value.ends_with('.') {
            return fail("must not end with .");
        }
        if !value.chars().any(|c| c.is_ascii_alphanumeric()) {
            return fail("must contain a letter or digit");
        }
        Ok(Self(value.to_ascii_uppercase()))
    }

    /// The symbol text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Symbol {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

/// Maps keyed by symbol can be looked up by text: a symbol orders, compares
/// and hashes exactly as its text.
impl std::borrow::Borrow<str> for Symbol {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Symbol {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Symbol {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl AsRef<str> for Symbol {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Symbol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn maps_keyed_by_symbol_are_read_by_text() {
        let mut weights = std::collections::BTreeMap::new();
        weights.insert(Symbol::new("vti").unwrap(), 0.6);
        weights.insert(Symbol::new("BND").unwrap(), 0.4);
        assert_eq!(weights.get("VTI"), Some(&0.6));
        assert_eq!(
            weights.get("vti"),
            None,
            "the text is the upper-cased symbol"
        );
        assert!(Symbol::new("bnd").unwrap() == "BND");
        assert!(Symbol::new("BND").unwrap() != "VTI");
    }

    #[test]
    fn accepts_vendor_forms() {
        for s in [
            "AAPL", "BRK-B", "BRK.B", "VOD.L", "^GSPC", "BTC-USD", "EURUSD=X", "7203.T", "M&M.NS",
            "^N225", "RDS_A", "0700.HK",
        ] {
            assert_eq!(Symbol::new(s).unwrap().as_str(), s);
        }
        assert_eq!(Symbol::new("vod.l").unwrap().as_str(), "VOD.L");
    }

    #[test]
    fn rejects_bad_text() {
        let long = "A".repeat(33);
        for (s, reason) in [
            ("", "must not be empty"),
            ("AA PL", "contains whitespace"),
            (" AAPL", "contains whitespace"),
            ("AAPL\n", "contains a control character"),
            ("AA\u{7}", "contains a control character"),
            (long.as_str(), "longer than 32 characters"),
            ("AAPL$", "only letters, digits and . - ^ = _ & are allowed"),
            ("ÄPL", "only letters, digits and . - ^ = _ & are allowed"),
            ("--", "must start with a letter, a digit or ^"),
            ("^", "must contain a letter or digit"),
        ] {
            match Symbol::new(s) {
                Err(Error::InvalidSymbol { reason: r, .. }) => assert_eq!(r, reason, "{s:?}"),
                other => panic!("{s:?} gave {other:?}"),
            }
        }
        assert!(Symbol::new(&"A".repeat(32)).is_ok());
    }

    #[test]
    fn rejects_path_and_formula_shapes() {
        for (s, reason) in [
            ("..", "must start with a letter, a digit or ^"),
            (
                "../../tmp/x",
                "only letters, digits and . - ^ = _ & are allowed",
            ),
            ("/TMP/X", "only letters, digits and . - ^ = _ & are allowed"),
            ("A/B", "only letters, digits and . - ^ = _ & are allowed"),
            ("A\\B", "only letters, digits and . - ^ = _ & are allowed"),
            ("BRK..B", "must not contain .."),
            ("A.", "must not end with ."),
            ("VOD.L.", "must not end with ."),
            (".A", "must start with a letter, a digit or ^"),
            ("=1+2", "only letters, digits and . - ^ = _ & are allowed"),
            ("=HYPERLINK", "must start with a letter, a digit or ^"),
            ("-A", "must start with a letter, a digit or ^"),
            ("+A", "only letters, digits and . - ^ = _ & are allowed"),
            ("@A", "only letters, digits and . - ^ = _ & are allowed"),
            ("_A", "must start with a letter, a digit or ^"),
            ("&A", "must start with a letter, a digit or ^"),
        ] {
            match Symbol::new(s) {
                Err(Error::InvalidSymbol { reason: r, .. }) => assert_eq!(r, reason, "{s:?}"),
                other => panic!("{s:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn the_refused_text_is_shown_shortened() {
        let huge = "/".repeat(100_000);
        let err = Symbol::new(&huge).unwrap_err();
        assert!(err.to_string().len() < 200, "{}", err.to_string().len());
    }

    /// What no valid symbol may hold: path separators, a parent-directory
    /// step, or a first character a spreadsheet reads as a formula.
    fn assert_safe(s: &Symbol) {
        let t = s.as_str();
        assert!(
            !t.contains('/') && !t.contains('\\') && !t.contains(".."),
            "{t}"
        );
        assert!(!t.starts_with(['=', '+', '-', '@', '.']), "{t}");
        assert!(!t.ends_with('.'), "{t}");
        assert!(t.len() <= MAX_SYMBOL_LEN, "{t}");
    }

    #[test]
    fn no_short_symbol_is_a_path_or_a_formula() {
        // Every string of up to three characters over the dangerous alphabet.
        let alphabet = [
            'A', '1', '.', '-', '^', '=', '_', '&', '/', '\\', '+', '@', ' ', '\t',
        ];
        let mut checked = 0;
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for s in [a.to_string(), format!("{a}{b}"), format!("{a}{b}{c}")] {
                        if let Ok(sym) = Symbol::new(&s) {
                            assert_safe(&sym);
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    proptest! {
        #[test]
        fn no_symbol_is_a_path_or_a_formula(text in "[A-Za-z0-9./\\\\^=_&@+ -]{0,40}") {
            if let Ok(sym) = Symbol::new(&text) {
                assert_safe(&sym);
            }
        }
    }

    #[test]
    fn serde_validates() {
        let s: Symbol = serde_json::from_str("\"brk-b\"").unwrap();
        assert_eq!(s.as_str(), "BRK-B");
        assert!(serde_json::from_str::<Symbol>("\"a b\"").is_err());
        assert!(serde_json::from_str::<Symbol>("\"../etc\"").is_err());
    }
}

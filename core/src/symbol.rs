//! Validated ticker symbols.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The longest symbol accepted, in characters.
pub const MAX_SYMBOL_LEN: usize = 32;

/// A ticker symbol as data vendors write it: `AAPL`, `BRK-B`, `BRK.B`, `VOD.L`,
/// `^GSPC`, `BTC-USD`, `EURUSD=X`.
///
/// Symbols are stored upper-cased. They hold ASCII letters, digits and the
/// punctuation vendors use (`. - ^ = _ / &`), are at most
/// [`MAX_SYMBOL_LEN`] characters long, and never contain whitespace or
/// control characters.
///
/// ```
/// use auravest_core::Symbol;
/// let s: Symbol = "brk.b".parse()?;
/// assert_eq!(s.as_str(), "BRK.B");
/// assert!("AA PL".parse::<Symbol>().is_err());
/// # Ok::<(), auravest_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

impl Symbol {
    /// Validates and upper-cases `value`.
    ///
    /// # Errors
    /// [`Error::InvalidSymbol`] when `value` is empty, too long, or holds
    /// whitespace, control characters or other unsupported characters.
    pub fn new(value: &str) -> Result<Self> {
        let fail = |reason| {
            Err(Error::InvalidSymbol {
                value: value.to_owned(),
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
        if !value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '^' | '=' | '_' | '/' | '&')
        }) {
            return fail("only letters, digits and . - ^ = _ / & are allowed");
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

    #[test]
    fn accepts_vendor_forms() {
        for s in [
            "AAPL", "BRK-B", "BRK.B", "VOD.L", "^GSPC", "BTC-USD", "EURUSD=X", "7203.T",
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
            (
                "AAPL$",
                "only letters, digits and . - ^ = _ / & are allowed",
            ),
            ("ÄPL", "only letters, digits and . - ^ = _ / & are allowed"),
            ("--", "must contain a letter or digit"),
        ] {
            match Symbol::new(s) {
                Err(Error::InvalidSymbol { reason: r, .. }) => assert_eq!(r, reason, "{s:?}"),
                other => panic!("{s:?} gave {other:?}"),
            }
        }
        assert!(Symbol::new(&"A".repeat(32)).is_ok());
    }

    #[test]
    fn serde_validates() {
        let s: Symbol = serde_json::from_str("\"brk-b\"").unwrap();
        assert_eq!(s.as_str(), "BRK-B");
        assert!(serde_json::from_str::<Symbol>("\"a b\"").is_err());
    }
}

//! Pseudonymous aliases: the random default and the rules for changing it.

use std::fmt;

use chrono::TimeDelta;

use crate::{Error, Result};

/// The shortest alias, in characters.
pub const MIN_ALIAS_LEN: usize = 3;
/// The longest alias, in characters.
pub const MAX_ALIAS_LEN: usize = 20;
/// An alias holding this many digits or more could be a phone number.
pub const PHONE_DIGITS: usize = 7;

/// The prefix of every default alias (`Investor4821`).
pub const DEFAULT_ALIAS_PREFIX: &str = "Investor";

/// A validated alias: 3–20 ASCII letters, digits or underscores, starting
/// with a letter, holding no e-mail address, phone number or link.
///
/// Aliases are unique without regard to case; they are shown as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Alias(String);

impl Alias {
    /// The alias text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The alias in lower case, the form uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Alias {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Alias {
    /// Reading an alias back applies the structural rules (length, characters,
    /// no e-mail, phone number or link) but not a word list.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        structural_check(&text)
            .map(|()| Self(text))
            .map_err(serde::de::Error::custom)
    }
}

/// Why an alias was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AliasProblem {
    /// Fewer than [`MIN_ALIAS_LEN`] characters.
    #[error("at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More than [`MAX_ALIAS_LEN`] characters.
    #[error("at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// The first character is not a letter.
    #[error("must start with a letter")]
    MustStartWithLetter,
    /// A character other than an ASCII letter, digit or underscore.
    #[error("only letters, digits and _ are allowed, found {found:?}")]
    BadCharacter {
        /// The first such character.
        found: char,
    },
    /// Looks like an e-mail address (an `@`, or a mail provider's name, or `_at_` with `_dot_`).
    #[error("must not contain an e-mail address")]
    LooksLikeEmail,
    /// Holds [`PHONE_DIGITS`] or more digits.
    #[error("must not contain a phone number")]
    LooksLikePhoneNumber,
    /// Looks like a web address.
    #[error("must not contain a link")]
    LooksLikeLink,
    /// Contains a word from the policy's blocked list (letters and look-alike digits compared).
    #[error("contains a blocked word ({word})")]
    BlockedWord {
        /// The blocked word.
        word: String,
    },
    /// Is a reserved name (`anonymous`, `system`, ...).
    #[error("is reserved")]
    Reserved,
}

/// The words every alias check refuses, on top of the structural rules.
///
/// `blocked_words` are refused anywhere in an alias, after lower-casing,
/// removing underscores and reading look-alike digits as letters
/// (`4dm1n` reads as `admin`); `reserved` names are refused only as the
/// whole alias. Both lists are data: a deployment replaces or extends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasPolicy {
    /// Refused anywhere in an alias, lower case.
    pub blocked_words: Vec<String>,
    /// Refused as the whole alias, lower case.
    pub reserved: Vec<String>,
    /// The shortest time between two alias changes.
    pub change_cooldown: TimeDelta,
}

impl Default for AliasPolicy {
    fn default() -> Self {
        let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect();
        Self {
            blocked_words: words(&[
                "auravest",
                "admin",
                "moderator",
                "official",
                "staff",
                "support",
                "helpdesk",
                "idiot",
                "moron",
                "loser",
                "scammer",
                "insider",
                "guaranteed",
                "pumpanddump",
            ]),
            reserved: words(&[
                "anon",
                "anonymous",
                "deleted",
                "everyone",
                "here",
                "mod",
                "mods",
                "nobody",
                "root",
                "system",
                "someone",
                "you",
            ]),
            change_cooldown: TimeDelta::days(30),
        }
    }
}

/// Mail providers whose names alone mark an alias as an address.
const MAIL_PROVIDERS: &[&str] = &[
    "gmail",
    "googlemail",
    "yahoo",
    "hotmail",
    "outlook",
    "icloud",
    "protonmail",
    "proton_me",
    "gmx",
    "aol",
    "yandex",
    "mailcom",
];

/// Endings of web addresses written without the dot.
const LINK_ENDINGS: &[&str] = &[
    "_com", "_net", "_org", "_io", "dotcom", "dot_com", "dotnet", "dotorg",
];

/// The rules every alias follows, word lists aside; used when reading an alias back.
fn structural_check(candidate: &str) -> Result<(), AliasProblem> {
    let lower = candidate.to_lowercase();
    if candidate.contains('@')
        || MAIL_PROVIDERS.iter().any(|p| lower.contains(p))
        || (lower.contains("_at_") && lower.contains("dot"))
    {
        return Err(AliasProblem::LooksLikeEmail);
    }
    if lower.contains("://")
        || lower.contains("http")
        || lower.starts_with("www")
        || LINK_ENDINGS.iter().any(|e| lower.ends_with(e))
        || has_dotted_domain(&lower)
    {
        return Err(AliasProblem::LooksLikeLink);
    }
    if candidate.chars().filter(char::is_ascii_digit).count() >= PHONE_DIGITS
        || candidate.chars().filter(|c| c.is_numeric()).count() >= PHONE_DIGITS
    {
        return Err(AliasProblem::LooksLikePhoneNumber);
    }
    let len = candidate.chars().count();
    if len < MIN_ALIAS_LEN {
        return Err(AliasProblem::TooShort { min: MIN_ALIAS_LEN });
    }
    if len > MAX_ALIAS_LEN {
        return Err(AliasProblem::TooLong { max: MAX_ALIAS_LEN });
    }
    if !candidate
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        return Err(AliasProblem::MustStartWithLetter);
    }
    if let Some(found) = candidate
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(AliasProblem::BadCharacter { found });
    }
    Ok(())
}

/// Top-level domains that mark `name.tld` as a web address.
const TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "me", "app", "xyz", "ly", "gg", "info", "biz", "uk", "de",
    "fr", "ru", "tv", "ai", "eu", "us", "ca", "au", "in", "dev",
];

/// `name.tld` with a known top-level domain: a domain written out.
fn has_dotted_domain(lower: &str) -> bool {
    lower.split('.').skip(1).any(|part| {
        let letters: String = part.chars().take_while(char::is_ascii_alphabetic).collect();
        TLDS.contains(&letters.as_str())
    })
}

/// Lower case, no underscores, look-alike digits read as letters.
fn normalise_for_words(alias: &str) -> String {
    alias
        .chars()
        .filter(|c| *c != '_')
        .map(|c| match c.to_ascii_lowercase() {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '8' => 'b',
            '$' => 's',
            other => other,
        })
        .collect()
}

impl AliasPolicy {
    /// Checks a proposed alias against the structural rules and this policy's words.
    ///
    /// # Errors
    /// [`Error::InvalidAlias`] naming the first rule broken, checked in this
    /// order: e-mail, link, phone number, length, first character, characters,
    /// reserved name, blocked word.
    ///
    /// ```
    /// use auravest_social::{AliasPolicy, AliasProblem, Error};
    /// let policy = AliasPolicy::default();
    /// assert_eq!(policy.check("Dividend_Dan")?.as_str(), "Dividend_Dan");
    /// assert!(matches!(
    ///     policy.check("ann@example.com"),
    ///     Err(Error::InvalidAlias { reason: AliasProblem::LooksLikeEmail })
    /// ));
    /// assert!(matches!(
    ///     policy.check("Call5551234567"),
    ///     Err(Error::InvalidAlias { reason: AliasProblem::LooksLikePhoneNumber })
    /// ));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn check(&self, candidate: &str) -> Result<Alias> {
        let fail = |reason| Err(Error::InvalidAlias { reason });
        if let Err(reason) = structural_check(candidate) {
            return fail(reason);
        }
        let plain = candidate.to_ascii_lowercase();
        let normalised = normalise_for_words(candidate);
        if self
            .reserved
            .iter()
            .any(|r| plain == r.to_ascii_lowercase() || normalised == normalise_for_words(r))
        {
            return fail(AliasProblem::Reserved);
        }
        if let Some(word) = self.blocked_words.iter().find(|w| {
            let w = normalise_for_words(w);
            !w.is_empty() && (normalised.contains(&w) || plain.replace('_', "").contains(&w))
        }) {
            return fail(AliasProblem::BlockedWord { word: word.clone() });
        }
        Ok(Alias(candidate.to_owned()))
    }

    /// A random default alias: [`DEFAULT_ALIAS_PREFIX`] and digits, with
    /// random capital letters between them from `letters` > 0 on
    /// (`Investor4821`, `Investor73310`, `InvestorQK482113`).
    ///
    /// `digits` is clamped to 4..=6 and `letters` to 0..=4, so a default alias
    /// never holds [`PHONE_DIGITS`] digits and never exceeds [`MAX_ALIAS_LEN`].
    ///
    /// # Errors
    /// [`Error::InvalidAlias`] when the generated text breaks this policy's
    /// word lists; callers draw again.
    pub fn random_default(
        &self,
        rng: &mut impl FnMut() -> u64,
        digits: u32,
        letters: u32,
    ) -> Result<Alias> {
        let digits = digits.clamp(4, 6);
        let low = 10u64.pow(digits - 1);
        let number = low + rng() % (low * 9);
        let mut text = DEFAULT_ALIAS_PREFIX.to_owned();
        for _ in 0..letters.min(4) {
            let letter = b'A' + u8::try_from(rng() % 26).unwrap_or(0);
            text.push(char::from(letter));
        }
        text.push_str(&number.to_string());
        self.check(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_reads_look_alikes() {
        assert_eq!(normalise_for_words("4dm1n_X"), "adminx");
        assert_eq!(normalise_for_words("M0d3r4t0r"), "moderator");
    }

    #[test]
    fn defaults_have_the_documented_shape() {
        let policy = AliasPolicy::default();
        let mut rng = crate::seeded_rng(5);
        for (digits, letters) in [(4, 0), (5, 0), (6, 0), (6, 4), (9, 9), (1, 0)] {
            let alias = policy.random_default(&mut rng, digits, letters).unwrap();
            let tail = &alias.as_str()[DEFAULT_ALIAS_PREFIX.len()..];
            let n_digits = tail.chars().filter(char::is_ascii_digit).count();
            assert_eq!(n_digits, digits.clamp(4, 6) as usize, "{alias}");
            assert_eq!(tail.len() - n_digits, letters.min(4) as usize, "{alias}");
            assert!(!tail.starts_with('0'));
        }
    }
}

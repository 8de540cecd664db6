//! Pseudonymous aliases: the random default and the rules for changing it.

use std::fmt;

use chrono::TimeDelta;

use crate::{Error, Result};

/// The shortest alias, in characters.
pub const MIN_ALIAS_LEN: usize = 3;
/// The longest alias, in characters.
pub const MAX_ALIAS_LEN: usize = 20;
/// The longest account alias (the name an account signs in and is shown
/// under in the reference server), in characters.
pub const MAX_ACCOUNT_ALIAS_LEN: usize = 30;
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
    /// A character other than an ASCII letter, digit or underscore (or, in
    /// an account alias, `-`).
    #[error("{found:?} is not allowed: use letters, digits and _")]
    BadCharacter {
        /// The first such character.
        found: char,
    },
    /// An upper-case letter in an account alias, which is all lower case.
    #[error("must be lower case")]
    NotLowerCase,
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
    /// Is a reserved name (`anonymous`, `system`, ...), or holds a staff
    /// word (`mod`) as one of its words.
    #[error("is reserved")]
    Reserved,
    /// Looks like a generated default alias (`Investor4821`,
    /// `investor-ab12cd`): those are handed out, never chosen.
    #[error("must not look like a default alias")]
    LooksLikeDefault,
}

/// The words every alias check refuses, on top of the structural rules.
///
/// Words are compared on a *skeleton* of the alias that reads every
/// ambiguous glyph both ways at once: lower case, without `_` and `-`,
/// look-alike digits and signs read as letters (`0`→o, `3`→e, `4`→a,
/// `5`→s, `7`→t, `8`→b, `9`→g), the letters `i`, `l` and the digit `1`
/// taken as one letter (so `He1pdesk`, `AdmlN` and `Officia1` read as
/// `helpdesk`, `admin` and `official`), and `rn` read as `m`, `vv` as `w`
/// (`Adrnin` reads as `admin`). Blocked words go through the same skeleton.
///
/// `blocked_words` are refused anywhere in an alias; `reserved` names are
/// refused as the whole alias; `staff_words` are refused as any one word of
/// it (words split at `_`, `-` and lower-to-upper case changes, trailing
/// digits ignored: `Mod_Team`, `TheMods`, `M0d2`). An alias a member chooses
/// ([`AliasPolicy::check_choice`], [`AliasPolicy::check_account_alias`]) must
/// also not be shaped like a generated default (`Investor` then a separator
/// or a tail holding a digit: `Investor4821`, `Investor_Jane`,
/// `investor-ab12cd`). The lists are data: a deployment replaces or extends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasPolicy {
    /// Refused anywhere in an alias, lower case.
    pub blocked_words: Vec<String>,
    /// Refused as the whole alias, lower case.
    pub reserved: Vec<String>,
    /// Refused as any one word of an alias, lower case.
    pub staff_words: Vec<String>,
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
            staff_words: words(&["mod", "mods", "sysop"]),
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

/// The shape of an alias: the community's, or the reference server's account name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// 3–20 ASCII letters, digits or `_`, starting with a letter.
    Community,
    /// 3–30 lower-case ASCII letters, digits, `_` or `-`, starting with a letter.
    Account,
}

/// The rules every alias follows, word lists aside; used when reading an alias back.
fn structural_check(candidate: &str) -> Result<(), AliasProblem> {
    shape_check(candidate, Shape::Community)
}

fn shape_check(candidate: &str, shape: Shape) -> Result<(), AliasProblem> {
    // An account alias's `-` is a separator like `_` for the content rules.
    let lower = candidate.to_lowercase().replace('-', "_");
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
    let max = match shape {
        Shape::Community => MAX_ALIAS_LEN,
        Shape::Account => MAX_ACCOUNT_ALIAS_LEN,
    };
    let len = candidate.chars().count();
    if len < MIN_ALIAS_LEN {
        return Err(AliasProblem::TooShort { min: MIN_ALIAS_LEN });
    }
    if len > max {
        return Err(AliasProblem::TooLong { max });
    }
    if !candidate
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        return Err(AliasProblem::MustStartWithLetter);
    }
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || c == '_' || (shape == Shape::Account && c == '-');
    if let Some(found) = candidate.chars().find(|c| !allowed(*c)) {
        return Err(AliasProblem::BadCharacter { found });
    }
    if shape == Shape::Account && candidate.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(AliasProblem::NotLowerCase);
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

/// One character of the skeleton: lower case, look-alike digits and signs
/// read as letters, and `i`, `l`, `1` (and `|`, `!`) as one letter, `i`.
fn skeleton_char(c: char) -> char {
    match c.to_ascii_lowercase() {
        '0' => 'o',
        '1' | 'l' | '|' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        other => other,
    }
}

/// The skeleton words are compared on: lower case, no `_` or `-`, every
/// ambiguous glyph read one way for both sides (see [`AliasPolicy`]).
fn skeleton(text: &str) -> String {
    let mapped: String = text
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(skeleton_char)
        .collect();
    mapped.replace("rn", "m").replace("vv", "w")
}

/// Lower case, without `_` and `-`: the alias as written, for exact matches.
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The words of an alias: split at `_` and `-` and where a lower-case letter
/// (or digit) is followed by an upper-case one (`TheMods` → `The`, `Mods`).
fn words_of(alias: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev: Option<char> = None;
    for c in alias.chars() {
        if matches!(c, '_' | '-') {
            words.push(std::mem::take(&mut word));
            prev = None;
            continue;
        }
        if c.is_ascii_uppercase()
            && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
        prev = Some(c);
    }
    words.push(word);
    words.retain(|w| !w.is_empty());
    words
}

/// Shaped like a generated default: `investor` (read through the skeleton)
/// followed by a separator, or by a tail of letters and digits holding a digit.
fn looks_like_default(alias: &str) -> bool {
    let prefix = DEFAULT_ALIAS_PREFIX.to_ascii_lowercase();
    let mut chars = alias
        .char_indices()
        .filter(|(_, c)| !matches!(c, '_' | '-'));
    let mut end = 0;
    for want in prefix.chars() {
        match chars.next() {
            Some((i, c)) if skeleton_char(c) == skeleton_char(want) => end = i + c.len_utf8(),
            _ => return false,
        }
    }
    let rest = &alias[end..];
    let tail = plain(rest);
    !tail.is_empty() && (rest.starts_with(['_', '-']) || tail.chars().any(|c| c.is_ascii_digit()))
}

impl AliasPolicy {
    /// Checks an alias against the structural rules and this policy's words.
    /// It does not refuse default-shaped aliases, so aliases the system
    /// generates (here or in a host application) pass; use
    /// [`AliasPolicy::check_choice`] for an alias a member picks.
    ///
    /// # Errors
    /// [`Error::InvalidAlias`] naming the first rule broken, checked in this
    /// order: e-mail, link, phone number, length, first character, characters,
    /// reserved name, staff word, blocked word.
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
        shape_check(candidate, Shape::Community).map_err(invalid)?;
        self.check_words(candidate, false)?;
        Ok(Alias(candidate.to_owned()))
    }

    /// Checks an alias a member chooses ([`Community::change_alias`](crate::Community::change_alias)):
    /// as [`AliasPolicy::check`], and it must not look like a generated
    /// default (`Investor4821`, `Investor_Jane`), which only the system hands out.
    ///
    /// # Errors
    /// [`Error::InvalidAlias`] naming the first rule broken, in the order of
    /// [`AliasPolicy::check`] with [`AliasProblem::LooksLikeDefault`] before
    /// the blocked words.
    ///
    /// ```
    /// use auravest_social::{AliasPolicy, AliasProblem, Error};
    /// let policy = AliasPolicy::default();
    /// assert!(policy.check("Investor4821").is_ok()); // a default, as handed out
    /// assert!(matches!(
    ///     policy.check_choice("Investor4821"),
    ///     Err(Error::InvalidAlias { reason: AliasProblem::LooksLikeDefault })
    /// ));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn check_choice(&self, candidate: &str) -> Result<Alias> {
        shape_check(candidate, Shape::Community).map_err(invalid)?;
        self.check_words(candidate, true)?;
        Ok(Alias(candidate.to_owned()))
    }

    /// Checks an account alias a user chooses (the name the reference server
    /// shows for an account: 3 to [`MAX_ACCOUNT_ALIAS_LEN`] lower-case ASCII
    /// letters, digits, `_` or `-`, starting with a letter) with the same
    /// rules as [`AliasPolicy::check_choice`]: no e-mail, link or phone
    /// number, no reserved name or staff word, no blocked word read through
    /// look-alikes, no default-looking alias (`investor-ab12cd`).
    ///
    /// # Errors
    /// [`Error::InvalidAlias`] naming the first rule broken, in the order of
    /// [`AliasPolicy::check_choice`], with [`AliasProblem::NotLowerCase`] after
    /// the characters.
    ///
    /// ```
    /// use auravest_social::{AliasPolicy, AliasProblem, Error};
    /// let policy = AliasPolicy::default();
    /// policy.check_account_alias("dividend-dan")?;
    /// assert!(matches!(
    ///     policy.check_account_alias("he1p-desk"),
    ///     Err(Error::InvalidAlias { reason: AliasProblem::BlockedWord { .. } })
    /// ));
    /// assert!(matches!(
    ///     policy.check_account_alias("investor-ab12cd"),
    ///     Err(Error::InvalidAlias { reason: AliasProblem::LooksLikeDefault })
    /// ));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn check_account_alias(&self, candidate: &str) -> Result<()> {
        shape_check(candidate, Shape::Account).map_err(invalid)?;
        self.check_words(candidate, true)
    }

    /// The word-list rules, and (with `defaults_too`) the default-look-alike rule.
    fn check_words(&self, candidate: &str, defaults_too: bool) -> Result<()> {
        let whole = plain(candidate);
        let shape = skeleton(candidate);
        if self
            .reserved
            .iter()
            .any(|r| whole == plain(r) || shape == skeleton(r))
        {
            return Err(invalid(AliasProblem::Reserved));
        }
        let staff: Vec<String> = self.staff_words.iter().map(|w| skeleton(w)).collect();
        let staff_word = words_of(candidate).iter().any(|w| {
            let bare = w.trim_end_matches(|c: char| c.is_ascii_digit());
            [w.as_str(), bare]
                .iter()
                .any(|v| !v.is_empty() && staff.contains(&skeleton(v)))
        });
        if staff_word {
            return Err(invalid(AliasProblem::Reserved));
        }
        if defaults_too && looks_like_default(candidate) {
            return Err(invalid(AliasProblem::LooksLikeDefault));
        }
        if let Some(word) = self.blocked_words.iter().find(|w| {
            let (w_shape, w_plain) = (skeleton(w), plain(w));
            (!w_shape.is_empty() && shape.contains(&w_shape))
                || (!w_plain.is_empty() && whole.contains(&w_plain))
        }) {
            return Err(invalid(AliasProblem::BlockedWord { word: word.clone() }));
        }
        Ok(())
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

fn invalid(reason: AliasProblem) -> Error {
    Error::InvalidAlias { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skeleton_reads_look_alikes_both_ways() {
        assert_eq!(skeleton("4dm1n_X"), "adminx");
        assert_eq!(skeleton("M0d3r4t0r"), "moderator");
        // i, l and 1 are one letter; rn reads as m.
        assert_eq!(skeleton("He1pdesk"), skeleton("helpdesk"));
        assert_eq!(skeleton("Officia1"), skeleton("official"));
        assert_eq!(skeleton("AdmlN"), skeleton("admin"));
        assert_eq!(skeleton("Adrnin"), skeleton("admin"));
        assert_eq!(skeleton("vvhale"), skeleton("whale"));
    }

    #[test]
    fn words_split_at_separators_and_case_changes() {
        assert_eq!(words_of("Mod_Team"), ["Mod", "Team"]);
        assert_eq!(words_of("TheMods"), ["The", "Mods"]);
        assert_eq!(words_of("the-mod-2"), ["the", "mod", "2"]);
        assert_eq!(words_of("ABCdef"), ["ABCdef"]);
        assert_eq!(words_of("x2Mod"), ["x2", "Mod"]);
    }

    #[test]
    fn default_shapes() {
        for yes in [
            "Investor4821",
            "InvestorQK482113",
            "investor-ab12cd",
            "investor-abcdef",
            "Investor_Jane",
            "1nvest0r_7",
            "lnvestor9",
        ] {
            assert!(looks_like_default(yes), "{yes}");
        }
        for no in [
            "Investor",
            "Investors",
            "InvestorJane",
            "Investors_Club",
            "value_investor_2024",
            "Inv",
        ] {
            assert!(!looks_like_default(no), "{no}");
        }
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

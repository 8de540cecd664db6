//! Roles and permissions, flags, moderator actions, the audit log and the spam rules.

use std::fmt;

use auravest_core::Symbol;
use chrono::{DateTime, Utc};

use crate::ids::{AuditId, PostId, UserId};

/// A member's role. Roles are ordered: `User < Moderator < Admin`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A member.
    #[default]
    User,
    /// A moderator: reviews flags, acts on posts and members.
    Moderator,
    /// An administrator: everything a moderator does, plus roles and the audit log.
    Admin,
}

impl Role {
    /// Every role, from least to most privileged.
    pub const ALL: [Self; 3] = [Self::User, Self::Moderator, Self::Admin];

    /// The role's name as stored and sent (`user`, `moderator`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = crate::Error;

    /// Parses a role's name (exactly as [`Role::as_str`] writes it).
    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::Error::InvalidInput {
                field: "role",
                reason: format!(
                    "{:?} is not one of user, moderator, admin",
                    s.chars().take(32).collect::<String>()
                ),
            })
    }
}

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Permission {
    /// Write posts and comments.
    Post,
    /// Like posts.
    Like,
    /// Follow members.
    Follow,
    /// Flag posts.
    Flag,
    /// See the review queue of flagged posts.
    ReviewFlags,
    /// Remove a post.
    RemovePost,
    /// Restore a hidden or removed post.
    RestorePost,
    /// Warn a member.
    WarnUser,
    /// Suspend a member for a time.
    SuspendUser,
    /// Ban a member.
    BanUser,
    /// Lift a suspension or ban.
    ReinstateUser,
    /// See who wrote an anonymous post (always audited).
    RevealAuthor,
    /// Read the audit log.
    ReadAuditLog,
    /// Change a member's role.
    AssignRole,
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Post => "post",
            Self::Like => "like posts",
            Self::Follow => "follow members",
            Self::Flag => "flag posts",
            Self::ReviewFlags => "review flagged posts",
            Self::RemovePost => "remove posts",
            Self::RestorePost => "restore posts",
            Self::WarnUser => "warn this member",
            Self::SuspendUser => "suspend this member",
            Self::BanUser => "ban this member",
            Self::ReinstateUser => "reinstate this member",
            Self::RevealAuthor => "see the author of an anonymous post",
            Self::ReadAuditLog => "read the audit log",
            Self::AssignRole => "assign roles",
        })
    }
}

impl Role {
    /// Whether this role has the permission.
    ///
    /// | permission | user | moderator | admin |
    /// |---|---|---|---|
    /// | post, like, follow, flag | yes | yes | yes |
    /// | review flags, remove, restore, warn, suspend, ban, reinstate, reveal author | no | yes | yes |
    /// | read the audit log, assign roles | no | no | yes |
    ///
    /// Actions on a member also need the target's role to be below the actor's:
    /// a moderator acts on users, an admin on users and moderators.
    pub fn can(self, permission: Permission) -> bool {
        use Permission as P;
        match permission {
            P::Post | P::Like | P::Follow | P::Flag => true,
            P::ReviewFlags
            | P::RemovePost
            | P::RestorePost
            | P::WarnUser
            | P::SuspendUser
            | P::BanUser
            | P::ReinstateUser
            | P::RevealAuthor => self >= Role::Moderator,
            P::ReadAuditLog | P::AssignRole => self == Role::Admin,
        }
    }
}

/// Why a member flagged a post.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FlagReason {
    /// Spam or self-promotion.
    Spam,
    /// Insults, threats or harassment.
    Harassment,
    /// Someone's personal information.
    PersonalInformation,
    /// Pump-and-dump or other manipulation.
    Manipulation,
    /// Claims that are false or misleading.
    Misinformation,
    /// Off topic, or tickers tagged that the post is not about.
    OffTopic,
    /// Anything else, described in a note.
    Other {
        /// What is wrong (1–500 characters).
        note: String,
    },
}

/// A flag on a post; one open flag per member and post.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flag {
    /// The post flagged.
    pub post: PostId,
    /// Who flagged it. Never shown to other members.
    pub reporter: UserId,
    /// Why.
    pub reason: FlagReason,
    /// When.
    pub at: DateTime<Utc>,
    /// The store's event sequence number when the flag was made.
    pub seq: u64,
    /// The event sequence number of the review that closed the flag.
    pub reviewed_seq: Option<u64>,
}

/// A flag to store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewFlag {
    /// The post flagged.
    pub post: PostId,
    /// Who flagged it.
    pub reporter: UserId,
    /// Why.
    pub reason: FlagReason,
    /// When.
    pub at: DateTime<Utc>,
}

/// A moderator action. Each carries a reason, given to [`crate::Community::moderate`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ModAction {
    /// Take a post down.
    RemovePost {
        /// The post.
        post: PostId,
    },
    /// Put a hidden or removed post back, closing its open flags.
    RestorePost {
        /// The post.
        post: PostId,
    },
    /// Warn a member.
    Warn {
        /// The member.
        user: UserId,
    },
    /// Suspend a member until a time.
    Suspend {
        /// The member.
        user: UserId,
        /// When the suspension ends.
        until: DateTime<Utc>,
    },
    /// Ban a member.
    Ban {
        /// The member.
        user: UserId,
    },
    /// Lift a suspension or ban.
    Reinstate {
        /// The member.
        user: UserId,
    },
}

impl ModAction {
    /// The permission the action needs.
    pub fn permission(&self) -> Permission {
        match self {
            Self::RemovePost { .. } => Permission::RemovePost,
            Self::RestorePost { .. } => Permission::RestorePost,
            Self::Warn { .. } => Permission::WarnUser,
            Self::Suspend { .. } => Permission::SuspendUser,
            Self::Ban { .. } => Permission::BanUser,
            Self::Reinstate { .. } => Permission::ReinstateUser,
        }
    }

    /// The action's name as the community's log serializes it
    /// (`remove_post`, `restore_post`, `warn`, `suspend`, `ban`,
    /// `reinstate`): the one vocabulary other logs (the reference server's
    /// audit log) use for moderation.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RemovePost { .. } => "remove_post",
            Self::RestorePost { .. } => "restore_post",
            Self::Warn { .. } => "warn",
            Self::Suspend { .. } => "suspend",
            Self::Ban { .. } => "ban",
            Self::Reinstate { .. } => "reinstate",
        }
    }

    /// The member the action is about, for actions on members.
    pub fn target_user(&self) -> Option<UserId> {
        match self {
            Self::Warn { user }
            | Self::Suspend { user, .. }
            | Self::Ban { user }
            | Self::Reinstate { user } => Some(*user),
            Self::RemovePost { .. } | Self::RestorePost { .. } => None,
        }
    }
}

/// What an audit event records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditAction {
    /// A moderator action was taken.
    Moderation {
        /// The action.
        action: ModAction,
    },
    /// A moderator saw who wrote a post (anonymous or not).
    RevealAuthor {
        /// The post.
        post: PostId,
    },
    /// An admin changed a member's role.
    AssignRole {
        /// The member.
        user: UserId,
        /// The new role.
        role: Role,
    },
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    /// The entry's id; ids rise with time.
    pub id: AuditId,
    /// When.
    pub at: DateTime<Utc>,
    /// Who acted.
    pub actor: UserId,
    /// What was done.
    pub action: AuditAction,
    /// The reason given.
    pub reason: String,
}

/// An audit entry to store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewAuditEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who acted.
    pub actor: UserId,
    /// What was done.
    pub action: AuditAction,
    /// The reason given.
    pub reason: String,
}

/// A spam rule that refused a post.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SpamRule {
    /// The same text (ignoring case, punctuation and spacing) as one of the
    /// author's posts within the repeat window.
    RepeatedText {
        /// The earlier post.
        previous: PostId,
    },
    /// More distinct cashtags than allowed.
    CashtagStuffing {
        /// Distinct cashtags in the post.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A claimed gain on a ticker the author never posted about before.
    UnsharedGain {
        /// The ticker.
        symbol: Symbol,
    },
}

impl SpamRule {
    /// The id of the community guideline the rule enforces.
    pub fn guideline(&self) -> &'static str {
        match self {
            Self::RepeatedText { .. } | Self::CashtagStuffing { .. } => "no-spam",
            Self::UnsharedGain { .. } => "share-before-you-brag",
        }
    }
}

impl fmt::Display for SpamRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RepeatedText { previous } => write!(f, "repeats your post {previous}"),
            Self::CashtagStuffing { count, max } => {
                write!(f, "{count} cashtags; at most {max} per post")
            }
            Self::UnsharedGain { symbol } => write!(
                f,
                "claims a gain on ${symbol}, a trade you did not share before; post your idea before the result"
            ),
        }
    }
}

/// The text as the repeated-text rule compares it: lower case, letters, digits
/// and `$` kept, everything else a single space.
pub(crate) fn repeat_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '$' {
            if space && !out.is_empty() {
                out.push(' ');
            }
            out.push(c);
            space = false;
        } else {
            space = true;
        }
    }
    out
}

/// First-person words.
const PERSONAL: &[&str] = &[
    "i", "i'm", "im", "i've", "ive", "my", "me", "we", "we're", "our", "mine",
];
/// Verbs that claim a gain for the speaker.
const GAIN_VERBS: &[&str] = &[
    "made", "banked", "bagged", "cashed", "printed", "pocketed", "netted", "locked",
];
/// Words before a percentage that make it a gain.
const GAIN_BEFORE: &[&str] = &[
    "made", "gained", "banked", "bagged", "returned", "netted", "pocketed", "profit", "profited",
    "locked", "cashed", "green",
];
/// Words after a percentage that make it a gain.
const GAIN_AFTER: &[&str] = &["gain", "gains", "profit", "profits"];
/// Words after a multiple that make it a product feature rather than a gain.
const NOT_GAIN_AFTER_MULTIPLE: &[&str] = &["leverage", "leveraged", "margin", "etf", "etfs"];

fn is_number(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        && s.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// Whether a text, read in the obvious way, claims a personal gain: a gain
/// figure (`+40%`; a percentage next to a gain word such as `up 40%`,
/// `made 300%`, `40% gain`, or `up 40%` with a first-person word just before
/// `up`; a multiple such as `5x` or `3-bagger`; `tendies`) together with a
/// first-person word (`I`, `my`, `we`) or a gain verb (`made`, `banked`).
/// `$AAPL up 12% today` reports a move, and `I think $AAPL goes up 12%` a
/// forecast: neither claims a gain.
pub(crate) fn claims_gain(text: &str) -> bool {
    let lower = text.to_lowercase().replace('\u{2019}', "'");
    let words: Vec<&str> = lower
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| {
                !(c.is_alphanumeric() || matches!(c, '%' | '+' | '\'' | '-' | '$'))
            })
        })
        .filter(|w| !w.is_empty())
        .collect();
    let personal = words
        .iter()
        .any(|w| PERSONAL.contains(w) || GAIN_VERBS.contains(w));
    if !personal {
        return false;
    }
    words.iter().enumerate().any(|(i, w)| {
        let percent = w
            .strip_suffix('%')
            .map(|n| n.strip_prefix('+').unwrap_or(n))
            .is_some_and(is_number)
            || (is_number(w) && words.get(i + 1).is_some_and(|n| *n == "percent"));
        if percent {
            let signed = w.starts_with('+');
            let is_personal = |w: &&str| PERSONAL.contains(w) || matches!(*w, "am" | "are");
            let before = (i.saturating_sub(3)..i).any(|b| {
                GAIN_BEFORE.contains(&words[b])
                    || (words[b] == "up" && words[b.saturating_sub(3)..b].iter().any(is_personal))
            });
            let after = words[i + 1..words.len().min(i + 3)]
                .iter()
                .any(|a| GAIN_AFTER.contains(a));
            return signed || before || after;
        }
        let multiple = w
            .strip_suffix('x')
            .filter(|n| is_number(n))
            .and_then(|n| n.replace(',', "").parse::<f64>().ok())
            .is_some_and(|m| m >= 2.0)
            && !words
                .get(i + 1)
                .is_some_and(|n| NOT_GAIN_AFTER_MULTIPLE.contains(n));
        let bagger = w.ends_with("-bagger")
            || w.ends_with("bagger") && words.get(i.wrapping_sub(1)).is_some_and(|p| is_number(p))
            || *w == "tenbagger";
        multiple || bagger || *w == "tendies"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_by_name_and_refuse_others() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!(Role::User < Role::Moderator && Role::Moderator < Role::Admin);
        for bad in ["", "Admin", "root", "admin "] {
            let e = bad.parse::<Role>().unwrap_err();
            assert!(e.to_string().starts_with("role: "), "{e}");
        }
    }

    #[test]
    fn action_names_are_the_serialized_tags() {
        let (post, user) = (PostId::new(1), UserId::new(2));
        let until = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        for action in [
            ModAction::RemovePost { post },
            ModAction::RestorePost { post },
            ModAction::Warn { user },
            ModAction::Suspend { user, until },
            ModAction::Ban { user },
            ModAction::Reinstate { user },
        ] {
            assert_eq!(
                serde_json::to_value(&action).unwrap()["action"],
                action.name()
            );
        }
    }

    #[test]
    fn repeat_key_ignores_case_punctuation_and_spacing() {
        assert_eq!(repeat_key("Buy $XYZ   now!!!"), "buy $xyz now");
        assert_eq!(repeat_key("buy $xyz now"), repeat_key("BUY... $XYZ, NOW"));
        assert_ne!(repeat_key("buy $xyz now"), repeat_key("buy $xyz later"));
    }

    #[test]
    fn gain_claims() {
        for yes in [
            "I'm up 40% on $TSLA",
            "Made 300% on $GME, told you",
            "my $NVDA is a 5x already",
            "banked +25% on $AMD",
            "We got a 3-bagger with $PLTR",
            "I\u{2019}m sitting on a 40% gain in $META",
            "tendies from $SPY calls, I win",
            "I made 12 percent on $KO",
            "my $NVDA is up 40%",
        ] {
            assert!(claims_gain(yes), "{yes}");
        }
        for no in [
            "$AAPL up 12% today",
            "I think $AAPL could drop 12%",
            "I expect 12% growth from $MSFT",
            "+40% on $XYZ",
            "I hold $VOD.L for the 7% yield",
            "I have 1.5x leverage",
            "I use a 2x leveraged ETF on $QQQ",
            "I think $AAPL goes up 12% this year",
            "I expect 12% returns from $MSFT",
            "I bought 100 shares",
        ] {
            assert!(!claims_gain(no), "{no}");
        }
    }
}

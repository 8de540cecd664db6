//! The one error type of `auravest-social`.

use chrono::{DateTime, TimeDelta, Utc};

use crate::alias::AliasProblem;
use crate::moderation::{Permission, Role, SpamRule};
use crate::wealth::WealthWarning;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The kinds of record an [`Error::NotFound`] can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// A member of the community.
    User,
    /// A post or a comment.
    Post,
    /// A notification.
    Notification,
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::User => "user",
            Self::Post => "post",
            Self::Notification => "notification",
        })
    }
}

/// Everything that can go wrong in `auravest-social`.
///
/// Errors never name the author of an anonymous post: a caller who is not
/// that author learns nothing from them beyond "not found" or a rule of its own.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A text is longer than its limit, counted in Unicode scalar values.
    #[error("text is too long: {got} characters, at most {max} allowed")]
    TooLong {
        /// The limit.
        max: usize,
        /// The length that was given.
        got: usize,
    },
    /// A post, comment or reason is empty or only whitespace.
    #[error("{field} must not be empty")]
    Empty {
        /// The field that was empty (`text`, `reason`, `note`).
        field: &'static str,
    },
    /// Too many posts in a window; the caller may try again after `retry_after`.
    #[error("rate limit reached: {limit} per {window}; try again in {}s", retry_after.num_seconds().max(1))]
    RateLimited {
        /// How long until the action is allowed again.
        retry_after: TimeDelta,
        /// The number of actions the window allows.
        limit: u32,
        /// The window, in words (`minute`, `day`, `alias change`).
        window: &'static str,
    },
    /// The caller's role does not allow the action, or the target's role is
    /// not below the caller's.
    #[error("a {role} may not {action}")]
    Forbidden {
        /// What was attempted.
        action: Permission,
        /// The caller's role.
        role: Role,
    },
    /// The caller is suspended (until the given time) or banned (`until` is `None`).
    #[error("account is {}", match until { Some(t) => format!("suspended until {t}"), None => "banned".to_owned() })]
    AccountRestricted {
        /// When a suspension ends; `None` for a ban.
        until: Option<DateTime<Utc>>,
    },
    /// No such record, or one the caller may not see.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of record.
        entity: Entity,
        /// Its id as text (`u7`, `p42`, `n3`).
        id: String,
    },
    /// A proposed alias breaks a rule.
    #[error("invalid alias: {reason}")]
    InvalidAlias {
        /// The rule it breaks.
        reason: AliasProblem,
    },
    /// Another member already uses this alias (compared without case).
    #[error("alias {alias:?} is taken")]
    AliasTaken {
        /// The alias that was asked for.
        alias: String,
    },
    /// No free default alias was found after every attempt.
    #[error("could not find a free default alias")]
    AliasSpaceExhausted,
    /// A draft mentions money amounts and the caller has not confirmed them.
    #[error("the text mentions {} money amount(s); confirm before posting", warnings.len())]
    WealthDisclosure {
        /// Each amount found, with its span.
        warnings: Vec<WealthWarning>,
    },
    /// A spam rule refused the post.
    #[error("refused as spam: {rule}")]
    Spam {
        /// The rule that matched.
        rule: SpamRule,
    },
    /// An action a member may not take on their own content or account.
    #[error("cannot {action} yourself")]
    SelfAction {
        /// What was attempted (`follow`, `like a post by`, `flag a post by`).
        action: &'static str,
    },
    /// Performance sharing is off in the member's privacy settings.
    #[error("performance sharing is off in your privacy settings")]
    PerformanceSharingOff,
    /// A pagination cursor is malformed or belongs to another feed.
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A value of a named field is not acceptable.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field at fault.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// One entry of a list is not acceptable.
    #[error("{field}[{index}]: {reason}")]
    InvalidEntry {
        /// The list at fault.
        field: &'static str,
        /// The entry's 0-based index in the list.
        index: usize,
        /// The entry as given (at most 40 characters, `…` when cut).
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A storage backend failed.
    #[error("{backend} store: {detail}")]
    Storage {
        /// The backend (`memory`, `sqlite`, `postgres`).
        backend: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// An error from `auravest-core` (for example a symbol that fails validation).
    #[error(transparent)]
    Core(#[from] auravest_core::Error),
}

impl Error {
    /// The variant's name in snake_case (`invalid_field`, `oversold`, ...):
    /// a stable code for bindings and clients to branch on.
    /// A wrapped `auravest-core` error answers with its own kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "too_long",
            Self::Empty { .. } => "empty",
            Self::RateLimited { .. } => "rate_limited",
            Self::Forbidden { .. } => "forbidden",
            Self::AccountRestricted { .. } => "account_restricted",
            Self::NotFound { .. } => "not_found",
            Self::InvalidAlias { .. } => "invalid_alias",
            Self::AliasTaken { .. } => "alias_taken",
            Self::AliasSpaceExhausted => "alias_space_exhausted",
            Self::WealthDisclosure { .. } => "wealth_disclosure",
            Self::Spam { .. } => "spam",
            Self::SelfAction { .. } => "self_action",
            Self::PerformanceSharingOff => "performance_sharing_off",
            Self::InvalidCursor { .. } => "invalid_cursor",
            Self::InvalidInput { .. } => "invalid_input",
            Self::InvalidEntry { .. } => "invalid_entry",
            Self::Storage { .. } => "storage",
            Self::Core(e) => e.kind(),
        }
    }

    /// The input field an error is about, when it is about one, so a user
    /// interface can point at it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::TooLong { .. } | Self::WealthDisclosure { .. } | Self::Spam { .. } => {
                Some("text")
            }
            Self::Empty { field }
            | Self::InvalidInput { field, .. }
            | Self::InvalidEntry { field, .. } => Some(field),
            Self::InvalidAlias { .. } | Self::AliasTaken { .. } => Some("alias"),
            Self::InvalidCursor { .. } => Some("cursor"),
            _ => None,
        }
    }

    /// The 1-based position of the list entry at fault, for
    /// [`Error::InvalidEntry`].
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::InvalidEntry { index, .. } => Some(index + 1),
            _ => None,
        }
    }

    pub(crate) fn not_found(entity: Entity, id: impl std::fmt::Display) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

//! The stored records: members and posts, and the drafts that make posts.
//!
//! These are what a [`crate::Store`] keeps. They hold private data (a post's
//! author, a member's holdings) and are never shown to other members as they
//! are: [`crate::Community`] turns them into views such as [`crate::PostView`].

use auravest_core::{Decimal, Symbol};
use chrono::{DateTime, Utc};

use crate::alias::Alias;
use crate::ids::{PostId, UserId};
use crate::moderation::Role;
use crate::performance::{PerformanceShare, Period};

/// What a member lets others see. Everything is off by default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrivacySettings {
    /// Show recorded percentage returns on the profile and in the
    /// top-performers list, and allow performance posts. Off by default.
    pub share_performance: bool,
    /// Count the member's holdings (tickers only) in the community's
    /// "most held" list. Off by default. Holdings themselves are never shown
    /// to anyone else, whatever this says.
    pub count_holdings_in_aggregates: bool,
}

/// Whether a member may act.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountStatus {
    /// In good standing.
    #[default]
    Active,
    /// May read but not act until `until`.
    Suspended {
        /// When the suspension ends.
        until: DateTime<Utc>,
    },
    /// May read but never act.
    Banned,
}

impl AccountStatus {
    /// `Some(until)` for a suspension running at `now`, `Some(None)` for a ban,
    /// `None` when the member may act.
    pub fn restriction(self, now: DateTime<Utc>) -> Option<Option<DateTime<Utc>>> {
        match self {
            Self::Active => None,
            Self::Suspended { until } if until > now => Some(Some(until)),
            Self::Suspended { .. } => None,
            Self::Banned => Some(None),
        }
    }
}

/// A percentage return a member recorded for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodReturn {
    /// The period.
    pub period: Period,
    /// The return in percent, one decimal place.
    pub return_pct: Decimal,
}

/// A member as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// The member's id.
    pub id: UserId,
    /// The alias shown on non-anonymous posts.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub alias: Alias,
    /// The role.
    pub role: Role,
    /// Whether the member may act.
    pub status: AccountStatus,
    /// What the member shares.
    pub settings: PrivacySettings,
    /// When the member joined.
    pub joined_at: DateTime<Utc>,
    /// When the alias last changed by choice.
    pub alias_changed_at: Option<DateTime<Utc>>,
    /// Tickers held. Private: only the member sees them.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub holdings: Vec<Symbol>,
    /// Recorded returns, one per period. Shown only with `share_performance`.
    pub returns: Vec<PeriodReturn>,
    /// Warnings received from moderators.
    pub warnings: u32,
}

/// A member to store; the store assigns the id and the defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewUser {
    /// The alias.
    pub alias: Alias,
    /// The role.
    pub role: Role,
    /// When the member joined.
    pub joined_at: DateTime<Utc>,
}

/// Which opt-in an [`crate::Store::opted_in_users`] query asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptIn {
    /// [`PrivacySettings::share_performance`].
    Performance,
    /// [`PrivacySettings::count_holdings_in_aggregates`].
    Holdings,
}

/// Stocktwits-style sentiment tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Sentiment {
    /// Expects the price to rise.
    Bullish,
    /// Expects the price to fall.
    Bearish,
}

/// Where a post stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PostStatus {
    /// Shown.
    #[default]
    Visible,
    /// Hidden after enough flags, until a moderator reviews it.
    Hidden,
    /// Taken down by a moderator.
    Removed,
    /// Deleted by its author.
    Deleted,
}

/// A post or comment as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Post {
    /// The post's id; ids rise in insertion order.
    pub id: PostId,
    /// The author. Private for anonymous posts: never shown to other members.
    pub author: UserId,
    /// Shown as anonymous.
    pub anonymous: bool,
    /// For a comment, the top-level post it belongs to.
    pub thread: Option<PostId>,
    /// For a reply, the comment it answers.
    pub reply_to: Option<PostId>,
    /// The text exactly as written.
    pub text: String,
    /// The optional bullish or bearish tag.
    pub sentiment: Option<Sentiment>,
    /// Distinct tickers, in order of first appearance.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub cashtags: Vec<Symbol>,
    /// Members mentioned (resolved from `@alias` when posted).
    pub mentions: Vec<UserId>,
    /// Links, as found in the text.
    pub links: Vec<String>,
    /// For a performance post, the share it was made from.
    pub performance: Option<PerformanceShare>,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub status: PostStatus,
    /// For a comment: marked helpful by the thread's author.
    pub helpful: bool,
}

impl Post {
    /// Whether this is a comment.
    pub fn is_comment(&self) -> bool {
        self.thread.is_some()
    }
}

/// A post to store; the store assigns the id, `Visible` and `helpful = false`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewPost {
    /// The author.
    pub author: UserId,
    /// Shown as anonymous.
    pub anonymous: bool,
    /// For a comment, the top-level post.
    pub thread: Option<PostId>,
    /// For a reply, the comment it answers.
    pub reply_to: Option<PostId>,
    /// The text.
    pub text: String,
    /// The optional tag.
    pub sentiment: Option<Sentiment>,
    /// Distinct tickers.
    pub cashtags: Vec<Symbol>,
    /// Members mentioned.
    pub mentions: Vec<UserId>,
    /// Links.
    pub links: Vec<String>,
    /// For a performance post, its share.
    pub performance: Option<PerformanceShare>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What a member writes: the text and how to post it.
///
/// ```
/// use auravest_social::{Draft, Sentiment};
/// let d = Draft::new("$AAPL looks cheap").bullish().anonymous();
/// assert_eq!(d.sentiment, Some(Sentiment::Bullish));
/// assert!(d.anonymous && !d.confirm_amounts);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    /// The text, stored as written.
    pub text: String,
    /// The optional bullish or bearish tag.
    pub sentiment: Option<Sentiment>,
    /// Post as anonymous.
    pub anonymous: bool,
    /// The author saw the money amounts in the text and wants to post anyway.
    pub confirm_amounts: bool,
}

impl Draft {
    /// A draft with this text, under the alias, untagged.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Tags it bullish.
    #[must_use]
    pub fn bullish(mut self) -> Self {
        self.sentiment = Some(Sentiment::Bullish);
        self
    }

    /// Tags it bearish.
    #[must_use]
    pub fn bearish(mut self) -> Self {
        self.sentiment = Some(Sentiment::Bearish);
        self
    }

    /// Posts it as anonymous.
    #[must_use]
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    /// Confirms the money amounts it mentions.
    #[must_use]
    pub fn confirm_amounts(mut self) -> Self {
        self.confirm_amounts = true;
        self
    }
}

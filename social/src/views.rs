//! What members see. Every type here is safe to serialise and send to the
//! member it was built for: none holds the author of an anonymous post,
//! anyone's holdings, or any amount of money.

use auravest_core::{Decimal, Symbol};
use chrono::{DateTime, Utc};

use crate::feed::Cursor;
use crate::guidelines::PinnedMessage;
use crate::ids::{AuditId, PostId, UserId};
use crate::model::{PeriodReturn, Post, PostStatus, PrivacySettings, Sentiment, User};
use crate::moderation::{Flag, FlagReason, Role};
use crate::notification::NotificationView;
use crate::performance::{PerformanceShare, Period};

/// A member as others see them: id and alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// The member's id.
    pub id: UserId,
    /// The current alias.
    pub alias: String,
}

/// Who a post is shown under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Author {
    /// Under the member's alias.
    Member {
        /// The member's id.
        id: UserId,
        /// The current alias.
        alias: String,
    },
    /// As anonymous: nothing about the author.
    Anonymous,
}

/// A post or comment as one viewer sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostView {
    /// The post's id.
    pub id: PostId,
    /// Who it is shown under.
    pub author: Author,
    /// The viewer wrote it (only ever true for the author's own view).
    pub mine: bool,
    /// For a comment, the top-level post.
    pub thread: Option<PostId>,
    /// For a reply, the comment it answers.
    pub reply_to: Option<PostId>,
    /// The text as written.
    pub text: String,
    /// The text rendered to safe HTML.
    pub html: String,
    /// The bullish or bearish tag.
    pub sentiment: Option<Sentiment>,
    /// Distinct tickers.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub cashtags: Vec<Symbol>,
    /// For a performance post, its share (percentages only).
    pub performance: Option<PerformanceShare>,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
    /// Likes now.
    pub likes: u32,
    /// Visible comments now (for a top-level post).
    pub comments: u32,
    /// The viewer likes it.
    pub liked: bool,
    /// A comment marked helpful by the thread's author.
    pub helpful: bool,
    /// Always `visible` for other members; the author also sees `hidden` and `removed`.
    pub status: PostStatus,
}

/// What only the member sees on their own profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnProfile {
    /// Privacy settings.
    pub settings: PrivacySettings,
    /// Holdings (tickers only).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub holdings: Vec<Symbol>,
    /// Every recorded return, shared or not.
    pub returns: Vec<PeriodReturn>,
    /// Warnings received.
    pub warnings: u32,
}

/// A member's profile as one viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileView {
    /// The member.
    pub member: Member,
    /// The role (moderators and admins show a badge).
    pub role: Role,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// Followers.
    pub followers: usize,
    /// Members followed.
    pub following: usize,
    /// Visible top-level posts under the alias (anonymous posts are not counted).
    pub posts: usize,
    /// Recorded percentage returns, when the member shares performance.
    pub performance: Option<Vec<PeriodReturn>>,
    /// The viewer follows this member.
    pub followed_by_viewer: bool,
    /// Present only on the member's own profile.
    pub own: Option<OwnProfile>,
}

/// One row of the helpful-contributors leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributorEntry {
    /// 1-based rank.
    pub rank: usize,
    /// The member.
    pub member: Member,
    /// `likes_received + answer_weight × answers`.
    pub score: u64,
    /// Likes on their non-anonymous posts and comments in the window.
    pub likes_received: u64,
    /// Their comments marked helpful by the thread's author in the window.
    pub answers: u64,
}

/// One row of the opt-in top-performers list: a percentage, never an amount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PerformerEntry {
    /// 1-based rank.
    pub rank: usize,
    /// The member.
    pub member: Member,
    /// The period.
    pub period: Period,
    /// The return in percent.
    pub return_pct: Decimal,
}

/// A ticker mentioned unusually often.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrendingTicker {
    /// The ticker.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub symbol: Symbol,
    /// Mentions in the window (capped per author).
    pub mentions: u32,
    /// Distinct authors who mentioned it in the window.
    pub authors: u32,
    /// Mean mentions per window over the baseline.
    pub baseline_mean: f64,
    /// Standard deviation of mentions per window over the baseline.
    pub baseline_sd: f64,
    /// `(mentions − mean) / max(sd, floor)`.
    pub z_score: f64,
}

/// How members lean on a ticker (see `Community::ticker_sentiment`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TickerSentiment {
    /// The ticker.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub symbol: Symbol,
    /// The window, in days up to now.
    pub days: i64,
    /// Members whose latest tagged post is bullish.
    pub bullish: u32,
    /// Members whose latest tagged post is bearish.
    pub bearish: u32,
    /// Tagged posts and comments in the window (every one, before counting
    /// each member once).
    pub tagged_posts: u32,
    /// `bullish / (bullish + bearish)`; absent when no one tagged one.
    pub bullish_share: Option<f64>,
}

/// A ticker held by opted-in members.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldSymbol {
    /// The ticker.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub symbol: Symbol,
    /// Opted-in members holding it.
    pub holders: usize,
    /// `holders` as a share of all opted-in members, 0–1.
    pub share: f64,
}

/// How many open flags gave one reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonCount {
    /// The reason.
    pub reason: FlagReason,
    /// Open flags giving it.
    pub count: usize,
}

/// A flagged post in the moderators' review queue. Anonymous posts stay
/// anonymous here; [`crate::Community::reveal_author`] shows the author and is audited.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueItem {
    /// The post.
    pub post: PostView,
    /// Open flags.
    pub flags: usize,
    /// Open flags by reason.
    pub reasons: Vec<ReasonCount>,
    /// The first open flag's time.
    pub first_flagged_at: DateTime<Utc>,
}

/// The result of [`crate::Community::reveal_author`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedAuthor {
    /// The post.
    pub post: PostId,
    /// Its author.
    pub author: Member,
    /// Whether the post is anonymous.
    pub anonymous: bool,
    /// The audit entry this access made.
    pub audit: AuditId,
}

/// The result of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlagOutcome {
    /// A new flag was recorded (`false` when this member already had an open flag on the post).
    pub recorded: bool,
    /// The post is now hidden pending review.
    pub hidden: bool,
}

/// One page of a feed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items, in feed order.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub next: Option<Cursor>,
    /// The pinned welcome message, on the first page of the public feed.
    #[serde(skip_deserializing)]
    pub pinned: Option<PinnedMessage>,
}

/// Everything the community stores about one member, for that member:
/// [`crate::Community::export_member`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberExport {
    /// The member's record: alias, role, standing, settings, holdings,
    /// recorded returns and warnings.
    pub member: User,
    /// Every post and comment they wrote, oldest first.
    pub posts: Vec<Post>,
    /// The posts they like now, by id.
    pub likes: Vec<PostId>,
    /// The flags they filed, oldest first.
    pub flags: Vec<Flag>,
    /// The members they follow.
    pub following: Vec<Member>,
    /// How many members follow them.
    pub followers: usize,
    /// Their notifications, newest first.
    pub notifications: Vec<NotificationView>,
}

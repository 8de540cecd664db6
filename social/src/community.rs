//! [`Community`]: every rule of the community, over any [`Store`].

mod discover;
mod feeds;
mod moderate;
mod notify;
mod posting;

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::alias::AliasPolicy;
use crate::error::Entity;
use crate::ids::{PostId, UserId};
use crate::memory::MemoryStore;
use crate::model::{Post, PostStatus, User};
use crate::moderation::Permission;
use crate::render::Format;
use crate::store::Store;
use crate::views::Member;
use crate::{Error, Result};

pub use discover::MAX_SENTIMENT_DAYS;
pub use feeds::CommentOrder;

/// How the trending feed ranks posts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RankFormula {
    /// [`crate::ranking::reddit_hot`] with `ups` = likes at the snapshot, `downs` = 0.
    RedditHot,
    /// [`crate::ranking::hacker_news`] with `P` = likes at the snapshot + 1 and
    /// the age at the snapshot time.
    HackerNews {
        /// The gravity `G`.
        gravity: f64,
    },
}

/// The trending-tickers rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TickerTrendConfig {
    /// The window counted: the latest `window` before now.
    pub window: TimeDelta,
    /// How many earlier windows of the same length form the baseline.
    pub baseline_windows: u32,
    /// Distinct authors needed in the window.
    pub min_authors: u32,
    /// Mentions needed in the window.
    pub min_mentions: u32,
    /// The most mentions one author adds to a ticker per window.
    pub max_per_author: u32,
    /// The smallest standard deviation divided by.
    pub sd_floor: f64,
    /// The lowest z-score listed.
    pub min_z: f64,
    /// The most tickers listed.
    pub limit: usize,
}

impl Default for TickerTrendConfig {
    fn default() -> Self {
        Self {
            window: TimeDelta::days(1),
            baseline_windows: 30,
            min_authors: 3,
            min_mentions: 5,
            max_per_author: 2,
            sd_floor: 1.0,
            min_z: 2.0,
            limit: 10,
        }
    }
}

/// The community's tunable rules. [`Config::default`] documents each value.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Longest post, in characters (default 1000).
    pub max_post_chars: usize,
    /// Longest comment, in characters (default 500).
    pub max_comment_chars: usize,
    /// Longest moderation reason or flag note, in characters (default 500).
    pub max_reason_chars: usize,
    /// Posts and comments per minute per member (default 3).
    pub posts_per_minute: u32,
    /// Posts and comments per day per member (default 50).
    pub posts_per_day: u32,
    /// Most distinct cashtags in one post (default 5).
    pub max_cashtags: usize,
    /// How far back the repeated-text rule looks (default 24 hours).
    pub repeat_window: TimeDelta,
    /// How far back a ticker must have been shared before a gain on it is
    /// claimed (default 365 days).
    pub gain_lookback: TimeDelta,
    /// Distinct open flags that hide a post until review (default 3).
    pub flags_to_hide: u32,
    /// Like counts that notify the author (default 10, 25, 50, 100, 250, 500, 1000).
    pub like_milestones: Vec<u32>,
    /// How old a post may be to appear in the trending feed (default 48 hours).
    pub trending_window: TimeDelta,
    /// The trending feed's formula (default Reddit hot).
    pub trending_rank: RankFormula,
    /// Trending tickers.
    pub tickers: TickerTrendConfig,
    /// Opted-in holders a ticker needs to appear in "most held" (default 3),
    /// so the list never points at one member.
    pub most_held_min_holders: usize,
    /// What one answer (a comment marked helpful) is worth in the
    /// contributors leaderboard, in likes (default 5).
    pub answer_weight: u64,
    /// How post text is rendered (default the markdown subset).
    pub render: Format,
    /// Alias rules.
    pub alias: AliasPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_post_chars: 1000,
            max_comment_chars: 500,
            max_reason_chars: 500,
            posts_per_minute: 3,
            posts_per_day: 50,
            max_cashtags: 5,
            repeat_window: TimeDelta::hours(24),
            gain_lookback: TimeDelta::days(365),
            flags_to_hide: 3,
            like_milestones: vec![10, 25, 50, 100, 250, 500, 1000],
            trending_window: TimeDelta::hours(48),
            trending_rank: RankFormula::RedditHot,
            tickers: TickerTrendConfig::default(),
            most_held_min_holders: 3,
            answer_weight: 5,
            render: Format::Markdown,
            alias: AliasPolicy::default(),
        }
    }
}

/// The community: identities, posts, feeds, moderation and notifications,
/// enforced over a [`Store`].
///
/// Every method takes the acting member's id (the caller authenticates) and,
/// where a rule needs it, the current time. Methods that show data build it
/// for one viewer, so privacy rules hold whatever the caller does with the
/// result.
#[derive(Debug, Clone)]
pub struct Community<S = MemoryStore> {
    store: S,
    config: Config,
}

impl Community<MemoryStore> {
    /// A community over an empty [`MemoryStore`] with the default rules.
    pub fn in_memory() -> Self {
        Self::new(MemoryStore::new(), Config::default())
    }
}

impl<S: Store> Community<S> {
    /// A community over `store` with `config`.
    pub fn new(store: S, config: Config) -> Self {
        Self { store, config }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The rules.
    pub fn config(&self) -> &Config {
        &self.config
    }

    async fn user_required(&self, id: UserId) -> Result<User> {
        self.store
            .user(id)
            .await?
            .ok_or_else(|| Error::not_found(Entity::User, id))
    }

    /// The member, if they exist, are not suspended or banned, and their role allows `permission`.
    async fn actor(&self, id: UserId, now: DateTime<Utc>, permission: Permission) -> Result<User> {
        let user = self.user_required(id).await?;
        if let Some(until) = user.status.restriction(now) {
            return Err(Error::AccountRestricted { until });
        }
        if !user.role.can(permission) {
            return Err(Error::Forbidden {
                action: permission,
                role: user.role,
            });
        }
        Ok(user)
    }

    async fn post_required(&self, id: PostId) -> Result<Post> {
        self.store
            .post(id)
            .await?
            .ok_or_else(|| Error::not_found(Entity::Post, id))
    }

    /// A post the viewer may see: visible, or hidden or removed and theirs.
    async fn readable_post(&self, id: PostId, viewer: Option<UserId>) -> Result<Post> {
        let post = self.post_required(id).await?;
        let own = viewer == Some(post.author);
        match post.status {
            PostStatus::Visible => Ok(post),
            PostStatus::Hidden | PostStatus::Removed if own => Ok(post),
            _ => Err(Error::not_found(Entity::Post, id)),
        }
    }

    /// A visible post: the only kind members may react to.
    async fn visible_post(&self, id: PostId) -> Result<Post> {
        let post = self.post_required(id).await?;
        if post.status == PostStatus::Visible {
            Ok(post)
        } else {
            Err(Error::not_found(Entity::Post, id))
        }
    }

    /// Id and current alias of members, looked up once each.
    ///
    /// Takes a `Vec` rather than any iterator: a future holding a borrowing
    /// iterator adaptor across an await is not provably `Send`.
    async fn members(&self, ids: Vec<UserId>) -> Result<HashMap<UserId, Member>> {
        let mut out = HashMap::new();
        for id in ids {
            if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(id)
                && let Some(user) = self.store.user(id).await?
            {
                slot.insert(Member {
                    id,
                    alias: user.alias.to_string(),
                });
            }
        }
        Ok(out)
    }

    async fn member(&self, id: UserId) -> Result<Member> {
        let user = self.user_required(id).await?;
        Ok(Member {
            id,
            alias: user.alias.to_string(),
        })
    }

    /// Checks a reason a member gives (a report of a direct message, a
    /// moderator's action): trimmed, not blank, at most
    /// [`Config::max_reason_chars`].
    ///
    /// # Errors
    /// [`Error::Empty`] or [`Error::TooLong`].
    pub fn report_reason(&self, reason: &str) -> Result<String> {
        self.checked_reason("reason", reason)
    }

    /// May a member act now (neither suspended nor banned)?
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member.
    pub async fn may_act(&self, member: UserId, now: DateTime<Utc>) -> Result<bool> {
        let user = self.user_required(member).await?;
        Ok(match user.status {
            crate::model::AccountStatus::Active => true,
            crate::model::AccountStatus::Suspended { until } => until <= now,
            crate::model::AccountStatus::Banned => false,
        })
    }

    /// Checks a moderation reason or note: not blank, not too long.
    fn checked_reason(&self, field: &'static str, reason: &str) -> Result<String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::Empty { field });
        }
        let got = reason.chars().count();
        if got > self.config.max_reason_chars {
            return Err(Error::TooLong {
                max: self.config.max_reason_chars,
                got,
            });
        }
        Ok(reason.to_owned())
    }
}

//! The storage trait. [`crate::MemoryStore`] implements it here; the
//! reference server adds SQL stores. Stores hold data and answer queries;
//! every rule lives in [`crate::Community`].
//!
//! A store must pass the conformance suite (`conformance` module, feature
//! `testing`), which checks each method below, including the exact ordering
//! and filtering of [`Store::query_posts`] and the snapshot counts of
//! [`Store::reactions`].

use auravest_core::Symbol;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::ids::{NotificationId, PostId, UserId};
use crate::model::{NewPost, NewUser, OptIn, Post, User};
use crate::moderation::{AuditEvent, Flag, NewAuditEvent, NewFlag};
use crate::notification::{NewNotification, Notification};

/// Which posts a query looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// All posts.
    All,
    /// Posts by these authors.
    Authors(Vec<UserId>),
    /// Posts that tag this ticker.
    Symbol(Symbol),
    /// The comments of this top-level post.
    Thread(PostId),
}

/// Top-level posts, comments, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Top-level posts only.
    TopLevel,
    /// Comments only.
    Comments,
    /// Both.
    Any,
}

/// The order of a query's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By `(created_at, id)` descending.
    NewestFirst,
    /// By `(created_at, id)` ascending.
    OldestFirst,
}

/// A post query. Results are ordered by `(created_at, id)` in `order`, and
/// every filter must hold for each result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostQuery {
    /// Which posts.
    pub scope: Scope,
    /// Top-level, comments or both.
    pub level: Level,
    /// Only posts with status `Visible`.
    pub visible_only: bool,
    /// Include anonymous posts.
    pub include_anonymous: bool,
    /// Only posts with `id <= max_id`.
    pub max_id: Option<PostId>,
    /// Only posts with `created_at >= since`.
    pub since: Option<DateTime<Utc>>,
    /// Only posts with `created_at <= until`.
    pub until: Option<DateTime<Utc>>,
    /// The order.
    pub order: Order,
    /// Only posts strictly after this `(created_at, id)` key in `order`.
    pub after: Option<(DateTime<Utc>, PostId)>,
    /// At most this many results.
    pub limit: Option<usize>,
}

impl PostQuery {
    /// Every post in the scope, of any level and status, anonymous included,
    /// newest first, without limit: narrow it with the other fields.
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            level: Level::Any,
            visible_only: false,
            include_anonymous: true,
            max_id: None,
            since: None,
            until: None,
            order: Order::NewestFirst,
            after: None,
            limit: None,
        }
    }

    /// Whether `post` passes every filter except the scope, the key bound and the limit.
    pub fn admits(&self, post: &Post) -> bool {
        let level = match self.level {
            Level::TopLevel => post.thread.is_none(),
            Level::Comments => post.thread.is_some(),
            Level::Any => true,
        };
        level
            && (!self.visible_only || post.status == crate::PostStatus::Visible)
            && (self.include_anonymous || !post.anonymous)
            && self.max_id.is_none_or(|m| post.id <= m)
            && self.since.is_none_or(|s| post.created_at >= s)
            && self.until.is_none_or(|u| post.created_at <= u)
    }

    /// Whether `(created_at, id)` comes strictly after the query's `after` key in its order.
    pub fn is_after(&self, key: (DateTime<Utc>, PostId)) -> bool {
        match (self.after, self.order) {
            (None, _) => true,
            (Some(bound), Order::NewestFirst) => key < bound,
            (Some(bound), Order::OldestFirst) => key > bound,
        }
    }
}

/// Likes and open flags of a post at some event sequence number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Reactions {
    /// Likes.
    pub likes: u32,
    /// Open flags.
    pub flags: u32,
}

/// Where the community's data lives.
///
/// Ids count up from 1 in insertion order. Likes, unlikes, flags and flag
/// reviews each take the next number of one event sequence, so counts can be
/// read as of an earlier point ([`Store::reactions`]), which is how ranked
/// feeds pin their ranking.
pub trait Store: Send + Sync {
    // Members.

    /// Stores a member with default settings, `Active`, no holdings, returns or warnings.
    ///
    /// # Errors
    /// [`crate::Error::AliasTaken`] when another member has the alias (compared without case).
    fn insert_user(&mut self, user: NewUser) -> impl Future<Output = Result<User>> + Send;
    /// A member by id.
    ///
    /// # Errors
    /// Backend failures only.
    fn user(&self, id: UserId) -> impl Future<Output = Result<Option<User>>> + Send;
    /// A member by alias, compared without case.
    ///
    /// # Errors
    /// Backend failures only.
    fn user_by_alias(&self, alias: &str) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Replaces a member's record.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id; [`crate::Error::AliasTaken`]
    /// when the new alias belongs to another member.
    fn update_user(&mut self, user: &User) -> impl Future<Output = Result<()>> + Send;
    /// Members who turned the given opt-in on, by id.
    ///
    /// # Errors
    /// Backend failures only.
    fn opted_in_users(&self, opt_in: OptIn) -> impl Future<Output = Result<Vec<User>>> + Send;

    // Posts.

    /// Stores a post as `Visible`, not helpful, with the next id.
    ///
    /// # Errors
    /// Backend failures only.
    fn insert_post(&mut self, post: NewPost) -> impl Future<Output = Result<Post>> + Send;
    /// A post by id.
    ///
    /// # Errors
    /// Backend failures only.
    fn post(&self, id: PostId) -> impl Future<Output = Result<Option<Post>>> + Send;
    /// Saves a post's `status` and `helpful`; other fields never change.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id.
    fn update_post(&mut self, post: &Post) -> impl Future<Output = Result<()>> + Send;
    /// The highest post id, if any post exists.
    ///
    /// # Errors
    /// Backend failures only.
    fn last_post_id(&self) -> impl Future<Output = Result<Option<PostId>>> + Send;
    /// The posts a query selects, in its order.
    ///
    /// # Errors
    /// Backend failures only.
    fn query_posts(&self, query: &PostQuery) -> impl Future<Output = Result<Vec<Post>>> + Send;
    /// Visible comments of each post, in the order given.
    ///
    /// # Errors
    /// Backend failures only.
    fn comment_counts(&self, posts: &[PostId]) -> impl Future<Output = Result<Vec<u32>>> + Send;

    // Reactions.

    /// The last event sequence number (0 before any event).
    ///
    /// # Errors
    /// Backend failures only.
    fn event_seq(&self) -> impl Future<Output = Result<u64>> + Send;
    /// Records a like; `false` (and no event) when the member already likes the post.
    ///
    /// # Errors
    /// Backend failures only.
    fn insert_like(
        &mut self,
        post: PostId,
        user: UserId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Withdraws a like; `false` (and no event) when there was none.
    ///
    /// # Errors
    /// Backend failures only.
    fn remove_like(
        &mut self,
        post: PostId,
        user: UserId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Which of the posts the member likes now, in the order given.
    ///
    /// # Errors
    /// Backend failures only.
    fn likes_of(
        &self,
        user: UserId,
        posts: &[PostId],
    ) -> impl Future<Output = Result<Vec<bool>>> + Send;
    /// Every post the member likes now, by post id.
    ///
    /// # Errors
    /// Backend failures only.
    fn liked_posts(&self, user: UserId) -> impl Future<Output = Result<Vec<PostId>>> + Send;
    /// Likes and open flags of each post as of event `at_seq`, in the order given.
    ///
    /// # Errors
    /// Backend failures only.
    fn reactions(
        &self,
        posts: &[PostId],
        at_seq: u64,
    ) -> impl Future<Output = Result<Vec<Reactions>>> + Send;
    /// Records a flag; `false` (and no event) when the reporter already has an
    /// open flag on the post.
    ///
    /// # Errors
    /// Backend failures only.
    fn insert_flag(&mut self, flag: NewFlag) -> impl Future<Output = Result<bool>> + Send;
    /// Every flag of a post, open and reviewed, oldest first.
    ///
    /// # Errors
    /// Backend failures only.
    fn flags(&self, post: PostId) -> impl Future<Output = Result<Vec<Flag>>> + Send;
    /// Every flag the member filed, open and reviewed, oldest first.
    ///
    /// # Errors
    /// Backend failures only.
    fn flags_by(&self, reporter: UserId) -> impl Future<Output = Result<Vec<Flag>>> + Send;
    /// Every open flag, oldest first.
    ///
    /// # Errors
    /// Backend failures only.
    fn open_flags(&self) -> impl Future<Output = Result<Vec<Flag>>> + Send;
    /// Closes every open flag of a post with one new event; returns how many closed.
    ///
    /// # Errors
    /// Backend failures only.
    fn review_flags(&mut self, post: PostId) -> impl Future<Output = Result<usize>> + Send;

    // Follows.

    /// Records a follow; `false` when it exists.
    ///
    /// # Errors
    /// Backend failures only.
    fn insert_follow(
        &mut self,
        follower: UserId,
        followee: UserId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Removes a follow; `false` when there was none.
    ///
    /// # Errors
    /// Backend failures only.
    fn remove_follow(
        &mut self,
        follower: UserId,
        followee: UserId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The members `user` follows, by id.
    ///
    /// # Errors
    /// Backend failures only.
    fn following(&self, user: UserId) -> impl Future<Output = Result<Vec<UserId>>> + Send;
    /// The members following `user`, by id.
    ///
    /// # Errors
    /// Backend failures only.
    fn followers(&self, user: UserId) -> impl Future<Output = Result<Vec<UserId>>> + Send;

    // Notifications.

    /// Stores a notification, unread, with the next id.
    ///
    /// # Errors
    /// Backend failures only.
    fn insert_notification(
        &mut self,
        notification: NewNotification,
    ) -> impl Future<Output = Result<Notification>> + Send;
    /// A member's notifications, newest (highest id) first.
    ///
    /// # Errors
    /// Backend failures only.
    fn notifications(
        &self,
        recipient: UserId,
        unread_only: bool,
    ) -> impl Future<Output = Result<Vec<Notification>>> + Send;
    /// Marks the recipient's notifications among `ids` read (others' are
    /// ignored); returns how many changed.
    ///
    /// # Errors
    /// Backend failures only.
    fn mark_read(
        &mut self,
        recipient: UserId,
        ids: &[NotificationId],
    ) -> impl Future<Output = Result<usize>> + Send;

    // Audit log.

    /// Appends an audit entry with the next id.
    ///
    /// # Errors
    /// Backend failures only.
    fn insert_audit(
        &mut self,
        event: NewAuditEvent,
    ) -> impl Future<Output = Result<AuditEvent>> + Send;
    /// The audit log, oldest first.
    ///
    /// # Errors
    /// Backend failures only.
    fn audit_events(&self) -> impl Future<Output = Result<Vec<AuditEvent>>> + Send;
}

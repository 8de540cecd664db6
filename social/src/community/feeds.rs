//! The feeds: public, following, trending, ticker, author and comments.

use std::cmp::Ordering;

use auravest_core::Symbol;
use chrono::{DateTime, Utc};

use super::{Community, RankFormula};
use crate::error::Entity;
use crate::feed::{Cursor, FeedKind, PageRequest, Snapshot, SortKey};
use crate::guidelines::welcome;
use crate::ids::{PostId, UserId};
use crate::model::Post;
use crate::ranking::{WILSON_Z_80, hacker_news, reddit_hot, wilson_lower_bound};
use crate::store::{Level, Order, PostQuery, Reactions, Scope, Store};
use crate::views::{Page, PostView};
use crate::{Error, Result};

/// The order of a post's comments.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CommentOrder {
    /// Oldest first, as a conversation reads.
    #[default]
    Oldest,
    /// Best first: the Wilson lower bound (80%) of likes against open flags,
    /// both as of the walk's snapshot.
    Best,
}

/// Score descending, then id descending: the order of every ranked feed.
fn ranked_order(a: &(f64, PostId), b: &(f64, PostId)) -> Ordering {
    b.0.total_cmp(&a.0).then(b.1.cmp(&a.1))
}

impl<S: Store> Community<S> {
    /// The snapshot a new walk pins.
    async fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        Ok(Snapshot {
            as_of: now,
            max_post: self.store.last_post_id().await?.map_or(0, PostId::get),
            event_seq: self.store.event_seq().await?,
        })
    }

    /// The walk's snapshot and where the last page ended, checking that the
    /// cursor belongs to this feed and scope.
    async fn resume(
        &self,
        req: &PageRequest,
        kind: FeedKind,
        scope: &str,
        now: DateTime<Utc>,
    ) -> Result<(Snapshot, Option<SortKey>)> {
        match &req.cursor {
            None => Ok((self.snapshot(now).await?, None)),
            Some(cursor) if cursor.kind == kind && cursor.scope == scope => {
                Ok((cursor.snapshot, Some(cursor.last)))
            }
            Some(_) => Err(Error::InvalidCursor {
                reason: "the cursor belongs to another feed",
            }),
        }
    }

    /// A page of a time-ordered feed: `query` (visible posts, in its order)
    /// limited to the snapshot and continued after the last key.
    async fn time_page(
        &self,
        kind: FeedKind,
        scope: String,
        mut query: PostQuery,
        viewer: Option<UserId>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        let limit = req.checked_limit()?;
        let (snapshot, last) = self.resume(req, kind, &scope, now).await?;
        query.visible_only = true;
        query.max_id = Some(PostId::new(snapshot.max_post));
        query.after = match last {
            None => None,
            Some(SortKey::Time { at, id }) => Some((at, id)),
            Some(SortKey::Score { .. }) => {
                return Err(Error::InvalidCursor {
                    reason: "bad position",
                });
            }
        };
        query.limit = Some(limit + 1);
        let mut posts = self.store.query_posts(&query).await?;
        let more = posts.len() > limit;
        posts.truncate(limit);
        let next = posts.last().filter(|_| more).map(|p| Cursor {
            kind,
            scope,
            snapshot,
            last: SortKey::Time {
                at: p.created_at,
                id: p.id,
            },
        });
        Ok(Page {
            items: self.views(&posts, viewer).await?,
            next,
            pinned: None,
        })
    }

    /// A page of a ranked feed: every post `query` selects at the snapshot,
    /// scored with its reactions at the snapshot, in [`ranked_order`].
    #[allow(clippy::too_many_arguments)]
    async fn ranked_page(
        &self,
        kind: FeedKind,
        scope: String,
        query: impl FnOnce(Snapshot) -> PostQuery,
        score: impl Fn(&Post, Reactions, &Snapshot) -> f64,
        viewer: Option<UserId>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        let limit = req.checked_limit()?;
        let (snapshot, last) = self.resume(req, kind, &scope, now).await?;
        let last = match last {
            None => None,
            Some(SortKey::Score { score, id }) => Some((score, id)),
            Some(SortKey::Time { .. }) => {
                return Err(Error::InvalidCursor {
                    reason: "bad position",
                });
            }
        };
        let mut query = query(snapshot);
        query.visible_only = true;
        query.max_id = Some(PostId::new(snapshot.max_post));
        query.after = None;
        query.limit = None;
        let posts = self.store.query_posts(&query).await?;
        let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
        let reactions = self.store.reactions(&ids, snapshot.event_seq).await?;
        let mut ranked: Vec<(f64, PostId, usize)> = posts
            .iter()
            .zip(reactions)
            .enumerate()
            .map(|(i, (p, r))| (score(p, r, &snapshot), p.id, i))
            .filter(|(s, id, _)| {
                last.is_none_or(|l| ranked_order(&l, &(*s, *id)) == Ordering::Less)
            })
            .collect();
        let cmp = |a: &(f64, PostId, usize), b: &(f64, PostId, usize)| {
            ranked_order(&(a.0, a.1), &(b.0, b.1))
        };
        if ranked.len() > limit + 1 {
            ranked.select_nth_unstable_by(limit, cmp);
            ranked.truncate(limit + 1);
        }
        ranked.sort_by(cmp);
        let more = ranked.len() > limit;
        ranked.truncate(limit);
        let next = ranked.last().filter(|_| more).map(|(score, id, _)| Cursor {
            kind,
            scope,
            snapshot,
            last: SortKey::Score {
                score: *score,
                id: *id,
            },
        });
        let page: Vec<Post> = ranked.iter().map(|(_, _, i)| posts[*i].clone()).collect();
        Ok(Page {
            items: self.views(&page, viewer).await?,
            next,
            pinned: None,
        })
    }

    /// Every visible top-level post, newest first, anonymous ones shown as
    /// anonymous. The first page carries the pinned welcome message.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad limit; [`Error::InvalidCursor`].
    pub async fn public_feed(
        &self,
        viewer: Option<UserId>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        let mut query = PostQuery::new(Scope::All);
        query.level = Level::TopLevel;
        let mut page = self
            .time_page(FeedKind::Public, "-".to_owned(), query, viewer, req, now)
            .await?;
        if req.cursor.is_none() {
            page.pinned = Some(welcome());
        }
        Ok(page)
    }

    /// Top-level posts of the members the viewer follows, newest first.
    /// Anonymous posts are never in it: they would point at their author.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown viewer; as [`Community::public_feed`].
    pub async fn following_feed(
        &self,
        viewer: UserId,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        self.user_required(viewer).await?;
        let mut query = PostQuery::new(Scope::Authors(self.store.following(viewer).await?));
        query.level = Level::TopLevel;
        query.include_anonymous = false;
        self.time_page(
            FeedKind::Following,
            viewer.to_string(),
            query,
            Some(viewer),
            req,
            now,
        )
        .await
    }

    /// Top-level posts that tag a ticker, newest first.
    ///
    /// # Errors
    /// As [`Community::public_feed`].
    pub async fn symbol_feed(
        &self,
        symbol: &Symbol,
        viewer: Option<UserId>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        let mut query = PostQuery::new(Scope::Symbol(symbol.clone()));
        query.level = Level::TopLevel;
        self.time_page(
            FeedKind::Symbol,
            symbol.to_string(),
            query,
            viewer,
            req,
            now,
        )
        .await
    }

    /// One member's top-level posts, newest first. Their anonymous posts are
    /// included only when the member views their own feed.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown member; as [`Community::public_feed`].
    pub async fn author_feed(
        &self,
        author: UserId,
        viewer: Option<UserId>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        self.user_required(author).await?;
        let mut query = PostQuery::new(Scope::Authors(vec![author]));
        query.level = Level::TopLevel;
        query.include_anonymous = viewer == Some(author);
        self.time_page(
            FeedKind::Author,
            author.to_string(),
            query,
            viewer,
            req,
            now,
        )
        .await
    }

    /// Top-level posts of the last [`crate::Config::trending_window`] before the
    /// snapshot, by [`crate::Config::trending_rank`] with the likes each had
    /// at the snapshot; ties go to the newer post id.
    ///
    /// # Errors
    /// As [`Community::public_feed`].
    pub async fn trending_feed(
        &self,
        viewer: Option<UserId>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        let window = self.config.trending_window;
        let formula = self.config.trending_rank;
        let query = |snapshot: Snapshot| {
            let mut q = PostQuery::new(Scope::All);
            q.level = Level::TopLevel;
            // A cursor is user input: its time may sit at the edge of the calendar.
            q.since = Some(
                snapshot
                    .as_of
                    .checked_sub_signed(window)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC),
            );
            q.until = Some(snapshot.as_of);
            q
        };
        let score = move |p: &Post, r: Reactions, s: &Snapshot| match formula {
            RankFormula::RedditHot => reddit_hot(u64::from(r.likes), 0, p.created_at),
            RankFormula::HackerNews { gravity } => {
                hacker_news(u64::from(r.likes) + 1, s.as_of - p.created_at, gravity)
            }
        };
        self.ranked_page(
            FeedKind::Trending,
            "-".to_owned(),
            query,
            score,
            viewer,
            req,
            now,
        )
        .await
    }

    /// The comments of a visible post (or of the viewer's own hidden one), in
    /// the order asked for.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing or invisible post, or a comment;
    /// as [`Community::public_feed`].
    pub async fn comments(
        &self,
        post: PostId,
        order: CommentOrder,
        viewer: Option<UserId>,
        req: &PageRequest,
        now: DateTime<Utc>,
    ) -> Result<Page<PostView>> {
        let root = self.readable_post(post, viewer).await?;
        if root.thread.is_some() {
            return Err(Error::not_found(Entity::Post, post));
        }
        let base = move |_: Snapshot| {
            let mut q = PostQuery::new(Scope::Thread(post));
            q.level = Level::Comments;
            q.order = Order::OldestFirst;
            q
        };
        match order {
            CommentOrder::Oldest => {
                let query = base(self.snapshot(now).await?);
                self.time_page(
                    FeedKind::Comments,
                    post.to_string(),
                    query,
                    viewer,
                    req,
                    now,
                )
                .await
            }
            CommentOrder::Best => {
                let score = |_: &Post, r: Reactions, _: &Snapshot| {
                    wilson_lower_bound(u64::from(r.likes), u64::from(r.flags), WILSON_Z_80)
                };
                self.ranked_page(
                    FeedKind::BestComments,
                    post.to_string(),
                    base,
                    score,
                    viewer,
                    req,
                    now,
                )
                .await
            }
        }
    }
}

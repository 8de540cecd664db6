//! [`MemoryStore`]: the in-memory [`Store`].

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::ops::Bound;

use auravest_core::Symbol;
use chrono::{DateTime, Utc};

use crate::error::Entity;
use crate::ids::{AuditId, NotificationId, PostId, UserId};
use crate::model::{
    AccountStatus, NewPost, NewUser, OptIn, Post, PostStatus, PrivacySettings, User,
};
use crate::moderation::{AuditEvent, Flag, NewAuditEvent, NewFlag};
use crate::notification::{NewNotification, Notification};
use crate::store::{Order, PostQuery, Reactions, Scope, Store};
use crate::{Error, Result};

type Key = (DateTime<Utc>, PostId);

#[derive(Debug, Clone)]
struct LikeRecord {
    user: UserId,
    liked: u64,
    unliked: Option<u64>,
}

/// A [`Store`] in memory, with time-ordered indexes by author, ticker and
/// thread. For tests, examples, wasm and single-process apps.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    users: Vec<User>,
    alias_index: HashMap<String, UserId>,
    posts: Vec<Post>,
    by_time: BTreeSet<Key>,
    by_author: HashMap<UserId, BTreeSet<Key>>,
    by_symbol: HashMap<Symbol, BTreeSet<Key>>,
    by_thread: HashMap<PostId, BTreeSet<Key>>,
    likes: HashMap<PostId, Vec<LikeRecord>>,
    active_likes: HashSet<(PostId, UserId)>,
    flags: HashMap<PostId, Vec<Flag>>,
    event_seq: u64,
    following: HashMap<UserId, BTreeSet<UserId>>,
    followers: HashMap<UserId, BTreeSet<UserId>>,
    notifications: Vec<Notification>,
    inbox: HashMap<UserId, Vec<usize>>,
    audit: Vec<AuditEvent>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn next_event(&mut self) -> u64 {
        self.event_seq += 1;
        self.event_seq
    }

    fn post_index(&self, id: PostId) -> Option<usize> {
        let i = usize::try_from(id.get()).ok()?.checked_sub(1)?;
        (i < self.posts.len()).then_some(i)
    }

    fn user_index(&self, id: UserId) -> Option<usize> {
        let i = usize::try_from(id.get()).ok()?.checked_sub(1)?;
        (i < self.users.len()).then_some(i)
    }
}

/// Whether the bounds leave nothing between them (and would make `range` panic).
fn is_empty_range(lo: &Bound<Key>, hi: &Bound<Key>) -> bool {
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
            a >= b
        }
        _ => false,
    }
}

/// The tighter of two lower bounds.
fn max_lower(a: Bound<Key>, b: Bound<Key>) -> Bound<Key> {
    match (a, b) {
        (Bound::Unbounded, other) | (other, Bound::Unbounded) => other,
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.max(y)),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.max(y)),
        (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
            if i > e {
                Bound::Included(i)
            } else {
                Bound::Excluded(e)
            }
        }
    }
}

/// The tighter of two upper bounds.
fn min_upper(a: Bound<Key>, b: Bound<Key>) -> Bound<Key> {
    match (a, b) {
        (Bound::Unbounded, other) | (other, Bound::Unbounded) => other,
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.min(y)),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.min(y)),
        (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
            if i < e {
                Bound::Included(i)
            } else {
                Bound::Excluded(e)
            }
        }
    }
}

fn ranged<'a>(
    set: &'a BTreeSet<Key>,
    lo: Bound<Key>,
    hi: Bound<Key>,
    order: Order,
) -> Box<dyn Iterator<Item = Key> + 'a> {
    if is_empty_range(&lo, &hi) {
        return Box::new(std::iter::empty());
    }
    let range = set.range((lo, hi)).copied();
    match order {
        Order::NewestFirst => Box::new(range.rev()),
        Order::OldestFirst => Box::new(range),
    }
}

/// Merges iterators that are each sorted in `order` into one sorted iterator.
fn merge<'a>(
    mut sources: Vec<Box<dyn Iterator<Item = Key> + 'a>>,
    order: Order,
) -> Box<dyn Iterator<Item = Key> + 'a> {
    if sources.len() == 1 {
        return sources
            .pop()
            .unwrap_or_else(|| Box::new(std::iter::empty()));
    }
    match order {
        Order::NewestFirst => {
            let mut heap: BinaryHeap<(Key, usize)> = BinaryHeap::new();
            for (i, s) in sources.iter_mut().enumerate() {
                if let Some(k) = s.next() {
                    heap.push((k, i));
                }
            }
            Box::new(std::iter::from_fn(move || {
                let (k, i) = heap.pop()?;
                if let Some(next) = sources[i].next() {
                    heap.push((next, i));
                }
                Some(k)
            }))
        }
        Order::OldestFirst => {
            let mut heap: BinaryHeap<Reverse<(Key, usize)>> = BinaryHeap::new();
            for (i, s) in sources.iter_mut().enumerate() {
                if let Some(k) = s.next() {
                    heap.push(Reverse((k, i)));
                }
            }
            Box::new(std::iter::from_fn(move || {
                let Reverse((k, i)) = heap.pop()?;
                if let Some(next) = sources[i].next() {
                    heap.push(Reverse((next, i)));
                }
                Some(k)
            }))
        }
    }
}

impl Store for MemoryStore {
    async fn insert_user(&mut self, user: NewUser) -> Result<User> {
        let key = user.alias.key();
        if self.alias_index.contains_key(&key) {
            return Err(Error::AliasTaken {
                alias: user.alias.to_string(),
            });
        }
        let id = UserId::new(self.users.len() as u64 + 1);
        let record = User {
            id,
            alias: user.alias,
            role: user.role,
            status: AccountStatus::Active,
            settings: PrivacySettings::default(),
            joined_at: user.joined_at,
            alias_changed_at: None,
            holdings: Vec::new(),
            returns: Vec::new(),
            warnings: 0,
        };
        self.alias_index.insert(key, id);
        self.users.push(record.clone());
        Ok(record)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.user_index(id).map(|i| self.users[i].clone()))
    }

    async fn user_by_alias(&self, alias: &str) -> Result<Option<User>> {
        Ok(self
            .alias_index
            .get(&alias.to_ascii_lowercase())
            .and_then(|id| self.user_index(*id))
            .map(|i| self.users[i].clone()))
    }

    async fn update_user(&mut self, user: &User) -> Result<()> {
        let i = self
            .user_index(user.id)
            .ok_or_else(|| Error::not_found(Entity::User, user.id))?;
        let old_key = self.users[i].alias.key();
        let new_key = user.alias.key();
        if old_key != new_key {
            if self.alias_index.contains_key(&new_key) {
                return Err(Error::AliasTaken {
                    alias: user.alias.to_string(),
                });
            }
            self.alias_index.remove(&old_key);
            self.alias_index.insert(new_key, user.id);
        }
        self.users[i] = user.clone();
        Ok(())
    }

    async fn opted_in_users(&self, opt_in: OptIn) -> Result<Vec<User>> {
        Ok(self
            .users
            .iter()
            .filter(|u| match opt_in {
                OptIn::Performance => u.settings.share_performance,
                OptIn::Holdings => u.settings.count_holdings_in_aggregates,
            })
            .cloned()
            .collect())
    }

    async fn insert_post(&mut self, post: NewPost) -> Result<Post> {
        let id = PostId::new(self.posts.len() as u64 + 1);
        let key = (post.created_at, id);
        let record = Post {
            id,
            author: post.author,
            anonymous: post.anonymous,
            thread: post.thread,
            reply_to: post.reply_to,
            text: post.text,
            sentiment: post.sentiment,
            cashtags: post.cashtags,
            mentions: post.mentions,
            links: post.links,
            performance: post.performance,
            created_at: post.created_at,
            status: PostStatus::Visible,
            helpful: false,
        };
        self.by_time.insert(key);
        self.by_author.entry(record.author).or_default().insert(key);
        for symbol in &record.cashtags {
            self.by_symbol
                .entry(symbol.clone())
                .or_default()
                .insert(key);
        }
        if let Some(thread) = record.thread {
            self.by_thread.entry(thread).or_default().insert(key);
        }
        self.posts.push(record.clone());
        Ok(record)
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>> {
        Ok(self.post_index(id).map(|i| self.posts[i].clone()))
    }

    async fn update_post(&mut self, post: &Post) -> Result<()> {
        let i = self
            .post_index(post.id)
            .ok_or_else(|| Error::not_found(Entity::Post, post.id))?;
        self.posts[i].status = post.status;
        self.posts[i].helpful = post.helpful;
        Ok(())
    }

    async fn last_post_id(&self) -> Result<Option<PostId>> {
        Ok(self.posts.last().map(|p| p.id))
    }

    async fn query_posts(&self, query: &PostQuery) -> Result<Vec<Post>> {
        let empty = BTreeSet::new();
        let sets: Vec<&BTreeSet<Key>> = match &query.scope {
            Scope::All => vec![&self.by_time],
            Scope::Authors(ids) => {
                let distinct: BTreeSet<UserId> = ids.iter().copied().collect();
                distinct
                    .iter()
                    .filter_map(|id| self.by_author.get(id))
                    .collect()
            }
            Scope::Symbol(symbol) => vec![self.by_symbol.get(symbol).unwrap_or(&empty)],
            Scope::Thread(thread) => vec![self.by_thread.get(thread).unwrap_or(&empty)],
        };
        let mut lo = query
            .since
            .map_or(Bound::Unbounded, |s| Bound::Included((s, PostId::new(0))));
        let mut hi = query.until.map_or(Bound::Unbounded, |u| {
            Bound::Included((u, PostId::new(u64::MAX)))
        });
        if let Some(after) = query.after {
            match query.order {
                Order::NewestFirst => hi = min_upper(hi, Bound::Excluded(after)),
                Order::OldestFirst => lo = max_lower(lo, Bound::Excluded(after)),
            }
        }
        let sources = sets
            .into_iter()
            .map(|set| ranged(set, lo, hi, query.order))
            .collect();
        let limit = query.limit.unwrap_or(usize::MAX);
        Ok(merge(sources, query.order)
            .filter_map(|(_, id)| self.post_index(id).map(|i| &self.posts[i]))
            .filter(|p| query.admits(p))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn comment_counts(&self, posts: &[PostId]) -> Result<Vec<u32>> {
        Ok(posts
            .iter()
            .map(|p| {
                self.by_thread.get(p).map_or(0, |set| {
                    let n = set
                        .iter()
                        .filter(|(_, id)| {
                            self.post_index(*id)
                                .is_some_and(|i| self.posts[i].status == PostStatus::Visible)
                        })
                        .count();
                    u32::try_from(n).unwrap_or(u32::MAX)
                })
            })
            .collect())
    }

    async fn event_seq(&self) -> Result<u64> {
        Ok(self.event_seq)
    }

    async fn insert_like(&mut self, post: PostId, user: UserId) -> Result<bool> {
        if !self.active_likes.insert((post, user)) {
            return Ok(false);
        }
        let seq = self.next_event();
        self.likes.entry(post).or_default().push(LikeRecord {
            user,
            liked: seq,
            unliked: None,
        });
        Ok(true)
    }

    async fn remove_like(&mut self, post: PostId, user: UserId) -> Result<bool> {
        if !self.active_likes.remove(&(post, user)) {
            return Ok(false);
        }
        let seq = self.next_event();
        if let Some(record) = self.likes.get_mut(&post).and_then(|records| {
            records
                .iter_mut()
                .rev()
                .find(|r| r.user == user && r.unliked.is_none())
        }) {
            record.unliked = Some(seq);
        }
        Ok(true)
    }

    async fn liked_posts(&self, user: UserId) -> Result<Vec<PostId>> {
        let mut out: Vec<PostId> = self
            .active_likes
            .iter()
            .filter(|(_, u)| *u == user)
            .map(|(p, _)| *p)
            .collect();
        out.sort();
        Ok(out)
    }

    async fn likes_of(&self, user: UserId, posts: &[PostId]) -> Result<Vec<bool>> {
        Ok(posts
            .iter()
            .map(|p| self.active_likes.contains(&(*p, user)))
            .collect())
    }

    async fn reactions(&self, posts: &[PostId], at_seq: u64) -> Result<Vec<Reactions>> {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(posts
            .iter()
            .map(|p| Reactions {
                likes: count(self.likes.get(p).map_or(0, |records| {
                    records
                        .iter()
                        .filter(|r| r.liked <= at_seq && r.unliked.is_none_or(|u| u > at_seq))
                        .count()
                })),
                flags: count(self.flags.get(p).map_or(0, |flags| {
                    flags
                        .iter()
                        .filter(|f| f.seq <= at_seq && f.reviewed_seq.is_none_or(|r| r > at_seq))
                        .count()
                })),
            })
            .collect())
    }

    async fn insert_flag(&mut self, flag: NewFlag) -> Result<bool> {
        let open = self.flags.get(&flag.post).is_some_and(|flags| {
            flags
                .iter()
                .any(|f| f.reporter == flag.reporter && f.reviewed_seq.is_none())
        });
        if open {
            return Ok(false);
        }
        let seq = self.next_event();
        self.flags.entry(flag.post).or_default().push(Flag {
            post: flag.post,
            reporter: flag.reporter,
            reason: flag.reason,
            at: flag.at,
            seq,
            reviewed_seq: None,
        });
        Ok(true)
    }

    async fn flags(&self, post: PostId) -> Result<Vec<Flag>> {
        Ok(self.flags.get(&post).cloned().unwrap_or_default())
    }

    async fn flags_by(&self, reporter: UserId) -> Result<Vec<Flag>> {
        let mut out: Vec<Flag> = self
            .flags
            .values()
            .flatten()
            .filter(|f| f.reporter == reporter)
            .cloned()
            .collect();
        out.sort_by_key(|f| (f.seq, f.post));
        Ok(out)
    }

    async fn open_flags(&self) -> Result<Vec<Flag>> {
        let mut open: Vec<Flag> = self
            .flags
            .values()
            .flatten()
            .filter(|f| f.reviewed_seq.is_none())
            .cloned()
            .collect();
        open.sort_by_key(|f| f.seq);
        Ok(open)
    }

    async fn review_flags(&mut self, post: PostId) -> Result<usize> {
        let has_open = self
            .flags
            .get(&post)
            .is_some_and(|flags| flags.iter().any(|f| f.reviewed_seq.is_none()));
        if !has_open {
            return Ok(0);
        }
        let seq = self.next_event();
        let mut closed = 0;
        for f in self.flags.get_mut(&post).into_iter().flatten() {
            if f.reviewed_seq.is_none() {
                f.reviewed_seq = Some(seq);
                closed += 1;
            }
        }
        Ok(closed)
    }

    async fn insert_follow(
        &mut self,
        follower: UserId,
        followee: UserId,
        _at: DateTime<Utc>,
    ) -> Result<bool> {
        if !self.following.entry(follower).or_default().insert(followee) {
            return Ok(false);
        }
        self.followers.entry(followee).or_default().insert(follower);
        Ok(true)
    }

    async fn remove_follow(&mut self, follower: UserId, followee: UserId) -> Result<bool> {
        if !self
            .following
            .get_mut(&follower)
            .is_some_and(|set| set.remove(&followee))
        {
            return Ok(false);
        }
        if let Some(set) = self.followers.get_mut(&followee) {
            set.remove(&follower);
        }
        Ok(true)
    }

    async fn following(&self, user: UserId) -> Result<Vec<UserId>> {
        Ok(self
            .following
            .get(&user)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default())
    }

    async fn followers(&self, user: UserId) -> Result<Vec<UserId>> {
        Ok(self
            .followers
            .get(&user)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default())
    }

    async fn insert_notification(&mut self, notification: NewNotification) -> Result<Notification> {
        let record = Notification {
            id: NotificationId::new(self.notifications.len() as u64 + 1),
            recipient: notification.recipient,
            kind: notification.kind,
            actor: notification.actor,
            created_at: notification.created_at,
            read: false,
        };
        self.inbox
            .entry(record.recipient)
            .or_default()
            .push(self.notifications.len());
        self.notifications.push(record.clone());
        Ok(record)
    }

    async fn notifications(
        &self,
        recipient: UserId,
        unread_only: bool,
    ) -> Result<Vec<Notification>> {
        Ok(self
            .inbox
            .get(&recipient)
            .into_iter()
            .flatten()
            .rev()
            .map(|i| &self.notifications[*i])
            .filter(|n| !unread_only || !n.read)
            .cloned()
            .collect())
    }

    async fn mark_read(&mut self, recipient: UserId, ids: &[NotificationId]) -> Result<usize> {
        let mut changed = 0;
        for id in ids {
            let Some(i) = usize::try_from(id.get())
                .ok()
                .and_then(|i| i.checked_sub(1))
            else {
                continue;
            };
            if let Some(n) = self.notifications.get_mut(i)
                && n.recipient == recipient
                && !n.read
            {
                n.read = true;
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn insert_audit(&mut self, event: NewAuditEvent) -> Result<AuditEvent> {
        let record = AuditEvent {
            id: AuditId::new(self.audit.len() as u64 + 1),
            at: event.at,
            actor: event.actor,
            action: event.action,
            reason: event.reason,
        };
        self.audit.push(record.clone());
        Ok(record)
    }

    async fn audit_events(&self) -> Result<Vec<AuditEvent>> {
        Ok(self.audit.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(secs: i64, id: u64) -> Key {
        (DateTime::from_timestamp(secs, 0).unwrap(), PostId::new(id))
    }

    #[test]
    fn bounds_combine_and_empty_ranges_are_caught() {
        assert_eq!(
            max_lower(Bound::Included(k(1, 1)), Bound::Excluded(k(1, 1))),
            Bound::Excluded(k(1, 1))
        );
        assert_eq!(
            min_upper(Bound::Included(k(1, 1)), Bound::Excluded(k(1, 1))),
            Bound::Excluded(k(1, 1))
        );
        assert_eq!(
            max_lower(Bound::Unbounded, Bound::Included(k(2, 0))),
            Bound::Included(k(2, 0))
        );
        assert!(is_empty_range(
            &Bound::Included(k(2, 0)),
            &Bound::Excluded(k(2, 0))
        ));
        assert!(is_empty_range(
            &Bound::Included(k(3, 0)),
            &Bound::Included(k(2, 0))
        ));
        assert!(!is_empty_range(
            &Bound::Included(k(2, 0)),
            &Bound::Included(k(2, 0))
        ));
        let set: BTreeSet<Key> = [k(1, 1), k(2, 2)].into_iter().collect();
        assert_eq!(
            ranged(
                &set,
                Bound::Excluded(k(2, 2)),
                Bound::Excluded(k(2, 2)),
                Order::NewestFirst
            )
            .count(),
            0
        );
    }

    #[test]
    fn merge_interleaves_sorted_sources() {
        let a: Vec<Key> = vec![k(5, 5), k(3, 3), k(1, 1)];
        let b: Vec<Key> = vec![k(4, 4), k(2, 2)];
        let merged: Vec<u64> = merge(
            vec![Box::new(a.into_iter()), Box::new(b.into_iter())],
            Order::NewestFirst,
        )
        .map(|(_, id)| id.get())
        .collect();
        assert_eq!(merged, [5, 4, 3, 2, 1]);
    }
}

//! The store conformance suite: checks any [`Store`] against the contract
//! the rules rely on. Each function takes a fresh, empty store and panics on
//! the first broken promise. The checks are `async`: run them on whatever
//! executor the store needs (a SQL store, its database driver's runtime).
//!
//! [`crate::store_conformance_tests!`] writes one test per check, with the
//! test attribute of your choice:
//!
//! ```
//! mod memory_store {
//!     auravest_social::store_conformance_tests!(#[tokio::test] auravest_social::MemoryStore::new);
//! }
//! # fn main() {}
//! ```

use auravest_core::Symbol;
use chrono::{DateTime, Utc};

use crate::Error;
use crate::alias::AliasPolicy;
use crate::ids::{NotificationId, PostId, UserId};
use crate::model::{NewPost, NewUser, OptIn, Post, PostStatus, Sentiment};
use crate::moderation::{AuditAction, FlagReason, NewAuditEvent, NewFlag, Role};
use crate::notification::{NewNotification, NotificationKind};
use crate::store::{Level, Order, PostQuery, Scope, Store};

/// Every check of the suite, by name: what [`crate::store_conformance_tests!`]
/// writes a test for, and what a store run by hand should cover.
pub const CHECKS: [&str; 9] = [
    "users",
    "posts",
    "query_order_and_keyset",
    "query_filters",
    "likes",
    "flags",
    "follows",
    "notifications",
    "audit",
];

/// Runs one conformance check per test against stores made by `$make` (any
/// expression that can be called with no arguments and returns a fresh
/// store), each test an `async fn` under the test attribute given first
/// (`#[tokio::test]`, say). Needs the `testing` feature.
#[macro_export]
macro_rules! store_conformance_tests {
    (#[$test:meta] $make:expr) => {
        $crate::store_conformance_tests!(@each #[$test] $make;
            store_users => users,
            store_posts => posts,
            store_query_order_and_keyset => query_order_and_keyset,
            store_query_filters => query_filters,
            store_likes => likes,
            store_flags => flags,
            store_follows => follows,
            store_notifications => notifications,
            store_audit => audit,
        );
    };
    (@each #[$test:meta] $make:expr; $($name:ident => $check:ident,)+) => {
        $(
            #[$test]
            async fn $name() {
                $crate::conformance::$check(($make)()).await;
            }
        )+
    };
}

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).expect("valid time")
}

async fn user<S: Store>(store: &mut S, alias: &str) -> UserId {
    let alias = AliasPolicy::default().check(alias).expect("valid alias");
    store
        .insert_user(NewUser {
            alias,
            role: Role::User,
            joined_at: t(0),
        })
        .await
        .expect("insert user")
        .id
}

async fn post<S: Store>(
    store: &mut S,
    author: UserId,
    secs: i64,
    f: impl FnOnce(&mut NewPost),
) -> Post {
    let mut new = NewPost {
        author,
        anonymous: false,
        thread: None,
        reply_to: None,
        text: format!("post at {secs}"),
        sentiment: None,
        cashtags: Vec::new(),
        mentions: Vec::new(),
        links: Vec::new(),
        performance: None,
        created_at: t(secs),
    };
    f(&mut new);
    store.insert_post(new).await.expect("insert post")
}

fn ids(posts: &[Post]) -> Vec<u64> {
    posts.iter().map(|p| p.id.get()).collect()
}

/// Members: ids from 1, lookups by id and by alias without case, alias
/// uniqueness on insert and update, updates, opt-in queries.
pub async fn users<S: Store>(mut store: S) {
    let a = user(&mut store, "Alpha_One").await;
    let b = user(&mut store, "BetaTwo").await;
    assert_eq!((a.get(), b.get()), (1, 2), "ids count up from 1");
    let alpha = store.user(a).await.unwrap().expect("stored");
    assert_eq!(alpha.alias.as_str(), "Alpha_One");
    assert_eq!(alpha.role, Role::User);
    assert_eq!(
        alpha.settings,
        crate::PrivacySettings::default(),
        "settings default to off"
    );
    assert!(alpha.holdings.is_empty() && alpha.returns.is_empty() && alpha.warnings == 0);
    assert_eq!(
        store
            .user_by_alias("alpha_one")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(a)
    );
    assert_eq!(
        store
            .user_by_alias("ALPHA_ONE")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(a)
    );
    assert!(store.user(UserId::new(99)).await.unwrap().is_none());
    assert!(store.user_by_alias("Nobody_Here").await.unwrap().is_none());

    let dup = AliasPolicy::default().check("betatwo").unwrap();
    let err = store
        .insert_user(NewUser {
            alias: dup.clone(),
            role: Role::User,
            joined_at: t(0),
        })
        .await;
    assert!(matches!(err, Err(Error::AliasTaken { .. })), "{err:?}");

    let mut changed = alpha;
    changed.alias = dup;
    assert!(matches!(
        store.update_user(&changed).await,
        Err(Error::AliasTaken { .. })
    ));
    changed.alias = AliasPolicy::default().check("GammaThree").unwrap();
    changed.settings.share_performance = true;
    changed.holdings = vec![Symbol::new("AAPL").unwrap()];
    store.update_user(&changed).await.unwrap();
    assert_eq!(store.user(a).await.unwrap().as_ref(), Some(&changed));
    assert!(
        store.user_by_alias("Alpha_One").await.unwrap().is_none(),
        "the old alias is free"
    );
    assert_eq!(
        store
            .user_by_alias("gammathree")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(a)
    );
    // A change of case only is the same member's alias.
    changed.alias = AliasPolicy::default().check("GAMMATHREE").unwrap();
    store.update_user(&changed).await.unwrap();
    let reused = AliasPolicy::default().check("Alpha_One").unwrap();
    assert!(
        store
            .insert_user(NewUser {
                alias: reused,
                role: Role::User,
                joined_at: t(1)
            })
            .await
            .is_ok()
    );

    let mut ghost = changed.clone();
    ghost.id = UserId::new(99);
    assert!(matches!(
        store.update_user(&ghost).await,
        Err(Error::NotFound { .. })
    ));

    let perf: Vec<UserId> = store
        .opted_in_users(OptIn::Performance)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(perf, [a]);
    assert!(
        store
            .opted_in_users(OptIn::Holdings)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Posts: ids from 1, every field stored, only status and helpful updated.
pub async fn posts<S: Store>(mut store: S) {
    assert_eq!(store.last_post_id().await.unwrap(), None);
    let a = user(&mut store, "Author_A").await;
    let first = post(&mut store, a, 10, |p| {
        p.anonymous = true;
        p.text = "$AAPL *up* @Someone https://x.org".to_owned();
        p.sentiment = Some(Sentiment::Bullish);
        p.cashtags = vec![Symbol::new("AAPL").unwrap()];
        p.mentions = vec![UserId::new(7)];
        p.links = vec!["https://x.org".to_owned()];
    })
    .await;
    assert_eq!(first.id, PostId::new(1));
    assert_eq!(first.status, PostStatus::Visible);
    assert!(!first.helpful);
    let second = post(&mut store, a, 5, |p| {
        p.thread = Some(first.id);
        p.reply_to = Some(first.id);
    })
    .await;
    assert_eq!(second.id, PostId::new(2), "ids follow insertion, not time");
    assert_eq!(store.last_post_id().await.unwrap(), Some(second.id));
    assert_eq!(store.post(first.id).await.unwrap().as_ref(), Some(&first));
    assert_eq!(store.post(second.id).await.unwrap().as_ref(), Some(&second));
    assert!(store.post(PostId::new(3)).await.unwrap().is_none());

    let mut edited = second.clone();
    edited.status = PostStatus::Hidden;
    edited.helpful = true;
    edited.text = "rewritten".to_owned();
    store.update_post(&edited).await.unwrap();
    let stored = store.post(second.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.helpful), (PostStatus::Hidden, true));
    assert_eq!(stored.text, second.text, "text never changes");
    let mut ghost = edited;
    ghost.id = PostId::new(50);
    assert!(matches!(
        store.update_post(&ghost).await,
        Err(Error::NotFound { .. })
    ));

    assert_eq!(
        store
            .comment_counts(&[first.id, second.id, PostId::new(9)])
            .await
            .unwrap(),
        [0, 0, 0],
        "hidden comments are not counted"
    );
    let mut visible = stored;
    visible.status = PostStatus::Visible;
    store.update_post(&visible).await.unwrap();
    assert_eq!(store.comment_counts(&[first.id]).await.unwrap(), [1]);
}

/// Ordering by `(created_at, id)` both ways, ties broken by id, strict
/// keyset continuation, and the limit.
pub async fn query_order_and_keyset<S: Store>(mut store: S) {
    let a = user(&mut store, "Author_A").await;
    // Times: ids 1..=6 at 30, 10, 20, 20, 40, 10.
    for secs in [30, 10, 20, 20, 40, 10] {
        post(&mut store, a, secs, |_| {}).await;
    }
    let mut q = PostQuery::new(Scope::All);
    assert_eq!(
        ids(&store.query_posts(&q).await.unwrap()),
        [5, 1, 4, 3, 6, 2]
    );
    q.order = Order::OldestFirst;
    assert_eq!(
        ids(&store.query_posts(&q).await.unwrap()),
        [2, 6, 3, 4, 1, 5]
    );
    q.after = Some((t(20), PostId::new(3)));
    assert_eq!(ids(&store.query_posts(&q).await.unwrap()), [4, 1, 5]);
    q.order = Order::NewestFirst;
    assert_eq!(ids(&store.query_posts(&q).await.unwrap()), [6, 2]);
    q.limit = Some(1);
    assert_eq!(ids(&store.query_posts(&q).await.unwrap()), [6]);
    q.limit = Some(0);
    assert!(store.query_posts(&q).await.unwrap().is_empty());
    // Keyset pages cover everything exactly once, both ways.
    for order in [Order::NewestFirst, Order::OldestFirst] {
        let mut q = PostQuery::new(Scope::Authors(vec![a]));
        q.order = order;
        q.limit = Some(2);
        let mut seen = Vec::new();
        loop {
            let page = store.query_posts(&q).await.unwrap();
            let Some(last) = page.last() else { break };
            q.after = Some((last.created_at, last.id));
            seen.extend(ids(&page));
        }
        seen.sort_unstable();
        assert_eq!(seen, [1, 2, 3, 4, 5, 6], "{order:?}");
    }
}

/// Every filter of [`PostQuery`], alone and together.
pub async fn query_filters<S: Store>(mut store: S) {
    let a = user(&mut store, "Author_A").await;
    let b = user(&mut store, "Author_B").await;
    let c = user(&mut store, "Author_C").await;
    let aapl = Symbol::new("AAPL").unwrap();
    let tsla = Symbol::new("TSLA").unwrap();
    let p1 = post(&mut store, a, 10, |p| p.cashtags = vec![aapl.clone()]).await;
    let p2 = post(&mut store, b, 20, |p| {
        p.cashtags = vec![aapl.clone(), tsla.clone()];
        p.anonymous = true;
    })
    .await;
    let p3 = post(&mut store, c, 30, |p| p.thread = Some(p1.id)).await;
    post(&mut store, a, 40, |p| {
        p.thread = Some(p1.id);
        p.cashtags = vec![tsla.clone()];
    })
    .await;
    let p5 = post(&mut store, b, 50, |_| {}).await;
    let mut hidden = p5;
    hidden.status = PostStatus::Removed;
    store.update_post(&hidden).await.unwrap();
    let run = async |q: &PostQuery| ids(&store.query_posts(q).await.unwrap());
    let base = |scope| PostQuery::new(scope);

    assert_eq!(run(&base(Scope::All)).await, [5, 4, 3, 2, 1]);
    assert_eq!(run(&base(Scope::Authors(vec![a]))).await, [4, 1]);
    assert_eq!(
        run(&base(Scope::Authors(vec![b, a, a, UserId::new(77)]))).await,
        [5, 4, 2, 1],
        "duplicates and unknown authors are harmless"
    );
    assert!(run(&base(Scope::Authors(vec![]))).await.is_empty());
    assert_eq!(run(&base(Scope::Symbol(aapl.clone()))).await, [2, 1]);
    assert_eq!(run(&base(Scope::Symbol(tsla.clone()))).await, [4, 2]);
    assert!(
        run(&base(Scope::Symbol(Symbol::new("NONE").unwrap())))
            .await
            .is_empty()
    );
    assert_eq!(run(&base(Scope::Thread(p1.id))).await, [4, 3]);
    assert!(run(&base(Scope::Thread(p2.id))).await.is_empty());

    let mut q = base(Scope::All);
    q.level = Level::TopLevel;
    assert_eq!(run(&q).await, [5, 2, 1]);
    q.level = Level::Comments;
    assert_eq!(run(&q).await, [4, 3]);
    let mut q = base(Scope::All);
    q.visible_only = true;
    assert_eq!(run(&q).await, [4, 3, 2, 1]);
    q.include_anonymous = false;
    assert_eq!(run(&q).await, [4, 3, 1]);
    let mut q = base(Scope::All);
    q.max_id = Some(p3.id);
    assert_eq!(run(&q).await, [3, 2, 1]);
    q.max_id = Some(PostId::new(0));
    assert!(run(&q).await.is_empty());
    let mut q = base(Scope::All);
    q.since = Some(t(20));
    q.until = Some(t(40));
    assert_eq!(run(&q).await, [4, 3, 2], "since and until are inclusive");
    q.since = Some(t(41));
    assert!(
        run(&q).await.is_empty(),
        "since after until selects nothing"
    );
    let mut q = base(Scope::Authors(vec![a, b]));
    q.level = Level::TopLevel;
    q.visible_only = true;
    q.include_anonymous = false;
    q.since = Some(t(0));
    q.order = Order::OldestFirst;
    assert_eq!(run(&q).await, [1]);
}

/// Likes: idempotent, each change one event, counts as of any sequence number.
pub async fn likes<S: Store>(mut store: S) {
    let a = user(&mut store, "Author_A").await;
    let b = user(&mut store, "Author_B").await;
    let p = post(&mut store, a, 1, |_| {}).await.id;
    let q = post(&mut store, a, 2, |_| {}).await.id;
    assert_eq!(store.event_seq().await.unwrap(), 0);
    assert!(store.insert_like(p, b).await.unwrap());
    let after_first = store.event_seq().await.unwrap();
    assert!(after_first > 0);
    assert!(
        !store.insert_like(p, b).await.unwrap(),
        "liking twice changes nothing"
    );
    assert_eq!(
        store.event_seq().await.unwrap(),
        after_first,
        "no event without a change"
    );
    assert!(store.insert_like(p, a).await.unwrap());
    let two = store.event_seq().await.unwrap();
    assert_eq!(store.likes_of(b, &[p, q]).await.unwrap(), [true, false]);
    assert!(store.remove_like(p, b).await.unwrap());
    assert!(!store.remove_like(p, b).await.unwrap());
    assert!(!store.remove_like(q, b).await.unwrap());
    let removed = store.event_seq().await.unwrap();
    assert!(removed > two);
    assert!(
        store.insert_like(p, b).await.unwrap(),
        "a like can be given again"
    );
    let now = store.event_seq().await.unwrap();
    let likes = async |store: &S, at| {
        store
            .reactions(&[p, q], at)
            .await
            .unwrap()
            .iter()
            .map(|r| r.likes)
            .collect::<Vec<_>>()
    };
    assert_eq!(likes(&store, 0).await, [0, 0]);
    assert_eq!(likes(&store, after_first).await, [1, 0]);
    assert_eq!(likes(&store, two).await, [2, 0]);
    assert_eq!(likes(&store, removed).await, [1, 0]);
    assert_eq!(likes(&store, now).await, [2, 0]);
    assert_eq!(store.likes_of(b, &[p]).await.unwrap(), [true]);
    assert!(store.insert_like(q, b).await.unwrap());
    assert_eq!(store.liked_posts(b).await.unwrap(), [p, q]);
    assert!(store.remove_like(p, b).await.unwrap());
    assert_eq!(
        store.liked_posts(b).await.unwrap(),
        [q],
        "withdrawn likes are gone"
    );
    assert_eq!(store.liked_posts(a).await.unwrap(), [p]);
    let c = user(&mut store, "Author_C").await;
    assert!(store.liked_posts(c).await.unwrap().is_empty());
}

/// Flags: one open flag per reporter and post, reviews close them with one
/// event, counts as of any sequence number.
pub async fn flags<S: Store>(mut store: S) {
    let a = user(&mut store, "Author_A").await;
    let b = user(&mut store, "Author_B").await;
    let c = user(&mut store, "Author_C").await;
    let p = post(&mut store, a, 1, |_| {}).await.id;
    let flag = |reporter| NewFlag {
        post: p,
        reporter,
        reason: FlagReason::Spam,
        at: t(5),
    };
    assert!(store.insert_flag(flag(b)).await.unwrap());
    let one = store.event_seq().await.unwrap();
    assert!(
        !store.insert_flag(flag(b)).await.unwrap(),
        "one open flag per reporter"
    );
    assert_eq!(store.event_seq().await.unwrap(), one);
    assert!(
        store
            .insert_flag(NewFlag {
                reason: FlagReason::Other {
                    note: "odd".to_owned()
                },
                ..flag(c)
            })
            .await
            .unwrap()
    );
    let two = store.event_seq().await.unwrap();
    assert_eq!(store.open_flags().await.unwrap().len(), 2);
    assert_eq!(
        store
            .flags(p)
            .await
            .unwrap()
            .iter()
            .map(|f| f.reporter)
            .collect::<Vec<_>>(),
        [b, c]
    );
    assert_eq!(store.review_flags(p).await.unwrap(), 2);
    let reviewed = store.event_seq().await.unwrap();
    assert!(reviewed > two, "a review is one event");
    assert_eq!(store.review_flags(p).await.unwrap(), 0);
    assert_eq!(store.event_seq().await.unwrap(), reviewed);
    assert!(store.open_flags().await.unwrap().is_empty());
    assert!(
        store
            .flags(p)
            .await
            .unwrap()
            .iter()
            .all(|f| f.reviewed_seq == Some(reviewed))
    );
    assert!(
        store.insert_flag(flag(b)).await.unwrap(),
        "after a review a member may flag again"
    );
    let flags = async |store: &S, at| store.reactions(&[p], at).await.unwrap()[0].flags;
    assert_eq!(flags(&store, one).await, 1);
    assert_eq!(flags(&store, two).await, 2);
    assert_eq!(flags(&store, reviewed).await, 0);
    assert_eq!(flags(&store, store.event_seq().await.unwrap()).await, 1);
    assert!(store.flags(PostId::new(99)).await.unwrap().is_empty());
    let by_b = store.flags_by(b).await.unwrap();
    assert_eq!(by_b.len(), 2, "the reviewed flag and the new one");
    assert!(by_b.iter().all(|f| f.reporter == b && f.post == p));
    assert!(by_b[0].seq < by_b[1].seq, "oldest first");
    assert_eq!(by_b[0].reviewed_seq, Some(reviewed));
    assert_eq!(by_b[1].reviewed_seq, None);
    assert_eq!(store.flags_by(c).await.unwrap().len(), 1);
    assert!(store.flags_by(a).await.unwrap().is_empty());
}

/// Follows: idempotent, both directions listed, removable.
pub async fn follows<S: Store>(mut store: S) {
    let a = user(&mut store, "Author_A").await;
    let b = user(&mut store, "Author_B").await;
    let c = user(&mut store, "Author_C").await;
    assert!(store.insert_follow(a, b, t(1)).await.unwrap());
    assert!(!store.insert_follow(a, b, t(2)).await.unwrap());
    assert!(store.insert_follow(a, c, t(3)).await.unwrap());
    assert!(store.insert_follow(c, b, t(3)).await.unwrap());
    let mut following = store.following(a).await.unwrap();
    following.sort();
    assert_eq!(following, [b, c]);
    let mut followers = store.followers(b).await.unwrap();
    followers.sort();
    assert_eq!(followers, [a, c]);
    assert!(store.remove_follow(a, b).await.unwrap());
    assert!(!store.remove_follow(a, b).await.unwrap());
    assert_eq!(store.following(a).await.unwrap(), [c]);
    assert_eq!(store.followers(b).await.unwrap(), [c]);
    assert!(store.following(b).await.unwrap().is_empty());
}

/// Notifications: ids from 1, newest first, unread filter, marking only the
/// recipient's own.
pub async fn notifications<S: Store>(mut store: S) {
    let a = user(&mut store, "Author_A").await;
    let b = user(&mut store, "Author_B").await;
    let note = |recipient, secs| NewNotification {
        recipient,
        kind: NotificationKind::NewFollower,
        actor: Some(b),
        created_at: t(secs),
    };
    let n1 = store.insert_notification(note(a, 1)).await.unwrap();
    let n2 = store.insert_notification(note(b, 2)).await.unwrap();
    let n3 = store.insert_notification(note(a, 3)).await.unwrap();
    assert_eq!((n1.id.get(), n2.id.get(), n3.id.get()), (1, 2, 3));
    assert!(!n1.read);
    let list = async |store: &S, unread| {
        store
            .notifications(a, unread)
            .await
            .unwrap()
            .iter()
            .map(|n| n.id.get())
            .collect::<Vec<_>>()
    };
    assert_eq!(list(&store, false).await, [3, 1]);
    assert_eq!(
        store
            .mark_read(a, &[n1.id, n2.id, NotificationId::new(40)])
            .await
            .unwrap(),
        1,
        "only the recipient's own"
    );
    assert_eq!(
        store.mark_read(a, &[n1.id]).await.unwrap(),
        0,
        "already read"
    );
    assert_eq!(list(&store, true).await, [3]);
    assert_eq!(list(&store, false).await, [3, 1]);
    assert!(!store.notifications(b, false).await.unwrap()[0].read);
}

/// The audit log: ids from 1, oldest first, stored as given.
pub async fn audit<S: Store>(mut store: S) {
    let a = user(&mut store, "Author_A").await;
    assert!(store.audit_events().await.unwrap().is_empty());
    let first = store
        .insert_audit(NewAuditEvent {
            at: t(1),
            actor: a,
            action: AuditAction::RevealAuthor {
                post: PostId::new(3),
            },
            reason: "abuse report".to_owned(),
        })
        .await
        .unwrap();
    let second = store
        .insert_audit(NewAuditEvent {
            at: t(2),
            actor: a,
            action: AuditAction::AssignRole {
                user: a,
                role: Role::Moderator,
            },
            reason: "trusted".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!((first.id.get(), second.id.get()), (1, 2));
    assert_eq!(store.audit_events().await.unwrap(), [first, second]);
}

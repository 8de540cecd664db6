//! Feeds: contents and order, cursors, and exactly-once walks under
//! interleaved posts, likes, flags and deletions.

use std::collections::{BTreeSet, HashSet};

use auravest_social::ranking::{WILSON_Z_80, reddit_hot, wilson_lower_bound};
use auravest_social::{
    Author, CommentOrder, Community, Config, Cursor, Draft, Error, FeedKind, Page, PageRequest,
    PostId, PostView, Symbol, UserId,
};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use crate::support::{block_on, community, community_with, relaxed, t};

fn ids(page: &Page<PostView>) -> Vec<PostId> {
    page.items.iter().map(|v| v.id).collect()
}

#[tokio::test]
async fn the_public_feed_is_newest_first_with_the_welcome_pinned() {
    let (mut c, u) = community(2).await;
    let a = c.post(u[0], Draft::new("a"), t(10)).await.unwrap();
    let b = c.post(u[1], Draft::new("b"), t(30)).await.unwrap();
    let tie = c
        .post(u[0], Draft::new("same time as b"), t(30))
        .await
        .unwrap();
    let anon = c
        .post(u[1], Draft::new("anonymous one").anonymous(), t(20))
        .await
        .unwrap();
    c.comment(u[0], b, Draft::new("comments stay in their thread"), t(40))
        .await
        .unwrap();
    let first = c
        .public_feed(None, &PageRequest::first(3), t(50))
        .await
        .unwrap();
    assert_eq!(ids(&first), [tie, b, anon], "ties go to the higher id");
    assert_eq!(first.items[2].author, Author::Anonymous);
    assert!(first.pinned.is_some());
    let next = first.next.clone().expect("more");
    assert_eq!(next.kind(), FeedKind::Public);
    let second = c
        .public_feed(None, &PageRequest::after(next, 3), t(50))
        .await
        .unwrap();
    assert_eq!(ids(&second), [a]);
    assert!(second.next.is_none() && second.pinned.is_none());
    // JSON round trip of a page, cursor included.
    let json = serde_json::to_string(&first).unwrap();
    let back: Page<PostView> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.items, first.items);
    assert_eq!(back.next, first.next);
    assert!(json.contains(auravest_social::WELCOME_MESSAGE));
}

#[tokio::test]
async fn page_sizes_are_bounded() {
    let (c, _) = community(1).await;
    for limit in [0, 101] {
        assert!(matches!(
            c.public_feed(None, &PageRequest::first(limit), t(0)).await,
            Err(Error::InvalidInput { field: "limit", .. })
        ));
    }
    assert!(
        c.public_feed(None, &PageRequest::first(100), t(0))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        PageRequest::default().limit,
        auravest_social::DEFAULT_PAGE_SIZE
    );
}

#[tokio::test]
async fn the_following_feed_holds_followed_members_posts_but_never_anonymous_ones() {
    let (mut c, u) = community(4).await;
    assert!(
        c.following_feed(u[0], &PageRequest::first(10), t(0))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    c.follow(u[0], u[1], t(0)).await.unwrap();
    c.follow(u[0], u[2], t(0)).await.unwrap();
    let p1 = c.post(u[1], Draft::new("one"), t(1)).await.unwrap();
    c.post(u[1], Draft::new("anon").anonymous(), t(2))
        .await
        .unwrap();
    let p2 = c.post(u[2], Draft::new("two"), t(3)).await.unwrap();
    c.post(u[3], Draft::new("not followed"), t(4))
        .await
        .unwrap();
    c.comment(u[2], p1, Draft::new("a comment"), t(5))
        .await
        .unwrap();
    let feed = c
        .following_feed(u[0], &PageRequest::first(10), t(6))
        .await
        .unwrap();
    assert_eq!(ids(&feed), [p2, p1]);
    assert!(matches!(
        c.following_feed(UserId::new(99), &PageRequest::first(10), t(6))
            .await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn symbol_and_author_feeds() {
    let (mut c, u) = community(2).await;
    let aapl = Symbol::new("AAPL").unwrap();
    let p1 = c
        .post(u[0], Draft::new("$AAPL earnings"), t(1))
        .await
        .unwrap();
    let p2 = c
        .post(u[1], Draft::new("$aapl and $MSFT").anonymous(), t(2))
        .await
        .unwrap();
    c.post(u[0], Draft::new("$MSFT only"), t(3)).await.unwrap();
    c.comment(u[1], p1, Draft::new("$AAPL in a comment"), t(4))
        .await
        .unwrap();
    assert_eq!(
        ids(&c
            .symbol_feed(&aapl, None, &PageRequest::first(10), t(5))
            .await
            .unwrap()),
        [p2, p1]
    );
    let own = c
        .author_feed(u[1], Some(u[1]), &PageRequest::first(10), t(5))
        .await
        .unwrap();
    assert_eq!(ids(&own), [p2], "members see their own anonymous posts");
    assert!(own.items[0].mine);
    assert!(
        c.author_feed(u[1], Some(u[0]), &PageRequest::first(10), t(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        c.author_feed(u[1], None, &PageRequest::first(10), t(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn cursors_belong_to_their_feed_and_scope() {
    let (mut c, u) = community(3).await;
    c.follow(u[0], u[2], t(0)).await.unwrap();
    c.follow(u[1], u[2], t(0)).await.unwrap();
    for i in 0..3 {
        c.post(u[2], Draft::new(format!("post {i}")), t(i))
            .await
            .unwrap();
    }
    let public = c
        .public_feed(None, &PageRequest::first(1), t(5))
        .await
        .unwrap()
        .next
        .unwrap();
    let following = c
        .following_feed(u[0], &PageRequest::first(1), t(5))
        .await
        .unwrap()
        .next
        .unwrap();
    let trending = c
        .trending_feed(None, &PageRequest::first(1), t(5))
        .await
        .unwrap()
        .next
        .unwrap();
    let wrong_feed = Err(Error::InvalidCursor {
        reason: "the cursor belongs to another feed",
    });
    assert_eq!(
        c.following_feed(u[0], &PageRequest::after(public.clone(), 1), t(5))
            .await
            .map(|p| p.items.len()),
        wrong_feed
    );
    assert_eq!(
        c.following_feed(u[1], &PageRequest::after(following.clone(), 1), t(5))
            .await
            .map(|p| p.items.len()),
        wrong_feed
    );
    assert_eq!(
        c.public_feed(None, &PageRequest::after(trending, 1), t(5))
            .await
            .map(|p| p.items.len()),
        wrong_feed
    );
    let sym = Symbol::new("AAPL").unwrap();
    assert_eq!(
        c.symbol_feed(&sym, None, &PageRequest::after(public, 1), t(5))
            .await
            .map(|p| p.items.len()),
        wrong_feed
    );
    // Cursors survive the trip through text.
    let text = following.to_string();
    let parsed: Cursor = text.parse().unwrap();
    assert_eq!(
        c.following_feed(u[0], &PageRequest::after(parsed, 1), t(5))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    for bad in [
        "",
        "garbage",
        "c1~pub~-~1~2~3.0~t1.0",
        &text.replace("c1~", "c9~"),
    ] {
        assert!(
            matches!(bad.parse::<Cursor>(), Err(Error::InvalidCursor { .. })),
            "{bad}"
        );
    }
    assert!(serde_json::from_str::<Cursor>("\"nope\"").is_err());
    // A forged cursor at the edge of the calendar is harmless.
    let forged: Cursor = format!(
        "c1~trd~-~3~0~{}.0~s0.1",
        DateTime::<Utc>::MIN_UTC.timestamp()
    )
    .parse()
    .unwrap();
    assert!(
        c.trending_feed(None, &PageRequest::after(forged, 5), t(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn a_walk_reads_the_snapshot_of_its_first_page() {
    let (mut c, u) = community(4).await;
    let mut old: Vec<PostId> = Vec::new();
    for i in 0..4 {
        old.push(
            c.post(u[0], Draft::new(format!("old {i}")), t(i))
                .await
                .unwrap(),
        );
    }
    let first = c
        .public_feed(None, &PageRequest::first(2), t(10))
        .await
        .unwrap();
    assert_eq!(ids(&first), [old[3], old[2]]);
    // New posts, even backdated between the pages, and likes do not disturb the walk.
    c.post(u[1], Draft::new("new on top"), t(20)).await.unwrap();
    c.post(u[1], Draft::new("backdated"), t(1)).await.unwrap();
    c.like(u[2], old[0], t(20)).await.unwrap();
    let second = c
        .public_feed(None, &PageRequest::after(first.next.unwrap(), 2), t(30))
        .await
        .unwrap();
    assert_eq!(ids(&second), [old[1], old[0]]);
    assert!(second.next.is_none());
    assert_eq!(second.items[1].likes, 1, "counts shown are current");
    // A new walk sees everything.
    assert_eq!(
        c.public_feed(None, &PageRequest::first(100), t(30))
            .await
            .unwrap()
            .items
            .len(),
        6
    );
}

// ---- Exactly-once walks under interleaved changes (property tests) ----

const USERS: usize = 6;
/// Posts are made at random times in [0, SPAN) seconds; walks start at NOW.
const SPAN: u32 = 100_000;
const NOW: i64 = 100_000;
const WINDOW_HOURS: i64 = 12;

#[derive(Debug, Clone)]
enum Step {
    Post {
        author: usize,
        anonymous: bool,
        tagged: bool,
        at: u32,
    },
    Comment {
        author: usize,
        anonymous: bool,
        at: u32,
    },
    Like {
        user: usize,
        post: usize,
    },
    Unlike {
        user: usize,
        post: usize,
    },
    Flag {
        user: usize,
        post: usize,
    },
    Delete {
        post: usize,
    },
    Page,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..USERS, any::<bool>(), any::<bool>(), 0..SPAN)
            .prop_map(|(author, anonymous, tagged, at)| Step::Post { author, anonymous, tagged, at }),
        2 => (0..USERS, any::<bool>(), 0..SPAN).prop_map(|(author, anonymous, at)| Step::Comment { author, anonymous, at }),
        4 => (0..USERS, any::<usize>()).prop_map(|(user, post)| Step::Like { user, post }),
        1 => (0..USERS, any::<usize>()).prop_map(|(user, post)| Step::Unlike { user, post }),
        1 => (0..USERS, any::<usize>()).prop_map(|(user, post)| Step::Flag { user, post }),
        1 => any::<usize>().prop_map(|post| Step::Delete { post }),
        3 => Just(Step::Page),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Public,
    Following,
    Symbol,
    Author,
    AuthorSelf,
    Trending,
    Comments,
    BestComments,
}

#[derive(Debug, Clone)]
struct Model {
    id: PostId,
    author: usize,
    anonymous: bool,
    tagged: bool,
    comment: bool,
    at: DateTime<Utc>,
    deleted: bool,
}

/// A community and a model of what it holds.
struct World {
    c: Community,
    users: Vec<UserId>,
    posts: Vec<Model>,
    likes: BTreeSet<(usize, usize)>,
    flags: BTreeSet<(usize, usize)>,
    root: usize,
    counter: usize,
}

impl World {
    async fn new() -> Self {
        let config = Config {
            flags_to_hide: u32::MAX,
            trending_window: TimeDelta::hours(WINDOW_HOURS),
            ..relaxed()
        };
        let (mut c, users) = community_with(config, &[], USERS).await;
        // The viewer (member 0) follows members 1, 2 and 3.
        for followee in &users[1..4] {
            c.follow(users[0], *followee, t(0)).await.unwrap();
        }
        let root_id = c
            .post(
                users[5],
                Draft::new("The thread everyone comments on"),
                t(0),
            )
            .await
            .unwrap();
        let root = Model {
            id: root_id,
            author: 5,
            anonymous: false,
            tagged: false,
            comment: false,
            at: t(0),
            deleted: false,
        };
        Self {
            c,
            users,
            posts: vec![root],
            likes: BTreeSet::new(),
            flags: BTreeSet::new(),
            root: 0,
            counter: 0,
        }
    }

    async fn apply(&mut self, step: &Step) {
        self.counter += 1;
        let n = self.counter;
        match *step {
            Step::Post {
                author,
                anonymous,
                tagged,
                at,
            } => {
                let text = format!("{}note {n}", if tagged { "$AAPL " } else { "" });
                let draft = Draft {
                    anonymous,
                    ..Draft::new(text)
                };
                let at = t(i64::from(at));
                let id = self.c.post(self.users[author], draft, at).await.unwrap();
                self.posts.push(Model {
                    id,
                    author,
                    anonymous,
                    tagged,
                    comment: false,
                    at,
                    deleted: false,
                });
            }
            Step::Comment {
                author,
                anonymous,
                at,
            } => {
                let draft = Draft {
                    anonymous,
                    ..Draft::new(format!("comment {n}"))
                };
                let at = t(i64::from(at));
                let id = self
                    .c
                    .comment(self.users[author], self.posts[self.root].id, draft, at)
                    .await
                    .unwrap();
                self.posts.push(Model {
                    id,
                    author,
                    anonymous,
                    tagged: false,
                    comment: true,
                    at,
                    deleted: false,
                });
            }
            Step::Like { user, post } | Step::Unlike { user, post } | Step::Flag { user, post } => {
                let i = post % self.posts.len();
                let p = &self.posts[i];
                if p.deleted || p.author == user {
                    return;
                }
                let (id, member) = (p.id, self.users[user]);
                match step {
                    Step::Like { .. } => {
                        assert_eq!(
                            self.c.like(member, id, t(NOW)).await.unwrap(),
                            self.likes.insert((i, user))
                        );
                    }
                    Step::Unlike { .. } => {
                        assert_eq!(
                            self.c.unlike(member, id, t(NOW)).await.unwrap(),
                            self.likes.remove(&(i, user))
                        );
                    }
                    _ => {
                        let outcome = self
                            .c
                            .flag(member, id, auravest_social::FlagReason::Spam, t(NOW))
                            .await
                            .unwrap();
                        assert_eq!(outcome.recorded, self.flags.insert((i, user)));
                    }
                }
            }
            Step::Delete { post } => {
                let i = post % self.posts.len();
                if i != self.root && !self.posts[i].deleted {
                    let p = &mut self.posts[i];
                    self.c
                        .delete_post(self.users[p.author], p.id)
                        .await
                        .unwrap();
                    p.deleted = true;
                }
            }
            Step::Page => {}
        }
    }

    async fn fetch(&self, feed: Feed, req: &PageRequest, now: DateTime<Utc>) -> Page<PostView> {
        let c = &self.c;
        let root = self.posts[self.root].id;
        let aapl = Symbol::new("AAPL").unwrap();
        match feed {
            Feed::Public => c.public_feed(Some(self.users[4]), req, now).await,
            Feed::Following => c.following_feed(self.users[0], req, now).await,
            Feed::Symbol => c.symbol_feed(&aapl, None, req, now).await,
            Feed::Author => {
                c.author_feed(self.users[1], Some(self.users[2]), req, now)
                    .await
            }
            Feed::AuthorSelf => {
                c.author_feed(self.users[1], Some(self.users[1]), req, now)
                    .await
            }
            Feed::Trending => c.trending_feed(None, req, now).await,
            Feed::Comments => c.comments(root, CommentOrder::Oldest, None, req, now).await,
            Feed::BestComments => c.comments(root, CommentOrder::Best, None, req, now).await,
        }
        .unwrap()
    }

    /// The feed as it stands, computed from the model alone.
    fn expected(&self, feed: Feed, now: DateTime<Utc>) -> Vec<PostId> {
        let count = |set: &BTreeSet<(usize, usize)>, i: usize| {
            set.iter().filter(|(p, _)| *p == i).count() as u64
        };
        let mut rows: Vec<(f64, DateTime<Utc>, PostId)> = self
            .posts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.deleted)
            .filter(|(_, p)| match feed {
                Feed::Public => !p.comment,
                Feed::Following => !p.comment && !p.anonymous && (1..4).contains(&p.author),
                Feed::Symbol => !p.comment && p.tagged,
                Feed::Author => !p.comment && !p.anonymous && p.author == 1,
                Feed::AuthorSelf => !p.comment && p.author == 1,
                Feed::Trending => {
                    !p.comment && p.at >= now - TimeDelta::hours(WINDOW_HOURS) && p.at <= now
                }
                Feed::Comments | Feed::BestComments => p.comment,
            })
            .map(|(i, p)| {
                let score = match feed {
                    Feed::Trending => reddit_hot(count(&self.likes, i), 0, p.at),
                    Feed::BestComments => wilson_lower_bound(
                        count(&self.likes, i),
                        count(&self.flags, i),
                        WILSON_Z_80,
                    ),
                    _ => 0.0,
                };
                (score, p.at, p.id)
            })
            .collect();
        match feed {
            Feed::Trending | Feed::BestComments => {
                rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.2.cmp(&a.2)))
            }
            Feed::Comments => rows.sort_by_key(|a| (a.1, a.2)),
            _ => rows.sort_by_key(|r| std::cmp::Reverse((r.1, r.2))),
        }
        rows.into_iter().map(|r| r.2).collect()
    }
}

/// Builds a world from `setup`, starts a walk through `feed` with pages of
/// `limit`, applies `during` between pages (each `Page` step ends a batch),
/// and checks that the walk returned exactly the feed as of its first page,
/// in order, minus posts deleted meanwhile, each once.
async fn check_walk(
    feed: Feed,
    setup: &[Step],
    during: &[Step],
    limit: usize,
) -> Result<(), TestCaseError> {
    let mut world = World::new().await;
    for s in setup {
        world.apply(s).await;
    }
    let start = t(NOW);
    let expected = world.expected(feed, start);
    let mut collected: Vec<PostId> = Vec::new();
    let mut cursor = None;
    let mut pending = during.iter();
    for page_number in 0i64.. {
        prop_assert!(page_number < 10_000, "the walk does not end");
        // Time moves on between pages; the walk must not notice.
        let now = start + TimeDelta::minutes(37 * page_number);
        let page = world
            .fetch(
                feed,
                &PageRequest {
                    cursor: cursor.take(),
                    limit,
                },
                now,
            )
            .await;
        prop_assert!(page.items.len() <= limit);
        collected.extend(page.items.iter().map(|v| v.id));
        match page.next {
            None => break,
            Some(next) => {
                prop_assert_eq!(page.items.len(), limit, "only the last page may be short");
                cursor = Some(next);
            }
        }
        for s in pending.by_ref() {
            if matches!(s, Step::Page) {
                break;
            }
            world.apply(s).await;
        }
    }
    let unique: HashSet<PostId> = collected.iter().copied().collect();
    prop_assert_eq!(
        unique.len(),
        collected.len(),
        "a post came twice: {:?}",
        collected
    );
    let deleted: HashSet<PostId> = world
        .posts
        .iter()
        .filter(|p| p.deleted)
        .map(|p| p.id)
        .collect();
    let kept: Vec<PostId> = expected
        .iter()
        .copied()
        .filter(|id| !deleted.contains(id))
        .collect();
    let collected_kept: Vec<PostId> = collected
        .iter()
        .copied()
        .filter(|id| !deleted.contains(id))
        .collect();
    prop_assert_eq!(
        &collected_kept,
        &kept,
        "every post of the first page's feed, once, in order"
    );
    // Posts deleted during the walk may have been returned before their deletion, and only from the feed.
    let expected_set: HashSet<PostId> = expected.iter().copied().collect();
    prop_assert!(
        collected.iter().all(|id| expected_set.contains(id)),
        "a post from outside the snapshot: {:?}",
        collected
    );
    Ok(())
}

fn setup() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 0..80)
}

fn during() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 0..120)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn public_feed_walks_return_every_post_exactly_once(s in setup(), d in during(), limit in 1usize..6) {
        block_on(check_walk(Feed::Public, &s, &d, limit))?;
    }

    #[test]
    fn following_feed_walks_return_every_post_exactly_once(s in setup(), d in during(), limit in 1usize..6) {
        block_on(check_walk(Feed::Following, &s, &d, limit))?;
    }

    #[test]
    fn symbol_feed_walks_return_every_post_exactly_once(s in setup(), d in during(), limit in 1usize..6) {
        block_on(check_walk(Feed::Symbol, &s, &d, limit))?;
    }

    #[test]
    fn author_feed_walks_return_every_post_exactly_once(s in setup(), d in during(), limit in 1usize..6, own in any::<bool>()) {
        block_on(check_walk(if own { Feed::AuthorSelf } else { Feed::Author }, &s, &d, limit))?;
    }

    #[test]
    fn trending_feed_walks_return_every_post_exactly_once(s in setup(), d in during(), limit in 1usize..6) {
        block_on(check_walk(Feed::Trending, &s, &d, limit))?;
    }

    #[test]
    fn comment_walks_return_every_comment_exactly_once(s in setup(), d in during(), limit in 1usize..6, best in any::<bool>()) {
        block_on(check_walk(if best { Feed::BestComments } else { Feed::Comments }, &s, &d, limit))?;
    }
}

#[tokio::test]
async fn a_ranked_walk_is_not_fooled_by_likes_that_reorder_the_ranking() {
    // Likes given between pages would move a post from a later page above
    // the cursor (and one from an earlier page below it) if the ranking were
    // read live; the pinned snapshot keeps every post exactly once.
    let setup: Vec<Step> = (0..10)
        .map(|i| Step::Post {
            author: 1 + i % 4,
            anonymous: false,
            tagged: false,
            at: 90_000 + u32::try_from(i).unwrap() * 60,
        })
        .collect();
    let mut during = Vec::new();
    for post in [2usize, 3, 4] {
        for user in 0..USERS {
            during.push(Step::Like { user, post });
        }
    }
    check_walk(Feed::Trending, &setup, &during, 3)
        .await
        .unwrap();
    // And the live ranking does change: the liked posts now lead a new walk.
    let mut world = World::new().await;
    for s in setup.iter().chain(&during) {
        world.apply(s).await;
    }
    let fresh = world
        .fetch(Feed::Trending, &PageRequest::first(3), t(NOW))
        .await;
    let liked: HashSet<PostId> = [2, 3, 4].iter().map(|i| world.posts[*i].id).collect();
    assert!(fresh.items.iter().all(|v| liked.contains(&v.id)));
}

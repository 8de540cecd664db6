//! Feed assembly in `auravest-social`: a member who follows 500 of 5,000
//! members, over 100,000 posts made through the community's rules across 30
//! days (with 150,000 likes and 5,000 comments). Measures the first page and
//! a deep page (the 51st) of the following feed, and the first page of the
//! trending feed, each built from the in-memory store with views rendered.

use std::collections::HashSet;
use std::hint::black_box;

use auravest_social::ranking::reddit_hot;
use auravest_social::{
    Author, Community, Config, Cursor, Draft, MemoryStore, Page, PageRequest, PostId, PostView,
    UserId, seeded_rng,
};
use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_main};

const MEMBERS: usize = 5_000;
const FOLLOWED: usize = 500;
const POSTS: usize = 100_000;
const LIKES: usize = 150_000;
const COMMENTS: usize = 5_000;
const PAGE: usize = 20;
const DEEP_PAGE: usize = 51;
const TICKERS: &[&str] = &[
    "AAPL", "MSFT", "NVDA", "VTI", "VOD.L", "BRK.B", "KO", "TSLA", "AMZN", "SPY",
];

struct Fixture {
    community: Community,
    viewer: UserId,
    followed: HashSet<UserId>,
    /// Non-anonymous top-level posts by followed members.
    expected_following: usize,
    now: DateTime<Utc>,
}

/// Runs a community call to its end. Over a [`MemoryStore`] every call is
/// ready at its first poll, so the bench times the rules, not an executor.
trait Ready: Future + Sized {
    /// The output, after one poll.
    fn ready(self) -> Self::Output {
        let mut future = std::pin::pin!(self);
        match future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
        {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("a memory-store call never waits"),
        }
    }
}

impl<F: Future> Ready for F {}

fn fixture() -> Fixture {
    let start = DateTime::from_timestamp(1_717_200_000, 0).expect("valid time");
    let span = TimeDelta::days(30);
    let now = start + span;
    let mut rng = seeded_rng(2024);
    let mut community = Community::new(MemoryStore::new(), Config::default());
    let members: Vec<UserId> = (0..MEMBERS)
        .map(|_| {
            community
                .register(start, &mut rng)
                .ready()
                .expect("register")
        })
        .collect();
    let viewer = members[0];
    let mut followed = HashSet::new();
    while followed.len() < FOLLOWED {
        let other = members[1 + (rng() as usize) % (MEMBERS - 1)];
        if followed.insert(other) {
            community
                .follow(viewer, other, start)
                .ready()
                .expect("follow");
        }
    }
    // Posts at an even pace over 30 days, each by a random member, under the default rate limits.
    let step = span / i32::try_from(POSTS).expect("fits");
    let mut posts: Vec<(PostId, UserId)> = Vec::with_capacity(POSTS);
    let mut expected_following = 0;
    for k in 0..POSTS {
        let author = members[(rng() as usize) % MEMBERS];
        let ticker = TICKERS[(rng() as usize) % TICKERS.len()];
        let anonymous = rng().is_multiple_of(10);
        let mut draft = Draft::new(format!(
            "Note {k} on ${ticker}: reading the annual report, **long term** view."
        ));
        draft.anonymous = anonymous;
        if k % 3 == 0 {
            draft = draft.bullish();
        }
        let at = start + step * i32::try_from(k).expect("fits");
        let id = community.post(author, draft, at).ready().expect("post");
        posts.push((id, author));
        if !anonymous && followed.contains(&author) {
            expected_following += 1;
        }
    }
    // Comments and likes, weighted towards the last two days so trending has something to rank.
    for k in 0..COMMENTS {
        let (post, _) = posts[POSTS - 1 - (rng() as usize) % (POSTS / 2)];
        let author = members[(rng() as usize) % MEMBERS];
        let _ = community
            .comment(
                author,
                post,
                Draft::new(format!("Reply {k}: thanks for sharing")),
                now,
            )
            .ready();
    }
    let recent = POSTS / 15;
    for _ in 0..LIKES {
        let (post, author) = posts[POSTS - 1 - (rng() as usize) % recent];
        let liker = members[(rng() as usize) % MEMBERS];
        if liker != author {
            community.like(liker, post, now).ready().expect("like");
        }
    }
    Fixture {
        community,
        viewer,
        followed,
        expected_following,
        now,
    }
}

/// Checks a page of a time-ordered feed: its size, newest first, no repeats.
fn check_time_order(page: &Page<PostView>, after: Option<(DateTime<Utc>, PostId)>) {
    assert_eq!(page.items.len(), PAGE);
    let keys: Vec<(DateTime<Utc>, PostId)> =
        page.items.iter().map(|v| (v.created_at, v.id)).collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    if let Some(last) = after {
        assert!(keys[0] < last, "the page continues after the previous one");
    }
}

fn following_pages(f: &Fixture) -> (Cursor, (DateTime<Utc>, PostId)) {
    // Walk the whole feed once: every followed non-anonymous post exactly once.
    let mut seen = HashSet::new();
    let mut req = PageRequest::first(PAGE);
    let mut deep = None;
    for page_number in 1.. {
        let page = f
            .community
            .following_feed(f.viewer, &req, f.now)
            .ready()
            .expect("page");
        for v in &page.items {
            match &v.author {
                Author::Member { id, .. } => {
                    assert!(f.followed.contains(id), "only followed members")
                }
                Author::Anonymous => panic!("anonymous posts never appear in the following feed"),
            }
            assert!(v.thread.is_none(), "top-level posts only");
            assert!(seen.insert(v.id), "no duplicates");
        }
        let Some(next) = page.next else { break };
        if page_number == DEEP_PAGE - 1 {
            let last = page.items.last().expect("full page");
            deep = Some((next.clone(), (last.created_at, last.id)));
        }
        req = PageRequest::after(next, PAGE);
    }
    assert_eq!(seen.len(), f.expected_following);
    deep.expect("the feed is deeper than the deep page")
}

fn check_trending(f: &Fixture, page: &Page<PostView>) {
    assert_eq!(page.items.len(), PAGE);
    let scores: Vec<f64> = page
        .items
        .iter()
        .map(|v| reddit_hot(u64::from(v.likes), 0, v.created_at))
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked by the hot score"
    );
    let ids: HashSet<PostId> = page.items.iter().map(|v| v.id).collect();
    assert_eq!(ids.len(), PAGE, "no duplicates");
    let window = f.community.config().trending_window;
    assert!(
        page.items
            .iter()
            .all(|v| v.created_at >= f.now - window && v.thread.is_none())
    );
    assert!(page.items[0].likes > 0);
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let first = f
        .community
        .following_feed(f.viewer, &PageRequest::first(PAGE), f.now)
        .ready()
        .expect("first page");
    check_time_order(&first, None);
    let (deep_cursor, deep_after) = following_pages(&f);
    let deep = f
        .community
        .following_feed(
            f.viewer,
            &PageRequest::after(deep_cursor.clone(), PAGE),
            f.now,
        )
        .ready()
        .expect("deep page");
    check_time_order(&deep, Some(deep_after));
    let trending = f
        .community
        .trending_feed(Some(f.viewer), &PageRequest::first(PAGE), f.now)
        .ready()
        .expect("trending");
    check_trending(&f, &trending);

    let mut g = c.benchmark_group("social_feed");
    g.sample_size(30);
    g.bench_function("following_first_page_500_of_100k", |b| {
        b.iter(|| {
            let page = f
                .community
                .following_feed(black_box(f.viewer), &PageRequest::first(PAGE), f.now)
                .ready()
                .expect("page");
            assert_eq!(page.items.len(), PAGE);
            page
        });
    });
    let deep_req = PageRequest::after(deep_cursor, PAGE);
    g.bench_function("following_page_51_500_of_100k", |b| {
        b.iter(|| {
            let page = f
                .community
                .following_feed(black_box(f.viewer), black_box(&deep_req), f.now)
                .ready()
                .expect("page");
            assert_eq!(page.items.len(), PAGE);
            page
        });
    });
    g.bench_function("trending_first_page_100k", |b| {
        b.iter(|| {
            let page = f
                .community
                .trending_feed(black_box(Some(f.viewer)), &PageRequest::first(PAGE), f.now)
                .ready()
                .expect("page");
            assert_eq!(page.items.len(), PAGE);
            page
        });
    });
    g.finish();
}

/// The criterion group (its generated function carries no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);

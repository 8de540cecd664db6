//! Privacy enforced by the API: defaults, holdings, and anonymous posts that
//! no public view links to their author.

use auravest_social::{
    Author, CommentOrder, Community, Decimal, Draft, FlagReason, PageRequest, Period, PostId,
    PrivacySettings, Symbol, UserId,
};
use proptest::prelude::*;
use serde_json::Value;

use crate::support::{block_on, community_with, relaxed, t};

#[tokio::test]
async fn every_privacy_setting_is_off_by_default() {
    assert_eq!(
        PrivacySettings::default(),
        PrivacySettings {
            share_performance: false,
            count_holdings_in_aggregates: false
        }
    );
    let (c, u) = community_with(relaxed(), &[], 1).await;
    assert_eq!(c.settings(u[0]).await.unwrap(), PrivacySettings::default());
    let json: PrivacySettings = serde_json::from_str("{}").unwrap();
    assert_eq!(
        json,
        PrivacySettings::default(),
        "missing settings read as off"
    );
}

#[tokio::test]
async fn recorded_returns_stay_private_until_shared() {
    let (mut c, u) = community_with(relaxed(), &[], 2).await;
    c.record_return(u[0], Period::Year { year: 2024 }, Decimal::from(11))
        .await
        .unwrap();
    let view = c.profile(Some(u[1]), u[0]).await.unwrap();
    assert!(view.performance.is_none() && view.own.is_none());
    let json = serde_json::to_string(&view).unwrap();
    assert!(
        !json.contains("return_pct") && !json.contains("\"11"),
        "{json}"
    );
    assert_eq!(
        c.profile(Some(u[0]), u[0])
            .await
            .unwrap()
            .own
            .unwrap()
            .returns
            .len(),
        1,
        "the member sees their own"
    );
}

#[tokio::test]
async fn anonymous_posts_leave_no_trace_on_the_author() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B", "Cy_C"], 3).await;
    let reference = c.post(u[0], Draft::new("Signed post"), t(0)).await.unwrap();
    c.like(u[1], reference, t(1)).await.unwrap();
    c.follow(u[1], u[0], t(1)).await.unwrap();
    let before_profile =
        serde_json::to_string(&c.profile(Some(u[1]), u[0]).await.unwrap()).unwrap();
    let before_board =
        serde_json::to_string(&c.top_contributors(t(0), t(1000), 10).await.unwrap()).unwrap();
    let before_feed = serde_json::to_string(
        &c.author_feed(u[0], Some(u[1]), &PageRequest::first(50), t(2))
            .await
            .unwrap()
            .items,
    )
    .unwrap();
    let before_following = serde_json::to_string(
        &c.following_feed(u[1], &PageRequest::first(50), t(2))
            .await
            .unwrap()
            .items,
    )
    .unwrap();

    let anon = c
        .post(
            u[0],
            Draft::new("A question I am shy about, @Cy_C").anonymous(),
            t(10),
        )
        .await
        .unwrap();
    c.like(u[1], anon, t(11)).await.unwrap();
    c.like(u[2], anon, t(11)).await.unwrap();
    let comment = c
        .comment(u[1], anon, Draft::new("Happy to help"), t(12))
        .await
        .unwrap();
    c.mark_helpful(u[0], comment, true, t(13)).await.unwrap();

    // Profile counts, leaderboard, author feed and following feed are unchanged.
    assert_eq!(
        serde_json::to_string(&c.profile(Some(u[1]), u[0]).await.unwrap()).unwrap(),
        before_profile
    );
    let board = c.top_contributors(t(0), t(1000), 10).await.unwrap();
    assert!(
        board
            .iter()
            .all(|e| e.member.id != u[0] || e.likes_received == 1),
        "{board:?}"
    );
    assert_ne!(
        serde_json::to_string(&board).unwrap(),
        before_board,
        "Bob's helpful answer counts"
    );
    assert_eq!(
        serde_json::to_string(
            &c.author_feed(u[0], Some(u[1]), &PageRequest::first(50), t(20))
                .await
                .unwrap()
                .items
        )
        .unwrap(),
        before_feed
    );
    let following = serde_json::to_string(
        &c.following_feed(u[1], &PageRequest::first(50), t(20))
            .await
            .unwrap()
            .items,
    )
    .unwrap();
    assert_eq!(
        following.replace("\"liked\":true", ""),
        before_following.replace("\"liked\":true", "")
    );
    // The post itself shows no author to anyone else.
    for viewer in [None, Some(u[1]), Some(u[2])] {
        let view = c.view_post(viewer, anon).await.unwrap();
        assert_eq!(view.author, Author::Anonymous);
        assert!(!view.mine);
    }
    assert!(c.view_post(Some(u[0]), anon).await.unwrap().mine);
}

// ---- The property: no public view links an anonymous post to its author ----

const ALIASES: [&str; 5] = ["Ann_Anon", "Bob_Bravo", "Cy_Charlie", "Di_Delta", "Ed_Echo"];

#[derive(Debug, Clone)]
enum Act {
    Post {
        author: usize,
        anonymous: bool,
        mention: Option<usize>,
        tagged: bool,
    },
    Comment {
        author: usize,
        anonymous: bool,
        on: usize,
    },
    Like {
        user: usize,
        post: usize,
    },
    Follow {
        user: usize,
        other: usize,
    },
    Helpful {
        post: usize,
    },
    Share {
        user: usize,
        anonymous: bool,
    },
}

fn act() -> impl Strategy<Value = Act> {
    let n = ALIASES.len();
    prop_oneof![
        3 => (0..n, any::<bool>(), prop::option::of(0..n), any::<bool>())
            .prop_map(|(author, anonymous, mention, tagged)| Act::Post { author, anonymous, mention, tagged }),
        3 => (0..n, any::<bool>(), any::<usize>()).prop_map(|(author, anonymous, on)| Act::Comment { author, anonymous, on }),
        3 => (0..n, any::<usize>()).prop_map(|(user, post)| Act::Like { user, post }),
        1 => (0..n, 0..n).prop_map(|(user, other)| Act::Follow { user, other }),
        1 => any::<usize>().prop_map(|post| Act::Helpful { post }),
        1 => (0..n, any::<bool>()).prop_map(|(user, anonymous)| Act::Share { user, anonymous }),
    ]
}

/// Replaces nested array elements that are objects by `null`, so each unit
/// (the root and every object in an array) is checked on its own fields.
fn own_fields(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), own_fields(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| {
                    if v.is_object() {
                        Value::Null
                    } else {
                        own_fields(v)
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn units(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) => map.values().for_each(|v| units(v, out)),
        Value::Array(items) => {
            for item in items {
                if item.is_object() {
                    out.push(own_fields(item));
                }
                units(item, out);
            }
        }
        _ => {}
    }
}

/// Every unit of `view` that names `post` must not name `author` (by id or alias).
fn assert_unlinked(
    view: &Value,
    post: PostId,
    author: UserId,
    alias: &str,
    what: &str,
) -> Result<(), TestCaseError> {
    let mut all = vec![own_fields(view)];
    units(view, &mut all);
    let post_token = format!("\"{post}\"");
    let author_token = format!("\"{author}\"");
    for unit in all {
        let text = unit.to_string();
        if text.contains(&post_token) {
            prop_assert!(
                !text.contains(&author_token) && !text.contains(alias),
                "{what} links {post} to {author} ({alias}): {text}"
            );
        }
    }
    Ok(())
}

fn json(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

/// A feed a member (or a visitor) can page through.
enum Feed {
    Public,
    Trending,
    Symbol(Symbol),
    Following(UserId),
    Author(UserId),
    Comments(PostId, CommentOrder),
}

/// One page of a feed.
async fn feed_page(
    c: &Community,
    feed: &Feed,
    viewer: Option<UserId>,
    req: &PageRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> auravest_social::Result<auravest_social::Page<auravest_social::PostView>> {
    match feed {
        Feed::Public => c.public_feed(viewer, req, now).await,
        Feed::Trending => c.trending_feed(viewer, req, now).await,
        Feed::Symbol(symbol) => c.symbol_feed(symbol, viewer, req, now).await,
        Feed::Following(v) => c.following_feed(*v, req, now).await,
        Feed::Author(u) => c.author_feed(*u, viewer, req, now).await,
        Feed::Comments(p, order) => c.comments(*p, *order, viewer, req, now).await,
    }
}

/// Every view a member (or a visitor) can get.
async fn public_views(
    c: &Community,
    users: &[UserId],
    posts: &[PostId],
    viewer: Option<UserId>,
) -> Vec<(String, Value)> {
    let now = t(100_000);
    let mut feeds = vec![
        ("public feed".to_owned(), Feed::Public),
        ("trending feed".to_owned(), Feed::Trending),
        (
            "symbol feed".to_owned(),
            Feed::Symbol(Symbol::new("AAPL").unwrap()),
        ),
    ];
    if let Some(v) = viewer {
        feeds.push(("following feed".to_owned(), Feed::Following(v)));
    }
    for u in users {
        feeds.push((format!("author feed of {u}"), Feed::Author(*u)));
    }
    for p in posts {
        feeds.push((
            format!("comments of {p}"),
            Feed::Comments(*p, CommentOrder::Oldest),
        ));
        feeds.push((
            format!("best comments of {p}"),
            Feed::Comments(*p, CommentOrder::Best),
        ));
    }
    let mut views = Vec::new();
    for (name, feed) in &feeds {
        let mut req = PageRequest::first(7);
        while let Ok(page) = feed_page(c, feed, viewer, &req, now).await {
            let next = page.next.clone();
            views.push((name.clone(), json(&page)));
            match next {
                Some(cursor) => req = PageRequest::after(cursor, 7),
                None => break,
            }
        }
    }
    for p in posts {
        if let Ok(view) = c.view_post(viewer, *p).await {
            views.push((format!("post {p}"), json(view)));
        }
    }
    for u in users {
        views.push((
            format!("profile of {u}"),
            json(c.profile(viewer, *u).await.unwrap()),
        ));
        views.push((
            format!("followers of {u}"),
            json(c.followers(*u).await.unwrap()),
        ));
    }
    if let Some(v) = viewer {
        views.push((
            "notifications".to_owned(),
            json(c.notifications(v, false).await.unwrap()),
        ));
        views.push(("digests".to_owned(), json(c.digests(v).await.unwrap())));
    }
    views.push((
        "contributors".to_owned(),
        json(c.top_contributors(t(0), now, 50).await.unwrap()),
    ));
    views.push((
        "performers".to_owned(),
        json(
            c.top_performers(Period::Year { year: 2024 }, 50)
                .await
                .unwrap(),
        ),
    ));
    views.push((
        "trending tickers".to_owned(),
        json(c.trending_tickers(now).await.unwrap()),
    ));
    views.push(("most held".to_owned(), json(c.most_held(50).await.unwrap())));
    views
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn an_anonymous_posts_author_appears_in_no_public_view(acts in prop::collection::vec(act(), 1..40)) {
        block_on(async {
            let (mut c, users) = community_with(relaxed(), &ALIASES, ALIASES.len()).await;
            for u in &users {
                c.update_settings(*u, PrivacySettings { share_performance: true, count_holdings_in_aggregates: true }).await.unwrap();
                c.record_return(*u, Period::Year { year: 2024 }, Decimal::from(5)).await.unwrap();
            }
            let mut posts: Vec<PostId> = Vec::new();
            for (n, a) in acts.iter().enumerate() {
                let at = t(i64::try_from(n).unwrap() * 60);
                match *a {
                    Act::Post { author, anonymous, mention, tagged } => {
                        let mention = mention.map(|m| format!(" @{}", ALIASES[m])).unwrap_or_default();
                        let text = format!("{}thought {n}{mention}", if tagged { "$AAPL " } else { "" });
                        // Naming yourself in an anonymous post is refused; everything else posts.
                        if let Ok(id) = c.post(users[author], Draft { anonymous, ..Draft::new(text) }, at).await {
                            posts.push(id);
                        }
                    }
                    Act::Comment { author, anonymous, on } if !posts.is_empty() => {
                        let target = posts[on % posts.len()];
                        if let Ok(id) = c.comment(users[author], target, Draft { anonymous, ..Draft::new(format!("reply {n}")) }, at).await {
                            posts.push(id);
                        }
                    }
                    Act::Like { user, post } if !posts.is_empty() => {
                        let _ = c.like(users[user], posts[post % posts.len()], at).await;
                    }
                    Act::Follow { user, other } => {
                        let _ = c.follow(users[user], users[other], at).await;
                    }
                    Act::Helpful { post } if !posts.is_empty() => {
                        let target = posts[post % posts.len()];
                        if let Ok(view) = c.view_post(None, target).await
                            && let Some(thread) = view.thread {
                                let owner = auravest_social::Store::post(c.store(), thread).await.unwrap().unwrap().author;
                                let _ = c.mark_helpful(owner, target, true, at).await;
                            }
                    }
                    Act::Share { user, anonymous } => {
                        let share = auravest_social::PerformanceShare::new(
                            Period::Month { year: 2024, month: 1 + u32::try_from(n % 12).unwrap() },
                            Decimal::from(i64::try_from(n).unwrap()),
                            None,
                        ).unwrap();
                        if let Ok(id) = c.share_performance(users[user], &share, anonymous, at).await {
                            posts.push(id);
                        }
                    }
                    _ => {}
                }
            }
            // Every anonymous post, as stored, against every view of every other member and of visitors.
            let mut anonymous: Vec<auravest_social::Post> = Vec::new();
            for p in &posts {
                let post = auravest_social::Store::post(c.store(), *p).await.unwrap().unwrap();
                if post.anonymous {
                    anonymous.push(post);
                }
            }
            let viewers: Vec<Option<UserId>> = std::iter::once(None).chain(users.iter().map(|u| Some(*u))).collect();
            for viewer in viewers {
                let views = public_views(&c, &users, &posts, viewer).await;
                for post in anonymous.iter().filter(|p| Some(p.author) != viewer) {
                    let alias = ALIASES[users.iter().position(|u| *u == post.author).unwrap()];
                    for (what, view) in &views {
                        assert_unlinked(view, post.id, post.author, alias, what)?;
                        let own_feed = what == &format!("author feed of {}", post.author);
                        if own_feed || what == "following feed" {
                            prop_assert!(!view.to_string().contains(&format!("\"{}\"", post.id)), "{} lists {}", what, post.id);
                        }
                    }
                }
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}

#[tokio::test]
async fn a_member_export_holds_everything_of_theirs_and_nothing_of_others() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B", "Cy_C"], 3).await;
    let (ann, bob, cy) = (u[0], u[1], u[2]);
    let signed = c.post(ann, Draft::new("Holding $KO"), t(0)).await.unwrap();
    let hidden = c
        .post(ann, Draft::new("Quiet thoughts on $PEP").anonymous(), t(10))
        .await
        .unwrap();
    let gone = c
        .post(ann, Draft::new("Deleted later"), t(20))
        .await
        .unwrap();
    c.delete_post(ann, gone).await.unwrap();
    let comment = c
        .comment(ann, signed, Draft::new("Adding a note"), t(30))
        .await
        .unwrap();
    c.post(bob, Draft::new("Hello @Ann_A"), t(40))
        .await
        .unwrap();
    c.post(cy, Draft::new("Cy's own post"), t(50))
        .await
        .unwrap();
    c.follow(ann, bob, t(60)).await.unwrap();
    c.follow(cy, ann, t(60)).await.unwrap();
    c.follow(bob, ann, t(60)).await.unwrap();
    c.record_return(ann, Period::Year { year: 2024 }, Decimal::from(7))
        .await
        .unwrap();
    let bobs = c.post(bob, Draft::new("Bob on $KO"), t(70)).await.unwrap();
    c.like(ann, bobs, t(80)).await.unwrap();
    c.flag(ann, bobs, FlagReason::OffTopic, t(90))
        .await
        .unwrap();

    let export = c.export_member(ann).await.unwrap();
    assert_eq!(export.likes, [bobs]);
    assert_eq!(export.flags.len(), 1);
    assert_eq!(export.flags[0].post, bobs);
    assert_eq!(export.member.id, ann);
    assert_eq!(export.member.alias.as_str(), "Ann_A");
    assert_eq!(export.member.returns.len(), 1);
    let ids: Vec<PostId> = export.posts.iter().map(|p| p.id).collect();
    assert_eq!(ids, [signed, hidden, gone, comment], "oldest first");
    assert!(export.posts.iter().all(|p| p.author == ann));
    assert!(export.posts[1].anonymous, "anonymous posts are theirs too");
    let aliases: Vec<&str> = export.following.iter().map(|m| m.alias.as_str()).collect();
    assert_eq!(aliases, ["Bob_B"]);
    assert_eq!(export.followers, 2, "a count, not who");
    assert_eq!(export.notifications.len(), 3, "{:?}", export.notifications);
    // Who followed is in the notifications they were sent; nothing Cy
    // wrote is.
    let json = serde_json::to_string(&export).unwrap();
    assert!(!json.contains("Cy's own post"), "{json}");
    assert!(c.export_member(UserId::new(999)).await.is_err());
}

//! The ranking formulas and the trending feed built on them.

use auravest_social::ranking::{
    HN_GRAVITY, REDDIT_EPOCH, WILSON_Z_80, controversy, hacker_news, reddit_hot,
    wilson_lower_bound, z_score,
};
use auravest_social::{CommentOrder, Config, Draft, FlagReason, PageRequest, PostId, RankFormula};
use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;

use crate::support::{community_with, relaxed, t};

fn at(secs: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

#[test]
fn reddit_hot_trades_ten_times_the_votes_for_12_5_hours() {
    let base = at(REDDIT_EPOCH);
    assert!((reddit_hot(1, 0, base)).abs() < 1e-12);
    assert!((reddit_hot(100, 0, base) - 2.0).abs() < 1e-12);
    assert!((reddit_hot(0, 100, base) + 2.0).abs() < 1e-12);
    assert!((reddit_hot(10, 10, base)).abs() < 1e-12, "net zero");
    let later = at(REDDIT_EPOCH + 45_000);
    assert!((reddit_hot(10, 0, later) - reddit_hot(100, 0, base) - 0.0).abs() < 1e-12);
    // A post from 2024 with 50 likes, computed by hand: log10(50) + (1720000000 − 1134028003) / 45000.
    let expected =
        ((50f64.log10() + (1_720_000_000.0 - 1_134_028_003.0) / 45_000.0) * 1e7).round() / 1e7;
    assert!((reddit_hot(50, 0, t(0)) - expected).abs() < 1e-9);
}

#[test]
fn wilson_lower_bound_matches_its_closed_forms() {
    let z2 = WILSON_Z_80 * WILSON_Z_80;
    for n in [1u64, 2, 10, 1000] {
        // All up-votes: n / (n + z²).
        let expected = n as f64 / (n as f64 + z2);
        assert!(
            (wilson_lower_bound(n, 0, WILSON_Z_80) - expected).abs() < 1e-12,
            "{n}"
        );
        assert!(wilson_lower_bound(0, n, WILSON_Z_80).abs() < 1e-12);
    }
    assert!(wilson_lower_bound(0, 0, WILSON_Z_80).abs() < 1e-12);
    // More evidence for the same share ranks higher.
    assert!(wilson_lower_bound(90, 10, WILSON_Z_80) > wilson_lower_bound(9, 1, WILSON_Z_80));
    let mid = wilson_lower_bound(50, 50, WILSON_Z_80);
    assert!(mid > 0.4 && mid < 0.5, "{mid}");
}

#[test]
fn controversy_hacker_news_and_z_scores() {
    assert!((controversy(50, 50) - 100.0).abs() < 1e-12);
    assert!((controversy(0, 0)).abs() < 1e-12);
    assert!((controversy(3, 1) - 2.0).abs() < 1e-12);
    assert!(
        hacker_news(1, TimeDelta::hours(5), HN_GRAVITY).abs() < 1e-12,
        "a post's own point"
    );
    let two_hours = hacker_news(11, TimeDelta::hours(2), HN_GRAVITY);
    assert!((two_hours - 10.0 / 4f64.powf(1.8)).abs() < 1e-12);
    assert!(
        (hacker_news(11, TimeDelta::hours(-3), HN_GRAVITY) - 10.0 / 2f64.powf(1.8)).abs() < 1e-12,
        "negative ages count as 0"
    );
    assert!(z_score(1.0, &[], 1.0).is_none());
    let (mean, sd, z) = z_score(3.0, &[1.0, 1.0, 1.0], 0.5).unwrap();
    assert!((mean - 1.0).abs() < 1e-12 && sd.abs() < 1e-12 && (z - 4.0).abs() < 1e-12);
}

proptest! {
    #[test]
    fn wilson_is_bounded_and_monotone(ups in 0u64..10_000, downs in 0u64..10_000) {
        let w = wilson_lower_bound(ups, downs, WILSON_Z_80);
        prop_assert!((0.0..=1.0).contains(&w));
        prop_assert!(wilson_lower_bound(ups + 1, downs, WILSON_Z_80) >= w - 1e-12);
        prop_assert!(wilson_lower_bound(ups, downs + 1, WILSON_Z_80) <= w + 1e-12);
        prop_assert!(w <= ups as f64 / (ups + downs).max(1) as f64 + 1e-12, "the bound is below the observed share");
    }

    #[test]
    fn hot_is_monotone_in_votes_and_time(ups in 0u64..1_000_000, secs in 0i64..2_000_000_000, later in 1i64..10_000_000) {
        prop_assert!(reddit_hot(ups + 1, 0, at(secs)) >= reddit_hot(ups, 0, at(secs)));
        prop_assert!(reddit_hot(ups, 0, at(secs + later)) >= reddit_hot(ups, 0, at(secs)));
    }
}

#[tokio::test]
async fn the_trending_feed_follows_the_hot_formula() {
    let (mut c, u) = community_with(relaxed(), &[], 6).await;
    let now = t(40_000);
    // Older with many likes against newer with few.
    let old = c
        .post(
            u[0],
            Draft::new("old and loved"),
            now - TimeDelta::hours(13),
        )
        .await
        .unwrap();
    let new = c
        .post(u[0], Draft::new("fresh"), now - TimeDelta::minutes(10))
        .await
        .unwrap();
    let mid = c
        .post(u[0], Draft::new("middle"), now - TimeDelta::hours(6))
        .await
        .unwrap();
    let stale = c
        .post(
            u[0],
            Draft::new("too old for trending"),
            now - TimeDelta::hours(49),
        )
        .await
        .unwrap();
    for liker in &u[1..6] {
        c.like(*liker, old, now).await.unwrap();
        c.like(*liker, stale, now).await.unwrap();
    }
    c.like(u[1], mid, now).await.unwrap();
    let page = c
        .trending_feed(None, &PageRequest::first(10), now)
        .await
        .unwrap();
    let order: Vec<PostId> = page.items.iter().map(|v| v.id).collect();
    let hot = |likes: u64, age: TimeDelta| reddit_hot(likes, 0, now - age);
    let mut expected = [
        (hot(5, TimeDelta::hours(13)), old),
        (hot(0, TimeDelta::minutes(10)), new),
        (hot(1, TimeDelta::hours(6)), mid),
    ];
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    assert_eq!(order, expected.iter().map(|e| e.1).collect::<Vec<_>>());
    assert!(!order.contains(&stale), "outside the 48-hour window");
    assert_eq!(
        order,
        [new, old, mid],
        "5 likes 13 hours ago lose to none 10 minutes ago: 5 < 10^(12.8/12.5)"
    );

    // With Hacker News gravity, age weighs differently.
    let hn = Config {
        trending_rank: RankFormula::HackerNews {
            gravity: HN_GRAVITY,
        },
        ..relaxed()
    };
    let (mut c, u) = community_with(hn, &[], 6).await;
    let old = c
        .post(
            u[0],
            Draft::new("old and loved"),
            now - TimeDelta::hours(13),
        )
        .await
        .unwrap();
    let new = c
        .post(u[0], Draft::new("fresh"), now - TimeDelta::minutes(10))
        .await
        .unwrap();
    for liker in &u[1..6] {
        c.like(*liker, old, now).await.unwrap();
    }
    let order: Vec<PostId> = c
        .trending_feed(None, &PageRequest::first(10), now)
        .await
        .unwrap()
        .items
        .iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(order, [old, new], "HN: (5 likes)/(15 h)^1.8 > 0 points");
}

#[tokio::test]
async fn best_comments_use_the_wilson_bound_of_likes_against_flags() {
    let config = Config {
        flags_to_hide: 100,
        ..relaxed()
    };
    let (mut c, u) = community_with(config, &[], 8).await;
    let root = c
        .post(u[0], Draft::new("Which broker?"), t(0))
        .await
        .unwrap();
    let a = c
        .comment(u[1], root, Draft::new("Low fees matter most"), t(1))
        .await
        .unwrap();
    let b = c
        .comment(u[2], root, Draft::new("Check the insurance"), t(2))
        .await
        .unwrap();
    let d = c
        .comment(u[3], root, Draft::new("Use my referral link"), t(3))
        .await
        .unwrap();
    for liker in &u[4..8] {
        c.like(*liker, a, t(4)).await.unwrap();
    }
    c.like(u[4], b, t(4)).await.unwrap();
    for liker in &u[4..8] {
        c.like(*liker, d, t(4)).await.unwrap();
        c.flag(*liker, d, FlagReason::Spam, t(4)).await.unwrap();
    }
    let page = c
        .comments(
            root,
            CommentOrder::Best,
            None,
            &PageRequest::first(10),
            t(5),
        )
        .await
        .unwrap();
    let order: Vec<PostId> = page.items.iter().map(|v| v.id).collect();
    // a: 4/4, b: 1/1, d: 4 likes against 4 flags.
    assert_eq!(order, [a, b, d]);
    let oldest = c
        .comments(
            root,
            CommentOrder::Oldest,
            None,
            &PageRequest::first(10),
            t(5),
        )
        .await
        .unwrap();
    assert_eq!(
        oldest.items.iter().map(|v| v.id).collect::<Vec<_>>(),
        [a, b, d]
    );
}

//! Trending tickers, "most held" and the leaderboards.

use std::str::FromStr;

use auravest_social::{
    Config, Decimal, Draft, Error, ModAction, Period, PrivacySettings, Role, Symbol,
    TickerTrendConfig,
};
use chrono::TimeDelta;

use crate::support::{community_with, relaxed, staff, t};

const DAY: i64 = 86_400;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

#[tokio::test]
async fn trending_tickers_score_today_against_the_baseline() {
    let (mut c, u) = community_with(relaxed(), &[], 6).await;
    let now = t(40 * DAY);
    // Baseline: $KO mentioned once a day by one member for 30 days.
    for day in 1..=30 {
        c.post(
            u[0],
            Draft::new(format!("$KO steady, day {day}")),
            now - TimeDelta::days(day) - TimeDelta::hours(1),
        )
        .await
        .unwrap();
    }
    // Today: $KO from 5 members, $NVDA from 4, $ZZZ spammed by one member.
    for (i, user) in u[..5].iter().enumerate() {
        c.post(
            *user,
            Draft::new(format!("$KO news {i}")),
            now - TimeDelta::hours(2),
        )
        .await
        .unwrap();
    }
    for (i, user) in u[1..5].iter().enumerate() {
        c.post(
            *user,
            Draft::new(format!("$NVDA chips {i}")),
            now - TimeDelta::hours(3),
        )
        .await
        .unwrap();
        c.post(
            *user,
            Draft::new(format!("$NVDA again {i}")),
            now - TimeDelta::hours(4),
        )
        .await
        .unwrap();
        c.post(
            *user,
            Draft::new(format!("$NVDA third {i}")),
            now - TimeDelta::hours(5),
        )
        .await
        .unwrap();
    }
    for i in 0..20 {
        c.post(
            u[5],
            Draft::new(format!("$ZZZ to the moon {i}")),
            now - TimeDelta::minutes(i),
        )
        .await
        .unwrap();
    }
    let trending = c.trending_tickers(now).await.unwrap();
    let names: Vec<&str> = trending.iter().map(|x| x.symbol.as_str()).collect();
    assert_eq!(names, ["NVDA", "KO"], "one account cannot push $ZZZ in");

    // $NVDA: 4 authors × 3 posts, capped at 2 each = 8 mentions; baseline all zero: z = 8 / 1 (floor).
    let nvda = &trending[0];
    assert_eq!((nvda.mentions, nvda.authors), (8, 4));
    assert!(nvda.baseline_mean.abs() < 1e-12 && nvda.baseline_sd.abs() < 1e-12);
    assert!((nvda.z_score - 8.0).abs() < 1e-12);
    // $KO: 5 mentions today against a baseline of exactly 1 a day: sd 0, floor 1, z = 4.
    let ko = &trending[1];
    assert_eq!((ko.mentions, ko.authors), (5, 5));
    assert!((ko.baseline_mean - 1.0).abs() < 1e-12 && ko.baseline_sd.abs() < 1e-12);
    assert!((ko.z_score - 4.0).abs() < 1e-12);
}

#[tokio::test]
async fn trending_tickers_need_authors_mentions_and_a_real_rise() {
    let tickers = TickerTrendConfig {
        min_authors: 3,
        min_mentions: 4,
        min_z: 2.0,
        ..TickerTrendConfig::default()
    };
    let (mut c, u) = community_with(
        Config {
            tickers,
            ..relaxed()
        },
        &[],
        4,
    )
    .await;
    let now = t(40 * DAY);
    // Three authors, three mentions: below min_mentions.
    for (i, user) in u[..3].iter().enumerate() {
        c.post(
            *user,
            Draft::new(format!("$LOW {i}")),
            now - TimeDelta::hours(1),
        )
        .await
        .unwrap();
    }
    // Busy every day: four authors today, as on every baseline day, so z = 0.
    for day in 0..=30 {
        for (i, user) in u.iter().enumerate() {
            c.post(
                *user,
                Draft::new(format!("$BUSY {day} {i}")),
                now - TimeDelta::days(day) - TimeDelta::hours(1),
            )
            .await
            .unwrap();
        }
    }
    assert!(c.trending_tickers(now).await.unwrap().is_empty());
    // A removed post does not count: $HOT at exactly the threshold, then one removed.
    for (i, user) in u.iter().enumerate() {
        c.post(
            *user,
            Draft::new(format!("$HOT {i}")),
            now - TimeDelta::hours(1),
        )
        .await
        .unwrap();
    }
    assert_eq!(c.trending_tickers(now).await.unwrap().len(), 1);
    let moderator = staff(&mut c, Role::Moderator, 5).await;
    let last = auravest_social::Store::last_post_id(c.store())
        .await
        .unwrap()
        .unwrap();
    c.moderate(
        moderator,
        ModAction::RemovePost { post: last },
        "off topic",
        now,
    )
    .await
    .unwrap();
    assert!(c.trending_tickers(now).await.unwrap().is_empty());
    // A window that is not positive is refused.
    let bad = Config {
        tickers: TickerTrendConfig {
            window: TimeDelta::zero(),
            ..TickerTrendConfig::default()
        },
        ..relaxed()
    };
    let (c, _) = community_with(bad, &[], 0).await;
    assert!(matches!(
        c.trending_tickers(now).await,
        Err(Error::InvalidInput { .. })
    ));
}

#[tokio::test]
async fn most_held_counts_only_opted_in_members_and_needs_several_holders() {
    let (mut c, u) = community_with(relaxed(), &[], 6).await;
    let opt_in = PrivacySettings {
        count_holdings_in_aggregates: true,
        ..PrivacySettings::default()
    };
    for (i, user) in u.iter().enumerate() {
        let mut holdings = vec![sym("VTI")];
        if i < 3 {
            holdings.push(sym("AAPL"));
        }
        if i == 0 {
            holdings.push(sym("RARE"));
        }
        c.set_holdings(*user, &holdings).await.unwrap();
        if i != 5 {
            c.update_settings(*user, opt_in).await.unwrap();
        }
    }
    let held = c.most_held(10).await.unwrap();
    let rows: Vec<(&str, usize)> = held
        .iter()
        .map(|h| (h.symbol.as_str(), h.holders))
        .collect();
    assert_eq!(
        rows,
        [("VTI", 5), ("AAPL", 3)],
        "$RARE has one holder and would point at them"
    );
    assert!((held[0].share - 1.0).abs() < 1e-12 && (held[1].share - 0.6).abs() < 1e-12);
    let moderator = staff(&mut c, Role::Moderator, 9).await;
    c.moderate(moderator, ModAction::Ban { user: u[0] }, "spam", t(1))
        .await
        .unwrap();
    let rows: Vec<(String, usize)> = c
        .most_held(10)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.symbol.to_string(), h.holders))
        .collect();
    assert_eq!(rows, [("VTI".to_owned(), 4)]);
    assert_eq!(c.most_held(0).await.unwrap().len(), 0);
}

#[tokio::test]
async fn holdings_are_only_ever_shown_to_their_owner() {
    let (mut c, u) = community_with(relaxed(), &[], 2).await;
    c.set_holdings(u[0], &[sym("TSLA"), sym("AAPL"), sym("TSLA")])
        .await
        .unwrap();
    assert_eq!(c.holdings(u[0]).await.unwrap(), [sym("AAPL"), sym("TSLA")]);
    let own = c.profile(Some(u[0]), u[0]).await.unwrap();
    assert_eq!(own.own.unwrap().holdings, [sym("AAPL"), sym("TSLA")]);
    for viewer in [None, Some(u[1])] {
        let view = c.profile(viewer, u[0]).await.unwrap();
        assert!(view.own.is_none());
        let json = serde_json::to_string(&view).unwrap();
        assert!(!json.contains("TSLA") && !json.contains("AAPL"), "{json}");
    }
}

#[tokio::test]
async fn top_contributors_count_likes_and_answers_never_wealth() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B", "Cy_C", "Di_D"], 4).await;
    let q = c
        .post(u[0], Draft::new("How much cash should I keep?"), t(0))
        .await
        .unwrap();
    let answer = c
        .comment(u[1], q, Draft::new("Six months of expenses"), t(1))
        .await
        .unwrap();
    c.mark_helpful(u[0], answer, true, t(2)).await.unwrap();
    let idea = c
        .post(u[2], Draft::new("Index funds for the core"), t(3))
        .await
        .unwrap();
    for liker in [u[0], u[1], u[3]] {
        c.like(liker, idea, t(4)).await.unwrap();
    }
    c.like(u[2], answer, t(5)).await.unwrap();
    let anon = c
        .post(u[3], Draft::new("Quiet thought").anonymous(), t(6))
        .await
        .unwrap();
    for liker in [u[0], u[1], u[2]] {
        c.like(liker, anon, t(7)).await.unwrap();
    }
    let board = c.top_contributors(t(0), t(100), 10).await.unwrap();
    let rows: Vec<(usize, &str, u64, u64, u64)> = board
        .iter()
        .map(|e| {
            (
                e.rank,
                e.member.alias.as_str(),
                e.score,
                e.likes_received,
                e.answers,
            )
        })
        .collect();
    // Bob: 1 like + 5 × 1 answer = 6; Cy: 3 likes; Di's likes are on an anonymous post.
    assert_eq!(rows, [(1, "Bob_B", 6, 1, 1), (2, "Cy_C", 3, 3, 0)]);
    let json = serde_json::to_string(&board).unwrap();
    assert!(!json.contains("Di_D"));
    // The window and the limit.
    assert!(
        c.top_contributors(t(50), t(100), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(c.top_contributors(t(0), t(100), 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn top_performers_are_opt_in_and_percentages_only() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B", "Cy_C"], 3).await;
    let july = Period::Month {
        year: 2024,
        month: 7,
    };
    for (user, pct) in [(u[0], "3.2"), (u[1], "7.46"), (u[2], "12.0")] {
        c.record_return(user, july, Decimal::from_str(pct).unwrap())
            .await
            .unwrap();
    }
    assert!(
        c.top_performers(july, 10).await.unwrap().is_empty(),
        "nobody opted in"
    );
    let share = PrivacySettings {
        share_performance: true,
        ..PrivacySettings::default()
    };
    c.update_settings(u[0], share).await.unwrap();
    c.update_settings(u[1], share).await.unwrap();
    let board = c.top_performers(july, 10).await.unwrap();
    let rows: Vec<(usize, &str, String)> = board
        .iter()
        .map(|e| (e.rank, e.member.alias.as_str(), e.return_pct.to_string()))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "Bob_B", "7.5".to_owned()),
            (2, "Ann_A", "3.2".to_owned())
        ]
    );
    let json = serde_json::to_value(&board[0]).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["member", "period", "rank", "return_pct"]);
    // Shown on the profile only while shared.
    assert_eq!(
        c.profile(None, u[0]).await.unwrap().performance.unwrap()[0].return_pct,
        Decimal::new(32, 1)
    );
    assert!(c.profile(None, u[2]).await.unwrap().performance.is_none());
    // A figure for a period replaces the earlier one; bad inputs are refused.
    c.record_return(u[0], july, Decimal::from(9)).await.unwrap();
    assert_eq!(
        c.top_performers(july, 1).await.unwrap()[0].member.alias,
        "Ann_A"
    );
    assert!(matches!(
        c.record_return(u[0], july, Decimal::from(-101)).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        c.top_performers(
            Period::Month {
                year: 2024,
                month: 13
            },
            5
        )
        .await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(
        c.top_performers(Period::Year { year: 2024 }, 5)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn ticker_sentiment_counts_each_member_once_by_their_latest_tag() {
    let (mut c, u) = community_with(relaxed(), &[], 5).await;
    let now = t(40 * DAY);
    let at = |hours: i64| now - TimeDelta::hours(hours);
    // u0: bearish, then bullish (latest counts); u1 bullish three times;
    // u2 bearish; u3 untagged; u4 bullish but 10 days ago (outside 7 days).
    c.post(u[0], Draft::new("$AAPL looks weak").bearish(), at(30))
        .await
        .unwrap();
    c.post(u[0], Draft::new("$AAPL changed my mind").bullish(), at(2))
        .await
        .unwrap();
    for h in 3..6 {
        c.post(
            u[1],
            Draft::new(format!("$AAPL to the moon {h}")).bullish(),
            at(h),
        )
        .await
        .unwrap();
    }
    c.post(u[2], Draft::new("$AAPL overvalued").bearish(), at(5))
        .await
        .unwrap();
    c.post(u[3], Draft::new("$AAPL earnings tomorrow"), at(1))
        .await
        .unwrap();
    c.post(
        u[4],
        Draft::new("$AAPL cheap").bullish(),
        now - TimeDelta::days(10),
    )
    .await
    .unwrap();
    c.post(u[2], Draft::new("$MSFT strong").bullish(), at(1))
        .await
        .unwrap();
    let s = c.ticker_sentiment(&sym("AAPL"), 7, now).await.unwrap();
    assert_eq!((s.bullish, s.bearish, s.tagged_posts), (2, 1, 6));
    assert!((s.bullish_share.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    let wide = c.ticker_sentiment(&sym("AAPL"), 30, now).await.unwrap();
    assert_eq!((wide.bullish, wide.bearish), (3, 1));
    let none = c.ticker_sentiment(&sym("TSLA"), 7, now).await.unwrap();
    assert_eq!(
        (none.bullish, none.bearish, none.bullish_share),
        (0, 0, None)
    );
    for days in [0, 91, -3] {
        let e = c
            .ticker_sentiment(&sym("AAPL"), days, now)
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput { field: "days", .. }),
            "{e}"
        );
    }
}

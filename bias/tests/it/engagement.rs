//! Badges and the learning checklist.

use std::collections::BTreeSet;

use auravest_bias::{
    BadgeFacts, BadgeId, Experience, HeldDrawdown, award_badges, learning_checklist,
};
use auravest_risk::RiskProfile;

use crate::support::d;

fn earned(facts: &BadgeFacts) -> Vec<BadgeId> {
    award_badges(facts)
        .into_iter()
        .filter(|b| b.earned)
        .map(|b| b.id)
        .collect()
}

#[test]
fn each_badge_follows_its_rule() {
    assert!(earned(&BadgeFacts::default()).is_empty());
    let all = BadgeFacts {
        has_purchase: true,
        risk_profile: true,
        diversified: true,
        community_posts: 1,
        held_through_drawdown: Some(HeldDrawdown {
            depth: 0.2,
            peak: d("2024-01-01"),
            trough: d("2024-02-01"),
            recovery: None,
        }),
        checklist_finished: true,
    };
    assert_eq!(earned(&all), BadgeId::ALL);
    assert_eq!(
        earned(&BadgeFacts {
            community_posts: 0,
            ..all
        }),
        BadgeId::ALL
            .into_iter()
            .filter(|b| *b != BadgeId::FirstCommunityPost)
            .collect::<Vec<_>>()
    );
    for badge in award_badges(&all) {
        assert!(badge.rule.starts_with("Awarded"), "{}", badge.rule);
        assert!(!badge.title.is_empty());
    }
    let json = serde_json::to_value(award_badges(&all)).unwrap();
    assert_eq!(json[0]["id"], "first_portfolio");
}

fn profile(score: u8) -> RiskProfile {
    serde_json::from_value(serde_json::json!({
        "version": "2026.1", "score": score, "capacity_score": 50, "capped_by": [],
        "category": "moderate", "allocation": {"stocks": 0.6, "bonds": 0.4, "cash": 0.0},
        "rationale": "test"
    }))
    .unwrap()
}

#[test]
fn novices_get_the_basics_and_experienced_investors_challenges() {
    let today = d("2024-06-01");
    let long_ago = Some(d("2021-01-01"));
    assert_eq!(
        Experience::assess(None, long_ago, today),
        Experience::Novice
    );
    assert_eq!(
        Experience::assess(Some(&profile(59)), long_ago, today),
        Experience::Novice
    );
    assert_eq!(
        Experience::assess(Some(&profile(60)), Some(d("2023-01-01")), today),
        Experience::Novice,
        "under two years of history"
    );
    assert_eq!(
        Experience::assess(Some(&profile(60)), long_ago, today),
        Experience::Experienced
    );

    let none = BTreeSet::new();
    let basics: Vec<&str> = learning_checklist(Experience::Novice, &none)
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(
        basics,
        [
            "diversification",
            "index_funds",
            "fees",
            "compounding",
            "risk_and_return"
        ]
    );
    let challenges = learning_checklist(Experience::Experienced, &none);
    assert_eq!(challenges.len(), 5);
    assert_eq!(challenges[0].title, "Improve your Sharpe ratio");

    let done: BTreeSet<String> = ["fees".to_owned(), "compounding".to_owned()].into();
    let items = learning_checklist(Experience::Novice, &done);
    let ticked: Vec<&str> = items.iter().filter(|i| i.done).map(|i| i.id).collect();
    assert_eq!(ticked, ["fees", "compounding"]);
}

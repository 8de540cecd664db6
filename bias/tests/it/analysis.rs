//! The whole analysis over the shipped sample data and crafted portfolios.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::PathBuf;

use auravest_bias::{
    AnalysisInput, BadgeId, Config, Goal, NudgeKind, ShownNudge, analyze, default_last_visit,
};
use auravest_core::{Currency, InstrumentTable, Portfolio, PriceFrame, io};

use crate::support::{book, d, day, flat, frame, log};

fn sample(name: &str) -> File {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "examples", "data", name]
        .iter()
        .collect();
    File::open(p).unwrap()
}

fn sample_portfolio() -> (Portfolio, PriceFrame) {
    let prices = PriceFrame::from_csv(sample("prices.csv")).unwrap();
    let mut p = Portfolio::new(Currency::USD, d("2100-01-01"));
    p.import(
        io::read_transactions_csv(sample("transactions.csv")).unwrap(),
        false,
    )
    .unwrap();
    (p, prices)
}

#[test]
fn the_sample_portfolio_gets_throttled_nudges_with_evidence() {
    let (p, prices) = sample_portfolio();
    let as_of = d("2018-04-11");
    let answers: auravest_risk::Answers = serde_json::from_reader(sample("answers.json")).unwrap();
    let profile = auravest_risk::score(&answers).unwrap();
    let input = AnalysisInput {
        benchmark: Some("SPY"),
        risk_profile: Some(&profile),
        ..AnalysisInput::new(&p, &prices, as_of)
    };
    let a = analyze(&input, &Config::default()).unwrap();
    assert_eq!(a.valuation, p.valuation(&prices, as_of).unwrap());
    assert!(a.nudges.len() <= 3 && !a.nudges.is_empty());
    assert!(a.nudges.iter().all(|n| a.findings.contains(n)));
    assert!(
        a.findings
            .windows(2)
            .all(|w| w[0].severity >= w[1].severity)
    );
    for n in &a.findings {
        assert!(!n.title.is_empty() && !n.explanation.is_empty() && !n.action.is_empty());
    }
    // AMZN is about 35% of the sample portfolio.
    let amzn = a
        .findings
        .iter()
        .find(|n| n.subject.as_deref() == Some("AMZN"))
        .unwrap();
    assert_eq!(amzn.kind, NudgeKind::Concentration);
    assert!(a.findings.iter().any(|n| n.kind == NudgeKind::SetGoal));
    // No instruments file: the checks that need classes say so.
    assert!(
        a.findings
            .iter()
            .any(|n| n.kind == NudgeKind::AllocationDrift
                && n.subject.as_deref() == Some("unclassified"))
    );
    let text = serde_json::to_string(&a).unwrap();
    let at: Vec<usize> = [
        "valuation",
        "nudges",
        "findings",
        "goals",
        "badges",
        "checklist",
    ]
    .iter()
    .map(|k| text.find(&format!("\"{k}\":")).unwrap())
    .collect();
    assert!(at[0] == 1 && at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(
        json["valuation"],
        serde_json::to_value(&a.valuation).unwrap()
    );
    let earned: Vec<&str> = a
        .badges
        .iter()
        .filter(|b| b.earned)
        .map(|b| b.title)
        .collect();
    assert_eq!(earned, ["First portfolio", "Risk quiz completed"]);
    assert_eq!(a.checklist.len(), 5);
}

#[test]
fn shown_nudges_make_room_for_others() {
    let (p, prices) = sample_portfolio();
    let as_of = d("2018-04-11");
    let base = AnalysisInput::new(&p, &prices, as_of);
    let first = analyze(&base, &Config::default()).unwrap();
    let history: Vec<ShownNudge> = first
        .nudges
        .iter()
        .map(|n| ShownNudge::of(n, d("2018-04-10")))
        .collect();
    let second = analyze(
        &AnalysisInput {
            history: &history,
            ..base
        },
        &Config::default(),
    )
    .unwrap();
    assert_eq!(second.findings, first.findings);
    for n in &second.nudges {
        assert!(
            !first.nudges.contains(n),
            "{} repeated within the cool-down",
            n.title
        );
    }
    assert_eq!(
        second.nudges.len(),
        3.min(first.findings.len() - first.nudges.len())
    );
}

#[test]
fn a_goal_replaces_the_prompt_and_reports_progress() {
    let (p, prices, _) = book(&[("VTI", 6000), ("BND", 4000)], 0);
    let goals: Vec<Goal> =
        serde_json::from_str(r#"[{"name": "Double", "target": "20000", "by": "2034-01-02"}]"#)
            .unwrap();
    let input = AnalysisInput {
        goals: &goals,
        ..AnalysisInput::new(&p, &prices, d("2024-01-02"))
    };
    let a = analyze(&input, &Config::default()).unwrap();
    assert!(a.findings.iter().all(|n| n.kind != NudgeKind::SetGoal));
    assert_eq!(a.goals.len(), 1);
    assert!((a.goals[0].progress - 0.5).abs() < 1e-12);
    // A broad-fund portfolio earns the diversification badge.
    assert!(
        a.badges
            .iter()
            .any(|b| b.id == BadgeId::DiversifiedPortfolio && b.earned)
    );
}

#[test]
fn badges_from_the_whole_history() {
    // A 20% dip and recovery, held without selling.
    let mut closes = vec![100.0];
    closes.extend((1..=20).map(|i| 100.0 - f64::from(i)));
    closes.extend((1..=20).map(|i| 80.0 + f64::from(i)));
    closes.extend(flat(10, 100.0));
    let prices = frame("2024-01-01", &[("VTI", closes)]);
    let holder = log("2024-01-01,buy,VTI,100,100,0,USD");
    let done: BTreeSet<String> = [
        "diversification",
        "index_funds",
        "fees",
        "compounding",
        "risk_and_return",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let shipped = InstrumentTable::shipped();
    let input = AnalysisInput {
        community_posts: 2,
        completed_lessons: Some(&done),
        instruments: Some(&shipped),
        ..AnalysisInput::new(&holder, &prices, day("2024-01-01", 50))
    };
    let a = analyze(&input, &Config::default()).unwrap();
    let earned: Vec<BadgeId> = a.badges.iter().filter(|b| b.earned).map(|b| b.id).collect();
    assert_eq!(
        earned,
        [
            BadgeId::FirstPortfolio,
            BadgeId::DiversifiedPortfolio,
            BadgeId::FirstCommunityPost,
            BadgeId::HeldThroughDrawdown,
            BadgeId::LearningChecklistFinished,
        ]
    );
    assert!(a.checklist.iter().all(|i| i.done));
}

#[test]
fn the_last_visit_defaults_to_thirty_days_earlier() {
    assert_eq!(default_last_visit(d("2018-04-11")), d("2018-03-12"));
    // A fall between 31 and 30 days ago is outside the default window.
    let mut closes = flat(10, 100.0);
    closes.extend(flat(41, 85.0));
    let prices = frame("2024-01-01", &[("VTI", closes)]);
    let holder = log("2024-01-01,buy,VTI,100,100,0,USD");
    let late = analyze(
        &AnalysisInput::new(&holder, &prices, day("2024-01-01", 45)),
        &Config::default(),
    )
    .unwrap();
    assert!(
        late.findings
            .iter()
            .all(|n| n.kind != NudgeKind::DrawdownCheckin)
    );
    let early = analyze(
        &AnalysisInput::new(&holder, &prices, day("2024-01-01", 35)),
        &Config::default(),
    )
    .unwrap();
    assert!(
        early
            .findings
            .iter()
            .any(|n| n.kind == NudgeKind::DrawdownCheckin)
    );
}

#[test]
fn default_as_of_is_the_last_price_date_else_today() {
    let today = "2024-06-30".parse().unwrap();
    let p = Portfolio::new(Currency::USD, today);
    let prices = PriceFrame::from_csv(sample("prices.csv")).unwrap();
    assert_eq!(
        auravest_bias::default_as_of(&p, &prices),
        *prices.dates().last().unwrap()
    );
    let none = PriceFrame::new(Vec::new(), Vec::new()).unwrap();
    assert_eq!(auravest_bias::default_as_of(&p, &none), today);
}

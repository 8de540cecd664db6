//! Goals: progress, projection, validation, and the set-a-goal nudge.

use auravest_bias::config::GoalsConfig;
use auravest_bias::{Error, Goal, GoalKind, GoalText, NudgeKind, evaluate_goals, set_goal};
use auravest_core::Decimal;

use crate::support::{close, d};

fn goal(json: &str) -> Goal {
    serde_json::from_str(json).unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn f(x: Decimal) -> f64 {
    x.to_string().parse().unwrap()
}

const TODAY: &str = "2024-01-01";

#[test]
fn a_dated_goal_reports_progress_and_projection() {
    let g = goal(
        r#"{"name": "House", "target": "20000", "by": "2029-01-01",
                     "monthly_contribution": "150", "expected_return": 0.05}"#,
    );
    assert_eq!(g.kind(), GoalKind::AmountByDate);
    let p = g
        .progress(dec("5000"), d(TODAY), &GoalsConfig::default())
        .unwrap();
    assert!(close(p.progress, 0.25, 1e-12));
    // The documented formula, computed here independently.
    let n = 1827.0 / 30.4375;
    let i = 1.05_f64.powf(1.0 / 12.0) - 1.0;
    let growth = (1.0 + i).powf(n);
    let fv = 5000.0 * growth + 150.0 * (growth - 1.0) / i;
    assert!(
        close(f(p.projected_value.unwrap()), fv, 0.01),
        "{p:?} vs {fv}"
    );
    assert!(fv < 20000.0 && !p.on_track);
    let need = (20000.0 - 5000.0 * growth) * i / (growth - 1.0);
    assert!(close(
        f(p.required_monthly_contribution.unwrap()),
        need,
        0.01
    ));
    // Contributing what is needed puts the goal on track.
    let mut on = g;
    on.monthly_contribution = p.required_monthly_contribution.unwrap() + Decimal::ONE;
    assert!(
        on.progress(dec("5000"), d(TODAY), &GoalsConfig::default())
            .unwrap()
            .on_track
    );
}

#[test]
fn without_growth_the_projection_is_linear() {
    let g = goal(
        r#"{"name": "Car", "target": "2000", "monthly_contribution": "100",
                     "expected_return": 0}"#,
    );
    assert_eq!(g.kind(), GoalKind::PortfolioValue);
    let p = g
        .progress(dec("1000"), d(TODAY), &GoalsConfig::default())
        .unwrap();
    // Ten month-ends of 100: 10 × 30.4375 days ≈ 304 days.
    assert_eq!(p.projected_date, Some(d("2024-10-31")));
    assert!(p.on_track && p.projected_value.is_none());
    assert!(close(p.progress, 0.5, 1e-12));
}

#[test]
fn a_reached_goal_is_complete_and_an_unreachable_one_is_not_on_track() {
    let reached = goal(r#"{"name": "Start", "target": "1000"}"#);
    let p = reached
        .progress(dec("1500"), d(TODAY), &GoalsConfig::default())
        .unwrap();
    assert!(close(p.progress, 1.0, 0.0) && p.on_track);
    assert_eq!(p.projected_date, Some(d(TODAY)));
    let never = goal(r#"{"name": "Moon", "target": "1000000", "expected_return": 0}"#);
    let p = never
        .progress(dec("10"), d(TODAY), &GoalsConfig::default())
        .unwrap();
    assert!(!p.on_track && p.projected_date.is_none());
}

#[test]
fn the_default_return_comes_from_the_config() {
    let g = goal(r#"{"name": "Later", "target": "3000", "by": "2030-01-01"}"#);
    let low = GoalsConfig {
        expected_return: 0.0,
    };
    let p = g.progress(dec("2000"), d(TODAY), &low).unwrap();
    assert!(close(p.expected_return, 0.0, 0.0));
    assert!(!p.on_track);
    let high = GoalsConfig {
        expected_return: 0.08,
    };
    assert!(g.progress(dec("2000"), d(TODAY), &high).unwrap().on_track);
}

#[test]
fn bad_goals_are_typed_errors_with_their_position() {
    let good = goal(r#"{"name": "Fine", "target": "10"}"#);
    let negative = goal(r#"{"name": "Debt", "target": "-5"}"#);
    let err = evaluate_goals(
        &[good, negative],
        dec("1"),
        d(TODAY),
        &GoalsConfig::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::GoalTargetNotPositive { position: 2, .. }),
        "{err}"
    );
    assert_eq!(err.field(), Some("target"));

    let past = goal(r#"{"name": "Late", "target": "10", "by": "2023-12-31"}"#);
    let err = evaluate_goals(&[past], dec("1"), d(TODAY), &GoalsConfig::default()).unwrap_err();
    assert!(
        matches!(err, Error::GoalDateNotInFuture { position: 1, .. }),
        "{err}"
    );
    let today = goal(r#"{"name": "Now", "target": "10", "by": "2024-01-01"}"#);
    assert!(
        today
            .progress(dec("1"), d(TODAY), &GoalsConfig::default())
            .is_err()
    );

    for (json, field) in [
        (r#"{"name": " ", "target": "10"}"#, "name"),
        (
            r#"{"name": "x", "target": "10", "monthly_contribution": "-1"}"#,
            "monthly_contribution",
        ),
        (
            r#"{"name": "x", "target": "10", "expected_return": 1.5}"#,
            "expected_return",
        ),
        (
            r#"{"name": "x", "target": "10", "expected_return": -1}"#,
            "expected_return",
        ),
        // Just outside the documented range, on either side.
        (
            r#"{"name": "x", "target": "10", "expected_return": 0.51}"#,
            "expected_return",
        ),
        (
            r#"{"name": "x", "target": "10", "expected_return": -0.51}"#,
            "expected_return",
        ),
    ] {
        let err = goal(json)
            .progress(dec("1"), d(TODAY), &GoalsConfig::default())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidGoal { .. }), "{json}: {err}");
        assert_eq!(err.field(), Some(field), "{json}");
    }
    assert!(
        serde_json::from_str::<Goal>(r#"{"name": "x", "target": "10", "when": "soon"}"#).is_err()
    );
    // The limits themselves are accepted; one character or one step beyond is not.
    let named = |n: usize, r: f64| Goal {
        name: "n".repeat(n),
        target: dec("10"),
        by: None,
        monthly_contribution: dec("0"),
        expected_return: Some(r),
    };
    let today = d(TODAY);
    assert!(
        named(auravest_bias::MAX_GOAL_NAME_CHARS, 0.5)
            .validate(1, today)
            .is_ok()
    );
    assert!(named(1, -0.5).validate(1, today).is_ok());
    let err = named(auravest_bias::MAX_GOAL_NAME_CHARS + 1, 0.0)
        .validate(3, today)
        .unwrap_err();
    assert_eq!(err.field(), Some("name"));
    assert!(
        matches!(err, Error::InvalidGoal { position: 3, .. }),
        "{err}"
    );
}

#[test]
fn no_goal_prompts_to_set_one() {
    let out = set_goal(&[]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, NudgeKind::SetGoal);
    assert!(set_goal(&[goal(r#"{"name": "x", "target": "10"}"#)]).is_empty());
}

#[test]
fn parse_reads_text_with_the_sdk_rules_and_names_the_bad_field() {
    let g = Goal::parse(
        1,
        GoalText {
            name: " House ",
            target: "2e4",
            by: Some("2029-01-01"),
            monthly_contribution: Some("150.50"),
            expected_return: Some(0.05),
        },
    )
    .unwrap();
    assert_eq!(
        g,
        goal(
            r#"{"name": "House", "target": "20000", "by": "2029-01-01",
                "monthly_contribution": "150.50", "expected_return": 0.05}"#
        )
    );
    let bare = Goal::parse(
        1,
        GoalText {
            name: "Nest egg",
            target: "100000",
            ..GoalText::default()
        },
    )
    .unwrap();
    assert_eq!(
        (bare.by, bare.monthly_contribution, bare.expected_return),
        (None, Decimal::ZERO, None)
    );

    for (text, field) in [
        (
            GoalText {
                name: "Car",
                target: "lots",
                ..GoalText::default()
            },
            "target",
        ),
        (
            GoalText {
                name: "Car",
                target: "1000",
                by: Some("2030-02-30"),
                ..GoalText::default()
            },
            "by",
        ),
        (
            GoalText {
                name: "Car",
                target: "1000",
                monthly_contribution: Some(""),
                ..GoalText::default()
            },
            "monthly_contribution",
        ),
    ] {
        let e = Goal::parse(3, text).unwrap_err();
        let Error::InvalidGoal {
            position,
            goal,
            field: f,
            ..
        } = &e
        else {
            panic!("expected InvalidGoal, got {e:?}");
        };
        assert_eq!((*position, goal.as_str(), *f), (3, "Car", field), "{e}");
        assert_eq!(
            (e.kind(), e.field(), e.position()),
            ("invalid_goal", Some(field), Some(3))
        );
    }
}

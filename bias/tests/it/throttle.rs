//! Throttling: cool-down, daily limit, most severe first.

use auravest_bias::config::ThrottleConfig;
use auravest_bias::{Nudge, NudgeKind, Severity, ShownNudge, throttle};
use serde_json::json;

use crate::support::d;

pub(crate) fn nudge(kind: NudgeKind, subject: Option<&str>, severity: Severity) -> Nudge {
    Nudge::new(
        kind,
        severity,
        subject.map(ToOwned::to_owned),
        "t",
        "e",
        "a",
        json!({}),
    )
}

fn shown(kind: NudgeKind, subject: Option<&str>, on: &str) -> ShownNudge {
    ShownNudge {
        kind,
        subject: subject.map(ToOwned::to_owned),
        shown_on: d(on),
    }
}

#[test]
fn at_most_three_a_day_most_severe_first() {
    let candidates = vec![
        nudge(NudgeKind::SetGoal, None, Severity::Info),
        nudge(NudgeKind::Concentration, Some("AAPL"), Severity::Warning),
        nudge(NudgeKind::HomeBias, None, Severity::Info),
        nudge(NudgeKind::PanicSelling, Some("XOM"), Severity::Critical),
        nudge(NudgeKind::CashDrag, None, Severity::Info),
    ];
    let out = throttle(candidates, &[], d("2024-05-02"), &ThrottleConfig::default()).unwrap();
    let got: Vec<_> = out.iter().map(|n| (n.kind, n.severity)).collect();
    assert_eq!(
        got,
        [
            (NudgeKind::PanicSelling, Severity::Critical),
            (NudgeKind::Concentration, Severity::Warning),
            (NudgeKind::SetGoal, Severity::Info),
        ]
    );
}

#[test]
fn the_same_nudge_waits_out_its_cool_down() {
    let c = || {
        vec![nudge(
            NudgeKind::Concentration,
            Some("AAPL"),
            Severity::Warning,
        )]
    };
    let history = [shown(NudgeKind::Concentration, Some("AAPL"), "2024-05-01")];
    let cfg = ThrottleConfig::default();
    assert!(
        throttle(c(), &history, d("2024-05-07"), &cfg)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        throttle(c(), &history, d("2024-05-08"), &cfg)
            .unwrap()
            .len(),
        1
    );
    // Another subject of the same kind is a different nudge.
    let other = vec![nudge(
        NudgeKind::Concentration,
        Some("MSFT"),
        Severity::Warning,
    )];
    assert_eq!(
        throttle(other, &history, d("2024-05-02"), &cfg)
            .unwrap()
            .len(),
        1
    );
    // No cool-down at all.
    let none = ThrottleConfig {
        cooldown_days: 0,
        ..cfg
    };
    assert_eq!(
        throttle(c(), &history, d("2024-05-01"), &none)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn nudges_already_shown_today_use_up_the_budget() {
    let history = [
        shown(NudgeKind::SetGoal, None, "2024-05-02"),
        shown(NudgeKind::HomeBias, None, "2024-05-02"),
    ];
    let candidates = vec![
        nudge(NudgeKind::Concentration, Some("AAPL"), Severity::Warning),
        nudge(NudgeKind::CashDrag, None, Severity::Info),
    ];
    let out = throttle(
        candidates,
        &history,
        d("2024-05-02"),
        &ThrottleConfig::default(),
    )
    .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, NudgeKind::Concentration);
}

#[test]
fn duplicates_in_one_batch_show_once_at_their_most_severe() {
    let candidates = vec![
        nudge(NudgeKind::Concentration, Some("AAPL"), Severity::Warning),
        nudge(NudgeKind::Concentration, Some("AAPL"), Severity::Critical),
    ];
    let out = throttle(candidates, &[], d("2024-05-02"), &ThrottleConfig::default()).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::Critical);
}

#[test]
fn history_round_trips_as_json() {
    let h = ShownNudge::of(
        &nudge(NudgeKind::PanicSelling, Some("XOM"), Severity::Warning),
        d("2024-05-02"),
    );
    let text = serde_json::to_string(&h).unwrap();
    assert_eq!(
        text,
        r#"{"kind":"panic_selling","subject":"XOM","shown_on":"2024-05-02"}"#
    );
    assert_eq!(serde_json::from_str::<ShownNudge>(&text).unwrap(), h);
}

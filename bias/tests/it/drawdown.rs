//! The drawdown check-in since the last visit, and holding through a drawdown.

use auravest_bias::config::DrawdownConfig;
use auravest_bias::{Error, NudgeKind, Severity, drawdown_checkin, held_through_drawdown};

use crate::support::{close, day, flat, frame, log, num};

const START: &str = "2024-01-01";

/// Flat at 100 for 11 days, then a straight line down to `end` on day 40.
fn falling(end: f64) -> Vec<f64> {
    let mut v = flat(11, 100.0);
    for i in 1..=30 {
        v.push(100.0 + (end - 100.0) * f64::from(i) / 30.0);
    }
    v
}

fn check(closes: Vec<f64>, rows: &str) -> Vec<auravest_bias::Nudge> {
    let prices = frame(START, &[("AAA", closes)]);
    drawdown_checkin(
        &log(rows),
        &prices,
        day(START, 10),
        day(START, 40),
        &DrawdownConfig::default(),
    )
    .unwrap()
}

const HOLDER: &str = "2024-01-01,buy,AAA,100,100,0,USD";

#[test]
fn an_eleven_percent_fall_since_the_last_visit_fires() {
    let out = check(falling(89.0), HOLDER);
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!(
        (n.kind, n.severity),
        (NudgeKind::DrawdownCheckin, Severity::Warning)
    );
    assert!(close(num(n, "return"), -0.11, 1e-9));
    assert_eq!(n.evidence["from"], "2024-01-11");
    assert!(n.action.contains("long-term plan") && n.action.contains("rebalancing"));
}

#[test]
fn a_nine_percent_fall_is_silent() {
    assert!(check(falling(91.0), HOLDER).is_empty());
}

#[test]
fn a_twenty_one_percent_fall_is_critical() {
    assert_eq!(check(falling(79.0), HOLDER)[0].severity, Severity::Critical);
}

#[test]
fn withdrawals_are_not_a_fall() {
    let rows = "2024-01-01,deposit,,,20000,0,USD\n2024-01-01,buy,AAA,100,100,0,USD\n\
                2024-01-20,withdrawal,,,9000,0,USD";
    assert!(check(flat(41, 100.0), rows).is_empty());
}

#[test]
fn the_last_visit_cannot_follow_the_analysis_date() {
    let prices = frame(START, &[("AAA", flat(41, 100.0))]);
    let err = drawdown_checkin(
        &log(HOLDER),
        &prices,
        day(START, 41),
        day(START, 40),
        &DrawdownConfig::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::LastVisitAfterAsOf { .. }), "{err}");
}

/// Down 20% by day 20, back to 100 by day 40, then flat.
fn dip_and_recovery() -> Vec<f64> {
    let mut v = vec![100.0];
    for i in 1..=20 {
        v.push(100.0 - f64::from(i));
    }
    for i in 1..=20 {
        v.push(80.0 + f64::from(i));
    }
    v.extend(flat(10, 100.0));
    v
}

#[test]
fn holding_through_a_twenty_percent_dip_earns_the_badge_fact() {
    let prices = frame(START, &[("AAA", dip_and_recovery())]);
    let held = held_through_drawdown(
        &log(HOLDER),
        &prices,
        day(START, 50),
        &DrawdownConfig::default(),
    )
    .unwrap()
    .unwrap();
    assert!(close(held.depth, 0.20, 1e-9));
    assert_eq!(held.trough, day(START, 20));
    assert_eq!(held.recovery, Some(day(START, 40)));
}

#[test]
fn selling_during_the_dip_or_a_shallow_dip_does_not() {
    let prices = frame(START, &[("AAA", dip_and_recovery())]);
    let seller = format!("{HOLDER}\n2024-01-16,sell,AAA,10,85,0,USD");
    assert!(
        held_through_drawdown(
            &log(&seller),
            &prices,
            day(START, 50),
            &DrawdownConfig::default()
        )
        .unwrap()
        .is_none()
    );
    // Selling after the recovery is fine.
    let later = format!("{HOLDER}\n2024-02-15,sell,AAA,10,100,0,USD");
    assert!(
        held_through_drawdown(
            &log(&later),
            &prices,
            day(START, 50),
            &DrawdownConfig::default()
        )
        .unwrap()
        .is_some()
    );
    let deep = DrawdownConfig { min_fall: 0.25 };
    assert!(
        held_through_drawdown(&log(HOLDER), &prices, day(START, 50), &deep)
            .unwrap()
            .is_none()
    );
}

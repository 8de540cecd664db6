//! Performance chasing and attention buying.

use auravest_bias::config::ChasingConfig;
use auravest_bias::{Nudge, NudgeKind, Severity, performance_chasing};
use auravest_core::PriceFrame;

use crate::support::{close, day, flat, frame, log, num};

const START: &str = "2023-01-01";

fn buy_on(d: usize) -> auravest_core::Portfolio {
    log(&format!("{},buy,AAA,10,100,0,USD\n", day(START, d)))
}

fn run(closes: Vec<f64>, buy_day: usize, volumes: Option<&PriceFrame>) -> Vec<Nudge> {
    let as_of = day(START, closes.len() - 1);
    let prices = frame(START, &[("AAA", closes)]);
    performance_chasing(
        &buy_on(buy_day),
        &prices,
        volumes,
        as_of,
        &ChasingConfig::default(),
    )
    .unwrap()
}

/// Flat at 100 for 100 days, then a steady climb to `top` over 60 days.
fn run_up(top: f64) -> Vec<f64> {
    let mut v = flat(100, 100.0);
    let step = (top / 100.0).powf(1.0 / 60.0);
    for i in 1..=60 {
        v.push(100.0 * step.powi(i));
    }
    v
}

/// Alternating 100 and 100.5 for 260 days, then one move of `jump`, then flat.
fn spike(jump: f64) -> Vec<f64> {
    let mut v: Vec<f64> = (0..260)
        .map(|i| if i % 2 == 0 { 100.0 } else { 100.5 })
        .collect();
    let last = v[259];
    v.push(last * (1.0 + jump));
    v.push(last * (1.0 + jump));
    v
}

#[test]
fn buying_after_a_thirty_percent_run_up_fires() {
    let out = run(run_up(130.0), 159, None);
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!(
        (n.kind, n.severity),
        (NudgeKind::PerformanceChasing, Severity::Warning)
    );
    assert!(close(num(n, "run_up"), 0.30, 1e-6));
    assert_eq!(n.evidence["triggers"], serde_json::json!(["run_up"]));
}

#[test]
fn a_twenty_percent_rise_is_silent() {
    assert!(run(run_up(120.0), 159, None).is_empty());
}

#[test]
fn buying_the_day_after_an_extreme_move_is_attention_buying() {
    let out = run(spike(0.08), 261, None);
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!(n.severity, Severity::Info);
    assert_eq!(n.evidence["triggers"], serde_json::json!(["extreme_move"]));
    assert!(close(
        n.evidence["one_day_move"]["move"].as_f64().unwrap(),
        0.08,
        1e-6
    ));
    assert_eq!(
        n.evidence["one_day_move"]["date"],
        day(START, 260).to_string()
    );
}

#[test]
fn a_move_below_the_three_percent_floor_is_silent() {
    assert!(run(spike(0.025), 261, None).is_empty());
}

#[test]
fn buying_on_double_volume_is_attention_buying() {
    let volumes = |buy_day_volume: f64| {
        let mut v = flat(100, 1000.0);
        v[90] = buy_day_volume;
        frame(START, &[("AAA", v)])
    };
    let loud = volumes(3000.0);
    let out = run(flat(100, 100.0), 90, Some(&loud));
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].evidence["triggers"],
        serde_json::json!(["abnormal_volume"])
    );
    assert!(close(num(&out[0], "volume_ratio"), 3.0, 1e-9));
    let quiet = volumes(1500.0);
    assert!(run(flat(100, 100.0), 90, Some(&quiet)).is_empty());
}

#[test]
fn old_buys_are_outside_the_lookback() {
    // The run-up buy on day 159, checked a year later.
    let mut closes = run_up(130.0);
    closes.extend(flat(300, closes[159]));
    assert!(run(closes, 159, None).is_empty());
}

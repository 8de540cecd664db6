//! Overtrading: annualised turnover with its cost drag.

use auravest_bias::config::OvertradingConfig;
use auravest_bias::{NudgeKind, Severity, overtrading, turnover};
use auravest_core::{Decimal, PriceFrame};

use crate::support::{close, day, flat, frame, log, num};

const START: &str = "2023-01-01";

fn prices() -> PriceFrame {
    frame(
        START,
        &[("AAA", flat(500, 100.0)), ("BBB", flat(500, 100.0))],
    )
}

/// Bought 100 AAA on day 0 (outside the one-year window ending on day 450),
/// then swaps `shares` between AAA and BBB on each of `swap_days`.
fn swapper(shares: u32, swap_days: &[usize], fee: u32) -> auravest_core::Portfolio {
    let mut rows = format!(
        "{},deposit,,,10000,0,USD\n{},buy,AAA,100,100,0,USD\n",
        day(START, 0),
        day(START, 0)
    );
    let mut holding = "AAA";
    for d in swap_days {
        let other = if holding == "AAA" { "BBB" } else { "AAA" };
        let date = day(START, *d);
        rows.push_str(&format!("{date},sell,{holding},{shares},100,{fee},USD\n"));
        rows.push_str(&format!("{date},buy,{other},{shares},100,{fee},USD\n"));
        holding = other;
    }
    log(&rows)
}

fn as_of() -> auravest_core::NaiveDate {
    day(START, 450)
}

#[test]
fn two_full_swaps_a_year_fire() {
    let p = swapper(100, &[200, 300], 0);
    let cfg = OvertradingConfig::default();
    let t = turnover(&p, &prices(), as_of(), &cfg).unwrap().unwrap();
    assert!(close(t.sale_turnover, 2.0, 1e-12), "{t:?}");
    assert!(close(t.purchase_turnover, 2.0, 1e-12), "{t:?}");
    assert!(close(t.annual_turnover, 2.0, 1e-12));
    assert_eq!(t.traded_value, Decimal::from(40_000));
    let out = overtrading(&p, &prices(), as_of(), &cfg).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].kind, out[0].severity),
        (NudgeKind::Overtrading, Severity::Warning)
    );
    assert!(close(num(&out[0], "annual_turnover"), 2.0, 1e-9));
    assert!(out[0].explanation.contains("Barber and Odean"));
}

#[test]
fn one_partial_swap_is_silent() {
    let p = swapper(80, &[200], 0);
    let t = turnover(&p, &prices(), as_of(), &OvertradingConfig::default())
        .unwrap()
        .unwrap();
    assert!(close(t.annual_turnover, 0.8, 1e-12));
    assert!(
        overtrading(&p, &prices(), as_of(), &OvertradingConfig::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn four_swaps_are_critical_and_fees_show_in_the_cost_drag() {
    let p = swapper(100, &[100, 200, 300, 400], 10);
    let out = overtrading(&p, &prices(), as_of(), &OvertradingConfig::default()).unwrap();
    assert_eq!(out[0].severity, Severity::Critical);
    assert_eq!(out[0].evidence["fees"], "80");
    // (80 fees + 80,000 traded × 0.1%) over an average value of 10,000 (the
    // fees are paid by implicit deposits, so the value stays at 10,000).
    assert!(close(num(&out[0], "cost_drag"), 0.016, 1e-9));
}

#[test]
fn investing_new_money_every_month_is_not_trading() {
    let mut rows = String::new();
    for m in 0..12 {
        let date = day(START, 100 + 30 * m);
        rows.push_str(&format!(
            "{date},deposit,,,1000,0,USD\n{date},buy,AAA,10,100,0,USD\n"
        ));
    }
    // And buys without any cash (funded by implicit deposits).
    for m in 0..3 {
        rows.push_str(&format!(
            "{},buy,BBB,50,100,0,USD\n",
            day(START, 105 + 30 * m)
        ));
    }
    let p = log(&rows);
    let t = turnover(&p, &prices(), as_of(), &OvertradingConfig::default())
        .unwrap()
        .unwrap();
    assert!(t.annual_turnover.abs() < 1e-12, "{t:?}");
    assert!(
        overtrading(&p, &prices(), as_of(), &OvertradingConfig::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn short_histories_are_not_annualised() {
    // Heavy swapping, but the first transaction is only 60 days before the analysis date.
    let mut rows = format!("{},buy,AAA,100,100,0,USD\n", day(START, 390));
    for (i, d) in (395..450).step_by(5).enumerate() {
        let (from, to) = if i % 2 == 0 {
            ("AAA", "BBB")
        } else {
            ("BBB", "AAA")
        };
        rows.push_str(&format!(
            "{date},sell,{from},100,100,0,USD\n{date},buy,{to},100,100,0,USD\n",
            date = day(START, d)
        ));
    }
    let p = log(&rows);
    assert!(
        turnover(&p, &prices(), as_of(), &OvertradingConfig::default())
            .unwrap()
            .is_none()
    );
    let short = OvertradingConfig {
        min_history_days: 30,
        ..OvertradingConfig::default()
    };
    assert_eq!(
        overtrading(&p, &prices(), as_of(), &short).unwrap().len(),
        1
    );
}

//! Amounts at the ledger's limits: every detector answers (or gives a typed
//! error), none panics, and foreign amounts above one trade's cap convert.

use auravest_bias::config::{OvertradingConfig, PanicConfig};
use auravest_bias::{disposition_counts, panic_selling, turnover};
use auravest_core::Decimal;

use crate::support::{day, flat, frame, log};

const START: &str = "2023-01-01";

#[test]
fn flows_above_one_trades_cap_convert_into_the_base_currency() {
    // A 1e12 EUR purchase, funded by an implicit deposit of 1e12 EUR: more
    // than any single amount a transaction may carry, yet a real flow.
    let rows = format!(
        "{},buy,SAP,1,100,0,EUR\n{},buy,SAP,10000000000,100,0,EUR\n{},sell,SAP,5000000000,100,0,EUR\n",
        day(START, 0),
        day(START, 100),
        day(START, 200)
    );
    let p = log(&rows);
    let prices = frame(
        START,
        &[("SAP", flat(500, 100.0)), ("EURUSD=X", flat(500, 1.1))],
    );
    let t = turnover(&p, &prices, day(START, 450), &OvertradingConfig::default())
        .unwrap()
        .unwrap();
    assert_eq!(t.traded_value, Decimal::from(1_650_000_000_000_u64));
}

#[test]
fn detectors_at_the_input_limits_answer() {
    // 10^13 shares bought at the largest price, half sold in 50 sales on one
    // day, two days after a 40% fall.
    let mut rows = String::new();
    for i in 0..100 {
        rows.push_str(&format!(
            "{},buy,AAA,100000000000,100000000000,100000000000,USD\n",
            day(START, i % 10)
        ));
    }
    for _ in 0..50 {
        rows.push_str(&format!(
            "{},sell,AAA,100000000000,60000000000,100000000000,USD\n",
            day(START, 40)
        ));
    }
    let p = log(&rows);
    let mut closes = flat(38, 1e11);
    closes.extend(flat(22, 6e10));
    let prices = frame(START, &[("AAA", closes)]);
    let as_of = day(START, 59);
    let counts = disposition_counts(&p, &prices, as_of).unwrap();
    assert_eq!((counts.sell_days, counts.realized_losses), (1, 1));
    let nudges = panic_selling(&p, &prices, None, as_of, &PanicConfig::default()).unwrap();
    assert_eq!(nudges.len(), 1);
    let t = turnover(&p, &prices, as_of, &OvertradingConfig::default());
    assert!(t.is_ok(), "{t:?}");
}

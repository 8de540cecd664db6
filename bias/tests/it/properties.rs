//! Invariants over generated portfolios, prices and nudge histories.

use auravest_bias::config::{ConcentrationConfig, DispositionConfig, PanicConfig, ThrottleConfig};
use auravest_bias::{
    AnalysisInput, Config, Goal, NudgeKind, Severity, ShownNudge, analyze, concentration,
    disposition_effect, panic_selling, throttle,
};
use auravest_core::strategies::{price_frame, trade_log};
use auravest_core::{
    Currency, Decimal, Portfolio, PriceFrame, Quantity, Symbol, Transaction, TransactionKind,
};
use proptest::prelude::*;
use serde_json::Value;

use crate::support::{d, table};
use crate::throttle::nudge;

fn symbols(n: usize) -> Vec<Symbol> {
    (0..n)
        .map(|i| Symbol::new(&format!("A{i}")).unwrap())
        .collect()
}

fn portfolio(log: &[Transaction]) -> Portfolio {
    let mut p = Portfolio::new(Currency::USD, d("2100-01-01"));
    for tx in log {
        p.insert(tx.clone()).unwrap();
    }
    p
}

fn scaled(log: &[Transaction], k: Decimal) -> Vec<Transaction> {
    log.iter()
        .map(|tx| {
            let mut tx = tx.clone();
            match &mut tx.kind {
                TransactionKind::Buy { quantity, .. } | TransactionKind::Sell { quantity, .. } => {
                    *quantity = Quantity::new("quantity", quantity.get() * k).unwrap();
                }
                _ => {}
            }
            tx
        })
        .collect()
}

/// JSON values equal up to `tol` on numbers.
fn same(a: &Value, b: &Value, tol: f64) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= tol
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y, tol))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, tol)))
        }
        _ => a == b,
    }
}

fn last_date(prices: &PriceFrame) -> auravest_core::NaiveDate {
    prices.dates()[prices.len() - 1]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn scaling_every_quantity_does_not_change_concentration(
        prices in price_frame(4, 40),
        log in trade_log(symbols(4), 30),
        k in 1u32..=400,
    ) {
        let factor = Decimal::new(i64::from(k), 0) / Decimal::from(8);
        let t = table(&["A0,equity,Technology,US", "A1,equity,Technology,US", "A2,equity,Energy,US"]);
        let as_of = last_date(&prices);
        let cfg = ConcentrationConfig::default();
        let base = portfolio(&log).valuation(&prices, as_of).unwrap();
        let big = portfolio(&scaled(&log, factor)).valuation(&prices, as_of).unwrap();
        let a = concentration(&base, &t, &cfg).unwrap();
        let b = concentration(&big, &t, &cfg).unwrap();
        let key = |n: &auravest_bias::Nudge| (n.kind, n.severity, n.subject.clone());
        prop_assert_eq!(a.iter().map(key).collect::<Vec<_>>(), b.iter().map(key).collect::<Vec<_>>());
        for (x, y) in a.iter().zip(&b) {
            prop_assert!(
                same(&Value::Object(x.evidence.clone()), &Value::Object(y.evidence.clone()), 2e-6),
                "{:?} vs {:?}", x.evidence, y.evidence
            );
            prop_assert_eq!(&x.title, &y.title);
        }
    }

    #[test]
    fn a_history_without_sales_never_shows_panic_selling_or_the_disposition_effect(
        prices in price_frame(3, 60),
        log in trade_log(symbols(3), 50),
    ) {
        let buys: Vec<Transaction> = log
            .into_iter()
            .filter(|t| matches!(t.kind, TransactionKind::Buy { .. }))
            .collect();
        let p = portfolio(&buys);
        let as_of = last_date(&prices);
        let wide = PanicConfig { lookback_days: 3650, min_fall: 0.01, min_sold: 0.01, ..PanicConfig::default() };
        prop_assert!(panic_selling(&p, &prices, Some("A2"), as_of, &wide).unwrap().is_empty());
        let eager = DispositionConfig { min_difference: 0.0, min_sell_days: 1 };
        prop_assert!(disposition_effect(&p, &prices, as_of, &eager).unwrap().is_empty());
        let a = analyze(
            &AnalysisInput { benchmark: Some("A2"), ..AnalysisInput::new(&p, &prices, as_of) },
            &Config::default(),
        ).unwrap();
        let quiet = a
            .findings
            .iter()
            .all(|n| n.kind != NudgeKind::PanicSelling && n.kind != NudgeKind::DispositionEffect);
        prop_assert!(quiet);
    }

    #[test]
    fn throttling_never_exceeds_the_daily_limit_or_repeats_within_the_cool_down(
        visits in proptest::collection::vec(
            proptest::collection::vec((0usize..10, 0usize..4, 0usize..3), 0..12),
            1..40,
        ),
        cooldown in 0u32..10,
        max_per_day in 1u32..5,
    ) {
        let cfg = ThrottleConfig { cooldown_days: cooldown, max_per_day };
        let start = d("2024-01-01");
        let mut history: Vec<ShownNudge> = Vec::new();
        for (i, cands) in visits.iter().enumerate() {
            // Two visits a day.
            let today = start.iter_days().nth(i / 2).unwrap();
            let candidates: Vec<_> = cands
                .iter()
                .map(|(k, s, v)| {
                    let subject = ["AAPL", "MSFT", "XOM"].get(*s).copied();
                    let severity = [Severity::Info, Severity::Warning, Severity::Critical][*v];
                    nudge(NudgeKind::ALL[*k], subject, severity)
                })
                .collect();
            let shown = throttle(candidates.clone(), &history, today, &cfg).unwrap();
            let before_today = history.iter().filter(|h| h.shown_on == today).count();
            prop_assert!(before_today + shown.len() <= max_per_day as usize);
            prop_assert!(shown.windows(2).all(|w| w[0].severity >= w[1].severity));
            for n in &shown {
                let recent = history.iter().any(|h| {
                    h.kind == n.kind
                        && h.subject == n.subject
                        && today.signed_duration_since(h.shown_on).num_days() < i64::from(cooldown)
                });
                prop_assert!(!recent, "{:?} repeated within {} days", n.key(), cooldown);
            }
            let mut keys: Vec<_> = shown.iter().map(|n| n.key()).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), shown.len());
            // Nothing eligible is held back while there is room.
            if before_today + shown.len() < max_per_day as usize {
                for c in &candidates {
                    let eligible = !history.iter().any(|h| {
                        h.kind == c.kind
                            && h.subject == c.subject
                            && today.signed_duration_since(h.shown_on).num_days() < i64::from(cooldown)
                    });
                    prop_assert!(!eligible || shown.iter().any(|n| n.key() == c.key()));
                }
            }
            history.extend(shown.iter().map(|n| ShownNudge::of(n, today)));
        }
    }

    #[test]
    fn contributing_more_never_takes_a_dated_goal_off_track(
        current in 0u32..100_000,
        target in 1u32..200_000,
        low in 0u32..2_000,
        extra in 0u32..2_000,
        months in 1i64..240,
        r in -0.05f64..0.12,
    ) {
        let today = d("2024-01-01");
        let by = today.iter_days().nth((months * 30) as usize).unwrap();
        let goal = |c: u32| Goal {
            name: "g".to_owned(),
            target: Decimal::from(target),
            by: Some(by),
            monthly_contribution: Decimal::from(c),
            expected_return: Some(r),
        };
        let cfg = auravest_bias::config::GoalsConfig::default();
        let a = goal(low).progress(Decimal::from(current), today, &cfg).unwrap();
        let b = goal(low + extra).progress(Decimal::from(current), today, &cfg).unwrap();
        prop_assert!(!a.on_track || b.on_track);
        prop_assert!(b.projected_value >= a.projected_value);
        prop_assert!((0.0..=1.0).contains(&a.progress));
    }
}

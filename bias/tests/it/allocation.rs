//! Home bias, cash drag and allocation drift.

use std::collections::BTreeMap;

use auravest_bias::config::{CashConfig, DriftConfig, HomeBiasConfig};
use auravest_bias::{
    ClassWeights, Error, NudgeKind, Severity, TargetAllocation, allocation_drift, cash_drag,
    home_bias,
};
use auravest_core::InstrumentTable;
use auravest_risk::RiskCategory;

use crate::support::{book, close, num, table, with_subject};

fn world() -> InstrumentTable {
    table(&["AAA,equity,Industrials,US", "BBB,equity,Industrials,GB"])
}

#[test]
fn mostly_domestic_equity_is_home_bias() {
    let (_, _, v) = book(&[("AAA", 81), ("BBB", 19)], 0);
    let out = home_bias(&v, &world(), &HomeBiasConfig::default()).unwrap();
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!((n.kind, n.severity), (NudgeKind::HomeBias, Severity::Info));
    // HB = 1 − 0.19 / 0.40.
    assert!(close(num(n, "home_bias"), 0.525, 1e-9));
    assert!(close(num(n, "world_foreign_share"), 0.40, 1e-12));
    assert!(n.explanation.contains("French and Poterba"));

    let (_, _, v) = book(&[("AAA", 79), ("BBB", 21)], 0);
    assert!(
        home_bias(&v, &world(), &HomeBiasConfig::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn international_funds_listed_at_home_count_as_foreign() {
    let (_, _, v) = book(&[("AAA", 60), ("VXUS", 40)], 0);
    assert!(
        home_bias(&v, &world(), &HomeBiasConfig::default())
            .unwrap()
            .is_empty()
    );
    // Without the look-through, VXUS is just a US-listed fund.
    let bare = HomeBiasConfig::for_country("US", 0.6);
    let out = home_bias(&v, &world(), &bare).unwrap();
    assert!(close(num(&out[0], "home_bias"), 1.0, 1e-12));
}

#[test]
fn another_home_country_uses_its_own_world_weight() {
    let uk = HomeBiasConfig::for_country("gb", 0.04);
    let (_, _, v) = book(&[("AAA", 50), ("BBB", 50)], 0);
    // Half abroad against 96% of the world abroad: HB = 1 − 0.5/0.96 < 0.5.
    assert!(home_bias(&v, &world(), &uk).unwrap().is_empty());
    let (_, _, v) = book(&[("AAA", 40), ("BBB", 60)], 0);
    let out = home_bias(&v, &world(), &uk).unwrap();
    assert!(close(num(&out[0], "home_bias"), 1.0 - 0.4 / 0.96, 1e-6));
}

#[test]
fn home_bias_says_so_when_holdings_are_unclassified() {
    let (_, _, v) = book(&[("AAA", 70), ("ZZZ", 30)], 0);
    let out = home_bias(&v, &world(), &HomeBiasConfig::default()).unwrap();
    let n = with_subject(&out, "unclassified");
    assert_eq!(n.severity, Severity::Info);
    assert_eq!(n.evidence["unclassified"], serde_json::json!(["ZZZ"]));
    assert!(close(num(n, "coverage"), 0.7, 1e-9));
    // Enough coverage: the check runs and names what it left out.
    let (_, _, v) = book(&[("AAA", 90), ("ZZZ", 10)], 0);
    let out = home_bias(&v, &world(), &HomeBiasConfig::default()).unwrap();
    assert_eq!(out[0].subject, None);
    assert_eq!(out[0].evidence["unclassified"], serde_json::json!(["ZZZ"]));
    assert!(out[0].explanation.contains("ZZZ could not be classified"));
}

#[test]
fn idle_cash_above_ten_percent_is_cash_drag() {
    let (_, _, v) = book(&[("AAA", 89)], 11);
    let out = cash_drag(&v, None, &CashConfig::default()).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].kind, out[0].severity),
        (NudgeKind::CashDrag, Severity::Info)
    );
    assert!(close(num(&out[0], "cash_weight"), 0.11, 1e-12));
    let (_, _, v) = book(&[("AAA", 91)], 9);
    assert!(
        cash_drag(&v, None, &CashConfig::default())
            .unwrap()
            .is_empty()
    );
    let (_, _, v) = book(&[("AAA", 60)], 40);
    assert_eq!(
        cash_drag(&v, None, &CashConfig::default()).unwrap()[0].severity,
        Severity::Warning
    );
}

#[test]
fn cash_drag_allows_the_target_cash_share() {
    // Conservative: 5% cash, so the limit is 15%.
    let target = TargetAllocation::from_model(RiskCategory::Conservative.allocation());
    let (_, _, v) = book(&[("AAA", 8600)], 1400);
    assert!(
        cash_drag(&v, Some(&target), &CashConfig::default())
            .unwrap()
            .is_empty()
    );
    let (_, _, v) = book(&[("AAA", 8400)], 1600);
    let out = cash_drag(&v, Some(&target), &CashConfig::default()).unwrap();
    // 11% above the 5% target, at 5% a year: 55.
    assert_eq!(out[0].evidence["excess"], "1100");
    assert_eq!(out[0].evidence["estimated_yearly_cost"], "55");
}

fn moderate() -> TargetAllocation {
    TargetAllocation::from_model(RiskCategory::Moderate.allocation())
}

#[test]
fn drifting_six_points_from_sixty_forty_fires() {
    let t = InstrumentTable::shipped();
    let (_, _, v) = book(&[("VTI", 66), ("BND", 34)], 0);
    let out = allocation_drift(&v, &t, &moderate(), &DriftConfig::default()).unwrap();
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!(
        (n.kind, n.severity),
        (NudgeKind::AllocationDrift, Severity::Warning)
    );
    assert!(close(
        n.evidence["weights"]["stocks"]["current"].as_f64().unwrap(),
        0.66,
        1e-9
    ));
    assert!(close(
        n.evidence["weights"]["bonds"]["drift"].as_f64().unwrap(),
        -0.06,
        1e-9
    ));
    assert!(n.action.contains("stocks") && n.action.contains("bonds"));

    let (_, _, v) = book(&[("VTI", 64), ("BND", 36)], 0);
    assert!(
        allocation_drift(&v, &t, &moderate(), &DriftConfig::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn twenty_points_of_drift_is_critical() {
    let (_, _, v) = book(&[("VTI", 80), ("BND", 20)], 0);
    let out = allocation_drift(
        &v,
        &InstrumentTable::shipped(),
        &moderate(),
        &DriftConfig::default(),
    )
    .unwrap();
    assert_eq!(out[0].severity, Severity::Critical);
}

#[test]
fn drift_is_not_guessed_over_unclassified_holdings() {
    let (_, _, v) = book(&[("VTI", 40), ("BND", 30), ("ZZZ", 30)], 0);
    let out = allocation_drift(
        &v,
        &InstrumentTable::shipped(),
        &moderate(),
        &DriftConfig::default(),
    )
    .unwrap();
    let n = with_subject(&out, "unclassified");
    assert_eq!(n.severity, Severity::Info);
    assert_eq!(n.evidence["unclassified"], serde_json::json!(["ZZZ"]));
}

#[test]
fn drift_from_per_symbol_targets() {
    let weights: BTreeMap<_, _> = [("VTI".parse().unwrap(), 0.5), ("BND".parse().unwrap(), 0.5)]
        .into_iter()
        .collect();
    let target = TargetAllocation::by_symbol(weights).unwrap();
    let t = InstrumentTable::default();
    let (_, _, v) = book(&[("VTI", 56), ("BND", 44)], 0);
    let out = allocation_drift(&v, &t, &target, &DriftConfig::default()).unwrap();
    assert!(close(
        out[0].evidence["weights"]["VTI"]["drift"].as_f64().unwrap(),
        0.06,
        1e-9
    ));
    let (_, _, v) = book(&[("VTI", 54), ("BND", 46)], 0);
    assert!(
        allocation_drift(&v, &t, &target, &DriftConfig::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn targets_must_be_fractions_that_add_up() {
    let bad = ClassWeights {
        stocks: 0.7,
        bonds: 0.4,
        cash: 0.0,
        other: 0.0,
    };
    assert!(matches!(
        TargetAllocation::classes(bad),
        Err(Error::InvalidTarget { .. })
    ));
    let negative = ClassWeights {
        stocks: 1.1,
        bonds: -0.1,
        ..ClassWeights::default()
    };
    assert!(matches!(
        TargetAllocation::classes(negative),
        Err(Error::InvalidTarget { .. })
    ));
    let over: BTreeMap<_, _> = [("VTI".parse().unwrap(), 0.8), ("BND".parse().unwrap(), 0.3)]
        .into_iter()
        .collect();
    assert!(matches!(
        TargetAllocation::by_symbol(over),
        Err(Error::InvalidTarget { .. })
    ));
    let ok = TargetAllocation::classes(ClassWeights {
        stocks: 0.5,
        bonds: 0.3,
        cash: 0.1,
        other: 0.1,
    })
    .unwrap();
    assert!(close(ok.cash_share(), 0.1, 1e-12));
}

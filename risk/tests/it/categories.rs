//! Every category and every cap is reachable; bands and caps behave as documented.

use auravest_risk::{Cap, RiskCategory};

use crate::support::{LONG_HORIZON, TOP_CAPACITY, TOP_TOLERANCE, profile};

#[test]
fn every_category_is_reachable_without_a_cap() {
    let cases = [
        ([0, 0, 0, 0, 0, 0], 0, RiskCategory::Conservative),
        ([1, 1, 1, 1, 1, 0], 29, RiskCategory::ModeratelyConservative),
        ([2, 2, 1, 1, 1, 1], 47, RiskCategory::Moderate),
        ([2, 2, 2, 2, 2, 2], 71, RiskCategory::Growth),
        (TOP_TOLERANCE, 100, RiskCategory::Aggressive),
    ];
    for (tolerance, score, category) in cases {
        let p = profile(tolerance, LONG_HORIZON, TOP_CAPACITY);
        assert_eq!(p.score, score, "{tolerance:?}");
        assert_eq!(p.capacity_score, 100);
        assert_eq!(p.category, category, "{tolerance:?}");
        assert!(p.capped_by.is_empty(), "{tolerance:?}");
        assert_eq!(p.allocation, category.allocation());
        assert_eq!(p.version, "2026.1");
    }
}

#[test]
fn tolerance_band_edges() {
    // 17 tolerance points in all: 3 points -> 18, 4 -> 24, 6 -> 35, 7 -> 41,
    // 10 -> 59, 11 -> 65, 13 -> 76, 14 -> 82.
    let cases = [
        ([1, 1, 1, 0, 0, 0], 18, RiskCategory::Conservative),
        ([1, 1, 1, 1, 0, 0], 24, RiskCategory::ModeratelyConservative),
        ([1, 1, 1, 1, 1, 1], 35, RiskCategory::ModeratelyConservative),
        ([2, 1, 1, 1, 1, 1], 41, RiskCategory::Moderate),
        ([2, 2, 2, 2, 1, 1], 59, RiskCategory::Moderate),
        ([2, 2, 2, 2, 2, 1], 65, RiskCategory::Growth),
        ([3, 2, 2, 2, 2, 2], 76, RiskCategory::Growth),
        ([3, 3, 2, 2, 2, 2], 82, RiskCategory::Aggressive),
    ];
    for (tolerance, score, category) in cases {
        let p = profile(tolerance, LONG_HORIZON, TOP_CAPACITY);
        assert_eq!((p.score, p.category), (score, category), "{tolerance:?}");
    }
}

#[test]
fn capacity_caps_at_each_level() {
    // 10 capacity points in all, so the capacity score is 10 x points.
    let cases = [
        ([0, 0, 0], 0, RiskCategory::Conservative),
        ([1, 0, 0], 10, RiskCategory::Conservative),
        ([1, 1, 0], 20, RiskCategory::ModeratelyConservative),
        ([1, 1, 1], 30, RiskCategory::ModeratelyConservative),
        ([1, 1, 2], 40, RiskCategory::Moderate),
        ([2, 2, 1], 50, RiskCategory::Moderate),
        ([2, 2, 2], 60, RiskCategory::Growth),
        ([3, 2, 2], 70, RiskCategory::Growth),
    ];
    for (capacity, capacity_score, category) in cases {
        let p = profile(TOP_TOLERANCE, LONG_HORIZON, capacity);
        assert_eq!(p.score, 100);
        assert_eq!(p.capacity_score, capacity_score, "{capacity:?}");
        assert_eq!(p.category, category, "{capacity:?}");
        assert_eq!(p.capped_by, [Cap::Capacity], "{capacity:?}");
    }
}

#[test]
fn high_capacity_sets_no_cap() {
    for capacity in [[3, 3, 2], [2, 3, 4], TOP_CAPACITY] {
        let p = profile(TOP_TOLERANCE, LONG_HORIZON, capacity);
        assert!(p.capacity_score >= 80, "{capacity:?}");
        assert_eq!(p.category, RiskCategory::Aggressive);
        assert!(p.capped_by.is_empty());
    }
}

#[test]
fn horizon_caps_within_three_and_within_five_years() {
    let cases = [
        (0, RiskCategory::ModeratelyConservative, vec![Cap::Horizon]),
        (1, RiskCategory::Moderate, vec![Cap::Horizon]),
        (2, RiskCategory::Aggressive, vec![]),
        (3, RiskCategory::Aggressive, vec![]),
    ];
    for (horizon, category, capped_by) in cases {
        let p = profile(TOP_TOLERANCE, horizon, TOP_CAPACITY);
        assert_eq!(p.category, category, "horizon {horizon}");
        assert_eq!(p.capped_by, capped_by, "horizon {horizon}");
    }
    let short = profile(TOP_TOLERANCE, 0, TOP_CAPACITY);
    assert!(short.allocation.stocks <= 0.4);
}

#[test]
fn both_caps_are_listed_when_each_would_lower_the_category() {
    // Equal ceilings.
    let p = profile(TOP_TOLERANCE, 0, [1, 1, 0]);
    assert_eq!(p.category, RiskCategory::ModeratelyConservative);
    assert_eq!(p.capped_by, [Cap::Capacity, Cap::Horizon]);

    // Capacity binds; the horizon would also have lowered Aggressive.
    let p = profile(TOP_TOLERANCE, 1, [0, 0, 0]);
    assert_eq!(p.category, RiskCategory::Conservative);
    assert_eq!(p.capped_by, [Cap::Capacity, Cap::Horizon]);

    // The horizon binds; capacity (Growth) would also have lowered Aggressive.
    let p = profile(TOP_TOLERANCE, 0, [2, 2, 2]);
    assert_eq!(p.category, RiskCategory::ModeratelyConservative);
    assert_eq!(p.capped_by, [Cap::Capacity, Cap::Horizon]);
}

#[test]
fn a_ceiling_at_or_above_the_tolerance_category_is_not_a_cap() {
    // Tolerance Conservative; capacity and horizon ceilings are no lower.
    let p = profile([0; 6], 0, [0, 0, 0]);
    assert_eq!(p.category, RiskCategory::Conservative);
    assert!(p.capped_by.is_empty());

    // Tolerance Moderately Conservative equals the short-horizon ceiling.
    let p = profile([1, 1, 1, 1, 1, 0], 0, TOP_CAPACITY);
    assert_eq!(p.category, RiskCategory::ModeratelyConservative);
    assert!(p.capped_by.is_empty());

    // Tolerance Moderate with capacity Moderate and a 3-5 year horizon.
    let p = profile([2, 2, 1, 1, 1, 1], 1, [2, 2, 1]);
    assert_eq!(p.category, RiskCategory::Moderate);
    assert!(p.capped_by.is_empty());

    // Tolerance Growth, capped only by the 3-5 year horizon, not by capacity (Growth).
    let p = profile([2; 6], 1, [2, 2, 2]);
    assert_eq!(p.category, RiskCategory::Moderate);
    assert_eq!(p.capped_by, [Cap::Horizon]);
}

#[test]
fn horizon_does_not_change_either_score() {
    let scores: Vec<(u8, u8)> = (0..4)
        .map(|h| {
            let p = profile([2, 1, 2, 1, 2, 1], h, [1, 2, 3]);
            (p.score, p.capacity_score)
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] == w[1]), "{scores:?}");
}

#[test]
fn category_labels_and_allocations() {
    let expected = [
        ("Conservative", 20, 75, 5),
        ("Moderately Conservative", 40, 55, 5),
        ("Moderate", 60, 40, 0),
        ("Growth", 80, 20, 0),
        ("Aggressive", 100, 0, 0),
    ];
    for (category, (label, stocks, bonds, cash)) in RiskCategory::ALL.into_iter().zip(expected) {
        assert_eq!(category.label(), label);
        assert_eq!(category.to_string(), label);
        let a = category.allocation();
        assert_eq!(
            a.to_string(),
            format!("{stocks}% stocks, {bonds}% bonds, {cash}% cash")
        );
        assert_eq!((a.stocks + a.bonds + a.cash).to_bits(), 1.0_f64.to_bits());
    }
}

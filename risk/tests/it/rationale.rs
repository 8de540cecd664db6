//! Rationales name the answers that drove the result and what capped it.

use auravest_risk::Questionnaire;

use crate::support::{LONG_HORIZON, TOP_CAPACITY, TOP_TOLERANCE, profile};

fn option_text(id: &str, index: usize) -> &'static str {
    Questionnaire::current().question(id).unwrap().options()[index].text()
}

#[test]
fn uncapped_rationale_names_score_band_and_extreme_answers() {
    // Boldest: outcome choice (3 of 3); most cautious: investing experience (0 of 3).
    let p = profile([2, 3, 2, 2, 0, 1], LONG_HORIZON, TOP_CAPACITY);
    let r = &p.rationale;
    assert!(
        r.contains(&format!("tolerance score is {}/100", p.score)),
        "{r}"
    );
    assert!(r.contains(&format!("the {} band", p.category)), "{r}");
    assert!(
        r.contains(&format!(
            "boldest answer was on choice of one-year outcomes (\"{}\")",
            option_text("outcome_choice", 3)
        )),
        "{r}"
    );
    assert!(
        r.contains(&format!(
            "most cautious was on investing experience (\"{}\")",
            option_text("investing_experience", 0)
        )),
        "{r}"
    );
    assert!(r.contains("does not lower your category"), "{r}");
    assert!(
        r.contains("(\"In more than 10 years\") sets no limit"),
        "{r}"
    );
    assert!(
        r.ends_with(&format!("Result: {}: {}.", p.category, p.allocation)),
        "{r}"
    );
}

#[test]
fn equal_answers_are_described_as_such() {
    let cases = [
        ([0; 6], "most cautious", 0),
        (TOP_TOLERANCE, "most risk-seeking", 3),
    ];
    for (tolerance, level, option) in cases {
        let p = profile(tolerance, LONG_HORIZON, TOP_CAPACITY);
        let expected = format!(
            "Every answer was the {level} option, for example on attitude to risk (\"{}\")",
            option_text("risk_attitude", option)
        );
        assert!(p.rationale.contains(&expected), "{}", p.rationale);
    }
}

#[test]
fn capacity_cap_names_the_weakest_capacity_answer() {
    let p = profile([3, 3, 3, 3, 3, 2], LONG_HORIZON, [3, 0, 2]);
    let r = &p.rationale;
    assert!(
        r.contains("capacity score is 50/100, which allows at most Moderate"),
        "{r}"
    );
    assert!(
        r.contains(&format!(
            "weakest capacity answer was on emergency savings (\"{}\")",
            option_text("emergency_fund", 0)
        )),
        "{r}"
    );
    assert!(
        r.contains("Result: Moderate, lowered from Aggressive by capacity:"),
        "{r}"
    );
}

#[test]
fn horizon_cap_quotes_the_horizon_answer() {
    let p = profile([3, 3, 3, 3, 3, 2], 0, TOP_CAPACITY);
    let r = &p.rationale;
    assert!(
        r.contains(
            "when you need the money (\"Within 3 years\") caps the category at Moderately Conservative"
        ),
        "{r}"
    );
    assert!(
        r.contains("lowered from Aggressive by time horizon: 40% stocks, 55% bonds, 5% cash."),
        "{r}"
    );
}

#[test]
fn both_caps_are_named() {
    let p = profile([3, 3, 3, 3, 3, 2], 1, [0, 0, 0]);
    assert!(
        p.rationale
            .contains("lowered from Aggressive by capacity and time horizon"),
        "{}",
        p.rationale
    );
}

#[test]
fn a_horizon_ceiling_that_does_not_bind_is_explained() {
    let p = profile([0; 6], 1, TOP_CAPACITY);
    assert!(
        p.rationale
            .contains("allows up to Moderate, so it does not lower your category"),
        "{}",
        p.rationale
    );
}

//! Property tests over every valid answer set of the current questionnaire.

use auravest_risk::{Cap, Construct, Error, Questionnaire, RiskCategory, RiskProfile};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::answers_from;

/// One valid option index per question, in questionnaire order.
fn indices() -> impl Strategy<Value = Vec<usize>> {
    Questionnaire::current()
        .questions()
        .iter()
        .map(|q| 0..q.options().len())
        .collect::<Vec<_>>()
}

/// A question position.
fn question() -> impl Strategy<Value = usize> {
    0..Questionnaire::current().questions().len()
}

/// The position of a capacity question.
fn capacity_question() -> impl Strategy<Value = usize> {
    let positions: Vec<usize> = Questionnaire::current()
        .questions()
        .iter()
        .enumerate()
        .filter(|(_, q)| q.construct() == Construct::Capacity)
        .map(|(i, _)| i)
        .collect();
    proptest::sample::select(positions)
}

fn score(indices: &[usize]) -> RiskProfile {
    auravest_risk::score(&answers_from(indices)).expect("valid answers")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_more_risk_seeking_answer_never_lowers_anything(
        mut idx in indices(),
        q in question(),
        higher in any::<Index>(),
    ) {
        let options = Questionnaire::current().questions()[q].options().len();
        prop_assume!(idx[q] + 1 < options);
        let before = score(&idx);
        // Any strictly higher option.
        idx[q] += 1 + higher.index(options - 1 - idx[q]);
        let after = score(&idx);
        prop_assert!(after.score >= before.score);
        prop_assert!(after.capacity_score >= before.capacity_score);
        prop_assert!(after.category >= before.category);
    }

    #[test]
    fn lowering_capacity_never_raises_the_category(
        mut idx in indices(),
        q in capacity_question(),
        lower in any::<Index>(),
    ) {
        let options = Questionnaire::current().questions()[q].options().len();
        if idx[q] == 0 {
            idx[q] = options - 1;
        }
        let before = score(&idx);
        // Any strictly lower option.
        idx[q] = lower.index(idx[q]);
        let after = score(&idx);
        prop_assert!(after.category <= before.category);
        prop_assert!(after.capacity_score <= before.capacity_score);
        prop_assert_eq!(after.score, before.score);
    }

    #[test]
    fn scores_are_bounded_and_caps_match_the_bands(idx in indices()) {
        let p = score(&idx);
        prop_assert!(p.score <= 100);
        prop_assert!(p.capacity_score <= 100);

        let tolerance = RiskCategory::from_score(p.score);
        let capacity = RiskCategory::from_score(p.capacity_score);
        prop_assert!(p.category <= tolerance);
        prop_assert!(p.category <= capacity);
        prop_assert_eq!(p.capped_by.is_empty(), p.category == tolerance);
        prop_assert_eq!(p.capped_by.contains(&Cap::Capacity), capacity < tolerance);
        if p.capped_by.contains(&Cap::Horizon) {
            prop_assert!(p.category <= RiskCategory::Moderate);
        }
        prop_assert!(p.capped_by.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn allocations_sum_to_one(idx in indices()) {
        let p = score(&idx);
        let a = p.allocation;
        prop_assert_eq!(a, p.category.allocation());
        prop_assert!((a.stocks + a.bonds + a.cash - 1.0).abs() < 1e-12);
        for part in [a.stocks, a.bonds, a.cash] {
            prop_assert!((0.0..=1.0).contains(&part));
        }
    }

    #[test]
    fn the_same_answers_always_give_the_same_profile(idx in indices()) {
        let answers = answers_from(&idx);
        let first = auravest_risk::score(&answers).unwrap();
        prop_assert_eq!(&first, &auravest_risk::score(&answers).unwrap());
        prop_assert_eq!(&first, &Questionnaire::current().score(&answers).unwrap());
        let json = serde_json::to_string(&first).unwrap();
        let back: RiskProfile = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &first);
    }

    #[test]
    fn any_out_of_range_answer_is_reported(
        mut idx in indices(),
        q in question(),
        past in 0..1000_usize,
    ) {
        let question = &Questionnaire::current().questions()[q];
        let max_index = question.options().len() - 1;
        idx[q] = max_index + 1 + past;
        let err = auravest_risk::score(&answers_from(&idx)).unwrap_err();
        let expected = Error::OptionOutOfRange {
            id: question.id().to_owned(),
            index: idx[q],
            max_index,
        };
        prop_assert_eq!(err, expected);
    }
}

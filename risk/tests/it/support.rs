//! Shared helpers: answer sets built by construct.

use auravest_risk::{Answers, Construct, Questionnaire, RiskProfile};

/// Answers to the current questionnaire, one option index per question in
/// questionnaire order.
pub(crate) fn answers_from(indices: &[usize]) -> Answers {
    let questionnaire = Questionnaire::current();
    assert_eq!(indices.len(), questionnaire.questions().len());
    questionnaire
        .questions()
        .iter()
        .zip(indices)
        .fold(Answers::new(questionnaire.version()), |answers, (q, &i)| {
            answers.with(q.id(), i)
        })
}

/// Answers to the current questionnaire given per construct group, each in
/// questionnaire order: the six tolerance answers, the horizon answer and the three
/// capacity answers.
pub(crate) fn answers(tolerance: [usize; 6], horizon: usize, capacity: [usize; 3]) -> Answers {
    let (mut tolerance, mut capacity) = (tolerance.into_iter(), capacity.into_iter());
    let indices: Vec<usize> = Questionnaire::current()
        .questions()
        .iter()
        .map(|q| match q.construct() {
            Construct::Horizon => horizon,
            Construct::Capacity => capacity.next().expect("three capacity questions"),
            _ => tolerance.next().expect("six tolerance questions"),
        })
        .collect();
    assert!(tolerance.next().is_none() && capacity.next().is_none());
    answers_from(&indices)
}

/// Scores [`answers`]; panics on an error.
pub(crate) fn profile(tolerance: [usize; 6], horizon: usize, capacity: [usize; 3]) -> RiskProfile {
    auravest_risk::score(&answers(tolerance, horizon, capacity)).expect("valid answers")
}

/// The most risk-seeking tolerance answers.
pub(crate) const TOP_TOLERANCE: [usize; 6] = [3, 3, 3, 3, 3, 2];
/// The highest-capacity answers.
pub(crate) const TOP_CAPACITY: [usize; 3] = [3, 3, 4];
/// The horizon answer that sets no ceiling ("In more than 10 years").
pub(crate) const LONG_HORIZON: usize = 3;

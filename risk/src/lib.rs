//! AuraVest risk profiling: a versioned risk questionnaire, tolerance and capacity
//! scoring, five risk categories and a model allocation for each.
//!
//! # Quickstart
//!
//! ```
//! use auravest_risk::{Answers, Cap, Questionnaire, RiskCategory};
//!
//! // An app renders the questionnaire from its JSON...
//! let questionnaire = Questionnaire::current();
//! let json = serde_json::to_value(questionnaire)?;
//! assert_eq!(json["version"], "2026.1");
//!
//! // ...and sends back one option index per question id.
//! let answers: Answers = serde_json::from_str(
//!     r#"{"version": "2026.1", "answers": {
//!         "risk_attitude": 3, "outcome_choice": 2, "market_drop_reaction": 2,
//!         "tolerable_loss": 2, "investing_experience": 2, "investing_knowledge": 1,
//!         "time_horizon": 3,
//!         "income_stability": 2, "emergency_fund": 1, "net_worth_share": 2
//!     }}"#,
//! )?;
//!
//! let profile = auravest_risk::score(&answers)?;
//! assert_eq!(profile.score, 71); // 12 of 17 tolerance points: the Growth band
//! assert_eq!(profile.capacity_score, 50); // 5 of 10 capacity points: at most Moderate
//! assert_eq!(profile.category, RiskCategory::Moderate);
//! assert_eq!(profile.capped_by, [Cap::Capacity]);
//! assert_eq!(profile.allocation, RiskCategory::Moderate.allocation());
//! println!("{}", profile.rationale);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The questionnaire
//!
//! [`Questionnaire::current`] (version `"2026.1"`) asks ten questions, in our own
//! words, that measure the constructs of validated risk-tolerance scales (Grable &
//! Lytton's 13-item scale and its successors):
//!
//! | construct | question ids | used for |
//! |---|---|---|
//! | willingness to take risk | `risk_attitude`, `outcome_choice` | tolerance score |
//! | reaction to losses | `market_drop_reaction`, `tolerable_loss` | tolerance score |
//! | investing experience and knowledge | `investing_experience`, `investing_knowledge` | tolerance score |
//! | time horizon | `time_horizon` | horizon cap |
//! | capacity | `income_stability`, `emergency_fund`, `net_worth_share` | capacity score and cap |
//!
//! Options are ordered from least to most risk-seeking (capacity options from least to
//! most capacity; horizon options from soonest to latest), and an answer is the
//! 0-based index of the chosen option. Each option carries hidden points: the first
//! option scores 0 and points never fall as the index rises (in 2026.1 an option
//! scores its index; horizon options score nothing). Published versions never
//! change; new wording or points go into a new version, listed by
//! [`Questionnaire::versions`].
//!
//! # Scoring
//!
//! Tolerance and capacity are scored apart, each on 0–100:
//!
//! ```text
//! score          = round(100 × Σ tolerance points / Σ max tolerance points)   (2026.1: out of 17)
//! capacity_score = round(100 × Σ capacity points  / Σ max capacity points)    (2026.1: out of 10)
//! ```
//!
//! rounding halves up. Both use the same equal-width bands
//! ([`RiskCategory::from_score`]):
//!
//! | band | tolerance score gives | capacity score allows at most |
//! |---|---|---|
//! | 0–19 | Conservative | Conservative |
//! | 20–39 | Moderately Conservative | Moderately Conservative |
//! | 40–59 | Moderate | Moderate |
//! | 60–79 | Growth | Growth |
//! | 80–100 | Aggressive | Aggressive (no cap) |
//!
//! The time horizon sets its own ceiling: money needed within 3 years allows at most
//! Moderately Conservative (40% stocks); in more than 3 and up to 5 years, at most
//! Moderate; later, no ceiling.
//!
//! The final category is the lowest of the three:
//! `category = min(tolerance category, capacity ceiling, horizon ceiling)`.
//! [`RiskProfile::capped_by`] lists [`Cap::Capacity`] when the capacity ceiling is
//! below the tolerance category and [`Cap::Horizon`] when the horizon ceiling is,
//! in that order: empty when neither lowered the category, both when each alone
//! would have. Because every step is monotone, choosing a more risk-seeking option
//! never lowers the score, the capacity score or the category.
//!
//! # Model allocations
//!
//! | category | stocks | bonds | cash |
//! |---|---|---|---|
//! | Conservative | 20% | 75% | 5% |
//! | Moderately Conservative | 40% | 55% | 5% |
//! | Moderate | 60% | 40% | 0% |
//! | Growth | 80% | 20% | 0% |
//! | Aggressive | 100% | 0% | 0% |
//!
//! The stock shares step by 20 points, in the spirit of published 20/80 to 100/0
//! stock/bond model portfolios; the two most cautious categories keep a 5% cash
//! sleeve out of their bond share. Each allocation's fractions sum to exactly 1.
//!
//! The bands, caps and allocations are our own suggestions to tune with users; none
//! comes from a regulator, and this crate gives no personal advice.
//!
//! # Errors
//!
//! Bad answers give a typed [`Error`] naming the question or version at fault; see
//! [`Questionnaire::score`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod allocation;
mod error;
mod questionnaire;
mod scoring;

pub use allocation::{ModelAllocation, RiskCategory};
pub use error::{Error, Result};
pub use questionnaire::{AnswerOption, Construct, Question, Questionnaire};
pub use scoring::{
    Answers, Cap, MAX_ANSWER_ID_LEN, MAX_ANSWERS, MAX_VERSION_LEN, RiskProfile, score,
};

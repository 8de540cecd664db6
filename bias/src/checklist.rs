//! The learning checklist: five concepts chosen by the investor's profile.

use std::collections::BTreeSet;

use auravest_core::NaiveDate;
use auravest_risk::RiskProfile;
use serde::{Deserialize, Serialize};

use crate::dates::days_between;

/// A tolerance score at least this high (the Growth band and up) counts
/// toward being experienced; the score weighs the experience and knowledge
/// answers of the questionnaire.
pub const EXPERIENCED_MIN_SCORE: u8 = 60;

/// Days of transaction history that count toward being experienced (two years).
pub const EXPERIENCED_MIN_HISTORY_DAYS: i64 = 730;

/// How much investing the investor has done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Experience {
    /// Gets the basics.
    Novice,
    /// Gets challenges.
    Experienced,
}

impl Experience {
    /// Experienced when a risk profile scored at least
    /// [`EXPERIENCED_MIN_SCORE`] and the first transaction is at least
    /// [`EXPERIENCED_MIN_HISTORY_DAYS`] before `today`; a novice otherwise
    /// (including without a profile). Apps that know the questionnaire
    /// answers can choose the level themselves.
    pub fn assess(
        profile: Option<&RiskProfile>,
        first_transaction: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Self {
        let scored = profile.is_some_and(|p| p.score >= EXPERIENCED_MIN_SCORE);
        let seasoned = first_transaction
            .is_some_and(|d| days_between(d, today) >= EXPERIENCED_MIN_HISTORY_DAYS);
        if scored && seasoned {
            Self::Experienced
        } else {
            Self::Novice
        }
    }
}

/// One concept to learn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    /// A stable id, such as `compounding`.
    pub id: &'static str,
    /// The concept.
    pub title: &'static str,
    /// What there is to learn, in one sentence.
    pub lesson: &'static str,
    /// Whether the investor has completed it.
    pub done: bool,
}

const BASICS: [(&str, &str, &str); 5] = [
    (
        "diversification",
        "Diversification",
        "Owning many different investments lowers the damage any one of them can do, \
         without lowering the return you can expect.",
    ),
    (
        "index_funds",
        "Index funds",
        "A fund that simply holds a whole market gives you thousands of companies in one \
         purchase, usually at a very low cost.",
    ),
    (
        "fees",
        "Fees",
        "A 1% yearly fee looks small but compounds against you, taking a large share of \
         what a portfolio earns over decades.",
    ),
    (
        "compounding",
        "Compounding",
        "Returns earn returns of their own, so time in the market and steady contributions \
         matter more than picking the perfect moment.",
    ),
    (
        "risk_and_return",
        "Risk and return",
        "Higher expected returns come with bigger swings along the way; the right mix is the \
         one you can hold through a bad year.",
    ),
];

const CHALLENGES: [(&str, &str, &str); 5] = [
    (
        "improve_sharpe",
        "Improve your Sharpe ratio",
        "Raise the return you earn per unit of volatility by cutting risks that pay nothing \
         extra, such as single-stock bets, before reaching for more return.",
    ),
    (
        "rebalance_in_band",
        "Rebalance within a band",
        "Set a band around each target weight (for example 5 points) and rebalance only when \
         a holding leaves it, so you act on plan rather than on news.",
    ),
    (
        "keep_turnover_low",
        "Keep turnover below 100% a year",
        "Measure how much of the portfolio you trade each year and what it costs; every trade \
         has to beat its own costs to be worth making.",
    ),
    (
        "know_your_drawdown",
        "Know your maximum drawdown",
        "Find the deepest fall your portfolio has taken and decide in advance what you will do \
         (and not do) in the next one.",
    ),
    (
        "benchmark_after_costs",
        "Compare with a benchmark after costs",
        "Compare your time-weighted return with a matching index fund after all fees; if you \
         trail it for years, the index fund is the better choice.",
    ),
];

/// The five concepts for `experience`: the basics for novices
/// (diversification, index funds, fees, compounding, risk and return), and
/// challenges for experienced investors (Sharpe ratio, rebalancing bands,
/// turnover, drawdown, benchmark after costs). An item is done when its id
/// is in `completed`.
pub fn learning_checklist(
    experience: Experience,
    completed: &BTreeSet<String>,
) -> Vec<ChecklistItem> {
    let items = match experience {
        Experience::Novice => &BASICS,
        Experience::Experienced => &CHALLENGES,
    };
    items
        .iter()
        .map(|(id, title, lesson)| ChecklistItem {
            id,
            title,
            lesson,
            done: completed.contains(*id),
        })
        .collect()
}

/// Whether `id` names an item of either checklist (the basics or the
/// challenges), so progress can be kept for any item whatever the
/// investor's experience is today.
pub fn is_checklist_item(id: &str) -> bool {
    BASICS
        .iter()
        .chain(CHALLENGES.iter())
        .any(|(item, _, _)| *item == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_of_both_lists_are_known_and_nothing_else() {
        for experience in [Experience::Novice, Experience::Experienced] {
            for item in learning_checklist(experience, &BTreeSet::new()) {
                assert!(is_checklist_item(item.id), "{}", item.id);
            }
        }
        for unknown in ["", "Compounding", "compounding ", "sharpe", "x"] {
            assert!(!is_checklist_item(unknown), "{unknown:?}");
        }
    }
}

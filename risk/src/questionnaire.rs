//! The versioned questionnaires and their question data.
//!
//! Each version is a `static` value, so [`Questionnaire::current`] and
//! [`Questionnaire::by_version`] hand out `&'static` references and never allocate.
//! A published version never changes: new wording, options or points go into a new
//! version, so stored answers keep scoring the way they did.

use serde::Serialize;

use crate::allocation::RiskCategory;
use crate::error::{Error, Result};

/// A versioned risk questionnaire.
///
/// It serialises to the JSON an app needs to render it, and nothing more (no
/// scoring points):
///
/// ```json
/// {"version": "2026.1", "questions": [{"id": "risk_attitude", "text": "...", "options": [{"text": "..."}]}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Questionnaire {
    version: &'static str,
    questions: &'static [Question],
}

/// One question: a stable snake_case id, the text to show, the construct it
/// measures and its options.
///
/// Options are ordered from least to most risk-seeking (for capacity questions, from
/// least to most capacity; for the time horizon, from soonest to latest), and an
/// answer is the index of the chosen option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    id: &'static str,
    #[serde(skip)]
    topic: &'static str,
    text: &'static str,
    #[serde(skip)]
    construct: Construct,
    options: &'static [AnswerOption],
}

/// One answer option of a [`Question`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerOption {
    text: &'static str,
    /// Points toward the tolerance or capacity score; never decreases with the
    /// option index, and the first option scores 0. Horizon options score 0.
    #[serde(skip)]
    points: u8,
    /// The highest category this answer allows; only horizon options set it.
    #[serde(skip)]
    ceiling: Option<RiskCategory>,
}

/// What a question measures, which decides how its answer is used.
///
/// * Tolerance constructs ([`Willingness`](Construct::Willingness),
///   [`LossReaction`](Construct::LossReaction), [`Experience`](Construct::Experience))
///   add to the tolerance score.
/// * [`Capacity`](Construct::Capacity) adds to the capacity score.
/// * [`Horizon`](Construct::Horizon) adds to no score; it may cap the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Construct {
    /// Willingness to take risk for a chance of higher returns.
    Willingness,
    /// How the investor expects to react to losses.
    LossReaction,
    /// Investing experience and knowledge.
    Experience,
    /// When the money will be needed.
    Horizon,
    /// Financial capacity to bear losses: income stability, emergency savings and
    /// the share of net worth invested.
    Capacity,
}

impl Construct {
    /// Whether answers to this construct count toward the tolerance score.
    pub fn is_tolerance(self) -> bool {
        matches!(
            self,
            Self::Willingness | Self::LossReaction | Self::Experience
        )
    }

    /// A human-readable label, such as `"reaction to losses"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Willingness => "willingness to take risk",
            Self::LossReaction => "reaction to losses",
            Self::Experience => "investing experience",
            Self::Horizon => "time horizon",
            Self::Capacity => "capacity for risk",
        }
    }
}

impl Questionnaire {
    /// The latest questionnaire version.
    pub fn current() -> &'static Questionnaire {
        CURRENT
    }

    /// The questionnaire with this version string.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownVersion`] if no questionnaire has that version; the error lists
    /// the known versions and repeats at most [`crate::MAX_VERSION_LEN`]
    /// characters of `version`.
    pub fn by_version(version: &str) -> Result<&'static Questionnaire> {
        ALL.iter()
            .copied()
            .find(|q| q.version == version)
            .ok_or_else(|| Error::UnknownVersion {
                version: crate::error::shown(version),
                known: VERSIONS,
            })
    }

    /// Every version this crate can score, oldest first; the last is
    /// [`Questionnaire::current`].
    pub fn versions() -> &'static [&'static str] {
        VERSIONS
    }

    /// This questionnaire's version string, such as `"2026.1"`.
    pub fn version(&self) -> &str {
        self.version
    }

    /// The questions, in the order to ask them.
    pub fn questions(&self) -> &[Question] {
        self.questions
    }

    /// The question with this id, if any.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

impl Question {
    /// The stable snake_case id that answers are keyed by.
    pub fn id(&self) -> &str {
        self.id
    }

    /// A short topic used in rationales, such as `"reaction to a market fall"`.
    pub fn topic(&self) -> &str {
        self.topic
    }

    /// The question text to show.
    pub fn text(&self) -> &str {
        self.text
    }

    /// The construct this question measures.
    pub fn construct(&self) -> Construct {
        self.construct
    }

    /// The options, ordered from least to most risk-seeking (or capacity, or time).
    pub fn options(&self) -> &[AnswerOption] {
        self.options
    }

    /// The highest points any option scores.
    pub(crate) fn max_points(&self) -> u8 {
        self.options.iter().map(|o| o.points).max().unwrap_or(0)
    }
}

impl AnswerOption {
    /// The option text to show.
    pub fn text(&self) -> &str {
        self.text
    }

    pub(crate) fn points(&self) -> u8 {
        self.points
    }

    pub(crate) fn ceiling(&self) -> Option<RiskCategory> {
        self.ceiling
    }
}

/// Every questionnaire, oldest first. Keep in step with [`VERSIONS`] and [`CURRENT`].
static ALL: &[&Questionnaire] = &[&V2026_1];
/// Every version string, oldest first.
static VERSIONS: &[&str] = &["2026.1"];
/// The latest questionnaire.
static CURRENT: &Questionnaire = &V2026_1;

const fn scored(text: &'static str, points: u8) -> AnswerOption {
    AnswerOption {
        text,
        points,
        ceiling: None,
    }
}

const fn horizon(text: &'static str, ceiling: Option<RiskCategory>) -> AnswerOption {
    AnswerOption {
        text,
        points: 0,
        ceiling,
    }
}

/// Version 2026.1: ten questions. Six measure tolerance (two each for willingness,
/// loss reaction and experience), one the time horizon and three capacity (income
/// stability, emergency savings, share of net worth). The constructs follow
/// validated risk-tolerance scales; the wording is our own.
static V2026_1: Questionnaire = Questionnaire {
    version: "2026.1",
    questions: &[
        Question {
            id: "risk_attitude",
            topic: "attitude to risk",
            text: "Which statement is closest to how you feel about risk when you invest?",
            construct: Construct::Willingness,
            options: &[
                scored(
                    "I want to avoid any loss, even if my savings grow slowly",
                    0,
                ),
                scored("I accept small ups and downs for steady, modest growth", 1),
                scored(
                    "I accept sizeable ups and downs for better long-run growth",
                    2,
                ),
                scored(
                    "I am comfortable with large swings for the best chance of high growth",
                    3,
                ),
            ],
        },
        Question {
            id: "outcome_choice",
            topic: "choice of one-year outcomes",
            text: "Imagine investing $10,000 for one year. Which range of outcomes would you \
                   choose?",
            construct: Construct::Willingness,
            options: &[
                scored("A certain gain of $200", 0),
                scored("Anywhere from a $500 loss to a $1,200 gain", 1),
                scored("Anywhere from a $1,500 loss to a $2,500 gain", 2),
                scored("Anywhere from a $3,000 loss to a $4,500 gain", 3),
            ],
        },
        Question {
            id: "market_drop_reaction",
            topic: "reaction to a market fall",
            text: "A few weeks after you invest, a broad market fall leaves your investments 20% \
                   lower. What would you most likely do?",
            construct: Construct::LossReaction,
            options: &[
                scored("Sell everything to stop further losses", 0),
                scored("Sell part of my investments", 1),
                scored("Keep everything and wait for a recovery", 2),
                scored("Invest more while prices are low", 3),
            ],
        },
        Question {
            id: "tolerable_loss",
            topic: "largest yearly fall you could live with",
            text: "What is the largest fall in value over one year that you could live with \
                   before changing your plan?",
            construct: Construct::LossReaction,
            options: &[
                scored("Up to 5%", 0),
                scored("Up to 15%", 1),
                scored("Up to 30%", 2),
                scored("More than 30%", 3),
            ],
        },
        Question {
            id: "investing_experience",
            topic: "investing experience",
            text: "How long have you held investments such as shares, stock funds or bond funds?",
            construct: Construct::Experience,
            options: &[
                scored("Never", 0),
                scored("Less than 2 years", 1),
                scored("From 2 up to 10 years", 2),
                scored("10 years or more", 3),
            ],
        },
        Question {
            id: "investing_knowledge",
            topic: "investing knowledge",
            text: "How well do you understand how stocks and bonds differ in risk and return?",
            construct: Construct::Experience,
            options: &[
                scored("Hardly at all: I would need to learn the basics", 0),
                scored("Somewhat: I know the basics", 1),
                scored(
                    "Well: I could explain why stocks swing more than bonds and how diversification helps",
                    2,
                ),
            ],
        },
        Question {
            id: "time_horizon",
            topic: "when you need the money",
            text: "When do you expect to start spending a large part of this money?",
            construct: Construct::Horizon,
            options: &[
                horizon("Within 3 years", Some(RiskCategory::ModeratelyConservative)),
                horizon(
                    "In more than 3 and up to 5 years",
                    Some(RiskCategory::Moderate),
                ),
                horizon("In more than 5 and up to 10 years", None),
                horizon("In more than 10 years", None),
            ],
        },
        Question {
            id: "income_stability",
            topic: "income stability",
            text: "How secure do you expect your income to be over the next five years?",
            construct: Construct::Capacity,
            options: &[
                scored(
                    "Not secure: I have no regular income or expect to lose it",
                    0,
                ),
                scored("Uncertain: it could fall or stop", 1),
                scored("Fairly secure", 2),
                scored(
                    "Very secure, or I have several independent sources of income",
                    3,
                ),
            ],
        },
        Question {
            id: "emergency_fund",
            topic: "emergency savings",
            text: "Without selling investments, how many months of essential expenses could your \
                   cash savings cover?",
            construct: Construct::Capacity,
            options: &[
                scored("Less than 1 month", 0),
                scored("From 1 up to 3 months", 1),
                scored("From 3 up to 6 months", 2),
                scored("6 months or more", 3),
            ],
        },
        Question {
            id: "net_worth_share",
            topic: "share of your wealth invested",
            text: "What share of everything you own, apart from your home, is the money you plan \
                   to invest?",
            construct: Construct::Capacity,
            options: &[
                scored("More than 75%", 0),
                scored("More than 50% and up to 75%", 1),
                scored("More than 25% and up to 50%", 2),
                scored("More than 10% and up to 25%", 3),
                scored("10% or less", 4),
            ],
        },
    ],
};

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn registry_is_consistent() {
        let versions: Vec<&str> = ALL.iter().map(|q| q.version).collect();
        assert_eq!(versions, VERSIONS);
        assert!(std::ptr::eq(*ALL.last().unwrap(), CURRENT));
        assert_eq!(Questionnaire::versions().last(), Some(&CURRENT.version));
    }

    #[test]
    fn every_version_is_well_formed() {
        for questionnaire in ALL {
            let version = questionnaire.version;
            let questions = questionnaire.questions;
            assert!((8..=12).contains(&questions.len()), "{version}");

            let mut ids = HashSet::new();
            for q in questions {
                assert!(ids.insert(q.id), "{version}: duplicate id {}", q.id);
                assert!(
                    q.id.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{version}: id {} is not snake_case",
                    q.id
                );
                assert!(!q.text.is_empty() && !q.topic.is_empty());
                assert!(q.options.len() >= 2, "{version}: {}", q.id);

                let points: Vec<u8> = q.options.iter().map(|o| o.points).collect();
                assert!(points.windows(2).all(|w| w[0] <= w[1]), "{}", q.id);
                if q.construct == Construct::Horizon {
                    assert!(points.iter().all(|&p| p == 0), "{}", q.id);
                    // Later answers never lower the ceiling (None means no ceiling).
                    let ceilings: Vec<RiskCategory> = q
                        .options
                        .iter()
                        .map(|o| o.ceiling.unwrap_or(RiskCategory::Aggressive))
                        .collect();
                    assert!(ceilings.windows(2).all(|w| w[0] <= w[1]), "{}", q.id);
                } else {
                    assert_eq!(points[0], 0, "{}", q.id);
                    assert!(q.max_points() > 0, "{}", q.id);
                    assert!(q.options.iter().all(|o| o.ceiling.is_none()), "{}", q.id);
                }
            }

            for construct in [
                Construct::Willingness,
                Construct::LossReaction,
                Construct::Experience,
                Construct::Horizon,
                Construct::Capacity,
            ] {
                assert!(
                    questions.iter().any(|q| q.construct == construct),
                    "{version}: no {construct:?} question"
                );
            }
            assert_eq!(
                questions
                    .iter()
                    .filter(|q| q.construct == Construct::Horizon)
                    .count(),
                1,
                "{version}: exactly one horizon question"
            );
        }
    }
}

//! The risk questionnaire and its scoring.

use std::collections::{BTreeMap, HashMap};

use auravest_risk::{Answers, Cap, ModelAllocation, Questionnaire, RiskCategory, RiskProfile};

use crate::errors::{AuraError, Outcome};

/// The five risk categories, most cautious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Category {
    /// Capital preservation first.
    Conservative,
    /// Mostly bonds, some stocks.
    ModeratelyConservative,
    /// A balance of stocks and bonds.
    Moderate,
    /// Mostly stocks.
    Growth,
    /// Nearly all stocks.
    Aggressive,
}

impl From<RiskCategory> for Category {
    fn from(c: RiskCategory) -> Self {
        match c {
            RiskCategory::Conservative => Self::Conservative,
            RiskCategory::ModeratelyConservative => Self::ModeratelyConservative,
            RiskCategory::Moderate => Self::Moderate,
            RiskCategory::Growth => Self::Growth,
            RiskCategory::Aggressive => Self::Aggressive,
        }
    }
}

impl From<Category> for RiskCategory {
    fn from(c: Category) -> Self {
        match c {
            Category::Conservative => Self::Conservative,
            Category::ModeratelyConservative => Self::ModeratelyConservative,
            Category::Moderate => Self::Moderate,
            Category::Growth => Self::Growth,
            Category::Aggressive => Self::Aggressive,
        }
    }
}

/// What lowered a category below the tolerance score's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RiskCap {
    /// The capacity score.
    Capacity,
    /// The time horizon.
    Horizon,
}

/// A model allocation: fractions of stocks, bonds and cash summing to 1.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Allocation {
    /// Share in stocks.
    pub stocks: f64,
    /// Share in bonds.
    pub bonds: f64,
    /// Share in cash.
    pub cash: f64,
}

impl From<ModelAllocation> for Allocation {
    fn from(a: ModelAllocation) -> Self {
        Self {
            stocks: a.stocks,
            bonds: a.bonds,
            cash: a.cash,
        }
    }
}

/// A scored questionnaire.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Profile {
    /// The questionnaire version scored.
    pub version: String,
    /// Tolerance score, 0-100.
    pub score: u8,
    /// Capacity score, 0-100.
    pub capacity_score: u8,
    /// What lowered the category, if anything.
    pub capped_by: Vec<RiskCap>,
    /// The final category.
    pub category: Category,
    /// The category's model allocation.
    pub allocation: Allocation,
    /// A plain-language explanation.
    pub rationale: String,
}

impl From<Cap> for RiskCap {
    fn from(c: Cap) -> Self {
        match c {
            Cap::Capacity => Self::Capacity,
            Cap::Horizon => Self::Horizon,
        }
    }
}

impl From<RiskCap> for Cap {
    fn from(c: RiskCap) -> Self {
        match c {
            RiskCap::Capacity => Self::Capacity,
            RiskCap::Horizon => Self::Horizon,
        }
    }
}

impl From<RiskProfile> for Profile {
    fn from(p: RiskProfile) -> Self {
        Self {
            version: p.version,
            score: p.score,
            capacity_score: p.capacity_score,
            capped_by: p.capped_by.into_iter().map(RiskCap::from).collect(),
            category: p.category.into(),
            allocation: p.allocation.into(),
            rationale: p.rationale,
        }
    }
}

impl From<Profile> for RiskProfile {
    fn from(p: Profile) -> Self {
        Self {
            version: p.version,
            score: p.score,
            capacity_score: p.capacity_score,
            capped_by: p.capped_by.into_iter().map(Cap::from).collect(),
            category: p.category.into(),
            allocation: ModelAllocation {
                stocks: p.allocation.stocks,
                bonds: p.allocation.bonds,
                cash: p.allocation.cash,
            },
            rationale: p.rationale,
        }
    }
}

/// One question and its options (answer with the option's index).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuestionInfo {
    /// The id answers use.
    pub id: String,
    /// The topic (`horizon`, `income`, ...).
    pub topic: String,
    /// The question.
    pub text: String,
    /// The options, in order.
    pub options: Vec<String>,
}

/// A questionnaire version with its questions.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuestionnaireInfo {
    /// The version answers name.
    pub version: String,
    /// The questions, in order.
    pub questions: Vec<QuestionInfo>,
}

/// A category with its label, score band and model allocation.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CategoryInfo {
    /// The category.
    pub category: Category,
    /// Its label.
    pub label: String,
    /// Lowest tolerance score of its band.
    pub score_from: u8,
    /// Highest tolerance score of its band.
    pub score_to: u8,
    /// Its model allocation.
    pub allocation: Allocation,
}

/// The questionnaire of `version` (the current one when `null`).
#[uniffi::export(default(version = None))]
pub fn risk_questionnaire(version: Option<String>) -> Outcome<QuestionnaireInfo> {
    let q = match version {
        Some(v) => Questionnaire::by_version(&v)?,
        None => Questionnaire::current(),
    };
    Ok(QuestionnaireInfo {
        version: q.version().to_owned(),
        questions: q
            .questions()
            .iter()
            .map(|q| QuestionInfo {
                id: q.id().to_owned(),
                topic: q.topic().to_owned(),
                text: q.text().to_owned(),
                options: q.options().iter().map(|o| o.text().to_owned()).collect(),
            })
            .collect(),
    })
}

/// Every questionnaire version the SDK can score, oldest first.
#[uniffi::export]
pub fn risk_versions() -> Vec<String> {
    Questionnaire::versions()
        .iter()
        .map(|v| (*v).to_owned())
        .collect()
}

/// Scores answers (question id to chosen option index) given to `version`
/// (the current questionnaire when `null`).
#[uniffi::export(default(version = None))]
pub fn risk_score(answers: HashMap<String, u32>, version: Option<String>) -> Outcome<Profile> {
    let answers = Answers {
        version: version.unwrap_or_else(|| Questionnaire::current().version().to_owned()),
        answers: answers
            .into_iter()
            .map(|(k, v)| {
                let v = usize::try_from(v).map_err(|e| AuraError::argument("answers", e))?;
                Ok((k, v))
            })
            .collect::<Outcome<BTreeMap<_, _>>>()?,
    };
    Ok(auravest_risk::score(&answers)?.into())
}

/// The five categories, most cautious first.
#[uniffi::export]
pub fn risk_categories() -> Vec<CategoryInfo> {
    RiskCategory::ALL
        .iter()
        .map(|c| {
            let band = c.score_band();
            CategoryInfo {
                category: (*c).into(),
                label: c.label().to_owned(),
                score_from: *band.start(),
                score_to: *band.end(),
                allocation: c.allocation().into(),
            }
        })
        .collect()
}

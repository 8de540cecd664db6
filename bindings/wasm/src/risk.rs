//! The risk questionnaire and its scoring.

use std::collections::BTreeMap;

use auravest_risk::{Answers, Cap, ModelAllocation, Questionnaire, RiskCategory};
use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::convert::{optional_string, read, write};
use crate::errors::Outcome;

/// A model allocation: fractions of stocks, bonds and cash summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RiskProfile {
    /// The questionnaire version scored.
    pub version: String,
    /// Tolerance score, 0-100.
    pub score: u8,
    /// Capacity score, 0-100.
    pub capacity_score: u8,
    /// What lowered the category, if anything.
    #[tsify(type = r#"("capacity" | "horizon")[]"#)]
    pub capped_by: Vec<Cap>,
    /// The final category.
    #[tsify(type = "RiskCategory")]
    pub category: RiskCategory,
    /// The category's model allocation.
    pub allocation: Allocation,
    /// A plain-language explanation.
    pub rationale: String,
}

impl From<auravest_risk::RiskProfile> for RiskProfile {
    fn from(p: auravest_risk::RiskProfile) -> Self {
        Self {
            version: p.version,
            score: p.score,
            capacity_score: p.capacity_score,
            capped_by: p.capped_by,
            category: p.category,
            allocation: p.allocation.into(),
            rationale: p.rationale,
        }
    }
}

impl From<RiskProfile> for auravest_risk::RiskProfile {
    fn from(p: RiskProfile) -> Self {
        Self {
            version: p.version,
            score: p.score,
            capacity_score: p.capacity_score,
            capped_by: p.capped_by,
            category: p.category,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct QuestionnaireInfo {
    /// The version answers name.
    pub version: String,
    /// The questions, in order.
    pub questions: Vec<QuestionInfo>,
}

/// A category with its label, score band and model allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct CategoryInfo {
    /// The category.
    #[tsify(type = "RiskCategory")]
    pub category: RiskCategory,
    /// Its label.
    pub label: String,
    /// Lowest tolerance score of its band.
    pub score_from: u8,
    /// Highest tolerance score of its band.
    pub score_to: u8,
    /// Its model allocation.
    pub allocation: Allocation,
}

#[wasm_bindgen(typescript_custom_section)]
const RISK_TS: &str = r#"
/** The five risk categories' names, most cautious first. */
export type RiskCategory = "conservative" | "moderately_conservative" | "moderate" | "growth" | "aggressive";
"#;

/// The questionnaire of `version` (the current one when omitted).
///
/// # Errors
/// `UnknownVersion` (field `version`).
#[wasm_bindgen(js_name = riskQuestionnaire, unchecked_return_type = "QuestionnaireInfo")]
pub fn risk_questionnaire(
    #[wasm_bindgen(unchecked_optional_param_type = "string")] version: Option<JsValue>,
) -> Outcome<JsValue> {
    let q = match optional_string("version", version)? {
        Some(v) => Questionnaire::by_version(&v)?,
        None => Questionnaire::current(),
    };
    write(&QuestionnaireInfo {
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
#[wasm_bindgen(js_name = riskVersions)]
pub fn risk_versions() -> Vec<String> {
    Questionnaire::versions()
        .iter()
        .map(|v| (*v).to_owned())
        .collect()
}

/// Scores answers (question id to the chosen option's index) given to
/// `version` (the current questionnaire when omitted). Partial answers are
/// refused with the question missing named, so a form can call this on
/// every change and show the category once it is complete.
///
/// # Errors
/// `InvalidArgument` (an answer that is not a whole number, field
/// `answers.<id>`), or the SDK's `UnknownVersion`, `UnknownQuestion`,
/// `MissingAnswer`, `OptionOutOfRange`.
#[wasm_bindgen(js_name = riskScore, unchecked_return_type = "RiskProfile")]
pub fn risk_score(
    #[wasm_bindgen(unchecked_param_type = "Record<string, number>")] answers: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] version: Option<JsValue>,
) -> Outcome<JsValue> {
    let answers = Answers {
        version: optional_string("version", version)?
            .unwrap_or_else(|| Questionnaire::current().version().to_owned()),
        answers: read::<BTreeMap<String, usize>>("answers", answers)?,
    };
    write(&RiskProfile::from(auravest_risk::score(&answers)?))
}

/// The five categories, most cautious first.
#[wasm_bindgen(js_name = riskCategories, unchecked_return_type = "CategoryInfo[]")]
pub fn risk_categories() -> Outcome<JsValue> {
    let all: Vec<CategoryInfo> = RiskCategory::ALL
        .iter()
        .map(|c| {
            let band = c.score_band();
            CategoryInfo {
                category: *c,
                label: c.label().to_owned(),
                score_from: *band.start(),
                score_to: *band.end(),
                allocation: c.allocation().into(),
            }
        })
        .collect();
    write(&all)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_declared_category_union_is_the_sdks() {
        assert_eq!(
            crate::ts_union(include_str!("risk.rs"), "RiskCategory"),
            crate::serde_names(auravest_risk::RiskCategory::ALL)
        );
    }
}

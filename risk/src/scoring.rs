//! Answers, scoring and the resulting risk profile.
//!
//! See the crate docs for the formula, bands and caps.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::allocation::{ModelAllocation, RiskCategory};
use crate::error::{Error, Result};
use crate::questionnaire::{AnswerOption, Construct, Question, Questionnaire};

/// The most answers one set may hold (every questionnaire has far fewer questions).
pub const MAX_ANSWERS: usize = 64;

/// The longest question id an answer may name, in characters.
pub const MAX_ANSWER_ID_LEN: usize = 64;

/// The longest questionnaire version string, in characters.
pub const MAX_VERSION_LEN: usize = 32;

/// A respondent's answers: the questionnaire version and, for each question id, the
/// index of the chosen option (0 = the first, least risk-seeking option).
///
/// JSON: `{"version": "2026.1", "answers": {"risk_attitude": 2, "time_horizon": 3}}`,
/// nothing else. Reading JSON refuses unknown fields, a version longer than
/// [`MAX_VERSION_LEN`], more than [`MAX_ANSWERS`] answers and question ids
/// longer than [`MAX_ANSWER_ID_LEN`] (it stops reading at the first answer too
/// many); scoring checks the same bounds for answers built in code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answers {
    /// The questionnaire version the answers were given to.
    #[serde(deserialize_with = "bounded_version")]
    pub version: String,
    /// Chosen option index by question id.
    #[serde(deserialize_with = "bounded_answers")]
    pub answers: BTreeMap<String, usize>,
}

fn bounded_version<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<String, D::Error> {
    let version = String::deserialize(d)?;
    check_version(&version).map_err(serde::de::Error::custom)?;
    Ok(version)
}

fn bounded_answers<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, usize>, D::Error> {
    struct Bounded;
    impl<'de> serde::de::Visitor<'de> for Bounded {
        type Value = BTreeMap<String, usize>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "a map of at most {MAX_ANSWERS} question ids to option indices"
            )
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((id, index)) = map.next_entry::<String, usize>()? {
                check_id(&id).map_err(serde::de::Error::custom)?;
                out.insert(id, index);
                if out.len() > MAX_ANSWERS {
                    return Err(serde::de::Error::custom(too_many(out.len())));
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(Bounded)
}

fn check_version(version: &str) -> Result<()> {
    let len = version.chars().count();
    if len > MAX_VERSION_LEN {
        return Err(Error::TooLarge {
            field: "version",
            what: "its length",
            limit: MAX_VERSION_LEN,
            got: len,
        });
    }
    Ok(())
}

fn check_id(id: &str) -> Result<()> {
    let len = id.chars().count();
    if len > MAX_ANSWER_ID_LEN {
        return Err(Error::TooLarge {
            field: "answers",
            what: "a question id's length",
            limit: MAX_ANSWER_ID_LEN,
            got: len,
        });
    }
    Ok(())
}

fn too_many(got: usize) -> Error {
    Error::TooLarge {
        field: "answers",
        what: "the number of answers",
        limit: MAX_ANSWERS,
        got,
    }
}

impl Answers {
    /// Checks the size bounds: the version's length, the number of answers
    /// and the length of every question id.
    ///
    /// # Errors
    /// [`Error::TooLarge`] naming the field.
    pub fn check_bounds(&self) -> Result<()> {
        check_version(&self.version)?;
        if self.answers.len() > MAX_ANSWERS {
            return Err(too_many(self.answers.len()));
        }
        self.answers.keys().try_for_each(|id| check_id(id))
    }

    /// Empty answers for questionnaire `version`.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            version: version.into(),
            answers: BTreeMap::new(),
        }
    }

    /// These answers with option `index` chosen for question `id`.
    #[must_use]
    pub fn with(mut self, id: impl Into<String>, index: usize) -> Self {
        self.answers.insert(id.into(), index);
        self
    }
}

/// What capped a category below the one the tolerance score alone would give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cap {
    /// The capacity score's band is below the tolerance category.
    Capacity,
    /// The time horizon's ceiling is below the tolerance category.
    Horizon,
}

impl Cap {
    /// A human-readable label: `"capacity"` or `"time horizon"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Capacity => "capacity",
            Self::Horizon => "time horizon",
        }
    }
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The result of scoring a set of answers.
///
/// JSON: `{"version", "score", "capacity_score", "capped_by", "category", "allocation",
/// "rationale"}`, for example `"capped_by": ["capacity"]` and `"category": "moderate"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskProfile {
    /// The questionnaire version that was scored.
    pub version: String,
    /// Tolerance score, 0–100, from the willingness, loss-reaction and experience answers.
    pub score: u8,
    /// Capacity score, 0–100, from the income, emergency-savings and net-worth answers.
    pub capacity_score: u8,
    /// What lowered the category below the tolerance band's category, in the order
    /// capacity, horizon; empty if nothing did. A cap is listed whenever its ceiling
    /// alone is below the tolerance category, so both are listed when each would
    /// have lowered it.
    pub capped_by: Vec<Cap>,
    /// The final category.
    pub category: RiskCategory,
    /// The category's model allocation.
    pub allocation: ModelAllocation,
    /// A short plain-language explanation naming the answers that drove the result.
    pub rationale: String,
}

/// Scores `answers` against the questionnaire version they name.
///
/// Shorthand for [`Questionnaire::by_version`] followed by [`Questionnaire::score`].
///
/// # Errors
///
/// [`Error::TooLarge`] when the answers exceed their bounds
/// ([`Answers::check_bounds`]), [`Error::UnknownVersion`] if
/// `answers.version` is not a known version, and otherwise the errors of
/// [`Questionnaire::score`].
pub fn score(answers: &Answers) -> Result<RiskProfile> {
    answers.check_bounds()?;
    Questionnaire::by_version(&answers.version)?.score(answers)
}

/// One answered question: the question and the option chosen.
#[derive(Clone, Copy)]
struct Chosen<'a> {
    question: &'a Question,
    option: &'a AnswerOption,
}

impl Chosen<'_> {
    /// `(points, max_points)`, this answer's level as a fraction.
    fn level(self) -> (u32, u32) {
        (
            u32::from(self.option.points()),
            u32::from(self.question.max_points()),
        )
    }

    /// `topic ("option text")`.
    fn quote(self) -> String {
        format!("{} (\"{}\")", self.question.topic(), self.option.text())
    }
}

impl Questionnaire {
    /// Scores `answers` and returns the risk profile.
    ///
    /// Every question must be answered exactly once with a valid option index; see the
    /// crate docs for the formula, bands and caps.
    ///
    /// # Errors
    ///
    /// Checked in this order, reporting the first problem found:
    /// * [`Error::TooLarge`] when the answers exceed their bounds ([`Answers::check_bounds`]);
    /// * [`Error::VersionMismatch`] if `answers.version` is not this questionnaire's version;
    /// * [`Error::UnknownQuestion`] for an answer to a question id this version lacks
    ///   (the first in id order);
    /// * then, question by question in questionnaire order,
    ///   [`Error::MissingAnswer`] for an unanswered question and
    ///   [`Error::OptionOutOfRange`] for an index past the last option.
    pub fn score(&self, answers: &Answers) -> Result<RiskProfile> {
        answers.check_bounds()?;
        if answers.version != self.version() {
            return Err(Error::VersionMismatch {
                questionnaire: self.version().to_owned(),
                answers: crate::error::shown(&answers.version),
            });
        }
        if let Some(id) = answers
            .answers
            .keys()
            .find(|id| self.question(id).is_none())
        {
            return Err(Error::UnknownQuestion {
                version: self.version().to_owned(),
                id: id.clone(),
            });
        }
        let chosen = self
            .questions()
            .iter()
            .map(|question| {
                let id = question.id();
                let &index = answers
                    .answers
                    .get(id)
                    .ok_or_else(|| Error::MissingAnswer { id: id.to_owned() })?;
                let options = question.options();
                let option = options.get(index).ok_or_else(|| Error::OptionOutOfRange {
                    id: id.to_owned(),
                    index,
                    max_index: options.len().saturating_sub(1),
                })?;
                Ok(Chosen { question, option })
            })
            .collect::<Result<Vec<_>>>()?;

        let group = |keep: fn(Construct) -> bool| {
            let answers = chosen.iter().copied();
            answers
                .filter(|c| keep(c.question.construct()))
                .collect::<Vec<_>>()
        };
        let tolerance = group(Construct::is_tolerance);
        let capacity = group(|c| c == Construct::Capacity);
        let horizon = group(|c| c == Construct::Horizon);

        let score = scale(&tolerance);
        let capacity_score = scale(&capacity);
        let tolerance_category = RiskCategory::from_score(score);
        let capacity_ceiling = RiskCategory::from_score(capacity_score);
        let horizon_ceiling = horizon
            .iter()
            .filter_map(|c| c.option.ceiling())
            .min()
            .unwrap_or(RiskCategory::Aggressive);

        let mut capped_by = Vec::new();
        if capacity_ceiling < tolerance_category {
            capped_by.push(Cap::Capacity);
        }
        if horizon_ceiling < tolerance_category {
            capped_by.push(Cap::Horizon);
        }
        let category = tolerance_category
            .min(capacity_ceiling)
            .min(horizon_ceiling);
        let allocation = category.allocation();

        let rationale = Rationale {
            score,
            capacity_score,
            tolerance_category,
            capacity_ceiling,
            horizon_ceiling,
            tolerance: &tolerance,
            capacity: &capacity,
            horizon: &horizon,
            capped_by: &capped_by,
            category,
            allocation,
        }
        .to_string();

        Ok(RiskProfile {
            version: self.version().to_owned(),
            score,
            capacity_score,
            capped_by,
            category,
            allocation,
            rationale,
        })
    }
}

/// `round(100 × Σ points / Σ max points)`, rounding halves up; 0 if nothing is scored.
fn scale(answers: &[Chosen<'_>]) -> u8 {
    let (points, max) = answers.iter().fold((0_u32, 0_u32), |(p, m), c| {
        let (cp, cm) = c.level();
        (p + cp, m + cm)
    });
    if max == 0 {
        return 0;
    }
    let rounded = (200 * points + max) / (2 * max);
    u8::try_from(rounded.min(100)).unwrap_or(100)
}

/// The answer with the highest (`boldest`) or lowest level, first in questionnaire
/// order on ties.
fn extreme<'a>(answers: &[Chosen<'a>], boldest: bool) -> Option<Chosen<'a>> {
    let mut best: Option<Chosen<'a>> = None;
    for &c in answers {
        let better = best.is_none_or(|b| {
            let ((cp, cm), (bp, bm)) = (c.level(), b.level());
            // Compare cp/cm with bp/bm without division.
            if boldest {
                cp * bm > bp * cm
            } else {
                cp * bm < bp * cm
            }
        });
        if better {
            best = Some(c);
        }
    }
    best
}

/// The parts of a rationale, written out by `Display`.
struct Rationale<'a> {
    score: u8,
    capacity_score: u8,
    tolerance_category: RiskCategory,
    capacity_ceiling: RiskCategory,
    horizon_ceiling: RiskCategory,
    tolerance: &'a [Chosen<'a>],
    capacity: &'a [Chosen<'a>],
    horizon: &'a [Chosen<'a>],
    capped_by: &'a [Cap],
    category: RiskCategory,
    allocation: ModelAllocation,
}

impl fmt::Display for Rationale<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let band = self.tolerance_category.score_band();
        write!(
            f,
            "Your tolerance score is {}/100, in the {} band ({}-{}).",
            self.score,
            self.tolerance_category,
            band.start(),
            band.end()
        )?;
        let boldest = extreme(self.tolerance, true);
        let cautious = extreme(self.tolerance, false);
        match (boldest, cautious) {
            (Some(b), Some(c)) if b.level() == c.level() => {
                let level = match b.level() {
                    (0, _) => "the most cautious option",
                    (p, m) if p == m => "the most risk-seeking option",
                    _ => "the same point of its scale",
                };
                write!(
                    f,
                    " Every answer was {level}, for example on {}.",
                    b.quote()
                )?;
            }
            (Some(b), Some(c)) => write!(
                f,
                " Your boldest answer was on {}; your most cautious was on {}.",
                b.quote(),
                c.quote()
            )?,
            _ => {}
        }

        write!(f, " Your capacity score is {}/100", self.capacity_score)?;
        if self.capped_by.contains(&Cap::Capacity) {
            write!(f, ", which allows at most {}", self.capacity_ceiling)?;
            if let Some(weakest) = extreme(self.capacity, false) {
                write!(
                    f,
                    "; your weakest capacity answer was on {}",
                    weakest.quote()
                )?;
            }
            f.write_str(".")?;
        } else {
            write!(
                f,
                ", which allows up to {}, so it does not lower your category.",
                self.capacity_ceiling
            )?;
        }

        if let Some(h) = self.horizon.first() {
            write!(f, " Your answer on {}", h.quote())?;
            if self.horizon_ceiling == RiskCategory::Aggressive {
                f.write_str(" sets no limit.")?;
            } else if self.capped_by.contains(&Cap::Horizon) {
                write!(f, " caps the category at {}.", self.horizon_ceiling)?;
            } else {
                write!(
                    f,
                    " allows up to {}, so it does not lower your category.",
                    self.horizon_ceiling
                )?;
            }
        }

        write!(f, " Result: {}", self.category)?;
        if !self.capped_by.is_empty() {
            let caps: Vec<&str> = self.capped_by.iter().map(|c| c.label()).collect();
            write!(
                f,
                ", lowered from {} by {}",
                self.tolerance_category,
                caps.join(" and ")
            )?;
        }
        write!(f, ": {}.", self.allocation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_rounds_half_up_and_handles_empty() {
        assert_eq!(scale(&[]), 0);
        let q = &Questionnaire::current().questions()[0];
        let max = q.options().len() - 1;
        let top = Chosen {
            question: q,
            option: &q.options()[max],
        };
        let bottom = Chosen {
            question: q,
            option: &q.options()[0],
        };
        assert_eq!(scale(&[top]), 100);
        assert_eq!(scale(&[bottom]), 0);
        // 3 of 6 points is exactly one half.
        assert_eq!(scale(&[top, bottom]), 50);
    }

    #[test]
    fn extreme_prefers_the_first_on_ties() {
        let qs = Questionnaire::current().questions();
        let a = Chosen {
            question: &qs[0],
            option: &qs[0].options()[1],
        };
        let b = Chosen {
            question: &qs[1],
            option: &qs[1].options()[1],
        };
        assert_eq!(
            extreme(&[a, b], true).map(|c| c.question.id()),
            Some(qs[0].id())
        );
        assert_eq!(
            extreme(&[a, b], false).map(|c| c.question.id()),
            Some(qs[0].id())
        );
        assert!(extreme(&[], true).is_none());
    }
}

//! Risk categories, their score bands and their model allocations.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

/// One of five risk categories, ordered from least to most risk-seeking.
///
/// Each category covers one equal-width band of a 0–100 score (see
/// [`RiskCategory::from_score`]) and maps to one model allocation (see
/// [`RiskCategory::allocation`]):
///
/// | category | score band | stocks | bonds | cash |
/// |---|---|---|---|---|
/// | Conservative | 0–19 | 20% | 75% | 5% |
/// | Moderately Conservative | 20–39 | 40% | 55% | 5% |
/// | Moderate | 40–59 | 60% | 40% | 0% |
/// | Growth | 60–79 | 80% | 20% | 0% |
/// | Aggressive | 80–100 | 100% | 0% | 0% |
///
/// The ordering (`Ord`) runs from `Conservative` (lowest) to `Aggressive` (highest),
/// so `min` picks the more cautious of two categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RiskCategory {
    /// Protect capital first: 20% stocks.
    Conservative,
    /// Mostly bonds with some stocks: 40% stocks.
    ModeratelyConservative,
    /// A balance of stocks and bonds: 60% stocks.
    Moderate,
    /// Mostly stocks: 80% stocks.
    Growth,
    /// All stocks: 100% stocks.
    Aggressive,
}

impl RiskCategory {
    /// Every category, from least to most risk-seeking.
    pub const ALL: [Self; 5] = [
        Self::Conservative,
        Self::ModeratelyConservative,
        Self::Moderate,
        Self::Growth,
        Self::Aggressive,
    ];

    /// The category whose band holds `score`: 0–19 Conservative, 20–39 Moderately
    /// Conservative, 40–59 Moderate, 60–79 Growth, 80 and above Aggressive.
    ///
    /// The same bands turn the tolerance score into a category and the capacity
    /// score into the highest category capacity allows.
    pub fn from_score(score: u8) -> Self {
        match score {
            0..=19 => Self::Conservative,
            20..=39 => Self::ModeratelyConservative,
            40..=59 => Self::Moderate,
            60..=79 => Self::Growth,
            _ => Self::Aggressive,
        }
    }

    /// The band of scores that [`RiskCategory::from_score`] maps to this category.
    pub fn score_band(self) -> RangeInclusive<u8> {
        match self {
            Self::Conservative => 0..=19,
            Self::ModeratelyConservative => 20..=39,
            Self::Moderate => 40..=59,
            Self::Growth => 60..=79,
            Self::Aggressive => 80..=100,
        }
    }

    /// A human-readable label, such as `"Moderately Conservative"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Conservative => "Conservative",
            Self::ModeratelyConservative => "Moderately Conservative",
            Self::Moderate => "Moderate",
            Self::Growth => "Growth",
            Self::Aggressive => "Aggressive",
        }
    }

    /// The model allocation for this category (see the table on [`RiskCategory`]).
    ///
    /// The stock shares step by 20 points, in the spirit of published model
    /// portfolios that run from 20/80 to 100/0 stocks/bonds. The two most cautious
    /// categories hold a 5% cash sleeve taken from the bond share. Every allocation's
    /// fractions sum to exactly `1.0` in `f64` arithmetic (`stocks + bonds + cash`).
    pub fn allocation(self) -> ModelAllocation {
        let (stocks, bonds, cash) = match self {
            Self::Conservative => (0.20, 0.75, 0.05),
            Self::ModeratelyConservative => (0.40, 0.55, 0.05),
            Self::Moderate => (0.60, 0.40, 0.0),
            Self::Growth => (0.80, 0.20, 0.0),
            Self::Aggressive => (1.0, 0.0, 0.0),
        };
        ModelAllocation {
            stocks,
            bonds,
            cash,
        }
    }
}

impl fmt::Display for RiskCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A model allocation: the fractions of a portfolio held in stocks, bonds and cash.
///
/// The fractions are each in `0.0..=1.0` and sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelAllocation {
    /// Fraction in stocks (equity funds).
    pub stocks: f64,
    /// Fraction in bonds (bond funds).
    pub bonds: f64,
    /// Fraction in cash.
    pub cash: f64,
}

impl fmt::Display for ModelAllocation {
    /// Formats as whole percentages, such as `40% stocks, 55% bonds, 5% cash`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0}% stocks, {:.0}% bonds, {:.0}% cash",
            self.stocks * 100.0,
            self.bonds * 100.0,
            self.cash * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_every_score_once_and_match_from_score() {
        for score in 0..=u8::MAX {
            let category = RiskCategory::from_score(score);
            let holders: Vec<_> = RiskCategory::ALL
                .into_iter()
                .filter(|c| c.score_band().contains(&score))
                .collect();
            if score <= 100 {
                assert_eq!(holders, [category], "score {score}");
            } else {
                assert_eq!(category, RiskCategory::Aggressive);
            }
        }
    }

    #[test]
    fn allocations_sum_to_exactly_one_and_rise_in_stocks() {
        let mut last_stocks = 0.0;
        for category in RiskCategory::ALL {
            let a = category.allocation();
            let total = a.stocks + a.bonds + a.cash;
            assert_eq!(total.to_bits(), 1.0_f64.to_bits(), "{category}: {total}");
            assert!(a.stocks > last_stocks);
            last_stocks = a.stocks;
        }
    }

    #[test]
    fn all_is_sorted() {
        assert!(RiskCategory::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn allocation_display_uses_whole_percentages() {
        let text = RiskCategory::ModeratelyConservative
            .allocation()
            .to_string();
        assert_eq!(text, "40% stocks, 55% bonds, 5% cash");
    }
}

//! Badges and their award rules.

use serde::{Deserialize, Serialize};

use crate::drawdown::HeldDrawdown;

/// Every badge there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BadgeId {
    /// The portfolio has its first purchase.
    FirstPortfolio,
    /// The risk questionnaire was scored.
    RiskQuizCompleted,
    /// The portfolio holds something and no concentration check fires.
    DiversifiedPortfolio,
    /// The investor posted in the community.
    FirstCommunityPost,
    /// No sale through the deepest drawdown of at least 10%.
    HeldThroughDrawdown,
    /// All five items of the learning checklist are done.
    LearningChecklistFinished,
}

impl BadgeId {
    /// Every badge, in display order.
    pub const ALL: [Self; 6] = [
        Self::FirstPortfolio,
        Self::RiskQuizCompleted,
        Self::DiversifiedPortfolio,
        Self::FirstCommunityPost,
        Self::HeldThroughDrawdown,
        Self::LearningChecklistFinished,
    ];

    /// The badge's name.
    pub fn title(self) -> &'static str {
        match self {
            Self::FirstPortfolio => "First portfolio",
            Self::RiskQuizCompleted => "Risk quiz completed",
            Self::DiversifiedPortfolio => "Diversified portfolio",
            Self::FirstCommunityPost => "First community post",
            Self::HeldThroughDrawdown => "Held through a drawdown",
            Self::LearningChecklistFinished => "Learning checklist finished",
        }
    }

    /// The award rule, in words.
    pub fn rule(self) -> &'static str {
        match self {
            Self::FirstPortfolio => "Awarded when the portfolio records its first purchase.",
            Self::RiskQuizCompleted => {
                "Awarded when a risk profile has been scored from the questionnaire."
            }
            Self::DiversifiedPortfolio => {
                "Awarded when the portfolio holds at least one position and the concentration \
                 checks (single holding, 5/10/40, effective number of holdings, sector, \
                 alternatives) find nothing; a note that some holdings are unclassified does \
                 not count against it."
            }
            Self::FirstCommunityPost => "Awarded after the first post in the community.",
            Self::HeldThroughDrawdown => {
                "Awarded when the portfolio's deepest time-weighted fall reached the drawdown \
                 threshold (10% by default) and nothing was sold from its peak until it \
                 recovered (or until today, if it has not yet)."
            }
            Self::LearningChecklistFinished => {
                "Awarded when all five items of the learning checklist are done."
            }
        }
    }
}

/// The facts the award rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BadgeFacts {
    /// The portfolio has at least one purchase.
    pub has_purchase: bool,
    /// A risk profile was scored.
    pub risk_profile: bool,
    /// The portfolio holds a position and no concentration nudge fired.
    pub diversified: bool,
    /// Posts the investor has made in the community.
    pub community_posts: u32,
    /// The drawdown held through, if any.
    pub held_through_drawdown: Option<HeldDrawdown>,
    /// Every checklist item is done.
    pub checklist_finished: bool,
}

/// One badge and whether it is earned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Badge {
    /// Which badge.
    pub id: BadgeId,
    /// Its name.
    pub title: &'static str,
    /// Its award rule.
    pub rule: &'static str,
    /// Whether the rule is met.
    pub earned: bool,
}

/// Every badge, earned or not, by the rules of [`BadgeId::rule`].
pub fn award_badges(facts: &BadgeFacts) -> Vec<Badge> {
    BadgeId::ALL
        .into_iter()
        .map(|id| Badge {
            id,
            title: id.title(),
            rule: id.rule(),
            earned: match id {
                BadgeId::FirstPortfolio => facts.has_purchase,
                BadgeId::RiskQuizCompleted => facts.risk_profile,
                BadgeId::DiversifiedPortfolio => facts.diversified,
                BadgeId::FirstCommunityPost => facts.community_posts >= 1,
                BadgeId::HeldThroughDrawdown => facts.held_through_drawdown.is_some(),
                BadgeId::LearningChecklistFinished => facts.checklist_finished,
            },
        })
        .collect()
}

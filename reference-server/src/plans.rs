//! Plans: what each tier may do. Every limit and gated feature of a plan is
//! decided here and nowhere else; handlers ask [`plan_of`] and
//! [`Plan::allows`]. No payments: a user's tier is set by an operator
//! (`auravest-server admin tier --email ... --tier plus`), and members can
//! ask to hear when AuraVest Plus opens.

use serde::Serialize;
use uuid::Uuid;

use crate::config::Config;
use crate::error::AppResult;
use crate::state::AppState;

/// A tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The free plan (everyone, unless set otherwise).
    Free,
    /// AuraVest Plus.
    Plus,
}

impl Tier {
    /// Every tier.
    pub const ALL: [Self; 2] = [Self::Free, Self::Plus];

    /// `free` or `plus`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Plus => "plus",
        }
    }

    /// Parses `free` or `plus`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
}

/// A feature some plans have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// Alerts on a day's move in percent (price levels are in every plan).
    DailyMoveAlerts,
}

/// What a plan gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Plan {
    /// The tier.
    pub tier: Tier,
    /// Its name.
    pub name: &'static str,
    /// AI questions a day.
    pub ai_questions_per_day: u32,
    /// Symbols on the watchlist.
    pub watchlist_symbols: usize,
    /// Price alert rules.
    pub alert_rules: usize,
    /// Alerts on a day's move in percent.
    pub daily_move_alerts: bool,
}

impl Plan {
    /// Does the plan include `feature`?
    pub fn allows(&self, feature: Feature) -> bool {
        match feature {
            Feature::DailyMoveAlerts => self.daily_move_alerts,
        }
    }
}

/// The plan of `tier` under these settings: the free plan's AI questions
/// are `AURAVEST_AI_DAILY_LIMIT`; Plus has ten times as many.
pub fn plan(tier: Tier, config: &Config) -> Plan {
    match tier {
        Tier::Free => Plan {
            tier,
            name: "AuraVest",
            ai_questions_per_day: config.ai_daily_limit,
            watchlist_symbols: 10,
            alert_rules: 3,
            daily_move_alerts: false,
        },
        Tier::Plus => Plan {
            tier,
            name: "AuraVest Plus",
            ai_questions_per_day: config.ai_daily_limit.saturating_mul(10),
            watchlist_symbols: 50,
            alert_rules: 50,
            daily_move_alerts: true,
        },
    }
}

/// The user's tier (free unless an operator set another; a stored value
/// this version does not know counts as free).
///
/// # Errors
/// The store's.
pub async fn tier_of(state: &AppState, user: Uuid) -> AppResult<Tier> {
    Ok(state
        .store
        .tier(user)
        .await?
        .as_deref()
        .and_then(Tier::parse)
        .unwrap_or(Tier::Free))
}

/// The user's plan.
///
/// # Errors
/// The store's.
pub async fn plan_of(state: &AppState, user: Uuid) -> AppResult<Plan> {
    Ok(plan(tier_of(state, user).await?, &state.config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_gives_more_and_the_gated_features() {
        let config = Config::from_lookup(|k| match k {
            "AURAVEST_DATA_DIR" => Some(std::env::temp_dir().display().to_string()),
            "AURAVEST_AI_DAILY_LIMIT" => Some("4".to_owned()),
            _ => None,
        })
        .unwrap();
        let free = plan(Tier::Free, &config);
        let plus = plan(Tier::Plus, &config);
        assert_eq!(free.ai_questions_per_day, 4);
        assert_eq!(plus.ai_questions_per_day, 40);
        assert!(plus.watchlist_symbols > free.watchlist_symbols);
        assert!(plus.alert_rules > free.alert_rules);
        assert!(!free.allows(Feature::DailyMoveAlerts));
        assert!(plus.allows(Feature::DailyMoveAlerts));
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        assert_eq!(Tier::parse("gold"), None);
    }
}

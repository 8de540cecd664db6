//! Thresholds of every detector, with documented defaults and range checks.
//!
//! Defaults marked *(ours)* are suggestions to tune with users; the others
//! come from the rule or paper named beside them. Every struct deserialises
//! with missing fields taking their defaults, so a JSON settings file needs
//! only the values it changes; unknown fields are refused, so a misspelt
//! setting is an error rather than silently ignored.

use std::collections::{BTreeMap, BTreeSet};

use auravest_core::Symbol;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Every threshold, one group per detector.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Single holding, 5/10/40, effective number, sector and alternatives limits.
    pub concentration: ConcentrationConfig,
    /// Sales soon after a fall.
    pub panic: PanicConfig,
    /// Odean's PGR − PLR.
    pub disposition: DispositionConfig,
    /// Annualised turnover and its cost.
    pub overtrading: OvertradingConfig,
    /// Buying after run-ups or on attention-grabbing days.
    pub chasing: ChasingConfig,
    /// Domestic equity against the world market.
    pub home_bias: HomeBiasConfig,
    /// Idle cash.
    pub cash: CashConfig,
    /// Drift from the target allocation.
    pub drift: DriftConfig,
    /// The check-in after a fall since the last visit.
    pub drawdown: DrawdownConfig,
    /// Goal projections.
    pub goals: GoalsConfig,
    /// How many nudges are shown and how often.
    pub throttle: ThrottleConfig,
}

impl Config {
    /// Checks every threshold.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first setting out of range, or
    /// [`Error::InvalidSetting`] for a malformed home country.
    pub fn validate(&self) -> Result<()> {
        self.concentration.validate()?;
        self.panic.validate()?;
        self.disposition.validate()?;
        self.overtrading.validate()?;
        self.chasing.validate()?;
        self.home_bias.validate()?;
        self.cash.validate()?;
        self.drift.validate()?;
        self.drawdown.validate()?;
        self.goals.validate()?;
        self.throttle.validate()
    }
}

fn check(name: &'static str, value: f64, ok: bool, expected: &'static str) -> Result<()> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidThreshold {
            name,
            value,
            expected,
        })
    }
}

/// A fraction in `(0, 1]`.
fn fraction(name: &'static str, value: f64) -> Result<()> {
    check(
        name,
        value,
        value > 0.0 && value <= 1.0,
        "a fraction in (0, 1]",
    )
}

/// A whole number of days of at least 1.
fn days(name: &'static str, value: u32) -> Result<()> {
    check(name, f64::from(value), value >= 1, "at least 1 day")
}

/// An annual return in `(-1, 1]`.
fn annual_return(name: &'static str, value: f64) -> Result<()> {
    check(
        name,
        value,
        value > -1.0 && value <= 1.0,
        "an annual return in (-1, 1]",
    )
}

/// Limits for [`crate::concentration`].
///
/// Weights are shares of the portfolio's total value, cash included.
/// Holdings that are broad funds count as diversified in themselves: they are
/// not flagged as single holdings, add nothing to the Herfindahl index and are
/// left out of the 5/10/40 sum (a fund holds hundreds of issuers). A fund is a
/// symbol in [`ConcentrationConfig::funds`] or, when
/// [`ConcentrationConfig::exempt_shipped_funds`] is on, an equity, bond or
/// cash ETF of the table `auravest_core::InstrumentTable::shipped` (gold
/// funds hold one asset and are not exempt).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConcentrationConfig {
    /// A single holding above this share is flagged. Default 0.10: the "10" of
    /// the UCITS 5/10/40 rule (no issuer above 10% of a fund).
    pub single_holding: f64,
    /// From this share the wording becomes "single point of failure" and the
    /// severity critical. Default 0.50 *(ours)*.
    pub single_point_of_failure: f64,
    /// Holdings above this share are "large". Default 0.05: the "5" of 5/10/40.
    pub large_holding: f64,
    /// Large holdings may add up to at most this share. Default 0.40: the
    /// "40" of 5/10/40.
    pub large_holdings_total: f64,
    /// Fewer effective holdings (1 / Herfindahl index) than this is flagged.
    /// Default 10 *(ours)*.
    pub min_effective_holdings: f64,
    /// One sector above this share is flagged (sectors from the instrument
    /// table). Default 0.30 *(ours)*.
    pub sector: f64,
    /// Commodities and crypto together above this share are flagged. Default
    /// 0.10 *(ours)*.
    pub alternatives: f64,
    /// Whether the equity, bond and cash ETFs of the shipped instrument table
    /// count as diversified funds. Default true.
    pub exempt_shipped_funds: bool,
    /// More symbols that count as diversified funds. Default empty.
    pub funds: BTreeSet<Symbol>,
}

impl Default for ConcentrationConfig {
    fn default() -> Self {
        Self {
            single_holding: 0.10,
            single_point_of_failure: 0.50,
            large_holding: 0.05,
            large_holdings_total: 0.40,
            min_effective_holdings: 10.0,
            sector: 0.30,
            alternatives: 0.10,
            exempt_shipped_funds: true,
            funds: BTreeSet::new(),
        }
    }
}

impl ConcentrationConfig {
    /// Checks the limits.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first limit out of range.
    pub fn validate(&self) -> Result<()> {
        fraction("concentration.single_holding", self.single_holding)?;
        fraction(
            "concentration.single_point_of_failure",
            self.single_point_of_failure,
        )?;
        check(
            "concentration.single_point_of_failure",
            self.single_point_of_failure,
            self.single_point_of_failure >= self.single_holding,
            "at least concentration.single_holding",
        )?;
        fraction("concentration.large_holding", self.large_holding)?;
        fraction(
            "concentration.large_holdings_total",
            self.large_holdings_total,
        )?;
        check(
            "concentration.min_effective_holdings",
            self.min_effective_holdings,
            self.min_effective_holdings >= 1.0,
            "at least 1 holding",
        )?;
        fraction("concentration.sector", self.sector)?;
        fraction("concentration.alternatives", self.alternatives)
    }
}

/// Thresholds for [`crate::panic_selling`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanicConfig {
    /// A fall of at least this much from the highest close of the previous
    /// [`PanicConfig::fall_lookback_trading_days`] counts. Default 0.10 *(ours)*.
    pub min_fall: f64,
    /// Selling at least this share of the position counts. Default 0.30 *(ours)*.
    pub min_sold: f64,
    /// The sale must come within this many trading days after the fall (0:
    /// on the day of the fall only). Default 5 *(ours)*.
    pub within_trading_days: u32,
    /// The window, in trading days, whose highest close a fall is measured
    /// from. Default 20 (about a month) *(ours)*.
    pub fall_lookback_trading_days: u32,
    /// Only sales in this many calendar days up to the analysis date are
    /// checked. Default 90 *(ours)*.
    pub lookback_days: u32,
}

impl Default for PanicConfig {
    fn default() -> Self {
        Self {
            min_fall: 0.10,
            min_sold: 0.30,
            within_trading_days: 5,
            fall_lookback_trading_days: 20,
            lookback_days: 90,
        }
    }
}

impl PanicConfig {
    /// Checks the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first threshold out of range.
    pub fn validate(&self) -> Result<()> {
        fraction("panic.min_fall", self.min_fall)?;
        check(
            "panic.min_fall",
            self.min_fall,
            self.min_fall < 1.0,
            "a fraction in (0, 1)",
        )?;
        fraction("panic.min_sold", self.min_sold)?;
        days(
            "panic.fall_lookback_trading_days",
            self.fall_lookback_trading_days,
        )?;
        days("panic.lookback_days", self.lookback_days)
    }
}

/// Thresholds for [`crate::disposition_effect`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispositionConfig {
    /// PGR − PLR above this is flagged. Default 0.05 *(ours)*; Odean (1998)
    /// found PGR above PLR for the typical investor.
    pub min_difference: f64,
    /// The measure speaks only after this many days with a sale. Default 10 *(ours)*.
    pub min_sell_days: u32,
}

impl Default for DispositionConfig {
    fn default() -> Self {
        Self {
            min_difference: 0.05,
            min_sell_days: 10,
        }
    }
}

impl DispositionConfig {
    /// Checks the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first threshold out of range.
    pub fn validate(&self) -> Result<()> {
        check(
            "disposition.min_difference",
            self.min_difference,
            (0.0..1.0).contains(&self.min_difference),
            "a difference in [0, 1)",
        )?;
        days("disposition.min_sell_days", self.min_sell_days)
    }
}

/// Thresholds for [`crate::overtrading`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OvertradingConfig {
    /// Annualised turnover above this is flagged. Default 1.0 (100% a year)
    /// *(ours)*; Barber & Odean (2000) report about 75% a year for the average
    /// household.
    pub max_turnover: f64,
    /// From this turnover the severity is critical. Default 3.0 *(ours)*.
    pub critical_turnover: f64,
    /// Turnover is measured over this many calendar days up to the analysis
    /// date (or since the first transaction, if later). Default 365.
    pub lookback_days: u32,
    /// Shorter histories are not annualised (a few weeks would exaggerate).
    /// Default 90 *(ours)*.
    pub min_history_days: u32,
    /// Estimated cost of crossing the bid-ask spread, as a share of each
    /// trade's value, added to the fees actually paid. Default 0.001 (0.1%) *(ours)*.
    pub spread_cost: f64,
}

impl Default for OvertradingConfig {
    fn default() -> Self {
        Self {
            max_turnover: 1.0,
            critical_turnover: 3.0,
            lookback_days: 365,
            min_history_days: 90,
            spread_cost: 0.001,
        }
    }
}

impl OvertradingConfig {
    /// Checks the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first threshold out of range.
    pub fn validate(&self) -> Result<()> {
        check(
            "overtrading.max_turnover",
            self.max_turnover,
            self.max_turnover > 0.0,
            "a turnover greater than 0",
        )?;
        check(
            "overtrading.critical_turnover",
            self.critical_turnover,
            self.critical_turnover >= self.max_turnover,
            "at least overtrading.max_turnover",
        )?;
        days("overtrading.lookback_days", self.lookback_days)?;
        days("overtrading.min_history_days", self.min_history_days)?;
        check(
            "overtrading.min_history_days",
            f64::from(self.min_history_days),
            self.min_history_days <= self.lookback_days,
            "at most overtrading.lookback_days",
        )?;
        check(
            "overtrading.spread_cost",
            self.spread_cost,
            (0.0..=0.1).contains(&self.spread_cost),
            "a cost in [0, 0.1]",
        )
    }
}

/// Thresholds for [`crate::performance_chasing`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChasingConfig {
    /// A buy after the price rose at least this much over
    /// [`ChasingConfig::run_up_trading_days`] is performance chasing.
    /// Default 0.25 *(ours)*.
    pub run_up: f64,
    /// The run-up window in trading days. Default 60 (about three months) *(ours)*.
    pub run_up_trading_days: u32,
    /// A buy on (or the day after) a one-day move whose size is in the top
    /// decile of the symbol's recent moves is attention buying (Barber &
    /// Odean 2008 sort by extreme one-day returns). Default 0.90.
    pub attention_quantile: f64,
    /// ...and the move must be at least this large. Default 0.03 *(ours)*.
    pub attention_min_move: f64,
    /// Trading days of history the quantile is taken over. Default 250 (a year).
    pub attention_history_trading_days: u32,
    /// The quantile needs at least this many daily moves. Default 60 *(ours)*.
    pub attention_min_history: u32,
    /// With volume data, a buy on a day whose volume is at least this multiple
    /// of the previous days' average is attention buying. Default 2.0 *(ours)*.
    pub volume_ratio: f64,
    /// Trading days the average volume is taken over. Default 20 *(ours)*.
    pub volume_trading_days: u32,
    /// Only buys in this many calendar days up to the analysis date are
    /// checked. Default 90 *(ours)*.
    pub lookback_days: u32,
}

impl Default for ChasingConfig {
    fn default() -> Self {
        Self {
            run_up: 0.25,
            run_up_trading_days: 60,
            attention_quantile: 0.90,
            attention_min_move: 0.03,
            attention_history_trading_days: 250,
            attention_min_history: 60,
            volume_ratio: 2.0,
            volume_trading_days: 20,
            lookback_days: 90,
        }
    }
}

impl ChasingConfig {
    /// Checks the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first threshold out of range.
    pub fn validate(&self) -> Result<()> {
        check(
            "chasing.run_up",
            self.run_up,
            self.run_up > 0.0,
            "a rise greater than 0",
        )?;
        days("chasing.run_up_trading_days", self.run_up_trading_days)?;
        check(
            "chasing.attention_quantile",
            self.attention_quantile,
            self.attention_quantile > 0.0 && self.attention_quantile < 1.0,
            "a quantile in (0, 1)",
        )?;
        check(
            "chasing.attention_min_move",
            self.attention_min_move,
            (0.0..1.0).contains(&self.attention_min_move),
            "a move in [0, 1)",
        )?;
        days(
            "chasing.attention_history_trading_days",
            self.attention_history_trading_days,
        )?;
        days("chasing.attention_min_history", self.attention_min_history)?;
        check(
            "chasing.attention_min_history",
            f64::from(self.attention_min_history),
            self.attention_min_history <= self.attention_history_trading_days,
            "at most chasing.attention_history_trading_days",
        )?;
        check(
            "chasing.volume_ratio",
            self.volume_ratio,
            self.volume_ratio > 1.0,
            "a multiple greater than 1",
        )?;
        days("chasing.volume_trading_days", self.volume_trading_days)?;
        days("chasing.lookback_days", self.lookback_days)
    }
}

/// The approximate share of the United States in world equity market value,
/// as broad all-country indices weight it (MSCI ACWI, FTSE All-World) in the
/// mid-2020s: about 60% (it has moved between roughly 40% and 65% over the
/// decades, so tune it as markets move).
pub const US_WORLD_WEIGHT: f64 = 0.60;

/// Settings for [`crate::home_bias`].
///
/// Home bias is `HB = 1 − f_p / f_w`, with `f_p` the foreign share of the
/// portfolio's equities and `f_w = 1 − home_world_weight` the foreign share of
/// the world market (French & Poterba 1991; 0 is neutral, 1 all domestic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HomeBiasConfig {
    /// HB above this is flagged. Default 0.5 *(ours)*.
    pub max_home_bias: f64,
    /// The investor's country, ISO 3166 alpha-2. Default `"US"`.
    pub home_country: String,
    /// The home market's share of world equity value. Default
    /// [`US_WORLD_WEIGHT`] (0.60).
    pub home_world_weight: f64,
    /// Foreign share of funds that are listed at home but hold foreign
    /// shares (instrument countries are listing countries, so these would
    /// otherwise count as domestic). The default, for a US investor, covers
    /// the shipped ETFs: VXUS, VEA, VWO, EFA and EEM hold only non-US shares
    /// (1.0); VT follows the world index (1 − [`US_WORLD_WEIGHT`]).
    pub fund_foreign_shares: BTreeMap<Symbol, f64>,
    /// The check runs only when at least this share of the holdings' value is
    /// classified. Default 0.8 *(ours)*.
    pub min_coverage: f64,
}

impl Default for HomeBiasConfig {
    fn default() -> Self {
        let mut shares = BTreeMap::new();
        for (symbol, share) in [
            ("VXUS", 1.0),
            ("VEA", 1.0),
            ("VWO", 1.0),
            ("EFA", 1.0),
            ("EEM", 1.0),
            ("VT", 1.0 - US_WORLD_WEIGHT),
        ] {
            if let Ok(s) = Symbol::new(symbol) {
                shares.insert(s, share);
            }
        }
        Self {
            max_home_bias: 0.5,
            home_country: "US".to_owned(),
            home_world_weight: US_WORLD_WEIGHT,
            fund_foreign_shares: shares,
            min_coverage: 0.8,
        }
    }
}

impl HomeBiasConfig {
    /// Settings for an investor in `country` (ISO 3166 alpha-2) whose market
    /// is `world_weight` of world equity value, with no fund overrides.
    pub fn for_country(country: &str, world_weight: f64) -> Self {
        Self {
            home_country: country.to_ascii_uppercase(),
            home_world_weight: world_weight,
            fund_foreign_shares: BTreeMap::new(),
            ..Self::default()
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first setting out of range;
    /// [`Error::InvalidSetting`] when the country is not two letters.
    pub fn validate(&self) -> Result<()> {
        fraction("home_bias.max_home_bias", self.max_home_bias)?;
        check(
            "home_bias.home_world_weight",
            self.home_world_weight,
            self.home_world_weight > 0.0 && self.home_world_weight < 1.0,
            "a share in (0, 1)",
        )?;
        for share in self.fund_foreign_shares.values() {
            check(
                "home_bias.fund_foreign_shares",
                *share,
                (0.0..=1.0).contains(share),
                "a share in [0, 1]",
            )?;
        }
        fraction("home_bias.min_coverage", self.min_coverage)?;
        let c = &self.home_country;
        if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(())
        } else {
            Err(Error::InvalidSetting {
                name: "home_bias.home_country",
                reason: format!("expected an upper-case ISO 3166 alpha-2 code, got {c:?}"),
            })
        }
    }
}

/// Thresholds for [`crate::cash_drag`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CashConfig {
    /// Cash above the target cash share plus this margin is flagged. Default
    /// 0.10 *(ours)*.
    pub margin: f64,
    /// An excess over the limit of at least this share raises the severity to
    /// warning. Default 0.25 *(ours)*.
    pub warning_excess: f64,
    /// Assumed annual return of invested money, for the cost estimate.
    /// Default 0.05 *(ours)*.
    pub expected_return: f64,
    /// Assumed annual return of idle cash. Default 0.0 *(ours)*.
    pub cash_return: f64,
}

impl Default for CashConfig {
    fn default() -> Self {
        Self {
            margin: 0.10,
            warning_excess: 0.25,
            expected_return: 0.05,
            cash_return: 0.0,
        }
    }
}

impl CashConfig {
    /// Checks the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first threshold out of range.
    pub fn validate(&self) -> Result<()> {
        check(
            "cash.margin",
            self.margin,
            (0.0..1.0).contains(&self.margin),
            "a share in [0, 1)",
        )?;
        fraction("cash.warning_excess", self.warning_excess)?;
        annual_return("cash.expected_return", self.expected_return)?;
        annual_return("cash.cash_return", self.cash_return)
    }
}

/// Bands for [`crate::allocation_drift`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftConfig {
    /// A bucket further than this from its target (in share points) is
    /// flagged. Default 0.05 (a five-point band, a common rebalancing rule
    /// of thumb) *(ours)*.
    pub band: f64,
    /// From this distance the severity is critical. Default 0.15 *(ours)*.
    pub critical_band: f64,
    /// The check runs only when at least this share of the value is
    /// classified. Default 0.8 *(ours)*.
    pub min_coverage: f64,
}

impl Default for DriftConfig {
    fn default() -> Self {
        Self {
            band: 0.05,
            critical_band: 0.15,
            min_coverage: 0.8,
        }
    }
}

impl DriftConfig {
    /// Checks the bands.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] naming the first band out of range.
    pub fn validate(&self) -> Result<()> {
        fraction("drift.band", self.band)?;
        fraction("drift.critical_band", self.critical_band)?;
        check(
            "drift.critical_band",
            self.critical_band,
            self.critical_band >= self.band,
            "at least drift.band",
        )?;
        fraction("drift.min_coverage", self.min_coverage)
    }
}

/// Threshold for [`crate::drawdown_checkin`] and the held-through-a-drawdown badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrawdownConfig {
    /// A fall of at least this much (time-weighted, so deposits and
    /// withdrawals do not count) is flagged. Default 0.10 *(ours)*.
    pub min_fall: f64,
}

impl Default for DrawdownConfig {
    fn default() -> Self {
        Self { min_fall: 0.10 }
    }
}

impl DrawdownConfig {
    /// Checks the threshold.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] when it is not in `(0, 1)`.
    pub fn validate(&self) -> Result<()> {
        check(
            "drawdown.min_fall",
            self.min_fall,
            self.min_fall > 0.0 && self.min_fall < 1.0,
            "a fraction in (0, 1)",
        )
    }
}

/// Assumptions for goal projections ([`crate::Goal::progress`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GoalsConfig {
    /// Annual return assumed for goals that do not give their own. Default
    /// 0.05 *(ours)*: a cautious figure for a mixed portfolio, not a forecast.
    pub expected_return: f64,
}

impl Default for GoalsConfig {
    fn default() -> Self {
        Self {
            expected_return: 0.05,
        }
    }
}

impl GoalsConfig {
    /// Checks the assumption.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] when it is not in `(-1, 1]`.
    pub fn validate(&self) -> Result<()> {
        annual_return("goals.expected_return", self.expected_return)
    }
}

/// Limits for [`crate::throttle`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// A nudge of the same kind and subject is not shown again within this
    /// many days. Default 7 *(ours)*; 0 turns the cool-down off.
    pub cooldown_days: u32,
    /// At most this many nudges a day, most severe first. Default 3 *(ours)*.
    pub max_per_day: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            cooldown_days: 7,
            max_per_day: 3,
        }
    }
}

impl ThrottleConfig {
    /// Checks the limits.
    ///
    /// # Errors
    /// [`Error::InvalidThreshold`] when `max_per_day` is 0.
    pub fn validate(&self) -> Result<()> {
        check(
            "throttle.max_per_day",
            f64::from(self.max_per_day),
            self.max_per_day >= 1,
            "at least 1 nudge a day",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let c = Config::default();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        let back: Config = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let partial: Config = serde_json::from_str(r#"{"panic": {"min_fall": 0.2}}"#).unwrap();
        assert!((partial.panic.min_fall - 0.2).abs() < 1e-12);
        assert_eq!(
            partial.panic.lookback_days,
            PanicConfig::default().lookback_days
        );
    }
}

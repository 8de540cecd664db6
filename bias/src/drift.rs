//! Drift from the target allocation, and the target itself: a risk
//! profile's stock/bond/cash split, or per-symbol weights (for example from
//! an optimiser).

use std::collections::{BTreeMap, BTreeSet};

use auravest_core::{AssetClass, Classification, InstrumentTable, Symbol, Valuation};
use auravest_risk::{ModelAllocation, RiskProfile};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::classify::list;
use crate::config::DriftConfig;
use crate::market::f;
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};
use crate::{Error, Result};

/// Shares of the portfolio by broad bucket. Asset classes map to buckets as
/// equity → `stocks`, bond → `bonds`, cash (and money-market funds) →
/// `cash`, commodity, crypto and multi-asset funds → `other`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ClassWeights {
    /// Equities and equity funds.
    pub stocks: f64,
    /// Bonds and bond funds.
    pub bonds: f64,
    /// Cash and money-market funds.
    pub cash: f64,
    /// Commodities, crypto and multi-asset funds.
    pub other: f64,
}

impl ClassWeights {
    /// The buckets with their names, in a fixed order.
    pub fn buckets(&self) -> [(&'static str, f64); 4] {
        [
            ("stocks", self.stocks),
            ("bonds", self.bonds),
            ("cash", self.cash),
            ("other", self.other),
        ]
    }

    fn add(&mut self, class: AssetClass, w: f64) {
        match class {
            AssetClass::Equity => self.stocks += w,
            AssetClass::Bond => self.bonds += w,
            AssetClass::Cash => self.cash += w,
            AssetClass::Commodity | AssetClass::Crypto | AssetClass::Fund => self.other += w,
        }
    }
}

/// The mix the portfolio should hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetAllocation {
    /// Shares by bucket, summing to 1.
    Classes(ClassWeights),
    /// Shares by symbol, summing to at most 1; the rest is cash.
    Symbols(BTreeMap<Symbol, f64>),
}

const SUM_TOLERANCE: f64 = 1e-6;

impl TargetAllocation {
    /// A risk profile's model allocation (stocks, bonds, cash; no other).
    pub fn from_model(model: ModelAllocation) -> Self {
        Self::Classes(ClassWeights {
            stocks: model.stocks,
            bonds: model.bonds,
            cash: model.cash,
            other: 0.0,
        })
    }

    /// Shares by bucket.
    ///
    /// # Errors
    /// [`Error::InvalidTarget`] when a share is outside `[0, 1]` or they do
    /// not sum to 1 (within 1e-6).
    pub fn classes(weights: ClassWeights) -> Result<Self> {
        let mut sum = 0.0;
        for (name, w) in weights.buckets() {
            if !(0.0..=1.0).contains(&w) {
                return Err(Error::InvalidTarget {
                    reason: format!("{name} share {w} is not in [0, 1]"),
                });
            }
            sum += w;
        }
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            return Err(Error::InvalidTarget {
                reason: format!("bucket shares sum to {sum}, not 1"),
            });
        }
        Ok(Self::Classes(weights))
    }

    /// Shares by symbol; whatever they leave is the cash target.
    ///
    /// # Errors
    /// [`Error::InvalidTarget`] when a share is outside `[0, 1]` or they sum
    /// to more than 1 (beyond 1e-6).
    pub fn by_symbol(weights: BTreeMap<Symbol, f64>) -> Result<Self> {
        check_symbol_shares(&weights)?;
        Ok(Self::Symbols(weights))
    }

    /// The share meant to stay in cash.
    pub fn cash_share(&self) -> f64 {
        match self {
            Self::Classes(c) => c.cash,
            Self::Symbols(s) => (1.0 - s.values().sum::<f64>()).max(0.0),
        }
    }
}

impl From<&RiskProfile> for TargetAllocation {
    fn from(profile: &RiskProfile) -> Self {
        Self::from_model(profile.allocation)
    }
}

/// The portfolio's bucket shares over its classified value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CurrentMix {
    /// Shares of the classified value (sum to 1 when anything is classified).
    pub(crate) weights: ClassWeights,
    /// Unclassified holdings.
    pub(crate) unclassified: Vec<String>,
    /// Their share of the total value.
    pub(crate) unclassified_weight: f64,
}

/// Bucket shares of `valuation`; cash is always classified.
pub(crate) fn current_mix(valuation: &Valuation, instruments: &InstrumentTable) -> CurrentMix {
    let total = f(valuation.value);
    let mut weights = ClassWeights::default();
    let mut unclassified = Vec::new();
    let mut unclassified_weight = 0.0;
    if total > 0.0 {
        weights.cash += f(valuation.cash) / total;
    }
    for p in &valuation.positions {
        match instruments.classify(&p.symbol) {
            Classification::Known(i) => weights.add(i.asset_class, p.weight),
            Classification::Unclassified => {
                unclassified.push(p.symbol.to_string());
                unclassified_weight += p.weight;
            }
        }
    }
    let covered = weights.buckets().iter().map(|(_, w)| w).sum::<f64>();
    if covered > 0.0 {
        weights = ClassWeights {
            stocks: weights.stocks / covered,
            bonds: weights.bonds / covered,
            cash: weights.cash / covered,
            other: weights.other / covered,
        };
    }
    CurrentMix {
        weights,
        unclassified,
        unclassified_weight,
    }
}

/// Flags a portfolio whose mix is further than `band` (5 points) from
/// `target` in any bucket (for [`TargetAllocation::Classes`]) or any symbol
/// or cash (for [`TargetAllocation::Symbols`]); critical from
/// `critical_band` (15 points). One nudge, subject `null`.
///
/// By bucket, shares are taken over the classified value: when unclassified
/// holdings exceed `1 − min_coverage` of the total, the check does not run
/// and an info nudge (subject `"unclassified"`) says so.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] for a bad `config`.
pub fn allocation_drift(
    valuation: &Valuation,
    instruments: &InstrumentTable,
    target: &TargetAllocation,
    config: &DriftConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    if valuation.value <= auravest_core::Decimal::ZERO {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, f64, f64)> = match target {
        TargetAllocation::Classes(t) => {
            let mix = current_mix(valuation, instruments);
            let coverage = 1.0 - mix.unclassified_weight;
            if coverage < config.min_coverage {
                return Ok(vec![unclassified_nudge(&mix, coverage, config)]);
            }
            t.buckets()
                .iter()
                .zip(mix.weights.buckets())
                .map(|((name, target), (_, now))| ((*name).to_owned(), now, *target))
                .collect()
        }
        TargetAllocation::Symbols(t) => {
            let held: BTreeMap<&Symbol, f64> = valuation
                .positions
                .iter()
                .map(|p| (&p.symbol, p.weight))
                .collect();
            let symbols: BTreeSet<&Symbol> = held.keys().copied().chain(t.keys()).collect();
            let mut rows: Vec<(String, f64, f64)> = symbols
                .into_iter()
                .map(|s| {
                    (
                        s.to_string(),
                        held.get(s).copied().unwrap_or(0.0),
                        t.get(s).copied().unwrap_or(0.0),
                    )
                })
                .collect();
            rows.push((
                "cash".to_owned(),
                f(valuation.cash) / f(valuation.value),
                target.cash_share(),
            ));
            rows
        }
    };
    let worst = rows
        .iter()
        .max_by(|a, b| (a.1 - a.2).abs().total_cmp(&(b.1 - b.2).abs()));
    let Some((name, now, goal)) = worst else {
        return Ok(Vec::new());
    };
    let gap = now - goal;
    if gap.abs() <= config.band {
        return Ok(Vec::new());
    }
    let severity = if gap.abs() >= config.critical_band {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let over: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 - r.2 > config.band)
        .map(|r| r.0.as_str())
        .collect();
    let under: Vec<&str> = rows
        .iter()
        .filter(|r| r.2 - r.1 > config.band)
        .map(|r| r.0.as_str())
        .collect();
    let direction = if gap > 0.0 { "above" } else { "below" };
    let action = match (over.is_empty(), under.is_empty()) {
        (false, false) => format!(
            "Rebalance: move money from {} to {}, or direct new contributions to {} until \
             each is back within {} points of its target.",
            list(&over),
            list(&under),
            list(&under),
            pct(config.band).trim_end_matches('%')
        ),
        _ => format!(
            "Rebalance {name} back toward {}: trade or redirect new contributions until it is \
             within {} points of its target.",
            pct(*goal),
            pct(config.band).trim_end_matches('%')
        ),
    };
    let mut evidence = serde_json::Map::new();
    for (n, now, goal) in &rows {
        evidence.insert(
            n.clone(),
            json!({"current": r6(*now), "target": r6(*goal), "drift": r6(now - goal)}),
        );
    }
    Ok(vec![Nudge::new(
        NudgeKind::AllocationDrift,
        severity,
        None,
        format!(
            "Your {name} share is {} against a target of {}",
            pct(*now),
            pct(*goal)
        ),
        format!(
            "{name} now makes up {} of your portfolio, {} points {direction} the {} your plan \
             sets. Markets move a mix away from its plan on their own: after stocks rally you \
             carry more risk than you chose, after a fall less. Rebalancing, selling a little of \
             what grew and buying what lagged, brings the risk back to the level that fits your \
             profile; a band of {} points keeps you from trading on every small move.",
            pct(*now),
            pct(gap.abs()).trim_end_matches('%'),
            pct(*goal),
            pct(config.band).trim_end_matches('%')
        ),
        action,
        json!({
            "weights": evidence,
            "largest_drift": {"name": name, "drift": r6(gap)},
            "band": config.band,
            "critical_band": config.critical_band,
        }),
    )])
}

fn unclassified_nudge(mix: &CurrentMix, coverage: f64, config: &DriftConfig) -> Nudge {
    let names: Vec<&str> = mix.unclassified.iter().map(String::as_str).collect();
    Nudge::new(
        NudgeKind::AllocationDrift,
        Severity::Info,
        Some("unclassified".to_owned()),
        "Your allocation could not be checked against your target",
        format!(
            "We do not know the asset class of {} ({} of the portfolio), so we cannot tell \
             how far your stock, bond and cash shares are from your target. We never guess a \
             holding's asset class.",
            list(&names),
            pct(mix.unclassified_weight)
        ),
        "Add the missing symbols, with their asset class, to an instruments file.",
        json!({
            "unclassified": names,
            "unclassified_weight": r6(mix.unclassified_weight),
            "coverage": r6(coverage),
            "min_coverage": config.min_coverage,
        }),
    )
}
/// Shares by symbol are each in `[0, 1]` and sum to at most 1 (beyond 1e-6).
pub(crate) fn check_symbol_shares(weights: &BTreeMap<Symbol, f64>) -> Result<()> {
    let mut sum = 0.0;
    for (symbol, w) in weights {
        if !(0.0..=1.0).contains(w) {
            return Err(Error::InvalidTarget {
                reason: format!("{symbol} share {w} is not in [0, 1]"),
            });
        }
        sum += w;
    }
    if sum > 1.0 + SUM_TOLERANCE {
        return Err(Error::InvalidTarget {
            reason: format!("symbol shares sum to {sum}, more than 1"),
        });
    }
    Ok(())
}

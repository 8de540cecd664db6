//! Over-concentration: single holdings, the 5/10/40 rule, the effective
//! number of holdings, sectors and alternatives.

use std::collections::BTreeMap;

use auravest_core::{AssetClass, InstrumentTable, Symbol, Valuation};
use serde_json::json;

use crate::Result;
use crate::classify::{Held, held, holding, list};
use crate::config::ConcentrationConfig;
use crate::drift::check_symbol_shares;
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};

/// Checks how concentrated the portfolio is.
///
/// Weights are shares of the total value, cash included; diversified funds
/// (see [`ConcentrationConfig`]) are exempt from the single-holding, 5/10/40
/// and Herfindahl checks. Each finding is its own nudge:
///
/// | subject | fires when | severity |
/// |---|---|---|
/// | the symbol | a holding's weight > `single_holding` (10%) | warning; critical, worded "single point of failure", from `single_point_of_failure` (50%) |
/// | `"5/10/40"` | holdings above `large_holding` (5%) add up to more than `large_holdings_total` (40%) | warning |
/// | `"effective_holdings"` | `1 / Σ wᵢ²` < `min_effective_holdings` (10) | info; warning below half of it |
/// | `"sector:<name>"` | a sector's weight > `sector` (30%) | warning |
/// | `"alternatives"` | commodities and crypto together > `alternatives` (10%) | warning |
/// | `"unclassified"` | some holdings are not in `instruments`, or are equities without a sector, so the sector and alternatives checks could not see them | info |
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] when `config` is out of range.
pub fn concentration(
    valuation: &Valuation,
    instruments: &InstrumentTable,
    config: &ConcentrationConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    Ok(findings(&held(valuation, instruments, config), config))
}

/// Checks a proposed mix (an optimiser's weights, a what-if sketch) with the
/// same limits and wording as [`concentration()`], so a tool that proposes a
/// mix can show what the investor's nudges would say about it. Weights are
/// shares of the whole mix; what they leave is cash. Zero weights are not
/// holdings.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] when `config` is out of range;
/// [`crate::Error::InvalidTarget`] when a symbol appears twice, a weight is
/// outside `[0, 1]` or they sum to more than 1 (beyond 1e-6).
pub fn mix_concentration(
    weights: &[(Symbol, f64)],
    instruments: &InstrumentTable,
    config: &ConcentrationConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    let mut mix = BTreeMap::new();
    for (symbol, w) in weights {
        if mix.insert(symbol.clone(), *w).is_some() {
            return Err(crate::Error::InvalidTarget {
                reason: format!("{symbol} appears more than once"),
            });
        }
    }
    check_symbol_shares(&mix)?;
    let shipped = InstrumentTable::shipped();
    let holdings: Vec<Held<'_>> = weights
        .iter()
        .filter(|(_, w)| *w > 0.0)
        .map(|(s, w)| holding(s, *w, instruments, &shipped, config))
        .collect();
    Ok(findings(&holdings, config))
}

/// Every concentration finding about `holdings`, in the order
/// [`concentration()`] lists them.
fn findings(holdings: &[Held<'_>], config: &ConcentrationConfig) -> Vec<Nudge> {
    let mut out = Vec::new();
    let mut single: Vec<&Held<'_>> = holdings
        .iter()
        .filter(|h| !h.fund && h.weight > config.single_holding)
        .collect();
    single.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    for h in single {
        out.push(single_holding(h, config));
    }
    if let Some(n) = large_holdings(holdings, config) {
        out.push(n);
    }
    if let Some(n) = effective_holdings(holdings, config) {
        out.push(n);
    }
    out.extend(sectors(holdings, config));
    if let Some(n) = alternatives(holdings, config) {
        out.push(n);
    }
    if let Some(n) = unclassified(holdings) {
        out.push(n);
    }
    out
}

fn single_holding(h: &Held<'_>, config: &ConcentrationConfig) -> Nudge {
    let s = h.symbol.as_str();
    let w = pct(h.weight);
    let spof = h.weight >= config.single_point_of_failure;
    let (severity, title) = if spof {
        (
            Severity::Critical,
            format!("Single point of failure: {s} is {w} of your portfolio"),
        )
    } else {
        (Severity::Warning, format!("{s} is {w} of your portfolio"))
    };
    let lead = if spof {
        format!(
            "With {w} in {s}, one company's bad news could sink most of your savings at once: \
             it has become a single point of failure."
        )
    } else {
        format!(
            "{s} makes up {w} of your portfolio, above the {} many diversified funds allow \
             for any one issuer.",
            pct(config.single_holding)
        )
    };
    Nudge::new(
        NudgeKind::Concentration,
        severity,
        Some(s.to_owned()),
        title,
        format!(
            "{lead} A single company can fall far and fast for reasons of its own (a lawsuit, \
             a failed product, fraud) that the rest of the market never feels. Spreading money \
             across many holdings removes that company-specific risk without giving up the \
             market's expected return; that is why diversification is called the only free \
             lunch in investing."
        ),
        format!(
            "Consider bringing {s} toward {} of the portfolio, for example by directing new \
             money elsewhere or trimming gradually (mind taxes and fees when selling).",
            pct(config.single_holding)
        ),
        json!({
            "symbol": s,
            "weight": r6(h.weight),
            "limit": config.single_holding,
            "single_point_of_failure": config.single_point_of_failure,
        }),
    )
}

fn large_holdings(holdings: &[Held<'_>], config: &ConcentrationConfig) -> Option<Nudge> {
    let mut large: Vec<&Held<'_>> = holdings
        .iter()
        .filter(|h| !h.fund && h.weight > config.large_holding)
        .collect();
    large.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let total: f64 = large.iter().map(|h| h.weight).sum();
    if total <= config.large_holdings_total {
        return None;
    }
    let names: Vec<&str> = large.iter().map(|h| h.symbol.as_str()).collect();
    Some(Nudge::new(
        NudgeKind::Concentration,
        Severity::Warning,
        Some("5/10/40".to_owned()),
        format!(
            "Your holdings above {} add up to {}",
            pct(config.large_holding),
            pct(total)
        ),
        format!(
            "{} each weigh more than {} and together make up {} of your portfolio. European \
             rules for diversified funds (UCITS) use a 5/10/40 test: no issuer above 10%, and \
             the issuers above 5% together at most 40%. Above that, a few names drive most of \
             your results, so a bad year for them is a bad year for you.",
            list(&names),
            pct(config.large_holding),
            pct(total)
        ),
        format!(
            "Consider adding a broad index fund or spreading new money across more holdings \
             until the large positions sum to {} or less.",
            pct(config.large_holdings_total)
        ),
        json!({
            "holdings": large.iter().map(|h| json!({"symbol": h.symbol, "weight": r6(h.weight)})).collect::<Vec<_>>(),
            "total": r6(total),
            "large_holding": config.large_holding,
            "limit": config.large_holdings_total,
        }),
    ))
}

fn effective_holdings(holdings: &[Held<'_>], config: &ConcentrationConfig) -> Option<Nudge> {
    let single: Vec<&Held<'_>> = holdings
        .iter()
        .filter(|h| !h.fund && h.weight > 0.0)
        .collect();
    let hhi: f64 = single.iter().map(|h| h.weight * h.weight).sum();
    if single.is_empty() || hhi <= 0.0 {
        return None;
    }
    let n = 1.0 / hhi;
    if n >= config.min_effective_holdings {
        return None;
    }
    let severity = if n < config.min_effective_holdings / 2.0 {
        Severity::Warning
    } else {
        Severity::Info
    };
    Some(Nudge::new(
        NudgeKind::Concentration,
        severity,
        Some("effective_holdings".to_owned()),
        format!("Your portfolio behaves like {n:.1} equal holdings"),
        format!(
            "The Herfindahl index adds up the squared weights of your individual holdings \
             ({hhi:.3}); one over it, {n:.1}, is the number of equal-sized holdings that would be \
             as concentrated. Below {:.0}, a single company's surprise still moves your whole \
             portfolio noticeably. Broad funds count as already diversified here and add nothing \
             to the index.",
            config.min_effective_holdings
        ),
        "Consider holding more, smaller positions, or a low-cost index fund that spreads money \
         over hundreds of companies.",
        json!({
            "hhi": r6(hhi),
            "effective_holdings": r6(n),
            "individual_holdings": single.len(),
            "min_effective_holdings": config.min_effective_holdings,
        }),
    ))
}

/// An individual equity whose sector the table does not give (only
/// equities have sectors; funds are exempt).
fn lacks_sector(h: &Held<'_>) -> bool {
    !h.fund
        && h.instrument
            .is_some_and(|i| i.asset_class == AssetClass::Equity && i.sector.is_none())
}

fn sectors(holdings: &[Held<'_>], config: &ConcentrationConfig) -> Vec<Nudge> {
    let mut by_sector: BTreeMap<&str, Vec<&Held<'_>>> = BTreeMap::new();
    for h in holdings.iter().filter(|h| !h.fund) {
        if let Some(sector) = h.instrument.and_then(|i| i.sector.as_deref()) {
            by_sector.entry(sector).or_default().push(h);
        }
    }
    let unknown: Vec<&str> = holdings
        .iter()
        .filter(|h| lacks_sector(h) || (!h.fund && h.instrument.is_none()))
        .map(|h| h.symbol.as_str())
        .collect();
    let mut out = Vec::new();
    for (sector, members) in by_sector {
        let weight: f64 = members.iter().map(|h| h.weight).sum();
        if weight <= config.sector {
            continue;
        }
        let names: Vec<&str> = members.iter().map(|h| h.symbol.as_str()).collect();
        let caveat = if unknown.is_empty() {
            String::new()
        } else {
            format!(
                " ({} could not be checked: their sector is unknown.)",
                list(&unknown)
            )
        };
        out.push(Nudge::new(
            NudgeKind::Concentration,
            Severity::Warning,
            Some(format!("sector:{sector}")),
            format!("{} of your portfolio is in {sector}", pct(weight)),
            format!(
                "{} are all {sector} companies and together weigh {}. Companies in one sector \
                 tend to rise and fall together, because the same news (regulation, interest \
                 rates, a technology shift) hits them all; owning several of them is less \
                 diversified than it looks.{caveat}",
                list(&names),
                pct(weight)
            ),
            format!(
                "Consider adding holdings from other sectors, or a broad market fund, to bring \
                 {sector} toward {}.",
                pct(config.sector)
            ),
            json!({
                "sector": sector,
                "weight": r6(weight),
                "holdings": members.iter().map(|h| json!({"symbol": h.symbol, "weight": r6(h.weight)})).collect::<Vec<_>>(),
                "limit": config.sector,
                "unclassified": unknown,
            }),
        ));
    }
    out
}

fn alternatives(holdings: &[Held<'_>], config: &ConcentrationConfig) -> Option<Nudge> {
    let alts: Vec<&Held<'_>> = holdings
        .iter()
        .filter(|h| {
            h.instrument.is_some_and(|i| {
                matches!(i.asset_class, AssetClass::Commodity | AssetClass::Crypto)
            })
        })
        .collect();
    let weight: f64 = alts.iter().map(|h| h.weight).sum();
    if weight <= config.alternatives {
        return None;
    }
    let names: Vec<&str> = alts.iter().map(|h| h.symbol.as_str()).collect();
    Some(Nudge::new(
        NudgeKind::Concentration,
        Severity::Warning,
        Some("alternatives".to_owned()),
        format!(
            "{} of your portfolio is in commodities or crypto",
            pct(weight)
        ),
        format!(
            "{} weigh {} together. Commodities and crypto-assets pay no dividends or interest, \
             so their return depends entirely on someone paying more later, and their prices \
             can swing wildly. Many investors keep them, if at all, as a small satellite around \
             a diversified core.",
            list(&names),
            pct(weight)
        ),
        format!(
            "Consider keeping commodities and crypto together below {} of the portfolio.",
            pct(config.alternatives)
        ),
        json!({
            "holdings": alts.iter().map(|h| json!({"symbol": h.symbol, "weight": r6(h.weight)})).collect::<Vec<_>>(),
            "weight": r6(weight),
            "limit": config.alternatives,
        }),
    ))
}

fn unclassified(holdings: &[Held<'_>]) -> Option<Nudge> {
    let missing: Vec<&Held<'_>> = holdings.iter().filter(|h| h.instrument.is_none()).collect();
    let no_sector: Vec<&Held<'_>> = holdings.iter().filter(|h| lacks_sector(h)).collect();
    if missing.is_empty() && no_sector.is_empty() {
        return None;
    }
    fn names<'a>(v: &[&Held<'a>]) -> Vec<&'a str> {
        v.iter().map(|h| h.symbol.as_str()).collect()
    }
    let weight = |v: &[&Held<'_>]| v.iter().map(|h| h.weight).sum::<f64>();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "{} ({} of the portfolio) are not in the instrument table, so their sector and \
             asset class are unknown",
            list(&names(&missing)),
            pct(weight(&missing))
        ));
    }
    if !no_sector.is_empty() {
        parts.push(format!(
            "{} are equities with no sector on record",
            list(&names(&no_sector))
        ));
    }
    Some(Nudge::new(
        NudgeKind::Concentration,
        Severity::Info,
        Some("unclassified".to_owned()),
        "Some holdings could not be checked for sector concentration",
        format!(
            "{}. Sector and asset-class concentration are only measured over holdings we can \
             classify; we never guess, so a concentration there would go unnoticed.",
            parts.join("; ")
        ),
        "Add the missing symbols, with their asset class and sector, to an instruments file.",
        json!({
            "unclassified": names(&missing),
            "unclassified_weight": r6(weight(&missing)),
            "no_sector": names(&no_sector),
            "no_sector_weight": r6(weight(&no_sector)),
        }),
    ))
}

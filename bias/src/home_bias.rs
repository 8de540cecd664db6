//! Home bias: far more domestic equity than the world market holds
//! (French & Poterba 1991, "Investor Diversification and International
//! Equity Markets").

use auravest_core::{AssetClass, Classification, InstrumentTable, Symbol, Valuation};
use serde_json::json;

use crate::Result;
use crate::classify::list;
use crate::config::HomeBiasConfig;
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};

/// What the home-bias rule knows about one holding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EquityShare {
    /// Not an equity (bonds, cash, commodities...): outside the measure.
    NotEquity,
    /// An equity (or equity fund) with this foreign share, in `[0, 1]`.
    Foreign(f64),
    /// Not in the instrument table, or an equity without a country.
    Unknown,
}

/// The foreign share of `symbol` under `config`: its entry in
/// `fund_foreign_shares`, else 0 for an equity listed in the home country
/// and 1 for one listed elsewhere. The recommendation in `auravest-optimize`
/// uses the same rule, so it never proposes a mix this detector flags.
pub fn equity_foreign_share(
    symbol: &Symbol,
    instruments: &InstrumentTable,
    config: &HomeBiasConfig,
) -> EquityShare {
    if let Some(share) = config.fund_foreign_shares.get(symbol) {
        return EquityShare::Foreign(*share);
    }
    match instruments.classify(symbol) {
        Classification::Known(i) if i.asset_class != AssetClass::Equity => EquityShare::NotEquity,
        Classification::Known(i) => match i.country.as_deref() {
            Some(c) if c.eq_ignore_ascii_case(&config.home_country) => EquityShare::Foreign(0.0),
            Some(_) => EquityShare::Foreign(1.0),
            None => EquityShare::Unknown,
        },
        Classification::Unclassified => EquityShare::Unknown,
    }
}

/// The lowest foreign share of the equities that keeps home bias at or
/// below `config.max_home_bias`: `(1 − max_home_bias) · (1 − home_world_weight)`.
pub fn min_foreign_share(config: &HomeBiasConfig) -> f64 {
    (1.0 - config.max_home_bias) * (1.0 - config.home_world_weight)
}

/// Measures home bias over the equity holdings:
/// `HB = 1 − f_p / f_w`, with `f_p` the foreign share of the portfolio's
/// equities and `f_w = 1 − home_world_weight` the foreign share of the world
/// market (default: a US investor, US = 60% of world equity value; see
/// [`crate::config::US_WORLD_WEIGHT`]).
///
/// An equity's foreign share is its entry in `fund_foreign_shares`, else 0
/// when its instrument country is `home_country` and 1 when it is another
/// country. Holdings not in `instruments`, and equities without a country,
/// are unclassified: when they exceed `1 − min_coverage` of the holdings'
/// value the check does not run and an info nudge (subject `"unclassified"`)
/// says so; otherwise they are left out and named in the evidence.
///
/// Flags `HB > max_home_bias` (0.5) with an info nudge (subject `null`): a
/// long-run diversification matter, never urgent.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] or [`crate::Error::InvalidSetting`] for a bad `config`.
pub fn home_bias(
    valuation: &Valuation,
    instruments: &InstrumentTable,
    config: &HomeBiasConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    let (mut equity, mut foreign, mut classified, mut all) = (0.0, 0.0, 0.0, 0.0);
    let mut unclassified = Vec::new();
    let mut unclassified_weight = 0.0;
    for p in &valuation.positions {
        all += p.weight;
        let share = match equity_foreign_share(&p.symbol, instruments, config) {
            EquityShare::NotEquity => {
                classified += p.weight;
                continue;
            }
            EquityShare::Foreign(share) => Some(share),
            EquityShare::Unknown => None,
        };
        match share {
            Some(share) => {
                classified += p.weight;
                equity += p.weight;
                foreign += p.weight * share;
            }
            None => {
                unclassified.push(p.symbol.as_str());
                unclassified_weight += p.weight;
            }
        }
    }
    if all <= 0.0 {
        return Ok(Vec::new());
    }
    let coverage = classified / all;
    if coverage < config.min_coverage {
        return Ok(vec![Nudge::new(
            NudgeKind::HomeBias,
            Severity::Info,
            Some("unclassified".to_owned()),
            "Home bias could not be checked",
            format!(
                "We do not know the asset class or country of {} ({} of the portfolio), so we \
                 cannot tell how much of your money is invested at home versus abroad. We \
                 never guess a holding's country.",
                list(&unclassified),
                pct(unclassified_weight)
            ),
            "Add the missing symbols, with their asset class and country, to an instruments \
             file.",
            json!({
                "unclassified": unclassified,
                "unclassified_weight": r6(unclassified_weight),
                "coverage": r6(coverage),
                "min_coverage": config.min_coverage,
            }),
        )]);
    }
    if equity <= 0.0 {
        return Ok(Vec::new());
    }
    let portfolio_foreign = foreign / equity;
    let world_foreign = 1.0 - config.home_world_weight;
    let hb = 1.0 - portfolio_foreign / world_foreign;
    if hb <= config.max_home_bias {
        return Ok(Vec::new());
    }
    let home = &config.home_country;
    let caveat = if unclassified.is_empty() {
        String::new()
    } else {
        format!(
            " ({} could not be classified and {} left out.)",
            list(&unclassified),
            if unclassified.len() == 1 { "is" } else { "are" }
        )
    };
    Ok(vec![Nudge::new(
        NudgeKind::HomeBias,
        Severity::Info,
        None,
        format!(
            "{} of your shares are in {home} companies",
            pct(1.0 - portfolio_foreign)
        ),
        format!(
            "Only {} of your equities are outside {home}, while about {} of the world's stock \
             market value is. That puts your home bias at {hb:.2} on a scale from 0 (holding \
             the world as it is) to 1 (holding nothing abroad). Investors everywhere favour \
             their home market because it feels familiar (French and Poterba found in 1991 \
             that US investors kept about 94% of their equities at home), but this ties your \
             savings to one economy and leaves the diversification of other markets unused.{caveat}",
            pct(portfolio_foreign),
            pct(world_foreign)
        ),
        "Consider adding a broad international or global fund so that your foreign share \
         moves closer to the world market's.",
        json!({
            "home_bias": r6(hb),
            "home_country": home,
            "portfolio_foreign_share": r6(portfolio_foreign),
            "world_foreign_share": r6(world_foreign),
            "equity_weight": r6(equity),
            "max_home_bias": config.max_home_bias,
            "unclassified": unclassified,
            "unclassified_weight": r6(unclassified_weight),
        }),
    )])
}

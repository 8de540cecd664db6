//! The advice guard: checks a suggestion made elsewhere (for example by the
//! AI assistant) against the investor's holdings and risk profile.

use std::fmt;

use auravest_core::{
    AssetClass, Classification, Decimal, InstrumentTable, PriceFrame, Symbol, Valuation,
};
use auravest_risk::RiskProfile;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::classify::is_fund;
use crate::config::Config;
use crate::market::{f, fall_completed, filled_closes};
use crate::nudge::{Evidence, Severity, into_evidence, pct, r6};
use crate::panic::benchmark_column;
use crate::{Error, Result};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Add to a holding, or open one.
    Buy,
    /// Reduce or close a holding.
    Sell,
}

/// A suggested trade, or just a ticker (without an amount).
///
/// JSON: `{"symbol": "AAPL", "side": "buy", "amount": "2000"}`; `amount` is
/// in the base currency and may be left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Money to trade, in the base currency; `None` checks the ticker as it
    /// stands (a sale without an amount sells the whole position).
    #[serde(default)]
    pub amount: Option<Decimal>,
}

/// What a conflict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The holding would be (or already is) above the single-holding limit.
    Concentration,
    /// Its sector would be (or already is) above the sector limit.
    Sector,
    /// The trade moves a bucket further outside the profile's band.
    Allocation,
    /// Commodities and crypto would exceed their limit.
    Alternatives,
    /// A sale right after a sharp fall.
    PanicSelling,
    /// The instrument is unclassified, so some checks could not run.
    Unclassified,
}

impl fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Concentration => "concentration",
            Self::Sector => "sector",
            Self::Allocation => "allocation",
            Self::Alternatives => "alternatives",
            Self::PanicSelling => "panic_selling",
            Self::Unclassified => "unclassified",
        })
    }
}

/// One annotation of a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// What it is about.
    pub kind: ConflictKind,
    /// How serious.
    pub severity: Severity,
    /// One sentence for the investor, such as "The suggestion adds AAPL, but
    /// you already hold 45% in Technology."
    pub message: String,
    /// The numbers behind it.
    pub evidence: Evidence,
}

fn conflict(
    kind: ConflictKind,
    severity: Severity,
    message: String,
    evidence: serde_json::Value,
) -> Conflict {
    Conflict {
        kind,
        severity,
        message,
        evidence: into_evidence(evidence),
    }
}

/// What the guard checks a suggestion against.
#[derive(Debug, Clone, Copy)]
pub struct GuardInput<'a> {
    /// The portfolio as it stands.
    pub valuation: &'a Valuation,
    /// Prices, for the falls a sale may follow.
    pub prices: &'a PriceFrame,
    /// Asset classes and sectors.
    pub instruments: &'a InstrumentTable,
    /// The risk profile, for the allocation check.
    pub risk_profile: Option<&'a RiskProfile>,
    /// A benchmark column of `prices`, for market falls.
    pub benchmark: Option<&'a str>,
}

fn bucket(class: AssetClass) -> &'static str {
    match class {
        AssetClass::Equity => "stocks",
        AssetClass::Bond => "bonds",
        AssetClass::Cash => "cash",
        AssetClass::Commodity | AssetClass::Crypto | AssetClass::Fund => "other",
    }
}

/// Annotates `suggestion` with its conflicts, most checks first to last:
///
/// - **concentration** (buys of a non-fund): the holding's weight after the
///   trade above `concentration.single_holding`; critical from
///   `single_point_of_failure`;
/// - **sector** (buys): the sector's weight after the trade above
///   `concentration.sector`;
/// - **alternatives** (buys of commodities or crypto): their weight after
///   the trade above `concentration.alternatives`;
/// - **allocation** (with a risk profile): a buy that leaves its bucket more
///   than `drift.band` above the profile's target, or a sale that leaves it
///   more than the band below;
/// - **panic selling** (sales): the symbol, or the benchmark, fell at least
///   `panic.min_fall` below its recent high (as in [`crate::panic_selling`])
///   within the last `panic.within_trading_days` trading days up to the
///   valuation date;
/// - **unclassified**: the instrument is not in the table, so the sector,
///   alternatives and allocation checks could not run (info).
///
/// A buy is paid from cash first and new money for the rest; a sale adds
/// its proceeds to cash (a sale above the position's value sells the
/// position). An empty list means no conflict was found.
///
/// # Errors
/// [`Error::InvalidAmount`] for an amount of zero or less;
/// [`Error::UnknownSymbol`] for a symbol that is not held, has no prices and
/// is not in `instruments`; [`Error::NotHeld`] for a sale of a symbol not
/// held; [`Error::UnknownBenchmark`]; [`Error::InvalidThreshold`] for a bad
/// `config`.
pub fn guard(
    suggestion: &Suggestion,
    input: &GuardInput<'_>,
    config: &Config,
) -> Result<Vec<Conflict>> {
    config.validate()?;
    let bench_col = benchmark_column(input.prices, input.benchmark)?;
    if let Some(a) = suggestion.amount.filter(|a| *a <= Decimal::ZERO) {
        return Err(Error::InvalidAmount { amount: a });
    }
    let sym = &suggestion.symbol;
    let s = sym.as_str();
    let v = input.valuation;
    let held = v.positions.iter().find(|p| &p.symbol == sym);
    let class = input.instruments.classify(sym);
    let instrument = match class {
        Classification::Known(i) => Some(i),
        Classification::Unclassified => None,
    };
    if held.is_none() && input.prices.column_index(s).is_none() && instrument.is_none() {
        return Err(Error::UnknownSymbol {
            symbol: sym.clone(),
        });
    }
    if suggestion.side == Side::Sell && held.is_none() {
        return Err(Error::NotHeld {
            symbol: sym.clone(),
        });
    }
    let total = f(v.value);
    let cash = f(v.cash);
    let position = held.map_or(0.0, |p| f(p.value));
    let amount = match (suggestion.side, suggestion.amount) {
        (Side::Buy, a) => a.map_or(0.0, f),
        (Side::Sell, a) => a.map_or(position, f).min(position),
    };
    let (after_total, after_position) = match suggestion.side {
        Side::Buy => (total + (amount - cash).max(0.0), position + amount),
        Side::Sell => (total, position - amount),
    };
    let weight_now = if total > 0.0 { position / total } else { 0.0 };
    let weight_after = if after_total > 0.0 {
        after_position / after_total
    } else {
        0.0
    };
    let shipped = InstrumentTable::shipped();
    let fund = is_fund(sym, &shipped, &config.concentration);
    let c = &config.concentration;
    let mut out = Vec::new();
    let adds = if suggestion.amount.is_some() {
        format!("Buying {} of {s}", money_text(amount))
    } else {
        format!("The suggestion adds {s}")
    };

    if suggestion.side == Side::Buy && !fund && weight_after.max(weight_now) > c.single_holding {
        let severity = if weight_after.max(weight_now) >= c.single_point_of_failure {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let message = if suggestion.amount.is_some() && weight_after > weight_now {
            format!(
                "{adds} would make it {} of your portfolio, above the {} limit for one holding.",
                pct(weight_after),
                pct(c.single_holding)
            )
        } else {
            format!(
                "{adds}, but you already hold {} of your portfolio in {s} (limit {}).",
                pct(weight_now),
                pct(c.single_holding)
            )
        };
        out.push(conflict(
            ConflictKind::Concentration,
            severity,
            message,
            json!({"symbol": s, "weight": r6(weight_now), "weight_after": r6(weight_after), "limit": c.single_holding}),
        ));
    }

    if let (Side::Buy, Some(sector)) = (
        suggestion.side,
        instrument
            .and_then(|i| i.sector.as_deref())
            .filter(|_| !fund),
    ) {
        let others: f64 = v
            .positions
            .iter()
            .filter(|p| &p.symbol != sym && !is_fund(&p.symbol, &shipped, c))
            .filter(|p| {
                matches!(input.instruments.classify(&p.symbol),
                    Classification::Known(i) if i.sector.as_deref() == Some(sector))
            })
            .map(|p| f(p.value))
            .sum();
        let now = if total > 0.0 {
            (others + position) / total
        } else {
            0.0
        };
        let after = if after_total > 0.0 {
            (others + after_position) / after_total
        } else {
            0.0
        };
        if after.max(now) > c.sector {
            out.push(conflict(
                ConflictKind::Sector,
                Severity::Warning,
                format!(
                    "{adds}, but you already hold {} in {sector}{} (limit {}).",
                    pct(now),
                    if suggestion.amount.is_some() {
                        format!("; afterwards it would be {}", pct(after))
                    } else {
                        String::new()
                    },
                    pct(c.sector)
                ),
                json!({"symbol": s, "sector": sector, "weight": r6(now), "weight_after": r6(after), "limit": c.sector}),
            ));
        }
    }

    if let (Side::Buy, Some(i)) = (suggestion.side, instrument)
        && matches!(i.asset_class, AssetClass::Commodity | AssetClass::Crypto)
    {
        let others: f64 = v
            .positions
            .iter()
            .filter(|p| &p.symbol != sym)
            .filter(|p| {
                matches!(input.instruments.classify(&p.symbol),
                    Classification::Known(i) if matches!(i.asset_class, AssetClass::Commodity | AssetClass::Crypto))
            })
            .map(|p| f(p.value))
            .sum();
        let after = if after_total > 0.0 {
            (others + after_position) / after_total
        } else {
            0.0
        };
        if after > c.alternatives {
            out.push(conflict(
                ConflictKind::Alternatives,
                Severity::Warning,
                format!(
                    "{adds} would put {} of your portfolio in commodities and crypto, above the {} \
                     suggested for such volatile assets.",
                    pct(after),
                    pct(c.alternatives)
                ),
                json!({"symbol": s, "weight_after": r6(after), "limit": c.alternatives}),
            ));
        }
    }

    if let (Some(profile), Some(i)) = (input.risk_profile, instrument) {
        let name = bucket(i.asset_class);
        let model = profile.allocation;
        let goal = match i.asset_class {
            AssetClass::Equity => model.stocks,
            AssetClass::Bond => model.bonds,
            AssetClass::Cash => model.cash,
            AssetClass::Commodity | AssetClass::Crypto | AssetClass::Fund => 0.0,
        };
        let mut classified = cash;
        let mut in_bucket = if name == "cash" { cash } else { 0.0 };
        for p in &v.positions {
            if let Classification::Known(k) = input.instruments.classify(&p.symbol) {
                classified += f(p.value);
                if bucket(k.asset_class) == name {
                    in_bucket += f(p.value);
                }
            }
        }
        let now = if classified > 0.0 {
            in_bucket / classified
        } else {
            0.0
        };
        let (after_bucket, after_classified) = match suggestion.side {
            Side::Buy => (in_bucket + amount, classified + (amount - cash).max(0.0)),
            Side::Sell => (in_bucket - amount, classified),
        };
        let after = if after_classified > 0.0 {
            after_bucket / after_classified
        } else {
            0.0
        };
        let band = config.drift.band;
        let category = profile.category;
        let hit = match suggestion.side {
            Side::Buy => after - goal > band && after >= now,
            Side::Sell => goal - after > band && after <= now,
        };
        if hit {
            let (verb, dir) = match suggestion.side {
                Side::Buy => ("adds to", "above"),
                Side::Sell => ("takes from", "below"),
            };
            out.push(conflict(
                ConflictKind::Allocation,
                Severity::Warning,
                format!(
                    "The suggestion {verb} your {name}, which would stand at {} against the {} \
                     target of your {category} profile, more than {} points {dir} it.",
                    pct(after),
                    pct(goal),
                    pct(band).trim_end_matches('%')
                ),
                json!({"bucket": name, "weight": r6(now), "weight_after": r6(after), "target": goal, "band": band, "category": category}),
            ));
        }
    }

    if suggestion.side == Side::Sell
        && let Some(end) = input.prices.index_on_or_before(v.as_of)
    {
        let lookback = config.panic.fall_lookback_trading_days as usize;
        let from = end.saturating_sub(config.panic.within_trading_days as usize);
        let mut series: Vec<(String, Vec<Option<f64>>)> = Vec::new();
        if let Some(col) = input.prices.column_index(s) {
            series.push((s.to_owned(), filled_closes(input.prices, col)));
        }
        if let Some(col) = bench_col {
            series.push((
                input.prices.columns()[col].to_string(),
                filled_closes(input.prices, col),
            ));
        }
        let fall = series.iter().find_map(|(name, closes)| {
            (from..=end)
                .filter_map(|t| {
                    fall_completed(closes, t, lookback, config.panic.min_fall).map(|x| (t, x))
                })
                .max_by(|a, b| a.1.size.total_cmp(&b.1.size))
                .map(|(t, x)| (name.clone(), t, x))
        });
        if let Some((name, t, x)) = fall {
            let what = if name == s {
                format!("{s} has just fallen {}", pct(x.size))
            } else {
                format!("the market ({name}) has just fallen {}", pct(x.size))
            };
            out.push(conflict(
                ConflictKind::PanicSelling,
                Severity::Warning,
                format!(
                    "The suggestion sells {s}, but {what}: selling right after a drop turns a \
                     paper loss into a real one. Check that the reason is your plan, not the fall."
                ),
                json!({"symbol": s, "fall": r6(x.size), "fall_series": name, "fall_date": input.prices.dates()[t], "min_fall": config.panic.min_fall}),
            ));
        }
    }

    if instrument.is_none() {
        out.push(conflict(
            ConflictKind::Unclassified,
            Severity::Info,
            format!(
                "{s} is not in the instrument table, so its sector, asset class and fit with \
                 your allocation could not be checked."
            ),
            json!({"symbol": s}),
        ));
    }
    Ok(out)
}

fn money_text(x: f64) -> String {
    format!("{x:.2}")
}

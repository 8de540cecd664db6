//! The dashboard's figures: the user's portfolios added up by the SDK
//! ([`auravest_core::NetWorth`], [`auravest_core::ValueSeries::combine`])
//! and their growth beside the benchmark's.

#[allow(clippy::wildcard_imports)]
use super::*;
use std::collections::BTreeMap;

use auravest_core::{NetWorth, Range, ValuationReport, ValueSeries};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What the growth figures are, said on the page beside them.
pub const GROWTH_BASIS: &str = "Time-weighted return of all the portfolios added up (deposits \
     and withdrawals taken out), against the benchmark's price change over the same days; \
     based on past prices, not a forecast.";

/// The user's portfolios added up.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverviewView {
    /// The currency the net worth is in (the first portfolio's that could
    /// be valued); null without one.
    pub currency: Option<String>,
    /// The portfolios in that currency added up; null when none could be valued.
    pub net_worth: Option<NetWorthView>,
    /// Every portfolio, oldest first, and whether it is in the net worth.
    pub portfolios: Vec<PortfolioLineView>,
    /// Growth over the range against the benchmark; null without history.
    pub growth: Option<GrowthView>,
    /// Set when the prices are the shipped sample data.
    pub sample_data: Option<crate::prices::SampleData>,
}

/// The net worth and its allocations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetWorthView {
    /// The latest price date.
    pub as_of: String,
    /// How many portfolios are added up.
    pub portfolios: usize,
    /// Total value, cash included (decimal string).
    pub value: String,
    /// Cash (decimal string).
    pub cash: String,
    /// Change since the previous close (decimal string).
    pub day_change: String,
    /// Money paid in less money taken out (decimal string).
    pub net_deposits: String,
    /// Value less net deposits (decimal string).
    pub total_return: String,
    /// Total return over net deposits (fraction); null without deposits.
    pub total_return_pct: Option<f64>,
    /// Fraction by holding (and `CASH`).
    pub allocation_by_holding: BTreeMap<String, f64>,
    /// Fraction by asset class (`unclassified` for unlisted symbols).
    pub allocation_by_asset_class: BTreeMap<String, f64>,
    /// Fraction by sector (`unclassified` where none is listed).
    pub allocation_by_sector: BTreeMap<String, f64>,
    /// Fraction by trading currency.
    pub allocation_by_currency: BTreeMap<String, f64>,
}

/// One portfolio on the dashboard.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PortfolioLineView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Base currency.
    pub currency: String,
    /// Value (decimal string); null when it could not be valued.
    pub value: Option<String>,
    /// Change since the previous close (decimal string).
    pub day_change: Option<String>,
    /// Total return over net deposits (fraction).
    pub total_return_pct: Option<f64>,
    /// Whether the net worth includes it.
    pub included: bool,
    /// Why it is left out, when it is.
    pub note: Option<String>,
}

/// Growth of the net worth and of the benchmark over a range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GrowthView {
    /// The window (`1m`, `3m`, `6m`, `ytd`, `1y`, `3y`, `5y` or `max`).
    pub range: String,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Time-weighted return over the range (fraction).
    pub twr: f64,
    /// Money-weighted return (annualised IRR, fraction); null when it has no solution.
    pub mwr: Option<f64>,
    /// The benchmark's return over the same days, when priced.
    pub benchmark: Option<BenchmarkView>,
    /// Daily points.
    pub points: Vec<GrowthPointView>,
    /// What the figures are.
    pub basis: &'static str,
}

/// One day of [`GrowthView`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GrowthPointView {
    /// Day.
    pub date: String,
    /// The net worth that day (decimal string).
    pub value: String,
    /// Time-weighted return since the first day (fraction).
    pub growth: f64,
    /// The benchmark's price change since the first day (fraction), when priced.
    pub benchmark: Option<f64>,
}

/// A portfolio's part in the overview: its prices over its whole history
/// (and the benchmark's), read once for both its valuation and its growth.
struct Part {
    loaded: Loaded,
    priced: Priced,
    report: ValuationReport,
}

/// The portfolio's prices over its whole history, the benchmark's with them.
async fn history_of(state: &AppState, loaded: &Loaded) -> AppResult<Priced> {
    let mut symbols = symbols_of(&loaded.ledger.portfolio);
    symbols.push(BENCHMARK.to_owned());
    symbols.sort();
    symbols.dedup();
    let lookback = loaded.ledger.portfolio.history_days();
    prices_for(state, &symbols, lookback, Some(loaded)).await
}

/// Adds up the user's portfolios and their growth over `range`.
///
/// # Errors
/// Store errors; a portfolio that cannot be valued is listed with the
/// reason and left out, never failing the whole overview.
pub(crate) async fn overview_of(
    state: &AppState,
    user: Uuid,
    range: Range,
) -> AppResult<OverviewView> {
    let records = state.store.portfolios(user).await?;
    let mut lines = Vec::with_capacity(records.len());
    let mut parts: Vec<Part> = Vec::new();
    let mut currency: Option<String> = None;
    for record in records {
        let mut line = PortfolioLineView {
            id: record.id,
            name: record.name.clone(),
            currency: record.currency.clone(),
            value: None,
            day_change: None,
            total_return_pct: None,
            included: false,
            note: None,
        };
        let valued = match load(state, user, record.id).await {
            Ok(loaded) => match history_of(state, &loaded).await {
                Ok(priced) => report_from(&loaded, &priced).map(|report| (loaded, priced, report)),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match valued {
            Ok((loaded, priced, report)) => {
                line.value = Some(report.valuation.value.round_dp(2).to_string());
                line.day_change = Some(report.day_change.round_dp(2).to_string());
                line.total_return_pct = report.total_return_pct;
                let base = currency.get_or_insert_with(|| record.currency.clone());
                if *base == record.currency {
                    line.included = true;
                    parts.push(Part {
                        loaded,
                        priced,
                        report,
                    });
                } else {
                    line.note = Some(format!(
                        "in {}, not added to the {base} total (no exchange rate is assumed)",
                        record.currency
                    ));
                }
            }
            // Deleted meanwhile: not listed.
            Err(AppError::NotFound(_)) => continue,
            Err(e @ (AppError::Conflict(_) | AppError::Unavailable(_))) => {
                line.note = Some(e.to_string());
            }
            Err(e) => return Err(e),
        }
        lines.push(line);
    }
    let reports: Vec<&ValuationReport> = parts.iter().map(|p| &p.report).collect();
    let net_worth = NetWorth::of(&reports).map_err(AppError::internal)?;
    let growth = growth_of(&parts, range)?;
    let sample_data = net_worth
        .as_ref()
        .and_then(|n| crate::prices::sample_note(&state.config, n.as_of));
    Ok(OverviewView {
        currency,
        net_worth: net_worth.map(|n| NetWorthView {
            as_of: n.as_of.to_string(),
            portfolios: n.portfolios,
            value: n.value.round_dp(2).to_string(),
            cash: n.cash.round_dp(2).to_string(),
            day_change: n.day_change.round_dp(2).to_string(),
            net_deposits: n.net_deposits.round_dp(2).to_string(),
            total_return: n.total_return.round_dp(2).to_string(),
            total_return_pct: n.total_return_pct,
            allocation_by_holding: n.allocation_by_holding,
            allocation_by_asset_class: n.allocation_by_asset_class,
            allocation_by_sector: n.allocation_by_sector,
            allocation_by_currency: n.allocation_by_currency,
        }),
        portfolios: lines,
        growth,
        sample_data,
    })
}

/// The parts' combined value series over `range` and the benchmark beside
/// it; `None` when no part holds anything in the range.
fn growth_of(parts: &[Part], range: Range) -> AppResult<Option<GrowthView>> {
    let Some(first) = parts
        .iter()
        .filter_map(|p| {
            p.loaded
                .ledger
                .portfolio
                .transactions()
                .first()
                .map(|t| t.date)
        })
        .min()
    else {
        return Ok(None);
    };
    let Some(end) = parts.iter().map(|p| p.priced.as_of).max() else {
        return Ok(None);
    };
    let start = range.start_within(end, first);
    let mut series = Vec::with_capacity(parts.len());
    for part in parts {
        match part
            .loaded
            .ledger
            .portfolio
            .value_series(&part.priced.frame, start, end)
        {
            Ok(s) => series.push(s),
            // Nothing held in the range: it adds nothing.
            Err(auravest_core::Error::InvalidPeriod { .. }) => {}
            Err(e) => return Err(priced_error(&e)),
        }
    }
    let base = parts
        .first()
        .map_or(Currency::USD, |p| p.report.valuation.base_currency);
    let all = ValueSeries::combine(&series, base).map_err(AppError::internal)?;
    if all.points.is_empty() {
        return Ok(None);
    }
    let dates: Vec<_> = all.points.iter().map(|p| p.date).collect();
    let frame = parts
        .iter()
        .map(|p| &p.priced.frame)
        .find(|f| f.column_index(BENCHMARK).is_some());
    let bench = frame.and_then(|f| f.growth_on(BENCHMARK, &dates));
    let from = dates[0];
    let benchmark = frame
        .and_then(|f| f.price_change(BENCHMARK, from, end))
        .map(|c| BenchmarkView {
            symbol: BENCHMARK.to_owned(),
            total_return: c.total_return(),
        });
    let growth = all.growth();
    Ok(Some(GrowthView {
        range: range.to_string(),
        from: from.to_string(),
        to: end.to_string(),
        twr: all.time_weighted_return(),
        mwr: all.money_weighted_return().ok().filter(|x| x.is_finite()),
        benchmark,
        points: all
            .points
            .iter()
            .zip(growth)
            .enumerate()
            .map(|(i, (p, g))| GrowthPointView {
                date: p.date.to_string(),
                value: p.value.round_dp(2).to_string(),
                growth: g,
                benchmark: bench.as_ref().and_then(|b| b.get(i).copied().flatten()),
            })
            .collect(),
        basis: GROWTH_BASIS,
    }))
}

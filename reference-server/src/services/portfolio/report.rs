//! Valuation, the period return, the analysis and the insights.

#[allow(clippy::wildcard_imports)]
use super::*;
use std::collections::BTreeMap;

use auravest_core::{InstrumentTable, PriceFrame, Symbol};
use chrono::{Duration as Days, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry};
use auravest_core::DISCLAIMER;

// --- valuation --------------------------------------------------------------

/// A position in the valuation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PositionView {
    /// Ticker.
    pub symbol: String,
    /// Asset class, when the instrument is known.
    pub asset_class: Option<String>,
    /// Shares (decimal string).
    pub quantity: String,
    /// Average cost per share (decimal string).
    pub avg_cost: String,
    /// Price used (decimal string).
    pub price: String,
    /// Day of that price.
    pub price_date: String,
    /// Value in the base currency (decimal string).
    pub value: String,
    /// Fraction of the portfolio.
    pub weight: f64,
    /// Change since the previous close in the base currency (decimal string).
    pub day_change: Option<String>,
    /// Unrealised gain (decimal string).
    pub unrealized_pnl: String,
    /// Realised gain (decimal string).
    pub realized_pnl: String,
    /// The open lots, oldest first (sales take from the oldest).
    pub lots: Vec<LotView>,
}

/// Shares bought together and still held.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LotView {
    /// Purchase date.
    pub date: String,
    /// Shares left (decimal string, adjusted for later splits).
    pub quantity: String,
    /// Cost of those shares, purchase fee included (decimal string).
    pub cost: String,
}

/// A valuation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValuationView {
    /// Portfolio.
    pub portfolio_id: Uuid,
    /// The price date valued at.
    pub as_of: String,
    /// Base currency.
    pub currency: String,
    /// Total value, cash included (decimal string).
    pub value: String,
    /// Cash (decimal string).
    pub cash: String,
    /// Change since the previous close (decimal string).
    pub day_change: String,
    /// Value plus withdrawals less deposits: gain since the start (decimal string).
    pub total_return: String,
    /// Total return over net deposits, as a fraction (null without deposits).
    pub total_return_pct: Option<f64>,
    /// Positions.
    pub positions: Vec<PositionView>,
    /// Fraction by holding (and `CASH`).
    pub allocation_by_holding: BTreeMap<String, f64>,
    /// Fraction by asset class.
    pub allocation_by_asset_class: BTreeMap<String, f64>,
    /// Fraction by sector (`unclassified` where none is listed, `cash`).
    pub allocation_by_sector: BTreeMap<String, f64>,
    /// Fraction by trading currency (cash in the base currency).
    pub allocation_by_currency: BTreeMap<String, f64>,
    /// Set when the prices are the shipped sample data (a past period), so
    /// the page can say so and keep dates inside it.
    pub sample_data: Option<crate::prices::SampleData>,
    /// Where each price came from and how old it is.
    pub prices: BTreeMap<String, PriceSource>,
}

/// The SDK's valuation report of the portfolio at the latest prices, with
/// the prices' sources and the symbols it priced.
pub(crate) async fn valuation_report_of(
    state: &AppState,
    loaded: &Loaded,
) -> AppResult<(auravest_core::ValuationReport, Priced, Vec<String>)> {
    let symbols = symbols_of(&loaded.ledger.portfolio);
    let priced = prices_for(state, &symbols, 14, Some(loaded)).await?;
    let report = report_from(loaded, &priced)?;
    Ok((report, priced, symbols))
}

/// The SDK's valuation report of the portfolio at `priced`'s latest date:
/// day change, allocations, net deposits and the total return; unlisted
/// symbols stay unclassified.
pub(crate) fn report_from(
    loaded: &Loaded,
    priced: &Priced,
) -> AppResult<auravest_core::ValuationReport> {
    loaded
        .ledger
        .portfolio
        .valuation_report(&priced.frame, priced.as_of, crate::prices::instruments())
        .map_err(|e| match e {
            auravest_core::Error::InvalidField { .. } => {
                AppError::field("transactions", e.to_string())
            }
            e => priced_error(&e),
        })
}

/// Values the portfolio at the latest prices.
pub(crate) async fn valuation_of(state: &AppState, loaded: &Loaded) -> AppResult<ValuationView> {
    let (report, priced, symbols) = valuation_report_of(state, loaded).await?;
    let v = &report.valuation;
    let positions = v
        .positions
        .iter()
        .zip(&report.day_changes)
        .zip(&report.asset_classes)
        .map(|((p, day_change), class)| PositionView {
            symbol: p.symbol.to_string(),
            asset_class: class.map(|c| c.as_str().to_owned()),
            quantity: p.quantity.normalize().to_string(),
            avg_cost: p.avg_cost.round_dp(4).normalize().to_string(),
            price: p.price.normalize().to_string(),
            price_date: p.price_date.to_string(),
            value: p.value.round_dp(2).to_string(),
            weight: p.weight,
            day_change: day_change.map(|d| d.round_dp(2).to_string()),
            unrealized_pnl: p.unrealized_pnl.round_dp(2).to_string(),
            realized_pnl: p.realized_pnl.round_dp(2).to_string(),
            lots: loaded
                .ledger
                .portfolio
                .holdings()
                .position(&p.symbol)
                .map(|pos| {
                    pos.lots()
                        .map(|l| LotView {
                            date: l.date.to_string(),
                            quantity: l.quantity.normalize().to_string(),
                            cost: l.cost.round_dp(2).to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok(ValuationView {
        portfolio_id: loaded.record.id,
        as_of: v.as_of.to_string(),
        currency: v.base_currency.to_string(),
        value: v.value.round_dp(2).to_string(),
        cash: v.cash.round_dp(2).to_string(),
        day_change: report.day_change.round_dp(2).to_string(),
        total_return: report.total_return.round_dp(2).to_string(),
        total_return_pct: report.total_return_pct,
        positions,
        allocation_by_holding: report.allocation_by_holding,
        allocation_by_asset_class: report.allocation_by_asset_class,
        allocation_by_sector: report.allocation_by_sector,
        allocation_by_currency: report.allocation_by_currency,
        sample_data: crate::prices::sample_note(&state.config, v.as_of),
        prices: priced
            .sources
            .into_iter()
            .filter(|(s, _)| symbols.contains(s))
            .collect(),
    })
}

// --- performance ------------------------------------------------------------

/// Performance over a range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PerformanceView {
    /// The window (`1m`, `3m`, `6m`, `ytd`, `1y`, `3y`, `5y` or `max`).
    pub range: String,
    /// First day.
    pub from: String,
    /// Last day (the latest price date).
    pub to: String,
    /// Time-weighted return (fraction).
    pub twr: f64,
    /// Money-weighted return (annualised IRR, fraction); null when it has no solution.
    pub mwr: Option<f64>,
    /// The benchmark's return over the same days (fraction), when priced.
    pub benchmark: Option<BenchmarkView>,
    /// Daily values.
    pub values: Vec<ValuePointView>,
    /// The range in words ("over the last year").
    pub period: &'static str,
    /// What the figures are, for the page to show beside them.
    pub basis: &'static str,
    /// Time-weighted return per calendar month (`YYYY-MM`, fraction); the
    /// first and last months are partial when the range cuts them.
    pub monthly_returns: BTreeMap<String, f64>,
    /// The drawdown on each price day: the time-weighted value below its
    /// running peak (fraction, 0 at a new high).
    pub drawdowns: Vec<DrawdownPointView>,
    /// The deepest drawdown over the range (fraction, ≤ 0).
    pub max_drawdown: f64,
}

/// What the performance figures are.
pub const PERFORMANCE_BASIS: &str = "Time-weighted return: the growth of the holdings with \
     deposits and withdrawals taken out, over the period shown. Money-weighted return: the \
     annualised internal rate of return of your own deposits and withdrawals, so timing counts \
     and short periods magnify it. Benchmark: the price change of the benchmark over the same \
     days. All based on past prices; not a forecast.";

/// One day's drawdown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DrawdownPointView {
    /// Day.
    pub date: String,
    /// Below the running peak (fraction, ≤ 0).
    pub drawdown: f64,
}

/// A benchmark's return.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BenchmarkView {
    /// Ticker.
    pub symbol: String,
    /// Return over the range (fraction).
    pub total_return: f64,
}

/// One day's value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValuePointView {
    /// Day.
    pub date: String,
    /// Value (decimal string).
    pub value: String,
    /// Time-weighted return since the first day (fraction).
    pub growth: f64,
    /// The benchmark's price change since the first day (fraction), when priced.
    pub benchmark: Option<f64>,
}

/// Stored prices may end this many days before a period's last day (a
/// weekend and a holiday) and still price its close.
pub(crate) const PERIOD_END_SLACK_DAYS: i64 = 4;

/// The time-weighted return (a fraction) of one of the user's portfolios
/// from the close before `first` (or its first transaction, when later) to
/// the close on or before `last`.
///
/// # Errors
/// 404 when the portfolio is not the user's; 422 on `period` when it is
/// not over, ends before the portfolio's first transaction or after the
/// stored prices, and on `portfolio_id` when there are no transactions.
pub(crate) async fn period_return(
    state: &AppState,
    user: Uuid,
    id: Uuid,
    first: NaiveDate,
    last: NaiveDate,
) -> AppResult<f64> {
    let today = Utc::now().date_naive();
    if last >= today {
        return Err(AppError::field(
            "period",
            format!("it ends on {last}, which is not over yet"),
        ));
    }
    let loaded = load(state, user, id).await?;
    let Some(opened) = loaded
        .ledger
        .portfolio
        .transactions()
        .first()
        .map(|t| t.date)
    else {
        return Err(AppError::field(
            "portfolio_id",
            "the portfolio has no transactions yet",
        ));
    };
    if opened > last {
        return Err(AppError::field(
            "period",
            format!("it ends on {last}, before the portfolio's first transaction ({opened})"),
        ));
    }
    let start = first
        .checked_sub_signed(Days::days(1))
        .unwrap_or(first)
        .max(opened);
    let symbols = symbols_of(&loaded.ledger.portfolio);
    let lookback = auravest_core::history_days(start, today);
    let priced = prices_for(state, &symbols, lookback, Some(&loaded)).await?;
    if !symbols.is_empty()
        && priced
            .as_of
            .checked_add_signed(Days::days(PERIOD_END_SLACK_DAYS))
            .is_some_and(|d| d < last)
    {
        return Err(AppError::field(
            "period",
            format!(
                "prices run only to {}; the period ends on {last}",
                priced.as_of
            ),
        ));
    }
    let series = loaded
        .ledger
        .portfolio
        .value_series(&priced.frame, start, last)
        .map_err(|e| match e {
            auravest_core::Error::InvalidPeriod { .. } => AppError::field("period", format!("{e}")),
            e => priced_error(&e),
        })?;
    Ok(series.time_weighted_return())
}

// --- insights ---------------------------------------------------------------

/// Nudges, the recommended allocation and a rebalancing suggestion.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InsightsView {
    /// The price date.
    pub as_of: String,
    /// Today's nudges, most severe first.
    pub nudges: Vec<NudgeView>,
    /// Progress of each goal.
    pub goals: Vec<auravest_bias::GoalProgress>,
    /// The recommended allocation for the user's risk profile; null until
    /// the questionnaire is taken (see `recommendation_note`).
    pub recommendation: Option<RecommendationView>,
    /// Why there is no recommendation, when there is none.
    pub recommendation_note: Option<String>,
    /// Shares to buy (+) or sell (-) to move toward the recommendation.
    pub rebalancing: Option<RebalancingView>,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// A nudge with the disclaimer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NudgeView {
    /// The nudge.
    #[serde(flatten)]
    pub nudge: auravest_bias::Nudge,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// The stock/bond/cash split of a risk category.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SplitView {
    /// Share in stocks.
    pub stocks: f64,
    /// Share in bonds.
    pub bonds: f64,
    /// Share in cash.
    pub cash: f64,
}

/// Something the recommendation could not fill, and what would fill it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GapView {
    /// `bonds` or `international`.
    pub kind: String,
    /// Share of the portfolio affected.
    pub weight: f64,
    /// A sentence for the user.
    pub text: String,
}

/// A recommended allocation (`auravest_optimize::Recommendation`), built
/// under the same limits as the nudges.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecommendationView {
    /// The risk category.
    pub category: String,
    /// The category's split.
    pub split: SplitView,
    /// Weight by symbol, `CASH` included.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub weights: BTreeMap<auravest_core::Symbol, f64>,
    /// The estimated expected return a year (show it with the range).
    pub expected_return: f64,
    /// Low end of the expected-return range (estimate minus one standard error).
    pub expected_return_low: f64,
    /// High end of the expected-return range.
    pub expected_return_high: f64,
    /// Expected volatility a year.
    pub volatility: f64,
    /// Method and period of the estimates ("based on past prices").
    pub basis: String,
    /// What the priced universe lacks.
    pub gaps: Vec<GapView>,
    /// Plain-language reasons.
    pub reasoning: Vec<String>,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// Whole-share trades toward the recommendation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RebalancingView {
    /// Shares to buy (+) or sell (-), by symbol.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub trades: BTreeMap<auravest_core::Symbol, i64>,
    /// Cash left after the trades.
    pub target_cash: f64,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

impl RecommendationView {
    fn from_sdk(rec: &auravest_optimize::Recommendation) -> Self {
        Self {
            category: rec.category.to_string(),
            split: SplitView {
                stocks: rec.allocation.stocks,
                bonds: rec.allocation.bonds,
                cash: rec.allocation.cash,
            },
            weights: rec.weights.clone(),
            expected_return: rec.performance.expected_return,
            expected_return_low: rec.expected_return_range.0,
            expected_return_high: rec.expected_return_range.1,
            volatility: rec.performance.volatility,
            basis: rec.basis.clone(),
            gaps: rec
                .gaps
                .iter()
                .map(|g| GapView {
                    kind: match g.kind {
                        auravest_optimize::GapKind::Bonds => "bonds",
                        auravest_optimize::GapKind::International => "international",
                    }
                    .to_owned(),
                    weight: g.weight,
                    text: g.text.clone(),
                })
                .collect(),
            reasoning: rec.reasoning.clone(),
            disclaimer: DISCLAIMER,
        }
    }
}

/// The nudges' thresholds; the recommendation is built under the same ones.
pub(crate) fn nudge_config() -> auravest_bias::Config {
    auravest_bias::Config::default()
}

/// The user's current risk profile, if any.
pub(crate) async fn risk_profile_of(
    state: &AppState,
    user: Uuid,
) -> AppResult<Option<auravest_risk::RiskProfile>> {
    let Some(r) = state.store.latest_risk(user).await? else {
        return Ok(None);
    };
    serde_json::from_value(r.profile)
        .map(Some)
        .map_err(AppError::internal)
}

/// The recommendation over the open positions plus the benchmark fund,
/// under the nudges' limits.
pub(crate) fn recommendation(
    profile: &auravest_risk::RiskProfile,
    frame: &PriceFrame,
    held: &[String],
    instruments: &InstrumentTable,
) -> Result<auravest_optimize::Recommendation, String> {
    let cols: Vec<(Symbol, Vec<Option<f64>>)> = held
        .iter()
        .map(String::as_str)
        .chain([BENCHMARK])
        .filter_map(|s| {
            let col = frame.column(s)?;
            Some((Symbol::new(s).ok()?, col.to_vec()))
        })
        .collect();
    if cols.is_empty() {
        return Err("no priced holdings to optimise".to_owned());
    }
    let universe = PriceFrame::new(frame.dates().to_vec(), cols).map_err(|e| e.to_string())?;
    let options = auravest_optimize::AdviceOptions {
        limits: nudge_config(),
        ..auravest_optimize::AdviceOptions::default()
    };
    auravest_optimize::recommend(profile.category, &universe, instruments, &options)
        .map_err(|e| e.to_string())
}

/// The bias crate's analysis of a portfolio over its whole history of
/// prices (nudges, goals, badges, checklist), and the prices it used.
pub(crate) async fn analysis_of(
    state: &AppState,
    user: Uuid,
    loaded: &Loaded,
) -> AppResult<(auravest_bias::Analysis, Priced)> {
    let mut symbols = symbols_of(&loaded.ledger.portfolio);
    symbols.push(BENCHMARK.to_owned());
    symbols.sort();
    symbols.dedup();
    let lookback = loaded.ledger.portfolio.history_days();
    let priced = prices_for(state, &symbols, lookback, Some(loaded)).await?;
    let profile = risk_profile_of(state, user).await?;
    let goals = sdk_goals(&state.store.goals(user).await?)?;
    let benchmark = priced.frame.column_index(BENCHMARK).map(|_| BENCHMARK);
    let input = auravest_bias::AnalysisInput {
        instruments: Some(crate::prices::instruments()),
        risk_profile: profile.as_ref(),
        goals: &goals,
        benchmark,
        ..auravest_bias::AnalysisInput::new(&loaded.ledger.portfolio, &priced.frame, priced.as_of)
    };
    let analysis = auravest_bias::analyze(&input, &nudge_config()).map_err(|e| match e {
        auravest_bias::Error::Core(e) => priced_error(&e),
        e => AppError::internal(e),
    })?;
    Ok((analysis, priced))
}

/// Builds the insights (also used by the summary).
pub(crate) async fn insights_of(
    state: &AppState,
    user: &AuthUser,
    loaded: &Loaded,
) -> AppResult<InsightsView> {
    let (analysis, priced) = analysis_of(state, user.id, loaded).await?;
    let profile = risk_profile_of(state, user.id).await?;
    let instruments = crate::prices::instruments();
    let open: Vec<String> = loaded
        .ledger
        .portfolio
        .holdings()
        .open_positions()
        .map(|p| p.symbol().to_string())
        .collect();
    let (recommendation_json, note, rebalancing) = match &profile {
        None => (
            None,
            Some("take the risk questionnaire to get a recommended allocation".to_owned()),
            None,
        ),
        Some(profile) => match recommendation(profile, &priced.frame, &open, instruments) {
            Err(reason) => (None, Some(format!("no recommendation: {reason}")), None),
            Ok(rec) => {
                let rebalancing = auravest_optimize::rebalance_toward(
                    &rec,
                    &priced.frame,
                    &analysis.valuation,
                    &auravest_optimize::allocation::RebalanceOptions::default(),
                )
                .ok()
                .map(|plan| RebalancingView {
                    trades: plan.trades,
                    target_cash: plan.target_cash,
                    disclaimer: DISCLAIMER,
                });
                (Some(RecommendationView::from_sdk(&rec)), None, rebalancing)
            }
        },
    };
    let now = Utc::now();
    let object = Some(state.keys.object_hash(loaded.record.id));
    state
        .store
        .audit(&AuditEntry {
            at: now,
            action: AuditAction::NudgesShown,
            subject: Some(user.audit_subject),
            object: object.clone(),
            detail: json!({"nudges": analysis.nudges.len(),
                "kinds": analysis.nudges.iter().map(|n| n.kind.to_string()).collect::<Vec<_>>()}),
        })
        .await?;
    if recommendation_json.is_some() {
        state
            .store
            .audit(&AuditEntry {
                at: now,
                action: AuditAction::RecommendationShown,
                subject: Some(user.audit_subject),
                object,
                detail: json!({"category": profile.as_ref().map(|p| p.category.to_string())}),
            })
            .await?;
    }
    Ok(InsightsView {
        as_of: priced.as_of.to_string(),
        nudges: analysis
            .nudges
            .into_iter()
            .map(|nudge| NudgeView {
                nudge,
                disclaimer: DISCLAIMER,
            })
            .collect(),
        goals: analysis.goals,
        recommendation: recommendation_json,
        recommendation_note: note,
        rebalancing,
        disclaimer: DISCLAIMER,
    })
}

/// The checklist of a user whose risk profile and first transaction day
/// the caller already has.
pub(crate) async fn checklist_for(
    state: &AppState,
    user: Uuid,
    profile: Option<&auravest_risk::RiskProfile>,
    first_transaction: Option<chrono::NaiveDate>,
) -> AppResult<Vec<auravest_bias::ChecklistItem>> {
    let experience =
        auravest_bias::Experience::assess(profile, first_transaction, Utc::now().date_naive());
    let done: BTreeSet<String> = state
        .store
        .checklist_done(user)
        .await?
        .into_keys()
        .collect();
    Ok(auravest_bias::learning_checklist(experience, &done))
}

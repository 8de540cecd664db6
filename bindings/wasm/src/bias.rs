//! The nudges with their evidence, and goal progress.

use std::collections::BTreeSet;

use auravest_bias::{AnalysisInput, Config, Goal, GoalText, Nudge, analyze, default_as_of};
use auravest_core::{Decimal, InstrumentTable, NaiveDate, Symbol};
use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::convert::{read, write};
use crate::errors::{Failure, Outcome};
use crate::portfolio::{Portfolio, Valuation, date};
use crate::prices::PriceTable;
use crate::risk::RiskProfile;

#[wasm_bindgen(typescript_custom_section)]
const BIAS_TS: &str = r#"
/** A JSON value (a nudge's evidence). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
"#;

/// A savings goal; an omitted field takes the SDK's default.
#[derive(Debug, Clone, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalInput {
    /// Its name.
    pub name: String,
    /// Target amount (decimal string).
    pub target: String,
    /// ISO deadline; without one the goal is a target portfolio value.
    #[serde(default)]
    #[tsify(optional)]
    pub by: Option<String>,
    /// Monthly contribution (decimal string).
    #[serde(default)]
    #[tsify(optional)]
    pub monthly_contribution: Option<String>,
    /// Expected annual return.
    #[serde(default)]
    #[tsify(optional)]
    pub expected_return: Option<f64>,
}

/// The SDK's goal, read by `Goal::parse` (a bad field is its
/// `InvalidGoal`, naming the goal's position as `line` and the field; the
/// expected return is passed as it is, so the SDK's own check refuses NaN
/// and ±Infinity).
fn goal(position: usize, g: &GoalInput) -> Outcome<Goal> {
    Ok(Goal::parse(
        position,
        GoalText {
            name: &g.name,
            target: &g.target,
            by: g.by.as_deref(),
            monthly_contribution: g.monthly_contribution.as_deref(),
            expected_return: g.expected_return,
        },
    )?)
}

/// What an analysis takes beyond the portfolio and its prices; an omitted
/// field takes the SDK's default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct AnalysisOptions {
    /// ISO analysis date (the prices' last date, capped by the portfolio's
    /// today).
    #[tsify(optional)]
    pub as_of: Option<String>,
    /// The investor's risk profile (as `riskScore` returns it).
    #[tsify(optional)]
    pub profile: Option<RiskProfile>,
    /// Savings goals.
    #[tsify(optional)]
    pub goals: Vec<GoalInput>,
    /// A price column to compare with (performance chasing).
    #[tsify(optional)]
    pub benchmark: Option<String>,
    /// ISO date of the investor's last visit.
    #[tsify(optional)]
    pub last_visit: Option<String>,
    /// Ids of the checklist lessons completed.
    #[tsify(optional)]
    pub completed_lessons: Option<Vec<String>>,
    /// Posts the investor has made in the community.
    #[tsify(optional)]
    pub community_posts: u32,
}

/// A nudge: what a detector found, why it matters and what to consider.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct NudgeInfo {
    /// The detector (`concentration`, `cash_drag`, ...).
    pub kind: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The symbol or class concerned, if any.
    pub subject: Option<String>,
    /// A short title.
    pub title: String,
    /// The explanation.
    pub explanation: String,
    /// The suggested action.
    pub action: String,
    /// The figures behind it, by name.
    #[tsify(type = "Record<string, JsonValue>")]
    pub evidence: auravest_bias::Evidence,
}

impl From<Nudge> for NudgeInfo {
    fn from(n: Nudge) -> Self {
        Self {
            kind: n.kind.as_str().to_owned(),
            severity: n.severity.as_str().to_owned(),
            subject: n.subject,
            title: n.title,
            explanation: n.explanation,
            action: n.action,
            evidence: n.evidence,
        }
    }
}

/// A goal's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct GoalStatus {
    /// Its name.
    pub name: String,
    /// Target (decimal string).
    #[tsify(type = "string")]
    pub target: Decimal,
    /// ISO deadline, if any.
    #[tsify(type = "string | undefined")]
    pub by: Option<NaiveDate>,
    /// Current value (decimal string).
    #[tsify(type = "string")]
    pub current: Decimal,
    /// Fraction reached.
    pub progress: f64,
    /// Whether it is on track.
    pub on_track: bool,
    /// Projected value at the deadline (decimal string).
    #[tsify(type = "string | undefined")]
    pub projected_value: Option<Decimal>,
    /// Monthly contribution needed to reach it (decimal string).
    #[tsify(type = "string | undefined")]
    pub required_monthly_contribution: Option<Decimal>,
}

/// The result of an analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// The portfolio valued on the analysis date.
    pub valuation: Valuation,
    /// The nudges to show today (the findings after throttling).
    pub nudges: Vec<NudgeInfo>,
    /// Every finding, most severe first.
    pub findings: Vec<NudgeInfo>,
    /// Each goal's progress.
    pub goals: Vec<GoalStatus>,
}

/// Runs every detector and returns today's nudges, every finding and goal
/// progress.
///
/// # Errors
/// `InvalidArgument` for options of the wrong shape (a bad goal names
/// `goals` and its position as `line`); the SDK's date, price and
/// instrument errors.
#[wasm_bindgen(js_name = analyzePortfolio, unchecked_return_type = "Analysis")]
pub fn analyze_portfolio(
    portfolio: &Portfolio,
    prices: &PriceTable,
    #[wasm_bindgen(unchecked_param_type = "AnalysisOptions")] options: Option<JsValue>,
) -> Outcome<JsValue> {
    let options: AnalysisOptions = match options {
        Some(o) => read("options", o)?,
        None => AnalysisOptions::default(),
    };
    let ledger = &portfolio.inner;
    let frame = &prices.frame;
    let as_of = date("as_of", options.as_of.as_deref())?;
    let last_visit = date("last_visit", options.last_visit.as_deref())?;
    let profile = options.profile.map(auravest_risk::RiskProfile::from);
    let goals = options
        .goals
        .iter()
        .enumerate()
        .map(|(i, g)| goal(i + 1, g))
        .collect::<Outcome<Vec<_>>>()?;
    let lessons: Option<BTreeSet<String>> =
        options.completed_lessons.map(|l| l.into_iter().collect());
    let table = InstrumentTable::shipped();
    let input = AnalysisInput {
        last_visit,
        instruments: Some(&table),
        risk_profile: profile.as_ref(),
        goals: &goals,
        benchmark: options.benchmark.as_deref(),
        community_posts: options.community_posts,
        completed_lessons: lessons.as_ref(),
        ..AnalysisInput::new(
            ledger,
            frame,
            as_of.unwrap_or_else(|| default_as_of(ledger, frame)),
        )
    };
    let a = analyze(&input, &Config::default())?;
    write(&Analysis {
        valuation: a.valuation.into(),
        nudges: a.nudges.into_iter().map(NudgeInfo::from).collect(),
        findings: a.findings.into_iter().map(NudgeInfo::from).collect(),
        goals: a
            .goals
            .into_iter()
            .map(|g| GoalStatus {
                name: g.name,
                target: g.target,
                by: g.by,
                current: g.current,
                progress: g.progress,
                on_track: g.on_track,
                projected_value: g.projected_value,
                required_monthly_contribution: g.required_monthly_contribution,
            })
            .collect(),
    })
}

/// One holding of a proposed mix (the shape `optimize` returns weights in).
#[derive(Debug, Clone, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MixWeight {
    /// The symbol.
    pub symbol: String,
    /// Its share of the mix, in `[0, 1]`.
    pub weight: f64,
}

/// The concentration nudges a proposed mix would get (an optimiser's weights,
/// a what-if sketch): the same limits and wording as `analyzePortfolio`'s
/// concentration findings, with the shipped instrument table, so a tool
/// that proposes a mix says what the nudges would say about it.
///
/// # Errors
/// `InvalidArgument` for weights of the wrong shape; the SDK's
/// `InvalidSymbol` (its position as line) and `InvalidTarget` (a symbol
/// twice, a weight outside `[0, 1]`, weights summing past 1).
#[wasm_bindgen(js_name = mixConcentration, unchecked_return_type = "NudgeInfo[]")]
pub fn mix_concentration(
    #[wasm_bindgen(unchecked_param_type = "MixWeight[]")] weights: JsValue,
) -> Outcome<JsValue> {
    let weights: Vec<MixWeight> = read("weights", weights)?;
    let mix = weights
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            Symbol::new(&w.symbol)
                .map(|s| (s, w.weight))
                .map_err(|e| Failure::from(e).line(Some(i + 1)))
        })
        .collect::<Outcome<Vec<_>>>()?;
    let nudges = auravest_bias::mix_concentration(
        &mix,
        &InstrumentTable::shipped(),
        &Config::default().concentration,
    )
    .map_err(|e| Failure::from(e).field(Some("weights")))?;
    write(&nudges.into_iter().map(NudgeInfo::from).collect::<Vec<_>>())
}

/// The limits the concentration nudges use (the SDK's defaults, as the
/// server applies them), for a tool that sets caps to match them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ConcentrationLimits {
    /// A single holding above this share is flagged.
    pub single_holding: f64,
    /// From this share a holding is a "single point of failure".
    pub single_point_of_failure: f64,
    /// Holdings above this share are "large".
    pub large_holding: f64,
    /// Large holdings may add up to at most this share.
    pub large_holdings_total: f64,
    /// Fewer effective holdings than this is flagged.
    pub min_effective_holdings: f64,
    /// One sector above this share is flagged.
    pub sector: f64,
}

/// The limits of the concentration nudges.
#[wasm_bindgen(js_name = concentrationLimits, unchecked_return_type = "ConcentrationLimits")]
pub fn concentration_limits() -> Outcome<JsValue> {
    let c = Config::default().concentration;
    write(&ConcentrationLimits {
        single_holding: c.single_holding,
        single_point_of_failure: c.single_point_of_failure,
        large_holding: c.large_holding,
        large_holdings_total: c.large_holdings_total,
        min_effective_holdings: c.min_effective_holdings,
        sector: c.sector,
    })
}

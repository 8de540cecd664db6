//! The nudges with their evidence, goals, badges and the learning checklist.

use std::collections::BTreeSet;
use std::sync::Arc;

use auravest_bias::{AnalysisInput, Config, Goal, GoalText, Nudge, analyze, default_as_of};
use auravest_core::InstrumentTable;
use serde::Serialize;

use crate::errors::{AuraError, Outcome};
use crate::portfolio::{Portfolio, Valuation};
use crate::prices::{PriceTable, date};
use crate::risk::Profile;

/// A savings goal; `null` fields take the SDK's defaults.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GoalInput {
    /// Its name.
    pub name: String,
    /// Target amount (decimal text).
    pub target: String,
    /// ISO deadline; without one the goal is a target portfolio value.
    #[uniffi(default = None)]
    pub by: Option<String>,
    /// Monthly contribution (decimal text).
    #[uniffi(default = None)]
    pub monthly_contribution: Option<String>,
    /// Expected annual return.
    #[uniffi(default = None)]
    pub expected_return: Option<f64>,
}

/// The SDK's goal, read by `Goal::parse` (a bad field is its
/// `InvalidGoal`, naming the goal's position and the field).
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

/// What an analysis takes beyond the portfolio and its prices.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AnalysisOptions {
    /// ISO analysis date (the SDK's default: the prices' last date, capped
    /// by the portfolio's today).
    #[uniffi(default = None)]
    pub as_of: Option<String>,
    /// The investor's risk profile.
    #[uniffi(default = None)]
    pub profile: Option<Profile>,
    /// Savings goals.
    #[uniffi(default = [])]
    pub goals: Vec<GoalInput>,
    /// A price column to compare with (performance chasing).
    #[uniffi(default = None)]
    pub benchmark: Option<String>,
    /// ISO date of the investor's last visit.
    #[uniffi(default = None)]
    pub last_visit: Option<String>,
    /// Ids of the checklist lessons completed (`null`: not tracked).
    #[uniffi(default = None)]
    pub completed_lessons: Option<Vec<String>>,
    /// Posts the investor has made in the community.
    #[uniffi(default = 0)]
    pub community_posts: u32,
    /// An instrument mapping CSV laid over the shipped table.
    #[uniffi(default = None)]
    pub instruments_csv: Option<String>,
}

/// One piece of a nudge's evidence: its name and value (text; numbers in
/// their JSON form).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EvidenceItem {
    /// The name (`weight`, `threshold`, ...).
    pub key: String,
    /// The value.
    pub value: String,
}

/// A nudge: what a detector found, why it matters and what to consider.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
    /// The figures behind it.
    pub evidence: Vec<EvidenceItem>,
}

/// A goal's progress.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GoalStatus {
    /// Its name.
    pub name: String,
    /// `amount_by_date` or `portfolio_value`.
    pub kind: String,
    /// Target (decimal text).
    pub target: String,
    /// Current value (decimal text).
    pub current: String,
    /// Fraction reached.
    pub progress: f64,
    /// Whether it is on track.
    pub on_track: bool,
    /// Projected value at the deadline (decimal text).
    pub projected_value: Option<String>,
    /// Monthly contribution needed to reach it (decimal text).
    pub required_monthly_contribution: Option<String>,
}

/// A badge, earned or not.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BadgeInfo {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// How it is earned.
    pub rule: String,
    /// Whether it is earned.
    pub earned: bool,
}

/// A learning checklist item.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChecklistEntry {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The lesson.
    pub lesson: String,
    /// Whether it is done.
    pub done: bool,
}

/// The result of an analysis.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Analysis {
    /// The portfolio valued on the analysis date.
    pub valuation: Valuation,
    /// The nudges to show today (the findings after throttling).
    pub nudges: Vec<NudgeInfo>,
    /// Every finding, most severe first.
    pub findings: Vec<NudgeInfo>,
    /// Each goal's progress.
    pub goals: Vec<GoalStatus>,
    /// Every badge.
    pub badges: Vec<BadgeInfo>,
    /// The checklist.
    pub checklist: Vec<ChecklistEntry>,
}

/// A serde enum's name (`cash_drag`).
pub(crate) fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

fn nudge(n: Nudge) -> NudgeInfo {
    NudgeInfo {
        kind: n.kind.as_str().to_owned(),
        severity: n.severity.as_str().to_owned(),
        subject: n.subject,
        title: n.title,
        explanation: n.explanation,
        action: n.action,
        evidence: n
            .evidence
            .into_iter()
            .map(|(key, v)| EvidenceItem {
                key,
                value: match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                },
            })
            .collect(),
    }
}

/// Runs every detector and returns today's nudges, every finding, goal
/// progress, badges and the learning checklist.
#[uniffi::export]
pub fn analyze_portfolio(
    portfolio: Arc<Portfolio>,
    prices: Arc<PriceTable>,
    options: AnalysisOptions,
) -> Outcome<Analysis> {
    let ledger = portfolio.ledger();
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
    let shipped = InstrumentTable::shipped();
    let table = match options.instruments_csv {
        Some(text) => shipped.with_mapping_csv(text.as_bytes())?,
        None => shipped,
    };
    let input = AnalysisInput {
        last_visit,
        instruments: Some(&table),
        risk_profile: profile.as_ref(),
        goals: &goals,
        benchmark: options.benchmark.as_deref(),
        community_posts: options.community_posts,
        completed_lessons: lessons.as_ref(),
        ..AnalysisInput::new(
            &ledger,
            frame,
            as_of.unwrap_or_else(|| default_as_of(&ledger, frame)),
        )
    };
    let a = analyze(&input, &Config::default()).map_err(AuraError::from)?;
    Ok(Analysis {
        valuation: a.valuation.into(),
        nudges: a.nudges.into_iter().map(nudge).collect(),
        findings: a.findings.into_iter().map(nudge).collect(),
        goals: a
            .goals
            .into_iter()
            .map(|g| GoalStatus {
                kind: serde_name(&g.kind),
                name: g.name,
                target: g.target.to_string(),
                current: g.current.to_string(),
                progress: g.progress,
                on_track: g.on_track,
                projected_value: g.projected_value.map(|d| d.to_string()),
                required_monthly_contribution: g
                    .required_monthly_contribution
                    .map(|d| d.to_string()),
            })
            .collect(),
        badges: a
            .badges
            .into_iter()
            .map(|b| BadgeInfo {
                id: serde_name(&b.id),
                title: b.title.to_owned(),
                rule: b.rule.to_owned(),
                earned: b.earned,
            })
            .collect(),
        checklist: a
            .checklist
            .into_iter()
            .map(|c| ChecklistEntry {
                id: c.id.to_owned(),
                title: c.title.to_owned(),
                lesson: c.lesson.to_owned(),
                done: c.done,
            })
            .collect(),
    })
}

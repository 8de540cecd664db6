//! Everything at once: every detector, the throttled nudges, goals, badges
//! and the checklist for one portfolio on one day.

use std::collections::BTreeSet;

use auravest_core::{
    InstrumentTable, NaiveDate, Portfolio, PriceFrame, TransactionKind, Valuation,
};
use auravest_risk::RiskProfile;
use serde::Serialize;

use crate::badges::{Badge, BadgeFacts, award_badges};
use crate::checklist::{ChecklistItem, Experience, learning_checklist};
use crate::config::Config;
use crate::dates::add_days;
use crate::drift::TargetAllocation;
use crate::goals::{Goal, GoalProgress, evaluate_goals, set_goal};
use crate::nudge::{Nudge, NudgeKind, sort_by_severity};
use crate::panic::benchmark_column;
use crate::throttle::{ShownNudge, throttle};
use crate::{Error, Result};

/// Days before the analysis date that the last visit defaults to.
pub const DEFAULT_LAST_VISIT_DAYS: i64 = 30;

/// The default last visit: [`DEFAULT_LAST_VISIT_DAYS`] days before `as_of`.
pub fn default_last_visit(as_of: NaiveDate) -> NaiveDate {
    add_days(as_of, -DEFAULT_LAST_VISIT_DAYS)
}

/// The analysis date when the caller names none: the last date of the
/// prices, or the portfolio's today when there are none (the same date
/// [`Portfolio::valuation_latest`] values at).
pub fn default_as_of(portfolio: &Portfolio, prices: &PriceFrame) -> NaiveDate {
    prices.dates().last().copied().unwrap_or(portfolio.today())
}

/// The inputs of [`analyze`]. Build one with [`AnalysisInput::new`] and set
/// the optional fields with struct update syntax.
#[derive(Debug, Clone, Copy)]
pub struct AnalysisInput<'a> {
    /// The portfolio and its transaction log.
    pub portfolio: &'a Portfolio,
    /// Daily closes of the holdings (and of the benchmark, FX rates).
    pub prices: &'a PriceFrame,
    /// The analysis date, which is also "today" for goals and throttling.
    pub as_of: NaiveDate,
    /// The investor's last visit; defaults to [`default_last_visit`].
    pub last_visit: Option<NaiveDate>,
    /// Asset classes, sectors and countries; defaults to the shipped table.
    pub instruments: Option<&'a InstrumentTable>,
    /// The scored risk questionnaire.
    pub risk_profile: Option<&'a RiskProfile>,
    /// The target mix; defaults to the risk profile's model allocation.
    pub target: Option<&'a TargetAllocation>,
    /// The investor's goals.
    pub goals: &'a [Goal],
    /// A column of `prices` that stands for the market.
    pub benchmark: Option<&'a str>,
    /// Daily volumes shaped like `prices`, for attention buying.
    pub volumes: Option<&'a PriceFrame>,
    /// Nudges shown before, for throttling.
    pub history: &'a [ShownNudge],
    /// Posts the investor has made in the community.
    pub community_posts: u32,
    /// Ids of the checklist items the investor has completed.
    pub completed_lessons: Option<&'a BTreeSet<String>>,
}

impl<'a> AnalysisInput<'a> {
    /// The required inputs; every optional one empty.
    pub fn new(portfolio: &'a Portfolio, prices: &'a PriceFrame, as_of: NaiveDate) -> Self {
        Self {
            portfolio,
            prices,
            as_of,
            last_visit: None,
            instruments: None,
            risk_profile: None,
            target: None,
            goals: &[],
            benchmark: None,
            volumes: None,
            history: &[],
            community_posts: 0,
            completed_lessons: None,
        }
    }
}

/// The result of [`analyze`].
///
/// JSON: `{"valuation", "nudges", "findings", "goals", "badges", "checklist"}`,
/// where `valuation` is `auravest_core::Valuation` as `auravest portfolio
/// show --format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The portfolio valued on the analysis date.
    pub valuation: Valuation,
    /// The nudges to show today: [`Analysis::findings`] after throttling.
    pub nudges: Vec<Nudge>,
    /// Every finding of every detector, most severe first.
    pub findings: Vec<Nudge>,
    /// Progress of each goal, in input order.
    pub goals: Vec<GoalProgress>,
    /// Every badge, earned or not.
    pub badges: Vec<Badge>,
    /// The five checklist items for the investor's experience.
    pub checklist: Vec<ChecklistItem>,
}

/// Runs every detector, throttles the findings into today's nudges, and
/// computes goals, badges and the checklist.
///
/// Detectors run in the order of [`NudgeKind::ALL`]; allocation drift and the
/// cash target use [`AnalysisInput::target`], else the risk profile's model
/// allocation, and are skipped (drift) or use no cash target (cash drag)
/// without either.
///
/// # Errors
/// [`Error::InvalidThreshold`] / [`Error::InvalidSetting`] for a bad
/// `config`; goal errors with their position; [`Error::LastVisitAfterAsOf`];
/// [`Error::UnknownBenchmark`]; [`Error::Core`] when the portfolio cannot be
/// valued (a held symbol or currency without a price on a date a detector
/// needs).
pub fn analyze(input: &AnalysisInput<'_>, config: &Config) -> Result<Analysis> {
    config.validate()?;
    let as_of = input.as_of;
    let last_visit = input
        .last_visit
        .unwrap_or_else(|| default_last_visit(as_of));
    if last_visit > as_of {
        return Err(Error::LastVisitAfterAsOf { last_visit, as_of });
    }
    benchmark_column(input.prices, input.benchmark)?;
    let shipped;
    let instruments = match input.instruments {
        Some(t) => t,
        None => {
            shipped = InstrumentTable::shipped();
            &shipped
        }
    };
    let valuation = input.portfolio.valuation(input.prices, as_of)?;
    let goals = evaluate_goals(input.goals, valuation.value, as_of, &config.goals)?;
    let profile_target = input.risk_profile.map(TargetAllocation::from);
    let target = input.target.or(profile_target.as_ref());
    let (portfolio, prices) = (input.portfolio, input.prices);

    let concentration = crate::concentration(&valuation, instruments, &config.concentration)?;
    let mut findings = concentration.clone();
    findings.extend(crate::panic_selling(
        portfolio,
        prices,
        input.benchmark,
        as_of,
        &config.panic,
    )?);
    findings.extend(crate::disposition_effect(
        portfolio,
        prices,
        as_of,
        &config.disposition,
    )?);
    findings.extend(crate::overtrading(
        portfolio,
        prices,
        as_of,
        &config.overtrading,
    )?);
    findings.extend(crate::performance_chasing(
        portfolio,
        prices,
        input.volumes,
        as_of,
        &config.chasing,
    )?);
    findings.extend(crate::home_bias(
        &valuation,
        instruments,
        &config.home_bias,
    )?);
    findings.extend(crate::cash_drag(&valuation, target, &config.cash)?);
    if let Some(t) = target {
        findings.extend(crate::allocation_drift(
            &valuation,
            instruments,
            t,
            &config.drift,
        )?);
    }
    findings.extend(crate::drawdown_checkin(
        portfolio,
        prices,
        last_visit,
        as_of,
        &config.drawdown,
    )?);
    findings.extend(set_goal(input.goals));
    sort_by_severity(&mut findings);
    let nudges = throttle(findings.clone(), input.history, as_of, &config.throttle)?;

    let log = portfolio.transactions().iter().filter(|t| t.date <= as_of);
    let first = portfolio
        .transactions()
        .first()
        .map(|t| t.date)
        .filter(|d| *d <= as_of);
    let empty = BTreeSet::new();
    let completed = input.completed_lessons.unwrap_or(&empty);
    let experience = Experience::assess(input.risk_profile, first, as_of);
    let checklist = learning_checklist(experience, completed);
    let facts = BadgeFacts {
        has_purchase: log
            .clone()
            .any(|t| matches!(t.kind, TransactionKind::Buy { .. })),
        risk_profile: input.risk_profile.is_some(),
        diversified: !valuation.positions.is_empty()
            && !concentration.iter().any(|n| {
                n.kind == NudgeKind::Concentration && n.subject.as_deref() != Some("unclassified")
            }),
        community_posts: input.community_posts,
        held_through_drawdown: crate::held_through_drawdown(
            portfolio,
            prices,
            as_of,
            &config.drawdown,
        )?,
        checklist_finished: checklist.iter().all(|i| i.done),
    };
    Ok(Analysis {
        valuation,
        nudges,
        findings,
        goals,
        badges: award_badges(&facts),
        checklist,
    })
}

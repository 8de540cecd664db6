//! # auravest-bias
//!
//! Behavioural nudges for AuraVest: pure detectors that turn a portfolio, its
//! transaction log and prices into findings that teach, an advice guard for
//! suggestions made elsewhere, throttling, goals, badges and a learning
//! checklist. No I/O and no clock: dates are parameters.
//!
//! Every detector returns [`Nudge`]s: a [`NudgeKind`], a [`Severity`], a
//! subject, a short title, an explanation of the concept behind it, a
//! suggested action, and the evidence (the numbers that triggered it and the
//! thresholds they were held against) as a JSON object.
//!
//! # Quickstart
//!
//! ```
//! use auravest_bias::{AnalysisInput, Config, NudgeKind, Severity, analyze};
//! use auravest_core::{io, Currency, Portfolio, PriceFrame};
//!
//! let log = "date,type,symbol,quantity,price,fee,currency\n\
//!            2024-01-02,buy,AAPL,60,100,0,USD\n\
//!            2024-01-02,buy,MSFT,10,100,0,USD\n";
//! let prices = PriceFrame::from_csv(
//!     "date,AAPL,MSFT\n2024-01-02,100,100\n2024-01-03,101,99\n".as_bytes(),
//! )?;
//! let today = "2024-01-03".parse().unwrap();
//! let mut portfolio = Portfolio::new(Currency::USD, today);
//! portfolio.import(io::read_transactions_csv(log.as_bytes())?, false)?;
//!
//! let as_of = "2024-01-03".parse().unwrap();
//! let analysis = analyze(&AnalysisInput::new(&portfolio, &prices, as_of), &Config::default())?;
//!
//! // AAPL is 86% of the portfolio: a single point of failure, shown first.
//! let top = &analysis.nudges[0];
//! assert_eq!((top.kind, top.severity), (NudgeKind::Concentration, Severity::Critical));
//! assert_eq!(top.subject.as_deref(), Some("AAPL"));
//! assert!(top.title.starts_with("Single point of failure"));
//! assert!(top.evidence["weight"].as_f64().unwrap() > 0.85);
//! // At most three nudges a day; every finding stays in `findings`.
//! assert!(analysis.nudges.len() <= 3);
//! assert!(analysis.findings.iter().any(|n| n.kind == NudgeKind::SetGoal));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Detectors and default thresholds
//!
//! Defaults live in [`Config`]; those marked *(ours)* are suggestions to tune
//! with users, the others come from the named rule or paper.
//!
//! | kind | detector | fires when (defaults) | source |
//! |---|---|---|---|
//! | `concentration` | [`concentration()`] | a holding > 10%, "single point of failure" ≥ 50%; holdings > 5% summing past 40%; effective number of holdings `1/Σwᵢ²` < 10; a sector > 30%; commodities and crypto > 10% | UCITS 5/10/40; HHI; the rest *(ours)* |
//! | `panic_selling` | [`panic_selling()`] | selling ≥ 30% of a position within 5 trading days after it, or the benchmark, closed ≥ 10% below its 20-day high | *(ours)*, after Elkind, Kaminski, Lo, Siah & Wong (2022) |
//! | `disposition_effect` | [`disposition_effect()`] | PGR − PLR > 0.05 over ≥ 10 sale days | Odean (1998); trigger *(ours)* |
//! | `overtrading` | [`overtrading()`] | annualised turnover > 100% (critical ≥ 300%), with the cost drag of fees plus 0.1% spread | Barber & Odean (2000); trigger *(ours)* |
//! | `performance_chasing` | [`performance_chasing()`] | a buy after a ≥ 25% rise over 60 trading days; or on a top-decile one-day move (≥ 3%) or on ≥ 2× average volume | Barber & Odean (2008); run-up *(ours)* |
//! | `home_bias` | [`home_bias()`] | `HB = 1 − f_p/f_w` > 0.5, with the US at 60% of world equity value | French & Poterba (1991); trigger *(ours)* |
//! | `cash_drag` | [`cash_drag()`] | cash > the target's cash share + 10 points | *(ours)* |
//! | `allocation_drift` | [`allocation_drift()`] | a bucket (stocks, bonds, cash, other) more than 5 points from the risk profile's split (critical ≥ 15) | *(ours)* |
//! | `drawdown_checkin` | [`drawdown_checkin()`] | a time-weighted fall ≥ 10% since the last visit (critical ≥ 20%) | *(ours)* |
//! | `set_goal` | [`set_goal()`] | no goal is set | |
//!
//! Sector, asset-class and home-bias checks use `auravest_core`'s instrument
//! table and say so (in the evidence, or with an info nudge whose subject is
//! `"unclassified"`) when holdings are unclassified; nothing is guessed.
//!
//! # Around the detectors
//!
//! - [`guard()`] annotates a [`Suggestion`] (a ticker or a trade) with its
//!   [`Conflict`]s against the holdings and the risk profile: "The suggestion
//!   adds AAPL, but you already hold 45% in Technology."
//! - [`throttle()`] shows at most 3 nudges a day, the most severe first, and
//!   never repeats a kind and subject within 7 days, given the
//!   [`ShownNudge`] history.
//! - [`Goal`]s (an amount by a date, or a portfolio value) report progress
//!   and an on-track projection ([`Goal::progress`], [`evaluate_goals`]).
//! - [`award_badges`] applies the rules of [`BadgeId::rule`].
//! - [`learning_checklist`] picks five concepts by [`Experience`].
//! - [`analyze()`] runs all of it for one portfolio and day.
//!
//! # Errors
//!
//! One [`Error`] enum: thresholds out of range, goals with a non-positive
//! target or a past date, unknown symbols in the advice guard, an unknown
//! benchmark column, and wrapped `auravest_core` errors.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod analysis;
mod badges;
mod cash;
mod chasing;
mod checklist;
mod classify;
mod concentration;
pub mod config;
mod dates;
mod disposition;
mod drawdown;
mod drift;
mod error;
mod goals;
mod guard;
mod home_bias;
mod market;
mod nudge;
mod overtrading;
mod panic;
mod throttle;

pub use analysis::{
    Analysis, AnalysisInput, DEFAULT_LAST_VISIT_DAYS, analyze, default_as_of, default_last_visit,
};
pub use badges::{Badge, BadgeFacts, BadgeId, award_badges};
pub use cash::cash_drag;
pub use chasing::performance_chasing;
pub use checklist::{
    ChecklistItem, EXPERIENCED_MIN_HISTORY_DAYS, EXPERIENCED_MIN_SCORE, Experience,
    is_checklist_item, learning_checklist,
};
pub use classify::is_fund as is_diversified_fund;
pub use concentration::{concentration, mix_concentration};
pub use config::Config;
pub use disposition::{DispositionCounts, disposition_counts, disposition_effect};
pub use drawdown::{HeldDrawdown, drawdown_checkin, held_through_drawdown};
pub use drift::{ClassWeights, TargetAllocation, allocation_drift};
pub use error::{Error, Result};
pub use goals::{
    GOAL_RETURN_RANGE, Goal, GoalKind, GoalProgress, GoalText, MAX_GOAL_NAME_CHARS,
    MAX_PROJECTION_MONTHS, evaluate_goals, set_goal,
};
pub use guard::{Conflict, ConflictKind, GuardInput, Side, Suggestion, guard};
pub use home_bias::{EquityShare, equity_foreign_share, home_bias, min_foreign_share};
pub use nudge::{Evidence, Nudge, NudgeKind, Severity};
pub use overtrading::{Turnover, overtrading, turnover};
pub use panic::panic_selling;
pub use throttle::{ShownNudge, throttle};

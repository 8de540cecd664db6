//! `auravest optimize` and `auravest frontier`: portfolio optimisation from a
//! prices file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use auravest_optimize::expected_returns::ExpectedReturnsMethod;
use auravest_optimize::risk_models::Estimator;
use auravest_optimize::{
    CovarianceMatrix, Error as OptError, ExpectedReturns, MeanVariance, MissingData, Performance,
    ReturnMatrix, TailMeasure, Weights, min_tail_risk, portfolio_performance, risk_parity,
};
use clap::{Args, ValueEnum};

use crate::error::CliError;
use crate::table::{pct, ratio, render};
use crate::{Format, input, print_json};

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Objective {
    MaxSharpe,
    MinVolatility,
    EfficientRisk,
    EfficientReturn,
    MaxUtility,
    Hrp,
    RiskParity,
    InverseVolatility,
    EqualWeight,
    MinCvar,
    MinCdar,
}

/// Estimation options shared by `optimize` and `frontier`.
#[derive(Debug, Args)]
pub(crate) struct EstimationArgs {
    /// Prices CSV (`date,<SYMBOL>,...`); empty cells are missing prices.
    #[arg(long, value_name = "FILE.csv")]
    prices: PathBuf,
    /// Expected-returns model: mean (geometric), mean-arithmetic, ema, capm.
    #[arg(long, value_name = "MODEL", default_value = "mean")]
    returns: String,
    /// Risk model: sample, semicovariance, exp-cov, ledoit-wolf, ledoit-wolf-single-factor, ledoit-wolf-constant-correlation, oas.
    #[arg(long, value_name = "MODEL", default_value = "sample")]
    risk_model: String,
    /// Annual risk-free rate for Sharpe ratios (and CAPM).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.02,
        allow_negative_numbers = true
    )]
    risk_free_rate: f64,
    /// Weight bounds per asset as LOW,HIGH (use --bounds=-1,1 for shorts).
    #[arg(
        long,
        value_name = "LOW,HIGH",
        default_value = "0,1",
        allow_hyphen_values = true
    )]
    bounds: String,
    /// Reproduce PyPortfolioOpt exactly, including its zero-filled missing returns in shrinkage estimators.
    #[arg(long, value_name = "PEER")]
    compat: Option<Compat>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Compatibility modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Compat {
    /// PyPortfolioOpt 1.6.
    Pypfopt,
}

#[derive(Debug, Args)]
pub(crate) struct OptimizeArgs {
    #[command(flatten)]
    est: EstimationArgs,
    /// The objective.
    #[arg(long, value_enum)]
    objective: Objective,
    /// Target annual volatility (efficient-risk).
    #[arg(long, value_name = "X")]
    target_volatility: Option<f64>,
    /// Target annual return (efficient-return, min-cvar, min-cdar).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    target_return: Option<f64>,
    /// Risk aversion δ (max-utility).
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    risk_aversion: f64,
    /// Hold at most K assets (mean-variance objectives).
    #[arg(long, value_name = "K")]
    max_holdings: Option<usize>,
    /// Drop weights below 1e-4 and round to 5 decimals.
    #[arg(long)]
    clean: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FrontierArgs {
    #[command(flatten)]
    est: EstimationArgs,
    /// Number of frontier points.
    #[arg(long, value_name = "N", default_value_t = 20)]
    points: usize,
    /// Also write the frontier as an SVG chart.
    #[arg(long, value_name = "OUT.svg")]
    svg: Option<PathBuf>,
}

/// Maps an optimisation error to exit codes: too little data is 3, the rest 1.
pub(crate) fn opt_error(file: &str, e: OptError) -> CliError {
    match e {
        OptError::Core(c) => CliError::from_core(file, c),
        OptError::InsufficientHistory { .. } | OptError::TooFewObservations { .. } => {
            CliError::Unavailable(format!("{file}: {e}"))
        }
        OptError::TargetReturnUnreachable { .. } => {
            CliError::invalid(format!("--target-return: {e}"))
        }
        OptError::TargetVolatilityUnreachable { .. } => {
            CliError::invalid(format!("--target-volatility: {e}"))
        }
        OptError::NoReturnAboveRiskFree { .. } => {
            CliError::invalid(format!("--risk-free-rate: {e}"))
        }
        OptError::InfeasibleBounds { .. } => CliError::invalid(format!("--bounds: {e}")),
        other => CliError::invalid(format!("{file}: {other}")),
    }
}

/// Estimates loaded from a prices file.
pub(crate) struct Estimates {
    pub(crate) file: String,
    pub(crate) returns: ReturnMatrix,
    pub(crate) mu: ExpectedReturns,
    pub(crate) cov: CovarianceMatrix,
    pub(crate) sample: CovarianceMatrix,
    pub(crate) policy: MissingData,
    pub(crate) bounds: (f64, f64),
}

fn parse_bounds(text: &str) -> Result<(f64, f64), CliError> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let bad = || {
        CliError::invalid(format!(
            "--bounds: expected LOW,HIGH such as 0,1 or -1,1, got {text:?}"
        ))
    };
    let [lo, hi] = parts.as_slice() else {
        return Err(bad());
    };
    let (lo, hi) = (
        lo.parse::<f64>().map_err(|_| bad())?,
        hi.parse::<f64>().map_err(|_| bad())?,
    );
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return Err(CliError::invalid(format!(
            "--bounds: LOW must not exceed HIGH and both must be finite, got {text:?}"
        )));
    }
    Ok((lo, hi))
}

pub(crate) fn estimate(a: &EstimationArgs) -> Result<Estimates, CliError> {
    if !a.risk_free_rate.is_finite() {
        return Err(CliError::invalid(
            "--risk-free-rate: must be a finite number",
        ));
    }
    let bounds = parse_bounds(&a.bounds)?;
    let method: ExpectedReturnsMethod = a
        .returns
        .parse()
        .map_err(|e: OptError| CliError::invalid(format!("--returns: {e}")))?;
    let model: Estimator = a
        .risk_model
        .parse()
        .map_err(|e: OptError| CliError::invalid(format!("--risk-model: {e}")))?;
    let policy = match a.compat {
        Some(Compat::Pypfopt) => MissingData::PyPortfolioOpt,
        None => MissingData::Pairwise,
    };
    let frame = input::prices(&a.prices)?;
    let file = a.prices.display().to_string();
    let returns = ReturnMatrix::from_prices(&frame).map_err(|e| opt_error(&file, e))?;
    // PyPortfolioOpt's CAPM uses a zero risk-free rate whatever the Sharpe rate is.
    let capm_rf = if policy == MissingData::PyPortfolioOpt {
        0.0
    } else {
        a.risk_free_rate
    };
    let mu = method
        .estimate(&returns, None, capm_rf)
        .map_err(|e| opt_error(&file, e))?;
    let cov = model
        .estimate(&returns, policy)
        .map_err(|e| opt_error(&file, e))?;
    let sample = if model == Estimator::Sample {
        cov.clone()
    } else {
        Estimator::Sample
            .estimate(&returns, policy)
            .map_err(|e| opt_error(&file, e))?
    };
    Ok(Estimates {
        file,
        returns,
        mu,
        cov,
        sample,
        policy,
        bounds,
    })
}

fn require(v: Option<f64>, flag: &str, objective: &str) -> Result<f64, CliError> {
    v.ok_or_else(|| CliError::invalid(format!("{flag}: required with --objective {objective}")))
}

pub(crate) fn run_optimize(a: &OptimizeArgs) -> Result<String, CliError> {
    let e = estimate(&a.est)?;
    let rf = a.est.risk_free_rate;
    let f = e.file.as_str();
    let err = |x| opt_error(f, x);
    let mv = || -> Result<MeanVariance, CliError> {
        let mut mv = MeanVariance::new(e.mu.clone(), e.cov.clone())
            .map_err(err)?
            .bounds(e.bounds.0, e.bounds.1)
            .map_err(err)?;
        if let Some(k) = a.max_holdings {
            mv = mv
                .max_holdings(k)
                .map_err(|x| CliError::invalid(format!("--max-holdings: {x}")))?;
        }
        Ok(mv)
    };
    let mut extra: BTreeMap<&str, f64> = BTreeMap::new();
    let (weights, perf): (Weights, Performance) = match a.objective {
        Objective::MaxSharpe => split(mv()?.max_sharpe(rf).map_err(err)?),
        Objective::MinVolatility => split(mv()?.min_volatility(rf).map_err(err)?),
        Objective::EfficientRisk => {
            let t = require(a.target_volatility, "--target-volatility", "efficient-risk")?;
            split(mv()?.efficient_risk(t, rf).map_err(err)?)
        }
        Objective::EfficientReturn => {
            let t = require(a.target_return, "--target-return", "efficient-return")?;
            split(mv()?.efficient_return(t, rf).map_err(err)?)
        }
        Objective::MaxUtility => split(mv()?.max_quadratic_utility(a.risk_aversion, rf).map_err(
            |x| match x {
                OptError::InvalidParameter { .. } => {
                    CliError::invalid(format!("--risk-aversion: {x}"))
                }
                other => err(other),
            },
        )?),
        Objective::RiskParity => {
            let w = risk_parity(&e.cov).map_err(err)?;
            let p = portfolio_performance(&w, &e.mu, &e.sample, rf).map_err(err)?;
            (w, p)
        }
        Objective::Hrp | Objective::InverseVolatility | Objective::EqualWeight => {
            crate::commands::optimize_more::heuristic(a.objective, &e, rf)?
        }
        Objective::MinCvar | Objective::MinCdar => {
            let measure = if a.objective == Objective::MinCvar {
                TailMeasure::Cvar
            } else {
                TailMeasure::Cdar
            };
            let s = min_tail_risk(measure, &e.returns, &e.mu, 0.95, e.bounds, a.target_return)
                .map_err(err)?;
            extra.insert(
                if measure == TailMeasure::Cvar {
                    "cvar"
                } else {
                    "cdar"
                },
                s.risk,
            );
            let p = portfolio_performance(&s.weights, &e.mu, &e.sample, rf).map_err(err)?;
            (s.weights, p)
        }
    };
    let weights = if a.clean {
        weights.cleaned(1e-4, 5)
    } else {
        weights
    };
    if a.est.format == Format::Json {
        let mut v = serde_json::json!({
            "weights": weights.to_map(),
            "expected_return": perf.expected_return,
            "volatility": perf.volatility,
            "sharpe": perf.sharpe,
        });
        for (k, x) in extra {
            v[k] = serde_json::json!(x);
        }
        return print_json(&v);
    }
    let mut rows: Vec<Vec<String>> = weights
        .to_map()
        .into_iter()
        .filter(|(_, w)| w.abs() >= 1e-6)
        .map(|(t, w)| vec![t, pct(w)])
        .collect();
    rows.sort_by(|x, y| y[1].len().cmp(&x[1].len()).then(y[1].cmp(&x[1])));
    let mut out = render(&["ticker", "weight"], &rows);
    out.push_str(&format!(
        "\nexpected return {}\nvolatility      {}\nSharpe          {}\n",
        pct(perf.expected_return),
        pct(perf.volatility),
        ratio(perf.sharpe)
    ));
    for (k, x) in extra {
        out.push_str(&format!("{k:<15} {}\n", pct(x)));
    }
    Ok(out)
}

fn split(s: auravest_optimize::Solution) -> (Weights, Performance) {
    (s.weights, s.performance)
}

pub(crate) fn run_frontier(a: &FrontierArgs) -> Result<String, CliError> {
    let e = estimate(&a.est)?;
    let rf = a.est.risk_free_rate;
    let f = e.file.as_str();
    let mv = MeanVariance::new(e.mu.clone(), e.cov.clone())
        .and_then(|m| m.bounds(e.bounds.0, e.bounds.1))
        .map_err(|x| opt_error(f, x))?;
    let points = mv.frontier(a.points, rf).map_err(|x| match x {
        OptError::InvalidParameter { .. } => CliError::invalid(format!("--points: {x}")),
        other => opt_error(f, other),
    })?;
    if let Some(path) = &a.svg {
        let xy: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (p.performance.volatility, p.performance.expected_return))
            .collect();
        std::fs::write(path, crate::svg::frontier_chart(&xy))
            .map_err(|err| CliError::invalid(format!("{}: cannot write: {err}", path.display())))?;
    }
    if a.est.format == Format::Json {
        let pts: Vec<_> = points
            .iter()
            .map(|p| {
                serde_json::json!({
                    "expected_return": p.performance.expected_return,
                    "volatility": p.performance.volatility,
                    "sharpe": p.performance.sharpe,
                    "weights": p.weights.to_map(),
                })
            })
            .collect();
        return print_json(&serde_json::json!({ "points": pts }));
    }
    let rows: Vec<Vec<String>> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                (i + 1).to_string(),
                pct(p.performance.expected_return),
                pct(p.performance.volatility),
                ratio(p.performance.sharpe),
            ]
        })
        .collect();
    Ok(render(&["point", "return", "volatility", "Sharpe"], &rows))
}

//! `auravest optimize` and `auravest frontier`: portfolio optimisation from a
//! prices file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use auravest_core::Symbol;
use auravest_optimize::request::{
    Clean, Compat as SdkCompat, Objective as SdkObjective, OptimizeRequest,
};
use auravest_optimize::{Error as OptError, TailMeasure};
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
        OptError::InvalidParameter {
            name: name @ ("risk_free_rate" | "bounds" | "risk_aversion" | "max_holdings" | "points"),
            reason,
        } => CliError::invalid(format!("--{}: {reason}", name.replace('_', "-"))),
        other => CliError::invalid(format!("{file}: {other}")),
    }
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
    Ok((
        lo.parse::<f64>().map_err(|_| bad())?,
        hi.parse::<f64>().map_err(|_| bad())?,
    ))
}

/// The SDK request the estimation flags describe.
fn request(a: &EstimationArgs, objective: SdkObjective) -> Result<OptimizeRequest, CliError> {
    Ok(OptimizeRequest {
        returns: a
            .returns
            .parse()
            .map_err(|e: OptError| CliError::invalid(format!("--returns: {e}")))?,
        risk_model: a
            .risk_model
            .parse()
            .map_err(|e: OptError| CliError::invalid(format!("--risk-model: {e}")))?,
        risk_free_rate: a.risk_free_rate,
        bounds: parse_bounds(&a.bounds)?,
        compat: match a.compat {
            Some(Compat::Pypfopt) => SdkCompat::PyPortfolioOpt,
            None => SdkCompat::Native,
        },
        ..OptimizeRequest::new(objective)
    })
}

fn require(v: Option<f64>, flag: &str, objective: &str) -> Result<f64, CliError> {
    v.ok_or_else(|| CliError::invalid(format!("{flag}: required with --objective {objective}")))
}

/// The SDK objective the flags describe.
fn objective(a: &OptimizeArgs) -> Result<SdkObjective, CliError> {
    Ok(match a.objective {
        Objective::MaxSharpe => SdkObjective::MaxSharpe,
        Objective::MinVolatility => SdkObjective::MinVolatility,
        Objective::EfficientRisk => SdkObjective::EfficientRisk {
            target_volatility: require(
                a.target_volatility,
                "--target-volatility",
                "efficient-risk",
            )?,
        },
        Objective::EfficientReturn => SdkObjective::EfficientReturn {
            target_return: require(a.target_return, "--target-return", "efficient-return")?,
        },
        Objective::MaxUtility => SdkObjective::MaxUtility {
            risk_aversion: a.risk_aversion,
        },
        Objective::Hrp => SdkObjective::Hrp,
        Objective::RiskParity => SdkObjective::RiskParity,
        Objective::InverseVolatility => SdkObjective::InverseVolatility,
        Objective::EqualWeight => SdkObjective::EqualWeight,
        Objective::MinCvar => SdkObjective::MinCvar {
            target_return: a.target_return,
        },
        Objective::MinCdar => SdkObjective::MinCdar {
            target_return: a.target_return,
        },
    })
}

/// `optimize --format json`.
#[derive(serde::Serialize)]
struct OptimizeJson {
    weights: BTreeMap<Symbol, f64>,
    expected_return: f64,
    volatility: f64,
    sharpe: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cvar: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cdar: Option<f64>,
}

pub(crate) fn run_optimize(a: &OptimizeArgs) -> Result<String, CliError> {
    let req = OptimizeRequest {
        max_holdings: a.max_holdings,
        clean: a.clean.then(Clean::default),
        ..request(&a.est, objective(a)?)?
    };
    let prices = input::prices(&a.est.prices)?;
    let file = a.est.prices.display().to_string();
    let out = req.solve(&prices).map_err(|e| opt_error(&file, e))?;
    let tail = |m: TailMeasure| {
        out.tail_risk
            .and_then(|(measure, x)| (measure == m).then_some(x))
    };
    let (cvar, cdar) = (tail(TailMeasure::Cvar), tail(TailMeasure::Cdar));
    let perf = out.performance;
    if a.est.format == Format::Json {
        return print_json(&OptimizeJson {
            weights: out.weights.to_map(),
            expected_return: perf.expected_return,
            volatility: perf.volatility,
            sharpe: perf.sharpe,
            cvar,
            cdar,
        });
    }
    let mut rows: Vec<Vec<String>> = out
        .weights
        .to_map()
        .into_iter()
        .filter(|(_, w)| w.abs() >= 1e-6)
        .map(|(t, w)| vec![t.to_string(), pct(w)])
        .collect();
    rows.sort_by(|x, y| y[1].len().cmp(&x[1].len()).then(y[1].cmp(&x[1])));
    let mut out = render(&["ticker", "weight"], &rows);
    out.push_str(&format!(
        "\nexpected return {}\nvolatility      {}\nSharpe          {}\n",
        pct(perf.expected_return),
        pct(perf.volatility),
        ratio(perf.sharpe)
    ));
    for (k, x) in [("cvar", cvar), ("cdar", cdar)] {
        if let Some(x) = x {
            out.push_str(&format!("{k:<15} {}\n", pct(x)));
        }
    }
    Ok(out)
}

pub(crate) fn run_frontier(a: &FrontierArgs) -> Result<String, CliError> {
    let req = request(&a.est, SdkObjective::MinVolatility)?;
    let prices = input::prices(&a.est.prices)?;
    let f = a.est.prices.display().to_string();
    let points = req.frontier(&prices, a.points).map_err(|x| match x {
        OptError::InvalidParameter { name: "points", .. } => {
            CliError::invalid(format!("--points: {x}"))
        }
        other => opt_error(&f, other),
    })?;
    if let Some(path) = &a.svg {
        let xy: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (p.performance.volatility, p.performance.expected_return))
            .collect();
        std::fs::write(path, crate::svg::frontier_chart(&xy))
            .map_err(|err| CliError::invalid(format!("{}: cannot write: {err}", path.display())))?;
        // Said on stderr, so the table or JSON on stdout stays clean.
        eprintln!(
            "wrote the frontier chart ({} points) to {}",
            points.len(),
            path.display()
        );
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

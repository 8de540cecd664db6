//! `auravest stats`: performance statistics of one price series.

use std::path::PathBuf;

use auravest_core::{PerformanceStats, StatsOptions};
use clap::Args;

use crate::error::CliError;
use crate::table::{pct, ratio, render};
use crate::{Format, input, print_json};

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Prices CSV (`date,<SYMBOL>,...`).
    #[arg(long, value_name = "FILE.csv")]
    prices: PathBuf,
    /// Column to analyse; required when the file has more than one.
    #[arg(long, value_name = "NAME")]
    column: Option<String>,
    /// Benchmark prices CSV, aligned on the dates both files share.
    #[arg(long, value_name = "FILE.csv")]
    benchmark: Option<PathBuf>,
    /// Benchmark column; required when the benchmark file has more than one.
    #[arg(long, value_name = "NAME", requires = "benchmark")]
    benchmark_column: Option<String>,
    /// Annual risk-free rate as a fraction (0.02 = 2%), applied daily as R/252.
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    risk_free_rate: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub(crate) fn run(args: &StatsArgs) -> Result<String, CliError> {
    if !args.risk_free_rate.is_finite() {
        return Err(CliError::invalid(
            "--risk-free-rate: must be a finite number",
        ));
    }
    let frame = input::prices(&args.prices)?;
    let column = input::pick_column(&frame, args.column.as_deref(), &args.prices, "--column")?;
    let file = args.prices.display().to_string();
    let mut series = frame
        .series(&column)
        .map_err(|e| CliError::from_core(&file, e))?;
    let mut bench_series = None;
    if let Some(path) = &args.benchmark {
        let bframe = input::prices(path)?;
        let bcol = input::pick_column(
            &bframe,
            args.benchmark_column.as_deref(),
            path,
            "--benchmark-column",
        )?;
        let b = bframe
            .series(&bcol)
            .map_err(|e| CliError::from_core(&path.display().to_string(), e))?;
        let (s, b) = series.align(&b);
        series = s;
        bench_series = Some(b);
    }
    let returns = series.returns();
    let bench_returns = bench_series
        .as_ref()
        .map(auravest_core::PriceSeries::returns);
    let stats = PerformanceStats::compute(
        &returns,
        StatsOptions {
            risk_free_rate: args.risk_free_rate,
            benchmark: bench_returns.as_ref(),
        },
    )
    .map_err(|e| CliError::from_core(&file, e))?;
    if args.format == Format::Json {
        let mut v = serde_json::to_value(&stats).map_err(|e| CliError::Internal(e.to_string()))?;
        if bench_returns.is_some() {
            v["beta"] = serde_json::json!(stats.beta);
            v["alpha"] = serde_json::json!(stats.alpha);
        }
        return print_json(&v);
    }
    let date = |d: Option<auravest_core::NaiveDate>| {
        d.map_or_else(|| "not recovered".to_owned(), |d| d.to_string())
    };
    let mut rows = vec![
        vec!["series".to_owned(), column],
        vec![
            "period".to_owned(),
            format!(
                "{} .. {}",
                series.dates()[0],
                series.dates()[series.len() - 1]
            ),
        ],
        vec!["returns".to_owned(), returns.len().to_string()],
        vec!["total return".to_owned(), pct(stats.total_return)],
        vec!["CAGR".to_owned(), pct(stats.cagr)],
        vec!["volatility".to_owned(), pct(stats.volatility)],
        vec!["Sharpe".to_owned(), ratio(stats.sharpe)],
        vec!["Sortino".to_owned(), ratio(stats.sortino)],
        vec!["max drawdown".to_owned(), pct(stats.max_drawdown)],
        vec!["  peak".to_owned(), stats.max_drawdown_peak.to_string()],
        vec!["  trough".to_owned(), stats.max_drawdown_trough.to_string()],
        vec!["  recovery".to_owned(), date(stats.max_drawdown_recovery)],
        vec!["Calmar".to_owned(), ratio(stats.calmar)],
        vec!["VaR 95% (1 day)".to_owned(), pct(stats.var_95)],
        vec!["CVaR 95% (1 day)".to_owned(), pct(stats.cvar_95)],
    ];
    if bench_returns.is_some() {
        rows.push(vec!["beta".to_owned(), ratio(stats.beta)]);
        rows.push(vec![
            "alpha (annual)".to_owned(),
            stats.alpha.map_or_else(|| "n/a".to_owned(), pct),
        ]);
    }
    let mut out = render(&["statistic", "value"], &rows);
    let recent: Vec<_> = stats.monthly_returns.iter().rev().take(12).collect();
    out.push('\n');
    out.push_str(&render(
        &["month", "return"],
        &recent
            .into_iter()
            .rev()
            .map(|(m, r)| vec![m.clone(), pct(*r)])
            .collect::<Vec<_>>(),
    ));
    Ok(out)
}

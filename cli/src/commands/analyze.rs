//! `auravest analyze`: behavioural nudges with evidence, goals, badges and
//! the learning checklist for a portfolio, from `auravest_bias::analyze`.
//!
//! The goals file is a JSON array of goals, each
//! `{"name": "...", "target": "60000", "by": "2030-06-30", "monthly_contribution": "500", "expected_return": 0.04}`;
//! only `name` and `target` are required (without `by`, the target is a
//! portfolio value with no deadline).

use std::path::{Path, PathBuf};

use auravest_bias::{Analysis, AnalysisInput, Config, Error as BiasError, Goal, analyze};
use auravest_core::{Currency, InstrumentTable, NaiveDate};
use auravest_risk::RiskProfile;
use clap::Args;

use crate::commands::portfolio::load;
use crate::error::CliError;
use crate::table::{pct, render};
use crate::{Format, input, print_json};

#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    /// Transactions CSV (`date,type,symbol,quantity,price,fee,currency`), or a `.json` array.
    #[arg(long, value_name = "FILE.csv")]
    transactions: PathBuf,
    /// Prices CSV (`date,<SYMBOL>,...`); FX rates come from `XXXUSD=X` columns.
    #[arg(long, value_name = "FILE.csv")]
    prices: PathBuf,
    /// Instruments CSV (`symbol,name,asset_class,sector,country,currency`), over the shipped ETF table.
    #[arg(long, value_name = "FILE.csv")]
    instruments: Option<PathBuf>,
    /// A risk profile: the output of `auravest risk score --format json`.
    #[arg(long, value_name = "FILE.json")]
    risk_profile: Option<PathBuf>,
    /// Goals: a JSON array of `{"name", "target", "by"?, "monthly_contribution"?, "expected_return"?}`.
    #[arg(long, value_name = "FILE.json")]
    goals: Option<PathBuf>,
    /// A column of the prices file that stands for the market.
    #[arg(long, value_name = "COLUMN")]
    benchmark: Option<String>,
    /// Analysis date; defaults to the last price date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// The investor's last visit; defaults to 30 days before the analysis date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    last_visit: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    field: &str,
    expected: &str,
) -> Result<T, CliError> {
    let bytes = input::read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        CliError::invalid(format!(
            "{}:{}: {field}: expected {expected}: {e}",
            path.display(),
            e.line()
        ))
    })
}

pub(crate) fn run(args: &AnalyzeArgs) -> Result<String, CliError> {
    let portfolio = load(&args.transactions, Currency::USD, false)?;
    let prices = input::prices(&args.prices)?;
    let prices_file = args.prices.display().to_string();
    let benchmark = args
        .benchmark
        .as_deref()
        .map(|b| input::pick_column(&prices, Some(b), &args.prices, "--benchmark"))
        .transpose()?;
    let instruments = match &args.instruments {
        Some(path) => InstrumentTable::shipped()
            .with_mapping_csv(input::read(path)?.as_slice())
            .map_err(|e| CliError::from_core(&path.display().to_string(), e))?,
        None => InstrumentTable::shipped(),
    };
    let profile: Option<RiskProfile> = args
        .risk_profile
        .as_deref()
        .map(|p| {
            read_json(
                p,
                "risk_profile",
                "the output of `auravest risk score --format json`",
            )
        })
        .transpose()?;
    let goals: Vec<Goal> = args
        .goals
        .as_deref()
        .map(|p| read_json(p, "goals", "a JSON array of goals {\"name\", \"target\", \"by\"?, \"monthly_contribution\"?, \"expected_return\"?}"))
        .transpose()?
        .unwrap_or_default();
    let as_of = args
        .as_of
        .or_else(|| prices.dates().last().copied())
        .ok_or_else(|| CliError::invalid(format!("{prices_file}: no price rows")))?;
    let request = AnalysisInput {
        last_visit: args.last_visit,
        instruments: Some(&instruments),
        risk_profile: profile.as_ref(),
        goals: &goals,
        benchmark: benchmark.as_deref(),
        ..AnalysisInput::new(&portfolio, &prices, as_of)
    };
    let analysis = analyze(&request, &Config::default()).map_err(|e| match e {
        BiasError::Core(e) => CliError::from_core(&prices_file, e),
        e => {
            let goals_file = args
                .goals
                .as_deref()
                .map_or_else(|| "(goals)".to_owned(), |p| p.display().to_string());
            match (e.position(), e.field()) {
                (Some(line), Some(field)) => {
                    CliError::invalid(format!("{goals_file}:{line}: {field}: {}", e.reason()))
                }
                (_, Some(field)) => {
                    CliError::invalid(format!("--{}: {}", field.replace('_', "-"), e.reason()))
                }
                _ => CliError::invalid(e.to_string()),
            }
        }
    })?;
    // Money as money: the valuation's amounts at the currency's precision.
    let analysis = Analysis {
        valuation: analysis.valuation.money_rounded(),
        ..analysis
    };
    match args.format {
        Format::Json => print_json(&analysis),
        Format::Table => Ok(table(&analysis)),
    }
}

fn table(a: &Analysis) -> String {
    let v = &a.valuation;
    let mut out = format!(
        "Analysis as of {} ({}): value {:.2}, cash {:.2}\n",
        v.as_of,
        v.base_currency,
        v.value.round_dp(2),
        v.cash.round_dp(2)
    );
    out.push_str(&format!(
        "\nNudges for today ({} of {} findings, most severe first)\n",
        a.nudges.len(),
        a.findings.len()
    ));
    for (i, n) in a.nudges.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. [{}] {}\n   {}\n   Action: {}\n   Evidence: {}\n",
            i + 1,
            n.severity,
            n.title,
            n.explanation,
            n.action,
            serde_json::Value::Object(n.evidence.clone())
        ));
    }
    let held_back: Vec<Vec<String>> = a
        .findings
        .iter()
        .filter(|f| !a.nudges.contains(f))
        .map(|f| {
            vec![
                f.severity.to_string(),
                f.kind.to_string(),
                f.subject.clone().unwrap_or_default(),
                f.title.clone(),
            ]
        })
        .collect();
    if !held_back.is_empty() {
        out.push_str("\nOther findings (held back by the daily limit)\n\n");
        out.push_str(&render(
            &["severity", "kind", "subject", "title"],
            &held_back,
        ));
    }
    if !a.goals.is_empty() {
        let rows: Vec<Vec<String>> = a
            .goals
            .iter()
            .map(|g| {
                vec![
                    g.name.clone(),
                    format!("{:.2}", g.target.round_dp(2)),
                    g.by.map_or_else(|| "-".to_owned(), |d| d.to_string()),
                    pct(g.progress),
                    if g.on_track { "yes" } else { "no" }.to_owned(),
                    g.projected_value
                        .map(|p| format!("{:.2}", p.round_dp(2)))
                        .or_else(|| g.projected_date.map(|d| d.to_string()))
                        .unwrap_or_else(|| "-".to_owned()),
                ]
            })
            .collect();
        out.push_str("\nGoals\n\n");
        out.push_str(&render(
            &["goal", "target", "by", "progress", "on track", "projected"],
            &rows,
        ));
    }
    out.push_str("\nBadges\n");
    for b in &a.badges {
        let mark = if b.earned { "x" } else { " " };
        out.push_str(&format!("  [{mark}] {}\n", b.title));
    }
    out.push_str("\nLearning checklist\n");
    for c in &a.checklist {
        let mark = if c.done { "x" } else { " " };
        out.push_str(&format!("  [{mark}] {}: {}\n", c.title, c.lesson));
    }
    out
}
